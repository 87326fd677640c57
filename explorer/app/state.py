"""One state object per page, kept in ``st.session_state``: what one person has set
up and is running on that page.

A page's state is a dataclass, not a bag of string keys: its fields say what a
page remembers between reruns (the controls' values, the experiment, whether it is
training, the last message), and any page can read another's by name
(``page_state("classifier").lab``). Widgets still need string keys; they are
made in one place, :func:`widget_key`.

Each session has its own objects: nothing here is shared between people.
"""
from dataclasses import dataclass, field

import streamlit as st

from .. import labs
from .. import params as P

@dataclass
class PageState:
    """What a page remembers for one person.

    Attributes
    ----------
    page : str
        The page's name in :data:`explorer.params.PAGES`.
    values : explorer.params.Settings
        Every control's value, a frozen record of the page's settings (the shareable
        link is made from it); a control changes it by replacing it.
    lab : object or None
        The experiment (a :class:`~explorer.labs.ClassifierLab` or
        :class:`~explorer.labs.AutoencoderLab`); None until built, and after Reset.
    running : bool
        Training now (the live loop runs while this is True).
    run_started : tuple or None
        ``(monotonic time, epoch)`` when Train was pressed: the caps per press
        count from here.
    note : tuple or None
        ``(kind, text)``: the last word about a run or a file (why training
        stopped, what was loaded), shown under the Train bar until the next action.
    url_notes : list of str
        What had to change in the link this page was opened with.
    pending : explorer.params.Settings or None
        A loaded settings file's settings, applied before the widgets are drawn next run.
    uploads : dict
        Uploader name -> id of the last file handled, so one upload acts once.
    memo : dict
        Chart name -> :class:`explorer.app.charts.Kept`: charts and instrument results
        reused while nothing changed.
    lesson : str or None
        The key of the lesson this page was opened for (its card stays until closed).
    """
    page: str
    values: P.Settings
    lab: object = None
    running: bool = False
    run_started: tuple = None
    note: tuple = None
    url_notes: list = field(default_factory=list)
    pending: P.Settings = None
    uploads: dict = field(default_factory=dict)
    memo: dict = field(default_factory=dict)
    lesson: str = None

    def say(self, text=None, kind="info"):
        """Leave a message for the next runs of the page (None clears it)."""
        self.note = (kind, text) if text else None

    def forget_charts(self):
        """Drop the reused charts (the network changed under them)."""
        self.memo.clear()

    def start_afresh(self):
        """Stop and drop the experiment: the next run builds it from the seed's fresh
        weights (Reset, and a lesson's buttons)."""
        self.running = False
        self.say(None)
        self.lab = None
        self.forget_charts()

    def note_if_afresh(self, values):
        """Say so when ``values`` make the page start afresh because the last run blew up
        (see :func:`explorer.labs.blew_up_before`)."""
        if self.lab is not None and labs.blew_up_before(self.lab, values):
            self.say("The last run blew up, so these settings start again from fresh "
                     "weights (the same seed).", "info")


@dataclass
class ClassifierState(PageState):
    """The classifier page also remembers an uploaded CSV and the playback position.

    Attributes
    ----------
    csv : explorer.labs.OwnPoints or None
        The last good CSV upload: its points, and the dataset they were split into.
    play_end : int or None
        The newest epoch the playback slider offered last run: while it sits there,
        it follows training.
    selected : tuple or None
        What was clicked in the network view: ``("unit", l, i)`` or ``("edge", l, i, j)``.
    add_class : int
        The class a click on the plane adds a point of.
    walk : int or None
        The step of the walk through one batch being shown (None: not walking).
    fork : explorer.app.instruments.SecondRun or None
        The second run of the instruments' "Two runs": its lab, its fork, and what it
        was forked from; None when there is none.
    analysis : bool
        The whole page is drawn (the controls, the analysis charts): from the page's
        second run on. The first run of a visit draws the first screen alone (title,
        buttons, numbers, network view), and the network view starts the second once
        its picture is on the screen (or any press does).
    """
    csv: labs.OwnPoints = None
    play_end: int = None
    selected: tuple = None
    add_class: int = 0
    walk: int = None
    fork: object = None
    analysis: bool = False


#: each page with settings (:data:`explorer.params.PAGES`) and the state it keeps
STATES = {page: ClassifierState if page == "classifier" else PageState for page in P.PAGES}


def page_state(page):
    """This person's state of ``page``, made with the page's defaults on first use."""
    slot = f"page.{page}"
    if slot not in st.session_state:
        st.session_state[slot] = STATES[page](page, P.PAGES[page]())
    return st.session_state[slot]


def widget_key(page, key):
    """The Streamlit key of the widget bound to control ``key`` of ``page``."""
    return f"w.{page}.{key}"


def current_page():
    """The page this session showed last (None before the first)."""
    return st.session_state.get("page.current")


def set_current_page(page):
    st.session_state["page.current"] = page


def pause_all():
    """Stop every page's run (moving to another page pauses what was left behind)."""
    for page in STATES:
        if f"page.{page}" in st.session_state:
            st.session_state[f"page.{page}"].running = False
