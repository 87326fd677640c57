"""Optimizers: plain SGD, SGD with momentum, Adam. Each owns its state (velocity,
moments) and updates a parameter dict in place from a gradient dict of the same
layout. ``step`` returns the update it applied, so the trainer can report the
update-to-weight ratio of each layer.
"""
import numpy as np

OPTIMIZERS = ("sgd", "momentum", "adam")


class SGD:
    """``theta <- theta - lr * g``, or with momentum ``v <- mu v - lr g; theta <- theta + v``."""

    def __init__(self, lr=0.1, momentum=0.0):
        self.lr, self.momentum = float(lr), float(momentum)
        self.v = {}

    def step(self, params, grads):
        """Update ``params`` in place; returns ``{name: update}``."""
        updates = {}
        for k, g in grads.items():
            if self.momentum:
                v = self.v.get(k)
                v = -self.lr * g if v is None else self.momentum * v - self.lr * g
                self.v[k] = v
                u = v
            else:
                u = -self.lr * g
            params[k] += u
            updates[k] = u
        return updates


class Adam:
    """Adam (Kingma & Ba): bias-corrected first and second moments of the gradient."""

    def __init__(self, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = float(lr), beta1, beta2, eps
        self.m, self.v, self.t = {}, {}, 0

    def step(self, params, grads):
        """Update ``params`` in place; returns ``{name: update}``."""
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        # fold both bias corrections into one step size (as in the paper, sec. 2)
        lr_t = self.lr * np.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        updates = {}
        for k, g in grads.items():
            if k not in self.m:
                self.m[k] = np.zeros_like(g)
                self.v[k] = np.zeros_like(g)
            m, v = self.m[k], self.v[k]
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            u = -lr_t * m / (np.sqrt(v) + self.eps)
            params[k] += u
            updates[k] = u
        return updates


def make_optimizer(name, lr, momentum=0.9):
    """``"sgd"``, ``"momentum"`` or ``"adam"`` with learning rate ``lr``."""
    if name == "sgd":
        return SGD(lr)
    if name == "momentum":
        return SGD(lr, momentum=momentum)
    if name == "adam":
        return Adam(lr)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}; got {name!r}")
