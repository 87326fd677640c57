"""Optimizers: plain SGD, SGD with momentum, Adam. Each owns its state (velocity,
moments) and updates a parameter dict in place from a gradient dict of the same
layout. ``step`` returns the update it applied, so the trainer can report the
update-to-weight ratio of each layer.

The state lives in flat vectors over all parameters, in the order of the gradient
dict, so the update rule is a handful of whole-vector operations per step rather
than a handful per parameter array: for a small network the cost of a step is the
number of NumPy calls, not the arithmetic.
"""
import copy
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np


class _Optimizer:
    """What SGD and Adam share: flat state vectors and per-parameter views of them."""

    def _layout(self, grads):
        """Make the flat buffers for ``grads``' layout on the first step (or if it
        changed, which starts the optimizer afresh); True if it did."""
        keys, size = tuple(grads), sum(g.size for g in grads.values())
        if self._u is not None and keys == self._keys and size == self._u.size:
            return False
        self._keys = keys
        dtype = np.result_type(*grads.values())
        self._g = np.empty(size, dtype)             # the gradients, flattened
        self._u = np.zeros(size, dtype)             # the update (momentum: the velocity)
        self._view({k: g.shape for k, g in grads.items()})
        return True

    def _view(self, shapes):
        """``self._views``: one array per parameter, each a view of ``self._u``."""
        self._shapes, self._views, i = shapes, {}, 0
        for k, shape in shapes.items():
            n = math.prod(shape)
            self._views[k] = self._u[i:i + n].reshape(shape)
            i += n

    def __deepcopy__(self, memo):
        """A copy with its own vectors, and views of its own update vector (a plain
        deep copy would cut the views loose from it). The live loop takes one a frame:
        it is kept to the vectors (the gradient buffer is scratch, made anew)."""
        new = object.__new__(type(self))
        d = new.__dict__
        d.update(self.__dict__)
        for k, v in d.items():
            if isinstance(v, np.ndarray):
                d[k] = np.empty_like(v) if k == "_g" else v.copy()
        if self._u is not None:
            new._view(self._shapes)
        return new

    def _flat(self, grads):
        """All gradients as one vector (a buffer of ours), in dict order."""
        return np.concatenate([g.ravel() for g in grads.values()], out=self._g)

    def _apply(self, params):
        """``params += u`` for every array; returns ``{name: update}``.

        The updates are views of the optimizer's buffer: valid until the next step.
        """
        for k, u in self._views.items():
            params[k] += u
        return self._views


class SGD(_Optimizer):
    """``theta <- theta - lr * g``, or with momentum ``v <- mu v - lr g; theta <- theta + v``."""

    def __init__(self, lr=0.1, momentum=0.0):
        self.lr, self.momentum = float(lr), float(momentum)
        self._u = None

    def kind(self):
        """Everything but the learning rate that decides a step: runs whose optimizers
        share it can step together (:mod:`explorer.nn.stack`)."""
        return ("sgd", self.momentum)

    def step(self, params, grads):
        """Update ``params`` in place from ``grads`` (same layout); returns ``{name: update}``."""
        self._layout(grads)
        g, v = self._flat(grads), self._u
        g *= -self.lr                       # -lr g
        if self.momentum:
            v *= self.momentum
            v += g                          # v <- mu v - lr g, and the update is v
        else:
            v[:] = g
        return self._apply(params)


class Adam(_Optimizer):
    """Adam (Kingma & Ba): bias-corrected first and second moments of the gradient."""

    def __init__(self, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = float(lr), beta1, beta2, eps
        self.m, self.v, self.t = None, None, 0
        self._u = None

    def kind(self):
        """As :meth:`SGD.kind`."""
        return ("adam", self.beta1, self.beta2, self.eps)

    def _layout(self, grads):
        """As the base class's; new buffers start the moments afresh."""
        if not super()._layout(grads):
            return False
        self.m, self.v, self.t = np.zeros_like(self._u), np.zeros_like(self._u), 0
        return True

    def step(self, params, grads):
        """Update ``params`` in place from ``grads`` (same layout); returns ``{name: update}``."""
        self._layout(grads)
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        # fold both bias corrections into one step size (as in the paper, sec. 2)
        lr_t = self.lr * math.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        g, m, v, u = self._flat(grads), self.m, self.v, self._u
        m *= b1
        m += (1 - b1) * g                   # m <- b1 m + (1 - b1) g
        g *= g
        v *= b2
        v += (1 - b2) * g                   # v <- b2 v + (1 - b2) g^2
        np.sqrt(v, out=u)
        u += self.eps
        np.divide(m, u, out=u)
        u *= -lr_t                          # u = -lr_t m / (sqrt(v) + eps)
        return self._apply(params)


@dataclass(frozen=True)
class OptimizerKind:
    """One entry of the optimizer registry: its name in a link, its label, its maker, and
    whether it is adaptive: each step divided by the gradient's own recent size, so a
    step is about the learning rate whatever the gradient's scale (clipping then does
    not shorten it; the divergence advice says so)."""
    name: str
    label: str
    make: Callable            # make(lr) -> optimizer with .lr and .step(params, grads)
    adaptive: bool = False


# the registry: links, settings files and widgets take their choices from it
OPTIMIZERS = {k.name: k for k in [
    OptimizerKind("sgd", "SGD", lambda lr: SGD(lr)),
    OptimizerKind("momentum", "SGD + momentum", lambda lr: SGD(lr, momentum=0.9)),
    OptimizerKind("adam", "Adam", lambda lr: Adam(lr), adaptive=True),
]}


def make_optimizer(name, lr):
    """The optimizer registered as ``name`` (see :data:`OPTIMIZERS`) with learning rate ``lr``."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {tuple(OPTIMIZERS)}; got {name!r}")
    return OPTIMIZERS[name].make(lr)
