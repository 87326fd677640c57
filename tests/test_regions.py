"""The exact count of linear regions (explorer.lens.regions): against arrangements
counted by hand, against the network's own masks, and against a grid."""
from math import comb

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from explorer import MLP, count_regions
from explorer.lens.diagnostics import activation_regions, grid_eval
from explorer.lens.regions import (TooManyRegions, linear_regions, polygon_area,
                                   region_colours, split_polygon)

BOX = ((-3.0, -3.0), (3.0, 3.0))


def one_layer(W, b, act="relu"):
    """A 2-n-2 network whose hidden units are the lines ``W x + b = 0``."""
    W = np.asarray(W, float)
    net = MLP([2, len(W), 2], seed=0, activation=act)
    net.params["W1"], net.params["b1"] = W, np.asarray(b, float)
    return net


def tangents(n, spread=2 * np.pi / 3):
    """n lines tangent to the unit circle at angles spread over ``spread``: every two
    cross within radius 1/cos(spread/2) = 2 (inside BOX), no three at one point."""
    th = np.linspace(0, spread, n)
    return np.column_stack([np.cos(th), np.sin(th)]), -np.ones(n)


# --- arrangements counted by hand -------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_lines_in_general_position_give_one_plus_n_plus_n_choose_2(n):
    assert count_regions(one_layer(*tangents(n)), *BOX) == 1 + n + comb(n, 2)


@pytest.mark.parametrize("n", [1, 2, 4, 7])
def test_parallel_lines_give_n_plus_one(n):
    W = np.tile([[1.0, 0.5]], (n, 1))
    b = -np.linspace(-2, 2, n)                 # x1 + x2/2 = c for n values of c in view
    assert count_regions(one_layer(W, b), *BOX) == n + 1


def test_lines_that_miss_the_box_add_nothing():
    W, b = tangents(3)
    W = np.vstack([W, [[1, 0], [0, 1], [1, 1]]])
    b = np.concatenate([b, [-5.0, 4.0, -7.0]])      # x1 = 5, x2 = -4, x1 + x2 = 7: outside
    assert count_regions(one_layer(W, b), *BOX) == 1 + 3 + 3


def test_the_same_line_twice_counts_once_and_a_zero_unit_not_at_all():
    W = [[1.0, 1.0], [-2.0, -2.0], [0.0, 0.0]]    # one line, both ways round; a unit that is 0
    assert count_regions(one_layer(W, [0.5, -1.0, 0.0]), *BOX) == 2


@pytest.mark.parametrize("act", ["relu", "leaky_relu"])
def test_two_layers_counted_by_hand(act):
    """Layer 1: x1 = 0 and x2 = 0 make 4 quadrants. Layer 2's unit
    z = h1 + h2 - 0.5 is x1 + x2 = 0.5 in (+,+), x1 = 0.5 in (+,-) and x2 = 0.5 in
    (-,+) (up to the leak, which bends but does not remove those lines), and below 0
    all over (-,-): it cuts three quadrants in two. 4 + 3 = 7."""
    net = MLP([2, 2, 1, 2], seed=0, activation=act)
    net.params.update(W1=np.eye(2), b1=np.zeros(2), W2=np.array([[1.0, 1.0]]),
                      b2=np.array([-0.5]))
    assert count_regions(net, (-1, -1), (1, 1)) == 7
    # a box that only holds (-,-) and the corner of the others that the line misses
    assert count_regions(net, (-1, -1), (0.2, 0.2)) == 4


def test_a_box_inside_one_region_is_one_region():
    assert count_regions(one_layer(*tangents(5)), (-0.3, -0.3), (0.3, 0.3)) == 1


# --- what is refused ------------------------------------------------------------------
@pytest.mark.parametrize("act", ["tanh", "sigmoid", "linear"])
def test_units_without_an_on_off_pattern_are_refused(act):
    with pytest.raises(ValueError, match="ReLU"):
        count_regions(MLP([2, 4, 2], activation=act), *BOX)


def test_other_inputs_than_x1_x2_and_empty_boxes_are_refused():
    with pytest.raises(ValueError, match="two inputs"):
        count_regions(MLP([3, 4, 2]), *BOX)
    with pytest.raises(ValueError, match="box"):
        count_regions(MLP([2, 4, 2]), (1, 1), (1, 2))


def test_a_region_cap_and_a_time_cap_stop_early():
    with pytest.raises(TooManyRegions, match="more than 5"):
        linear_regions(one_layer(*tangents(6)), *BOX, max_regions=5)
    with pytest.raises(TooManyRegions, match="0 s spent") as stop:
        linear_regions(random_net(0, [2, 16, 16, 2]), *BOX, max_seconds=0.0)
    assert stop.value.found >= 1


# --- the pieces -------------------------------------------------------------------------
def test_split_polygon_cuts_a_square_into_two_halves():
    sq = np.array([[0, 0], [2, 0], [2, 2], [0, 2.0]])
    v = sq[:, 0] - 0.5                                   # the line x = 0.5
    neg, pos = split_polygon(np.column_stack([sq, v]), 2, 1e-12)
    assert polygon_area(neg[:, :2]) == pytest.approx(1.0)
    assert polygon_area(pos[:, :2]) == pytest.approx(3.0)
    assert np.allclose(neg[:, 2], neg[:, 0] - 0.5)       # values ride along, interpolated


def test_a_line_through_a_corner_does_not_make_a_sliver():
    net = one_layer([[1.0, -1.0]], [0.0])                # the diagonal x1 = x2, through corners
    regions = linear_regions(net, *BOX)
    assert len(regions) == 2 and all(len(r.vertices) == 3 for r in regions)


def random_net(seed, sizes, act="relu"):
    rng = np.random.default_rng(seed)
    net = MLP(sizes, seed=seed, activation=act)
    for l in range(1, net.n_layers + 1):                 # biases too, or every line of
        net.params[f"b{l}"] = rng.normal(0, 1, sizes[l])  # layer 1 passes through 0
    return net


def grid_patterns(net, lo, hi, res):
    xs, ys = np.linspace(lo[0], hi[0], res), np.linspace(lo[1], hi[1], res)
    gx, gy = np.meshgrid(xs, ys)
    _, _, masks = grid_eval(net, xs, ys, np.column_stack([gx.ravel(), gy.ravel()]))
    bits = np.concatenate([m.reshape(-1, m.shape[-1]) for m in masks], axis=1)
    return {row.tobytes() for row in bits}, activation_regions(masks)[1]


def key(region):
    return np.concatenate(region.pattern).astype(bool).tobytes()


def test_every_region_holds_its_pattern_and_they_tile_the_box():
    net = random_net(3, [2, 8, 8, 8, 2])
    regions = linear_regions(net, *BOX)
    assert sum(r.area for r in regions) == pytest.approx(36.0, rel=1e-9)
    centres = np.array([r.vertices.mean(axis=0) for r in regions])
    _, cache = net.forward(centres)
    at_centres = np.concatenate(cache["masks"][:-1], axis=1)
    assert np.array_equal(at_centres, np.array([np.concatenate(r.pattern) for r in regions]))
    assert len({key(r) for r in regions}) == len(regions)      # one polygon per pattern


def test_a_fine_grid_sees_all_but_the_smallest_regions():
    net = random_net(5, [2, 12, 12, 2])
    regions = linear_regions(net, *BOX)
    seen, n_grid = grid_patterns(net, *BOX, 600)
    exact = {key(r): r.area for r in regions}
    assert seen <= set(exact) and n_grid <= len(regions)
    missed = sum(a for k, a in exact.items() if k not in seen)
    assert n_grid >= 0.9 * len(regions) and missed < 0.002 * 36
    cell = (6 / 599) ** 2
    assert all(a < 40 * cell for k, a in exact.items() if k not in seen)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), widths=st.lists(st.integers(1, 6), min_size=1, max_size=3),
       act=st.sampled_from(["relu", "leaky_relu"]))
def test_a_grid_never_sees_more_regions_than_there_are(seed, widths, act):
    net = random_net(seed, [2, *widths, 2], act)
    regions = linear_regions(net, *BOX)
    seen, n_grid = grid_patterns(net, *BOX, 120)
    assert n_grid <= len(regions) == count_regions(net, *BOX)
    assert seen <= {key(r) for r in regions}
    assert sum(r.area for r in regions) == pytest.approx(36.0, rel=1e-9)


def test_float32_networks_are_counted_in_float64():
    net = random_net(1, [2, 8, 8, 2])
    assert count_regions(net.astype(np.float32), *BOX) == count_regions(
        net.astype(np.float32).astype(np.float64), *BOX)


def test_region_colours_take_the_mean_prediction_of_each_region():
    labels = np.array([[0, 0, 1], [1, 1, 1]])
    probs = np.zeros((2, 3, 2))
    probs[..., 0] = [[0.9, 0.7, 0.2], [0.4, 0.1, 0.3]]
    probs[..., 1] = 1 - probs[..., 0]
    cls, conf = region_colours(labels, probs)
    assert cls.tolist() == [0, 1] and conf == pytest.approx([0.8, 0.75])
