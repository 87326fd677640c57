"""Fixtures for the browser tests: one app server and one headless Chromium per run.

Chromium is Debian's, at /usr/bin/chromium (Playwright never downloads a browser
here). Without it the browser tests are skipped on a developer's machine and fail
in CI (CI=true), where .ci/run installs it.
"""
import os
import pathlib

import pytest

from .server import CHROMIUM, chromium_args, running_app

ARTIFACTS = pathlib.Path(__file__).parent / "artifacts"


def _need_chromium():
    if os.path.exists(CHROMIUM):
        return
    message = (f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium` "
               "to run the browser tests")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message + " (CI=true: browser tests must run)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def app_url():
    with running_app() as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    _need_chromium()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        # launch() gives every run a fresh temporary profile (user-data dir)
        b = p.chromium.launch(executable_path=CHROMIUM, args=chromium_args())
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
