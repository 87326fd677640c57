"""Every lesson's claim is a test: its check trains the lesson's own settings with the
core and must find the effect the lesson promises; its links open without a note."""
import pytest
from streamlit.testing.v1 import AppTest

from explorer import params as P
from explorer.app.server import PAGE_PATHS
from explorer.lessons import LESSONS, lesson_with_values, lessons_for

from .test_pages import ROOT, TIMEOUT, no_errors, page


def test_there_are_8_to_12_lessons_each_with_its_texts_and_a_page():
    assert 8 <= len(LESSONS) <= 12
    assert len({lesson.key for lesson in LESSONS}) == len(LESSONS)
    for lesson in LESSONS:
        assert lesson.page in P.PAGES and lesson.title and lesson.notice and lesson.why
        assert lesson.question.endswith("?")
        assert set(lesson.query) <= set(P.PAGES[lesson.page]), lesson.key


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.key for lesson in LESSONS])
def test_the_lesson_shows_what_it_promises(lesson):
    claim = lesson.verify()
    assert claim.holds, f"{lesson.key}: {claim.evidence}"


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.key for lesson in LESSONS])
def test_a_lesson_link_opens_its_page_with_no_note_and_shows_the_lesson(lesson):
    at = page(PAGE_PATHS[lesson.page], **lesson.query)
    assert no_errors(at)
    link_notes = [w.value for w in at.warning if w.icon == "🔗"]
    assert not link_notes, link_notes
    assert at.session_state[f"page.{lesson.page}"].values == lesson.values()
    assert at.session_state[f"page.{lesson.page}"].lesson == lesson.key
    assert any(lesson.title in e.label for e in at.expander), "the lesson card is shown"
    for _, changes in lesson.then:                  # and its follow-ups need no note either
        lesson.values(**changes)


def test_each_page_finds_its_lessons_by_their_settings():
    for lesson in LESSONS:
        assert lesson in lessons_for(lesson.page)
        assert lesson_with_values(lesson.page, lesson.values()) is lesson
    assert lesson_with_values("classifier", P.defaults(P.CLASSIFIER)) is None


def test_picking_a_lesson_on_its_page_applies_it_and_its_follow_up_changes_one_setting():
    at = page(PAGE_PATHS["classifier"])
    at.selectbox(key="w.classifier.lesson").set_value("dead_relu").run()
    ps = at.session_state["page.classifier"]
    assert no_errors(at) and ps.lesson == "dead_relu"
    assert ps.values == P.parse(P.CLASSIFIER, {"data": "spirals", "opt": "adam", "lr": "0.1"})[0]
    at.button(key="classifier.lesson.then1").click().run()
    ps = at.session_state["page.classifier"]
    assert ps.values["act"] == "leaky_relu" and ps.values["lr"] == 0.1 and ps.lesson == "dead_relu"
    assert at.selectbox(key="w.classifier.act").value == "leaky_relu"
    at.button(key="classifier.lesson.close").click().run()
    assert at.session_state["page.classifier"].lesson is None
    assert not any("Lesson" in e.label for e in at.expander)


def test_the_lessons_page_links_every_lesson():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.switch_page("pages/4_Lessons.py").run()
    assert no_errors(at)
    labels = [e.proto.label for e in at.get("page_link")]
    for lesson in LESSONS:
        assert any(lesson.title in label for label in labels), lesson.key
