"""Why a training run diverged, and only the changes that would help.

The trainer stops at the first bad step (:meth:`explorer.nn.train.Trainer._diverge`)
and records what happened. :func:`divergence_advice` reads the trainer after that
and says why, from what the run was doing:

``"wrong_gradient"``
    A common mistake replaced the backward pass (``trainer.backward``): the
    gradient is wrong, so the steps do not go downhill. The fix is the
    gradient, not the learning rate: switch the mistake off.
``"first_step"``
    The very first step already had an infinite or exploding loss, before any
    update: the starting weights (or the data) are the problem, so no learning
    rate or clipping can help. Reset, or load other weights.
``"adam_step"``
    Adam divides every step by the gradient's own running size, so each weight
    moves by about the learning rate per step whatever the gradient's scale.
    Clipping the gradient changes almost nothing (scaling all gradients by one
    factor leaves Adam's first step exactly as it was), so it is never
    suggested: a smaller learning rate is, 10x smaller (100x for a batch of
    fewer than 8 samples) and at most 0.01, the top of Adam's usual range.
``"step_size"``
    SGD (with or without momentum): a step is the learning rate times the
    gradient, and it overshot. A smaller learning rate helps: 10x smaller, 10x
    again with momentum 0.9 (its steps add up to 10 times longer) and 10x again
    for a batch of fewer than 8 samples (a noisy gradient). So does gradient
    clipping, which caps every step at ``lr * clip`` (with momentum, their sum at
    10 times that): the suggested threshold keeps that at most 1, and clipping is
    suggested only if it is off or looser than that.

Every suggestion is a dict of :class:`~explorer.nn.train.Trainer` keyword
arguments (``{"lr": 1.0}``, ``{"clip": 0.1}``, ``{"backward": None}``); each on
its own is a change that stops the blow-up (the tests re-run the same seed with
each one). A setting already chosen is never suggested again.
"""
import math
from dataclasses import dataclass

from ..limits import MIN_LR
from ..nn.optim import OPTIMIZERS
from .mistakes import MISTAKES

LR_FACTOR = 10         # a suggested learning rate is this many times smaller
MOST_SUGGESTED_CLIP = 1.0   # a suggested clipping threshold is at most this
SMALL_BATCH = 8        # below this many samples a step's gradient is noisy: 10x smaller again
ADAPTIVE_USUAL = 0.01  # an adaptive optimizer's usual rates are 0.001 to this; never suggest more
_NICE = (1.0, 3.0)     # suggested values are 1 or 3 times a power of ten, like the rate widget's


@dataclass(frozen=True)
class Advice:
    """What caused a divergence and what to change.

    Attributes
    ----------
    cause : str
        ``"wrong_gradient"``, ``"first_step"``, ``"adam_step"`` or ``"step_size"``
        (see the module docstring).
    message : str
        Plain text for a student: what happened, why, and what to try. Replaces
        the trainer's own message (whose hint always blames the learning rate).
    suggestions : tuple of dict
        Trainer keyword arguments, best first; each one alone would help. Empty
        when no setting can (``"first_step"``: reset the network instead).
    """
    cause: str
    message: str
    suggestions: tuple = ()


def _nice_below(x):
    """The largest 1 or 3 times a power of ten that is at most ``x`` (> 0)."""
    e = math.floor(math.log10(x))
    for k in (e, e - 1):
        for m in reversed(_NICE):
            v = float(f"{m}e{k}")                    # exact decimal, e.g. 0.3 not 0.30000000004
            if v <= x * (1 + 1e-12):
                return v
    return float(f"1e{e - 1}")


def _times(x):
    """A ratio for a sentence: "10", "300", "1,000"."""
    return f"{x:,.0f}" if x >= 10 else f"{x:.2g}"


def _smaller_lr(lr, factor=LR_FACTOR):
    """The learning rate to suggest (``factor`` times smaller, on the 1-3 ladder), or
    None if that is below MIN_LR."""
    new = _nice_below(lr / factor)
    return new if new >= MIN_LR else None


def _what_happened(trainer):
    """The first sentences: what went wrong, where, and what the trainer did."""
    d = trainer.diverged
    return (f"Training diverged: {d.what} at step {d.step} (epoch {d.epoch}). It stopped, "
            f"and the weights are back to where they were after epoch {d.epoch - 1}.")


def _mistake_title(backward):
    for m in MISTAKES.values():
        if m.backward is backward:
            return m.title
    return None


def _wrong_gradient(trainer):
    title = _mistake_title(trainer.backward)
    which = (f'the common mistake "{title}" is switched on' if title
             else "a replacement backward pass is switched on")
    return Advice(
        "wrong_gradient",
        f"The cause is the gradient, not the learning rate: {which}, so backprop returns "
        "a wrong gradient and the steps do not go downhill. A smaller learning rate does "
        "not make a wrong gradient right. Switch the mistake off to train with the "
        "correct backward pass.",
        ({"backward": None},))


def _first_step(trainer):
    return Advice(
        "first_step",
        "It happened at the very first step, before any update, so neither the learning "
        "rate nor clipping is the cause: the starting weights (or the data) already give "
        "an infinite or enormous loss. Reset the network to fresh weights, or load other "
        "weights.")


def _adaptive_step(trainer):
    lr, clip, name = trainer.lr, trainer.clip, OPTIMIZERS[trainer.optimizer].label
    why = (f"{name} divides each step by the gradient's own recent size, so every weight "
           f"moves by about the learning rate ({lr:g}) per step whatever the gradient's "
           "scale: far too far for weights of size about 1.")
    if clip:
        why += (f" Gradient clipping (on, at {clip:g}) cannot prevent this: scaling the "
                f"gradient down leaves {name}'s steps the same size.")
    else:
        why += (" Gradient clipping would not help: it scales the gradient, and "
                f"{name}'s steps do not depend on its scale.")
    noisy = trainer.batch_size < SMALL_BATCH
    new = _smaller_lr(lr, LR_FACTOR * (LR_FACTOR if noisy else 1))
    if new is None:
        return Advice("adam_step", why + " The learning rate is already as small as it "
                      "goes: reset the network.")
    new = min(new, ADAPTIVE_USUAL)
    return Advice("adam_step", why + f" Try a learning rate of {new:g} ({_times(lr / new)}x "
                  f"smaller); {name} usually trains well between 0.001 and 0.01.",
                  ({"lr": new},))


def _step_size(trainer):
    lr, clip, l2 = trainer.lr, trainer.clip, trainer.l2
    mu = float(getattr(trainer.opt, "momentum", 0.0) or 0.0)
    longer = 1.0 / (1.0 - mu) if 0 < mu < 1 else 1.0     # momentum 0.9: steps add up to 10x
    noisy = trainer.batch_size < SMALL_BATCH
    why = (f"Each step moves the weights by the learning rate ({lr:g}) times the gradient"
           + (f", and momentum adds up to {longer:g} steps into one" if longer > 1 else "")
           + ": the steps overshoot, and the loss grows instead of falling.")
    if noisy:
        n = trainer.batch_size
        why += (f" With a batch of {n} sample{'s' if n != 1 else ''}, each gradient is as "
                f"noisy as {'that one point' if n == 1 else 'those few points'}, so a safe "
                "step is smaller still.")
    if l2 and lr * l2 >= 2:
        why += (f" L2 adds to it: each step also shrinks the weights by lr x L2 = "
                f"{lr * l2:g} times themselves, which flips their sign and makes them grow.")
    suggestions, tries = [], []
    factor = LR_FACTOR * longer * (LR_FACTOR if noisy else 1)
    new = _smaller_lr(lr, factor)
    if new is not None:
        suggestions.append({"lr": new})
        tries.append(f"a learning rate of {new:g} ({_times(lr / new)}x smaller)")
    cap = min(MOST_SUGGESTED_CLIP, _nice_below(1.0 / (lr * longer)))
    if not clip or clip > cap:
        suggestions.append({"clip": cap})
        tries.append(f"gradient clipping at {cap:g} (every step is then at most "
                     f"{lr * cap:.3g} long)" + (f", tighter than {clip:g}" if clip else ""))
    if not tries:
        return Advice("step_size", why + " The learning rate is as small as it goes and "
                      "clipping is already tight: reset the network.")
    return Advice("step_size", why + " Try " + ", or ".join(tries) + ".", tuple(suggestions))


def divergence_advice(trainer):
    """Why ``trainer`` diverged and what would help.

    Parameters
    ----------
    trainer : explorer.nn.train.Trainer
        A trainer whose run stopped on divergence (``trainer.diverged`` is set).
        Read: ``diverged``, ``optimizer``, ``lr``, ``clip``, ``l2``, ``backward``,
        ``history``, ``blowup``.

    Returns
    -------
    Advice
        ``message`` is the whole text to show (what happened, why, what to try);
        ``suggestions`` are Trainer keyword arguments.

    Raises
    ------
    ValueError
        If the trainer has not diverged.
    """
    if trainer.diverged is None:
        raise ValueError("This run has not diverged; there is nothing to advise.")
    if trainer.diverged.step <= 1:
        advice = _first_step(trainer)
    elif trainer.backward is not None:
        advice = _wrong_gradient(trainer)
    elif OPTIMIZERS[trainer.optimizer].adaptive:
        advice = _adaptive_step(trainer)
    else:
        advice = _step_size(trainer)
    return Advice(advice.cause, _what_happened(trainer) + " " + advice.message,
                  advice.suggestions)
