"""Train and Pause through Streamlit's own protocol, where a browser's timing can be
played exactly: a Pause pressed just as the run stopped by itself (its epoch cap)
must not start it again. With one button that toggled, it did (the click reached
the server after the run had ended and turned Train back on)."""
import asyncio
import concurrent.futures
import time

import pytest
import websockets

from bench.load import Session, Target

from .server import running_app

pytestmark = pytest.mark.e2e


async def _stale_pause(base):
    s = Session(0, None, 7, Target(base), seconds=0, link="epochs=3")
    async with websockets.connect(s.target.ws, subprotocols=["streamlit"], max_size=None,
                                  open_timeout=60, ping_interval=None) as ws:
        await ws.send(s._rerun())
        assert await s._read_until(ws, time.monotonic() + 60,
                                   lambda: s.finished >= 1 and s.train_id)
        if s.tell_drawn:                       # as the browser: the first picture is drawn
            n = s.finished
            await ws.send(s._drawn())
            assert await s._read_until(ws, time.monotonic() + 60, lambda: s.finished > n)
        n, seen = s.finished, len(s.buttons)
        s._training = s._recording = True      # record its frames and numbers from now on
        await ws.send(s._rerun(s.train_id))    # Train: three epochs, then it stops itself
        assert await s._read_until(ws, time.monotonic() + 60, lambda: any(
            "Pause" in label for _, _, label in s.buttons[seen:]))
        pause = next(i for _, i, label in s.buttons[seen:] if "Pause" in label)
        assert await s._read_until(ws, time.monotonic() + 60, lambda: s.finished > n and
                                   "Train" in s.train_label)
        n, seen, shown = s.finished, len(s.buttons), len(s.numbers)
        s._recording = True                    # every numbers line from now on
        await ws.send(s._rerun(pause))         # the Pause pressed as the run ended
        assert await s._read_until(ws, time.monotonic() + 30, lambda: s.finished > n)
        await s._read_until(ws, time.monotonic() + 2)       # a new run would show by now
        return s, seen, shown


@pytest.mark.timeout(120)
def test_a_pause_pressed_as_the_run_stops_by_itself_does_not_start_it_again():
    with running_app() as base:
        # in a thread of its own: Playwright's sync API keeps an event loop running in
        # this one once another browser test has used it
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            s, seen, shown = pool.submit(lambda: asyncio.run(_stale_pause(base))).result()
    assert s.buttons[seen:] and all("Train" in label for _, _, label in s.buttons[seen:]), \
        s.buttons[seen:]                        # no Pause: no new run
    assert {epoch for _, epoch, _ in s.numbers[shown:]} <= {3}, s.numbers[shown:]
    assert not s.errors, s.errors
