"""Backprop Explorer: home. What this is, one picture, and the way to each page."""
import streamlit as st

from explorer.app import controls, figures as F, server
from explorer.labs import spirals_demo
from explorer.lessons import LESSONS

PAGES = [("pages/1_Classifier.py", "Classifier", "🎯", "A ReLU network learns to separate 2-D "
          "points: its boundary, its units and the gradient on each weight, live."),
         ("pages/2_Autoencoder.py", "Autoencoder", "🔢", "A 64-32-64 network squeezes 8x8 "
          "digits through a small code; against PCA."),
         ("pages/3_Backprop_math.py", "Backprop math", "✏️", "The derivation line by line "
          "over your network's numbers, the gradient check, and five common slips."),
         ("pages/4_Lessons.py", "Lessons", "🎓", "Twelve experiments, each with what to notice "
          "and why.")]

server.setup("Home")
controls.enter_page("home")


@st.cache_data(show_spinner="Training a small network for the picture…")
def home_picture():
    """The boundary of a network trained on spirals (built once per server)."""
    xs, ys, probs, ds, acc = spirals_demo()
    return F.boundary_figure(xs, ys, probs, ds.X_train, ds.y_train, height=380), acc


st.title("🧠 Backprop Explorer")
left, right = st.columns([6, 5])
with left:
    st.markdown(
        """
Backpropagation is the chain rule, applied layer by layer from the loss back to
every weight. Here small networks learn **live, while you watch**: the gradient
flowing back through every layer, the ReLU units switching it on and off, the
units that die. Every gradient shown is checked against finite differences.
"""
    )
    st.subheader("👉 Start here")
    st.page_link("pages/1_Classifier.py", label="Press Train and watch a network learn",
                 icon="🎯", query_params=LESSONS[0].query)
    st.caption(f"The first lesson, {LESSONS[0].title.lower()}: {LESSONS[0].notice}")
    st.page_link("pages/4_Lessons.py", label="All twelve lessons", icon="🎓")
    st.caption("Each sets up an experiment, asks a question and says what to watch.")
with right:
    fig, acc = home_picture()
    st.plotly_chart(fig)
    st.caption(f"A 2-16-16-3 ReLU network trained on three spirals (test accuracy {acc:.0%}): "
               "each colour is the class it predicts there.")

st.subheader("The pages")
for path, title, icon, text in PAGES:     # the link above its line: never cut short
    st.page_link(path, label=title, icon=icon)
    st.caption(text)
st.info("**For teachers:** every control is in the page's address. Set up an "
        "experiment, copy the link, and the whole class opens the same data, network "
        "and seed.", icon="🔗")
