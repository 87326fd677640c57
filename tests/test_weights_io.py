"""Tests for explorer.nn.weights_io: .npz round trips and refusing unsafe uploads."""

import io
import re
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.lib import format as npy_format

from explorer.limits import MAX_PARAMS, MAX_UPLOAD_BYTES
from explorer.nn.weights_io import (
    config_from_json,
    config_to_json,
    load_weights,
    save_weights,
)

SHAPES = {"W1": (2, 16), "b1": (16,), "W2": (16, 16), "b2": (16,),
          "W3": (16, 3), "b3": (3,)}
CONFIG = {"hidden": [16, 16], "activation": "relu", "lr": 0.05, "seed": 3}

UNPICKLED = []


def _record_unpickling(tag):
    """Called only if someone unpickles a _Trap; the tests assert it never is."""
    UNPICKLED.append(tag)
    return tag


class _Trap:
    def __reduce__(self):
        return (_record_unpickling, ("unpickled",))


def _params(shapes=SHAPES, seed=0):
    rng = np.random.default_rng(seed)
    return {name: rng.normal(size=shape) for name, shape in shapes.items()}


def _zip(members, compression=zipfile.ZIP_STORED):
    """A zip from {member name: raw bytes}."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, raw in members.items():
            zf.writestr(name, raw)
    return buf.getvalue()


def _npy(arr, allow_pickle=False):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


def _forged_npy(shape, descr="<f8", payload=b"\x00" * 64):
    """A tiny .npy whose header claims ``shape`` but carries only ``payload``."""
    buf = io.BytesIO()
    npy_format.write_array_header_1_0(
        buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue() + payload


# --------------------------------------------------------------------------- #
# Round trips
# --------------------------------------------------------------------------- #

def test_round_trip_keeps_arrays_and_config():
    params = _params()
    data = save_weights(params, CONFIG)
    loaded, config = load_weights(data, expected=SHAPES)
    assert config == CONFIG
    assert set(loaded) == set(SHAPES)
    for name, arr in params.items():
        assert loaded[name].dtype == np.float64
        np.testing.assert_array_equal(loaded[name], arr)


def test_round_trip_without_config_returns_none():
    loaded, config = load_weights(save_weights(_params()))
    assert config is None and set(loaded) == set(SHAPES)


def test_loaded_arrays_are_writeable_copies():
    loaded, _ = load_weights(save_weights(_params()))
    loaded["W1"][0, 0] = 42.0
    assert loaded["W1"].flags.writeable and loaded["W1"].flags.c_contiguous


def test_saved_file_is_a_plain_npz_without_pickles():
    data = save_weights(_params(), CONFIG)
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        assert set(npz.files) == set(SHAPES) | {"__config__"}
        assert npz["__config__"].dtype == np.uint8
        assert config_from_json(npz["__config__"].tobytes()) == CONFIG


def test_same_weights_give_identical_bytes():
    assert save_weights(_params(), CONFIG) == save_weights(_params(), CONFIG)


def test_files_written_by_np_savez_load_as_float64():
    buf = io.BytesIO()
    np.savez_compressed(buf, W1=np.ones((2, 3), np.float32), b1=np.arange(3))
    loaded, config = load_weights(buf.getvalue(), expected={"W1": (2, 3), "b1": (3,)})
    assert config is None
    assert loaded["W1"].dtype == np.float64 and loaded["b1"].dtype == np.float64
    np.testing.assert_array_equal(loaded["b1"], [0.0, 1.0, 2.0])


def test_save_refuses_reserved_or_path_like_names():
    for name in ("__config__", "a/b", ""):
        with pytest.raises(ValueError, match="Weight names must be"):
            save_weights({name: np.zeros(2)})


def test_save_refuses_unserialisable_config():
    with pytest.raises(ValueError, match="cannot be saved as JSON"):
        save_weights(_params(), {"f": object()})


@settings(max_examples=30, deadline=None)
@given(st.dictionaries(
    st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,5}", fullmatch=True),
    st.lists(st.integers(0, 6), min_size=0, max_size=3).map(tuple),
    max_size=5))
def test_round_trip_preserves_any_names_and_shapes(shapes):
    params = _params(shapes, seed=1)
    loaded, _ = load_weights(save_weights(params), expected=shapes)
    for name in shapes:
        np.testing.assert_array_equal(loaded[name], params[name])


# --------------------------------------------------------------------------- #
# Refusing unsafe or unfit files
# --------------------------------------------------------------------------- #

def test_pickled_object_array_is_refused_without_unpickling():
    trap = np.empty(1, dtype=object)
    trap[0] = _Trap()
    data = _zip({"W1.npy": _npy(trap, allow_pickle=True), "b1.npy": _npy(np.zeros(2))})
    UNPICKLED.clear()
    with pytest.raises(ValueError, match="pickled data is refused"):
        load_weights(data)
    assert UNPICKLED == []


def test_forged_gigantic_header_is_refused_without_allocating():
    # how fast: bench/run.py --only hostile
    data = _zip({"W1.npy": _forged_npy((100_000, 100_000))})
    assert len(data) < 1000
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"W1 has shape \(100000, 100000\)"):
            load_weights(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000


def test_arrays_that_together_exceed_max_params_are_refused():
    half = np.zeros(MAX_PARAMS // 2 + 1)
    data = save_weights({"W1": half, "W2": half})
    with pytest.raises(ValueError, match=re.escape(f"more than {MAX_PARAMS:,} parameters")):
        load_weights(data)


def test_zip_bomb_member_is_refused_by_its_unpacked_size():
    data = _zip({"W1.npy": _npy(np.zeros(1_000_000))}, compression=zipfile.ZIP_DEFLATED)
    assert len(data) < 50_000
    with pytest.raises(ValueError, match="bytes unpacked"):
        load_weights(data)


def test_header_shape_larger_than_payload_is_reported_as_damaged():
    data = _zip({"W1.npy": _forged_npy((10, 10))})
    with pytest.raises(ValueError, match="damaged"):
        load_weights(data)


@pytest.mark.parametrize("arr,message", [
    (np.array(["a", "b"]), "only real number arrays"),
    (np.zeros(2, dtype=complex), "only real number arrays"),
    (np.zeros(2, dtype=[("a", "<f8"), ("b", "<f8")]), "only real number arrays"),
])
def test_non_numeric_dtypes_are_refused(arr, message):
    with pytest.raises(ValueError, match=message):
        load_weights(_zip({"W1.npy": _npy(arr)}))


def test_wrong_names_list_what_was_expected_and_found():
    params = {k: v for k, v in _params().items() if k not in ("W3", "b3")}
    params["extra"] = np.zeros(2)
    with pytest.raises(ValueError, match=r"it needs W1, W2, W3, b1, b2, b3; the file "
                                         r"has W1, W2, b1, b2, extra \(missing: W3, b3; "
                                         r"unexpected: extra\)"):
        load_weights(save_weights(params), expected=SHAPES)


def test_wrong_shapes_say_what_the_network_needs():
    params = _params()
    params["W2"] = np.zeros((8, 16))
    with pytest.raises(ValueError, match=re.escape(
            "W2 has shape (8, 16) but this network needs (16, 16)")):
        load_weights(save_weights(params), expected=SHAPES)


def test_expected_shapes_may_be_lists():
    loaded, _ = load_weights(save_weights(_params()),
                             expected={k: list(v) for k, v in SHAPES.items()})
    assert set(loaded) == set(SHAPES)


@pytest.mark.parametrize("data", [b"", b"hello world", b"\x93NUMPY", _npy(np.zeros(3))])
def test_not_a_zip_is_refused(data):
    with pytest.raises(ValueError, match=r"not a \.npz weights file \(not a zip archive\)"):
        load_weights(data)


def test_truncated_zip_is_reported_as_damaged():
    data = save_weights(_params())
    with pytest.raises(ValueError, match="damaged"):
        load_weights(data[:len(data) // 2])


def test_zip_needing_a_newer_zip_version_is_reported_as_damaged():
    data = bytearray(save_weights(_params()))
    central = data.index(b"PK\x01\x02")
    data[central + 6] = 64                        # "needs zip version 6.4"
    with pytest.raises(ValueError, match="damaged"):
        load_weights(bytes(data))


def test_file_over_the_size_limit_is_refused():
    data = b"PK\x03\x04" + b"\x00" * MAX_UPLOAD_BYTES
    with pytest.raises(ValueError, match=re.escape(f"at most {MAX_UPLOAD_BYTES:,} are accepted")):
        load_weights(data)
    small = save_weights(_params())
    with pytest.raises(ValueError, match="at most 100 are accepted"):
        load_weights(small, max_bytes=100)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_weights_are_refused(bad):
    params = _params()
    params["W2"][3, 4] = bad
    with pytest.raises(ValueError, match="W2 contains NaN or infinite values"):
        load_weights(save_weights(params))


@pytest.mark.parametrize("big", [1e39, -1e39, 1e300])
def test_values_beyond_float32_are_refused_by_a_float32_network_naming_the_array(big):
    params = _params()
    params["b2"][5] = big                    # finite in float64, infinite in float32
    data = save_weights(params)
    with pytest.raises(ValueError, match=r"b2 holds .*too large.*float32.*3\.4e\+38"):
        load_weights(data, SHAPES, dtype=np.float32)
    loaded, _ = load_weights(data, SHAPES)   # a float64 network can hold it
    assert loaded["b2"][5] == big and loaded["b2"].dtype == np.float64


def test_weights_come_back_in_the_networks_dtype():
    params = _params()
    params["W1"][0, 0] = 3.4e38              # the largest float32 numbers still fit
    loaded, _ = load_weights(save_weights(params), SHAPES, dtype=np.float32)
    assert all(a.dtype == np.float32 and a.flags.c_contiguous and a.flags.writeable
               for a in loaded.values())
    assert np.isfinite(loaded["W1"]).all()
    np.testing.assert_allclose(loaded["W3"], params["W3"], rtol=1e-6)


def test_dtype_must_be_a_float_dtype():
    with pytest.raises(TypeError, match="floating-point"):
        load_weights(save_weights(_params()), dtype=np.int32)


@settings(max_examples=100, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_a_value_is_accepted_exactly_when_finite_in_the_networks_dtype(value):
    params = _params()
    params["W3"][1, 2] = value
    data = save_weights(params)
    for dtype in (np.float32, np.float64):
        with np.errstate(over="ignore"):
            finite = bool(np.isfinite(np.asarray(value, dtype=dtype)))
        try:
            loaded, _ = load_weights(data, SHAPES, dtype=dtype)
        except ValueError:
            assert not finite
        else:
            assert finite and np.isfinite(loaded["W3"]).all()


def test_member_that_is_not_npy_is_refused():
    data = _zip({"W1.npy": _npy(np.zeros(2)), "notes.txt": b"hi"})
    with pytest.raises(ValueError, match="'notes.txt'; only .npy arrays"):
        load_weights(data)


def test_bad_config_inside_the_file_is_refused():
    data = _zip({"W1.npy": _npy(np.zeros(2)),
                 "__config__.npy": _npy(np.frombuffer(b"[1, 2]", np.uint8))})
    with pytest.raises(ValueError, match="must be a JSON object"):
        load_weights(data)
    data = _zip({"__config__.npy": _npy(np.zeros(3))})
    with pytest.raises(ValueError, match="config inside the weights file"):
        load_weights(data)


def test_unsupported_npy_version_is_refused():
    raw = bytearray(_npy(np.zeros(2)))
    raw[6] = 9                                    # major version byte
    with pytest.raises(ValueError, match="W1 is not a readable .npy array"):
        load_weights(_zip({"W1.npy": bytes(raw)}))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_only_ever_raise_value_error(data):
    for blob in (data, b"PK\x03\x04" + data):
        with pytest.raises(ValueError):
            load_weights(blob)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_corrupted_valid_files_only_ever_raise_value_error(draw):
    saved = _params({"W1": (3, 4), "b1": (4,)})
    good = save_weights(saved, CONFIG)
    data = bytearray(good)
    for _ in range(draw.draw(st.integers(0, 4))):
        i = draw.draw(st.integers(0, len(data) - 1))
        data[i] = draw.draw(st.integers(0, 255))
    try:
        params, _ = load_weights(bytes(data))
    except ValueError as e:
        assert bytes(data) != good, e               # an intact file is always read
        return
    assert all(np.all(np.isfinite(a)) for a in params.values())
    if bytes(data) == good:
        assert all(np.array_equal(params[k], saved[k]) for k in saved)


# --------------------------------------------------------------------------- #
# Config JSON
# --------------------------------------------------------------------------- #

def test_config_json_round_trip_converts_numpy_values():
    cfg = {"hidden": np.array([8, 8]), "lr": np.float32(0.5), "seed": np.int64(2)}
    text = config_to_json(cfg)
    assert config_from_json(text) == {"hidden": [8, 8], "lr": 0.5, "seed": 2}
    assert config_from_json(text.encode("utf-8")) == config_from_json(text)


@pytest.mark.parametrize("text,message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('"hello"', "must be a JSON object"),
    ('{"lr": NaN}', "NaN is not allowed"),
    ("[" * 50_000 + "]" * 50_000, "nested too deeply"),
    (b"{\"a\": \"\xff\"}", "not UTF-8 text"),
    ('{"a": "' + "x" * 100_001 + '"}', "at most 100,000 are accepted"),
])
def test_config_from_json_refuses_bad_text_with_a_clear_message(text, message):
    with pytest.raises(ValueError, match=message):
        config_from_json(text)


def test_config_to_json_refuses_non_dict_and_nan():
    with pytest.raises(ValueError, match="must be a dict"):
        config_to_json([1, 2])
    with pytest.raises(ValueError, match="cannot be saved as JSON"):
        config_to_json({"lr": float("nan")})
