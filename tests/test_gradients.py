"""Every gradient the app shows is backprop's, so backprop is checked here against
central differences, and each common mistake is shown to fail the same check."""
import numpy as np
import pytest

from explorer import MLP
from explorer.lens.gradcheck import TOL, check_gradients, main as gradcheck_main
from explorer.lens.mistakes import MISTAKES


def _batch(rng, n, D, K=None):
    X = rng.standard_normal((n, D))
    return X, (rng.integers(0, K, n) if K else None)


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("K", [2, 3, 4, 5])
def test_classifier_gradients_match_central_differences(depth, K):
    rng = np.random.default_rng(depth * 7 + K)
    net = MLP([2] + [6] * depth + [K], output="softmax", seed=depth + K)
    X, y = _batch(rng, 8, 2, K)
    rows = check_gradients(net, X, y)
    assert [r["name"] for r in rows] == list(net.params)
    for r in rows:
        assert r["rel_error"] < TOL, r


@pytest.mark.parametrize("sizes", [[10, 4, 10], [12, 6, 5, 12], [9, 7, 6, 5, 9], [64, 32, 64]])
def test_autoencoder_gradients_match_central_differences(sizes):
    rng = np.random.default_rng(len(sizes))
    net = MLP(sizes, output="relu", seed=1)
    net.params[f"b{net.n_layers}"][:] = 0.2      # most output pixels alive
    X = rng.random((5, sizes[0]))
    for r in check_gradients(net, X, X):
        assert r["rel_error"] < TOL, r


def test_a_float32_network_is_checked_in_float64_and_passes():
    net = MLP([2, 16, 16, 3], seed=0, dtype=np.float32)
    X, y = _batch(np.random.default_rng(0), 4, 2, 3)
    assert all(r["passed"] for r in check_gradients(net, X, y))
    assert all(v.dtype == np.float32 for v in net.params.values())   # the original is untouched
    wide = net.astype(np.float64)
    assert all(v.dtype == np.float64 for v in wide.params.values())
    assert np.array_equal(wide.params["W1"], net.params["W1"].astype(np.float64))


def test_gradient_check_entry_subset_is_used_for_large_arrays():
    net = MLP([64, 32, 64], output="relu", seed=0)
    X = np.random.default_rng(0).random((3, 64))
    rows = {r["name"]: r for r in check_gradients(net, X, X, max_entries=25)}
    assert rows["W1"]["checked"] == 25 and rows["b1"]["checked"] == 25
    assert rows["b2"]["checked"] == 25


def test_gradient_check_counts_perturbations_that_cross_a_relu_kink():
    net = MLP([2, 3, 2], output="softmax", seed=0)
    X = np.array([[1.0, 0.0]])
    # put unit 0 exactly at its kink for this sample: z = W1[0] x + b1[0] = 0
    net.params["W1"][0] = [0.0, 0.0]
    net.params["b1"][0] = 0.0
    rows = {r["name"]: r for r in check_gradients(net, X, np.array([1]))}
    assert rows["b1"]["near_kink"] >= 1 and rows["W1"]["near_kink"] >= 1
    assert rows["W2"]["near_kink"] == 0


def test_gradcheck_command_passes_and_prints_a_table(capsys):
    assert gradcheck_main([]) == 0
    out = capsys.readouterr().out
    assert "autoencoder [64, 32, 64]" in out and "0 array(s) failed" in out


def _mistake_case(m):
    rng = np.random.default_rng(3)
    if m.network == "autoencoder":
        net = MLP([12, 6, 12], output="relu", seed=0)
        net.params["b2"][:] = 0.2
        X = rng.random((6, 12))
        return net, X, X
    # widths equal to the class count so that every slip type-checks
    net = MLP([2, 3, 3, 3], output="softmax", seed=4)
    X, y = _batch(rng, 8, 2, 3)
    return net, X, y


@pytest.mark.parametrize("key", list(MISTAKES))
def test_each_common_mistake_fails_the_gradient_check(key):
    m = MISTAKES[key]
    net, X, y = _mistake_case(m)
    assert all(r["passed"] for r in check_gradients(net, X, y)), "correct pass must pass"
    rows = check_gradients(net, X, y, backward=m.backward)
    failed = [r["name"] for r in rows if not r["passed"]]
    assert failed, f"{key} should fail somewhere"
    assert max(r["rel_error"] for r in rows) > 1e-2


def test_mistakes_that_cannot_type_check_say_why():
    net = MLP([2, 8, 6, 3], output="softmax", seed=0)
    X, y = _batch(np.random.default_rng(0), 4, 2, 3)
    for key in ("dW2_h2", "W3_twice", "masks_in_front"):
        with pytest.raises(ValueError, match="type-checks"):
            MISTAKES[key].backward(net, X, y)


ACTIVATION_NAMES = ["relu", "leaky_relu", "tanh", "sigmoid", "linear"]


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@pytest.mark.parametrize("depth", [1, 3])
def test_every_activation_passes_the_gradient_check(activation, depth):
    rng = np.random.default_rng(depth)
    net = MLP([2] + [6] * depth + [3], output="softmax", seed=depth, activation=activation)
    X, y = _batch(rng, 8, 2, 3)
    for r in check_gradients(net, X, y):
        assert r["rel_error"] < TOL, r
    ae = MLP([10, 5, 10], output="relu", seed=2, activation=activation)
    ae.params["b2"][:] = 0.2
    Xa = rng.random((5, 10))
    for r in check_gradients(ae, Xa, Xa):
        assert r["rel_error"] < TOL, (activation, r)


def test_activations_compute_what_their_names_say():
    from explorer.nn.activations import ACTIVATIONS
    assert set(ACTIVATIONS) == set(ACTIVATION_NAMES)
    z = np.array([[-800.0, -2.0, 0.0, 3.0, 800.0]])
    expect = {"relu": np.maximum(z, 0), "leaky_relu": np.where(z > 0, z, 0.01 * z),
              "tanh": np.tanh(z), "sigmoid": 1 / (1 + np.exp(-np.clip(z, -500, 500))),
              "linear": z}
    for name, a in ACTIVATIONS.items():
        with np.errstate(over="raise"):                  # sigmoid never overflows
            h = a.f(z)
        assert np.allclose(h, expect[name]), name
        assert np.isfinite(a.slope(z, h)).all()


def test_a_linear_network_is_one_linear_map_and_a_relu_network_is_not():
    """Stacking linear layers adds no power: the network equals one affine map."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 2))
    for activation, linear in (("linear", True), ("relu", False)):
        net = MLP([2, 8, 8, 3], seed=1, activation=activation)
        _, cache = net.forward(X)
        F = cache["Z"][-1]
        A = np.column_stack([X, np.ones(len(X))])
        coef, *_ = np.linalg.lstsq(A, F, rcond=None)
        assert np.allclose(A @ coef, F, atol=1e-9) == linear, activation
