import math
import subprocess
from pathlib import Path
import sys

import numpy as np
import pytest

from explorer import MLP, Trainer
from explorer.nn import train as T

from .helpers import diverged_trainer


def _two_clusters(n=20, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    X = rng.standard_normal((n, 2)) * 0.3 + np.where(y[:, None] == 1, 1.0, -1.0)
    return X, y


def test_initial_cross_entropy_is_near_log_K():
    rng = np.random.default_rng(0)
    for K in (2, 3, 5):
        X = rng.standard_normal((400, 2))
        y = rng.integers(0, K, 400)
        losses = [MLP([2, 16, 16, K], seed=s).loss(X, y) for s in range(5)]
        assert abs(np.mean(losses) - math.log(K)) < 0.05 * math.log(K)


def test_twenty_points_are_fit_to_full_accuracy():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((20, 2))
    y = rng.integers(0, 3, 20)                  # random labels: pure memorisation
    net = MLP([2, 32, 32, 3], seed=0)
    Trainer(net, X, y, optimizer="adam", lr=0.01, batch_size=20, seed=0).run(1500)
    assert (net.predict(X) == y).mean() == 1.0


def test_autoencoder_loss_falls():
    X = np.random.default_rng(0).random((100, 16))
    net = MLP([16, 8, 16], output="relu", seed=0)
    t = Trainer(net, X, X, optimizer="adam", lr=0.01, batch_size=20, seed=0)
    t.run(30)
    h = t.history
    assert h["train_loss"][-1] < 0.5 * h["train_loss"][0]


@pytest.mark.parametrize("opt,lr", [("sgd", 0.5), ("momentum", 0.1), ("adam", 0.02)])
def test_every_optimizer_lowers_the_loss(opt, lr):
    X, y = _two_clusters(60)
    net = MLP([2, 8, 8, 2], seed=0)
    t = Trainer(net, X, y, optimizer=opt, lr=lr, batch_size=10, seed=0)
    t.run(20)
    assert t.history["train_loss"][-1] < 0.5 * t.history["train_loss"][0]
    assert t.history["train_acc"][-1] == 1.0


def test_same_seed_gives_an_identical_run_and_another_seed_does_not():
    X, y = _two_clusters(40)

    def run(seed):
        net = MLP([2, 8, 8, 2], seed=seed)
        t = Trainer(net, X, y, optimizer="adam", lr=0.05, batch_size=7, seed=seed)
        t.run(5)
        return net.params, t.history["train_loss"]

    (p1, l1), (p2, l2), (p3, _) = run(3), run(3), run(4)
    assert l1 == l2
    assert all(np.array_equal(p1[k], p2[k]) for k in p1)
    assert not np.array_equal(p1["W1"], p3["W1"])


@pytest.mark.parametrize("opt", ["sgd", "momentum", "adam"])
def test_restore_goes_back_to_a_checkpoint_as_if_the_epochs_between_never_ran(opt):
    """The live loop undoes a chunk whose frame never reached the screen: training on
    from the checkpoint must be the run that never took that chunk."""
    X, y = _two_clusters(40)

    def trainer():
        # small batches (a new order each epoch), few snapshots and a short history
        # (both thinned on the way, the history within the chunk that is undone)
        return Trainer(MLP([2, 8, 8, 2], seed=3), X, y, X_test=X[:10], y_test=y[:10],
                       optimizer=opt, lr=0.05, batch_size=7, seed=5, max_snapshots=4,
                       max_history=8)

    a, b = trainer(), trainer()
    a.run(6)
    cp = a.checkpoint()
    a.run(9)                                    # the chunk that is undone
    assert a.epoch == 15
    a.restore(cp)
    assert a.epoch == 6 and len(a.history["epoch"]) == 7
    a.run(5)
    b.run(11)
    for k in b.net.params:
        np.testing.assert_array_equal(a.net.params[k], b.net.params[k])
    timed = {"seconds"}                          # wall clock: differs run to run
    assert {k: v for k, v in a.history.items() if k not in timed} == \
        {k: v for k, v in b.history.items() if k not in timed}
    assert [e for e, _ in a.snapshots] == [e for e, _ in b.snapshots]
    assert a.snapshot_every == b.snapshot_every and a.steps == b.steps
    assert a.history_stride == b.history_stride > 1
    for k in b.last_grads:
        np.testing.assert_array_equal(a.last_grads[k], b.last_grads[k])
    # the checkpoint is a copy: training after it did not change it
    a.restore(cp)
    assert a.epoch == 6


def test_a_long_run_keeps_a_bounded_history_thinned_with_the_first_and_last_epoch():
    # 50 presses at fast speed were 100,000 epochs: +86 MB of history and 39.9 MB of
    # chart data on every later interaction
    X, y = _two_clusters(20)

    def trainer(**kw):
        return Trainer(MLP([2, 4, 2], seed=1), X, y, optimizer="sgd", lr=0.05,
                       batch_size=20, seed=2, **kw)
    capped, full = trainer(max_history=64), trainer(max_history=10**6)
    capped.run(3000)
    full.run(3000)
    ep = capped.history["epoch"]
    assert len(ep) <= 65 and ep[0] == 0 and ep[-1] == 3000 and ep == sorted(set(ep))
    assert all(len(v) == len(ep) for v in capped.history.values())
    # no gap wider than the stride (the epochs since the last thinning are all there)
    assert 1 < capped.history_stride <= 4 * 3000 / 64 and max(np.diff(ep)) <= capped.history_stride
    for k in ("train_loss", "train_acc", "grad_W", "dead_frac"):     # the same numbers
        assert capped.history[k] == [full.history[k][e] for e in ep]
    assert len(capped.history_arrays()["train_loss"]) == len(ep)


def test_inputs_are_never_modified():
    X, y = _two_clusters(30)
    X0, y0 = X.copy(), y.copy()
    net = MLP([2, 8, 8, 2], seed=0)
    net.loss_and_grads(X, y)
    net.forward(X)
    Trainer(net, X, y, X_test=X, y_test=y, l2=0.1, clip=0.5, input_noise=0.1).run(3)
    assert np.array_equal(X, X0) and np.array_equal(y, y0)


def test_loss_and_grads_reads_params_at_call_time():
    X, y = _two_clusters(10)
    net = MLP([2, 4, 2], seed=0)
    before, _ = net.loss_and_grads(X, y)
    net.params["b2"][0] += 5.0
    after, _ = net.loss_and_grads(X, y)
    assert before != after


def test_history_has_per_layer_diagnostics_for_every_epoch():
    X, y = _two_clusters(50)
    net = MLP([2, 8, 8, 8, 2], seed=0)
    t = Trainer(net, X, y, X_test=X[:10], y_test=y[:10], batch_size=10, snapshot_every=2)
    t.run(6)
    h = t.history
    assert h["epoch"] == list(range(7))
    for key in ("grad_W", "grad_b", "update_ratio"):
        assert len(h[key]) == 7 and all(len(v) == 4 for v in h[key])
        assert all(x > 0 for x in h[key][-1])
    assert all(len(v) == 3 for v in h["dead_frac"])
    assert h["test_acc"][-1] is not None
    assert [e for e, _ in t.snapshots] == [0, 2, 4, 6]
    arrays = t.history_arrays()
    assert arrays["grad_W"].shape == (7, 4) and arrays["train_loss"].shape == (7,)


def test_gradient_norm_is_reported_before_clipping():
    X, y = _two_clusters(40)
    a, b = MLP([2, 8, 2], seed=0), MLP([2, 8, 2], seed=0)
    ta = Trainer(a, X, y, optimizer="sgd", lr=0.1, batch_size=40, clip=None)
    tb = Trainer(b, X, y, optimizer="sgd", lr=0.1, batch_size=40, clip=1e-3)
    ta.run(1), tb.run(1)
    assert ta.history["grad_W"][1] == tb.history["grad_W"][1]
    # but the clipped run moved the weights by at most lr * clip
    step = math.sqrt(sum(np.sum((b.params[k] - ta._epoch_start[k]) ** 2) for k in b.params))
    assert step <= 0.1 * 1e-3 + 1e-12


def test_snapshots_are_thinned_but_keep_the_start():
    X, y = _two_clusters(20)
    t = Trainer(MLP([2, 4, 2], seed=0), X, y, batch_size=20, max_snapshots=8)
    t.run(40)
    epochs = [e for e, _ in t.snapshots]
    assert len(epochs) <= 8 and epochs[0] == 0 and epochs == sorted(epochs)


def test_dead_units_are_counted_per_layer():
    X, y = _two_clusters(30)
    net = MLP([2, 4, 4, 2], seed=0)
    net.params["b1"][:2] = -100.0              # two of four first-layer units never fire
    t = Trainer(net, X, y)
    assert t.history["dead_frac"][0][0] == 0.5


def test_divergence_stops_at_the_first_nonfinite_step_and_keeps_finite_weights():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 2)) * 3
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    net = MLP([2, 16, 16, 2], seed=0)
    t = Trainer(net, X, y, optimizer="momentum", lr=1e3, batch_size=200)
    done = t.run(50)
    assert t.diverged is not None and done < 50
    assert "diverged" in t.diverged.message and t.diverged.cause == "loss_exploded"
    assert all(np.isfinite(v).all() for v in net.params.values())
    # the weights are those the history's last entry describes
    assert np.isclose(net.loss(X, y), t.history["train_loss"][-1], rtol=1e-9)
    assert t.run(5) == 0                       # stays stopped
    assert len(t.history["epoch"]) == done + 1


def test_the_steps_that_blew_up_are_kept_for_the_charts():
    t = diverged_trainer()
    d = t.diverged
    trail = d.trail
    assert len(trail["epoch"]) == len(trail["loss"]) == len(trail["grad_norm"]) >= 1
    # the last step kept is the bad one, at a fraction of the epoch that blew up
    assert trail["loss"][-1] == d.loss and trail["grad_norm"][-1] == d.grad_norm
    assert d.epoch - 1 < trail["epoch"][-1] <= d.epoch
    assert d.cause in ("loss_nan", "loss_exploded", "grad_nan")
    assert np.all(np.diff(trail["epoch"]) > 0)


def test_a_loss_that_overflows_stops_training_at_that_step():
    X = np.random.default_rng(0).random((20, 8)) * 1e3
    net = MLP([8, 4, 8], output="relu", seed=0, dtype=np.float32)
    net.params["b2"][:] = 1e18                 # squares overflow float32 on the first step
    t = Trainer(net, X, X, optimizer="sgd", lr=0.1, batch_size=20)
    assert t.run(3) == 0
    assert t.diverged.step == 1 and "infinite or NaN" in t.diverged.message


def test_time_budget_and_stop_callback_end_a_run_early():
    X, y = _two_clusters(20)
    t = Trainer(MLP([2, 4, 2], seed=0), X, y)
    assert t.run(1000, time_budget=0.0) == 1
    assert t.run(1000, should_stop=lambda: True) == 1


def test_bad_learning_rate_is_refused_with_a_message():
    X, y = _two_clusters(10)
    for lr in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="learning rate"):
            Trainer(MLP([2, 4, 2]), X, y, lr=lr)


def test_float32_network_trains_and_keeps_its_dtype():
    X, y = _two_clusters(40)
    net = MLP([2, 8, 8, 2], seed=0, dtype=np.float32)
    t = Trainer(net, X, y, optimizer="adam", lr=0.05, batch_size=8)
    t.run(10)
    assert all(v.dtype == np.float32 for v in net.params.values())
    assert t.history["train_acc"][-1] == 1.0


def test_core_imports_neither_streamlit_nor_plotly():
    """Every module of explorer/ outside the app package, imported in a fresh interpreter."""
    root = Path(__file__).resolve().parents[1] / "explorer"
    modules = sorted(
        "explorer." + ".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        for p in root.rglob("*.py") if "app" not in p.relative_to(root).parts)
    assert "explorer.nn.network" in modules and "explorer.params" in modules
    code = (f"import sys, importlib\nfor m in {modules!r}: importlib.import_module(m)\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('streamlit', 'plotly', 'torch')]\n"
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=root.parent)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("bs", [1, 7, 40])
def test_an_epoch_paused_at_a_deadline_goes_on_as_if_it_had_never_stopped(bs, monkeypatch):
    # batches of 1 on 2,000 points with 4x64 made one epoch ~0.2 s, uninterruptible: one
    # client's tabs took the server from another student. An epoch now stops between
    # steps at its deadline; a clock that ticks once a call makes it deterministic
    X, y = _two_clusters(40)

    def trainer():
        return Trainer(MLP([2, 8, 8, 2], seed=3), X, y, X_test=X[:10], y_test=y[:10],
                       optimizer="adam", lr=0.05, batch_size=bs, seed=5)
    a, b = trainer(), trainer()
    b.run(4)
    ticks = iter(range(10**9))
    monkeypatch.setattr(T.time, "perf_counter", lambda: float(next(ticks)))
    taken, step = [], a.step
    a.step = lambda *args: taken.append(1) or step(*args)       # count the steps a call takes
    calls, steps = 0, []
    while a.epoch < 4:
        taken.clear()
        a.run(4 - a.epoch, time_budget=3)        # a few steps a call
        calls += 1
        steps.append(len(taken))
        if a._partial is not None:
            # paused mid-epoch, the trainer shows the end of the last complete epoch
            assert all(np.array_equal(a.net.params[k], a._epoch_start[k]) for k in a.net.params)
        if calls == 3:                           # an undone chunk in the middle of an epoch
            cp = a.checkpoint()
            a.run(1, time_budget=3)
            a.restore(cp)
        if calls == 5:                           # the page ran again (settings applied):
            a.set_hyperparameters(lr=0.05)       # the epoch starts again, same order
    assert max(steps) <= 4 and (bs == 40 or calls > 4)           # never a whole slow epoch
    for k in b.net.params:
        np.testing.assert_array_equal(a.net.params[k], b.net.params[k])
    timed = {"seconds"}
    assert {k: v for k, v in a.history.items() if k not in timed} == \
        {k: v for k, v in b.history.items() if k not in timed}
    # new data in the middle of an epoch: that epoch starts again on it (a full batch is
    # one step: never in the middle)
    a.run(1, time_budget=2)
    assert (a._partial is not None) == (bs < 40)
    a.set_data(X[:30], y[:30])
    assert a._partial is None and a.run(1) == 1 and a.epoch == (5 if bs < 40 else 6)
