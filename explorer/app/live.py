"""Training while the page watches: the Train/Pause/Step/Reset bar and the live loop.

The loop trains in short chunks and redraws between them. Runs in one server
process share a frame budget (a count of the runs training now, no data), so when
a whole class trains at once each page slows down a little instead of the server
falling behind.
"""
import threading
import time

import streamlit as st

from .. import limits
from ..params import FPS
from ..lens.advice import divergence_advice
from ..text import md
from .state import page_state

SERVER_FPS = 25           # live frames per second the whole server draws, shared by all runs
MIN_FPS = 1.0
NAP_SECONDS = 0.2


class LiveRuns:
    """How many runs are training right now in this process (a load meter, no data).

    Frames cost the server's one Python core, so a class training at once shares a
    frame budget: each run gets ``SERVER_FPS / runs`` frames a second (at most
    ``FPS``), and everyone's page stays responsive.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._n = 0

    def __enter__(self):
        with self._lock:
            self._n += 1
        return self

    def __exit__(self, *exc):
        with self._lock:
            self._n -= 1

    def fps(self):
        return max(MIN_FPS, min(FPS, SERVER_FPS / max(1, self._n)))


@st.cache_resource
def _live_runs():
    return LiveRuns()


def train_bar(page):
    """Train/Pause, Step and Reset, and the last word about a run or a file.

    The callbacks act on the page's experiment before the page runs again: Step
    trains one epoch, Reset drops the experiment so the page builds a fresh one
    from the seed (and clears a failure the page may have hit).
    """
    ps = page_state(page)

    def toggle():
        ps.running = not ps.running
        ps.say(None)
        ps.run_started = None

    def step():
        ps.running = False
        ps.say(None)
        trainer = ps.lab.trainer
        trainer.run(1)
        if trainer.diverged is not None:
            ps.say(md(divergence_advice(trainer).message), "error")

    def reset():
        ps.running = False
        ps.say(None)
        ps.lab = None
        ps.forget_charts()

    c1, c2, c3, _ = st.columns([1, 1, 1, 1.5])
    c1.button("⏸ Pause" if ps.running else "▶ Train", key=f"{page}.btn_train", on_click=toggle,
              type="primary", width="stretch")
    c2.button("⏭ Step", key=f"{page}.btn_step", on_click=step, width="stretch",
              help="Train one epoch, then stop.")
    c3.button("↺ Reset", key=f"{page}.btn_reset", on_click=reset, width="stretch",
              help="New initial weights from the seed; the data stays.")
    show_note(ps)


def show_note(ps, container=st):
    """The page's last message (any outside text in it was escaped when it was made)."""
    if ps.note:
        kind, text = ps.note
        getattr(container, kind)(text)


def live_loop(page, trainer, tiers, max_epochs=limits.MAX_EPOCHS_PER_RUN,
              max_seconds=limits.MAX_SECONDS_PER_RUN, per_frame=None):
    """Train and redraw until paused, capped or diverged.

    Parameters
    ----------
    tiers : list of (seconds, draw)
        ``draw(frame)`` is called when at least ``seconds`` have passed since its
        last call: 0 for what moves every frame (a cheap image and the numbers),
        longer for charts the browser has to rebuild.
    per_frame : int or None
        At most this many epochs per frame (the speed control: slow motion lets a
        class watch the boundary form); None trains as long as the frame allows.

    Frames are paced to ``FPS`` at most: a frame trains for whatever its drawing
    leaves of the frame's time, and sleeps through what is left. Runs in one server
    share ``SERVER_FPS`` frames a second, and the slower charts slow down with
    them. Pressing Pause (or any control, or leaving the page) makes Streamlit
    stop this script at its next element and run the page again, so the loop
    needs no polling of its own; caps on epochs and seconds per press, and
    divergence, end it from here.
    """
    ps = page_state(page)
    if ps.run_started is None:
        ps.run_started = (time.monotonic(), trainer.epoch)
    t0, e0 = ps.run_started
    last = [time.monotonic()] * len(tiers)
    frame, frame_draw = 0, 0.02
    heartbeat = st.empty()
    with _live_runs() as runs:
        while ps.running:
            t_frame = time.monotonic()
            # a frame's share of the server, and at most half of it for drawing: when the
            # server is busy, frames come less often instead of slowing everyone down
            period = max(1.0 / runs.fps(), 2.0 * frame_draw)
            budget = max(0.005, period - frame_draw)
            left = max(0, max_epochs - (trainer.epoch - e0))
            trainer.run(epochs=left if per_frame is None else min(left, per_frame),
                        time_budget=budget)
            frame += 1
            slower = FPS / runs.fps()         # 1 alone; more when the server is shared
            for i, (every, draw) in enumerate(tiers):
                t_draw = time.monotonic()
                if every == 0 or t_draw - last[i] >= every * slower:
                    draw(frame)
                    last[i] = time.monotonic()
                    if i == 0:
                        frame_draw = 0.7 * frame_draw + 0.3 * (last[i] - t_draw)
            reason = stop_reason(trainer, e0, t0, max_epochs, max_seconds)
            if reason:
                ps.running = False
                ps.say(reason[1], reason[0])
                ps.run_started = None
                st.rerun()
            # sleep in short naps so Pause is noticed soon even when frames are rare:
            # touching an element is where Streamlit can stop the script
            while (nap := period - (time.monotonic() - t_frame)) > 0:
                time.sleep(min(NAP_SECONDS, nap))
                if nap > NAP_SECONDS:
                    heartbeat.empty()


def stop_reason(trainer, e0, t0, max_epochs, max_seconds):
    """``(kind, message)`` if a run must stop now: divergence, or a cap per press."""
    if trainer.diverged is not None:
        return "error", md(divergence_advice(trainer).message)
    if trainer.epoch - e0 >= max_epochs:
        return "info", (f"Paused after {max_epochs} epochs, the most one press of Train runs. "
                        "Press Train to go on.")
    if time.monotonic() - t0 >= max_seconds:
        return "info", (f"Paused after {max_seconds} seconds, the longest one press of Train "
                        "runs. Press Train to go on.")
    return None
