"""The loss landscape: the training loss on a plane through the weights.

A network with P parameters has a loss surface in P+1 dimensions; we can look at
a 2-D slice of it. Pick two directions ``d1, d2`` in weight space and draw

    L(a, b) = loss(theta + a d1 + b d2)

on a grid of ``(a, b)`` around the current weights ``theta`` (at ``(0, 0)``).

Two planes are offered:

* **random**: ``d1, d2`` drawn at random and *filter-normalised* (Li, Xu, Taylor,
  Studer & Goldstein, 2018, "Visualizing the Loss Landscape of Neural Nets"):
  each direction has N(0, 1) entries, and each row of each weight matrix (the
  incoming weights of one unit, the paper's "filter") is rescaled to the norm of
  the same row of ``theta``. A step of 1 along it changes every unit's weights by
  as much as they are long, so planes of networks with big and small weights can
  be compared, and ReLU's scale invariance does not distort the picture.
  **Biases get direction 0** (the paper's choice for biases too): a bias has no
  row to take a scale from, and a unit's bias moves with its weights' scale
  anyway; the slice shows what the weights alone do.
* **path**: ``d1`` runs from the weights now to the first saved snapshot (epoch
  0), so the start of training sits at ``(1, 0)``; ``d2`` is a random
  filter-normalised direction made orthogonal to ``d1`` and as long. Every
  snapshot is projected onto that plane: the training path, as it looks from
  there (:func:`project`).

The loss is the mean loss over the whole training set (no L1/L2 term): what the
loss curve shows. Pure NumPy.
"""
import numpy as np


def _weight_names(params):
    return [k for k in params if k.startswith("W")]


def filter_normalised_direction(params, rng):
    """A random direction shaped like ``params``, rescaled row by row (Li et al. 2018).

    Parameters
    ----------
    params : dict of str to ndarray
        ``"W1"`` (H1, D), ``"b1"`` (H1,), ...: the weights the direction is for.
    rng : numpy.random.Generator

    Returns
    -------
    dict of str to ndarray (float64)
        ``d["Wl"][i]`` is N(0, 1) scaled to ``||W_l[i]||`` (row i is unit i's
        incoming weights); every ``d["bl"]`` is 0.
    """
    d = {}
    for k, v in params.items():
        v = np.asarray(v, np.float64)
        if k.startswith("W"):
            r = rng.standard_normal(v.shape)
            scale = np.linalg.norm(v, axis=1, keepdims=True) / np.maximum(
                np.linalg.norm(r, axis=1, keepdims=True), 1e-12)
            d[k] = r * scale
        else:
            d[k] = np.zeros_like(v)
    return d


def _dot(a, b):
    return float(sum(np.vdot(a[k], b[k]) for k in a))


def _axpy(theta, terms):
    """``theta + sum(s * d for s, d in terms)``, array by array."""
    out = {k: np.array(v, np.float64) for k, v in theta.items()}
    for s, d in terms:
        for k in out:
            out[k] += s * d[k]
    return out


def loss_surface(net, X, y, d1, d2, a, b, center=None):
    """The mean loss of ``net`` on ``(X, y)`` at ``center + a_i d1 + b_j d2``.

    Parameters
    ----------
    net : MLP
        Its architecture and dtype are used (its weights are not changed).
    X, y : ndarray
        The data the loss is the mean over (the whole training set).
    d1, d2 : dict of str to ndarray
        Directions shaped like ``net.params``.
    a, b : ndarray of shape (na,), (nb,)
        Steps along ``d1`` and ``d2``.
    center : dict, optional
        The plane's origin; the network's weights by default.

    Returns
    -------
    ndarray of shape (nb, na)
        ``L[j, i]`` at ``(a[i], b[j])`` (rows follow ``b``, as a heatmap's y).
        A point where the loss is not finite is NaN.
    """
    theta = {k: np.asarray(v, np.float64) for k, v in (center or net.params).items()}
    probe = net.copy()
    X = np.asarray(X, net.dtype)
    L = np.empty((len(b), len(a)))
    with np.errstate(all="ignore"):
        for j, bj in enumerate(b):
            for i, ai in enumerate(a):
                probe.params = {k: (theta[k] + ai * d1[k] + bj * d2[k]).astype(net.dtype)
                                for k in theta}
                L[j, i] = probe.loss(X, y)
    L[~np.isfinite(L)] = np.nan
    return L


def sample_rows(X, y, max_samples=None, seed=0):
    """``(X, y)``, or ``max_samples`` of its rows drawn without replacement (the same
    rows for the same seed), to keep a big training set's landscape quick."""
    if max_samples is None or len(X) <= max_samples:
        return X, y
    idx = np.sort(np.random.default_rng(seed).choice(len(X), int(max_samples), replace=False))
    return X[idx], y[idx]


def samples_for(sizes, res=25, flops=3e9):
    """How many samples a ``res`` x ``res`` landscape of a network of layer widths
    ``sizes`` can take the loss over for about ``flops`` multiply-adds (about a
    second on one core): the cost is ``res^2 * n * sum(in * out)``."""
    per_sample = sum(i * o for i, o in zip(sizes[:-1], sizes[1:]))
    return max(50, int(flops / (res * res * per_sample)))


def random_plane(net, X, y, seed=0, span=1.0, res=25):
    """The loss on a random filter-normalised plane around the weights now.

    Returns
    -------
    dict
        ``a, b`` (res,) steps from ``-span`` to ``span``; ``loss`` (res, res)
        as :func:`loss_surface`; ``center_loss`` at (0, 0).
    """
    rng = np.random.default_rng(seed)
    d1 = filter_normalised_direction(net.params, rng)
    d2 = filter_normalised_direction(net.params, rng)
    a = np.linspace(-span, span, res)
    L = loss_surface(net, X, y, d1, d2, a, a)
    return {"a": a, "b": a.copy(), "loss": L, "center_loss": float(net.loss(X, y))}


def path_directions(params, snapshots, seed=0):
    """The plane of the training path: ``d1`` from the weights now to the first
    snapshot, ``d2`` random filter-normalised, orthogonal to ``d1`` and as long.

    Raises ValueError if the weights have not moved since the first snapshot.
    """
    theta = {k: np.asarray(v, np.float64) for k, v in params.items()}
    first = snapshots[0][1]
    d1 = {k: np.asarray(first[k], np.float64) - theta[k] for k in theta}
    n1 = _dot(d1, d1)
    if not n1 > 0:
        raise ValueError("the weights have not moved since the first snapshot: train first")
    r = filter_normalised_direction(theta, np.random.default_rng(seed))
    c = _dot(r, d1) / n1
    d2 = {k: r[k] - c * d1[k] for k in r}                 # Gram-Schmidt: d2 ⟂ d1
    n2 = _dot(d2, d2)
    s = np.sqrt(n1 / n2) if n2 > 0 else 0.0
    return d1, {k: v * s for k, v in d2.items()}


def project(params, snapshots, d1, d2):
    """Coordinates ``(a, b)`` of each snapshot on the plane through ``params``
    spanned by orthogonal ``d1, d2``, and how much of the path the plane shows.

    Returns
    -------
    a, b : ndarray of shape (n_snapshots,)
    shown : float
        The drawn path's length over its length in weight space (each a sum over
        consecutive snapshots): 1 if the whole path lies in the plane, small if
        it mostly wanders out of it.
    """
    theta = {k: np.asarray(v, np.float64) for k, v in params.items()}
    n1, n2 = _dot(d1, d1), _dot(d2, d2)
    a, b, true_len, prev = [], [], 0.0, None
    for _, snap in snapshots:
        delta = {k: np.asarray(snap[k], np.float64) - theta[k] for k in theta}
        a.append(_dot(delta, d1) / n1)
        b.append(_dot(delta, d2) / n2)
        if prev is not None:
            step = {k: delta[k] - prev[k] for k in delta}
            true_len += np.sqrt(_dot(step, step))
        prev = delta
    a, b = np.array(a), np.array(b)
    # a step (da, db) on the plane is da*d1 + db*d2 in weight space: length sqrt(da² n1 + db² n2)
    drawn = float(np.sqrt(np.diff(a) ** 2 * n1 + np.diff(b) ** 2 * n2).sum())
    return a, b, (drawn / true_len if true_len > 0 else 1.0)


def path_plane(net, X, y, snapshots, seed=0, res=25, margin=0.3, epoch=None):
    """The loss on the plane of the training path, with the path projected on it.

    Parameters
    ----------
    snapshots : list of (epoch, params)
        The trainer's snapshots (the first is the start of training).
    epoch : int, optional
        The epoch of the weights now: added as the path's last point when the
        last snapshot is older.

    Returns
    -------
    dict
        ``a, b`` (res,), ``loss`` (res, res) as :func:`loss_surface`;
        ``path_a, path_b`` (n,) the snapshots' coordinates, ``epochs`` (n,),
        ``shown`` the share of the path's length the plane shows (:func:`project`).
    """
    if epoch is not None and snapshots[-1][0] != epoch:
        snapshots = [*snapshots, (epoch, net.params)]
    d1, d2 = path_directions(net.params, snapshots, seed)
    pa, pb, shown = project(net.params, snapshots, d1, d2)
    lo_a, hi_a = min(pa.min(), 0.0), max(pa.max(), 0.0)
    half_b = max(np.abs(pb).max(), 0.5 * (hi_a - lo_a))
    pad = margin * (hi_a - lo_a)
    a = np.linspace(lo_a - pad, hi_a + pad, res)
    b = np.linspace(-half_b - pad, half_b + pad, res)
    L = loss_surface(net, X, y, d1, d2, a, b)
    return {"a": a, "b": b, "loss": L, "path_a": pa, "path_b": pb, "shown": shown,
            "epochs": np.array([e for e, _ in snapshots])}
