"""The instruments' core (explorer.lens: landscape, lr_finder, influence, ablation,
fork): each checked against a definition or a slower way of computing the same
number. The Streamlit side is tested in tests/test_instruments_ui.py."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from explorer import MLP, Trainer, make_dataset
from explorer import params as P
from explorer.data.features import FEATURES, feature_matrix
from explorer.labs import ClassifierLab, dataset_for
from explorer.lens import ablation, fork, influence, landscape, lr_finder


@pytest.fixture(scope="module")
def moons():
    return make_dataset("moons", 200, 0.1, 2, 0.3, 0)


def trained(ds, epochs=20, sizes=(2, 16, 16, 2), **kw):
    net = MLP(list(sizes), seed=0)
    t = Trainer(net, ds.X_train, ds.y_train, optimizer="adam", lr=0.01, batch_size=32, **kw)
    t.run(epochs)
    return net, t


# --- loss landscape ----------------------------------------------------------------------
def test_filter_normalised_direction_has_each_rows_norm_and_no_bias():
    net = MLP([2, 5, 4, 3], seed=1)
    d = landscape.filter_normalised_direction(net.params, np.random.default_rng(0))
    for l in (1, 2, 3):
        W = net.params[f"W{l}"]
        assert np.allclose(np.linalg.norm(d[f"W{l}"], axis=1), np.linalg.norm(W, axis=1))
        assert not np.any(d[f"b{l}"])
    d2 = landscape.filter_normalised_direction(net.params, np.random.default_rng(1))
    assert not np.allclose(d["W1"], d2["W1"])           # a new draw, not a fixed pattern


def test_the_slice_is_the_loss_at_each_point_of_the_plane(moons):
    net, t = trained(moons, 5)
    rng = np.random.default_rng(0)
    d1 = landscape.filter_normalised_direction(net.params, rng)
    d2 = landscape.filter_normalised_direction(net.params, rng)
    a, b = np.array([-0.5, 0.0, 0.25]), np.array([0.0, 1.0])
    L = landscape.loss_surface(net, t.X, t.y, d1, d2, a, b)
    assert L.shape == (2, 3)
    assert L[0, 1] == pytest.approx(net.loss(t.X, t.y))
    probe = net.copy()
    probe.params = {k: net.params[k] + 0.25 * d1[k] + 1.0 * d2[k] for k in net.params}
    assert L[1, 2] == pytest.approx(probe.loss(t.X, t.y))
    before = {k: v.copy() for k, v in net.params.items()}
    assert all(np.array_equal(before[k], net.params[k]) for k in before)


def test_random_plane_is_lowest_near_a_trained_network(moons):
    net, t = trained(moons, 60)
    r = landscape.random_plane(net, t.X, t.y, res=9)
    assert r["loss"].shape == (9, 9) and r["loss"][4, 4] == pytest.approx(r["center_loss"])
    assert r["center_loss"] <= np.nanpercentile(r["loss"], 10)


def test_path_plane_puts_now_at_the_origin_and_the_start_at_one(moons):
    net, t = trained(moons, 30)
    r = landscape.path_plane(net, t.X, t.y, t.snapshots, res=7, epoch=t.epoch)
    assert (r["path_a"][0], r["path_b"][0]) == pytest.approx((1.0, 0.0))
    assert (r["path_a"][-1], r["path_b"][-1]) == pytest.approx((0.0, 0.0), abs=1e-12)
    assert 0 < r["shown"] <= 1 + 1e-9
    assert r["epochs"][0] == 0 and r["epochs"][-1] == t.epoch
    assert r["a"].min() < 0 < 1 < r["a"].max()            # the whole path is in view
    assert r["b"].min() <= r["path_b"].min() and r["b"].max() >= r["path_b"].max()
    d1, d2 = landscape.path_directions(net.params, t.snapshots)
    assert abs(landscape._dot(d1, d2)) < 1e-9 * landscape._dot(d1, d1)
    assert landscape._dot(d2, d2) == pytest.approx(landscape._dot(d1, d1))


def test_a_path_that_lies_in_the_plane_is_shown_whole():
    theta = {"W1": np.array([[1.0, 2.0]]), "b1": np.zeros(1)}
    d1 = {"W1": np.array([[1.0, 0.0]]), "b1": np.zeros(1)}
    d2 = {"W1": np.array([[0.0, 1.0]]), "b1": np.zeros(1)}
    snaps = [(e, {"W1": theta["W1"] + [[x, y]], "b1": np.zeros(1)})
             for e, (x, y) in enumerate([(1, 0), (0.5, 0.5), (0, 0)])]
    a, b, shown = landscape.project(theta, snaps, d1, d2)
    assert a.tolist() == [1, 0.5, 0] and b.tolist() == [0, 0.5, 0] and shown == pytest.approx(1)
    snaps[1][1]["b1"] = np.array([3.0])              # a detour out of the plane
    assert landscape.project(theta, snaps, d1, d2)[2] < 0.5


def test_path_plane_needs_a_path(moons):
    net, t = trained(moons, 0)
    with pytest.raises(ValueError, match="train first"):
        landscape.path_plane(net, t.X, t.y, t.snapshots)


def test_a_big_training_set_is_sampled_the_same_way_each_time():
    X, y = np.arange(2000.0).reshape(1000, 2), np.arange(1000)
    Xs, ys = landscape.sample_rows(X, y, 100)
    assert len(Xs) == 100 and np.array_equal(Xs[:, 0] / 2, ys)
    assert np.array_equal(landscape.sample_rows(X, y, 100)[1], ys)
    assert landscape.sample_rows(X, y, None)[0] is X
    assert landscape.samples_for([2, 64, 64, 64, 64, 3]) < landscape.samples_for([2, 16, 16, 3])


# --- learning-rate range test --------------------------------------------------------------
def test_range_test_grows_the_rate_geometrically_and_leaves_the_network_alone(moons):
    net = MLP([2, 16, 16, 2], seed=0)
    before = {k: v.copy() for k, v in net.params.items()}
    r = lr_finder.lr_range_test(net, moons.X_train, moons.y_train, "momentum", 32, steps=100)
    assert r.lrs[0] == pytest.approx(1e-5)
    ratios = r.lrs[1:] / r.lrs[:-1]
    assert np.allclose(ratios, (10 / 1e-5) ** (1 / 99))
    assert all(np.array_equal(before[k], net.params[k]) for k in before)
    assert len(r.losses) == len(r.smoothed) == len(r.lrs)


def test_range_test_stops_when_the_smoothed_loss_passes_four_times_its_minimum(moons):
    r = lr_finder.lr_range_test(MLP([2, 16, 16, 2], seed=0), moons.X_train, moons.y_train,
                                "sgd", 32, steps=200)
    assert r.stopped == "diverged" and len(r.lrs) < 200
    assert r.smoothed[-1] > 4 * r.smoothed[:-1].min()
    assert np.all(r.smoothed[:-1] <= 4 * np.minimum.accumulate(r.smoothed[:-1]))
    assert r.suggestion == pytest.approx(r.lrs[r.best] / 10)
    assert r.best == 10 + int(np.argmin(r.smoothed[10:]))


def test_smoothing_is_a_bias_corrected_moving_average(moons):
    r = lr_finder.lr_range_test(MLP([2, 8, 2], seed=0), moons.X_train, moons.y_train, "adam",
                                16, steps=60, beta=0.8)
    avg, expected = 0.0, []
    for t, x in enumerate(r.losses, start=1):
        avg = 0.8 * avg + 0.2 * x
        expected.append(avg / (1 - 0.8 ** t))
    assert r.smoothed[0] == pytest.approx(r.losses[0])   # bias correction: starts at the loss
    assert np.allclose(r.smoothed, expected)


def test_the_suggestion_is_a_tenth_of_the_rate_at_the_lowest_smoothed_loss():
    lrs = np.geomspace(1e-5, 10, 100)
    s = np.r_[np.full(10, 0.5), np.linspace(2.0, 1.0, 50), np.linspace(1.0, 5.0, 40)]
    assert lr_finder.suggest(lrs, s) == (pytest.approx(lrs[59] / 10), 59)   # first 10 skipped
    s[30] = np.nan
    assert lr_finder.suggest(lrs, s)[1] == 59
    flat = np.r_[np.full(60, 1.0) + 0.001 * np.sin(np.arange(60)), np.linspace(1, 4, 40)]
    assert lr_finder.suggest(lrs, flat)[0] is None              # never fell: nothing stands out
    assert lrs[60] <= lr_finder.rise(lrs, flat) <= lrs[62]
    assert lr_finder.rise(lrs, np.ones(100)) is None


def test_a_network_on_a_plateau_gets_no_suggestion_but_the_rate_where_loss_rises():
    v = P.ClassifierSettings()             # spirals, momentum at 0.01: a long plateau
    lab = ClassifierLab(dataset_for(v), v)
    lab.trainer.run(100)
    t = lab.trainer
    r = lr_finder.lr_range_test(lab.net, t.X, t.y, v.opt, v.bs)
    assert r.suggestion is None
    assert 0.1 < lr_finder.rise(r.lrs, r.smoothed) < 10


@pytest.mark.parametrize("data,opt", [("moons", "sgd"), ("moons", "adam"), ("circles", "momentum"),
                                      ("spirals", "momentum"), ("xor", "sgd"),
                                      ("spirals", "adam")])
def test_training_at_the_suggested_rate_beats_1e5_and_does_not_diverge(data, opt):
    v = P.ClassifierSettings(data=data, opt=opt)
    lab = ClassifierLab(dataset_for(v), v)
    t = lab.trainer
    r = lr_finder.lr_range_test(lab.net, t.X, t.y, opt, v.bs, seed=0)
    assert r.suggestion is not None and 1e-5 < r.suggestion < 10

    def final_loss(lr):
        vv = v.replace(lr=lr)
        run = ClassifierLab(dataset_for(vv), vv)
        run.trainer.run(60)
        return run.trainer.history["train_loss"][-1], run.trainer.diverged

    at_suggestion, diverged = final_loss(r.suggestion)
    at_tiny, _ = final_loss(1e-5)
    assert diverged is None
    assert at_suggestion < 0.95 * at_tiny


# --- which points push --------------------------------------------------------------------
def test_point_pulls_are_the_norm_of_p_minus_onehot_and_the_loss(moons):
    net, t = trained(moons, 10)
    pull, loss = influence.point_pulls(net, t.X, t.y)
    P_ = net.forward(t.X)[0]
    Y = np.eye(2)[t.y]
    assert np.allclose(pull, np.linalg.norm(P_ - Y, axis=1))
    assert np.allclose(loss, -np.log(P_[np.arange(len(t.y)), t.y]))
    assert np.all((pull >= 0) & (pull <= np.sqrt(2) + 1e-12))


def central_difference(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = eps
        g.flat[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def point_loss(net, features, label):
    def f(p):
        X = feature_matrix(p[None, :], features)
        return -np.log(net.forward(X)[0][0, label])
    return f


@pytest.mark.parametrize("features", [("x1", "x2"), ("x1", "x2", "x1sq", "x2sq", "x1x2"),
                                      tuple(FEATURES), ("x1sq", "sinx2")])
def test_input_gradient_matches_central_differences(features):
    rng = np.random.default_rng(len(features))
    net = MLP([len(features), 7, 5, 3], seed=2, activation="tanh")
    for l in (1, 2, 3):
        net.params[f"b{l}"] = rng.normal(0, 0.5, net.sizes[l])
    pts = rng.normal(0, 1, (6, 2))
    y = rng.integers(0, 3, 6)
    g = influence.plane_gradient(net, pts, y, features)
    for i in range(len(pts)):
        num = central_difference(point_loss(net, features, y[i]), pts[i])
        assert np.allclose(g[i], num, rtol=1e-6, atol=1e-9), (features, i)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), label=st.integers(0, 2))
def test_relu_input_gradient_matches_central_differences_away_from_kinks(seed, label):
    rng = np.random.default_rng(seed)
    net = MLP([2, 6, 6, 3], seed=seed)
    for l in (1, 2):
        net.params[f"b{l}"] = rng.normal(0, 0.5, 6)
    p = rng.normal(0, 1, 2)
    _, cache = net.forward(p[None, :])
    if min(np.abs(z).min() for z in cache["Z"][:-1]) < 1e-4:
        return                                    # a kink within reach of the difference
    g = influence.plane_gradient(net, p[None, :], np.array([label]))[0]
    num = central_difference(point_loss(net, ("x1", "x2"), label), p)
    assert np.allclose(g, num, rtol=1e-5, atol=1e-8)


def test_every_feature_has_a_derivative():
    assert set(influence.FEATURE_GRADIENTS) == set(FEATURES)
    with pytest.raises(ValueError):
        influence.feature_jacobian(np.zeros((1, 2)), ["x3"])


def test_gradient_field_is_largest_near_the_boundary(moons):
    net, t = trained(moons, 80)
    pts = np.random.default_rng(0).uniform(-2.5, 2.5, (3000, 2))
    field = influence.gradient_field(net, pts)
    margin = np.abs(np.diff(net.forward(pts)[0], axis=1)[:, 0])    # |p1 - p0|
    near, far = field[margin < 0.2], field[margin > 0.98]
    assert near.size and far.size and np.median(near) > 10 * np.median(far)
    assert np.allclose(influence.gradient_field(net, pts[:5], label=1),
                       np.linalg.norm(influence.plane_gradient(net, pts[:5], np.ones(5, int)),
                                      axis=1))


# --- autoencoder: errors and switching code units off --------------------------------------
@pytest.fixture(scope="module")
def autoencoder():
    from explorer import load_digits_data
    ds = load_digits_data()
    net = MLP([64, 12, 64], output="relu", seed=0)
    Trainer(net, ds.X_train, ds.X_train, optimizer="adam", lr=0.003, batch_size=64).run(15)
    return net, ds


def test_reconstruction_errors_average_to_the_loss(autoencoder):
    net, ds = autoencoder
    e = ablation.reconstruction_errors(net, ds.X_test)
    assert e.shape == (len(ds.X_test),)
    assert e.mean() == pytest.approx(net.loss(ds.X_test, ds.X_test))
    by = ablation.errors_by_class(e, ds.y_test)
    assert by[3] == pytest.approx(e[ds.y_test == 3].mean())
    assert np.isnan(ablation.errors_by_class(np.ones(2), np.array([0, 0]), 3)[2])


def test_worst_lists_the_largest_errors_first():
    assert ablation.worst(np.array([1.0, 5.0, 3.0, 5.0]), 3).tolist() == [1, 3, 2]


def test_switching_a_code_unit_off_is_zeroing_its_activation(autoencoder):
    net, ds = autoencoder
    base, off = ablation.code_ablation(net, ds.X_test)
    assert base == pytest.approx(net.loss(ds.X_test, ds.X_test))
    X = ds.X_test.astype(np.float64)
    h = np.maximum(X @ net.params["W1"].T.astype(np.float64) + net.params["b1"], 0)
    for j in (0, 5, 11):
        hj = h.copy()
        hj[:, j] = 0.0
        Xhat = np.maximum(hj @ net.params["W2"].T.astype(np.float64) + net.params["b2"], 0)
        assert off[j] == pytest.approx(((Xhat - X) ** 2).sum(axis=1).mean(), rel=1e-6)
    assert np.mean(off > base) > 0.5             # most units carry something


def test_a_dead_code_unit_costs_nothing_to_switch_off(autoencoder):
    net, ds = autoencoder
    dead = net.copy()
    dead.params["b1"][2] = -1e3                   # off for every digit
    base, off = ablation.code_ablation(dead, ds.X_test)
    assert off[2] == base


# --- forks: the second run's one change ----------------------------------------------------
def test_every_fork_choice_parses_back_to_itself():
    for text in fork.FORK_CHOICES[1:]:
        key, value = fork.parse_fork(text)
        assert fork.fork_text(key, value) == text
    assert fork.parse_fork("none") is None and fork.parse_fork(" NONE ") is None
    assert fork.parse_fork("LR:1e-1") == ("lr", 0.1)
    assert fork.parse_fork("opt: Adam") == ("opt", "adam")
    assert fork.parse_fork("width:32.0") == ("width", 32)
    assert fork.parse_fork("width:٣") == ("width", 3)       # as float() reads it, like lr=٣


@pytest.mark.parametrize("bad", ["", "lr", "lr:", "lr:0.2", "lr:nan", "lr:inf", "width:1000",
                                 "opt:rmsprop", "seed:1", ":", "lr:0.1:0.2", "<b>lr</b>:0.1",
                                 "x" * 5000, "\x00", "act:relu;drop", "bs:-1"])
def test_hostile_forks_are_refused(bad):
    with pytest.raises(ValueError):
        fork.parse_fork(bad)
    values, notes = P.parse(P.ClassifierSettings, {"fork": bad})
    assert values.fork == "none" and len(notes) == 1 and len(notes[0]) < 400


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_fork_link_is_a_choice_or_none(raw):
    values, _ = P.parse(P.ClassifierSettings, {"fork": raw})
    assert values.fork in fork.FORK_CHOICES


def test_a_fork_link_round_trips_and_a_lesson_link_has_no_fork():
    values, notes = P.parse(P.ClassifierSettings, {"fork": "lr:1e-1", "lr": "0.01"})
    assert values.fork == "lr:0.1" and notes == []
    assert P.parse(P.ClassifierSettings, values.to_query())[0] == values
    assert P.ClassifierSettings().fork == "none"


def test_fork_values_change_one_setting_and_width_changes_every_hidden_layer():
    v = P.ClassifierSettings(layers=3, h1=16, h2=8, h3=4, h4=2)
    w = fork.fork_values(v, "width", 32)
    assert (w.h1, w.h2, w.h3, w.h4) == (32, 32, 32, 2)
    assert {k for k in v.SPEC if v.get(k) != w.get(k)} == {"h1", "h2", "h3"}
    assert fork.fork_values(v, "opt", "adam") == v.replace(opt="adam")
    assert fork.current_value(v, "width") == 16
    with pytest.raises(ValueError):
        fork.fork_values(v, "seed", 3)
