"""Classifier: a ReLU network learns to separate 2-D points, and you watch backprop work."""
from functools import partial

import streamlit as st

from explorer.app import classifier, controls, files, inspector, instruments, live, server, teach
from explorer.app.state import widget_key
from explorer.app.charts import section
from explorer.data import allowed_classes
from explorer.params import CLASSIFIER, FEATURE_KEYS

PAGE = "classifier"
with live.first_screen():           # down to the Train bar: one page at a time, first
    ps = controls.open_page(PAGE)
    control = partial(controls.control, PAGE)
    # a visit's first run draws the first screen alone: the controls (40 widgets) and the
    # analysis (Plotly's 4.7 MB script) held the first picture up by 0.7 and 1.5 s. Once it
    # is on the screen the view says so, and the run that draws the rest starts (any press)
    first_look = not ps.analysis

    st.title(server.PAGE[PAGE].heading)
    classifier.first_words(ps)          # the open lesson's card, or how to start
    controls.show_url_notes(PAGE, keep=first_look)   # the next run follows at once
    if not first_look:
        teach.lesson_picker(PAGE)
    classifier.projector_toggle(live.train_bar(PAGE), control)   # answered before the sidebar


# --- sidebar: every control --------------------------------------------------
def sidebar():
    sb = st.sidebar
    sb.header("Data")
    if control("data") != "csv":
        lo, hi = allowed_classes(ps.values.data)
        if hi > lo:
            control("classes", min_value=lo, max_value=hi)
        control("n", step=10)
        control("noise", step=0.01)
    else:
        files.points_csv(ps)
    control("test", step=0.05)
    c1, c2 = sb.columns([2, 1], vertical_alignment="bottom")
    control("seed", container=c1)
    controls.seed_button(PAGE, c2)

    sb.header("Network")
    sb.caption("Input features")
    # two a row (four were cut to "X X X X"), labelled as written: x₁, sin x₁
    cols = sb.columns(2)
    for i, key in enumerate(FEATURE_KEYS):
        control(key, container=cols[i % 2], label=CLASSIFIER[key].label)
    for i in range(1, control("layers") + 1):
        control(f"h{i}")
    control("act", help="What each hidden unit does to its input z. Leaky ReLU cannot die; "
            "tanh and sigmoid saturate.")
    control("init")

    sb.header("Training")
    control("opt")
    control("lr", help="Try 3 or 10 to see training diverge.")
    control("bs", help="Samples per gradient step; larger than the training set means full "
            "batch.")
    control("l1", step=0.001, format="%.3f", help="Pulls every weight towards 0 by the same "
            "step: small weights become exactly 0.")
    control("l2", step=0.001, format="%.3f", help="Shrinks every weight in proportion: big "
            "weights most.")
    control("clip", help="Rescale the gradient when its norm is larger than this.")
    control("epochs", step=10, help="How many epochs one press of Train runs at most.")
    control("speed", help="Epochs per second while training; slow motion lets a class watch "
            "it happen.")

    sb.header("View")
    control("show_test")
    control("discrete", help="Colour each point of the plane by its most likely class only.")
    control("res", step=10, help="Points per side of the grid the boundary is drawn on.")


if not first_look:
    sidebar()

# --- the first screen: the bar, the numbers, the network view -----------------
lab = classifier.experiment(ps)
controls.sync_url(PAGE)
if not first_look:
    files.save_and_load(ps)
live.show_note(ps)                  # a file's or a run's last word
slots = {"metrics": st.empty(), "view": st.container()}
walking = False
if not first_look:
    bar = st.columns([3, 2, 3], vertical_alignment="center")
    control("edges", container=bar[0], label="Edges show")
    ps.add_class = bar[1].selectbox("A click adds", range(lab.ds.n_classes),
                                    key=widget_key(PAGE, "add"),
                                    format_func=lambda k: lab.class_names[k])
    walking = bar[2].toggle(":material/footprint: Walk one batch", key=widget_key(PAGE, "walk"),
                            help="Pauses training and steps through backprop on 8 samples.",
                            on_change=lambda: setattr(ps, "running", False))   # before the bar
st.caption("Each square in the network is a unit, its map over the plane (white where it is "
           "off, darker where it is on more); each line a weight, purple positive, red negative, "
           "or the gradient on it. A cross marks a dead unit; hues are classes.")
play = classifier.playback(ps)
charts = classifier.Charts(ps, slots, play)
charts.view(tell_drawn=first_look)
if first_look:
    ps.analysis = True
    st.stop()
if walking:
    ps.running = False
    inspector.walk_panel(lab, ps.walk or 0, lambda k: setattr(ps, "walk", k))
else:
    inspector.selection_panel(lab, ps.selected)

# --- the analysis ----------------------------------------------------------------
# curves over epochs and the regions get the page's width (two panels in half of it
# were 85 px wide at 1024 px; the regions 165 px square); confusion and dead units
# share a row
slots["warning"] = st.empty()
slots["history"] = section(st, "Loss and accuracy",
    "Solid: training set. Dashed: test set, never trained on.")
slots["gradients"] = section(st, "Gradients inside the network",
    "Backprop sends dL/dW to every layer (dotted: dL/db of the biases). Norms that shrink "
    "towards the input mean vanishing gradients; an update ratio ‖ΔW‖/‖W‖ far above the "
    "green band (about 1e-3) means the steps are too big, far below it that learning has "
    "stalled.")
d1, d2 = st.columns([1, 1])
slots["confusion"] = section(d1, "Confusion matrix (test set)",
    "Rows: true class. Columns: what the network says.")
slots["dead"] = section(d2, "Dead ReLU units",
    "A unit off for every training point passes no gradient back (its mask is 0 "
    "everywhere): the loss no longer moves its weights. Only something else can bring it "
    "back: the layers below, momentum, weight decay.")
slots["regions"] = section(st, "Linear regions",
    "Each colour is one on/off pattern of all the ReLUs: inside it the network is one "
    "linear map, so the boundary is made of straight pieces.")

inside = charts.inside()
for draw in [charts.history, charts.gradients, *inside]:
    draw()
instrument_tiers = []
if st.toggle(":material/science: Show the instruments: loss landscape, learning-rate finder, "
             "two runs, which points push, exact linear regions", key=widget_key(PAGE, "inst.on")):
    instrument_tiers = instruments.classifier(ps)
if ps.running:
    # the view every frame; the curves on their own slower timers (a Plotly chart costs
    # the browser far more than a frame of the view); the rest when training pauses
    live.live_loop(PAGE, lab.trainer,
                   [(0, charts.view), (2.0, charts.history), (2.7, charts.gradients)]
                   + instrument_tiers,
                   max_epochs=ps.values.epochs, per_frame=ps.values.per_frame,
                   capture=charts.capture())
