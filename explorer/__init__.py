"""Backprop Explorer's core: a NumPy multilayer perceptron, its training, and the
tools to look inside it. No Streamlit, no Plotly, no autograd.

>>> from explorer import MLP
>>> net = MLP([2, 16, 16, 3], output="softmax", seed=0)
>>> loss, grads = net.loss_and_grads(X, y)     # doctest: +SKIP
"""
from .network import MLP
from .train import Trainer
from .optim import SGD, Adam, make_optimizer
from .losses import softmax, log_softmax, softmax_cross_entropy, squared_error

__all__ = ["MLP", "Trainer", "SGD", "Adam", "make_optimizer", "softmax", "log_softmax",
           "softmax_cross_entropy", "squared_error"]
