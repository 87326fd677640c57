"""Training while the page watches: the Train/Pause/Step/Reset bar and the live loop.

The loop trains in short chunks and redraws between them. Runs in one server
process share one core (Python runs one thread at a time), so they share it on
purpose: together they use at most ``SERVER_SHARE`` of it, each run an equal part,
and one run computes at a time (a turn). What is left keeps the server quick for
everything that is not a live frame: a page opening, a press of Pause. Nothing
here holds a person's data: the shared object counts runs and hands out turns.
"""
import contextlib
import functools
import threading
import time

import streamlit as st

from .. import limits
from ..params import FPS
from ..lens.advice import divergence_advice
from ..text import md
from .state import page_state, widget_key

SERVER_SHARE = 0.7        # of one core: what all live runs of a process use together, at most
MIN_FPS = 4.0             # a run's frames a second when the server is shared (if its part allows)
DRAW_SHARE = 0.5          # of a run's part: at most this for drawing frames when it is shared
CHART_SHARE = 0.15        # of a run's part: for the slower charts (rebuilt less often under load)
NAP_SECONDS = 0.1         # a sleeping run looks this often whether it must stop (Pause)
ALONE_FILL = 0.5          # of each frame's period: the most a run alone computes in it
SERVER_FPS = SERVER_SHARE / 0.007     # frames a second the server draws at most (~7 ms a frame)


class LiveRuns:
    """How many runs are training right now in this process, and whose turn it is to
    compute (a load meter and a turnstile, no data).

    Each run may use ``share()`` of a core: all of it alone, ``SERVER_SHARE`` split
    equally when runs share the server. It trains
    and draws only while it holds the turn (:meth:`turn`), so at most one run
    competes with a page being opened for the interpreter: many runs computing at
    once would make every thread wait behind all the others at each step
    (Python's global lock hands the core round in turn), and the first frame, a
    page load or a Pause would take seconds.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._n = 0
        self._turn = threading.Lock()

    def __enter__(self):
        with self._lock:
            self._n += 1
        return self

    def __exit__(self, *exc):
        with self._lock:
            self._n -= 1

    @property
    def running(self):
        return self._n

    def share(self):
        """The part of a core one run may use now: all of it alone, else an equal
        part of ``SERVER_SHARE``."""
        return 1.0 if self._n <= 1 else SERVER_SHARE / self._n

    def fps(self):
        """Frames a second a run gets now, for a frame that costs about 7 ms to draw."""
        return max(1.0, min(FPS, SERVER_FPS / max(1, self._n)))

    @contextlib.contextmanager
    def turn(self, meanwhile=None, nap=NAP_SECONDS):
        """Hold the turn to compute; ``meanwhile()`` is called between tries (a run
        waiting for its turn still notices Pause)."""
        while not self._turn.acquire(timeout=nap):
            if meanwhile is not None:
                meanwhile()
        try:
            yield
        finally:
            self._turn.release()


@functools.cache     # one per process, whatever a client sends: Streamlit's "clear cache"
def _live_runs():     # empties st.cache_resource, and a second LiveRuns split the turn in two
    return LiveRuns()


def train_bar(page):
    """Train/Pause, Step and Reset (the last word about a run or a file is
    :func:`show_note`'s).

    The callbacks act on the page's experiment before the page runs again: Step
    trains one epoch, Reset drops the experiment so the page builds a fresh one
    from the seed (and clears a failure the page may have hit). Nothing here needs
    the experiment while drawing, so a page draws the bar before its sidebar: the
    answer to a press (Pause above all) then comes before the sidebar's 40 widgets
    are drawn again, not after.
    """
    ps = page_state(page)

    def toggle():
        ps.running = not ps.running
        ps.say(None)
        ps.run_started = None
        if ps.running and st.session_state.get(widget_key(page, "walk")):
            st.session_state[widget_key(page, "walk")] = False   # Train ends a walk through a batch

    def step():
        ps.running = False
        ps.say(None)
        trainer = ps.lab.trainer
        trainer.run(1)
        if trainer.diverged is not None:
            ps.say(md(divergence_advice(trainer).message), "error")

    def reset():
        ps.start_afresh()

    # one row of buttons, on a phone too (columns would stack there, one a line)
    bar = st.container(horizontal=True, wrap=False, gap="small")
    bar.button("Pause" if ps.running else "Train", key=f"{page}.btn_train", on_click=toggle,
               icon=":material/pause:" if ps.running else ":material/play_arrow:",
               type="primary", width=116)
    bar.button("Step", icon=":material/skip_next:", key=f"{page}.btn_step", on_click=step,
               width=100, help="Train one epoch, then stop.")
    bar.button("Reset", icon=":material/replay:", key=f"{page}.btn_reset", on_click=reset,
               width=104, help="New initial weights from the seed; the data stays.")


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
        last call. The first tier is the frame (0: every frame; what moves: the
        live view and the numbers); the others are slower charts the browser has
        to rebuild.
    per_frame : int or None
        The speed control: at most ``per_frame * FPS`` epochs a second (slow
        motion lets a class watch the boundary form), however many frames the
        server allows; None trains as fast as this run's part of the server allows.

    Pacing. A run may use ``LiveRuns.share()`` of a core (all of it alone, an equal
    part of ``SERVER_SHARE`` when runs share the server), measured in CPU time. Of
    that part, the frame's drawing takes at most ``DRAW_SHARE`` (frames come up to
    ``FPS`` a second, and ``MIN_FPS`` when shared if the part allows), training the
    rest, and the slower charts are rebuilt only as often as ``CHART_SHARE`` of it
    pays for (their own interval at least). When shared, CPU a frame leaves unused
    is kept for the next. A run computes only while it holds the server's turn, and
    sleeps through the rest of its frame.

    Pressing Pause (or any control, or leaving the page) makes Streamlit stop this
    script at its next yield point: every element drawn, and every look at the
    session state, which a sleeping or waiting run takes every ``NAP_SECONDS``
    (nothing is sent to the browser for it). Caps on epochs and seconds per press,
    and divergence, end the run from here.
    """
    ps = page_state(page)
    if ps.run_started is None:
        ps.run_started = (time.monotonic(), trainer.epoch)
    t0, e0 = ps.run_started
    runs = _live_runs()
    now = time.monotonic()
    last = [now] * len(tiers)                # the page has just drawn every tier
    cost = [0.005] + [0.03] * (len(tiers) - 1)   # CPU seconds of each tier's draw (smoothed)
    epoch_cpu = 0.002                        # CPU seconds of one epoch (smoothed)
    rate = None if per_frame is None else per_frame * FPS
    credit, t_prev, frame = 1.0, now, 0
    bank = 0.0                               # CPU seconds of the run's part left unused
    with runs:
        while ps.running:
            t_frame = time.monotonic()
            share = runs.share()
            shared = runs.running > 1
            frame_share = share * (1.0 - CHART_SHARE) if len(tiers) > 1 else share
            # frames up to FPS; drawing at most DRAW_SHARE of the run's part (when shared,
            # frames at least MIN_FPS a second while the part pays for them)
            period = max(1.0 / FPS, cost[0] / (DRAW_SHARE * frame_share))
            if shared:
                period = max(1.0 / FPS, min(period, 1.0 / MIN_FPS))
            frame_due = t_frame - last[0] >= tiers[0][0] if tiers else False
            # the CPU this frame may use: its part of the period and (shared) what the
            # frames before left unused, so that a part paying for 1.6 epochs a frame
            # trains 1, 2, 2, 1, ... and not 1 a frame with the rest lost. Alone, a frame
            # computes for at most ALONE_FILL of it: the browser (often on the same
            # machine) and the thread sending the frames need the rest, and a frame that
            # fills its period comes late (36 planned, 20 seen)
            budget = frame_share * period + bank
            train_cpu = budget * (1.0 if shared else ALONE_FILL) - (cost[0] if frame_due else 0.0)
            n = max(1, int(train_cpu / epoch_cpu))
            if rate is not None:                 # the speed control, in epochs a second
                credit = min(credit + rate * (t_frame - t_prev), max(1.0, rate * 0.5))
                n = min(n, int(credit))
            t_prev = t_frame
            n = min(n, max(0, max_epochs - (trainer.epoch - e0)))
            with runs.turn(_yield_to_streamlit):
                _yield_to_streamlit()            # paused meanwhile: train nothing more
                c0 = time.thread_time()
                before = trainer.checkpoint()
                done = trainer.run(epochs=n, time_budget=max(0.005, 2.0 * train_cpu)) if n else 0
                c1 = time.thread_time()
                frame += 1
                if frame_due:
                    _show(tiers[0][1], frame, trainer, before)
                    last[0] = time.monotonic()
                c2 = time.thread_time()
                # at most one slower chart a frame: the most overdue of those due
                slow = _due_chart(tiers, last, cost, time.monotonic(), share)
                if slow is not None:
                    tiers[slow][1](frame)
                    last[slow] = time.monotonic()
                    cost[slow] = 0.7 * cost[slow] + 0.3 * (time.thread_time() - c2)
            if done:
                epoch_cpu = 0.7 * epoch_cpu + 0.3 * max((c1 - c0) / done, 1e-5)
                credit -= done
            if frame_due:
                cost[0] = 0.7 * cost[0] + 0.3 * (c2 - c1)
            reason = stop_reason(trainer, e0, t0, max_epochs, max_seconds)
            if reason:
                ps.running = False
                ps.say(reason[1], reason[0])
                ps.run_started = None
                st.rerun()
            # the frame's CPU (its chart aside, paid for by the charts' interval) at the
            # run's part of a core: more than the budget puts the next frame off, less is
            # kept (shared; at most a period's worth); then sleep in short naps, looking
            # whether to stop
            left = budget - (c2 - c0)
            bank = min(max(left, 0.0), frame_share * period) if shared else 0.0
            wake = t_frame + period + max(0.0, -left) / frame_share
            while (nap := wake - time.monotonic()) > 0:
                time.sleep(min(NAP_SECONDS, nap))
                _yield_to_streamlit()


def _show(draw, frame, trainer, before):
    """Draw the frame of the epochs just trained; if Streamlit stops the script
    before the frame leaves (Pause, or any control, was pressed while they trained),
    undo them: the network stays at the epoch on the screen, which is what Pause
    promises. (The frame's numbers line goes first and its view last, so once the
    view has left, nothing of the frame can fail.)"""
    try:
        draw(frame)
    except BaseException:
        trainer.restore(before)
        raise


def _due_chart(tiers, last, cost, now, share):
    """The slower tier to draw now (the most overdue), or None.

    A chart is due after its own interval, and no sooner than its draws can be paid
    from ``CHART_SHARE`` of the run's part of a core (shared by the slower charts):
    under load they back off, the live frame does not.
    """
    best, late = None, 0.0
    n = len(tiers) - 1
    for i in range(1, len(tiers)):
        interval = max(tiers[i][0], cost[i] * n / (CHART_SHARE * share))
        over = (now - last[i]) / interval
        if over >= 1.0 and over > late:
            best, late = i, over
    return best


def _yield_to_streamlit():
    """A point where Streamlit can stop this script (Pause, another control, a closed
    tab): reading the session state is one, and it sends nothing to the browser."""
    st.session_state.get("page.current")


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
