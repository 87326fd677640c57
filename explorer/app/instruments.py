"""The instruments, on the page where each belongs: one call per page.

    extra_tiers = instruments.classifier(ps)     # the Classifier page, below its analysis
    instruments.autoencoder(ps)                  # the Autoencoder page, below "Inside the code"

Each draws an "Instruments" section of tabs. Only the open tab runs (the tabs
rerun the page when switched), each instrument is explained in one sentence, and
what it computes is kept in the page state's ``memo`` per network and epoch, so a
rerun that changed nothing draws it again for free. The costly ones (the loss
landscape, the range test, the exact regions, catching the second run up) compute
only while training is paused, when their tab is open; during a run the tab shows
what it had, and says so.

The arrays come from :mod:`explorer.lens` (pure NumPy) and the charts from
:mod:`explorer.app.instrument_figures`; this module only arranges them.
"""
import time
from dataclasses import dataclass

import numpy as np
import streamlit as st

from .. import labs, limits
from ..lens import ablation, influence, landscape, lr_finder, regions
from ..lens import fork as forks
from ..lens.diagnostics import activation_regions, dead_units
from ..nn.activations import ACTIVATIONS
from ..text import md
from . import instrument_figures as IF
from .charts import keep, kept, plot
from .controls import set_value
from .state import widget_key

# short enough that all five fit beside the sidebar at 1024 px
CLASSIFIER_TABS = ("Loss landscape", "LR finder", "Two runs", "Which points push",
                   "Linear regions")
AUTOENCODER_TABS = ("Error per digit", "Worst digits", "Switching code units off")
LANDSCAPE_RES = 25          # 25 x 25 losses per slice
REGIONS_RES = 160           # the grid the regions are coloured on (and the estimate counts)
MAX_EXACT_REGIONS = 20_000  # the exact count stops beyond this many regions,
MAX_EXACT_SECONDS = 1.5     # or after this long (wide, deep, trained networks)
PUSH_RES = 70
FORK_RES = 70
CATCH_UP_SECONDS = 2.0      # what a paused rerun may spend catching the second run up
BOTH_SECONDS = 1.5          # what "Run both" may spend on each run per press
# (no button or option here says "Train": the page's own Train button is found by that word)
RANGE_STEPS = 200


def _k(page, name):
    """The widget key of one of the instruments' widgets."""
    return widget_key(page, f"inst.{name}")


def _result(ps, name, key, build, fresh):
    """The instrument's result for ``key``: kept, or built now if ``fresh`` allows it.

    Returns ``(value, key it was computed for, seconds it took)``; the value is
    None when there is none yet and it may not be built now.
    """
    old = kept(ps, "inst." + name)
    if old is not None and (old.key == key or not fresh):
        return old.value, old.key, old.seconds
    if not fresh:
        return None, None, None
    new = keep(ps, "inst." + name, key, build)
    return new.value, new.key, new.seconds


def _paused_note(ps, key, now):
    """Say that a result is older than the network (shown while training)."""
    if key is not None and key[:2] != now[:2]:
        st.caption(f":material/pause: Shown as at epoch {key[0]}: it is computed again when training pauses.")


def _tabs(page, names):
    """Tabs that rerun the page when switched, so only the open one computes."""
    return st.tabs(names, key=_k(page, "tab"), on_change="rerun")


def _open(tab):
    """True if ``tab`` is the open one (or when the tabs do not say: then all run)."""
    return tab.open is not False


# =============================================================================== #
# Classifier
# =============================================================================== #
def classifier(ps):
    """The Classifier page's instruments: loss landscape, learning-rate finder, two
    runs, which points push, linear regions.

    Parameters
    ----------
    ps : ClassifierState
        ``page_state("classifier")`` with its lab built (``ps.lab``).

    Returns
    -------
    list of (seconds, draw)
        Tiers for :func:`explorer.app.live.live_loop` (add them to the page's):
        while a second run exists and its tab is open, it trains in step with the
        page's run and its charts follow. Empty otherwise.
    """
    st.subheader(":material/science: Instruments")
    st.caption("Measurements no playground has. The costly ones are computed when training "
               "pauses.")
    tabs = _tabs("classifier", CLASSIFIER_TABS)
    tiers = []
    for tab, draw in zip(tabs, (_landscape, _lr_finder, _two_runs, _pushes, _regions)):
        if _open(tab):
            with tab:
                tiers += draw(ps) or []
    return tiers


def _key(lab, *more):
    """What a result depends on: the network's epoch and hand edits (and ``more``)."""
    return (lab.epoch, lab.edits, *more)


# --- loss landscape -----------------------------------------------------------------------------
def _landscape(ps):
    lab, page = ps.lab, "classifier"
    st.caption("The training loss on a flat slice through the network's weights: the star is the "
               "network now, and a step of 1 along an axis changes each unit's weights by as "
               "much as they are long.")
    seed_key = _k(page, "land_seed")
    c1, c2 = st.columns([5, 2], vertical_alignment="bottom")
    which = c1.segmented_control(
        "Slice", ["random", "path"], default="random", key=_k(page, "land_slice"),
        # short labels: both fit beside the button at 1024 px
        format_func={"random": "random directions", "path": "the path so far"}.get) or "random"
    c2.button("New", icon=":material/casino:", key=_k(page, "land_new"),
              on_click=lambda: st.session_state.__setitem__(
                  seed_key, st.session_state.get(seed_key, 0) + 1),
              help="Draw new random directions for the slice.")
    seed = st.session_state.get(seed_key, 0)
    t = lab.trainer
    if which == "path" and lab.epoch == 0:
        st.info("Train a few epochs first: this slice runs from the start of training to now.")
        return
    X, y = landscape.sample_rows(t.X, t.y, landscape.samples_for(lab.net.sizes, LANDSCAPE_RES))

    def build():
        if which == "random":
            return landscape.random_plane(lab.net, X, y, seed=seed, res=LANDSCAPE_RES)
        return landscape.path_plane(lab.net, X, y, t.snapshots, seed=seed, res=LANDSCAPE_RES,
                                    epoch=lab.epoch)

    now = _key(lab, which, seed)
    r, key, seconds = _result(ps, "landscape." + which, now, build, not ps.running)
    if r is None:
        st.info("Pause training to draw the landscape.")
        return
    _paused_note(ps, key, now)
    if which == "random":
        fig = IF.landscape_figure(r["a"], r["b"], r["loss"],
                                  axes=("random direction 1", "random direction 2"))
    else:
        fig = IF.landscape_figure(r["a"], r["b"], r["loss"],
                                  path={"a": r["path_a"], "b": r["path_b"], "epochs": r["epochs"]},
                                  axes=("toward the start (1 = epoch 0)", "a random direction"))
    plot(st.empty(), fig)
    over = (f"all {len(X):,} training points" if len(X) == len(t.X) else
            f"{len(X):,} of the {len(t.X):,} training points (a fixed sample, to keep it near "
            "a second)")
    text = (f"{LANDSCAPE_RES}×{LANDSCAPE_RES} losses over {over}, computed in {seconds:.2f} s. "
            "Biases stay where they are (their direction is 0); the colour scale is logarithmic.")
    if which == "path":
        text += (f" The path is drawn {r['shown']:.0%} as long as it is: the rest of its "
                 "wandering runs out of this plane.")
    st.caption(text)


# --- learning-rate finder -----------------------------------------------------------------------
def _use_lr(ps, lr):
    set_value("classifier", "lr", lr)
    ps.say(f"Learning rate set to {lr:g}, the range test's suggestion.", "success")


def _lr_finder(ps):
    lab, v, page = ps.lab, ps.values, "classifier"
    st.caption(f"Trains a copy of this network for up to {RANGE_STEPS} steps while the learning "
               f"rate grows from {limits.MIN_LR:.5f} to {limits.MAX_LR:g}, and suggests a tenth of "
               "the rate at which the "
               "smoothed loss was lowest (the network itself is not touched).")
    seed_key = _k(page, "lr_seed")
    seed = st.session_state.get(seed_key, 0)
    t = lab.trainer
    now = _key(lab, v.opt, t.batch_size, t.l2, t.clip, seed)

    def build():
        return lr_finder.lr_range_test(lab.net, t.X, t.y, v.opt, t.batch_size,
                                       steps=RANGE_STEPS, seed=v.seed + seed, l2=t.l2,
                                       clip=t.clip)

    r, key, seconds = _result(ps, "lr_finder", now, build, not ps.running)
    if r is None:
        st.info("Pause training to run the range test.")
        return
    _paused_note(ps, key, now)
    plot(st.empty(), IF.lr_finder_figure(r.lrs, r.losses, r.smoothed, r.suggestion, v.lr))
    c1, c2, _ = st.columns([1, 1, 1], vertical_alignment="center")
    if r.suggestion is None:
        c1, c2 = c2, c1                          # "Run again" first when there is nothing to use
    else:
        lr = float(min(max(float(f"{r.suggestion:.2g}"), limits.MIN_LR), limits.MAX_LR))
        c1.button(f"Use {lr:g}", icon=":material/check:", key=_k(page, "lr_use"), type="primary", width="stretch",
                  on_click=_use_lr, args=(ps, lr), disabled=ps.running or lr == v.lr,
                  help="Set the learning rate control to the suggestion.")
    c2.button("↻ Run again", key=_k(page, "lr_again"), width="stretch",
              on_click=lambda: st.session_state.__setitem__(seed_key, seed + 1),
              disabled=ps.running, help="The same test on other random batches.")
    how = ("stopped when the smoothed loss passed 4× its lowest value"
           if r.stopped == "diverged" else "the loss never passed 4× its lowest value")
    st.caption(f"{len(r.lrs)} steps of {v.opt} with batches of {t.batch_size}, in "
               f"{seconds:.2f} s; {how}. The loss is measured after each step on the same "
               "sample of the training set.")
    if r.suggestion is None:
        up = lr_finder.rise(r.lrs, r.smoothed)
        st.info("The loss did not fall during the test: the network sits on a plateau (or "
                "is trained), and no rate stands out."
                + (f" It starts to rise at about {up:.2g}: keep well below that." if up else ""))


# --- two runs -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SecondRun:
    """The second run of "Two runs": its lab, its fork ``(setting, value)``, and what it
    was forked from (the page's lab and trainer, and their hand edits then): when any
    of those changes, the second run starts again."""
    lab: labs.ClassifierLab
    spec: tuple
    base: tuple
    edits: int


def _fork_name(spec):
    f = forks.FORKS[spec[0]]
    return f"{f.label} {f.name_of(spec[1])}"


def _close_fork(ps):
    set_value("classifier", "fork", forks.NONE)
    ps.fork = None


def _ensure_fork(ps):
    """The second run for the page's ``fork`` value, made or kept in step with its settings."""
    spec = forks.parse_fork(ps.values.fork)
    lab = ps.lab
    values = forks.fork_values(ps.values, *spec)
    f = ps.fork
    if (f is None or f.spec != spec or f.base != (lab, lab.trainer)
            or f.edits != lab.edits or f.lab.needs_rebuild(values)):
        f = ps.fork = SecondRun(labs.ClassifierLab(lab.ds, values, lab.class_names), spec,
                                (lab, lab.trainer), lab.edits)
    else:
        f.lab.apply(values)
    return f


def _catch_up(ps, f, seconds):
    """Train the second run towards the page's epoch for at most ``seconds``."""
    behind = ps.lab.epoch - f.lab.epoch
    if behind > 0 and f.lab.trainer.diverged is None:
        f.lab.trainer.run(behind, time_budget=seconds)


def _train_both(ps, epochs):
    lab = ps.lab
    t0 = time.perf_counter()
    done = lab.trainer.run(int(epochs), time_budget=BOTH_SECONDS)
    if lab.trainer.diverged is not None:
        ps.say(lab.trainer.diverged.message, "error")
    if ps.fork is not None:
        _catch_up(ps, ps.fork, BOTH_SECONDS)
    note = f"Trained {done} epoch{'s' if done != 1 else ''} in {time.perf_counter() - t0:.1f} s"
    if done < epochs and lab.trainer.diverged is None:
        note += f" (of {int(epochs)}: a press trains for at most {BOTH_SECONDS:g} s a run)"
    st.session_state[_k("classifier", "both_note")] = note + "."


def _two_runs(ps):
    page = "classifier"
    st.caption("A second network on the same data, from the same seed, with one setting "
               "changed, trained in step with this one: what that one setting does.")
    fork = ps.values.fork
    spec = None if fork == forks.NONE else forks.parse_fork(fork)
    twin = spec is not None and forks.current_value(ps.values, spec[0]) == spec[1]
    if spec is None or twin:
        ps.fork = None
        if twin:                  # a link's fork, or this run's setting changed to it
            f = forks.FORKS[spec[0]]
            st.warning(f"The second run would be this one's twin: {f.label} is "
                       f"{f.name_of(spec[1])} here already. Pick another value.", icon=":material/call_split:")
        c1, c2, c3 = st.columns([2, 2, 2], vertical_alignment="bottom")
        key = c1.selectbox("Change", list(forks.FORKS), key=_k(page, "fork_key"),
                           format_func=lambda k: forks.FORKS[k].label)
        f = forks.FORKS[key]
        current = forks.current_value(ps.values, key)
        options = [x for x in f.values if x != current]
        value = c2.selectbox("to", options, key=_k(page, f"fork_value.{key}"),
                             format_func=f.name_of,
                             index=min(range(len(options)), key=lambda i: _distance(
                                 options[i], current)))
        c3.button("Fork this run", icon=":material/call_split:", key=_k(page, "fork"), type="primary",
                  on_click=set_value, args=(page, "fork", forks.fork_text(key, value)),
                  help="Start the second run; its setting goes into the page's link.")
        st.caption("The link in the address bar carries the fork (fork=setting:value), so "
                   "everyone who opens it gets both runs.")
        return []
    f = _ensure_fork(ps)
    if not ps.running:
        _catch_up(ps, f, CATCH_UP_SECONDS)
    c1, c2, c3 = st.columns([2, 2, 2], vertical_alignment="bottom")
    n = c1.number_input("Epochs", 1, 2000, 100, step=50, key=_k(page, "both_n"))
    c2.button("Run both", icon=":material/play_arrow:", key=_k(page, "both"), type="primary", on_click=_train_both,
              args=(ps, n), disabled=ps.running, width="stretch",
              help=f"Train this run and the second one {n} epochs each.")
    c3.button("Close the fork", icon=":material/close:", key=_k(page, "fork_close"), on_click=_close_fork, args=(ps,),
              width="stretch")
    note = st.session_state.pop(_k(page, "both_note"), None)
    if note:
        st.caption(note)
    slots = {"numbers": st.empty(), "curves": st.empty(), "boundaries": st.empty(),
             "status": st.empty()}
    st.caption(f"Shareable: this page's link now holds fork={ps.values.fork}; whoever "
               "opens it gets both runs.")
    _draw_two_runs(ps, f, slots)
    state = {"last": time.monotonic()}

    def follow(frame):
        """In a live frame: the second run trains towards this one's epoch (with at most
        30% of the time since the last call), and its charts follow."""
        now = time.monotonic()
        _catch_up(ps, f, min(0.5, 0.3 * (now - state["last"])))
        state["last"] = time.monotonic()
        _draw_two_runs(ps, f, slots, frame)
    return [(1.5, follow)]


def _distance(a, b):
    """How far apart two values of a setting are, to offer a near one first."""
    if isinstance(a, str) or isinstance(b, str):
        return 0 if a != b else 1
    return abs(np.log(float(a)) - np.log(float(b)))


def _draw_two_runs(ps, f, slots, frame=0):
    lab, other = ps.lab, f.lab
    key = f.spec[0]
    mine = (key, forks.current_value(ps.values, key))
    names = (f"this run: {_fork_name(mine)}", f"fork: {_fork_name(f.spec)}")
    ha, hb = lab.trainer.history, other.trainer.history
    slots["numbers"].markdown(
        f"**{md(names[0])}** · epoch {lab.epoch} · test {ha['test_acc'][-1]:.0%} · loss "
        f"{ha['train_loss'][-1]:.3f}  \n**{md(names[1])}** · epoch {other.epoch} · test "
        f"{hb['test_acc'][-1]:.0%} · loss {hb['train_loss'][-1]:.3f}")
    plot(slots["curves"], IF.two_runs_curves_figure(
        [dict(name=names[0], **{k: ha[k] for k in ("epoch", "train_loss", "test_loss")}),
         dict(name=names[1], **{k: hb[k] for k in ("epoch", "train_loss", "test_loss")})]),
         frame)
    res = min(ps.values.res, FORK_RES)
    xs, ys, pa, _, _ = lab.grid(res, units=None)
    pb = other.grid(res, units=None)[2]
    plot(slots["boundaries"], IF.two_boundaries_figure(
        xs, ys, [pa, pb], names, lab.ds.X_train, lab.ds.y_train, lab.class_names), frame)
    if other.trainer.diverged is not None:
        slots["status"].warning("The second run diverged. " + other.trainer.diverged.message)
    elif other.epoch < lab.epoch and not ps.running:
        slots["status"].info(f"The second run is at epoch {other.epoch} of {lab.epoch}: it "
                             "catches up a little more every time the page is redrawn, or press "
                             "Run both.")
    else:
        slots["status"].empty()


# --- which points push --------------------------------------------------------------------------
def _pushes(ps):
    lab, page = ps.lab, "classifier"
    st.caption("Each training point is drawn as big as the loss pulls on it, ‖p − y‖ (the "
               "gradient leaving the output for that point), over the shading of ‖dL/dx‖, how "
               "fast a point's loss changes if it moves: the big dots near the dark band are "
               "the ones moving the boundary now.")
    K = lab.ds.n_classes
    label = st.selectbox("Shading: the loss of a point of", [-1, *range(K)],
                         key=_k(page, "push_class"),
                         format_func=lambda k: "the class the network predicts there" if k < 0
                         else lab.class_names[k])

    def build():
        xs, ys, probs, _, _ = lab.grid(PUSH_RES, units=None)
        gx, gy = np.meshgrid(xs, ys)
        field = influence.gradient_field(lab.net, np.column_stack([gx.ravel(), gy.ravel()]),
                                         lab.features, None if label < 0 else label)
        pull, loss = influence.point_pulls(lab.net, lab.trainer.X, lab.trainer.y)
        return xs, ys, field.reshape(len(ys), len(xs)), probs, pull, loss

    now = _key(lab, label)
    r, key, seconds = _result(ps, "pushes", now, build, not ps.running)
    if r is None:
        st.info("Pause training to see which points push.")
        return
    _paused_note(ps, key, now)
    xs, ys, field, probs, pull, loss = r
    ds = lab.ds
    plot(st.empty(), IF.pushes_figure(xs, ys, field, probs, ds.X_train, ds.y_train, pull, loss,
                                      lab.class_names, field_name="‖dL/dx‖"))
    order = np.sort(pull)[::-1]
    half = int(np.searchsorted(np.cumsum(order), 0.5 * order.sum()) + 1) if order.sum() else 0
    chained = "" if tuple(lab.features) == ("x1", "x2") else (
        " dL/dx is taken through the input features to the plane's x1 and x2 (chain rule).")
    st.caption(f"Half of all the pull comes from the {half} hardest-pulled of "
               f"{len(pull)} training points. Computed in {seconds * 1000:.0f} ms on a "
               f"{PUSH_RES}×{PUSH_RES} grid.{chained}")


# --- linear regions -----------------------------------------------------------------------------
def _regions(ps):
    lab, page = ps.lab, "classifier"
    act = lab.net.activation
    st.caption("Inside each patch every ReLU stays on or off, so the network is one linear map "
               "there: patches are coloured by the class they predict (paler: less sure), and "
               "the black line is the decision boundary.")
    if not ACTIVATIONS[act].gated:
        st.info(f"{ACTIVATIONS[act].label} units have no on/off pattern: this network is not "
                "made of linear pieces. Choose ReLU or leaky ReLU to see them.")
        return
    exact_ok = tuple(lab.features) == ("x1", "x2")
    edges = st.toggle("Draw the exact region edges", value=True, key=_k(page, "edges"),
                      disabled=not exact_ok)

    def build():
        xs, ys, probs, _, masks = lab.grid(REGIONS_RES, acts=False)
        labels, n_grid = activation_regions(masks)
        cls, conf = regions.region_colours(labels, probs)
        exact, outlines, seconds = None, None, None
        if exact_ok:
            t0 = time.perf_counter()
            try:
                found = regions.linear_regions(lab.net, (xs[0], ys[0]), (xs[-1], ys[-1]),
                                               max_regions=MAX_EXACT_REGIONS,
                                               max_seconds=MAX_EXACT_SECONDS)
                exact, outlines = len(found), regions.region_outlines(found)
            except regions.TooManyRegions as stop:
                exact = f"> {stop.found:,}"
            seconds = time.perf_counter() - t0
        return xs, ys, probs, labels, n_grid, cls, conf, exact, outlines, seconds

    now = _key(lab)
    r, key, _ = _result(ps, "regions", now, build, not ps.running)
    if r is None:
        st.info("Pause training to map the regions.")
        return
    _paused_note(ps, key, now)
    xs, ys, probs, labels, n_grid, cls, conf, exact, outlines, seconds = r
    c1, c2 = st.columns(2)
    c1.metric("Exact count in view", "—" if exact is None else
              exact if isinstance(exact, str) else f"{exact:,}")
    c2.metric(f"A {REGIONS_RES}×{REGIONS_RES} grid sees", f"{n_grid:,}")
    ds = lab.ds
    plot(st.empty(), IF.regions_class_figure(xs, ys, labels, cls, conf, probs,
                                             outlines if edges else None,
                                             ds.X_train, ds.y_train, lab.class_names))
    if not exact_ok:
        st.caption("Exact counting needs the plain inputs x1 and x2: other features bend each "
                   "ReLU's line into a curve. The count is the grid's, a lower bound.")
    elif isinstance(exact, str):
        st.caption(f"Counting stopped after {seconds:.1f} s (the most it may spend) with more "
                   f"than {exact[2:]} regions; the grid's count is a lower bound.")
    else:
        missed = exact - n_grid
        st.caption(f"Exact: every ReLU's line clipped polygon by polygon, layer by layer, in "
                   f"{seconds:.2f} s. The grid misses {missed:,} region"
                   f"{'s' if missed != 1 else ''} too small to hold one of its points.")


# =============================================================================== #
# Autoencoder
# =============================================================================== #
def autoencoder(ps):
    """The Autoencoder page's instruments: the error of each digit, the worst digits,
    and switching code units off. All cheap (the test set is 450 digits): computed
    whenever their tab is open, kept per epoch.

    Parameters
    ----------
    ps : PageState
        ``page_state("autoencoder")`` with its lab built.
    """
    st.subheader(":material/science: Instruments")
    st.caption("How the code does, digit by digit and unit by unit, on the test digits.")
    tabs = _tabs("autoencoder", AUTOENCODER_TABS)
    for tab, draw in zip(tabs, (_errors_per_digit, _worst_digits, _ablation)):
        if _open(tab):
            with tab:
                draw(ps)


def _test_errors(ps):
    lab = ps.lab

    def build():
        return ablation.reconstruction_errors(lab.net, lab.ds.X_test)
    return _result(ps, "ae_errors", (lab.epoch,), build, True)[0]


def _errors_per_digit(ps):
    lab = ps.lab
    st.caption("The reconstruction error (squared, summed over the 64 pixels) of the test "
               "digits of each kind, averaged: the digits the code has room for sit low.")
    e = _test_errors(ps)
    by = ablation.errors_by_class(e, lab.ds.y_test, 10)
    plot(st.empty(), IF.errors_by_digit_figure(by, float(e.mean())))
    worst = int(np.nanargmax(by))
    st.caption(f"Hardest: the {worst}s, {by[worst] / e.mean():.1f}× the average error.")


def _worst_digits(ps):
    lab, page = ps.lab, "autoencoder"
    st.caption("The test digits the network gets most wrong, with what comes back through the "
               "code: above each its label, under it its squared error.")
    k = st.slider("How many", 4, 10, 8, key=_k(page, "worst_n"))
    e = _test_errors(ps)
    idx = ablation.worst(e, k)
    X = lab.ds.X_test[idx]
    plot(st.empty(), IF.worst_digits_figure(X, lab.net.predict(X), lab.ds.y_test[idx], e[idx]))
    st.caption(f"The average test digit's error is {e.mean():.1f}.")


def _ablation(ps):
    lab, page = ps.lab, "autoencoder"
    st.caption("Switch one code unit off (its activation set to 0 for every digit) and measure "
               "the mean test error again: tall bars are units the code leans on, flat ones it "
               "could lose.")
    order = st.segmented_control("Order", ["unit", "effect"], default="unit",
                                 key=_k(page, "ablation_order"),
                                 format_func={"unit": "by unit", "effect": "biggest first"}.get)

    def build():
        base, off = ablation.code_ablation(lab.net, lab.ds.X_test)
        return base, off, dead_units(lab.net, lab.ds.X_train)[-1]

    (base, off, dead), _, seconds = _result(ps, "ae_ablation", (lab.epoch,), build, True)
    plot(st.empty(), IF.ablation_figure(base, off, dead, by_effect=order == "effect"))
    top = int(np.argmax(off))
    st.caption(f"With every unit on, the mean test error is {base:.2f}; without unit {top + 1} "
               f"it is {off[top]:.2f}. {int(dead.sum())} dead unit"
               f"{'s' if dead.sum() != 1 else ''} (crossed) cost nothing. Computed in "
               f"{seconds * 1000:.0f} ms.")
