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
    MAX_PAYLOAD_BYTES,
    decode_f16,
    decode_payload,
    encode_f16,
    encode_unit_maps,
    network_payload,
    normalize_selected,
    parse_event,
    payload_bytes,
    quantize_unit,
    suggested_map_res,
)
from explorer.lens.diagnostics import dead_units, grid_eval, plane_grid

COLORS = ["#0072B2", "#E69F00", "#009E73"]


def build(hidden=(16, 16), res=60, mode="weights", names=("class 0", "class 1"), **kw):
    """A payload of a real (untrained) classifier on moons, and what it was built from."""
    ds = make_dataset("moons", 300, 0.15, 2, 0.3, seed=0)
    net = MLP([2, *hidden, 2], seed=1, dtype=np.float32)
    allX = np.vstack([ds.X_train, ds.X_test])
    xs, ys, P = plane_grid(allX, res=res)
    probs, _, _ = grid_eval(net, xs, ys, P.astype(np.float32))
    r = suggested_map_res(net.sizes)
    mxs, mys, MP = plane_grid(allX, res=r)
    _, acts, masks = grid_eval(net, mxs, mys, MP.astype(np.float32))
    _, grads = net.loss_and_grads(ds.X_train, ds.y_train)
    args = {"epoch": 7, "probs": probs, "xs": xs, "ys": ys, "X_train": ds.X_train,
            "y_train": ds.y_train, "X_test": ds.X_test, "y_test": ds.y_test, "unit_maps": acts,
            "unit_masks": masks, "sizes": net.sizes, "params": net.params, "grads": grads,
            "dead": dead_units(net, ds.X_train), "class_names": list(names),
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


def test_default_network_frame_is_under_60_kb():
    p, _ = build(hidden=(16, 16), res=60)
    assert suggested_map_res([2, 16, 16, 2]) == 20
    assert p["units"][0]["ry"] == p["units"][0]["rx"] == 20
    assert payload_bytes(p) < MAX_PAYLOAD_BYTES
    assert payload_bytes(build(mode="gradient")[0]) < MAX_PAYLOAD_BYTES


def test_unit_map_grid_shrinks_for_big_networks():
    assert suggested_map_res([2, 64, 64, 64, 64, 2]) == 8
    assert suggested_map_res([2, 3, 2]) == 20
    for sizes in ([2, 16, 16, 2], [2, 64, 2], [2, 64, 64, 64, 64, 2]):
        r = suggested_map_res(sizes)
        assert r * r * sum(sizes[1:-1]) <= 32 * 400 or r == 8


def test_probabilities_come_back_within_half_a_level_in_caller_order():
    p, a = build()
    d = decode_payload(p)
    assert d["probs"].shape == a["probs"].shape == (60, 60, 2)
    assert np.abs(d["probs"] - a["probs"]).max() <= 0.5 / 255 + 1e-9
    # image order on the wire: the first row is the top of the plane (the largest x2)
    raw = np.frombuffer(__import__("base64").b64decode(p["plane"]["probs"]), np.uint8)
    assert np.array_equal(raw.reshape(60, 60, 2)[0], quantize_unit(a["probs"][-1]))


def test_plane_extent_covers_the_grid_cells():
    p, a = build(res=50)
    xs = a["xs"]
    step = xs[1] - xs[0]
    assert p["plane"]["x"] == pytest.approx([xs[0] - step / 2, xs[-1] + step / 2])
    assert p["plane"]["nx"] == p["plane"]["ny"] == 50
    with pytest.raises(ValueError, match="evenly spaced"):
        build(res=50, xs=np.r_[a["xs"][:-1], a["xs"][-1] + 1.0])


def test_weights_points_and_gradients_survive_float16():
    p, a = build(mode="gradient")
    d = decode_payload(p)
    for l, W in enumerate(d["W"], start=1):
        ref = a["params"][f"W{l}"].astype(np.float64)
        assert W.shape == ref.shape
        assert np.allclose(W, ref, rtol=2 ** -11, atol=2 ** -24)
        assert np.allclose(d["dW"][l - 1], a["grads"][f"W{l}"], rtol=2 ** -11, atol=1e-7)
    assert np.allclose(d["train_X"], a["X_train"], rtol=2 ** -11, atol=1e-4)
    assert np.array_equal(d["train_y"], a["y_train"])
    assert np.array_equal(d["test_y"], a["y_test"])


def test_float16_clips_what_it_cannot_hold():
    x = np.array([1e6, -1e6, np.nan, np.inf, 0.1])
    back = decode_f16(encode_f16(x))
    assert back.tolist()[:4] == [65504.0, -65504.0, 0.0, 65504.0]
    assert back[4] == pytest.approx(0.1, rel=2 ** -11)


def test_unit_maps_are_grey_where_off_and_graded_where_on():
    p, a = build()
    d = decode_payload(p)
    for acts, masks, codes, maps, u in zip(a["unit_maps"], a["unit_masks"], d["unit_codes"],
                                           d["unit_maps"], p["units"]):
        assert codes.shape == acts.shape
        assert np.array_equal(codes > 0, masks)            # 0 exactly where the ReLU is off
        peak = np.asarray(u["peak"])
        assert np.allclose(peak, acts.reshape(-1, acts.shape[-1]).max(axis=0), rtol=5e-4)
        assert np.all(np.abs(maps - acts) <= peak / 508 + peak * 1e-3 + 1e-9)


def test_a_unit_that_is_off_everywhere_encodes_as_zeros():
    maps = np.zeros((4, 4, 3))
    maps[..., 1] = np.arange(16).reshape(4, 4)
    codes, peak = encode_unit_maps(maps)
    assert peak.tolist() == [0.0, 15.0, 0.0]
    assert not codes[0].any() and not codes[2].any()
    assert codes[1].max() == 255 and codes[1].min() == 0


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
    with pytest.raises(ValueError, match="probs"):
        build(probs=np.zeros((60, 60, 3)))
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
    at.run()                                   # the next run mounts the same view again
    assert not at.exception
    assert next(n.proto.id for n in at.main if type(n.proto).__name__ == "BidiComponent") \
        == protos[0].id
