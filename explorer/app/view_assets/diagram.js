// The diagram: one square per unit (a hidden unit drawn as its map over the plane),
// one curve per weight (by the weights, or by the last step's gradients).
// Methods of View (network_view.js mixes them in).
const DIAGRAM = {
  edgeEnds(l, i, j) {
    const a = this.geo.cols[l - 1], b = this.geo.cols[l], src = a.nodes[j], dst = b.nodes[i];
    const fan = ((j - (a.n - 1) / 2) / Math.max(1, a.n)) * Math.min(b.s * 0.6, 12);
    return [a.right + 1, src.cy, b.left - 1, dst.cy + fan];
  },

  // an edge's bucket: sign (weights mode) and one of LEVELS strengths; an edge is
  // drawn with its bucket's width and opacity (strokeBucket)
  edgeStyle(l, v, gmax) {
    const f = this.frame, grad = f.d.mode === "gradient";
    const t = grad ? (gmax > 0 ? Math.pow(Math.min(1, Math.abs(v) / gmax), 0.8) : 0)
      : Math.min(1, Math.abs(v) / 3);
    const level = Math.min(LEVELS - 1, Math.round(t * (LEVELS - 1)));
    return (grad || v >= 0 ? 0 : LEVELS) + level;
  },

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
  },

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
  },

  // add edge (l, i, j) to a path: a curve leaving and entering horizontally
  curve(path, l, i, j) {
    const [x0, y0, x1, y1] = this.edgeEnds(l, i, j), mid = (x0 + x1) / 2;
    path.moveTo(x0, y0);
    path.bezierCurveTo(mid, y0, mid, y1, x1, y1);
    return path;
  },

  bucketWidth(bkt, maxW) {
    const t = (bkt % LEVELS) / (LEVELS - 1);
    return 0.6 + (maxW - 0.6) * t;
  },

  strokeStyle(ctx, bkt, maxW, grad, hot = false) {
    const t = (bkt % LEVELS) / (LEVELS - 1);
    const c = grad ? GRAD : bkt < LEVELS ? POS : NEG;
    ctx.strokeStyle = css(c, hot ? 1 : EDGE_ALPHA + (1 - EDGE_ALPHA) * t);
    ctx.lineWidth = this.bucketWidth(bkt, maxW) + (hot ? 0.8 : 0);
  },

  strokeBucket(ctx, path, bkt, maxW, grad, hot = false) {
    this.strokeStyle(ctx, bkt, maxW, grad, hot);
    ctx.stroke(path);
  },

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
};
