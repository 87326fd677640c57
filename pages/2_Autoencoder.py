"""Autoencoder: a 64-H-64 ReLU network learns to squeeze 8x8 digits through a small code."""
import numpy as np
import streamlit as st

from explorer.app import figures as F
from explorer import labs, limits
from explorer.app import ui
from explorer import params as P

PAGE = "autoencoder"
ui.setup("Autoencoder", "🔢")
ui.enter_page(PAGE)
state = st.session_state

st.title("🔢 Autoencoder: squeeze digits through a small code")
st.caption("A 64 → H → 64 network with ReLU everywhere learns to reproduce 8x8 handwritten "
           "digits from a code of H numbers, by backprop on the squared error. The dotted "
           "line is PCA with as many components: the best a *linear* code can do. The output "
           "biases start at the average training digit and the decoder's weights start small, "
           "so the untrained network draws the average digit and every inked pixel starts "
           "alive. Try a learning rate of 0.1, or SGD at 1, to watch code units and pixels die.")
ui.show_url_notes(PAGE)

sb = st.sidebar
sb.header("Network")
ui.control(PAGE, "hidden", help="Units in the code (the hidden layer).")
c1, c2 = sb.columns([2, 1], vertical_alignment="bottom")
ui.control(PAGE, "seed", container=c1)
c2.button("🎲 New", key="autoencoder.regen", help="New initial weights",
          on_click=lambda: ui.set_value(PAGE, "seed", (ui.values(PAGE)["seed"] + 1) % 1_000_000))
sb.header("Training")
ui.control(PAGE, "opt", format_func=ui.OPT_NAMES.get)
ui.control(PAGE, "lr")
ui.control(PAGE, "bs", min_value=1, max_value=limits.MAX_BATCH)
ui.control(PAGE, "l2", step=0.001, format="%.3f")
ui.control(PAGE, "noise", step=0.05, help="Gaussian noise added to the inputs while training "
           "(a denoising autoencoder); the target stays the clean digit.")
ui.control(PAGE, "epochs", step=10, help="How many epochs one press of Train runs.")
ui.control(PAGE, "speed", format_func=ui.SPEED_NAMES.get,
           help="Epochs per second while training; slow motion lets a class watch it happen.")
v = ui.values(PAGE)

ds = ui.cached_digits()
lab = state.get("autoencoder.lab")
if lab is None or lab.needs_rebuild(v):
    lab = labs.AutoencoderLab(ds, v)
    state["autoencoder.lab"] = lab
else:
    lab.apply(v)
ui.sync_url(PAGE)

ui.save_and_load(PAGE, lab)

ui.train_bar(PAGE)


metrics_ph = st.empty()
left, right = st.columns([1, 1])
history_ph = ui.section(left, "Loss",
    "Squared error summed over the 64 pixels, averaged over images. Solid: training "
    "images; dashed: test images; dotted: PCA with as many components.")
grid_ph = ui.section(right, "Test digits, reconstructions, error",
    "Top: test digits the network never trained on. Middle: what comes back through "
    "the code. Bottom: squared error per pixel.")
grad_ph = ui.section(st, "Gradients per layer",
    "Layer 1 is the encoder (64 → H), layer 2 the decoder (H → 64). Dotted: biases.")
st.subheader("Inside the code")
c1, c2 = st.columns([3, 2])
firing_cap, firing_ph = c1.empty(), c1.empty()
c2.caption("Output pixels whose ReLU is off for every image get no gradient again: dead output "
           "pixels (red), over the mean digit. Border pixels that are always 0 are the usual "
           "victims.")
deadpix_ph = c2.empty()
c3, c4 = st.columns([1, 1])
c3.caption("Encoder filters: each row of W1 as an 8x8 image (orange +, blue −).")
enc_ph = c3.empty()
c4.caption("Decoder features: each column of W2, what one code unit adds to the output.")
dec_ph = c4.empty()
c5, c6 = st.columns([1, 1])
c5.caption("The test set's codes on their first two principal components, by digit.")
codes_ph = c5.empty()
c6.caption("A walk in code space from one digit's code to another's, decoded on the way.")
i1, i2 = c6.columns(2)
da = i1.selectbox("From digit", range(10), index=3, key="w.autoencoder.from")
db = i2.selectbox("To digit", range(10), index=8, key="w.autoencoder.to")
interp_ph = c6.empty()


def draw_numbers_and_digits(frame=0):
    """Every frame: the numbers and the reconstructions (one image)."""
    h = lab.history()
    with metrics_ph.container():
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("Epoch", lab.epoch)
        m2.metric("Train loss", f"{h['train_loss'][-1]:.2f}")
        m3.metric("Test loss", f"{h['test_loss'][-1]:.2f}")
        m4.metric(f"PCA, {v['hidden']} components", f"{lab.pca_error():.2f}",
                  help="Test error of the best linear code of the same size.")
    X, Xhat, labels = lab.grid_digits()
    ui.plot(grid_ph, F.digits_grid_figure(X, Xhat, labels), frame)


def draw_curves(frame=0):
    """Once a second while training: loss and gradient norms over epochs."""
    h = lab.history()
    ui.plot(history_ph, F.history_figure(h["epoch"], h["train_loss"], h["test_loss"],
                                         reference=lab.pca_error(),
                                         reference_name=f"PCA, {v['hidden']} components"), frame)
    ui.plot(grad_ph, F.gradient_figure(h["epoch"], h["grad_W"], h["grad_b"], h["update_ratio"]),
            frame)


def draw_inside(frame=0):
    """Every few seconds while training: what the code and the weights look like."""
    firing, dead = lab.firing()
    firing_cap.caption("How often each code unit fires (ReLU on) for each digit. ✕ marks dead "
                       "units: off for every training image, so backprop never reaches their "
                       f"weights ({int(dead.sum())} of {len(dead)} now).")
    ui.plot(firing_ph, F.code_firing_figure(firing, dead), frame)
    ui.plot(deadpix_ph, F.dead_pixels_figure(lab.dead_pixels(), ds.X_test.mean(0)), frame)
    ui.plot(enc_ph, F.filters_figure(lab.net.params["W1"]), frame)
    ui.plot(dec_ph, F.filters_figure(lab.net.params["W2"].T), frame)
    ui.plot(codes_ph, F.codes_scatter_figure(lab.codes_2d(), ds.y_test), frame)
    ia = int(np.flatnonzero(ds.y_test == da)[0])
    ib = int(np.flatnonzero(ds.y_test == db)[0])
    ui.plot(interp_ph, F.image_strip_figure(lab.interpolate(ia, ib, 8),
                                            captions=[str(da)] + [""] * 6 + [str(db)]), frame)


draw_numbers_and_digits()
draw_curves()
draw_inside()
if ui.is_running(PAGE):
    ui.live_loop(PAGE, lab.trainer, [(0.15, draw_numbers_and_digits), (1.0, draw_curves),
                                     (3.0, draw_inside)],
                 max_epochs=int(v["epochs"]), per_frame=P.SPEEDS[v["speed"]])
