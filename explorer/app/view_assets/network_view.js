// Backprop Explorer: the live network view (st.components.v2, no build step).
//
// Draws two things from compact frames (explorer/app/view_data.py builds them):
// the decision boundary (class probabilities on a grid, training and test points)
// and the network diagram (one map per hidden unit, one edge per weight). A frame
// carries the network's weights; the picture is its forward pass over the plane,
// run here (forward.js, BpxForward, inlined before this file).
//
// One View per key lives for the whole page: its canvases are kept, and a new
// frame only redraws them. Frames arrive through this element (when Python mounts
// it, once per script run) or, for every further frame of a live run, as the text
// of a hidden <div class="bpx-frame"> that Python puts in an st.html slot: one
// watcher of the page hands each to its View (window.__bpxNetworkView). Names
// from the payload only ever go into textContent.

const BUS = (window.__bpxNetworkView ||= { views: new Map(), pending: new Map() });

function deliver(data) {
  if (!data || !data.id) return;
  const view = BUS.views.get(data.id);
  if (view) view.update(data);
  else BUS.pending.set(data.id, data);      // the view picks it up when it starts
}

// the live frames: the newest <div class="bpx-frame"> added in each batch of changes
// (per view); a frame's slot is replaced by the next, so each is seen once
if (!BUS.watcher) {
  BUS.watcher = new MutationObserver((records) => {
    const found = [];
    for (const r of records) {
      for (const n of r.addedNodes) {
        if (n.nodeType !== 1) continue;
        if (n.classList.contains("bpx-frame")) found.push(n);
        else found.push(...n.getElementsByClassName("bpx-frame"));
      }
    }
    const latest = new Map();                 // newest first: older ones of a view are skipped
    for (let i = found.length - 1; i >= 0; i--) {
      let data = null;
      try { data = JSON.parse(found[i].textContent); } catch (e) { continue; }
      if (data && data.id && !latest.has(data.id)) latest.set(data.id, data);
    }
    for (const data of latest.values()) deliver(data);
  });
  BUS.watcher.observe(document.body, { childList: true, subtree: true });
}
if (typeof window.__bpxDraws !== "number") window.__bpxDraws = 0;

const POS = [230, 159, 0];            // positive weight (Okabe-Ito orange)
const NEG = [0, 114, 178];            // negative weight (Okabe-Ito blue)
const GRAD = [118, 42, 131];          // |dL/dw| (purple)
const OFF = [222, 222, 222];          // unit off: ReLU mask 0
const ON_LO = [150, 214, 186], ON_HI = [0, 94, 66];   // unit on, weak -> strong
const INK = "#1b1f24", DEAD = "#b3261e";
const NARROW = 640, GAP = 16, SMIN = 12, SMAX = 30, PAD = 4;
const HEAD = 26, FOOT = 22, LEVELS = 8, MINGAP = 14, MAXEDGES = 300, EDGE_HZ = 10;
const FORWARD_MS = 8, MIN_RES = 16;   // a live frame's forward pass: its time, its coarsest grid

// --- decoding ---------------------------------------------------------------
function bytes(b64) {
  const s = atob(b64), a = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
  return a;
}
const HALF = new Float32Array(65536);
for (let h = 0; h < 65536; h++) {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, f = h & 1023;
  HALF[h] = e === 0 ? s * f * 2 ** -24 : e === 31 ? (f ? NaN : s * Infinity)
    : s * (1 + f / 1024) * 2 ** (e - 15);
}
function halfs(b64) {
  const b = bytes(b64), u = new Uint16Array(b.buffer, 0, b.length >> 1);
  const out = new Float32Array(u.length);
  for (let i = 0; i < u.length; i++) out[i] = HALF[u[i]];
  return out;
}
const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
const css = (c, a = 1) => `rgba(${c[0]},${c[1]},${c[2]},${a})`;
const mix = (a, b, t) => a.map((v, k) => Math.round(v + (b[k] - v) * t));

// 256 colours of a unit map: 0 off, 1..255 on by strength (RGBA packed little-endian)
const MAP_PAL = new Uint32Array(256);
for (let c = 0; c < 256; c++) {
  const col = c === 0 ? OFF : mix(ON_LO, ON_HI, Math.pow((c - 1) / 254, 0.8));
  MAP_PAL[c] = (255 << 24) | (col[2] << 16) | (col[1] << 8) | col[0];
}

// weights as a frame sends them: float32, or float16 for a big network
function floats(b64, dtype) {
  if (dtype !== "f4") return halfs(b64);
  const b = bytes(b64);
  return new Float32Array(b.buffer, 0, b.length >> 2);
}

// the picture is made by View.picture() from the weights: probs and maps start empty
function decode(d) {
  const pts = (p) => p && { n: p.n, xy: halfs(p.xy), y: bytes(p.label) };
  return {
    d, K: d.sizes[d.sizes.length - 1], L: d.sizes.length - 1,
    probs: null, train: pts(d.train), test: pts(d.test), maps: null,
    W: d.layers.map((l) => floats(l.W, d.net.dtype)),
    B: d.layers.map((l) => floats(l.b, d.net.dtype)),
    G: d.layers.map((l) => (l.dW ? halfs(l.dW) : null)),
    colors: d.colors.map(rgb),
    dead: d.dead.map((a) => new Set(a)),
  };
}

// a frame: JSON bytes from Python (or an already parsed object)
function parse(raw) {
  if (raw instanceof Uint8Array || raw instanceof ArrayBuffer) {
    return JSON.parse(new TextDecoder().decode(raw));
  }
  return raw;
}

function fmt(v) {
  if (v === null || v === undefined || !isFinite(v)) return "–";
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 0.01 && a < 1000 ? String(Number(v.toPrecision(2))) : v.toExponential(1);
}

function el(tag, cls, parent) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (parent) parent.appendChild(e);
  return e;
}

// --- the view ---------------------------------------------------------------
class View {
  constructor(id) {
    this.id = id;
    this.root = el("div", "bpx");
    this.planeBox = el("div", "bpx-plane", this.root);
    this.plane = el("canvas", null, this.planeBox);
    this.plane.setAttribute("role", "img");
    this.plane.setAttribute("aria-label", "decision boundary");
    this.epochTag = el("span", "bpx-tag epoch", this.planeBox);
    this.legend = el("div", "bpx-legend", this.planeBox);
    this.netBox = el("div", "bpx-net", this.root);
    // two canvases on top of each other: the edges below (redrawn only when they
    // change), the nodes above (every frame; this one takes the clicks)
    this.edgeCanvas = el("canvas", "bpx-edges", this.netBox);
    this.net = el("canvas", null, this.netBox);
    this.net.setAttribute("role", "img");
    this.net.setAttribute("aria-label", "network diagram");
    this.labels = el("div", "bpx-labels", this.netBox);
    this.img = document.createElement("canvas");        // the probabilities, 1 px per cell
    this.atlas = [];                                    // per hidden layer: all unit maps
    this.frame = null;
    this.geo = null;
    this.width = 0;
    this.raf = 0;
    this.localSel = null;
    this.mark = null;
    this.edgesAt = -1e9;
    this.stats = { frames: 0, draws: 0, ms: 0, edges: 0 };  // for the benchmark
    this.plane.addEventListener("click", (e) => this.clickPlane(e));
    this.net.addEventListener("click", (e) => this.clickNet(e));
    new ResizeObserver(() => this.schedule()).observe(this.root);
  }

  attach(parent, trigger) {
    if (this.root.parentNode !== parent) parent.appendChild(this.root);
    this.trigger = trigger;
  }

  update(raw) {
    const data = parse(raw);
    this.stats.frames += 1;
    // an older frame of the same session, late (a new session, e.g. after the server
    // restarted under an open tab, starts counting again)
    if (this.data && data.sid === this.data.sid && data.seq < this.data.seq) return;
    if (data.points === "same") {                       // the points did not change
      data.train = this.data ? this.data.train : { n: 0, xy: "", label: "" };
      data.test = this.data ? this.data.test : null;
    }
    this.data = data;
    this.dirty = true;
    this.schedule();
  }

  schedule() {
    if (!this.raf) this.raf = requestAnimationFrame(() => { this.raf = 0; this.draw(); });
  }

  send(value) {
    if (this.trigger) this.trigger("event", value);
  }

  selected() {
    if (this.localSel && performance.now() - this.localSel.t < 1500) return this.localSel.sel;
    return this.frame ? this.frame.d.selected : null;
  }

  // --- layout ---------------------------------------------------------------
  layout() {
    this.measurer = null;                       // the font may have changed (theme)
    // side by side on a screen at least 640 px wide (the boundary ~55% of the
    // width, the diagram the rest, both within the height budget); stacked else
    const d = this.frame.d, W = Math.max(240, Math.floor(this.root.clientWidth || 600));
    const budget = d.height || 420, narrow = this.narrow();
    let S, nw, nh;
    if (narrow) {
      S = Math.min(W, 560);
      nw = W;
      nh = Math.min(budget, Math.max(260, HEAD + 2 * FOOT + this.tallest(d.sizes) * 22));
    } else {
      // the boundary gets 55% of the width (at most the height budget), less when
      // a big network needs the room for nodes of 12 px, but never under 42%
      nh = budget;
      const bodyH = nh - HEAD - 2 * FOOT, want = this.need(d, SMIN, bodyH, 2);
      S = Math.round(Math.max(0.42 * W, Math.min(budget, 0.55 * W, W - GAP - want)));
      nw = W - S - GAP;
    }
    this.root.classList.toggle("narrow", narrow);
    // the element is as tall as its content: the diagram, or the boundary and its key
    this.root.style.minHeight = (narrow ? S + 10 + nh : Math.max(S, nh)) + "px";
    const dpr = window.devicePixelRatio || 1;
    for (const [c, w, h] of [[this.plane, S, S], [this.net, nw, nh], [this.edgeCanvas, nw, nh]]) {
      c.style.width = w + "px";
      c.style.height = h + "px";
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
    }
    this.netBox.style.width = nw + "px";
    this.netBox.style.height = nh + "px";
    this.S = S;
    this.dpr = dpr;
    // the key to the colours below the boundary when there is room, else over it
    this.legend.classList.toggle("over", !narrow && budget - S < 48);
    this.legend.style.maxWidth = S + "px";
    this.buildLegend(d);
    this.geo = this.geometry(d, nw, nh);
    this.geoVersion = (this.geoVersion || 0) + 1;      // cached layers are redrawn
    this.pointsKey = null;
    this.buildLabels(d);
  }

  buildLegend(d) {
    const box = this.legend;
    box.textContent = "";
    const item = (cls, color, text) => {
      const it = el("span", "bpx-item", box);
      const dot = el("span", `bpx-dot ${cls}`, it);
      if (color) dot.style.background = color;
      const t = el("span", "bpx-name", it);
      t.textContent = text;
      t.title = text;
    };
    d.classes.forEach((name, k) => item("filled", d.colors[k], name));
    if (d.test) {
      item("filled", "#8a9099", "train");
      item("hollow", null, "test");
    }
  }

  // stacked on a narrow screen (a phone), or when the element itself is narrow
  narrow() {
    return window.innerWidth < NARROW || this.root.clientWidth < 420;
  }

  tallest(sizes) {
    // the most nodes in one column once wide layers are split in sub-columns of 20
    return Math.max(...sizes.map((n) => Math.ceil(n / Math.ceil(n / 20))));
  }

  // width of a label in px (the labels' font; read once per layout, since reading
  // a computed style in every frame would make the browser recompute styles)
  measure(text) {
    if (!this.measurer) {
      this.measurer = document.createElement("canvas").getContext("2d");
      this.measurer.font = `15px ${getComputedStyle(this.root).fontFamily}`;
    }
    return this.measurer.measureText(text).width;
  }

  // the columns of the diagram for hidden nodes of side s: [{n, c, rows, s, pad, w, bw}]
  columns(d, s, bodyH) {
    const sizes = d.sizes, L = sizes.length - 1;
    const inW = Math.min(72, Math.max(...d.inputs.map((t) => this.measure(t) + 10)));
    return sizes.map((n, k) => {
      const io = k === 0 || k === L;
      // one column while its nodes can be at least SMIN; else sub-columns of side s
      const one = Math.floor((bodyH + PAD) / n) - PAD;
      const side = io ? Math.max(8, Math.min(26, one)) : one >= SMIN ? Math.min(s, one) : s;
      const pad = side < 16 ? 2 : PAD;                      // dense layers: thinner gaps
      const rows = Math.max(1, Math.min(n, Math.floor((bodyH + pad) / (side + pad))));
      const c = Math.ceil(n / rows), w = k === 0 ? Math.max(side, inW) : side;
      return { n, c, rows: Math.ceil(n / c), s: side, pad, w, bw: c * w + (c - 1) * pad };
    });
  }

  // width the diagram needs with hidden nodes of side s (edges get at least MINGAP)
  need(d, s, bodyH, right) {
    const cols = this.columns(d, s, bodyH);
    return cols.reduce((a, c) => a + c.bw, 0) + (cols.length - 1) * MINGAP + right + 4;
  }

  outRight(d, w) {
    return w >= 300 ? Math.min(120, Math.max(...d.classes.map((t) => this.measure(t))) + 12) : 2;
  }

  geometry(d, w, h) {
    // columns: inputs (labelled boxes), hidden layers (unit maps, split into
    // sub-columns when they do not fit), outputs (class colours). Hidden nodes get
    // the largest side (at most SMAX) that fits; the space between columns goes
    // to the gaps with the most edges.
    const sizes = d.sizes, L = sizes.length - 1;
    const top = HEAD, bodyH = h - HEAD - 2 * FOOT;
    const right = this.outRight(d, w);
    let s = SMAX;
    while (s > 6 && this.need(d, s, bodyH, right) > w) s -= 1;
    const cols = this.columns(d, s, bodyH);
    const weights = [];
    for (let l = 1; l <= L; l++) weights.push(Math.sqrt(sizes[l - 1] * sizes[l]));
    const total = weights.reduce((a, b) => a + b, 0);
    const avail = Math.max(0, w - 2 - right - cols.reduce((a, c) => a + c.bw, 0) - L * MINGAP);
    let x = 2;
    cols.forEach((col, k) => {
      if (k > 0) x += MINGAP + (avail * weights[k - 1]) / total;
      col.left = Math.round(x);
      col.right = col.left + col.bw;
      col.cx = col.left + col.bw / 2;
      x += col.bw;
      const blockH = col.rows * (col.s + col.pad) - col.pad;
      const y0 = Math.round(top + (bodyH - blockH) / 2);
      col.nodes = [];
      for (let i = 0; i < col.n; i++) {
        const sub = Math.floor(i / col.rows), row = i % col.rows;
        const nx = col.left + sub * (col.w + col.pad), ny = y0 + row * (col.s + col.pad);
        col.nodes.push({ x: nx, y: ny, cx: nx + col.w / 2, cy: ny + col.s / 2 });
      }
    });
    return { cols, L, w, h, right, outNames: right > 2, bodyH };
  }

  buildLabels(d) {
    const g = this.geo, box = this.labels;
    box.textContent = "";
    this.footLabels = [];
    this.deadLabels = [];
    const L = g.L;
    const long = ["input", ...d.sizes.slice(1, -1).map((_, k) => `layer ${k + 1}`), "output"];
    const short = ["in", ...d.sizes.slice(1, -1).map((_, k) => `h${k + 1}`), "out"];
    const fits = (t) => t.every((a, k) => k === 0 ||
      g.cols[k].cx - g.cols[k - 1].cx > (this.measure(a) + this.measure(t[k - 1])) / 2 + 10);
    const titles = fits(long) ? long : short;
    g.cols.forEach((col, k) => {
      const t = el("span", "bpx-label title", box);
      t.textContent = titles[k];
      t.style.left = col.cx + "px";
      t.style.top = "2px";
    });
    d.inputs.forEach((name, i) => {
      const n = g.cols[0].nodes[i], t = el("span", "bpx-label in", box);
      t.textContent = name;
      t.title = name;
      t.style.left = n.x + "px";
      t.style.top = n.cy + "px";
      t.style.width = g.cols[0].w + "px";
    });
    if (g.outNames) {
      d.classes.forEach((name, i) => {
        const n = g.cols[L].nodes[i], t = el("span", "bpx-label out", box);
        t.textContent = name;
        t.title = name;
        t.style.left = n.x + g.cols[L].s + 6 + "px";
        t.style.top = n.cy + "px";
        t.style.maxWidth = g.right - 8 + "px";
      });
    }
    const yA = g.h - 2 * FOOT + 2, yB = g.h - FOOT + 2;
    for (let k = 1; k < L; k++) {
      const t = el("span", "bpx-label foot dead", box);
      t.style.left = g.cols[k].cx + "px";
      t.style.top = yA + "px";
      this.deadLabels.push(t);
    }
    if (d.mode === "gradient") {
      const key = el("span", "bpx-label legend", box);
      key.textContent = "‖∇W‖ ↓";             // above the numbers, left of the layers
      key.style.left = "0px";
      key.style.top = yA + "px";
      this.normKey = key;
      for (let l = 1; l <= L; l++) {
        const t = el("span", "bpx-label foot", box);
        t.style.left = (g.cols[l - 1].right + g.cols[l].left) / 2 + "px";
        t.style.top = yB + "px";
        t.dataset.layer = l;
        this.footLabels.push(t);
      }
    } else {
      const t = el("span", "bpx-label legend", box);
      t.style.left = Math.max(0, g.cols[0].left - 4) + "px";
      t.style.top = yB + "px";
      for (const [c, text] of [[POS, "positive weight"], [NEG, "negative"]]) {
        const sw = el("span", "bpx-swatch", t);
        sw.style.background = css(c);
        const s = el("span", null, t);
        s.textContent = text;
        s.style.marginRight = "12px";
      }
    }
  }

  // --- drawing --------------------------------------------------------------
  draw() {
    if (!this.data) return;
    const t0 = performance.now();
    if (this.dirty) {
      this.frame = decode(this.data);
      this.picture();
      this.dirty = false;
    }
    const d = this.frame.d;
    const shape = JSON.stringify([d.sizes, d.inputs, d.classes, d.colors, d.mode,
      d.height || 0, !!d.test]);
    const W = this.root.clientWidth + (this.narrow() ? 0.5 : 0);
    if (shape !== this.shape || W !== this.width || !this.geo) {
      this.shape = shape;
      this.width = W;
      this.layout();
    }
    this.drawPlane();
    this.drawNet();
    this.plane.dataset.epoch = String(d.epoch);
    this.net.dataset.epoch = String(d.epoch);
    this.root.dataset.draws = String((+this.root.dataset.draws || 0) + 1);
    window.__bpxDraws += 1;
    this.stats.draws += 1;
    this.stats.ms += performance.now() - t0;
    // the page's first picture, for measuring page load in the page itself
    if (!BUS.firstDraw) BUS.firstDraw = performance.mark("bpx-first-draw");
    // the page waits for this frame to be on the screen (once per frame that asks):
    // told after the browser has painted it
    if (d.tell_drawn && this.toldDrawn !== d.sid + ":" + d.seq) {
      this.toldDrawn = d.sid + ":" + d.seq;
      requestAnimationFrame(() => setTimeout(() => this.send({ type: "drawn" }), 0));
    }
  }

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
      const H = d.sizes[l + 1], codes = new Uint8Array(H * r * r), peak = [];
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
        peak.push(Math.max(0, span));
      }
      f.maps.push(codes);
      return { ry: r, rx: r, peak };
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
  }

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
  }

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
  }

  toPx(x1, x2) {
    const p = this.frame.d.plane, S = this.S;
    return [((x1 - p.x[0]) / (p.x[1] - p.x[0])) * S, ((p.y[1] - x2) / (p.y[1] - p.y[0])) * S];
  }

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
  }

  // the anchor points of edge (l, i, j): from unit j of layer l-1 to unit i of layer l
  edgeEnds(l, i, j) {
    const a = this.geo.cols[l - 1], b = this.geo.cols[l], src = a.nodes[j], dst = b.nodes[i];
    const fan = ((j - (a.n - 1) / 2) / Math.max(1, a.n)) * Math.min(b.s * 0.6, 12);
    return [a.right + 1, src.cy, b.left - 1, dst.cy + fan];
  }

  // an edge's bucket: sign (weights mode) and one of LEVELS strengths; an edge is
  // drawn with its bucket's width and opacity (strokeBucket)
  edgeStyle(l, v, gmax) {
    const f = this.frame, grad = f.d.mode === "gradient";
    const t = grad ? (gmax > 0 ? Math.pow(Math.min(1, Math.abs(v) / gmax), 0.8) : 0)
      : Math.min(1, Math.abs(v) / 3);
    const level = Math.min(LEVELS - 1, Math.round(t * (LEVELS - 1)));
    return (grad || v >= 0 ? 0 : LEVELS) + level;
  }

  drawNet() {
    const f = this.frame, d = f.d, g = this.geo, ctx = this.net.getContext("2d");
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, g.w, g.h);
    const sel = this.selected(), grad = d.mode === "gradient";
    const selUnit = sel && sel.kind === "unit" ? sel : null;
    this.drawEdges(sel, grad, selUnit);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "low";
    // nodes
    g.cols.forEach((col, k) => {
      const hidden = k > 0 && k < g.L;
      if (hidden) this.paintAtlas(k);
      col.nodes.forEach((n, i) => {
        const s = col.s;
        if (hidden) {
          ctx.imageSmoothingEnabled = true;
          const u = d.units[k - 1];
          ctx.drawImage(this.atlas[k - 1], 0, i * u.ry, u.rx, u.ry, n.x, n.y, s, s);
          ctx.strokeStyle = "#6b7075";
          ctx.lineWidth = 1;
          ctx.strokeRect(n.x + 0.5, n.y + 0.5, s - 1, s - 1);
          if (f.dead[k - 1].has(i)) {
            ctx.strokeStyle = DEAD;
            ctx.lineWidth = Math.max(2, s / 8);
            ctx.beginPath();
            ctx.moveTo(n.x - 2, n.y - 2); ctx.lineTo(n.x + s + 2, n.y + s + 2);
            ctx.moveTo(n.x + s + 2, n.y - 2); ctx.lineTo(n.x - 2, n.y + s + 2);
            ctx.stroke();
          }
        } else {
          const w = col.w;
          ctx.fillStyle = k === 0 ? "#ffffff" : css(f.colors[i]);
          ctx.fillRect(n.x, n.y, w, s);
          ctx.strokeStyle = INK;
          ctx.lineWidth = 1.5;
          ctx.strokeRect(n.x + 0.75, n.y + 0.75, w - 1.5, s - 1.5);
        }
        if (selUnit && selUnit.layer === k && selUnit.index === i) {
          ctx.strokeStyle = "#ffffff";
          ctx.lineWidth = 5;
          ctx.strokeRect(n.x - 3, n.y - 3, col.w + 6, s + 6);
          ctx.strokeStyle = INK;
          ctx.lineWidth = 2.5;
          ctx.strokeRect(n.x - 3, n.y - 3, col.w + 6, s + 6);
        }
      });
    });
    // text that changes with the frame
    // "3 dead" under each hidden layer ("3 ×" where the layers stand close)
    const spacing = Math.min(...g.cols.slice(2, -1).map((c, k) => c.cx - g.cols[k + 1].cx), Infinity);
    this.deadLabels.forEach((t, k) => {
      const n = f.dead[k].size;
      let text = n ? `${n} dead` : "";
      if (n && this.measure(`${f.dead.reduce((a, s) => Math.max(a, s.size), 0)} dead`) + 8 > spacing) text = `${n} ×`;
      if (t.textContent !== text) t.textContent = text;
    });
    // each layer's gradient norm under its gap: "‖∇W2‖ 0.031" where every one fits
    // between its neighbours, else the numbers alone (the key at the left then says what they are)
    const norms = d.layers.map((layer) => layer.gnorm);
    const plain = norms.every((v) => v === null || v === 0 || (Math.abs(v) >= 0.01 && Math.abs(v) < 1000));
    const nums = norms.map((v) => (plain || v === null || !isFinite(v) ? fmt(v) : v.toExponential(1)));
    const centres = this.footLabels.map((t) => parseFloat(t.style.left));
    const named = nums.map((v, k) => `‖∇W${k + 1}‖ ${v}`);
    const fitsAll = named.every((text, k) => {
      const half = this.measure(text) / 2 + 6;
      return (k === 0 ? centres[k] : centres[k] - centres[k - 1] - this.measure(named[k - 1]) / 2) > half &&
        (k === named.length - 1 ? g.w - centres[k] : Infinity) > half;
    });
    this.footLabels.forEach((t, k) => {
      const text = fitsAll ? named[k] : nums[k];
      if (t.textContent !== text) t.textContent = text;
    });
    if (this.footLabels.length && !fitsAll) {
      // the key where it does not run into the first layer's "n dead"
      const first = this.deadLabels[0];
      const room = first && first.textContent ? parseFloat(first.style.left) - this.measure(first.textContent) / 2 : g.w;
      this.normKey.style.visibility = this.measure(this.normKey.textContent) + 6 < room ? "visible" : "hidden";
    } else if (this.normKey) {
      this.normKey.style.visibility = "hidden";
    }
  }

  // Edges go to their own canvas, redrawn only when one of them changes its look
  // (its bucket: sign and one of LEVELS strengths) or the selection does: hundreds
  // of wide curves are what a frame costs most to rasterise.
  drawEdges(sel, grad, selUnit) {
    const f = this.frame, d = f.d, g = this.geo, plan = [];
    let n = 0;
    for (let l = 1; l <= g.L; l++) n += d.sizes[l - 1] * d.sizes[l];
    const sig = new Uint8Array(n);
    let e = 0;
    for (let l = 1; l <= g.L; l++) {
      const nin = d.sizes[l - 1], nout = d.sizes[l];
      const vals = grad ? f.G[l - 1] : f.W[l - 1];
      const dense = nin * nout > MAXEDGES;
      const maxW = dense ? 1.5 : Math.max(1.5, Math.min(5, g.cols[l].s * 0.25, g.cols[l - 1].s * 0.25));
      let gmax = 0;
      if (grad && vals) for (let k = 0; k < vals.length; k++) gmax = Math.max(gmax, Math.abs(vals[k]));
      // a dense gap (4096 edges between two layers of 64) shows only its strongest
      // edges: all of them would be one solid band
      let cut = -1;
      if (vals && dense) {
        const mags = Float32Array.from(vals, Math.abs).sort();
        cut = mags[mags.length - MAXEDGES];
      }
      const buckets = new Uint8Array(nin * nout);
      for (let k = 0; k < nin * nout; k++) {
        const v = vals ? vals[k] : 0;
        buckets[k] = Math.abs(v) < cut ? 255 : this.edgeStyle(l, v, gmax);
        sig[e++] = buckets[k];
      }
      plan.push({ l, nin, nout, maxW, buckets });
    }
    const key = JSON.stringify([sel, grad, this.geoVersion]);
    const same = this.edgesSig && key === this.edgesKey && this.edgesSig.length === sig.length &&
      this.edgesSig.every((v, k) => v === sig[k]);
    if (same) return;
    // while frames stream in, weights change a little every frame: the edges follow
    // at most EDGE_HZ times a second (a new selection or layout at once), and a
    // timer brings them up to date when the frames stop
    const now = performance.now(), wait = this.edgesAt + 1000 / EDGE_HZ - now;
    if (key === this.edgesKey && wait > 0) {
      clearTimeout(this.edgesTimer);
      this.edgesTimer = setTimeout(() => this.schedule(), wait + 1);
      return;
    }
    this.edgesAt = now;
    this.stats.edges += 1;
    this.edgesSig = sig;
    this.edgesKey = key;
    const ctx = this.edgeCanvas.getContext("2d");
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, this.geo.w, this.geo.h);
    for (const { l, nin, nout, maxW, buckets } of plan) {
      // one stroke per curve, faint ones first: a path of many overlapping curves
      // is several times slower to rasterise than the same curves one by one
      const order = [], hot = [];
      for (let i = 0; i < nout; i++) {
        for (let j = 0; j < nin; j++) {
          const bkt = buckets[i * nin + j];
          const touches = selUnit && ((selUnit.layer === l && selUnit.index === i) ||
                                      (selUnit.layer === l - 1 && selUnit.index === j));
          if (touches) hot.push([bkt === 255 ? 0 : bkt, i, j]);
          if (bkt !== 255) order.push((bkt % LEVELS) * 65536 * 2 + (bkt >= LEVELS ? 65536 : 0) + i * nin + j);
        }
      }
      order.sort((a, b) => a - b);
      ctx.globalAlpha = selUnit ? 0.3 : 1;
      let last = -1;
      for (const code of order) {
        const k = code % 65536, bkt = buckets[k];
        if (bkt !== last) {
          this.strokeStyle(ctx, bkt, maxW, grad);
          last = bkt;
        }
        ctx.beginPath();
        this.curve(ctx, l, Math.floor(k / nin), k % nin);
        ctx.stroke();
      }
      ctx.globalAlpha = 1;
      for (const [bkt, i, j] of hot) {
        this.strokeBucket(ctx, this.curve(new Path2D(), l, i, j), bkt, maxW, grad, true);
      }
      if (sel && sel.kind === "edge" && sel.layer === l && sel.i < nout && sel.j < nin) {
        const bkt = buckets[sel.i * nin + sel.j] === 255 ? 0 : buckets[sel.i * nin + sel.j];
        const p = this.curve(new Path2D(), l, sel.i, sel.j);
        ctx.lineCap = "round";
        ctx.strokeStyle = INK;
        ctx.lineWidth = Math.max(4, this.bucketWidth(bkt, maxW) + 3);
        ctx.stroke(p);
        this.strokeBucket(ctx, p, bkt, maxW, grad, true);
        ctx.lineCap = "butt";
      }
    }
  }

  // add edge (l, i, j) to a path: a curve leaving and entering horizontally
  curve(path, l, i, j) {
    const [x0, y0, x1, y1] = this.edgeEnds(l, i, j), mid = (x0 + x1) / 2;
    path.moveTo(x0, y0);
    path.bezierCurveTo(mid, y0, mid, y1, x1, y1);
    return path;
  }

  bucketWidth(bkt, maxW) {
    const t = (bkt % LEVELS) / (LEVELS - 1);
    return 0.6 + (maxW - 0.6) * t;
  }

  strokeStyle(ctx, bkt, maxW, grad, hot = false) {
    const t = (bkt % LEVELS) / (LEVELS - 1);
    const c = grad ? GRAD : bkt < LEVELS ? POS : NEG;
    ctx.strokeStyle = css(c, hot ? 1 : 0.22 + 0.78 * t);
    ctx.lineWidth = this.bucketWidth(bkt, maxW) + (hot ? 0.8 : 0);
  }

  strokeBucket(ctx, path, bkt, maxW, grad, hot = false) {
    this.strokeStyle(ctx, bkt, maxW, grad, hot);
    ctx.stroke(path);
  }

  paintAtlas(k) {
    const u = this.frame.d.units[k - 1], codes = this.frame.maps[k - 1];
    let c = this.atlas[k - 1];
    if (!c) c = this.atlas[k - 1] = document.createElement("canvas");
    const h = u.ry * this.frame.d.sizes[k];
    if (c.width !== u.rx || c.height !== h) { c.width = u.rx; c.height = h; }
    const ctx = c.getContext("2d"), im = ctx.createImageData(u.rx, h);
    const out = new Uint32Array(im.data.buffer);
    for (let i = 0; i < codes.length; i++) out[i] = MAP_PAL[codes[i]];
    ctx.putImageData(im, 0, 0);
  }

  // --- clicks ---------------------------------------------------------------
  clickPlane(e) {
    if (!this.frame) return;
    const r = this.plane.getBoundingClientRect();
    const ox = e.clientX - r.left, oy = e.clientY - r.top, S = this.S;
    const tr = this.frame.train, tol = e.pointerType === "touch" ? 14 : 8;
    let best = -1, bestD = tol * tol;
    for (let i = 0; i < tr.n; i++) {
      const [x, y] = this.toPx(tr.xy[2 * i], tr.xy[2 * i + 1]);
      const dd = (x - ox) ** 2 + (y - oy) ** 2;
      if (dd <= bestD) { bestD = dd; best = i; }
    }
    if (best >= 0) {
      this.send({ type: "remove_point", index: best });
      return;
    }
    const p = this.frame.d.plane;
    const x1 = p.x[0] + (ox / S) * (p.x[1] - p.x[0]);
    const x2 = p.y[1] - (oy / S) * (p.y[1] - p.y[0]);
    const round = (v) => Math.round(v * 1e4) / 1e4;
    this.mark = { x1, x2, t: performance.now() };
    setTimeout(() => this.schedule(), 1300);
    this.schedule();
    this.send({ type: "add_point", x1: round(x1), x2: round(x2) });
  }

  clickNet(e) {
    if (!this.geo) return;
    const r = this.net.getBoundingClientRect(), g = this.geo;
    const ox = e.clientX - r.left, oy = e.clientY - r.top;
    const tol = e.pointerType === "touch" ? 10 : 5;
    let sel = null;
    g.cols.forEach((col, k) => col.nodes.forEach((n, i) => {
      if (ox >= n.x - 3 && ox <= n.x + col.w + 3 && oy >= n.y - 3 && oy <= n.y + col.s + 3) {
        sel = { kind: "unit", layer: k, index: i };
      }
    }));
    if (!sel) {
      for (let l = 1; l <= g.L && !sel; l++) {
        const x0 = g.cols[l - 1].right + 1, x1 = g.cols[l].left - 1;
        if (ox < x0 || ox > x1) continue;
        // x(t) = x0 + (x1-x0)(1.5 t (1-t) + t^3) is monotone: find t by bisection
        const u = (ox - x0) / (x1 - x0);
        let lo = 0, hi = 1;
        for (let it = 0; it < 30; it++) {
          const t = (lo + hi) / 2;
          if (1.5 * t * (1 - t) + t ** 3 < u) lo = t; else hi = t;
        }
        const t = (lo + hi) / 2, s = t * t * (3 - 2 * t);     // y(t) = y0 + (y1-y0)(3t^2-2t^3)
        // distance across the curve: the vertical miss times the cosine of its slope
        const dxdt = (x1 - x0) * (1.5 * (1 - 2 * t) + 3 * t * t), dsdt = 6 * t * (1 - t);
        let bestD = tol;
        const nin = this.frame.d.sizes[l - 1], nout = this.frame.d.sizes[l];
        for (let i = 0; i < nout; i++) {
          for (let j = 0; j < nin; j++) {
            const [, y0, , y1] = this.edgeEnds(l, i, j), dydt = (y1 - y0) * dsdt;
            const dd = (Math.abs(y0 + (y1 - y0) * s - oy) * Math.abs(dxdt)) / Math.hypot(dxdt, dydt);
            if (dd <= bestD) { bestD = dd; sel = { kind: "edge", layer: l, i, j }; }
          }
        }
      }
    }
    this.localSel = { sel, t: performance.now() };
    this.schedule();
    if (!sel) this.send({ type: "select", what: null });
    else if (sel.kind === "unit") this.send({ type: "select", what: "unit", layer: sel.layer, index: sel.index });
    else this.send({ type: "select", what: "edge", layer: sel.layer, i: sel.i, j: sel.j });
    if (sel) this.reveal(sel.kind === "unit" ? `unit-${sel.layer}-${sel.index}`
                                             : `edge-${sel.layer}-${sel.i}-${sel.j}`);
  }

  // The clicked unit's or edge's numbers are drawn under the view, below the first
  // screen: once the page has drawn them (its panel's key names the selection, see
  // explorer/app/inspector.py: panel_key), scroll them into sight, and again if the
  // page moves them while it finishes drawing, until the panel has stayed in the
  // upper half of the window for half a second. Another click in the meantime takes
  // over; scrolling, a key or a tap of one's own cancels it (no late jump), and so
  // do 15 s (a busy server).
  reveal(name) {
    const token = (this.revealing = {});
    const until = performance.now() + 15000;
    const cancel = () => { if (this.revealing === token) this.revealing = null; };
    for (const ev of ["wheel", "touchmove", "keydown"]) {
      window.addEventListener(ev, cancel, { once: true, passive: true, capture: true });
    }
    let still = 0;
    const look = () => {
      if (this.revealing !== token || performance.now() > until) return;
      const panel = document.querySelector(`.st-key-bpx-panel-${name}`);
      const box = panel && panel.getBoundingClientRect();
      let wait = 100;
      if (box && box.height > 0) {
        if (box.top >= 0 && box.top < window.innerHeight / 2) {
          if (++still >= 5) return;
        } else {
          still = 0;
          panel.scrollIntoView({ behavior: "smooth", block: "start" });
          wait = 600;                         // let the smooth scroll end first
        }
      }
      setTimeout(look, wait);
    };
    look();
  }
}

export default function (component) {
  const { parentElement, setTriggerValue } = component;
  const data = parse(component.data);
  if (!data || !data.id) return undefined;
  let view = BUS.views.get(data.id);
  if (!view) {
    view = new View(data.id);
    BUS.views.set(data.id, view);
  }
  view.attach(parentElement, setTriggerValue);
  view.update(data);
  const late = BUS.pending.get(data.id);
  if (late) {
    BUS.pending.delete(data.id);
    view.update(late);
  }
  // nothing to clean up: the view (and its canvases) are reused if the element
  // is mounted again, e.g. when the page is opened again
  return undefined;
}
