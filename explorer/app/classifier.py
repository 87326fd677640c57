"""The Classifier page's parts: its experiment, its playback, and how each of its
charts is drawn into the slot the page gave it (paused: interactive and reused
while nothing changes; live: cheap)."""
from bisect import bisect_right
from functools import partial

import streamlit as st

from .. import labs
from ..text import md
from ..lens.diagnostics import activation_regions
from . import figures as F
from . import frames
from .charts import memo, plot
from .server import cached_dataset
from .state import widget_key
from .teach import lesson_card
from .view import BIG_HEIGHT, network_view
from .view_data import normalize_selected


def experiment(ps):
    """The page's lab for its current values: kept, retuned, or built anew (a new CSV
    upload has dropped the lab: see :func:`explorer.app.files.points_csv`)."""
    v = ps.values
    if v.data == "csv" and ps.csv is None:
        st.info("Upload a CSV of labelled points in the sidebar (header `x1,x2,label`). "
                "Until then, here are the moons.")
    ps.note_if_afresh(v)
    if ps.lab is not None and not ps.lab.needs_rebuild(v):
        ps.lab.apply(v)
    else:
        try:
            ps.lab = _new_lab(ps, v)
        except ValueError as e:      # e.g. a test share that leaves a class of the CSV no points
            if ps.lab is None:
                ps.csv = None
                return experiment(ps)
            st.error(f"These settings do not fit your CSV ({md(str(e))}); the network "
                     "stays as it was.")
            return ps.lab
        ps.forget_charts()
    # a unit or edge the network no longer has (fewer layers, units or classes: a
    # setting, a lesson, a file) is no longer selected
    if normalize_selected(ps.selected, ps.lab.net.sizes) is None:
        ps.selected = None
    return ps.lab


def _new_lab(ps, v):
    """A lab on the data ``v`` names: generated, the uploaded CSV, or the moons until
    there is one."""
    if v.data != "csv":
        return labs.ClassifierLab(cached_dataset(v.data, v.n, v.noise, v.classes, v.test,
                                                 v.seed), v)
    if ps.csv is None:
        return labs.ClassifierLab(cached_dataset("moons", v.n, v.noise, 2, v.test, v.seed), v)
    return labs.ClassifierLab(ps.csv.dataset(v.test, v.seed), v, list(ps.csv.names))


# the projector's view: the sidebar out of the way (the toggle that brings it back is
# in the Train bar) and the page's margins thinner, so the plane and the units are
# large at 1024x768. Not on a phone: there the sidebar is folded away already, and the
# toggle, past the bar's right edge, only pushed the bar sideways: it is not shown
TOGGLE_CSS = ("@media (max-width: 639px) {{ .st-key-{key} {{ display: none !important; }} }}"
              .format(key=widget_key("classifier", "big").replace(".", "-")))
PROJECTOR_CSS = """
@media (min-width: 640px) {
  section[data-testid="stSidebar"], [data-testid="stExpandSidebarButton"],
  [data-testid="stSidebarCollapseButton"] { display: none !important; }
  [data-testid="stMainBlockContainer"] { padding-left: 1.5rem; padding-right: 1.5rem;
                                         max-width: none; }
}"""


def projector_toggle(bar, control):
    """A toggle in the Train bar for the projector's view (the link keeps it: ``big``):
    the network view the width of the screen, its plane and units large."""
    on = control("big", container=bar, label=":material/co_present: Projector",
                 help="For a projector: the sidebar hides and the plane and the units are "
                      "drawn large. Turn it off for the settings.")
    st.html(f"<style>{TOGGLE_CSS}{PROJECTOR_CSS if on else ''}</style>")


def first_words(ps):
    """Under the title: the open lesson's card (what to do and watch, in the first
    screen), or how to start."""
    if ps.lesson:
        lesson_card("classifier")
        return
    took = ("the spirals take about 10 seconds to separate" if ps.values.data == "spirals"
            else "watch the boundary form")
    st.caption(f"Press **Train**: {took}. The plane: the class the network gives each point; "
               "beside it (below, on a phone), the network.")


def playback(ps):
    """The playback slider (paused only): the epoch to show, or None for now."""
    snaps = ps.lab.snapshot_epochs()
    if ps.running or len(snaps) < 2:
        return None
    key = widget_key("classifier", "play")
    # the slider follows the newest epoch unless someone moved it back
    if st.session_state.get(key) in (None, ps.play_end) or st.session_state[key] not in snaps:
        st.session_state[key] = snaps[-1]
    ps.play_end = snaps[-1]
    play = st.select_slider(":material/history: Playback: the network as it was at epoch", options=snaps,
                            key=key, help="Saved snapshots; drag to redraw the boundary, "
                            "curves, masks and regions as they were.")
    return None if play == snaps[-1] else play


class Charts:
    """Draws each chart of the page into its slot, for the epoch ``play`` (None: now)."""

    def __init__(self, ps, slots, play=None):
        self.ps, self.lab, self.v, self.play = ps, ps.lab, ps.values, play
        self.slots = slots

    def _key(self):
        """Everything a chart depends on, to reuse charts that did not change."""
        return self.lab.epoch, self.lab.edits, self.play, self.v

    # --- the first screen: the network view and the numbers ----------------------
    def view(self, frame=0, tell_drawn=False, payloads=None, spacing=0.0):
        """Every frame: the numbers (on every third) and the network view (boundary and
        diagram), in this order: the view is the last thing a frame sends.
        ``tell_drawn``: the browser says when this picture is on the screen.
        ``payloads``: frames captured while the epochs trained (:meth:`capture`), sent
        together and drawn ``spacing`` seconds apart; else the frame of now."""
        if frame % 3 == 0:
            self.numbers()
        with self.slots["view"]:
            network_view(payloads or self.capture(live=bool(frame))(), key="classifier.view",
                         on_event=partial(on_click, self.ps), tell_drawn=tell_drawn,
                         spacing=spacing, big=self.v.big,
                         height=BIG_HEIGHT if self.v.big else None)

    def capture(self, live=True):
        """A function that makes the view's frame of the lab as it is when called (pure:
        the class engine calls it between a run's epochs, while the page waits)."""
        v, lab, selected, play = self.v, self.lab, self.ps.selected, self.play
        res = min(v.res, frames.LIVE_RES) if live else v.res
        return partial(frames.view_payload, lab, v.edges, selected, play, res, v.show_test,
                       v.discrete, live=live)

    def numbers(self):
        """Epoch, loss and accuracies (of the playback epoch when one is chosen), one line."""
        h, play = self.lab.trainer.history, self.play
        # the last recorded epoch at or before the playback epoch (a long run's history
        # is thinned: not every epoch is kept)
        i = -1 if play is None else max(0, bisect_right(h["epoch"], play) - 1)
        epoch = f"{self.lab.epoch}" if play is None else f"{play} of {self.lab.epoch}"
        self.slots["metrics"].markdown(
            f"#### Epoch {epoch} · loss {h['train_loss'][i]:.3f} · "
            f"train {h['train_acc'][i]:.0%} · test {h['test_acc'][i]:.0%}")

    # --- the analysis below -------------------------------------------------------
    def history(self, frame=0):
        """Loss and accuracy, and the dead-unit warning."""
        h = self.lab.history()
        plot(self.slots["history"], F.history_figure(
            h["epoch"], h["train_loss"], h["test_loss"], h["train_acc"], h["test_acc"],
            mark=self.play, height=300, blowup=blowup(self.lab)), frame)
        warning = self.lab.dead_warning() if self.play is None else None
        if warning:
            self.slots["warning"].warning(warning[0][0].upper() + warning[0][1:],
                                          icon=":material/warning:")
        else:
            self.slots["warning"].empty()

    def gradients(self, frame=0):
        h = self.lab.history()
        plot(self.slots["gradients"], F.gradient_figure(h["epoch"], h["grad_W"], h["grad_b"],
                                                        h["update_ratio"], mark=self.play,
                                                        blowup=blowup(self.lab)), frame)

    def dead(self):
        h = self.lab.history()
        return F.dead_units_figure(h["epoch"], h["dead_frac"], mark=self.play)

    def confusion(self):
        return F.confusion_figure(self.lab.confusion(self.play), self.lab.class_names, height=300)

    def regions(self):
        xs, ys, _, _, masks = self.lab.grid(self.v.res, self.play, acts=False)
        if masks[0] is None:               # tanh, sigmoid, linear: no on/off pattern
            return None
        labels, n_regions = activation_regions(masks)
        ds = self.lab.ds
        return F.regions_figure(xs, ys, labels, n_regions, ds.X_train, ds.y_train,
                                title=f"{n_regions} linear regions in view")

    def inside(self):
        """``[draw(frame)]`` for each slower chart, reused while paused."""
        def tier(name):
            build = getattr(self, name)

            def draw(frame=0):
                fig = build() if frame else memo(self.ps, name, self._key(), build)
                if fig is None:
                    self.slots[name].info("This activation has no on/off pattern: the "
                                          "network is not made of linear pieces.")
                else:
                    plot(self.slots[name], fig, frame)
            return draw
        return [tier(name) for name in ("dead", "confusion", "regions")]


def blowup(lab):
    """The steps of the epoch that blew up, if training diverged (for the charts)."""
    d = lab.trainer.diverged
    return d.trail if d else None


def on_click(ps, event):
    """A click in the network view, before the page runs again: add or remove a point,
    or select a unit or an edge."""
    try:
        if "add_point" in event:
            ps.lab.add_point(*event["add_point"], ps.add_class)
        elif "remove_point" in event:
            ps.lab.remove_point(event["remove_point"])
        elif "select" in event:
            ps.selected = event["select"]
        # {"drawn": True}: the first picture is on the screen; the run it starts
        # draws the analysis (see the page)
    except ValueError as e:
        ps.say(f"That point was not changed: {md(str(e))}", "warning")
