"""The common backprop slips of ``backprop-math.md`` section 3, as alternative
backward passes.

Each mistake is a function ``backward(net, X, y) -> (loss, grads)`` with the same
layout as ``MLP.loss_and_grads``, kept apart from the correct pass in
``network.py``. The app switches one on to show the gradient check fail and a
training run go wrong. Mistakes 2 to 4 are about the seed's classifier with two
hidden layers (W1, W2, W3); some only type-check for certain widths, which is a
lesson of its own: checking shapes catches them.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..nn.losses import softmax_cross_entropy


def _two_hidden(net):
    if net.output != "softmax" or net.n_layers != 3:
        raise ValueError("this slip is about the classifier with exactly two hidden layers")
    return net.params["W1"], net.params["W2"], net.params["W3"]


def _grads(D1, D2, D3, X, H1, H2):
    """dW = D^T H_prev and db = column sums, for all three layers."""
    return {"W1": D1.T @ X, "b1": D1.sum(0), "W2": D2.T @ H1, "b2": D2.sum(0),
            "W3": D3.T @ H2, "b3": D3.sum(0)}


def _forward3(net, X):
    """``h1, h2, f'(z1), f'(z2), f``: for ReLU the slopes are the masks 1(z > 0)."""
    _, c = net.forward(X)
    return c["H"][1], c["H"][2], c["slopes"][0], c["slopes"][1], c["Z"][2]


def one_over_n_on_onehot(net, X, y):
    """Slip 1: ``delta3 = p - (1/n) onehot`` instead of ``(1/n)(p - onehot)``."""
    P, cache = net.forward(X)
    n = X.shape[0]
    loss, _ = softmax_cross_entropy(cache["Z"][-1], y, P)
    D = P.copy()
    D[np.arange(n), y] -= 1.0 / n          # the 1/n reaches the one-hot term only
    grads, _ = net.backward(cache, D)
    return loss, grads


def wrong_activation_in_dW2(net, X, y):
    """Slip 2: ``dW2 = delta2 h2^T`` (the layer's own output) instead of ``delta2 h1^T``."""
    W1, W2, W3 = _two_hidden(net)
    if W2.shape[0] != W2.shape[1]:
        raise ValueError("dW2 = delta2 h2^T only type-checks when both hidden layers have "
                         f"the same width; here they are {W2.shape[1]} and {W2.shape[0]}")
    H1, H2, M1, M2, F = _forward3(net, X)
    loss, D3 = softmax_cross_entropy(F, y)
    D2 = (D3 @ W3) * M2
    D1 = (D2 @ W2) * M1
    grads = _grads(D1, D2, D3, X, H1, H2)
    grads["W2"] = D2.T @ H2                 # should be D2.T @ H1
    return loss, grads


def W3_twice_in_dW1(net, X, y):
    """Slip 3: ``delta1`` built with ``W3^T W3^T`` instead of ``W2^T`` then ``W3^T``."""
    W1, W2, W3 = _two_hidden(net)
    if W3.shape[0] != W3.shape[1] or W2.shape[0] != W2.shape[1]:
        raise ValueError("W3^T W3^T only type-checks when the number of classes equals the "
                         f"hidden widths; here W3 is {W3.shape} and W2 is {W2.shape}")
    H1, H2, M1, M2, F = _forward3(net, X)
    loss, D3 = softmax_cross_entropy(F, y)
    D2 = (D3 @ W3) * M2
    D1 = ((D2 @ W3)) * M1                   # should be (D2 @ W2) * M1
    return loss, _grads(D1, D2, D3, X, H1, H2)


def masks_in_front(net, X, y):
    """Slip 4: ReLU masks pulled in front of the products, ``1(z1>0) 1(z2>0) W2^T W3^T delta3``."""
    W1, W2, W3 = _two_hidden(net)
    if W2.shape[0] != W2.shape[1]:
        raise ValueError("multiplying both masks in front only type-checks when the hidden "
                         f"layers have the same width; here W2 is {W2.shape}")
    H1, H2, M1, M2, F = _forward3(net, X)
    loss, D3 = softmax_cross_entropy(F, y)
    D2 = (D3 @ W3) * M2
    D1 = M1 * M2 * (D3 @ W3 @ W2)           # mask 2 applied after W2^T, not before it
    return loss, _grads(D1, D2, D3, X, H1, H2)


def summed_reconstruction_grad(net, X, y):
    """Slip 5: ``dL/dxhat`` summed over samples into one vector, then used for every sample."""
    if net.output != "relu":
        raise ValueError("this slip is about the autoencoder")
    out, cache = net.forward(X)
    n = X.shape[0]
    loss = float(((out - y) ** 2).sum()) / n
    g = (2.0 / n) * (out - y).sum(axis=0)  # should stay one row per sample
    D = np.broadcast_to(g, out.shape) * cache["masks"][-1]
    grads, _ = net.backward(cache, D)
    return loss, grads


@dataclass(frozen=True)
class Mistake:
    key: str
    title: str
    wrong: str        # the slip, in LaTeX
    right: str        # the correct line, in LaTeX
    network: str      # "classifier" or "autoencoder"
    backward: Callable


# the term that differs is coloured: orange in the slip, green in the correct line
_W = r"\textcolor{#D55E00}{%s}"
_R = r"\textcolor{#009E73}{%s}"

MISTAKES = {m.key: m for m in [
    Mistake("one_over_n", "1/n on the one-hot term only",
            r"\delta_3 = p - " + _W % r"\tfrac{1}{n}\,\mathrm{onehot}(y)",
            r"\delta_3 = " + _R % r"\tfrac{1}{n}\,(p - \mathrm{onehot}(y))", "classifier",
            one_over_n_on_onehot),
    Mistake("dW2_h2", "dW2 with the wrong activation",
            r"\partial L/\partial W_2 = \delta_2\, " + _W % r"h_2^\top",
            r"\partial L/\partial W_2 = \delta_2\, " + _R % r"h_1^\top", "classifier",
            wrong_activation_in_dW2),
    Mistake("W3_twice", "W3ᵀ twice in the chain to W1",
            r"\delta_1 = 1(z_1>0) \odot (" + _W % r"W_3^\top" + r" [1(z_2>0) \odot W_3^\top \delta_3])",
            r"\delta_1 = 1(z_1>0) \odot (" + _R % r"W_2^\top" + r" [1(z_2>0) \odot W_3^\top \delta_3])",
            "classifier", W3_twice_in_dW1),
    Mistake("masks_in_front", "ReLU masks as factors in front",
            r"\delta_1 = 1(z_1>0) \odot " + _W % r"1(z_2>0) \odot (W_2^\top W_3^\top \delta_3)",
            r"\delta_1 = 1(z_1>0) \odot " + _R % r"(W_2^\top [1(z_2>0) \odot (W_3^\top \delta_3)])",
            "classifier", masks_in_front),
    Mistake("summed_dxhat", "autoencoder: dL/dx̂ summed over samples",
            r"\partial L/\partial \hat x = \tfrac{2}{n} " + _W % r"\textstyle\sum_i (\hat x_i - x_i)",
            r"\partial L/\partial \hat x_i = \tfrac{2}{n} " + _R % r"(\hat x_i - x_i)\ \text{for each } i",
            "autoencoder", summed_reconstruction_grad),
]}
