"""Pictures as arrays: class shading, rasterised data points, colour maps, tiling,
and a small PNG encoder. Pure NumPy (and zlib), so the core can cache an image
and a test can check one pixel by pixel; :mod:`explorer.app.figures` puts these
images into plotly figures.

Colours come from :mod:`.palette` (one meaning each): classes in the Okabe-Ito
palette, signed numbers red to purple; continuous values use viridis-like maps.
"""
import base64
import math
import struct
import zlib

import numpy as np

from .palette import CLASS_COLORS, NEGATIVE, POSITIVE, rgb

# viridis anchors (perceptually uniform, colour-blind safe)
VIRIDIS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], float)
# a signed number: red negative, white zero, purple positive (palette.SIGNED_SCALE)
DIVERGING = np.array([rgb(NEGATIVE), [255, 255, 255], rgb(POSITIVE)], float)
# squared error per pixel: black (none) through purple and orange to pale yellow (large),
# as matplotlib's "inferno": small errors stay visible, and the row cannot be read as ink
ERROR_MAP = np.array([[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]],
                     float)


def hex_to_rgb(h):
    """``"#0072B2"`` -> array([0, 114, 178]) as floats."""
    return np.array(rgb(h), float)


def colormap(values, anchors=VIRIDIS, lo=None, hi=None):
    """Map ``values`` (any shape) to RGB uint8 (shape + (3,)) by linear anchors."""
    v = np.asarray(values, float)
    lo = np.nanmin(v) if lo is None else lo
    hi = np.nanmax(v) if hi is None else hi
    t = np.clip((v - lo) / (hi - lo if hi > lo else 1.0), 0, 1) * (len(anchors) - 1)
    i = np.minimum(t.astype(int), len(anchors) - 2)
    f = (t - i)[..., None]
    return ((1 - f) * anchors[i] + f * anchors[i + 1]).round().astype(np.uint8)


def png_data_uri(rgb, level=6):
    """Encode an RGB (h, w, 3) or RGBA (h, w, 4) uint8 image as a PNG data URI."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w, c = rgb.shape
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rgb.reshape(h, w * c)], axis=1)

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2 if c == 3 else 6, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw.tobytes(), level)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def tile(images, cols, gap=1, fill=255):
    """Lay out images (n, h, w, 3) in a grid with ``cols`` columns and a ``gap``."""
    n, h, w, c = images.shape
    rows = max(1, math.ceil(n / cols))
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap, c), fill, np.uint8)
    for i in range(n):
        r, q = divmod(i, cols)
        out[r * (h + gap):r * (h + gap) + h, q * (w + gap):q * (w + gap) + w] = images[i]
    return out


def probability_image(probs, discretize=False):
    """Blend class colours by probability; paler where the network is unsure.

    Parameters
    ----------
    probs : ndarray of shape (res_y, res_x, K)
        Rows go with increasing y.
    discretize : bool
        Colour each point by its most likely class only (a hard boundary).

    Returns
    -------
    ndarray of uint8 of shape (res_y, res_x, 3), top row = largest y (image order).
    """
    K = probs.shape[-1]
    colors = np.stack([hex_to_rgb(c) for c in CLASS_COLORS[:K]])
    if discretize:
        mixed = colors[probs.argmax(-1)]
        conf = np.full(probs.shape[:2], 0.55)
    else:
        mixed = probs @ colors
        # confidence 0 at a uniform guess, 1 when one class has all the mass
        conf = 0.12 + 0.6 * (probs.max(-1) - 1.0 / K) / (1.0 - 1.0 / K)
    rgb = 255.0 * (1 - conf[..., None]) + mixed * conf[..., None]
    return rgb[::-1].round().astype(np.uint8)


def _sprite(radius, hollow):
    """Antialiased coverage (fill, rim) of a marker ``radius`` pixels wide.

    Filled markers are discs with a 1.5 px rim; hollow ones diamonds whose 2 px
    rim is all there is.
    """
    r = np.arange(-radius - 2, radius + 3)
    dx, dy = np.meshgrid(r, r)
    d = (np.abs(dx) + np.abs(dy)) / 1.3 if hollow else np.hypot(dx, dy)
    outer = np.clip(radius - d + 0.5, 0, 1)
    inner = np.clip(radius - (2.0 if hollow else 1.5) - d + 0.5, 0, 1)
    return (None, outer - inner) if hollow else (inner, outer - inner)


def _coverage(cols, rows, sprite, shape):
    """Coverage (h*w,) of ``sprite`` stamped at every (col, row); overlaps take the max."""
    h, w = shape
    s = sprite.shape[0] // 2
    inside = (rows >= s) & (cols >= s) & (rows < h - s) & (cols < w - s)
    dy, dx = np.indices(sprite.shape) - s
    flat = (rows[inside, None, None] + dy) * w + (cols[inside, None, None] + dx)
    cov = np.zeros(h * w, np.float32)
    np.maximum.at(cov, flat.ravel(), np.broadcast_to(sprite.astype(np.float32), flat.shape).ravel())
    return cov


def points_overlay(X, y, xs, ys, shape, test=False, radius=6):
    """Draw labelled points into a transparent RGBA image (image order, top row = max y).

    Train points are filled circles in the class colour with a white rim; test
    points hollow diamonds in the class colour. Rasterising the points keeps a
    live frame to one image for the browser instead of hundreds of SVG markers.
    Where points of different classes overlap, the larger coverage wins.
    """
    fill, rim = _sprite(radius, test)
    h, w = shape
    cols = np.round((np.asarray(X[:, 0]) - xs[0]) / (xs[-1] - xs[0]) * (w - 1)).astype(int)
    rows = np.round((ys[-1] - np.asarray(X[:, 1])) / (ys[-1] - ys[0]) * (h - 1)).astype(int)
    classes = np.unique(y)
    palette = np.stack([hex_to_rgb(CLASS_COLORS[int(k) % len(CLASS_COLORS)]) for k in classes])
    colored = rim if test else fill
    cov = np.stack([_coverage(cols[y == k], rows[y == k], colored, shape) for k in classes])
    a_rim = cov.max(axis=0) if test else _coverage(cols, rows, rim + fill, shape)
    px = np.flatnonzero(a_rim)                  # only the pixels a marker touches
    c = cov[:, px]
    win, a_col = c.argmax(axis=0), c.max(axis=0)[:, None]
    # the coloured part over a white rim (hollow markers have no white part)
    rgb = palette[win] * a_col + 255.0 * (a_rim[px, None] - a_col).clip(0, 1)
    alpha = np.maximum(a_rim[px], a_col[:, 0])[:, None]
    out = np.zeros((h * w, 4), np.uint8)
    out[px] = np.concatenate([rgb / np.maximum(alpha, 1e-6), alpha * 255.0], axis=1).clip(0, 255)
    return out.reshape(h, w, 4)


def resize_bilinear(img, h, w):
    """Resize an image (H, W, C) to (h, w, C) by bilinear interpolation (separable)."""
    def weights(n_out, n_in):
        pos = np.linspace(0, n_in - 1, n_out)
        i0 = np.minimum(pos.astype(int), n_in - 2) if n_in > 1 else np.zeros(n_out, int)
        f = pos - i0
        M = np.zeros((n_out, n_in))
        M[np.arange(n_out), i0] = 1 - f
        if n_in > 1:
            M[np.arange(n_out), i0 + 1] += f
        return M
    H, W, C = img.shape
    A, B = weights(h, H).astype(np.float32), weights(w, W).astype(np.float32)
    rows = (A @ img.reshape(H, W * C).astype(np.float32)).reshape(h, W, C)
    cols = np.ascontiguousarray(rows.transpose(0, 2, 1)).reshape(h * C, W) @ B.T
    return cols.reshape(h, C, w).transpose(0, 2, 1)


def points_layer(xs, ys, X_train, y_train, X_test=None, y_test=None, px=400):
    """The data as one transparent RGBA image ``px`` wide over the plane [xs] x [ys].

    Points do not move during training, so a page computes this once per dataset
    and reuses it in every frame.
    """
    aspect = (ys[-1] - ys[0]) / (xs[-1] - xs[0])
    shape = (max(50, int(px * aspect)), px)
    dots = points_overlay(X_train, y_train, xs, ys, shape)
    if X_test is not None:
        over = points_overlay(X_test, y_test, xs, ys, shape, test=True)
        dots = np.where(over[..., 3:] > dots[..., 3:], over, dots)
    return dots


def boundary_rgb(probs, dots, discretize=False):
    """The decision boundary as one RGB image (h, w, 3): shading under the points, no axes.

    Parameters
    ----------
    probs : ndarray of shape (res_y, res_x, K)
    dots : ndarray of uint8 of shape (h, w, 4)
        From :func:`points_layer`; sets the image size.

    This is the live frame while training: the browser swaps one image instead of
    rebuilding a chart. It shows what the plot area of :func:`boundary_figure` shows.
    """
    base = resize_bilinear(probability_image(probs, discretize), *dots.shape[:2])
    a = dots[..., 3:] * np.float32(1 / 255)
    return (base * (1 - a) + dots[..., :3] * a + 0.5).astype(np.uint8)
