"""Autoencoder: a 64-H-64 ReLU network learns to squeeze 8x8 digits through a small code."""
from functools import partial

import streamlit as st

from explorer.app import autoencoder, controls, files, instruments, live, server, teach
from explorer.app.state import widget_key
from explorer.app.charts import section

PAGE = "autoencoder"
with live.first_screen():           # down to the Train bar, one page at a time
    ps = controls.open_page(PAGE)
    control = partial(controls.control, PAGE)

    st.title(server.PAGE[PAGE].heading)
    st.caption("A 64 → H → 64 ReLU network learns to redraw 8x8 digits from a code of H numbers. "
               "Press **Train** and watch the rows marked *rebuilt* sharpen; the dotted line on the "
               "loss is PCA with as many components, the best a *linear* code can do.")
    controls.show_url_notes(PAGE)
    teach.lesson_picker(PAGE)
    teach.lesson_card(PAGE)
    live.train_bar(PAGE)                # first: a press is answered before the sidebar


sb = st.sidebar
sb.header("Network")
control("hidden", help="Units in the code (the hidden layer).")
control("act", help="The code units' activation (the output stays ReLU).")
c1, c2 = sb.columns([2, 1], vertical_alignment="bottom")
control("seed", container=c1)
controls.seed_button(PAGE, c2)
sb.header("Training")
control("opt")
control("lr")
control("bs")
control("l1", step=0.001, format="%.3f")
control("l2", step=0.001, format="%.3f")
control("noise", step=0.05, help="Gaussian noise added to the inputs while training "
        "(a denoising autoencoder); the target stays the clean digit.")
control("epochs", step=10, help="How many epochs one press of Train runs.")
control("speed", help="Epochs per second while training; slow motion lets a class watch it happen.")

lab = autoencoder.experiment(ps)
controls.sync_url(PAGE)
files.save_and_load(ps)
live.show_note(ps)                  # a file's or a run's last word

slots = {"metrics": st.empty(), "warning": st.empty()}
slots["digits"] = section(st, None,
    "Test digits the network never trained on, what comes back through the code, and the "
    "squared error of each pixel (black where there is none).")
# the curves each get the page's width: two panels side by side in half of it were
# 110 px wide at 1024 px
slots["history"] = section(st, "Loss",
    "Squared error summed over the 64 pixels, averaged over images (log scale). Solid: "
    "training images; dashed: test images; dotted: PCA with as many components.")
slots["gradients"] = section(st, "Gradients per layer",
    "Layer 1 is the encoder (64 → H), layer 2 the decoder (H → 64). Dotted: biases.")
st.subheader("Inside the code")
c1, c2 = st.columns([3, 2])
slots["firing_caption"], slots["firing"] = c1.empty(), c1.empty()
slots["dead_pixels"] = section(c2, None,
    "Output pixels whose ReLU is off for every image get no gradient again: dead output "
    "pixels (orange), over the mean digit. Border pixels that are always 0 are the usual "
    "victims.")
# the filters and the walk get the page's width: in half of it at 1024 px a filter
# was a few pixels and a decoded digit 14 px tall
slots["encoder"] = section(st, None, "Encoder filters: each row of W1 as an 8x8 image "
                                     "(purple +, red −).")
slots["decoder"] = section(st, None, "Decoder features: each column of W2, what one code unit "
                                     "adds to the output.")
slots["codes_caption"], slots["codes"] = st.empty(), st.empty()
st.caption("A walk in code space from one digit's code to another's, decoded on the way.")
i1, i2, _ = st.columns([1, 1, 2])
walk = (i1.selectbox("From digit", range(10), index=3, key=widget_key(PAGE, "from")),
        i2.selectbox("To digit", range(10), index=8, key=widget_key(PAGE, "to")))
slots["walk"] = st.empty()

charts = autoencoder.Charts(ps, slots, walk)
charts.numbers_and_digits()
charts.curves()
charts.inside()
if st.toggle(":material/science: Show the instruments: error per digit, worst digits, code units switched off",
             key=widget_key(PAGE, "inst.on")):
    instruments.autoencoder(ps)
if ps.running:
    live.live_loop(PAGE, lab.trainer, [(0.15, charts.numbers_and_digits), (1.0, charts.curves),
                                       (3.0, charts.inside)],
                   max_epochs=ps.values.epochs, per_frame=ps.values.per_frame)
