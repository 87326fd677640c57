"""Nothing a link, a file or a label carries can run, show up as markup, or crash a page.

Every way in from outside (a CSV, a settings file, a link, a class label that ends
up in a chart) is fed hostile and arbitrary input here: only ValueError may come
out, and whatever is accepted is finite in the float32 the app trains in.
"""
import json
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer import params as P

from .helpers import in_range

# --------------------------------------------------------------------------- #
# Settings files
# --------------------------------------------------------------------------- #

def test_settings_apply_known_keys_on_top_of_the_current_values():
    current = P.ClassifierSettings(lr=0.3, seed=5, data="xor")
    cfg = {"page": "classifier", "sizes": [2, 16, 2], "epoch": 12,
           "lr": "0.1", "opt": "SGD", "show_test": False, "bs": 64}
    values, applied, ignored = P.parse_settings(current, cfg)
    assert applied == ["lr", "opt", "show_test", "bs"] and ignored == []
    assert (values.lr, values.opt, values.show_test, values.bs) == (0.1, "sgd",
                                                                                 False, 64)
    assert values.seed == 5 and values.data == "xor"      # not in the file: kept
    in_range(values)


def test_settings_round_trip_what_the_page_saves():
    for name, record in P.PAGES.items():
        current = record()
        saved = {"page": name, **current.to_query(), "sizes": [1, 2], "epoch": 0}
        values, applied, ignored = P.parse_settings(current, saved)
        assert values == current and applied == list(record.SPEC) and ignored == []


def test_bad_values_keep_the_current_value_and_say_why():
    current = P.ClassifierSettings(lr=0.3, opt="momentum", n=500)
    cfg = {"lr": "fast", "opt": "rmsprop", "n": [1, 2], "l2": None, "zz": 1, "bs": True,
           "h1": 1000}
    values, applied, ignored = P.parse_settings(current, cfg)
    assert (values.lr, values.opt, values.n, values.l2) == (0.3, "momentum", 500, 0.0)
    assert values.h1 == 64 and applied == ["h1"]          # clamped, and said so
    text = " | ".join(ignored)
    for part in ("lr='fast' is not a number from 1e-05 to 10; kept 0.3",
                 "opt='rmsprop' is not one of sgd, momentum, adam; kept momentum",
                 "n=a list is not", "l2=null is not", "'zz' is not a setting of this page",
                 "bs=True is not", "h1=1000 is outside 1 to 64; using 64"):
        assert part in text


def test_a_file_with_nothing_usable_or_no_page_of_this_app_is_refused_and_says_why():
    # it said "Loaded x.json: applied ." in green, and "saved on the a list page"
    with pytest.raises(ValueError, match="Nothing in this file could be used: lr='fast'"):
        P.parse_settings(P.ClassifierSettings(), {"lr": "fast", "opt": "rmsprop"})
    for saved, shown in (([1, 2], "a list"), ({"a": 1}, "an object"), ("lessons", "'lessons'")):
        with pytest.raises(ValueError, match=f"names {shown} as its page, which is no page"):
            P.parse_settings(P.ClassifierSettings(), {"page": saved, "lr": 0.1})
    with pytest.raises(ValueError, match="saved on the autoencoder page, not on the classifier"):
        P.parse_settings(P.ClassifierSettings(), {"page": "autoencoder", "lr": 0.1})


def test_a_link_asking_a_generator_for_classes_it_cannot_make_gets_its_range_and_a_note():
    values, notes = P.parse(P.ClassifierSettings, {"data": "moons", "classes": "6"})
    assert values.classes == 2 and notes == ["classes=6 is not possible with moons; using 2"]
    values, notes = P.parse(P.ClassifierSettings, {"data": "blobs", "classes": "6"})
    assert values.classes == 6 and not notes


def test_a_file_with_no_known_setting_is_refused_and_changes_nothing():
    for cfg in ({}, {"page": "classifier", "sizes": [2, 2], "epoch": 3},
                {"hidden": [16, 16], "activation": "relu"}):
        with pytest.raises(ValueError, match="holds no setting this page knows"):
            P.parse_settings(P.ClassifierSettings(), cfg)
    with pytest.raises(ValueError, match=r"it has hidden, activation\)"):
        P.parse_settings(P.ClassifierSettings(), {"hidden": 1, "activation": 2})
    with pytest.raises(ValueError, match="JSON object"):
        P.parse_settings(P.ClassifierSettings(), [1, 2])


def test_a_file_from_another_page_is_refused_and_one_naming_no_page_is_read():
    cfg = {"page": "classifier", "lr": "0.1", "noise": "0.5"}
    with pytest.raises(ValueError, match="saved on the classifier page, not on the "
                                         "autoencoder page"):
        P.parse_settings(P.AutoencoderSettings(), cfg)
    del cfg["page"]                      # written by hand: the keys say what it is
    values, applied, _ = P.parse_settings(P.AutoencoderSettings(), cfg)
    assert applied == ["lr", "noise"] and (values.lr, values.noise) == (0.1, 0.5)


def test_quoted_keys_and_values_are_cut_and_left_plain():
    key, value = "<b>" + "k" * 500, "[x](https://example.invalid)" * 20
    _, _, ignored = P.parse_settings(P.ClassifierSettings(), {key: 1, "opt": value, "lr": 0.1})
    assert all(len(line) < 150 for line in ignored)
    assert ignored[0].startswith("'<b>kkk") and "[x](https://" in ignored[1]   # raw: md() escapes


def test_many_problems_are_capped():
    cfg = {f"k{i}": i for i in range(100)} | {"lr": "0.1"}
    _, applied, ignored = P.parse_settings(P.ClassifierSettings(), cfg)
    assert applied == ["lr"] and len(ignored) == P.MAX_SETTINGS_NOTES + 1
    assert ignored[-1] == "… and 88 more"


_JSON_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats()
                 | st.text(max_size=40))
_JSON = st.recursive(_JSON_SCALARS, lambda c: st.lists(c, max_size=3)
                     | st.dictionaries(st.text(max_size=5), c, max_size=3), max_leaves=8)
_KEYS = st.sampled_from(sorted(P.CLASSIFIER) + list(P.FILE_KEYS)) | st.text(max_size=20)
#: what a settings file is refused for (parse_settings's docstring), and nothing else
_REFUSALS = ("must be a JSON object", "was saved on the", "as its page, which is no page",
             "holds no setting this page knows", "Nothing in this file could be used")


@st.composite
def _a_usable_setting(draw, spec):
    """``(key, value)``: a value ``spec`` accepts for one of its keys, as a file holds it."""
    key = draw(st.sampled_from(sorted(spec)))
    p = spec[key]
    if p.kind == "choice":
        return key, draw(st.sampled_from(p.choices))
    if p.kind == "bool":
        return key, draw(st.booleans())
    if p.kind == "int":
        return key, draw(st.integers(int(p.lo), int(p.hi)))
    return key, draw(st.floats(p.lo, p.hi))


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_KEYS, _JSON, max_size=12),
       st.sampled_from(sorted(P.PAGES)))
def test_any_settings_file_gives_values_in_range_or_a_value_error(cfg, page):
    current = P.PAGES[page]()
    spec = current.SPEC
    try:
        values, applied, ignored = P.parse_settings(current, cfg)
    except ValueError as e:
        assert any(r in str(e) for r in _REFUSALS), e
        return
    in_range(values)
    assert set(applied) <= set(spec) and all(isinstance(i, str) for i in ignored)
    assert all(values.get(k) == current.get(k) for k in spec if k not in applied)
    assert len(ignored) <= P.MAX_SETTINGS_NOTES + 1


@settings(max_examples=150, deadline=None)
@given(st.data(), st.dictionaries(_KEYS, _JSON, max_size=12), st.sampled_from(sorted(P.PAGES)))
def test_a_file_with_one_usable_setting_among_garbage_is_read_and_that_setting_applied(
        data, garbage, page):
    # (the test above passes if every file is refused; this one does not)
    current = P.PAGES[page]()
    key, value = data.draw(_a_usable_setting(current.SPEC))
    cfg = {k: v for k, v in garbage.items() if k not in ("page", key)} | {key: value}
    values, applied, _ = P.parse_settings(current, json.loads(json.dumps(cfg)))
    assert key in applied
    assert values.get(key) == (P.PAGES[page].SPEC[key].parse(value)[0])
    assert values.get(key) == value or isinstance(value, float)   # floats: as a link reads them


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_any_json_text_through_the_settings_reader_only_raises_value_error(text):
    from explorer.nn.weights_io import config_from_json
    try:
        values, _, _ = P.parse_settings(P.ClassifierSettings(), config_from_json(text))
    except ValueError:
        return
    in_range(values)                   # what is read is always usable
    assert isinstance(json.loads(text), dict)


# --------------------------------------------------------------------------- #
# Links
# --------------------------------------------------------------------------- #

@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=20) | st.sampled_from(sorted(P.CLASSIFIER)),
                       st.text(max_size=40) | st.lists(st.text(max_size=20), max_size=3),
                       max_size=12),
       st.sampled_from(sorted(P.PAGES)))
def test_any_link_gives_valuesin_range(query, page):
    values, notes = P.parse(P.PAGES[page], query)
    in_range(values)
    assert len(notes) <= 13 and all(isinstance(n, str) for n in notes)


@pytest.mark.parametrize("raw", ["1e308", "-1e999", "nan", "9" * 5000, "0x10", "1_000",
                                 "٣", "\x00", "<b>1</b>"])
def test_extreme_link_values_are_clamped_or_refused(raw):
    for record in P.PAGES.values():
        values, _ = P.parse(record, {k: raw for k in record.SPEC})
        in_range(values)


# --------------------------------------------------------------------------- #
# CSV of points
# --------------------------------------------------------------------------- #

def _accepts_finite(data):
    """Parse ``data``; if accepted, its dataset must be finite in float32."""
    from explorer.data import make_dataset_from_points, parse_points_csv
    try:
        X, y, labels = parse_points_csv(data)
    except ValueError:
        return False
    assert X.dtype == np.float64 and np.isfinite(X).all()
    assert len(labels) == len(set(labels)) and set(y.tolist()) == set(range(len(labels)))
    assert all(isinstance(s, str) and s == s.strip() and s for s in labels)
    try:
        ds = make_dataset_from_points(X, y)
    except ValueError:
        return True
    with np.errstate(over="ignore"):
        assert np.isfinite(ds.X_train.astype(np.float32)).all()
        assert np.isfinite(ds.X_test.astype(np.float32)).all()
    assert np.isfinite(ds.mean).all() and (ds.std > 0).all() and np.isfinite(ds.std).all()
    return True


_GOOD_NUMBERS = (st.floats(allow_nan=False, allow_infinity=False).map(repr)
                 | st.integers(-10**30, 10**30).map(str)
                 | st.sampled_from(["1e308", "-1.7976931348623157e308", "1e-400", "5e-324",
                                    "1e200", "1_000", " 3 ", "+.5", "٣", "-0",
                                    "100000000000000000001", "100000000000000000002"]))
_NUMBERS = _GOOD_NUMBERS | st.sampled_from(["1e309", "nan", "", "0x10", "1,5"]) \
    | st.text(max_size=6)
_LABELS_OK = ("a", "b", "7", "07", "<b>B</b>", '<a href="x">x</a>', "[l](https://e.x)",
              ":smile:", "$x$", " ü ", "👨‍👩‍👧", "a,b", 'say "hi"')
_LABELS = st.sampled_from(_LABELS_OK)


@st.composite
def _near_csvs(draw):
    """Mostly valid CSVs of a few classes, with extreme numbers, quotes and odd labels;
    now and then a bad number, an odd label or one corruption (a quote, a NUL...).

    Returns ``(data, clean)``: ``clean`` when none of those was put in and the labels
    are two or more of the known good ones (then the file must be read)."""
    n = draw(st.integers(20, 45))
    odd_labels = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=8)
    classes = draw(st.lists(_LABELS | odd_labels if draw(st.booleans()) else _LABELS,
                            min_size=2, max_size=4))
    bad_rows = draw(st.integers(0, 2)) == 0            # a third of the files
    numbers = draw(st.lists(_GOOD_NUMBERS, min_size=1, max_size=6))
    scale = draw(st.sampled_from([1.0, 1e-300, 1e150, 1e300, 1.7e308]))
    lines = ["x1,x2,label"]
    used = set()                                      # the x1 texts written
    clean = set(classes) <= set(_LABELS_OK)
    if clean:                                         # "7" and "07" are one class
        clean = len({str(int(c)) if c.strip().isdigit() else c.strip() for c in classes}) >= 2
    for i in range(n):
        if bad_rows and draw(st.integers(0, 9)) == 0:
            x1, x2 = draw(_NUMBERS), draw(_NUMBERS)
            clean = False
        else:
            x1, x2 = draw(st.sampled_from(numbers)), repr(float(i % 7) / 7 * scale)
            used.add(x1)
        label = classes[i % len(classes)]
        if "," in label or '"' in label or draw(st.booleans()):
            label = '"' + label.replace('"', '""') + '"'
        lines.append(f"{x1},{x2},{label}")
    if draw(st.integers(0, 4)) == 0:                  # one corruption somewhere
        k = draw(st.integers(0, len(lines) - 1))
        at = draw(st.integers(0, len(lines[k])))
        lines[k] = lines[k][:at] + draw(st.sampled_from(['"', "\x00", ",", "\r", '""', "\n"])) \
            + lines[k][at:]
        clean = False
    # a column whose different texts are all one number (0.0 and 1e-400) is refused on
    # purpose: every point would get the same x1 (csv_points.py says so)
    if len({float(t) for t in used}) == 1 and len({t.strip() for t in used}) > 1:
        clean = False
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return eol.join(lines).encode("utf-8"), clean


@settings(max_examples=300, deadline=None)
@given(_near_csvs())
def test_near_valid_csvs_raise_only_value_error_and_accepted_ones_are_finite(csv):
    data, clean = csv
    parsed = _accepts_finite(data)
    assert parsed or not clean, data[:300]       # a clean file is always read


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_as_a_csv_raise_only_value_error(data):
    _accepts_finite(b"x1,x2,label\n" + data)
    _accepts_finite(data)


def test_the_reported_csvs_are_refused_or_finite():
    huge = b"x1,x2,label\n" + b"".join(b"1e308,0,%d\n" % (i % 2) for i in range(20))
    assert _accepts_finite(huge)                       # parsed, then a clear ValueError
    near = b"x1,x2,label\n" + b"".join(b"%de199,%d,%d\n" % (i, i % 3, i % 2)
                                       for i in range(1, 21))
    assert _accepts_finite(near)
    # found by the test above: a column of zeros and one subnormal number, whose
    # spread rounded to 0 when scaled back (the network would have divided by it)
    subnormal = b"x1,x2,label\n" + b"".join(b"0.0,%r,%s\n" % (i / 7, b"ab"[i % 2:i % 2 + 1])
                                           for i in range(35)) + b"5e-324,0.0,a\n"
    assert _accepts_finite(subnormal)
    unterminated = b"x1,x2,label\n" + b"".join(b"%d,%d,a\n" % (i, i) for i in range(20)) \
        + b'1,1,"b\n' + b"".join(b"%d,%d,b\n" % (i, i) for i in range(20))
    assert not _accepts_finite(unterminated)


# --------------------------------------------------------------------------- #
# Charts: outside text shows as text, broken numbers still draw
# --------------------------------------------------------------------------- #

HOSTILE_NAMES = ['<a href="https://example.invalid">x</a>', "<b>B</b>",
                 "<img src=x onerror=alert(1)>", "[link](https://example.invalid)",
                 "![](https://example.invalid/t.png)", "%{x} %{customdata[0]}", "$x^2$",
                 "&lt;b&gt; & <br>", "<span style='font-size:99px'>big</span>"]
# the only markup the figures write themselves
_OUR_TAGS = {"<br>", "<b>", "</b>", "<extra>", "</extra>"}
_PLACEHOLDERS = {"x", "y", "z", "text"}


def _strings(obj):
    """Every string in a JSON value, data URIs (images) left out."""
    if isinstance(obj, str):
        if not obj.startswith("data:"):
            yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


def _check_no_markup(fig, names):
    """No tag, placeholder or math but the figure's own; every name shown, escaped."""
    import plotly.graph_objects as go
    from explorer.text import clip, html
    go.Figure(fig.to_dict())                                  # still a valid figure
    strings = list(_strings(json.loads(fig.to_json())))
    for s in strings:
        assert set(re.findall(r"<[^>]*>", s)) <= _OUR_TAGS, s
        assert {p.split(":")[0] for p in re.findall(r"%\{([^}]*)\}", s)} <= _PLACEHOLDERS, s
        assert "$" not in s and "<b>B</b>" not in s, s
        assert not re.search(r"<\s*(a|img|span|script)\b", s, re.IGNORECASE), s
    text = "\n".join(strings)
    for name in names:                     # shown, escaped (class names cut to 40)
        assert html(name) in text or html(clip(name, 40)) in text, name


@pytest.fixture(scope="module")
def trained():
    from explorer import MLP, Trainer, make_dataset
    from explorer.lens.diagnostics import grid_eval, plane_grid
    ds = make_dataset("blobs", 120, 0.3, len(HOSTILE_NAMES) if len(HOSTILE_NAMES) <= 6 else 6)
    net = MLP([2, 8, 8, ds.n_classes], seed=0, dtype=np.float32)
    Trainer(net, ds.X_train, ds.y_train, optimizer="adam", lr=0.01).run(5)
    xs, ys, G = plane_grid(np.vstack([ds.X_train, ds.X_test]), 30)
    probs, acts, masks = grid_eval(net, xs, ys, G)
    return ds, net, xs, ys, probs, acts, masks


def test_hostile_class_names_and_titles_show_as_text_in_every_chart(trained):
    from explorer.app import figures as F
    from explorer.lens.gradcheck import check_gradients
    ds, net, xs, ys, probs, acts, masks = trained
    K = ds.n_classes
    names = HOSTILE_NAMES[:K]
    title = HOSTILE_NAMES[-1] + " " + HOSTILE_NAMES[0]
    rng = np.random.default_rng(0)
    X8 = rng.random((6, 64))
    rows = check_gradients(net.astype(np.float64), ds.X_train[:4], ds.y_train[:4])
    rows = [dict(r, name=HOSTILE_NAMES[i % len(HOSTILE_NAMES)]) for i, r in enumerate(rows)]
    e = np.arange(6)
    figs = [
        (F.boundary_figure(xs, ys, probs, ds.X_train, ds.y_train, ds.X_test, ds.y_test,
                           class_names=names, title=title), names + [title]),
        (F.boundary_figure(xs, ys, probs, ds.X_train, ds.y_train, class_names=names,
                           live=True), names),
        (F.confusion_figure(np.eye(K, dtype=int), names, title=title), names + [title]),
        (F.history_figure(e, e * 1.0, e * 1.0, e / 6, e / 6, reference=0.5,
                          reference_name=HOSTILE_NAMES[1], title=title), [HOSTILE_NAMES[1]]),
        (F.compare_runs_figure(e, e + 1.0, e + 2.0, HOSTILE_NAMES[6], ylabel=HOSTILE_NAMES[2],
                               title=title), [HOSTILE_NAMES[6], HOSTILE_NAMES[2], title]),
        (F.matrix_figure(rng.random((3, 3)), title=title, xlabel=HOSTILE_NAMES[3],
                         ylabel=HOSTILE_NAMES[4]), [title, HOSTILE_NAMES[3], HOSTILE_NAMES[4]]),
        (F.gradcheck_figure(rows, title=title), [r["name"] for r in rows] + [title]),
        (F.digits_grid_figure(X8, X8, labels=HOSTILE_NAMES[:6], title=title),
         [title]),
        (F.image_strip_figure(X8, captions=HOSTILE_NAMES[:6], title=title),
         HOSTILE_NAMES[:6] + [title]),
        (F.regions_figure(xs, ys, np.zeros((30, 30), int), 1, title=title), [title]),
        (F.unit_map_figure(xs, ys, acts[0][..., 0], masks[0][..., 0], title=title), [title]),
        (F.gradient_figure(e, rng.random((6, 3)), title=title), [title]),
        (F.dead_units_figure(e, rng.random((6, 2)), title=title), [title]),
        (F.code_firing_figure(rng.random((10, 8)), np.arange(8) < 2, title=title), [title]),
        (F.filters_figure(rng.standard_normal((8, 64)), title=title), [title]),
        (F.dead_pixels_figure(np.arange(64) < 3, X8[0], title=title), [title]),
        (F.codes_scatter_figure(rng.standard_normal((30, 2)), rng.integers(0, 10, 30),
                                title=title), [title]),
    ]
    for fig, shown in figs:
        _check_no_markup(fig, shown)


def test_class_names_are_cut_made_unique_and_filled_in():
    from explorer.app.figures import class_names_for
    from explorer.text import html
    long = "x" * 60
    names = class_names_for([long, long + "y", "<b>"], 4)
    assert names[0] == html("x" * 39 + "…") and names[1] == names[0] + " (1)"
    assert names[2] == "&lt;b&gt;" and names[3] == "class 3"
    assert class_names_for(None, 2, default="{}") == ["0", "1"]


def test_charts_of_a_network_that_blew_up_still_draw(trained):
    from explorer.app import figures as F
    ds, net, xs, ys, probs, acts, masks = trained
    bad = probs.copy()
    bad[:5] = np.nan
    F.boundary_figure(xs, ys, bad, ds.X_train, ds.y_train)
    broken = acts[0][..., 0].copy()
    broken[0] = np.inf
    broken[1] = np.nan
    F.unit_map_figure(xs, ys, broken, masks[0][..., 0])
    F.unit_map_figure(xs, ys, np.full_like(broken, np.nan))
    X8 = np.random.default_rng(0).random((4, 64))
    Xhat = X8.copy()
    Xhat[0, :3] = [np.nan, np.inf, -np.inf]
    F.digits_grid_figure(X8, Xhat, labels=[1, 2, 3, 4])
    W = np.random.default_rng(1).standard_normal((8, 64))
    W[2, 5], W[3] = np.inf, np.nan
    F.filters_figure(W)
    F.matrix_figure(np.array([[np.inf, 1.0], [np.nan, -2.0]]))
    F.history_figure([0, 1], [1.0, np.inf], [1.0, np.nan], [0.5, np.nan], [0.5, 0.5])
