"""The live network view's data: arrays in, one small JSON-ready dict out.

Pure NumPy (no streamlit, no plotly), so the payload is tested without a browser.
The element (``view.py`` and ``view_assets/``) draws what this module builds: the
decision boundary with the points, and the network diagram with one activation map
per hidden unit and one edge per weight.

A frame carries the network, not its pictures: its weights and biases, the input
features and the activation. The browser runs the forward pass over the plane itself
(``view_assets/forward.js``, tested against the core in ``tests/test_forward_js.py``)
and paints the boundary and every unit's map from that one pass, at a resolution it
chooses so that it keeps up (the paused picture at the page's "grid resolution").

Encoding (everything a frame carries is a string, int, float, list or dict):

- weights and biases: float32 (little-endian, base64) up to :data:`F32_WEIGHTS` of
  them, float16 beyond; gradients and point coordinates: float16.
- class labels: uint8, base64.

Names (input features, classes) are kept exactly as given: no escaping or markup
here. The browser only ever puts them in ``textContent``.

Layers are numbered as in the math: a unit ``(l, i)`` is unit ``i`` of layer ``l``,
with ``l = 0`` the inputs, ``1..L-1`` the hidden layers and ``L`` the outputs; an
edge ``(l, i, j)`` is the weight ``W_l[i, j]`` from unit ``j`` of layer ``l-1`` to
unit ``i`` of layer ``l``.
"""
import base64
import json
import math
import re

import numpy as np

SCHEMA = 2
MAX_PAYLOAD_BYTES = 40_000          # a frame of the largest network stays under this
F32_WEIGHTS = 6_000                 # weights sent as float32 up to this many, float16 beyond
MAX_RES = 400                       # grid points per side a frame may ask for
MODES = ("weights", "gradient")
F16_MAX = 65504.0
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


# --- encoding -----------------------------------------------------------------
def b64(data):
    """Bytes (or a contiguous array's bytes) as an ASCII base64 string."""
    return base64.b64encode(bytes(data)).decode("ascii")


def unb64(text, dtype=np.uint8, shape=None):
    """The inverse of :func:`b64` for arrays: base64 text -> ndarray of ``dtype``."""
    a = np.frombuffer(base64.b64decode(text), dtype=np.dtype(dtype))
    return a if shape is None else a.reshape(shape)


def encode_u8(a):
    """uint8 array -> base64 (C order)."""
    return b64(np.ascontiguousarray(a, dtype=np.uint8))


def encode_f16(a):
    """Float array -> little-endian float16 bytes, base64 (C order).

    Values beyond float16's range are clipped to +-65504 and NaN sent as 0, so the
    browser never has to draw an infinite edge. Relative error at most 2**-11.
    """
    a = np.asarray(a, dtype=np.float64)
    if not np.isfinite(a).all():
        a = np.nan_to_num(a, nan=0.0, posinf=F16_MAX, neginf=-F16_MAX)
    return b64(np.ascontiguousarray(np.clip(a, -F16_MAX, F16_MAX), dtype="<f2"))


def encode_f32(a):
    """Float array -> little-endian float32 bytes, base64 (C order); NaN as 0 and
    beyond float32's range clipped to its largest finite values."""
    if isinstance(a, np.ndarray) and a.dtype == np.float32 and np.isfinite(a).all():
        return b64(np.ascontiguousarray(a, dtype="<f4"))     # as it is (a live frame's case)
    a = np.asarray(a, dtype=np.float64)
    big = float(np.finfo(np.float32).max)
    if not np.isfinite(a).all():
        a = np.nan_to_num(a, nan=0.0, posinf=big, neginf=-big)
    return b64(np.ascontiguousarray(np.clip(a, -big, big), dtype="<f4"))


def decode_f16(text, shape=None):
    """base64 float16 -> float64 ndarray (the inverse of :func:`encode_f16`)."""
    return unb64(text, "<f2", shape).astype(np.float64)


def round_sig(x, digits=4):
    """``x`` to ``digits`` significant digits, as a plain float (finite or 0.0)."""
    x = float(x)
    if not math.isfinite(x) or x == 0.0:
        return 0.0
    return float(f"{x:.{digits}g}")


def _color(c):
    if not isinstance(c, str) or not _HEX.match(c):
        raise ValueError(f"class colours must be '#rgb' or '#rrggbb' strings; got {c!r}")
    c = c.lower()
    return c if len(c) == 7 else "#" + "".join(ch * 2 for ch in c[1:])


def _points(X, y, n_classes, name, memo=None):
    """Points as a frame carries them. With ``memo`` (a dict its owner keeps, one per
    person's lab), the same arrays are encoded once: a later frame gets the same dict."""
    if memo is None:
        return _encode_points(X, y, n_classes, name)
    hit = memo.get(name)
    if hit is not None and hit[0] is X and hit[1] is y and hit[2] == n_classes:
        return hit[3]
    out = _encode_points(X, y, n_classes, name)
    memo[name] = (X, y, n_classes, out)
    return out


def _encode_points(X, y, n_classes, name):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).ravel()
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"{name} points must have shape (n, 2); got {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"{name}: {len(X)} points but {len(y)} labels")
    if len(y) and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"{name} labels must be in 0..{n_classes - 1}")
    return {"n": len(X), "xy": encode_f16(X), "label": encode_u8(y.astype(np.uint8))}


def normalize_selected(selected, sizes):
    """A selection as the payload carries it, or None if it names nothing in ``sizes``.

    Accepts what :func:`parse_event` returns for a select event: ``("unit", l, i)``
    or ``("edge", l, i, j)`` (a list works too), or None. A stale selection (the
    network has since shrunk) becomes None instead of an error.
    """
    if selected is None:
        return None
    try:
        kind, *idx = selected
        idx = [int(v) for v in idx]
    except (TypeError, ValueError):
        return None
    L = len(sizes) - 1
    if kind == "unit" and len(idx) == 2:
        l, i = idx
        if 0 <= l <= L and 0 <= i < sizes[l]:
            return {"kind": "unit", "layer": l, "index": i}
    elif kind == "edge" and len(idx) == 3:
        l, i, j = idx
        if 1 <= l <= L and 0 <= i < sizes[l] and 0 <= j < sizes[l - 1]:
            return {"kind": "edge", "layer": l, "i": i, "j": j}
    return None


def panel_key(selected):
    """The key of the panel of a clicked unit or edge (``("unit", l, i)`` or
    ``("edge", l, i, j)``): the page draws the panel with it, and a frame carries it
    (``panel``) so that the view finds the panel (class ``st-key-`` + key) and brings
    it into sight once drawn: a click on the projector shows something."""
    return "bpx-panel-" + "-".join(map(str, selected))


def suggested_map_res(sizes, budget=32 * 400):
    """Side of the square grid for the unit maps so that all of them together stay
    within ``budget`` pixels (20 for the default 2x16 network, down to 8).

    The maps are drawn 12 to 32 px wide, so a coarser grid loses little.
    """
    hidden = max(1, sum(int(s) for s in sizes[1:-1]))
    return min(20, max(8, math.isqrt(budget // hidden)))


# --- the payload --------------------------------------------------------------
def weights_dtype(sizes):
    """How a network's weights travel: ``"f4"`` (float32) up to :data:`F32_WEIGHTS`
    weights and biases, ``"f2"`` (float16) beyond."""
    n = sum(sizes[l] * (sizes[l - 1] + 1) for l in range(1, len(sizes)))
    return "f4" if n <= F32_WEIGHTS else "f2"


def encode_weights(a, dtype):
    """An array of weights as a frame carries them (``dtype`` from :func:`weights_dtype`)."""
    return encode_f32(a) if dtype == "f4" else encode_f16(a)


def network_payload(*, epoch, bounds, X_train, y_train, X_test=None, y_test=None, sizes,
                    params, features, activation, res=60, map_res=None, live=False,
                    discrete=False, grads=None, dead=None, input_names=("x1", "x2"),
                    class_names, class_colors, mode="weights", selected=None, memo=None):
    """Everything one frame of the network view draws, as a JSON-ready dict.

    A frame carries the network, not its pictures: the browser runs the network's
    forward pass over the plane (``view_assets/forward.js``, tested against the core)
    and paints the boundary and every hidden unit's map from it.

    Parameters
    ----------
    epoch : int
        The epoch the weights are of; the element carries it as ``data-epoch``.
    bounds : (lo, hi), each of shape (2,)
        The plane shown: ``x1`` from ``lo[0]`` to ``hi[0]``, ``x2`` from ``lo[1]`` to
        ``hi[1]`` (see :func:`explorer.lens.diagnostics.plane_bounds`).
    X_train, y_train : ndarray of shape (n, 2), (n,) int in 0..K-1
        Training points (filled circles). A ``remove_point`` event's index is a
        row of this array.
    X_test, y_test : ndarray, optional
        Test points (hollow circles).
    sizes : sequence of int
        Layer widths ``[D, H_1, ..., K]``.
    params : dict
        ``"W1", "b1", ...`` with ``W_l`` of shape ``(sizes[l], sizes[l-1])``.
    features : sequence of str
        The input features the network is fed, in order (keys of
        :data:`explorer.data.features.FEATURES`): what the browser computes from a
        point of the plane.
    activation : str
        The hidden layers' activation (a key of
        :data:`explorer.nn.activations.ACTIVATIONS`).
    res : int
        Grid points per side of the boundary: the paused picture's detail. A live
        frame (``live``) may be drawn coarser, as fast as the browser allows.
    map_res : int, optional
        Grid points per side of each unit's map (default :func:`suggested_map_res`).
    discrete : bool
        Colour each point of the plane by its most likely class only.
    grads : dict, optional
        The last step's gradients, same layout. Each layer's ``||dW_l||`` (Frobenius)
        is sent as ``gnorm``; in ``"gradient"`` mode the gradients themselves too.
    dead : list of ndarray of bool, each (H_l,), optional
        Dead hidden units (off for every training point): crossed out.
    input_names, class_names : sequence of str
        Labels of the input and output nodes, shown as plain text.
    class_colors : sequence of str
        ``"#rrggbb"`` per class (the first K are used).
    mode : {"weights", "gradient"}
        Edges by the weights (purple positive, red negative, width by ``|w|``) or
        by ``|dL/dw|`` of the last step (width scaled per layer).
    selected : tuple or None
        ``("unit", l, i)`` or ``("edge", l, i, j)``: highlighted in every frame, and
        its panel's key (:func:`panel_key`) sent as ``panel``.
    memo : dict, optional
        Kept by the caller from frame to frame (one per person's experiment): the
        points' encoding is kept in it while the arrays stay the same.

    Returns
    -------
    dict
        JSON-serialisable (str, int, float, list, dict, None only). Weights go as
        float32 up to :data:`F32_WEIGHTS` of them (the default network's frame is
        about 3 KB with its points), as float16 beyond (a network of four layers of
        64: its picture is drawn from weights rounded to 11 significant bits).
    """
    sizes = [int(s) for s in sizes]
    L = len(sizes) - 1
    if L < 1 or min(sizes) < 1:
        raise ValueError(f"sizes must be [D, H_1, ..., K] with positive widths; got {sizes}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}; got {mode!r}")
    input_names = [str(n) for n in input_names]
    class_names = [str(n) for n in class_names]
    features = [str(f) for f in features]
    K = sizes[-1]
    if len(input_names) != sizes[0] or len(features) != sizes[0]:
        raise ValueError(f"{len(input_names)} input names and {len(features)} features for "
                         f"{sizes[0]} inputs")
    if len(class_names) != K:
        raise ValueError(f"{len(class_names)} class names for {K} outputs")
    if len(class_colors) < K:
        raise ValueError(f"{len(class_colors)} class colours for {K} classes")
    lo, hi = (np.asarray(b, dtype=np.float64).ravel() for b in bounds)
    if lo.shape != (2,) or hi.shape != (2,) or not (np.isfinite(lo).all() and np.isfinite(hi).all()
                                                     and (hi > lo).all()):
        raise ValueError(f"bounds must be finite (lo, hi) pairs with hi > lo; got {bounds}")
    res = int(res)
    if not 2 <= res <= MAX_RES:
        raise ValueError(f"res must be 2 to {MAX_RES}; got {res}")

    dtype = weights_dtype(sizes)
    layers = []
    for l in range(1, L + 1):
        W, b = np.asarray(params[f"W{l}"]), np.asarray(params[f"b{l}"])
        if W.shape != (sizes[l], sizes[l - 1]) or b.shape != (sizes[l],):
            raise ValueError(f"W{l}/b{l} have shapes {W.shape}/{b.shape}; sizes {sizes} "
                             f"need {(sizes[l], sizes[l - 1])}/{(sizes[l],)}")
        layer = {"W": encode_weights(W, dtype), "b": encode_weights(b, dtype), "wmax": round_sig(np.abs(W).max()),
                 "gnorm": None}
        if grads is not None:
            dW = np.asarray(grads[f"W{l}"], dtype=np.float64)
            if dW.shape != W.shape:
                raise ValueError(f"grads W{l} has shape {dW.shape}, W{l} {W.shape}")
            layer["gnorm"] = round_sig(np.linalg.norm(dW), 6)
            if mode == "gradient":
                layer["dW"] = encode_f16(dW)
                layer["gmax"] = round_sig(np.abs(dW).max())
        layers.append(layer)

    dead_idx = [[] for _ in range(L - 1)]
    if dead is not None:
        if len(dead) != L - 1:
            raise ValueError(f"dead: {len(dead)} layers for {L - 1} hidden layers")
        for l, d in enumerate(dead):
            d = np.asarray(d, dtype=bool).ravel()
            if d.size != sizes[l + 1]:
                raise ValueError(f"dead units of layer {l + 1}: {d.size} flags "
                                 f"for {sizes[l + 1]} units")
            dead_idx[l] = [int(i) for i in np.flatnonzero(d)]

    shown = normalize_selected(selected, sizes)
    return {
        "schema": SCHEMA,
        "epoch": int(epoch),
        "mode": mode,
        "sizes": sizes,
        "inputs": input_names,
        "classes": class_names,
        "colors": [_color(c) for c in list(class_colors)[:K]],
        "net": {"features": features, "act": str(activation), "dtype": dtype},
        "plane": {"x": [float(lo[0]), float(hi[0])], "y": [float(lo[1]), float(hi[1])],
                  "res": res, "map": int(map_res or suggested_map_res(sizes)),
                  "live": bool(live), "discrete": bool(discrete)},
        "train": _points(X_train, y_train, K, "training", memo),
        "test": None if X_test is None else _points(X_test, y_test, K, "test", memo),
        "dead": dead_idx,
        "layers": layers,
        "selected": shown,
        # the key the page draws the selection's panel with (inspector.selection_panel)
        "panel": None if shown is None else panel_key(selected),
    }


def without_points(payload):
    """The payload of a later frame whose points did not change: no ``train`` and
    ``test``, and ``"points": "same"`` (the browser keeps the ones it has)."""
    out = {k: v for k, v in payload.items() if k not in ("train", "test")}
    out["points"] = "same"
    return out


def payload_bytes(payload):
    """Size of the payload as JSON, in bytes (what a frame costs on the wire)."""
    return len(json.dumps(payload, separators=(",", ":")).encode("utf-8"))


# --- decoding (tests, and the reference for the JavaScript) ------------------
def decode_payload(p):
    """Arrays back from a payload (tests, and the reference for the JavaScript).

    Returns a dict: ``train_X``/``train_y`` (and ``test_X``/``test_y`` or None);
    ``W``/``b`` (float64, as sent) and ``dW`` (or None) lists per layer; ``sizes``,
    ``epoch``, ``dead``, ``features``, ``act``.
    """
    sizes = p["sizes"]
    out = {"sizes": sizes, "epoch": p["epoch"], "dead": p["dead"],
           "features": p["net"]["features"], "act": p["net"]["act"]}
    for part in ("train", "test"):
        pts = p[part]
        if pts is None:
            out[f"{part}_X"] = out[f"{part}_y"] = None
        else:
            out[f"{part}_X"] = decode_f16(pts["xy"], (pts["n"], 2))
            out[f"{part}_y"] = unb64(pts["label"], np.uint8).astype(np.int64)
    weights = {"f4": lambda t, shape: unb64(t, "<f4", shape).astype(np.float64),
               "f2": decode_f16}[p["net"]["dtype"]]
    out["W"], out["b"], out["dW"] = [], [], []
    for l, layer in enumerate(p["layers"], start=1):
        shape = (sizes[l], sizes[l - 1])
        out["W"].append(weights(layer["W"], shape))
        out["b"].append(weights(layer["b"], (sizes[l],)))
        out["dW"].append(decode_f16(layer["dW"], shape) if "dW" in layer else None)
    return out


# --- events from the browser --------------------------------------------------
def parse_event(raw, payload):
    """A click as the browser reported it -> a plain event, or None if it is not valid.

    The browser sends ``{"type": "add_point", "x1": .., "x2": ..}``,
    ``{"type": "remove_point", "index": i}`` or ``{"type": "select", "what": "unit",
    "layer": l, "index": i}`` / ``{"type": "select", "what": "edge", "layer": l,
    "i": i, "j": j}`` / ``{"type": "select", "what": None}``, or ``{"type": "drawn"}``
    (a frame that asked for it is on the screen). Anything else, or an
    index that is not in ``payload`` (the frame on screen now), gives None: the
    message comes from a browser and is checked like any input.

    Returns
    -------
    ``{"add_point": (x1, x2)}``, ``{"remove_point": i}``,
    ``{"select": ("unit", l, i)}``, ``{"select": ("edge", l, i, j)}``,
    ``{"select": None}``, ``{"drawn": True}`` or None.
    """
    if not isinstance(raw, dict):
        return None
    kind = raw.get("type")
    if kind == "drawn":
        return {"drawn": True}
    try:
        if kind == "add_point":
            x1, x2 = float(raw["x1"]), float(raw["x2"])
            if math.isfinite(x1) and math.isfinite(x2):
                return {"add_point": (x1, x2)}
        elif kind == "remove_point":
            i = raw["index"]
            if isinstance(i, int) and not isinstance(i, bool) and 0 <= i < payload["train"]["n"]:
                return {"remove_point": i}
        elif kind == "select":
            what = raw.get("what")
            if what is None:
                return {"select": None}
            if what == "unit":
                sel = ("unit", raw["layer"], raw["index"])
            elif what == "edge":
                sel = ("edge", raw["layer"], raw["i"], raw["j"])
            else:
                return None
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in sel[1:]):
                return None
            if normalize_selected(sel, payload["sizes"]) is not None:
                return {"select": sel}
    except (KeyError, TypeError, ValueError):
        return None
    return None
