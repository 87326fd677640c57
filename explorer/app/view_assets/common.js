// The network view's shared parts: sizes, and how a frame's arrays are decoded
// (base64 bytes, float16 and float32). Inlined with the other view files
// (explorer/app/view.py: VIEW_FILES), before them. The colours (POS, NEG, GRAD, OFF,
// ON_LO, ON_HI, INK, DEAD, EDGE_ALPHA) come before it all, from explorer/app/palette.py: one
// meaning each, shared with the figures.
const NARROW = 640, GAP = 16, SMIN = 12, SMAX = 30, PAD = 4;
const SMIN_BIG = 32, SMAX_BIG = 48;   // the projector's view (network_view(big=True))
const HEAD = 26, FOOT = 22, LEVELS = 8, MINGAP = 14, MAXEDGES = 300, EDGE_HZ = 10;
const FORWARD_MS = 8, MIN_RES = 12;   // a live frame's forward pass: its time, its coarsest grid

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

// weights as a frame sends them (float32, or float16 for a big network), as float64:
// the forward pass reads each many times, and reads float64 faster
function floats(b64, dtype) {
  if (dtype !== "f4") return Float64Array.from(halfs(b64));
  const b = bytes(b64);
  return Float64Array.from(new Float32Array(b.buffer, 0, b.length >> 2));
}

// the picture is made by View.picture() from the weights: probs and maps start empty.
// Points the frame before had too (a later frame of a run) are not decoded again
function decode(d, prev) {
  const pts = (p, old) => (prev && p === prev.d[old] ? prev[old]
                           : p && { n: p.n, xy: halfs(p.xy), y: bytes(p.label) });
  return {
    d, K: d.sizes[d.sizes.length - 1], L: d.sizes.length - 1,
    probs: null, train: pts(d.train, "train"), test: pts(d.test, "test"), maps: null,
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
