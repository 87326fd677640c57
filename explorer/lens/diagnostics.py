"""What the plots show, computed from a network and arrays: grid evaluation over
the input plane, ReLU masks and the linear regions they carve, dead units, the
autoencoder's codes, and PCA as a reference. Pure NumPy; figures live elsewhere.
"""
import numpy as np


def plane_bounds(X, margin=0.5):
    """``(lo, hi)``, each of shape (2,): the plane shown for the points ``X`` (n, 2), their
    bounding box grown by ``margin`` on every side."""
    X = np.asarray(X, dtype=np.float64)
    return X.min(axis=0) - margin, X.max(axis=0) + margin


def plane_grid(X, res=100, margin=0.5):
    """A square grid covering the points ``X`` (n, 2) plus a margin.

    Returns
    -------
    xs, ys : ndarray of shape (res,)
        Grid coordinates along each axis.
    P : ndarray of shape (res*res, 2)
        Grid points in row-major order (y outer, x inner), so ``values.reshape(res, res)``
        lines up with ``xs`` on columns and ``ys`` on rows.
    """
    lo, hi = plane_bounds(X, margin)
    xs = np.linspace(lo[0], hi[0], res)
    ys = np.linspace(lo[1], hi[1], res)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.column_stack([gx.ravel(), gy.ravel()])


GRID_SCRATCH = 4 << 20   # bytes a grid's forward pass may hold at once (z, h, slope, mask)


def grid_eval(net, xs, ys, P, units=1, acts=True, chunk=None):
    """Evaluate a classifier on grid points, ``chunk`` points at a time.

    A forward pass over the whole grid at once kept every layer's z, h and slope for
    every point: 130 MB for four layers of 64 on a 200 x 200 grid, two or three times
    per page open. In chunks (by default as many points as fit in
    :data:`GRID_SCRATCH`: the whole live grid of the default network, about 1,000
    points of four layers of 64), the scratch memory stays a few MB whatever the grid
    and the width, and only what the caller keeps is kept.

    Parameters
    ----------
    net : MLP
    xs, ys : ndarray
        The grid's coordinates; ``P`` its points as the network's inputs, row-major.
    units : int or None
        Keep each hidden unit's activation and mask on every ``units``-th grid point
        in each direction (1: all of them; the unit maps need about 20 a side);
        None: none.
    acts : bool
        Keep the activations (False: only the masks, for the linear regions).

    Returns
    -------
    probs : ndarray of shape (res_y, res_x, K)
        Class probabilities at each grid point.
    acts : list of ndarray, each (ceil(res_y / units), ceil(res_x / units), H_l), or of None
        Every hidden unit's activation ``h_l`` (None if not kept).
    masks : list of ndarray of bool, each like ``acts``, or of None
        ``1(z_l > 0)``: where on the plane each hidden unit is on; None for an
        activation whose units have levels, not on and off (tanh, sigmoid, linear).
    """
    ny, nx = len(ys), len(xs)
    if chunk is None:
        per_point = 4 * np.dtype(net.dtype).itemsize * sum(net.sizes[1:])
        chunk = max(256, GRID_SCRATCH // per_point)
    step = units or 1
    kept = (len(range(0, ny, step)), len(range(0, nx, step)))
    per = max(1, chunk // nx)                  # grid rows per forward pass
    probs, A, M = None, None, None
    for r0 in range(0, ny, per):
        r1 = min(ny, r0 + per)
        out, cache = net.forward(P[r0 * nx:r1 * nx])
        if probs is None:
            probs = np.empty((ny * nx, out.shape[1]), out.dtype)
            hidden = cache["H"][1:]
            masks = cache["masks"][:len(hidden)]
            A = [np.empty(kept + (h.shape[1],), h.dtype) if units and acts else None
                 for h in hidden]
            M = [np.empty(kept + (h.shape[1],), bool) if units and m is not None else None
                 for h, m in zip(hidden, masks)]
        probs[r0 * nx:r1 * nx] = out
        if not units:
            continue
        rows = np.arange(r0 + (-r0) % step, r1, step)      # this chunk's kept rows
        for l, (h, m) in enumerate(zip(cache["H"][1:], cache["masks"])):
            if A[l] is not None:
                A[l][rows // step] = h.reshape(r1 - r0, nx, -1)[rows - r0, ::step]
            if M[l] is not None:
                M[l][rows // step] = m.reshape(r1 - r0, nx, -1)[rows - r0, ::step]
    return probs.reshape(ny, nx, -1), A, M


def activation_regions(masks):
    """Label each grid point by the joint on/off pattern of all hidden ReLUs.

    Inside one pattern the network is a single affine map, so each distinct
    pattern is a linear region of the input plane.

    Parameters
    ----------
    masks : list of ndarray of bool, each (res_y, res_x, H_l)

    Returns
    -------
    labels : ndarray of int of shape (res_y, res_x)
        Region index per point, numbered by first appearance.
    n_regions : int
        Number of distinct patterns in view.
    """
    shape = masks[0].shape[:2]
    # each layer packed on its own: no copy of all the masks side by side (10 MB for
    # four layers of 64 on a 200 x 200 grid); the zero padding is the same everywhere
    packed = np.concatenate([np.packbits(m.reshape(-1, m.shape[-1]), axis=1) for m in masks],
                            axis=1)
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    # renumber by first appearance so neighbouring runs get stable ids
    order = np.argsort(np.argsort(first))
    return order[inverse].reshape(shape), int(len(first))


def dead_units(net, X):
    """Hidden units that pass no gradient back for any sample of ``X``: their slope
    ``f'(z)`` is 0 for every sample (for ReLU: off for every sample). List of bool
    arrays (H_l,)."""
    _, cache = net.forward(X)
    return [~s.any(axis=0) for s in cache["slopes"][:-1]]


def dead_output_pixels(net, X):
    """Autoencoder output pixels whose pre-activation is <= 0 for every sample (D,) bool.

    With a ReLU output these get no gradient again: a dead output pixel.
    """
    _, cache = net.forward(X)
    return ~cache["masks"][-1].any(axis=0)


def codes(net, X):
    """The autoencoder's code: the last hidden layer's activation, (n, H)."""
    _, cache = net.forward(X)
    return cache["H"][-1]


def decode(net, h):
    """Run the autoencoder's last layer on codes ``h`` (n, H): the reconstruction (n, D)."""
    L = net.n_layers
    z = np.asarray(h, dtype=net.dtype) @ net.params[f"W{L}"].T + net.params[f"b{L}"]
    return np.maximum(z, 0)


def interpolate_codes(net, xa, xb, steps=8):
    """Decode ``steps`` points on the segment between the codes of ``xa`` and ``xb`` (D,).

    Returns ndarray of shape (steps, D).
    """
    h = codes(net, np.stack([xa, xb]))
    t = np.linspace(0.0, 1.0, steps)[:, None]
    return decode(net, (1 - t) * h[0] + t * h[1])


def pca_fit(X, k):
    """Mean (D,) and top-``k`` principal directions (k, D) of ``X`` (n, D), via SVD."""
    mu = X.mean(axis=0)
    _, _, Vt = np.linalg.svd(X - mu, full_matrices=False)
    return mu, Vt[:k]


def pca_project(X, mu, V):
    """Coordinates of ``X`` (n, D) on the directions ``V`` (k, D): (n, k)."""
    return (X - mu) @ V.T


def pca_reconstruction_error(X_train, X_test, k):
    """Squared error of PCA with ``k`` components fitted on ``X_train``, on ``X_test``.

    Same definition as the autoencoder's loss: summed over features, mean over
    samples. This is the best any linear autoencoder with a code of size ``k``
    can do, so it is the reference line of the autoencoder's loss chart.
    """
    mu, V = pca_fit(X_train, k)
    R = X_test - (mu + pca_project(X_test, mu, V) @ V)
    return float((R * R).sum()) / len(X_test)


def firing_by_class(net, X, y, n_classes):
    """Fraction of samples of each class on which each hidden unit fires.

    Returns ndarray of shape (n_classes, H) for the autoencoder's code layer.
    """
    on = codes(net, X) > 0
    return np.stack([on[y == c].mean(axis=0) if (y == c).any() else np.zeros(on.shape[1])
                     for c in range(n_classes)])


def sample_batch(X, y, n, seed):
    """``(X_b, y_b)``: ``n`` samples of ``(X, y)`` drawn without replacement, X in float64.

    When ``y is X`` (an autoencoder's targets are its inputs), ``y_b is X_b``.
    """
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(X), min(n, len(X)), replace=False))
    Xb = np.asarray(X[idx], np.float64)
    return Xb, (Xb if y is X else np.asarray(y)[idx])
