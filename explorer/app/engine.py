"""The class engine: one thread per server process trains every live run, in ticks.

Thirty students on one server train thirty networks. Trained one by one, each
epoch of each network costs its own few hundred NumPy calls, and one process runs
Python on one core: each student got a tenth of what one gets alone. Here a run's
script thread does not train its network itself. It asks the engine for its next
epochs (a :class:`Ticket`) and waits; at each tick the engine trains every waiting
run, those of one shape (:func:`explorer.nn.stack.stack_key`) together in one
stack, where an epoch of thirty networks costs a few times one network's; the
others alone. Then each run's own thread draws its frame and asks again.

Pacing. A tick comes at most ``fps`` times a second (divided by the frames a
message carries), and at most ``LONGEST`` apart. Alone, a run trains for at most
``alone_fill`` of the interval (the browser, often on the same machine, and the
thread sending the frames need the rest). Shared, the runs' epochs get what their
speed asks of a core (each run's epochs a second at its epoch's cost), but no more
than leaves the frames enough for ``fps_goal`` frames a second (and at most half of
``share`` when that is not enough); the frames, the pages and all else the process
does get the rest, and the interval is as long as that takes (process CPU, measured).
Within a tick, the training time is shared fairly (:func:`fair_shares`): by client (a
browser) first, then by run, each getting what its speed asks for or an equal level,
whichever is less; a run with more than ``STEPS_IN_A_STACK`` steps an epoch trains
alone, where its epoch can pause mid-way at its part. Under a class a run's message
carries two to four frames, captured between the tick's epochs (:class:`Ticket`).

Pages first: the top of a page (down to its Train bar, :meth:`Engine.page_top`) is
drawn one at a time, and a tick, a frame and the rest of other pages wait for it
(at most ``PAGES_FIRST``): a Pause is answered, a page opened, before the next tick.

Nothing here holds a person's data between ticks: a ticket refers to a run's
trainer only until its epochs are done, and each trainer is trained by the engine
only while its owner waits for it (and :meth:`Engine.withdraw` waits until a tick
under way has let the run go before its owner touches it again). The engine imports
no Streamlit.
"""
import contextlib
import gc
import math
import os
import sys
import threading
import time
from collections import defaultdict

from ..nn.stack import stack_key, train_together

NAP_SECONDS = 0.05        # a waiting run looks this often whether it must stop (Pause)
GRACE = 0.25              # of a period: how long a tick waits for runs still drawing
PAGES_FIRST = 0.5         # seconds a tick or a frame waits, at most, for pages' tops
LONGEST = 0.4             # seconds between ticks, at most (pages' tops wait for nothing)
LOG_EVERY = float(os.environ.get("BPX_ENGINE_LOG", 0) or 0)   # seconds between log lines; 0: none


class _Collections:
    """The garbage collector's pauses since the last log line (every thread stops for
    them): how many, and the longest, of the oldest generation and of the others."""

    def __init__(self):
        self.started = None
        self.clear()
        gc.callbacks.append(self._callback)

    def clear(self):
        self.n, self.longest, self.n2, self.longest2 = 0, 0.0, 0, 0.0

    def _callback(self, phase, info):
        if phase == "start":
            self.started = time.perf_counter()
        elif self.started is not None:
            took, self.started = time.perf_counter() - self.started, None
            if info.get("generation") == 2:
                self.n2, self.longest2 = self.n2 + 1, max(self.longest2, took)
            else:
                self.n, self.longest = self.n + 1, max(self.longest, took)

    def __str__(self):
        return (f"; gc {self.n} young (longest {1e3 * self.longest:.0f} ms), {self.n2} full "
                f"(longest {1e3 * self.longest2:.0f} ms)")


COLLECTIONS = _Collections() if LOG_EVERY else None


class Ticket:
    """One run's request for its next epochs, and the answer."""
    __slots__ = ("trainer", "want", "most", "pace", "frames", "capture", "payloads", "done",
                 "error", "state", "event", "leaving", "client")

    def __init__(self, trainer, want, most, pace=None, frames=1, capture=None, client=None):
        self.trainer = trainer
        self.want = want          # epochs (its speed), or None: as many as its part allows
        self.most = most          # and never more than this (its caps)
        self.pace = pace          # its speed, epochs a second (None: no limit)
        self.frames = frames      # with capture: frames to capture, its epochs split evenly
        self.capture = capture    # capture() -> a frame of the run as it is now (pure)
        self.payloads = []        # the frames captured
        self.done = 0             # epochs trained
        self.error = None         # what training raised, for the owner to raise
        self.state = "waiting"    # -> "training" -> "done", or "withdrawn"
        self.event = threading.Event()
        self.leaving = False      # its owner wants the trainer back: stop at the next epoch
        self.client = client if client is not None else ("run", id(self))   # whose it is


class Engine:
    """The live runs of one process: who is training (a count, no data), the tick
    that trains them, and the turn to draw.

    Parameters
    ----------
    share : float
        Of one core: what the process may use, all told, while runs are live.
    fps : float
        Frames a second, at most.
    fps_goal : float
        Frames a second a run should get under a full class before its epochs get more
        than half of ``share`` (default ``fps``).
    alone_fill : float
        Of a tick's interval: the most a run alone trains in it.
    """

    def __init__(self, share, fps, alone_fill, fps_goal=None):
        self.share, self.fps, self.alone_fill = share, fps, alone_fill
        self.fps_goal = fps if fps_goal is None else fps_goal
        self._frames = 1                      # frames a message carries, at the last tick
        self.period = 1.0 / fps              # seconds between ticks, now
        self._cv = threading.Condition()
        self._waiting = []
        self._members = 0
        self._by_client = defaultdict(int)    # live runs per client (a browser)
        self._thread = None
        self._turn = threading.Lock()
        self._page_turn = threading.Lock()
        self._tops = 0                        # pages whose top waits or is being drawn
        self._tops_wall = self._tops_cpu = 0.0    # their time, since the last log line
        self._tops_n = 0
        self._cost = {}                       # shape -> seconds an epoch costs a run (smoothed)
        self._tick_cpu = None                 # process CPU seconds of a tick interval (smoothed)
        self._trained = 0.0                   # of which the last tick's training
        self._others = 0.0                    # and the rest (smoothed)
        self._demand = 0.0                    # of a core, what the runs' epochs want (smoothed)
        self.ticks = 0
        self._logged, self._logged_ticks = time.monotonic(), 0
        self._drawn, self._draws = 0.0, 0     # CPU seconds in turns to draw, since the last log
        self.stacked = 0                      # runs trained in a stack of two or more, so far
        self._longest = 0.0                   # the longest tick (wall), since the last log

    # --- who is training ---------------------------------------------------------
    def __enter__(self):
        with self._cv:
            self._members += 1
        return self

    def __exit__(self, *exc):
        with self._cv:
            self._members -= 1
            self._cv.notify_all()             # a tick may be waiting for this run

    @contextlib.contextmanager
    def member(self, client, most=None):
        """A live run of ``client`` (a browser: see :func:`.server.client_id`) for the
        ``with`` block, which gets True; or False, and nothing is counted, when that
        client has ``most`` live runs already."""
        with self._cv:
            admitted = most is None or self._by_client.get(client, 0) < most
            if admitted:
                self._by_client[client] += 1
        if not admitted:
            yield False
            return
        try:
            with self:
                yield True
        finally:
            with self._cv:
                self._by_client[client] -= 1
                if not self._by_client[client]:
                    del self._by_client[client]

    @property
    def running(self):
        return self._members

    # --- asking for epochs ---------------------------------------------------------
    def submit(self, trainer, want, most, frames=1, capture=None, pace=None, client=None):
        """Ask for ``want`` epochs of ``trainer`` at the next tick (None: as many as
        its part of the tick pays for), at most ``most``; returns the :class:`Ticket`.

        With ``capture``, the tick also captures ``frames`` frames of the run, each
        after its part of the epochs (split evenly): one message can then carry
        several frames, so a full class gets more pictures for the same cost (a
        frame's message, not the frame, is what costs the server most). The tick's
        time is shared fairly between clients first (``client``: whose run it is, a
        browser), then between a client's runs."""
        ticket = Ticket(trainer, want, max(1, int(most)), pace, max(1, int(frames)), capture,
                        client)
        with self._cv:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="class-engine",
                                                daemon=True)
                self._thread.start()
            self._waiting.append(ticket)
            self._cv.notify_all()
        return ticket

    def wait(self, ticket, meanwhile=None, nap=NAP_SECONDS):
        """Wait for the ticket's epochs, calling ``meanwhile()`` between naps (it may
        raise: the owner's script stops; then :meth:`withdraw` the ticket)."""
        while not ticket.event.wait(nap):
            if meanwhile is not None:
                meanwhile()
        if ticket.error is not None:
            raise ticket.error

    def withdraw(self, ticket):
        """The owner leaves: take its ticket out of the next tick, or, if the tick is
        training it now, stop it at its next epoch and wait for that (a few
        milliseconds; not for the rest of the tick: :func:`_release`). Afterwards the
        engine never touches the trainer again."""
        with self._cv:
            if ticket.state == "waiting":
                self._waiting.remove(ticket)
                ticket.state = "withdrawn"
                return
            ticket.leaving = True
        ticket.event.wait()

    @contextlib.contextmanager
    def turn(self, meanwhile=None, nap=NAP_SECONDS):
        """Hold the turn to draw a frame: one run draws at a time, so a page being
        opened competes with one thread, not thirty, for the interpreter (and a
        page's top, :meth:`page_top`, goes first)."""
        self.wait_for_pages(meanwhile, nap)
        while not self._turn.acquire(timeout=nap):
            if meanwhile is not None:
                meanwhile()
        c0 = time.thread_time()
        try:
            yield
        finally:
            self._drawn += time.thread_time() - c0
            self._draws += 1
            self._turn.release()

    @contextlib.contextmanager
    def page_top(self, meanwhile=None, nap=NAP_SECONDS):
        """Draw the top of a page (down to its Train bar): one at a time, and before
        anything else waits its turn: the tick, the frames, the rest of other pages
        (:meth:`wait_for_pages`). When a class presses Pause at once, thirty pages
        drawn side by side would each come at the end; so, each comes in turn."""
        with self._cv:
            self._tops += 1
        try:
            while not self._page_turn.acquire(timeout=nap):
                if meanwhile is not None:
                    meanwhile()
            w0, c0 = time.monotonic(), time.thread_time()
            try:
                yield
            finally:
                self._tops_wall += time.monotonic() - w0
                self._tops_cpu += time.thread_time() - c0
                self._tops_n += 1
                self._page_turn.release()
        finally:
            with self._cv:
                self._tops -= 1
                self._cv.notify_all()

    def wait_for_pages(self, meanwhile=None, nap=NAP_SECONDS, most=PAGES_FIRST):
        """Wait (at most ``most`` seconds) while a page's top is waiting or drawn."""
        end = time.monotonic() + most
        while self._tops and (left := end - time.monotonic()) > 0:
            with self._cv:
                if self._tops:
                    self._cv.wait(min(nap, left))
            if meanwhile is not None:
                meanwhile()

    # --- the tick ------------------------------------------------------------------
    def _serve(self):
        last, cpu_last = time.monotonic(), time.process_time()
        while True:
            with self._cv:
                while not self._waiting:
                    self._cv.wait()
                due = max(last + self.period, time.monotonic() - self.period)
                while True:        # at its time, with every run (one still drawing: a grace)
                    now = time.monotonic()
                    late = now - due
                    if late >= 0 and (len(self._waiting) >= self._members
                                      or late >= GRACE * self.period):
                        break
                    self._cv.wait(-late if late < 0 else GRACE * self.period - late)
                # pages' tops first (a Pause answered, a page opened), for a while
                end = time.monotonic() + PAGES_FIRST
                while self._tops and (left := end - time.monotonic()) > 0:
                    self._cv.wait(left)
                batch, self._waiting = self._waiting, []
                for t in batch:
                    t.state = "training"
                members = self._members
            if not batch:                      # withdrawn while the tick waited
                continue
            start, cpu = time.monotonic(), time.process_time()
            if self.ticks:
                spent = cpu - cpu_last         # everything the process did in the interval
                self._tick_cpu = spent if self._tick_cpu is None else (
                    0.7 * self._tick_cpu + 0.3 * spent)
                # of which not training: frames, pages, the rest (smoothed)
                self._others = 0.7 * self._others + 0.3 * max(0.0, spent - self._trained)
            last, cpu_last = start, cpu
            try:
                self._train(batch, members)
            except Exception as exc:           # noqa: BLE001 -- the engine serves on
                for t in batch:
                    t.error = t.error or exc
            self.ticks += 1
            self._longest = max(self._longest, time.monotonic() - start)
            if LOG_EVERY and start - self._logged >= LOG_EVERY:
                self._log(start, len(batch))
            for t in batch:
                t.state = "done"
                t.event.set()
            self._frames = max(t.frames for t in batch)
            self.period = self._next_period(members, self._frames)

    def _next_period(self, members, frames):
        """Seconds to the next tick. At most ``fps`` frames a second (a tick carries
        ``frames`` of a run's), at most ``LONGEST``. Alone: the process's CPU of an
        interval within ``share`` of it. Shared: what the runs' epochs need of a core
        (``_demand``, within :meth:`_train_cap`), and the frames and all else the rest:
        an interval long enough for both."""
        shortest = frames / self.fps
        if members <= 1:
            return min(LONGEST, max(shortest, (self._others + self._trained) / self.share))
        train = min(self._demand, self._train_cap(frames))
        return min(LONGEST, max(shortest, self._others / (self.share - train)))

    def _train_cap(self, frames):
        """Of a core, the most the epochs may take: what leaves the frames (and all else)
        enough for ``fps_goal`` frames a second, and at least half of ``share``."""
        frames_need = self._others * self.fps_goal / frames    # CPU a second at that rate
        return max(0.5 * self.share, min(0.9 * self.share, self.share - frames_need))

    def _log(self, now, runs):
        """One line on stderr (``BPX_ENGINE_LOG=seconds``): what an operator tunes by."""
        ticks = self.ticks - self._logged_ticks
        print(f"class-engine: {ticks / (now - self._logged):.1f} ticks/s, {runs} runs this "
              f"tick, period {self.period * 1e3:.1f} ms, process CPU "
              f"{1e3 * (self._tick_cpu or 0):.1f} ms an interval, training "
              f"{1e3 * self._trained:.1f} ms (wanted: {self._demand:.2f} of a core), "
              f"longest tick {1e3 * self._longest:.0f} ms, "
              f"epoch costs (ms) "
              + ", ".join(f"{1e3 * c:.3f}" for c in self._cost.values())
              + f"; a turn to draw {1e3 * self._drawn / max(1, self._draws):.2f} ms CPU"
              + (f"; {self._tops_n} page tops, {1e3 * self._tops_wall / self._tops_n:.0f} "
                 f"ms each ({1e3 * self._tops_cpu / self._tops_n:.0f} ms CPU)"
                 if self._tops_n else "")
              + (str(COLLECTIONS) if COLLECTIONS is not None else ""),
              file=sys.stderr, flush=True)
        if COLLECTIONS is not None:
            COLLECTIONS.clear()
        self._logged, self._logged_ticks = now, self.ticks
        self._drawn, self._draws, self._longest = 0.0, 0, 0.0
        self._tops_wall = self._tops_cpu = 0.0
        self._tops_n = 0

    def _budget(self, members):
        """Seconds of training this tick: alone, ``alone_fill`` of the interval; shared,
        what the interval leaves after the rest of the process (frames, pages), and at
        least what ``_next_period`` planned for the epochs."""
        if members <= 1:
            return self.alone_fill * self.period
        planned = min(self._demand, self._train_cap(self._frames)) * self.period
        return max(self.share * self.period - self._others, planned, 0.002)

    def _train(self, batch, members):
        """Train the tickets: a stack per shape, the rest alone, each run its part."""
        groups = defaultdict(list)
        for i, t in enumerate(batch):
            key = None if _many_steps(t.trainer) else stack_key(t.trainer)
            groups[key if key is not None else ("alone", i)].append(t)
        cost = {key: self._cost.get(_cost_key(key, ts[0].trainer), 0.002)
                for key, ts in groups.items()}
        # what the runs want of a core: their speed at their epochs' cost (a run without
        # a speed limit wants all it can get)
        rate = min(self.share, sum(t.pace * cost[key] if t.pace is not None else math.inf
                                   for key, ts in groups.items() for t in ts))
        self._demand = rate if not self.ticks else 0.7 * self._demand + 0.3 * rate
        budget = self._budget(members)
        # the tick's seconds shared out fairly in time (each run its wanted epochs at its
        # epoch's cost, the unlimited ones all they can get): a run that wants little
        # gets it all, whatever the others want or cost
        runs = [(key, t) for key, ts in groups.items() for t in ts]
        wants = [min(t.want, t.most) * cost[key] if t.want is not None else t.most * cost[key]
                 for key, t in runs]
        shares = fair_shares(wants, budget, [t.client for _, t in runs])
        seconds_of = {id(t): s for (_, t), s in zip(runs, shares)}
        t0, captured = time.thread_time(), [0.0]
        for key, tickets in groups.items():
            c = cost[key]                     # seconds a run's epoch costs in this group
            epochs = [min(t.most, max(1, int(seconds_of[id(t)] / c + 0.5))) for t in tickets]
            seconds = 2.0 * max(epochs) * c * len(tickets) + 0.002   # twice the plan, at most
            if len(tickets) == 1:         # alone, an epoch may pause mid-way: its part, at most
                seconds = min(seconds, 1.5 * seconds_of[id(tickets[0])] + 0.002)
            g0, c0 = time.thread_time(), captured[0]
            try:
                done = _train_group(tickets, epochs, time.perf_counter() + seconds, captured)
                if len(tickets) > 1:
                    self.stacked += len(tickets)
            except Exception as exc:       # noqa: BLE001 -- its owners raise it, not the engine
                for t in tickets:
                    t.error = exc
                continue
            for t, d in zip(tickets, done):
                t.done = d
            spent = time.thread_time() - g0 - (captured[0] - c0)
            ck = _cost_key(key, tickets[0].trainer)
            if sum(done):
                per = spent / sum(done)
                self._cost[ck] = per if ck not in self._cost else 0.7 * self._cost[ck] + 0.3 * per
            else:                         # an epoch paused mid-way costs more than this
                self._cost[ck] = max(self._cost.get(ck, 0.0), spent)
        # the frames captured count with the frames, not the epochs
        self._trained = time.thread_time() - t0 - captured[0]
        if len(self._cost) > 256:          # shapes seen long ago
            self._cost.clear()


STEPS_IN_A_STACK = 64      # a run with more steps an epoch trains alone (see _many_steps)


def _many_steps(trainer):
    """Whether an epoch of ``trainer`` takes so many steps (batch 1 on 2,000 points: 1,400)
    that it is slow: it trains alone, where :meth:`Trainer.run` pauses an epoch mid-way
    at its part of a tick (a stack only stops between epochs, and held every other run's
    frame for a whole epoch of all its runs: 2 s for ten such tabs)."""
    return math.ceil(len(trainer.X) / max(1, trainer.batch_size)) > STEPS_IN_A_STACK


def fair_shares(wants, budget, clients=None):
    """Share ``budget`` seconds out among runs that want ``wants`` seconds each, fairly
    in time (max-min, "water filling"): every run gets what it wants or the same level
    as every other run that wants more, whichever is less; all of ``budget`` is shared
    out unless every run has what it wants. With ``clients`` (whose each run is), the
    clients are shared out to first (each wanting what its runs want), then each
    client's part among its runs.

    A run whose epochs are cheap, or that wants few, then gets all it wants beside
    runs that want a hundred times more; and twenty tabs of one browser, each asking
    for all it can get, share what one student would get, not twenty students' part."""
    if clients is not None:
        runs_of = defaultdict(list)
        for i, c in enumerate(clients):
            runs_of[c].append(i)
        groups = list(runs_of.values())
        parts = fair_shares([sum(wants[i] for i in g) for g in groups], budget)
        out = [0.0] * len(wants)
        for g, part in zip(groups, parts):
            for i, s in zip(g, fair_shares([wants[i] for i in g], part)):
                out[i] = s
        return out
    out, left, todo = [0.0] * len(wants), float(budget), sorted(range(len(wants)),
                                                                 key=lambda i: wants[i])
    for k, i in enumerate(todo):
        level = left / (len(todo) - k)          # what each run still waiting would get
        out[i] = min(wants[i], level)
        left -= out[i]
    return out


def _train_group(tickets, epochs, deadline, captured):
    """Train one group's runs (one stack, or one run alone), capturing each run's
    frames as its epochs reach each of its ``frames`` even parts (and its last state,
    whatever the deadline left: a message has a frame); returns the epochs done."""
    def capture(t):
        c0 = time.thread_time()
        t.payloads.append(t.capture())
        captured[0] += time.thread_time() - c0

    # the epoch counts after which each run's frames are captured
    marks = [{e * (j + 1) // t.frames for j in range(t.frames)} - {0}
             if t.capture is not None else set() for t, e in zip(tickets, epochs)]
    if len(tickets) == 1:
        t, e = tickets[0], epochs[0]
        done, ends = [0], sorted(marks[0]) or [e]
        for end in ends:
            if end <= done[0] or t.leaving or (done[0] and time.perf_counter() >= deadline):
                continue
            left = max(0.001, deadline - time.perf_counter())
            done[0] += t.trainer.run(end - done[0], time_budget=left,
                                     should_stop=lambda: t.leaving)
            if done[0] in marks[0] and not t.leaving:
                capture(t)
        _release(t)
    else:
        def after_epoch(i, n):
            if n in marks[i] and not tickets[i].leaving:
                capture(tickets[i])
        done = train_together([t.trainer for t in tickets], epochs, deadline,
                              leaving=lambda i: tickets[i].leaving, after_epoch=after_epoch,
                              left=lambda i: _release(tickets[i]))
    for t, d in zip(tickets, done):       # the state it ended in, if no frame showed it yet
        # (none for a run that ended mid-way through its first epoch: its picture stays)
        if t.capture is not None and not t.leaving and d and (not t.payloads or _stale(t)):
            capture(t)
    return done


def _release(t):
    """A run that is leaving (its owner waits in :meth:`Engine.withdraw`) and is out of
    its stack goes at once: a Pause waits for the epoch under way, not for the tick's
    other runs, frames and stacks (which, beside a class's pages drawn again after
    Pause, took seconds)."""
    if t.leaving:
        t.event.set()


def _stale(t):
    """Whether the ticket's last frame is of an earlier epoch than its trainer's."""
    last = t.payloads[-1]
    return isinstance(last, dict) and last.get("epoch") != t.trainer.epoch


def _cost_key(key, trainer):
    """What an epoch's cost depends on: a stack's shape, or a lone run's network and data."""
    if key[0] != "alone":
        return key
    return ("alone", tuple(trainer.net.sizes), trainer.batch_size, len(trainer.X))


__all__ = ["Engine", "Ticket", "NAP_SECONDS", "fair_shares"]
