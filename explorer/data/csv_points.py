"""A person's own labelled 2-D points, from the bytes of an uploaded CSV.

Untrusted input: every problem is a ValueError that says which line and what was
expected; nothing else is raised.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from explorer.limits import MAX_CLASSES, MAX_CSV_BYTES, MAX_CSV_ROWS, MIN_CLASSES, MIN_POINTS

MAX_LABEL_CHARS = 30   # longest class label accepted in a CSV
CSV_HEADER = ("x1", "x2", "label")

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
