"""The app in a real browser: every page opens cleanly, Train moves the charts and
the epoch counter, Pause stops them, and a shareable link restores the controls in
another browser context. Screenshots of each page land in tests/e2e/artifacts/."""
import re

import pytest

from .helpers import (VIEW_JS, assert_clean, assert_stopped, charts_drawn, epoch, keep,
                      open_classifier, settled, wait_epoch, wait_idle)
from .server import running_app

pytestmark = pytest.mark.e2e

PAGES = {"home": "", "classifier": "Classifier", "autoencoder": "Autoencoder",
         "math": "Backprop_math"}


def numbers_epoch(page):
    """The epoch in the Classifier's line of numbers (drawn from the network itself)."""
    line = page.get_by_text(re.compile(r"Epoch \d+ · loss")).first.inner_text()
    return int(re.search(r"Epoch (\d+)", line).group(1))


def choose(page, label, option):
    """Pick ``option`` in the sidebar selectbox labelled ``label``, as a person would."""
    box = page.get_by_role("combobox", name=label)
    box.scroll_into_view_if_needed()
    box.click()
    box.fill(option)                     # the list filters as you type
    page.get_by_role("option", name=option, exact=True).click()
    page.wait_for_function("([l, o]) => document.querySelector(`input[aria-label=\"${l}\"]`)"
                           ".value === o", arg=[label, option])
    wait_idle(page)


def full_screenshot(page, path):
    """The main area scrolls inside the app, so grow the window to the content first."""
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(max(height + 40, 900), 6000)})
    charts_drawn(page)
    settled(page)
    page.screenshot(path=str(path))


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_opens_without_errors_and_is_screenshotted(page, app_url, artifacts, name):
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{app_url}/{PAGES[name]}")
    wait_idle(page)
    assert_clean(page)
    assert page.locator("h1").count() >= 1
    page.wait_for_selector(".js-plotly-plot")          # the chart library loads lazily
    charts = page.locator(".js-plotly-plot").count()
    assert charts >= (1 if name == "home" else 3)
    full_screenshot(page, artifacts / f"{name}.png")
    if name != "classifier":            # the README shows the classifier after training
        keep(artifacts / f"{name}.png", f"{name}.png")
    assert not errors, errors


def test_train_moves_the_view_and_pause_freezes_it_on_the_networks_epoch(page, app_url,
                                                                          artifacts):
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{app_url}/Classifier?data=spirals&classes=3&epochs=2000")
    wait_idle(page)
    assert epoch(page) == 0
    page.locator("button", has_text="Train").click()
    wait_epoch(page, 20)                # the view's epoch climbs while training
    wait_epoch(page, 150)               # about 2 s: the spirals begin to show
    # drawn in the browser from the weights, on a grid of at most the live frame's 60
    live = page.evaluate(f"{VIEW_JS}.stats.forward")
    assert 12 <= live["n"] <= 60, live
    # Pause where Train was, and no faded Train beside it (two buttons take turns there)
    assert page.locator("button:visible", has_text="Pause").count() == 1
    assert page.locator("button:visible", has_text="Train").count() == 0
    page.screenshot(path=str(artifacts / "classifier-training.png"))
    keep(artifacts / "classifier-training.png", "classifier-training.png")
    page.locator("button", has_text="Pause").click()
    assert_stopped(page)
    assert numbers_epoch(page) == epoch(page), "the picture shows the network's own epoch"
    # paused: the page's grid resolution (100 by default)
    page.wait_for_function(f"{VIEW_JS}.stats.forward.n === 100")
    assert page.locator("button", has_text="Train").count() == 1
    assert page.get_by_text("Playback").count() >= 1
    assert_clean(page)
    page.wait_for_selector(".js-plotly-plot")
    full_screenshot(page, artifacts / "classifier-trained.png")
    keep(artifacts / "classifier-trained.png", "classifier.png")


def test_autoencoder_trains_in_the_browser(page, app_url):
    page.goto(f"{app_url}/Autoencoder?epochs=15")
    wait_idle(page)
    page.locator("button", has_text="Train").click()
    wait_epoch(page, 15)
    wait_idle(page)
    assert epoch(page) == 15
    assert page.get_by_text("Paused after 15 epochs").count() == 1
    assert_clean(page)


def test_a_shareable_link_restores_the_controls_in_another_browser(browser, page, app_url):
    page.goto(f"{app_url}/Classifier")
    wait_idle(page)
    # change controls the way a teacher would
    choose(page, "Dataset", "spirals")
    choose(page, "Optimizer", "SGD + momentum")
    # the address follows the run that took the change; wait for it rather than race it
    page.wait_for_url(re.compile(r"data=spirals.*opt=momentum"), timeout=15_000)
    link = page.url
    assert "data=spirals" in link and "opt=momentum" in link
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        student = other.new_page()
        student.goto(link)
        wait_idle(student)
        assert_clean(student)
        assert student.get_by_role("combobox", name="Dataset").input_value() == "spirals"
        assert student.get_by_role("combobox", name="Optimizer").input_value() == "SGD + momentum"
        assert student.url.split("?", 1)[1] == link.split("?", 1)[1]
    finally:
        other.close()


def test_a_bad_link_is_explained_not_crashed(page, app_url):
    page.goto(f"{app_url}/Classifier?n=99999&lr=banana&zzz=1")
    wait_idle(page)
    assert_clean(page)
    note = page.locator('[data-testid="stAlertContentWarning"]').first.inner_text()
    assert "n=99999" in note and "banana" in note and "zzz" in note


def test_a_link_too_long_for_the_server_says_so_and_links_to_the_explorer(page, app_url):
    # a link of over half a megabyte never reaches the app: the HTTP server gave up on
    # it with a bare 400, and Chromium showed "This page isn't working"
    page.goto(f"{app_url}/Classifier")             # the process is set up by a first page
    wait_idle(page)
    response = page.goto(f"{app_url}/Classifier?lr=0.1&seed={'7' * 600_000}")
    assert response.status == 400
    assert "This link could not be opened" in page.locator("h1").inner_text()
    page.get_by_role("link", name="the Backprop Explorer").click()
    wait_idle(page)
    assert_clean(page)


def test_leaving_the_page_stops_a_run(page, app_url):
    page.goto(f"{app_url}/Classifier?epochs=2000")
    wait_idle(page)
    page.locator("button", has_text="Train").click()
    wait_epoch(page, 1)
    page.locator('[data-testid="stSidebar"] a', has_text="Autoencoder").click()
    page.wait_for_selector("h1:has-text('Autoencoder')")
    wait_idle(page)
    page.locator('[data-testid="stSidebar"] a', has_text="Classifier").click()
    page.wait_for_selector("h1:has-text('Classifier')")
    wait_idle(page)
    assert_stopped(page)                                             # paused, not running
    assert epoch(page) > 0                                           # it did train
    assert_clean(page)


def test_an_uploaded_file_is_not_kept_in_server_memory_once_read(page, app_url, tmp_path):
    """Streamlit keeps upload bytes until a session ends, and never ends a closed tab's
    session: the page drops them as soon as it has parsed the file."""
    import urllib.request
    csv = tmp_path / "points.csv"
    csv.write_text("x1,x2,label\n" + "\n".join(f"{i % 7},{i % 5},{'ab'[i % 2]}"
                                                for i in range(40)))
    page.goto(f"{app_url}/Classifier?data=csv")
    wait_idle(page)
    page.locator('[data-testid="stSidebar"] input[type="file"]').first.set_input_files(str(csv))
    page.get_by_text("40 points in 2 classes").wait_for(timeout=60_000)
    wait_idle(page)
    with urllib.request.urlopen(f"{app_url}/_stcore/metrics") as r:
        metrics = r.read().decode()
    held = [line for line in metrics.splitlines()
            if "UploadedFileManager" in line and not line.startswith("#")]
    assert all(float(line.rsplit(" ", 1)[1]) == 0 for line in held), held
    assert_clean(page)


def test_arrow_keys_on_three_controls_then_a_dataset_while_training_leave_a_working_page(
        page, app_url):
    # batch size, L1 and L2 by arrow keys, then the dataset, once froze the page in 3 runs
    # of 5 (greyed, the sidebar saying circles and the view spirals, Train dead for 60 s)
    open_classifier(page, app_url)
    page.locator("button", has_text="Train").click()
    wait_epoch(page, 5)
    size = page.get_by_role("spinbutton", name="Batch size")
    size.scroll_into_view_if_needed()
    size.click()
    for _ in range(6):
        page.keyboard.press("ArrowUp")
    for name in ("L1", "L2"):
        slider = page.get_by_role("slider", name=name)
        slider.scroll_into_view_if_needed()
        slider.focus()
        for _ in range(5):
            page.keyboard.press("ArrowRight")
    choose(page, "Dataset", "circles")
    # every key was taken, the view shows the circles (two classes), and Train works
    page.wait_for_function(f"{VIEW_JS}.frame.d.classes.length === 2", timeout=30_000)
    assert all(part in page.url for part in ("data=circles", "bs=38", "l1=0.005", "l2=0.005"))
    assert page.get_by_role("combobox", name="Dataset").input_value() == "circles"
    page.locator("button", has_text="Train").click()
    wait_epoch(page, epoch(page) + 5)
    assert_clean(page)


def test_frames_several_to_a_message_are_each_drawn_and_pause_shows_the_networks_epoch(browser):
    # under a class a message carries two to four frames (explorer/app/live.py: BATCH);
    # BPX_BATCH makes one run send three to a message, as 24 runs in a process would
    with running_app(extra_env={"BPX_BATCH": "1,1,1000"}) as url:
        context = browser.new_context(viewport={"width": 1024, "height": 768})
        page = context.new_page()
        page.set_default_timeout(30_000)
        open_classifier(page, url, query="?epochs=2000")
        page.locator("button", has_text="Train").click()
        wait_epoch(page, 100)
        got = page.evaluate(f"() => ({{messages: window.__bpxNetworkView.messages, "
                            f"frames: {VIEW_JS}.stats.frames}})")
        assert got["messages"] >= 5 and got["frames"] >= 2.5 * got["messages"], got
        page.locator("button", has_text="Pause").click()
        assert_stopped(page)
        # the last frame of the last message is the network's own epoch (the numbers
        # line is drawn from the network): the picture comes to it, and stops there
        line = page.get_by_text(re.compile(r"Epoch \d+ · loss")).first.inner_text()
        network = int(re.search(r"Epoch (\d+)", line).group(1))
        page.wait_for_function(f"() => {VIEW_JS}.frame.d.epoch === {network}")
        assert epoch(page) == network
        context.close()
