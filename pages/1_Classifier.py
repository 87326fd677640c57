"""Classifier: a ReLU network learns to separate 2-D points, and you watch backprop work."""
import streamlit as st

from explorer.app import figures as F
from explorer import labs, limits
from explorer.lens.diagnostics import activation_regions
from explorer.app import raster, ui
from explorer.data import allowed_classes, make_dataset_from_points, parse_points_csv
from explorer import params as P

PAGE = "classifier"
ui.setup("Classifier", "🎯")
ui.enter_page(PAGE)
state = st.session_state

st.title("🎯 Classifier: watch a network carve up the plane")
st.caption("A network with ReLU hidden layers and a softmax output learns to separate "
           "2-D points by backpropagation. Press **Train** and watch the boundary, the "
           "gradients inside every layer and the ReLU units that make the boundary's corners.")
ui.show_url_notes(PAGE)

# --- sidebar: every control --------------------------------------------------
sb = st.sidebar
sb.header("Data")
kind = ui.control(PAGE, "data", format_func=lambda k: "your own CSV" if k == "csv" else k)
if kind != "csv":
    lo, hi = allowed_classes(kind)
    if hi > lo:
        ui.control(PAGE, "classes", min_value=lo, max_value=hi)
    ui.control(PAGE, "n", step=10)
    ui.control(PAGE, "noise", step=0.01)
else:
    up = sb.file_uploader("CSV with header x1,x2,label", type=["csv"], key="w.csv_upload",
                          max_upload_size=1, help=f"Up to {limits.MAX_CSV_ROWS} rows and 1 MB; "
                          f"{limits.MIN_CLASSES} to {limits.MAX_CLASSES} classes.")
    seen = (state.get("classifier.csv_id"), state.get("classifier.csv_bad_id"))
    if up is not None and up.file_id not in seen:
        try:
            X, y, names = parse_points_csv(up.getvalue())
            state["classifier.csv"] = (X, y, names)
            state["classifier.csv_id"] = up.file_id
            state["classifier.csv_error"] = None
        except ValueError as e:           # the data and the network stay as they were
            state["classifier.csv_bad_id"] = up.file_id
            state["classifier.csv_error"] = (f"That CSV was not loaded: {e} The previous "
                                             "data and network are kept.")
    if state.get("classifier.csv_error"):
        sb.error(state["classifier.csv_error"])
ui.control(PAGE, "test", step=0.05)
c1, c2 = sb.columns([2, 1], vertical_alignment="bottom")
ui.control(PAGE, "seed", container=c1)
c2.button("🎲 New", key="classifier.regen", help="New random data and initial weights",
          on_click=lambda: ui.set_value(PAGE, "seed", (ui.values(PAGE)["seed"] + 1) % 1_000_000))

sb.header("Network")
n_layers = ui.control(PAGE, "layers")
for i in range(1, n_layers + 1):
    ui.control(PAGE, f"h{i}")
ui.control(PAGE, "init", format_func={"he": "He (for ReLU)", "xavier": "Xavier"}.get)

sb.header("Training")
ui.control(PAGE, "opt", format_func=ui.OPT_NAMES.get)
ui.control(PAGE, "lr", help="Try 3 or 10 to see training diverge.")
ui.control(PAGE, "bs", min_value=1, max_value=limits.MAX_BATCH,
           help="Samples per gradient step; larger than the training set means full batch.")
ui.control(PAGE, "l2", step=0.001, format="%.3f")
ui.control(PAGE, "clip", step=0.5, help="Rescale the gradient when its norm is larger. 0 = off.")
ui.control(PAGE, "epochs", step=10, help="How many epochs one press of Train runs at most.")
ui.control(PAGE, "speed", format_func=ui.SPEED_NAMES.get,
           help="Epochs per second while training; slow motion lets a class watch it happen.")

sb.header("View")
ui.control(PAGE, "show_test")
ui.control(PAGE, "discrete", help="Colour each point of the plane by its most likely class only.")
ui.control(PAGE, "res", step=10, help="Points per side of the grid the boundary is drawn on.")

v = ui.values(PAGE)

# --- the experiment: dataset, network, trainer --------------------------------
if v["data"] == "csv":
    if "classifier.csv" not in state:
        st.info("Upload a CSV of labelled points in the sidebar (header `x1,x2,label`). "
                "Until then, here are the moons.")
        ds, names = ui.cached_dataset("moons", v["n"], v["noise"], 2, v["test"], v["seed"]), None
    else:
        X, y, names = state["classifier.csv"]
        ds = make_dataset_from_points(X, y, v["test"], v["seed"])
else:
    ds, names = ui.cached_dataset(v["data"], v["n"], v["noise"], v["classes"], v["test"], v["seed"]), None

lab = state.get("classifier.lab")
data_id = (v["data"], state.get("classifier.csv_id"))
if lab is None or state.get("classifier.data_id") != data_id or lab.needs_rebuild(v):
    lab = labs.ClassifierLab(ds, v, names)
    state["classifier.lab"] = lab
    state["classifier.data_id"] = data_id
else:
    lab.apply(v)
ui.sync_url(PAGE)

ui.save_and_load(PAGE, lab)

# --- controls bar ------------------------------------------------------------
ui.train_bar(PAGE)

snaps = lab.snapshot_epochs()
play = None
if not ui.is_running(PAGE) and len(snaps) > 1:
    # the slider follows the newest epoch unless someone moved it back
    if state.get("w.classifier.play") in (None, state.get("classifier.play_end")) \
            or state["w.classifier.play"] not in snaps:
        state["w.classifier.play"] = snaps[-1]
    state["classifier.play_end"] = snaps[-1]
    play = st.select_slider("⏪ Playback: the network as it was at epoch", options=snaps,
                            key="w.classifier.play",
                            help="Saved snapshots; drag to redraw the boundary, curves, masks "
                                 "and regions as they were.")
    if play == snaps[-1]:
        play = None


metrics_ph = st.empty()
warn_ph = st.empty()
left, right = st.columns([11, 9])
boundary_ph = ui.section(left, "Decision boundary",
    "Shading blends the class colours by probability, pale where the network is "
    "unsure. ● train, ◇ test.")
history_ph = ui.section(right, "Loss and accuracy",
    "Solid: training set. Dashed: test set, never trained on.")
cm_ph = ui.section(right, "Confusion matrix (test set)",
    "Rows: true class. Columns: what the network says.")
grad_ph = ui.section(st, "Gradients inside the network",
    "Backprop sends dL/dW to every layer. Norms that shrink towards the input mean "
    "vanishing gradients; an update ratio ‖ΔW‖/‖W‖ far above the green band (about "
    "1e-3) means the steps are too big, far below it that learning has stalled.")
d1, d2 = st.columns([1, 1])
dead_ph = ui.section(d1, "Dead ReLU units",
    "A unit that is off for every training point gets no gradient (its mask is 0 "
    "everywhere) and cannot come back.")
regions_ph = ui.section(d2, "Linear regions",
    "Each colour is one on/off pattern of all the ReLUs: inside it the network is one "
    "linear map, so the boundary is made of straight pieces.")
masks_ph = ui.section(st, "ReLU activation masks",
    "One map per hidden unit: grey where it is off (ReLU outputs 0 and passes no "
    "gradient back), coloured by its activation where it is on. Hover a map for the "
    "unit's weights and bias.")


LIVE_RES = 60      # grid points per side for a live frame (it is upscaled smoothly)


def state_key():
    """Everything a chart of this page depends on, to reuse charts that did not change."""
    return lab.epoch, play, tuple(sorted(v.items()))


def draw_numbers_and_boundary(frame=0):
    """Every frame: the numbers and the boundary (a plain image while training)."""
    if frame % 2 == 0:                 # the numbers every other frame: half the page updates
        numbers()
    dots = lab.points_layer(v["show_test"])
    if frame:
        probs = lab.grid(min(v["res"], LIVE_RES), play)[2]
        boundary_ph.image(ui.jpeg_uri(raster.boundary_rgb(probs, dots, v["discrete"])), width=440)
        return

    def build():
        xs, ys, probs, _, _ = lab.grid(v["res"], play)
        return F.boundary_figure(xs, ys, probs, ds.X_train, ds.y_train,
                                 ds.X_test if v["show_test"] else None, ds.y_test,
                                 v["discrete"], lab.class_names, height=500,
                                 dots=lab.points_layer(v["show_test"], uri=True))
    boundary_ph.plotly_chart(ui.memo("classifier.boundary", lab, state_key(), build))


def numbers():
    """Epoch, loss and accuracies (of the playback epoch when one is chosen)."""
    h = lab.trainer.history
    i = -1 if play is None else h["epoch"].index(play) if play in h["epoch"] else -1
    with metrics_ph.container():
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("Epoch", f"{lab.epoch}" if play is None else f"{play} of {lab.epoch}")
        m2.metric("Train loss", f"{h['train_loss'][i]:.3f}")
        m3.metric("Train accuracy", f"{h['train_acc'][i]:.0%}")
        m4.metric("Test accuracy", f"{h['test_acc'][i]:.0%}")


def draw_history(frame=0):
    """About once a second while training: loss and accuracy, and the dead-unit warning."""
    h = lab.history()
    ui.plot(history_ph, F.history_figure(h["epoch"], h["train_loss"], h["test_loss"],
                                         h["train_acc"], h["test_acc"], mark=play, height=300),
            frame)
    dead = lab.dead_layers()
    if dead:
        warn_ph.warning("⚠️ " + "; ".join(f"hidden layer {l} has {f:.0%} dead units"
                                           for l, f in dead)
                        + ". Dead units get no gradient; try a smaller learning rate, He "
                          "initialisation or a new seed.")
    else:
        warn_ph.empty()


def draw_gradients(frame=0):
    h = lab.history()
    ui.plot(grad_ph, F.gradient_figure(h["epoch"], h["grad_W"], h["grad_b"], h["update_ratio"],
                                       mark=play), frame)


def dead_figure():
    h = lab.history()
    return F.dead_units_figure(h["epoch"], h["dead_frac"], mark=play)


def confusion_figure():
    return F.confusion_figure(lab.confusion(play), lab.class_names, height=300)


def regions_figure():
    xs, ys, _, _, masks = lab.grid(v["res"], play)
    labels, n_regions = activation_regions(masks)
    return F.regions_figure(xs, ys, labels, n_regions, ds.X_train, ds.y_train,
                            title=f"{n_regions} linear regions in view")


def masks_figure():
    _, _, _, acts, masks = lab.grid(max(24, min(48, v["res"] // 2)), play)
    return F.unit_masks_figure(masks, acts, lab.params_at(play))


INSIDE = [(dead_ph, dead_figure), (cm_ph, confusion_figure), (regions_ph, regions_figure),
          (masks_ph, masks_figure)]


def inside_tier(ph, build, name):
    """Draw one chart of the network's inside; paused, reuse it if nothing changed."""
    def draw(frame=0):
        fig = build() if frame else ui.memo(f"classifier.{name}", lab, state_key(), build)
        ui.plot(ph, fig, frame)
    return draw


INSIDE_TIERS = [inside_tier(ph, build, build.__name__) for ph, build in INSIDE]


draw_numbers_and_boundary()
draw_history()
draw_gradients()
for draw in INSIDE_TIERS:
    draw()
if ui.is_running(PAGE):
    # each chart on its own timer, so the browser never rebuilds several at once
    ui.live_loop(PAGE, lab.trainer,
                 [(0, draw_numbers_and_boundary), (1.0, draw_history), (1.3, draw_gradients)]
                 + [(3.0 + 0.7 * i, draw) for i, draw in enumerate(INSIDE_TIERS)],
                 max_epochs=int(v["epochs"]), per_frame=P.SPEEDS[v["speed"]])
