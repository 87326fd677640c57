"""A person's own labelled 2-D points, from the bytes of an uploaded CSV.

Untrusted input: every problem is a ValueError that says which line and what was
expected; nothing else is raised (the tests fuzz it).

The CSV dialect is RFC 4180 within a line: fields separated by commas, a field
may be put in double quotes (then it may hold commas, and a quote inside it is
written twice, as in ``"a ""quoted"" word"``); spaces around a quoted field are
ignored. Stricter
than Python's ``csv`` module, on purpose: a quote that never closes, a quote
inside an unquoted field, text after a closing quote, and a NUL byte are errors
naming the line, instead of silently swallowing the following lines into one
field (which made a new class). A field cannot span lines: no label or number
holds a line break.

Labels are kept as plain text, exactly as written (trimmed); they are escaped
only where they are shown (see :mod:`explorer.text`). Control characters (tabs,
line breaks, escape...) and bidirectional formatting characters are refused.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

import numpy as np

from explorer.limits import MAX_CLASSES, MAX_CSV_BYTES, MAX_CSV_ROWS, MIN_CLASSES, MIN_POINTS
from explorer.text import clip, first_control, plain_list

MAX_LABEL_CHARS = 30   # longest class label accepted in a CSV
MAX_CSV_LINES = 4 * MAX_CSV_ROWS   # lines of any kind, blank ones included
CSV_HEADER = ("x1", "x2", "label")

# --------------------------------------------------------------------------- #
# CSV of labelled 2-D points
# --------------------------------------------------------------------------- #

_CSV_ACCEPTS = (f"a UTF-8 CSV with header 'x1,x2,label', {MIN_POINTS} to "
                f"{MAX_CSV_ROWS} rows, numeric x1,x2 and {MIN_CLASSES} to "
                f"{MAX_CLASSES} classes")


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BLANKS = " \t"


def _excerpt(row: list[str] | str, width: int = 40) -> str:
    """The row (fields joined back with commas, or a raw line) as plain text cut
    to ``width`` characters."""
    return clip(row if isinstance(row, str) else ",".join(row), width)


def _quoted(line: str, start: int, number: int) -> tuple[str, int]:
    """The quoted field whose opening quote is at ``line[start]``.

    Returns its text (doubled quotes made single) and the index just after the
    closing quote; ValueError if the quote does not close on this line.
    """
    parts, i = [], start + 1
    while True:
        q = line.find('"', i)
        if q < 0:
            raise ValueError(f"Line {number}: the quote at character {start + 1} never "
                             f"closes: '{_excerpt(line)}'. A field in quotes must end on "
                             f"the same line with a quote (write a quote inside it as \"\").")
        parts.append(line[i:q])
        if line.startswith('"', q + 1):          # "" inside quotes: one quote
            parts.append('"')
            i = q + 2
            continue
        return "".join(parts), q + 1


def _split_line(line: str, number: int) -> list[str]:
    """One line of the CSV split into its fields (RFC 4180 quoting, one line)."""
    fields, i, n = [], 0, len(line)
    while True:
        j = i
        while j < n and line[j] in _BLANKS:
            j += 1
        if j < n and line[j] == '"':
            field, k = _quoted(line, j, number)
            while k < n and line[k] in _BLANKS:
                k += 1
            if k < n and line[k] != ",":
                raise ValueError(f"Line {number}: text after a closing quote (character "
                                 f"{k + 1}): '{_excerpt(line)}'. Put the whole field in "
                                 f"quotes, and write a quote inside it as \"\".")
        else:
            k = line.find(",", i)
            k = n if k < 0 else k
            field = line[i:k]
            if '"' in field:
                at = line.index('"', i) + 1
                raise ValueError(f"Line {number}: a quote inside a field that does not "
                                 f"start with one (character {at}): "
                                 f"'{_excerpt(line)}'. Put the whole field in quotes, and "
                                 f"write a quote inside it as \"\".")
        fields.append(field)
        if k >= n:
            return fields
        i = k + 1


def _lines(text: str):
    """``(line number, fields)`` of every line that is not blank, NUL bytes refused."""
    breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
    if breaks >= MAX_CSV_LINES:
        raise ValueError(f"The CSV has more than {MAX_CSV_LINES:,} lines (blank ones "
                         f"included); accepted is {_CSV_ACCEPTS}.")
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        if not line.replace(",", "").strip():      # blank, or only commas and spaces
            continue
        if "\x00" in line:
            raise ValueError(f"Line {number} contains a NUL byte (character "
                             f"{line.index(chr(0)) + 1}): this is not a text CSV. Save it "
                             f"as 'CSV UTF-8'.")
        yield number, _split_line(line, number)


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
    bad = first_control(label)
    if bad is not None:
        raise ValueError(f"Line {line}: the label holds an invisible control character "
                         f"(U+{ord(bad):04X}); a label must be plain visible text, got "
                         f"'{_excerpt(row)}'.")
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


def _read_rows(text: str) -> list[tuple[float, float, str, int, str, str]]:
    """Header check, then parse the data rows, skipping blank lines.

    Each row is ``(x1, x2, label, line number, x1 text, x2 text)``.
    """
    rows: list[tuple[float, float, str, int, str, str]] = []
    header_seen = False
    for number, row in _lines(text):
        if not any(c.strip() for c in row):
            continue
        if not header_seen:
            _check_header(row)
            header_seen = True
            continue
        if len(rows) == MAX_CSV_ROWS:
            raise ValueError(f"The CSV has more than {MAX_CSV_ROWS:,} data rows; "
                             f"accepted is {MIN_POINTS} to {MAX_CSV_ROWS:,}.")
        rows.append((*_parse_row(row, number), number, row[0], row[1]))
    if not header_seen:
        raise ValueError("The CSV is empty; the first line must be the header "
                         "'x1,x2,label'.")
    return rows


def _exact(text: str) -> Decimal | None:
    """The exact decimal value of a number as written, or None if Decimal cannot read it."""
    try:
        return Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None


def _check_not_merged(X: np.ndarray, rows: list) -> None:
    """Refuse a column whose written values differ but became one float64 number.

    ``1e20`` and ``100000000000000000001`` are different in the file but the same
    float64: the column would silently become constant (all 0 after standardising).
    """
    for j in range(2):
        if not np.all(X[:, j] == X[0, j]):
            continue
        first = _exact(rows[0][4 + j])
        for r in rows[1:]:
            value = _exact(r[4 + j])
            if first is not None and value is not None and value != first:
                raise ValueError(
                    f"Column x{j + 1}: lines {rows[0][3]} and {r[3]} hold different values "
                    f"('{clip(rows[0][4 + j].strip(), 30)}' and '{clip(r[4 + j].strip(), 30)}') "
                    f"that a computer's numbers (about 16 significant digits) cannot tell "
                    f"apart, so every point would get the same x{j + 1}. Subtract a common "
                    f"offset so the values differ within their first 15 digits.")


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
        noun = "class" if len(labels) == 1 else "classes"
        raise ValueError(f"The CSV has {len(labels)} {noun} ({plain_list(labels)}); "
                         f"between {MIN_CLASSES} and {MAX_CLASSES} are accepted.")
    index = {label: i for i, label in enumerate(labels)}
    X = np.array([(r[0], r[1]) for r in rows], dtype=np.float64)
    y = np.array([index[r[2]] for r in rows], dtype=np.int64)
    _check_not_merged(X, rows)
    return X, y, labels
