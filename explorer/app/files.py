"""Files in and out, one pattern for all of them: a CSV of points, weights (.npz)
and settings (.json).

An upload is untrusted. Each kind has a parser in the core that raises ValueError
on anything it does not accept; :func:`upload` runs it once per file, and either
the page takes the file and says what it took, or it says why not and nothing
changes. File names and anything quoted from a file are shown as plain text.
"""
import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from .. import limits
from .. import params as P
from ..labs import OwnPoints
from ..nn.weights_io import config_from_json, config_to_json, load_weights, save_weights
from ..text import clip, md
from .state import widget_key

MB = 1_000_000


def upload(ps, name, label, types, max_bytes, accept, container=None, help=None):
    """A file uploader whose file acts once.

    Parameters
    ----------
    ps : PageState
    name : str
        The uploader's name on the page (also its widget key).
    max_bytes : int
        The browser refuses bigger files (rounded to whole MB); the parser checks too.
    accept : callable
        ``accept(data: bytes) -> str``: takes the file into the page and returns
        what to tell the person; raises ValueError, with the reason, to refuse it.

    Returns
    -------
    bool
        True on the run a file was taken.
    """
    c = container or st.sidebar
    up = c.file_uploader(label, type=types, key=widget_key(ps.page, name), help=help,
                         max_upload_size=max(1, max_bytes // MB))
    if up is None or ps.uploads.get(name) == up.file_id:
        return False
    ps.uploads[name] = up.file_id
    shown = md(clip(up.name, 60))
    data = up.getvalue()
    forget_upload(up.file_id)              # the page keeps what it parsed, not the bytes
    try:
        said = accept(data)                 # each parser checks the size itself
    except ValueError as e:
        ps.say(f"{shown} was not loaded, and nothing changed: {md(str(e))}", "error")
        return False
    ps.say(f"Loaded {shown}: {said}", "success")
    return True


def forget_upload(file_id):
    """Drop an uploaded file's bytes from Streamlit's memory once the page has read them
    (as ``st.chat_input`` does): otherwise they stay until the session ends, and a
    closed tab's session is never ended (Streamlit issue #12506)."""
    try:
        ctx = get_script_run_ctx()
        if ctx is not None and Runtime.exists():
            Runtime.instance().uploaded_file_mgr.remove_file(ctx.session_id, file_id)
    except Exception:      # noqa: BLE001 - an internal API changed: keep the bytes, not crash
        pass


def points_csv(ps, container=None):
    """The classifier's "your own CSV" uploader: good points replace the data."""
    def accept(data):
        points = OwnPoints.read(data, ps.values.test, ps.values.seed)   # refused here, or used
        ps.start_afresh()                    # new data: the page builds a new network on it
        ps.csv = points
        return (f"{len(points.y)} points in {len(points.names)} classes. The network starts "
                "afresh on them.")
    return upload(ps, "csv", "CSV with header x1,x2,label", ["csv"], limits.MAX_CSV_BYTES,
                  accept, container,
                  help=f"Up to {limits.MAX_CSV_ROWS} rows and 1 MB; {limits.MIN_CLASSES} to "
                       f"{limits.MAX_CLASSES} classes.")


def save_and_load(ps):
    """The sidebar's "Save or load": download weights and settings, upload either."""
    lab = ps.lab
    net = lab.net
    config = {"page": ps.page, **ps.values.to_query(), "sizes": net.sizes,
              "epoch": lab.epoch}

    def accept_weights(data):
        params, _ = load_weights(data, net.param_shapes(), dtype=net.dtype)
        net.set_params(params)
        lab.restart()                        # the history starts from these weights
        ps.forget_charts()
        return "the epoch count starts again from these weights."

    def accept_settings(data):
        ps.pending, applied, ignored = P.parse_settings(ps.values, config_from_json(data))
        said = f"applied {', '.join(md(clip(k, 30)) for k in applied)}."
        if ignored:
            said += " Not taken as written: " + "; ".join(md(clip(i, 80)) for i in ignored) + "."
        return said

    with st.sidebar.expander("Save or load", icon=":material/save:"):
        # made when clicked, not on every run of the page (it was 8% of a page run)
        st.download_button("Download the weights (.npz)",
                           lambda: save_weights(net.params, config),
                           f"{ps.page}.npz", mime="application/octet-stream",
                           key=f"{ps.page}.dl_npz", width="stretch", on_click="ignore",
                           icon=":material/download:")
        st.download_button("Download the settings (.json)", lambda: config_to_json(config),
                           f"{ps.page}.json", mime="application/json", key=f"{ps.page}.dl_json",
                           width="stretch", on_click="ignore", icon=":material/download:")
        upload(ps, "npz", "Load weights (.npz)", ["npz"], limits.MAX_UPLOAD_BYTES,
               accept_weights, st)
        if upload(ps, "json", "Load settings (.json)", ["json"], MB, accept_settings, st):
            st.rerun()                       # the settings apply before the widgets
