"""Smoke test of ``deploy/serve.py``: two Streamlit replicas behind HAProxy.

Two browsers (separate contexts, so separate cookies) open the Classifier page
through the proxy, land on different replicas (the affinity cookie and the
``X-Replica`` header say which), stay there, and both train. Stopping serve.py
leaves no process behind.
"""
import contextlib
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .server import ROOT, free_port
from .server import child_pids as _children, cmdline as _cmdline

pytestmark = pytest.mark.e2e

SERVE = os.path.join(ROOT, "deploy", "serve.py")
ARTIFACTS = pathlib.Path(__file__).parent / "artifacts"   # as in conftest.py
COOKIE = "bx_replica"            # deploy/haproxy.py: AFFINITY_COOKIE
HEADER = "x-replica"             # deploy/haproxy.py: REPLICA_HEADER


def _need_haproxy():
    if shutil.which("haproxy") or os.access("/usr/sbin/haproxy", os.X_OK):
        return
    message = "haproxy not found: install it with `apt-get install -y haproxy`"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message + " (CI=true: the replica test must run)", pytrace=False)
    pytest.skip(message)


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class _Output:
    """Reads serve.py's output on a thread (so its pipe never fills) and notes READY."""

    def __init__(self, proc):
        self.lines, self.url, self._ready = [], None, threading.Event()
        self._thread = threading.Thread(target=self._read, args=(proc.stdout,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for line in stream:
            self.lines.append(line)
            if line.startswith("READY ") and self.url is None:
                self.url = line.split()[1]
                self._ready.set()
        self._ready.set()                     # end of output: serve.py is gone

    def wait_ready(self, timeout):
        self._ready.wait(timeout)
        assert self.url, "serve.py did not get ready:\n" + self.text()
        return self.url

    def text(self):
        return "".join(self.lines)

    def finish(self, timeout=10):
        self._thread.join(timeout)
        return "".join(self.lines)


def _wait_idle(page, timeout=90_000):
    """The page has its title, its script has finished, the status widget is gone."""
    page.wait_for_selector("h1", timeout=timeout)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                           timeout=timeout)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=timeout)


_MAIN_TEXT_JS = """() => {
    const main = document.querySelector('[data-testid="stMain"]') || document.body;
    return main.innerText;
}"""


def _epoch(page):
    """The epoch the page shows: the first "Epoch <n>" in the main area, whether it is
    a metric (label "Epoch", value below) or a line of text ("Epoch 431 · loss ...").
    One round trip to the page, no waiting (it is redrawn many times a second)."""
    m = re.search(r"\bEpoch\s*(\d+)", page.evaluate(_MAIN_TEXT_JS))
    return int(m.group(1)) if m else 0


def _wait_epoch_above(page, epoch, timeout):
    """Wait until the page shows an epoch above ``epoch``; False if it did not in time."""
    try:
        page.wait_for_function(f"""n => {{
            const m = /\\bEpoch\\s*(\\d+)/.exec(({_MAIN_TEXT_JS})());
            return m && +m[1] > n; }}""", arg=epoch, timeout=timeout * 1000)
        return True
    except PlaywrightTimeoutError:
        return False


def _screenshots(pages):
    from playwright.sync_api import Error as PlaywrightError
    ARTIFACTS.mkdir(exist_ok=True)
    for i, page in enumerate(pages, 1):
        with contextlib.suppress(PlaywrightError):     # a help, not the test
            page.screenshot(path=str(ARTIFACTS / f"replicas-browser{i}.png"), timeout=20_000)


def _replica_of(context):
    return {c["name"]: c["value"] for c in context.cookies()}.get(COOKIE)


@pytest.mark.timeout(240)      # ~35 s on an idle 2-core machine; minutes when it is shared
def test_two_browsers_land_on_two_replicas_and_both_train(browser):
    _need_haproxy()
    t0 = time.monotonic()
    port = free_port()
    serve = subprocess.Popen(
        [sys.executable, SERVE, "--replicas", "2", "--port", str(port), "--bind", "127.0.0.1",
         "--timeout", "45"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    output = _Output(serve)
    phases = {}
    children, contexts = [], []
    try:
        base = output.wait_ready(timeout=50)
        phases["serve.py ready"] = time.monotonic() - t0
        assert base == f"http://127.0.0.1:{port}"
        children = _children(serve.pid)
        kinds = sorted("haproxy" if "haproxy" in _cmdline(p) else "streamlit" for p in children)
        assert kinds == ["haproxy", "streamlit", "streamlit"], [_cmdline(p) for p in children]

        url = f"{base}/Classifier?epochs=2000"
        pages, responses = [], []
        for _ in range(2):
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
            contexts.append(ctx)
            pages.append(ctx.new_page())
            pages[-1].set_default_timeout(90_000)
        # The proxy sends a new browser to the replica with the fewest connections. The
        # second browser starts once the first one's websocket is talking to its replica
        # (it holds a connection there); then both pages finish loading side by side.
        with pages[0].expect_websocket() as ws:
            responses.append(pages[0].goto(url, wait_until="commit"))
        ws.value.wait_for_event("framereceived", timeout=90_000)
        responses.append(pages[1].goto(url, wait_until="commit"))
        replicas = [r.headers.get(HEADER) for r in responses]
        for page, ctx, replica in zip(pages, contexts, replicas):
            _wait_idle(page)
            assert replica in ("r1", "r2"), replicas
            assert _replica_of(ctx) == replica       # the cookie names the same replica
        assert replicas[0] != replicas[1], f"both browsers on {replicas[0]}"

        phases["two pages loaded"] = time.monotonic() - t0
        # sticky: each browser's next requests (with its cookie) reach its replica
        for ctx, replica in zip(contexts, replicas):
            for _ in range(3):
                assert ctx.request.get(f"{base}/_stcore/health").headers.get(HEADER) == replica

        phases["stickiness checked"] = time.monotonic() - t0
        assert _epoch(pages[0]) == 0 and _epoch(pages[1]) == 0
        # the button whose text holds "Train" (its icon and wording may change); a CSS
        # query, as an accessibility-tree query is slow on a page full of charts
        for page in pages:
            page.locator("button", has_text=re.compile(r"Train\b")).first.click()
        deadline = time.monotonic() + 45
        for page in pages:
            _wait_epoch_above(page, 4, max(1.0, deadline - time.monotonic()))
        phases["Train pressed, epochs counted"] = time.monotonic() - t0
        first = [_epoch(p) for p in pages]
        if min(first) < 5:
            _screenshots(pages)
        assert min(first) >= 5, f"epochs after pressing Train: {first} (screenshots in {ARTIFACTS})"
        for page, e in zip(pages, first):                  # both go on training
            _wait_epoch_above(page, e, 30)
        later = [_epoch(p) for p in pages]
        assert all(b > a for a, b in zip(first, later)), (first, later)
        phases["both trained"] = time.monotonic() - t0
        for page in pages:
            assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        for ctx in contexts:
            ctx.close()
        if serve.poll() is None:
            serve.send_signal(signal.SIGTERM)
        try:
            code = serve.wait(30)
        except subprocess.TimeoutExpired:
            serve.kill()
            code = serve.wait(5)
        out = output.finish()
        # what serve.py started must be gone (if not, end it here and fail below)
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = [(p, _cmdline(p)) for p in children if _alive(p)]
        for p, _ in left:
            os.kill(p, signal.SIGKILL)
    assert code == 0, out
    assert not left, f"left running after serve.py stopped: {left}"
    assert "stopped" in out
    phases["all stopped"] = time.monotonic() - t0
    print("seconds since start:", {k: round(v, 1) for k, v in phases.items()})
