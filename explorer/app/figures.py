"""Every chart of the explorer, as a pure function: arrays in, plotly Figure out.

No Streamlit here and no training: a page computes nothing itself, it hands the
arrays from the core to these functions. Images (decision boundaries, masks,
digits) are encoded once as a PNG and drawn as one layout image: far lighter to
send and to redraw than thousands of heatmap cells or one subplot per digit.

The images themselves are made in :mod:`explorer.app.raster`; text here is large
enough to read on a projector.

Text from outside: every string a figure is given (class names from a CSV,
titles, axis titles, captions, labels, names of arrays) is plain text and is
escaped here, once, with :func:`explorer.text.html` (Plotly draws a subset of
HTML, fills ``%{...}`` in hover templates and typesets ``$...$``). Callers pass
plain text and never escape it themselves. Numbers that are not finite (a
network that blew up) are drawn as the nearest sensible colour instead of
breaking an image.
"""
import math

import numpy as np
import plotly.graph_objects as go

from ..text import clip, html
from . import palette
from .palette import SIGNED_SCALE, SIZE_SCALE
from .raster import (DIVERGING, ERROR_MAP, CLASS_COLORS, colormap, hex_to_rgb, png_data_uri,
                     points_layer, probability_image, tile)

LAYER_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9"]
INK = "#222222"            # text on a chart: dark on light, readable at the back of a room
FONT = dict(size=15, color=INK)
# Streamlit's chart theme draws tick labels, legend entries and colour bars at 12.75 px
# in a light grey (#808495 on white); every figure here sets them itself
TICK = dict(size=15, color=INK)
AXIS_TITLE = dict(size=16, color=INK)
MARGIN = dict(l=60, r=20, t=40, b=50)
NAME_CHARS = 40            # class names are cut to this many characters in a chart
_HUGE = float(np.finfo(np.float32).max)


# --- outside text and numbers ----------------------------------------------------
def class_names_for(class_names, K, default="class {}"):
    """``K`` class names ready for Plotly: cut, escaped, unique.

    Parameters
    ----------
    class_names : sequence of str or None
        Plain text (e.g. a CSV's labels); missing ones are ``default.format(k)``.
    K : int

    Returns
    -------
    list of str
        Escaped with :func:`explorer.text.html`; two names that are the same
        after cutting get their index added, so no two classes share a legend
        entry or a row of the confusion matrix.
    """
    given = list(class_names or [])
    names = [clip(given[k], NAME_CHARS) if k < len(given) else default.format(k)
             for k in range(K)]
    seen = set()
    for k, name in enumerate(names):
        if name in seen:
            names[k] = f"{name} ({k})"
        seen.add(names[k])
    return [html(n) for n in names]


def _finite(a, nan=0.0):
    """``a`` as a float array with NaN replaced by ``nan`` and infinities by the
    largest float32 (a diverged network still gets a picture, not an exception)."""
    a = np.asarray(a, float)
    if np.isfinite(a).all():
        return a
    return np.nan_to_num(a, nan=nan, posinf=_HUGE, neginf=-_HUGE)


# --- assembly ------------------------------------------------------------------
def image_item(uri, x0, x1, y0, y1, axis=""):
    """A layout image stretched over the data rectangle [x0, x1] x [y0, y1]."""
    return dict(source=uri, xref=f"x{axis}", yref=f"y{axis}", x=float(x0), y=float(y1),
                sizex=float(x1 - x0), sizey=float(y1 - y0), sizing="stretch", layer="below")


def figure(data, layout, title=None, height=None):
    """Assemble a Figure from plain dicts in one go.

    ``title`` and axis titles given as strings are plain text: they are escaped
    here. Every axis, the legend and every colour bar get dark text of at least
    15 px unless the layout says otherwise (the page's chart theme would draw tick
    labels and legends at 12.75 px in grey). Building from dicts and skipping
    plotly's per-property validation makes a live frame several times cheaper; the
    tests validate every figure instead.
    """
    base = dict(font=FONT, margin=MARGIN, height=height, hoverlabel=dict(font=dict(size=15)),
                legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    if title:
        base["title"] = dict(text=html(title), font=dict(size=18, color=INK))
        base["margin"] = dict(MARGIN, t=90)
    base.update(layout)
    base.setdefault("xaxis", {})
    base.setdefault("yaxis", {})
    for k, axis in base.items():
        if k.startswith(("xaxis", "yaxis")):
            if isinstance(axis.get("title"), str):    # plotly.js 3 wants {"text": ...}
                axis["title"] = dict(text=html(axis["title"]))
            if isinstance(axis.get("title"), dict):
                axis["title"].setdefault("font", AXIS_TITLE)
            axis.setdefault("tickfont", TICK)
    base["legend"].setdefault("font", TICK)
    for trace in data:
        if "colorbar" in trace:
            trace["colorbar"].setdefault("tickfont", TICK)
    return go.Figure(data=data, layout=base, _validate=False)


def _panels(n, gap=0.12):
    """x-axis domains for ``n`` side-by-side panels."""
    w = (1 - gap * (n - 1)) / n
    return [[i * (w + gap), i * (w + gap) + w] for i in range(n)]


def _headings(layout, names, doms, title, height):
    """Name side-by-side panels above each one, left-aligned, with the legend above
    the names. A vertical axis title between two panels fell on the curves of the
    panel to its left at 1024 px; a name above its panel cannot."""
    top = 46 if title else 0                   # room for the figure's title
    layout["annotations"] = layout.get("annotations", []) + [
        dict(text=html(name), xref="paper", x=d[0], xanchor="left", yref="paper", y=1,
             yanchor="bottom", yshift=4, showarrow=False, font=AXIS_TITLE)
        for name, d in zip(names, doms)]
    layout["legend"] = dict(orientation="h", x=0, xanchor="left", yref="container",
                            y=1 - top / (height or 450), yanchor="top")   # Plotly's 450
    layout["margin"] = dict(MARGIN, t=top + 66)


def _epoch_marks(mark, axes=("",)):
    """Vertical dotted lines at epoch ``mark`` on each panel (playback position)."""
    if mark is None:
        return []
    return [dict(type="line", xref=f"x{a}", yref=f"y{a} domain", x0=mark, x1=mark, y0=0, y1=1,
                 line=dict(color="#333", width=2, dash="dot")) for a in axes]


def log_ticks(values, most=8):
    """Tick values and labels for a log axis over ``values``: 1, 2 and 5 times a power
    of ten, or (when those would be more than ``most``) powers of ten, at most ``most``.

    Over less than about a decade and a half Plotly labels a log axis with small
    "2" and "5" between the decades (at 3/4 of the font, 11 px: unreadable at the
    back of a room); these are labelled at full size. ``None`` when ``values``
    holds no positive finite number (Plotly then picks its own).
    """
    v = np.asarray(values, float).ravel()
    v = v[np.isfinite(v) & (v > 0)]
    if not v.size:
        return None
    lo, hi = np.log10(v.min()), np.log10(v.max())
    powers = range(int(np.floor(lo)) - 1, int(np.ceil(hi)) + 2)
    marks = [(m, e) for e in powers for m in (1, 2, 5)]
    logs = [np.log10(m) + e for m, e in marks]
    # the ones in range and the nearest outside it on each side
    first = max([i for i, t in enumerate(logs) if t <= lo] or [0])
    last = min([i for i, t in enumerate(logs) if t >= hi] or [len(marks) - 1])
    marks = marks[first:last + 1]
    if len(marks) <= most:
        text = [f"{m * 10.0 ** e:.10g}" if -3 <= e < 4 else
                (f"{m}·" if m > 1 else "") + f"10<sup>{e}</sup>" for m, e in marks]
    else:                        # powers of ten, every other one (or fewer) if need be
        es = list(range(int(np.floor(lo)), int(np.ceil(hi)) + 1))
        es = es[::-(-len(es) // most)]
        marks = [(1, e) for e in es]
        text = [{0: "1", 1: "10"}.get(e, f"10<sup>{e}</sup>") for e in es]
    return dict(tickmode="array", tickvals=[m * 10.0 ** e for m, e in marks], ticktext=text)


def _lines(epochs):
    """Lines, or markers while there is one epoch only (a line of one point is not drawn:
    before training, the charts were empty while the diagram already counted dead units)."""
    return "lines" if len(epochs) > 1 else "lines+markers"


def _epoch_range(epochs):
    """Before much training, show the first 10 epochs rather than a range around 0."""
    last = float(np.max(epochs)) if len(epochs) else 0.0
    return [0, 10] if last < 10 else None


def _plane_axes(xs, ys):
    return dict(xaxis=dict(range=[float(xs[0]), float(xs[-1])], showgrid=False, zeroline=False,
                           title="x1", constrain="domain"),
                yaxis=dict(range=[float(ys[0]), float(ys[-1])], showgrid=False, zeroline=False,
                           title="x2", scaleanchor="x", scaleratio=1, constrain="domain"))


def _image_axes(x1, y0):
    """Axes for a tiled image over [0, x1] x [y0, 0], square pixels, no ticks."""
    return dict(xaxis=dict(range=[0, x1], visible=False, constrain="domain"),
                yaxis=dict(range=[y0, 0], visible=False, scaleanchor="x", scaleratio=1,
                           constrain="domain"),
                plot_bgcolor="white")


# --- classifier --------------------------------------------------------------
def _points(X, y, k, name, test=False, size=8):
    """Invisible hover targets for the points of class ``k`` (the image shows them).

    ``name`` is already escaped (:func:`class_names_for`)."""
    m = y == k
    kind = "test" if test else "train"
    return dict(type="scatter", x=X[m, 0], y=X[m, 1], mode="markers", showlegend=False,
                marker=dict(color="rgba(0,0,0,0)", size=size), name=f"{name} ({kind})",
                hovertemplate=f"{name}<br>x1=%{{x:.2f}}<br>x2=%{{y:.2f}}<extra>{kind}</extra>")


def boundary_figure(xs, ys, probs, X_train, y_train, X_test=None, y_test=None,
                    discretize=False, class_names=None, title=None, height=460, live=False,
                    dots=None):
    """The decision boundary: shaded class probabilities with the data on top.

    Parameters
    ----------
    xs, ys : ndarray of shape (res_x,), (res_y,)
        Grid coordinates.
    probs : ndarray of shape (res_y, res_x, K)
    X_train, y_train : ndarray of shape (n, 2), (n,)
        Drawn as filled circles.
    X_test, y_test : ndarray, optional
        Drawn as hollow diamonds.
    class_names : list of str, optional
        Plain text (a CSV's own labels); escaped here.
    live : bool
        A frame during training: no hover targets, so the browser only has two
        images to draw. Otherwise every point can be hovered.
    dots : ndarray or str, optional
        The points layer from :func:`points_layer`, or its PNG data URI, if the
        caller keeps one (the points do not move, so a page encodes them once).

    The shading and the points are two stacked images; the legend shows the
    marker styles.
    """
    K = probs.shape[-1]
    names = class_names_for(class_names, K)
    if dots is None:
        dots = points_layer(xs, ys, X_train, y_train, X_test, y_test)
    shade = probability_image(_finite(probs, nan=1.0 / K), discretize)
    data = []
    for k in range(K):
        data.append(dict(type="scatter", x=[None], y=[None], mode="markers", name=names[k],
                         marker=dict(color=CLASS_COLORS[k % len(CLASS_COLORS)], size=10)))
        if not live:
            data.append(_points(X_train, y_train, k, names[k]))
            if X_test is not None:
                data.append(_points(X_test, y_test, k, names[k], test=True))
    if X_test is not None:
        data.append(dict(type="scatter", x=[None], y=[None], mode="markers", name="test points",
                         marker=dict(color="#333", size=10, symbol="diamond-open",
                                     line=dict(width=2))))
    layout = _plane_axes(xs, ys)
    layout.update(images=[image_item(png_data_uri(shade), xs[0], xs[-1], ys[0], ys[-1]),
                          dict(image_item(dots if isinstance(dots, str) else png_data_uri(dots),
                                          xs[0], xs[-1], ys[0], ys[-1]), layer="above")],
                  uirevision="boundary", hovermode="closest")
    return figure(data, layout, title, height)


def _blowup(trail, key):
    """Red crosses for the steps of an epoch that blew up (``Trainer.diverged.trail``),
    at the top of a log axis where a value is not finite."""
    if not trail:
        return []
    x = np.asarray(trail["epoch"], float)
    y = np.asarray(trail[key], float)
    finite = np.isfinite(y)
    top = np.nanmax(y[finite]) * 10 if finite.any() else 1e6
    y = np.where(finite, y, top)
    text = [f"{v:.3g}" if f else "inf or NaN" for v, f in zip(trail[key], finite)]
    return [dict(type="scatter", x=x, y=y, mode="markers+lines", name="diverged",
                 marker=dict(symbol="x", size=11, color="#D55E00"),
                 line=dict(color="#D55E00", width=1.5, dash="dot"), text=text,
                 hovertemplate="step at epoch %{x:.2f}: %{text}<extra>diverged</extra>")]


def history_figure(epochs, train_loss, test_loss=None, train_acc=None, test_acc=None,
                   reference=None, reference_name=None, title=None, height=320, mark=None,
                   log=False, blowup=None):
    """Loss (left) and accuracy (right, if given) over epochs, train solid, test dashed.

    ``reference`` draws a horizontal dotted line on the loss panel (the
    autoencoder's PCA error at the same code size). ``log`` puts the loss on a log
    axis. ``blowup`` (a trainer's ``diverged.trail``) marks the steps of the
    epoch that diverged with red crosses, on a log loss axis.
    """
    epochs = np.asarray(epochs)
    with_acc = train_acc is not None and np.isfinite(np.asarray(train_acc, float)).any()
    doms = _panels(2 if with_acc else 1, gap=0.16)
    blue, orange = CLASS_COLORS[0], CLASS_COLORS[1]

    def line(y, name, dash, axis, legend):
        return dict(type="scatter", x=epochs, y=np.asarray(y, float), name=name, legendgroup=name,
                    showlegend=legend, xaxis=f"x{axis}", yaxis=f"y{axis}", mode=_lines(epochs),
                    line=dict(color=blue if name == "train" else orange, width=3, dash=dash))

    data = [line(train_loss, "train", "solid", "", True)]
    if test_loss is not None:
        data.append(line(test_loss, "test", "dash", "", True))
    data += _blowup(blowup, "loss")
    log = log or bool(blowup)
    x_end = max(epochs[-1] if len(epochs) else 0, *(blowup["epoch"] if blowup else [0]))
    loss_axis = dict(title="loss")
    if log:
        shown = [train_loss, [] if test_loss is None else test_loss,
                 [] if reference is None else [reference], blowup["loss"] if blowup else []]
        loss_axis.update(type="log", exponentformat="power",
                         **(log_ticks(np.concatenate([np.ravel(a) for a in shown])) or {}))
    layout = dict(xaxis=dict(domain=doms[0], title="epoch", range=_epoch_range([0, x_end])),
                  yaxis=loss_axis, uirevision="history")
    if reference is not None:
        data.append(dict(type="scatter", x=[epochs[0], max(epochs[-1], 1)], y=[reference] * 2,
                         mode="lines", name=html(reference_name or "reference"),
                         line=dict(color="#555", dash="dot", width=2)))
    if with_acc:
        data.append(line(train_acc, "train", "solid", "2", False))
        if test_acc is not None:
            data.append(line(test_acc, "test", "dash", "2", False))
        layout.update(xaxis2=dict(domain=doms[1], title="epoch", anchor="y2",
                                  range=_epoch_range(epochs)),
                      yaxis2=dict(range=[0, 1.02], tickformat=".0%", anchor="x2"))
        del layout["yaxis"]["title"]
        _headings(layout, ["loss", "accuracy"], doms, title, height)
    layout["shapes"] = _epoch_marks(mark, ("", "2") if with_acc else ("",))
    return figure(data, layout, title, height)


def layer_names(n_layers):
    """``["layer 1", ..., "layer L (output)"]`` for legends."""
    return [f"layer {l}" + (" (output)" if l == n_layers else "") for l in range(1, n_layers + 1)]


def _log_dtick(*arrays, most=6):
    """A log axis's step in decades (1 = every decade) so that at most about ``most``
    labels show: a run that blew up spans 1e-26 to 1e1, and a label a decade was ~30
    labels on top of each other."""
    v = np.concatenate([np.asarray(a, float).ravel() for a in arrays if a is not None])
    v = v[np.isfinite(v) & (v > 0)]
    if not len(v):
        return 1
    decades = np.log10(v.max()) - np.log10(v.min())
    return max(1, int(math.ceil(decades / most)))


def gradient_figure(epochs, grad_W, grad_b=None, update_ratio=None, title=None, height=340,
                    mark=None, blowup=None):
    """Per-layer gradient norms (log scale) and update-to-weight ratios over epochs.

    Parameters
    ----------
    grad_W, grad_b, update_ratio : ndarray of shape (epochs, n_layers)
        Mean over the epoch's steps of ``||dL/dW_l||``, ``||dL/db_l||`` and
        ``||delta W_l|| / ||W_l||``.
    blowup : dict, optional
        A trainer's ``diverged.trail``: the whole gradient's norm at each step of
        the epoch that blew up, marked with red crosses.
    """
    epochs = np.asarray(epochs)
    grad_W = np.asarray(grad_W, float)
    L = grad_W.shape[1]
    n = 2 if update_ratio is not None else 1
    doms = _panels(n)
    data = []
    for l, name in enumerate(layer_names(L)):
        c = LAYER_COLORS[l % len(LAYER_COLORS)]
        data.append(dict(type="scatter", x=epochs, y=grad_W[:, l], name=name, legendgroup=name,
                         mode=_lines(epochs), line=dict(color=c, width=3),
                         hovertemplate="‖dL/dW‖ = %{y:.3g}<extra>" + name + "</extra>"))
        if grad_b is not None:
            data.append(dict(type="scatter", x=epochs, y=np.asarray(grad_b, float)[:, l],
                             name=f"{name} bias", legendgroup=name, showlegend=False, mode="lines",
                             line=dict(color=c, width=1.5, dash="dot"),
                             hovertemplate="‖dL/db‖ = %{y:.3g}<extra>" + name + "</extra>"))
        if update_ratio is not None:
            data.append(dict(type="scatter", x=epochs, y=np.asarray(update_ratio, float)[:, l],
                             name=name, legendgroup=name, showlegend=False, mode="lines",
                             xaxis="x2", yaxis="y2", line=dict(color=c, width=3),
                             hovertemplate="‖ΔW‖/‖W‖ = %{y:.2e}<extra>" + name + "</extra>"))
    data += _blowup(blowup, "grad_norm")
    x_end = max(epochs[-1] if len(epochs) else 0, *(blowup["epoch"] if blowup else [0]))
    layout = dict(xaxis=dict(domain=doms[0], title="epoch", range=_epoch_range([0, x_end])),
                  yaxis=dict(type="log", exponentformat="power",
                             dtick=_log_dtick(grad_W, grad_b,
                                              blowup and blowup.get("grad_norm")),
                             title="‖dL/dW‖  (dotted: ‖dL/db‖)"),
                  uirevision="grads")
    if update_ratio is not None:
        layout.update(xaxis2=dict(domain=doms[1], title="epoch", anchor="y2",
                                  range=_epoch_range(epochs)),
                      yaxis2=dict(type="log", exponentformat="power", anchor="x2",
                                  dtick=_log_dtick(update_ratio, [1e-4, 1e-2])),
                      # around 1e-3 is the usual healthy pace; far above, steps are too big
                      shapes=[dict(type="rect", xref="x2 domain", yref="y2", x0=0, x1=1,
                                   y0=1e-4, y1=1e-2, fillcolor="#009E73", opacity=0.10,
                                   line=dict(width=0), layer="below")])
        del layout["yaxis"]["title"]
        _headings(layout, ["gradient ‖dL/dW‖", "update ‖ΔW‖/‖W‖"], doms, title, height)
    layout["shapes"] = layout.get("shapes", []) + _epoch_marks(mark, ("", "2")[:n])
    return figure(data, layout, title, height)


def dead_units_figure(epochs, dead_frac, title=None, height=280, mark=None):
    """Fraction of dead ReLU units (off for every training sample) per hidden layer."""
    dead = np.asarray(dead_frac, float)
    data = [dict(type="scatter", x=np.asarray(epochs), y=dead[:, l], name=f"hidden layer {l + 1}",
                 mode=_lines(epochs), line=dict(color=LAYER_COLORS[l % len(LAYER_COLORS)], width=3),
                 hovertemplate="%{y:.0%} dead<extra>hidden layer " + str(l + 1) + "</extra>")
            for l in range(dead.shape[1])]
    layout = dict(yaxis=dict(range=[-0.02, 1.02], tickformat=".0%", title="dead units"),
                  xaxis=dict(title="epoch", range=_epoch_range(epochs)), uirevision="dead",
                  shapes=_epoch_marks(mark))
    return figure(data, layout, title, height)


def confusion_figure(cm, class_names=None, title=None, height=320):
    """Confusion matrix (true class in rows, predicted in columns) with counts."""
    cm = np.asarray(cm)
    K = cm.shape[0]
    names = class_names_for(class_names, K, default="{}")
    # a column's name on two lines at its last space ("class<br>0"): narrow columns then
    # keep them level instead of turned on end (names are escaped, so no "<" of their own)
    columns = ["<br>".join(n.rsplit(" ", 1)) for n in names]
    share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    data = [dict(type="heatmap", z=share, x=columns, y=names, text=cm.astype(str),
                 texttemplate="%{text}", textfont=dict(size=16), zmin=0, zmax=1, showscale=False,
                 colorscale=SIZE_SCALE,
                 hovertemplate="true %{y}, predicted %{x}: %{text}<extra></extra>")]
    layout = dict(yaxis=dict(autorange="reversed", title="true class", type="category"),
                  xaxis=dict(title="predicted class", type="category"))
    return figure(data, layout, title, height)


def regions_figure(xs, ys, labels, n_regions, X=None, y=None, title=None, height=420):
    """The plane coloured by the joint on/off pattern of every hidden ReLU.

    Inside one colour the network is one affine map: these are its linear regions.
    """
    rng = np.random.default_rng(0)
    palette = rng.integers(70, 250, size=(max(int(labels.max()) + 1, 1), 3)).astype(np.uint8)
    data = []
    if X is not None:
        for k in np.unique(y):
            m = y == k
            data.append(dict(type="scatter", x=X[m, 0], y=X[m, 1], mode="markers",
                             showlegend=False, hoverinfo="skip",
                             marker=dict(color=CLASS_COLORS[int(k) % 10], size=5,
                                         line=dict(color="white", width=0.5))))
    layout = _plane_axes(xs, ys)
    layout["images"] = [image_item(png_data_uri(palette[labels][::-1]), xs[0], xs[-1], ys[0], ys[-1])]
    return figure(data, layout, title or f"{n_regions} linear regions in view", height)


# --- autoencoder ---------------------------------------------------------------
def _gray(images, k=4):
    """(n, 64) intensities in [0, 1] -> (n, 8k, 8k, 3) uint8, white background, dark ink."""
    g = (255 * (1 - np.clip(images, 0, 1))).round().astype(np.uint8).reshape(-1, 8, 8)
    g = np.repeat(np.repeat(g, k, axis=1), k, axis=2)
    return np.repeat(g[..., None], 3, axis=-1)


def digits_grid_figure(X, Xhat, labels=None, k=4, title=None, height=None, cols=5):
    """Test digits, their reconstructions and per-pixel error, ``cols`` digits a band.

    Parameters
    ----------
    X, Xhat : ndarray of shape (n, 64)
        Originals and reconstructions, intensities in [0, 1].
    cols : int
        Digits side by side: each band of ``cols`` digits shows three rows (digit,
        rebuilt, error²). Five a band keeps each digit about 90 px tall on a
        1024 px screen with the sidebar open.

    All 3n digits are one PNG, so the whole grid is one cheap image.
    """
    n = len(X)
    X, Xhat = _finite(X), _finite(Xhat)
    err = np.minimum((Xhat - X) ** 2, 1e6)
    # on a square-root scale: an error of 0.01 (a tenth of the ink) is already visible
    err_img = colormap(np.sqrt(err.reshape(-1, 8, 8)), anchors=ERROR_MAP, lo=0.0, hi=0.7)
    err_img = np.repeat(np.repeat(err_img, k, axis=1), k, axis=2)
    cols = max(1, min(cols, n))
    bands = -(-n // cols)
    pad = bands * cols - n                      # blank digits fill the last band
    blank = np.full((pad, 8 * k, 8 * k, 3), 255, np.uint8)
    rows = []
    for b in range(bands):
        part = slice(b * cols, (b + 1) * cols)
        fill = blank if b == bands - 1 else blank[:0]
        rows += [np.concatenate([_gray(X[part], k), fill]),
                 np.concatenate([_gray(Xhat[part], k), fill]),
                 np.concatenate([err_img[part], fill])]
    img = tile(np.concatenate(rows), cols, gap=2)
    per_digit = err.sum(axis=1)
    hover = [f"digit {html(labels[i]) if labels is not None else ''}: squared error "
             f"{per_digit[i]:.2f}" for i in range(n)]
    data = [dict(type="scatter", x=np.arange(n) % cols + 0.5, y=-3 * (np.arange(n) // cols) - 1.5,
                 mode="markers", marker=dict(size=30, opacity=0), hovertext=hover,
                 hoverinfo="text", showlegend=False)]
    layout = _image_axes(cols, -3 * bands)
    layout["yaxis"].update(visible=True, showgrid=False, zeroline=False,
                           tickvals=[-0.5 - r for r in range(3 * bands)],
                           ticktext=["digit", "rebuilt", "error²"] * bands)
    layout["images"] = [image_item(png_data_uri(img), 0, cols, -3 * bands, 0)]
    layout["margin"] = dict(MARGIN, l=80, t=10, b=10)
    # about 90 px a digit: the width a 1024 px screen with the sidebar open gives 5 digits
    return figure(data, layout, title, height or int(20 + 3 * bands * 450 / cols))


def code_firing_figure(firing, dead, title=None, height=360):
    """Digits (rows) by hidden units (columns): how often each unit fires for each digit.

    Dead units (off for every training image) are marked with a red cross.
    """
    firing = np.asarray(firing, float)
    K, H = firing.shape
    data = [dict(type="heatmap", z=firing, x=np.arange(1, H + 1), y=[str(d) for d in range(K)],
                 colorscale="Viridis", zmin=0, zmax=1, colorbar=dict(title=dict(text="fires"), tickformat=".0%"),
                 hovertemplate="digit %{y}, unit %{x}: fires on %{z:.0%}<extra></extra>")]
    dead_idx = np.flatnonzero(dead)
    if len(dead_idx):
        data.append(dict(type="scatter", x=dead_idx + 1, y=[str(K - 1)] * len(dead_idx),
                         mode="markers", marker=dict(symbol="x", color="#D55E00", size=16,
                                                     line=dict(width=2, color="white")),
                         name="dead unit", hovertemplate="unit %{x} is dead<extra></extra>"))
    layout = dict(xaxis=dict(title="hidden unit", dtick=-(-H // 8)),   # at most 8 labels
                  yaxis=dict(title="digit", type="category"))
    return figure(data, layout, title, height)


def filters_figure(W, cols=8, k=4, title=None):
    """Each row of ``W`` (n, 64) as an 8x8 image, red negative, purple positive.

    Encoder filters are the rows of W1; decoder features the columns of W2
    (pass ``W2.T``). Each filter is scaled by its own largest magnitude.
    """
    W = _finite(W)
    cols = min(cols, len(W))
    scale = np.maximum(np.abs(W).max(axis=1, keepdims=True), 1e-12)
    imgs = colormap((W / scale).reshape(-1, 8, 8), anchors=DIVERGING, lo=-1, hi=1)
    img = tile(np.repeat(np.repeat(imgs, k, axis=1), k, axis=2), cols, gap=2)
    n_rows = math.ceil(len(W) / cols)
    data = [dict(type="scatter", x=[(i % cols) + 0.5 for i in range(len(W))],
                 y=[-(i // cols) - 0.5 for i in range(len(W))], mode="markers",
                 marker=dict(size=24, opacity=0), showlegend=False, hoverinfo="text",
                 hovertext=[f"unit {i + 1}: largest |weight| {scale[i, 0]:.3f}" for i in range(len(W))])]
    layout = _image_axes(cols, -n_rows)
    layout["images"] = [image_item(png_data_uri(img), 0, cols, -n_rows, 0)]
    return figure(data, layout, title, height=int(60 + n_rows * 760 / cols))


def dead_pixels_figure(dead, mean_image, title=None, height=300):
    """The 8x8 output: mean test digit in grey, dead output pixels in red."""
    img = _gray(np.asarray(mean_image)[None, :], k=16)[0]
    d = np.repeat(np.repeat(np.asarray(dead, bool).reshape(8, 8), 16, 0), 16, 1)
    img[d] = hex_to_rgb("#D55E00").astype(np.uint8)
    n = int(np.sum(dead))
    layout = _image_axes(8, -8)
    layout["images"] = [image_item(png_data_uri(img), 0, 8, -8, 0)]
    return figure([], layout, title or f"{n} dead output pixel{'s' if n != 1 else ''}", height)


def codes_scatter_figure(P, y, title=None, height=420,
                         axes=("code PC 1", "code PC 2")):
    """The test set's codes in 2-D (the code units themselves, or the top two principal
    components of a longer code: ``axes`` names them), by digit."""
    data = [dict(type="scatter", x=P[y == d, 0], y=P[y == d, 1], mode="markers", name=str(d),
                 marker=dict(color=CLASS_COLORS[d], size=7, opacity=0.85),
                 hovertemplate=f"digit {d}<extra></extra>") for d in range(10)]
    layout = dict(xaxis=dict(title=axes[0], zeroline=False),
                  yaxis=dict(title=axes[1], zeroline=False), uirevision="codes")
    return figure(data, layout, title, height)


def image_strip_figure(images, captions=None, k=6, title=None, height=170):
    """A row of 8x8 images (n, 64) in [0, 1], e.g. an interpolation in code space."""
    n = len(images)
    layout = _image_axes(n, -1)
    layout["images"] = [image_item(png_data_uri(tile(_gray(images, k), n, gap=3)), 0, n, -1, 0)]
    if captions:
        layout["annotations"] = [dict(x=i + 0.5, y=0, yanchor="bottom", text=html(c),
                                      showarrow=False, xref="x", yref="y")
                                 for i, c in enumerate(captions)]
    return figure([], layout, title, height)


# --- math page -----------------------------------------------------------------
def matrix_figure(A, title=None, xlabel=None, ylabel=None, height=None, fmt=".3g",
                  binary=False, col_names=None, row_names=None, per_column=False,
                  probability=False):
    """A small matrix as a heatmap (red negative, white zero, purple positive: the
    palette's signs), values in cells when it is small.

    ``binary`` draws a 0/1 matrix (a ReLU mask): white off, dark on.
    ``probability`` draws values in [0, 1] from white (0) to dark (1): a size.
    ``col_names`` / ``row_names`` (plain text) label every column / row instead of
    numbers. ``per_column`` colours each column on its own scale (a weight and its
    gradient side by side differ a hundredfold): the numbers in the cells are then
    the only scale, and there is no colour bar.
    """
    A = np.asarray(A, float)
    if A.ndim == 1:
        A = A[:, None]
    finite = np.abs(A[np.isfinite(A)])
    m = float(finite.max()) if finite.size else 1.0
    m = m if m > 0 else 1.0
    small = A.size <= 80 and A.shape[1] <= 8          # room for the numbers in the cells
    scale = SIZE_SCALE if binary or probability else SIGNED_SCALE
    unit = binary or probability               # on [0, 1], not symmetric around 0
    z = A
    if per_column:
        peak = np.nanmax(np.abs(np.where(np.isfinite(A), A, np.nan)), axis=0)
        z, m = A / np.where(np.isfinite(peak) & (peak > 0), peak, 1.0), 1.0
    # every matrix keeps a colour bar of the same width, so the columns of Z, its mask
    # and its delta line up one under the other on the math page
    bar = dict(thickness=14, len=0.9)
    if binary:
        bar.update(tickvals=[0, 1], ticktext=["off", "on"])
    elif probability:
        bar.update(tickvals=[0, 1], ticktext=["0", "1"])
    elif A.shape[0] <= 4:          # a short bar: its two ends only, or the labels collide
        bar.update(tickvals=[-m, m], ticktext=[format(-m, ".2g"), format(m, ".2g")])
    value = "%{customdata:" if per_column else "%{z:"        # the value, not its colour
    trace = dict(type="heatmap", z=z, zmin=0 if unit else -m, zmax=1 if unit else m,
                 showscale=not per_column, colorscale=scale, colorbar=bar,
                 hovertemplate="row %{y}, column %{x}: " + value + fmt + "}<extra></extra>")
    if per_column:
        trace["customdata"] = A
    if small:
        # + 0.0: a delta cut by a ReLU mask is -0.0, which would show as "-0"
        trace.update(text=[[format(v + 0.0, fmt) for v in row] for row in A], texttemplate="%{text}",
                     textfont=dict(size=15))
    rows, cols = A.shape

    def ticks(n, names):
        if names is not None:
            return dict(tickvals=list(range(n)), ticktext=[html(t) for t in names])
        step = -(-n // 8)      # at most about 8 numbers a side, from 1, so they never collide
        return dict(tickvals=list(range(0, n, step)), ticktext=[str(i + 1) for i in range(0, n, step)])

    layout = dict(yaxis=dict(autorange="reversed", title=ylabel, showgrid=False,
                             **ticks(rows, row_names)),
                  xaxis=dict(title=xlabel, showgrid=False, side="top", **ticks(cols, col_names)),
                  # the colour bar and its labels fit in the right margin, so every
                  # matrix of as many columns has its columns at the same places
                  margin=dict(MARGIN, l=70, r=10 if per_column else 80,
                              t=100 if title else 50))
    # 24 px a row for up to 24 rows: room for a 15 px row label each
    return figure([trace], layout, title,
                  height or (100 if title else 50) + 50 + max(48, 24 * min(rows, 24)))


def unit_map_figure(xs, ys, act, on=None, X=None, y=None, lo=None, hi=None, color=None,
                    scale_name="activation", title=None, height=320):
    """One unit's map over the plane, large: white where it is off, grey to black by how
    strongly it is on (the range written under it), as in the network view; the
    training points on top.

    Parameters
    ----------
    xs, ys : ndarray
        The grid's coordinates along x1 and x2.
    act : ndarray of shape (len(ys), len(xs))
        The unit's activation (or, for an output unit, its class probability).
    on : ndarray of bool, same shape, optional
        Where the unit is on (its ReLU mask); None: on everywhere.
    X, y : ndarray, optional
        Training points (n, 2) and their classes, drawn small over the map.
    lo, hi : float, optional
        The values drawn palest and darkest: by default 0 and the largest where the
        unit is on (with ``on``), else the map's own least and largest.
    color : str, optional
        The darkest colour (``"#rrggbb"``), from white; by default the view's
        greys for a hidden unit.
    scale_name : str
        What the colours measure (plain text), written under the map with its range.
    """
    a = _finite(act)
    on = np.ones(a.shape, bool) if on is None else np.asarray(on, bool)
    if lo is None:
        lo = 0.0 if not on.all() else float(a.min())
    if hi is None:
        hi = float(a[on].max()) if on.any() else lo + 1.0
    hi = hi if hi > lo else lo + 1.0
    level = np.clip((a - lo) / (hi - lo), 0, 1)
    # a hidden unit as the view draws it (palette: WEAK to INK where on, OFF where off);
    # an output unit from white to its class's colour
    weak, strong = ((hex_to_rgb(palette.WEAK), hex_to_rgb(palette.INK)) if color is None
                    else (np.array([255, 255, 255]), hex_to_rgb(color)))
    rgb = (weak + (strong - weak) * level[..., None]).astype(np.uint8)
    rgb[~on] = hex_to_rgb(palette.OFF).astype(np.uint8)
    data = [dict(type="scatter", x=[float(xs[0])], y=[float(ys[0])], mode="markers",
                 marker=dict(opacity=0), hoverinfo="skip", showlegend=False)]
    if X is not None and len(X):
        X, y = np.asarray(X, float), np.asarray(y)
        data += [dict(type="scatter", x=X[y == k, 0], y=X[y == k, 1], mode="markers",
                      marker=dict(color=CLASS_COLORS[k % len(CLASS_COLORS)], size=6, opacity=0.7,
                                  line=dict(color="white", width=0.5)),
                      showlegend=False, hoverinfo="skip") for k in np.unique(y).astype(int)]
    layout = _plane_axes(xs, ys)
    layout["images"] = [image_item(png_data_uri(rgb[::-1]), xs[0], xs[-1], ys[0], ys[-1])]
    # the scale in words under the map (a colour bar beside it left the map 80 px wide
    # in half of the page at 1024 px)
    layout["xaxis"]["title"] = f"x1 · {scale_name} {lo:.2g} to {hi:.2g}"
    layout["margin"] = dict(MARGIN, t=50 if title else 10, r=10)
    return figure(data, layout, title, height)


def gradcheck_figure(rows, title=None, height=300):
    """Relative error of every parameter array (log scale) against the 1e-6 pass line."""
    names = [html(r["name"]) for r in rows]
    rel = [max(r["rel_error"], 1e-16) for r in rows]
    data = [dict(type="bar", x=names, y=rel,
                 marker=dict(color=["#009E73" if r["passed"] else "#D55E00" for r in rows]),
                 text=["pass" if r["passed"] else "FAIL" for r in rows], textposition="outside",
                 # full size even over a narrow bar (Plotly shrank it to 9 px)
                 textfont=dict(size=15, color=INK), constraintext="none", cliponaxis=False,
                 hovertemplate="%{x}: relative error %{y:.2e}<extra></extra>")]
    # the pass line is named in the axis title: a note beside it lay on failing bars
    layout = dict(yaxis=dict(type="log", exponentformat="power",
                             title="relative error (pass < 1e-6)",
                             range=[-16, 2.5], dtick=4),
                  shapes=[dict(type="line", xref="paper", x0=0, x1=1, y0=1e-6, y1=1e-6,
                               line=dict(color="#555", dash="dash"), layer="above")])
    return figure(data, layout, title, height)


def compare_runs_figure(epochs, correct, wrong, wrong_name, ylabel="training loss",
                        title=None, height=300, blowup=None):
    """Two training curves side by side: the correct backward pass and a slip (log scale,
    since a slip's loss can run off by orders of magnitude). ``blowup`` (the slip's
    ``diverged.trail``) marks the steps where it blew up."""
    epochs = np.asarray(epochs)
    data = [dict(type="scatter", x=epochs[:len(correct)], y=np.asarray(correct, float),
                 name="correct backprop", mode="lines", line=dict(color="#009E73", width=3)),
            dict(type="scatter", x=epochs[:len(wrong)], y=np.asarray(wrong, float),
                 name=html(wrong_name), mode="lines+markers", marker=dict(size=6),
                 line=dict(color="#D55E00", width=3, dash="dash"))] + _blowup(blowup, "loss")
    layout = dict(xaxis=dict(title="epoch"),
                  yaxis=dict(title=ylabel, type="log", exponentformat="power"))
    return figure(data, layout, title, height)
