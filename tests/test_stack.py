"""The stacked trainer is the single trainer, bit for bit.

Runs are trained twice, alone (``Trainer.run``) and together
(``stack.train_together``), and compared epoch by epoch: every weight, every optimizer
vector, the step count, the generator's state, the last gradients, every history entry
and every snapshot, as bytes. What makes that hold (the module's docstring says it in
full): per run, ``np.matmul`` over a stack calls the BLAS routine ``np.dot`` calls for
that run alone with the same shapes; elementwise operations round each element alone;
reductions run along the same axis in the same order; the global norm is an exact sum
(``math.fsum``) in both. If a NumPy changed how it hands a stack to BLAS, these tests
would say so before a class saw two different runs.
"""
import copy

import numpy as np
import pytest

from explorer import MLP, Trainer
from explorer.data.points import DATASETS
from explorer.nn.stack import stack_key, train_together


def _points(kind, n, seed):
    X, y = DATASETS[kind].make(n, 0.1, 3, np.random.default_rng(seed))
    return X.astype(np.float32), y


def _classifier(seed, kind="moons", n=120, sizes=(2, 16, 16, 3), test=True, **kw):
    X, y = _points(kind, n, seed)
    Xt, yt = _points(kind, 60, seed + 1000) if test else (None, None)
    opts = dict(optimizer="adam", lr=0.01, batch_size=32, seed=seed)
    opts.update(kw)
    net = MLP([sizes[0], *sizes[1:-1], max(sizes[-1], int(y.max()) + 1)], seed=seed,
              dtype=np.float32, activation=opts.pop("activation", "relu"))
    return Trainer(net, X, y, Xt, yt, **opts)


def _same(a, b, where):
    """Equal as bytes (arrays, scalars, nested lists and dicts; NaN equals NaN)."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), where
    elif isinstance(a, float) and isinstance(b, float):
        assert np.float64(a).tobytes() == np.float64(b).tobytes(), f"{where}: {a!r} != {b!r}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _state(t):
    opt = {k: v for k, v in vars(t.opt).items() if k not in ("_views", "_keys", "_g")}   # _g: scratch
    return {"params": t.net.params, "opt": opt, "epoch": t.epoch, "steps": t.steps,
            "rng": t.rng.bit_generator.state, "last_grads": t.last_grads, "dead": t.dead,
            "history": {k: v for k, v in t.history.items() if k != "seconds"},
            "snapshots": t.snapshots, "snapshot_every": t.snapshot_every,
            "diverged": None if t.diverged is None else
            {k: v for k, v in vars(t.diverged).items()}}


def _check(trainers, rounds):
    """Train copies alone and the originals together, round by round, and compare."""
    alone = copy.deepcopy(trainers)
    for r, epochs in enumerate(rounds):
        done_alone = [t.run(e) for t, e in zip(alone, epochs)]
        done = train_together(trainers, epochs)
        assert done == done_alone, f"round {r}"
        for i, (a, b) in enumerate(zip(alone, trainers)):
            _same(_state(a), _state(b), f"round {r}, run {i}")


def test_runs_with_their_own_data_seed_rate_and_penalties_train_as_alone():
    runs = [_classifier(1, "moons", lr=0.01),
            _classifier(2, "circles", lr=0.003, l2=0.01),
            _classifier(3, "xor", lr=0.03, l1=0.001),
            _classifier(4, "spirals", lr=0.01, clip=0.5),
            _classifier(5, "blobs", lr=0.1, l1=0.0005, l2=0.001, clip=2.0)]
    assert len({stack_key(t) for t in runs}) == 1
    # different numbers of epochs: runs leave the stack while others go on
    _check(runs, [[3, 3, 3, 3, 3], [1, 4, 2, 0, 5], [6, 6, 6, 6, 6]])


@pytest.mark.parametrize("optimizer,lr", [("sgd", 0.3), ("momentum", 0.05), ("adam", 0.02)])
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid", "linear"])
def test_every_optimizer_and_activation(optimizer, lr, activation):
    runs = [_classifier(s, "moons", optimizer=optimizer, lr=lr * (1 + s / 10),
                        activation=activation) for s in range(3)]
    _check(runs, [[4, 4, 4]])


def test_full_batch_deep_and_no_test_set():
    runs = [_classifier(s, "spirals", n=90, sizes=(2, 8, 8, 8, 8, 3), batch_size=200,
                        test=False) for s in range(3)]
    _check(runs, [[5, 5, 5], [3, 1, 2]])
    runs = [_classifier(s, "moons", n=50, batch_size=1, lr=0.003) for s in range(2)]
    _check(runs, [[2, 2]])


def test_the_autoencoder():
    X = np.random.default_rng(0).random((80, 16)).astype(np.float32)
    runs = []
    for s in range(3):
        Xs = X[np.random.default_rng(s).permutation(80)]
        net = MLP([16, 8, 16], output="relu", seed=s, dtype=np.float32)
        runs.append(Trainer(net, Xs, Xs, Xs[:20], Xs[:20], optimizer="adam",
                            lr=0.01 * (s + 1), batch_size=16, seed=s, l2=0.001 * s))
    assert len({stack_key(t) for t in runs}) == 1
    _check(runs, [[3, 3, 3], [2, 4, 1]])


def test_a_run_that_blows_up_stops_as_alone_and_the_others_never_notice():
    runs = [_classifier(s, "moons", optimizer="sgd", lr=lr)
            for s, lr in ((1, 0.1), (2, 300.0), (3, 0.2), (4, 1e6))]
    _check(runs, [[6, 6, 6, 6], [2, 2, 2, 2]])
    assert runs[1].diverged is not None and runs[3].diverged is not None
    assert runs[0].diverged is None and runs[2].diverged is None
    # a NaN in a run's weights stays in that run
    nan = [_classifier(s, "moons") for s in range(3)]
    nan[1].net.params["W2"][0, 0] = np.nan
    _check(nan, [[3, 3, 3]])
    assert nan[1].diverged is not None
    assert all(np.isfinite(v).all() for t in (nan[0], nan[2]) for v in t.net.params.values())


def test_runs_that_cannot_share_a_stack_are_told_apart():
    base = _classifier(1)
    assert stack_key(_classifier(2)) == stack_key(base)
    for other in (_classifier(2, batch_size=16), _classifier(2, optimizer="sgd"),
                  _classifier(2, n=100), _classifier(2, sizes=(2, 8, 16, 3)),
                  _classifier(2, activation="tanh"), _classifier(2, test=False)):
        assert stack_key(other) != stack_key(base)
    noisy = _classifier(2, input_noise=0.1)
    assert stack_key(noisy) is None
    with pytest.raises(ValueError):
        train_together([base, _classifier(2, batch_size=16)], [1, 1])


def test_a_deadline_stops_between_epochs():
    runs = [_classifier(s) for s in range(3)]
    done = train_together(runs, [50, 50, 50], deadline=0.0)   # long past
    assert done == [1, 1, 1]
    assert [t.epoch for t in runs] == [1, 1, 1]


def test_a_run_whose_owner_wants_it_back_leaves_at_the_next_epoch():
    # Pause while a tick trains the run: it leaves the stack after the epoch under way,
    # with the state of a run trained alone that many epochs; the others go on
    runs = [_classifier(s) for s in range(3)]
    alone = copy.deepcopy(runs)
    done = train_together(runs, [8, 8, 8], leaving=lambda i: i == 1 and runs[1].epoch >= 2)
    assert done == [8, 2, 8]
    for a, b, n in zip(alone, runs, done):
        a.run(n)
        _same(_state(a), _state(b), f"after {n} epochs")
