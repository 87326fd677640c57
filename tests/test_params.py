import dataclasses

import pytest

from hypothesis import given, settings, strategies as st

from explorer import limits
from explorer import params as P

from .helpers import in_range


def test_defaults_parse_back_to_themselves_for_every_page():
    for record in P.PAGES.values():
        assert P.parse(record, record().to_query()) == (record(), [])


def test_a_settings_record_is_typed_frozen_and_made_from_its_spec():
    for page, record in P.PAGES.items():
        s = record()
        assert record.PAGE == page and list(dataclasses.asdict(s)) == list(record.SPEC)
        for f in dataclasses.fields(s):
            p = record.SPEC[f.name]
            assert f.default == p.default and isinstance(f.default, f.type)
        with pytest.raises(dataclasses.FrozenInstanceError):
            s.seed = 3
    s = P.ClassifierSettings(layers=3, h1=4, h2=5, h3=6, x1=False, x2=False, sinx1=True)
    assert s.hidden_sizes == [4, 5, 6] and s.features == ("sinx1",)
    assert P.ClassifierSettings(x1=False, x2=False).features == ("x1", "x2")
    assert s.replace(seed=9).seed == 9 and s.seed == 0


def test_unknown_keys_are_dropped_with_a_note():
    vals, notes = P.parse(P.ClassifierSettings, {"data": "xor", "__proto__": "x"})
    assert vals.data == "xor" and notes == ["unknown parameter '__proto__' ignored"]


def test_numbers_are_clamped_to_their_range_and_said_so():
    vals, notes = P.parse(P.ClassifierSettings, {"n": "5", "h1": "1000", "lr": "1e9", "res": "-1"})
    assert vals.n == limits.MIN_POINTS and vals.h1 == limits.MAX_UNITS
    assert vals.lr == 10.0 and vals.res == 20
    assert len(notes) == 4 and all("outside" in n for n in notes)


def test_garbage_falls_back_to_the_default_with_a_note():
    vals, notes = P.parse(P.ClassifierSettings, {"n": "lots", "noise": "inf", "show_test": "maybe",
                                         "opt": "rmsprop"})
    d = P.ClassifierSettings()
    assert all(vals.get(k) == d.get(k) for k in ("n", "noise", "show_test", "opt"))
    assert len(notes) == 4


def test_types_are_parsed_and_case_does_not_matter():
    vals, notes = P.parse(P.ClassifierSettings, {"data": "SPIRALS", "show_test": "False", "h2": "7.0",
                                         "l2": "0.5"})
    assert (vals.data, vals.show_test, vals.h2, vals.l2) == ("spirals", False, 7, 0.5)
    assert notes == []
    assert P.parse(P.MathSettings, {"mistake": "dw2_H2"})[0].mistake == "dW2_h2"


def test_a_repeated_key_uses_its_last_value_and_long_text_is_cut_in_notes():
    vals, notes = P.parse(P.ClassifierSettings, {"seed": ["1", "2"], "data": "x" * 5000})
    assert vals.seed == 2 and len(notes[0]) < 200


def test_notes_are_capped():
    _, notes = P.parse(P.ClassifierSettings, {f"k{i}": "1" for i in range(100)})
    assert len(notes) == 13 and notes[-1].startswith("...")


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(P.CLASSIFIER) + ["zz"]), st.text(max_size=30)))
def test_any_query_gives_values_in_range(query):
    in_range(P.parse(P.ClassifierSettings, query)[0])


def test_the_longest_link_the_app_writes_is_under_a_thousand_characters():
    # the page that answers a link too long for the server (explorer/app/server.py)
    # tells a student that the explorer's own links are under a thousand characters
    from urllib.parse import urlencode
    from explorer.app.server import BAD_REQUEST_HTML, PAGES
    assert b"under a thousand characters" in BAD_REQUEST_HTML
    for page, record in P.PAGES.items():
        longest = {}
        for key, p in record.SPEC.items():
            if p.kind == "choice":
                texts = [p.to_text(c) for c in p.choices]
            elif p.kind == "float":
                texts = [p.to_text(v) for v in (p.lo, p.hi, -1.234567e-05, 1.234567e-05)]
            else:
                texts = [p.to_text(v) for v in (p.lo, p.hi, p.default)]
            longest[key] = max(texts, key=lambda t: len(urlencode({key: t})))
        path = next(q.path for q in PAGES if q.key == page).split("/")[-1][2:-3]
        url = f"https://a-school-server.example.org:8501/{path}?{urlencode(longest)}"
        assert len(url) < 1000, (page, len(url))
