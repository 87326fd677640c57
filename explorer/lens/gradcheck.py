"""Gradient check: backprop's gradients against central differences.

For every parameter array, perturb entries one at a time by ``+-eps`` and compare
``(L(theta+eps) - L(theta-eps)) / (2 eps)`` with the analytic gradient, in
float64. Large arrays are checked on a random subset of entries.

The relative error of an array is ``||a - n|| / max(||a||, ||n||, tiny)`` over the
checked entries. Near a ReLU kink a finite difference straddles the kink and can
legitimately disagree, so the check counts, per array, the entries whose
perturbation flipped any ReLU mask.

Run ``python -m explorer.lens.gradcheck`` for a table over both networks at several
sizes and depths; it exits non-zero if any relative error exceeds 1e-6.
"""
import sys

import numpy as np

from ..nn.network import MLP

TOL = 1e-6
TINY = 1e-12


def _loss_and_masks(net, X, y):
    """The loss and the ReLU masks of one forward pass (to see if a nudge crossed a kink)."""
    _, cache = net.forward(X)
    return net.output_delta(cache, y)[0], [m for m in cache["masks"] if m is not None]


def check_gradients(net, X, y, backward=None, eps=1e-5, max_entries=60, seed=0):
    """Compare analytic and numeric gradients of ``net`` on ``(X, y)``.

    Parameters
    ----------
    net : MLP
        Checked in float64 on a copy; ``net`` itself is not modified.
    X, y : ndarray
        A small batch (a handful of samples is enough).
    backward : callable, optional
        ``backward(net, X, y) -> (loss, grads)`` to test instead of the network's
        own (this is how the common mistakes are shown to fail).
    eps : float
        Central-difference step.
    max_entries : int
        Arrays with more entries are checked on this many random ones.

    Returns
    -------
    list of dict
        One row per parameter array: ``name``, ``shape``, ``checked``,
        ``analytic_norm``, ``numeric_norm``, ``rel_error``, ``near_kink``
        (checked entries whose perturbation flipped a ReLU mask), ``passed``.
    """
    net = net.astype(np.float64)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y) if net.output == "softmax" else np.asarray(y, dtype=np.float64)
    fn = backward or (lambda n_, X_, y_: n_.loss_and_grads(X_, y_))
    _, grads = fn(net, X, y)
    rng = np.random.default_rng(seed)
    rows = []
    for name, P in net.params.items():
        flat = P.reshape(-1)
        idx = np.arange(flat.size) if flat.size <= max_entries else \
            np.sort(rng.choice(flat.size, max_entries, replace=False))
        a = np.asarray(grads[name], dtype=np.float64).reshape(-1)
        if a.size != flat.size:
            raise ValueError(f"gradient {name} has {a.size} entries, parameter has {flat.size}")
        a = a[idx]
        num = np.empty(len(idx))
        kinks = 0
        for j, i in enumerate(idx):
            old = flat[i]
            flat[i] = old + eps
            lp, mp = _loss_and_masks(net, X, y)
            flat[i] = old - eps
            lm, mm = _loss_and_masks(net, X, y)
            flat[i] = old
            num[j] = (lp - lm) / (2 * eps)
            kinks += any((p_ != m_).any() for p_, m_ in zip(mp, mm))
        an, nn = float(np.linalg.norm(a)), float(np.linalg.norm(num))
        rel = float(np.linalg.norm(a - num)) / max(an, nn, TINY)
        rows.append({"name": name, "shape": P.shape, "checked": len(idx),
                     "analytic_norm": an, "numeric_norm": nn, "rel_error": rel,
                     "near_kink": int(kinks), "passed": rel < TOL})
    return rows


def clear_of_kinks(net, X, k=6, margin=1e-3):
    """Indices of the first ``k`` rows of ``X`` at which no ReLU of ``net`` is within
    ``margin`` of its kink (every pre-activation with a mask is farther than ``margin``
    from 0), so that a central difference of step well below ``margin`` cannot straddle
    one. At a fresh network's zero biases, a sample that switches off every unit of a
    layer puts the next layer exactly on its kinks: a check on it compares a one-sided
    slope with the analytic gradient and fails for the correct pass too.
    """
    _, cache = net.forward(np.asarray(X, dtype=np.float64))
    near = np.zeros(len(X), bool)
    for z, mask in zip(cache["Z"], cache["masks"]):
        if mask is not None:
            near |= (np.abs(z) <= margin).any(axis=1)
    return np.flatnonzero(~near)[:k]


def keep_outputs_alive(net, bias=0.1):
    """Set a ReLU output layer's biases to ``bias`` > 0, so most output units start on.

    An output unit that is off for the whole batch passes no gradient back: its
    check would compare two zeros and say nothing. Returns ``net``.
    """
    if net.output == "relu":
        net.params[f"b{net.n_layers}"][:] = bias
    return net


def _cases():
    """Both networks at several sizes and depths, with a small batch each."""
    rng = np.random.default_rng(0)
    for depth in (1, 2, 3):
        for K in (2, 3, 5):
            sizes = [2] + [7] * depth + [K]
            X = rng.standard_normal((6, 2))
            yield f"classifier {sizes}", MLP(sizes, "softmax", seed=depth * 10 + K), X, rng.integers(0, K, 6)
    for sizes in ([8, 5, 8], [16, 8, 6, 16], [64, 32, 64]):
        X = rng.random((5, sizes[0]))
        net = keep_outputs_alive(MLP(sizes, "relu", seed=len(sizes)))
        yield f"autoencoder {sizes}", net, X, X


def main(argv=None):
    """Print the check for every case; exit status 1 if any array fails."""
    failed = 0
    print(f"{'network':<32} {'param':<5} {'shape':<10} {'checked':>7} "
          f"{'|analytic|':>11} {'|numeric|':>11} {'rel error':>10} {'kinks':>5}  result")
    for label, net, X, y in _cases():
        for r in check_gradients(net, X, y):
            failed += not r["passed"]
            print(f"{label:<32} {r['name']:<5} {str(r['shape']):<10} {r['checked']:>7} "
                  f"{r['analytic_norm']:>11.4e} {r['numeric_norm']:>11.4e} "
                  f"{r['rel_error']:>10.2e} {r['near_kink']:>5}  {'pass' if r['passed'] else 'FAIL'}")
    print(f"{failed} array(s) failed (tolerance {TOL:g})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
