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

