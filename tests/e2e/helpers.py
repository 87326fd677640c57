"""What the browser tests share: waiting for a page to be idle, for an epoch, for charts
to draw; where the network view is and how to click into it. One home; test files
import from here, never from each other.

Every wait here waits for a condition on the page (Playwright's ``wait_for_*``), not
for a fixed time.
"""
import os
import pathlib
import shutil

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs"
BOUNDARY = '[aria-label="decision boundary"]'
DIAGRAM = '[aria-label="network diagram"]'
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def view_js(key):
    """The JavaScript expression of the network view mounted with ``key``."""
    return f"window.__bpxNetworkView.views.get({key!r})"


VIEW_JS = view_js("classifier.view")       # the Classifier page's own view


def keep(path, name):
    """With UPDATE_DOCS=1, also store a screenshot as docs/<name> for the README."""
    if os.environ.get("UPDATE_DOCS"):
        DOCS.mkdir(exist_ok=True)
        shutil.copy(path, DOCS / name)


def wait_idle(page, timeout=45_000):
    """Wait until the page has content, its script has finished and the status widget is gone.

    The Classifier's first run of a visit draws its first screen alone, and the run its
    view starts once drawn adds the sidebar and the analysis: idle means after that run
    (its charts are there), or a test could reach for a control not yet drawn."""
    for _ in range(2 if "/Classifier" in page.url else 1):
        page.wait_for_selector("h1", timeout=timeout)
        page.wait_for_selector(IDLE, timeout=timeout)
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached",
                               timeout=timeout)
        if "/Classifier" in page.url:
            page.wait_for_selector('[data-testid="stPlotlyChart"]', timeout=timeout)


def assert_clean(page):
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0


# the epoch on the screen: the network view's (Classifier: the epoch it last drew, from
# its own registry, as the view is not in the document's tree), else the first metric's
_EPOCH_JS = """() => {
    const reg = window.__bpxNetworkView;
    const v = reg && [...reg.views.values()].find(
        v => v.plane && v.plane.isConnected && v.plane.dataset.epoch !== undefined);
    if (v) return {epoch: +v.plane.dataset.epoch};
    const m = document.querySelector('[data-testid="stMetricValue"]');
    const k = m && /^\\d+/.exec(m.innerText);
    return k ? {epoch: +k[0]} : null;
}"""


def epoch(page, timeout=30):
    """The epoch on the screen, once there is one."""
    return page.wait_for_function(_EPOCH_JS, timeout=timeout * 1000).json_value()["epoch"]


def wait_epoch(page, at_least, timeout=30):
    """Wait until the screen shows epoch ``at_least`` or later; return the epoch shown."""
    return page.wait_for_function(
        f"n => {{ const e = ({_EPOCH_JS})(); return e && e.epoch >= n ? e : null; }}",
        arg=at_least, timeout=timeout * 1000).json_value()["epoch"]


def assert_stopped(page):
    """Training has stopped: the page's script is idle (the live loop runs inside it, so
    no frame can follow) and Train is offered again."""
    wait_idle(page)
    assert page.locator(IDLE).count() == 1
    assert page.locator("button", has_text="Train").count() == 1


def charts_drawn(page, at_least=1, timeout=60_000):
    """Wait until at least ``at_least`` Plotly charts are on the page and every one of
    them has drawn (Plotly draws after the script ends)."""
    page.wait_for_function("""n => {
        const c = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
        return c.length >= n && c.every(e => {
            const gd = e.querySelector('.js-plotly-plot');
            return gd && gd._fullLayout && e.querySelector('.main-svg'); });
    }""", arg=at_least, timeout=timeout)


def settled(page):
    """Wait for two animation frames: a scroll or a resize asked for has been laid out
    and painted (before a screenshot)."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def canvas_point(page, selector, x, y):
    """Page coordinates of the point (x, y) given in a canvas' own CSS pixels."""
    box = page.locator(selector).bounding_box()
    return box["x"] + x, box["y"] + y


def empty_spot(page, view=VIEW_JS):
    """A spot on the plane (canvas px) far from every point, and its data coordinates."""
    return page.evaluate(f"""() => {{
        const v = {view}, f = v.frame, pts = [];
        for (const set of [f.train, f.test]) if (set)
            for (let i = 0; i < set.n; i++) pts.push(v.toPx(set.xy[2 * i], set.xy[2 * i + 1]));
        let best = null;
        for (let x = 20; x < v.S - 20; x += 6) for (let y = 20; y < v.S - 20; y += 6) {{
            const d = Math.min(...pts.map(([px, py]) => Math.hypot(px - x, py - y)));
            if (!best || d > best.d) best = {{x, y, d}};
        }}
        const p = f.d.plane;
        return {{...best, x1: p.x[0] + best.x / v.S * (p.x[1] - p.x[0]),
                 x2: p.y[1] - best.y / v.S * (p.y[1] - p.y[0]),
                 span: p.x[1] - p.x[0]}};
    }}""")


def open_classifier(page, app_url, width=1024, height=768, query=""):
    """The Classifier at ``width`` x ``height``, with its first picture and its analysis."""
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{app_url}/Classifier{query}")
    page.wait_for_selector(BOUNDARY + "[data-epoch]")
    # the analysis follows the first picture, in the page's second run
    page.wait_for_selector('[data-testid="stPlotlyChart"]')
    wait_idle(page)
    return page
