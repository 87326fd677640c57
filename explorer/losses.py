"""Output losses. Each returns ``(loss, dZ_out)``: the mean loss over the batch and
its gradient with respect to the output layer's pre-activation, already divided
by ``n`` (the ``1/n`` of the mean belongs to the whole difference, not one term).

Follows ``shared/design/backprop-math.md`` sections 1 and 2.
"""
import numpy as np


def log_softmax(F):
    """Row-wise log-softmax, stable for any finite logits.

    Parameters
    ----------
    F : ndarray of shape (n, K)
        Logits.

    Returns
    -------
    ndarray of shape (n, K)
        ``F - logsumexp(F)`` per row; the row max is subtracted before ``exp``
        so that logits of 1e4 neither overflow nor lose the answer.
    """
    shifted = F - F.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(F):
    """Row-wise softmax of logits ``F`` (n, K): rows are probabilities."""
    E = np.exp(F - F.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def softmax_cross_entropy(F, y):
    """Mean cross-entropy of softmax(F) against integer labels.

    Parameters
    ----------
    F : ndarray of shape (n, K)
        Logits of the output layer.
    y : ndarray of shape (n,)
        Integer labels in ``0..K-1``.

    Returns
    -------
    loss : float
        ``(1/n) sum_i [-f_{y_i} + logsumexp(f_i)]``, taken from log-softmax,
        never from ``log(softmax)``.
    D : ndarray of shape (n, K)
        ``(P - Y) / n``: delta3 of the math doc, one row per sample.
    P : ndarray of shape (n, K)
        The probabilities, returned because callers want them too.
    """
    n = F.shape[0]
    logP = log_softmax(F)
    rows = np.arange(n)
    loss = -logP[rows, y].sum() / n
    P = np.exp(logP)
    D = P.copy()
    D[rows, y] -= 1.0
    D /= n
    return float(loss), D, P


def squared_error(Xhat, X):
    """Sum-over-features, mean-over-samples squared error.

    Parameters
    ----------
    Xhat : ndarray of shape (n, D)
        Reconstructions.
    X : ndarray of shape (n, D)
        Targets.

    Returns
    -------
    loss : float
        ``(1/n) sum_i ||x_i - xhat_i||^2``.
    dXhat : ndarray of shape (n, D)
        ``(2/n)(xhat_i - x_i)``: one vector per sample (never summed over samples).
    """
    n = X.shape[0]
    R = Xhat - X
    loss = float(np.vdot(R, R)) / n
    return loss, R * (2.0 / n)


LOSSES = {"softmax": softmax_cross_entropy, "relu": squared_error}
