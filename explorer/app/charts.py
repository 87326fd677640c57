"""Charts on a page: titled slots, drawing a figure into one, and reusing charts
that did not change."""
import re
import time
from dataclasses import dataclass


def anchor(title):
    """The page anchor of a chart's heading (a lesson's card links to it)."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def section(where, title, caption):
    """A titled, explained slot for a chart: returns the placeholder the chart goes in."""
    if title:
        where.subheader(title, anchor=anchor(title))
    where.caption(caption)
    return where.empty()


def chart_config(frame):
    """Plotly config for a chart drawn in a live frame: static (no hover, zoom or
    toolbar), which the browser builds several times faster. Paused charts are
    fully interactive."""
    return {"staticPlot": True} if frame else None


def plot(placeholder, fig, frame=0):
    """Draw a figure into a placeholder: interactive when paused, static in a live frame.

    A live frame is stamped with its number: Streamlit refuses two identical
    elements in one script run, and a long run can redraw a chart that did not
    change (a confusion matrix at 100%).
    """
    if frame:
        fig.layout.meta = frame
    placeholder.plotly_chart(fig, config=chart_config(frame))


@dataclass(frozen=True)
class Kept:
    """A result kept in a page's ``memo``: built for which lab (``owner``) and which
    ``key`` (what it depends on besides the lab), and how many ``seconds`` it took."""
    owner: object
    key: object
    value: object
    seconds: float


def kept(ps, name):
    """The result kept under ``name`` for the page's lab now, or None."""
    k = ps.memo.get(name)
    return k if k is not None and k.owner is ps.lab else None


def keep(ps, name, key, build):
    """Build a result now and keep it under ``name`` (returns the :class:`Kept`)."""
    t0 = time.perf_counter()
    value = build()
    ps.memo[name] = k = Kept(ps.lab, key, value, time.perf_counter() - t0)
    return k


def memo(ps, name, key, build):
    """``build()``, or its last result if the page's lab and ``key`` are the same as then.

    Pressing Train reruns the page with nothing changed yet; the charts drawn a
    moment ago are reused instead of rebuilt, so the first frame comes sooner.
    Kept in the page state ``ps``, one result per name.
    """
    last = kept(ps, name)
    if last is not None and last.key == key:
        return last.value
    return keep(ps, name, key, build).value
