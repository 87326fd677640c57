"""Smoke test of the load path (``bench/load.py``): three sessions train 5 s at once on
one server through Streamlit's own websocket protocol, as browser tabs would. Every
session loads the page, trains (network-view frames arrive) and pauses, and each sees
only its own run (every frame's weights equal an offline replay of its own link).

The full benchmark (30 sessions, 20 s, memory, replicas) is ``python bench/load.py``;
it is not part of the test run.
"""
import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.timeout(150)       # ~20 s on an idle 2-core machine
def test_three_sessions_train_pause_and_see_only_their_own_run():
    run = subprocess.run(
        [sys.executable, os.path.join(ROOT, "bench", "load.py"), "--sessions", "3",
         "--seconds", "5", "--no-memory", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=140, check=False)
    assert run.stdout.strip(), run.stderr[-3000:]
    res = json.loads(run.stdout)
    assert res["sessions_ok"] == 3, (res["errors"], res["no_trained_frame"])
    assert res["isolation_ok"], res["isolation"]
    assert res["isolation"]["frames"] >= 3 and res["isolation"]["numbers"] >= 3, res["isolation"]
    assert res["server_log_tracebacks"] == 0, res.get("server_log_first_traceback")
