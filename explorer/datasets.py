"""Datasets: toy 2-D generators in one registry, the digits images, user CSVs.

Every generator has one signature (as in TensorFlow Playground)::

    gen(n_points, noise, n_classes, rng) -> (X, y)

with ``X`` of shape (n_points, 2) float64 and ``y`` of shape (n_points,) int64
holding labels ``0..K-1``, classes balanced to within one point. ``noise`` is the
standard deviation of Gaussian jitter as a fraction of the kind's own length
scale (0 = clean, 0.5 = very noisy), so one slider means the same thing for every
kind. Randomness enters only through ``rng``.

:func:`make_dataset` turns a generator into a :class:`Dataset`: a seeded
train/test split (stratified, so every class is in the training set) and features
standardised with the *training* mean and standard deviation. All arrays of a
Dataset are read-only, so one cached copy can be shared by every session.

Left out on purpose: sklearn's generators (we want the code visible and stable
across sklearn versions) and any I/O other than parsing bytes handed to us.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from explorer.limits import (
    MAX_CLASSES,
    MAX_CSV_BYTES,
    MAX_CSV_ROWS,
    MAX_GEN_CLASSES,
    MAX_POINTS,
    MIN_CLASSES,
    MIN_POINTS,
)

PointGenerator = Callable[[int, float, int, np.random.Generator],
                          "tuple[np.ndarray, np.ndarray]"]

SPIRAL_TURNS = 1.5     # turns per spiral arm
MAX_NOISE = 1.0        # accepted noise range is [0, MAX_NOISE]
MAX_LABEL_CHARS = 30   # longest class label accepted in a CSV
CSV_HEADER = ("x1", "x2", "label")


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


DATASETS: dict[str, PointGenerator] = {
    "moons": make_moons,
    "circles": make_circles,
    "xor": make_xor,
    "blobs": make_blobs,
    "spirals": make_spirals,
}

# (lowest, highest) class count each kind accepts; lo == hi means fixed.
CLASS_COUNTS: dict[str, tuple[int, int]] = {
    "moons": (2, 2),
    "circles": (2, 2),
    "xor": (2, 2),
    "blobs": (MIN_CLASSES, MAX_GEN_CLASSES),
    "spirals": (MIN_CLASSES, MAX_GEN_CLASSES),
}


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
    return CLASS_COUNTS[kind]


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
        Training standard deviation (floored at 1e-12) the features were divided
        by. New raw points ``P`` map to network inputs as ``(P - mean) / std``.
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
        mean = X[train_idx].mean(axis=0)
        std = np.maximum(X[train_idx].std(axis=0), 1e-12)
    else:
        mean, std = np.zeros(d), np.ones(d)
    Z = (X - mean) / std
    arrays = [Z[train_idx], y[train_idx], Z[test_idx], y[test_idx], mean, std]
    Xtr, ytr, Xte, yte, mean, std = (_read_only(np.ascontiguousarray(a)) for a in arrays)
    return Dataset(Xtr, ytr, Xte, yte, int(n_classes), name, mean, std)


def _check_kind(kind: str) -> None:
    """Raise ValueError naming the known kinds if ``kind`` is not one of them."""
    if not isinstance(kind, str) or kind not in DATASETS:
        raise ValueError(f"Unknown dataset kind {kind!r}; "
                         f"choose one of: {', '.join(DATASETS)}.")


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
    lo, hi = CLASS_COUNTS[kind]
    k = lo if lo == hi else _check_int("n_classes", n_classes)
    if not lo <= k <= hi:
        raise ValueError(f"{kind} accepts between {lo} and {hi} classes, got {k}.")
    X, y = DATASETS[kind](n, noise, k, rng)
    return _build(X, y, k, kind, ratio, rng)


def make_dataset_from_points(X: np.ndarray, y: np.ndarray, test_ratio: float = 0.3,
                             seed: int = 0, name: str = "csv") -> Dataset:
    """Split and standardise user-supplied 2-D points (e.g. from a CSV).

    Parameters
    ----------
    X : array_like of shape (n, 2)
        Finite numbers; ``MIN_POINTS <= n <= MAX_CSV_ROWS``.
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
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"Points need X of shape (n, 2) and y of shape (n,); "
                         f"got X {X.shape} and y {y.shape}.")
    if not MIN_POINTS <= len(y) <= MAX_CSV_ROWS:
        raise ValueError(f"Need between {MIN_POINTS} and {MAX_CSV_ROWS} points, "
                         f"got {len(y)}.")
    if not np.all(np.isfinite(X)):
        raise ValueError("Point coordinates must be finite numbers (no NaN or inf).")
    classes, y_int = np.unique(y, return_inverse=True)
    if not MIN_CLASSES <= len(classes) <= MAX_CLASSES:
        raise ValueError(f"Need between {MIN_CLASSES} and {MAX_CLASSES} classes, "
                         f"got {len(classes)}.")
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


# --------------------------------------------------------------------------- #
# CSV of labelled 2-D points
# --------------------------------------------------------------------------- #

_CSV_ACCEPTS = (f"a UTF-8 CSV with header 'x1,x2,label', {MIN_POINTS} to "
                f"{MAX_CSV_ROWS} rows, numeric x1,x2 and {MIN_CLASSES} to "
                f"{MAX_CLASSES} classes")


def _excerpt(row: list[str], width: int = 40) -> str:
    """The row joined back with commas, cut to ``width`` characters."""
    text = ",".join(row)
    return text if len(text) <= width else text[: width - 3] + "..."


def _decode_csv(data: bytes) -> str:
    """Check the size and decode UTF-8 (a BOM is fine); raise ValueError otherwise."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"parse_points_csv expects bytes, got {type(data).__name__}.")
    if len(data) > MAX_CSV_BYTES:
        raise ValueError(f"The CSV file is {len(data):,} bytes; the limit is "
                         f"{MAX_CSV_BYTES:,} bytes. Upload {_CSV_ACCEPTS}.")
    try:
        return bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(f"The CSV file is not UTF-8 text (bad byte at position "
                         f"{err.start}). Save it as 'CSV UTF-8'; accepted is "
                         f"{_CSV_ACCEPTS}.") from None


def _check_header(row: list[str]) -> None:
    """Raise ValueError unless ``row`` is x1,x2,label (case and spaces ignored)."""
    if tuple(c.strip().lower() for c in row) != CSV_HEADER:
        raise ValueError(f"The first line must be the header 'x1,x2,label' "
                         f"(columns separated by commas), got '{_excerpt(row)}'.")


def _parse_row(row: list[str], line: int) -> tuple[float, float, str]:
    """One data row -> (x1, x2, label); ValueError names the line and its text."""
    if len(row) != 3:
        raise ValueError(f"Line {line} has {len(row)} columns: '{_excerpt(row)}'. "
                         f"Each row needs exactly 3: x1,x2,label.")
    try:
        x1, x2 = float(row[0]), float(row[1])
    except ValueError:
        raise ValueError(f"Line {line}: x1 and x2 must be numbers, got "
                         f"'{_excerpt(row)}'.") from None
    if not (math.isfinite(x1) and math.isfinite(x2)):
        raise ValueError(f"Line {line}: x1 and x2 must be finite numbers "
                         f"(no NaN or inf), got '{_excerpt(row)}'.")
    label = row[2].strip()
    if not label or len(label) > MAX_LABEL_CHARS:
        raise ValueError(f"Line {line}: the label must be an integer or a text of "
                         f"1 to {MAX_LABEL_CHARS} characters, got '{_excerpt(row)}'.")
    return x1, x2, _canonical_label(label)


def _canonical_label(label: str) -> str:
    """Integers in one spelling ("007", "+7" -> "7"); other text unchanged."""
    try:
        return str(int(label))
    except ValueError:
        return label


def _label_order(label: str) -> tuple:
    """Sort key: integer labels numerically first, then text labels alphabetically."""
    try:
        return (0, int(label), "")
    except ValueError:
        return (1, 0, label)


def _read_rows(text: str) -> list[tuple[float, float, str]]:
    """Header check, then parse the data rows, skipping blank lines."""
    rows: list[tuple[float, float, str]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    header_seen = False
    try:
        for row in reader:
            if not any(c.strip() for c in row):
                continue
            if not header_seen:
                _check_header(row)
                header_seen = True
                continue
            if len(rows) == MAX_CSV_ROWS:
                raise ValueError(f"The CSV has more than {MAX_CSV_ROWS:,} data rows; "
                                 f"accepted is {MIN_POINTS} to {MAX_CSV_ROWS:,}.")
            rows.append(_parse_row(row, reader.line_num))
    except csv.Error as err:
        raise ValueError(f"Line {reader.line_num} is not valid CSV ({err}).") from None
    if not header_seen:
        raise ValueError("The CSV is empty; the first line must be the header "
                         "'x1,x2,label'.")
    return rows


def parse_points_csv(data: bytes) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Parse an uploaded CSV of labelled 2-D points.

    The format is a header ``x1,x2,label`` (case and spaces ignored) followed by
    ``MIN_POINTS..MAX_CSV_ROWS`` rows of two finite numbers and a label. A label
    is an integer or a text of at most 30 characters; integers are compared by
    value ("07" and "7" are one class). Blank lines are ignored.

    Parameters
    ----------
    data : bytes
        The raw file, at most ``MAX_CSV_BYTES`` long, UTF-8 (a BOM is fine).

    Returns
    -------
    X : ndarray of shape (n, 2), float64
    y : ndarray of shape (n,), int64 in ``0..K-1``; ``y == i`` means ``labels[i]``
    labels : list of str, length K
        Class names, integer labels in numeric order first, then text labels in
        alphabetical order.

    Raises
    ------
    ValueError
        Saying what was wrong (with the line number and text where there is
        one) and what is accepted.
    """
    rows = _read_rows(_decode_csv(data))
    if len(rows) < MIN_POINTS:
        raise ValueError(f"The CSV has {len(rows)} data rows; at least {MIN_POINTS} "
                         f"are needed (at most {MAX_CSV_ROWS:,}).")
    labels = sorted({r[2] for r in rows}, key=_label_order)
    if not MIN_CLASSES <= len(labels) <= MAX_CLASSES:
        shown = ", ".join(labels[:12]) + (", ..." if len(labels) > 12 else "")
        noun = "class" if len(labels) == 1 else "classes"
        raise ValueError(f"The CSV has {len(labels)} {noun} ({shown}); between "
                         f"{MIN_CLASSES} and {MAX_CLASSES} are accepted.")
    index = {label: i for i, label in enumerate(labels)}
    X = np.array([(r[0], r[1]) for r in rows], dtype=np.float64)
    y = np.array([index[r[2]] for r in rows], dtype=np.int64)
    return X, y, labels
