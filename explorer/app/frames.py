"""What the Classifier page draws of its lab, paused and live: a frame of the network
view. Pure (the lab in, the frame out), shared by the page and the benchmarks so
both measure the same thing."""
from ..lens.diagnostics import dead_units, plane_bounds
from . import raster
from .view_data import network_payload

LIVE_RES = 60      # grid points per side the browser draws a live frame at (at most)


def view_payload(lab, mode="weights", selected=None, epoch=None, res=LIVE_RES, show_test=True,
                 discrete=False, live=False):
    """One frame of the network view for the lab at ``epoch`` (None: now).

    The frame carries the network (its weights, input features and activation); the
    browser runs it over a ``res`` x ``res`` grid of the plane for the boundary and
    every hidden unit's map, coarser while ``live`` if it must to keep up. Units with
    levels rather than on/off (tanh, sigmoid, linear) are drawn by their level from
    lowest to highest. ``discrete`` colours each point of the plane by its most likely
    class only.
    """
    params = lab.params_at(epoch)
    net = lab.net if params is lab.net.params else None
    t, ds = lab.trainer, lab.ds
    memo = lab.__dict__.setdefault("frame_memo", {})     # this lab's, frame to frame
    if memo.get("extent") is not lab.extent:
        memo["extent"], memo["bounds"] = lab.extent, plane_bounds(lab.extent)
    # live, the network is at the epoch its trainer just recorded, dead units and all
    dead = None if net is None else t.dead if live else dead_units(net, t.X)
    return network_payload(
        epoch=lab.epoch if epoch is None else epoch, bounds=memo["bounds"],
        X_train=ds.X_train, y_train=ds.y_train, X_test=ds.X_test if show_test else None,
        y_test=ds.y_test, sizes=lab.net.sizes, params=params, features=lab.features,
        activation=lab.net.activation, res=res, live=live, discrete=discrete,
        grads=t.last_grads if net is not None else None, dead=dead,
        input_names=lab.input_names, class_names=lab.class_names,
        class_colors=raster.CLASS_COLORS, mode=mode, selected=selected, memo=memo)
