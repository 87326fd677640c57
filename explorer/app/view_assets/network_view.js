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
// (per view); a frame's slot is replaced by the next, so each is seen once. One may
// hold several frames (a list, under a full class: one message for several): each
// is drawn "after" ms after the first, unless a newer one came first
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
      const batch = Array.isArray(data) ? data : [data];
      const id = batch.length && batch[0] ? batch[0].id : null;
      if (id && !latest.has(id)) latest.set(id, batch);
    }
    for (const batch of latest.values()) {
      BUS.messages = (BUS.messages || 0) + 1;       // for the tests: frames come in messages
      batch.forEach((data) => {
        if (data.after > 0) setTimeout(() => deliver(data), data.after);
        else deliver(data);
      });
    }
  });
  BUS.watcher.observe(document.body, { childList: true, subtree: true });
}
if (typeof window.__bpxDraws !== "number") window.__bpxDraws = 0;

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
    this.key = el("div", "bpx-legend bpx-key", this.netBox);      // what its colours mean
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

  // --- drawing --------------------------------------------------------------
  draw() {
    if (!this.data) return;
    const t0 = performance.now();
    if (this.dirty) {
      this.frame = decode(this.data, this.frame);
      this.picture();
      this.dirty = false;
    }
    const d = this.frame.d;
    const shape = JSON.stringify([d.sizes, d.inputs, d.classes, d.colors, d.mode,
      d.height || 0, !!d.test, !!d.big]);
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
}

Object.assign(View.prototype, LAYOUT, PLANE, DIAGRAM, HITS);

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
