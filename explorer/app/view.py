"""The live network view: the decision boundary and the network diagram in one
persistent element that redraws itself from each frame's data.

Built with ``st.components.v2`` from the inline JavaScript and CSS in
``view_assets/`` (no iframe, no build step, nothing downloaded). The payload is
built by :func:`explorer.app.view_data.network_payload`; this module only mounts
the element and turns its clicks into plain events.

How a live run stays smooth: Streamlit allows one element per key in a script
run, and an element mounted under a new key is a new element (the browser throws
the old one away and builds the new one, which flickers). So the view is mounted
once per run under its own key, and every further frame of that run travels as
text in one hidden ``st.html`` slot (made at the run's second frame, in a keyed
container hidden by a style sent just before it): the view's script watches the page for these
and draws each one. Not a component per frame: every component registers two
widgets, and the widgets of an unfinished script run stay in the session's state
until a run completes, so a two-minute run left thousands of them there, which
every slider of the next run walked through (the Pause rerun took 0.2 s more).
:func:`network_view` does this by itself.
"""
import functools
import html
import json
import pathlib
import secrets

import streamlit as st
from streamlit.errors import StreamlitDuplicateElementKey
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from . import palette
from .view_data import parse_event, without_points

ASSETS = pathlib.Path(__file__).with_name("view_assets")
DEFAULT_HEIGHT = 420          # px: boundary and diagram side by side at 1024x768
BIG_HEIGHT = 456              # px: the projector's view (the plane this tall at 1024x768)
FRAMES = ".bpxframes"         # a view's key + this: the container of its frames (hidden)
FRAMES_CSS = '[class*="bpxframes"] { display: none !important; }'


#: the view's script, in the order it is put together (each file says what it draws):
#: the forward pass first, the View class that mixes the others in last
VIEW_FILES = ("forward.js", "common.js", "layout.js", "plane.js", "diagram.js", "hits.js",
              "network_view.js")


def _asset(name):
    return (ASSETS / name).read_text(encoding="utf-8")


# registered once at import: a component's definition never changes while the app runs
_VIEW = st.components.v2.component(
    "backprop_explorer_network_view",
    css=_asset("network_view.css"),
    js=palette.js_constants() + "\n".join(_asset(name) for name in VIEW_FILES))


def network_view(payload, *, key, height=None, on_event=None, tell_drawn=False, spacing=0.0,
                 big=False):
    """Show ``payload`` in the network view with this ``key``; return the last click.

    Call it where the view belongs on the page, directly (not inside an
    ``st.empty()`` placeholder: it keeps its own slot). Call it again with a new
    payload for every frame of a live run, with the same ``key``: the first call
    of a script run mounts the element, later calls of that run send the frame to
    it (see the module docstring).

    Parameters
    ----------
    payload : dict, or list of dict
        From :func:`explorer.app.view_data.network_payload`; a list is several frames,
        the oldest first, drawn ``spacing`` seconds apart.
    key : str
        The view's key, stable across runs (e.g. ``"clf.view"``). Two views on a
        page need two keys. Session state keys starting with ``key + ".__"`` are
        the view's own.
    on_event : callable, optional
        ``on_event(event)`` is called with each click (the dict described under
        Returns) before the page runs again, like a widget's ``on_change``: the
        page can change its data first, so the next frame already shows the
        change. Clicks handed to ``on_event`` are not returned as well.
    height : int, optional
        Height in px of boundary and diagram side by side (420 by default). On a
        screen narrower than 640 px they are stacked and the element is taller.
    tell_drawn : bool
        Ask the browser to say when it has drawn this payload: it sends the event
        ``{"drawn": True}`` once (a page can put off what would slow the first
        drawing until then).
    spacing : float
        With a list of payloads (frames captured one after the other while the
        epochs trained: one message for several frames, under a full class), the
        seconds between their drawings.
    big : bool
        The projector's view: hidden units drawn at least 32 px where the network
        allows it (sub-columns rather than smaller units), up to 48 px (SMIN_BIG and
        SMAX_BIG in view_assets/common.js).

    Returns
    -------
    dict or None
        The click since the last call, once (one-shot): ``{"add_point": (x1, x2)}``
        (data coordinates of the plane), ``{"remove_point": i}`` (row of
        ``X_train``), ``{"select": ("unit", l, i)}``, ``{"select": ("edge", l, i, j)}``
        or ``{"select": None}`` (clicked beside the diagram's nodes and edges), and
        ``{"drawn": True}`` (see ``tell_drawn``). Clicks are checked against the
        frame that was on screen: one that names no point, unit or edge of it is
        dropped.
    """
    state = st.session_state
    # the view's own bookkeeping: one object in the session state, read once a frame
    # (each look through the session state's proxy costs more than the attributes)
    vs = state.get(f"{key}.__view")
    if vs is None:
        vs = state[f"{key}.__view"] = _ViewState()
    mounted = _mounted_this_run(key)
    batch = payload if isinstance(payload, list) else [payload]
    if not mounted:
        batch = batch[-1:]                     # the element mounts with one frame, the newest
    out = []
    for i, p in enumerate(batch):
        # what a click is checked against: the frame on screen when it was clicked
        vs.shape = {"sizes": list(p["sizes"]), "train": {"n": int(p["train"]["n"])}}
        vs.seq += 1
        # the points travel when they change (new data, a point added or removed, the
        # test set shown or hidden) and with a run's first frame; a later frame of the
        # same run with the same points says so, and the browser keeps the ones it has
        points = (p["train"], p["test"])
        if (mounted or i) and vs.points == points:
            p = without_points(p)
        vs.points = points
        # frames sent together are drawn one after the other, ``after`` ms apart
        out.append(dict(p, id=key, sid=vs.sid, seq=vs.seq, height=int(height or DEFAULT_HEIGHT),
                        big=bool(big), tell_drawn=bool(tell_drawn), after=round(i * spacing * 1e3)))
    # JSON, ASCII only (json.dumps escapes the rest): the view gets it as bytes, which
    # Streamlit forwards as they are (a dict would be searched for dataframes value by
    # value first, several ms a frame); later frames as text (several: a list)
    text = json.dumps(out if len(out) > 1 else out[0], separators=(",", ":"))
    if not mounted:
        try:
            _VIEW(key=key, data=text.encode("ascii"),
                  on_event_change=functools.partial(_keep_event, key, on_event))
            vs.frames = None                   # first mount of this run: no frame slot yet
        except StreamlitDuplicateElementKey:   # a Streamlit without the register of keys
            mounted = True
    if mounted:
        # already mounted in this run: the frame goes as text into this run's hidden
        # slot (each replaces the one before); escaped, so it stays text
        if vs.frames is None:
            # style only: Streamlit puts it where it takes no room; the container it
            # hides comes after it, so it never shows
            st.html(f"<style>{FRAMES_CSS}</style>")
            vs.frames = st.container(key=f"{key}{FRAMES}").empty()
        vs.frames.html(_Html(f'<div hidden class="bpx-frame">{html.escape(text, quote=False)}</div>'))
    event, vs.event = vs.event, None
    return event


class _ViewState:
    """One view's bookkeeping in a session: frames are numbered per session (``sid``,
    ``seq``: the browser drops one that arrives late); the frame a click is checked
    against (``shape``); the points last sent; this run's hidden slot for frames; a
    click kept for the page when it gave no ``on_event``."""

    __slots__ = ("sid", "seq", "shape", "points", "frames", "event")

    def __init__(self):
        self.sid, self.seq = secrets.token_hex(4), 0
        self.shape = self.points = self.frames = self.event = None


def _mounted_this_run(key):
    """Whether an element with this key was drawn in the current script run.

    Asked first, so that a live frame does not build (and hash) a whole component
    message only for Streamlit to refuse it as a duplicate: 0.3 ms of a 2.5 ms
    frame. Read from the run's register of keys; where a Streamlit version has no
    such register, False, and Streamlit's refusal answers instead."""
    keys = getattr(getattr(get_script_run_ctx(), "shared", None), "widget_user_keys_this_run", None)
    try:
        return keys is not None and key in keys
    except TypeError:
        return False


class _Html:
    """HTML that ``st.html`` takes as it is (through ``_repr_html_``): a plain string
    is dedented first, a regular-expression pass over each 30-60 KB frame that was
    5% of a busy server's time (30 sessions training)."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    def _repr_html_(self):
        return self.text


def _keep_event(key, on_event):
    """The element's callback: a click, checked, for ``on_event`` or the next call.

    Streamlit runs it once per click, before the page runs again (a trigger value
    lasts one run), so each click is handed out once.
    """
    state = st.session_state
    value = state.get(key)
    raw = value.get("event") if hasattr(value, "get") else None
    vs = state.get(f"{key}.__view")
    event = parse_event(raw, vs.shape) if vs is not None and vs.shape is not None else None
    if event is None:
        return
    if on_event is not None:
        on_event(event)
    else:
        vs.event = event


__all__ = ["DEFAULT_HEIGHT", "network_view"]
