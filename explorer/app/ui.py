"""Streamlit glue shared by the pages: controls bound to the URL, per-person state,
cached datasets and the live-training loop. The one module of ``explorer`` that
imports streamlit.

State: everything a person changes lives in ``st.session_state`` under keys
prefixed by the page name. Controls keep their values in ``"<page>.values"`` (a
plain dict) rather than only in widget keys, because Streamlit forgets the
state of widgets that are not on the current page.
"""
import base64
import io
import time

import streamlit as st
from threadpoolctl import threadpool_limits

from .. import limits
from .. import params as P
from ..data import load_digits_data, make_dataset

FPS = 20                  # live frames per second while training (at most)
SERVER_FPS = 25           # live frames per second the whole server draws, shared by all runs
MIN_FPS = 1.0
NAP_SECONDS = 0.2
LR_CHOICES = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)

OPT_NAMES = {"sgd": "SGD", "momentum": "SGD + momentum", "adam": "Adam"}
SPEED_NAMES = {k: (f"{name} (up to {n * FPS} epochs/s)" if n else name)
               for (k, n), name in zip(P.SPEEDS.items(),
                                       ("slow motion", "normal", "as fast as it goes"))}
NAV = [("app.py", "Home", "🧠"), ("pages/1_Classifier.py", "Classifier", "🎯"),
       ("pages/2_Autoencoder.py", "Autoencoder", "🔢"),
       ("pages/3_Backprop_math.py", "Backprop math", "✏️")]


@st.cache_resource
def _one_blas_thread():
    """One BLAS thread per process: these matrices are tiny, and many sessions
    training at once should share the cores rather than fight over them."""
    return threadpool_limits(1)


class _LiveRuns:
    """How many runs are training right now in this process (a load meter, no data).

    Frames cost the server's one Python core, so a class training at once shares a
    frame budget: each run gets ``SERVER_FPS / runs`` frames a second (at most
    ``FPS``), and everyone's page stays responsive.
    """

    def __init__(self):
        import threading
        self._lock = threading.Lock()
        self._n = 0

    def __enter__(self):
        with self._lock:
            self._n += 1
        return self

    def __exit__(self, *exc):
        with self._lock:
            self._n -= 1

    def fps(self):
        return max(MIN_FPS, min(FPS, SERVER_FPS / max(1, self._n)))


@st.cache_resource
def _live_runs():
    return _LiveRuns()


@st.cache_resource
def _memory_trimmer(every=10.0):
    """Hand freed memory back to the system every few seconds (Linux, glibc).

    A full garbage collection first frees what departed sessions left in reference
    cycles (figures, histories); then ``malloc_trim`` returns it.

    Every session runs on its own thread, and glibc keeps what a thread's arena
    freed for later instead of returning it: after a class leaves, the server
    would otherwise stay at its peak. ``malloc_trim`` returns it. One daemon
    thread per process; it holds no session's data.
    """
    import ctypes
    import gc
    import threading
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None                          # not glibc: nothing to do

    def loop():
        while True:
            time.sleep(every)
            gc.collect()          # a departed session's cycles, so their memory is free
            trim(0)

    thread = threading.Thread(target=loop, name="malloc-trim", daemon=True)
    thread.start()
    return thread


def setup(title, icon="🧠"):
    """Page config and navigation shared by every page (font sizes are in the theme)."""
    _one_blas_thread()
    _memory_trimmer()
    st.set_page_config(page_title=f"{title} · Backprop Explorer", page_icon=icon, layout="wide")
    for path, label, emoji in NAV:
        st.sidebar.page_link(path, label=label, icon=emoji)
    st.sidebar.divider()


# --- cached, immutable data shared by everyone --------------------------------
@st.cache_data(max_entries=64, show_spinner=False)
def cached_dataset(kind, n, noise, classes, test, seed):
    return make_dataset(kind, n, noise, classes, test, seed)


@st.cache_data(max_entries=1, show_spinner=False)
def cached_digits():
    return load_digits_data(test_ratio=0.25, seed=0)


# --- controls bound to session state and the URL -------------------------------
def values(page):
    """The page's current configuration (a dict owned by this session)."""
    return st.session_state.setdefault(f"{page}.values", P.defaults(P.PAGES[page]))


def enter_page(page):
    """Run at the top of every page: on arrival, read the link and pause other pages.

    Moving to another page pauses a run left behind; opening a link (a new
    session, or arriving with query parameters) loads its configuration, with a
    note for anything that had to be changed.
    """
    state = st.session_state
    pending = state.pop(f"{page}.pending", None)
    if pending:                       # a loaded configuration, applied before any widget
        for k, value in pending.items():
            set_value(page, k, value)
    if state.get("_page") == page:
        return
    for other in P.PAGES:
        state[f"{other}.running"] = False
    state["_page"] = page
    query = {k: st.query_params.get_all(k) for k in st.query_params.keys()}
    if query and page not in P.PAGES:     # the home page has no controls
        st.query_params.clear()
    elif query:
        vals, notes = P.parse(P.PAGES[page], query)
        state[f"{page}.values"] = vals
        state[f"{page}.url_notes"] = notes
        for k in list(state.keys()):          # widgets pick up the linked values
            if str(k).startswith(f"w.{page}."):
                del state[k]


def show_url_notes(page):
    notes = st.session_state.pop(f"{page}.url_notes", None)
    if notes:
        st.warning("Some settings in this link were changed to fit what the explorer "
                   "accepts:\n\n" + "\n".join(f"- {n}" for n in notes), icon="🔗")


def sync_url(page):
    """Mirror every control of the page in the address bar (a shareable link)."""
    query = P.to_query(P.PAGES[page], values(page))
    current = {k: st.query_params.get(k) for k in st.query_params.keys()}
    if current != query:
        st.query_params.from_dict(query)


def control(page, key, container=None, help=None, **kw):
    """One widget for parameter ``key`` of ``page``, kept in the page's values.

    The widget type follows the parameter: choice -> selectbox, bool -> toggle,
    learning rate -> log-scale select slider, int/float -> slider.
    """
    spec = P.PAGES[page][key]
    vals = values(page)
    wkey = f"w.{page}.{key}"
    c = container or st.sidebar
    if wkey not in st.session_state:
        st.session_state[wkey] = vals[key]
    label = kw.pop("label", spec.label[:1].upper() + spec.label[1:])
    if spec.kind == "choice":
        options = kw.pop("options", spec.choices)
        if st.session_state[wkey] not in options:
            st.session_state[wkey] = options[0]
        c.selectbox(label, options, key=wkey, help=help, **kw)
    elif spec.kind == "bool":
        c.toggle(label, key=wkey, help=help, **kw)
    elif key == "lr":
        options = sorted(set(LR_CHOICES) | {float(st.session_state[wkey])})
        c.select_slider(label, options, key=wkey, help=help, format_func=lambda v: f"{v:g}", **kw)
    else:
        cast = int if spec.kind == "int" else float
        lo = cast(kw.pop("min_value", spec.lo))
        hi = cast(kw.pop("max_value", spec.hi))
        st.session_state[wkey] = min(max(cast(st.session_state[wkey]), lo), hi)
        c.slider(label, min_value=lo, max_value=hi, key=wkey, help=help, **kw)
    vals[key] = st.session_state[wkey]
    return vals[key]


def load_values(page, new):
    """Apply a whole configuration at the start of the next run (widgets exist now)."""
    st.session_state[f"{page}.pending"] = dict(new)
    st.rerun()


def set_value(page, key, value):
    """Change a control from code (e.g. Regenerate): both the value and its widget.

    Only from a callback or before the widgets are drawn (Streamlit's rule)."""
    values(page)[key] = value
    st.session_state[f"w.{page}.{key}"] = value


# --- running state -------------------------------------------------------------
def is_running(page):
    return bool(st.session_state.get(f"{page}.running"))


def set_running(page, on):
    st.session_state[f"{page}.running"] = bool(on)


def note(page, text=None, kind="info"):
    """Leave a message for the next run of the page (e.g. why training stopped)."""
    st.session_state[f"{page}.note"] = (kind, text)


def show_note(page, container=st):
    kind, text = st.session_state.get(f"{page}.note", (None, None))
    if text:
        getattr(container, kind)(text)


def train_bar(page):
    """Train/Pause, Step and Reset, and the last message about a run.

    The page keeps its experiment in ``st.session_state["<page>.lab"]``; the
    callbacks act on it before the page runs again: Step trains one epoch, Reset
    drops the experiment so the page builds a fresh one from the seed.
    """
    state = st.session_state
    running = is_running(page)

    def toggle():
        set_running(page, not running)
        note(page, None)
        state[f"{page}.run_started"] = None

    def step():
        set_running(page, False)
        note(page, None)
        trainer = state[f"{page}.lab"].trainer
        trainer.run(1)
        if trainer.diverged is not None:
            note(page, trainer.diverged["message"], "error")

    def reset():
        set_running(page, False)
        note(page, None)
        state.pop(f"{page}.lab", None)

    c1, c2, c3, _ = st.columns([1, 1, 1, 1.5])
    c1.button("⏸ Pause" if running else "▶ Train", key=f"{page}.btn_train", on_click=toggle,
              type="primary", width="stretch")
    c2.button("⏭ Step", key=f"{page}.btn_step", on_click=step, width="stretch",
              help="Train one epoch, then stop.")
    c3.button("↺ Reset", key=f"{page}.btn_reset", on_click=reset, width="stretch",
              help="New initial weights from the seed; the data stays.")
    show_note(page)


def live_loop(page, trainer, tiers, max_epochs=limits.MAX_EPOCHS_PER_RUN,
              max_seconds=limits.MAX_SECONDS_PER_RUN, per_frame=None):
    """Train and redraw until paused, capped or diverged.

    Parameters
    ----------
    tiers : list of (seconds, draw)
        ``draw(frame)`` is called when at least ``seconds`` have passed since its
        last call: 0 for what moves every frame (a cheap image and the numbers),
        longer for charts the browser has to rebuild.
    per_frame : int or None
        At most this many epochs per frame (the speed control: slow motion lets a
        class watch the boundary form); None trains as long as the frame allows.

    Frames are paced to ``FPS`` at most: a frame trains for whatever its drawing
    leaves of the frame's time, and sleeps through what is left. Runs in one server
    share ``SERVER_FPS`` frames a second, and the slower charts slow down with them. Pressing Pause (or any control, or leaving the page) makes
    Streamlit stop this script at its next element and run the page again, so the
    loop needs no polling of its own; caps on epochs and seconds per press, and
    divergence, end it from here.
    """
    state = st.session_state
    started = state.get(f"{page}.run_started")
    if started is None:
        started = state[f"{page}.run_started"] = (time.monotonic(), trainer.epoch)
    t0, e0 = started
    last = [time.monotonic()] * len(tiers)
    frame, frame_draw = 0, 0.02
    heartbeat = st.empty()
    with _live_runs() as runs:
        while is_running(page):
            t_frame = time.monotonic()
            # a frame's share of the server, and at most half of it for drawing: when the
            # server is busy, frames come less often instead of slowing everyone down
            period = max(1.0 / runs.fps(), 2.0 * frame_draw)
            budget = max(0.005, period - frame_draw)
            left = max(0, max_epochs - (trainer.epoch - e0))
            trainer.run(epochs=left if per_frame is None else min(left, per_frame),
                        time_budget=budget)
            frame += 1
            slower = FPS / runs.fps()         # 1 alone; more when the server is shared
            for i, (every, draw) in enumerate(tiers):
                t_draw = time.monotonic()
                if every == 0 or t_draw - last[i] >= every * slower:
                    draw(frame)
                    last[i] = time.monotonic()
                    if i == 0:
                        frame_draw = 0.7 * frame_draw + 0.3 * (last[i] - t_draw)
            reason = _stop_reason(trainer, e0, t0, max_epochs, max_seconds)
            if reason:
                set_running(page, False)
                note(page, reason[1], reason[0])
                state[f"{page}.run_started"] = None
                st.rerun()
            # sleep in short naps so Pause is noticed soon even when frames are rare:
            # touching an element is where Streamlit can stop the script
            while (nap := period - (time.monotonic() - t_frame)) > 0:
                time.sleep(min(NAP_SECONDS, nap))
                if nap > NAP_SECONDS:
                    heartbeat.empty()


def _stop_reason(trainer, e0, t0, max_epochs, max_seconds):
    if trainer.diverged is not None:
        return "error", trainer.diverged["message"]
    if trainer.epoch - e0 >= max_epochs:
        return "info", (f"Paused after {max_epochs} epochs, the most one press of Train runs. "
                        "Press Train to go on.")
    if time.monotonic() - t0 >= max_seconds:
        return "info", (f"Paused after {max_seconds} seconds, the longest one press of Train "
                        "runs. Press Train to go on.")
    return None


def jpeg_uri(rgb, quality=85):
    """An RGB image (h, w, 3) uint8 as a JPEG data URI, for live frames.

    A data URI travels inside the frame's message: Streamlit's media store would
    otherwise keep every frame of a long run in memory until the run ends.
    """
    from PIL import Image      # ships with streamlit
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def section(where, title, caption):
    """A titled, explained slot for a chart: returns the placeholder the chart goes in."""
    if title:
        where.subheader(title)
    where.caption(caption)
    return where.empty()


def plot(placeholder, fig, frame=0):
    """Draw a figure into a placeholder: interactive when paused, static in a live frame.

    A live frame is stamped with its number: Streamlit refuses two identical
    elements in one script run, and a long run can redraw a chart that did not
    change (a confusion matrix at 100%).
    """
    if frame:
        fig.layout.meta = frame
    placeholder.plotly_chart(fig, config=chart_config(frame))


def memo(name, owner, key, build):
    """``build()``, or its last result if ``owner`` and ``key`` are the same as then.

    Pressing Train reruns the page with nothing changed yet; the charts drawn a
    moment ago are reused instead of rebuilt, so the first frame comes sooner.
    Kept per session, one result per name.
    """
    slot = f"memo.{name}"
    last = st.session_state.get(slot)
    if last is not None and last[0] is owner and last[1] == key:
        return last[2]
    value = build()
    st.session_state[slot] = (owner, key, value)
    return value


def chart_config(frame):
    """Plotly config for a chart drawn in a live frame: static (no hover, zoom or
    toolbar), which the browser builds several times faster. Paused charts are
    fully interactive."""
    return {"staticPlot": True} if frame else None


def save_and_load(page, lab):
    """The sidebar's "Save or load": download weights and configuration, upload either.

    Uploads are untrusted: weights go through :func:`explorer.weights_io.load_weights`
    (no pickles, sizes checked before loading, names and shapes must match this
    network) and a configuration through the same parser as a link. On any problem
    the page says what was wrong and nothing changes.
    """
    from ..nn.weights_io import config_from_json, config_to_json, load_weights, save_weights
    state, spec, vals, net = st.session_state, P.PAGES[page], values(page), lab.net
    config = {"page": page, **P.to_query(spec, vals), "sizes": net.sizes, "epoch": lab.epoch}
    with st.sidebar.expander("💾 Save or load"):
        st.download_button("⬇ Download the weights (.npz)", save_weights(net.params, config),
                           f"{page}.npz", mime="application/octet-stream", key=f"{page}.dl_npz",
                           width="stretch", on_click="ignore")
        st.download_button("⬇ Download the settings (.json)", config_to_json(config),
                           f"{page}.json", mime="application/json", key=f"{page}.dl_json",
                           width="stretch", on_click="ignore")
        wfile = st.file_uploader("Load weights (.npz)", type=["npz"], key=f"w.{page}.npz",
                                 max_upload_size=limits.MAX_UPLOAD_BYTES // 1_000_000)
        if wfile is not None and state.get(f"{page}.npz_id") != wfile.file_id:
            state[f"{page}.npz_id"] = wfile.file_id
            try:
                net.set_params(load_weights(wfile.getvalue(), net.param_shapes())[0])
                lab.restart()                     # the history starts from these weights
                for k in [k for k in state.keys() if str(k).startswith("memo.")]:
                    del state[k]                  # charts of the old weights are stale
                note(page, f"Loaded weights from {wfile.name[:60]}; the epoch count starts "
                           "again from them.", "success")
            except ValueError as e:
                note(page, f"Those weights were not loaded; the network is unchanged: {e}", "error")
        cfile = st.file_uploader("Load configuration (.json)", type=["json"], key=f"w.{page}.json",
                                 max_upload_size=1)
        if cfile is not None and state.get(f"{page}.json_id") != cfile.file_id:
            state[f"{page}.json_id"] = cfile.file_id
            try:
                cfg = config_from_json(cfile.getvalue())
            except ValueError as e:
                note(page, f"That configuration was not loaded; nothing changed: {e}", "error")
                return
            new, notes = P.parse(spec, {k: str(x) for k, x in cfg.items() if k in spec})
            note(page, "Loaded the configuration" + (": " + "; ".join(notes) if notes else "."),
                 "success")
            load_values(page, new)
