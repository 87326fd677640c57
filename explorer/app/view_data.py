"""The live network view's data: arrays in, one small JSON-ready dict out.

Pure NumPy (no streamlit, no plotly), so the payload is tested without a browser.
The element (``view.py`` and ``view_assets/network_view.js``) draws what this
module builds: the decision boundary with the points, and the network diagram with
one activation map per hidden unit and one edge per weight.

Encoding (everything a frame carries is a string, int, float, list or dict):

- probabilities and unit maps: uint8, base64. Images are in *image order*: the first
  row is the top of the plane (the largest ``x2``), so the browser draws them as
  they come. :func:`decode_payload` turns them back into the caller's order.
- weights, gradients and point coordinates: float16 (little-endian), base64.
- a unit map byte is 0 where the unit is off (its ReLU mask is 0) and
  ``1 + round(254 * h / peak)`` where it is on, ``peak`` being that unit's largest
  activation on the map (sent beside it): the browser paints off grey and on by
  strength.

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

SCHEMA = 1
MAX_PAYLOAD_BYTES = 60_000          # a frame of the default network stays under this
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


def quantize_unit(a):
    """Values in [0, 1] -> uint8 ``round(255 a)`` (clipped): error at most 1/510."""
    a = np.asarray(a, dtype=np.float64)
    if not np.isfinite(a).all():
        a = np.nan_to_num(a, nan=0.0)
    return np.rint(np.clip(a, 0.0, 1.0) * 255.0).astype(np.uint8)


def dequantize_unit(q):
    """uint8 -> floats in [0, 1], the inverse of :func:`quantize_unit`."""
    return np.asarray(q, dtype=np.float64) / 255.0


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


def decode_f16(text, shape=None):
    """base64 float16 -> float64 ndarray (the inverse of :func:`encode_f16`)."""
    return unb64(text, "<f2", shape).astype(np.float64)


def encode_unit_maps(maps, masks=None):
    """One hidden layer's maps (r_y, r_x, H) -> (uint8 codes (H, r_y, r_x) in image
    order, peaks (H,)).

    Code 0: off (mask 0); 1..255: on, ``1 + round(254 h / peak)``.
    """
    h = np.asarray(maps, dtype=np.float64)
    if not np.isfinite(h).all():
        h = np.nan_to_num(h, nan=0.0)
    on = h > 0 if masks is None else np.asarray(masks, dtype=bool)
    if on.shape != h.shape:
        raise ValueError(f"a unit mask has shape {on.shape}, its map {h.shape}")
    h = np.where(on, np.maximum(h, 0.0), 0.0)
    peak = h.reshape(-1, h.shape[-1]).max(axis=0) if h.size else np.zeros(h.shape[-1])
    scale = np.where(peak > 0, 254.0 / np.where(peak > 0, peak, 1.0), 0.0)
    codes = np.where(on, 1 + np.rint(h * scale), 0).astype(np.uint8)
    return np.ascontiguousarray(codes[::-1].transpose(2, 0, 1)), peak


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


def _extent(axis, name):
    """Edges of a uniform grid axis (its cells' outer borders), for drawing."""
    axis = np.asarray(axis, dtype=np.float64).ravel()
    if axis.size < 2 or not np.all(np.isfinite(axis)) or axis[-1] <= axis[0]:
        raise ValueError(f"{name} must be an increasing grid of at least 2 finite values")
    step = (axis[-1] - axis[0]) / (axis.size - 1)
    if np.abs(np.diff(axis) - step).max() > 1e-3 * step:   # allclose, at a tenth of its cost
        raise ValueError(f"{name} must be evenly spaced (as np.linspace gives)")
    return [float(axis[0] - step / 2), float(axis[-1] + step / 2)]


def _points(X, y, n_classes, name):
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


def suggested_map_res(sizes, budget=32 * 400):
    """Side of the square grid for the unit maps so that all of them together stay
    within ``budget`` pixels (20 for the default 2x16 network, down to 8).

    The maps are drawn 12 to 32 px wide, so a coarser grid loses little.
    """
    hidden = max(1, sum(int(s) for s in sizes[1:-1]))
    return min(20, max(8, math.isqrt(budget // hidden)))


# --- the payload --------------------------------------------------------------
def network_payload(*, epoch, probs, xs, ys, X_train, y_train, X_test=None, y_test=None,
                    unit_maps, unit_masks=None, sizes, params, grads=None, dead=None,
                    input_names=("x1", "x2"), class_names, class_colors, mode="weights",
                    selected=None):
    """Everything one frame of the network view draws, as a JSON-ready dict.

    Parameters
    ----------
    epoch : int
        The epoch the arrays show; the element carries it as ``data-epoch``.
    probs : ndarray of shape (res_y, res_x, K)
        Class probabilities on the grid (rows follow ``ys``, columns ``xs``), as
        :func:`explorer.lens.diagnostics.grid_eval` returns them.
    xs, ys : ndarray of shape (res_x,), (res_y,)
        The grid's axes in data coordinates, evenly spaced and increasing.
    X_train, y_train : ndarray of shape (n, 2), (n,) int in 0..K-1
        Training points (filled circles). A ``remove_point`` event's index is a
        row of this array.
    X_test, y_test : ndarray, optional
        Test points (hollow circles).
    unit_maps : list of ndarray, each (r, r, H_l)
        Every hidden unit's activation on a (small) grid, one array per hidden layer.
    unit_masks : list of ndarray of bool, each (r, r, H_l), optional
        Where each unit is on (``z > 0``); default ``unit_maps > 0``.
    sizes : sequence of int
        Layer widths ``[D, H_1, ..., K]``.
    params : dict
        ``"W1", "b1", ...`` with ``W_l`` of shape ``(sizes[l], sizes[l-1])``.
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
        Edges by the weights (orange positive, blue negative, width by ``|w|``) or
        by ``|dL/dw|`` of the last step (width scaled per layer).
    selected : tuple or None
        ``("unit", l, i)`` or ``("edge", l, i, j)``: highlighted in every frame.

    Returns
    -------
    dict
        JSON-serialisable (str, int, float, list, dict, None only); about 30 KB of
        JSON for the default network (2 hidden layers of 16, a 60x60 grid, 20x20
        unit maps).
    """
    sizes = [int(s) for s in sizes]
    L = len(sizes) - 1
    if L < 1 or min(sizes) < 1:
        raise ValueError(f"sizes must be [D, H_1, ..., K] with positive widths; got {sizes}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}; got {mode!r}")
    input_names = [str(n) for n in input_names]
    class_names = [str(n) for n in class_names]
    K = sizes[-1]
    if len(input_names) != sizes[0]:
        raise ValueError(f"{len(input_names)} input names for {sizes[0]} inputs")
    if len(class_names) != K:
        raise ValueError(f"{len(class_names)} class names for {K} outputs")
    if len(class_colors) < K:
        raise ValueError(f"{len(class_colors)} class colours for {K} classes")

    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 3 or probs.shape[2] != K or probs.shape[:2] != (len(ys), len(xs)):
        raise ValueError(f"probs must have shape (len(ys), len(xs), {K}) = "
                         f"({len(ys)}, {len(xs)}, {K}); got {probs.shape}")

    layers = []
    for l in range(1, L + 1):
        W = np.asarray(params[f"W{l}"], dtype=np.float64)
        b = np.asarray(params[f"b{l}"], dtype=np.float64)
        if W.shape != (sizes[l], sizes[l - 1]) or b.shape != (sizes[l],):
            raise ValueError(f"W{l}/b{l} have shapes {W.shape}/{b.shape}; sizes {sizes} "
                             f"need {(sizes[l], sizes[l - 1])}/{(sizes[l],)}")
        layer = {"W": encode_f16(W), "b": encode_f16(b),
                 "wmax": round_sig(np.abs(W).max()), "gnorm": None}
        if grads is not None:
            dW = np.asarray(grads[f"W{l}"], dtype=np.float64)
            if dW.shape != W.shape:
                raise ValueError(f"grads W{l} has shape {dW.shape}, W{l} {W.shape}")
            layer["gnorm"] = round_sig(np.linalg.norm(dW), 6)
            if mode == "gradient":
                layer["dW"] = encode_f16(dW)
                layer["gmax"] = round_sig(np.abs(dW).max())
        layers.append(layer)

    if len(unit_maps) != L - 1:
        raise ValueError(f"{len(unit_maps)} unit maps for {L - 1} hidden layers")
    units = []
    for l, maps in enumerate(unit_maps, start=1):
        maps = np.asarray(maps)
        if maps.ndim != 3 or maps.shape[2] != sizes[l]:
            raise ValueError(f"unit maps of layer {l} must be (r, r, {sizes[l]}); "
                             f"got {maps.shape}")
        codes, peak = encode_unit_maps(maps, None if unit_masks is None else unit_masks[l - 1])
        units.append({"ry": int(codes.shape[1]), "rx": int(codes.shape[2]),
                      "maps": encode_u8(codes), "peak": [round_sig(p, 4) for p in peak]})

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

    return {
        "schema": SCHEMA,
        "epoch": int(epoch),
        "mode": mode,
        "sizes": sizes,
        "inputs": input_names,
        "classes": class_names,
        "colors": [_color(c) for c in list(class_colors)[:K]],
        "plane": {"x": _extent(xs, "xs"), "y": _extent(ys, "ys"),
                  "nx": len(xs), "ny": len(ys),
                  "probs": encode_u8(quantize_unit(probs[::-1]))},
        "train": _points(X_train, y_train, K, "training"),
        "test": None if X_test is None else _points(X_test, y_test, K, "test"),
        "units": units,
        "dead": dead_idx,
        "layers": layers,
        "selected": normalize_selected(selected, sizes),
    }


def payload_bytes(payload):
    """Size of the payload as JSON, in bytes (what a frame costs on the wire)."""
    return len(json.dumps(payload, separators=(",", ":")).encode("utf-8"))


# --- decoding (tests, and the reference for the JavaScript) ------------------
def decode_payload(p):
    """Arrays back from a payload, in the caller's orientation (rows follow ``ys``).

    Returns a dict: ``probs`` (res_y, res_x, K) floats; ``train_X``/``train_y`` (and
    ``test_X``/``test_y`` or None); ``unit_codes`` list of uint8 (r, r, H_l) and
    ``unit_maps`` the activations they stand for (``code-1`` over 254 of the peak,
    0 where off); ``W``/``b`` and ``dW`` (or None) lists per layer; ``dead`` lists.
    """
    sizes = p["sizes"]
    K = sizes[-1]
    pl = p["plane"]
    probs = dequantize_unit(unb64(pl["probs"], np.uint8, (pl["ny"], pl["nx"], K)))[::-1]
    out = {"probs": probs, "sizes": sizes, "epoch": p["epoch"], "dead": p["dead"]}
    for part in ("train", "test"):
        pts = p[part]
        if pts is None:
            out[f"{part}_X"] = out[f"{part}_y"] = None
        else:
            out[f"{part}_X"] = decode_f16(pts["xy"], (pts["n"], 2))
            out[f"{part}_y"] = unb64(pts["label"], np.uint8).astype(np.int64)
    codes, maps = [], []
    for l, u in enumerate(p["units"], start=1):
        c = unb64(u["maps"], np.uint8, (sizes[l], u["ry"], u["rx"])).transpose(1, 2, 0)[::-1]
        peak = np.asarray(u["peak"], dtype=np.float64)
        codes.append(c)
        maps.append(np.where(c > 0, (c.astype(np.float64) - 1) / 254.0 * peak, 0.0))
    out["unit_codes"], out["unit_maps"] = codes, maps
    out["W"], out["b"], out["dW"] = [], [], []
    for l, layer in enumerate(p["layers"], start=1):
        shape = (sizes[l], sizes[l - 1])
        out["W"].append(decode_f16(layer["W"], shape))
        out["b"].append(decode_f16(layer["b"], (sizes[l],)))
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
