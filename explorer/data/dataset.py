"""A dataset ready for a network: a seeded, stratified train/test split, features
standardised with the *training* mean and standard deviation, every array
read-only (so one cached copy can be shared by every session).

:func:`make_dataset` does this for a generated 2-D set, :func:`make_dataset_from_points`
for a person's own points, :func:`load_digits_data` for the 8x8 digits that ship
with scikit-learn.

Standardising is safe for any finite input: each column is first divided by a
power of two near its largest magnitude (exact in floating point), so no sum or
square can overflow, and the result is bit for bit what the plain formula gives
whenever that formula does not overflow. Every standardised value is finite in
float32, the dtype the app trains in. A column without spread (the same value in
every row) is legitimate, e.g. points on a line: it becomes 0 for every point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from explorer.limits import MAX_CLASSES, MAX_CSV_ROWS, MAX_POINTS, MIN_CLASSES, MIN_POINTS

from .points import DATASETS, MAX_NOISE, _check_kind

# --------------------------------------------------------------------------- #
# Dataset, split, standardisation
# --------------------------------------------------------------------------- #

@dataclass(frozen=True, eq=False)
class Dataset:
    """A train/test split ready for a network; every array is read-only.

    Attributes
    ----------
    X_train : ndarray of shape (n_train, d), float64
        Features, standardised with ``mean`` and ``std`` (2-D data) or raw
        (digits, where ``mean`` is 0 and ``std`` is 1).
    y_train : ndarray of shape (n_train,), int64 in ``0..n_classes-1``
    X_test : ndarray of shape (n_test, d), float64
    y_test : ndarray of shape (n_test,), int64
    n_classes : int
    name : str
    mean : ndarray of shape (d,), float64
        Training mean subtracted from the raw features.
    std : ndarray of shape (d,), float64
        Training standard deviation the features were divided by, always > 0.
        A column with (almost) no spread in the training points is divided by
        its spread over all the points instead, and a column with none at all
        by a power of two near its magnitude (its values all become 0). New raw
        points ``P`` map to network inputs as ``(P - mean) / std``.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    name: str
    mean: np.ndarray
    std: np.ndarray


def _read_only(a: np.ndarray) -> np.ndarray:
    """Return ``a`` with its writeable flag cleared (same array, no copy)."""
    a.flags.writeable = False
    return a


def _split(y: np.ndarray, test_ratio: float,
           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Stratified shuffled split of indices; every class keeps >= 1 training point.

    Parameters
    ----------
    y : ndarray of shape (n,), int64 in ``0..K-1``
    test_ratio : float
        Fraction of each class that goes to the test set (rounded).
    rng : numpy.random.Generator

    Returns
    -------
    train_idx, test_idx : ndarrays of int64, shuffled, together a permutation of
        ``range(n)``.
    """
    train, test = [], []
    for k in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == k))
        n_test = min(int(round(test_ratio * len(idx))), len(idx) - 1)
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


# a column whose spread is below this fraction of its largest magnitude has none:
# float64 keeps about 16 digits, so differences that small are rounding, not data
SPREAD_FLOOR = 1e-12
_F32_MAX = float(np.finfo(np.float32).max)


def _standardise(X: np.ndarray, train_idx: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training mean and std of every column, and the standardised ``X``, without overflow.

    Each column is divided by a power of two ``2**e`` with its largest magnitude
    in ``[2**e, 2**(e+1))``: exact, and afterwards every value lies in (-2, 2),
    so no sum or square can overflow. Mean and std are computed on the scaled
    column and scaled back (exactly, again). Standardised values are then at most
    ``4 / SPREAD_FLOOR`` in magnitude: finite in float32.

    Parameters
    ----------
    X : ndarray of shape (n, d), float64, finite
    train_idx : ndarray of int64
        Rows whose statistics are used.

    Returns
    -------
    mean, std : ndarray of shape (d,), float64, finite, ``std > 0``
    Z : ndarray of shape (n, d), float64
        ``(X - mean) / std``.
    """
    peak = np.max(np.abs(X), axis=0)
    scale = np.where(peak > 0, np.ldexp(1.0, np.frexp(peak)[1] - 1), 1.0)  # 2**e <= peak
    U = X / scale                                          # exact; every |value| < 2
    m, sd = U[train_idx].mean(axis=0), U[train_idx].std(axis=0)
    flat = ~(sd >= SPREAD_FLOOR)                           # no spread in the training points
    if flat.any():
        sd_all = U.std(axis=0)
        sd = np.where(flat, np.where(sd_all >= SPREAD_FLOOR, sd_all, 1.0), sd)
    mean, std, Z = m * scale, sd * scale, (U - m) / sd
    # a column of zeros and one subnormal number (5e-324): its spread, scaled back,
    # rounds to 0. No spread, as far as the network can tell
    lost = ~(std > 0)
    if lost.any():
        std = np.where(lost, 1.0, std)
        Z[:, lost] = X[:, lost] - mean[lost]
    return mean, std, Z


def _check_float32(Z: np.ndarray) -> None:
    """Raise ValueError, naming the column, if a value of ``Z`` is not finite in float32.

    :func:`_standardise` keeps every value below 4e12, so this only guards the
    promise the network relies on.
    """
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(Z) <= _F32_MAX)
    if bad.any():
        j = int(np.flatnonzero(bad.any(axis=0))[0])
        raise ValueError(f"Column x{j + 1} cannot be given to the network: after "
                         f"standardising, its values must lie between {-_F32_MAX:.3g} "
                         f"and {_F32_MAX:.3g} (the network computes in float32).")


def _build(X: np.ndarray, y: np.ndarray, n_classes: int, name: str,
           test_ratio: float, rng: np.random.Generator,
           standardise: bool = True) -> Dataset:
    """Split, optionally standardise with the training statistics, freeze.

    Parameters
    ----------
    X : ndarray of shape (n, d), float64
    y : ndarray of shape (n,), int64 in ``0..n_classes-1``
    n_classes : int
    name : str
    test_ratio : float
    rng : numpy.random.Generator
    standardise : bool
        If False, ``mean`` is zeros and ``std`` is ones and X is kept as is.

    Returns
    -------
    Dataset
    """
    train_idx, test_idx = _split(y, test_ratio, rng)
    d = X.shape[1]
    if standardise:
        mean, std, Z = _standardise(X, train_idx)
    else:
        mean, std, Z = np.zeros(d), np.ones(d), X
    _check_float32(Z)
    arrays = [Z[train_idx], y[train_idx], Z[test_idx], y[test_idx], mean, std]
    Xtr, ytr, Xte, yte, mean, std = (_read_only(np.ascontiguousarray(a)) for a in arrays)
    return Dataset(Xtr, ytr, Xte, yte, int(n_classes), name, mean, std)


def _check_int(name: str, value: object) -> int:
    """Return ``value`` as int, or raise ValueError if it is not an integer."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be a whole number, got {value!r}.")
    return int(value)


def _check_ratio(test_ratio: float) -> float:
    """Return ``test_ratio`` as float, or raise ValueError if outside [0.1, 0.9]."""
    try:
        ratio = float(test_ratio)
    except (TypeError, ValueError):
        ratio = math.nan
    if not 0.1 <= ratio <= 0.9:
        raise ValueError(f"test_ratio must be a number between 0.1 and 0.9, "
                         f"got {test_ratio!r}.")
    return ratio


def _check_noise(noise: float) -> float:
    """Return ``noise`` as float, or raise ValueError if outside [0, MAX_NOISE]."""
    try:
        value = float(noise)
    except (TypeError, ValueError):
        value = math.nan
    if not 0.0 <= value <= MAX_NOISE:
        raise ValueError(f"noise must be a number between 0 and {MAX_NOISE:g} "
                         f"(0 = clean, 0.5 = very noisy), got {noise!r}.")
    return value


def _check_seed(seed: int) -> int:
    """Return ``seed`` as int, or raise ValueError if not a non-negative integer."""
    seed = _check_int("seed", seed)
    if seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed}.")
    return seed


def make_dataset(kind: str = "moons", n_points: int = 300, noise: float = 0.1,
                 n_classes: int = 2, test_ratio: float = 0.3,
                 seed: int = 0) -> Dataset:
    """Generate a toy 2-D dataset, split it and standardise it.

    Parameters
    ----------
    kind : str
        One of ``DATASETS``: "moons", "circles", "xor", "blobs", "spirals".
    n_points : int
        Total points (train + test), clamped to ``[MIN_POINTS, MAX_POINTS]``.
    noise : float
        In ``[0, MAX_NOISE]``; 0 = clean, about 0.5 = very noisy.
    n_classes : int
        For "blobs" and "spirals", ``MIN_CLASSES..MAX_GEN_CLASSES``; ignored by
        the 2-class kinds (see :func:`allowed_classes`).
    test_ratio : float
        In ``[0.1, 0.9]``; fraction of each class held out for testing.
    seed : int
        Non-negative; the same seed gives identical arrays.

    Returns
    -------
    Dataset
        ``X_train`` of shape (n_train, 2) with zero mean and unit std per feature.

    Raises
    ------
    ValueError
        With a message naming what is accepted.
    """
    _check_kind(kind)
    n = min(max(_check_int("n_points", n_points), MIN_POINTS), MAX_POINTS)
    noise = _check_noise(noise)
    ratio = _check_ratio(test_ratio)
    rng = np.random.default_rng(_check_seed(seed))
    lo, hi = DATASETS[kind].classes
    k = lo if lo == hi else _check_int("n_classes", n_classes)
    if not lo <= k <= hi:
        raise ValueError(f"{kind} accepts between {lo} and {hi} classes, got {k}.")
    X, y = DATASETS[kind].make(n, noise, k, rng)
    return _build(X, y, k, kind, ratio, rng)


def make_dataset_from_points(X: np.ndarray, y: np.ndarray, test_ratio: float = 0.3,
                             seed: int = 0, name: str = "csv") -> Dataset:
    """Split and standardise user-supplied 2-D points (e.g. from a CSV).

    Parameters
    ----------
    X : array_like of shape (n, 2)
        Finite numbers, any magnitude; ``MIN_POINTS <= n <= MAX_CSV_ROWS``. One
        column may hold the same value in every row (the points lie on a line);
        both may not (every point at one place).
    y : array_like of shape (n,)
        Any sortable labels, ``MIN_CLASSES..MAX_CLASSES`` distinct values; they are
        remapped to ``0..K-1`` in sorted order (labels that are already
        ``0..K-1`` keep their values).
    test_ratio : float
        In ``[0.1, 0.9]``.
    seed : int
        Non-negative.
    name : str

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        If shapes, sizes, values or class counts are outside what is accepted.
    """
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ValueError("Point coordinates must be numbers: X of shape (n, 2).") from None
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"Points need X of shape (n, 2) and y of shape (n,); "
                         f"got X {X.shape} and y {y.shape}.")
    if not MIN_POINTS <= len(y) <= MAX_CSV_ROWS:
        raise ValueError(f"Need between {MIN_POINTS} and {MAX_CSV_ROWS} points, "
                         f"got {len(y)}.")
    if not np.all(np.isfinite(X)):
        raise ValueError("Point coordinates must be finite numbers (no NaN or inf).")
    try:
        classes, y_int = np.unique(y, return_inverse=True)
    except TypeError:
        raise ValueError("Labels must be all numbers or all text, so that they can "
                         "be sorted.") from None
    if not MIN_CLASSES <= len(classes) <= MAX_CLASSES:
        raise ValueError(f"Need between {MIN_CLASSES} and {MAX_CLASSES} classes, "
                         f"got {len(classes)}.")
    if np.all(X == X[0]):
        raise ValueError(f"All {len(y)} points are at the same place (x1 = {X[0, 0]:g} "
                         f"and x2 = {X[0, 1]:g} in every row): nothing tells the classes "
                         "apart. Points on a line (one column the same in every row) "
                         "are fine.")
    rng = np.random.default_rng(_check_seed(seed))
    ratio = _check_ratio(test_ratio)
    return _build(X, y_int.astype(np.int64).ravel(), len(classes), name, ratio, rng)


def load_digits_data(test_ratio: float = 0.25, seed: int = 0) -> Dataset:
    """The 8x8 handwritten digits (1797 images) scaled to [0, 1], split, not standardised.

    Parameters
    ----------
    test_ratio : float
        In ``[0.1, 0.9]``.
    seed : int
        Non-negative.

    Returns
    -------
    Dataset
        ``X_train`` of shape (n_train, 64) in [0, 1] (pixel / 16), ``y`` digits
        0..9, ``n_classes == 10``, ``mean`` zeros (64,) and ``std`` ones (64,).
    """
    from sklearn.datasets import load_digits  # lazy: sklearn is slow to import

    ratio = _check_ratio(test_ratio)
    rng = np.random.default_rng(_check_seed(seed))
    digits = load_digits()
    X = np.asarray(digits.data, dtype=np.float64) / 16.0
    y = np.asarray(digits.target, dtype=np.int64)
    return _build(X, y, 10, "digits", ratio, rng, standardise=False)
