"""What the Classifier page draws of its lab, paused and live: pure functions (the
lab in, a figure or an image out), shared by the page and the benchmarks so both
measure the same thing."""
import numpy as np

from ..data.features import FEATURES
from ..lens.diagnostics import dead_units, plane_grid
from . import figures as F
from . import raster
from .view_data import network_payload, suggested_map_res

LIVE_RES = 60      # grid points per side for a live frame (it is upscaled smoothly)


def points_layer(lab, show_test=True, px=400):
    """The lab's data drawn as an RGBA image over its plane (the points don't move)."""
    xs, ys, _ = plane_grid(lab.extent, 2)
    ds = lab.ds
    return raster.points_layer(xs, ys, ds.X_train, ds.y_train,
                               ds.X_test if show_test else None, ds.y_test, px)


def boundary_frame(lab, dots, res=LIVE_RES, discrete=False, epoch=None):
    """The decision boundary at ``epoch`` as a JPEG data URI: shading under ``dots``."""
    probs = lab.grid(min(res, LIVE_RES), epoch)[2]
    return raster.jpeg_data_uri(raster.boundary_rgb(probs, dots, discrete))


def boundary_chart(lab, dots_uri, res=100, show_test=True, discrete=False, epoch=None):
    """The paused, interactive decision-boundary chart at ``epoch`` (None: now).

    ``dots_uri`` is the PNG data URI of :func:`points_layer` (encoded once per data).
    """
    xs, ys, probs, _, _ = lab.grid(res, epoch)
    ds = lab.ds
    return F.boundary_figure(xs, ys, probs, ds.X_train, ds.y_train,
                             ds.X_test if show_test else None, ds.y_test, discrete,
                             lab.class_names, height=500, dots=dots_uri)


def view_payload(lab, mode="weights", selected=None, epoch=None, res=LIVE_RES, show_test=True,
                 discrete=False):
    """One frame of the network view for the lab at ``epoch`` (None: now).

    The boundary on a ``res`` x ``res`` grid and every hidden unit's map on a
    coarser grid taken from the same evaluation (one forward pass for both).
    Units with levels rather than on/off (tanh, sigmoid, linear) are drawn by
    their level from lowest to highest. ``discrete`` colours each point of the
    plane by its most likely class only.
    """
    xs, ys, probs, acts, masks = lab.grid(res, epoch)
    if discrete:
        probs = (probs == probs.max(axis=-1, keepdims=True)).astype(np.float64)
    step = max(1, res // suggested_map_res(lab.net.sizes))
    maps, on = [], []
    for a, m in zip(acts, masks):
        a = a[::step, ::step]
        if m is None:                      # levels: lowest 0, highest 1, all "on"
            lo, hi = a.min(axis=(0, 1)), a.max(axis=(0, 1))
            a, m = (a - lo) / np.where(hi > lo, hi - lo, 1), np.ones(a.shape, bool)
        else:
            m = m[::step, ::step]
        maps.append(a)
        on.append(m)
    params = lab.params_at(epoch)
    net = lab.net if params is lab.net.params else None
    t, ds = lab.trainer, lab.ds
    dead = dead_units(net, t.X) if net is not None else None
    return network_payload(
        epoch=lab.epoch if epoch is None else epoch, probs=probs, xs=xs, ys=ys,
        X_train=ds.X_train, y_train=ds.y_train, X_test=ds.X_test if show_test else None,
        y_test=ds.y_test,
        unit_maps=maps, unit_masks=on, sizes=lab.net.sizes, params=params,
        grads=t.last_grads if net is not None else None, dead=dead,
        input_names=[FEATURES[f].label for f in lab.features],
        class_names=lab.class_names, class_colors=raster.CLASS_COLORS, mode=mode,
        selected=selected)
