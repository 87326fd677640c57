"""Toy 2-D datasets: the generators, in one registry.

Every generator (the ``make`` of a :class:`Kind`) has one signature (as in TensorFlow Playground)::

    gen(n_points, noise, n_classes, rng) -> (X, y)

with ``X`` of shape (n_points, 2) float64 and ``y`` of shape (n_points,) int64
holding labels ``0..K-1``, classes balanced to within one point. ``noise`` is the
standard deviation of Gaussian jitter as a fraction of the kind's own length
scale (0 = clean, 0.5 = very noisy), so one slider means the same thing for every
kind. Randomness enters only through ``rng``.

Left out on purpose: sklearn's generators (we want the code visible and stable
across sklearn versions). :mod:`explorer.data.dataset` splits and standardises
what these make; :mod:`explorer.data.csv_points` parses a person's own points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from explorer.limits import (
    MAX_GEN_CLASSES,
    MIN_CLASSES,
)

PointGenerator = Callable[[int, float, int, np.random.Generator],
                          "tuple[np.ndarray, np.ndarray]"]

SPIRAL_TURNS = 1.5     # turns per spiral arm
MAX_NOISE = 1.0        # accepted noise range is [0, MAX_NOISE]


# --------------------------------------------------------------------------- #
# Generators: gen(n_points, noise, n_classes, rng) -> (X, y)
# --------------------------------------------------------------------------- #

def _class_sizes(n_points: int, n_classes: int) -> np.ndarray:
    """Split ``n_points`` into ``n_classes`` sizes that differ by at most one.

    Returns
    -------
    sizes : ndarray of shape (n_classes,), int64, summing to ``n_points``.
    """
    sizes = np.full(n_classes, n_points // n_classes, dtype=np.int64)
    sizes[: n_points % n_classes] += 1
    return sizes


def _labels(sizes: np.ndarray) -> np.ndarray:
    """Labels ``0..K-1`` repeated by ``sizes``; shape (sum(sizes),), int64."""
    return np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)


def _jitter(X: np.ndarray, std: float, rng: np.random.Generator) -> np.ndarray:
    """Add isotropic Gaussian noise of standard deviation ``std`` to X (n, 2)."""
    return X + rng.normal(0.0, std, size=X.shape)


def make_moons(n_points: int, noise: float, n_classes: int,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles of radius 1 (``n_classes`` is ignored).

    Parameters
    ----------
    n_points : int
        Number of points, split evenly between the two moons.
    noise : float
        Jitter standard deviation as a fraction of the radius.
    n_classes : int
        Ignored; moons are always 2 classes.
    rng : numpy.random.Generator

    Returns
    -------
    X : ndarray of shape (n_points, 2), float64
    y : ndarray of shape (n_points,), int64 in {0, 1}
    """
    sizes = _class_sizes(n_points, 2)
    t0 = rng.uniform(0.0, np.pi, sizes[0])
    t1 = rng.uniform(0.0, np.pi, sizes[1])
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    X = np.vstack([upper, lower])
    return _jitter(X, 0.8 * noise, rng), _labels(sizes)


def make_circles(n_points: int, noise: float, n_classes: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """An inner circle of radius 0.5 (class 1) inside a ring of radius 1 (class 0).

    Parameters
    ----------
    n_points : int
    noise : float
        Jitter standard deviation as a fraction of the outer radius.
    n_classes : int
        Ignored; circles are always 2 classes.
    rng : numpy.random.Generator

    Returns
    -------
    X : ndarray of shape (n_points, 2), float64
    y : ndarray of shape (n_points,), int64 in {0, 1}
    """
    sizes = _class_sizes(n_points, 2)
    radius = np.repeat([1.0, 0.5], sizes)
    angle = rng.uniform(0.0, 2.0 * np.pi, n_points)
    X = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return _jitter(X, 0.4 * noise, rng), _labels(sizes)


def make_xor(n_points: int, noise: float, n_classes: int,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points in the square [-1, 1]^2; class 1 where x1 * x2 < 0 (``n_classes`` ignored).

    Points keep a margin of 0.05 from the axes so the clean version is separable.

    Parameters
    ----------
    n_points : int
    noise : float
        Jitter standard deviation as a fraction of the half-width of the square.
    n_classes : int
        Ignored; XOR is always 2 classes.
    rng : numpy.random.Generator

    Returns
    -------
    X : ndarray of shape (n_points, 2), float64
    y : ndarray of shape (n_points,), int64 in {0, 1}
    """
    sizes = _class_sizes(n_points, 2)
    y = _labels(sizes)
    magnitude = rng.uniform(0.05, 1.0, size=(n_points, 2))
    sign_x1 = rng.choice([-1.0, 1.0], size=n_points)
    # class 0: same signs (quadrants I, III); class 1: opposite signs (II, IV)
    sign_x2 = np.where(y == 0, sign_x1, -sign_x1)
    X = magnitude * np.column_stack([sign_x1, sign_x2])
    return _jitter(X, 0.6 * noise, rng), y


def make_blobs(n_points: int, noise: float, n_classes: int,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs centred evenly on the unit circle, one per class.

    Parameters
    ----------
    n_points : int
    noise : float
        Extra spread as a fraction of the distance between neighbouring centres;
        the blobs have a base spread of 0.1 of that distance even at noise 0.
    n_classes : int
        Number of blobs, ``MIN_CLASSES..MAX_GEN_CLASSES``.
    rng : numpy.random.Generator

    Returns
    -------
    X : ndarray of shape (n_points, 2), float64
    y : ndarray of shape (n_points,), int64 in ``0..n_classes-1``
    """
    sizes = _class_sizes(n_points, n_classes)
    y = _labels(sizes)
    angle = 2.0 * np.pi * np.arange(n_classes) / n_classes + np.pi / 4
    centres = np.column_stack([np.cos(angle), np.sin(angle)])
    gap = 2.0 * np.sin(np.pi / n_classes)  # distance between neighbouring centres
    return _jitter(centres[y], gap * (0.1 + 0.5 * noise), rng), y


def make_spirals(n_points: int, noise: float, n_classes: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, ``SPIRAL_TURNS`` turns each, one arm per class.

    Arm k is ``r = 0.1 + 0.9 t``, ``angle = 2 pi (SPIRAL_TURNS t + k / K)`` for
    t uniform in [0, 1]: the hard dataset of the set.

    Parameters
    ----------
    n_points : int
    noise : float
        Jitter standard deviation as a fraction of the radial gap between
        neighbouring arms.
    n_classes : int
        Number of arms, ``MIN_CLASSES..MAX_GEN_CLASSES``.
    rng : numpy.random.Generator

    Returns
    -------
    X : ndarray of shape (n_points, 2), float64
    y : ndarray of shape (n_points,), int64 in ``0..n_classes-1``
    """
    sizes = _class_sizes(n_points, n_classes)
    y = _labels(sizes)
    t = rng.uniform(0.0, 1.0, n_points)
    radius = 0.1 + 0.9 * t
    angle = 2.0 * np.pi * (SPIRAL_TURNS * t + y / n_classes)
    X = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    gap = 0.9 / (SPIRAL_TURNS * n_classes)  # radial distance between arms
    return _jitter(X, 0.6 * gap * noise, rng), y


@dataclass(frozen=True)
class Kind:
    """One kind of toy data: its key (in links), its label, its generator and the
    class counts it accepts (``lo == hi``: a fixed count, the control is hidden)."""
    key: str
    label: str
    make: PointGenerator
    classes: tuple[int, int] = (2, 2)


DATASETS: dict[str, Kind] = {k.key: k for k in [
    Kind("moons", "moons", make_moons),
    Kind("circles", "circles", make_circles),
    Kind("xor", "XOR", make_xor),
    Kind("blobs", "blobs", make_blobs, (MIN_CLASSES, MAX_GEN_CLASSES)),
    Kind("spirals", "spirals", make_spirals, (MIN_CLASSES, MAX_GEN_CLASSES)),
]}


def allowed_classes(kind: str) -> tuple[int, int]:
    """Range of class counts a generator accepts.

    Parameters
    ----------
    kind : str
        A key of :data:`DATASETS`.

    Returns
    -------
    (lo, hi) : tuple of int
        ``lo == hi`` means the kind has a fixed class count (hide the control).
    """
    _check_kind(kind)
    return DATASETS[kind].classes


def _check_kind(kind: str) -> None:
    """Raise ValueError naming the known kinds if ``kind`` is not one of them."""
    if not isinstance(kind, str) or kind not in DATASETS:
        raise ValueError(f"Unknown dataset kind {kind!r}; "
                         f"choose one of: {', '.join(DATASETS)}.")
