"""Benchmarks of the explorer's core against scikit-learn, PyTorch and a plain
NumPy floor (GitHub issue 5).

    python bench/run.py            # readable table
    python bench/run.py --json     # machine-readable results
    python bench/run.py --quick    # fewer rounds and a 3 s autoencoder budget (a smoke run)

Everything runs on one thread (BLAS, OpenMP and PyTorch). Timings are taken
INTERLEAVED: every round runs each contender once, in a shuffled order, and we
report medians over rounds; a ratio is the median of the per-round ratios, so a
burst of load from a neighbour on this shared machine hits both sides of it.

Sections:
  epoch      one training epoch (full batch and mini-batch, momentum and Adam) of the
             classifier on moons and the autoencoder on digits
  fwdbwd     forward + backward alone at several batch sizes, explorer vs the plain loop
  quality    classifier test accuracy at equal epochs vs scikit-learn; autoencoder
             test error after a wall-clock budget vs PCA
  live       live-frame figures (grid evaluation + figure + to_json), if
             explorer/figures.py provides them
Then every target of the issue is printed with PASS/FAIL.

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are recorded, never set: they belong to the
machine, and the BLAS kernel threadpoolctl reports goes in the output with them.
"""
import os

# one thread everywhere, before numpy (or torch) is imported
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import gc  # noqa: E402
import inspect  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import sklearn  # noqa: E402
from sklearn.datasets import load_digits, make_moons  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402

from explorer import MLP, Trainer  # noqa: E402
from explorer.nn.network import init_params  # noqa: E402
from explorer.data import load_digits_data  # noqa: E402
from explorer.labs import AutoencoderLab  # noqa: E402
from explorer.params import AutoencoderSettings, ClassifierSettings  # noqa: E402

try:
    import torch  # noqa: E402
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
except ImportError:          # the bench still runs; PyTorch rows are left out
    torch = None

warnings.filterwarnings("ignore", category=ConvergenceWarning)

CLF_SIZES = [2, 16, 16, 2]
AE_SIZES = [64, 32, 64]
LR = {("clf", "momentum"): 0.1, ("clf", "adam"): 0.01,
      ("ae", "momentum"): 0.01, ("ae", "adam"): 0.01}


# =============================================================================
# data
# =============================================================================
def moons(n, seed=0, n_test=0):
    """Moons with noise 0.2, standardised with the training part's mean and std."""
    X, y = make_moons(n_samples=n + n_test, noise=0.2, random_state=seed)
    Xtr, ytr, Xte, yte = X[:n], y[:n], X[n:], y[n:]
    mu, sd = Xtr.mean(0), Xtr.std(0)
    return (Xtr - mu) / sd, ytr, (Xte - mu) / sd, yte


def digits():
    """Digits scaled to [0, 1] (X / 16)."""
    return load_digits().data / 16.0


# =============================================================================
# timing
# =============================================================================
def interleaved(fns, budget, min_rounds=7, max_rounds=60, target_sample=0.003, seed=0):
    """Time ``fns`` {name: callable} round-robin.

    Each sample calls a function ``inner`` times (enough for ~3 ms), each round
    times every function once in a shuffled order. Returns ``{name: [seconds per
    call, one per round]}``.
    """
    names = list(fns)
    for f in fns.values():                 # warm-up (and first-call allocations)
        f()
        f()
    inner = {}
    for k, f in fns.items():
        t0 = time.perf_counter()
        f()
        dt = max(time.perf_counter() - t0, 1e-7)
        inner[k] = max(1, int(target_sample / dt))
    per_round = sum(_once(fns[k], inner[k]) * inner[k] for k in names)
    rounds = int(min(max_rounds, max(min_rounds, budget / max(per_round, 1e-9))))
    rng = np.random.default_rng(seed)
    times = {k: [] for k in names}
    gc.collect()
    for _ in range(rounds):
        for i in rng.permutation(len(names)):
            k = names[i]
            times[k].append(_once(fns[k], inner[k]))
    return times


def _once(f, inner):
    t0 = time.perf_counter()
    for _ in range(inner):
        f()
    return (time.perf_counter() - t0) / inner


def med(xs):
    return statistics.median(xs)


def ratio(times, a, b):
    """Median over rounds of time(a) / time(b) (paired, so load bursts cancel)."""
    return med([x / y for x, y in zip(times[a], times[b])])


# =============================================================================
# contenders: one training epoch
# =============================================================================
def explorer_epoch(task, X, y, opt, bs, dtype):
    net = MLP(CLF_SIZES if task == "clf" else AE_SIZES,
              output="softmax" if task == "clf" else "relu", seed=0, dtype=dtype)
    tr = Trainer(net, X, y, optimizer=opt, lr=LR[task, opt], batch_size=bs,
                 seed=0)

    def epoch():
        tr.run(1)
    epoch.trainer = tr
    return epoch


def sklearn_epoch(task, X, y, opt, bs):
    """One epoch of scikit-learn's own stochastic solver, setup excluded.

    The estimator is initialised by one ``partial_fit``; after that an epoch is
    ``_fit_stochastic`` on the already validated arrays (what ``partial_fit``
    runs after its input validation). Falls back to ``partial_fit`` if the
    private method ever changes.
    """
    kw = dict(activation="relu", solver="sgd" if opt == "momentum" else "adam",
              alpha=0.0, batch_size=bs, learning_rate_init=LR[task, opt], momentum=0.9,
              nesterovs_momentum=False, max_iter=1, shuffle=True, random_state=0,
              tol=0.0, n_iter_no_change=10 ** 9)
    if task == "clf":
        est = MLPClassifier(hidden_layer_sizes=tuple(CLF_SIZES[1:-1]), **kw)
        est.partial_fit(X, y, classes=np.unique(y))
    else:
        est = MLPRegressor(hidden_layer_sizes=tuple(AE_SIZES[1:-1]), **kw)
        est.partial_fit(X, y)
    try:
        Xv, Yv = est._validate_input(X, y, True, reset=False)
        if Yv.ndim == 1:
            Yv = Yv.reshape(-1, 1)
        units = [Xv.shape[1]] + list(est.hidden_layer_sizes) + [est.n_outputs_]
        acts = [Xv] + [None] * (len(units) - 1)
        deltas = [None] * (len(acts) - 1)
        cg = [np.empty((a, b), dtype=Xv.dtype) for a, b in zip(units[:-1], units[1:])]
        ig = [np.empty(b, dtype=Xv.dtype) for b in units[1:]]
        args = (Xv, Yv, None, acts, deltas, cg, ig, units, True)
        inspect.signature(est._fit_stochastic).bind(*args)

        def epoch():
            est._fit_stochastic(*args)
        epoch.how = "_fit_stochastic (validation excluded)"
    except Exception as e:   # pragma: no cover - depends on sklearn internals
        def epoch():
            est.partial_fit(X, y)
        epoch.how = f"partial_fit (private path unavailable: {e})"
    epoch.est = est
    return epoch


def torch_epoch(task, X, y, opt, bs):
    torch.manual_seed(0)
    sizes = CLF_SIZES if task == "clf" else AE_SIZES
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2 or task == "ae":
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    Xt = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
    if task == "clf":
        yt = torch.from_numpy(np.asarray(y, dtype=np.int64))
        lossf = torch.nn.functional.cross_entropy
    else:
        yt = torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32))

        def lossf(out, target):            # sum over pixels, mean over samples
            return ((out - target) ** 2).sum() / out.shape[0]
    if opt == "momentum":
        o = torch.optim.SGD(model.parameters(), lr=LR[task, opt], momentum=0.9)
    else:
        o = torch.optim.Adam(model.parameters(), lr=LR[task, opt])
    n = len(Xt)
    gen = torch.Generator().manual_seed(0)

    def epoch():
        perm = torch.randperm(n, generator=gen)
        for s in range(0, n, bs):
            idx = perm[s:s + bs]
            o.zero_grad(set_to_none=True)
            loss = lossf(model(Xt[idx]), yt[idx])
            loss.backward()
            o.step()
    return epoch


# =============================================================================
# the floor: a plain hand-written NumPy MLP
# =============================================================================
class Plain:
    """Minimal forward / backward / update, no diagnostics; same init as the explorer."""

    def __init__(self, sizes, output, dtype, seed=0):
        p = init_params(sizes, "he", np.random.default_rng(seed), np.dtype(dtype))
        L = len(sizes) - 1
        self.W = [p[f"W{l}"] for l in range(1, L + 1)]
        self.b = [p[f"b{l}"] for l in range(1, L + 1)]
        self.softmax = output == "softmax"
        self.dtype = np.dtype(dtype)
        self.state = None

    def loss_and_grads(self, X, y):
        W, b, L = self.W, self.b, len(self.W)
        Hs, Ms = [X], []
        h = X
        for l in range(L):
            z = h @ W[l].T + b[l]
            if l < L - 1 or not self.softmax:
                m = z > 0
                h = z * m
                Ms.append(m)
                Hs.append(h)
        n = X.shape[0]
        if self.softmax:
            s = z - z.max(axis=1, keepdims=True)
            e = np.exp(s)
            tot = e.sum(axis=1)
            rows = np.arange(n)
            loss = float((np.log(tot) - s[rows, y]).mean())
            D = e / tot[:, None]
            D[rows, y] -= 1
            D /= n
        else:
            R = h - y
            loss = float(np.vdot(R, R)) / n
            D = R * (2.0 / n) * Ms[-1]
            Hs.pop()
        gW, gb = [None] * L, [None] * L
        for l in range(L - 1, -1, -1):
            gW[l] = D.T @ Hs[l]
            gb[l] = D.sum(axis=0)
            if l:
                D = (D @ W[l]) * Ms[l - 1]
        return loss, gW + gb

    def make_step(self, opt, lr, mu=0.9, b1=0.9, b2=0.999, eps=1e-8):
        params = self.W + self.b
        if opt == "momentum":
            vel = [np.zeros_like(p) for p in params]

            def step(grads):
                for p, v, g in zip(params, vel, grads):
                    v *= mu
                    v -= lr * g
                    p += v
        else:
            ms = [np.zeros_like(p) for p in params]
            vs = [np.zeros_like(p) for p in params]
            t = [0]

            def step(grads):
                t[0] += 1
                a = lr * math.sqrt(1 - b2 ** t[0]) / (1 - b1 ** t[0])
                for p, m, v, g in zip(params, ms, vs, grads):
                    m *= b1
                    m += (1 - b1) * g
                    v *= b2
                    v += (1 - b2) * (g * g)
                    p -= a * m / (np.sqrt(v) + eps)
        return step


def plain_epoch(task, X, y, opt, bs, dtype):
    net = Plain(CLF_SIZES if task == "clf" else AE_SIZES,
                "softmax" if task == "clf" else "relu", dtype)
    X = np.asarray(X, dtype=dtype)
    y = np.asarray(y) if task == "clf" else np.asarray(y, dtype=dtype)
    step = net.make_step(opt, LR[task, opt])
    rng = np.random.default_rng(0)
    n = len(X)

    def epoch():
        order = rng.permutation(n)
        for s in range(0, n, bs):
            idx = order[s:s + bs]
            _, grads = net.loss_and_grads(X[idx], y[idx])
            step(grads)
    return epoch


# =============================================================================
# sections
# =============================================================================
def bench_epochs(quick):
    Xc, yc, _, _ = moons(1000)
    Xd = digits()
    cases = [("clf", "full", 1000), ("clf", "b32", 32), ("ae", "full", len(Xd)), ("ae", "b64", 64)]
    rows = []
    notes = {}
    for task, bname, bs in cases:
        X, y = (Xc, yc) if task == "clf" else (Xd, Xd)
        for opt in ("momentum", "adam"):
            fns = {
                "explorer_f32": explorer_epoch(task, X, y, opt, bs, np.float32),
                "explorer_f64": explorer_epoch(task, X, y, opt, bs, np.float64),
                "sklearn": sklearn_epoch(task, X, y, opt, bs),
                "plain_f32": plain_epoch(task, X, y, opt, bs, np.float32),
            }
            notes["sklearn_epoch"] = fns["sklearn"].how
            if torch is not None:
                fns["torch"] = torch_epoch(task, X, y, opt, bs)
            times = interleaved(fns, budget=1.2 if quick else 5.0, min_rounds=5 if quick else 9)
            for k in ("explorer_f32", "explorer_f64"):
                if fns[k].trainer.diverged is not None:
                    raise RuntimeError(f"{task} {opt} {k} diverged: the timing would be void")
            row = {"task": task, "batch": bname, "batch_size": bs, "optimizer": opt,
                   "rounds": len(times["sklearn"]),
                   "ms": {k: 1e3 * med(v) for k, v in times.items()}, "ratio": {}}
            for e in ("explorer_f32", "explorer_f64"):
                for other in ("sklearn", "torch", "plain_f32"):
                    if other in times:
                        row["ratio"][f"{e}/{other}"] = ratio(times, e, other)
            rows.append(row)
    notes["sklearn_output"] = ("MLPClassifier on 2 classes uses ONE logistic output unit "
                               "(2-16-16-1); MLPRegressor's output is identity, not ReLU; "
                               "both train in float64")
    notes["explorer_epoch"] = ("Trainer.run(1): includes the per-epoch history (full-set "
                               "loss/accuracy, grad norms, update ratios, dead fractions) "
                               "and a parameter snapshot")
    notes["torch_epoch"] = "nn.Sequential float32, 1 thread, default optimizer implementation"
    return rows, notes


def bench_fwdbwd(quick):
    Xc_all, yc_all, _, _ = moons(2000)
    Xd_all = digits()
    rows = []
    for task in ("clf", "ae"):
        for n in (32, 256, 1000, 1797):
            fns = {}
            for dt in (np.float32, np.float64):
                tag = "f32" if dt is np.float32 else "f64"
                if task == "clf":
                    X, y = Xc_all[:n].astype(dt), yc_all[:n]
                    net = MLP(CLF_SIZES, "softmax", seed=0, dtype=dt)
                    plain = Plain(CLF_SIZES, "softmax", dt)
                else:
                    X = Xd_all[:n].astype(dt)
                    y = X
                    net = MLP(AE_SIZES, "relu", seed=0, dtype=dt)
                    plain = Plain(AE_SIZES, "relu", dt)
                fns[f"explorer_{tag}"] = (lambda net=net, X=X, y=y: net.loss_and_grads(X, y))
                fns[f"plain_{tag}"] = (lambda p=plain, X=X, y=y: p.loss_and_grads(X, y))
            times = interleaved(fns, budget=0.6 if quick else 2.0, min_rounds=7 if quick else 15)
            rows.append({"task": task, "n": n, "rounds": len(times["plain_f64"]),
                         "us": {k: 1e6 * med(v) for k, v in times.items()},
                         "ratio": {"f32": ratio(times, "explorer_f32", "plain_f32"),
                                   "f64": ratio(times, "explorer_f64", "plain_f64")}})
    return rows


def ae_quality(ds, seed, budget):
    """Test error of the app's DEFAULT autoencoder after ``budget`` seconds, vs PCA.

    Built exactly as the Autoencoder page builds it: an AutoencoderLab with the
    AUTOENCODER defaults (so its initialisation, optimizer, learning rate and
    batch size, float32) on the app's digits split; only the seed varies.
    """
    values = AutoencoderSettings(seed=seed)
    lab = AutoencoderLab(ds, values)
    net, tr = lab.net, lab.trainer
    Xtr, Xte = tr.X, tr.X_test
    t0 = time.perf_counter()
    done = tr.run(10 ** 9, time_budget=budget)
    elapsed = time.perf_counter() - t0
    h = tr.history
    dead_px = lab.dead_pixels()
    err = float(net.loss(Xte, Xte))
    pca = lab.pca_error()
    return {"seed": seed, "budget_s": budget, "elapsed_s": elapsed, "epochs": done,
            "explorer_test_err": err, "pca32_test_err": pca, "ratio": err / pca,
            "test_err_at_epoch_50": h["test_loss"][min(50, done)],
            "test_err_at_epoch_100": h["test_loss"][min(100, done)],
            "start_test_err": h["test_loss"][0],
            "dead_code_units": h["dead_frac"][-1][0], "dead_output_pixels": h["dead_outputs"][-1],
            "test_err_from_dead_pixels": float((Xte[:, dead_px] ** 2).sum(axis=1).mean()),
            "train_n": len(Xtr), "test_n": len(Xte), "hidden": values.hidden,
            "opt": values.opt, "lr": values.lr, "bs": values.bs,
            "dtype": net.dtype.name}


def bench_quality(quick):
    seeds = (0,) if quick else (0, 1, 2)
    epochs = 200
    clf = []
    for seed in seeds:
        Xtr, ytr, Xte, yte = moons(1000, seed=seed, n_test=1000)
        net = MLP(CLF_SIZES, "softmax", seed=seed, dtype=np.float32)
        tr = Trainer(net, Xtr, ytr, optimizer="adam", lr=0.01, batch_size=32, seed=seed)
        t0 = time.perf_counter()
        tr.run(epochs)
        te = time.perf_counter() - t0
        acc_e = float((net.predict(Xte) == yte).mean())
        sk = MLPClassifier(hidden_layer_sizes=(16, 16), activation="relu", solver="adam",
                           alpha=0.0, batch_size=32, learning_rate_init=0.01, max_iter=epochs,
                           tol=0.0, n_iter_no_change=10 ** 9, random_state=seed)
        t0 = time.perf_counter()
        sk.fit(Xtr, ytr)
        ts = time.perf_counter() - t0
        acc_s = float((sk.predict(Xte) == yte).mean())
        clf.append({"seed": seed, "explorer_acc": acc_e, "sklearn_acc": acc_s,
                    "explorer_s": te, "sklearn_s": ts, "sklearn_epochs": sk.n_iter_})
    budget = 3.0 if quick else 10.0
    ds = load_digits_data(test_ratio=0.25, seed=0)      # the app's split (ui.cached_digits)
    runs = [ae_quality(ds, seed, budget) for seed in seeds]
    ae = dict(runs[0])                                   # seed 0: the app's default
    ae["seeds"] = runs
    ae["ratio_worst"] = max(r["ratio"] for r in runs)
    return {"clf": clf, "clf_epochs": epochs,
            "clf_explorer_mean": float(np.mean([r["explorer_acc"] for r in clf])),
            "clf_sklearn_mean": float(np.mean([r["sklearn_acc"] for r in clf])),
            "ae": ae}


# -----------------------------------------------------------------------------
# live frames: the Classifier page's own functions (explorer.app.frames)
# -----------------------------------------------------------------------------
def _classifier_lab(n=1000):
    """The Classifier page's lab on 1,000 moons, as the page builds it."""
    from explorer import labs
    values = ClassifierSettings(data="moons", n=n, noise=0.1, test=0.2)
    return labs.ClassifierLab(labs.dataset_for(values), values)


N_DIGITS = AutoencoderLab.SHOW     # test digits in the page's reconstruction grid


def _digits_frame(F, net, X):
    Xs = X[:N_DIGITS]
    fig = F.digits_grid_figure(Xs, net.predict(Xs))
    return fig.to_json()


def bench_live(quick):
    import explorer.app.figures as F
    from explorer import labs
    from explorer.app import frames, raster
    from explorer.lens.diagnostics import plane_grid
    Xd = digits()
    lab = _classifier_lab()
    ae = MLP(AE_SIZES, "relu", seed=0, dtype=np.float32)
    ds = lab.ds
    xs, ys, _ = plane_grid(lab.extent, 2)
    dots_uri = raster.png_data_uri(raster.points_layer(xs, ys, ds.X_train, ds.y_train,
                                                       ds.X_test, ds.y_test))
    jobs = {}
    for res in (100, 200):   # a paused boundary chart (the home page's): grid, figure, JSON
        jobs[f"boundary_{res}x{res}"] = (F.boundary_figure, lambda res=res: F.boundary_figure(
            *lab.grid(res)[:3], ds.X_train, ds.y_train, dots=dots_uri).to_json())
    jobs["digits_grid"] = (F.digits_grid_figure, lambda: _digits_frame(F, ae, Xd))
    # a live frame of the Classifier's network view, as the page builds and sends it: the
    # default network (a later frame of a run: the points stay), its run's first frame,
    # and the largest network the app allows
    from explorer.app.view_data import without_points
    for name, settings, later in (
            ("view_frame", ClassifierSettings(), True),
            ("view_frame_first", ClassifierSettings(), False),
            ("view_frame_4x64", ClassifierSettings(layers=4, h1=64, h2=64, h3=64, h4=64), True)):
        flab = labs.ClassifierLab(labs.dataset_for(settings), settings)
        flab.trainer.run(3)
        jobs[name] = (frames.view_payload, lambda flab=flab, later=later: json.dumps(
            (without_points if later else dict)(frames.view_payload(flab, live=True)),
            separators=(",", ":")))
    out = {}
    for name, (fn, job) in jobs.items():
        try:
            size = len(job())
            ts = []
            for _ in range(3 if quick else 7):
                t0 = time.perf_counter()
                job()
                ts.append(time.perf_counter() - t0)
            out[name] = {"ms": 1e3 * med(ts), "kb": size / 1024}
        except Exception as e:
            out[name] = {"error": f"{type(e).__name__}: {e}",
                         "signature": f"{fn.__name__}{inspect.signature(fn)}"}
    return out


def bench_stack(quick):
    """A class's epochs: R runs of the Classifier's default network (spirals, 2x16,
    momentum, batch 32, each its own seed) trained one by one (``Trainer.run``) and
    together (``explorer.nn.stack.train_together``), interleaved: ms an epoch costs a run."""
    from explorer import labs
    from explorer.nn.stack import train_together
    out = []
    for R in ((1, 30) if quick else (1, 8, 30, 100)):
        runs = [labs.ClassifierLab(labs.dataset_for(s), s).trainer
                for s in (ClassifierSettings(seed=100 + i) for i in range(R))]
        solo = runs[0]
        fns = {"alone": lambda: solo.run(1),
               "stacked": lambda runs=runs: train_together(runs, [1] * len(runs))}
        times = interleaved(fns, budget=1.0 if quick else 4.0)
        alone, stacked = med(times["alone"]), med(times["stacked"]) / R
        out.append({"runs": R, "alone_ms": 1e3 * alone, "stacked_ms": 1e3 * stacked,
                    "ratio": med([b / R / a for a, b in zip(times["alone"], times["stacked"])]),
                    "rounds": len(times["alone"])})
    return out


def bench_hostile(quick):
    """How long the parsers take to refuse files made to be slow: a CSV of 1 MB of blank
    lines after a few rows, and weights whose header claims 10^10 numbers."""
    import io
    import zipfile

    from numpy.lib import format as npy_format

    from explorer.data import parse_points_csv
    from explorer.limits import MAX_CSV_BYTES
    from explorer.nn.weights_io import load_weights
    rows = "x1,x2,label\n" + "".join(f"{i * 0.5},{-i},{'ab'[i % 2]}\n" for i in range(30))
    header = io.BytesIO()
    npy_format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                               "shape": (100_000, 100_000)})
    forged = io.BytesIO()
    with zipfile.ZipFile(forged, "w") as zf:
        zf.writestr("W1.npy", header.getvalue() + b"\x00" * 64)
    cases = {f"csv_blank_lines_{name}": rows.encode() + filler * (MAX_CSV_BYTES // len(filler) - 500)
             for name, filler in (("lf", b"\n"), ("commas", b",,\r\n"), ("quotes", b'"",""\r'))}
    out = {}
    for name, data in {**cases, "npy_forged_header": forged.getvalue()}.items():
        parse = load_weights if name.startswith("npy") else parse_points_csv
        ts = []
        for _ in range(3 if quick else 7):
            t0 = time.perf_counter()
            try:
                parse(data)
                refused = False
            except ValueError:
                refused = True
            ts.append(time.perf_counter() - t0)
        out[name] = {"ms": 1e3 * med(ts), "refused": refused}
    return out


# =============================================================================
# targets and report
# =============================================================================
def targets(res):
    t = []

    def add(name, value, limit, ok):
        t.append({"target": name, "value": value, "limit": limit, "pass": bool(ok)})

    for r in res.get("epoch", []):
        lim = {"sklearn": 0.5, "torch": 0.5 if r["task"] == "clf" else 1.0}
        for other, limit in lim.items():
            key = f"explorer_f32/{other}"
            if key in r["ratio"]:
                v = r["ratio"][key]
                add(f"{r['task']} epoch {r['batch']} {r['optimizer']}: explorer(f32) / {other}",
                    v, f"<= {limit}", v <= limit)
    if "fwdbwd" in res:
        for r in res["fwdbwd"]:
            for dt in ("f32", "f64"):
                v = r["ratio"][dt]
                add(f"{r['task']} fwd+bwd n={r['n']} {dt}: explorer / plain", v, "<= 1.2", v <= 1.2)
    if "quality" in res:
        q = res["quality"]
        add(f"clf test accuracy ({q['clf_epochs']} epochs, mean of {len(q['clf'])} seeds): "
            "explorer - sklearn", q["clf_explorer_mean"] - q["clf_sklearn_mean"], ">= 0",
            q["clf_explorer_mean"] >= q["clf_sklearn_mean"])
        a = q["ae"]
        add(f"AE (app default) test error after {a['budget_s']:g} s / PCA-{a['hidden']}, "
            f"worst of {len(a['seeds'])} seeds", a["ratio_worst"], "<= 1.25",
            a["ratio_worst"] <= 1.25)
    for r in res.get("stack", []):
        if r["runs"] == 30:
            add("an epoch of one run of 30 stacked / alone", round(r["ratio"], 3), "<= 0.35",
                r["ratio"] <= 0.35)
    live = res.get("live") or {}
    for name, ms, kb in (("view_frame", 0.5, 3), ("view_frame_4x64", 2, 40),
                         ("boundary_100x100", 15, 120),
                         ("digits_grid", 25, 30)):
        r = live.get(name) or {}
        if "ms" in r:
            add(f"live frame {name}: ms", round(r["ms"], 1), f"<= {ms}", r["ms"] <= ms)
            add(f"live frame {name}: KB", round(r["kb"], 1), f"<= {kb}", r["kb"] <= kb)
        elif live:                       # measured, but this frame could not be made
            add(f"live frame {name}: made", float("nan"), str(r), False)
    for name, r in (res.get("hostile") or {}).items():
        limit = 1000 if name.startswith("npy") else 500
        add(f"refuse {name}: ms", round(r["ms"], 1), f"<= {limit}, refused",
            r["refused"] and r["ms"] <= limit)
    return t


def environment():
    blas = [{k: d.get(k) for k in ("internal_api", "version", "architecture", "num_threads",
                                   "threading_layer", "filepath")}
            for d in threadpool_info()]
    return {
        "python": platform.python_version(), "numpy": np.__version__,
        "sklearn": sklearn.__version__, "torch": None if torch is None else torch.__version__,
        "torch_threads": None if torch is None else torch.get_num_threads(),
        "machine": platform.machine(), "cpus": os.cpu_count(),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
        "blas": blas,
    }


def print_report(res):
    env = res["env"]
    print(f"# Backprop Explorer bench  python {env['python']}  numpy {env['numpy']}  "
          f"sklearn {env['sklearn']}  torch {env['torch']}  ({env['cpus']} cpus, 1 thread)")
    print(f"# OPENBLAS_CORETYPE={env['OPENBLAS_CORETYPE']}  OPENBLAS_L2_SIZE={env['OPENBLAS_L2_SIZE']}  "
          + "  ".join(f"[{os.path.basename(b['filepath'] or '')}: {b['internal_api']} "
                      f"{b['version']} kernel={b['architecture']} threads={b['num_threads']}]"
                      for b in env["blas"] if b["internal_api"] != "openmp"))
    if "epoch" in res:
        print("\n## One training epoch (ms, median over interleaved rounds)")
        if env["torch"] is None:
            print("  (PyTorch is not installed, so its columns read nan: "
                  "`pip install torch==2.13.0` adds them)")
        print(f"{'case':<24}{'expl f32':>9}{'expl f64':>9}{'sklearn':>9}{'torch':>9}{'plain32':>9}"
              f"{'f32/skl':>9}{'f32/tch':>9}{'f32/pln':>9}{'rnds':>5}")
        for r in res["epoch"]:
            ms, ra = r["ms"], r["ratio"]
            name = f"{r['task']} {r['batch']} {r['optimizer']}"
            print(f"{name:<24}{ms['explorer_f32']:>9.2f}{ms['explorer_f64']:>9.2f}"
                  f"{ms['sklearn']:>9.2f}{ms.get('torch', math.nan):>9.2f}{ms['plain_f32']:>9.2f}"
                  f"{ra['explorer_f32/sklearn']:>9.2f}{ra.get('explorer_f32/torch', math.nan):>9.2f}"
                  f"{ra['explorer_f32/plain_f32']:>9.2f}{r['rounds']:>5}")
        for k, v in res["epoch_notes"].items():
            print(f"  note {k}: {v}")
    if "fwdbwd" in res:
        print("\n## Forward + backward (loss_and_grads), us, median")
        print(f"{'case':<14}{'expl f32':>10}{'plain f32':>10}{'ratio':>7}"
              f"{'expl f64':>10}{'plain f64':>10}{'ratio':>7}")
        for r in res["fwdbwd"]:
            u = r["us"]
            print(f"{r['task'] + ' n=' + str(r['n']):<14}{u['explorer_f32']:>10.1f}"
                  f"{u['plain_f32']:>10.1f}{r['ratio']['f32']:>7.2f}{u['explorer_f64']:>10.1f}"
                  f"{u['plain_f64']:>10.1f}{r['ratio']['f64']:>7.2f}")
    if "quality" in res:
        q = res["quality"]
        print("\n## Quality at equal work")
        for r in q["clf"]:
            print(f"  clf seed {r['seed']}: test acc explorer {r['explorer_acc']:.4f} "
                  f"({r['explorer_s']:.2f} s)  sklearn {r['sklearn_acc']:.4f} "
                  f"({r['sklearn_s']:.2f} s, {r['sklearn_epochs']} epochs)")
        print(f"  clf mean: explorer {q['clf_explorer_mean']:.4f}  sklearn {q['clf_sklearn_mean']:.4f}")
        a = q["ae"]
        print(f"  AE, the app's default ({a['opt']} lr {a['lr']:g}, batch {a['bs']}, code "
              f"{a['hidden']}, {a['dtype']}, {a['train_n']}/{a['test_n']} digits), "
              f"{a['budget_s']:g} s each:")
        for r in a["seeds"]:
            print(f"    seed {r['seed']}: {r['epochs']} epochs: test error {r['explorer_test_err']:.3f} "
                  f"vs PCA-{r['hidden']} {r['pca32_test_err']:.3f} (ratio {r['ratio']:.3f}); "
                  f"epoch 0/50/100: {r['start_test_err']:.2f}/{r['test_err_at_epoch_50']:.3f}/"
                  f"{r['test_err_at_epoch_100']:.3f}")
            print(f"      dead code units {r['dead_code_units']:.0%}, dead output pixels "
                  f"{r['dead_output_pixels']} of 64 (their error alone: "
                  f"{r['test_err_from_dead_pixels']:.3f})")
    if "live" in res:
        print("\n## Live frames")
        for k, v in res["live"].items() if isinstance(res["live"], dict) else []:
            if k == "skipped":
                print(f"  skipped: {v}")
            elif "ms" in v:
                print(f"  {k}: {v['ms']:.1f} ms, {v['kb']:.0f} KB")
            else:
                print(f"  {k}: {v}")
    if "stack" in res:
        print("\n## A class's epochs: the default network, ms an epoch costs a run (median)")
        for r in res["stack"]:
            print(f"  {r['runs']:>3} runs: alone {r['alone_ms']:.3f}, stacked {r['stacked_ms']:.3f}"
                  f" (ratio {r['ratio']:.2f}, {r['rounds']} rounds)")
    if "hostile" in res:
        print("\n## Refusing files made to be slow")
        for k, v in res["hostile"].items():
            print(f"  {k}: {v['ms']:.1f} ms, {'refused' if v['refused'] else 'ACCEPTED'}")
    print("\n## Targets")
    for t in res["targets"]:
        v = t["value"]
        print(f"  {'PASS' if t['pass'] else 'FAIL'}  {t['target']}: {v:.3f} ({t['limit']})")
    n_fail = sum(not t["pass"] for t in res["targets"])
    print(f"\n{len(res['targets']) - n_fail} passed, {n_fail} failed  ({res['seconds']:.0f} s)")


SECTIONS = ("epoch", "fwdbwd", "quality", "live", "stack", "hostile")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print machine-readable JSON")
    ap.add_argument("--quick", action="store_true", help="fewer rounds (smoke run)")
    ap.add_argument("--only", choices=SECTIONS, action="append",
                    help="run only this section (repeatable)")
    args = ap.parse_args(argv)
    only = args.only or SECTIONS
    t0 = time.perf_counter()
    res = {"env": environment()}
    with threadpool_limits(limits=1):
        if "epoch" in only:
            res["epoch"], res["epoch_notes"] = bench_epochs(args.quick)
        if "fwdbwd" in only:
            res["fwdbwd"] = bench_fwdbwd(args.quick)
        if "quality" in only:
            res["quality"] = bench_quality(args.quick)
        if "live" in only:
            res["live"] = bench_live(args.quick)
        if "stack" in only:
            res["stack"] = bench_stack(args.quick)
        if "hostile" in only:
            res["hostile"] = bench_hostile(args.quick)
    res["targets"] = targets(res)
    res["seconds"] = time.perf_counter() - t0
    if args.json:
        print(json.dumps(res, indent=1, default=float))
    else:
        print_report(res)
    return 1 if any(not t["pass"] for t in res["targets"]) else 0


if __name__ == "__main__":
    sys.exit(main())
