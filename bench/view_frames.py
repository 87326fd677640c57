"""How smoothly the live network view draws while a server trains.

Starts tests/e2e/view_harness.py (a real classifier on moons, 2 hidden layers of 16,
a 60x60 grid, 20x20 unit maps) and drives it in headless Chromium at 1024x768, with
server and browser on this machine. Each run opens a fresh session, presses Train
and measures in the page:

- first frame: from pressing Train to the first drawn frame of the run (the
  boundary's ``data-epoch`` leaves 0);
- drawn frames a second while training (each draw of the element, counted in the
  page; frames arriving faster than the screen refreshes are merged, not drawn);
- frames received a second, the longest gap between two draws, the bytes a frame
  costs on the websocket, and the CPU a frame costs the server and the browser (all
  of Chromium's processes), read from /proc: unlike frames a second, these hardly
  depend on what else the machine is doing.

Usage: ``python bench/view_frames.py [--runs 5] [--seconds 10] [--query mode=gradient]
[--json]``.
"""
import argparse
import itertools
import json
import os
import statistics
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)

from tests.e2e.server import CHROMIUM, chromium_args
from tests.e2e.view_harness import KEY, running_harness

VIEW = f"window.__bpxNetworkView.views.get({KEY!r})"
TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds():
    """CPU seconds used so far by this process' descendants: {"server", "browser"} (Linux)."""
    children, out = {}, {"server": 0.0, "browser": 0.0}
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return out
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().decode(errors="replace")
        except OSError:
            continue
        rest = stat[stat.rfind(")") + 2:].split()
        children.setdefault(int(rest[1]), []).append(
            (pid, (int(rest[11]) + int(rest[12])) / TICK, cmd))
    stack = [os.getpid()]
    while stack:
        for pid, cpu, cmd in children.get(stack.pop(), []):
            if "streamlit" in cmd:
                out["server"] += cpu
            elif "chrom" in cmd:
                out["browser"] += cpu
            stack.append(pid)
    return out

# in the page: time every draw (the element bumps data-draws on each) and the first
# drawn epoch after Train
WATCH = f"""() => {{
  const v = {VIEW};
  window.__bench = {{draws: [], first: null, t0: null}};
  new MutationObserver(() => {{
    const t = performance.now(), b = window.__bench;
    if (b.t0 === null) return;
    b.draws.push(t);
    if (b.first === null && +v.plane.dataset.epoch > 0) b.first = t - b.t0;
  }}).observe(v.root, {{attributes: true, attributeFilter: ["data-draws"]}});
}}"""

PRESS_TRAIN = """() => {
  window.__bench.t0 = performance.now();
  document.querySelector('[data-testid="stSidebar"] input[type="checkbox"]').click();
}"""


def payload_size():
    """JSON bytes of one frame of the harness' default network (built offline)."""
    import numpy as np

    from explorer import MLP, make_dataset
    from explorer.app.view_data import network_payload, payload_bytes
    from explorer.lens.diagnostics import dead_units, plane_bounds

    ds = make_dataset("moons", 300, 0.15, 2, 0.3, seed=0)
    net = MLP([2, 16, 16, 2], seed=0, dtype=np.float32)
    _, grads = net.loss_and_grads(ds.X_train, ds.y_train)
    sizes = {}
    for mode in ("weights", "gradient"):
        p = network_payload(epoch=1, bounds=plane_bounds(np.vstack([ds.X_train, ds.X_test])),
                            X_train=ds.X_train, y_train=ds.y_train, X_test=ds.X_test,
                            y_test=ds.y_test, sizes=net.sizes, params=net.params,
                            features=("x1", "x2"), activation=net.activation, live=True,
                            grads=grads, dead=dead_units(net, ds.X_train),
                            class_names=["class 0", "class 1"],
                            class_colors=["#0072B2", "#E69F00"], mode=mode)
        sizes[mode] = payload_bytes(p)
    return sizes


def one_run(browser, base, query, seconds):
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.set_default_timeout(60_000)
    received = []
    # Playwright hands these over while the script is inside one of its calls, so
    # the bytes between two calls are those its list gained in between
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: received.append(len(f))))
    try:
        page.goto(f"{base}/?{query}")
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
        page.wait_for_function(f"window.__bpxNetworkView && {VIEW} && {VIEW}.stats.draws > 0")
        page.evaluate(WATCH)
        page.evaluate(PRESS_TRAIN)
        page.wait_for_function("window.__bench.first !== null", timeout=30_000)
        time.sleep(1.0)                                   # past the first frames
        a = page.evaluate(f"[performance.now(), {VIEW}.stats.frames]")
        n_a, cpu_a = len(received), cpu_seconds()
        time.sleep(seconds)
        b = page.evaluate(f"[performance.now(), {VIEW}.stats.frames]")
        n_b, cpu_b = len(received), cpu_seconds()
        bench = page.evaluate("window.__bench")
        errors = page.locator('[data-testid="stException"]').count()
    finally:
        context.close()
    span = (b[0] - a[0]) / 1000
    draws = [t for t in bench["draws"] if a[0] <= t <= b[0]]
    gaps = [y - x for x, y in itertools.pairwise(draws)]
    frames = b[1] - a[1]
    wire = received[n_a:n_b]
    return {"first_frame_s": bench["first"] / 1000, "draws_per_s": len(draws) / span,
            "frames_per_s": frames / span, "longest_gap_s": max(gaps) / 1000 if gaps else None,
            "kb_per_frame": sum(wire) / max(frames, 1) / 1024, "errors": errors,
            "server_cpu_ms": (cpu_b["server"] - cpu_a["server"]) * 1000 / max(frames, 1),
            "browser_cpu_ms": (cpu_b["browser"] - cpu_a["browser"]) * 1000 / max(frames, 1),
            "load": os.getloadavg()[0]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--query", default="", help="harness query, e.g. mode=gradient&fps=45")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    results = []
    with running_harness() as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=chromium_args())
        try:
            for i in range(args.runs):
                r = one_run(browser, base, args.query, args.seconds)
                results.append(r)
                if not args.json:
                    print(f"run {i + 1}: {r['draws_per_s']:.1f} drawn frames/s "
                          f"({r['frames_per_s']:.1f} received), first frame "
                          f"{r['first_frame_s']:.2f} s after Train, longest gap "
                          f"{r['longest_gap_s']:.2f} s, {r['kb_per_frame']:.1f} KB/frame "
                          f"on the wire; CPU a frame: server {r['server_cpu_ms']:.1f} ms, "
                          f"browser {r['browser_cpu_ms']:.1f} ms (load {r['load']:.1f})",
                          flush=True)
        finally:
            browser.close()
    sizes = payload_size()
    if args.json:
        print(json.dumps({"runs": results, "payload_bytes": sizes}, indent=2))
        return
    med = {k: statistics.median(r[k] for r in results) for k in
           ("draws_per_s", "frames_per_s", "first_frame_s", "longest_gap_s", "kb_per_frame",
            "server_cpu_ms", "browser_cpu_ms")}
    print(f"\nmedian of {len(results)} runs: {med['draws_per_s']:.1f} drawn frames/s, "
          f"first frame {med['first_frame_s']:.2f} s, longest gap {med['longest_gap_s']:.2f} s, "
          f"{med['kb_per_frame']:.1f} KB/frame on the wire")
    print(f"CPU a frame: server {med['server_cpu_ms']:.1f} ms, browser {med['browser_cpu_ms']:.1f} "
          f"ms: {1000 / (med['server_cpu_ms'] + med['browser_cpu_ms']) * (os.cpu_count() or 1):.0f} "
          "frames a second would fill every core")
    print(f"payload of one frame (JSON): {sizes['weights'] / 1024:.1f} KB (weights mode), "
          f"{sizes['gradient'] / 1024:.1f} KB (gradient mode); budget 60 KB")
    print(f"(machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
