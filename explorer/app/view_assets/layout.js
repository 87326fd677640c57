// The network view's layout: where the plane, the diagram's columns and units, and
// their labels and legend go for the element's width (one column on a phone).
// Methods of View (network_view.js mixes them in).
const KEY = 46;                     // px under the diagram for its key (two lines)
// rows under the diagram's units: dead units; with gradients, each layer's norm too
const feet = (d) => (d.mode === "gradient" ? 2 : 1);
// a hidden unit's side: the least before a layer splits in sub-columns, the most
const sides = (d) => (d.big ? [SMIN_BIG, SMAX_BIG] : [SMIN, SMAX]);

const LAYOUT = {
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
      nh = Math.min(budget, Math.max(260, HEAD + feet(d) * FOOT + this.tallest(d.sizes) * 22));
    } else {
      // the boundary gets 55% of the width (at most the height budget), less when
      // a big network needs the room for nodes of 12 px, but never under 42%
      nh = budget - KEY;
      const bodyH = nh - HEAD - feet(d) * FOOT, want = this.need(d, sides(d)[0], bodyH, 2);
      S = Math.round(Math.max(0.42 * W, Math.min(budget, 0.55 * W, W - GAP - want)));
      if (d.big) S = Math.min(S, budget);      // the projector's plane: in the first screen
      nw = W - S - GAP;
    }
    this.root.classList.toggle("narrow", narrow);
    // the element is as tall as its content: the diagram, or the boundary and its key
    this.root.style.minHeight = (narrow ? S + 10 + nh + KEY : Math.max(S, nh + KEY)) + "px";
    const dpr = window.devicePixelRatio || 1;
    for (const [c, w, h] of [[this.plane, S, S], [this.net, nw, nh], [this.edgeCanvas, nw, nh]]) {
      c.style.width = w + "px";
      c.style.height = h + "px";
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
    }
    this.netBox.style.width = nw + "px";
    this.netBox.style.height = nh + KEY + "px";
    this.buildKey(d);
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
  },

  // the key to the diagram's colours, under it, for the edges' mode: each colour one
  // meaning (explorer/app/palette.py); a unit's map is the same in both modes
  buildKey(d) {
    const box = this.key;
    box.textContent = "";
    const item = (style, text) => {
      const it = el("span", "bpx-item", box);
      const sw = el("span", "bpx-swatch", it);
      Object.assign(sw.style, style);
      el("span", "bpx-name", it).textContent = text;
    };
    if (d.mode === "gradient") {
      item({ background: css(GRAD), height: "6px" }, "|∂L/∂w|: wider, darker is larger");
    } else {
      item({ background: css(POS) }, "positive weight");
      item({ background: css(NEG) }, "negative");
    }
    item({ background: `linear-gradient(90deg, ${css(OFF)} 0 30%, ${css(ON_LO)} 30%, ${css(ON_HI)})`,
           height: "12px", border: "1px solid #6b7075" }, "unit: white off, dark on");
  },

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
  },

  // stacked on a narrow screen (a phone), or when the element itself is narrow
  narrow() {
    return window.innerWidth < NARROW || this.root.clientWidth < 420;
  },

  tallest(sizes) {
    // the most nodes in one column once wide layers are split in sub-columns of 20
    return Math.max(...sizes.map((n) => Math.ceil(n / Math.ceil(n / 20))));
  },

  // width of a label in px (the labels' font; read once per layout, since reading
  // a computed style in every frame would make the browser recompute styles)
  measure(text) {
    if (!this.measurer) {
      this.measurer = document.createElement("canvas").getContext("2d");
      this.measurer.font = `15px ${getComputedStyle(this.root).fontFamily}`;
    }
    return this.measurer.measureText(text).width;
  },

  // the columns of the diagram for hidden nodes of side s: [{n, c, rows, s, pad, w, bw}]
  columns(d, s, bodyH) {
    const sizes = d.sizes, L = sizes.length - 1;
    const inW = Math.min(72, Math.max(...d.inputs.map((t) => this.measure(t) + 10)));
    return sizes.map((n, k) => {
      const io = k === 0 || k === L;
      // one column while its nodes can be at least the least side; else sub-columns of side s
      const one = Math.floor((bodyH + PAD) / n) - PAD;
      const side = io ? Math.max(8, Math.min(26, one)) : one >= sides(d)[0] ? Math.min(s, one) : s;
      const pad = side < 16 ? 2 : PAD;                      // dense layers: thinner gaps
      const rows = Math.max(1, Math.min(n, Math.floor((bodyH + pad) / (side + pad))));
      const c = Math.ceil(n / rows), w = k === 0 ? Math.max(side, inW) : side;
      return { n, c, rows: Math.ceil(n / c), s: side, pad, w, bw: c * w + (c - 1) * pad };
    });
  },

  // width the diagram needs with hidden nodes of side s (edges get at least MINGAP)
  need(d, s, bodyH, right) {
    const cols = this.columns(d, s, bodyH);
    return cols.reduce((a, c) => a + c.bw, 0) + (cols.length - 1) * MINGAP + right + 4;
  },

  outRight(d, w) {
    return w >= 300 ? Math.min(120, Math.max(...d.classes.map((t) => this.measure(t))) + 12) : 2;
  },

  geometry(d, w, h) {
    // columns: inputs (labelled boxes), hidden layers (unit maps, split into
    // sub-columns when they do not fit), outputs (class colours). Hidden nodes get
    // the largest side (at most SMAX) that fits; the space between columns goes
    // to the gaps with the most edges.
    const sizes = d.sizes, L = sizes.length - 1;
    const top = HEAD, bodyH = h - HEAD - feet(d) * FOOT;
    const right = this.outRight(d, w);
    let s = sides(d)[1];
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
  },

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
    const yA = g.h - feet(d) * FOOT + 2, yB = g.h - FOOT + 2;
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
    }
  }
};
