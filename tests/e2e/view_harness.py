"""A tiny Streamlit app around the live network view, for its browser test and benchmark.

Run by ``streamlit run tests/e2e/view_harness.py`` (what :func:`running_harness`
does): a real classifier (``MLP``, ``Trainer``) on moons; while "Train" is on, a
live loop as the real page runs it: train a few epochs, evaluate the grid (60x60)
and the unit maps, build the payload, show it with :func:`network_view`. The last
click is written below the view as plain text (``st.code``).

Query parameters: ``mode`` (weights|gradient), ``layers`` (e.g. ``16,16`` or
``64,64,64,64``), ``fps`` (frames a second at most, default 45), ``names``
(comma-separated class names), ``epochs`` (per frame, default 2), ``data``
(a generator: moons, blobs, spirals, ...), ``classes`` (for blobs and spirals) and
``height`` (the element's height budget in px, default 420).

Imported (by the test and bench/view_frames.py) it only defines
:func:`running_harness`; the app runs when Streamlit runs the file as a script.
"""
import os
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.relpath(os.path.abspath(__file__), ROOT)
KEY = "harness.view"
COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
          "#000000", "#999999", "#8C510A"]


def running_harness(timeout=60):
    """Yield the base URL of a fresh server running this harness; stop it afterwards."""
    from tests.e2e.server import running_app
    return running_app(timeout=timeout, script=SCRIPT)


def main():
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    import numpy as np
    import streamlit as st
    from threadpoolctl import threadpool_limits

    from explorer import MLP, Trainer, make_dataset
    from explorer.app.view import network_view
    from explorer.app.view_data import network_payload
    from explorer.lens.diagnostics import plane_bounds
    threadpool_limits(1)          # as the app does: tiny matrices, cores shared
    st.set_page_config(page_title="Network view harness", layout="wide")
    q = st.query_params
    mode = q.get("mode", "weights")
    hidden = [int(h) for h in q.get("layers", "16,16").split(",")]
    fps = float(q.get("fps", "45"))
    height = int(q.get("height", "420"))
    per_frame = int(q.get("epochs", "2"))
    kind, n_classes = q.get("data", "moons"), int(q.get("classes", "2"))
    names = q.get("names", ",".join(f"class {k}" for k in range(n_classes))).split(",")
    state = st.session_state

    if "lab" not in state:
        ds = make_dataset(kind, 300, 0.15, n_classes, 0.3, seed=0)
        net = MLP([2, *hidden, ds.n_classes], seed=0, dtype=np.float32)
        X, y = np.array(ds.X_train), np.array(ds.y_train)
        state.lab = {"ds": ds, "net": net, "X": X, "y": y,
                     "trainer": Trainer(net, X, y, ds.X_test, ds.y_test, optimizer="adam",
                                        lr=0.02, batch_size=32, seed=0),
                     "bounds": plane_bounds(np.vstack([ds.X_train, ds.X_test]))}
        state.selected = None
        state.last_event = None
    lab = state.lab
    net, ds = lab["net"], lab["ds"]

    def on_event(event):
        """Applied before the page runs again: the next frame already shows it."""
        state.last_event = event
        if "select" in event:
            state.selected = event["select"]
        elif "add_point" in event or "remove_point" in event:
            X, y = lab["X"], lab["y"]
            if "add_point" in event:
                X, y = np.vstack([X, [event["add_point"]]]), np.append(y, 0)
            else:
                X, y = np.delete(X, event["remove_point"], axis=0), np.delete(y, event["remove_point"])
            lab["X"], lab["y"] = X, y
            lab["trainer"] = Trainer(net, X, y, ds.X_test, ds.y_test, optimizer="adam",
                                     lr=0.02, batch_size=32, seed=0)

    def payload(live=False):
        trainer = lab["trainer"]          # replaced when a point is added or removed
        # the gradient at the current weights and the dead units, from one forward pass
        _, cache = net.forward(trainer.X)
        grads, _ = net.backward(cache, net.output_delta(cache, trainer.y)[1])
        dead = [~m.any(axis=0) for m in cache["masks"][:-1]]
        return network_payload(
            epoch=trainer.epoch, bounds=lab["bounds"], X_train=lab["X"], y_train=lab["y"],
            X_test=ds.X_test, y_test=ds.y_test, sizes=net.sizes, params=net.params,
            features=("x1", "x2"), activation=net.activation, live=live, grads=grads,
            dead=dead, class_names=names[:ds.n_classes], class_colors=COLORS[:ds.n_classes],
            mode=mode, selected=state.selected)

    st.sidebar.title("Harness")
    running = st.sidebar.toggle("Train", key="running")
    st.sidebar.write(f"{len(lab['X'])} training points, mode {mode}")
    st.title("Network view")
    network_view(payload(), key=KEY, height=height, on_event=on_event)
    st.code(repr(state.last_event), language=None)
    while running:
        t0 = time.monotonic()
        lab["trainer"].run(epochs=per_frame, time_budget=0.5 / fps)
        network_view(payload(live=True), key=KEY, height=height, on_event=on_event)
        time.sleep(max(0.0, 1.0 / fps - (time.monotonic() - t0)))


if __name__ == "__main__":
    main()
