"""What one server process sets up once and shares: one BLAS thread, memory handed
back to the system, the cached datasets (read-only arrays), and each page's frame
(title, wide layout, navigation).

Nothing here holds a person's data: per-person state is in :mod:`.state`.
"""
import asyncio
import ctypes
import functools
import gc
import hashlib
import secrets
import sys
import threading
import time
from dataclasses import dataclass

import h11
import streamlit as st
from streamlit import config
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from threadpoolctl import threadpool_limits
from uvicorn.protocols.http import h11_impl

from .. import limits
from ..data import load_digits_data, make_dataset
from ..lessons import LESSONS
from .engine import LOG_EVERY


@dataclass(frozen=True)
class Page:
    """One page of the app, as the navigation, the home page and the lessons show it.

    ``icon`` is a Material icon (``:material/name:``), drawn from Streamlit's own font:
    an emoji is an empty box on a machine without an emoji font, as many classroom
    Linux machines are."""
    key: str
    path: str
    title: str
    icon: str
    blurb: str = ""

    @property
    def heading(self):
        return f"{self.icon} {self.title}"


PAGES = (
    Page("home", "app.py", "Home", ":material/psychology:"),
    Page("classifier", "pages/1_Classifier.py", "Classifier", ":material/scatter_plot:",
         "A ReLU network learns to separate 2-D points: its boundary, its units and the "
         "gradient on each weight, live."),
    Page("autoencoder", "pages/2_Autoencoder.py", "Autoencoder", ":material/grid_on:",
         "A 64-32-64 network squeezes 8x8 digits through a small code; against PCA."),
    Page("math", "pages/3_Backprop_math.py", "Backprop math", ":material/functions:",
         "The derivation line by line over your network's numbers, the gradient check, "
         "and five common slips."),
    Page("lessons", "pages/4_Lessons.py", "Lessons", ":material/school:",
         f"{len(LESSONS)} experiments, each with what to notice and why."),
)
PAGE = {p.key: p for p in PAGES}
PAGE_PATHS = {p.key: p.path for p in PAGES if p.key not in ("home", "lessons")}


# less empty space above the title: a projector at 1024x768 has no height to spare
PAGE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.2rem; padding-bottom: 2rem; }
/* on a touch screen Plotly's toolbar never hides, and it covered the charts' legends
   on a phone; pinch and double tap still zoom and reset */
@media (hover: none) { .js-plotly-plot .modebar-container { display: none; } }
/* Train and Pause take turns in one place: Streamlit keeps the one a run no longer
   draws, faded, until the run ends, and a live run ends when it is paused */
.stElementContainer[data-stale="true"][class*="-btn_train"],
.stElementContainer[data-stale="true"][class*="-btn_pause"] { display: none !important; }
</style>"""


@functools.cache        # once a process: a client's "clear cache" must not redo it
def _one_blas_thread():
    """One BLAS thread per process: these matrices are tiny, and many sessions
    training at once should share the cores rather than fight over them."""
    return threadpool_limits(1)


@functools.cache        # once a process: a client's "clear cache" must not redo it
def _process_settings(switch_interval=0.001):
    """Settings of the interpreter for a server that many people share (once a process).

    ``gc.freeze()``: everything loaded so far (Streamlit, NumPy, Plotly, this app's
    modules: about 100,000 objects) lives as long as the process, so the garbage
    collector stops scanning it. A full collection then takes milliseconds instead
    of 0.1 to 1 s on a shared machine, and every thread of the process waits that
    long while one runs. Objects made later (people's sessions) are collected as usual.

    ``sys.setswitchinterval``: a thread that wants the interpreter back (a page
    being drawn, the server sending frames) waits at most this long for a running
    live loop to hand it over, instead of 5 ms each time; a page touches it
    hundreds of times, so a Pause or a page load comes back sooner.

    Streamlit's config options are read without its lock (:func:`_config_read_freely`).
    """
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(switch_interval)
    return True


def _config_read_freely():
    """Read Streamlit's config options without its process-wide lock, once a process.

    Every message a session sends reads an option (``global.minCachedMessageSize``)
    and a new run's first message reads thirty, on the event loop that serves every
    session, each under one ``RLock`` that a hundred script threads take too. Under a
    class of a hundred, a watchdog sampling the loop whenever it was more than half a
    second late found it waiting for that lock in most of those samples (the rest:
    :func:`_no_wakeup_from_the_loop_itself`). Options are parsed before the server
    starts and this app never sets one, so a read needs no lock: Streamlit's own
    ``get_config_options`` reads the parsed options without it too. A writer
    (``st.set_option``) still takes it.

    A stand-in for ``get_option`` (an ``AppTest`` run's own, which answers for its
    test) is left alone: ``global.appTest`` from the real options would make the
    test lose its widgets. Returns whether the lock-free readers are in place.
    """
    if getattr(config.get_option, "__module__", None) == __name__:
        return True
    if (getattr(config.get_option, "__module__", None) != "streamlit.config"
            or getattr(config.get_options_for_section, "__module__", None)
            != "streamlit.config"):
        return False

    def get_option(key):
        options = config.get_config_options()      # parsed: no lock
        if key not in options:
            raise RuntimeError(f'Config key "{key}" not defined.')
        return options[key].value

    def get_options_for_section(section):
        return {o.name: o.value for o in config.get_config_options().values()
                if o.section == section}
    get_option.__doc__ = config.get_option.__doc__
    config.get_option, config.get_options_for_section = get_option, get_options_for_section
    return True


@functools.cache        # once a process: a client's "clear cache" must not redo it
def _no_wakeup_from_the_loop_itself(runtime=None):
    """A message enqueued on the event loop's own thread tells the loop so directly.

    Every message a session sends is enqueued on the event loop (the one thread that
    serves every session), which then "wakes itself" through ``call_soon_threadsafe``:
    a write to its own pipe, a system call that gives up the interpreter lock. Under
    a class, thirty to a hundred threads want that lock, and getting it back was where
    the loop spent its time when it fell behind (a watchdog on the loop, sampling it
    whenever it was more than half a second late); under a hundred students the loop
    fell seconds behind, and a Pause's answer waited in line behind it (see the
    README's class figures). On its own thread, setting the event is all the wake-up
    needs (``asyncio.Event`` is the loop's own); from any other thread the call is
    Streamlit's, unchanged. Sessions opened from now on get it (their manager hands
    each the callback it holds); returns the callback.
    """
    runtime = runtime or Runtime.instance()
    try:
        manager, objs = runtime._session_mgr, runtime._get_async_objs()
        original = manager._message_enqueued_callback
    except (AttributeError, RuntimeError):     # another session manager, or no loop yet
        return None
    if original is None:
        return None

    def enqueued():
        if asyncio._get_running_loop() is objs.eventloop:
            objs.need_send_data.set()
        else:
            original()
    manager._message_enqueued_callback = enqueued
    return enqueued


class LoopLag:
    """How far behind an event loop is: a probe goes to it every ``every`` seconds, and
    the lag is the last probe's wait, or the wait of the probe still out if longer
    (so a loop seconds behind is known at once, not when the probe comes back).
    One daemon thread; it holds no session's data."""

    def __init__(self, loop, every=0.05):
        self.loop, self.every = loop, every
        self.last, self.sent = 0.0, None
        threading.Thread(target=self._probe, name="loop-lag", daemon=True).start()

    def _probe(self):
        while not self.loop.is_closed():
            came = threading.Event()
            self.sent = time.monotonic()
            try:
                self.loop.call_soon_threadsafe(came.set)
            except RuntimeError:               # closed meanwhile
                return
            while not came.wait(1.0):
                if self.loop.is_closed():
                    return
            self.last, self.sent = time.monotonic() - self.sent, None
            time.sleep(self.every)

    def __call__(self):
        sent, last = self.sent, self.last
        return last if sent is None else max(last, time.monotonic() - sent)


@functools.cache        # once a process: a client's "clear cache" must not redo it
def _loop_lag():
    return LoopLag(Runtime.instance()._get_async_objs().eventloop)


def event_loop_lag():
    """Seconds the server's event loop is behind now (0 without a server: a test run).

    Every message of every session passes through that one loop. Under a hundred
    students it fell seconds behind, and whatever came after waited in line: a
    Pause's answer, a page, a first frame. A live run sends no frame while the loop is
    behind (:func:`.live.live_loop`): the frames it would have sent would come late
    anyway, and the loop catches up."""
    if not Runtime.exists():
        return 0.0
    try:
        return _loop_lag()()
    except Exception:          # noqa: BLE001 - a runtime without its loop yet: not behind
        return 0.0


@functools.cache        # once a process: a client's "clear cache" must not redo it
def _memory_trimmer(every=10.0):
    """Hand freed memory back to the system every few seconds (Linux, glibc).

    A full garbage collection first frees what departed sessions left in reference
    cycles (figures, histories); then ``malloc_trim`` returns it.

    Every session runs on its own thread, and glibc keeps what a thread's arena
    freed for later instead of returning it: after a class leaves, the server
    would otherwise stay at its peak. ``malloc_trim`` returns it. One daemon
    thread per process; it holds no session's data.
    """
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None                          # not glibc: nothing to do

    def loop():
        while True:
            time.sleep(every)
            t0 = time.perf_counter()
            gc.collect()          # a departed session's cycles, so their memory is free
            t1 = time.perf_counter()
            trim(0)
            if LOG_EVERY:             # with the class engine's log (BPX_ENGINE_LOG)
                print(f"memory-trimmer: collection {1e3 * (t1 - t0):.0f} ms, malloc_trim "
                      f"{1e3 * (time.perf_counter() - t1):.0f} ms", file=sys.stderr, flush=True)

    thread = threading.Thread(target=loop, name="malloc-trim", daemon=True)
    thread.start()
    return thread


# what the server answers a request it cannot read: a link too long (Chromium sends
# half a megabyte; uvicorn gives up on it) or malformed. Its own answer was a bare
# "400", and Chromium showed "This page isn't working": the page says what happened
BAD_REQUEST_HTML = (
    b"<!doctype html><html lang='en'><meta charset='utf-8'>"
    b"<meta name='viewport' content='width=device-width'><title>Backprop Explorer</title>"
    b"<body style='font: 20px/1.5 system-ui, sans-serif; max-width: 36em; margin: 3em auto; "
    b"padding: 0 1em; color: #1b1f24'><h1>This link could not be opened</h1>"
    b"<p>The address is too long (or garbled) for the server to read, so none of its "
    b"settings could be used. The explorer's own links are under a thousand characters: "
    b"ask for the link again, or open <a href='/'>the Backprop Explorer</a> and choose "
    b"the settings there.</p></body></html>")


@functools.cache        # once a process
def _readable_bad_requests():
    """Make the HTTP server (uvicorn's h11 protocol, which Streamlit 1.67 serves with)
    answer a request it cannot read with :data:`BAD_REQUEST_HTML` instead of a bare
    400. Patches ``H11Protocol.send_400_response``, an internal of uvicorn 0.3x:
    without it, nothing. (With httptools installed, which this app does not ask for,
    uvicorn would serve with that instead, and answer as before.)"""
    if not hasattr(h11_impl.H11Protocol, "send_400_response"):
        return False
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"connection", b"close"),
               (b"content-length", str(len(BAD_REQUEST_HTML)).encode("ascii"))]

    def send_400_response(self, msg):
        self.transport.write(self.conn.send(h11.Response(status_code=400, headers=headers,
                                                         reason=b"Bad Request"))
                             + self.conn.send(h11.Data(data=BAD_REQUEST_HTML))
                             + self.conn.send(h11.EndOfMessage()))
        # the browser is often still sending the link: closing at once, with its bytes
        # unread, resets the connection and it never shows the answer. So the rest it
        # sends is read and dropped, and the connection closes a moment later
        self.data_received = lambda data: None
        if self.transport.can_write_eof():
            self.transport.write_eof()
        asyncio.get_running_loop().call_later(2.0, self.transport.close)

    h11_impl.H11Protocol.send_400_response = send_400_response
    return True


def sweep_uploads():
    """Free the uploads of sessions that are gone.

    A session whose tab closed is dropped after ``server.disconnectedSessionTTL``
    without being shut down, so Streamlit never frees its uploaded files (issue
    #12506): a page could otherwise leave megabytes behind per closed tab. Any
    session's next run frees them. Uses the memory file manager's storage, an
    internal of Streamlit 1.67: if it is not there, nothing is done.
    """
    try:
        if not Runtime.exists():
            return 0
        rt = Runtime.instance()
        mgr = rt.uploaded_file_mgr
        gone = [sid for sid in list(getattr(mgr, "file_storage", {}))
                if not rt.is_active_session(sid)]
        for sid in gone:
            mgr.remove_session_files(sid)
        return len(gone)
    except Exception:      # noqa: BLE001 - an internal API changed: skip the sweep
        return 0


UPLOAD_BYTES_PER_SESSION = 4 << 20    # what one session's uploads may hold at once: two
                                      # of the largest (server.maxUploadSize is 2 MiB)


def bound_uploads(mgr, max_bytes=UPLOAD_BYTES_PER_SESSION):
    """Make Streamlit's upload manager ``mgr`` keep at most ``max_bytes`` per session,
    dropping that session's oldest files first (never the one just added).

    Streamlit keeps every file PUT to ``/_stcore/upload_file/<session>/<any id>``
    until the session ends, widget or not: 40 PUTs of 2 MB held 62 MB (the HAProxy
    setup limits the rate; ``streamlit run`` does not). A page reads an upload in the
    run it starts and then forgets it (:func:`.files.forget_upload`), so the newest
    files are all a session ever needs. Uses the memory manager's storage, an
    internal of Streamlit 1.67: without it, nothing is changed.
    """
    storage = getattr(mgr, "file_storage", None)
    if storage is None or getattr(mgr, "_bpx_bounded", False):
        return mgr
    add = mgr.add_file

    def add_file(session_id, file):
        add(session_id=session_id, file=file)
        files = storage.get(session_id, {})
        total = sum(len(f.data) for f in list(files.values()))
        for file_id in list(files):                    # oldest first
            if total <= max_bytes:
                break
            if file_id != file.file_id:
                total -= len(files[file_id].data)
                mgr.remove_file(session_id, file_id)
    mgr.add_file = add_file
    mgr._bpx_bounded = True
    return mgr


@functools.cache        # once a process
def _bounded_uploads():
    if Runtime.exists():
        bound_uploads(Runtime.instance().uploaded_file_mgr)


def setup(key):
    """Page config and navigation shared by every page (font sizes are in the theme):
    page ``key`` of :data:`PAGES`."""
    _one_blas_thread()
    _process_settings()
    _memory_trimmer()
    _config_read_freely()
    _no_wakeup_from_the_loop_itself()
    _bounded_uploads()
    _readable_bad_requests()
    sweep_uploads()
    page = PAGE[key]
    st.set_page_config(page_title=f"{page.title} · Backprop Explorer", page_icon=page.icon,
                       layout="wide")
    st.html(PAGE_CSS)
    admit_session()
    for p in PAGES:
        st.sidebar.page_link(p.path, label=p.title, icon=p.icon)
    st.sidebar.divider()


# --- who a session is: its browser ----------------------------------------------
XSRF_COOKIE = "_streamlit_xsrf"       # Streamlit's, set on a browser's first request


def browser_token(cookie):
    """The token in Streamlit's XSRF cookie value ``cookie``, or None.

    A browser gets one token and keeps it (every tab, every reload); the cookie's
    value is the token masked ("2|mask|masked token|time", a page's request may mask
    it anew), or, in version 1, the token itself in hex."""
    value = (cookie or "").strip("\"'")
    try:
        if value.startswith("2|"):
            _, mask, masked, _ = value.split("|")
            mask, masked = bytes.fromhex(mask), bytes.fromhex(masked)
            return bytes(b ^ mask[i % len(mask)] for i, b in enumerate(masked)) or None
        return bytes.fromhex(value) or None
    except (ValueError, ZeroDivisionError):
        return None


def client_id():
    """Who this session is, for sharing the server: its browser (a hash of the token
    of Streamlit's XSRF cookie, the same in every tab), or, without that cookie, the
    session itself. Kept in the session's state on its first call.

    A script that makes up cookies counts as many browsers; it gets, at most, what as
    many students would get (see :class:`.engine.Engine`'s fair shares)."""
    cid = st.session_state.get("bpx.client")
    if cid is None:
        try:
            token = browser_token(st.context.cookies.get(XSRF_COOKIE))
        except Exception:      # noqa: BLE001 - no context (a bare script run): a session
            token = None
        cid = ("browser:" + hashlib.sha256(token).hexdigest()[:16] if token
               else "session:" + secrets.token_hex(8))
        st.session_state["bpx.client"] = cid
    return cid


_OPEN = {}                  # session id -> its client: the open sessions, counted (no data)
_OPEN_LOCK = threading.Lock()


def _is_active(session_id):
    return Runtime.exists() and Runtime.instance().is_active_session(session_id)


def admit_session():
    """Let this session in, or say why not and stop its page: a browser has at most
    ``MAX_TABS_PER_BROWSER`` tabs open on the server, and a process ``MAX_SESSIONS``
    sessions (each holds its data and networks; past that, memory would run out for
    everyone). Counted once a session; a session that has gone no longer counts."""
    if st.session_state.get("bpx.admitted"):
        return
    ctx = get_script_run_ctx()
    sid = ctx.session_id if ctx is not None else None
    client = client_id()
    with _OPEN_LOCK:
        for gone in [s for s in _OPEN if s != sid and not _is_active(s)]:
            del _OPEN[gone]
        tabs = sum(c == client for s, c in _OPEN.items() if s != sid)
        full = len(_OPEN) >= limits.MAX_SESSIONS and sid not in _OPEN
        if not full and tabs < limits.MAX_TABS_PER_BROWSER:
            _OPEN[sid] = client
            st.session_state["bpx.admitted"] = True
            return
    st.error(f"The server is full ({limits.MAX_SESSIONS} people): try again in a minute."
             if full else f"This browser has {limits.MAX_TABS_PER_BROWSER} tabs of the "
             "explorer open: close some of them, then reload this one.",
             icon=":material/block:")
    st.stop()


# --- cached, immutable data shared by everyone --------------------------------
@st.cache_data(max_entries=64, show_spinner=False)
def cached_dataset(kind, n, noise, classes, test, seed):
    """A generated dataset (read-only arrays, so one copy serves every session)."""
    return make_dataset(kind, n, noise, classes, test, seed)


@st.cache_data(max_entries=1, show_spinner=False)
def cached_digits():
    """The 8x8 digits, split as the autoencoder page uses them."""
    return load_digits_data(test_ratio=0.25, seed=0)
