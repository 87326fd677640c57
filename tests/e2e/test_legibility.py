"""Every chart of every page read on a projector (1024x768): no axis title on a curve,
no tick labels on top of each other, no legend over data, nothing cut off at a
chart's edge, no text under 14 px (tests/e2e/legibility.py says how it is measured).
Charts are checked as a class sees them: after training, with a unit's panel open,
at every step of the walk through one batch."""
import re

import pytest

from .helpers import (DIAGRAM, VIEW_JS, assert_clean, canvas_point, charts_drawn, epoch,
                      open_classifier, wait_epoch, wait_idle)
from .legibility import chart_problems, formulas_cut

pytestmark = pytest.mark.e2e


def train_to_the_end(page, epochs):
    page.locator("button", has_text="Train").click()
    wait_epoch(page, epochs, timeout=60)
    wait_idle(page)
    assert epoch(page) == epochs


def test_the_classifiers_charts_and_a_units_panel_read_at_1024(page, app_url):
    open_classifier(page, app_url, query="?epochs=80")
    train_to_the_end(page, 80)
    charts_drawn(page, 5)
    assert chart_problems(page) == []
    x, y = page.evaluate(f"(() => {{ const n = {VIEW_JS}.geo.cols[2].nodes[0]; "
                         "return [n.cx, n.cy]; })()")
    page.mouse.click(*canvas_point(page, DIAGRAM, x, y))
    page.get_by_text(re.compile(r"Unit 1 of hidden layer 2")).wait_for()
    wait_idle(page)
    charts_drawn(page, 8)                                  # + its map, its weights, its batch
    assert chart_problems(page) == [] and formulas_cut(page) == []
    # an output unit, then an edge of the first layer: its dL/dw written out, all of it
    # (the view scrolled to the panel: back to the diagram first)
    page.locator(DIAGRAM).first.scroll_into_view_if_needed()
    x, y = page.evaluate(f"(() => {{ const n = {VIEW_JS}.geo.cols[3].nodes[1]; "
                         "return [n.cx, n.cy]; })()")
    page.mouse.click(*canvas_point(page, DIAGRAM, x, y))
    page.get_by_text(re.compile(r"Output unit 2")).wait_for()
    wait_idle(page)
    charts_drawn(page, 8)
    assert chart_problems(page) == [] and formulas_cut(page) == []
    # an edge, W1[0, 0] (clicked half-way along it)
    page.locator(DIAGRAM).first.scroll_into_view_if_needed()
    x0, y0, x1, y1 = page.evaluate(f"{VIEW_JS}.edgeEnds(1, 0, 0)")
    page.mouse.click(*canvas_point(page, DIAGRAM, (x0 + x1) / 2, (y0 + y1) / 2))
    page.get_by_text(re.compile(r"The weight from input")).wait_for()
    wait_idle(page)
    assert page.locator(".katex-display").count() >= 1
    assert formulas_cut(page) == []
    assert_clean(page)


def test_every_step_of_the_walk_reads_at_1024(page, app_url):
    open_classifier(page, app_url)
    page.locator("label", has_text="Walk one batch").click()
    step = page.get_by_text(re.compile(r"Step 1 of \d+"))
    step.wait_for()
    total = int(re.search(r"Step 1 of (\d+)", step.inner_text()).group(1))
    for k in range(1, total + 1):
        if k > 1:
            page.get_by_role("button", name="Next", exact=True).click()
            page.get_by_text(re.compile(rf"Step {k} of {total}")).wait_for()
        wait_idle(page)
        charts_drawn(page, 6)
        assert chart_problems(page) == [] and formulas_cut(page) == [], f"step {k}"
    assert_clean(page)


@pytest.mark.parametrize("path,epochs", [("Autoencoder?epochs=20", 20), ("Backprop_math", 0)])
def test_the_other_pages_charts_read_at_1024(page, app_url, path, epochs):
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{app_url}/{path}")
    wait_idle(page)
    if epochs:
        train_to_the_end(page, epochs)
    charts_drawn(page, 5)
    assert chart_problems(page) == [] and formulas_cut(page) == []
    for tab in page.get_by_role("tab").all()[1:]:     # the math page's other tabs
        tab.click()
        wait_idle(page)
        charts_drawn(page)
        assert chart_problems(page) == [] and formulas_cut(page) == [], tab.inner_text()
    if path == "Backprop_math":
        page.get_by_role("tab").first.click()
        wait_idle(page)
        charts_drawn(page)
        # a layer's Z and its mask, one under the other (the open tab): columns line up
        areas = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')]
            .map(p => [p.querySelector('.g-gtitle')?.textContent || '',
                       p.querySelector('.draglayer .nsewdrag')?.getBoundingClientRect()])
            .filter(([t, r]) => r && r.width > 0 && /×\\d+\\)$/.test(t))
            .map(([t, r]) => [t.match(/×(\\d+)\\)$/)[1], r.left, r.right])""")
        by_columns = {}
        for columns, left, right in areas:
            by_columns.setdefault(columns, []).append((left, right))
        assert max(len(v) for v in by_columns.values()) >= 4, areas       # Z1, mask1, Z2, ...
        for places in by_columns.values():
            lefts, rights = zip(*places)
            assert max(lefts) - min(lefts) <= 1 and max(rights) - min(rights) <= 1, areas
    assert_clean(page)


def test_the_classifiers_charts_read_on_a_phone(browser, app_url):
    """Many students open the teacher's link on a phone (390x844, a touch screen)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True,
                                  is_mobile=True)
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        open_classifier(page, app_url, width=390, height=844, query="?epochs=40")
        train_to_the_end(page, 40)
        charts_drawn(page, 5)
        assert chart_problems(page) == []
        # Plotly's toolbar, always shown on a touch screen, is hidden (it covered legends)
        assert page.evaluate("matchMedia('(hover: none)').matches")
        assert page.evaluate("""() => [...document.querySelectorAll('.modebar-container')]
            .every(m => getComputedStyle(m).display === 'none')""")
        assert_clean(page)
    finally:
        context.close()
