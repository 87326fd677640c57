"""Backprop Explorer: home. What this is, one picture, and the way to each page."""
import streamlit as st

from explorer.app import controls, figures as F, server
from explorer.labs import spirals_demo
from explorer.lessons import LESSONS

server.setup("home")
controls.enter_page("home")


@st.cache_data(show_spinner="Training a small network for the picture…")
def home_picture():
    """The boundary of a network trained on spirals (built once per server)."""
    xs, ys, probs, ds, acc = spirals_demo()
    return F.boundary_figure(xs, ys, probs, ds.X_train, ds.y_train, height=380), acc


st.title(f"{server.PAGE['home'].icon} Backprop Explorer")
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
    st.subheader("Start here")
    st.page_link(server.PAGE["classifier"].path, label="Press Train and watch a network learn",
                 icon=":material/play_arrow:", query_params=LESSONS[0].query)
    st.caption(f"The first lesson, {LESSONS[0].title.lower()}: {LESSONS[0].notice}")
    st.page_link(server.PAGE["lessons"].path, label=f"All {len(LESSONS)} lessons",
                 icon=server.PAGE["lessons"].icon)
    st.caption("Each sets up an experiment, asks a question and says what to watch.")
with right:
    fig, acc = home_picture()
    st.plotly_chart(fig)
    st.caption(f"A 2-16-16-3 ReLU network trained on three spirals (test accuracy {acc:.0%}): "
               "each colour is the class it predicts there.")

st.subheader("The pages")
for p in server.PAGES[1:]:                # the link above its line: never cut short
    st.page_link(p.path, label=p.title, icon=p.icon)
    st.caption(p.blurb)
st.info("**For teachers:** every control is in the page's address. Set up an "
        "experiment, copy the link, and the whole class opens the same data, network "
        "and seed.", icon=":material/link:")
