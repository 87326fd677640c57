"""Backprop math: the derivation line by line, with the live numbers of your network."""
import numpy as np
import pandas as pd
import streamlit as st

from explorer import MLP, Trainer
from explorer.app import figures as F
from explorer import labs
from explorer.app import ui
from explorer.data import make_dataset
from explorer.lens.gradcheck import TOL, check_gradients
from explorer.lens.mistakes import MISTAKES

PAGE = "math"
ui.setup("Backprop math", "✏️")
ui.enter_page(PAGE)
state = st.session_state

st.title("✏️ Backprop math, with your network's numbers")
st.caption("Each line of the derivation next to its value for a small batch of the network "
           "you are training on the other pages (or a fresh one). Rows of every matrix are "
           "samples; blue is negative, orange positive.")
ui.show_url_notes(PAGE)

sb = st.sidebar
net_kind = ui.control(PAGE, "net", format_func=str.capitalize)
ui.control(PAGE, "n", help="Samples in the batch shown here.")
ui.control(PAGE, "seed", help="Which samples are drawn.")
v = ui.values(PAGE)


def current_network():
    """The person's own network from the other page (a float64 copy), or a fresh default."""
    key = "classifier.lab" if net_kind == "classifier" else "autoencoder.lab"
    lab = state.get(key)
    if lab is None:
        from explorer import params as P
        if net_kind == "classifier":
            vals = P.defaults(P.CLASSIFIER)
            lab = labs.ClassifierLab(ui.cached_dataset(vals["data"], vals["n"], vals["noise"],
                                                       vals["classes"], vals["test"], vals["seed"]), vals)
        else:
            lab = labs.AutoencoderLab(ui.cached_digits(), P.defaults(P.AUTOENCODER))
        origin = "a fresh, untrained network (train one on the other page to see its numbers)"
    else:
        origin = f"your network from the {net_kind.capitalize()} page, at epoch {lab.epoch}"
    net = lab.net.astype(np.float64)
    X_all = lab.ds.X_train
    rng = np.random.default_rng(v["seed"])
    idx = np.sort(rng.choice(len(X_all), min(v["n"], len(X_all)), replace=False))
    X = np.asarray(X_all[idx], np.float64)
    y = lab.ds.y_train[idx] if net_kind == "classifier" else X
    return net, X, y, origin


net, X, y, origin = current_network()
L = net.n_layers
st.info(f"Showing {origin}: layers {' → '.join(map(str, net.sizes))}, a batch of {len(X)} "
        "training samples.", icon="🔎")
out, cache = net.forward(X)
loss, D_out = net.output_delta(cache, y)
grads, deltas = net.backward(cache, D_out)


def show(eq, value, name, note=None, binary=False):
    """One line of the derivation: LaTeX on the left, its live value on the right."""
    a, b = st.columns([5, 6], vertical_alignment="center")
    a.latex(eq)
    if note:
        a.caption(note)
    value = np.asarray(value, float)
    shape = "×".join(map(str, value.shape))
    b.plotly_chart(F.matrix_figure(value if value.ndim > 1 else value[None, :],
                                   title=f"{name}  ({shape})",
                                   ylabel="sample" if value.ndim > 1 and value.shape[0] == len(X) else None,
                                   binary=binary),
                   key=f"m.{name}")


tab_fwd, tab_bwd, tab_check, tab_mistakes = st.tabs(
    ["1 · Forward", "2 · Backward", "3 · Gradient check", "4 · Common mistakes"])

with tab_fwd:
    st.markdown("Each layer is an affine map followed by a ReLU, "
                r"$z = Wx + b$, $h = \max(0, z)$; with samples in rows, $Z = X W^\top + b$. "
                "The ReLU mask $1(z>0)$ is what backprop will multiply by.")
    for l in range(1, L + 1):
        show(rf"z_{l} = W_{l}\, {'x' if l == 1 else f'h_{l-1}'} + b_{l}", cache["Z"][l - 1],
             f"Z{l}")
        if l < L or net.output == "relu":
            show(rf"1(z_{l} > 0)", cache["masks"][l - 1].astype(float), f"mask{l}",
                 "1 where the unit is on, 0 where ReLU cuts it (and its gradient) off.",
                 binary=True)
    if net.output == "softmax":
        show(r"p = \mathrm{softmax}(f),\quad f = z_{%d}" % L, out, "P",
             "Computed stably: the row maximum is subtracted before exp.")
        st.latex(r"L = \frac{1}{n}\sum_i \Big[-f_{y_i} + \log \sum_j e^{f_j}\Big] = %.5f" % loss)
    else:
        show(r"\hat x = \max(0, z_{%d})" % L, out, "Xhat")
        st.latex(r"L = \frac{1}{n}\sum_i \lVert x_i - \hat x_i \rVert^2 = %.5f" % loss)

with tab_bwd:
    st.markdown(r"$\delta_l = \partial L / \partial z_l$, one row per sample. The output "
                "delta starts the chain; each step back multiplies by the next layer's "
                r"weights transposed, then by this layer's ReLU mask, elementwise.")
    if net.output == "softmax":
        show(r"\delta_{%d} = \tfrac{1}{n}\,(p - \mathrm{onehot}(y))" % L, deltas[L - 1], f"delta{L}",
             "The 1/n of the mean belongs to the whole difference.")
    else:
        show(r"\delta_{%d} = \tfrac{2}{n}(\hat x_i - x_i) \odot 1(z_{%d} > 0)" % (L, L),
             deltas[L - 1], f"delta{L}", "One vector per sample; never summed over samples.")
    for l in range(L - 1, 0, -1):
        show(rf"\delta_{l} = (W_{l+1}^\top \delta_{l+1}) \odot 1(z_{l} > 0)", deltas[l - 1],
             f"delta{l}")
    st.markdown("Each weight gradient sums, over the batch, a delta times the activation "
                "that fed the layer; each bias gradient sums the deltas.")
    for l in range(L, 0, -1):
        src = "x_i" if l == 1 else f"h_{{{l - 1},i}}"
        show(rf"\frac{{\partial L}}{{\partial W_{l}}} = \sum_i \delta_{{{l},i}}\, {src}^\top",
             grads[f"W{l}"], f"dW{l}")
        show(rf"\frac{{\partial L}}{{\partial b_{l}}} = \sum_i \delta_{{{l},i}}", grads[f"b{l}"],
             f"db{l}")

with tab_check:
    st.markdown(r"Central differences $\frac{L(\theta+\varepsilon)-L(\theta-\varepsilon)}"
                r"{2\varepsilon}$, $\varepsilon = 10^{-5}$, in float64, on this batch, for the "
                "entries of every parameter array (a random 60 of larger arrays). Relative "
                r"error $\frac{\lVert a - n\rVert}{\max(\lVert a\rVert, \lVert n\rVert)}$ "
                f"below {TOL:g} passes. *Kinks* counts entries whose ±ε nudge flipped a ReLU "
                "on or off: there a finite difference can legitimately disagree.")
    rows = check_gradients(net, X, y)
    st.plotly_chart(F.gradcheck_figure(rows, title="Backprop against finite differences"))
    st.dataframe(pd.DataFrame([{
        "array": r["name"], "shape": str(r["shape"]), "entries checked": r["checked"],
        "‖analytic‖": f"{r['analytic_norm']:.6g}", "‖numeric‖": f"{r['numeric_norm']:.6g}",
        "relative error": f"{r['rel_error']:.2e}", "kinks": r["near_kink"],
        "result": "✅ pass" if r["passed"] else "❌ FAIL"} for r in rows]),
        hide_index=True, width="stretch")


@st.cache_data(show_spinner="Training with and without the slip…", max_entries=16)
def mistake_runs(key, epochs=60):
    """Training loss per epoch with the correct backward pass and with slip ``key``.

    Runs on a fixed small problem whose widths let every slip type-check, with SGD
    and momentum (an adaptive optimizer like Adam hides much of a gradient's scale),
    so the result is the same for everyone and cached for the whole class.
    """
    m = MISTAKES[key]
    if m.network == "classifier":
        ds = make_dataset("blobs", 300, 0.4, 4, 0.3, 0)
        sizes, X, y, lr, out = [2, 4, 4, 4], ds.X_train, ds.y_train, 0.05, "softmax"
    else:
        ds = ui.cached_digits()
        sizes, X, y, lr, out = [64, 16, 64], ds.X_train[:600], ds.X_train[:600], 0.005, "relu"
    curves, checks, stops = {}, {}, {}
    for name, backward in (("correct", None), ("slip", m.backward)):
        net = MLP(sizes, output=out, seed=0)
        if out == "relu":
            net.params["b2"][:] = 0.1
        checks[name] = check_gradients(net, X[:6], y[:6], backward=backward)
        t = Trainer(net, X, y, optimizer="momentum", lr=lr, batch_size=32, seed=0,
                    backward=backward)
        t.run(epochs)
        curves[name] = t.history["train_loss"]
        stops[name] = t.diverged["message"] if t.diverged else None
    return sizes, curves, checks, stops


with tab_mistakes:
    st.markdown("Five slips that hand derivations of backprop often contain. Pick one: the "
                "gradient check always catches it. Training may or may not show it: any step "
                "within 90° of the true gradient still goes downhill, so a wrong gradient can "
                "look fine for a while, or go badly wrong at once. That is why the check exists.")
    key = ui.control(PAGE, "mistake", container=st, options=tuple(MISTAKES),
                     format_func=lambda k: f"{MISTAKES[k].title} ({MISTAKES[k].network})")
    m = MISTAKES[key]
    a, b = st.columns(2)
    a.markdown("**Wrong**")
    a.latex(m.wrong)
    b.markdown("**Right**")
    b.latex(m.right)
    sizes, curves, checks, stops = mistake_runs(key)
    st.caption(f"On a {'-'.join(map(str, sizes))} {m.network} "
               f"({'4 blobs' if m.network == 'classifier' else '600 training digits'}), "
               "same seed, SGD with momentum: the slip's gradient against finite differences, "
               "and 60 epochs with each backward pass.")
    c, d = st.columns(2)
    c.plotly_chart(F.gradcheck_figure(checks["slip"], title="Gradient check with the slip"),
                   key="mistake.check")
    d.plotly_chart(F.compare_runs_figure(np.arange(len(curves["correct"])), curves["correct"],
                                         curves["slip"], m.title, title="Training loss"),
                   key="mistake.runs")
    if stops["slip"]:
        st.warning(f"With the slip: {stops['slip']}", icon="💥")
    failed = [r["name"] for r in checks["slip"] if not r["passed"]]
    st.warning(f"With this slip the gradient check fails for {', '.join(failed)}: backprop "
               "and finite differences disagree.", icon="❌")

ui.sync_url(PAGE)
