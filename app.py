"""Backprop Explorer: home. What this is, one picture, and the way to each page."""
import streamlit as st

from explorer.app import controls, figures as F, server
from explorer.labs import spirals_demo

server.setup("Home")
controls.enter_page("home")


@st.cache_data(show_spinner="Training a small network for the picture…")
def home_picture():
    """The boundary of a network trained on spirals (built once per server)."""
    xs, ys, probs, ds, acc = spirals_demo()
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
