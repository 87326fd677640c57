"""The live network view in a real Chromium, against tests/e2e/view_harness.py (a real
classifier training on moons): both pictures fit the first screen of a projector
(1024x768) and of a phone (390x844), the drawn epoch moves while training, and
clicks come back as one-shot events: a point added where the plane was clicked, a
point removed, a unit or an edge selected (and still highlighted in later frames).
Screenshots land in tests/e2e/artifacts/view-*.png."""
import ast
import re

import pytest

from .helpers import BOUNDARY, DIAGRAM, canvas_point, empty_spot, view_js
from .view_harness import KEY, running_harness

pytestmark = pytest.mark.e2e

VIEW_JS = view_js(KEY)                    # the harness's view


@pytest.fixture(scope="module")
def harness_url():
    with running_harness() as base:
        yield base


@pytest.fixture
def open_view(browser, harness_url):
    """``open_view(query="", width=1024, height=768)`` -> a page showing the harness."""
    contexts = []

    def _open(query="", width=1024, height=768, **kw):
        context = browser.new_context(viewport={"width": width, "height": height}, **kw)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.goto(f"{harness_url}/?{query}")
        page.wait_for_selector(f"{BOUNDARY}[data-epoch]")
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
        page.wait_for_function(f"{VIEW_JS} && {VIEW_JS}.stats.draws > 0")
        return page

    yield _open
    for c in contexts:
        c.close()


def drawn_epoch(page):
    return int(page.locator(BOUNDARY).get_attribute("data-epoch"))


def last_event(page):
    return page.locator('[data-testid="stCode"]').inner_text().strip()


def wait_event(page, pattern):
    """Wait until the harness shows an event matching ``pattern``; return it parsed."""
    page.wait_for_function("""p => new RegExp(p).test(
        document.querySelector('[data-testid="stCode"]')?.innerText || '')""",
                           arg=pattern, timeout=20_000)
    return ast.literal_eval(last_event(page))


def n_points(page):
    text = page.locator('[data-testid="stSidebar"]').inner_text()
    return int(re.search(r"(\d+) training points", text).group(1))


def set_training(page, on):
    toggle = page.get_by_role("switch", name="Train")
    if toggle.is_checked() != on:
        page.locator("label", has_text="Train").first.click()
    if not on:
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')


def test_boundary_and_diagram_fit_the_first_screen_of_a_projector(open_view, artifacts):
    page = open_view()
    boxes = [page.locator(s).bounding_box() for s in (BOUNDARY, DIAGRAM)]
    for box in boxes:
        assert box["width"] > 150 and box["height"] > 150
        assert 0 <= box["x"] and box["x"] + box["width"] <= 1024
        assert 0 <= box["y"] and box["y"] + box["height"] <= 768
    top = min(b["y"] for b in boxes)
    bottom = max(b["y"] + b["height"] for b in boxes)
    assert bottom - top <= 425                        # side by side, not stacked
    assert boxes[1]["x"] >= boxes[0]["x"] + boxes[0]["width"]
    # every piece of text in the element is at least 14 px and dark on light
    sizes = page.evaluate(f"""() => [...{VIEW_JS}.root.querySelectorAll('span')]
        .filter((s) => s.textContent.trim() && s.getClientRects().length)
        .map((s) => [s.textContent, parseFloat(getComputedStyle(s).fontSize),
                     getComputedStyle(s).color])""")
    assert sizes, "no text in the view"
    for text, size, color in sizes:
        assert size >= 14, (text, size)
        r, g, b = (int(v) for v in re.findall(r"\d+", color)[:3])
        assert 0.299 * r + 0.587 * g + 0.114 * b < 110, (text, color)
    page.screenshot(path=str(artifacts / "view-1024.png"))
    assert not page.errors, page.errors


def test_drawn_epoch_grows_while_training(open_view, artifacts):
    page = open_view()
    assert drawn_epoch(page) == 0
    set_training(page, True)
    page.wait_for_function(f"{VIEW_JS}.frame.d.epoch > 0")
    first = drawn_epoch(page)
    page.wait_for_function(f"{VIEW_JS}.frame.d.epoch > {first} + 10")   # frames keep coming
    second = drawn_epoch(page)
    assert second > first > 0
    page.screenshot(path=str(artifacts / "view-training.png"))
    set_training(page, False)
    assert not page.errors, page.errors


def test_a_click_on_the_empty_plane_adds_one_point_there(open_view):
    page = open_view()
    before = n_points(page)
    spot = empty_spot(page, VIEW_JS)
    assert spot["d"] > 20
    page.mouse.click(*canvas_point(page, BOUNDARY, spot["x"], spot["y"]))
    event = wait_event(page, "add_point")
    x1, x2 = event["add_point"]
    assert abs(x1 - spot["x1"]) < 0.02 * spot["span"]
    assert abs(x2 - spot["x2"]) < 0.02 * spot["span"]
    page.wait_for_function(f"{VIEW_JS}.frame.d.train.n === {before + 1}")
    assert n_points(page) == before + 1
    # one-shot: more runs of the page (train on, off) do not add it again
    set_training(page, True)
    e = drawn_epoch(page)
    page.wait_for_function(f"{VIEW_JS}.frame.d.epoch > {e} + 10")      # many frames later
    set_training(page, False)
    assert n_points(page) == before + 1
    assert not page.errors, page.errors


def test_a_click_near_a_training_point_removes_that_point(open_view):
    page = open_view()
    before = n_points(page)
    i = 7
    x, y = page.evaluate(f"{VIEW_JS}.toPx({VIEW_JS}.frame.train.xy[{2 * i}], "
                         f"{VIEW_JS}.frame.train.xy[{2 * i + 1}])")
    # the nearest point to the click must be point i (the moons are crowded)
    nearest = page.evaluate(f"""([x, y]) => {{ const v = {VIEW_JS}, t = v.frame.train;
        let best = -1, bd = 1e9;
        for (let k = 0; k < t.n; k++) {{ const [px, py] = v.toPx(t.xy[2 * k], t.xy[2 * k + 1]);
            const d = Math.hypot(px - x - 2, py - y - 1); if (d < bd) {{ bd = d; best = k; }} }}
        return best; }}""", [x, y])
    page.mouse.click(*canvas_point(page, BOUNDARY, x + 2, y + 1))
    event = wait_event(page, "remove_point")
    assert event == {"remove_point": nearest}
    page.wait_for_function(f"{VIEW_JS}.frame.d.train.n === {before - 1}")
    assert n_points(page) == before - 1
    assert not page.errors, page.errors


def test_a_click_on_a_unit_selects_it_while_training_and_the_ring_stays(open_view, artifacts):
    page = open_view()
    set_training(page, True)
    page.wait_for_function(f"{VIEW_JS}.frame.d.epoch > 0")
    layer, index = 1, 3
    x, y = page.evaluate(f"(() => {{ const n = {VIEW_JS}.geo.cols[{layer}].nodes[{index}]; "
                         f"return [n.cx, n.cy]; }})()")
    page.mouse.click(*canvas_point(page, DIAGRAM, x, y))
    assert wait_event(page, "select") == {"select": ("unit", layer, index)}
    # later frames carry the selection (the page passes it back), so the ring survives
    epoch = drawn_epoch(page)
    page.wait_for_function(f"{VIEW_JS}.frame.d.epoch > {epoch} + 2")
    assert page.evaluate(f"{VIEW_JS}.frame.d.selected") == {
        "kind": "unit", "layer": layer, "index": index}
    page.locator(DIAGRAM).screenshot(path=str(artifacts / "view-selected-unit.png"))
    set_training(page, False)
    assert not page.errors, page.errors


def test_a_click_on_an_edge_selects_that_weight(open_view):
    page = open_view()
    # the weight W1[0, 0]: from input x1 to the first unit of layer 1, clicked half-way
    x0, y0, x1, y1 = page.evaluate(f"{VIEW_JS}.edgeEnds(1, 0, 0)")
    t = 0.5                           # at t = 1/2 the curve passes through the middle
    page.mouse.click(*canvas_point(page, DIAGRAM, (x0 + x1) / 2, y0 + (y1 - y0) * t))
    assert wait_event(page, "select") == {"select": ("edge", 1, 0, 0)}
    page.wait_for_function(f"{VIEW_JS}.frame.d.selected && {VIEW_JS}.frame.d.selected.kind === 'edge'")
    assert not page.errors, page.errors


def test_the_boundary_is_on_the_first_screen_of_a_phone(open_view, artifacts):
    page = open_view(width=390, height=844, is_mobile=True, has_touch=True)
    box = page.locator(BOUNDARY).bounding_box()
    assert box["width"] >= 300
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844
    diagram = page.locator(DIAGRAM).bounding_box()
    assert diagram["y"] >= box["y"] + box["height"]          # stacked below
    page.screenshot(path=str(artifacts / "view-phone.png"), full_page=True)
    assert not page.errors, page.errors


def test_class_names_are_shown_as_plain_text(open_view):
    page = open_view("names=<b>bold</b>,<img src=x onerror=alert(1)>")
    texts = page.evaluate(f"[...{VIEW_JS}.root.querySelectorAll('.bpx-name')].map(s => s.textContent)")
    assert texts[:2] == ["<b>bold</b>", "<img src=x onerror=alert(1)>"]
    assert page.evaluate(f"{VIEW_JS}.root.querySelectorAll('b, img').length") == 0
    assert not page.errors, page.errors


def test_gradient_mode_writes_each_layers_gradient_norm(open_view, artifacts):
    page = open_view("mode=gradient")
    set_training(page, True)
    page.wait_for_function(f"{VIEW_JS}.frame.d.epoch > 3")
    set_training(page, False)
    # the frame and its drawn labels, read in one look once the last frame is drawn (two
    # reads could straddle a frame that arrived as training stopped)
    page.wait_for_function(f"""() => {{ const v = {VIEW_JS};
        return v.footLabels.length === v.frame.d.layers.length && v.frame.d.layers.every(
            (l, i) => Math.abs(parseFloat(v.footLabels[i].textContent.split(' ').pop())
                               - l.gnorm) <= 0.06 * l.gnorm); }}""", timeout=10_000)
    norms, labels = page.evaluate(f"""() => [{VIEW_JS}.frame.d.layers.map(l => l.gnorm),
                                              {VIEW_JS}.footLabels.map(s => s.textContent)]""")
    assert len(labels) == len(norms) == 3
    assert all(n > 0 for n in norms)
    for text, norm in zip(labels, norms):
        value = float(text.split()[-1])
        assert value == pytest.approx(norm, rel=0.06)
    page.screenshot(path=str(artifacts / "view-gradient.png"))
    assert not page.errors, page.errors


@pytest.mark.parametrize("mode, says", [
    ("weights", ["positive weight", "negative", "unit: white off, dark on"]),
    ("gradient", ["|∂L/∂w|: wider, darker is larger", "unit: white off, dark on"])])
def test_the_key_under_the_diagram_says_what_each_colour_means_in_each_mode(open_view, mode, says):
    from explorer.app import palette
    page = open_view(f"mode={mode}")
    key = page.evaluate(f"""() => {{ const v = {VIEW_JS}, k = v.key.getBoundingClientRect();
        const net = v.net.getBoundingClientRect(), root = v.root.getBoundingClientRect();
        const feet = [...v.labels.querySelectorAll('.bpx-label')].filter(s => s.textContent)
            .map(s => s.getBoundingClientRect().bottom);
        return {{texts: [...v.key.querySelectorAll('.bpx-name')].map(s => s.textContent),
                 swatches: [...v.key.querySelectorAll('.bpx-swatch')].map(
                     s => getComputedStyle(s).backgroundColor),
                 top: k.top, bottom: k.bottom, netBottom: net.bottom, rootBottom: root.bottom,
                 lowestLabel: Math.max(...feet)}}; }}""")
    assert key["texts"] == says
    rgb = lambda c: "rgb({}, {}, {})".format(*palette.rgb(c))
    first = [palette.POSITIVE, palette.NEGATIVE] \
        if mode == "weights" else [palette.GRADIENT]
    assert key["swatches"][:len(first)] == [rgb(c) for c in first]
    # under the diagram and its labels, inside the view (nothing over the units)
    assert key["top"] >= key["netBottom"] - 1 and key["top"] >= key["lowestLabel"] - 1
    assert key["bottom"] <= key["rootBottom"] + 1
    assert not page.errors, page.errors


def test_four_hidden_layers_of_64_units_still_fit_420_px(open_view, artifacts):
    page = open_view("layers=64,64,64,64")
    diagram = page.locator(DIAGRAM).bounding_box()
    assert diagram["height"] <= 420
    sizes = page.evaluate(f"{VIEW_JS}.geo.cols.map(c => c.s)")
    assert min(sizes[1:-1]) >= 12
    bottom = page.evaluate(f"Math.max(...{VIEW_JS}.geo.cols.flatMap(c => c.nodes.map(n => n.y + c.s)))")
    assert bottom <= diagram["height"]
    page.locator(DIAGRAM).screenshot(path=str(artifacts / "view-4x64.png"))
    assert not page.errors, page.errors
