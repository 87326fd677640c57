"""Training: epochs of shuffled mini-batches, with a per-epoch history of what
backprop is doing inside the network.

The trainer is advanced a few epochs at a time (the app trains in chunks between
redraws) and never prints or sleeps: everything it learns goes into
``Trainer.history`` and ``Trainer.snapshots``.
"""
import math
import time

import numpy as np

from .optim import make_optimizer

BLOWUP = 1e3
HISTORY_KEYS = ("epoch", "train_loss", "test_loss", "train_acc", "test_acc",
                "grad_W", "grad_b", "update_ratio", "dead_frac", "dead_outputs", "seconds")


class Trainer:
    """Train an :class:`~explorer.network.MLP` and record its history.

    Parameters
    ----------
    net : MLP
        Trained in place.
    X, y : ndarray of shape (n, D) and (n,) int (classifier) or (n, K) (autoencoder)
        Training data; never modified.
    X_test, y_test : ndarray, optional
        Held-out data, evaluated after every epoch.
    optimizer : {"sgd", "momentum", "adam"}
    lr : float
        Learning rate.
    batch_size : int
        1 to n; clamped to n. Each epoch visits every sample once, in an order
        drawn from the trainer's seeded generator.
    l2 : float
        Weight decay: adds ``(l2/2) sum ||W||^2`` to the loss (biases excluded).
    clip : float or None
        Rescale the gradient when its global norm exceeds ``clip``.
    seed : int
        Seeds the batch order (and input noise); same seed, same run.
    snapshot_every : int
        Keep a copy of the parameters every this many epochs, for playback.
    max_snapshots : int
        When more are kept, every other one is dropped and the interval doubles.
    input_noise : float
        Std of Gaussian noise added to each batch's inputs (denoising
        autoencoder); targets stay clean.
    backward : callable, optional
        ``backward(net, X, y) -> (loss, grads)`` used instead of the network's own
        (the app trains with a common mistake switched on this way).
    """

    def __init__(self, net, X, y, X_test=None, y_test=None, optimizer="adam", lr=0.01,
                 batch_size=32, l2=0.0, clip=None, momentum=0.9, seed=0,
                 snapshot_every=1, max_snapshots=200, input_noise=0.0, backward=None):
        if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
            raise ValueError(f"learning rate must be a positive number; got {lr!r}")
        self.net = net
        self.X = np.asarray(X, dtype=net.dtype)
        self.y = self._targets(y)
        self.X_test = None if X_test is None else np.asarray(X_test, dtype=net.dtype)
        self.y_test = None if y_test is None else self._targets(y_test)
        self.opt = make_optimizer(optimizer, lr, momentum)
        self.optimizer_name, self.lr = optimizer, lr
        self.batch_size = int(min(max(1, batch_size), len(self.X)))
        self.l2 = float(l2)
        self.clip = None if not clip else float(clip)
        self.input_noise = float(input_noise)
        self.backward = backward
        self.rng = np.random.default_rng(seed)
        self.epoch = 0
        self.steps = 0
        self.diverged = None
        self.snapshot_every = max(1, int(snapshot_every))
        self.max_snapshots = max(2, int(max_snapshots))
        self.history = {k: [] for k in HISTORY_KEYS}
        self.snapshots = []
        self._record(self._step_stats_empty(), 0.0)
        # a loss 1000x its starting value is a blow-up: with a stable softmax it can
        # stay finite for a while, but nothing useful comes after it
        self.blowup = BLOWUP * max(self.history["train_loss"][0], 1e-2)

    def _targets(self, y):
        y = np.asarray(y)
        return y.astype(np.int64) if self.net.output == "softmax" else y.astype(self.net.dtype)

    # --- one step ----------------------------------------------------------
    def step(self, Xb, yb, stats):
        """One gradient step on a batch; returns False (and stops) on divergence."""
        net = self.net
        p = net.params
        if self.input_noise:
            Xb = Xb + self.rng.normal(0.0, self.input_noise, Xb.shape).astype(net.dtype)
        loss, grads = (self.backward or type(net).loss_and_grads)(net, Xb, yb)
        L = net.n_layers
        sq = np.empty(2 * L)
        for l in range(1, L + 1):
            gW = grads[f"W{l}"]
            if self.l2:
                gW += self.l2 * p[f"W{l}"]
            gb = grads[f"b{l}"]
            sq[2 * l - 2] = np.vdot(gW, gW)
            sq[2 * l - 1] = np.vdot(gb, gb)
        total = math.sqrt(sq.sum())
        if not (math.isfinite(loss) and math.isfinite(total)) or loss > self.blowup:
            self._diverge(loss)
            return False
        if self.clip and total > self.clip:
            scale = self.clip / total
            for g in grads.values():
                g *= scale
        updates = self.opt.step(p, grads)
        stats["grad"] += np.sqrt(sq)
        for l in range(1, L + 1):
            u, W = updates[f"W{l}"], p[f"W{l}"]
            stats["ratio"][l - 1] += math.sqrt(np.vdot(u, u) / max(np.vdot(W, W), 1e-30))
        stats["n"] += 1
        self.steps += 1
        return True

    def _diverge(self, loss):
        p = self.net.params
        restored = False
        if not all(np.isfinite(v).all() for v in p.values()):
            self.net.params = {k: v.copy() for k, v in self._epoch_start.items()}
            restored = True
        if not math.isfinite(loss):
            what = "the loss became infinite or NaN"
        elif loss > self.blowup:
            what = (f"the loss exploded to {loss:.3g}, over {BLOWUP:g}x its starting value "
                    f"{self.history['train_loss'][0]:.3g}")
        else:
            what = "the gradient became infinite or NaN"
        self.diverged = {
            "epoch": self.epoch + 1, "step": self.steps + 1, "loss": loss,
            "restored_epoch_start": restored,
            "message": (f"Training diverged: {what} at step "
                        f"{self.steps + 1} (epoch {self.epoch + 1}). Training stopped and the "
                        "last finite weights were kept. Hint: the learning rate "
                        f"({self.lr:g}) is probably too large; try 10x smaller, or turn on "
                        "gradient clipping."),
        }

    # --- epochs --------------------------------------------------------------
    def run(self, epochs=1, time_budget=None, should_stop=None):
        """Train up to ``epochs`` epochs; returns how many were completed.

        Stops early after ``time_budget`` seconds (checked between epochs), when
        ``should_stop()`` returns True, or on divergence (see ``diverged``).
        """
        t0 = time.perf_counter()
        done = 0
        while done < epochs and self.diverged is None:
            if not self.train_epoch():
                break
            done += 1
            if time_budget is not None and time.perf_counter() - t0 >= time_budget:
                break
            if should_stop is not None and should_stop():
                break
        return done

    def train_epoch(self):
        """One pass over the training set; returns False if training diverged."""
        if self.diverged is not None:
            return False
        t0 = time.perf_counter()
        self._epoch_start = {k: v.copy() for k, v in self.net.params.items()}
        stats = self._step_stats_empty()
        order = self.rng.permutation(len(self.X))
        bs = self.batch_size
        for start in range(0, len(order), bs):
            idx = order[start:start + bs]
            if not self.step(self.X[idx], self.y[idx], stats):
                return False
        self.epoch += 1
        self._record(stats, time.perf_counter() - t0)
        return True

    def _step_stats_empty(self):
        L = self.net.n_layers
        return {"grad": np.zeros(2 * L), "ratio": np.zeros(L), "n": 0}

    # --- history -------------------------------------------------------------
    def evaluate(self, X, y):
        """Loss, accuracy (classifier, else None), and the forward cache on ``(X, y)``."""
        out, cache = self.net.forward(X)
        loss = self.net.output_delta(cache, y)[0]
        acc = float((out.argmax(axis=1) == y).mean()) if self.net.output == "softmax" else None
        return loss, acc, cache

    def _record(self, stats, seconds):
        h = self.history
        loss, acc, cache = self.evaluate(self.X, self.y)
        n = max(stats["n"], 1)
        grad = stats["grad"] / n
        masks = cache["masks"]
        hidden = masks if self.net.output == "softmax" else masks[:-1]
        h["epoch"].append(self.epoch)
        h["train_loss"].append(loss)
        h["train_acc"].append(acc)
        if self.X_test is not None:
            tl, ta, _ = self.evaluate(self.X_test, self.y_test)
        else:
            tl, ta = None, None
        h["test_loss"].append(tl)
        h["test_acc"].append(ta)
        h["grad_W"].append(grad[0::2].tolist() if stats["n"] else [math.nan] * self.net.n_layers)
        h["grad_b"].append(grad[1::2].tolist() if stats["n"] else [math.nan] * self.net.n_layers)
        h["update_ratio"].append((stats["ratio"] / n).tolist() if stats["n"]
                                 else [math.nan] * self.net.n_layers)
        # a unit is dead when it is off for every training sample
        h["dead_frac"].append([float((~m.any(axis=0)).mean()) for m in hidden])
        h["dead_outputs"].append(None if self.net.output == "softmax"
                                 else int((~masks[-1].any(axis=0)).sum()))
        h["seconds"].append(seconds)
        if self.epoch % self.snapshot_every == 0:
            self._snapshot()

    def _snapshot(self):
        self.snapshots.append((self.epoch, {k: v.copy() for k, v in self.net.params.items()}))
        if len(self.snapshots) > self.max_snapshots:
            # keep epoch 0 and every other one after it; snapshot half as often
            self.snapshots = self.snapshots[::2]
            self.snapshot_every *= 2

    def history_arrays(self):
        """The history as float arrays: scalars (epochs,), per-layer (epochs, layers)."""
        out = {}
        for k, v in self.history.items():
            out[k] = np.array([math.nan if x is None else x for x in v], dtype=float) \
                if v and not isinstance(v[0], list) else np.array(v, dtype=float)
        return out
