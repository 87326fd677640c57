"""Input features for the 2-D classifier, in one registry (as TensorFlow Playground
offers them): the network can be given x1, x2 and products and sines of them.

With only x1 and x2 a network must build every curve of its boundary from its
hidden units; given x1² and x2², one layer draws a circle. Features are computed
from the (standardised) points and feed the network's input layer; the points
themselves, and the plane they are drawn on, stay 2-D.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Feature:
    """One input feature: its name in a link, the label a person reads, and
    ``f(x1, x2) -> values``."""
    name: str
    label: str
    f: Callable


FEATURES = {f.name: f for f in [
    Feature("x1", "x₁", lambda x1, x2: x1),
    Feature("x2", "x₂", lambda x1, x2: x2),
    Feature("x1sq", "x₁²", lambda x1, x2: x1 * x1),
    Feature("x2sq", "x₂²", lambda x1, x2: x2 * x2),
    Feature("x1x2", "x₁x₂", lambda x1, x2: x1 * x2),
    Feature("sinx1", "sin x₁", lambda x1, x2: np.sin(x1)),
    Feature("sinx2", "sin x₂", lambda x1, x2: np.sin(x2)),
]}
DEFAULT_FEATURES = ("x1", "x2")


def feature_matrix(X, names):
    """The features ``names`` of 2-D points ``X``.

    Parameters
    ----------
    X : ndarray of shape (n, 2)
    names : sequence of str
        Keys of :data:`FEATURES`, in the order of the network's inputs.

    Returns
    -------
    ndarray of shape (n, len(names)), the dtype of ``X``
    """
    unknown = [n for n in names if n not in FEATURES]
    if unknown or not names:
        raise ValueError(f"features must be some of {tuple(FEATURES)}; got {tuple(names)}")
    X = np.asarray(X)
    x1, x2 = X[:, 0], X[:, 1]
    return np.column_stack([FEATURES[n].f(x1, x2) for n in names]).astype(X.dtype, copy=False)
