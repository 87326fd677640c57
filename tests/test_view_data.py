"""The network view's payload (explorer/app/view_data.py): plain JSON, small, and
every array comes back from it within its quantisation error, in the right
orientation; dead units, gradient norms and selections as given; names untouched;
clicks from the browser checked before a page sees them."""
import json
import subprocess
import sys

import numpy as np
import pytest

from explorer import MLP, make_dataset
from explorer.app.view import FRAMES
from explorer.app.view_data import (
    F32_WEIGHTS,
    MAX_PAYLOAD_BYTES,
    decode_f16,
    decode_payload,
    encode_f16,
    network_payload,
    normalize_selected,
    panel_key,
    parse_event,
    payload_bytes,
    suggested_map_res,
)
from explorer.lens.diagnostics import dead_units, plane_bounds

COLORS = ["#0072B2", "#E69F00", "#009E73"]


def build(hidden=(16, 16), res=60, mode="weights", names=("class 0", "class 1"),
          features=("x1", "x2"), **kw):
    """A payload of a real (untrained) classifier on moons, and what it was built from."""
    ds = make_dataset("moons", 300, 0.15, 2, 0.3, seed=0)
    net = MLP([len(features), *hidden, 2], seed=1, dtype=np.float32)
    bounds = plane_bounds(np.vstack([ds.X_train, ds.X_test]))
    _, grads = net.loss_and_grads(np.column_stack([ds.X_train] * (len(features) // 2 + 1))[
        :, :len(features)], ds.y_train)
    args = {"epoch": 7, "bounds": bounds, "X_train": ds.X_train, "y_train": ds.y_train,
            "X_test": ds.X_test, "y_test": ds.y_test, "sizes": net.sizes, "params": net.params,
            "features": features, "activation": net.activation, "res": res, "grads": grads,
            "dead": dead_units(net, np.column_stack([ds.X_train] * (len(features) // 2 + 1))[
                :, :len(features)]),
            "input_names": features, "class_names": list(names),
            "class_colors": COLORS[:2], "mode": mode}
    args.update(kw)
    return network_payload(**args), args


def plain(x):
    """True if ``x`` is made of str, int, float, bool, None, list and dict only."""
    if isinstance(x, dict):
        return all(isinstance(k, str) and plain(v) for k, v in x.items())
    if isinstance(x, list):
        return all(plain(v) for v in x)
    return x is None or type(x) in (str, int, float, bool)


def test_payload_is_plain_json_data():
    p, _ = build(selected=("unit", 1, 2), mode="gradient")
    assert plain(p)
    assert json.loads(json.dumps(p)) == p


def test_a_frame_carries_the_network_not_its_pictures_and_is_small():
    p, a = build(hidden=(16, 16), res=60)
    assert "probs" not in p["plane"] and "units" not in p
    assert p["net"] == {"features": ["x1", "x2"], "act": "relu", "dtype": "f4"}
    assert p["plane"]["res"] == 60 and p["plane"]["map"] == suggested_map_res(p["sizes"]) == 20
    assert payload_bytes(p) < 8_000                   # points included (issue 21: 3 KB without)
    big, _ = build(hidden=(64, 64, 64, 64), features=("x1", "x2", "x1sq", "x2sq", "x1x2",
                                                      "sinx1", "sinx2"))
    assert big["net"]["dtype"] == "f2" and payload_bytes(big) < MAX_PAYLOAD_BYTES
    assert payload_bytes(build(mode="gradient")[0]) < MAX_PAYLOAD_BYTES


def test_unit_map_grid_shrinks_for_big_networks():
    assert suggested_map_res([2, 64, 64, 64, 64, 2]) == 8
    assert suggested_map_res([2, 3, 2]) == 20
    for sizes in ([2, 16, 16, 2], [2, 64, 2], [2, 64, 64, 64, 64, 2]):
        r = suggested_map_res(sizes)
        assert r * r * sum(sizes[1:-1]) <= 32 * 400 or r == 8


def test_the_plane_is_the_points_bounds_and_the_grid_is_asked_for():
    p, a = build(res=50, discrete=True, live=True)
    lo, hi = a["bounds"]
    assert p["plane"]["x"] == [lo[0], hi[0]] and p["plane"]["y"] == [lo[1], hi[1]]
    assert (p["plane"]["res"], p["plane"]["live"], p["plane"]["discrete"]) == (50, True, True)
    with pytest.raises(ValueError, match="bounds"):
        build(bounds=(hi, lo))
    with pytest.raises(ValueError, match="res"):
        build(res=1)


def test_weights_are_exact_in_float32_and_points_and_gradients_survive_float16():
    p, a = build(mode="gradient")
    d = decode_payload(p)
    for l, W in enumerate(d["W"], start=1):
        ref = a["params"][f"W{l}"]
        assert np.array_equal(W, ref) and np.array_equal(d["b"][l - 1], a["params"][f"b{l}"])
        assert np.allclose(d["dW"][l - 1], a["grads"][f"W{l}"], rtol=2 ** -11, atol=1e-7)
    assert np.allclose(d["train_X"], a["X_train"], rtol=2 ** -11, atol=1e-4)
    assert np.array_equal(d["train_y"], a["y_train"])
    assert np.array_equal(d["test_y"], a["y_test"])
    assert (d["features"], d["act"]) == (["x1", "x2"], "relu")


def test_a_big_networks_weights_go_as_float16():
    p, a = build(hidden=(64, 64, 64))
    n = sum(W.size + b.size for W, b in zip(*[[a["params"][f"{k}{l}"] for l in range(1, 5)]
                                              for k in "Wb"]))
    assert n > F32_WEIGHTS and p["net"]["dtype"] == "f2"
    d = decode_payload(p)
    assert np.allclose(d["W"][1], a["params"]["W2"], rtol=2 ** -11, atol=2 ** -24)


def test_float16_clips_what_it_cannot_hold():
    x = np.array([1e6, -1e6, np.nan, np.inf, 0.1])
    back = decode_f16(encode_f16(x))
    assert back.tolist()[:4] == [65504.0, -65504.0, 0.0, 65504.0]
    assert back[4] == pytest.approx(0.1, rel=2 ** -11)


def test_dead_units_are_listed_per_layer():
    dead = [np.zeros(16, bool), np.zeros(16, bool)]
    dead[1][[3, 11]] = True
    p, _ = build(dead=dead)
    assert p["dead"] == [[], [3, 11]]
    with pytest.raises(ValueError, match="dead"):
        build(dead=[np.zeros(16, bool)])


def test_gradient_mode_carries_each_layers_gradient_norm():
    p, a = build(mode="gradient")
    for l, layer in enumerate(p["layers"], start=1):
        g = a["grads"][f"W{l}"]
        assert layer["gnorm"] == pytest.approx(np.linalg.norm(g), rel=1e-5)
        assert layer["gmax"] == pytest.approx(np.abs(g).max(), rel=1e-3)
        assert "dW" in layer
    weights, _ = build(mode="weights")
    assert all("dW" not in layer and layer["gnorm"] > 0 for layer in weights["layers"])
    no_step, _ = build(mode="gradient", grads=None)
    assert all(layer["gnorm"] is None and "dW" not in layer for layer in no_step["layers"])


def test_class_and_input_names_are_kept_as_given():
    names = ("<b>bold</b>", "a & b \"quoted\"")
    p, _ = build(names=names, input_names=("x<sub>1</sub>", "&amp;"))
    assert p["classes"] == list(names)
    assert p["inputs"] == ["x<sub>1</sub>", "&amp;"]
    assert p["colors"] == ["#0072b2", "#e69f00"]


def test_bad_arguments_say_what_is_wrong():
    with pytest.raises(ValueError, match="class colours"):
        build(class_colors=["red", "blue"])
    with pytest.raises(ValueError, match="class names"):
        build(names=("only one",))
    with pytest.raises(ValueError, match="features"):
        _, a = build()
        network_payload(**dict(a, features=("x1",)))
    with pytest.raises(ValueError, match="mode"):
        build(mode="both")
    with pytest.raises(ValueError, match="labels"):
        _, a = build()
        build(y_train=np.full_like(a["y_train"], 5))


def test_selection_is_kept_when_it_names_something_and_dropped_when_stale():
    sizes = [2, 16, 16, 2]
    assert normalize_selected(("unit", 1, 3), sizes) == {"kind": "unit", "layer": 1, "index": 3}
    assert normalize_selected(["edge", 2, 15, 0], sizes) == {"kind": "edge", "layer": 2,
                                                             "i": 15, "j": 0}
    assert normalize_selected(("unit", 3, 1), sizes) == {"kind": "unit", "layer": 3, "index": 1}
    for stale in [("unit", 1, 16), ("unit", 4, 0), ("edge", 0, 0, 0), ("edge", 3, 0, 16),
                  ("wire", 1, 1), "unit", None]:
        assert normalize_selected(stale, sizes) is None
    p, _ = build(selected=("edge", 1, 4, 1))
    assert p["selected"] == {"kind": "edge", "layer": 1, "i": 4, "j": 1}
    assert p["panel"] == panel_key(("edge", 1, 4, 1)) == "bpx-panel-edge-1-4-1"
    assert build(selected=("unit", 9, 0))[0]["panel"] is None      # stale: no panel


def test_the_views_script_is_files_by_what_they_draw_each_readable_in_one_sitting():
    from explorer.app.view import ASSETS, VIEW_FILES
    assert set(VIEW_FILES) == {p.name for p in ASSETS.glob("*.js")}
    for name in VIEW_FILES:
        lines = (ASSETS / name).read_text().splitlines()
        assert len(lines) <= 250, (name, len(lines))
        assert lines[0].startswith("//"), name            # each says what it is first


def test_browser_events_become_plain_events_once_checked():
    p, _ = build()
    n = p["train"]["n"]
    assert parse_event({"type": "add_point", "x1": 0.5, "x2": -1}, p) == {"add_point": (0.5, -1.0)}
    assert parse_event({"type": "remove_point", "index": n - 1}, p) == {"remove_point": n - 1}
    assert parse_event({"type": "select", "what": "unit", "layer": 2, "index": 5}, p) == {
        "select": ("unit", 2, 5)}
    assert parse_event({"type": "select", "what": "edge", "layer": 3, "i": 1, "j": 15}, p) == {
        "select": ("edge", 3, 1, 15)}
    assert parse_event({"type": "select", "what": None}, p) == {"select": None}
    for bad in [None, "add_point", {"type": "add_point", "x1": float("nan"), "x2": 0},
                {"type": "add_point", "x1": 1}, {"type": "remove_point", "index": n},
                {"type": "remove_point", "index": True}, {"type": "remove_point", "index": 1.0},
                {"type": "select", "what": "unit", "layer": 1, "index": 16},
                {"type": "select", "what": "edge", "layer": 0, "i": 0, "j": 0},
                {"type": "select", "what": "layer", "layer": 1}, {"type": "delete_all"}]:
        assert parse_event(bad, p) is None, bad


def test_view_data_imports_neither_streamlit_nor_plotly():
    code = ("import sys, explorer.app.view_data; "
            "bad = [m for m in ('streamlit', 'plotly') if m in sys.modules]; "
            "sys.exit(str(bad) if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr or out.stdout


VIEW_SCRIPT = """
import json
import streamlit as st
from explorer.app.view import network_view
payload = json.loads(PAYLOAD)
for epoch in range(4):                         # a live loop: four frames in one run
    network_view(dict(payload, epoch=epoch), key="t.view")
st.text("done")
"""


@pytest.mark.parametrize("register", [True, False], ids=["key register", "refusal"])
def test_the_view_is_mounted_once_per_run_and_later_frames_ride_one_hidden_text_slot(
        register, monkeypatch):
    import html

    from streamlit.testing.v1 import AppTest

    import explorer.app.view as view
    if not register:              # a Streamlit without the run's register of keys
        monkeypatch.setattr(view, "_mounted_this_run", lambda key: False)

    p, _ = build()
    hostile = dict(p, classes=["</div><img src=x onerror=alert(1)>", "a & b"])
    at = AppTest.from_string(f"PAYLOAD = {json.dumps(json.dumps(hostile))}\n" + VIEW_SCRIPT)
    at.run()
    assert not at.exception
    protos = [n.proto for n in at.main if type(n.proto).__name__ == "BidiComponent"]
    assert [x.component_name for x in protos] == ["backprop_explorer_network_view"]
    view = json.loads(protos[0].bytes)
    # later frames: one text slot in the view's hidden frames container, holding the
    # last frame (each replaced the one before); no widget per frame
    blocks = [n for n in at.main if type(n.proto).__name__ == "Block"
              and n.proto.id.endswith("t.view" + FRAMES)]
    assert len(blocks) == 1
    slots = [n.proto.body for n in blocks[0] if type(n.proto).__name__ == "Html"]
    assert len(slots) == 1
    body = slots[0]
    prefix, suffix = '<div hidden class="bpx-frame">', "</div>"
    assert body.startswith(prefix) and body.endswith(suffix)
    text = body[len(prefix):-len(suffix)]
    assert "<" not in text and ">" not in text       # names cannot close the div
    frame = json.loads(html.unescape(text))
    assert (view["id"], view["epoch"], frame["id"], frame["epoch"]) == ("t.view", 0, "t.view", 3)
    assert frame["classes"] == hostile["classes"]
    assert frame["seq"] == view["seq"] + 3
    # the points go with the run's first frame; later ones of the run, the same points,
    # say so (where the run's register of keys tells a later frame from a first)
    assert view["train"] == p["train"] and "points" not in view
    if register:
        assert "train" not in frame and frame["points"] == "same"
    at.run()                                   # the next run mounts the same view again
    assert not at.exception
    assert next(n.proto.id for n in at.main if type(n.proto).__name__ == "BidiComponent") \
        == protos[0].id
