"""The common mistakes trained beside the correct backward pass: what the math page's
"Common mistakes" tab and the slips lesson show. Apart from :mod:`.mistakes` (the slips
themselves) because it needs the advice, which names a slip when training blows up."""
from dataclasses import replace

import numpy as np

from ..data import load_digits_data, make_dataset
from ..nn import MLP, Trainer
from .advice import divergence_advice
from .gradcheck import check_gradients, clear_of_kinks, keep_outputs_alive
from .mistakes import MISTAKES


def compare_with_correct(key, digits=None, epochs=60, seed=0):
    """The gradient check and a training run with slip ``key`` and with the correct pass.

    On a fixed small problem whose widths let every slip type-check, with SGD and
    momentum (an adaptive optimizer like Adam hides much of a gradient's scale),
    so the result is the same for everyone with the same ``seed``.

    Parameters
    ----------
    key : str
        A key of :data:`MISTAKES`.
    digits : Dataset, optional
        The digits (for the autoencoder's slip); loaded if not given.
    epochs : int
    seed : int
        Draws the blobs (or picks the 600 digits), the initial weights and the batches.

    Returns
    -------
    sizes : list of int
        The network's layer widths.
    curves : dict
        ``"correct"`` and ``"slip"``: training loss per epoch.
    checks : dict
        ``"correct"`` and ``"slip"``: rows of :func:`~explorer.lens.gradcheck.check_gradients`.
    stops : dict
        ``"correct"`` and ``"slip"``: the trainer's divergence record (with the
        advice's ``"message"``, which names a wrong gradient as the cause), or None.
    """
    m = MISTAKES[key]
    if m.network == "classifier":
        ds = make_dataset("blobs", 300, 0.4, 4, 0.3, seed)
        sizes, X, y, lr, out = [2, 4, 4, 4], ds.X_train, ds.y_train, 0.05, "softmax"
    else:
        ds = digits or load_digits_data(test_ratio=0.25, seed=0)
        X = ds.X_train[np.random.default_rng(seed).permutation(len(ds.X_train))[:600]]
        sizes, y, lr, out = [64, 16, 64], X, 0.005, "relu"
    curves, checks, stops = {}, {}, {}
    for name, backward in (("correct", None), ("slip", m.backward)):
        net = keep_outputs_alive(MLP(sizes, output=out, seed=seed))
        rows = clear_of_kinks(net, X)
        checks[name] = check_gradients(net, X[rows], y[rows], backward=backward)
        t = Trainer(net, X, y, optimizer="momentum", lr=lr, batch_size=32, seed=seed,
                    backward=backward)
        t.run(epochs)
        curves[name] = t.history["train_loss"]
        stops[name] = t.diverged and replace(t.diverged, message=divergence_advice(t).message)
    return sizes, curves, checks, stops
