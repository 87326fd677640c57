"""The learning-rate range test (Smith, 2017, "Cyclical Learning Rates for Training
Neural Networks", section 3.3; popularised by fastai's ``lr_find``).

Train a *copy* of the network for a short run of mini-batch steps while the
learning rate grows geometrically, from ``lr_min`` to ``lr_max``, and record the
loss of each step. At first the rate is too small to do anything; then the loss
falls; past some rate the steps overshoot and the loss shoots up. The run stops
when the smoothed loss exceeds ``stop_factor`` times its lowest value. (Smith's
own run grows the rate linearly; growing it geometrically spends as many steps
on each factor of 10, so 1e-5 to 10 is covered evenly on a log axis.)

The suggested rate is **the rate at the lowest smoothed loss, divided by 10**:
at the minimum the steps are already about to overshoot, a tenth of it is still
fast and safely below. On the four generated datasets with the three optimizers,
two seeds each, 60 epochs at that rate always trained further than at 1e-5 and
never diverged. (The other common rule, the steepest descent of the smoothed
loss, did about as well on these clean curves; the minimum is kept because a
student can find it on the chart by eye, without the slope of a noisy curve.)

The loss of each step is measured right after it on a fixed sample of the
training set (up to 512 points: the batches' own losses jump by 10% from batch
to batch, which hid the dip on a trained network), then smoothed by an
exponential moving average with bias correction, as fastai does;
the first 10 steps are left out of the search (the average is still settling),
and when the smoothed loss never falls 2% below where it
started (a network already trained to a plateau) there is no suggestion, only
the rate where the loss starts to rise (:func:`rise`).
Pure NumPy; the network given is never changed.
"""
import math
from dataclasses import dataclass

import numpy as np

from ..limits import MAX_LR, MIN_LR
from ..nn.optim import make_optimizer


@dataclass
class RangeTest:
    """The result of :func:`lr_range_test`.

    Attributes
    ----------
    lrs : ndarray of shape (n,)
        The learning rate of each step taken.
    losses, smoothed : ndarray of shape (n,)
        The loss after each step (on the fixed sample), and its moving average.
    suggestion : float or None
        The suggested learning rate (None if the loss never clearly fell).
    best : int
        The step with the lowest smoothed loss (after the first few).
    stopped : str
        Why the run ended: "diverged" (the smoothed loss passed ``stop_factor`` x
        its minimum, or was not finite) or "end" (it reached ``lr_max``).
    """
    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestion: float
    best: int
    stopped: str


def lr_schedule(lr_min, lr_max, steps):
    """``steps`` learning rates growing geometrically from ``lr_min`` to ``lr_max``."""
    return np.geomspace(lr_min, lr_max, steps)


def lr_range_test(net, X, y, optimizer="momentum", batch_size=32, lr_min=MIN_LR, lr_max=MAX_LR,
                  steps=200, beta=0.9, stop_factor=4.0, seed=0, l2=0.0, clip=None,
                  eval_size=512):
    """Run the range test on a copy of ``net``.

    Parameters
    ----------
    net : MLP
        Copied; the copy is trained.
    X, y : ndarray
        Training data (what the network's trainer uses).
    optimizer : str
        A name of :data:`explorer.nn.optim.OPTIMIZERS`: the run uses a fresh one
        (its momentum or moments start at 0) and sets its rate at every step.
    batch_size : int
        Samples per step; batches are drawn in a seeded order, epoch after epoch.
    lr_min, lr_max : float
        The first and last rate.
    steps : int
        How many steps (at most) the rate takes to grow from ``lr_min`` to ``lr_max``.
    beta : float
        The moving average's weight on the past (0.9: about the last 10 steps).
    stop_factor : float
        Stop once the smoothed loss is more than this times its minimum.
    l2, clip : float
        As the trainer's weight decay and gradient clipping.
    eval_size : int
        The loss of each step is measured after it, on the same ``eval_size``
        training points (all of them if there are fewer): a curve of the weights
        alone, without the noise of which batch came next.

    Returns
    -------
    RangeTest
    """
    if not (0 < lr_min < lr_max) or steps < 2:
        raise ValueError("need 0 < lr_min < lr_max and at least 2 steps")
    probe = net.copy()
    opt = make_optimizer(optimizer, lr_min)
    X = np.asarray(X, probe.dtype)
    y = np.asarray(y)
    n = len(X)
    bs = int(min(max(1, batch_size), n))
    rng = np.random.default_rng(seed)
    order, at = rng.permutation(n), 0
    pick = np.sort(rng.choice(n, min(n, int(eval_size)), replace=False))
    X_eval, y_eval = X[pick], y[pick]
    lrs, losses, smoothed = [], [], []
    avg, low, stopped = 0.0, math.inf, "end"
    with np.errstate(all="ignore"):
        for t, lr in enumerate(lr_schedule(lr_min, lr_max, steps), start=1):
            if at + bs > n:                      # a new epoch: a new order
                order, at = rng.permutation(n), 0
            idx = order[at:at + bs]
            at += bs
            _, grads = probe.loss_and_grads(X[idx], y[idx])
            if l2:
                for k in grads:
                    if k.startswith("W"):
                        grads[k] += l2 * probe.params[k]
            if clip:
                total = math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))
                if total > clip:
                    for g in grads.values():
                        g *= clip / total
            opt.lr = float(lr)
            opt.step(probe.params, grads)
            loss = probe.loss(X_eval, y_eval)     # where this step at this rate took us
            avg = beta * avg + (1 - beta) * loss
            smooth = avg / (1 - beta ** t)       # bias correction: the average starts at 0
            lrs.append(lr)
            losses.append(loss)
            smoothed.append(smooth)
            if not math.isfinite(smooth) or smooth > stop_factor * low:
                stopped = "diverged"
                break
            low = min(low, smooth)
    lrs, losses, smoothed = np.array(lrs), np.array(losses), np.array(smoothed)
    return RangeTest(lrs, losses, smoothed, *suggest(lrs, smoothed), stopped)


def suggest(lrs, smoothed, skip=10, min_drop=0.02):
    """``(suggestion, best)``: a tenth of the rate at the lowest smoothed loss, and
    that step.

    The first ``skip`` steps are left out (fewer for a short run): the moving
    average is still settling there. The start
    level is the median of the next 10 smoothed losses; if the lowest one is not
    at least ``min_drop`` (2%) below it, the loss never really fell, no rate
    stands out and the suggestion is None (as for a network already trained to a
    plateau, whose loss only rises as the rate grows).
    """
    s = np.where(np.isfinite(smoothed), smoothed, np.inf)
    skip = min(skip, len(s) // 10)
    start = float(np.median(s[skip:skip + 10]))
    best = skip + int(np.argmin(s[skip:]))
    if not s[best] < (1 - min_drop) * start:
        return None, best
    return float(lrs[best] / 10), best


def rise(lrs, smoothed, skip=10, factor=1.1):
    """The first rate after the lowest smoothed loss at which the smoothed loss is
    ``factor`` x that lowest value (the first ``skip`` steps left out, as in
    :func:`suggest`), or None: where the steps start to overshoot."""
    s = np.where(np.isfinite(smoothed), smoothed, np.inf)
    skip = min(skip, len(s) // 10)
    best = skip + int(np.argmin(s[skip:]))
    above = np.flatnonzero(s[best:] > factor * s[best])
    return float(lrs[best + above[0]]) if len(above) else None
