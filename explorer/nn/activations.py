"""Hidden-layer activations, in one registry. Each sits next to its derivative, as
in micrograd: forward ``h = f(z)``, backward ``delta = (W^T delta_next) ⊙ f'(z)``.

ReLU is the explorer's own (the math doc's); the others let a class compare:
leaky ReLU keeps a small slope where ReLU is flat (so units cannot die), tanh and
sigmoid saturate (so deep stacks of them pass back vanishing gradients), and a
linear "activation" makes the whole network one linear map.

``slope(z, h)`` returns ``f'(z)`` elementwise, computed from whichever of ``z`` and
``h`` is cheaper. For ReLU it is the boolean mask ``1(z > 0)`` itself: multiplying
by a boolean array is the fastest form of the mask, and the cache keeps it as the
layer's on/off pattern too.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np

LEAK = 0.01          # leaky ReLU's slope for z <= 0


@dataclass(frozen=True)
class Activation:
    """One entry of the registry.

    Attributes
    ----------
    name, label : str
        Its name in a link and what a person reads.
    f : callable
        ``f(z) -> h``, a new array (the cache keeps both).
    slope : callable
        ``slope(z, h) -> f'(z)``, elementwise (bool for ReLU).
    gated : bool
        Units are "on" or "off" (ReLU-like: the on/off pattern and dead units
        mean something); else units have levels.
    init : str
        The initialisation made for it ("he" for ReLU-like, "xavier" otherwise).
    tex, tex_slope : str
        ``f(z)`` and ``f'(z)`` in LaTeX (``h`` is the activation), for the math page.
    """
    name: str
    label: str
    f: Callable
    slope: Callable
    gated: bool
    init: str
    tex: str
    tex_slope: str


def relu(z):
    """``max(z, 0)`` elementwise: a new array, ``z`` is kept (the cache holds both).

    Written as the maximum with an array of zeros: NumPy's path for the maximum
    with the scalar 0 is 2-3x slower on this kind of array.
    """
    return np.maximum(z, np.zeros(z.shape, z.dtype))


def _leaky(z):
    return np.where(z > 0, z, z * z.dtype.type(LEAK))


def _leaky_slope(z, h):
    return np.where(z > 0, z.dtype.type(1), z.dtype.type(LEAK))


def _sigmoid(z):
    # 1 / (1 + e^-z) for z >= 0 and e^z / (1 + e^z) below: neither exp overflows
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype, copy=False)


ACTIVATIONS = {a.name: a for a in [
    Activation("relu", "ReLU", relu, lambda z, h: z > 0, True, "he",
               r"\max(0, z)", r"1(z > 0)"),
    Activation("leaky_relu", "leaky ReLU", _leaky, _leaky_slope, True, "he",
               r"\max(%g z, z)" % LEAK, r"1(z > 0) + %g \cdot 1(z \le 0)" % LEAK),
    Activation("tanh", "tanh", np.tanh, lambda z, h: 1 - h * h, False, "xavier",
               r"\tanh z", r"1 - h^2"),
    Activation("sigmoid", "sigmoid", _sigmoid, lambda z, h: h * (1 - h), False, "xavier",
               r"\sigma(z) = \frac{1}{1 + e^{-z}}", r"h\,(1 - h)"),
    Activation("linear", "linear (none)", lambda z: z.copy(), lambda z, h: np.ones_like(z),
               False, "xavier", r"z", r"1"),
]}
