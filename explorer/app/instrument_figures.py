"""The instruments' charts, as pure functions: arrays in, plotly Figure out.

Same rules as :mod:`explorer.app.figures` (whose ``figure`` helper, font and
colours these reuse): text large enough for a projector, every string from
outside (class names, run names, titles) escaped once here with
:func:`explorer.text.html`, and numbers that are not finite drawn, not raised.
"""
import math

import numpy as np

from ..text import html
from . import raster
from .figures import INK, _finite, class_names_for, figure, image_item, _panels
from .raster import CLASS_COLORS, hex_to_rgb, png_data_uri, tile

RUN_COLORS = ("#0072B2", "#D55E00")         # this run, the fork (Okabe-Ito blue, vermilion)


def _log_ticks(lo, hi, n=5):
    """About ``n`` tick values (log10) and labels, evenly spread on a log colour bar
    from ``lo`` to ``hi`` (> 0), each rounded to two significant digits."""
    lo, hi = max(lo, 1e-12), max(hi, lo * 1.0001)
    vals = sorted({float(f"{v:.2g}") for v in np.geomspace(lo, hi, n)})
    vals = [min(max(v, lo), hi) for v in vals]
    return [math.log10(v) for v in vals], [f"{v:.2g}" for v in vals]


# --- loss landscape ----------------------------------------------------------------------
def landscape_figure(a, b, loss, path=None, axes=("direction 1", "direction 2"), title=None,
                     height=470):
    """The loss on a plane through the weights, as filled contours on a log scale.

    Parameters
    ----------
    a, b : ndarray of shape (na,), (nb,)
        Steps along the plane's two directions (x and y).
    loss : ndarray of shape (nb, na)
        The loss there (NaN where it is not finite).
    path : dict, optional
        ``{"a": (n,), "b": (n,), "epochs": (n,)}``: the training path projected
        on the plane, from the first snapshot to now.
    axes : (str, str)
        Axis titles (plain text).

    The weights now sit at (0, 0), marked with a star.
    """
    L = np.asarray(loss, float)
    ok = L[np.isfinite(L) & (L > 0)]
    lo, hi = (float(ok.min()), float(ok.max())) if ok.size else (1e-3, 1.0)
    Z = np.log10(np.clip(np.where(np.isfinite(L), L, hi), lo, hi))
    tickvals, ticktext = _log_ticks(lo, hi)
    data = [dict(type="contour", x=np.asarray(a, float), y=np.asarray(b, float), z=Z,
                 colorscale="Viridis", reversescale=True, ncontours=18,
                 contours=dict(coloring="fill", showlines=True),
                 line=dict(width=0.6, color="white"),
                 colorbar=dict(title=dict(text="loss", side="right"), tickvals=tickvals,
                               ticktext=ticktext, thickness=18, len=0.9),
                 customdata=np.where(np.isfinite(L), L, np.nan),
                 hovertemplate="(%{x:.2f}, %{y:.2f}): loss %{customdata:.3g}<extra></extra>",
                 showlegend=False)]
    if path is not None and len(path["a"]):
        data.append(dict(type="scatter", x=np.asarray(path["a"], float),
                         y=np.asarray(path["b"], float), mode="lines+markers", name="training path",
                         line=dict(color="white", width=4),
                         marker=dict(size=7, color="white", line=dict(color=INK, width=1)),
                         text=[f"epoch {int(e)}" for e in path["epochs"]],
                         hovertemplate="%{text}<extra></extra>"))
        data.append(dict(type="scatter", x=[float(path["a"][0])], y=[float(path["b"][0])],
                         mode="markers+text", text=["start"], textposition="middle right",
                         textfont=dict(color="white", size=16), name="epoch 0", showlegend=False,
                         marker=dict(size=14, color="white", symbol="circle",
                                     line=dict(color=INK, width=2)),
                         hovertemplate=f"epoch {int(path['epochs'][0])}<extra></extra>"))
    data.append(dict(type="scatter", x=[0.0], y=[0.0], mode="markers", name="the network now",
                     marker=dict(symbol="star", size=24, color="#D55E00",
                                 line=dict(color="white", width=2)),
                     hovertemplate="now<extra></extra>"))
    layout = dict(xaxis=dict(title=axes[0], range=[float(a[0]), float(a[-1])], zeroline=False,
                             constrain="domain"),
                  yaxis=dict(title=axes[1], range=[float(b[0]), float(b[-1])], zeroline=False,
                             scaleanchor="x", scaleratio=1, constrain="domain"),
                  hovermode="closest", plot_bgcolor="white")
    return figure(data, layout, title, height)


# --- learning-rate range test ---------------------------------------------------------------
def lr_finder_figure(lrs, losses, smoothed, suggestion=None, current=None, title=None,
                     height=400):
    """Loss against learning rate (log axis): each step's loss thin and grey, the
    smoothed loss thick, the suggested rate and the current one as vertical lines."""
    lrs = np.asarray(lrs, float)
    s = _finite(smoothed, nan=np.nan)
    finite = s[np.isfinite(s)]
    low = float(finite.min()) if finite.size else 0.0
    start = float(np.median(finite[:20])) if finite.size else 1.0
    # from the lowest loss to where it started (or 4.5x the lowest, where the test stops)
    top = float(min(finite.max(), max(1.1 * start, 4.5 * low))) if finite.size else 1.0
    data = [dict(type="scatter", x=lrs, y=_finite(losses, nan=np.nan), mode="lines",
                 name="each step", line=dict(color="#AAAAAA", width=1.5),
                 hovertemplate="lr %{x:.2g}: loss %{y:.3f}<extra>step</extra>"),
            dict(type="scatter", x=lrs, y=s, mode="lines", name="smoothed",
                 line=dict(color=RUN_COLORS[0], width=4),
                 hovertemplate="lr %{x:.2g}: smoothed loss %{y:.3f}<extra></extra>")]
    shapes, notes = [], []

    def mark(x, text, color, dash, y):
        shapes.append(dict(type="line", xref="x", yref="paper", x0=x, x1=x, y0=0, y1=1,
                           line=dict(color=color, width=3, dash=dash)))
        notes.append(dict(x=math.log10(x), xref="x", y=y, yref="paper", text=text,
                          showarrow=False, xanchor="left", yanchor="top", xshift=6,
                          font=dict(color=color, size=16), bgcolor="rgba(255,255,255,0.9)"))

    if suggestion:
        mark(suggestion, f"suggested {suggestion:.2g}", "#009E73", "dash", 0.98)
    if current:
        mark(current, f"now {current:.2g}", "#555555", "dot", 0.80)
    layout = dict(xaxis=dict(type="log", title="learning rate (grows every step)",
                             exponentformat="power", dtick=1),
                  yaxis=dict(title="training loss", range=[low - 0.05 * (top - low) - 1e-9,
                                                           top + 0.05 * (top - low) + 1e-9]),
                  shapes=shapes, annotations=notes,
                  legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    return figure(data, layout, title, height)


# --- two runs ---------------------------------------------------------------------------------
def two_runs_curves_figure(runs, title=None, height=340):
    """Loss over epochs of two (or more) runs on one chart: training solid, test dashed.

    Parameters
    ----------
    runs : list of dict
        ``{"name": str (plain text), "epoch": (n,), "train_loss": (n,),
        "test_loss": (n,) or None}``, one per run.
    """
    data = []
    last = 0.0
    for i, r in enumerate(runs):
        name, color = html(r["name"]), RUN_COLORS[i % len(RUN_COLORS)]
        ep = np.asarray(r["epoch"], float)
        last = max(last, float(ep[-1]) if len(ep) else 0.0)
        data.append(dict(type="scatter", x=ep, y=_finite(r["train_loss"], nan=np.nan),
                         mode="lines", name=name, legendgroup=name,
                         line=dict(color=color, width=3),
                         hovertemplate="epoch %{x}: training loss %{y:.3f}<extra>" + name
                         + "</extra>"))
        if r.get("test_loss") is not None:
            data.append(dict(type="scatter", x=ep, y=_finite(r["test_loss"], nan=np.nan),
                             mode="lines", name=name + " (test)", legendgroup=name,
                             showlegend=False, line=dict(color=color, width=2.5, dash="dash"),
                             hovertemplate="epoch %{x}: test loss %{y:.3f}<extra>" + name
                             + "</extra>"))
    layout = dict(xaxis=dict(title="epoch", range=[0, max(last, 10)]),
                  yaxis=dict(title="loss (solid: training, dashed: test)", rangemode="tozero"))
    return figure(data, layout, title, height)


def two_boundaries_figure(xs, ys, probs_list, names, X, y, class_names=None, title=None,
                          height=390):
    """Decision boundaries side by side, one panel per run, the training points on each.

    Parameters
    ----------
    probs_list : list of ndarray of shape (res_y, res_x, K)
    names : list of str
        Each panel's title (plain text).
    X, y : ndarray of shape (n, 2), (n,)
        Training points, drawn into each image.
    """
    n = len(probs_list)
    doms = _panels(n, gap=0.06)
    dots = raster.points_layer(xs, ys, X, y, px=360)
    K = probs_list[0].shape[-1]
    cnames = class_names_for(class_names, K)
    images, notes, layout = [], [], dict(plot_bgcolor="white")
    for i, probs in enumerate(probs_list):
        ax = "" if i == 0 else str(i + 1)
        rgb = raster.boundary_rgb(_finite(probs, nan=1.0 / K), dots)
        images.append(image_item(png_data_uri(rgb), xs[0], xs[-1], ys[0], ys[-1], ax))
        layout[f"xaxis{ax}"] = dict(domain=doms[i], range=[float(xs[0]), float(xs[-1])],
                                    showgrid=False, zeroline=False, showticklabels=False,
                                    constrain="domain", anchor=f"y{ax}")
        layout[f"yaxis{ax}"] = dict(range=[float(ys[0]), float(ys[-1])], showgrid=False,
                                    zeroline=False, showticklabels=False, constrain="domain",
                                    scaleanchor=f"x{ax}", scaleratio=1, anchor=f"x{ax}")
        notes.append(dict(text=f"<b>{html(names[i])}</b>", x=0.5, xref=f"x{ax} domain", y=1.0,
                          yref=f"y{ax} domain", yanchor="bottom", showarrow=False,
                          font=dict(size=16, color=RUN_COLORS[i % len(RUN_COLORS)])))
    data = [dict(type="scatter", x=[None], y=[None], mode="markers", name=cnames[k],
                 marker=dict(color=CLASS_COLORS[k % len(CLASS_COLORS)], size=11))
            for k in range(K)]
    layout.update(images=images, annotations=notes, showlegend=True,
                  legend=dict(orientation="h", yanchor="top", y=-0.02, x=0),
                  margin=dict(l=10, r=10, t=40, b=50))
    return figure(data, layout, title, height)


# --- which points push --------------------------------------------------------------------------
def pushes_figure(xs, ys, field, probs, X, y, pull, loss, class_names=None, field_name=None,
                  title=None, height=500):
    """Training points drawn by how hard the loss pulls on them, over the input-gradient field.

    Parameters
    ----------
    xs, ys : ndarray of shape (res_x,), (res_y,)
    field : ndarray of shape (res_y, res_x)
        ``||dL/dx||`` over the plane (shaded on a log scale over at most four decades,
        white to dark grey).
    probs : ndarray of shape (res_y, res_x, K)
        For the decision boundary (black lines).
    X, y : ndarray of shape (n, 2), (n,)
        Training points, coloured by class.
    pull, loss : ndarray of shape (n,)
        ``||p_i - onehot(y_i)||`` (sets the marker's size) and the point's loss.
    field_name : str, optional
        What the shading is (plain text), for its colour bar.
    """
    F = _finite(field, nan=0.0)
    pos = F[F > 0]
    hi = float(pos.max()) if pos.size else 1.0
    # four decades below the strongest at most: weaker is white (over 13 decades, as on
    # a trained network's flat regions, the colour bar taught nothing)
    lo = max(float(np.percentile(pos, 2)) if pos.size else 1e-6, hi * 1e-4)
    tickvals, ticktext = _log_ticks(lo, hi)
    K = probs.shape[-1]
    names = class_names_for(class_names, K)
    data = [dict(type="heatmap", x=xs, y=ys, z=np.log10(np.clip(F, lo, hi)), zsmooth="best",
                 colorscale=[[0, "#FFFFFF"], [1, "#4D4D4D"]], zmin=math.log10(lo),
                 zmax=math.log10(hi), showlegend=False,
                 colorbar=dict(title=dict(text=html(field_name or "‖dL/dx‖"), side="right"),
                               tickvals=tickvals, ticktext=ticktext, thickness=18, len=0.9),
                 hovertemplate="‖dL/dx‖ here: %{customdata:.3g}<extra></extra>",
                 customdata=F)]
    data += _boundary_lines(xs, ys, probs)
    pull = _finite(pull, nan=0.0)
    loss = _finite(loss, nan=0.0)
    size = 5 + 22 * np.clip(pull / math.sqrt(2), 0, 1)
    for k in range(K):
        m = np.asarray(y) == k
        if not m.any():
            continue
        data.append(dict(type="scatter", x=X[m, 0], y=X[m, 1], mode="markers", name=names[k],
                         marker=dict(size=size[m], color=CLASS_COLORS[k % len(CLASS_COLORS)],
                                     line=dict(color="white", width=1.2), opacity=0.9,
                                     sizemode="diameter"),
                         customdata=np.column_stack([pull[m], loss[m]]),
                         hovertemplate=names[k] + "<br>pull ‖p − y‖ %{customdata[0]:.2f}"
                         "<br>loss %{customdata[1]:.3f}<extra></extra>"))
    layout = dict(xaxis=dict(range=[float(xs[0]), float(xs[-1])], showgrid=False,
                             zeroline=False, title="x1", constrain="domain"),
                  yaxis=dict(range=[float(ys[0]), float(ys[-1])], showgrid=False,
                             zeroline=False, title="x2", scaleanchor="x", scaleratio=1,
                             constrain="domain"),
                  hovermode="closest")
    return figure(data, layout, title, height)


def _boundary_lines(xs, ys, probs, color=INK, width=3):
    """The decision boundary as contour lines: for each class, where its log-probability
    equals the best other class's (one line per pair of neighbouring classes)."""
    P = np.clip(_finite(probs, nan=1.0 / probs.shape[-1]), 1e-12, 1.0)
    logp = np.log(P)
    K = P.shape[-1]
    out = []
    for k in range(K if K > 2 else 1):
        others = np.delete(logp, k, axis=-1).max(axis=-1)
        margin = logp[..., k] - others
        if margin.min() >= 0 or margin.max() <= 0:
            continue                              # this class is everywhere or nowhere
        out.append(dict(type="contour", x=xs, y=ys, z=margin, showscale=False,
                        contours=dict(start=0, end=0, size=1, coloring="lines"),
                        colorscale=[[0, color], [1, color]], line=dict(width=width),
                        hoverinfo="skip", showlegend=False))
    return out


# --- linear regions ------------------------------------------------------------------------------
def regions_image(labels, cls, conf, K, borders=True):
    """Each grid point coloured by its region's class, paler where the region is unsure.

    Parameters
    ----------
    labels : ndarray of int of shape (res_y, res_x)
    cls, conf : ndarray of shape (n_regions,)
        From :func:`explorer.lens.regions.region_colours`.
    borders : bool
        Darken the grid points where the region changes (when no exact outline
        is drawn over the image).

    Returns
    -------
    ndarray of uint8 of shape (res_y, res_x, 3), image order (top row = largest y).
    """
    colors = np.stack([hex_to_rgb(CLASS_COLORS[k % len(CLASS_COLORS)]) for k in range(K)])
    t = 0.2 + 0.65 * np.clip((np.asarray(conf) - 1.0 / K) / (1 - 1.0 / K), 0, 1)
    region_rgb = 255.0 * (1 - t[:, None]) + colors[np.asarray(cls)] * t[:, None]
    rgb = region_rgb[labels]
    if borders:
        edge = np.zeros(labels.shape, bool)
        edge[:, :-1] |= labels[:, :-1] != labels[:, 1:]
        edge[:-1, :] |= labels[:-1, :] != labels[1:, :]
        rgb[edge] *= 0.6
    return rgb[::-1].round().astype(np.uint8)


def regions_class_figure(xs, ys, labels, cls, conf, probs, outlines=None, X=None, y=None,
                         class_names=None, title=None, height=500):
    """The linear regions coloured by the class they predict (paler: less sure), with the
    decision boundary (black) over them.

    Parameters
    ----------
    labels : ndarray of int of shape (res_y, res_x)
        Region per grid point.
    cls, conf : ndarray of shape (n_regions,)
        Each region's class and confidence.
    probs : ndarray of shape (res_y, res_x, K)
        For the decision boundary.
    outlines : (list, list), optional
        The exact regions' edges (:func:`explorer.lens.regions.region_outlines`):
        drawn as thin lines instead of the grid's own borders.
    X, y : ndarray, optional
        Training points, drawn small.
    """
    K = probs.shape[-1]
    names = class_names_for(class_names, K)
    img = regions_image(labels, cls, conf, K, borders=outlines is None)
    data = []
    if outlines is not None:
        data.append(dict(type="scatter", x=outlines[0], y=outlines[1], mode="lines",
                         line=dict(color="rgba(30,30,30,0.55)", width=1), hoverinfo="skip",
                         name="region edges (exact)", showlegend=False))
    data += _boundary_lines(xs, ys, probs)
    data.append(dict(type="scatter", x=[None], y=[None], mode="lines", name="decision boundary",
                     line=dict(color=INK, width=3)))
    if X is not None:
        for k in range(K):
            m = np.asarray(y) == k
            data.append(dict(type="scatter", x=X[m, 0], y=X[m, 1], mode="markers",
                             name=names[k], hoverinfo="skip",
                             marker=dict(color=CLASS_COLORS[k % len(CLASS_COLORS)], size=8,
                                         line=dict(color=INK, width=1))))
    layout = dict(xaxis=dict(range=[float(xs[0]), float(xs[-1])], showgrid=False,
                             zeroline=False, title="x1", constrain="domain"),
                  yaxis=dict(range=[float(ys[0]), float(ys[-1])], showgrid=False,
                             zeroline=False, title="x2", scaleanchor="x", scaleratio=1,
                             constrain="domain"),
                  images=[image_item(png_data_uri(img), xs[0], xs[-1], ys[0], ys[-1])],
                  hovermode="closest")
    return figure(data, layout, title, height)


# --- autoencoder ----------------------------------------------------------------------------------
def errors_by_digit_figure(by_digit, overall, title=None, height=330):
    """Mean reconstruction error of each digit (bars; the worst orange) and of all test
    digits (dashed line)."""
    e = _finite(by_digit, nan=0.0)
    digits = [str(d) for d in range(len(e))]
    worst = int(np.argmax(e)) if len(e) else 0
    data = [dict(type="bar", x=digits, y=e,
                 marker=dict(color=["#D55E00" if d == worst else RUN_COLORS[0]
                                    for d in range(len(e))]),
                 # the numbers at the foot of each bar, clear of the dashed line near their tops
                 text=[f"{v:.2g}" for v in e], textposition="inside", insidetextanchor="start",
                 textfont=dict(size=15, color="white"), textangle=0,
                 hovertemplate="digit %{x}: mean error %{y:.3g}<extra></extra>",
                 showlegend=False),
            dict(type="scatter", x=[digits[0], digits[-1]], y=[overall, overall], mode="lines",
                 name=f"all test digits: {overall:.2g}", xaxis="x", yaxis="y",
                 line=dict(color="#555555", width=2.5, dash="dash"), hoverinfo="skip")]
    top = float(max(e.max() if len(e) else 1.0, overall)) * 1.08
    layout = dict(xaxis=dict(title="digit", type="category"),
                  yaxis=dict(title="mean squared error", range=[0, top]))
    return figure(data, layout, title, height)


def _gray(images, k):
    g = (255 * (1 - np.clip(_finite(images), 0, 1))).round().astype(np.uint8).reshape(-1, 8, 8)
    g = np.repeat(np.repeat(g, k, axis=1), k, axis=2)
    return np.repeat(g[..., None], 3, axis=-1)


def worst_digits_figure(X, Xhat, labels, errors, k=6, title=None, height=None):
    """Digits (top row) with their reconstructions (bottom row): each digit's label
    above it, its squared error under its reconstruction. Up to 10 fit at 1024 px."""
    n = max(len(X), 1)
    img = tile(np.concatenate([_gray(X, k), _gray(Xhat, k)]), n, gap=3)
    notes = ([dict(x=i + 0.5, y=0, xref="x", yref="y", yanchor="bottom", showarrow=False,
                   text=f"<b>{html(labels[i])}</b>", font=dict(size=17)) for i in range(len(X))]
             + [dict(x=i + 0.5, y=-2, xref="x", yref="y", yanchor="top", showarrow=False,
                     text=f"{float(errors[i]):.2g}", font=dict(size=15)) for i in range(len(X))])
    layout = dict(xaxis=dict(range=[0, n], visible=False, constrain="domain"),
                  yaxis=dict(range=[-2, 0], visible=True, showgrid=False, zeroline=False,
                             scaleanchor="x", scaleratio=1, constrain="domain",
                             tickvals=[-0.5, -1.5], ticktext=["digit", "rebuilt"]),
                  plot_bgcolor="white", annotations=notes,
                  images=[image_item(png_data_uri(img), 0, n, -2, 0)],
                  margin=dict(l=70, r=10, t=34, b=34))
    return figure([], layout, title, height or int(80 + 2 * 460 / n))


def ablation_figure(base, off, dead=None, by_effect=False, title=None, height=340):
    """How much the mean test error grows when each code unit is switched off (bars);
    dead units (grey, crossed) cost nothing. ``by_effect`` orders the units biggest first."""
    off = _finite(off, nan=base)
    H = len(off)
    inc = off - base
    dead = np.zeros(H, bool) if dead is None else np.asarray(dead, bool)
    order = np.argsort(-inc, kind="stable") if by_effect else np.arange(H)
    units = [str(j + 1) for j in order]
    data = [dict(type="bar", x=units, y=inc[order],
                 marker=dict(color=np.where(dead[order], "#999999", RUN_COLORS[0]).tolist()),
                 customdata=off[order], showlegend=False,
                 hovertemplate="unit %{x}: error %{customdata:.2f} (+%{y:.2f})<extra></extra>")]
    if dead.any():
        data.append(dict(type="scatter", x=[u for u, d in zip(units, dead[order]) if d],
                         y=np.zeros(int(dead.sum())), mode="markers", name="dead unit",
                         marker=dict(symbol="x", size=13, color="#D55E00"),
                         hovertemplate="unit %{x} is dead<extra></extra>"))
    step = max(1, H // 16)
    layout = dict(xaxis=dict(title="code unit switched off" + (" (biggest effect first)"
                                                               if by_effect else ""),
                             type="category", tickvals=units[::step], ticktext=units[::step]),
                  yaxis=dict(title="error added", rangemode="tozero"),
                  bargap=0.15)
    return figure(data, layout, title, height)
