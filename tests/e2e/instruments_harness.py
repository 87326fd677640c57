"""A small Streamlit app around the instruments, for their AppTests and screenshots.

Run by ``streamlit run tests/e2e/instruments_harness.py`` (or
``AppTest.from_file``): it builds a lab as the real page would, trains it a few
epochs, and calls ``instruments.classifier(ps)`` or ``instruments.autoencoder(ps)``
exactly as a page does. The sidebar holds the learning-rate control (so "Use" of
the range test has a widget to set) and a switch that pretends a run is on.

Query parameters: ``page`` (classifier | autoencoder), ``epochs`` (trained before
the first draw; default 40 for the classifier, 20 for the autoencoder), ``tab``
(a tab to open first), ``live`` (a number of epochs: a "Run live" button trains
that many in the page's live loop, with the tiers the instruments return), and any
of the page's own link parameters (e.g. ``fork=lr:0.1``, ``data=moons``).
"""
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.relpath(os.path.abspath(__file__), ROOT)
HARNESS_KEYS = ("page", "epochs", "tab", "live")


def running_harness(timeout=90):
    """Yield the base URL of a fresh server running this harness; stop it afterwards."""
    from tests.e2e.server import running_app
    return running_app(timeout=timeout, script=SCRIPT)


def main():
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    import streamlit as st
    from threadpoolctl import threadpool_limits

    from explorer import labs, load_digits_data
    from explorer import params as P
    from explorer.app import controls, instruments, live
    from explorer.app.state import page_state
    threadpool_limits(1)
    st.set_page_config(page_title="Instruments harness", layout="wide")
    page = st.query_params.get("page", "classifier")
    ps = page_state(page)
    if "harness.setup" not in st.session_state:      # the link, once, as a page reads it
        query = {k: st.query_params.get(k) for k in st.query_params.keys()
                 if k not in HARNESS_KEYS}
        ps.values, _ = P.parse(P.PAGES[page], query)
        tab = st.query_params.get("tab")
        if tab:
            st.session_state[f"w.{page}.inst.tab"] = tab
        st.session_state["harness.setup"] = True
    st.sidebar.header("Harness")
    controls.control(page, "lr")
    pretend = st.sidebar.toggle("Pretend a run is on", key="harness.running")
    live_epochs = int(st.query_params.get("live", 0))
    if live_epochs:
        st.sidebar.button("Run live", key="harness.live",
                          on_click=lambda: setattr(ps, "running", True))
    else:
        ps.running = pretend
    epochs = int(st.query_params.get("epochs", 40 if page == "classifier" else 20))
    if page == "classifier":
        if ps.lab is None or ps.lab.needs_rebuild(ps.values):
            ps.lab = labs.ClassifierLab(labs.dataset_for(ps.values), ps.values)
            ps.forget_charts()
            ps.lab.trainer.run(epochs)
        else:
            ps.lab.apply(ps.values)
    else:
        if ps.lab is None or ps.lab.needs_rebuild(ps.values):
            ps.lab = labs.AutoencoderLab(load_digits_data(), ps.values)
            ps.forget_charts()
            ps.lab.trainer.run(epochs)
        else:
            ps.lab.apply(ps.values)
    st.title("🔬 Instruments harness")
    st.caption(f"{page}: epoch {ps.lab.epoch}")
    if ps.note:
        getattr(st, ps.note[0])(ps.note[1])
    if page == "classifier":
        tiers = instruments.classifier(ps)
        st.caption(f"{len(tiers)} live tier(s) offered")
    else:
        tiers = []
        instruments.autoencoder(ps)
    if live_epochs and ps.running:
        live.live_loop(page, ps.lab.trainer, tiers, max_epochs=live_epochs)


if __name__ == "__main__":
    main()
