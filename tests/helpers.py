"""What many test files share: opening a page as a person would, reading what it shows,
hostile text, and the check that settings are in range. One home; test files import
from here, never from each other."""
import math
import re
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from explorer import MLP, Trainer

TIMEOUT = 60
ROOT = Path(__file__).resolve().parent.parent


CLASSIFIER_PAGE = "pages/1_Classifier.py"


def page(path, first_look=False, **query):
    """Open ``path`` as a person would: the app's entry point, then that page with a link.

    The Classifier's first run draws its first screen alone; in a browser, the network
    view then says it has drawn it, and that runs the page again for the rest (the
    controls, the analysis). AppTest has no browser: this runs the page again as the
    view would, unless ``first_look`` (then only the first run)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    if path != "app.py":
        at.switch_page(path)
    for k, v in query.items():
        at.query_params[k] = str(v)
    at.run()
    if path == CLASSIFIER_PAGE and not first_look and not at.exception:
        at.run()
    return at


def shown(markdown):
    """What Markdown shows of a message: backslash-escaped characters as themselves
    (and no invisible word joiners, which explorer.text.md puts in)."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def no_errors(at):
    assert not at.exception, [e.value for e in at.exception]
    return True


GOOD_CSV = "x1,x2,label\n" + "\n".join(f"{np.cos(i)},{np.sin(i)},{'a' if i % 2 else 'b'}"
                                       for i in range(60))


def upload_csv(at, content, name="points.csv"):
    at.file_uploader(key="w.classifier.csv").set_value((name, content, "text/csv"))
    return at.run()


HOSTILE = [
    '<a href="https://example.invalid">x</a>',
    "<b>B</b>",
    "<img src=x onerror=alert(1)>",
    "[link](https://example.invalid)",
    "![](https://example.invalid/t.png)",
    "<https://example.invalid>",
    "https://example.invalid/x and www.example.invalid and me@example.invalid",
    ":smile: :+1: :streamlit: :material/home: :red[red] :blue-background[x] :small[s]",
    "$x^2$ and $$\\int$$ 50% %{x} %{customdata[0]}",
    "# heading",
    "- item\n- item\n\n1. one",
    "> quote\n---\n| a | b |\n|---|---|",
    "`code` ```fence```    indented",
    "**bold** __bold__ *it* _it_ ~~strike~~",
    "&lt;b&gt; &amp; &#60;b&#62; &copy;",
    "a -> b <- c <-> d -- e >= f <= g ~= h",
    "back\\slash\\ and \\*",
    "line\r\nbreak\ttab\x00nul\x1b[31mred\u2028sep\u202eevil",
    "[x]: https://example.invalid\n[x]",
    "<!-- comment --> <script>alert(1)</script>",
]


def in_range(values):
    """Every value of the settings ``values`` is one its spec allows."""
    for k, p in values.SPEC.items():
        v = values.get(k)
        if p.kind == "choice":
            assert v in p.choices
        elif p.kind == "bool":
            assert isinstance(v, bool)
        else:
            assert isinstance(v, int) == (p.kind == "int") and not isinstance(v, bool)
            assert p.lo <= v <= p.hi and math.isfinite(v)


def diverged_trainer():
    """A small run that blows up within its first epochs (SGD at a learning rate of 50)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 2)) * 3
    y = (X[:, 0] > 0).astype(int)
    t = Trainer(MLP([2, 16, 2], seed=0), X, y, optimizer="sgd", lr=50.0, batch_size=20)
    t.run(20)
    assert t.diverged is not None
    return t
