import tracemalloc

import numpy as np
import pytest

from explorer import labs
from explorer import params as P
from explorer.app.frames import view_payload
from explorer.data import load_digits_data
from explorer.lens.diagnostics import activation_regions, grid_eval, plane_grid


@pytest.fixture(scope="module")
def digits():
    return load_digits_data()


def clf(**changes):
    v = P.ClassifierSettings(**changes)
    return labs.ClassifierLab(labs.dataset_for(v), v)


def test_training_hyperparameters_change_mid_run_without_losing_the_weights():
    lab = clf()
    lab.trainer.run(3)
    w = lab.net.params["W1"].copy()
    v = lab.values.replace(lr=0.1, opt="momentum", bs=8, l2=0.01, clip=2.0)
    assert not lab.needs_rebuild(v)
    lab.apply(v)
    assert np.array_equal(lab.net.params["W1"], w) and lab.epoch == 3
    t = lab.trainer
    assert (t.optimizer, t.opt.lr, t.batch_size, t.l2, t.clip) == ("momentum", 0.1, 8, 0.01, 2.0)
    lab.trainer.run(1)
    assert lab.epoch == 4


@pytest.mark.parametrize("key,value", [("data", "xor"), ("seed", 5), ("h1", 3), ("layers", 3),
                                       ("init", "xavier"), ("noise", 0.4)])
def test_data_or_architecture_changes_ask_for_a_new_network(key, value):
    lab = clf()
    assert lab.needs_rebuild(lab.values.replace(**{key: value}))


def test_bad_learning_rate_is_refused_by_the_trainer():
    lab = clf()
    with pytest.raises(ValueError, match="learning rate"):
        lab.trainer.set_hyperparameters(optimizer="adam", lr=float("nan"), batch_size=32)


@pytest.mark.parametrize("act", ["relu", "tanh"])
@pytest.mark.parametrize("res, units, chunk", [(37, 1, 100), (40, 3, 64), (25, 4, 1), (30, 7, 10**6)])
def test_a_grid_in_chunks_is_the_grid_at_once_and_keeps_only_what_is_asked(act, res, units, chunk):
    lab = clf(data="blobs", classes=4, layers=3, h1=9, h2=5, h3=3, act=act)
    lab.trainer.run(3)
    xs, ys, Pl = plane_grid(lab.extent, res)
    X = lab.inputs(Pl)
    out, cache = lab.net.forward(X)                          # the whole grid at once
    probs, A, M = grid_eval(lab.net, xs, ys, X, units=units, chunk=chunk)
    assert np.array_equal(probs, out.reshape(res, res, -1))
    for l, (a, m) in enumerate(zip(A, M)):
        h = cache["H"][l + 1].reshape(res, res, -1)[::units, ::units]
        assert np.array_equal(a, h)
        if act == "relu":
            assert np.array_equal(m, cache["masks"][l].reshape(res, res, -1)[::units, ::units])
        else:
            assert m is None
    probs2, A2, M2 = grid_eval(lab.net, xs, ys, X, units=None, chunk=chunk)
    assert np.array_equal(probs2, probs) and A2 == [None] * 3 and M2 == [None] * 3
    _, A3, M3 = grid_eval(lab.net, xs, ys, X, acts=False, chunk=chunk)
    assert A3 == [None] * 3 and all((m3 is None) == (act != "relu") for m3 in M3)


def test_a_page_open_of_the_largest_network_at_the_finest_grid_holds_little_memory():
    # issue 24: 30 opens at once of layers=4, h=64, res=200 took the server to 1.9 GB,
    # every grid kept z, h and slope of every unit at every point (130 MB). Now a grid's
    # scratch is GRID_SCRATCH; what is kept is what is drawn (bench/load.py --link
    # measures the whole server: 585 MB peak for 30 such opens)
    v, _ = P.parse(P.ClassifierSettings, {"layers": "4", "h1": "64", "h2": "64", "h3": "64",
                                  "h4": "64", "res": "200"})
    lab = labs.ClassifierLab(labs.dataset_for(v), v)
    lab.trainer.run(1)
    tracemalloc.start()
    try:
        for draw, budget_mb in ((lambda: view_payload(lab, res=200), 16),
                                (lambda: activation_regions(lab.grid(200, acts=False)[4]), 30)):
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            draw()
            assert tracemalloc.get_traced_memory()[1] - before < budget_mb * 1e6
    finally:
        tracemalloc.stop()


def test_grid_confusion_and_snapshots_line_up():
    lab = clf(data="blobs", classes=4, res=40)
    lab.trainer.run(5)
    xs, ys, probs, acts, masks = lab.grid(40)
    assert probs.shape == (40, 40, 4) and np.allclose(probs.sum(-1), 1, atol=1e-5)
    assert [a.shape[-1] for a in acts] == [16, 16] and masks[0].dtype == bool
    cm = lab.confusion()
    assert cm.shape == (4, 4) and cm.sum() == len(lab.ds.y_test)
    assert lab.snapshot_epochs() == [0, 1, 2, 3, 4, 5]
    p0 = lab.params_at(0)
    assert not np.array_equal(p0["W1"], lab.net.params["W1"])
    # the network at epoch 0 is the freshly initialised one
    fresh = clf(data="blobs", classes=4, res=40)
    assert np.array_equal(p0["W1"], fresh.net.params["W1"])
    assert lab.grid(40, epoch=0)[2].shape == probs.shape


def test_dead_layers_are_reported():
    lab = clf()
    lab.net.params["b1"][:] = -1e3
    lab.trainer.run(1)
    assert lab.dead_layers()[0] == (1, 1.0)


def test_autoencoder_lab_shows_reconstructions_codes_and_a_pca_reference(digits):
    v = P.AutoencoderSettings()
    lab = labs.AutoencoderLab(digits, v)
    X, Xhat, y = lab.grid_digits()
    assert X.shape == Xhat.shape == (10, 64) and sorted(y) == list(range(10))
    assert 0 < lab.pca_error() < 1
    C2, axes = lab.codes_2d()
    assert C2.shape == (len(digits.X_test), 2) and axes[0] == "principal component 1"
    firing, dead = lab.firing()
    assert firing.shape == (10, v.hidden) and dead.shape == (v.hidden,)
    steps = lab.interpolate(0, 1, 5)
    assert steps.shape == (5, 64)
    ends = lab.net.predict(digits.X_test[[0, 1]])
    assert np.allclose(steps[[0, -1]], ends, atol=1e-5)
    assert not lab.needs_rebuild(v.replace(lr=0.05, noise=0.1))
    lab.apply(v.replace(lr=0.05, noise=0.1))
    assert lab.trainer.input_noise == 0.1 and lab.trainer.lr == 0.05
    assert lab.needs_rebuild(v.replace(hidden=8))


def test_dead_units_warn_only_when_they_hurt_and_suggest_what_is_not_chosen():
    from explorer.lessons import BY_KEY
    lesson = BY_KEY["dead_relu"]                   # spirals, Adam at 0.1: half a layer dies
    lab = labs.ClassifierLab(labs.dataset_for(lesson.values()), lesson.values())
    lab.trainer.run(200)
    message, suggestions = lab.dead_warning()
    assert "dead units" in message and {"act": "leaky_relu"} in suggestions
    assert all(lab.values.get(k) != v for change in suggestions for k, v in change.items())
    acc = lab.trainer.history["train_acc"][-1]
    # a suggestion that keeps the weights (the learning rate) cannot revive a dead unit:
    # tried from the state where it is shown, it does not help, so it says "press Reset"
    for (text, change) in zip(message.split("Try ")[1].split(", or "), suggestions):
        if not lab.needs_rebuild(lab.values.replace(**change)):
            assert "press Reset" in text, text
    # every suggestion, tried from the same start, leaves fewer dead units or learns more
    for change in suggestions:
        values = lesson.values().replace(**change)
        other = labs.ClassifierLab(labs.dataset_for(values), values)
        other.trainer.run(200)
        h = other.trainer.history
        assert (max(h["dead_frac"][-1]) < max(lab.trainer.history["dead_frac"][-1])
                or h["train_acc"][-1] > acc + 0.1), change
    # a network that learned its data needs no warning, dead units or not
    good = clf(data="moons")
    good.trainer.run(100)
    good.trainer.history["dead_frac"][-1] = [0.75, 0.75]
    assert good.trainer.history["train_acc"][-1] >= 0.9 and good.dead_warning() is None
    leaky = labs.ClassifierLab(labs.dataset_for(lesson.values(act="leaky_relu")),
                               lesson.values(act="leaky_relu"))
    leaky.trainer.history["dead_frac"][-1] = [0.75, 0.75]
    leaky.trainer.epoch = 50
    assert "leaky" not in (leaky.dead_warning() or ("",))[0]


def test_points_added_and_removed_on_the_plane_are_trained_on_and_the_weights_kept():
    lab = clf(data="moons")
    lab.trainer.run(3)
    n, w = len(lab.ds.y_train), lab.net.params["W1"].copy()
    lab.add_point(0.5, -0.25, 1)
    assert len(lab.ds.y_train) == n + 1 and lab.trainer.X.shape[0] == n + 1
    assert np.array_equal(lab.ds.X_train[-1], [0.5, -0.25]) and lab.trainer.y[-1] == 1
    assert np.array_equal(lab.net.params["W1"], w) and lab.epoch == 3
    lab.remove_point(0)
    assert len(lab.ds.y_train) == n and lab.trainer.X.shape[0] == n
    lab.trainer.run(1)
    assert lab.epoch == 4 and len(lab.trainer.history["epoch"]) == 5
    with pytest.raises(ValueError):
        lab.add_point(0.0, 0.0, 7)
    with pytest.raises(ValueError):
        lab.remove_point(10_000)


def test_a_code_of_two_is_drawn_as_it_is_and_most_dead_codes_warn():
    digits = load_digits_data()
    lab = labs.AutoencoderLab(digits, P.AutoencoderSettings(hidden=2))
    P2, axes = lab.codes_2d()
    from explorer.lens.diagnostics import codes
    assert np.allclose(P2, codes(lab.net, digits.X_test)) and axes == ("code unit 1", "code unit 2")
    assert lab.dead_code_warning() is None
    lab.net.params["b1"][:] = -100.0                # every code unit off for every image
    assert "2 of 2 code units are dead" in lab.dead_code_warning()
