"""Which points move the boundary: how hard the loss pulls on each training point,
and how the loss changes when a point moves on the plane.

*Per point.* Point i adds ``L_i = -log p_{i, y_i}`` to the mean loss, and the
gradient that leaves the output layer for it is ``dL_i/dz_out = p_i - onehot(y_i)``
(math doc, section 1, without the 1/n of the mean). Every weight's gradient is a
sum over points of terms proportional to it, so points with a large
``||p_i - onehot(y_i)||`` are the ones the next steps move the weights for; a
point already classified with confidence contributes almost nothing.

*Over the plane.* Backprop does not stop at W1: one more step gives the gradient
with respect to the input, ``dL/dx = delta_1 @ W1`` per point (delta_1 is the
first layer's ``dL/dz``). When the network is fed features of the point
(x1^2, x1 x2, sin x1, ... see :mod:`explorer.data.features`) the chain rule goes
one step further, through the features' derivatives: ``dL/d(x1, x2) =
dL/dfeatures @ J`` with ``J`` the (features x 2) Jacobian of the features.
``||dL/dx||`` is large where moving a point a little changes its loss a lot: near
the boundary, where the network is unsure. Pure NumPy.
"""
import numpy as np

from ..data.features import feature_matrix

#: d feature / d (x1, x2), for each feature of :data:`explorer.data.features.FEATURES`
FEATURE_GRADIENTS = {
    "x1": lambda x1, x2: (np.ones_like(x1), np.zeros_like(x1)),
    "x2": lambda x1, x2: (np.zeros_like(x1), np.ones_like(x1)),
    "x1sq": lambda x1, x2: (2 * x1, np.zeros_like(x1)),
    "x2sq": lambda x1, x2: (np.zeros_like(x1), 2 * x2),
    "x1x2": lambda x1, x2: (x2, x1),
    "sinx1": lambda x1, x2: (np.cos(x1), np.zeros_like(x1)),
    "sinx2": lambda x1, x2: (np.zeros_like(x1), np.cos(x2)),
}


def point_pulls(net, X, y):
    """How hard the loss pulls on each point.

    Parameters
    ----------
    net : MLP
        A softmax classifier.
    X : ndarray of shape (n, D)
        The points as the network is fed them (its input features).
    y : ndarray of int of shape (n,)

    Returns
    -------
    pull : ndarray of shape (n,)
        ``||p_i - onehot(y_i)||``, the norm of ``dL_i/dz_out``: from 0 (learned
        with certainty) to sqrt(2) (certain of a wrong class).
    loss : ndarray of shape (n,)
        ``L_i = -log p_{i, y_i}``.
    """
    P = net.forward(X)[0].astype(np.float64)
    y = np.asarray(y)
    rows = np.arange(len(y))
    G = P.copy()
    G[rows, y] -= 1.0
    with np.errstate(divide="ignore"):
        loss = -np.log(np.maximum(P[rows, y], 1e-300))
    return np.sqrt((G * G).sum(axis=1)), loss


def input_gradient(net, X, y):
    """``dL_i/dx_i`` for each point: the gradient of its own loss with respect to
    its own input (the network's input features), by backprop.

    Parameters
    ----------
    net : MLP
    X : ndarray of shape (n, D)
    y : ndarray of int of shape (n,)
        The label each point's loss is taken against.

    Returns
    -------
    ndarray of shape (n, D)
        ``delta_1 @ W1``, with ``delta_L = p - onehot(y)`` (no 1/n: one point's
        own loss, not its share of the mean).
    """
    out, cache = net.forward(X)
    n = len(X)
    _, D = net.output_delta(cache, y)
    D = D * n                                 # the loss of each point, not the mean's share
    _, deltas = net.backward(cache, D)
    return np.dot(deltas[0], net.params["W1"])


def feature_jacobian(points, features):
    """The Jacobian of the input features at each 2-D point.

    Parameters
    ----------
    points : ndarray of shape (n, 2)
    features : sequence of str
        Keys of :data:`FEATURE_GRADIENTS`, in the network's input order.

    Returns
    -------
    ndarray of shape (n, len(features), 2)
        ``J[i, f] = (d feature_f / d x1, d feature_f / d x2)`` at point i.
    """
    unknown = [f for f in features if f not in FEATURE_GRADIENTS]
    if unknown:
        raise ValueError(f"no derivative known for features {unknown}")
    x1, x2 = points[:, 0], points[:, 1]
    return np.stack([np.stack(FEATURE_GRADIENTS[f](x1, x2), axis=-1) for f in features], axis=1)


def plane_gradient(net, points, y, features=("x1", "x2")):
    """``dL/d(x1, x2)`` at 2-D points: the input gradient chained through the features.

    Parameters
    ----------
    net : MLP
        Fed ``feature_matrix(points, features)``.
    points : ndarray of shape (n, 2)
        Points of the plane.
    y : ndarray of int of shape (n,)
        The label each point's loss is taken against.
    features : sequence of str

    Returns
    -------
    ndarray of shape (n, 2)
    """
    points = np.asarray(points, net.dtype)
    g = input_gradient(net, feature_matrix(points, features), y)          # (n, F)
    return np.einsum("nf,nfk->nk", g, feature_jacobian(points, features))


def gradient_field(net, points, features=("x1", "x2"), label=None):
    """``||dL/d(x1, x2)||`` at points of the plane, for a point of class ``label``
    placed there (None: of the class the network predicts there).

    Returns
    -------
    ndarray of shape (n,)
    """
    points = np.asarray(points, net.dtype)
    if label is None:
        y = net.predict(feature_matrix(points, features))
    else:
        y = np.full(len(points), int(label))
    g = plane_gradient(net, points, y, features)
    return np.hypot(g[:, 0], g[:, 1])
