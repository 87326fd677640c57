"""The Classifier's first screen in a real browser, as a class sees it on a projector
(1024x768) and on a phone (390x844): boundary, diagram, Train and the numbers in the
first viewport; a click on the plane adds a point and training goes on with it; a
click on a unit opens its panel; the walk through one batch steps forward and back.
Screenshots land in tests/e2e/artifacts/ (and docs/ with UPDATE_DOCS=1)."""
import re

import pytest

from .helpers import (BOUNDARY, DIAGRAM, VIEW_JS, assert_clean, canvas_point, empty_spot,
                      keep, open_classifier, settled, wait_idle)

pytestmark = pytest.mark.e2e


def inside(page, selector, width, height):
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return (box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width
            and box["y"] + box["height"] <= height), (selector, box)


def test_the_first_screen_of_a_projector_holds_the_view_the_bar_and_the_numbers(
        page, app_url, artifacts):
    open_classifier(page, app_url)
    for sel in (BOUNDARY, DIAGRAM, "button:has-text('Train')", "button:has-text('Step')",
                "button:has-text('Reset')", "h4:has-text('Epoch 0')"):
        ok, why = inside(page, sel, 1024, 768)
        assert ok, why
    assert_clean(page)
    page.screenshot(path=str(artifacts / "first-screen-1024.png"))
    keep(artifacts / "first-screen-1024.png", "classifier-first-screen.png")


def test_the_projector_view_draws_the_plane_and_the_units_large_and_gives_the_sidebar_back(
        page, app_url, artifacts):
    open_classifier(page, app_url)
    sizes = f"""() => {{ const v = {VIEW_JS};
        return {{plane: v.plane.getBoundingClientRect().width,
                 units: v.geo.cols.slice(1, -1).map(c => c.s)}}; }}"""
    before = page.evaluate(sizes)
    assert before["plane"] < 450 and min(before["units"]) < 32       # with the sidebar
    page.get_by_text("Projector").first.click()
    page.wait_for_function(f"{VIEW_JS}.frame.d.big === true")
    wait_idle(page)
    assert page.locator('section[data-testid="stSidebar"]').is_hidden()
    big = page.evaluate(sizes)
    assert big["plane"] >= 450 and min(big["units"]) >= 32, big
    for sel in (BOUNDARY, DIAGRAM, "button:has-text('Train')", "h4:has-text('Epoch 0')"):
        ok, why = inside(page, sel, 1024, 768)
        assert ok, why
    assert "big=1" in page.url                                         # the link keeps it
    page.screenshot(path=str(artifacts / "projector-1024.png"))
    page.get_by_text("Projector").first.click()
    page.wait_for_function(f"{VIEW_JS}.frame.d.big === false")
    wait_idle(page)
    assert page.locator('section[data-testid="stSidebar"]').is_visible()
    assert page.evaluate(sizes) == before
    assert_clean(page)


def test_a_click_on_the_plane_adds_a_point_and_training_goes_on_with_it(page, app_url):
    open_classifier(page, app_url)
    n0 = page.evaluate(f"{VIEW_JS}.frame.d.train.n")
    spot = empty_spot(page, VIEW_JS)                     # far from every point
    page.mouse.click(*canvas_point(page, BOUNDARY, spot["x"], spot["y"]))
    page.wait_for_function(f"{VIEW_JS}.frame.d.train.n === {n0 + 1}")
    wait_idle(page)
    page.locator("button", has_text="Step").first.click()
    page.wait_for_function(f"{VIEW_JS}.frame.d.epoch === 1")
    assert page.evaluate(f"{VIEW_JS}.frame.d.train.n") == n0 + 1
    assert_clean(page)


def test_a_click_on_a_unit_opens_its_panel(page, app_url, artifacts):
    open_classifier(page, app_url)
    # the first unit of hidden layer 1, where the diagram draws it
    x, y = page.evaluate(f"(() => {{ const n = {VIEW_JS}.geo.cols[1].nodes[0]; "
                         "return [n.cx, n.cy]; })()")
    page.mouse.click(*canvas_point(page, DIAGRAM, x, y))
    page.get_by_text(re.compile(r"Unit 1 of hidden layer 1")).wait_for()
    wait_idle(page)
    # the panel is below the first screen: the view brings it into sight by itself
    page.wait_for_function("""() => { const r = document.querySelector(
        '.st-key-bpx-panel-unit-1-0').getBoundingClientRect();
        return r.top >= 0 && r.top < window.innerHeight / 2; }""", timeout=15_000)
    assert page.locator(".stLatex, .katex").count() >= 1      # b and dL/db written out
    page.get_by_text(re.compile(r"Unit 1 of hidden layer 1")).evaluate(
        "e => e.scrollIntoView({block: 'start'})")
    settled(page)
    page.screenshot(path=str(artifacts / "unit-panel-1024.png"))
    keep(artifacts / "unit-panel-1024.png", "classifier-unit-panel.png")
    assert_clean(page)


def test_the_walk_through_one_batch_steps_forward_and_back(page, app_url, artifacts):
    open_classifier(page, app_url)
    page.locator("label", has_text="Walk one batch").click()
    step = page.get_by_text(re.compile(r"Step 1 of \d+"))
    step.wait_for()
    total = int(re.search(r"Step 1 of (\d+)", step.inner_text()).group(1))
    assert total >= 6
    for k in (2, 3):
        page.get_by_role("button", name="Next", exact=True).click()
        page.get_by_text(re.compile(rf"Step {k} of {total}")).wait_for()
    page.get_by_role("button", name="Back", exact=True).click()
    page.get_by_text(re.compile(rf"Step 2 of {total}")).wait_for()
    wait_idle(page)
    # the step at the top of the window: its formula and its matrix under it in view
    page.get_by_text(re.compile(rf"Step 2 of {total}")).evaluate(
        "e => e.scrollIntoView({block: 'start'})")
    settled(page)
    page.screenshot(path=str(artifacts / "walk-1024.png"))
    keep(artifacts / "walk-1024.png", "classifier-walk.png")
    assert_clean(page)


def test_on_a_phone_the_boundary_and_train_are_on_the_first_screen(page, app_url, artifacts):
    open_classifier(page, app_url, 390, 844)
    for sel in (BOUNDARY, "button:has-text('Train')"):
        ok, why = inside(page, sel, 390, 844)
        assert ok, why
    # the diagram follows just below, and is drawn
    assert page.locator(DIAGRAM).bounding_box()["width"] > 200
    page.locator("button", has_text="Train").click()
    page.wait_for_function(f"{VIEW_JS}.frame.d.epoch > 5")
    page.screenshot(path=str(artifacts / "first-screen-phone.png"))
    keep(artifacts / "first-screen-phone.png", "classifier-phone.png")
    assert_clean(page)


def test_the_projector_view_at_1280_stays_in_the_first_screen(page, app_url):
    open_classifier(page, app_url, 1280, 800, "?big=1")
    plane = page.locator(BOUNDARY).bounding_box()
    assert plane["width"] >= 450 and plane["y"] + plane["height"] <= 800, plane
    assert min(page.evaluate(f"{VIEW_JS}.geo.cols.slice(1, -1).map(c => c.s)")) >= 32


def test_a_projector_link_on_a_phone_keeps_the_way_to_the_settings(page, app_url):
    # the projector's view hid the sidebar's button on a phone too, and its toggle is
    # past the bar's right edge there: a student with the teacher's link was stuck
    open_classifier(page, app_url, 390, 844, "?big=1")
    assert page.locator('[data-testid="stExpandSidebarButton"]').is_visible()
    # and its toggle, which only pushed the bar past the screen's edge, is not there
    assert page.locator(".st-key-w-classifier-big").is_hidden()
    bar = page.locator("button:has-text('Reset'):visible").bounding_box()
    assert bar["x"] + bar["width"] <= 390
    for sel in ("button:has-text('Train')", "button:has-text('Reset'):visible", BOUNDARY):
        ok, why = inside(page, sel, 390, 844)
        assert ok, why
    assert_clean(page)


@pytest.mark.parametrize("width, height", [(1024, 768), (390, 844)])
def test_a_lessons_card_is_in_the_first_screen_and_its_chart_one_click_away(
        page, app_url, artifacts, width, height):
    # the dead-ReLU lesson's link: its question, what to notice and Train in the first
    # screen (they were 1,100 px down); the chart it names one click away
    open_classifier(page, app_url, width, height,
                    "?data=spirals&h1=64&h2=64&opt=adam&lr=0.1")
    for sel in ("text=Why can a network stop learning", "text=Watch the dead-unit chart",
                "button:has-text('Train')"):
        ok, why = inside(page, sel, width, height)
        assert ok, why
    page.screenshot(path=str(artifacts / f"lesson-card-{width}.png"))
    page.get_by_text("↓ Dead ReLU units").click()
    page.wait_for_function("(() => { const h = document.getElementById('dead-relu-units');"
                           f" const r = h && h.getBoundingClientRect();"
                           f" return r && r.top >= 0 && r.bottom <= {height}; }})()")
    assert_clean(page)


@pytest.mark.parametrize("width, height", [(1024, 768), (1280, 800)])
def test_no_label_in_the_sidebar_is_cut(page, app_url, width, height):
    # the input-feature toggles, four a row, were cut to "X X X X / X S S"
    open_classifier(page, app_url, width, height)
    page.get_by_text("Input features").wait_for()
    # (and the buttons: "New" beside the seed was cut to "N…")
    cut = page.evaluate("""() => [...document.querySelectorAll(
        '[data-testid="stSidebar"] [data-testid="stWidgetLabel"], [data-testid="stSidebar"] button')]
        .filter(e => [e, ...e.querySelectorAll('*')].some(c => c.scrollWidth > c.clientWidth + 1
            && c.clientWidth > 1))            // not a screen reader's 1 px label ("casino icon")
        .map(e => e.innerText)""")
    assert cut == []
    assert page.get_by_text("sin x", exact=False).count() >= 1      # as written, lower case
