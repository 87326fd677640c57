"""Backprop Explorer's core: a NumPy multilayer perceptron, its training, and the
tools to look inside it. No Streamlit, no Plotly, no autograd.

    explorer.nn      the backprop: network, losses, optimizers, trainer
    explorer.data    2-D generators, the digits, CSV points
    explorer.lens    diagnostics, the gradient check, the common mistakes, the
                     instruments (loss landscape, LR finder, exact linear regions, ...)
    explorer.app     the Streamlit app (the only part that imports streamlit)

>>> from explorer import MLP
>>> net = MLP([2, 16, 16, 3], output="softmax", seed=0)
>>> loss, grads = net.loss_and_grads(X, y)     # doctest: +SKIP
"""
from .data import load_digits_data, make_dataset
from .lens.regions import count_regions
from .nn import (MLP, SGD, Adam, Trainer, log_softmax, make_optimizer, softmax,
                 softmax_cross_entropy, squared_error)

__all__ = ["MLP", "Trainer", "SGD", "Adam", "make_optimizer", "softmax", "log_softmax",
           "softmax_cross_entropy", "squared_error", "make_dataset", "load_digits_data",
           "count_regions"]
