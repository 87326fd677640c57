"""The network view's forward pass (explorer/app/view_assets/forward.js, the file the
browser runs) agrees with the NumPy core on random networks: every activation, every
input feature, 1 to 4 hidden layers, widths 1 to 64, 2 to 6 classes, float32 weights
from tiny to large. Run in Node, one process for all the networks.

What holds and why: both compute in float64 from the same float32 weights (the core
as ``net.astype(np.float64)``), so they differ only by the order of additions and the
two libraries' exp/sin/tanh: far below the 1e-4 asked. The class with the highest
probability is compared where the core's top two differ by more than 1e-3 (nearer,
a rounding may swap them, and so may the picture of a boundary a pixel away).
"""
import json
import shutil
import subprocess

import numpy as np

from explorer.data.features import FEATURES, feature_matrix
from explorer.nn.activations import ACTIVATIONS, LEAK
from explorer.nn.network import MLP

from .helpers import ROOT

FORWARD_JS = ROOT / "explorer" / "app" / "view_assets" / "forward.js"
NODE = shutil.which("node") or "node"      # .ci/run installs it where it is missing

RUN = """
const F = require(process.argv[1]);
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = cases.map(c => {
  const net = {sizes: c.sizes, features: c.features, act: c.act,
               W: c.W.map(w => Float32Array.from(w)), b: c.b.map(b => Float32Array.from(b))};
  const r = F.forward(net, c.px, c.py);
  return {probs: Array.from(r.probs), hidden: r.hidden.map(h => Array.from(h))};
});
process.stdout.write(JSON.stringify(out));
"""


def _cases(seed=0):
    """Random networks and points: each activation with each count of hidden layers,
    features drawn from all of them, weight scales from 1e-3 to 30."""
    rng = np.random.default_rng(seed)
    names = list(FEATURES)
    out = []
    for act in ACTIVATIONS:
        for depth in (1, 2, 3, 4):
            for scale in (1e-3, 1.0, 30.0):
                k = int(rng.integers(1, len(names) + 1))
                features = [str(f) for f in rng.choice(names, k, replace=False)]
                widths = [int(w) for w in rng.choice([1, 2, 5, 16, 33, 64], depth)]
                sizes = [k, *widths, int(rng.integers(2, 7))]
                net = MLP(sizes, output="softmax", seed=int(rng.integers(1 << 30)),
                          activation=act, dtype=np.float32)
                for key, v in net.params.items():   # large and tiny weights, float32
                    v[...] = rng.standard_normal(v.shape) * scale * rng.uniform(0.2, 2)
                P = rng.uniform(-3, 3, (40, 2))
                out.append((net, features, P))
    return out


def _js_forward(cases):
    payload = [{"sizes": net.sizes, "features": features, "act": net.activation,
                "W": [net.params[f"W{l}"].astype(float).ravel().tolist()
                      for l in range(1, net.n_layers + 1)],
                "b": [net.params[f"b{l}"].astype(float).tolist()
                      for l in range(1, net.n_layers + 1)],
                "px": P[:, 0].tolist(), "py": P[:, 1].tolist()}
               for net, features, P in cases]
    r = subprocess.run([NODE, "-e", RUN, str(FORWARD_JS)], input=json.dumps(payload),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_the_views_forward_pass_is_the_cores_on_random_networks():
    cases = _cases()
    assert {net.activation for net, _, _ in cases} == set(ACTIVATIONS)
    assert set().union(*(f for _, f, _ in cases)) == set(FEATURES)
    assert {len(net.sizes) - 2 for net, _, _ in cases} == {1, 2, 3, 4}
    compared = 0
    for (net, features, P), js in zip(cases, _js_forward(cases)):
        ref = net.astype(np.float64)
        probs, cache = ref.forward(feature_matrix(P, features))
        n, K = probs.shape
        got = np.asarray(js["probs"]).reshape(n, K)
        np.testing.assert_allclose(got, probs, rtol=0, atol=1e-4,
                                   err_msg=f"{net.sizes} {net.activation} {features}")
        for l, (h_js, h) in enumerate(zip(js["hidden"], cache["H"][1:]), start=1):
            np.testing.assert_allclose(np.asarray(h_js).reshape(h.shape), h, rtol=0, atol=1e-4,
                                       err_msg=f"layer {l} of {net.sizes} {net.activation}")
        top2 = np.sort(probs, axis=1)[:, -2:]
        clear = top2[:, 1] - top2[:, 0] > 1e-3
        assert np.array_equal(got[clear].argmax(1), probs[clear].argmax(1))
        compared += int(clear.sum())
    assert compared > 1000          # most points are clearly one class's


def test_the_grid_is_in_image_order_with_cells_centred():
    r = subprocess.run([NODE, "-e", """
        const F = require(process.argv[1]);
        const g = F.gridPoints([0, 4], [-1, 1], 4, 2);
        process.stdout.write(JSON.stringify([Array.from(g.px), Array.from(g.py)]));
    """, str(FORWARD_JS)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    px, py = json.loads(r.stdout)
    assert px == [0.5, 1.5, 2.5, 3.5] * 2 and py == [0.5] * 4 + [-0.5] * 4   # top row first


def test_the_views_on_off_units_are_the_cores_gated_activations():
    r = subprocess.run([NODE, "-e", """
        const F = require(process.argv[1]);
        process.stdout.write(JSON.stringify([[...F.GATED], F.LEAK, Object.keys(F.FEATURES),
                                             Object.keys(F.ACTIVATIONS)]));
    """, str(FORWARD_JS)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    gated, leak, features, activations = json.loads(r.stdout)
    assert set(gated) == {k for k, a in ACTIVATIONS.items() if a.gated}
    assert leak == LEAK and features == list(FEATURES) and activations == list(ACTIVATIONS)


def test_the_view_runs_this_very_file():
    from explorer.app import view
    assert view.VIEW_FILES[0] == "forward.js" and view.ASSETS / "forward.js" == FORWARD_JS
