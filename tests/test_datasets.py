"""Tests for explorer.data: generators, Dataset, digits and CSV parsing."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.data import (Dataset, allowed_classes, load_digits_data, make_dataset,
                           make_dataset_from_points, parse_points_csv)
from explorer.data.points import DATASETS
from explorer.limits import (
    MAX_CLASSES,
    MAX_CSV_BYTES,
    MAX_CSV_ROWS,
    MAX_GEN_CLASSES,
    MAX_POINTS,
    MIN_CLASSES,
    MIN_POINTS,
)

ARRAY_FIELDS = ("X_train", "y_train", "X_test", "y_test", "mean", "std")
KIND_AND_CLASSES = [(key, k) for key, kind in DATASETS.items()
                    for k in sorted({kind.classes[0], sum(kind.classes) // 2, kind.classes[1]})]


# --------------------------------------------------------------------------- #
# Registry and generators
# --------------------------------------------------------------------------- #

def test_registry_has_the_five_kinds_and_class_ranges():
    assert set(DATASETS) == {"moons", "circles", "xor", "blobs", "spirals"}
    assert all(key == kind.key and kind.label for key, kind in DATASETS.items())
    for kind in ("moons", "circles", "xor"):
        assert allowed_classes(kind) == (2, 2)
    for kind in ("blobs", "spirals"):
        assert allowed_classes(kind) == (MIN_CLASSES, MAX_GEN_CLASSES)


def test_allowed_classes_unknown_kind_lists_known_kinds():
    with pytest.raises(ValueError, match="moons.*circles.*xor.*blobs.*spirals"):
        allowed_classes("swirls")


@pytest.mark.parametrize("kind,k", KIND_AND_CLASSES)
@pytest.mark.parametrize("noise", [0.0, 0.5])
def test_generator_signature_dtypes_and_balanced_classes(kind, k, noise):
    X, y = DATASETS[kind].make(301, noise, k, np.random.default_rng(0))
    assert X.shape == (301, 2) and X.dtype == np.float64
    assert y.shape == (301,) and y.dtype == np.int64
    counts = np.bincount(y)
    assert len(counts) == k and counts.max() - counts.min() <= 1
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("kind", ["moons", "circles", "xor"])
def test_two_class_generators_ignore_n_classes(kind):
    _, y = DATASETS[kind].make(100, 0.1, 5, np.random.default_rng(0))
    assert set(y.tolist()) == {0, 1}


def test_clean_circles_lie_exactly_on_radius_one_and_one_half():
    X, y = DATASETS["circles"].make(200, 0.0, 2, np.random.default_rng(1))
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.5)


def test_clean_moons_lie_on_unit_half_circles():
    X, y = DATASETS["moons"].make(200, 0.0, 2, np.random.default_rng(1))
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(*(X[y == 1] - [1.0, 0.5]).T), 1.0)


def test_clean_xor_label_is_sign_of_product():
    X, y = DATASETS["xor"].make(400, 0.0, 2, np.random.default_rng(2))
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))


@pytest.mark.parametrize("kind,k", KIND_AND_CLASSES)
def test_more_noise_spreads_points_more(kind, k):
    def spread(noise):
        X, _ = DATASETS[kind].make(2000, noise, k, np.random.default_rng(3))
        return np.linalg.norm(X, axis=1).std()
    assert spread(0.0) < spread(0.5)


# --------------------------------------------------------------------------- #
# make_dataset
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("kind,k", KIND_AND_CLASSES)
def test_make_dataset_shapes_labels_and_all_classes_present(kind, k):
    ds = make_dataset(kind, n_points=300, noise=0.2, n_classes=k, test_ratio=0.3, seed=1)
    assert isinstance(ds, Dataset)
    assert ds.n_classes == k and ds.name == kind
    assert ds.X_train.shape == (len(ds.y_train), 2)
    assert ds.X_test.shape == (len(ds.y_test), 2)
    assert len(ds.y_train) + len(ds.y_test) == 300
    assert abs(len(ds.y_test) - 90) <= k
    assert ds.X_train.dtype == np.float64 and ds.y_train.dtype == np.int64
    assert set(ds.y_train.tolist()) == set(range(k))
    assert set(ds.y_test.tolist()) == set(range(k))
    assert ds.mean.shape == (2,) and ds.std.shape == (2,)


@pytest.mark.parametrize("kind,k", KIND_AND_CLASSES)
def test_make_dataset_train_features_are_standardised(kind, k):
    ds = make_dataset(kind, n_points=500, noise=0.1, n_classes=k, seed=4)
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(ds.X_train.std(axis=0), 1.0, atol=1e-12)


def test_two_class_kind_ignores_out_of_range_n_classes():
    ds = make_dataset("moons", n_classes=9)
    assert ds.n_classes == 2


def test_same_seed_gives_identical_arrays_and_different_seed_differs():
    a = make_dataset("spirals", 200, 0.2, 3, 0.3, seed=7)
    b = make_dataset("spirals", 200, 0.2, 3, 0.3, seed=7)
    c = make_dataset("spirals", 200, 0.2, 3, 0.3, seed=8)
    for field in ARRAY_FIELDS:
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.X_train, c.X_train)


def test_dataset_arrays_are_read_only():
    ds = make_dataset("blobs", n_classes=3)
    for field in ARRAY_FIELDS:
        arr = getattr(ds, field)
        assert not arr.flags.writeable, field
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 0


def test_dataset_is_frozen():
    ds = make_dataset()
    with pytest.raises(AttributeError):
        ds.name = "other"


@pytest.mark.parametrize("asked,got", [(1, MIN_POINTS), (0, MIN_POINTS),
                                       (10**7, MAX_POINTS), (250, 250)])
def test_n_points_is_clamped_to_limits(asked, got):
    ds = make_dataset("xor", n_points=asked)
    assert len(ds.y_train) + len(ds.y_test) == got


@pytest.mark.parametrize("ratio", [0.1, 0.5, 0.9])
def test_test_ratio_sets_the_test_fraction_and_train_keeps_every_class(ratio):
    ds = make_dataset("blobs", n_points=MIN_POINTS, n_classes=MAX_GEN_CLASSES,
                      test_ratio=ratio)
    assert abs(len(ds.y_test) - ratio * MIN_POINTS) <= MAX_GEN_CLASSES
    assert set(ds.y_train.tolist()) == set(range(MAX_GEN_CLASSES))


@pytest.mark.parametrize("kwargs,message", [
    ({"kind": "swirls"}, r"Unknown dataset kind 'swirls'; choose one of: moons, "
                         r"circles, xor, blobs, spirals"),
    ({"kind": None}, "Unknown dataset kind None"),
    ({"noise": -0.1}, "noise must be a number between 0 and 1"),
    ({"noise": 1.5}, "noise must be a number between 0 and 1"),
    ({"noise": float("nan")}, "noise must be a number"),
    ({"noise": "lots"}, "noise must be a number"),
    ({"test_ratio": 0.05}, "test_ratio must be a number between 0.1 and 0.9"),
    ({"test_ratio": 0.95}, "test_ratio must be a number between 0.1 and 0.9"),
    ({"kind": "blobs", "n_classes": 7}, "blobs accepts between 2 and 6 classes, got 7"),
    ({"kind": "spirals", "n_classes": 1}, "spirals accepts between 2 and 6 classes"),
    ({"kind": "spirals", "n_classes": 2.5}, "n_classes must be a whole number"),
    ({"n_points": 3.5}, "n_points must be a whole number"),
    ({"n_points": True}, "n_points must be a whole number"),
    ({"seed": -1}, "seed must be a whole number >= 0"),
    ({"seed": "abc"}, "seed must be a whole number"),
])
def test_make_dataset_bad_arguments_explain_what_is_accepted(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_dataset(**kwargs)


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(sorted(DATASETS)),
       n_points=st.integers(-5, 3 * MAX_POINTS),
       noise=st.floats(0.0, 1.0),
       k=st.integers(MIN_CLASSES, MAX_GEN_CLASSES),
       ratio=st.floats(0.1, 0.9),
       seed=st.integers(0, 2**32))
def test_make_dataset_invariants_hold_for_any_valid_arguments(kind, n_points, noise,
                                                               k, ratio, seed):
    ds = make_dataset(kind, n_points, noise, k, ratio, seed)
    n = len(ds.y_train) + len(ds.y_test)
    assert n == min(max(n_points, MIN_POINTS), MAX_POINTS)
    assert set(ds.y_train.tolist()) == set(range(ds.n_classes))
    assert np.all(np.isfinite(ds.X_train)) and np.all(np.isfinite(ds.X_test))
    assert np.all(ds.std > 0)


# --------------------------------------------------------------------------- #
# make_dataset_from_points
# --------------------------------------------------------------------------- #

def _identifiable_points(n=100, seed=0):
    """Raw points whose first coordinate is the row index, so rows can be traced."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.arange(n, dtype=float), rng.normal(5.0, 3.0, n)])
    y = rng.choice([3, 7, 9], size=n)
    return X, y


def test_from_points_splits_all_rows_and_standardises_with_train_statistics():
    X, y = _identifiable_points()
    ds = make_dataset_from_points(X, y, test_ratio=0.3, seed=2)
    raw_train = ds.X_train * ds.std + ds.mean
    raw_test = ds.X_test * ds.std + ds.mean
    tr = np.rint(raw_train[:, 0]).astype(int)
    te = np.rint(raw_test[:, 0]).astype(int)
    assert sorted(np.concatenate([tr, te]).tolist()) == list(range(len(y)))
    np.testing.assert_allclose(ds.mean, X[tr].mean(axis=0))
    np.testing.assert_allclose(ds.std, X[tr].std(axis=0))
    np.testing.assert_allclose(raw_test, X[te])


def test_from_points_remaps_labels_to_zero_based_in_sorted_order():
    X, y = _identifiable_points()
    ds = make_dataset_from_points(X, y, seed=0)
    assert ds.n_classes == 3 and ds.name == "csv"
    raw_idx = np.rint((ds.X_train * ds.std + ds.mean)[:, 0]).astype(int)
    np.testing.assert_array_equal(ds.y_train, np.searchsorted([3, 7, 9], y[raw_idx]))


def test_from_points_keeps_a_constant_feature_as_zeros():
    X, y = _identifiable_points()
    X[:, 1] = 4.0                           # points on a line: legitimate
    ds = make_dataset_from_points(X, y)
    assert ds.mean[1] == 4.0 and ds.std[1] > 0
    assert np.all(ds.X_train[:, 1] == 0) and np.all(ds.X_test[:, 1] == 0)
    np.testing.assert_allclose(ds.X_train[:, 0].std(), 1.0)


def test_from_points_refuses_every_point_at_one_place():
    X = np.tile([[1e308, 0.0]], (20, 1))
    with pytest.raises(ValueError, match="All 20 points are at the same place"):
        make_dataset_from_points(X, np.arange(20) % 2)


@pytest.mark.parametrize("big", [1e15, 1e200, 1e308, 1.7e308])
def test_from_points_standardises_huge_coordinates_without_overflow(big):
    X, y = _identifiable_points()
    X = (X - X.mean(0)) / np.abs(X - X.mean(0)).max(0) * big     # spread over +-big
    ds = make_dataset_from_points(X, y, seed=1)
    assert np.isfinite(ds.mean).all() and np.isfinite(ds.std).all()
    np.testing.assert_allclose(ds.X_train.std(axis=0), 1.0)      # not a column of zeros
    assert np.isfinite(ds.X_test.astype(np.float32)).all()


@pytest.mark.parametrize("tiny", [1e-13, 1e-200, 5e-324 * 2**20])
def test_from_points_standardises_tiny_coordinates(tiny):
    X, y = _identifiable_points()
    X = (X - X.mean(0)) / np.abs(X - X.mean(0)).max(0) * tiny
    ds = make_dataset_from_points(X, y)
    np.testing.assert_allclose(ds.X_train.std(axis=0), 1.0, rtol=1e-5)


def test_from_points_column_constant_in_training_uses_the_spread_of_all_points():
    X, y = _identifiable_points(40)
    X[:, 0] = 5.0
    X[7, 0] = 1e300                          # one far point, in training or in testing
    far_in_test = 0
    for seed in range(10):
        ds = make_dataset_from_points(X, y, seed=seed)
        assert np.abs(ds.X_test).max() < 10 and np.abs(ds.X_train).max() < 10
        far_in_test += bool(np.all(ds.X_train[:, 0] == ds.X_train[0, 0]))
    assert far_in_test > 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(allow_nan=False, allow_infinity=False),
                          st.floats(allow_nan=False, allow_infinity=False)),
                min_size=MIN_POINTS, max_size=60))
def test_from_points_any_finite_points_are_standardised_finite_in_float32(points):
    X = np.array(points)
    y = np.arange(len(X)) % 2
    try:
        ds = make_dataset_from_points(X, y)
    except ValueError as err:
        assert "same place" in str(err)
        return
    with np.errstate(over="ignore"):
        assert np.isfinite(ds.X_train.astype(np.float32)).all()     # what the network sees
        assert np.isfinite(ds.X_test.astype(np.float32)).all()
    assert np.isfinite(ds.mean).all() and np.isfinite(ds.std).all() and (ds.std > 0).all()


@pytest.mark.parametrize("X,y,message", [
    (np.zeros((30, 3)), np.arange(30) % 2, r"X of shape \(n, 2\)"),
    (np.zeros((30, 2)), np.arange(29) % 2, r"y of shape \(n,\)"),
    (np.zeros((5, 2)), np.arange(5) % 2, f"between {MIN_POINTS} and"),
    (np.zeros((30, 2)), np.zeros(30), "between 2 and 10 classes, got 1"),
    (np.full((30, 2), np.nan), np.arange(30) % 2, "finite"),
])
def test_from_points_bad_input_explains_what_is_accepted(X, y, message):
    with pytest.raises(ValueError, match=message):
        make_dataset_from_points(X, y)


# --------------------------------------------------------------------------- #
# Digits
# --------------------------------------------------------------------------- #

@pytest.fixture(scope="module")
def digits():
    return load_digits_data(test_ratio=0.25, seed=0)


def test_digits_are_64_pixels_in_unit_range_with_ten_classes(digits):
    assert digits.X_train.shape[1] == 64 and digits.X_test.shape[1] == 64
    assert len(digits.y_train) + len(digits.y_test) == 1797
    for X in (digits.X_train, digits.X_test):
        assert X.min() >= 0.0 and X.max() <= 1.0
    assert X.max() == 1.0
    assert digits.n_classes == 10 and digits.name == "digits"
    assert set(digits.y_train.tolist()) == set(range(10))
    assert set(digits.y_test.tolist()) == set(range(10))


def test_digits_are_not_standardised_and_read_only(digits):
    np.testing.assert_array_equal(digits.mean, np.zeros(64))
    np.testing.assert_array_equal(digits.std, np.ones(64))
    for field in ARRAY_FIELDS:
        assert not getattr(digits, field).flags.writeable


def test_digits_split_is_seeded(digits):
    again = load_digits_data(test_ratio=0.25, seed=0)
    other = load_digits_data(test_ratio=0.25, seed=1)
    np.testing.assert_array_equal(digits.y_train, again.y_train)
    assert not np.array_equal(digits.y_train, other.y_train)
    assert abs(len(digits.y_test) - 0.25 * 1797) <= 10


def test_digits_bad_test_ratio_is_refused():
    with pytest.raises(ValueError, match="between 0.1 and 0.9"):
        load_digits_data(test_ratio=1.0)


# --------------------------------------------------------------------------- #
# CSV parsing
# --------------------------------------------------------------------------- #

def _csv(rows, header="x1,x2,label"):
    """CSV bytes from a header line and rows of (x1, x2, label)."""
    lines = [header] + [",".join(str(c) for c in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _rows(n, labels=("a", "b")):
    return [(i * 0.5, -i, labels[i % len(labels)]) for i in range(n)]


def test_good_csv_parses_to_points_labels_and_sorted_class_names():
    X, y, labels = parse_points_csv(_csv(_rows(30, ("dog", "cat", "ant"))))
    assert X.shape == (30, 2) and X.dtype == np.float64
    assert y.shape == (30,) and y.dtype == np.int64
    assert labels == ["ant", "cat", "dog"]
    np.testing.assert_allclose(X[3], [1.5, -3.0])
    assert labels[y[0]] == "dog" and labels[y[1]] == "cat"


def test_csv_integer_labels_sort_numerically_and_spellings_merge():
    rows = _rows(30, ("10", "2", "02", "+10", "-1"))
    X, y, labels = parse_points_csv(_csv(rows))
    assert labels == ["-1", "2", "10"]
    assert labels[y[0]] == "10" and labels[y[2]] == "2"


def test_csv_mixed_labels_put_integers_first_then_text():
    _, _, labels = parse_points_csv(_csv(_rows(30, ("b", "3", "a", "1"))))
    assert labels == ["1", "3", "a", "b"]


def test_csv_accepts_bom_crlf_blank_lines_quotes_and_loose_header():
    body = ' X1 , x2 ,LABEL \r\n\r\n' + "".join(
        f'{i},"{i * 2}",  c{i % 2} \r\n' + ("\r\n" if i % 5 == 0 else "")
        for i in range(25))
    X, y, labels = parse_points_csv(b"\xef\xbb\xbf" + body.encode())
    assert X.shape == (25, 2) and labels == ["c0", "c1"]
    np.testing.assert_allclose(X[4], [4.0, 8.0])


def test_csv_too_big_is_refused_before_parsing():
    data = b"x1,x2,label\n" + b" " * MAX_CSV_BYTES
    with pytest.raises(ValueError, match=re.escape(f"limit is {MAX_CSV_BYTES:,} bytes")):
        parse_points_csv(data)


def test_csv_not_utf8_is_refused():
    data = _csv(_rows(30)) + "1,2,caf\xe9\n".encode("latin-1")
    with pytest.raises(ValueError, match="not UTF-8 text.*x1,x2,label"):
        parse_points_csv(data)


@pytest.mark.parametrize("data", [
    b"",
    b"\n\n",
    _csv(_rows(30), header="x,y,class"),
    _csv(_rows(30), header="x1;x2;label"),
    _csv(_rows(30), header="x1,x2"),
    "\n".join(f"{i},{i},a" for i in range(30)).encode(),
])
def test_csv_missing_or_wrong_header_names_the_expected_header(data):
    with pytest.raises(ValueError, match="header 'x1,x2,label'"):
        parse_points_csv(data)


def test_csv_too_many_rows_is_refused():
    data = _csv(_rows(MAX_CSV_ROWS + 1))
    assert len(data) <= MAX_CSV_BYTES
    with pytest.raises(ValueError, match=re.escape(f"more than {MAX_CSV_ROWS:,} data rows")):
        parse_points_csv(data)


@pytest.mark.parametrize("filler", [b"\n", b",,\r\n", b'"",""\r'])
def test_csv_of_endless_blank_lines_is_refused(filler):
    # how fast: bench/run.py --only hostile
    data = _csv(_rows(30)) + filler * (MAX_CSV_BYTES // len(filler) - 500)
    with pytest.raises(ValueError, match="lines .blank ones included"):
        parse_points_csv(data)


def test_csv_blank_lines_between_rows_are_still_fine():
    X, _, _ = parse_points_csv(_csv(_rows(MAX_CSV_ROWS // 2)) + b"\n" * MAX_CSV_ROWS)
    assert len(X) == MAX_CSV_ROWS // 2


def test_csv_exactly_max_rows_is_accepted():
    X, _, _ = parse_points_csv(_csv(_rows(MAX_CSV_ROWS)))
    assert len(X) == MAX_CSV_ROWS


def test_csv_too_few_rows_is_refused():
    with pytest.raises(ValueError, match=f"at least {MIN_POINTS}"):
        parse_points_csv(_csv(_rows(MIN_POINTS - 1)))


def test_csv_non_number_reports_line_number_and_text():
    rows = _rows(30)
    rows[4] = ("oops", 1.0, "a")        # file line 6: header is line 1
    with pytest.raises(ValueError, match=r"Line 6: x1 and x2 must be numbers, got 'oops,1.0,a'"):
        parse_points_csv(_csv(rows))


def test_csv_line_numbers_count_blank_lines():
    data = b"x1,x2,label\n\n1,2,a\n\n3,seven,b\n" + _csv(_rows(30), header="")[1:]
    with pytest.raises(ValueError, match="Line 5"):
        parse_points_csv(data)


def test_csv_bad_line_text_is_truncated():
    rows = _rows(30)
    rows[0] = ("x" * 200, 1, "a")
    with pytest.raises(ValueError) as err:
        parse_points_csv(_csv(rows))
    assert "Line 2" in str(err.value) and "x" * 40 not in str(err.value)


@pytest.mark.parametrize("bad", ["nan", "NaN", "inf", "-Infinity"])
def test_csv_nan_and_inf_are_refused(bad):
    rows = _rows(30)
    rows[9] = (1.0, bad, "b")
    with pytest.raises(ValueError, match="Line 11: x1 and x2 must be finite numbers"):
        parse_points_csv(_csv(rows))


def test_csv_one_class_is_refused():
    with pytest.raises(ValueError, match=r"1 class \(only\); between 2 and 10 are accepted"):
        parse_points_csv(_csv(_rows(30, ("only",))))


def test_csv_eleven_classes_is_refused():
    labels = tuple(f"k{i}" for i in range(MAX_CLASSES + 1))
    with pytest.raises(ValueError, match="11 classes .*between 2 and 10 are accepted"):
        parse_points_csv(_csv(_rows(44, labels)))


@pytest.mark.parametrize("row,cols", [("1,2", 2), ("1,2,a,extra", 4), ("1", 1)])
def test_csv_wrong_column_count_is_refused(row, cols):
    data = _csv(_rows(30)) + f"{row}\n".encode()
    with pytest.raises(ValueError, match=f"Line 32 has {cols} columns.*exactly 3: x1,x2,label"):
        parse_points_csv(data)


def test_csv_long_or_empty_label_is_refused():
    for label in ("L" * 31, "  "):
        rows = _rows(30)
        rows[0] = (1, 2, label)
        with pytest.raises(ValueError, match="Line 2: the label must be"):
            parse_points_csv(_csv(rows))


@pytest.mark.parametrize("row,message", [
    ('1,2,"abc', r"Line 32: the quote at character 5 never closes: '1,2,\"abc'"),
    ('1,2,"a""b', "Line 32: the quote at character 5 never closes"),
    ('1,2,ab"c', "Line 32: a quote inside a field that does not start with one "
                 r"\(character 7\)"),
    ('1,2,"ab"c', r"Line 32: text after a closing quote \(character 9\)"),
    ('"1,2,a', "Line 32: the quote at character 1 never closes"),
])
def test_csv_broken_quotes_are_refused_naming_the_line(row, message):
    data = _csv(_rows(30)) + f"{row}\n".encode() + _csv(_rows(5), header="")[1:]
    with pytest.raises(ValueError, match=message):
        parse_points_csv(data)


def test_csv_unterminated_quote_no_longer_swallows_the_next_lines_into_a_class():
    rows = [f"{i},{i},{'a' if i % 2 else 'b'}" for i in range(30)]
    rows[10] = '10,10,"a'                          # the quote never closes
    with pytest.raises(ValueError, match="Line 12"):
        parse_points_csv(("x1,x2,label\n" + "\n".join(rows)).encode())


def test_csv_quoted_fields_may_hold_commas_and_doubled_quotes():
    rows = [f'{i}, "{i}" ,"say ""hi"", {i % 2}"' for i in range(30)]
    X, y, labels = parse_points_csv(("x1,x2,label\n" + "\n".join(rows)).encode())
    assert labels == ['say "hi", 0', 'say "hi", 1']
    np.testing.assert_allclose(X[3], [3.0, 3.0])


@pytest.mark.parametrize("data,message", [
    (b"x1,x2,label\n1,2,a\x00b\n", "Line 2 contains a NUL byte"),
    (b"x1,x2\x00,label\n", "Line 1 contains a NUL byte"),
])
def test_csv_nul_bytes_are_refused(data, message):
    with pytest.raises(ValueError, match=message):
        parse_points_csv(data)


@pytest.mark.parametrize("label,code", [("a\tb", "0009"), ("\x1b[31mred", "001B"),
                                        ("evil\u202eexe.txt", "202E"), ("a\x85b", "0085"),
                                        ("a\u2028b", "2028")])
def test_csv_labels_with_control_characters_are_refused(label, code):
    rows = _rows(30)
    rows[3] = (1, 2, f'"{label}"')
    with pytest.raises(ValueError, match=f"Line 5: the label holds an invisible control "
                                         f"character \\(U\\+{code}\\)"):
        parse_points_csv(_csv(rows))


def test_csv_labels_are_kept_as_written_plain_text():
    hostile = ['<a href="e.invalid">x</a>', "<b>B</b>", "[l](https://e.x)", ":red[x] $y$",
               "👨‍👩‍👧 ünï", "&lt;b&gt;"]
    rows = [(i, -i, '"' + hostile[i % 6].replace('"', '""') + '"') for i in range(30)]
    _, _, labels = parse_points_csv(_csv(rows))
    assert sorted(labels) == sorted(hostile)          # escaping is the renderer's job


def test_csv_values_that_merge_into_one_number_are_refused():
    rows = [("100000000000000000001" if i % 2 else "100000000000000000002", i, "ab"[i % 2])
            for i in range(30)]
    with pytest.raises(ValueError, match=r"Column x1: lines 2 and 3 hold different values "
                                         r"\('100000000000000000002' and "
                                         r"'100000000000000000001'\)"):
        parse_points_csv(_csv(rows))
    same = [("1.0" if i % 2 else "1", i, "ab"[i % 2]) for i in range(30)]
    X, _, _ = parse_points_csv(_csv(same))          # one value, spelled two ways: fine
    assert np.all(X[:, 0] == 1.0)


def test_csv_of_huge_coordinates_gives_a_clear_error_or_a_finite_dataset():
    rows = [("1e308", 0, i % 2) for i in range(20)]
    X, y, _ = parse_points_csv(_csv(rows))
    with pytest.raises(ValueError, match="All 20 points are at the same place"):
        make_dataset_from_points(X, y)
    rows = [("1e308" if i % 3 else "-1.5e308", i * 1e200, i % 2) for i in range(30)]
    ds = make_dataset_from_points(*parse_points_csv(_csv(rows))[:2])
    assert np.isfinite(ds.X_train.astype(np.float32)).all()
    np.testing.assert_allclose(ds.X_train.std(axis=0), 1.0)


def test_csv_parse_result_feeds_make_dataset_from_points():
    X, y, labels = parse_points_csv(_csv(_rows(60, ("p", "q", "r"))))
    ds = make_dataset_from_points(X, y, test_ratio=0.3, seed=0)
    assert ds.n_classes == len(labels) == 3
    assert len(ds.y_train) + len(ds.y_test) == 60


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_csv_arbitrary_bytes_only_ever_raise_value_error(data):
    _read_or_refused_clearly(b"x1,x2,label\n" + data)


def _read_or_refused_clearly(data, valid_lines=1):
    """Parse ``data``: what is read is well formed, and a refusal is one short sentence
    that never blames one of the first ``valid_lines`` lines (known to be good)."""
    try:
        X, y, labels = parse_points_csv(data)
    except ValueError as e:
        msg = str(e)
        assert 0 < len(msg) < 600 and "\n" not in msg, msg
        blamed = re.match(r"Line (\d+)", msg)
        assert blamed is None or int(blamed[1]) >= valid_lines, msg
        return None
    assert X.shape == (len(y), 2) and np.isfinite(X).all()
    assert MIN_POINTS <= len(y) <= MAX_CSV_ROWS
    assert len(set(labels)) == len(labels) and set(y.tolist()) == set(range(len(labels)))
    return X, y, labels


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_csv_arbitrary_text_only_ever_raises_value_error(text):
    # the 25 good rows end on line 26, which the text may continue
    read = _read_or_refused_clearly(_csv(_rows(25)) + text.encode("utf-8"), valid_lines=26)
    if read is not None:
        assert len(read[1]) >= 25 - 1               # the good rows are all there
