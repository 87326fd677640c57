// The plane: the network's picture over it (one forward pass, forward.js), the
// decision boundary traced through it, and the training and test points.
// Methods of View (network_view.js mixes them in).
const PLANE = {
  // The network over the plane, from one forward pass on an n x n grid: the
  // boundary's class probabilities (bytes, 255 = 1, point-major in image order) and
  // every hidden unit's map on every step-th point (codes: 0 off, 1..255 on by
  // strength up to the unit's peak; for tanh, sigmoid and linear units, by level
  // from lowest to highest). A paused frame is drawn at the page's resolution; a
  // live one as fine as keeps the forward pass within FORWARD_MS.
  picture() {
    const f = this.frame, d = f.d, p = d.plane, K = f.K;
    const n = p.live ? Math.min(p.res, this.liveRes || p.res) : p.res;
    const t0 = performance.now();
    const g = BpxForward.gridPoints(p.x, p.y, n, n);
    const out = BpxForward.forward(
      { sizes: d.sizes, features: d.net.features, act: d.net.act, W: f.W, b: f.B }, g.px, g.py);
    const pr = out.probs, probs = new Uint8Array(n * n * K);
    for (let i = 0; i < n * n; i++) {
      let top = 0;
      for (let k = 1; k < K; k++) if (pr[i * K + k] > pr[i * K + top]) top = k;
      for (let k = 0; k < K; k++) {
        probs[i * K + k] = p.discrete ? (k === top ? 255 : 0) : Math.round(255 * pr[i * K + k]);
      }
    }
    const step = Math.max(1, Math.floor(n / p.map)), r = Math.ceil(n / step);
    const gated = BpxForward.GATED.has(d.net.act);
    f.maps = [];
    d.units = out.hidden.map((h, l) => {
      const H = d.sizes[l + 1], codes = new Uint8Array(H * r * r);
      for (let i = 0; i < H; i++) {
        let lo = Infinity, hi = -Infinity;
        for (let a = 0; a < r; a++) for (let c = 0; c < r; c++) {
          const v = h[(a * step * n + c * step) * H + i];
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        const base = gated ? 0 : lo, span = gated ? hi : hi - lo, scale = span > 0 ? 254 / span : 0;
        for (let a = 0; a < r; a++) for (let c = 0; c < r; c++) {
          const v = h[(a * step * n + c * step) * H + i];
          codes[(i * r + a) * r + c] = gated && !(v > 0) ? 0 : 1 + Math.round((v - base) * scale);
        }
      }
      f.maps.push(codes);
      return { ry: r, rx: r };
    });
    p.nx = p.ny = n;
    f.probs = probs;
    const ms = performance.now() - t0;
    this.stats.forward = { n, ms };
    if (p.live) {                     // the next live frame: finer if there is time, coarser if not
      if (ms > 1.25 * FORWARD_MS && n > MIN_RES) {
        this.liveRes = Math.max(MIN_RES, Math.floor(n * Math.sqrt(FORWARD_MS / ms)));
      } else if (ms < 0.5 * FORWARD_MS && n < p.res) {
        this.liveRes = Math.min(p.res, Math.ceil(n * 1.25));
      }
    }
  },

  drawPlane() {
    const f = this.frame, d = f.d, p = d.plane, K = f.K, n = p.nx * p.ny;
    if (this.img.width !== p.nx || this.img.height !== p.ny) {
      this.img.width = p.nx;
      this.img.height = p.ny;
    }
    const ictx = this.img.getContext("2d"), im = ictx.createImageData(p.nx, p.ny), px = im.data;
    const cols = f.colors, pr = f.probs, inv = 1 / (255 * (1 - 1 / K));
    for (let i = 0, o = 0; i < n; i++, o += 4) {
      let r = 0, g = 0, b = 0, top = 0;
      for (let k = 0; k < K; k++) {
        const q = pr[i * K + k];
        r += q * cols[k][0]; g += q * cols[k][1]; b += q * cols[k][2];
        if (q > top) top = q;
      }
      // sure -> the class colour (a tint), unsure -> pale, as in TF Playground
      const sure = Math.max(0, Math.min(1, (top - 255 / K) * inv));
      const a = (0.06 + 0.44 * sure) / 255;
      px[o] = 255 + (r - 255 * 255) * a;
      px[o + 1] = 255 + (g - 255 * 255) * a;
      px[o + 2] = 255 + (b - 255 * 255) * a;
      px[o + 3] = 255;
    }
    ictx.putImageData(im, 0, 0);
    const ctx = this.plane.getContext("2d"), S = this.S, dpr = this.dpr;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "low";               // bilinear: smooth, and cheap
    ctx.drawImage(this.img, 0, 0, S, S);
    this.drawBoundaryLine(ctx);
    // the points change only when the data does: drawn once into their own layer
    // (the browser rasterises canvas paths when it shows a frame, and a few hundred
    // outlined circles cost more than everything else in the boundary)
    const R = Math.max(3.5, Math.min(6, S / 75));
    const key = [S, dpr, d.train.xy, d.train.label, d.test && d.test.xy, d.test && d.test.label,
      d.colors.join()].join("|");
    if (key !== this.pointsKey) {
      this.pointsKey = key;
      const layer = (this.pointsLayer ||= document.createElement("canvas"));
      layer.width = Math.round(S * dpr);
      layer.height = Math.round(S * dpr);
      const lctx = layer.getContext("2d");
      lctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      if (f.test) this.drawPoints(lctx, f.test, R, true);
      this.drawPoints(lctx, f.train, R, false);
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.imageSmoothingEnabled = false;                // 1:1, nothing to filter
    ctx.drawImage(this.pointsLayer, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    if (this.mark && performance.now() - this.mark.t < 1200) {
      const [mx, my] = this.toPx(this.mark.x1, this.mark.x2);
      ctx.strokeStyle = INK;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(mx, my, R + 4, 0, 2 * Math.PI);
      ctx.stroke();
    }
    this.epochTag.textContent = `epoch ${d.epoch}`;
  },

  // the decision boundary itself: where the most likely class changes, traced
  // through the grid by marching squares on p_k - max_{j != k} p_j = 0
  drawBoundaryLine(ctx) {
    const f = this.frame, p = f.d.plane, K = f.K, nx = p.nx, ny = p.ny, pr = f.probs;
    const sx = this.S / nx, sy = this.S / ny, path = new Path2D();
    const v = new Float32Array(nx * ny), top = new Uint8Array(nx * ny);
    for (let i = 0; i < nx * ny; i++) {
      for (let k = 0; k < K; k++) if (pr[i * K + k] > top[i]) top[i] = pr[i * K + k];
    }
    // no line through a stretch where the network favours no class yet (an untrained
    // network's argmax is noise): a cell needs a corner where one class leads clearly
    const sure = 255 * (1 / K + 0.15 * (1 - 1 / K));
    for (let k = 0; k < (K === 2 ? 1 : K); k++) {
      for (let i = 0; i < nx * ny; i++) {
        let other = 0;
        for (let j = 0; j < K; j++) if (j !== k && pr[i * K + j] > other) other = pr[i * K + j];
        v[i] = pr[i * K + k] - other;
      }
      for (let r = 0; r + 1 < ny; r++) {
        for (let c = 0; c + 1 < nx; c++) {
          const i00 = r * nx + c, i10 = (r + 1) * nx + c;
          if (Math.max(top[i00], top[i00 + 1], top[i10], top[i10 + 1]) < sure) continue;
          const a = v[i00], b = v[i00 + 1], d = v[i10], e = v[i10 + 1];
          const pts = [];
          const cut = (v0, v1, x0, y0, x1, y1) => {
            if ((v0 > 0) !== (v1 > 0)) {
              const t = v0 / (v0 - v1);
              pts.push([(x0 + (x1 - x0) * t + 0.5) * sx, (y0 + (y1 - y0) * t + 0.5) * sy]);
            }
          };
          cut(a, b, c, r, c + 1, r);
          cut(b, e, c + 1, r, c + 1, r + 1);
          cut(e, d, c + 1, r + 1, c, r + 1);
          cut(d, a, c, r + 1, c, r);
          for (let q = 0; q + 1 < pts.length; q += 2) {
            path.moveTo(pts[q][0], pts[q][1]);
            path.lineTo(pts[q + 1][0], pts[q + 1][1]);
          }
        }
      }
    }
    ctx.lineWidth = 2;
    ctx.lineCap = "round";
    ctx.strokeStyle = "rgba(27,31,36,0.6)";
    ctx.stroke(path);
    ctx.lineCap = "butt";
  },

  toPx(x1, x2) {
    const p = this.frame.d.plane, S = this.S;
    return [((x1 - p.x[0]) / (p.x[1] - p.x[0])) * S, ((p.y[1] - x2) / (p.y[1] - p.y[0])) * S];
  },

  drawPoints(ctx, pts, R, hollow) {
    const cols = this.frame.colors;
    for (let k = 0; k < this.frame.K; k++) {
      ctx.beginPath();
      for (let i = 0; i < pts.n; i++) {
        if (pts.y[i] !== k) continue;
        const [x, y] = this.toPx(pts.xy[2 * i], pts.xy[2 * i + 1]);
        ctx.moveTo(x + R, y);
        ctx.arc(x, y, R, 0, 2 * Math.PI);
      }
      if (hollow) {
        ctx.fillStyle = "rgba(255,255,255,0.9)";
        ctx.fill();
        ctx.lineWidth = 3.5;
        ctx.strokeStyle = INK;
        ctx.stroke();
        ctx.lineWidth = 2;
        ctx.strokeStyle = css(cols[k]);
        ctx.stroke();
      } else {
        ctx.fillStyle = css(cols[k]);
        ctx.fill();
        ctx.lineWidth = 1.2;
        ctx.strokeStyle = INK;
        ctx.stroke();
      }
    }
  },

  // the anchor points of edge (l, i, j): from unit j of layer l-1 to unit i of layer l
};
