"""Output losses, one contract: ``loss(Z, target, out) -> (loss, delta)``, the mean
loss over the batch and its gradient with respect to the output layer's
pre-activation ``Z``, already divided by ``n`` (the ``1/n`` of the mean belongs to
the whole difference, not one term). ``out`` is the output the forward pass
already computed from ``Z`` (probabilities, or the ReLU'd reconstruction).

Follows ``shared/design/backprop-math.md`` sections 1 and 2.

Speed note: NumPy reduces along the short axis of a tall, thin array (a max or a
sum over the K classes of each of n samples) one row at a time: for 1,000 rows
that is ~20x slower than the same reduction over the long axis. So the softmax is
worked on the transpose, (K, n), where each sample is a column.
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
    S = np.ascontiguousarray(F.T)              # (K, n): one column per sample
    S = S - S.max(axis=0)
    S = S - np.log(np.exp(S).sum(axis=0))
    return np.ascontiguousarray(S.T)


def softmax(F):
    """Row-wise softmax of logits ``F`` (n, K): rows are probabilities."""
    S = np.ascontiguousarray(F.T)              # (K, n): one column per sample
    E = np.exp(S - S.max(axis=0))              # the max is subtracted: exp never overflows
    E /= E.sum(axis=0)
    return np.ascontiguousarray(E.T)


def softmax_cross_entropy(F, y, P=None):
    """Mean cross-entropy of softmax(F) against integer labels.

    Parameters
    ----------
    F : ndarray of shape (n, K)
        Logits of the output layer.
    y : ndarray of shape (n,)
        Integer labels in ``0..K-1``.
    P : ndarray of shape (n, K), optional
        ``softmax(F)`` if the caller has it already (the forward pass does), so
        that it is not computed twice.

    Returns
    -------
    loss : float
        ``(1/n) sum_i [-f_{y_i} + logsumexp(f_i)]``, taken from log-softmax,
        never from ``log(softmax)`` of the true class (which can be ``log 0``).
    D : ndarray of shape (n, K)
        ``(P - Y) / n``: delta3 of the math doc, one row per sample.
    """
    n = F.shape[0]
    rows = np.arange(n)
    if P is None:
        P = softmax(F)
    # -log_softmax(F)[i, y_i] = logsumexp(f_i) - f_{i, y_i}, and for ANY class j,
    # logsumexp(f_i) = f_{i, j} - log p_{i, j}. Take j = the most probable class:
    # p_{i, j} >= 1/K, so its log is tame, while log p of the true class can be log 0.
    j = P.argmax(axis=1)
    loss = ((F[rows, j] - F[rows, y]) - np.log(P[rows, j])).sum()
    D = P.copy()
    D[rows, y] -= 1.0
    D /= n                               # D = (P - Y) / n
    return float(loss) / n, D


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


def relu_squared_error(Z, X, Xhat=None):
    """Squared error of a ReLU output ``Xhat = max(0, Z)`` against targets ``X``.

    Returns
    -------
    loss : float
        As :func:`squared_error`.
    D : ndarray of shape (n, D)
        ``dL/dZ = (2/n)(xhat_i - x_i) ⊙ 1(z_i > 0)``: the ReLU's kink passes the
        reconstruction's gradient only where the output unit is on.
    """
    if Xhat is None:
        Xhat = np.maximum(Z, 0)
    loss, D = squared_error(Xhat, X)
    D *= Z > 0
    return loss, D


# output name -> loss(Z, target, out) -> (loss, dL/dZ)
LOSSES = {"softmax": softmax_cross_entropy, "relu": relu_squared_error}
