"""One-click lessons, each a question, the settings that answer it (a shareable
link), what to notice, a short why, and a check.

The check is the lesson's claim made executable (:mod:`.checks`): it trains the
lesson's own settings with the core, exactly as the page would, with any seed a
student may pick, and measures the effect the lesson promises. The test suite runs
every check on a handful of seeds; ``python -m explorer.lessons --seeds 40`` runs them
on many and records the spread each card shows (:mod:`.spread`), so a claim is a
statement about the phenomenon, not about one run.

>>> from explorer.lessons import LESSONS
>>> LESSONS[0].title, LESSONS[0].page, LESSONS[0].query      # doctest: +SKIP
"""
from dataclasses import dataclass, field
from typing import Callable

from ..params import PAGES, parse
from . import checks as C
from .checks import Claim

__all__ = ["Claim", "Lesson", "LESSONS", "BY_KEY", "lessons_for", "lesson_with_values"]


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
    claim : str
        The claim its check tests, in one line (the README's table).
    spread : str
        What a class sees, with the measured figures as ``{name:format}`` fields
        (the names of the check's ``Claim.figures``), e.g. ``"leaky ReLU learned
        {gain:.0f} points more"``; the card fills in the measured spread.
    check : callable
        ``check(lesson, seed=None) -> Claim``: trains the settings (with ``seed`` in
        place of the link's) and measures the claim.
    then : tuple of (str, dict)
        Follow-up links: a label and the parameters to change, e.g. the same run
        with leaky ReLU.
    chart : str
        The heading of the chart its notice names, on its page ("" when that is the
        first screen): the card links to it.
    """
    key: str
    title: str
    page: str
    query: dict
    question: str
    notice: str
    why: str
    claim: str
    spread: str
    check: Callable = field(repr=False)
    then: tuple = ()
    chart: str = ""

    def values(self, **changes):
        """The page's full settings for this lesson (and ``changes``), as a link gives them."""
        values, notes = parse(PAGES[self.page], {**self.query, **{
            k: str(v) for k, v in changes.items()}})
        if notes:
            raise ValueError(f"lesson {self.key}: its link needs corrections: {notes}")
        return values

    def verify(self, seed=None):
        """Train the lesson's settings (with ``seed``, if given, in place of the link's)
        and measure its claim: a :class:`Claim`."""
        return self.check(self, seed)


LESSONS = (
    Lesson("boundary", "Watch a boundary form", "classifier",
           {"data": "spirals", "opt": "momentum", "lr": "0.01", "speed": "slow"},
           "How does a network carve the plane, step by step?",
           "In slow motion the shading starts as one pale blur; the first straight cuts "
           "appear, then bend around the arms, until each spiral has its own colour.",
           "Each step moves every weight a little against its gradient; each ReLU unit is "
           "one straight cut, and the layers above bend and combine the cuts.",
           "spirals in slow motion: below 60% of the training points right after 20 epochs, "
           "90% first between epochs 200 and 1,000",
           "90% of the training points were right first at epoch {reached:.0f}",
           C.boundary_forms),
    Lesson("overfit", "Over-fitting: the test loss turns up", "classifier",
           {"data": "moons", "n": "300", "test": "0.8", "noise": "0.5", "layers": "3",
            "h1": "64", "h2": "64", "h3": "64", "opt": "adam", "lr": "0.003", "bs": "16"},
           "What happens when a big network learns a few noisy points?",
           "Only 60 points train it; 240 test it. Watch the dashed test loss: it falls for a "
           "few epochs, then turns up while the training loss keeps falling. The boundary "
           "wraps around single noisy points.",
           "With far more weights than points the network can memorise the noise; what it "
           "learns then no longer holds for points it has not seen.",
           "the test loss falls by a fifth or more, is lowest before epoch 50, then at least "
           "triples by epoch 400 while training accuracy reaches 95%",
           "the test loss fell {fall:.0%}, was lowest at epoch {best:.0f}, then rose "
           "{rise:.0f} times by epoch 400",
           C.overfits,
           chart="Loss and accuracy"),
    Lesson("learning_rate", "Learning rate: too small, right, too big", "classifier",
           {"data": "moons", "opt": "momentum", "lr": "10", "seed": "1"},
           "How big should a step be?",
           "At 10 training fails within a few steps: the loss explodes (or, in a few runs, "
           "the network is knocked flat and never does better than at the start). Try "
           "0.00001: after 200 epochs most of the loss is still there. At 0.1 it is near 0.",
           "The gradient says which way is down, not how far: too small a step crawls, too "
           "big a step jumps past the valley and lands higher up each time.",
           "10 blows up within 20 steps (or never gets below its starting loss); after 200 "
           "epochs 0.00001 leaves 60% or more of the starting loss, 0.1 less than 0.05",
           "lr 10 blew up at step {step:.0f}; after 200 epochs the loss was {small:.0%} of "
           "its start at 0.00001, and {good:.4f} at 0.1",
           C.learning_rates, then=(("too small: 0.00001", {"lr": "0.00001"}),
                                  ("right: 0.1", {"lr": "0.1"})),
           chart="Loss and accuracy"),
    Lesson("dead_relu", "Dead ReLUs, and leaky ReLU rescuing them", "classifier",
           {"data": "spirals", "h1": "64", "h2": "64", "opt": "adam", "lr": "0.1"},
           "Why can a network stop learning while all its units are still there?",
           "Watch the dead-unit chart: with Adam at 0.1 most of a layer dies, and in most "
           "runs accuracy stalls. Switch to leaky ReLU: no unit dies, and "
           "in most runs it learns far more.",
           "A ReLU unit that is off for every point passes back a gradient of exactly 0, so "
           "its own weights stop changing. Leaky ReLU keeps a slope of 0.01 below 0.",
           "Adam at 0.1 kills half a layer or more; leaky ReLU loses no unit (and in most "
           "runs gets more of the training points right)",
           "ReLU lost {dead:.0%} of a layer, and leaky ReLU got {gain:.0f} points more of the "
           "training points right",
           C.dead_relus, then=(("with leaky ReLU", {"act": "leaky_relu"}),),
           chart="Dead ReLU units"),
    Lesson("vanishing", "Vanishing gradients in a deep sigmoid network", "classifier",
           {"data": "spirals", "layers": "4", "h1": "16", "h2": "16", "h3": "16", "h4": "16",
            "act": "sigmoid", "init": "xavier", "opt": "sgd", "lr": "0.1"},
           "Why did deep networks use to be so hard to train?",
           "On the gradient chart (log scale) layer 1's gradient is thousands of times "
           "smaller than the output layer's. With ReLU the layers get similar gradients.",
           "Each sigmoid layer multiplies the gradient by its slope, at most 1/4: four layers "
           "shrink it by 4⁴ or more. ReLU's slope is 1 where a unit is on.",
           "deep sigmoid: layer 1's gradient under 1/100 of the output layer's; ReLU over 1/20",
           "layer 1's gradient was {sigmoid:.0e} of the output layer's with sigmoid, "
           "{relu:.2f} with ReLU",
           C.vanishing, then=(("with ReLU", {"act": "relu", "init": "he"}),),
           chart="Gradients inside the network"),
    Lesson("regions", "Count the linear regions", "classifier",
           {"data": "circles", "layers": "1", "h1": "3", "opt": "adam", "lr": "0.01"},
           "What shapes can a ReLU network draw?",
           "Three hidden units make three straight lines: at most 7 regions, so the circle "
           "becomes a triangle-like patch. Two layers of 8 make many more: over a hundred "
           "in most runs.",
           "Inside each region every ReLU is fixed on or off, so the network is one linear "
           "map there; the boundary is made of straight pieces.",
           "3 units: at most 7 regions; two layers of 8: more than 20",
           "3 units made {one:.0f} regions, two layers of 8 made {deep:.0f}",
           C.regions, then=(("two layers of 8", {"layers": "2", "h1": "8", "h2": "8"}),),
           chart="Linear regions"),
    Lesson("depth", "Why depth helps", "classifier",
           {"data": "spirals", "layers": "1", "h1": "32", "opt": "adam", "lr": "0.01"},
           "Same number of units: one layer or two?",
           "After 300 epochs one layer of 32 units gets about 60% of the test points right; "
           "two layers of 16 get over 90% in most runs, with a training loss many times "
           "lower.",
           "A second layer combines the first layer's cuts, folding the plane: the number of "
           "regions grows with the product of the widths, not their sum.",
           "spirals, 300 epochs: two layers of 16 get at least 5 points more of the test "
           "points right than one of 32, with a training loss at least 3 times lower",
           "two layers of 16 got {gain:.0f} points more of the test points right than one "
           "of 32, with a training loss {ratio:.0f} times lower",
           C.depth, then=(("two layers of 16", {"layers": "2", "h1": "16", "h2": "16"}),),
           chart="Loss and accuracy"),
    Lesson("l2", "L2 keeps the weights small", "classifier",
           {"data": "moons", "opt": "adam", "lr": "0.01", "l2": "0.01"},
           "What does weight decay do to a network?",
           "Save the weights with and without L2 and compare: with 0.01 their size is less "
           "than half, and the accuracy about the same.",
           "L2 adds 0.01 · W to every weight's gradient: each step shrinks every weight a "
           "little, so only weights the data keeps asking for stay big.",
           "L2 0.01 halves the weights' norm or more; test accuracy within 5 points of the "
           "run without",
           "with L2 the weights' norm was {ratio:.2f} of what it was without, and the test "
           "accuracy {diff:+.0f} points",
           C.l2, then=(("without L2", {"l2": "0"}),)),
    Lesson("batch", "Batch size and a noisy loss", "classifier",
           {"data": "moons", "noise": "0.3", "opt": "sgd", "lr": "0.05", "bs": "1"},
           "Why is the loss curve jagged?",
           "With batches of 1 the training loss jumps up again in many epochs; with batches "
           "of 32 it falls smoothly.",
           "One sample's gradient is a noisy estimate of the full gradient: each step is "
           "right on average but wrong in detail. Bigger batches average the noise out.",
           "batches of 1: the loss jumps up (by over 0.01) in at least 5 of 100 epochs; "
           "batches of 32: in none",
           "the loss jumped up in {one:.0f} of 100 epochs with batches of 1, in {batch:.0f} "
           "with batches of 32",
           C.batch_noise, then=(("batches of 32", {"bs": "32"}),),
           chart="Loss and accuracy"),
    Lesson("features", "Give the network better inputs", "classifier",
           {"data": "circles", "x1": "0", "x2": "0", "x1sq": "1", "x2sq": "1", "layers": "1",
            "h1": "1", "act": "tanh", "opt": "adam", "lr": "0.01"},
           "Can one unit separate two circles?",
           "Fed x1² and x2², one hidden tanh unit separates the circles; fed x1 and x2 it "
           "cannot.",
           "x1² + x2² is the squared distance from the centre: the circle becomes a straight "
           "cut in the new inputs.",
           "one tanh unit fed x1², x2² separates circles (95%+); fed x1, x2 it cannot "
           "(80% or less)",
           "one unit got {squares:.0%} of the test points right fed x1², x2², {raw:.0%} "
           "fed x1, x2",
           C.features, then=(("fed x1, x2", {"x1": "1", "x2": "1", "x1sq": "0", "x2sq": "0"}),)),
    Lesson("code_size", "An autoencoder's code: 2 against 32, and against PCA", "autoencoder",
           {"hidden": "2"},
           "How much of a digit fits in 2 numbers?",
           "With a code of 2 the reconstructions are blurry averages, about as good as PCA "
           "with 2 components. With 32 they are sharp, and in most runs a little better "
           "than PCA with 32.",
           "A code of 2 is a 2-D map of all digits; the ReLU network can bend it, but 64 "
           "pixels from 2 numbers lose most of the detail.",
           "a code of 2 errs 10x more than a code of 32, which errs at most 1.5x as much as "
           "PCA with 32 (less, in most runs)",
           "a code of 2 erred {ratio:.0f} times more than a code of 32; the code of 32 "
           "erred {pca32:.2f} times as much as PCA with 32",
           C.code_size, then=(("a code of 32", {"hidden": "32"}),),
           chart="Loss"),
    Lesson("slips", "The gradient check catches every slip", "math",
           {"mistake": "one_over_n"},
           "How do you know your backprop is right?",
           "Pick each common mistake: the gradient check fails for the arrays the slip "
           "touches, while training may look fine for a while.",
           "Central differences measure the slope of the loss directly; a correct backward "
           "pass agrees with them to about 1e-8.",
           "the check passes the correct pass and fails all five slips",
           "the check caught {caught:.0f} of the 5 slips",
           C.slips),
)


def lessons_for(page):
    """The lessons whose link opens ``page``."""
    return [lesson for lesson in LESSONS if lesson.page == page]


def lesson_with_values(page, values):
    """The lesson of ``page`` whose settings are exactly ``values`` (None if none is):
    how a page opened from a lesson's link knows which lesson it shows."""
    return next((l for l in lessons_for(page) if l.values() == values), None)


BY_KEY = {lesson.key: lesson for lesson in LESSONS}
