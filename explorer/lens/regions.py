"""The linear regions of a ReLU network on the plane, found exactly.

A network on the raw inputs (x1, x2) whose hidden units are ReLU (or leaky ReLU)
is affine wherever no unit switches: on each on/off pattern of all its hidden
units it is one map ``x -> M x + m``. Those patterns cut the plane into convex
polygons, the *linear regions*. A grid of points sees only the regions one of its
points falls in (:func:`explorer.lens.diagnostics.activation_regions`); this
module finds every one, by clipping polygons layer by layer:

1. Start from the box ``[lo, hi]``, on which the input of layer 1 is ``h0 = x``.
2. Inside a polygon, layer ``l``'s input is affine, ``h_{l-1} = A x + c``, so
   each of its units has pre-activation ``z_j = (W_l A)_j x + (W_l c + b_l)_j``:
   a straight line ``z_j = 0`` cuts the polygon in two (or misses it). Cut every
   polygon by every unit of the layer.
3. Each piece now has one on/off pattern ``s`` for layer ``l``, so inside it
   ``h_l = D_s z`` is affine again (``D_s`` is diagonal: 1 where a unit is on,
   0 (ReLU) or the leak (leaky ReLU) where it is off). Go on with layer ``l+1``.

The polygons left after the last hidden layer are the linear regions. Clipping is
exact polygon clipping in float64 with a small relative tolerance: a vertex
within the tolerance of a line lies on it, and pieces whose area is a vanishing
share of the box (slivers made by rounding) are dropped.

Pure NumPy.
"""
import time
from dataclasses import dataclass

import numpy as np

from ..nn.activations import LEAK

#: the slope of an "off" unit, for the activations whose units switch on and off
OFF_SLOPE = {"relu": 0.0, "leaky_relu": LEAK}
TOL = 1e-9            # relative: of a line's value range over the box, and of its area


@dataclass
class Region:
    """One linear region: a convex polygon and the on/off pattern that holds on it.

    Attributes
    ----------
    vertices : ndarray of shape (m, 2)
        Corners in counter-clockwise order, in the network's input coordinates.
    pattern : tuple of ndarray of bool
        One array (H_l,) per hidden layer: which units are on (``z > 0``) here.
    """
    vertices: np.ndarray
    pattern: tuple

    @property
    def area(self):
        return polygon_area(self.vertices)


class TooManyRegions(RuntimeError):
    """More regions than the caller allowed (``max_regions``), or more than could be
    found in ``max_seconds``: at least ``found`` (pieces after the layer reached)."""

    def __init__(self, found, why):
        super().__init__(f"stopped at {found} linear regions ({why})")
        self.found = found


def polygon_area(P):
    """Area of a simple polygon ``P`` (m, 2) by the shoelace formula (>= 0)."""
    pts = P.tolist() if isinstance(P, np.ndarray) else P
    s = 0.0
    x0, y0 = pts[-1]
    for x1, y1 in pts:
        s += x0 * y1 - x1 * y0
        x0, y0 = x1, y1
    return 0.5 * abs(s)


def split_polygon(P, col, eps):
    """Cut a convex polygon by the line where an affine function is 0.

    Parameters
    ----------
    P : ndarray of shape (m, 2 + k)
        Its vertices in order, one per row: ``(x1, x2)`` and then the values of
        ``k`` affine functions there (they are carried along: at a new vertex on
        an edge every affine function takes the interpolated value).
    col : int
        The column holding the function that cuts (``2 + j``).
    eps : float
        Values within ``eps`` of 0 count as on the line (the vertex goes to both
        sides and no crossing is made next to it).

    Returns
    -------
    neg, pos : ndarray of shape (m', 2 + k)
        The pieces where the function is <= 0 and >= 0 (either may have fewer
        than 3 vertices if the line only touches the polygon).

    (A polygon has a handful of corners: a plain loop beats whole-array tricks.)
    """
    vals = P[:, col].tolist()
    side = [1 if x > eps else -1 if x < -eps else 0 for x in vals]
    neg, pos = [], []
    m = len(vals)
    for i in range(m):
        j = i + 1 if i + 1 < m else 0
        if side[i] >= 0:
            pos.append(P[i])
        if side[i] <= 0:
            neg.append(P[i])
        if side[i] * side[j] < 0:              # the edge crosses the line: add the crossing
            t = vals[i] / (vals[i] - vals[j])
            q = P[i] + t * (P[j] - P[i])
            pos.append(q)
            neg.append(q)
    k = P.shape[1]
    return (np.array(neg).reshape(-1, k), np.array(pos).reshape(-1, k))


def check_network(net):
    """Raise ValueError unless ``net`` takes 2 inputs and its hidden units switch
    (ReLU or leaky ReLU): only then are its regions polygons of the plane."""
    if net.sizes[0] != 2:
        raise ValueError(f"exact regions need a network on the plane's two inputs (x1, x2); "
                         f"this one has {net.sizes[0]} inputs")
    if net.activation not in OFF_SLOPE:
        raise ValueError(f"exact regions need ReLU or leaky ReLU hidden units; this network "
                         f"uses {net.activation}, whose units have no on/off pattern")


def linear_regions(net, lo, hi, max_regions=None, max_seconds=None, tol=TOL):
    """Every linear region of ``net`` inside the box ``[lo, hi]``.

    Parameters
    ----------
    net : MLP
        On the raw inputs (x1, x2), ReLU or leaky ReLU hidden layers (any number);
        computed in float64 whatever the network's dtype.
    lo, hi : sequence of 2 floats
        Corners ``(x1, x2)`` of the box, in the network's input coordinates.
    max_regions : int, optional
        Stop with :class:`TooManyRegions` once more regions than this exist.
    max_seconds : float, optional
        Stop with :class:`TooManyRegions` after this long (a wide, deep, trained
        network can have tens of thousands of regions).
    tol : float
        Relative tolerance of the clipping.

    Returns
    -------
    list of Region
        Convex polygons that tile the box (up to dropped slivers), one per on/off
        pattern that holds on a piece of the box with positive area.

    Raises
    ------
    ValueError
        If the network is not on 2 inputs with ReLU-like units, or the box is empty.
    """
    check_network(net)
    t0 = time.perf_counter()
    lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    if lo.shape != (2,) or hi.shape != (2,) or not np.all(np.isfinite([lo, hi])) \
            or not np.all(hi > lo):
        raise ValueError(f"the box needs finite corners lo < hi; got {lo}, {hi}")
    leak = OFF_SLOPE[net.activation]
    diag = float(np.hypot(*(hi - lo)))
    min_area = tol * float(np.prod(hi - lo))
    box = np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
    p = {k: np.asarray(v, np.float64) for k, v in net.params.items()}
    # the polygons, each with the affine map x -> A x + c that is the next layer's input
    polys, A, c = [box], np.eye(2)[None], np.zeros((1, 2))
    patterns = [()]
    last = net.n_layers - 1
    for l in range(1, last + 1):
        W, b = p[f"W{l}"], p[f"b{l}"]
        Ma = np.matmul(W, A)                           # (N, H, 2): z = Ma x + mc inside
        mc = c @ W.T + b                               # (N, H)
        eps = tol * (np.hypot(Ma[..., 0], Ma[..., 1]) * diag + np.abs(mc)) + 1e-300
        out, parent, pats = [], [], []
        for i, P in enumerate(polys):
            # every unit's z at every corner rides along with the corner
            R = np.hstack([P, P @ Ma[i].T + mc[i]])
            pieces = _cut(R, eps[i], np.arange(len(b)), min_area)
            out.extend(Q[:, :2] for Q in pieces)
            parent.extend([i] * len(pieces))
            # z is affine, so at the mean of the corners it is the mean of theirs;
            # inside a piece no unit switches
            pats.extend(Q[:, 2:].mean(axis=0) > 0 for Q in pieces)
            if max_regions is not None and len(out) > max_regions:
                raise TooManyRegions(len(out), f"more than {max_regions}")
            if max_seconds is not None and time.perf_counter() - t0 > max_seconds:
                raise TooManyRegions(len(out), f"{max_seconds:g} s spent")
        polys = out
        patterns = [patterns[i] + (on,) for i, on in zip(parent, pats)]
        if l < last:
            slope = np.where(np.array(pats), 1.0, leak)          # (N, H)
            A = slope[..., None] * Ma[parent]
            c = slope * mc[parent]
    return [Region(P, pattern) for P, pattern in zip(polys, patterns)]


def _cut(R, eps, lines, min_area):
    """The pieces of a convex polygon cut by lines.

    ``R`` (m, 2 + H) holds each corner and every unit's ``z`` there; ``lines``
    are the units whose line ``z_j = 0`` may cut it. Cut by the first line that
    crosses the polygon, then each half by the lines that still cross that half
    (a half is crossed by no line that missed the whole).
    """
    V = R[:, 2 + lines]
    e = eps[lines]
    lines = lines[(V.min(axis=0) < -e) & (V.max(axis=0) > e)]
    if not len(lines):
        return [R]
    j, rest = lines[0], lines[1:]
    pieces = []
    for S in split_polygon(R, 2 + j, eps[j]):
        if len(S) >= 3 and polygon_area(S[:, :2]) > min_area:
            pieces.extend(_cut(S, eps, rest, min_area) if len(rest) else [S])
    return pieces


def count_regions(net, lo, hi):
    """The exact number of linear regions of ``net`` in the box ``[lo, hi]``.

    Parameters
    ----------
    net : MLP
        A network whose inputs are exactly (x1, x2) and whose hidden activation is
        ReLU or leaky ReLU.
    lo, hi : sequence of 2 floats
        Corners ``(x1, x2)`` of the box in the network's input space.

    Returns
    -------
    int
        How many on/off patterns of all hidden units hold on a piece of the box of
        positive area; a grid of points inside the box sees at most this many.

    Raises
    ------
    ValueError
        For a network on other inputs or with tanh, sigmoid or linear units.

    >>> from explorer import MLP, count_regions
    >>> count_regions(MLP([2, 3, 2]), (-1, -1), (1, 1))     # doctest: +SKIP
    7
    """
    return len(linear_regions(net, lo, hi))


def region_outlines(regions, dtype=np.float32):
    """The edges of ``regions`` as one polyline for a single line trace: ``(x, y)``
    arrays, each polygon closed and followed by a NaN (a gap in the line).

    Compact on purpose (float32 arrays, not Region objects): a page keeps these
    for the chart it shows, and a wide network has thousands of regions.
    """
    n = sum(len(r.vertices) + 2 for r in regions)
    out = np.full((n, 2), np.nan, dtype)
    i = 0
    for r in regions:
        m = len(r.vertices)
        out[i:i + m] = r.vertices
        out[i + m] = r.vertices[0]
        i += m + 2
    return out[:, 0], out[:, 1]


def region_colours(labels, probs):
    """The predicted class and confidence of each region a grid sees.

    Parameters
    ----------
    labels : ndarray of int of shape (res_y, res_x)
        Region index per grid point (:func:`explorer.lens.diagnostics.activation_regions`).
    probs : ndarray of shape (res_y, res_x, K)
        Class probabilities at the grid points.

    Returns
    -------
    cls : ndarray of int of shape (n_regions,)
        The class with the highest mean probability over the region's points.
    confidence : ndarray of shape (n_regions,)
        That mean probability (1/K: unsure, 1: certain).
    """
    K = probs.shape[-1]
    lab = labels.ravel()
    n = int(lab.max()) + 1
    counts = np.bincount(lab, minlength=n).astype(np.float64)
    mean = np.stack([np.bincount(lab, weights=probs.reshape(-1, K)[:, k], minlength=n)
                     for k in range(K)], axis=1) / np.maximum(counts, 1)[:, None]
    return mean.argmax(axis=1), mean.max(axis=1)
