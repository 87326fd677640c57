"""Text from outside, shown as text: the one rule for every string a person can
put on a page (a CSV's class labels, a file's name, the keys and values of a link
or a settings file).

The rule
--------
1. **The core keeps outside text as plain text.** Parsers and messages return it
   unchanged (at most cut with :func:`clip`); nothing in ``explorer`` outside
   ``explorer.app`` escapes anything.
2. **It is escaped once, where it enters a renderer, by that renderer's function:**

   - :func:`md` for anything Streamlit renders as Markdown: ``st.markdown``,
     ``st.write`` of a string, ``st.caption``, ``st.info/success/warning/error``,
     ``st.toast``, widget labels and ``help=`` texts. Only the outside part is
     escaped: ``st.error("Not loaded: " + md(message))``.
   - :func:`html` for any string a Plotly figure shows: trace names (legend and
     hover), titles, axis titles, tick labels, hover texts, annotations.
     :mod:`explorer.app.figures` does this itself for every text it is given,
     so pages hand it plain text.
3. **Cut first, then escape** (``md(clip(name, 60))``): escaping lengthens a
   string, and cutting an escaped one could split an escape in half.
4. **Never twice.** An escaped string escaped again shows its backslashes or
   ``&amp;`` to the reader.

What the escapes guarantee
--------------------------
``md(s)`` renders, in Streamlit's Markdown (CommonMark + GitHub extensions +
remark-math, remark-emoji, remark-directive and Streamlit's own text plugins),
as the characters of ``s`` and nothing else: no link, image, HTML, heading, list,
table, code, emphasis, math, emoji, ``:material/...:`` icon, ``:color[...]``
directive, autolinked address or typographic arrow. How:

- Control characters and bidirectional-override characters become spaces and
  every run of white space one space, so no line break can start a new block
  (a heading, a list, a table, a code block) and no text can be reversed.
  :func:`plain` does this; every function here starts with it.
- A backslash goes before every ASCII punctuation character. CommonMark defines
  ``\\`` + ASCII punctuation as that character, literally, so no Markdown
  syntax (which always needs an unescaped punctuation character) can form,
  ``&`` cannot start an entity and ``$`` cannot start math.
- A few plugins run *after* parsing, on the text itself, where backslashes are
  gone: emoji shortcodes and Streamlit's ``:streamlit:`` and icons
  (``:name:``), GitHub's autolinks (``https://...``, ``www.x``, ``a@b.c``)
  and Streamlit's arrows (``->``, ``<=``, ``--``). An invisible WORD JOINER
  (U+2060) goes after every ``:`` and ``@``, between ``www`` and a ``.``, and
  between two adjacent characters of ``<>-~=``: none of those patterns can
  match, and the reader sees the same characters.

``html(s)`` renders in Plotly as the characters of ``s``: Plotly draws a
subset of HTML (``<a href>``, ``<b>``, ``<br>``, ``<span style>``...), decodes
entities, fills ``%{...}`` placeholders in hover templates and, with MathJax
loaded, typesets ``$...$``. ``&``, ``<``, ``>``, quotes, ``%`` and ``$`` become
entities that Plotly decodes back to the character when it draws the text
(``&amp; &lt; &gt;`` and numeric ``&#NN;``; Plotly knows no ``&quot;``).

Pure Python, standard library only.
"""
from __future__ import annotations

import re
import string
import unicodedata

ELLIPSIS = "…"
WORD_JOINER = "\u2060"

# bidirectional embeddings, overrides and isolates, and the marks that steer them:
# invisible, and they can make text read in another order than it is stored
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_MD_PUNCT = frozenset(string.punctuation)        # CommonMark: each may follow a backslash
# where a WORD JOINER breaks a pattern that Streamlit's plugins look for in text
_MD_BREAKS = re.compile(r"(?<=[:@])|(?<=[wW]{3})(?=\.)|(?<=[<>~=\-])(?=[<>~=\-])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;",
         "%": "&#37;", "$": "&#36;"}
_HTML_TABLE = str.maketrans(_HTML)
_SPACES = re.compile(r"\s+")


def plain(text: object) -> str:
    """``text`` as one line of visible text.

    Control characters (line breaks, tabs, NUL, escape...) and bidirectional
    formatting characters become spaces; every run of white space becomes one
    space. Nothing else changes (leading and trailing spaces are kept, as one).

    Parameters
    ----------
    text : object
        Anything; ``str(text)`` is used.

    Returns
    -------
    str
    """
    s = str(text)
    if first_control(s) is not None:
        s = "".join(" " if (c in _BIDI or unicodedata.category(c) in ("Cc", "Zl", "Zp"))
                    else c for c in s)
    return _SPACES.sub(" ", s)


def first_control(text: str) -> str | None:
    """The first character of ``text`` that :func:`plain` would turn into a space
    (a control character, a line or paragraph separator, a bidirectional
    formatting character), or None if there is none.

    Parsers use it to refuse such characters in labels, naming what they found
    (e.g. ``f"U+{ord(c):04X}"``).
    """
    if text.isprintable():
        return None
    for c in text:
        if c in _BIDI or unicodedata.category(c) in ("Cc", "Zl", "Zp"):
            return c
    return None


def clip(text: object, n: int = 60) -> str:
    """``text`` (made :func:`plain`) cut to at most ``n`` characters, ending in "…" if cut.

    Parameters
    ----------
    text : object
    n : int
        At least 1.

    Returns
    -------
    str
        Plain text, not escaped: escape it (:func:`md`, :func:`html`) after
        cutting, where it is shown.
    """
    n = max(1, int(n))
    s = plain(text)
    return s if len(s) <= n else s[:n - 1] + ELLIPSIS


def plain_list(items, limit: int = 12, width: int = 30) -> str:
    """Items as ``"a, b, c"``, each cut to ``width``, at most ``limit`` of them
    (then ``", … and 7 more"``). Plain text, not escaped.

    Parameters
    ----------
    items : iterable
        Anything; ``str()`` of each is used.
    limit : int
    width : int

    Returns
    -------
    str
    """
    items = list(items)
    shown = ", ".join(clip(x, width) for x in items[:limit])
    if len(items) > limit:
        shown += f", … and {len(items) - limit} more"
    return shown


def md(text: object) -> str:
    """Escape outside text for Streamlit Markdown: it shows as its own characters.

    See the module docstring for what is escaped and why. One line of text
    comes out (line breaks become spaces).

    Parameters
    ----------
    text : object
        Plain text; ``str(text)`` is used.

    Returns
    -------
    str
        Safe to put anywhere inside a Markdown paragraph or list item.

    Examples
    --------
    >>> md("[x](https://example.invalid)")
    '\\\\[x\\\\]\\\\(https\\\\:\\u2060\\\\/\\\\/example\\\\.invalid\\\\)'
    """
    s = _MD_BREAKS.sub(WORD_JOINER, plain(text))
    return "".join("\\" + c if c in _MD_PUNCT else c for c in s)


def html(text: object) -> str:
    """Escape outside text for Plotly: it shows as its own characters.

    Parameters
    ----------
    text : object
        Plain text; ``str(text)`` is used.

    Returns
    -------
    str
        No ``<``, ``>``, ``&`` (other than an entity's), quote, ``%`` or ``$``
        left; Plotly draws the original characters.

    Examples
    --------
    >>> html('<b>B</b> 5% & "x"')
    '&lt;b&gt;B&lt;/b&gt; 5&#37; &amp; &#34;x&#34;'
    """
    return plain(text).translate(_HTML_TABLE)
