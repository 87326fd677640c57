"""The autoencoder's code, one digit and one unit at a time: the reconstruction
error of each digit, the digits it gets most wrong, and what each code unit is
worth (switch it off and measure the error again). Pure NumPy.

The error of a digit is the squared error summed over its 64 pixels,
``||x_i - xhat_i||^2``: the loss of the page is its mean over digits.
"""
import numpy as np


def reconstruction_errors(net, X):
    """``||x_i - xhat_i||^2`` of each row of ``X`` (n, 64): (n,)."""
    X = np.asarray(X, net.dtype)
    R = net.forward(X)[0].astype(np.float64) - X
    return (R * R).sum(axis=1)


def errors_by_class(errors, y, n_classes=10):
    """Mean error of each class (digit), (n_classes,); NaN for a class with no sample."""
    y = np.asarray(y)
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    sums = np.bincount(y, weights=errors, minlength=n_classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def worst(errors, k=8):
    """Indices of the ``k`` largest errors, largest first (ties: lower index first)."""
    order = np.argsort(-np.asarray(errors), kind="stable")
    return order[:k]


def code_ablation(net, X):
    """The mean error when each code unit in turn is switched off.

    "Off" means the unit's activation is set to 0 for every digit (what a dead
    ReLU unit does), the rest of the code unchanged. The code is the last hidden
    layer; the decoder is the last weight layer, ``xhat = ReLU(W_L h + b_L)``, so
    switching unit j off takes ``h_j W_L[:, j]`` out of every pre-activation.

    Parameters
    ----------
    net : MLP
        The autoencoder (ReLU output).
    X : ndarray of shape (n, 64)

    Returns
    -------
    base : float
        The mean error with every unit on.
    off : ndarray of shape (H,)
        ``off[j]``: the mean error with unit j switched off (equal to ``base`` for
        a unit that is 0 on every digit: a dead unit costs nothing to lose).
    """
    X = np.asarray(X, np.float64)
    _, cache = net.forward(X)
    L = net.n_layers
    h = np.asarray(cache["H"][-1], np.float64)                # (n, H): the code
    W = np.asarray(net.params[f"W{L}"], np.float64)           # (64, H)
    Z = np.asarray(cache["Z"][-1], np.float64)                 # (n, 64)

    def err(Zj):
        R = np.maximum(Zj, 0) - X
        return float((R * R).sum()) / len(X)

    base = err(Z)
    off = np.array([err(Z - np.outer(h[:, j], W[:, j])) if h[:, j].any() else base
                    for j in range(h.shape[1])])
    return base, off
