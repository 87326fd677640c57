"""What the Classifier page draws of its lab, paused and live: pure functions (the
lab in, a figure or an image out), shared by the page and the benchmarks so both
measure the same thing."""
from ..lens.diagnostics import plane_grid
from . import figures as F
from . import raster

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
