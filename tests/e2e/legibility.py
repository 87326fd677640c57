"""What a chart looks like from the back of a room, measured in the browser.

:func:`chart_problems` reads the boxes Plotly drew for every chart on the page
(plot areas, axis titles, tick labels, legend, title, annotations, bars and their
texts) and lists what a reader could not read: a title or legend over a plot, two
tick labels or two bar texts on top of each other, a note over a bar, text cut off at
the chart's edge or smaller than 14 px. Plotly draws
SVG, so these are the real boxes, after Plotly's own layout at this window size.
:func:`formulas_cut` lists the formulas (KaTeX) wider than the page gives them:
the browser scrolls them sideways, and the end, often the value, is out of sight.
"""

# Boxes are the rendered ones (getBoundingClientRect), in CSS px. Within a plot
# area, text is allowed (heatmap cells carry their counts, annotations name
# things); what may not enter it is an axis title, the legend, the chart title.
_JS = r"""
(minPx) => {
  // an element's box as the four corners the reader sees (rotated text included)
  const quad = (el) => {
    const b = el.getBBox(), m = el.getScreenCTM();
    return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]]
      .map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]);
  };
  // two convex quads overlap by more than tol px (separating axis test)
  const overlap = (p, q, tol) => {
    for (const poly of [p, q]) for (let i = 0; i < 4; i++) {
      const [x0, y0] = poly[i], [x1, y1] = poly[(i + 1) % 4];
      let nx = y0 - y1, ny = x1 - x0; const len = Math.hypot(nx, ny);
      if (len === 0) continue;
      nx /= len; ny /= len;
      const proj = (r) => r.map(([x, y]) => x * nx + y * ny);
      const a = proj(p), c = proj(q);
      if (Math.min(Math.max(...a), Math.max(...c)) - Math.max(Math.min(...a), Math.min(...c)) <= tol)
        return false;
    }
    return true;
  };
  const shown = (el) => { const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && (el.textContent || '').trim() !== ''; };
  const label = (el) => JSON.stringify((el.textContent || '').trim().slice(0, 40));
  const out = [];
  document.querySelectorAll('.js-plotly-plot').forEach((plot, n) => {
    const name = 'chart ' + n + ' ' +
      label(plot.querySelector('.g-gtitle') || plot.querySelector('.legendtext') || plot);
    const svg = plot.querySelector('svg.main-svg');
    if (!svg) return;
    const frame = svg.getBoundingClientRect();
    const areas = [...plot.querySelectorAll('.draglayer .nsewdrag')]
      .filter(el => el.getBoundingClientRect().width > 0).map(quad);
    const titles = [...plot.querySelectorAll('[class*="title"] text')].filter(shown);
    const legend = plot.querySelector('.legend .bg');
    const annotations = [...plot.querySelectorAll('.annotation-text-g text')].filter(shown);
    const ticks = {};
    plot.querySelectorAll('[class*="tick"] > text').forEach(t => {
      if (!shown(t)) return;
      const axis = t.parentNode.getAttribute('class');
      (ticks[axis] = ticks[axis] || []).push(t);
    });
    // numbers in heatmap cells and on bars: read too, so the same size rule holds
    const labels = [...plot.querySelectorAll('.heatmap-label text, text.bartext')].filter(shown);
    const texts = [...titles, ...annotations, ...Object.values(ticks).flat(), ...labels];
    if (legend) texts.push(...[...plot.querySelectorAll('.legendtext')].filter(shown));
    for (const t of texts) {
      const r = t.getBoundingClientRect();
      if (r.left < frame.left - 1 || r.right > frame.right + 1 || r.top < frame.top - 1
          || r.bottom > frame.bottom + 1)
        out.push(`${name}: ${label(t)} is cut off at the chart's edge`);
      const px = parseFloat(getComputedStyle(t).fontSize);
      if (px < minPx) out.push(`${name}: ${label(t)} is ${px} px (< ${minPx})`);
    }
    for (const t of titles) for (const a of areas)
      if (overlap(quad(t), a, 1)) out.push(`${name}: title ${label(t)} lies on a plot area`);
    if (legend) for (const a of areas)
      if (overlap(quad(legend), a, 1)) out.push(`${name}: the legend lies on a plot area`);
    // what sits around the plots: titles, the legend, annotations outside the plot areas
    const loose = [...titles, ...annotations.filter(a => !areas.some(p => overlap(quad(a), p, 1)))];
    if (legend) loose.push(legend);
    for (let i = 0; i < loose.length; i++) for (let j = i + 1; j < loose.length; j++)
      if (overlap(quad(loose[i]), quad(loose[j]), 1))
        out.push(`${name}: ${label(loose[i])} and ${label(loose[j])} overlap`);
    // texts on bars (pass / FAIL): none on another; an annotation on no bar or bar text
    const bartexts = [...plot.querySelectorAll('text.bartext')].filter(shown);
    for (let i = 0; i < bartexts.length; i++) for (let j = i + 1; j < bartexts.length; j++)
      if (overlap(quad(bartexts[i]), quad(bartexts[j]), 0.5))
        out.push(`${name}: ${label(bartexts[i])} and ${label(bartexts[j])} on bars overlap`);
    const bars = [...plot.querySelectorAll('.barlayer .point path')]
      .filter(el => el.getBoundingClientRect().height > 0);
    for (const a of annotations) for (const t of [...bartexts, ...bars])
      if (overlap(quad(a), quad(t), 0.5)) {
        out.push(`${name}: ${label(a)} lies on a bar or its text`);
        break;
      }
    for (const [axis, ts] of Object.entries(ticks))
      for (let i = 0; i < ts.length; i++) for (let j = i + 1; j < ts.length; j++)
        if (overlap(quad(ts[i]), quad(ts[j]), 0.5))
          out.push(`${name}: tick labels ${label(ts[i])} and ${label(ts[j])} (${axis}) collide`);
  });
  return out;
}
"""


def chart_problems(page, min_px=14):
    """What is hard to read in the Plotly charts now drawn on ``page``: a list of
    sentences, empty if none. Charts must be drawn (and scrolled into being, if
    the page draws them lazily) before the call."""
    return page.evaluate(_JS, min_px)


def formulas_cut(page):
    """The formulas now on ``page`` that do not fit their box (their start, cut)."""
    # a formula wider than its box scrolls inside it (KaTeX's own overhang of a
    # subscript is a px or two)
    return page.evaluate("""() => [...document.querySelectorAll('.katex-display')]
        .filter(k => k.clientWidth > 0 && k.scrollWidth > k.clientWidth + 4)
        .map(k => k.querySelector('.katex-html').textContent.slice(0, 60))""")
