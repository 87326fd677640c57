"""One AppTest per page: the pages render, train, take every control, round-trip a
link, and refuse bad input with a message while keeping what was there."""
import contextlib
import io
import json
import re
import threading
import time
import zipfile

import numpy as np
import pytest
import streamlit as st
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.testing.v1 import AppTest
from streamlit.runtime.uploaded_file_manager import UploadedFileRec

from explorer import limits, params as P
from explorer.app import live, server
from explorer.app.inspector import _tex
from explorer.app.server import UPLOAD_BYTES_PER_SESSION, bound_uploads, browser_token
from explorer.nn.weights_io import save_weights

from .helpers import CLASSIFIER_PAGE, GOOD_CSV, ROOT, TIMEOUT, no_errors, page, shown, upload_csv

NUMBERS = re.compile(r"Epoch (?P<Epoch>\d+(?: of \d+)?) · loss (?P<loss>[\d.]+) · "
                     r"train (?P<train>\d+)% · test (?P<test>\d+)%")


def metric(at, label):
    """A number the page shows: a metric, or a part of the Classifier's line of numbers."""
    for m in at.metric:
        if m.label.startswith(label):
            return m.value
    line = next(m.value for m in at.markdown if NUMBERS.search(m.value))
    key = {"Train loss": "loss", "Train accuracy": "train", "Test accuracy": "test"}.get(label, label)
    return NUMBERS.search(line)[key]


def clf_lab(at):
    return at.session_state["page.classifier"].lab


# --- every page renders with its defaults -------------------------------------------
@pytest.mark.parametrize("path", ["app.py", "pages/1_Classifier.py", "pages/2_Autoencoder.py",
                                  "pages/3_Backprop_math.py"])
def test_each_page_renders_its_defaults_without_exception(path):
    at = page(path)
    assert no_errors(at) and not at.error
    assert at.title, "every page has a title"


def test_home_ignores_a_link_with_parameters():
    at = page("app.py", data="spirals", seed=3)
    assert no_errors(at) and not at.error


# --- classifier -----------------------------------------------------------------------
def test_classifier_step_trains_one_epoch_and_lowers_the_loss():
    at = page("pages/1_Classifier.py", data="moons", seed=1)
    loss0 = float(metric(at, "Train loss"))
    for _ in range(5):
        at.button(key="classifier.btn_step").click().run()
    assert metric(at, "Epoch") == "5"
    assert float(metric(at, "Train loss")) < loss0
    assert no_errors(at)


def test_classifier_train_runs_to_the_epoch_cap_then_pauses_with_a_note():
    at = page("pages/1_Classifier.py", epochs=30, data="xor")
    at.button(key="classifier.btn_train").click().run()
    assert no_errors(at)
    assert clf_lab(at).epoch == 30
    assert not at.session_state["page.classifier"].running
    assert any("Paused after 30 epochs" in i.value for i in at.info)
    assert at.button(key="classifier.btn_train").label.endswith("Train")


def test_the_first_screen_comes_first_and_the_rest_follows():
    at = page("pages/1_Classifier.py", first_look=True, n=99999)
    # the first run of a visit: title, buttons, numbers and the network view (asking
    # to hear when it is drawn); no control, no chart yet. A link's note is there
    view = json.loads(next(e.proto.bytes for e in at.main if type(e.proto).__name__ ==
                           "BidiComponent"))
    assert view["tell_drawn"] is True and not at.get("plotly_chart")
    assert not at.sidebar.slider and not at.sidebar.selectbox and not at.main.selectbox
    assert [b.key for b in at.button] == ["classifier.btn_train", "classifier.btn_step",
                                          "classifier.btn_reset"]
    assert any(NUMBERS.search(m.value) for m in at.markdown)
    assert any("this link were changed" in w.value for w in at.warning)
    at.run()                   # what the view's "drawn" (or any control) starts
    view = json.loads(next(e.proto.bytes for e in at.main if type(e.proto).__name__ ==
                           "BidiComponent"))
    assert view["tell_drawn"] is False and len(at.get("plotly_chart")) >= 5
    assert at.sidebar.slider and at.slider(key="w.classifier.n").value == 2000
    # the link's note stays on the screen through the run the view starts
    assert any("this link were changed" in w.value for w in at.warning)
    at.run()
    assert not any("this link were changed" in w.value for w in at.warning)
    assert no_errors(at)


def test_training_changes_the_charts():
    at = page("pages/1_Classifier.py")
    before = [c.proto.spec for c in at.get("plotly_chart")]
    at.button(key="classifier.btn_step").click().run()
    after = [c.proto.spec for c in at.get("plotly_chart")]
    assert len(before) == len(after) >= 5
    assert sum(a != b for a, b in zip(before, after)) >= 4


def _panel(at, selected):
    at.session_state["page.classifier"].selected = selected
    at.run()
    assert no_errors(at)
    return " ".join(shown(m.value) for m in at.markdown), len(at.get("plotly_chart"))


@pytest.mark.parametrize("key, value, selected", [
    ("h2", 1, ("unit", 2, 15)),                  # unit 16 of layer 2, then layer 2 has 1
    ("layers", 1, ("edge", 2, 15, 3)),
    ("classes", 2, ("unit", 3, 2)),              # the output unit of class 2
])
def test_a_selection_the_network_no_longer_has_is_dropped_and_train_still_works(
        key, value, selected):
    at = page(CLASSIFIER_PAGE, epochs=5)
    _panel(at, selected)
    widget = next(w for w in at.sidebar if getattr(w, "key", None) == f"w.classifier.{key}")
    widget.set_value(value).run()
    assert no_errors(at) and at.session_state["page.classifier"].selected is None
    at.button(key="classifier.btn_train").click().run()
    assert no_errors(at) and clf_lab(at).epoch == 5


def test_walking_one_batch_pauses_training_and_the_button_says_train_which_ends_the_walk():
    at = page(CLASSIFIER_PAGE, epochs=5)
    at.session_state["page.classifier"].running = True          # as while a run is live
    at.toggle(key="w.classifier.walk").set_value(True).run()
    assert no_errors(at) and not at.session_state["page.classifier"].running
    assert at.button(key="classifier.btn_train").label.endswith("Train")
    assert at.button(key="walk.next")                            # the walk is shown
    at.button(key="classifier.btn_train").click().run()
    assert no_errors(at) and at.toggle(key="w.classifier.walk").value is False
    assert clf_lab(at).epoch == 5                                # and Train trained


def test_after_a_blow_up_the_lessons_next_step_and_a_new_rate_train_from_fresh_weights():
    at = page(CLASSIFIER_PAGE)
    at.selectbox(key="w.classifier.lesson").set_value("learning_rate").run()
    at.button(key="classifier.btn_train").click().run()          # lr 10: blows up at once
    ps = at.session_state["page.classifier"]
    assert ps.lab.trainer.diverged is not None and at.error
    at.button(key="classifier.lesson.then1").click().run()       # "too small: 0.00001"
    at.slider(key="w.classifier.epochs").set_value(5).run()
    at.button(key="classifier.btn_train").click().run()
    ps = at.session_state["page.classifier"]
    assert no_errors(at) and ps.values.lr == 1e-5
    assert ps.lab.trainer.diverged is None and ps.lab.epoch == 5 and not at.error
    # straight after a blow-up, a changed control starts afresh too, and says so
    at.button(key="classifier.lesson.again").click().run()
    at.slider(key="w.classifier.epochs").set_value(5).run()
    at.button(key="classifier.btn_train").click().run()
    assert at.session_state["page.classifier"].lab.trainer.diverged is not None
    at.select_slider(key="w.classifier.lr").set_value(0.1).run()
    assert any("start again from fresh weights" in i.value for i in at.info)
    at.button(key="classifier.btn_train").click().run()
    ps = at.session_state["page.classifier"]
    assert ps.lab.trainer.diverged is None and ps.lab.epoch == 5 and not at.error


def test_a_clicked_unit_gets_its_map_its_weights_and_its_batch_and_says_if_it_is_dead():
    at = page(CLASSIFIER_PAGE)
    _, charts = _panel(at, None)
    text, with_unit = _panel(at, ("unit", 1, 0))
    assert "Unit 1 of hidden layer 1" in text and "of the training points" in text
    assert "dead" not in text
    assert with_unit == charts + 3           # its map, its weights and dL/dw, its z and delta
    text, _ = _panel(at, ("unit", 3, 2))
    assert "Output unit 3" in text and "class 2" in text
    # a unit off for every training point is dead, as the diagram's cross says
    lab = clf_lab(at)
    lab.net.params["b1"][3] = -1e3
    text, _ = _panel(at, ("unit", 1, 3))
    assert "dead: off for every training point" in text
    text, _ = _panel(at, ("edge", 2, 1, 4))
    assert "The weight from unit 5 of hidden layer 1 to unit 2 of hidden layer 2" in text


def test_playback_slider_redraws_an_earlier_epoch():
    at = page("pages/1_Classifier.py", epochs=6)
    at.button(key="classifier.btn_train").click().run()
    slider = at.select_slider(key="w.classifier.play")
    assert slider.options[0] == "0" and slider.options[-1] == "6"
    at = slider.set_value(0).run()
    assert metric(at, "Epoch") == "0 of 6"
    assert no_errors(at)


def test_every_classifier_control_can_be_changed():
    at = page("pages/1_Classifier.py")
    changes = {"data": "spirals", "classes": 4, "n": 200, "noise": 0.3, "test": 0.4, "seed": 7,
               "layers": 3, "h1": 8, "h2": 12, "h3": 5, "init": "xavier", "opt": "momentum",
               "lr": 0.1, "bs": 64, "l1": 0.001, "l2": 0.01, "clip": 1.0, "epochs": 50,
               "speed": "slow", "show_test": False, "discrete": True, "res": 60,
               "act": "tanh", "x1sq": True, "x1x2": True, "big": True}
    assert set(changes) | {"h4", "x2sq", "sinx1", "sinx2", "x1", "x2", "edges", "fork"} >= set(P.CLASSIFIER)
    for key, value in changes.items():
        at = _set(at, f"w.classifier.{key}", value).run()
        assert no_errors(at), key
    assert at.session_state["page.classifier"].values == P.ClassifierSettings(**changes)
    lab = clf_lab(at)
    assert lab.net.sizes == [4, 8, 12, 5, 4] and lab.net.activation == "tanh"
    assert lab.features == ("x1", "x2", "x1sq", "x1x2") and lab.trainer.l1 == 0.001
    at.button(key="classifier.btn_step").click().run()
    assert no_errors(at)


@pytest.mark.parametrize("act", ["relu", "leaky_relu", "tanh", "sigmoid", "linear"])
def test_every_activation_trains_on_the_classifier_and_the_math_page_follows(act):
    at = page("pages/1_Classifier.py", act=act, sinx1=1)
    at.button(key="classifier.btn_step").click().run()
    assert no_errors(at) and not at.error
    assert clf_lab(at).epoch == 1 and clf_lab(at).net.activation == act
    at.switch_page("pages/3_Backprop_math.py").run()
    assert no_errors(at)
    assert not any("FAIL" in str(v) for v in at.dataframe[0].value["result"])


def _set(at, key, value):
    for kind in ("selectbox", "slider", "select_slider", "toggle", "number_input"):
        for w in getattr(at, kind):
            if w.key == key:
                w.set_value(value)
                return at
    raise AssertionError(f"no widget {key}")


def test_classifier_link_round_trips_every_control():
    vals = P.ClassifierSettings(data="blobs", classes=5, seed=42, lr=0.003, layers=1,
                h1=20, opt="sgd", show_test=False)
    at = page("pages/1_Classifier.py", **vals.to_query())
    assert no_errors(at) and not at.warning
    assert at.session_state["page.classifier"].values == vals
    assert dict(at.query_params) == vals.to_query()   # the address bar
    # same link, same seed: the same network
    again = page("pages/1_Classifier.py", **vals.to_query())
    a, b = clf_lab(at).net.params, clf_lab(again).net.params
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_bad_link_values_are_clamped_with_a_visible_note():
    at = page("pages/1_Classifier.py", n=99999, lr="lots", layers=-3, evil="1", data="mnist")
    assert no_errors(at)
    note = shown(at.warning[0].value)
    for part in ("n=99999", "lr='lots'", "layers=-3", "unknown parameter 'evil'", "data='mnist'"):
        assert part in note
    vals = at.session_state["page.classifier"].values
    assert vals.n == 2000 and vals.lr == 0.01 and vals.layers == 1
    assert vals.data == P.ClassifierSettings().data


def test_divergence_stops_at_the_first_bad_step_and_the_page_keeps_working():
    at = page("pages/1_Classifier.py", data="spirals", opt="adam", lr=10, epochs=200)
    at.button(key="classifier.btn_train").click().run()
    assert no_errors(at)
    msg = at.error[0].value
    assert "diverged" in msg and "learning rate" in msg
    lab = clf_lab(at)
    assert lab.trainer.diverged is not None and lab.epoch < 200
    assert lab.trainer.diverged.step <= 5
    assert all(np.isfinite(p).all() for p in lab.net.params.values())
    at = _set(at, "w.classifier.lr", 0.01).run()           # a new lr rebuilds nothing...
    at.button(key="classifier.btn_reset").click().run()    # ...Reset starts afresh
    at.button(key="classifier.btn_step").click().run()
    assert no_errors(at) and clf_lab(at).epoch == 1 and clf_lab(at).trainer.diverged is None


def test_uploaded_csv_becomes_the_dataset():
    at = page("pages/1_Classifier.py", data="csv")
    at = upload_csv(at, GOOD_CSV.encode())
    assert no_errors(at) and not at.error
    lab = clf_lab(at)
    assert lab.ds.n_classes == 2 and len(lab.ds.X_train) + len(lab.ds.X_test) == 60
    assert lab.class_names == ["a", "b"]
    # one road: the dataset made when the file was read is the one the network trains on
    assert lab.ds is at.session_state["page.classifier"].csv.ds
    at.sidebar.slider(key="w.classifier.test").set_value(0.5).run()    # another split
    assert no_errors(at) and clf_lab(at).ds is not lab.ds and len(clf_lab(at).ds.y_test) == 30


@pytest.mark.parametrize("content,expect", [
    (b"\xff\xfe\x00bad", "UTF-8"),
    (b"a,b,c\n1,2,0\n", "x1,x2,label"),
    ("x1,x2,label\n" + "1,2,0\n" * 30 + "one,2,1\n" + "1,2,1\n" * 30, "line 32"),
    ("x1,x2,label\n" + "nan,2,0\n" * 40, "NaN"),
    ("x1,x2,label\n" + "1,2,0\n" * 40, "class"),
    (b"x" * 1_000_001, "limit is 1,000,000 bytes"),
], ids=["not-utf8", "no-header", "not-a-number", "nan", "one-class", "too-big"])
def test_bad_csv_is_refused_with_a_message_and_the_previous_data_stays(content, expect):
    at = page("pages/1_Classifier.py", data="csv")
    at = upload_csv(at, GOOD_CSV.encode())
    at.button(key="classifier.btn_step").click().run()
    lab_before = clf_lab(at)
    w_before = lab_before.net.params["W1"].copy()
    at = upload_csv(at, content.encode() if isinstance(content, str) else content, "bad.csv")
    assert no_errors(at)
    assert expect.lower() in shown(at.error[0].value).lower(), at.error[0].value
    assert clf_lab(at) is lab_before and lab_before.epoch == 1      # nothing was lost
    assert np.array_equal(clf_lab(at).net.params["W1"], w_before)


def test_weights_download_and_upload_round_trip():
    at = page("pages/1_Classifier.py", data="moons", seed=3)
    for _ in range(3):
        at.button(key="classifier.btn_step").click().run()
    trained = {k: v.copy() for k, v in clf_lab(at).net.params.items()}
    blob = save_weights(trained, {"page": "classifier"})
    at.button(key="classifier.btn_reset").click().run()
    assert not np.array_equal(clf_lab(at).net.params["W1"], trained["W1"]) or clf_lab(at).epoch == 0
    at.file_uploader(key="w.classifier.npz").set_value(("w.npz", blob, "application/octet-stream"))
    at.run()
    assert no_errors(at) and at.success
    assert all(np.array_equal(clf_lab(at).net.params[k], trained[k]) for k in trained)
    # the numbers on the page are those of the loaded weights
    assert metric(at, "Epoch") == "0"
    assert np.isclose(float(metric(at, "Train loss")), clf_lab(at).trainer.history["train_loss"][-1],
                      atol=5e-4)
    assert clf_lab(at).trainer.history["train_loss"][0] < 0.6


def _pickled_npz():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        arr = io.BytesIO()
        np.save(arr, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
        z.writestr("W1.npy", arr.getvalue())
    return buf.getvalue()


@pytest.mark.parametrize("blob,expect", [
    (_pickled_npz(), "pickle"),
    (save_weights({"W1": np.zeros((3, 3))}), "W1"),
    (b"not a zip at all", "zip"),
], ids=["pickled", "wrong-names", "not-a-zip"])
def test_bad_weights_are_refused_and_the_network_is_unchanged(blob, expect):
    at = page("pages/1_Classifier.py")
    before = {k: v.copy() for k, v in clf_lab(at).net.params.items()}
    at.file_uploader(key="w.classifier.npz").set_value(("w.npz", blob, "application/octet-stream"))
    at.run()
    assert no_errors(at)
    assert expect.lower() in shown(at.error[0].value).lower(), at.error[0].value
    assert all(np.array_equal(clf_lab(at).net.params[k], before[k]) for k in before)


def test_config_upload_applies_a_configuration_through_the_same_checks_as_a_link():
    at = page("pages/1_Classifier.py")
    cfg = b'{"data": "circles", "seed": 9, "lr": 500, "h1": 4}'
    at.file_uploader(key="w.classifier.json").set_value(("c.json", cfg, "application/json"))
    at.run()
    at.run()
    assert no_errors(at)
    vals = at.session_state["page.classifier"].values
    assert vals.data == "circles" and vals.seed == 9 and vals.h1 == 4
    assert vals.lr == 10.0                                  # clamped, and said so
    assert "lr=500" in shown(at.success[0].value)


# --- autoencoder ------------------------------------------------------------------
def test_autoencoder_trains_and_its_loss_falls():
    at = page("pages/2_Autoencoder.py", epochs=8, seed=2)
    loss0 = float(metric(at, "Test loss"))
    at.button(key="autoencoder.btn_train").click().run()
    assert no_errors(at)
    assert metric(at, "Epoch") == "8"
    assert float(metric(at, "Test loss")) < loss0


def test_every_autoencoder_control_can_be_changed_and_links_round_trip():
    at = page("pages/2_Autoencoder.py")
    changes = {"hidden": 16, "opt": "sgd", "lr": 0.1, "bs": 128, "l2": 0.001, "epochs": 20,
               "speed": "fast", "seed": 5, "noise": 0.2}
    for key, value in changes.items():
        at = _set(at, f"w.autoencoder.{key}", value).run()
        assert no_errors(at), key
    vals = P.AutoencoderSettings(**changes)
    assert at.session_state["page.autoencoder"].values == vals
    again = page("pages/2_Autoencoder.py", **vals.to_query())
    assert again.session_state["page.autoencoder"].values == vals
    at.button(key="autoencoder.btn_step").click().run()
    assert no_errors(at) and metric(at, "Epoch") == "1"


def test_autoencoder_weights_and_configuration_can_be_loaded():
    at = page("pages/2_Autoencoder.py")
    at.file_uploader(key="w.autoencoder.json").set_value(
        ("c.json", b'{"hidden": 8, "lr": 0.003, "page": "autoencoder"}', "application/json"))
    at.run()
    at.run()
    assert no_errors(at) and at.session_state["page.autoencoder"].values.hidden == 8
    lab = at.session_state["page.autoencoder"].lab
    assert lab.net.sizes == [64, 8, 64]
    trained = {k: v + 0.5 for k, v in lab.net.params.items()}
    at.file_uploader(key="w.autoencoder.npz").set_value(
        ("w.npz", save_weights(trained), "application/octet-stream"))
    at.run()
    assert no_errors(at) and at.success
    assert np.allclose(at.session_state["page.autoencoder"].lab.net.params["W1"], trained["W1"])


# --- backprop math ----------------------------------------------------------------
def test_math_page_shows_a_passing_gradient_check_for_the_current_network():
    at = page("pages/3_Backprop_math.py")
    assert no_errors(at)
    table = at.dataframe[0].value
    assert list(table["array"]) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert (table["result"] == "pass").all()
    assert len(at.latex) >= 10


@pytest.mark.parametrize("key", ["one_over_n", "dW2_h2", "W3_twice", "masks_in_front",
                                 "summed_dxhat"])
def test_math_page_shows_each_mistake_failing_the_check(key):
    at = page("pages/3_Backprop_math.py", mistake=key)
    assert no_errors(at)
    assert any("gradient check fails" in w.value for w in at.warning)


def test_math_page_autoencoder_derivation():
    at = page("pages/3_Backprop_math.py", net="autoencoder", n=3)
    assert no_errors(at)
    table = at.dataframe[0].value
    assert list(table["array"]) == ["W1", "b1", "W2", "b2"]


def test_autoencoder_step_that_diverges_says_so():
    at = page("pages/2_Autoencoder.py", opt="momentum", lr=10)
    at.button(key="autoencoder.btn_step").click().run()
    assert no_errors(at)
    assert "diverged" in at.error[0].value


@pytest.mark.parametrize("path,key", [("pages/1_Classifier.py", "w.classifier.inst.on"),
                                      ("pages/2_Autoencoder.py", "w.autoencoder.inst.on")])
def test_the_instruments_open_on_each_page_without_error(path, key):
    at = page(path)
    assert not any("Instruments" in s.value for s in at.subheader)    # nothing computed yet
    at.toggle(key=key).set_value(True).run()
    assert no_errors(at) and any("Instruments" in s.value for s in at.subheader)


def test_a_clients_clear_cache_starts_no_thread_and_keeps_the_shared_turn():
    # Streamlit answers a client's "clear cache" message (a menu item, or a few lines of
    # client code) with st.cache_data.clear() and st.cache_resource.clear(): once a
    # process, what the server set up must stay once (each clear had started one more
    # never-ending memory-trimming thread and a second turnstile for live runs)
    at = page(CLASSIFIER_PAGE)
    runs = live._engine()

    def trimmers():
        return sum(t.name == "malloc-trim" for t in threading.enumerate())
    assert trimmers() == 1
    for _ in range(5):
        st.cache_data.clear()
        st.cache_resource.clear()
        at.run()
    assert no_errors(at) and trimmers() == 1 and live._engine() is runs


def test_a_sessions_uploads_are_bounded_oldest_dropped_first_and_other_sessions_untouched():
    # 40 PUTs of 2 MB to /_stcore/upload_file/<own session>/<any id> held 62 MB until the
    # tab closed; a session now keeps its newest files within UPLOAD_BYTES_PER_SESSION
    mgr = bound_uploads(MemoryUploadedFileManager("/_stcore/upload_file"))
    assert bound_uploads(mgr) is mgr                       # once, however often called
    two_mb = b"x" * 2_000_000
    mgr.add_file("other", UploadedFileRec("keep", "a.csv", "text/csv", b"1,2,0\n"))
    for i in range(40):
        mgr.add_file("s", UploadedFileRec(f"f{i}", "w.npz", "application/octet-stream", two_mb))
    held = mgr.file_storage["s"]
    assert sum(len(f.data) for f in held.values()) <= UPLOAD_BYTES_PER_SESSION
    assert list(held) == ["f38", "f39"]                    # the newest stay
    assert mgr.get_files("other", ["keep"])[0].data == b"1,2,0\n"


def test_batch_size_and_seed_are_typed_and_the_caption_names_no_other_dataset():
    # sliders over 1-2,000 and 0-1,000,000 could not land on 32 with a mouse; on moons
    # the caption said "the spirals take about 10 seconds"
    at = page(CLASSIFIER_PAGE, data="moons")
    at.number_input(key="w.classifier.bs").set_value(33).run()
    at.number_input(key="w.classifier.seed").set_value(7).run()
    vals = at.session_state["page.classifier"].values
    assert no_errors(at) and (vals.bs, vals.seed) == (33, 7)
    assert not any("spirals" in c.value for c in at.caption)
    for path, key in (("pages/2_Autoencoder.py", "w.autoencoder.bs"),
                      ("pages/3_Backprop_math.py", "w.math.seed")):
        assert page(path).number_input(key=key)


def test_numbers_in_a_panels_formulas_are_written_as_powers_of_ten():
    # on a phone the edge formula read "2.44e − 04": TeX sets e-notation's minus as an
    # operator between two numbers
    assert _tex(2.44e-4) == r"2.44 \times 10^{-4}" and _tex(0.5) == "0.5"
    assert _tex(-1234.0) == r"-1.23 \times 10^{3}"
    at = page(CLASSIFIER_PAGE)
    clf_lab(at).net.params["W2"][1, 4] = 3e-5        # small numbers in the sum
    _panel(at, ("edge", 2, 1, 4))
    formulas = " ".join(x.value for x in at.latex)
    assert r"\partial w" in formulas and not re.search(r"\de[-+]\d", formulas)


def test_a_browsers_tabs_are_one_client_however_the_cookie_is_masked():
    token = bytes(range(32))

    def cookie(mask):
        return f"2|{mask.hex()}|{bytes(b ^ mask[i % 4] for i, b in enumerate(token)).hex()}|1"
    assert browser_token(cookie(b"\x01\x02\x03\x04")) == browser_token(cookie(b"\xff\x00\xaa\x55")) \
        == token
    assert browser_token(token.hex()) == token                         # version 1
    for junk in (None, "", "2|zz|00|1", "2|00", "not hex", "2||00|1"):
        assert browser_token(junk) is None, junk


def test_config_options_are_read_without_streamlits_lock(monkeypatch):
    # a hundred sessions read an option per message under one RLock; a thread preempted
    # holding it stalled the event loop for up to 0.8 s, and a Pause for 2 to 4 s
    from streamlit import config
    from streamlit.testing.v1.util import patch_config_options
    monkeypatch.setattr(config, "get_option", config.get_option)      # put back after
    monkeypatch.setattr(config, "get_options_for_section", config.get_options_for_section)
    locked_option, locked_section = config.get_option, config.get_options_for_section
    keys = list(config.get_config_options())
    with patch_config_options({"global.appTest": True}):   # a test's own stand-in stays
        assert not server._config_read_freely()
        assert config.get_option("global.appTest") is True
    assert server._config_read_freely() and server._config_read_freely()   # once
    assert config.get_option is not locked_option
    assert [config.get_option(k) for k in keys] == [locked_option(k) for k in keys]
    for section in ("theme", "theme.sidebar", "server", "client", "nonesuch"):
        assert config.get_options_for_section(section) == locked_section(section)
    with pytest.raises(RuntimeError, match="not defined"):
        config.get_option("no.suchOption")
    held, got = threading.Event(), []

    def hold():                     # another thread holds the lock (a writer, a preempted reader)
        with config._config_lock:
            held.set()
            time.sleep(1.0)
    threading.Thread(target=hold).start()
    held.wait(5)
    t0 = time.monotonic()
    got.append(config.get_option("global.minCachedMessageSize"))
    config.get_options_for_section("theme")
    assert time.monotonic() - t0 < 0.5 and got == [locked_option("global.minCachedMessageSize")]


def test_a_message_enqueued_on_the_event_loop_wakes_it_without_a_system_call():
    # each message woke the loop through its own pipe: a system call that gave up the
    # interpreter lock, which a hundred other threads then held before the loop got it
    import asyncio
    from types import SimpleNamespace
    writes = []

    async def scenario():
        loop = asyncio.get_running_loop()
        real = loop.call_soon_threadsafe
        loop.call_soon_threadsafe = lambda f, *a: (writes.append(f), real(f, *a))[1]
        objs = SimpleNamespace(eventloop=loop, need_send_data=asyncio.Event())
        runtime = SimpleNamespace(_get_async_objs=lambda: objs)
        manager = SimpleNamespace(
            _message_enqueued_callback=lambda: loop.call_soon_threadsafe(objs.need_send_data.set))
        runtime._session_mgr = manager
        enqueued = server._no_wakeup_from_the_loop_itself.__wrapped__(runtime)
        assert manager._message_enqueued_callback is enqueued      # what new sessions get
        enqueued()                                           # on the loop's own thread
        assert objs.need_send_data.is_set() and objs.need_send_data.set not in writes
        objs.need_send_data.clear()
        await asyncio.to_thread(enqueued)                    # from a script's thread
        await asyncio.sleep(0)
        assert objs.need_send_data.is_set() and objs.need_send_data.set in writes
    failed = []       # a thread of its own: a browser test may leave this one's loop running
    worker = threading.Thread(
        target=lambda: failed.extend(_raised(lambda: asyncio.run(scenario()))))
    worker.start()
    worker.join(30)
    assert not worker.is_alive() and not failed, failed


def _raised(f):
    """[] if ``f()`` returns, else [the exception it raised]."""
    try:
        f()
        return []
    except Exception as exc:      # noqa: BLE001
        return [exc]


def test_the_event_loops_lag_is_known_while_it_is_behind_and_after():
    import asyncio
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    try:
        lag = server.LoopLag(loop, every=0.01)
        time.sleep(0.2)
        assert lag() < 0.1
        loop.call_soon_threadsafe(time.sleep, 0.8)        # the loop busy for 0.8 s
        time.sleep(0.5)
        assert lag() >= 0.3                                # known before the probe is back
        time.sleep(0.8)
        assert lag() < 0.1                                 # caught up
    finally:
        loop.call_soon_threadsafe(loop.stop)


def test_a_live_run_sends_no_frame_while_the_event_loop_is_behind(monkeypatch):
    # a hundred students: the loop fell seconds behind, and a Pause's answer waited in
    # line behind frames that would come late anyway. Behind, a run trains on, unseen
    def app():
        import numpy as np
        import streamlit as st
        from explorer import MLP, Trainer
        from explorer.app import live
        from explorer.app.state import page_state
        X = np.random.default_rng(0).standard_normal((40, 2))
        if "trainer" not in st.session_state:
            st.session_state.trainer = Trainer(MLP([2, 8, 2], seed=0), X,
                                               (X[:, 0] > 0).astype(int), optimizer="adam",
                                               lr=0.01, batch_size=10)
        trainer = st.session_state.trainer
        ps = page_state("classifier")
        if "drawn" not in st.session_state:
            st.session_state.drawn, st.session_state.charts = [], []
            ps.running = True
        if ps.running:
            live.live_loop("classifier", trainer,
                           [(0, lambda frame, **_: st.session_state.drawn.append(frame)),
                            (0, lambda frame: st.session_state.charts.append(frame))],
                           max_epochs=200)
        st.session_state.epochs = trainer.epoch

    for lag, frames in ((1.0, False), (0.0, True)):
        monkeypatch.setattr(live, "event_loop_lag", lambda lag=lag: lag)
        at = AppTest.from_function(app, default_timeout=TIMEOUT)
        at.session_state["bpx.client"] = f"browser:loop-lag-{lag}"
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.session_state.epochs == 200                        # trained all the same
        assert bool(at.session_state.drawn) == frames
        assert frames or not at.session_state.charts          # no slower chart either


def test_the_rest_of_a_page_waits_while_the_event_loop_catches_up(monkeypatch):
    t0 = time.monotonic()
    monkeypatch.setattr(live, "event_loop_lag", lambda: 1.0 if time.monotonic() - t0 < 0.3 else 0)
    live.catch_up(most=2.0, nap=0.01)
    assert 0.3 <= time.monotonic() - t0 < 1.0          # until the loop caught up
    monkeypatch.setattr(live, "event_loop_lag", lambda: 1.0)
    t0 = time.monotonic()
    live.catch_up(most=0.4, nap=0.01)
    assert 0.4 <= time.monotonic() - t0 < 1.0          # and no longer than its most


def test_a_fifth_tab_of_one_browser_says_so_and_trains_once_another_pauses():
    # twenty tabs of one browser, each training the slowest epochs, took another student
    # from 35 to 0.8 frames a second: a browser trains at most MAX_LIVE_RUNS_PER_BROWSER
    # runs at once (and shares the server as one client: tests/test_engine.py)
    at = page(CLASSIFIER_PAGE, epochs=3)
    at.session_state["bpx.client"] = "browser:many-tabs"
    engine = live._engine()
    with contextlib.ExitStack() as tabs:
        for _ in range(limits.MAX_LIVE_RUNS_PER_BROWSER):
            assert tabs.enter_context(engine.member("browser:many-tabs",
                                                    most=limits.MAX_LIVE_RUNS_PER_BROWSER))
        at.button(key="classifier.btn_train").click().run()
        assert no_errors(at)
        assert any("tabs of this browser are training already" in w.value for w in at.warning)
        ps = at.session_state["page.classifier"]
        assert not ps.running and ps.lab.epoch == 0
    at.button(key="classifier.btn_train").click().run()               # one of them paused
    assert no_errors(at) and at.session_state["page.classifier"].lab.epoch == 3


def _open_as(client, path=CLASSIFIER_PAGE):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.switch_page(path)
    at.session_state["bpx.client"] = client
    return at.run()


def test_a_browser_has_at_most_its_tabs_open_and_a_process_its_sessions(monkeypatch):
    # nothing bounded the sessions a client could open on the plain server (HAProxy's
    # setup bounds connections per address, `streamlit run` nothing)
    monkeypatch.setattr(server, "_is_active", lambda sid: True)
    tabs = {f"tab {i}": "browser:many" for i in range(limits.MAX_TABS_PER_BROWSER)}
    monkeypatch.setattr(server, "_OPEN", dict(tabs))
    at = _open_as("browser:many")
    assert no_errors(at) and "tabs of the explorer open" in at.error[0].value
    assert not at.title                                     # the page stops there
    at = _open_as("browser:another")
    assert no_errors(at) and not at.error and at.title      # another browser gets in
    at.run()
    assert len(server._OPEN) == len(tabs) + 1               # counted once a session
    monkeypatch.setattr(server, "_OPEN", {f"s{i}": f"browser:{i}"
                                          for i in range(limits.MAX_SESSIONS)})
    at = _open_as("browser:late")
    assert "The server is full" in at.error[0].value and not at.title
    monkeypatch.setattr(server, "_is_active", lambda sid: not sid.startswith("s1"))
    at.run()                                                # people left: now it opens
    assert no_errors(at) and not at.error and at.title
