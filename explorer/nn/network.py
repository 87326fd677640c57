"""The multilayer perceptron that both of the explorer's networks are.

``MLP([2, 16, 16, 3], output="softmax")`` is the classifier: ReLU hidden layers,
softmax output, mean cross-entropy. ``MLP([64, 32, 64], output="relu")`` is the
autoencoder: ReLU hidden layers, ReLU output, squared error summed over features
and averaged over samples. The backward pass is the batch form of
``shared/design/backprop-math.md``; read the two side by side.

Conventions: a weight matrix maps ``in -> out`` so ``W`` has shape ``(out, in)``;
a batch ``X`` has samples in rows, so a layer is ``Z = X @ W.T + b``. The code
writes each matrix product as ``np.dot(A, B)``, the same ``A @ B`` with less
overhead per call: on the small arrays of a mini-batch that overhead is a tenth of
the time of a step.

The hidden layers are ReLU unless another activation of
:mod:`explorer.nn.activations` is asked for (leaky ReLU, tanh, sigmoid, linear):
the backward pass is the same with ``f'(z)`` in place of ``1(z > 0)``.

Left out on purpose: dropout, batch norm, autograd. The point is a network small
enough to read in one sitting.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .activations import ACTIVATIONS
from .losses import LOSSES, softmax


@dataclass(frozen=True)
class Init:
    """One entry of the initialisation registry: the variance of a layer's weights."""
    name: str
    label: str
    variance: Callable        # variance(fan_in, fan_out) -> float


# the registry: links, settings files and widgets take their choices from it
INITS = {i.name: i for i in [
    Init("he", "He (for ReLU)", lambda fan_in, fan_out: 2.0 / fan_in),
    Init("xavier", "Xavier", lambda fan_in, fan_out: 2.0 / (fan_in + fan_out)),
]}
OUTPUTS = tuple(LOSSES)


class MLP:
    """A fully connected network (ReLU hidden layers by default) with a softmax or
    ReLU output.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths ``[D, H1, ..., K]``; at least one hidden layer.
    output : {"softmax", "relu"}
        ``"softmax"``: classifier with mean cross-entropy against int labels.
        ``"relu"``: ReLU output with squared error against target vectors.
    seed : int or numpy.random.Generator
        Source of the initial weights; same seed, same weights.
    init : {"he", "xavier"}
        He (normal, std ``sqrt(2/fan_in)``, made for ReLU) or Xavier/Glorot
        (normal, std ``sqrt(2/(fan_in+fan_out))``). Biases start at zero. A
        softmax output layer is scaled by 0.1 so that the untrained network is
        unsure of every class: its loss starts near ``ln K``.
    dtype : numpy dtype
        float64 (default, used by the gradient check) or float32 (half the
        arithmetic and memory, used for live training in the app).
    activation : str
        The hidden layers' activation, a name of
        :data:`explorer.nn.activations.ACTIVATIONS`: "relu" (default),
        "leaky_relu", "tanh", "sigmoid" or "linear". A ReLU output stays ReLU.

    Attributes
    ----------
    params : dict of str to ndarray
        ``"W1"`` of shape (H1, D), ``"b1"`` of shape (H1,), ..., ``"WL"`` of
        shape (K, H_{L-1}). Read at every call, so editing an array in place
        takes effect.
    """

    def __init__(self, sizes, output="softmax", seed=0, init="he", dtype=np.float64,
                 activation="relu"):
        sizes = [int(s) for s in sizes]
        if len(sizes) < 3:
            raise ValueError("sizes needs an input, at least one hidden layer and an output, "
                             f"e.g. [2, 16, 16, 3]; got {sizes}")
        if min(sizes) < 1:
            raise ValueError(f"every layer needs at least one unit; got {sizes}")
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}; got {output!r}")
        if init not in INITS:
            raise ValueError(f"init must be one of {tuple(INITS)}; got {init!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {tuple(ACTIVATIONS)}; got {activation!r}")
        self.activation = activation
        self.sizes = sizes
        self.output = output
        self.init = init
        self.dtype = np.dtype(dtype)
        self.params = init_params(sizes, init, np.random.default_rng(seed), self.dtype)
        if output == "softmax":
            self.params[f"W{self.n_layers}"] *= 0.1

    # --- structure -------------------------------------------------------
    @property
    def n_layers(self):
        """Number of weight layers L (hidden layers + 1)."""
        return len(self.sizes) - 1

    def param_shapes(self):
        """``{name: shape}`` of every parameter array."""
        return {k: v.shape for k, v in self.params.items()}

    def set_params(self, params):
        """Replace all parameters by copies of ``params`` (same names and shapes)."""
        shapes = self.param_shapes()
        if set(params) != set(shapes):
            raise ValueError(f"expected parameters {sorted(shapes)}, got {sorted(params)}")
        for k, shape in shapes.items():
            if tuple(np.shape(params[k])) != shape:
                raise ValueError(f"{k} has shape {np.shape(params[k])}, this network needs {shape}")
        self.params = {k: np.array(params[k], dtype=self.dtype) for k in shapes}

    def astype(self, dtype):
        """A copy computing in ``dtype``: the parameters cast, the same architecture.

        The gradient check and the math page look at the app's float32 network in
        float64 this way.
        """
        other = object.__new__(MLP)
        other.__dict__.update(self.__dict__)
        other.dtype = np.dtype(dtype)
        other.params = {k: v.astype(other.dtype) for k, v in self.params.items()}  # copies
        return other

    def copy(self):
        """A deep copy: same architecture, copied parameters."""
        return self.astype(self.dtype)

    # --- forward ---------------------------------------------------------
    def forward(self, X):
        """Run the network on a batch.

        Parameters
        ----------
        X : ndarray of shape (n, D)

        Returns
        -------
        out : ndarray of shape (n, K)
            Class probabilities (softmax) or the reconstruction (relu).
        cache : dict
            ``"H"``: list ``[X, h1, ..., h_{L-1}]`` (inputs of each weight layer);
            ``"Z"``: list ``[z1, ..., zL]`` of pre-activations, each (n, width);
            ``"slopes"``: list ``[s1, ..., sL]`` aligned with ``"Z"``: each layer's
            ``f'(z_l)``, what backprop multiplies the delta by (for ReLU, the
            boolean mask ``1(z_l > 0)``); ``None`` for a softmax output;
            ``"masks"``: list aligned with ``"Z"``: each layer's on/off pattern
            ``1(z_l > 0)`` where units switch (ReLU, leaky ReLU, a ReLU output),
            else ``None``.
        """
        X = np.asarray(X, dtype=self.dtype)
        p, L = self.params, self.n_layers
        act, relu_ = ACTIVATIONS[self.activation], ACTIVATIONS["relu"]
        H, Z, slopes, masks = [X], [], [], []
        h = X
        for l in range(1, L + 1):
            z = np.dot(h, p[f"W{l}"].T)
            z += p[f"b{l}"]                    # z_l = W_l h_{l-1} + b_l, for every row
            Z.append(z)
            if l == L and self.output == "softmax":
                slopes.append(None)
                masks.append(None)
                break
            f = act if l < L else relu_        # the autoencoder's output is ReLU
            h = f.f(z)
            slopes.append(f.slope(z, h))
            masks.append(slopes[-1] if f is relu_ else z > 0 if f.gated else None)
            if l < L:
                H.append(h)
        out = softmax(z) if self.output == "softmax" else h
        return out, {"H": H, "Z": Z, "slopes": slopes, "masks": masks, "out": out}

    # --- backward --------------------------------------------------------
    def output_delta(self, cache, y):
        """Loss and delta of the output layer, ``dL/dz_L`` (n, K), for targets ``y``."""
        y = np.asarray(y) if self.output == "softmax" else np.asarray(y, dtype=self.dtype)
        return LOSSES[self.output](cache["Z"][-1], y, cache["out"])

    def backward(self, cache, D):
        """Backpropagate the output delta through the layers.

        Parameters
        ----------
        cache : dict
            From :meth:`forward`.
        D : ndarray of shape (n, K)
            ``dL/dz_L``, the output layer's delta (already divided by n).

        Returns
        -------
        grads : dict
            Same keys and shapes as ``params``: ``dW_l = D_l^T H_{l-1}`` and
            ``db_l = sum over rows of D_l``.
        deltas : list of ndarray
            ``[D_1, ..., D_L]``, each (n, width): ``dL/dz`` per layer and sample.
        """
        p, H, slopes, L = self.params, cache["H"], cache["slopes"], self.n_layers
        grads, deltas = dict.fromkeys(p), [None] * L
        ones = np.ones(D.shape[0], dtype=D.dtype)      # for col_sum's trick, made once
        for l in range(L, 0, -1):
            deltas[l - 1] = D
            grads[f"W{l}"] = np.dot(D.T, H[l - 1])
            grads[f"b{l}"] = np.dot(ones, D)           # col_sum(D): the bias gradient
            if l > 1:
                # delta_{l-1} = (W_l^T delta_l) ⊙ f'(z_{l-1}), for every row at once
                # (for ReLU f'(z) is the mask 1(z > 0))
                D = np.dot(D, p[f"W{l}"])
                D *= slopes[l - 2]
        return grads, deltas

    def loss_and_grads(self, X, y):
        """Mean loss and its gradient with respect to every parameter.

        Parameters
        ----------
        X : ndarray of shape (n, D)
        y : ndarray of shape (n,) of int (softmax) or (n, K) of float (relu)

        Returns
        -------
        loss : float
        grads : dict of str to ndarray, same keys and shapes as ``params``
        """
        _, cache = self.forward(X)
        loss, D = self.output_delta(cache, y)
        grads, _ = self.backward(cache, D)
        return loss, grads

    def loss(self, X, y):
        """Mean loss only (no gradient)."""
        _, cache = self.forward(X)
        return self.output_delta(cache, y)[0]

    def predict(self, X):
        """Class labels (softmax) or reconstructions (relu) for ``X`` (n, D)."""
        out, _ = self.forward(X)
        return out.argmax(axis=1) if self.output == "softmax" else out


def col_sum(D):
    """Column sums ``D.sum(axis=0)`` of ``D`` (n, m), as ``ones @ D``: the same numbers,
    but NumPy's reduction down the rows of a tall, thin array is ~10x slower than
    this matrix-vector product."""
    return np.dot(np.ones(D.shape[0], dtype=D.dtype), D)


def init_params(sizes, init, rng, dtype=np.float64):
    """Initial parameters for layer widths ``sizes``: He or Xavier normal, zero bias."""
    params = {}
    for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        var = INITS[init].variance(fan_in, fan_out)
        params[f"W{l}"] = (rng.standard_normal((fan_out, fan_in)) * np.sqrt(var)).astype(dtype)
        params[f"b{l}"] = np.zeros(fan_out, dtype=dtype)
    return params
