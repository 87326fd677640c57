// The classifier's forward pass over points of the plane, for the network view to
// paint: the same math as explorer/nn (network.py, activations.py) and the input
// features of explorer/data/features.py. Pure: numbers in, numbers out, no drawing.
//
// The view runs this file as it is; tests/test_forward_js.py runs the same file in
// Node against the NumPy core on random networks. It computes in float64 whatever
// the weights' type, so it agrees with the core run in float64 on the same weights.
//
//   const out = BpxForward.forward(net, px, py);
//   net: {sizes: [D, H_1, ..., K], features: ["x1", "x2", ...], act: "relu",
//         W: [W_1, ..., W_L] (row-major (sizes[l], sizes[l-1]) typed arrays), b: [...]}
//   px, py: the points' coordinates (typed arrays or arrays of length n)
//   out.probs: Float64Array(n * K), softmax of the output layer, point-major
//   out.hidden: [Float64Array(n * H_l)] for every hidden layer, point-major
(function (root, make) {
  if (typeof module === "object" && module.exports) module.exports = make();
  else root.BpxForward = make();
}(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  // explorer/data/features.py: the network's inputs made from a point (x1, x2)
  const FEATURES = {
    x1: (a, b) => a,
    x2: (a, b) => b,
    x1sq: (a, b) => a * a,
    x2sq: (a, b) => b * b,
    x1x2: (a, b) => a * b,
    sinx1: (a, b) => Math.sin(a),
    sinx2: (a, b) => Math.sin(b),
  };

  const LEAK = 0.01;   // explorer/nn/activations.py LEAK
  // the activations whose units are on or off (explorer/nn/activations.py ``gated``);
  // the others have levels
  const GATED = new Set(["relu", "leaky_relu"]);
  // explorer/nn/activations.py: f(z) in place over a layer's pre-activations
  const ACTIVATIONS = {
    relu(z) { for (let k = 0; k < z.length; k++) if (z[k] <= 0) z[k] = 0; },   // NaN stays
    leaky_relu(z) { for (let k = 0; k < z.length; k++) if (!(z[k] > 0)) z[k] *= LEAK; },
    tanh(z) { for (let k = 0; k < z.length; k++) z[k] = Math.tanh(z[k]); },
    sigmoid(z) {   // 1 / (1 + e^-z) for z >= 0 and e^z / (1 + e^z) below: no overflow
      for (let k = 0; k < z.length; k++) {
        const e = Math.exp(-Math.abs(z[k]));
        z[k] = z[k] >= 0 ? 1 / (1 + e) : e / (1 + e);
      }
    },
    linear() {},
  };

  // the network's input matrix (n, D), point-major
  function inputs(features, px, py) {
    const n = px.length, D = features.length, X = new Float64Array(n * D);
    features.forEach((name, f) => {
      const g = FEATURES[name];
      if (!g) throw new Error(`unknown input feature ${name}`);
      for (let p = 0; p < n; p++) X[p * D + f] = g(px[p], py[p]);
    });
    return X;
  }

  // z = h W^T + b over n points: h (n, I), W (O, I) row-major, b (O,) -> (n, O).
  // Four running sums a row (a 64-wide layer of the view's live frames was 10% faster)
  function affine(h, n, I, W, b, O) {
    const z = new Float64Array(n * O);
    for (let p = 0; p < n; p++) {
      const hp = p * I, zp = p * O;
      for (let o = 0; o < O; o++) {
        const wo = o * I;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0, i = 0;
        for (; i + 3 < I; i += 4) {
          s0 += h[hp + i] * W[wo + i];
          s1 += h[hp + i + 1] * W[wo + i + 1];
          s2 += h[hp + i + 2] * W[wo + i + 2];
          s3 += h[hp + i + 3] * W[wo + i + 3];
        }
        for (; i < I; i++) s0 += h[hp + i] * W[wo + i];
        z[zp + o] = b[o] + ((s0 + s1) + (s2 + s3));
      }
    }
    return z;
  }

  // softmax of each row of z (n, K), in place; the largest logit is subtracted first
  function softmax(z, n, K) {
    for (let p = 0; p < n; p++) {
      const r = p * K;
      let m = -Infinity;
      for (let k = 0; k < K; k++) if (z[r + k] > m) m = z[r + k];
      let s = 0;
      for (let k = 0; k < K; k++) { z[r + k] = Math.exp(z[r + k] - m); s += z[r + k]; }
      for (let k = 0; k < K; k++) z[r + k] /= s;
    }
    return z;
  }

  function forward(net, px, py) {
    const sizes = net.sizes, L = sizes.length - 1, n = px.length;
    const act = ACTIVATIONS[net.act];
    if (!act) throw new Error(`unknown activation ${net.act}`);
    if (net.features.length !== sizes[0]) throw new Error("one input feature per input");
    let h = inputs(net.features, px, py);
    const hidden = [];
    for (let l = 1; l <= L; l++) {
      const z = affine(h, n, sizes[l - 1], net.W[l - 1], net.b[l - 1], sizes[l]);
      if (l < L) { act(z); hidden.push(z); }
      h = z;
    }
    return { probs: softmax(h, n, sizes[L]), hidden };
  }

  // The centres of an nx-by-ny grid's cells over [x0, x1] x [y0, y1], in image order:
  // the first row is the top of the plane (the largest y), as the view paints it.
  function gridPoints(xr, yr, nx, ny) {
    const px = new Float64Array(nx * ny), py = new Float64Array(nx * ny);
    const dx = (xr[1] - xr[0]) / nx, dy = (yr[1] - yr[0]) / ny;
    for (let r = 0; r < ny; r++) {
      const y = yr[1] - (r + 0.5) * dy;
      for (let c = 0; c < nx; c++) {
        px[r * nx + c] = xr[0] + (c + 0.5) * dx;
        py[r * nx + c] = y;
      }
    }
    return { px, py };
  }

  return { FEATURES, ACTIVATIONS, GATED, LEAK, forward, gridPoints, inputs, softmax };
}));
