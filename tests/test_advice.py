"""explorer.lens.advice: a divergence is explained by its real cause, and every
suggestion is tried: the same run, from the same seed, with the suggestion applied,
no longer diverges within the same number of epochs."""
import dataclasses

import numpy as np
import pytest

from explorer import MLP, Trainer, make_dataset
from explorer.lens.advice import Advice, divergence_advice
from explorer.lens.mistakes import MISTAKES
from explorer.nn.optim import OPTIMIZERS
from explorer.nn.train import Divergence

from .helpers import page

EPOCHS = 40


@pytest.fixture(scope="module")
def data():
    return {kind: make_dataset(kind, 300, 0.15, 3, 0.3, 0)
            for kind in ("moons", "spirals", "blobs")}


def run(ds, sizes=None, epochs=EPOCHS, **kw):
    """A float32 run as the app trains it; ``kw`` are Trainer arguments."""
    kw = dict(dict(optimizer="sgd", lr=0.1, batch_size=32, seed=0), **kw)
    net = MLP(sizes or [2, 16, 16, ds.n_classes], seed=0, dtype=np.float32)
    t = Trainer(net, ds.X_train, ds.y_train, ds.X_test, ds.y_test, **kw)
    t.run(epochs)
    return t


def diverged_with_advice(ds, **kw):
    t = run(ds, **kw)
    assert t.diverged is not None, f"the setup {kw} was meant to diverge"
    advice = divergence_advice(t)
    assert isinstance(advice, Advice)
    assert advice.message.startswith("Training diverged") and "Hint" not in advice.message
    return t, advice


def try_each(ds, advice, **kw):
    """Every suggestion, applied alone to the same run from the same seed, trains
    ``EPOCHS`` epochs without diverging."""
    assert advice.suggestions
    for suggestion in advice.suggestions:
        assert set(suggestion) <= {"lr", "clip", "backward"}
        t = run(ds, **dict(kw, **suggestion))
        assert t.diverged is None, (suggestion, t.diverged.message)


def never_what_is_chosen(t, advice):
    for s in advice.suggestions:
        if "lr" in s:
            assert s["lr"] < t.lr
        if "clip" in s:
            assert t.clip is None or s["clip"] < t.clip
        if "backward" in s:
            assert t.backward is not None


# --- Adam: clipping does not help, a smaller rate does ------------------------------
@pytest.mark.parametrize("kind,batch", [("spirals", 32), ("moons", 2000), ("moons", 1)])
def test_adam_is_told_to_lower_the_rate_and_never_to_clip(data, kind, batch):
    setup = dict(optimizer="adam", lr=10.0, batch_size=batch)
    t, advice = diverged_with_advice(data[kind], **setup)
    assert advice.cause == "adam_step"
    assert all("clip" not in s for s in advice.suggestions)
    assert "clipping would not help" in advice.message
    never_what_is_chosen(t, advice)
    try_each(data[kind], advice, **setup)


def test_the_advice_follows_the_optimizers_trait_not_its_name(data, monkeypatch):
    # a new optimizer is one registry entry: the advice reads whether it is adaptive
    monkeypatch.setitem(OPTIMIZERS, "adam", dataclasses.replace(OPTIMIZERS["adam"],
                                                                 adaptive=False))
    _, advice = diverged_with_advice(data["spirals"], optimizer="adam", lr=10.0, batch_size=32)
    assert advice.cause == "step_size"
    monkeypatch.setitem(OPTIMIZERS, "momentum", dataclasses.replace(
        OPTIMIZERS["momentum"], adaptive=True, label="Adaptive momentum"))
    _, advice = diverged_with_advice(data["spirals"], optimizer="momentum", lr=10.0,
                                     batch_size=32)
    assert advice.cause == "adam_step" and "Adaptive momentum divides each step" in advice.message


def test_clipping_does_not_stop_adam_from_diverging(data):
    """The reported bug: Adam at lr 10 diverges the same with clipping at 0.5."""
    plain = run(data["spirals"], optimizer="adam", lr=10.0)
    clipped = run(data["spirals"], optimizer="adam", lr=10.0, clip=0.5)
    assert plain.diverged is not None and clipped.diverged is not None
    assert (clipped.diverged.epoch, clipped.diverged.step) == \
        (plain.diverged.epoch, plain.diverged.step)
    advice = divergence_advice(clipped)
    assert "Gradient clipping (on, at 0.5) cannot prevent this" in advice.message
    assert advice.suggestions == ({"lr": 0.01},)
    try_each(data["spirals"], advice, optimizer="adam", lr=10.0, clip=0.5)


# --- SGD and momentum: a smaller rate, or clipping -------------------------------------
@pytest.mark.parametrize("kind,setup", [
    ("moons", dict(optimizer="sgd", lr=10.0, batch_size=2000)),
    ("moons", dict(optimizer="sgd", lr=10.0, batch_size=1)),
    ("spirals", dict(optimizer="momentum", lr=10.0, batch_size=32)),
    ("moons", dict(optimizer="momentum", lr=3.0, batch_size=32)),
    ("moons", dict(optimizer="momentum", lr=10.0, batch_size=32, clip=1.0)),
])
def test_sgd_and_momentum_suggestions_each_stop_the_divergence(data, kind, setup):
    t, advice = diverged_with_advice(data[kind], **setup)
    assert advice.cause == "step_size"
    assert any("lr" in s for s in advice.suggestions)
    never_what_is_chosen(t, advice)
    try_each(data[kind], advice, **setup)


def _stopped(**kw):
    """A stand-in for a trainer that diverged at step 5 with these settings."""
    from types import SimpleNamespace
    from explorer.nn.optim import make_optimizer
    kw = dict(dict(optimizer="sgd", lr=10.0, clip=None, l2=0.0, batch_size=32, backward=None),
              **kw)
    nan = float("nan")
    return SimpleNamespace(**kw, opt=make_optimizer(kw["optimizer"], kw["lr"]),
                           diverged=Divergence(1, 5, nan, nan, "loss_nan",
                                               "the loss became infinite or NaN", {}, ""),
                           history={"train_loss": [1.0]}, blowup=1e3)


def test_clipping_is_suggested_only_when_it_would_change_something(data):
    _, off = diverged_with_advice(data["spirals"], optimizer="momentum", lr=10.0)
    assert {"clip": 0.01} in off.suggestions and "gradient clipping at 0.01" in off.message
    _, loose = diverged_with_advice(data["moons"], optimizer="momentum", lr=10.0, clip=1.0)
    assert {"clip": 0.01} in loose.suggestions and "tighter than 1" in loose.message
    tight = divergence_advice(_stopped(optimizer="momentum", clip=0.01))
    assert tight.suggestions == ({"lr": 0.1},) and "clipping" not in tight.message
    floor = divergence_advice(_stopped(lr=1e-5, clip=0.01))
    assert floor.suggestions == () and "reset the network" in floor.message


def test_suggested_rates_follow_the_optimizer_and_the_batch():
    assert divergence_advice(_stopped(lr=3.0)).suggestions[0] == {"lr": 0.3}
    assert divergence_advice(_stopped(lr=3.0, batch_size=1)).suggestions[0] == {"lr": 0.03}
    assert divergence_advice(_stopped(optimizer="momentum", lr=3.0)).suggestions[0] == \
        {"lr": 0.03}
    assert divergence_advice(_stopped(optimizer="adam", lr=10.0)).suggestions == \
        ({"lr": 0.01},)
    assert divergence_advice(_stopped(optimizer="adam", lr=0.03)).suggestions == \
        ({"lr": 0.003},)
    l2 = divergence_advice(_stopped(lr=3.0, l2=1.0))
    assert "L2 adds to it" in l2.message


# --- a wrong gradient: the gradient is the cause -----------------------------------------
def test_a_wrong_backward_pass_is_named_and_switching_it_off_helps(data):
    mistake = MISTAKES["one_over_n"]
    setup = dict(optimizer="momentum", lr=0.05, backward=mistake.backward)
    ds = data["blobs"]
    t, advice = diverged_with_advice(ds, sizes=[2, 4, 4, ds.n_classes], **setup)
    assert advice.cause == "wrong_gradient"
    assert advice.suggestions == ({"backward": None},)
    assert mistake.title in advice.message and "not the learning rate" in advice.message
    try_each(ds, advice, sizes=[2, 4, 4, ds.n_classes], **setup)
    # what the old hint said (10x smaller) does not stop it: the gradient is still wrong
    slower = run(ds, sizes=[2, 4, 4, ds.n_classes], **dict(setup, lr=0.005))
    assert slower.diverged is not None


# --- the very first step ------------------------------------------------------------------
def test_a_blow_up_before_any_update_blames_the_weights_not_the_settings(data):
    ds = data["moons"]
    net = MLP([2, 16, 16, 2], seed=0, dtype=np.float32)
    net.params["W3"] *= np.float32(1e30)               # e.g. absurd loaded weights
    t = Trainer(net, ds.X_train, ds.y_train, optimizer="sgd", lr=0.01)
    t.run(5)
    advice = divergence_advice(t)
    assert advice.cause == "first_step" and advice.suggestions == ()
    assert "Reset the network" in advice.message and "at step 1 " in advice.message


def test_advice_needs_a_diverged_run(data):
    t = run(data["moons"], epochs=1)
    with pytest.raises(ValueError, match="has not diverged"):
        divergence_advice(t)


def test_every_suggested_rate_and_clipping_threshold_is_on_its_widget():
    # "gradient clipping at 0.03" could not be followed: the clipping slider moved in
    # steps of 0.5. Learning rate and clipping now sit on ladders, and every value the
    # advice suggests is on them
    from explorer import limits
    from explorer.app.controls import LADDERS
    seen = set()
    for optimizer in OPTIMIZERS:
        for lr in limits.LR_LADDER:
            for bs in (1, 8, 32, 2000):
                for clip in (None,) + limits.CLIP_LADDER[1:]:
                    advice = divergence_advice(_stopped(optimizer=optimizer, lr=lr,
                                                        batch_size=bs, clip=clip))
                    for s in advice.suggestions:
                        for key, value in s.items():
                            if key in LADDERS:
                                assert value in LADDERS[key], (optimizer, lr, bs, clip, s)
                                seen.add((key, value))
    assert {k for k, _ in seen} == {"lr", "clip"} and len(seen) > 10


def test_the_clipping_widget_offers_its_ladder_and_keeps_a_links_own_value():
    at = page("pages/1_Classifier.py", clip=0.03)
    widget = at.select_slider(key="w.classifier.clip")
    assert widget.options[0] == "off" and {"0.01", "0.03", "0.1", "1", "100"} <= set(widget.options)
    assert float(widget.value) == 0.03
    at = page("pages/1_Classifier.py", clip=0.07)              # off the ladder: kept
    assert float(at.select_slider(key="w.classifier.clip").value) == 0.07
