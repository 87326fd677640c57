"""What the Classifier page draws of its lab, paused and live: a frame of the network
view. Pure (the lab in, the frame out), shared by the page and the benchmarks so
both measure the same thing."""
import numpy as np

from ..lens.diagnostics import dead_units
from . import raster
from .view_data import network_payload, suggested_map_res

LIVE_RES = 60      # grid points per side for a live frame (it is upscaled smoothly)


def view_payload(lab, mode="weights", selected=None, epoch=None, res=LIVE_RES, show_test=True,
                 discrete=False):
    """One frame of the network view for the lab at ``epoch`` (None: now).

    The boundary on a ``res`` x ``res`` grid and every hidden unit's map on a
    coarser grid taken from the same evaluation (one forward pass for both).
    Units with levels rather than on/off (tanh, sigmoid, linear) are drawn by
    their level from lowest to highest. ``discrete`` colours each point of the
    plane by its most likely class only.
    """
    step = max(1, res // suggested_map_res(lab.net.sizes))
    xs, ys, probs, acts, masks = lab.grid(res, epoch, units=step)
    if discrete:
        probs = (probs == probs.max(axis=-1, keepdims=True)).astype(np.float64)
    maps, on = [], []
    for a, m in zip(acts, masks):
        if m is None:                      # levels: lowest 0, highest 1, all "on"
            lo, hi = a.min(axis=(0, 1)), a.max(axis=(0, 1))
            a, m = (a - lo) / np.where(hi > lo, hi - lo, 1), np.ones(a.shape, bool)
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
        input_names=lab.input_names,
        class_names=lab.class_names, class_colors=raster.CLASS_COLORS, mode=mode,
        selected=selected)
