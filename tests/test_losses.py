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
    loss, D, P = softmax_cross_entropy(F, np.array([1, 0]))
    assert np.isfinite(loss) and np.isfinite(D).all() and np.isfinite(P).all()
    assert np.isclose(loss, (2e4 + (2e4 + np.log(2))) / 2)
    net = MLP([2, 4, 3], seed=0)
    net.params["W2"][:] = 1e4
    loss, grads = net.loss_and_grads(np.ones((3, 2)), np.array([0, 1, 2]))
    assert np.isfinite(loss) and all(np.isfinite(g).all() for g in grads.values())


def test_cross_entropy_matches_minus_log_probability_and_its_delta():
    F = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    y = np.array([2, 0])
    loss, D, P = softmax_cross_entropy(F, y)
    assert np.isclose(loss, -np.mean(np.log(P[[0, 1], y])))
    Y = np.eye(3)[y]
    assert np.allclose(D, (P - Y) / 2)


def test_squared_error_sums_features_and_averages_samples():
    X = np.array([[1.0, 0.0], [0.0, 0.0]])
    Xh = np.array([[0.0, 0.0], [1.0, 1.0]])
    loss, d = squared_error(Xh, X)
    assert loss == (1 + 2) / 2
    assert np.allclose(d, (2 / 2) * (Xh - X))   # one row per sample, not summed
