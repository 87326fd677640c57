"""Training: epochs of shuffled mini-batches, with a per-epoch history of what
backprop is doing inside the network.

The trainer is advanced a few epochs at a time (the app trains in chunks between
redraws) and never prints or sleeps: everything it learns goes into
``Trainer.history`` and ``Trainer.snapshots``.
"""
import copy
import math
import time
from dataclasses import dataclass

import numpy as np

from .network import MLP, col_sum
from .optim import make_optimizer


@dataclass(frozen=True)
class Divergence:
    """Where and why a run blew up (see :meth:`Trainer._diverge`).

    Attributes
    ----------
    epoch, step : int
        The epoch and step (both counted from 1) whose loss or gradient was bad; the
        weights are back to the end of epoch ``epoch - 1``.
    loss, grad_norm : float
        That step's loss and gradient norm.
    cause : str
        ``"loss_nan"``, ``"loss_exploded"`` or ``"grad_nan"``.
    what : str
        The cause in words ("the loss became infinite or NaN").
    trail : dict of list
        The steps of the epoch that blew up, for the charts: ``"epoch"`` (fractional),
        ``"loss"`` and ``"grad_norm"``.
    message : str
        What happened, for the page.
    """
    epoch: int
    step: int
    loss: float
    grad_norm: float
    cause: str
    what: str
    trail: dict
    message: str

BLOWUP = 1e3
MAX_HISTORY = 2048     # history entries kept; beyond, the older epochs are thinned
HISTORY_KEYS = ("epoch", "train_loss", "test_loss", "train_acc", "test_acc",
                "grad_W", "grad_b", "update_ratio", "dead_frac", "dead_outputs", "seconds")


class Trainer:
    """Train an :class:`~explorer.nn.network.MLP` and record its history.

    Parameters
    ----------
    net : MLP
        Trained in place.
    X, y : ndarray of shape (n, D) and (n,) int (classifier) or (n, K) (autoencoder)
        Training data; never modified.
    X_test, y_test : ndarray, optional
        Held-out data, evaluated after every epoch.
    optimizer : str
        A name of :data:`explorer.nn.optim.OPTIMIZERS` ("sgd", "momentum", "adam").
    lr : float
        Learning rate.
    batch_size : int
        1 to n; clamped to n. Each epoch visits every sample once, in an order
        drawn from the trainer's seeded generator.
    l1 : float
        Adds ``l1 sum |W|`` to the loss (biases excluded): its gradient
        ``l1 sign(W)`` pushes every weight towards 0 by the same amount, so small
        weights reach 0 and stay there (sparse weights).
    l2 : float
        Weight decay: adds ``(l2/2) sum ||W||^2`` to the loss (biases excluded):
        its gradient ``l2 W`` shrinks big weights most.
    clip : float or None
        Rescale the gradient when its global norm exceeds ``clip``.
    seed : int
        Seeds the batch order (and input noise); same seed, same run.
    snapshot_every : int
        Keep a copy of the parameters every this many epochs, for playback.
    max_snapshots : int
        When more are kept, every other one is dropped and the interval doubles.
    max_history : int
        When the history holds more epochs, it keeps epoch 0, the last one and those
        that are multiples of a doubled stride (``history_stride``): a run of 100,000
        epochs holds a few thousand entries, not 100,000 (86 MB), and its charts stay
        small.
    input_noise : float
        Std of Gaussian noise added to each batch's inputs (denoising
        autoencoder); targets stay clean.
    backward : callable, optional
        ``backward(net, X, y) -> (loss, grads)`` used instead of the network's own
        (the app trains with a common mistake switched on this way).

    Attributes
    ----------
    history : dict of list
        One entry per epoch (epoch 0 is the untrained network), keys ``HISTORY_KEYS``;
        after ``max_history`` entries the older epochs are thinned (``history["epoch"]``
        says which are kept; the last epoch always is).
    snapshots : list of (epoch, params)
        Copies of the parameters for playback.
    last_grads : dict or None
        The gradients the last step used (with L1/L2, after clipping).
    dead : list of ndarray of bool
        Each hidden layer's units that passed no gradient back for any training
        sample at the last recorded epoch (slope ``f'(z)`` 0 for all; for ReLU, off for
        all), as :func:`explorer.lens.diagnostics.dead_units` finds them.
    diverged : Divergence or None
        Why and where training stopped, if it blew up.
    """

    def __init__(self, net, X, y, X_test=None, y_test=None, optimizer="adam", lr=0.01,
                 batch_size=32, l1=0.0, l2=0.0, clip=None, seed=0,
                 snapshot_every=1, max_snapshots=200, input_noise=0.0, backward=None,
                 max_history=MAX_HISTORY):
        self.net = net
        self.X = np.asarray(X, dtype=net.dtype)
        # an autoencoder's targets are its inputs: share the array (and each batch)
        self.y = self.X if y is X else self._targets(y)
        self.X_test = None if X_test is None else np.asarray(X_test, dtype=net.dtype)
        self.y_test = None if y_test is None else (
            self.X_test if y_test is X_test else self._targets(y_test))
        self.optimizer, self.opt, self.clip = None, None, None
        self.set_hyperparameters(optimizer=optimizer, lr=lr, batch_size=batch_size, l1=l1,
                                 l2=l2, clip=clip, input_noise=input_noise)
        self.backward = backward
        self.rng = np.random.default_rng(seed)
        self.epoch = 0
        self.steps = 0
        self.diverged = None
        self.snapshot_every = max(1, int(snapshot_every))
        self.max_snapshots = max(2, int(max_snapshots))
        self.max_history = max(4, int(max_history))
        self.history_stride = 1
        self._names = [f"{w}{l}" for l in range(1, net.n_layers + 1) for w in "Wb"]
        self._last_pass = None
        self._partial = None        # an epoch under way, paused at a deadline (see train_epoch)
        self._epoch_start = None    # the weights the epoch under way started from
        self.last_grads = None
        self.history = {k: [] for k in HISTORY_KEYS}
        self.snapshots = []
        self._record(self._step_stats_empty(), 0.0)
        # a loss 1000x its starting value is a blow-up: with a stable softmax it can
        # stay finite for a while, but nothing useful comes after it
        self.blowup = BLOWUP * max(self.history["train_loss"][0], 1e-2)

    @property
    def lr(self):
        """The learning rate: the optimizer's own (one number, kept in one place)."""
        return self.opt.lr

    def set_hyperparameters(self, optimizer=None, lr=None, batch_size=None, l1=None, l2=None,
                            clip=None, input_noise=None):
        """Change how the next epochs step, keeping the weights (as TF Playground does
        mid-run). Arguments left as None keep their value.

        A new optimizer starts with fresh state; the same optimizer keeps its
        momentum or moments and only takes the new learning rate. ``clip`` of 0
        or None turns clipping off.
        """
        if lr is not None and not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
            raise ValueError(f"learning rate must be a positive number; got {lr!r}")
        if optimizer is not None and optimizer != self.optimizer:
            self.opt = make_optimizer(optimizer, self.opt.lr if lr is None else lr)
            self.optimizer = optimizer
        if lr is not None:
            self.opt.lr = float(lr)
        if batch_size is not None:
            self.batch_size = int(min(max(1, batch_size), len(self.X)))
        if l1 is not None:
            self.l1 = float(l1)
        if l2 is not None:
            self.l2 = float(l2)
        if clip is not None:
            self.clip = float(clip) or None
        if input_noise is not None:
            self.input_noise = float(input_noise)
        self._drop_partial()                  # and with the new settings

    def _drop_partial(self):
        """Forget an epoch paused mid-way: it starts again at the next call, with the
        same order of samples (the generator goes back to before it was drawn)."""
        p = getattr(self, "_partial", None)
        if p is not None:
            self.rng.bit_generator.state = p["rng"]
        self._partial = None

    def set_data(self, X, y):
        """Train on new data from the next step on, keeping the weights, the optimizer
        and the history (a person added or removed a point)."""
        self.X = np.asarray(X, dtype=self.net.dtype)
        self.y = self._targets(y)
        self.batch_size = min(self.batch_size, len(self.X))
        self._last_pass = None
        self._drop_partial()                  # an epoch under way starts again on the new data

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
        loss, grads = self._loss_and_grads(Xb, yb)
        names = self._names                    # ["W1", "b1", "W2", "b2", ...]
        if self.l1:
            for k in names[0::2]:
                grads[k] += self.l1 * np.sign(p[k])       # d/dW of l1 |W|
        if self.l2:
            for k in names[0::2]:
                grads[k] += self.l2 * p[k]                 # d/dW of (l2/2) ||W||^2
        sq = [float(np.vdot(grads[k], grads[k])) for k in names]
        total = math.sqrt(math.fsum(sq))     # summed exactly: the same on every Python
        stats["losses"].append(loss)           # this epoch's steps, kept to show a blow-up
        stats["norms"].append(total)
        if not (math.isfinite(loss) and math.isfinite(total)) or loss > self.blowup:
            self._diverge(loss, total, stats)
            return False
        if self.clip and total > self.clip:
            scale = self.clip / total
            for g in grads.values():
                g *= scale
        self.last_grads = grads                # what this step used: the network view draws it
        updates = self.opt.step(p, grads)
        grad, ratio = stats["grad"], stats["ratio"]
        for i, s in enumerate(sq):
            grad[i] += math.sqrt(s)
        for i, k in enumerate(names[0::2]):
            u, W = updates[k], p[k]
            ratio[i] += math.sqrt(float(np.vdot(u, u)) / max(float(np.vdot(W, W)), 1e-30))
        stats["n"] += 1
        self.steps += 1
        return True

    def _loss_and_grads(self, Xb, yb):
        """Loss and gradients on a batch.

        A full batch right after a history record is the very batch that record ran
        forward, with the same weights: the record's forward pass and loss are reused,
        so a full-batch epoch runs one forward pass instead of two.
        """
        net, last, self._last_pass = self.net, self._last_pass, None
        if (last is not None and self.backward is None and yb is self.y
                and last["cache"]["H"][0] is Xb and self._same_weights(last["params"])):
            return last["loss"], net.backward(last["cache"], last["D"])[0]
        return (self.backward or type(net).loss_and_grads)(net, Xb, yb)

    def _same_weights(self, params):
        p = self.net.params
        return (type(self.net).loss_and_grads is MLP.loss_and_grads and p.keys() == params.keys()
                and all(np.array_equal(p[k], v) for k, v in params.items()))

    def _diverge(self, loss, grad_norm, stats):
        """Stop: put the weights back to the end of the last completed epoch.

        Those are the last weights whose loss was computed and finite, and the
        ones the history's last entry describes, so charts and network agree.
        ``diverged.trail`` keeps the loss and gradient norm of every step of the
        epoch that blew up (at fractional epochs), so the charts can show it.
        """
        self.net.params = {k: v.copy() for k, v in self._epoch_start.items()}
        if not math.isfinite(loss):
            cause, what = "loss_nan", "the loss became infinite or NaN"
        elif loss > self.blowup:
            cause, what = "loss_exploded", (
                f"the loss exploded to {loss:.3g}, over {BLOWUP:g}x its starting value "
                f"{self.history['train_loss'][0]:.3g}")
        else:
            cause, what = "grad_nan", "the gradient became infinite or NaN"
        per_epoch = math.ceil(len(self.X) / self.batch_size)
        self.diverged = Divergence(
            self.epoch + 1, self.steps + 1, loss, grad_norm, cause, what,
            # the steps of the epoch that blew up, at fractional epochs, for the charts
            {"epoch": [self.epoch + (i + 1) / per_epoch for i in range(len(stats["losses"]))],
             "loss": list(stats["losses"]), "grad_norm": list(stats["norms"])},
            f"Training diverged: {what} at step {self.steps + 1} (epoch {self.epoch + 1}). "
            f"Training stopped, and the weights are back to where they were after epoch "
            f"{self.epoch}, the last with a finite loss.")

    def run(self, epochs=1, time_budget=None, should_stop=None):
        """Train up to ``epochs`` epochs; returns how many were completed.

        Stops early after ``time_budget`` seconds, checked between steps: an epoch
        still under way then is paused where it is and goes on at the next call (so
        a slow epoch, batches of 1 on 2,000 points, never holds the server past its
        slice); when ``should_stop()`` returns True (between epochs); or on
        divergence (see ``diverged``).
        """
        t0 = time.perf_counter()
        deadline = None if time_budget is None else t0 + time_budget
        done = 0
        while done < epochs and self.diverged is None:
            if not self.train_epoch(deadline):        # diverged, or paused mid-epoch
                break
            done += 1
            if deadline is not None and time.perf_counter() >= deadline:
                break
            if should_stop is not None and should_stop():
                break
        return done

    def train_epoch(self, deadline=None):
        """One pass over the training set, or the rest of one under way.

        Returns True when the epoch is complete, False if training diverged, and None
        if the clock (``time.perf_counter``) passed ``deadline`` first. A paused epoch
        keeps its own weights, optimizer, step count and last gradients aside, and the
        trainer shows the end of the last complete epoch meanwhile (what the history
        and every picture describe); the next call goes on from where it stopped, with
        the same order of samples, as if it had never stopped. A change of data or
        settings starts it again (:meth:`_drop_partial`).
        """
        if self.diverged is not None:
            return False
        t0 = time.perf_counter()
        X, y, n, bs = self.X, self.y, len(self.X), self.batch_size
        p = self._partial
        if p is None:
            self._epoch_start = {k: v.copy() for k, v in self.net.params.items()}
            rng = self.rng.bit_generator.state
            # a full batch needs no order (its gradient is a sum over all the samples),
            # unless noise is drawn for it sample by sample
            p = {"order": None if bs >= n and not self.input_noise else self.rng.permutation(n),
                 "next": 0, "stats": self._step_stats_empty(), "seconds": 0.0, "rng": rng,
                 # what the trainer shows if the epoch is paused: only a deadline can
                 # pause it, and only one it may not meet (the optimizer's copy costs)
                 "shown": None if not self._may_overrun(deadline, t0) else (
                     copy.deepcopy(self.opt), self.steps, self.last_grads)}
        elif "live" in p:                         # resume: the epoch's own state back in
            self.net.params, self.opt, self.steps, self.last_grads = p.pop("live")
        self._partial = p
        order, stats = p["order"], p["stats"]
        while p["next"] < n:
            start = p["next"]
            if order is None:
                Xb, yb = X, y
            else:
                idx = order[start:start + bs]
                Xb = X[idx]
                yb = Xb if y is X else y[idx]
            if not self.step(Xb, yb, stats):
                self._partial = None
                return False
            p["next"] = n if order is None else start + bs
            if (p["next"] < n and deadline is not None and p["shown"] is not None
                    and time.perf_counter() >= deadline):
                p["seconds"] += time.perf_counter() - t0
                p["live"] = (self.net.params, self.opt, self.steps, self.last_grads)
                opt, self.steps, self.last_grads = p["shown"]
                self.opt = copy.deepcopy(opt)
                self.net.params = {k: v.copy() for k, v in self._epoch_start.items()}
                return None
        self._partial = None
        self.epoch += 1
        self._record(stats, p["seconds"] + time.perf_counter() - t0)
        return True

    def _may_overrun(self, deadline, now):
        """Whether an epoch starting ``now`` may pass ``deadline``: there is one, and
        less than four of the last epoch's time is left before it (the first epoch has
        no last one)."""
        if deadline is None:
            return False
        last = self.history["seconds"][-1] if self.epoch else math.inf
        return deadline - now < 4.0 * last

    def _step_stats_empty(self):
        L = self.net.n_layers
        return {"grad": [0.0] * (2 * L), "ratio": [0.0] * L, "n": 0, "losses": [], "norms": []}

    # --- history -------------------------------------------------------------
    def evaluate(self, X, y):
        """Loss, accuracy (classifier, else None), and the forward cache on ``(X, y)``."""
        loss, acc, cache, _ = self._evaluate(X, y)
        return loss, acc, cache

    def _evaluate(self, X, y):
        out, cache = self.net.forward(X)
        loss, D = self.net.output_delta(cache, y)
        acc = (np.count_nonzero(out.argmax(axis=1) == y) / len(y)
               if self.net.output == "softmax" else None)
        return loss, acc, cache, D

    def _record(self, stats, seconds):
        loss, acc, cache, D = self._evaluate(self.X, self.y)
        # a full-batch step next would run this very forward pass again: keep it
        # (only then: the cache of the whole training set is not small)
        full_batch = self.batch_size >= len(self.X) and not self.input_noise
        self._last_pass = None if not full_batch or self.backward is not None else {
            "cache": cache, "loss": loss, "D": D,
            "params": {k: v.copy() for k, v in self.net.params.items()}}
        if self.X_test is not None:
            tl, ta, _ = self.evaluate(self.X_test, self.y_test)
        else:
            tl, ta = None, None
        # a unit is dead when it is off for every training sample: its activation
        # (never negative) sums to 0 over the training set
        dead = [np.count_nonzero(col_sum(a) == 0) for a in cache["H"][1:]]
        # the units that pass no gradient back for any sample (the network view's)
        self.dead = [~s.any(axis=0) for s in cache["slopes"][:self.net.n_layers - 1]]
        dead_outputs = (None if self.net.output == "softmax"
                        else np.count_nonzero(col_sum(cache["out"]) == 0))
        self._append(loss, acc, tl, ta, stats, dead, dead_outputs, seconds)

    def _append(self, loss, acc, test_loss, test_acc, stats, dead, dead_outputs, seconds):
        """Add the entry of the epoch just ended to the history (and a snapshot, when
        one is due). ``dead`` counts each hidden layer's dead units. The stacked trainer
        (:mod:`explorer.nn.stack`) records its runs through here too."""
        h = self.history
        n = max(stats["n"], 1)
        grad = [g / n for g in stats["grad"]]
        h["epoch"].append(self.epoch)
        h["train_loss"].append(loss)
        h["train_acc"].append(acc)
        h["test_loss"].append(test_loss)
        h["test_acc"].append(test_acc)
        h["grad_W"].append(grad[0::2] if stats["n"] else [math.nan] * self.net.n_layers)
        h["grad_b"].append(grad[1::2] if stats["n"] else [math.nan] * self.net.n_layers)
        h["update_ratio"].append([r / n for r in stats["ratio"]] if stats["n"]
                                 else [math.nan] * self.net.n_layers)
        h["dead_frac"].append([d / w for d, w in zip(dead, self.net.sizes[1:-1])])
        h["dead_outputs"].append(dead_outputs)
        h["seconds"].append(seconds)
        if len(h["epoch"]) > self.max_history:
            self._thin_history()
        if self.epoch % self.snapshot_every == 0:
            self._snapshot()

    def _thin_history(self):
        """Keep epoch 0, the last epoch and the multiples of the stride, doubled until at
        most half of ``max_history`` are left (new lists: a checkpoint's stay whole)."""
        epochs, last = self.history["epoch"], len(self.history["epoch"]) - 1
        while True:
            keep = [i for i, e in enumerate(epochs) if e % self.history_stride == 0 or i == last]
            if len(keep) <= self.max_history // 2 + 1:
                break
            self.history_stride *= 2
        self.history = {k: [v[i] for i in keep] for k, v in self.history.items()}

    def _snapshot(self):
        self.snapshots.append((self.epoch, {k: v.copy() for k, v in self.net.params.items()}))
        if len(self.snapshots) > self.max_snapshots:
            # keep epoch 0 and every other one after it; snapshot half as often
            self.snapshots = self.snapshots[::2]
            self.snapshot_every *= 2

    # --- going back --------------------------------------------------------------
    def checkpoint(self):
        """Everything :meth:`run` changes, copied: :meth:`restore` puts the trainer
        back exactly (weights, optimizer moments, batch order, history, snapshots),
        so training on from there is the run that never left it.

        Cheap for the app's networks (a copy of the weights and the optimizer's
        vectors): the live loop takes one before each chunk of epochs, to undo a
        chunk whose picture never reached the screen.
        """
        return {
            "params": {k: v.copy() for k, v in self.net.params.items()},
            "opt": copy.deepcopy(self.opt),
            "rng": self.rng.bit_generator.state,
            "scalars": (self.epoch, self.steps, self.diverged, self.last_grads, self.dead,
                        self._last_pass, self.snapshot_every, self.history_stride),
            # an epoch paused mid-way: where it was, and the weights it started from
            "partial": copy.deepcopy(self._partial),
            "epoch_start": self._epoch_start,
            # the lists and their lengths: appends are undone by cutting them back, and
            # a thinning since then made new lists, leaving these whole
            "history": {k: (v, len(v)) for k, v in self.history.items()},
            "snapshots": (self.snapshots, len(self.snapshots)),   # cut back as the history
        }

    def restore(self, cp):
        """Go back to :meth:`checkpoint` ``cp`` (of this trainer, taken since its data
        and hyperparameters last changed)."""
        self.net.params = {k: v.copy() for k, v in cp["params"].items()}
        self.opt = copy.deepcopy(cp["opt"])
        self.rng.bit_generator.state = cp["rng"]
        (self.epoch, self.steps, self.diverged, self.last_grads, self.dead, self._last_pass,
         self.snapshot_every, self.history_stride) = cp["scalars"]
        self._partial = copy.deepcopy(cp["partial"])
        self._epoch_start = cp["epoch_start"]
        for k, (v, n) in cp["history"].items():
            del v[n:]
            self.history[k] = v
        self.snapshots, n = cp["snapshots"]
        del self.snapshots[n:]

    def history_arrays(self):
        """The history as float arrays: scalars (epochs,), per-layer (epochs, layers)."""
        out = {}
        for k, v in self.history.items():
            out[k] = np.array([math.nan if x is None else x for x in v], dtype=float) \
                if v and not isinstance(v[0], list) else np.array(v, dtype=float)
        return out
