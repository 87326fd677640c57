"""Under the network view: what a clicked unit or edge is doing on a batch, and a
walk through backprop on that batch, step by step, each with its line of the math."""
import numpy as np
import streamlit as st

from ..lens.diagnostics import sample_batch
from ..lens.inspect import batch_pass, edge_report, unit_report, walkthrough
from . import figures as F

BATCH = 8          # samples in the batch the panel and the walk use


def current_batch(lab):
    """The batch shown: ``BATCH`` training samples (fixed by the seed), through the
    network as it is now."""
    t = lab.trainer
    X, y = sample_batch(t.X, t.y, BATCH, lab.values["seed"])
    return batch_pass(lab.net, X, y)


def _layer_name(net, l):
    return "the output layer" if l == net.n_layers else f"hidden layer {l}"


def _num(x):
    return f"{x:.3g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.2e}"


def selection_panel(lab, selected):
    """What the clicked unit or edge does on the batch, with its numbers."""
    if not selected:
        st.caption("Click a unit or an edge of the diagram to see its numbers; click the plane "
                   "to add a point of the chosen class, or a point to remove it.")
        return
    bp = current_batch(lab)
    kind, *idx = selected
    if kind == "unit" and idx[0] == 0:
        st.caption(f"Input {idx[1] + 1} is a feature of the data: it has no weights of its own.")
        return
    if kind == "unit":
        l, i = idx
        r = unit_report(bp, l, i)
        st.markdown(f"**Unit {i + 1} of {_layer_name(bp.net, l)}**"
                    + (" — ☠️ dead: off for every sample, so it passes no gradient back"
                       if r["dead"] else ""))
        c1, c2 = st.columns(2)
        c1.plotly_chart(F.matrix_figure(np.vstack([r["weights"], r["grad_weights"]]),
                                        title="weights in (top), dL/dw"),
                        key="inspect.unit.w")
        c2.plotly_chart(F.matrix_figure(np.column_stack([r["z"], r["delta"]]),
                                        title="z and delta = dL/dz per sample", ylabel="sample"),
                        key="inspect.unit.z")
        st.latex(rf"b = {_num(r['bias'])},\quad \frac{{\partial L}}{{\partial b}} = "
                 rf"\sum_i \delta_i = {_num(r['grad_bias'])}")
        return
    l, i, j = idx
    e = edge_report(bp, l, i, j)
    src = f"x_{{{j + 1}}}" if l == 1 else f"h_{{{l - 1},{j + 1}}}"
    terms = " + ".join(f"({_num(d)})({_num(a)})" for d, a in zip(e["delta"][:4], e["a"][:4]))
    more = " + \\dots" if len(e["delta"]) > 4 else ""
    st.markdown(f"**The weight from unit {j + 1} of "
                f"{'the inputs' if l == 1 else _layer_name(bp.net, l - 1)} to unit {i + 1} of "
                f"{_layer_name(bp.net, l)}**: w = {_num(e['weight'])}")
    st.latex(rf"\frac{{\partial L}}{{\partial w}} = \sum_i \delta_{{{l},{i + 1}}}(i)\,"
             rf"{src}(i) = {terms}{more} = {_num(e['grad'])}")
    st.caption(f"On a batch of {len(e['delta'])} training samples: each term is the delta "
               "arriving at the unit times the activation that fed the edge.")


def walk_panel(lab, step, on_move):
    """Step ``step`` of backprop on the batch, with back and forward buttons."""
    steps = walkthrough(current_batch(lab), lr=lab.trainer.lr)
    step = min(max(step, 0), len(steps) - 1)
    s = steps[step]
    # the buttons keep their width (in columns they were cut to "◀ B…" at 1024 px)
    row = st.container(horizontal=True, vertical_alignment="center", gap="small")
    row.button("◀ Back", key="walk.back", on_click=on_move, args=(step - 1,),
               disabled=step == 0, width=100)
    row.button("Next ▶", key="walk.next", on_click=on_move, args=(step + 1,),
               disabled=step == len(steps) - 1, width=100)
    row.markdown(f"**Step {step + 1} of {len(steps)} · {s.stage}:** {s.title}")
    a, b = st.columns([5, 6], vertical_alignment="center")
    a.latex(s.tex)
    value = np.asarray(s.value, float)
    rows = value.ndim > 1 and value.shape[0] == BATCH
    b.plotly_chart(F.matrix_figure(value if value.ndim > 1 else value[None, :],
                                   title=f"{s.name} ({'×'.join(map(str, value.shape))})",
                                   ylabel="sample" if rows else None), key="walk.value")
