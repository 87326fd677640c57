"""What the network view shows when a unit, an edge or a step of backprop is
clicked: every number checked against the network and central differences."""
import numpy as np
import pytest

from explorer import MLP
from explorer.lens.inspect import (batch_pass, edge_report, unit_activity, unit_report,
                                   walkthrough)


def _numeric(net, X, y, name, index, eps=1e-6):
    net = net.astype(np.float64)
    P = net.params[name]
    old = P[index]
    P[index] = old + eps
    lp = net.loss(X, y)
    P[index] = old - eps
    lm = net.loss(X, y)
    P[index] = old
    return (lp - lm) / (2 * eps)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_an_edge_gradient_is_the_sum_of_delta_times_activation_and_matches_finite_differences(
        activation):
    rng = np.random.default_rng(0)
    net = MLP([2, 5, 4, 3], seed=1, activation=activation)
    X, y = rng.standard_normal((6, 2)), rng.integers(0, 3, 6)
    bp = batch_pass(net, X, y)
    for layer, unit, source in [(1, 2, 1), (2, 3, 0), (3, 1, 2)]:
        e = edge_report(bp, layer, unit, source)
        assert np.isclose(e["terms"].sum(), e["grad"])
        assert np.isclose(e["grad"], _numeric(net, X, y, f"W{layer}", (unit, source)), atol=1e-7)
        assert e["weight"] == net.params[f"W{layer}"][unit, source]


def test_a_unit_report_has_its_weights_its_delta_and_knows_when_it_is_dead():
    rng = np.random.default_rng(1)
    net = MLP([2, 4, 3], seed=2)
    net.params["b1"][1] = -50.0                       # unit 1 of layer 1 never fires
    X, y = rng.standard_normal((8, 2)), rng.integers(0, 3, 8)
    bp = batch_pass(net, X, y)
    dead, alive = unit_report(bp, 1, 1), unit_report(bp, 1, 0)
    assert dead["dead"] and not np.any(dead["delta"]) and dead["grad_bias"] == 0
    assert np.isclose(alive["grad_bias"], _numeric(net, X, y, "b1", 0), atol=1e-7)
    assert np.allclose(alive["grad_weights"], [_numeric(net, X, y, "W1", (0, j)) for j in range(2)],
                       atol=1e-7)
    assert np.array_equal(alive["weights"], net.params["W1"][0]) and not alive["dead"]
    out = unit_report(bp, 2, 0)
    assert out["h"] is None and not out["dead"]
    with pytest.raises(ValueError):
        unit_report(bp, 3, 0)


def test_a_units_activity_on_all_the_data_says_dead_only_when_it_is_off_everywhere():
    rng = np.random.default_rng(3)
    net = MLP([2, 4, 3], seed=2)
    X = rng.standard_normal((200, 2))
    net.params["b1"][1] = -50.0                       # never fires
    net.params["W1"][2] = [1.0, 0.0]                  # fires where x1 > 0: about half
    net.params["b1"][2] = 0.0
    assert unit_activity(net, X, 1, 1) == {"dead": True, "on": 0.0}
    half = unit_activity(net, X, 1, 2)
    assert not half["dead"] and half["on"] == np.mean(X[:, 0] > 0)
    # off for a whole batch is not dead: the panel says which of the two it is
    batch = X[X[:, 0] < 0][:8]
    assert unit_report(batch_pass(net, batch, np.zeros(8, int)), 1, 2)["dead"]
    tanh = MLP([2, 4, 3], seed=2, activation="tanh")
    assert unit_activity(tanh, X, 1, 0) == {"dead": False, "on": None}
    for layer, unit in [(2, 0), (0, 0), (1, 4)]:      # the output layer, the inputs, no unit
        with pytest.raises(ValueError):
            unit_activity(net, X, layer, unit)


def test_the_walkthrough_goes_forward_then_loss_then_backward_then_update():
    rng = np.random.default_rng(2)
    net = MLP([2, 4, 4, 3], seed=0)
    X, y = rng.standard_normal((5, 2)), rng.integers(0, 3, 5)
    bp = batch_pass(net, X, y)
    steps = walkthrough(bp, lr=0.1)
    stages = [s.stage for s in steps]
    assert stages[0] == "forward" and stages.index("loss") < stages.index("backward")
    assert stages[-1] == "update" and stages.count("update") == 3
    assert [s.name for s in steps if s.stage == "backward"] == ["delta3", "delta2", "delta1"]
    by_name = {s.name: s.value for s in steps}
    assert np.allclose(by_name["dW2"], bp.grads["W2"])
    assert np.allclose(by_name["W1"], net.params["W1"] - 0.1 * bp.grads["W1"])
    Xa = rng.random((4, 6))
    ae = batch_pass(MLP([6, 3, 6], output="relu", seed=0), Xa, Xa)
    assert ae.y is ae.X and [s.name for s in walkthrough(ae) if s.stage == "loss"] == ["Xhat"]
