"""Controls bound to the page's state and to its address (a shareable link).

Every control of :mod:`explorer.params` can be set from a widget, from the link a
page is opened with, and from a settings file; all three end in the page state's
``values``. Streamlit forgets the state of widgets that are not on the current
page, so the values live in the page state and the widgets are refilled from it.
"""
import streamlit as st

from .. import limits, params as P
from ..lessons import lesson_with_values
from ..text import md
from .server import setup
from .state import current_page, page_state, pause_all, set_current_page, widget_key


def open_page(page):
    """Set up a page with controls and return its state (see :func:`enter_page`)."""
    setup(page)
    enter_page(page)
    return page_state(page)


def enter_page(page):
    """Run at the top of every page: on arrival, read the link and pause other pages.

    Moving to another page pauses a run left behind; opening a link (a new
    session, or arriving with query parameters) loads its configuration, with a
    note for anything that had to be changed. A settings file loaded last run is
    applied here, before any widget exists.
    """
    if page in P.PAGES:
        ps = page_state(page)
        if ps.pending:
            ps.values, ps.pending = ps.pending, None
            refill_widgets(page)
    if current_page() == page:
        return
    pause_all()
    set_current_page(page)
    query = {k: st.query_params.get_all(k) for k in st.query_params.keys()}
    if query and page not in P.PAGES:     # the home page has no controls
        st.query_params.clear()
    elif query:
        ps.values, ps.url_notes = P.parse(P.PAGES[page], query)
        lesson = lesson_with_values(page, ps.values)   # a lesson's link shows its card
        ps.lesson = lesson.key if lesson else ps.lesson
        refill_widgets(page)


def refill_widgets(page):
    """Make every widget of ``page`` show the page's values on its next draw."""
    for key in P.PAGES[page].SPEC:
        st.session_state.pop(widget_key(page, key), None)


def show_url_notes(page, keep=False):
    """Say what had to change in the link (its text shown as plain text), until the
    next run; with ``keep``, until the one after (a page whose first run is followed
    at once by another: the note stays on the screen)."""
    ps = page_state(page)
    if ps.url_notes:
        st.warning("Some settings in this link were changed to fit what the explorer "
                   "accepts:\n\n" + "\n".join(f"- {md(n)}" for n in ps.url_notes), icon=":material/link:")
        if not keep:
            ps.url_notes = []


def sync_url(page):
    """Mirror every control of the page in the address bar (a shareable link)."""
    query = page_state(page).values.to_query()
    current = {k: st.query_params.get(k) for k in st.query_params.keys()}
    if current != query:
        st.query_params.from_dict(query)


#: float settings chosen on a ladder (1 and 3 times each power of ten), not a linear
#: slider: a learning rate spans six decades, and a clipping threshold the advice
#: suggests (0.03) was not on a slider in steps of 0.5. A value from a link is added
LADDERS = {"lr": limits.LR_LADDER, "clip": limits.CLIP_LADDER}

#: int settings typed, not dragged: a slider over 1 to 2,000 (batch size) or 0 to
#: 1,000,000 (seed) cannot land on 32 or 7 with a mouse
TYPED = {"bs", "seed"}


def control(page, key, container=None, help=None, **kw):
    """One widget for parameter ``key`` of ``page``, kept in the page's values.

    The widget type follows the parameter: choice -> selectbox (its names from
    the registry), bool -> toggle, learning rate and clipping -> a select slider on
    their ladder (:data:`LADDERS`),
    int/float -> slider (:data:`TYPED` ones: a number input).
    """
    ps = page_state(page)
    spec = P.PAGES[page].SPEC[key]
    wkey = widget_key(page, key)
    c = container or st.sidebar
    if wkey not in st.session_state:
        st.session_state[wkey] = ps.values.get(key)
    label = kw.pop("label", spec.label[:1].upper() + spec.label[1:])
    if spec.kind == "choice":
        options = kw.pop("options", spec.choices)
        if st.session_state[wkey] not in options:
            st.session_state[wkey] = options[0]
        c.selectbox(label, options, key=wkey, help=help, format_func=spec.name_of, **kw)
    elif spec.kind == "bool":
        c.toggle(label, key=wkey, help=help, **kw)
    elif key in LADDERS:
        options = sorted(set(LADDERS[key]) | {float(st.session_state[wkey])})
        c.select_slider(label, options, key=wkey, help=help,
                        format_func=lambda v: f"{v:g}" if v else "off", **kw)
    else:
        cast = int if spec.kind == "int" else float
        lo = cast(kw.pop("min_value", spec.lo))
        hi = cast(kw.pop("max_value", spec.hi))
        st.session_state[wkey] = min(max(cast(st.session_state[wkey]), lo), hi)
        widget = c.number_input if key in TYPED else c.slider
        widget(label, min_value=lo, max_value=hi, key=wkey, help=help, **kw)
    value = st.session_state[wkey]
    if value != ps.values.get(key):
        ps.values = ps.values.replace(**{key: value})
    return value


def set_value(page, key, value):
    """Change a control from code (e.g. New seed): both the value and its widget.

    Only from a callback or before the widgets are drawn (Streamlit's rule)."""
    ps = page_state(page)
    ps.values = ps.values.replace(**{key: value})
    st.session_state[widget_key(page, key)] = value


def seed_button(page, container):
    """A dice button beside the seed: the next seed, hence new data and weights. The
    icon alone: beside a number input, "New" with its icon was cut to "N…"."""
    def next_seed():
        set_value(page, "seed", (page_state(page).values.seed + 1) % 1_000_000)
    container.button("", icon=":material/casino:", key=f"{page}.regen",
                     help="A new seed: new random data and initial weights",
                     on_click=next_seed)
