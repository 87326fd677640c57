"""Backprop Explorer: home. What this is, one picture, and the way to each page."""
import numpy as np
import streamlit as st

from explorer import MLP, Trainer
from explorer.app import figures as F
from explorer.app import ui
from explorer.data import make_dataset
from explorer.lens.diagnostics import grid_eval, plane_grid

ui.setup("Home")
ui.enter_page("home")


@st.cache_data(show_spinner="Training a small network for the picture…")
def home_picture():
    """A 2-16-16-3 network trained on three spirals: its boundary (built once per server)."""
    ds = make_dataset("spirals", 450, 0.1, 3, 0.2, 1)
    net = MLP([2, 16, 16, 3], seed=1)
    Trainer(net, ds.X_train, ds.y_train, optimizer="adam", lr=0.01, batch_size=16, seed=1).run(250)
    xs, ys, P = plane_grid(np.vstack([ds.X_train, ds.X_test]), 120)
    probs = grid_eval(net, xs, ys, P)[0]
    acc = float((net.predict(ds.X_test) == ds.y_test).mean())
    return F.boundary_figure(xs, ys, probs, ds.X_train, ds.y_train, height=430,
                             title=f"2-16-16-3 ReLU network on spirals, test accuracy {acc:.0%}")


st.title("🧠 Backprop Explorer")
left, right = st.columns([6, 5])
with left:
    st.markdown(
        """
Backpropagation is the chain rule, applied layer by layer from the loss back to
every weight. This explorer trains small neural networks **live, while you
watch**, with a NumPy implementation you can read, and shows what the derivation
says is happening inside: the deltas, the ReLU masks that switch gradients on and
off, the gradient that reaches each layer, and the units that die.

Every gradient it shows is checked against finite differences.
"""
    )
    st.subheader("Pages")
    st.page_link("pages/1_Classifier.py", label="**Classifier**: a 2-hidden-layer ReLU network "
                 "learns to separate 2-D points. Decision boundary, gradient norms per layer, "
                 "dead units, ReLU masks and linear regions, live.", icon="🎯")
    st.page_link("pages/2_Autoencoder.py", label="**Autoencoder**: a 64-32-64 ReLU network "
                 "learns to compress 8x8 digits. Reconstructions, the code each digit gets, "
                 "filters, dead pixels, and a PCA baseline.", icon="🔢")
    st.page_link("pages/3_Backprop_math.py", label="**Backprop math**: the derivation line by "
                 "line next to live numbers, the gradient check, and five common mistakes "
                 "that make it fail.", icon="✏️")
    st.info("**For teachers:** every control is in the page's address. Set up an "
            "experiment, copy the link, and the whole class opens the same data, network "
            "and seed.", icon="🔗")
with right:
    st.plotly_chart(home_picture())
