"""The app's plumbing: why a run stops, live charts, uploads."""
import time

import numpy as np

from explorer import MLP, Trainer, limits
from explorer.app import charts, live


def _trainer():
    X = np.random.default_rng(0).standard_normal((20, 2))
    return Trainer(MLP([2, 4, 2], seed=0), X, (X[:, 0] > 0).astype(int))


def test_a_run_stops_at_its_epoch_cap_its_time_cap_or_divergence():
    t = _trainer()
    now = time.monotonic()
    assert live.stop_reason(t, 0, now, 10, 60) is None
    t.run(10)
    kind, text = live.stop_reason(t, 0, now, 10, 60)
    assert kind == "info" and "10 epochs" in text
    kind, text = live.stop_reason(t, 10, now - limits.MAX_SECONDS_PER_RUN, 10,
                                 limits.MAX_SECONDS_PER_RUN)
    assert kind == "info" and f"{limits.MAX_SECONDS_PER_RUN} seconds" in text
    X = np.random.default_rng(1).standard_normal((50, 2)) * 3
    bad = Trainer(MLP([2, 8, 2], seed=0), X, (X[:, 0] > 0).astype(int), optimizer="sgd",
                  lr=50.0, batch_size=5)
    bad.run(10)
    kind, text = live.stop_reason(bad, 0, now, 10, 60)
    # the message is the advice: what happened, and only what would help (as plain text)
    assert kind == "error" and "diverged" in text and "learning rate" in text


def test_live_charts_are_static_and_paused_ones_interactive():
    assert charts.chart_config(3) == {"staticPlot": True}
    assert charts.chart_config(0) is None


def test_a_chart_redrawn_unchanged_in_one_live_run_does_not_collide():
    from streamlit.testing.v1 import AppTest

    def app():
        import streamlit as st
        from explorer.app import charts, figures as F
        ph = st.empty()
        fig = F.confusion_figure([[3, 1], [0, 4]])
        for frame in (1, 2, 3):                      # the same chart three frames running
            charts.plot(ph, fig, frame)
        st.write("done")

    at = AppTest.from_function(app).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.markdown[-1].value == "done"


def test_uploads_of_sessions_that_are_gone_are_freed(monkeypatch):
    """Streamlit never frees a closed tab's uploads (issue #12506): any run sweeps them."""
    import streamlit.runtime as rt_mod
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.runtime.uploaded_file_manager import UploadedFileRec

    from explorer.app import server
    mgr = MemoryUploadedFileManager("/upload")
    for sid in ("alive", "gone"):
        mgr.add_file(sid, UploadedFileRec(f"{sid}-1", "x.csv", "text/csv", b"x" * 1000))

    class FakeRuntime:
        uploaded_file_mgr = mgr

        @staticmethod
        def exists():
            return True

        @staticmethod
        def instance():
            return FakeRuntime

        @staticmethod
        def is_active_session(sid):
            return sid == "alive"
    monkeypatch.setattr(rt_mod, "Runtime", FakeRuntime)
    assert server.sweep_uploads() == 1
    assert mgr.get_files("alive", ["alive-1"]) and not mgr.get_files("gone", ["gone-1"])
