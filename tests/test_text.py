"""explorer.text: outside text shows as its own characters, in Markdown and in Plotly.

Neither renderer runs here, so the tests check the escapes against the rules the
renderers follow: CommonMark's backslash escapes, the text-level patterns of
Streamlit's Markdown plugins (copied from their sources), and Plotly's entity
decoding (copied from plotly.js).
"""
import re
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.text import ELLIPSIS, WORD_JOINER, clip, html, md, plain, plain_list

from .helpers import HOSTILE

_PUNCT = set(string.punctuation)
# Streamlit's Markdown plugins that work on text after parsing (StreamlitMarkdown.tsx,
# remark-emoji 3, mdast-util-gfm-autolink-literal 1); JavaScript's \w is ASCII-only
_TEXT_PATTERNS = [
    re.compile(r":\+1:|:-1:|:[\w-]+:", re.ASCII),                          # emoji, :streamlit:
    re.compile(r":material_(\w+):", re.ASCII),
    # autolinks
    re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.ASCII | re.IGNORECASE),
    re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)", re.ASCII),            # e-mail autolinks
    re.compile(r"(^|\s)(<->|->|<-|--|>=|<=|~=)(\s|$)"),                # typographic arrows
]
_PLOTLY_ENTITY = re.compile(r"&(#\d+|#x[\da-fA-F]+|[a-z]+);")
_PLOTLY_NAMED = {"mu": "μ", "amp": "&", "lt": "<", "gt": ">", "nbsp": "\xa0", "times": "×",
                 "plusmn": "±", "deg": "°"}


def commonmark_text(escaped):
    """The text CommonMark reads from ``escaped``, asserting that every ASCII
    punctuation character in it is backslash-escaped (so no syntax can form)."""
    out, i = [], 0
    while i < len(escaped):
        c = escaped[i]
        if c == "\\":
            assert i + 1 < len(escaped) and escaped[i + 1] in _PUNCT, escaped
            out.append(escaped[i + 1])
            i += 2
            continue
        assert c not in _PUNCT, f"unescaped {c!r} in {escaped!r}"
        out.append(c)
        i += 1
    return "".join(out)


def plotly_text(escaped):
    """What Plotly draws for ``escaped`` (its convertEntities), asserting no tag can form."""
    assert not set("<>\"'%$") & set(escaped), escaped
    def one(m):
        r = m.group(1)
        if r.startswith("#"):
            return chr(int(r[2:], 16) if r[1] == "x" else int(r[1:]))
        return _PLOTLY_NAMED.get(r, m.group(0))
    return _PLOTLY_ENTITY.sub(one, escaped)


def check_md(s):
    out = md(s)
    text = commonmark_text(out)
    # md() adds invisible word joiners; the text's own (hypothesis found "\u2060") are
    # as invisible: neither counts
    assert text.replace(WORD_JOINER, "") == plain(s).replace(WORD_JOINER, "")
    source = out.replace(":material/", ":material_")       # what Streamlit does first
    for pattern in _TEXT_PATTERNS:
        assert not pattern.search(commonmark_text(source)), (pattern.pattern, s)
    assert "\n" not in out and "\r" not in out


# --- md -----------------------------------------------------------------------------
def test_md_shows_every_hostile_string_as_its_own_characters():
    for s in HOSTILE:
        check_md(s)


def test_md_of_ordinary_text_only_adds_backslashes():
    assert md("Loaded 12 points") == "Loaded 12 points"
    assert md("lr=0.5") == "lr\\=0\\.5"
    assert md("café ✓ 日本") == "café ✓ 日本"


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_md_of_any_text_shows_that_text(s):
    check_md(s)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list(":@w.<>-~=[]()!$*_`#|\\ ahttps/") + ["www", "http"]),
                max_size=30).map("".join))
def test_md_of_syntax_soup_shows_that_text(s):
    check_md(s)


# --- html ---------------------------------------------------------------------------
def test_html_shows_every_hostile_string_as_its_own_characters():
    for s in HOSTILE:
        assert plotly_text(html(s)) == plain(s)
    assert html("<b>B</b>") == "&lt;b&gt;B&lt;/b&gt;"


def test_html_leaves_ordinary_text_alone():
    assert html("class 3 (train)") == "class 3 (train)"
    assert html("W3ᵀ twice: ‖dL/dW‖") == "W3ᵀ twice: ‖dL/dW‖"


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_html_of_any_text_shows_that_text(s):
    assert plotly_text(html(s)) == plain(s)


# --- plain, clip, plain_list --------------------------------------------------------
def test_plain_makes_one_line_without_invisible_steering():
    assert plain("a\n\nb\tc\x00d\u202ee") == "a b c d e"
    assert plain(12.5) == "12.5"
    assert plain("👨‍👩‍👧") == "👨‍👩‍👧"                      # joiners inside emoji stay


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.integers(1, 100))
def test_clip_is_plain_at_most_n_long_and_marks_a_cut(s, n):
    c = clip(s, n)
    assert len(c) <= n and c == plain(c)
    if len(plain(s)) > n:
        assert c.endswith(ELLIPSIS) and plain(s).startswith(c[:-1])
    else:
        assert c == plain(s)


def test_plain_list_cuts_items_and_counts_the_rest():
    assert plain_list(["a", "b"]) == "a, b"
    assert plain_list(range(15), limit=3) == "0, 1, 2, … and 12 more"
    assert plain_list(["x" * 50], width=5) == "xxxx…"


def test_docstring_examples_hold():
    import doctest

    import explorer.text
    assert doctest.testmod(explorer.text).failed == 0
