"""Lessons on a page: the card of the lesson a page was opened for, its follow-up
links, and a picker in the sidebar."""
import streamlit as st

from ..lessons import BY_KEY, lessons_for
from ..lessons.spread import summary
from .server import PAGE_PATHS
from .state import page_state

NONE = "—"


def apply_lesson(page, key, **changes):
    """Open lesson ``key`` on ``page`` (with ``changes``): its settings apply before the
    widgets on the next run, from the seed's fresh weights, and its card shows. From a
    callback."""
    ps = page_state(page)
    ps.lesson = key
    ps.pending = BY_KEY[key].values(**changes)
    ps.running = False
    ps.lab = None              # from fresh weights, as its check measured it: a follow-up
    ps.forget_charts()         # compares two runs, not one run continued with new settings
    ps.say(None)


def lesson_card(page):
    """The open lesson's question, what to notice and why, with its follow-ups."""
    ps = page_state(page)
    lesson = BY_KEY.get(ps.lesson)
    if lesson is None:
        return
    with st.expander(f"🎓 Lesson: {lesson.title}", expanded=True):
        st.markdown(f"**{lesson.question}** {lesson.notice}")
        st.caption(f"Why: {lesson.why}")
        measured = summary(lesson)
        if measured:
            st.caption(measured)
        cols = st.columns(len(lesson.then) + 2)
        cols[0].button("↺ The lesson's settings", key=f"{page}.lesson.again",
                       on_click=apply_lesson, args=(page, lesson.key))
        for i, (label, changes) in enumerate(lesson.then, start=1):
            cols[i].button(f"Then: {label}", key=f"{page}.lesson.then{i}",
                           on_click=apply_lesson, args=(page, lesson.key), kwargs=changes)
        cols[-1].button("✕ Close", key=f"{page}.lesson.close",
                        on_click=lambda: setattr(ps, "lesson", None))


def lesson_picker(page):
    """A sidebar list of this page's lessons; picking one opens it here."""
    lessons = lessons_for(page)
    if not lessons:
        return
    keys = [NONE] + [lesson.key for lesson in lessons]

    def picked():
        key = st.session_state[f"w.{page}.lesson"]
        if key != NONE:
            apply_lesson(page, key)
        st.session_state[f"w.{page}.lesson"] = NONE
    st.sidebar.selectbox("🎓 Lessons", keys, key=f"w.{page}.lesson", on_change=picked,
                         format_func=lambda k: "pick a lesson…" if k == NONE else BY_KEY[k].title,
                         help="Each lesson sets up an experiment and says what to watch.")


def lessons_index():
    """Every lesson, by page, as a link that opens it."""
    titles = {"classifier": "🎯 Classifier", "autoencoder": "🔢 Autoencoder",
              "math": "✏️ Backprop math"}
    for page, title in titles.items():
        st.subheader(title)
        for lesson in lessons_for(page):
            st.page_link(PAGE_PATHS[page], label=lesson.title, query_params=lesson.query,
                         icon="🎓")
            st.caption(f"**{lesson.question}** {lesson.notice}")
