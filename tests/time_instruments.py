"""How long each instrument takes, on networks a class would train: the time budget
that keeps a page responsive.

    python -m tests.time_instruments            # about a minute (trains the networks first)

One BLAS thread, as the app's server runs. For each network: the median of
``REPEATS`` runs of each instrument's computation (what runs when its tab is open
and training is paused), then building its figure and serialising it to JSON (what
Streamlit sends). Prints a table; nothing is saved.
"""
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

from explorer import labs, load_digits_data
from explorer import params as P
from explorer.app import instrument_figures as IF
from explorer.app import instruments as I
from explorer.lens import ablation, influence, landscape, lr_finder, regions
from explorer.lens import fork as forks
from explorer.lens.diagnostics import activation_regions

REPEATS = 5
NETWORKS = {
    "default: spirals 300 pts, 2x16, momentum": {},
    "wide: spirals 2000 pts, 2x64": {"n": 2000, "h1": 64, "h2": 64},
    "deep: spirals 2000 pts, 4x64, adam": {"n": 2000, "layers": 4, "h1": 64, "h2": 64,
                                           "h3": 64, "h4": 64, "opt": "adam"},
}
EPOCHS = 100


def timed(fn):
    """``(median wall seconds, median cpu seconds, last result)`` over REPEATS runs."""
    wall, cpu, out = [], [], None
    for _ in range(REPEATS):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu), out


def classifier_rows(lab):
    t, net = lab.trainer, lab.net
    X, y = landscape.sample_rows(t.X, t.y, landscape.samples_for(net.sizes, I.LANDSCAPE_RES))
    xs, ys, probs, _, masks = lab.grid(I.REGIONS_RES)
    box = (xs[0], ys[0]), (xs[-1], ys[-1])

    def exact():
        try:
            return regions.linear_regions(net, *box, max_regions=I.MAX_EXACT_REGIONS,
                                          max_seconds=I.MAX_EXACT_SECONDS)
        except regions.TooManyRegions as stop:
            return stop.found

    def pushes():
        gx, gy = lab.grid(I.PUSH_RES)[:2]
        P_ = np.column_stack([a.ravel() for a in np.meshgrid(gx, gy)])
        return influence.gradient_field(net, P_, lab.features), influence.point_pulls(net, t.X, t.y)

    def fork_catch_up():
        v = forks.fork_values(lab.values, "lr", 0.1)
        other = labs.ClassifierLab(lab.ds, v)
        other.trainer.run(EPOCHS, time_budget=I.CATCH_UP_SECONDS)
        return other.epoch

    rows = [
        ("landscape, random plane", lambda: landscape.random_plane(net, X, y, res=I.LANDSCAPE_RES),
         lambda r: IF.landscape_figure(r["a"], r["b"], r["loss"])),
        ("landscape, path plane", lambda: landscape.path_plane(
            net, X, y, t.snapshots, res=I.LANDSCAPE_RES, epoch=lab.epoch),
         lambda r: IF.landscape_figure(r["a"], r["b"], r["loss"], path={
             "a": r["path_a"], "b": r["path_b"], "epochs": r["epochs"]})),
        ("LR range test (200 steps)", lambda: lr_finder.lr_range_test(
            net, t.X, t.y, lab.values.opt, t.batch_size, steps=I.RANGE_STEPS),
         lambda r: IF.lr_finder_figure(r.lrs, r.losses, r.smoothed, r.suggestion, 0.01)),
        (f"two runs: fork + catch up {EPOCHS} epochs", fork_catch_up, None),
        ("which points push", pushes, None),
        ("regions: grid 160x160", lambda: activation_regions(masks), None),
        ("regions: exact count", exact, None),
    ]
    out = []
    for name, compute, draw in rows:
        wall, cpu, r = timed(compute)
        extra = ""
        if name.startswith("two runs"):
            extra = f"reached epoch {r} of {EPOCHS}"
        elif name == "regions: exact count":
            extra = f"{len(r):,} regions" if isinstance(r, list) else f"stopped at > {r:,}"
        elif name.startswith("landscape"):
            extra = f"loss over {len(X):,} of {len(t.X):,} points"
        fig_ms = kb = None
        if draw is not None:
            f_wall, _, fig = timed(lambda: draw(r).to_json())
            fig_ms, kb = f_wall * 1000, len(fig) / 1024
        out.append((name, wall, cpu, fig_ms, kb, extra))
    return out


def autoencoder_rows(lab):
    net, ds = lab.net, lab.ds
    rows = [("errors of 450 test digits", lambda: ablation.reconstruction_errors(net, ds.X_test)),
            ("switching each code unit off", lambda: ablation.code_ablation(net, ds.X_test))]
    return [(name, *timed(fn)[:2], None, None, "") for name, fn in rows]


def show(title, rows):
    print(f"\n{title}")
    print(f"  {'instrument':42s} {'wall ms':>8s} {'cpu ms':>8s} {'figure ms':>9s} {'KB':>6s}")
    for name, wall, cpu, fig_ms, kb, extra in rows:
        f = f"{fig_ms:9.0f} {kb:6.0f}" if fig_ms is not None else f"{'':9s} {'':6s}"
        print(f"  {name:42s} {wall * 1000:8.0f} {cpu * 1000:8.0f} {f}  {extra}")


def main():
    threadpool_limits(1)
    for title, changes in NETWORKS.items():
        v = P.ClassifierSettings(**changes)
        lab = labs.ClassifierLab(labs.dataset_for(v), v)
        lab.trainer.run(EPOCHS)
        show(f"{title}, trained {EPOCHS} epochs", classifier_rows(lab))
    digits = load_digits_data()
    for hidden in (32, 128):
        v = P.AutoencoderSettings(hidden=hidden)
        lab = labs.AutoencoderLab(digits, v)
        lab.trainer.run(20)
        show(f"autoencoder 64-{hidden}-64, trained 20 epochs", autoencoder_rows(lab))


if __name__ == "__main__":
    main()
