"""Lessons on a page: the card of the lesson a page was opened for, its follow-up
links, and a picker in the sidebar."""
import streamlit as st

from ..lessons import BY_KEY, lessons_for
from ..lessons.spread import summary
from .charts import anchor
from .server import PAGE, PAGE_PATHS
from .state import page_state, widget_key

NONE = "—"


def apply_lesson(page, key, **changes):
    """Open lesson ``key`` on ``page`` (with ``changes``): its settings apply before the
    widgets on the next run, from the seed's fresh weights, and its card shows. From a
    callback."""
    ps = page_state(page)
    ps.lesson = key
    ps.pending = BY_KEY[key].values(**changes)
    ps.start_afresh()          # from fresh weights, as its check measured it: a follow-up
                               # compares two runs, not one run continued with new settings


def lesson_card(page):
    """The open lesson, short, for the top of its page: the question and what to notice;
    one row of buttons (the lesson again, its follow-ups, a jump to the chart it names,
    why, and how it went in 40 runs with other seeds, close)."""
    ps = page_state(page)
    lesson = BY_KEY.get(ps.lesson)
    if lesson is None:
        return
    with st.expander(f"Lesson: {lesson.title}", expanded=True, icon=":material/school:"):
        st.markdown(f"**{lesson.question}** {lesson.notice}")
        # buttons in one row that wraps, each as wide as its label (in columns they
        # were cut to "Then: with leaky R…" at 1024 px)
        row = st.container(horizontal=True, gap="small", vertical_alignment="center")
        row.button("Again", icon=":material/replay:", key=f"{page}.lesson.again",
                   on_click=apply_lesson, args=(page, lesson.key),
                   help="The lesson's settings, from fresh weights.")
        for i, (label, changes) in enumerate(lesson.then, start=1):
            row.button(f"Then: {label}", key=f"{page}.lesson.then{i}",
                       on_click=apply_lesson, args=(page, lesson.key), kwargs=changes)
        if lesson.chart:
            row.markdown(f"[↓ {lesson.chart}](#{anchor(lesson.chart)})")
        with row.popover("Why?"):
            st.markdown(lesson.why)
            measured = summary(lesson)
            if measured:
                st.caption(measured)
        row.button("", icon=":material/close:", key=f"{page}.lesson.close",
                   help="Close the lesson",
                   on_click=lambda: setattr(ps, "lesson", None))


def lesson_picker(page):
    """A sidebar list of this page's lessons; picking one opens it here."""
    lessons = lessons_for(page)
    if not lessons:
        return
    keys = [NONE] + [lesson.key for lesson in lessons]

    def picked():
        key = st.session_state[widget_key(page, "lesson")]
        if key != NONE:
            apply_lesson(page, key)
        st.session_state[widget_key(page, "lesson")] = NONE
    st.sidebar.selectbox(":material/school: Lessons", keys, key=widget_key(page, "lesson"),
                         on_change=picked,
                         format_func=lambda k: "pick a lesson…" if k == NONE else BY_KEY[k].title,
                         help="Each lesson sets up an experiment and says what to watch.")


def lessons_index():
    """Every lesson, by page, as a link that opens it."""
    for page in PAGE_PATHS:
        st.subheader(PAGE[page].heading)
        for lesson in lessons_for(page):
            st.page_link(PAGE_PATHS[page], label=lesson.title, query_params=lesson.query,
                         icon=":material/school:")
            st.caption(f"**{lesson.question}** {lesson.notice}")
