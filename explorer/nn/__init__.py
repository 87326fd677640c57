"""The backprop itself: the network (forward with its cache, backward), the losses,
the optimizers and the trainer. Pure NumPy."""
from .losses import log_softmax, softmax, softmax_cross_entropy, squared_error
from .network import MLP
from .optim import SGD, Adam, make_optimizer
from .train import Trainer

__all__ = ["MLP", "Trainer", "SGD", "Adam", "make_optimizer", "softmax", "log_softmax",
           "softmax_cross_entropy", "squared_error"]
