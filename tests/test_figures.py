"""The figure builders on their own: valid plotly, the right pieces, honest pixels,
and light enough to send many times a second."""
import base64
import struct
import zlib

import numpy as np
import plotly.graph_objects as go
import pytest

from explorer.app import figures as F
from explorer import labs
from explorer.app import palette, raster
from explorer import params as P
from explorer.lens.diagnostics import activation_regions
from explorer.lens.gradcheck import check_gradients

from .helpers import diverged_trainer


def decode_png(uri_or_bytes):
    """(h, w, channels) uint8 from our own PNG encoder's output (filter 0 rows)."""
    data = uri_or_bytes if isinstance(uri_or_bytes, bytes) else \
        base64.b64decode(uri_or_bytes.split(",", 1)[1])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h, _, ctype = struct.unpack(">IIBB", data[16:26])
    c = 3 if ctype == 2 else 4
    i = data.index(b"IDAT") - 4
    n = struct.unpack(">I", data[i:i + 4])[0]
    raw = np.frombuffer(zlib.decompress(data[i + 8:i + 8 + n]), np.uint8).reshape(h, w * c + 1)
    return raw[:, 1:].reshape(h, w, c)


@pytest.fixture(scope="module")
def lab():
    v = P.ClassifierSettings(data="spirals", classes=3)
    lab = labs.ClassifierLab(labs.dataset_for(v), v)
    lab.trainer.run(20)
    return lab


def valid(fig):
    go.Figure(fig.to_dict())          # plotly's own validation: raises on a bad property
    return fig


def test_png_round_trips_rgb_and_rgba():
    img = np.random.default_rng(0).integers(0, 256, (7, 5, 3), dtype=np.uint8)
    assert np.array_equal(decode_png(raster.png_data_uri(img)), img)
    rgba = np.random.default_rng(1).integers(0, 256, (4, 6, 4), dtype=np.uint8)
    assert np.array_equal(decode_png(raster.png_data_uri(rgba)), rgba)


def test_probability_image_blends_class_colours_and_pales_with_doubt():
    probs = np.zeros((2, 2, 3))
    probs[0, 0] = [1, 0, 0]               # sure of class 0 (bottom-left: image row 1)
    probs[1, 1] = [1 / 3, 1 / 3, 1 / 3]   # no idea (top-right: image row 0)
    probs[0, 1] = probs[1, 0] = [0, 1, 0]
    img = raster.probability_image(probs).astype(int)
    sure, unsure = img[1, 0], img[0, 1]
    blue = raster.hex_to_rgb(raster.CLASS_COLORS[0])
    assert np.abs(sure - blue).sum() < np.abs(unsure - blue).sum()
    assert unsure.min() > sure.min()      # paler
    hard = raster.probability_image(probs, discretize=True)
    assert len({tuple(p) for p in hard.reshape(-1, 3)}) == 2


def test_points_overlay_paints_each_point_in_its_class_colour_at_its_place():
    xs, ys = np.linspace(0, 1, 11), np.linspace(0, 1, 11)
    X = np.array([[0.25, 0.25], [0.75, 0.75]])
    img = raster.points_overlay(X, np.array([0, 1]), xs, ys, (101, 101))
    assert tuple(img[75, 25, :3]) == tuple(raster.hex_to_rgb(raster.CLASS_COLORS[0]).astype(int))
    assert tuple(img[25, 75, :3]) == tuple(raster.hex_to_rgb(raster.CLASS_COLORS[1]).astype(int))
    assert img[75, 25, 3] == 255 and img[50, 50, 3] == 0 and img[0, 0, 3] == 0


def test_boundary_figure_and_live_frame(lab):
    xs, ys, probs, _, _ = lab.grid(100)
    ds = lab.ds
    fig = valid(F.boundary_figure(xs, ys, probs, ds.X_train, ds.y_train, ds.X_test, ds.y_test))
    hover = [t for t in fig.data if t.hovertemplate]
    assert sum(len(t.x) for t in hover) == len(ds.X_train) + len(ds.X_test)
    assert len(fig.layout.images) == 2
    live = valid(F.boundary_figure(xs, ys, probs, ds.X_train, ds.y_train, live=True))
    assert not any(t.hovertemplate for t in live.data)
    assert len(fig.to_json()) < 120_000
    dots = raster.points_layer(xs, ys, ds.X_train, ds.y_train, ds.X_test, ds.y_test)
    rgb = raster.boundary_rgb(probs, dots)
    assert rgb.dtype == np.uint8 and rgb.shape[1] == 400


def test_curves_figures_have_one_line_per_layer(lab):
    h = lab.history()
    hist = valid(F.history_figure(h["epoch"], h["train_loss"], h["test_loss"], h["train_acc"],
                                  h["test_acc"], mark=5))
    assert [t.name for t in hist.data] == ["train", "test", "train", "test"]
    assert hist.layout.shapes[0].x0 == 5
    grads = valid(F.gradient_figure(h["epoch"], h["grad_W"], h["grad_b"], h["update_ratio"]))
    assert len(grads.data) == 3 * lab.net.n_layers
    assert grads.layout.yaxis.type == "log"
    dead = valid(F.dead_units_figure(h["epoch"], h["dead_frac"]))
    assert len(dead.data) == lab.net.n_layers - 1
    ref = valid(F.history_figure(h["epoch"], h["train_loss"], reference=0.5, reference_name="PCA"))
    assert ref.data[-1].name == "PCA" and list(ref.data[-1].y) == [0.5, 0.5]


def test_a_units_map_is_white_where_it_is_off_and_darker_where_it_is_stronger(lab):
    xs, ys, _, acts, masks = lab.grid(30)
    a, on = acts[0][..., 0], masks[0][..., 0]
    assert on.any() and not on.all()
    fig = valid(F.unit_map_figure(xs, ys, a, on, lab.ds.X_train, lab.ds.y_train))
    img = decode_png(fig.layout.images[0].source)[::-1]        # row 0 at the bottom again
    assert (img[~on] == palette.rgb(palette.OFF)).all()          # the view's colours
    assert (img[on] != palette.rgb(palette.OFF)).any(axis=-1).all()
    strong, weak = np.unravel_index(np.argmax(np.where(on, a, -1)), a.shape), \
        np.unravel_index(np.argmin(np.where(on, a, np.inf)), a.shape)
    assert img[strong].sum() < img[weak].sum()
    assert sum(len(d.x) for d in fig.data[1:]) == len(lab.ds.X_train)   # every training point
    assert fig.layout.yaxis.scaleanchor == "x"                  # the plane is not stretched


def test_log_axes_are_labelled_at_full_size():
    ticks = F.log_ticks([0.021, 0.068])            # less than a decade: 1, 2, 5 steps
    assert ticks["tickvals"] == [0.02, 0.05, 0.1]
    assert ticks["ticktext"] == ["0.02", "0.05", "0.1"]
    wide = F.log_ticks([1e-6, 1e9, np.inf, -1])    # 16 decades: powers of ten, at most 8
    assert len(wide["tickvals"]) <= 8 and wide["tickvals"][0] <= 1e-6 and \
        wide["tickvals"][-1] >= 1e8 and all(t.startswith(("1", "10")) for t in wide["ticktext"])
    assert F.log_ticks([0.0, -3.0, np.nan]) is None
    fig = valid(F.history_figure(np.arange(3), [0.06, 0.04, 0.03], log=True))
    assert list(fig.layout.yaxis.ticktext) == ["0.02", "0.05", "0.1"]


def test_a_weight_and_its_gradient_side_by_side_each_get_their_own_colour_scale():
    A = np.array([[0.5, -0.004], [-0.25, 0.002], [0.1, -0.0]])
    fig = valid(F.matrix_figure(A, col_names=["w", "dL/dw"], row_names=["x₁", "x₂", "x₃"],
                                per_column=True))
    z = np.asarray(fig.data[0].z, float)
    assert np.allclose(np.abs(z).max(axis=0), 1) and not fig.data[0].showscale
    assert list(np.asarray(fig.data[0].text)[:, 1]) == ["-0.004", "0.002", "0"]   # never "-0"
    assert list(fig.layout.xaxis.ticktext) == ["w", "dL/dw"]
    assert list(fig.layout.yaxis.ticktext) == ["x₁", "x₂", "x₃"]


def test_regions_and_confusion(lab):
    xs, ys, _, acts, masks = lab.grid(30)
    labels, n = activation_regions(masks)
    reg = valid(F.regions_figure(xs, ys, labels, n, lab.ds.X_train, lab.ds.y_train))
    assert f"{n} linear regions" in reg.layout.title.text
    cm = valid(F.confusion_figure(lab.confusion()))
    assert np.asarray(cm.data[0].text).astype(int).sum() == len(lab.ds.y_test)


def test_autoencoder_figures():
    rng = np.random.default_rng(0)
    X, Xh = rng.random((12, 64)), rng.random((12, 64))
    grid = valid(F.digits_grid_figure(X, Xh, labels=list(range(12))))
    assert len(grid.layout.images) == 1 and len(grid.to_json()) < 30_000
    img = decode_png(grid.layout.images[0].source)
    # 12 digits in bands of 5: three bands of three rows of 8x8 digits at 4x, 2 px apart
    assert img.shape[:2] == (9 * 32 + 8 * 2, 5 * 32 + 4 * 2)
    valid(F.code_firing_figure(rng.random((10, 16)), np.arange(16) < 3))
    valid(F.filters_figure(rng.standard_normal((16, 64))))
    valid(F.dead_pixels_figure(np.arange(64) < 5, X.mean(0)))
    valid(F.codes_scatter_figure(rng.standard_normal((50, 2)), rng.integers(0, 10, 50)))
    valid(F.image_strip_figure(X[:8], captions=["a"] + [""] * 6 + ["b"]))


def test_math_page_figures():
    from explorer import MLP
    net = MLP([2, 4, 3], seed=0)
    X = np.random.default_rng(0).standard_normal((5, 2))
    rows = check_gradients(net, X, np.array([0, 1, 2, 0, 1]))
    fig = valid(F.gradcheck_figure(rows))
    assert list(fig.data[0].text) == ["pass"] * 4
    valid(F.matrix_figure(np.arange(12.0).reshape(3, 4), title="delta"))
    valid(F.compare_runs_figure(np.arange(5), np.ones(5), np.ones(3), "slip"))


def test_a_relu_mask_is_drawn_on_its_own_0_to_1_scale():
    fig = valid(F.matrix_figure(np.array([[0.0, 1.0], [1.0, 1.0]]), binary=True))
    assert (fig.data[0].zmin, fig.data[0].zmax) == (0, 1)
    assert fig.data[0].colorscale[0][1] == "#FFFFFF"


def test_a_divergence_stays_on_the_loss_and_gradient_charts():
    t = diverged_trainer()
    trail = t.diverged.trail
    h = t.history_arrays()
    loss = valid(F.history_figure(h["epoch"], h["train_loss"], blowup=trail))
    grads = valid(F.gradient_figure(h["epoch"], h["grad_W"], blowup=trail))
    for fig, key in ((loss, "loss"), (grads, "grad_norm")):
        crosses = [d for d in fig.data if d.name == "diverged"]
        assert len(crosses) == 1 and len(crosses[0].x) == len(trail[key])
        assert np.isfinite(np.asarray(crosses[0].y, float)).all()   # inf drawn at the top
    assert loss.layout.yaxis.type == "log"


def test_a_gradient_chart_over_many_decades_keeps_its_labels_apart():
    # the lr-3 run: gradients from 1e-26 to 1e1 had a label every decade, ~30 of them
    # on top of each other
    epochs = np.arange(30)
    g = np.logspace(1, -26, 30)[:, None] * np.ones((1, 3))
    fig = F.gradient_figure(epochs, g, g / 10, np.full((30, 3), 1e-3))
    y = fig.layout.yaxis
    decades = 28
    assert decades / y.dtick <= 7
    small = F.gradient_figure(epochs, np.logspace(0, -2, 30)[:, None] * np.ones((1, 3)))
    assert small.layout.yaxis.dtick == 1                  # a few decades: every one
