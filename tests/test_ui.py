"""The app's plumbing: why a run stops, live charts, uploads, what it shows."""
import io
import re
import time
import tokenize
from pathlib import Path

import numpy as np
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.uploaded_file_manager import UploadedFileRec

from explorer import MLP, Trainer, limits
from explorer.app import charts, live, server


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
    monkeypatch.setattr(server, "Runtime", FakeRuntime)
    assert server.sweep_uploads() == 1
    assert mgr.get_files("alive", ["alive-1"]) and not mgr.get_files("gone", ["gone-1"])


EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u23E9-\u23FA\uFE0F\u25B6\u25C0\u2B07]")


def test_no_emoji_in_what_the_app_shows_only_material_icons():
    # issue 24: every emoji in titles and buttons was an empty box on a machine without
    # an emoji font (many classroom Linux machines); Streamlit's Material icons come with
    # its own font. Every string the app's code holds (pages, app layer, view, lessons)
    ROOT = Path(__file__).resolve().parents[1]
    files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")),
             *sorted((ROOT / "explorer").rglob("*.py")),
             *sorted((ROOT / "explorer").rglob("*.js"))]
    found = []
    for path in files:
        if path.suffix == ".py":
            tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
            strings = [(t.start[0], t.string) for t in tokens if t.type == tokenize.STRING
                       or t.type == getattr(tokenize, "FSTRING_MIDDLE", -1)]
        else:
            strings = [(i, line) for i, line in enumerate(path.read_text().splitlines(), 1)
                       if not line.strip().startswith("//")]
        found += [f"{path.relative_to(ROOT)}:{n}: {EMOJI.search(s)[0]}" for n, s in strings
                  if EMOJI.search(s)]
    assert not found, found
    for p in server.PAGES:
        assert p.icon.startswith(":material/") and p.icon.endswith(":")
