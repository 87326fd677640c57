"""Lessons: one click sets up an experiment, says what to watch and why."""
import streamlit as st

from explorer.app import controls, server, teach

server.setup("lessons")
controls.enter_page("lessons")

st.title(server.PAGE["lessons"].heading)
st.caption("Each lesson opens a page with its settings (the address is a link to share with "
           "a class), asks a question, and says what to notice. Every lesson's claim is "
           "checked by the test suite on several seeds, and was measured over 40 more: its "
           "card's \"Why?\" says what those runs showed, so a student whose run differs "
           "can tell whether that is expected.")
teach.lessons_index()
