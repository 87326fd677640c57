"""Training while the page watches: the Train/Pause/Step/Reset bar and the live loop.

A live run does not train its network in its own script thread: it asks the
process's class engine (:mod:`explorer.app.engine`) for its next epochs, and the
engine trains every waiting run at its next tick, runs of one shape together in one
stack. Then the run draws its frame (one run at a time: the engine's turn) and asks
again. The engine keeps the process's CPU within ``SERVER_SHARE`` of a core while
runs are live, so a page opening or a press of Pause finds the interpreter free.
Nothing here holds a person's data: the shared engine counts runs, hands out turns,
and holds a run's trainer only while that run waits for its epochs.
"""
import contextlib
import functools
import os
import random
import time

import streamlit as st

from .. import limits
from ..params import FPS
from ..lens.advice import divergence_advice
from ..text import md
from .engine import NAP_SECONDS, Engine
from .server import client_id, event_loop_lag
from .state import page_state, widget_key

SERVER_SHARE = 0.9        # of one core: what the process uses, at most, while runs are live
ALONE_FILL = 0.5          # of each tick's interval: the most a run alone trains in it
CHART_SHARE = 0.15        # of a run's part: for the slower charts (rebuilt less often under load)


FPS_GOAL = 20             # frames a second a student gets under a full class, before epochs more
BEHIND = 0.1              # seconds the server's event loop is behind: past it, no frame is sent
REST_WAITS = 2.0          # seconds the rest of a page waits, at most, for that loop to catch up


@functools.cache     # one per process, whatever a client sends: Streamlit's "clear cache"
def _engine():       # empties st.cache_resource, and a second engine would split the class
    return Engine(SERVER_SHARE, FPS, ALONE_FILL, FPS_GOAL)


def train_bar(page):
    """Train/Pause, Step and Reset (the last word about a run or a file is
    :func:`show_note`'s); returns the bar, for a page's own toggle at its end.

    The callbacks act on the page's experiment before the page runs again: Step
    trains one epoch, Reset drops the experiment so the page builds a fresh one
    from the seed (and clears a failure the page may have hit). Nothing here needs
    the experiment while drawing, so a page draws the bar before its sidebar: the
    answer to a press (Pause above all) then comes before the sidebar's 40 widgets
    are drawn again, not after.
    """
    ps = page_state(page)

    def train():
        ps.running = True
        ps.say(None)
        ps.run_started = None
        if st.session_state.get(widget_key(page, "walk")):
            st.session_state[widget_key(page, "walk")] = False   # Train ends a walk through a batch

    def pause():
        ps.running = False
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
        ps.start_afresh()

    # one row of buttons, on a phone too (columns would stack there, one a line)
    bar = st.container(horizontal=True, wrap=False, gap="small")
    # two buttons in one place, each doing what it says: a Pause pressed just as the
    # run stopped by itself (its cap) pauses, where one toggling button started it again
    # (the one of them a run no longer draws is hidden while the run goes on: PAGE_CSS)
    if ps.running:
        bar.button("Pause", key=f"{page}.btn_pause", on_click=pause, icon=":material/pause:",
                   type="primary", width=116)
    else:
        bar.button("Train", key=f"{page}.btn_train", on_click=train,
                   icon=":material/play_arrow:", type="primary", width=116)
    bar.button("Step", icon=":material/skip_next:", key=f"{page}.btn_step", on_click=step,
               width=100, help="Train one epoch, then stop.")
    bar.button("Reset", icon=":material/replay:", key=f"{page}.btn_reset", on_click=reset,
               width=104, help="New initial weights from the seed; the data stays.")
    return bar


@contextlib.contextmanager
def first_screen():
    """Draw the top of a page, down to its Train bar, one page at a time and before
    the live runs' ticks and frames and the rest of other pages (:meth:`Engine.page_top`,
    :func:`catch_up`): a Pause is answered, and a page opened, first."""
    engine = _engine()
    with engine.page_top(_yield_to_streamlit):
        yield
    engine.wait_for_pages(_yield_to_streamlit)     # and the rest of a page after theirs
    catch_up()


def catch_up(most=REST_WAITS, nap=NAP_SECONDS):
    """Wait (at most ``most`` seconds) while the server's event loop is behind.

    The rest of a page (its sidebar, its charts: a hundred messages) waits here, so
    that the tops of other pages, sent before, are not stuck behind it in the loop's
    line: when a class presses Pause, every page is drawn again at once, and the
    answers to the last Pauses came seconds late."""
    end = time.monotonic() + most
    while event_loop_lag() > BEHIND and time.monotonic() < end:
        time.sleep(nap)
        _yield_to_streamlit()


def show_note(ps, container=st):
    """The page's last message (any outside text in it was escaped when it was made)."""
    if ps.note:
        kind, text = ps.note
        getattr(container, kind)(text)


def live_loop(page, trainer, tiers, max_epochs=limits.MAX_EPOCHS_PER_RUN,
              max_seconds=limits.MAX_SECONDS_PER_RUN, per_frame=None, capture=None):
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
        motion lets a class watch the boundary form), however many ticks the
        server allows; None trains as fast as this run's part of the server allows.
    capture : callable, optional
        ``capture()`` -> the frame of the run as it is (pure). Under a full class the
        engine captures several frames between a tick's epochs, and the first tier
        is called ``draw(frame, payloads=[...], spacing=seconds)`` to send them in
        one message (:func:`frames_per_message`).

    Each round asks the engine for this run's epochs at its next tick (the speed's
    epochs since the last round, within the caps), waits for them, and draws the
    frame. The slower charts are rebuilt only as often as ``CHART_SHARE`` of the
    run's part of the server pays for (their own interval at least), one a round.
    While the server's event loop is more than ``BEHIND`` seconds behind
    (:func:`.server.event_loop_lag`), a round sends no frame and no chart: the epochs
    go on, and the screen (and what Pause keeps) stays at the last frame sent.

    Pressing Pause (or any control, or leaving the page) makes Streamlit stop this
    script at its next yield point: every element drawn, and every look at the
    session state, which a waiting run takes every ``NAP_SECONDS`` (nothing is sent
    to the browser for it). Epochs trained since the last frame that left are then
    undone (:meth:`Trainer.restore`), so the network stays at the epoch on the
    screen, which is what Pause promises. Caps on epochs and seconds per press, and
    divergence, end the run from here.
    """
    ps = page_state(page)
    if ps.run_started is None:
        ps.run_started = (time.monotonic(), trainer.epoch)
    t0, e0 = ps.run_started
    engine = _engine()
    now = time.monotonic()
    last = [now] * len(tiers)                # the page has just drawn every tier
    jitter = [random.uniform(0, 0.5) for _ in tiers]     # see _due_chart
    cost = [0.005] + [0.03] * (len(tiers) - 1)   # CPU seconds of each tier's draw (smoothed)
    rate = None if per_frame is None else per_frame * FPS
    credit, t_prev, frame = 1.0, now, 0
    client = client_id()
    with engine.member(client, most=limits.MAX_LIVE_RUNS_PER_BROWSER) as admitted:
        if not admitted:
            ps.running, ps.run_started = False, None
            ps.say(f"{limits.MAX_LIVE_RUNS_PER_BROWSER} tabs of this browser are training "
                   "already: pause one of them, then press Train here.", "warning")
            st.rerun()
        shown = trainer.checkpoint()             # the epoch on the screen
        while ps.running:
            t_round = time.monotonic()
            want = None
            if rate is not None:                 # the speed control, in epochs a second
                credit = min(credit + rate * (t_round - t_prev), max(1.0, rate * 0.5))
                want = int(credit)
            t_prev = t_round
            left = max(0, max_epochs - (trainer.epoch - e0))
            ticket = None
            try:
                # the server's event loop behind: no frame (they would wait in line before
                # every Pause and page); no frames captured for it either
                behind = event_loop_lag() > BEHIND
                k = frames_per_message(engine.running) if capture is not None and not behind else 1
                if left and want != 0:
                    ticket = engine.submit(trainer, want, most=left, frames=k,
                                           capture=capture if k > 1 else None, pace=rate,
                                           client=client)
                    engine.wait(ticket, _yield_to_streamlit)
                    credit -= ticket.done
                else:
                    time.sleep(1.0 / FPS)        # slow motion between its epochs
                    _yield_to_streamlit()
                frame += 1
                with engine.turn(_yield_to_streamlit):
                    _yield_to_streamlit()        # paused meanwhile: show nothing more
                    c1 = time.thread_time()
                    # a frame, unless the tick ended mid-way through the run's next epoch
                    # (batch 1 on many points): the picture stays at the last whole epoch
                    moved = ticket is None or ticket.done > 0
                    behind = behind or event_loop_lag() > BEHIND
                    if moved and not behind and time.monotonic() - last[0] >= tiers[0][0]:
                        # (the frame's numbers line goes first and its view last: once
                        # the view has left, nothing of the frame can fail)
                        if ticket is not None and ticket.payloads:
                            tiers[0][1](frame, payloads=ticket.payloads,
                                        spacing=engine.period / len(ticket.payloads))
                        else:
                            tiers[0][1](frame)
                        last[0] = time.monotonic()
                        shown = trainer.checkpoint()
                        cost[0] = 0.7 * cost[0] + 0.3 * (time.thread_time() - c1)
                    c2 = time.thread_time()
                    # at most one slower chart a round: the most overdue of those due
                    slow = None if behind else _due_chart(tiers, last, cost, time.monotonic(),
                                                          _part(engine), jitter)
                    if slow is not None:
                        jitter[slow] = random.uniform(0, 0.5)
                        tiers[slow][1](frame)
                        last[slow] = time.monotonic()
                        cost[slow] = 0.7 * cost[slow] + 0.3 * (time.thread_time() - c2)
            except BaseException:
                if ticket is not None:
                    engine.withdraw(ticket)      # and wait for a tick training it
                trainer.restore(shown)           # the epochs no frame showed are undone
                raise
            reason = stop_reason(trainer, e0, t0, max_epochs, max_seconds)
            if reason:
                ps.running = False
                ps.say(reason[1], reason[0])
                ps.run_started = None
                st.rerun()


# live runs in a process from which a message carries 2, 3, 4 frames (BPX_BATCH overrides:
# the browser test of several frames to a message sets it for one run)
BATCH = tuple(int(n) for n in os.environ.get("BPX_BATCH", "8,24,60").split(","))


def frames_per_message(runs):
    """Frames a run's message carries when ``runs`` runs are live in its process: one
    message costs the server far more than the frame in it (Streamlit's element, its
    hashing and sending: about 0.5 ms of the 1.1 ms a frame cost under 30 runs), so a
    full class gets its pictures two to four to a message, drawn one after the other."""
    return 1 + sum(runs >= n for n in BATCH)


def _part(engine):
    """The part of a core one run has: all of it alone, else an equal part of the
    server's share."""
    n = engine.running
    return 1.0 if n <= 1 else SERVER_SHARE / n


def _due_chart(tiers, last, cost, now, share, jitter):
    """The slower tier to draw now (the most overdue), or None.

    A chart is due after its own interval, and no sooner than its draws can be paid
    from ``CHART_SHARE`` of the run's part of a core (shared by the slower charts):
    under load they back off, the live frame does not. Each wait is longer by its
    own random ``jitter`` (a fraction): a class that pressed Train together does not
    rebuild thirty charts in the same tick.
    """
    best, late = None, 0.0
    n = len(tiers) - 1
    for i in range(1, len(tiers)):
        interval = max(tiers[i][0], cost[i] * n / (CHART_SHARE * share)) * (1 + jitter[i])
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
