"""The Backprop-math page's parts: each line of the derivation beside its live value,
the gradient check table, and a common mistake against the correct pass."""
import numpy as np
import pandas as pd
import streamlit as st

from .. import labs
from .. import params as P
from ..lens.diagnostics import sample_batch
from ..nn.activations import ACTIVATIONS
from ..lens.gradcheck import TOL, check_gradients
from ..lens.mistakes import MISTAKES
from ..lens.slips import compare_with_correct
from . import figures as F
from .server import cached_dataset, cached_digits
from .state import page_state


def current_network(kind, n, seed):
    """``(net, X, y, origin)``: the person's own network from the other page (a float64
    copy) or a fresh default one, and a batch of ``n`` of its training samples."""
    lab = page_state(kind).lab
    if lab is None:
        vals = P.PAGES[kind]()
        if kind == "classifier":
            lab = labs.ClassifierLab(cached_dataset(vals.data, vals.n, vals.noise, vals.classes,
                                                    vals.test, vals.seed), vals)
        else:
            lab = labs.AutoencoderLab(cached_digits(), vals)
        origin = "a fresh, untrained network (train one on the other page to see its numbers)"
    else:
        origin = f"your network from the {kind.capitalize()} page, at epoch {lab.epoch}"
    X, y = sample_batch(lab.trainer.X, lab.trainer.y, n, seed)   # what the network is fed
    return lab.net.astype(np.float64), X, y, origin


def show(eq, value, name, n_samples, note=None, binary=False, probability=False):
    """One line of the derivation: its LaTeX, then its live value across the page (beside
    each other, the formulas of the backward pass were cut and a 16-column matrix had
    10 px a column at 1024 px)."""
    st.latex(eq)
    if note:
        st.caption(note)
    value = np.asarray(value, float)
    shape = "×".join(map(str, value.shape))
    rows = value.ndim > 1 and value.shape[0] == n_samples
    st.plotly_chart(F.matrix_figure(value if value.ndim > 1 else value[None, :],
                                    title=f"{name}  ({shape})", ylabel="sample" if rows else None,
                                    binary=binary, probability=probability), key=f"m.{name}")


def _slope_tex(net, l):
    """``f'(z_l)`` of layer ``l`` in LaTeX (the autoencoder's output is always ReLU)."""
    a = ACTIVATIONS["relu" if l == net.n_layers else net.activation]
    return a.tex_slope.replace("z", f"z_{l}").replace("h", f"h_{l}")


def forward(net, X, cache, out, loss):
    n, L = len(X), net.n_layers
    act = ACTIVATIONS[net.activation]
    st.markdown(f"Each layer is an affine map followed by the activation ({act.label}), "
                rf"$z = Wx + b$, $h = {act.tex}$; with samples in rows, $Z = X W^\top + b$. "
                rf"The slope $f'(z) = {act.tex_slope}$ is what backprop will multiply by"
                + (" (for ReLU, the mask $1(z>0)$)." if act.name == "relu" else "."))
    for l in range(1, L + 1):
        show(rf"z_{l} = W_{l}\, {'x' if l == 1 else f'h_{l-1}'} + b_{l}", cache["Z"][l - 1],
             f"Z{l}", n)
        slope = cache["slopes"][l - 1]
        if slope is not None and slope.dtype == bool:
            show(rf"1(z_{l} > 0)", slope.astype(float), f"mask{l}", n,
                 "1 where the unit is on, 0 where ReLU cuts it (and its gradient) off.",
                 binary=True)
        elif slope is not None:
            show(rf"f'(z_{l}) = {_slope_tex(net, l)}", slope, f"slope{l}", n,
                 "How much of the gradient each unit passes back, per sample.")
    if net.output == "softmax":
        show(r"p = \mathrm{softmax}(z_{%d})" % L, out, "P", n,
             "Computed stably: the row maximum is subtracted before exp.", probability=True)
        st.latex(r"L = \frac{1}{n}\sum_i \Big[-f_{y_i} + \log \sum_j e^{f_j}\Big] = %.5f" % loss)
    else:
        show(r"\hat x = \max(0, z_{%d})" % L, out, "Xhat", n)
        st.latex(r"L = \frac{1}{n}\sum_i \lVert x_i - \hat x_i \rVert^2 = %.5f" % loss)


def backward(net, X, grads, deltas):
    n, L = len(X), net.n_layers
    st.markdown(r"$\delta_l = \partial L / \partial z_l$, one row per sample. The output "
                "delta starts the chain; each step back multiplies by the next layer's "
                r"weights transposed, then by this layer's slope $f'(z_l)$ (for ReLU, its "
                "mask), elementwise.")
    if net.output == "softmax":
        show(r"\delta_{%d} = \tfrac{1}{n}\,(p - \mathrm{onehot}(y))" % L, deltas[L - 1],
             f"delta{L}", n, "The 1/n of the mean belongs to the whole difference.")
    else:
        show(r"\delta_{%d} = \tfrac{2}{n}(\hat x_i - x_i) \odot 1(z_{%d} > 0)" % (L, L),
             deltas[L - 1], f"delta{L}", n, "One vector per sample; never summed over samples.")
    for l in range(L - 1, 0, -1):
        show(rf"\delta_{l} = (W_{l+1}^\top \delta_{l+1}) \odot {_slope_tex(net, l)}",
             deltas[l - 1], f"delta{l}", n)
    st.markdown("Each weight gradient sums, over the batch, a delta times the activation "
                "that fed the layer; each bias gradient sums the deltas.")
    for l in range(L, 0, -1):
        src = "x_i" if l == 1 else f"h_{{{l - 1},i}}"
        show(rf"\frac{{\partial L}}{{\partial W_{l}}} = \sum_i \delta_{{{l},i}}\, {src}^\top",
             grads[f"W{l}"], f"dW{l}", n)
        show(rf"\frac{{\partial L}}{{\partial b_{l}}} = \sum_i \delta_{{{l},i}}", grads[f"b{l}"],
             f"db{l}", n)


def gradient_check(net, X, y):
    st.markdown(r"Central differences $\frac{L(\theta+\varepsilon)-L(\theta-\varepsilon)}"
                r"{2\varepsilon}$, $\varepsilon = 10^{-5}$, in float64, on this batch, for the "
                "entries of every parameter array (a random 60 of larger arrays). Relative "
                r"error $\frac{\lVert a - n\rVert}{\max(\lVert a\rVert, \lVert n\rVert)}$ "
                f"below {TOL:g} passes. *Kinks* counts entries whose ±ε nudge flipped a ReLU "
                "on or off: there a finite difference can legitimately disagree.")
    rows = check_gradients(net, X, y)
    st.plotly_chart(F.gradcheck_figure(rows, title="Backprop against finite differences"))
    # six short columns: with eight, the last ones were cut off at 1024 px
    st.dataframe(pd.DataFrame([{
        "array": r["name"], "shape": "×".join(map(str, r["shape"])), "checked": r["checked"],
        "relative error": f"{r['rel_error']:.2e}", "kinks": r["near_kink"],
        "result": "pass" if r["passed"] else "FAIL"} for r in rows]),
        hide_index=True, width="stretch")


@st.cache_data(show_spinner="Training with and without the slip…", max_entries=16)
def _compare(key, seed):
    """The same for everyone with the same seed: cached for the whole class."""
    return compare_with_correct(key, cached_digits(), seed=seed)


def mistake(key, seed):
    """One common slip: wrong and right side by side, its check, and its training."""
    m = MISTAKES[key]
    a, b = st.columns(2)
    a.markdown("**Wrong**")
    a.latex(m.wrong)
    b.markdown("**Right**")
    b.latex(m.right)
    sizes, curves, checks, stops = _compare(key, seed)
    st.caption(f"On a {'-'.join(map(str, sizes))} {m.network} "
               f"({'4 blobs' if m.network == 'classifier' else '600 training digits'}), "
               f"seed {seed} for both, SGD with momentum: the slip's gradient against finite "
               "differences, and 60 epochs with each backward pass.")
    # one under the other, each the page's width: side by side at 1024 px, six "FAIL"s
    # over six 20 px bars ran into each other
    st.plotly_chart(F.gradcheck_figure(checks["slip"], title="Gradient check with the slip"),
                    key="mistake.check")
    st.plotly_chart(F.compare_runs_figure(np.arange(len(curves["correct"])), curves["correct"],
                                         curves["slip"], m.title,
                                         blowup=stops["slip"] and stops["slip"].trail),
                    key="mistake.runs")
    if stops["slip"]:
        st.warning(f"With the slip: {stops['slip'].message}", icon=":material/error:")
    failed = [r["name"] for r in checks["slip"] if not r["passed"]]
    st.warning(f"With this slip the gradient check fails for {', '.join(failed)}: backprop "
               "and finite differences disagree.", icon=":material/cancel:")
