"""Many runs of one shape, trained at once: :class:`~explorer.nn.train.Trainer`'s epoch
written over a leading axis of runs.

A class of thirty trains thirty small networks. For a network this small, NumPy's
cost is the number of calls, not the arithmetic: an epoch of the default network
costs about as much for thirty networks stacked along a leading axis as for one.
:func:`train_together` trains the trainers it is given that way, each exactly as
:meth:`Trainer.run` would have trained it alone.

Each run keeps its own everything: data (of the same size), batch order (drawn
from its own generator), learning rate, L1 and L2, clipping, optimizer state,
history, snapshots and divergence. Nothing is reduced across runs, and each number
a run gets comes from its own arrays by the same operations, in the same order,
as in :mod:`explorer.nn.network` and :mod:`explorer.nn.train`:

- ``np.matmul`` over a stack calls, run by run, the BLAS routine ``np.dot`` calls
  for one run, with the same shapes (a matrix product, a row of ones times a
  matrix, a dot product);
- elementwise operations round each element alone, wherever it sits;
- reductions run along the same axis of each run's array, in the same order
  (a sum over a contiguous row is NumPy's pairwise sum of that row).

So a run trained here is, bit for bit, the run trained alone
(``tests/test_stack.py`` trains runs both ways and compares every weight, every
optimizer moment and every history entry, epoch by epoch). A run that blows up
leaves the stack at that step, exactly as it would have stopped alone; the others
never see its numbers.

The single network's code stays the one to read beside the math; this module is
its twin for speed, and the test is what ties the two.
"""
import math
import time

import numpy as np

from .activations import ACTIVATIONS
from .network import MLP
from .optim import Adam


def stack_key(trainer):
    """What runs must share to train in one stack, or None if this one trains alone.

    Alone: a run with its own backward pass (a common mistake switched on), with
    input noise (drawn sample by sample from its generator), with an epoch paused
    mid-way, or stopped by divergence.
    """
    t, net = trainer, trainer.net
    if (type(net) is not MLP or t.backward is not None or t.input_noise
            or t._partial is not None or t.diverged is not None):
        return None
    return (tuple(net.sizes), net.output, net.activation, net.dtype.str, t.opt.kind(),
            t.batch_size, len(t.X), t.y is t.X,
            None if t.X_test is None else (len(t.X_test), t.y_test is t.X_test))


def train_together(trainers, epochs, deadline=None, leaving=None, after_epoch=None,
                   left=None):
    """Train each of ``trainers`` (one :func:`stack_key`) for its number of
    ``epochs``, all at once; returns the epochs each completed.

    Stops early at divergence (that run only; a run already stopped by it trains no
    more, as alone), or when ``time.perf_counter()``
    passes ``deadline``, checked between epochs once each run has had one. Epochs
    are never paused mid-way here: give this cheap epochs and
    :meth:`Trainer.run` slow ones. ``leaving(i)``, asked between epochs: True when
    trainer ``i``'s owner wants it back now (it leaves the stack; the others go on).
    ``after_epoch(i, n)``: called when trainer ``i`` has completed ``n`` epochs here;
    its weights, history and last gradients are those of that epoch (a frame of it
    can be made then), its optimizer's state is not yet. ``left(i)``: called when
    trainer ``i`` has left the stack, its state all given back (nothing here touches
    it again), so its owner need not wait for the others.
    """
    trainers, epochs = list(trainers), [int(e) for e in epochs]
    done = [0] * len(trainers)
    # a run stopped by divergence trains no more, as alone
    todo = [i for i, t in enumerate(trainers) if epochs[i] > 0 and t.diverged is None]
    keys = {stack_key(trainers[i]) for i in todo}
    if None in keys or len(keys) > 1:
        raise ValueError(f"these runs cannot train in one stack: {sorted(map(str, keys))}")
    if not todo:
        return done
    stack = _Stack([trainers[i] for i in todo])
    index = {id(trainers[i]): i for i in todo}

    def leave(finished):
        gone = [index[id(t)] for t, f in zip(stack.runs, finished) if f]
        stack.leave(np.array(finished, dtype=bool))
        if left is not None:
            for i in gone:
                left(i)
    try:
        while stack.runs:
            for t in stack.epoch():
                done[index[id(t)]] += 1
                if after_epoch is not None:
                    after_epoch(index[id(t)], done[index[id(t)]])
            finished = [done[index[id(t)]] >= epochs[index[id(t)]]
                        or (leaving is not None and leaving(index[id(t)])) for t in stack.runs]
            if deadline is not None and time.perf_counter() >= deadline:
                finished = [True] * len(stack.runs)
            leave(finished)
    finally:
        leave([True] * len(stack.runs))
    return done


class _Stack:
    """The runs' parameters, optimizer state and data, stacked along axis 0.

    The trainers' own arrays are brought up to date after every epoch (weights, dead
    units and last gradients, for their history, snapshots and frames) and when a
    run leaves (everything else).
    """

    def __init__(self, runs):
        self.runs = list(runs)
        t0 = runs[0]
        net = t0.net
        self.L, self.names, self.output = net.n_layers, t0._names, net.output
        self.act, self.relu = ACTIVATIONS[net.activation], ACTIVATIONS["relu"]
        self.params = {k: np.stack([t.net.params[k] for t in runs]) for k in self.names}
        self.X = np.stack([t.X for t in runs])
        self.autoencoder = t0.y is t0.X
        self.y = self.X if self.autoencoder else np.stack([t.y for t in runs])
        self.X_test = self.y_test = None
        if t0.X_test is not None:
            self.X_test = np.stack([t.X_test for t in runs])
            self.y_test = (self.X_test if t0.y_test is t0.X_test
                           else np.stack([t.y_test for t in runs]))
        self.n, self.bs = len(t0.X), t0.batch_size
        self.steps_done = np.zeros(len(runs), dtype=np.int64)
        self.start, self.order, self._starts = {}, None, {}
        self.last_grads = [t.last_grads for t in runs]     # until a step here
        dt = net.dtype
        # each run's hyperparameters as a column, of the network's dtype where they
        # scale a gradient: a Python float does the same, cast to that dtype first
        self.lr = np.array([t.lr for t in runs])
        self.l1 = np.array([t.l1 for t in runs], dtype=dt)
        self.l2 = np.array([t.l2 for t in runs], dtype=dt)
        self.clip = [t.clip for t in runs]
        self.blowup = np.array([t.blowup for t in runs])
        # the optimizers' flat state vectors, stacked
        # (an optimizer that never stepped gets its buffers now; one that leaves
        # before its first step here gives them back, as if it never had them)
        self.fresh = [dict(vars(t.opt)) if t.opt._u is None else None for t in runs]
        for t in runs:
            t.opt._layout(t.net.params)
        self.opt = t0.opt
        self.u = np.stack([t.opt._u for t in runs])
        if isinstance(self.opt, Adam):
            self.m = np.stack([t.opt.m for t in runs])
            self.v = np.stack([t.opt.v for t in runs])
            self.t = [t.opt.t for t in runs]
        self.g = np.empty_like(self.u)
        self._views()

    def _views(self):
        """``self.updates``: each parameter's update, a view of the update vectors."""
        R, i = len(self.runs), 0
        self.updates = {}
        for k in self.names:
            shape = self.params[k].shape[1:]
            size = math.prod(shape)
            self.updates[k] = self.u[:, i:i + size].reshape((R,) + shape)
            assert R == 0 or np.shares_memory(self.updates[k], self.u)
            i += size

    # --- the network, over the stack (network.py's forward and backward) --------
    def forward(self, X):
        p, L = self.params, self.L
        H, slopes = [X], []
        h = X
        for l in range(1, L + 1):
            z = np.matmul(h, p[f"W{l}"].transpose(0, 2, 1))
            z += p[f"b{l}"][:, None, :]
            if l == L and self.output == "softmax":
                return _softmax(z), z, H, slopes
            f = self.act if l < L else self.relu
            h = f.f(z)
            slopes.append(f.slope(z, h))
            if l < L:
                H.append(h)
        return h, z, H, slopes

    def output_delta(self, out, z, y, delta=True):
        """Each run's mean loss (float64), the output delta (losses.py; None if not
        ``delta``) and, for softmax, each sample's most probable class."""
        R, n, K = z.shape
        D = j = None
        if self.output == "softmax":
            # losses.py's softmax_cross_entropy: F[rows, j] is a flat take here
            j = out.argmax(axis=2)
            at = self._rows(R, n, K)
            zf = z.reshape(-1)
            loss = ((zf[at + j] - zf[at + y]) - np.log(out.reshape(-1)[at + j])).sum(axis=1)
            if delta:
                D = out.copy()
                D.reshape(-1)[at + y] -= 1.0
                D /= n
        else:
            R_ = out - y
            loss = _dots(R_)
            if delta:
                D = R_ * (2.0 / n)
                D *= z > 0
        return loss.astype(np.float64) / n, D, j

    def _rows(self, R, n, K):
        """Where each sample's row starts in a flat (R, n, K) array."""
        key = (R, n, K)
        if key not in self._starts:
            self._starts[key] = np.arange(R * n).reshape(R, n) * K
        return self._starts[key]

    def backward(self, H, slopes, D):
        p, grads = self.params, {}
        ones = np.ones((1, D.shape[1]), dtype=D.dtype)
        for l in range(self.L, 0, -1):
            grads[f"W{l}"] = np.matmul(D.transpose(0, 2, 1), H[l - 1])
            grads[f"b{l}"] = np.matmul(ones, D)[:, 0]
            if l > 1:
                D = np.matmul(D, p[f"W{l}"])
                D *= slopes[l - 2]
        return grads

    # --- one step and one epoch (train.py's step and train_epoch) ----------------
    def step(self, Xb, yb, stats):
        """One step of every run; the runs that blew up leave the stack."""
        p, names = self.params, self.names
        out, z, H, slopes = self.forward(Xb)
        loss, D, _ = self.output_delta(out, z, yb)
        grads = self.backward(H, slopes, D)
        for coef, term in ((self.l1, np.sign), (self.l2, lambda W: W)):
            on = coef != 0
            if on.any():
                for k in names[0::2]:
                    if on.all():
                        grads[k] += coef[:, None, None] * term(p[k])
                    else:
                        grads[k][on] += coef[on, None, None] * term(p[k][on])
        sq = np.stack([_dots(grads[k]) for k in names], axis=1).astype(np.float64)
        total = np.array([math.sqrt(math.fsum(row)) for row in sq.tolist()])
        for (losses, norms), l, s in zip(stats["trails"], loss.tolist(), total.tolist()):
            losses.append(l)                   # this epoch's steps, kept to show a blow-up
            norms.append(s)
        bad = ~(np.isfinite(loss) & np.isfinite(total)) | (loss > self.blowup)
        if bad.any():
            for r in np.flatnonzero(bad):      # they stop as alone: train.py's _diverge
                t = self.runs[r]
                self._give_back(r)
                t._epoch_start = {k: v[r].copy() for k, v in self.start.items()}
                losses, norms = stats["trails"][r]
                t._diverge(losses[-1], norms[-1], {"losses": losses, "norms": norms})
            keep = ~bad
            self._keep(keep, stats)
            grads = {k: g[keep] for k, g in grads.items()}
            sq, total, p = sq[keep], total[keep], self.params
            if not self.runs:
                return
        scale = np.array([c / s if c and s > c else 1.0 for c, s in zip(self.clip, total)])
        if (scale != 1.0).any():
            cut = scale != 1.0
            s = scale.astype(p["W1"].dtype)
            for g in grads.values():
                g[cut] *= s[cut].reshape((-1,) + (1,) * (g.ndim - 1))
        self.last_grads = grads
        self._optimizer_step(grads)
        for k, u in self.updates.items():
            p[k] += u
        stats["grad"] += np.sqrt(sq)
        for i, k in enumerate(names[0::2]):
            stats["ratio"][:, i] += np.sqrt(_dots(self.updates[k]).astype(np.float64)
                                            / np.maximum(_dots(p[k]).astype(np.float64), 1e-30))
        stats["n"] += 1
        self.steps_done += 1

    def _optimizer_step(self, grads):
        """optim.py's step, each run with its own learning rate (and Adam's count)."""
        R = len(self.runs)
        g = np.concatenate([grads[k].reshape(R, -1) for k in self.names], axis=1, out=self.g)
        u, dt = self.u, self.u.dtype
        if isinstance(self.opt, Adam):
            b1, b2 = self.opt.beta1, self.opt.beta2
            self.t = [t + 1 for t in self.t]
            lr_t = [lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) for lr, t in zip(self.lr, self.t)]
            m, v = self.m, self.v
            m *= b1
            m += (1 - b1) * g
            g *= g
            v *= b2
            v += (1 - b2) * g
            np.sqrt(v, out=u)
            u += self.opt.eps
            np.divide(m, u, out=u)
            u *= np.array([-x for x in lr_t]).astype(dt)[:, None]
        else:
            g *= (-self.lr).astype(dt)[:, None]
            if self.opt.momentum:
                u *= self.opt.momentum
                u += g
            else:
                u[:] = g

    def epoch(self):
        """One epoch of every run; returns the runs that completed it."""
        t0 = time.perf_counter()
        R, L = len(self.runs), self.L
        self.start = {k: v.copy() for k, v in self.params.items()}   # for a blow-up
        full = self.bs >= self.n
        self.order = None if full else np.stack([t.rng.permutation(self.n) for t in self.runs])
        stats = {"grad": np.zeros((R, 2 * L)), "ratio": np.zeros((R, L)), "n": 0,
                 "trails": [([], []) for _ in range(R)]}
        for start in range(0, self.n, self.bs):
            if full:
                Xb, yb = self.X, self.y
            else:
                rows = np.arange(len(self.runs))[:, None]
                idx = self.order[:, start:start + self.bs]
                Xb = self.X[rows, idx]
                yb = Xb if self.autoencoder else self.y[rows, idx]
            self.step(Xb, yb, stats)
            if not self.runs:
                return []
        self._record(stats, (time.perf_counter() - t0) / R)
        return list(self.runs)

    def _record(self, stats, seconds):
        """train.py's _record for every run: weights back into each trainer, then the
        history entry through the trainer's own ``_append``."""
        out, z, H, slopes = self.forward(self.X)
        loss, _, j = self.output_delta(out, z, self.y, delta=False)
        acc = self._accuracy(j, self.y)
        tl = ta = [None] * len(self.runs)
        if self.X_test is not None:
            out_t, z_t, _, _ = self.forward(self.X_test)
            tl, _, j = self.output_delta(out_t, z_t, self.y_test, delta=False)
            tl, ta = tl.tolist(), self._accuracy(j, self.y_test)
        ones = np.ones((1, self.n), dtype=self.X.dtype)
        counts = np.stack([np.count_nonzero(np.matmul(ones, a)[:, 0] == 0, axis=1)
                           for a in H[1:]], axis=1).tolist()
        dead = [~s.any(axis=1) for s in slopes[:self.L - 1]]        # (R, H_l) each
        dead_out = ([None] * len(self.runs) if self.output == "softmax"
                    else np.count_nonzero(np.matmul(ones, out)[:, 0] == 0, axis=1).tolist())
        grad, ratio = stats["grad"].tolist(), stats["ratio"].tolist()
        for r, (t, l) in enumerate(zip(self.runs, loss.tolist())):
            self._weights_back(r)
            t.epoch += 1
            t._last_pass = None
            t.dead = [d[r].copy() for d in dead]      # its own: no view of the stack
            t.last_grads = self._grads_of(r)
            t._append(l, acc[r], tl[r], ta[r],
                      {"grad": grad[r], "ratio": ratio[r], "n": stats["n"]},
                      counts[r], dead_out[r], seconds)

    def _accuracy(self, j, y):
        """Each run's share of samples whose most probable class ``j`` is right."""
        if j is None:
            return [None] * len(self.runs)
        return [c / y.shape[1] for c in np.count_nonzero(j == y, axis=1).tolist()]

    # --- leaving -------------------------------------------------------------------
    def leave(self, leaving):
        """The runs marked in ``leaving`` (a bool per run) leave the stack."""
        for r in np.flatnonzero(leaving):
            self._give_back(r)
        self._keep(~leaving)

    def _give_back(self, r):
        """Run ``r``'s state back into its trainer: weights, optimizer, step count and
        last gradients (its history is written every epoch)."""
        t = self.runs[r]
        self._weights_back(r)
        if self.fresh[r] is not None and not self.steps_done[r]:
            vars(t.opt).clear()
            vars(t.opt).update(self.fresh[r])
            return
        np.copyto(t.opt._u, self.u[r])
        if isinstance(self.opt, Adam):
            np.copyto(t.opt.m, self.m[r])
            np.copyto(t.opt.v, self.v[r])
            t.opt.t = self.t[r]
        t.steps += int(self.steps_done[r])
        t.last_grads = self._grads_of(r)

    def _weights_back(self, r):
        """Run ``r``'s weights into its trainer's own arrays (in place, as a step would)."""
        params = self.runs[r].net.params
        for k, W in self.params.items():
            np.copyto(params[k], W[r])

    def _grads_of(self, r):
        """Run ``r``'s last gradients, its own copies (a step here made them stacked)."""
        g = self.last_grads
        return g[r] if isinstance(g, list) else {k: v[r].copy() for k, v in g.items()}

    def _keep(self, keep, stats=None):
        """Only the runs marked in ``keep`` stay: every stacked array cut to them."""
        if keep.all():
            return
        idx = np.flatnonzero(keep)
        pick = lambda xs: [xs[i] for i in idx]       # noqa: E731
        self.runs, self.clip, self.fresh = pick(self.runs), pick(self.clip), pick(self.fresh)
        self.last_grads = _cut(self.last_grads, idx)
        self.X = self.X[idx]
        self.y = self.X if self.autoencoder else self.y[idx]
        if self.X_test is not None:
            same = self.y_test is self.X_test
            self.X_test = self.X_test[idx]
            self.y_test = self.X_test if same else self.y_test[idx]
        self.params, self.start = _cut(self.params, idx), _cut(self.start, idx)
        self.order = None if self.order is None else self.order[idx]
        self.u, self.g, self.steps_done = self.u[idx], self.g[idx], self.steps_done[idx]
        if isinstance(self.opt, Adam):
            self.m, self.v, self.t = self.m[idx], self.v[idx], pick(self.t)
        self.lr, self.l1, self.l2, self.blowup = (a[idx] for a in (self.lr, self.l1, self.l2,
                                                                   self.blowup))
        if stats is not None:
            stats["grad"], stats["ratio"] = stats["grad"][idx], stats["ratio"][idx]
            stats["trails"] = pick(stats["trails"])
        self._views()


def _cut(arrays, idx):
    """A dict of stacked arrays cut to the runs ``idx``; a list (one entry per run) too."""
    if isinstance(arrays, list):
        return [arrays[i] for i in idx]
    return {k: v[idx] for k, v in arrays.items()}


def _dots(A):
    """Each run's ``vdot(A[r], A[r])``: a row times a column per run, which NumPy hands
    to the same BLAS dot product ``np.vdot`` calls for one array (in A's dtype)."""
    flat = A.reshape(len(A), 1, -1)
    return np.matmul(flat, flat.transpose(0, 2, 1))[:, 0, 0]


def _softmax(F):
    """losses.py's softmax, each run's (n, K) logits at once."""
    S = np.ascontiguousarray(F.transpose(0, 2, 1))     # (R, K, n): a column per sample
    E = np.exp(S - S.max(axis=1, keepdims=True))
    E /= E.sum(axis=1, keepdims=True)
    return np.ascontiguousarray(E.transpose(0, 2, 1))

