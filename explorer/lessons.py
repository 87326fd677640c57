"""One-click lessons, each a question, the settings that answer it (a shareable
link), what to notice, a short why, and a check.

The check is the lesson's claim made executable: it trains the lesson's own
settings with the core, exactly as the page would, and measures the effect the
lesson promises. The test suite runs every check, so a lesson whose effect does
not show is a failing test, not a teacher's embarrassment in front of a class.

>>> from explorer.lessons import LESSONS
>>> LESSONS[0].title, LESSONS[0].page, LESSONS[0].query      # doctest: +SKIP
"""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import labs
from .data import load_digits_data
from .lens.diagnostics import activation_regions
from .lens.mistakes import MISTAKES, compare_with_correct
from .params import PAGES, parse


@dataclass(frozen=True)
class Claim:
    """What a lesson's check found: whether the promised effect showed, and the numbers."""
    holds: bool
    evidence: str


@dataclass(frozen=True)
class Lesson:
    """One lesson.

    Attributes
    ----------
    key : str
    title : str
    page : str
        "classifier", "autoencoder" or "math": where its link opens.
    query : dict of str to str
        The link's parameters (every one a control of that page).
    question : str
        What the lesson asks.
    notice : str
        What to watch for.
    why : str
        The short explanation.
    then : tuple of (str, dict)
        Follow-up links: a label and the parameters to change, e.g. the same run
        with leaky ReLU.
    check : callable
        ``check() -> Claim``: trains the settings and measures the claim.
    """
    key: str
    title: str
    page: str
    query: dict
    question: str
    notice: str
    why: str
    check: Callable = field(repr=False)
    then: tuple = ()

    def values(self, **changes):
        """The page's full settings for this lesson (and ``changes``), as a link gives them."""
        values, notes = parse(PAGES[self.page], {**self.query, **{
            k: str(v) for k, v in changes.items()}})
        if notes:
            raise ValueError(f"lesson {self.key}: its link needs corrections: {notes}")
        return values

    def verify(self):
        """Train the lesson's settings and measure its claim: a :class:`Claim`."""
        return self.check(self)


def _classifier(lesson, epochs, **changes):
    """The lesson's classifier lab (with ``changes``), trained ``epochs`` epochs."""
    values = lesson.values(**changes)
    lab = labs.ClassifierLab(labs.dataset_for(values), values)
    lab.trainer.run(epochs)
    return lab


def _first_epoch(series, at_least):
    """The first epoch whose value reaches ``at_least`` (None if none does)."""
    hits = np.flatnonzero(np.asarray(series, float) >= at_least)
    return int(hits[0]) if len(hits) else None


def _weight_norm(net):
    return float(np.sqrt(sum(float((net.params[k] ** 2).sum()) for k in net.params
                             if k.startswith("W"))))


# --- the checks: each trains the lesson's settings and measures its claim -------------
def _boundary_forms(lesson):
    h = _classifier(lesson, 1000).trainer.history
    start, reached = h["test_acc"][20], _first_epoch(h["test_acc"], 0.9)
    return Claim(start < 0.6 and reached is not None and 200 <= reached <= 1000,
                 f"test accuracy {start:.0%} after 20 epochs, 90% first at epoch {reached}")


def _overfits(lesson):
    h = _classifier(lesson, 400).trainer.history
    tl = np.asarray(h["test_loss"], float)
    best = int(tl.argmin())
    return Claim(10 <= best <= 150 and tl[-1] >= 2 * tl[best] and h["train_acc"][-1] == 1.0,
                 f"test loss lowest at epoch {best} ({tl[best]:.2f}), {tl[-1]:.2f} at epoch "
                 f"400; training accuracy {h['train_acc'][-1]:.0%}")


def _learning_rates(lesson):
    big = _classifier(lesson, 100).trainer
    small = _classifier(lesson, 200, lr=1e-4).trainer.history["train_loss"][-1]
    good = _classifier(lesson, 200, lr=0.1).trainer.history
    d = big.diverged
    return Claim(d is not None and d["step"] <= 100 and small > 0.3
                 and good["train_loss"][-1] < 0.05 and good["test_acc"][-1] >= 0.97,
                 f"lr 3 diverged at step {d and d['step']}; after 200 epochs the training "
                 f"loss is {small:.2f} at lr 1e-4 and {good['train_loss'][-1]:.3f} at lr 0.1")


def _dead_relus(lesson):
    relu = _classifier(lesson, 200).trainer.history
    leaky = _classifier(lesson, 200, act="leaky_relu").trainer.history
    dead = max(relu["dead_frac"][-1])
    return Claim(dead >= 0.5 and max(leaky["dead_frac"][-1]) == 0
                 and leaky["train_acc"][-1] >= relu["train_acc"][-1] + 0.15,
                 f"ReLU: {dead:.0%} of a layer dead, training accuracy "
                 f"{relu['train_acc'][-1]:.0%}; leaky ReLU: none dead, "
                 f"{leaky['train_acc'][-1]:.0%}")


def _vanishing(lesson):
    def first_over_last(**changes):
        g = np.asarray(_classifier(lesson, 20, **changes).trainer.history["grad_W"][1:])
        g = g.mean(axis=0)
        return g[0] / g[-1]
    sig, relu = first_over_last(), first_over_last(act="relu", init="he")
    return Claim(sig < 0.01 and relu > 0.05,
                 f"gradient norm of layer 1 over the output layer's: sigmoid {sig:.1e}, "
                 f"ReLU {relu:.2f}")


def _regions(lesson):
    def count(**changes):
        lab = _classifier(lesson, 300, **changes)
        return activation_regions(lab.grid(200)[4])[1]
    one, deep = count(), count(layers=2, h1=8, h2=8)
    return Claim(4 <= one <= 7 and deep > 20,
                 f"{one} linear regions with 3 units (3 lines cut a plane into at most 7); "
                 f"{deep} with two layers of 8")


def _depth(lesson):
    wide = _classifier(lesson, 300).trainer.history["test_acc"][-1]
    deep = _classifier(lesson, 300, layers=2, h1=16, h2=16).trainer.history["test_acc"][-1]
    return Claim(deep >= wide + 0.15,
                 f"test accuracy after 300 epochs: one layer of 32 {wide:.0%}, two of 16 {deep:.0%}")


def _l2(lesson):
    plain = _classifier(lesson, 200, l2=0)
    decayed = _classifier(lesson, 200)
    a, b = _weight_norm(plain.net), _weight_norm(decayed.net)
    acc = decayed.trainer.history["test_acc"][-1]
    return Claim(b <= a / 2 and acc >= 0.95,
                 f"weight norm {a:.1f} without L2, {b:.1f} with L2 0.01 (test accuracy {acc:.0%})")


def _batch_noise(lesson):
    def rises(**changes):
        tl = np.asarray(_classifier(lesson, 100, **changes).trainer.history["train_loss"])
        return int(np.sum(np.diff(tl) > 0))
    one, batch = rises(), rises(bs=32)
    return Claim(one >= 10 and batch <= 2,
                 f"the training loss went up in {one} of 100 epochs with batches of 1, "
                 f"in {batch} with batches of 32")


def _features(lesson):
    squares = _classifier(lesson, 200).trainer.history["test_acc"][-1]
    raw = _classifier(lesson, 200, x1=1, x2=1, x1sq=0, x2sq=0).trainer.history["test_acc"][-1]
    return Claim(squares >= 0.95 and raw <= 0.8,
                 f"one hidden unit, test accuracy: {squares:.0%} fed x1², x2²; {raw:.0%} fed x1, x2")


def _code_size(lesson):
    digits = load_digits_data(test_ratio=0.25, seed=0)

    def run(**changes):
        lab = labs.AutoencoderLab(digits, lesson.values(**changes))
        lab.trainer.run(200)
        return lab.trainer.history["test_loss"][-1], lab.pca_error()
    two, pca2 = run()
    big, pca32 = run(hidden=32)
    return Claim(two >= 10 * big and big < pca32,
                 f"test error after 200 epochs: code of 2 {two:.2f} (PCA-2 {pca2:.2f}); "
                 f"code of 32 {big:.3f} (PCA-32 {pca32:.3f})")


def _slips(lesson):
    digits = load_digits_data(test_ratio=0.25, seed=0)
    failing = {}
    for key in MISTAKES:
        _, _, checks, _ = compare_with_correct(key, digits, epochs=1)
        ok = all(r["passed"] for r in checks["correct"])
        failing[key] = ok and any(not r["passed"] for r in checks["slip"])
    return Claim(all(failing.values()),
                 f"the gradient check passes the correct backward pass and fails each slip: "
                 f"{sum(failing.values())} of {len(failing)}")


LESSONS = (
    Lesson("boundary", "Watch a boundary form", "classifier",
           {"data": "spirals", "opt": "momentum", "lr": "0.01", "speed": "slow"},
           "How does a network carve the plane, step by step?",
           "In slow motion the shading starts as one pale blur; the first straight cuts "
           "appear, then bend around the arms, until each spiral has its own colour.",
           "Each step moves every weight a little against its gradient; each ReLU unit is "
           "one straight cut, and the layers above bend and combine the cuts.",
           _boundary_forms),
    Lesson("overfit", "Over-fitting: the test loss turns up", "classifier",
           {"data": "moons", "n": "80", "noise": "0.5", "layers": "3", "h1": "64", "h2": "64",
            "h3": "64", "opt": "adam", "lr": "0.003", "bs": "16"},
           "What happens when a big network learns a few noisy points?",
           "Watch the dashed test loss: it falls, then turns up while the training loss "
           "keeps falling. The boundary wraps around single noisy points.",
           "With far more weights than points the network can memorise the noise; what it "
           "learns then no longer holds for points it has not seen.",
           _overfits),
    Lesson("learning_rate", "Learning rate: too small, right, too big", "classifier",
           {"data": "moons", "opt": "momentum", "lr": "3"},
           "How big should a step be?",
           "At 3 training stops within a few steps: the loss explodes. Try 0.0001: after "
           "200 epochs the loss has hardly moved. At 0.1 it is near 0 long before.",
           "The gradient says which way is down, not how far: too small a step crawls, too "
           "big a step jumps past the valley and lands higher up each time.",
           _learning_rates, then=(("too small: 0.0001", {"lr": "0.0001"}),
                                  ("right: 0.1", {"lr": "0.1"}))),
    Lesson("dead_relu", "Dead ReLUs, and leaky ReLU rescuing them", "classifier",
           {"data": "spirals", "opt": "adam", "lr": "0.1"},
           "Why does a network stop learning with half its units still there?",
           "Watch the dead-unit chart: with Adam at 0.1 over half of a layer dies in the first "
           "epochs and accuracy stalls. Switch to leaky ReLU: no unit dies.",
           "A ReLU unit that is off for every point passes back a gradient of exactly 0, so "
           "its own weights stop changing. Leaky ReLU keeps a slope of 0.01 below 0.",
           _dead_relus, then=(("with leaky ReLU", {"act": "leaky_relu"}),)),
    Lesson("vanishing", "Vanishing gradients in a deep sigmoid network", "classifier",
           {"data": "spirals", "layers": "4", "h1": "16", "h2": "16", "h3": "16", "h4": "16",
            "act": "sigmoid", "init": "xavier", "opt": "sgd", "lr": "0.1"},
           "Why did deep networks use to be so hard to train?",
           "On the gradient chart (log scale) layer 1's gradient is thousands of times "
           "smaller than the output layer's. With ReLU the layers get similar gradients.",
           "Each sigmoid layer multiplies the gradient by its slope, at most 1/4: four layers "
           "shrink it by 4⁴ or more. ReLU's slope is 1 where a unit is on.",
           _vanishing, then=(("with ReLU", {"act": "relu", "init": "he"}),)),
    Lesson("regions", "Count the linear regions", "classifier",
           {"data": "circles", "layers": "1", "h1": "3", "opt": "adam", "lr": "0.01"},
           "What shapes can a ReLU network draw?",
           "Three hidden units make three straight lines: at most 7 regions, so the circle "
           "becomes a triangle-like patch. Two layers of 8 make over a hundred pieces.",
           "Inside each region every ReLU is fixed on or off, so the network is one linear "
           "map there; the boundary is made of straight pieces.",
           _regions, then=(("two layers of 8", {"layers": "2", "h1": "8", "h2": "8"}),)),
    Lesson("depth", "Why depth helps", "classifier",
           {"data": "spirals", "layers": "1", "h1": "32", "opt": "adam", "lr": "0.01"},
           "Same number of units: one layer or two?",
           "One layer of 32 units gets about two thirds of the spirals right after 300 "
           "epochs; two layers of 16 get nearly all.",
           "A second layer combines the first layer's cuts, folding the plane: the number of "
           "regions grows with the product of the widths, not their sum.",
           _depth, then=(("two layers of 16", {"layers": "2", "h1": "16", "h2": "16"}),)),
    Lesson("l2", "L2 keeps the weights small", "classifier",
           {"data": "moons", "opt": "adam", "lr": "0.01", "l2": "0.01"},
           "What does weight decay do to a network?",
           "Save the weights with and without L2 and compare: with 0.01 their size is less "
           "than half, the boundary is smoother, the accuracy the same.",
           "L2 adds 0.01 · W to every weight's gradient: each step shrinks every weight a "
           "little, so only weights the data keeps asking for stay big.",
           _l2, then=(("without L2", {"l2": "0"}),)),
    Lesson("batch", "Batch size and a noisy loss", "classifier",
           {"data": "moons", "opt": "sgd", "lr": "0.05", "bs": "1"},
           "Why is the loss curve jagged?",
           "With batches of 1 the training loss goes up again in many epochs; with batches "
           "of 32 it falls smoothly.",
           "One sample's gradient is a noisy estimate of the full gradient: each step is "
           "right on average but wrong in detail. Bigger batches average the noise out.",
           _batch_noise, then=(("batches of 32", {"bs": "32"}),)),
    Lesson("features", "Give the network better inputs", "classifier",
           {"data": "circles", "x1": "0", "x2": "0", "x1sq": "1", "x2sq": "1", "layers": "1",
            "h1": "1", "opt": "adam", "lr": "0.01"},
           "Can one unit separate two circles?",
           "Fed x1² and x2², one hidden unit separates the circles; fed x1 and x2 it cannot.",
           "x1² + x2² is the squared distance from the centre: the circle becomes a straight "
           "cut in the new inputs.",
           _features, then=(("fed x1, x2", {"x1": "1", "x2": "1", "x1sq": "0", "x2sq": "0"}),)),
    Lesson("code_size", "An autoencoder's code: 2 against 32, and against PCA", "autoencoder",
           {"hidden": "2"},
           "How much of a digit fits in 2 numbers?",
           "With a code of 2 the reconstructions are blurry averages, about as good as PCA "
           "with 2 components. With 32 they are sharp and beat PCA with 32.",
           "A code of 2 is a 2-D map of all digits; the ReLU network can bend it, but 64 "
           "pixels from 2 numbers lose most of the detail.",
           _code_size, then=(("a code of 32", {"hidden": "32"}),)),
    Lesson("slips", "The gradient check catches every slip", "math",
           {"mistake": "one_over_n"},
           "How do you know your backprop is right?",
           "Pick each common mistake: the gradient check fails for the arrays the slip "
           "touches, while training may look fine for a while.",
           "Central differences measure the slope of the loss directly; a correct backward "
           "pass agrees with them to about 1e-8.",
           _slips),
)


def lessons_for(page):
    """The lessons whose link opens ``page``."""
    return [lesson for lesson in LESSONS if lesson.page == page]


def lesson_with_values(page, values):
    """The lesson of ``page`` whose settings are exactly ``values`` (None if none is):
    how a page opened from a lesson's link knows which lesson it shows."""
    return next((l for l in lessons_for(page) if l.values() == values), None)


BY_KEY = {lesson.key: lesson for lesson in LESSONS}
