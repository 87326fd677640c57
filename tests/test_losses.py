import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from explorer import MLP, log_softmax, softmax, softmax_cross_entropy, squared_error

logits = arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(2, 6)),
                elements=st.floats(-50, 50, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(logits)
def test_softmax_rows_sum_to_one_and_are_probabilities(F):
    P = softmax(F)
    assert np.allclose(P.sum(axis=1), 1.0)
    assert (P >= 0).all() and (P <= 1).all()


@settings(max_examples=60, deadline=None)
@given(logits, st.floats(-1e3, 1e3))
def test_softmax_is_invariant_to_shifting_the_logits(F, c):
    assert np.allclose(softmax(F), softmax(F + c), atol=1e-12)
    assert np.allclose(log_softmax(F), log_softmax(F + c), atol=1e-9)


def test_extreme_logits_give_finite_loss_and_gradients():
    F = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]])
    loss, D = softmax_cross_entropy(F, np.array([1, 0]))
    assert np.isfinite(loss) and np.isfinite(D).all() and np.isfinite(softmax(F)).all()
    assert np.isclose(loss, (2e4 + (2e4 + np.log(2))) / 2)
    net = MLP([2, 4, 3], seed=0)
    net.params["W2"][:] = 1e4
    loss, grads = net.loss_and_grads(np.ones((3, 2)), np.array([0, 1, 2]))
    assert np.isfinite(loss) and all(np.isfinite(g).all() for g in grads.values())


def test_cross_entropy_matches_minus_log_probability_and_its_delta():
    F = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    y = np.array([2, 0])
    loss, D = softmax_cross_entropy(F, y)
    P = softmax(F)
    assert np.isclose(loss, -np.mean(np.log(P[[0, 1], y])))
    Y = np.eye(3)[y]
    assert np.allclose(D, (P - Y) / 2)


def test_squared_error_sums_features_and_averages_samples():
    X = np.array([[1.0, 0.0], [0.0, 0.0]])
    Xh = np.array([[0.0, 0.0], [1.0, 1.0]])
    loss, d = squared_error(Xh, X)
    assert loss == (1 + 2) / 2
    assert np.allclose(d, (2 / 2) * (Xh - X))   # one row per sample, not summed


def test_every_output_loss_returns_the_loss_and_the_delta_of_the_pre_activation():
    """LOSSES keep one contract: (Z, target, out) -> (loss, dL/dZ), checked by central differences."""
    from explorer.nn.losses import LOSSES
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(4, 3))
    targets = {"softmax": np.array([0, 2, 1, 2]), "relu": rng.uniform(0, 1, (4, 3))}
    outs = {"softmax": softmax(Z), "relu": np.maximum(Z, 0)}
    for name, loss_fn in LOSSES.items():
        loss, D = loss_fn(Z, targets[name], outs[name])
        assert D.shape == Z.shape
        num = np.zeros_like(Z)
        for i in np.ndindex(Z.shape):
            Zp, Zm = Z.copy(), Z.copy()
            Zp[i] += 1e-6
            Zm[i] -= 1e-6
            out_p = softmax(Zp) if name == "softmax" else np.maximum(Zp, 0)
            out_m = softmax(Zm) if name == "softmax" else np.maximum(Zm, 0)
            num[i] = (loss_fn(Zp, targets[name], out_p)[0]
                      - loss_fn(Zm, targets[name], out_m)[0]) / 2e-6
        assert np.allclose(D, num, atol=1e-7), name
