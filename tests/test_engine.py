"""The class engine (explorer/app/engine.py): runs trained in its ticks are the runs
trained alone, each keeps to itself, and it starts one thread whatever it is asked."""
import copy
import threading

import numpy as np
import pytest

from explorer import MLP, Trainer
from explorer.app.engine import Engine
from explorer.data.points import DATASETS


def _trainer(seed, kind="moons", sizes=(2, 16, 16, 3), optimizer="adam", **kw):
    X, y = DATASETS[kind].make(100, 0.1, 3, np.random.default_rng(seed))
    net = MLP(list(sizes), seed=seed, dtype=np.float32)
    return Trainer(net, X, y, X[:30], y[:30], optimizer=optimizer, lr=0.01, batch_size=20,
                   seed=seed, **kw)


def _bytes(t):
    return b"".join(v.tobytes() for v in t.net.params.values())


def _class(engine, trainers, rounds, frames=1):
    """Each trainer in its own thread, as a live run: ask, wait, ask again."""
    errors, payloads = [], [[] for _ in trainers]

    def run(i, t):
        try:
            with engine:
                for r in range(rounds):
                    ticket = engine.submit(t, 2 + (i + r) % 3, most=100, frames=frames,
                                           capture=(lambda: t.epoch) if frames > 1 else None)
                    engine.wait(ticket)
                    payloads[i].append(list(ticket.payloads))
        except Exception as exc:      # noqa: BLE001
            errors.append(exc)
    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(trainers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors, errors
    return payloads


def test_runs_trained_by_the_engine_are_the_runs_trained_alone():
    # two shapes (stacked per shape), another optimizer, another dataset
    runs = [_trainer(s) for s in range(4)] + [_trainer(9, sizes=(2, 8, 3))] + \
        [_trainer(s, optimizer="momentum") for s in (5, 6)] + [_trainer(7, kind="circles")]
    alone = copy.deepcopy(runs)
    engine = Engine(share=0.9, fps=200, alone_fill=0.5)
    _class(engine, runs, rounds=5)
    assert engine.stacked > 0                      # some ticks trained a stack
    for a, b in zip(alone, runs):
        a.run(b.epoch)                             # the same number of epochs, alone
        assert _bytes(a) == _bytes(b)
        assert a.history["train_loss"] == b.history["train_loss"]


def test_frames_captured_between_a_ticks_epochs():
    runs = [_trainer(s) for s in range(3)]
    engine = Engine(share=0.9, fps=200, alone_fill=0.5)
    payloads = _class(engine, runs, rounds=4, frames=2)
    for t, got in zip(runs, payloads):
        epochs = [e for message in got for e in message]
        assert epochs == sorted(set(epochs)) and epochs[-1] == t.epoch   # each frame newer
        assert all(1 <= len(message) <= 2 for message in got)


def test_a_withdrawn_ticket_leaves_its_trainer_alone():
    engine = Engine(share=0.9, fps=2, alone_fill=0.5)      # a tick every 0.5 s at most
    busy, quiet = _trainer(1), _trainer(2)
    before = _bytes(quiet)
    with engine:
        engine.wait(engine.submit(busy, 1, most=1))         # the first tick: at once
        ticket = engine.submit(quiet, 5, most=5)            # the next: half a second away
        engine.withdraw(ticket)
    assert ticket.state == "withdrawn" and quiet.epoch == 0 and _bytes(quiet) == before


def test_a_run_that_fails_raises_for_its_owner_only():
    def broken(net, X, y):
        raise RuntimeError("a broken backward pass")
    bad, good = _trainer(1, backward=broken), _trainer(2)
    engine = Engine(share=0.9, fps=200, alone_fill=0.5)
    with engine, engine:
        tb, tg = engine.submit(bad, 3, most=3), engine.submit(good, 3, most=3)
        with pytest.raises(RuntimeError, match="broken backward"):
            engine.wait(tb)
        engine.wait(tg)
    assert good.epoch >= 1 and bad.epoch == 0 and tg.error is None


def test_one_thread_however_many_runs_ask():
    def engines():
        return sum(t.name == "class-engine" for t in threading.enumerate())
    engine = Engine(share=0.9, fps=500, alone_fill=0.5)
    before, threads = engines(), threading.active_count()
    _class(engine, [_trainer(s) for s in range(6)], rounds=3)
    assert engines() == before + 1 and threading.active_count() == threads + 1



# --- sharing a tick fairly (issue 24, item 4) --------------------------------------
def test_fair_shares_give_a_run_that_wants_little_all_it_wants():
    from explorer.app.engine import fair_shares
    assert fair_shares([0.01, 5.0, 5.0], 1.0) == pytest.approx([0.01, 0.495, 0.495])
    assert fair_shares([0.1, 0.2], 1.0) == [0.1, 0.2]              # everyone has enough
    assert sum(fair_shares([3.0, 1.0, 2.0], 1.5)) == pytest.approx(1.5)
    assert fair_shares([], 1.0) == []


def test_twenty_tabs_of_one_browser_share_one_students_part():
    from explorer.app.engine import fair_shares
    clients = ["student"] + ["one browser"] * 20
    wants = [0.02] + [1.0] * 20
    shares = fair_shares(wants, 0.09, clients)
    assert shares[0] == pytest.approx(0.02)                  # the student: all it wants
    assert sum(shares[1:]) == pytest.approx(0.07)            # the browser: the rest, shared
    assert max(shares[1:]) == pytest.approx(min(shares[1:]))
    # two students who want a lot: each half, however many tabs the other has
    shares = fair_shares([1.0] + [1.0] * 20, 0.1, ["a"] + ["b"] * 20)
    assert shares[0] == pytest.approx(0.05) and sum(shares[1:]) == pytest.approx(0.05)


def test_slow_epochs_pause_mid_way_at_their_part_while_a_cheap_run_gets_its_epochs():
    # batch 1 on 2,000 points: 1,400 steps an epoch. Two such tabs made one stack, which
    # only stops between epochs: every other run waited for a whole epoch of both. Now
    # each trains alone and stops mid-way through its epoch at its part of the tick
    X, y = DATASETS["spirals"].make(2000, 0.1, 3, np.random.default_rng(0))
    slow = [Trainer(MLP([2, 64, 64, 64, 64, 3], seed=s, dtype=np.float32), X, y,
                    optimizer="adam", lr=0.01, batch_size=1, seed=s) for s in (0, 1)]
    cheap = _trainer(1)
    engine = Engine(share=0.9, fps=20, alone_fill=0.5)
    with engine.member("tabs"), engine.member("tabs"), engine.member("student"):
        ts = [engine.submit(t, None, most=10, client="tabs", capture=lambda: "a frame")
              for t in slow]
        tc = engine.submit(cheap, 3, most=3, client="student")
        for t in ts + [tc]:
            engine.wait(t)
    assert tc.done == 3 and cheap.epoch == 3
    for t, ticket in zip(slow, ts):
        assert ticket.done == 0 and t.epoch == 0 and t._partial is not None   # mid-epoch
        assert ticket.payloads == []      # no frame: its picture stays at its last epoch


def test_a_browser_has_at_most_its_live_runs():
    engine = Engine(share=0.9, fps=20, alone_fill=0.5)
    with engine.member("b", most=2) as first, engine.member("b", most=2) as second:
        with engine.member("b", most=2) as third, engine.member("other", most=2) as other:
            assert (first, second, third, other) == (True, True, False, True)
            assert engine.running == 3
    with engine.member("b", most=2) as again:
        assert again and engine.running == 1
    assert engine.running == 0 and not engine._by_client


def test_a_run_that_leaves_mid_tick_goes_before_the_rest_of_the_tick():
    # Pause under a class: the run's owner waited for the whole tick (every stack, every
    # frame), which beside thirty pages drawn again took seconds. It waits for its epoch.
    gate, released = threading.Event(), []

    def held(net, X, y):              # the last group of the tick: held until the gate opens
        gate.wait(10)
        return MLP.loss_and_grads(net, X, y)
    stacked = [_trainer(1), _trainer(2)]
    last = _trainer(3, sizes=(2, 8, 3), backward=held)
    engine = Engine(share=0.9, fps=1, alone_fill=0.5)

    def leave_now():                  # in the owner's thread, as a Pause: withdraw
        engine.withdraw(ta)
        released.append(gate.is_set())

    def capture():                    # the stack's first frame of run 0: its owner leaves
        if not ta.leaving:
            threading.Thread(target=leave_now).start()
            while not ta.leaving:
                threading.Event().wait(0.001)
        return stacked[0].epoch
    with engine, engine, engine:
        ta = engine.submit(stacked[0], 50, most=50, frames=2, capture=capture)
        tb = engine.submit(stacked[1], 50, most=50)
        tc = engine.submit(last, 1, most=1)
        for _ in range(1000):         # withdrawn while the held group still trains
            if released:
                break
            threading.Event().wait(0.01)
        gate.set()
        engine.wait(tb)
        engine.wait(tc)
    assert released == [False]
    assert tb.done == 50 and tc.done == 1 and 1 <= stacked[0].epoch < 50
