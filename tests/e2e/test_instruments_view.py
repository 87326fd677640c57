"""The instruments in a real Chromium at a projector's 1024x768, against
tests/e2e/instruments_harness.py: every tab draws without an error, all five tab
labels fit beside the sidebar, every chart reads (tests/e2e/legibility.py), and each
instrument leaves a screenshot in tests/e2e/artifacts/inst-*.png to look at."""
import pytest

from .helpers import IDLE, charts_drawn, settled
from .instruments_harness import running_harness
from .legibility import chart_problems

pytestmark = pytest.mark.e2e

CHARTS = '[data-testid="stPlotlyChart"]'
# name, link, what to click (visible text), which chart to bring into view
SHOTS = [
    ("landscape", "tab=Loss landscape&epochs=40", [], 0),
    ("landscape-path", "tab=Loss landscape&epochs=150", ["the path so far"], 0),
    ("lr-finder", "tab=LR finder&epochs=0&data=moons", [], 0),
    ("lr-finder-plateau", "tab=LR finder&epochs=100", [], 0),
    ("two-runs", "tab=Two runs&epochs=60&fork=lr:0.1", [], 1),
    ("pushes", "tab=Which points push&epochs=150", [], 0),
    ("regions", "tab=Linear regions&epochs=150", [], 0),
    ("ae-errors", "page=autoencoder&epochs=30", [], 0),
    ("ae-worst", "page=autoencoder&epochs=30&tab=Worst digits", [], 0),
    ("ae-ablation", "page=autoencoder&epochs=30&tab=Switching code units off", [], 0),
]


@pytest.fixture(scope="module")
def harness_url():
    with running_harness() as base:
        yield base


# how many traces the page's Plotly charts hold in all (a click that adds a path changes it)
TRACES = f"[...document.querySelectorAll('{CHARTS} .js-plotly-plot')].reduce((n, g) => n + (g.data || []).length, 0)"


def settle(page):
    page.wait_for_selector(IDLE, timeout=120_000)
    charts_drawn(page, timeout=120_000)


@pytest.mark.parametrize("name,query,clicks,chart", SHOTS, ids=[s[0] for s in SHOTS])
def test_each_instrument_draws_readably_at_1024(browser, harness_url, artifacts, name, query,
                                                clicks, chart):
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{harness_url}/?{query}")
        page.wait_for_selector('[data-testid="stTabs"]')
        settle(page)
        for text in clicks:
            before = page.evaluate(TRACES)
            page.get_by_text(text, exact=True).first.click()
            page.wait_for_function(f"{TRACES} !== {before}", timeout=120_000)
            settle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        page.wait_for_function(f"document.querySelectorAll('{CHARTS}').length > {chart}")
        page.wait_for_selector(f"{CHARTS} .main-svg")
        # every tab label inside the tab bar (none scrolled out of sight)
        fits = page.evaluate("""() => {
            const bar = document.querySelector('[data-testid="stTabs"] [role="tablist"]');
            const r = bar.getBoundingClientRect();
            return [...bar.querySelectorAll('[role="tab"]')].every(t => {
                const b = t.getBoundingClientRect();
                return b.left >= r.left - 1 && b.right <= r.right + 1; });
        }""")
        assert fits, "a tab label is cut off at 1024 px"
        assert chart_problems(page) == []
        page.evaluate(f"document.querySelectorAll('{CHARTS}')[{chart}]"
                      ".scrollIntoView({block: 'end'})")
        page.mouse.move(5, 5)                          # no hover label in the picture
        settled(page)
        page.screenshot(path=str(artifacts / f"inst-{name}.png"))
        assert not errors, errors
    finally:
        context.close()
