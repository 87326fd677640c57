"""Saving and loading network weights as .npz bytes, safely.

A saved file is an ordinary NumPy ``.npz`` (a zip of ``.npy`` members, no
pickles) that ``np.load`` opens in a notebook. An optional configuration dict
travels inside it as JSON text, in a uint8 array named ``__config__``.

Uploaded files are untrusted, and a classroom shares one small server, so
:func:`load_weights` reads every member's ``.npy`` *header* first and refuses
pickles, non-numeric dtypes and shapes larger than any network the app can build
(``MAX_PARAMS``) before a single array is allocated: a tiny file with a forged
header cannot make the server allocate gigabytes. Only then are the arrays
loaded, with ``allow_pickle=False``.
"""

from __future__ import annotations

import io
import json
import math
import struct
import zipfile
import zlib

import numpy as np
from numpy.lib import format as npy_format

from explorer.limits import MAX_PARAMS, MAX_UPLOAD_BYTES

CONFIG_KEY = "__config__"
MAX_CONFIG_BYTES = 100_000
_MAX_ARRAYS = 64                    # far more than any network has parameter arrays
_MAX_HEADER = 2**16 + 16            # an .npy header never needs more
_MAX_MEMBER_BYTES = MAX_PARAMS * 8 + _MAX_HEADER   # float64 payload + header
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, struct.error, OSError, EOFError,
                RuntimeError, NotImplementedError, ValueError, KeyError)


# --------------------------------------------------------------------------- #
# Config <-> JSON
# --------------------------------------------------------------------------- #

def _json_default(obj: object) -> object:
    """Turn NumPy scalars and arrays into plain Python for ``json.dumps``."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def config_to_json(cfg: dict) -> str:
    """Serialise a configuration dict to JSON text (sorted keys, indented).

    Parameters
    ----------
    cfg : dict
        Plain values (numbers, strings, bools, None, lists, dicts); NumPy scalars
        and arrays are converted.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If ``cfg`` is not a dict or holds something JSON cannot represent
        (including NaN and infinity).
    """
    if not isinstance(cfg, dict):
        raise ValueError(f"A config must be a dict, got {type(cfg).__name__}.")
    try:
        return json.dumps(cfg, sort_keys=True, indent=2, allow_nan=False,
                          default=_json_default)
    except (TypeError, ValueError) as err:
        raise ValueError(f"The config cannot be saved as JSON: {err}.") from None


def _refuse_constant(name: str) -> float:
    """json.loads hook: NaN / Infinity are not valid JSON, so refuse them."""
    raise ValueError(f"{name} is not allowed in a config")


def config_from_json(text: str | bytes, max_bytes: int = MAX_CONFIG_BYTES) -> dict:
    """Parse JSON text into a configuration dict.

    Parameters
    ----------
    text : str or bytes
        JSON of one object; bytes must be UTF-8.
    max_bytes : int
        Longest accepted text, in UTF-8 bytes.

    Returns
    -------
    dict

    Raises
    ------
    ValueError
        If the text is too long, not UTF-8, not valid JSON, or not an object.
    """
    raw = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    if len(raw) > max_bytes:
        raise ValueError(f"The config is {len(raw):,} bytes; at most "
                         f"{max_bytes:,} are accepted.")
    try:
        cfg = json.loads(raw.decode("utf-8-sig"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise ValueError("The config is not UTF-8 text; a JSON object is "
                         "expected.") from None
    except RecursionError:
        raise ValueError("The config is nested too deeply to be a config.") from None
    except ValueError as err:
        raise ValueError(f"The config is not valid JSON ({err}); a JSON object "
                         f"like {{\"hidden\": [16, 16]}} is expected.") from None
    if not isinstance(cfg, dict):
        raise ValueError(f"The config must be a JSON object ({{...}}), got a "
                         f"{type(cfg).__name__}.")
    return cfg


# --------------------------------------------------------------------------- #
# Save
# --------------------------------------------------------------------------- #

def _write_member(zf: zipfile.ZipFile, name: str, arr: np.ndarray) -> None:
    """Write one array as ``name.npy`` with a fixed timestamp (reproducible bytes)."""
    info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    with zf.open(info, "w") as f:
        npy_format.write_array(f, arr, allow_pickle=False)


def save_weights(params: dict[str, np.ndarray], config: dict | None = None) -> bytes:
    """Pack parameter arrays (and an optional config) into .npz bytes.

    The result is what ``np.savez`` writes (one ``<name>.npy`` per array, no
    pickles), with fixed member timestamps so the same weights give the same
    bytes. ``np.load(io.BytesIO(data))`` opens it.

    Parameters
    ----------
    params : dict of str -> ndarray
        e.g. ``{"W1": (2, 16), "b1": (16,), ...}``; stored as float64. Names must
        be non-empty, without "/" and not start with "__".
    config : dict, optional
        Stored as JSON text (see :func:`config_to_json`) in a uint8 array under
        ``"__config__"``.

    Returns
    -------
    bytes

    Raises
    ------
    ValueError
        If a name is not accepted, an array is not numeric, or the config is not
        JSON-serialisable.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, value in params.items():
            if not isinstance(name, str) or not name or "/" in name \
                    or name.startswith("__"):
                raise ValueError(f"Weight names must be non-empty text without '/' "
                                 f"and not starting with '__', got {name!r}.")
            try:
                arr = np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"{name} is not an array of numbers.") from None
            _write_member(zf, name, arr)
        if config is not None:
            text = config_to_json(config).encode("utf-8")
            _write_member(zf, CONFIG_KEY, np.frombuffer(text, dtype=np.uint8))
    return buf.getvalue()


# --------------------------------------------------------------------------- #
# Load
# --------------------------------------------------------------------------- #

def _open_zip(data: bytes, max_bytes: int) -> zipfile.ZipFile:
    """Check size and zip signature, then open; ValueError on anything else."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"load_weights expects bytes, got {type(data).__name__}.")
    if len(data) > max_bytes:
        raise ValueError(f"The weights file is {len(data):,} bytes; at most "
                         f"{max_bytes:,} are accepted.")
    if bytes(data[:4]) not in _ZIP_MAGIC:
        raise ValueError("This is not a .npz weights file (not a zip archive); "
                         "upload a file saved by this app or by np.savez.")
    try:
        return zipfile.ZipFile(io.BytesIO(bytes(data)))
    except _READ_ERRORS as err:
        raise ValueError(f"This .npz weights file is damaged (not a readable zip "
                         f"archive: {err}).") from None


def _read_header(zf: zipfile.ZipFile, info: zipfile.ZipInfo,
                 name: str) -> tuple[tuple, np.dtype]:
    """Read only the .npy header of one member -> (shape, dtype).

    Reads a few kilobytes at most, whatever the header claims.
    """
    readers = {(1, 0): npy_format.read_array_header_1_0,
               (2, 0): npy_format.read_array_header_2_0}
    try:
        with zf.open(info) as f:
            version = npy_format.read_magic(f)
            if version not in readers:
                raise ValueError(f"format version {version}; versions 1.0 and 2.0 "
                                 f"(what np.savez writes) are accepted")
            shape, _fortran_order, dtype = readers[version](f)
    except _READ_ERRORS as err:
        raise ValueError(f"{name} is not a readable .npy array ({err}).") from None
    return shape, dtype


def _check_header(name: str, shape: tuple, dtype: np.dtype) -> int:
    """Refuse pickles, non-numbers and oversized shapes; return the element count."""
    if dtype.hasobject:
        raise ValueError(f"{name} holds Python objects: pickled data is refused. "
                         f"Save plain number arrays (np.savez).")
    if dtype.kind not in "fiu" or dtype.itemsize > 8:
        raise ValueError(f"{name} has dtype {dtype}; only real number arrays "
                         f"(float or int, up to 64 bits) are accepted.")
    if any(n < 0 for n in shape):
        raise ValueError(f"{name} has an impossible shape {shape}.")
    count = math.prod(shape)
    if count > MAX_PARAMS:
        raise ValueError(f"{name} has shape {shape} ({count:,} numbers); no network "
                         f"here has more than {MAX_PARAMS:,} parameters.")
    return count


def _scan(zf: zipfile.ZipFile) -> dict[str, tuple]:
    """Check every member's name, size and header; return ``{name: shape}``.

    ``__config__`` is checked too (uint8, at most MAX_CONFIG_BYTES) but not
    returned. Nothing is allocated beyond the headers.
    """
    infos = zf.infolist()
    if len(infos) > _MAX_ARRAYS:
        raise ValueError(f"The weights file has {len(infos)} arrays; at most "
                         f"{_MAX_ARRAYS} are accepted.")
    shapes: dict[str, tuple] = {}
    total = 0
    for info in infos:
        if not info.filename.endswith(".npy"):
            raise ValueError(f"The weights file contains {info.filename!r}; only "
                             f".npy arrays (as written by np.savez) are accepted.")
        name = info.filename[:-4]
        if name in shapes:
            raise ValueError(f"The weights file contains {name!r} twice.")
        if info.file_size > _MAX_MEMBER_BYTES:
            raise ValueError(f"{name} is {info.file_size:,} bytes unpacked; no "
                             f"network here needs more than {_MAX_MEMBER_BYTES:,}.")
        shape, dtype = _read_header(zf, info, name)
        if name == CONFIG_KEY:
            if dtype != np.uint8 or len(shape) != 1 or shape[0] > MAX_CONFIG_BYTES:
                raise ValueError("The config inside the weights file is not a "
                                 f"uint8 text array of at most {MAX_CONFIG_BYTES:,} "
                                 "bytes.")
        else:
            total += _check_header(name, shape, dtype)
        shapes[name] = shape
    if total > MAX_PARAMS:
        raise ValueError(f"The weights file holds {total:,} numbers; no network here "
                         f"has more than {MAX_PARAMS:,} parameters.")
    return shapes


def _check_expected(shapes: dict[str, tuple], expected: dict[str, tuple]) -> None:
    """Names must match exactly and every shape must equal the expected one."""
    got, want = set(shapes) - {CONFIG_KEY}, set(expected)
    if got != want:
        missing = ", ".join(sorted(want - got)) or "none"
        extra = ", ".join(sorted(got - want)) or "none"
        raise ValueError(f"These weights do not fit this network: it needs "
                         f"{', '.join(sorted(want))}; the file has "
                         f"{', '.join(sorted(got)) or 'no arrays'} (missing: "
                         f"{missing}; unexpected: {extra}).")
    wrong = [f"{n} has shape {shapes[n]} but this network needs {tuple(expected[n])}"
             for n in sorted(want) if tuple(shapes[n]) != tuple(expected[n])]
    if wrong:
        raise ValueError("These weights do not fit this network: "
                         + "; ".join(wrong) + ".")


def _load_arrays(data: bytes, shapes: dict[str, tuple]) -> dict[str, np.ndarray]:
    """Load the (already vetted) members with ``allow_pickle=False``."""
    out = {}
    with np.load(io.BytesIO(bytes(data)), allow_pickle=False) as npz:
        for name, shape in shapes.items():
            arr = npz[name]
            if arr.shape != tuple(shape):
                raise ValueError(f"{name} does not match its own header.")
            out[name] = arr
    return out


def load_weights(data: bytes, expected: dict[str, tuple] | None = None,
                 max_bytes: int = MAX_UPLOAD_BYTES, dtype=np.float64
                 ) -> tuple[dict[str, np.ndarray], dict | None]:
    """Safely read weights saved by :func:`save_weights` (or ``np.savez``).

    Every member's .npy header is checked before any array is loaded: pickles and
    object arrays, non-numeric dtypes, and more than ``MAX_PARAMS`` numbers (per
    array or in total) are refused, so a small forged file cannot make the server
    allocate a huge array.

    Parameters
    ----------
    data : bytes
        The uploaded file.
    expected : dict of str -> tuple, optional
        The network's parameter shapes, e.g. ``{"W1": (2, 16), "b1": (16,)}``.
        If given, the file must hold exactly these names with these shapes.
    max_bytes : int
        Largest accepted file.
    dtype : numpy float dtype
        The dtype of the network the weights go into (``net.dtype``; the app
        trains in float32). Every value must be finite *in this dtype*: 1e39 is
        a float64 number but infinite as a float32, so a float32 network
        refuses it. Default float64, as before the parameter existed.

    Returns
    -------
    params : dict of str -> ndarray
        Copies in ``dtype`` (writeable, C-contiguous), one per array in the file.
    config : dict or None
        The stored config, or None if the file has none.

    Raises
    ------
    ValueError
        With a message saying what was wrong and what is accepted.
    TypeError
        If ``dtype`` is not a floating-point dtype (a programming error).
    """
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"dtype must be a floating-point dtype, got {dtype}.")
    with _open_zip(data, max_bytes) as zf:
        shapes = _scan(zf)
    if expected is not None:
        _check_expected(shapes, expected)
    try:
        arrays = _load_arrays(data, shapes)
    except _READ_ERRORS as err:
        raise ValueError(f"This .npz weights file is damaged ({err}).") from None
    config = None
    if CONFIG_KEY in arrays:
        config = config_from_json(arrays.pop(CONFIG_KEY).tobytes())
    params = {}
    for name, arr in arrays.items():
        params[name] = _finite_in(name, arr, dtype)
    return params, config


def _finite_in(name: str, arr: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``arr`` as a C-contiguous ``dtype`` copy, or ValueError if a value is not
    finite there (NaN, infinity, or too large for ``dtype``), naming the array."""
    wide = np.array(arr, dtype=np.float64, order="C")
    if not np.all(np.isfinite(wide)):
        raise ValueError(f"{name} contains NaN or infinite values; weights must "
                         f"be finite numbers.")
    with np.errstate(over="ignore"):
        out = np.array(wide, dtype=dtype, order="C")
    if not np.all(np.isfinite(out)):
        big = float(np.max(np.abs(wide)))
        limit = float(np.finfo(dtype).max)
        raise ValueError(f"{name} holds {big:.3g}, too large for this network, which "
                         f"computes in {dtype.name} (numbers up to about {limit:.3g}); "
                         f"weights must lie between {-limit:.3g} and {limit:.3g}.")
    return out
