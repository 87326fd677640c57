"""One batch through a network, kept whole so any unit, any weight and any step of
backprop can be looked at with its numbers: what the network view shows when a
student clicks a unit or an edge, or walks through the backward pass.

Everything is computed in float64 on a copy, by the network's own forward and
backward passes; the tests check each number against central differences.
"""
from dataclasses import dataclass

import numpy as np

from ..nn.activations import ACTIVATIONS


@dataclass(frozen=True)
class BatchPass:
    """A forward and backward pass of ``net`` on ``(X, y)``.

    Attributes
    ----------
    net : MLP
        A float64 copy of the network.
    X, y : ndarray
        The batch (n samples).
    out : ndarray of shape (n, K)
    cache : dict
        The forward cache (``H``, ``Z``, ``slopes``, ``masks``).
    loss : float
    deltas : list of ndarray
        ``[D_1, ..., D_L]``, each (n, width): ``dL/dz`` per layer and sample.
    grads : dict
        ``dL/dW_l`` and ``dL/db_l``.
    """
    net: object
    X: np.ndarray
    y: np.ndarray
    out: np.ndarray
    cache: dict
    loss: float
    deltas: list
    grads: dict


def batch_pass(net, X, y):
    """Run ``net`` forward and backward on ``(X, y)`` in float64 and keep everything."""
    net = net.astype(np.float64)
    X = np.asarray(X, np.float64)
    y = X if y is X else np.asarray(y)
    out, cache = net.forward(X)
    loss, D = net.output_delta(cache, y)
    grads, deltas = net.backward(cache, D)
    return BatchPass(net, X, y, out, cache, loss, deltas, grads)


def _check_unit(bp, layer, unit):
    L = bp.net.n_layers
    if not (1 <= layer <= L and 0 <= unit < bp.net.sizes[layer]):
        raise ValueError(f"no unit {unit} in layer {layer} of a {bp.net.sizes} network")


def unit_report(bp, layer, unit):
    """Everything about unit ``unit`` of layer ``layer`` (1-based; L is the output).

    Returns
    -------
    dict
        ``weights`` (fan-in,) and ``bias``: what feeds it; ``z`` and ``h`` (n,): its
        pre-activation and activation per sample (``h`` None for a softmax output);
        ``delta`` (n,): ``dL/dz`` per sample; ``grad_bias`` = sum of ``delta``;
        ``grad_weights`` (fan-in,); ``dead``: True when it passes no gradient back
        for any sample of the batch (its slope is 0 everywhere).
    """
    _check_unit(bp, layer, unit)
    net, c = bp.net, bp.cache
    slope = c["slopes"][layer - 1]
    hidden = layer < net.n_layers
    return {
        "layer": layer, "unit": unit,
        "weights": net.params[f"W{layer}"][unit].copy(),
        "bias": float(net.params[f"b{layer}"][unit]),
        "z": c["Z"][layer - 1][:, unit].copy(),
        "h": c["H"][layer][:, unit].copy() if hidden else None,
        "delta": bp.deltas[layer - 1][:, unit].copy(),
        "grad_bias": float(bp.grads[f"b{layer}"][unit]),
        "grad_weights": bp.grads[f"W{layer}"][unit].copy(),
        "dead": bool(slope is not None and not np.any(slope[:, unit])),
    }


def unit_activity(net, X, layer, unit):
    """How hidden unit ``unit`` of layer ``layer`` (1-based) behaves on all of ``X``.

    Returns
    -------
    dict
        ``dead``: it passes no gradient back for any sample of ``X`` (its slope
        ``f'(z)`` is 0 for each; the network view's cross, and
        :func:`explorer.lens.diagnostics.dead_units`); ``on``: the share of ``X``
        where it is on (its mask is 1), or None for an activation with no off
        (tanh, sigmoid, linear).
    """
    if not 1 <= layer < net.n_layers or not 0 <= unit < net.sizes[layer]:
        raise ValueError(f"no hidden unit {unit} in layer {layer} of a {net.sizes} network")
    _, cache = net.forward(X)
    mask = cache["masks"][layer - 1]
    return {"dead": not np.any(cache["slopes"][layer - 1][:, unit]),
            "on": None if mask is None else float(np.mean(mask[:, unit]))}


def edge_report(bp, layer, unit, source):
    """The weight from unit ``source`` of layer ``layer - 1`` (or input ``source``) into
    unit ``unit`` of layer ``layer``, and its gradient written out.

    Returns
    -------
    dict
        ``weight``; ``grad`` = ``dL/dW_layer[unit, source]``; ``delta`` (n,) and
        ``a`` (n,): the unit's delta and the source's activation per sample;
        ``terms`` (n,) = ``delta * a``, which sum to ``grad`` (the chain rule:
        ``dL/dw = sum_i delta_i a_i``).
    """
    _check_unit(bp, layer, unit)
    if not 0 <= source < bp.net.sizes[layer - 1]:
        raise ValueError(f"no unit {source} in layer {layer - 1} of a {bp.net.sizes} network")
    delta = bp.deltas[layer - 1][:, unit]
    a = bp.cache["H"][layer - 1][:, source]
    return {"layer": layer, "unit": unit, "source": source,
            "weight": float(bp.net.params[f"W{layer}"][unit, source]),
            "grad": float(bp.grads[f"W{layer}"][unit, source]),
            "delta": delta.copy(), "a": a.copy(), "terms": delta * a}


@dataclass(frozen=True)
class Step:
    """One step of backprop on a batch, for a walk through it.

    Attributes
    ----------
    stage : str
        "forward", "loss", "backward", "gradient" or "update".
    layer : int
        The layer it is about (1-based; 0 for the loss).
    title : str
        What happens, in words.
    tex : str
        The line of the derivation (the math page's).
    value : ndarray
        Its numbers on the batch (rows are samples, where there are samples).
    name : str
        The array's name (``Z1``, ``delta2``, ``dW3`` ...).
    """
    stage: str
    layer: int
    title: str
    tex: str
    value: np.ndarray
    name: str


def walkthrough(bp, lr=None):
    """Backprop on the batch as a list of :class:`Step`: forward layer by layer, the
    loss, backward layer by layer (the delta arriving, the slope cutting it, the
    weight gradients), then the update ``W - lr dW`` (if ``lr`` is given)."""
    net, c, L = bp.net, bp.cache, bp.net.n_layers
    act = ACTIVATIONS[net.activation]
    steps = []
    for l in range(1, L + 1):
        src = "x" if l == 1 else f"h_{l - 1}"
        plain = "x" if l == 1 else f"h{l - 1}"
        steps.append(Step("forward", l, f"Layer {l} sums its inputs: z{l} = W{l} {plain} + b{l}",
                          rf"z_{l} = W_{l}\, {src} + b_{l}", c["Z"][l - 1], f"Z{l}"))
        if l < L:
            steps.append(Step("forward", l, f"Layer {l}'s {act.label} makes its activations",
                              rf"h_{l} = {act.tex.replace('z', f'z_{l}')}", c["H"][l], f"h{l}"))
    if net.output == "softmax":
        steps.append(Step("loss", 0, "Softmax turns the last layer into probabilities; the "
                          "loss is the mean of -log p of the true class",
                          r"L = \frac{1}{n}\sum_i -\log p_{i, y_i} = %.4f" % bp.loss, bp.out, "P"))
        first = r"\delta_{%d} = \tfrac{1}{n}(p - \mathrm{onehot}(y))" % L
    else:
        steps.append(Step("loss", 0, "The reconstruction against the input: squared error",
                          r"L = \frac{1}{n}\sum_i \lVert x_i - \hat x_i\rVert^2 = %.4f" % bp.loss,
                          bp.out, "Xhat"))
        first = r"\delta_{%d} = \tfrac{2}{n}(\hat x - x) \odot 1(z_{%d} > 0)" % (L, L)
    steps.append(Step("backward", L, "The output layer's delta starts the chain", first,
                      bp.deltas[L - 1], f"delta{L}"))
    for l in range(L, 0, -1):
        src = "x" if l == 1 else f"h_{l - 1}"
        steps.append(Step("gradient", l, f"Layer {l}'s weight gradient: its delta times the "
                          "activation that fed it, summed over the batch",
                          rf"\partial L/\partial W_{l} = \delta_{l}^\top {src}",
                          bp.grads[f"W{l}"], f"dW{l}"))
        if l > 1:
            slope = act.tex_slope.replace("z", f"z_{l - 1}").replace("h", f"h_{l - 1}")
            steps.append(Step("backward", l - 1, f"The delta goes back through W{l} and is cut "
                              f"by layer {l - 1}'s slope (0 where a ReLU is off)",
                              rf"\delta_{l - 1} = (\delta_{l} W_{l}) \odot {slope}",
                              bp.deltas[l - 2], f"delta{l - 1}"))
    if lr is not None:
        for l in range(1, L + 1):
            W = net.params[f"W{l}"]
            steps.append(Step("update", l, f"Layer {l}'s weights take a plain SGD step against "
                              f"their gradient (learning rate {lr:g})",
                              rf"W_{l} \leftarrow W_{l} - {lr:g}\, \partial L/\partial W_{l}",
                              W - lr * bp.grads[f"W{l}"], f"W{l}"))
    return steps
