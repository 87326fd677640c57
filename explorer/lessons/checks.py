"""Each lesson's claim made executable.

A check trains the lesson's own settings with the core, exactly as the page would, with
the seed a student may pick (``seed``; None keeps the link's own), and measures the
effect the lesson promises. It returns a :class:`Claim`: whether the effect showed, a
sentence with the numbers, and the numbers themselves (``figures``), which
``python -m explorer.lessons`` gathers over many seeds into the spread the card shows.

A claim is about the phenomenon, not one run: it must hold for (nearly) every seed,
and so for every machine, since another BLAS kernel's rounding is just another run.
"""
from dataclasses import dataclass, field

import numpy as np

from .. import labs
from ..data import load_digits_data
from ..lens.diagnostics import activation_regions
from ..lens.mistakes import MISTAKES
from ..lens.slips import compare_with_correct


@dataclass(frozen=True)
class Claim:
    """What a lesson's check found.

    Attributes
    ----------
    holds : bool
        Whether the promised effect showed.
    evidence : str
        The numbers, as a sentence.
    figures : dict of str to float
        The numbers by name (those the lesson's ``spread`` sentence names).
    """
    holds: bool
    evidence: str
    figures: dict = field(default_factory=dict)


def _values(lesson, seed, **changes):
    if seed is not None:
        changes["seed"] = seed
    return lesson.values(**changes)


def _classifier(lesson, seed, epochs, **changes):
    """The lesson's classifier lab (with ``changes``), trained ``epochs`` epochs."""
    values = _values(lesson, seed, **changes)
    lab = labs.ClassifierLab(labs.dataset_for(values), values)
    lab.trainer.run(epochs)
    return lab


def _history(lesson, seed, epochs, **changes):
    return _classifier(lesson, seed, epochs, **changes).trainer.history


def _first_epoch(series, at_least):
    """The first epoch whose value reaches ``at_least`` (None if none does)."""
    hits = np.flatnonzero(np.asarray(series, float) >= at_least)
    return int(hits[0]) if len(hits) else None


def _weight_norm(net):
    return float(np.sqrt(sum(float((net.params[k] ** 2).sum()) for k in net.params
                             if k.startswith("W"))))


def _digits():
    return load_digits_data(test_ratio=0.25, seed=0)       # as the autoencoder page splits them


def boundary_forms(lesson, seed=None):
    h = _history(lesson, seed, 1000)
    start, reached = h["train_acc"][20], _first_epoch(h["train_acc"], 0.9)
    return Claim(start < 0.6 and reached is not None and 200 <= reached <= 1000,
                 f"training accuracy {start:.0%} after 20 epochs, 90% first at epoch {reached}",
                 {"start": start, "reached": reached if reached is not None else np.nan})


def overfits(lesson, seed=None):
    h = _history(lesson, seed, 400)
    tl = np.asarray(h["test_loss"], float)
    best = int(tl.argmin())
    return Claim(best <= 50 and tl[best] <= 0.8 * tl[0] and tl[-1] >= 3 * tl[best]
                 and h["train_acc"][-1] >= 0.95,
                 f"test loss {tl[0]:.2f} at the start, lowest at epoch {best} ({tl[best]:.2f}), "
                 f"{tl[-1]:.2f} at epoch 400; training accuracy {h['train_acc'][-1]:.0%}",
                 {"best": best, "fall": 1 - tl[best] / tl[0], "rise": tl[-1] / tl[best],
                  "train": h["train_acc"][-1]})


def learning_rates(lesson, seed=None):
    big = _classifier(lesson, seed, 100).trainer
    d, tl = big.diverged, big.history["train_loss"]
    stuck = min(tl) >= 0.9 * tl[0]               # or every step lands no lower than the start
    small = _history(lesson, seed, 200, lr=1e-5)["train_loss"]
    good = _history(lesson, seed, 200, lr=0.1)
    big_text = (f"diverged at step {d.step}" if d else
                "never got below 90% of the starting loss" if stuck else
                f"neither blew up nor stalled (its lowest loss was {min(tl) / tl[0]:.0%} of the start)")
    return Claim(((d is not None and d.step <= 20) or stuck) and small[-1] >= 0.6 * small[0]
                 and good["train_loss"][-1] < 0.05 and good["test_acc"][-1] >= 0.95,
                 f"lr 10 {big_text}; after 200 epochs the training loss is "
                 f"{small[-1] / small[0]:.0%} of its start at lr 0.00001, "
                 f"{good['train_loss'][-1]:.3f} at lr 0.1",
                 {"step": d.step if d else np.nan, "small": small[-1] / small[0],
                  "good": good["train_loss"][-1]})


def dead_relus(lesson, seed=None):
    relu = _history(lesson, seed, 200)
    leaky = _history(lesson, seed, 200, act="leaky_relu")
    dead = max(relu["dead_frac"][-1])
    gain = leaky["train_acc"][-1] - relu["train_acc"][-1]
    return Claim(dead >= 0.5 and max(leaky["dead_frac"][-1]) == 0,
                 f"ReLU: {dead:.0%} of a layer dead, training accuracy "
                 f"{relu['train_acc'][-1]:.0%}; leaky ReLU: none dead, "
                 f"{leaky['train_acc'][-1]:.0%}",
                 {"dead": dead, "gain": 100 * gain})


def vanishing(lesson, seed=None):
    def first_over_last(**changes):
        g = np.asarray(_history(lesson, seed, 20, **changes)["grad_W"][1:]).mean(axis=0)
        return g[0] / g[-1]
    sig, relu = first_over_last(), first_over_last(act="relu", init="he")
    return Claim(sig < 0.01 and relu > 0.05,
                 f"gradient norm of layer 1 over the output layer's: sigmoid {sig:.1e}, "
                 f"ReLU {relu:.2f}", {"sigmoid": sig, "relu": relu})


def regions(lesson, seed=None):
    def count(**changes):
        lab = _classifier(lesson, seed, 300, **changes)
        return activation_regions(lab.grid(200)[4])[1]
    one, deep = count(), count(layers=2, h1=8, h2=8)
    return Claim(4 <= one <= 7 and deep > 20,
                 f"{one} linear regions with 3 units (3 lines cut a plane into at most 7); "
                 f"{deep} with two layers of 8", {"one": one, "deep": deep})


def depth(lesson, seed=None):
    wide = _history(lesson, seed, 300)
    deep = _history(lesson, seed, 300, layers=2, h1=16, h2=16)
    gain = deep["test_acc"][-1] - wide["test_acc"][-1]
    ratio = wide["train_loss"][-1] / deep["train_loss"][-1]
    return Claim(gain >= 0.05 and ratio >= 3,
                 f"after 300 epochs, one layer of 32: test accuracy {wide['test_acc'][-1]:.0%}, "
                 f"training loss {wide['train_loss'][-1]:.3f}; two of 16: "
                 f"{deep['test_acc'][-1]:.0%}, {deep['train_loss'][-1]:.3f}",
                 {"wide": wide["test_acc"][-1], "deep": deep["test_acc"][-1],
                  "gain": 100 * gain, "ratio": ratio})


def l2(lesson, seed=None):
    plain = _classifier(lesson, seed, 200, l2=0)
    decayed = _classifier(lesson, seed, 200)
    a, b = _weight_norm(plain.net), _weight_norm(decayed.net)
    acc, acc0 = decayed.trainer.history["test_acc"][-1], plain.trainer.history["test_acc"][-1]
    return Claim(b <= a / 2 and abs(acc - acc0) <= 0.05,
                 f"weight norm {a:.1f} without L2, {b:.1f} with L2 0.01; test accuracy "
                 f"{acc0:.0%} without, {acc:.0%} with",
                 {"ratio": b / a, "diff": 100 * (acc - acc0)})


def batch_noise(lesson, seed=None):
    def jumps(**changes):                 # epochs whose training loss rose by more than 0.01
        tl = np.asarray(_history(lesson, seed, 100, **changes)["train_loss"])
        return int(np.sum(np.diff(tl) > 0.01))
    one, batch = jumps(), jumps(bs=32)
    return Claim(one >= 5 and batch == 0,
                 f"the training loss jumped up (by more than 0.01) in {one} of 100 epochs with "
                 f"batches of 1, in {batch} with batches of 32", {"one": one, "batch": batch})


def features(lesson, seed=None):
    squares = _history(lesson, seed, 200)["test_acc"][-1]
    raw = _history(lesson, seed, 200, x1=1, x2=1, x1sq=0, x2sq=0)["test_acc"][-1]
    return Claim(squares >= 0.95 and raw <= 0.8,
                 f"one hidden tanh unit, test accuracy: {squares:.0%} fed x1², x2²; "
                 f"{raw:.0%} fed x1, x2", {"squares": squares, "raw": raw})


def code_size(lesson, seed=None):
    digits = _digits()

    def run(**changes):
        lab = labs.AutoencoderLab(digits, _values(lesson, seed, **changes))
        lab.trainer.run(200)
        return lab.trainer.history["test_loss"][-1], lab.pca_error()
    two, pca2 = run()
    big, pca32 = run(hidden=32)
    return Claim(two >= 10 * big and big <= 1.5 * pca32,
                 f"test error after 200 epochs: code of 2 {two:.2f} (PCA-2 {pca2:.2f}); "
                 f"code of 32 {big:.3f} (PCA-32 {pca32:.3f})",
                 {"ratio": two / big, "pca2": two / pca2, "pca32": big / pca32})


def slips(lesson, seed=None):
    seed = _values(lesson, seed).seed
    digits = _digits()
    caught = {}
    for key in MISTAKES:
        _, _, checks, _ = compare_with_correct(key, digits, epochs=1, seed=seed)
        ok = all(r["passed"] for r in checks["correct"])
        caught[key] = ok and any(not r["passed"] for r in checks["slip"])
    return Claim(all(caught.values()),
                 f"the gradient check passes the correct backward pass and fails each slip: "
                 f"{sum(caught.values())} of {len(caught)}",
                 {"caught": sum(caught.values())})
