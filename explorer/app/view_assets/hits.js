// Clicks: a point added or removed on the plane, a unit or an edge selected in the
// diagram, and the selection's panel brought into sight once the page drew it.
// Methods of View (network_view.js mixes them in).
const HITS = {
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
  },

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
    if (sel) this.reveal(sel);
  },

  // The clicked unit's or edge's numbers are drawn under the view, below the first
  // screen: once a frame says the page has it selected (the frame names its panel's
  // key: explorer/app/view_data.py panel_key) and the page has drawn the panel,
  // scroll it into sight, and again if the page moves it while it finishes drawing,
  // until it has stayed in the upper half of the window for half a second. Another
  // click in the meantime takes over; scrolling, a key or a tap of one's own cancels
  // it (no late jump), and so do 15 s (a busy server).
  reveal(sel) {
    const token = (this.revealing = {});
    const until = performance.now() + 15000;
    const cancel = () => { if (this.revealing === token) this.revealing = null; };
    for (const ev of ["wheel", "touchmove", "keydown"]) {
      window.addEventListener(ev, cancel, { once: true, passive: true, capture: true });
    }
    let still = 0;
    const look = () => {
      if (this.revealing !== token || performance.now() > until) return;
      const d = this.data, now = d && d.selected;
      const same = now && Object.keys(sel).every((k) => now[k] === sel[k]);
      const panel = same && d.panel ? document.querySelector(`.st-key-${d.panel}`) : null;
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
};
