"""Under the network view: what a clicked unit or edge is doing on a batch, and a
walk through backprop on that batch, step by step, each with its line of the math."""
import numpy as np
import streamlit as st

from ..lens.diagnostics import sample_batch
from ..nn.optim import OPTIMIZERS
from ..lens.inspect import batch_pass, edge_report, unit_activity, unit_report, walkthrough
from ..text import md
from . import figures as F, raster
from .view_data import panel_key

BATCH = 8          # samples in the batch the panel and the walk use
MAP_RES = 80       # grid points a side of a clicked unit's map


def current_batch(lab):
    """The batch shown: ``BATCH`` training samples (fixed by the seed), through the
    network as it is now."""
    t = lab.trainer
    X, y = sample_batch(t.X, t.y, BATCH, lab.values.seed)
    return batch_pass(lab.net, X, y)


def _layer_name(net, l):
    return "the output layer" if l == net.n_layers else f"hidden layer {l}"


def _num(x):
    return f"{x:.3g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.2e}"


def _tex(x):
    """A number for LaTeX: ``2.44 \\times 10^{-4}``, not ``2.44e-04``, whose minus TeX
    sets as an operator between two numbers ("2.44e − 04")."""
    text = _num(x)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


def selection_panel(lab, selected):
    """What the clicked unit or edge does on the batch, with its numbers."""
    if not selected:
        st.caption("Click a unit or an edge of the diagram to see its numbers; click the plane "
                   "to add a point of the chosen class, or a point to remove it.")
        return
    with st.container(key=panel_key(selected)):
        _selection(lab, selected)


def _selection(lab, selected):
    bp = current_batch(lab)
    kind, *idx = selected
    if kind == "unit" and idx[0] == 0:
        st.caption(f"Input {idx[1] + 1} is a feature of the data: it has no weights of its own.")
        return
    if kind == "unit":
        unit_panel(lab, bp, *idx)
        return
    l, i, j = idx
    e = edge_report(bp, l, i, j)
    src = f"x_{{{j + 1}}}" if l == 1 else f"h_{{{l - 1},{j + 1}}}"
    source = (f"input {lab.input_names[j]}" if l == 1
              else f"unit {j + 1} of {_layer_name(bp.net, l - 1)}")
    st.markdown(f"**The weight from {source} to unit {i + 1} of {_layer_name(bp.net, l)}**: "
                f"w = {_num(e['weight'])}")
    # every term written out, two to a line (on one line the sum ran off the page at
    # 1024 px and its value was never seen)
    pairs = [f"({_tex(d)})({_tex(a)})" for d, a in zip(e["delta"], e["a"])]
    lines = r" \\ &\quad + ".join(" + ".join(pairs[k:k + 2]) for k in range(0, len(pairs), 2))
    st.latex(rf"\begin{{aligned}} \frac{{\partial L}}{{\partial w}} &= \sum_i "
             rf"\delta_{{{l},{i + 1}}}(i)\,{src}(i) \\ &= {lines} \\ &= {_tex(e['grad'])} "
             r"\end{aligned}")
    st.caption(f"On a batch of {len(e['delta'])} training samples: each term is the delta "
               "arriving at the unit times the activation that fed the edge.")


def unit_panel(lab, bp, l, i):
    """Unit ``i`` of layer ``l``: its map over the plane, large; whether it is alive;
    its incoming weights with their gradients; its z and delta on the batch; its bias."""
    r = unit_report(bp, l, i)
    net, t = lab.net, lab.trainer
    xs, ys, probs, acts, masks = lab.grid(MAP_RES)
    n = len(r["z"])
    if l < net.n_layers:
        a = unit_activity(net, t.X, l, i)
        if a["dead"]:
            status = (":material/skull: dead: off for every training point, so no gradient reaches its "
                      "weights and it cannot learn")
        else:
            status = "" if a["on"] is None else f"on for {a['on']:.0%} of the training points"
            if r["dead"]:
                status += (f"{'; ' if status else ''}off for all {n} samples of this batch, "
                           "so this batch's dL/dw is 0 for each of its weights")
        st.markdown(f"**Unit {i + 1} of hidden layer {l}**" + (f" · {status}" if status else ""))
        mask = masks[l - 1]
        picture = F.unit_map_figure(xs, ys, acts[l - 1][..., i],
                                    None if mask is None else mask[..., i],
                                    lab.ds.X_train, lab.ds.y_train,
                                    title="Its map: white where it is off")
    else:
        st.markdown(f"**Output unit {i + 1}** · {md(lab.class_names[i])}: softmax turns "
                    "the output units' z into the probabilities of the classes")
        picture = F.unit_map_figure(xs, ys, probs[..., i], None, lab.ds.X_train,
                                    lab.ds.y_train, lo=0.0, hi=1.0,
                                    color=raster.CLASS_COLORS[i % len(raster.CLASS_COLORS)],
                                    scale_name="probability",
                                    title="The probability it gives its class")
    sources = (lab.input_names if l == 1
               else [f"unit {j + 1}" for j in range(net.sizes[l - 1])])
    left, right = st.columns(2)
    left.plotly_chart(picture, key="inspect.unit.map")
    left.plotly_chart(F.matrix_figure(np.column_stack([r["z"], r["delta"]]),
                                      title="z and δ = dL/dz", ylabel="sample",
                                      col_names=["z", "δ"], per_column=True),
                      key="inspect.unit.z")
    right.plotly_chart(F.matrix_figure(np.column_stack([r["weights"], r["grad_weights"]]),
                                       title="Weights in, dL/dw", col_names=["w", "dL/dw"],
                                       row_names=sources, per_column=True,
                                       ylabel="from the inputs" if l == 1
                                       else f"from hidden layer {l - 1}"),
                       key="inspect.unit.w")
    # two lines: on one, the sum was cut at the column's edge at 1024 px
    right.latex(rf"\begin{{aligned}} b &= {_tex(r['bias'])} \\ \partial L / \partial b &= "
                rf"\textstyle\sum_i \delta_i = {_tex(r['grad_bias'])} \end{{aligned}}")
    right.caption(f"On a batch of {n} training samples: dL/dw of each weight is the sum over "
                  "the samples of δ times the activation that fed it. Each column is coloured "
                  "on its own scale; the numbers are the values.")


def walk_panel(lab, step, on_move):
    """Step ``step`` of backprop on the batch, with back and forward buttons."""
    steps = walkthrough(current_batch(lab), lr=lab.trainer.lr)
    step = min(max(step, 0), len(steps) - 1)
    s = steps[step]
    # the buttons keep their width (in columns they were cut to "◀ B…" at 1024 px)
    row = st.container(horizontal=True, vertical_alignment="center", gap="small")
    row.button("Back", icon=":material/arrow_back:", key="walk.back", on_click=on_move, args=(step - 1,),
               disabled=step == 0, width=100)
    row.button("Next", icon=":material/arrow_forward:", key="walk.next", on_click=on_move, args=(step + 1,),
               disabled=step == len(steps) - 1, width=100)
    row.markdown(f"**Step {step + 1} of {len(steps)} · {s.stage}:** {s.title}")
    opt = lab.values.opt
    if s.stage == "update" and opt != "sgd":
        st.caption(f"Training itself uses {OPTIMIZERS[opt].label}, whose step also carries "
                   "earlier gradients along: the walk shows the plain step, the idea they share.")
    # the formula, then its value across the page's width (beside the formula, a 16-column
    # matrix had 12 px a column at 1024 px)
    st.latex(s.tex)
    value = np.asarray(s.value, float)
    rows = value.ndim > 1 and value.shape[0] == BATCH
    st.plotly_chart(F.matrix_figure(value if value.ndim > 1 else value[None, :],
                                    title=f"{s.name} ({'×'.join(map(str, value.shape))})",
                                    ylabel="sample" if rows else None), key="walk.value")
