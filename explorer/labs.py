"""One person's experiment on each page, as plain objects: the data, the network,
its trainer, and the arrays each chart needs. Pages keep one of these in their
session state and hand its arrays to :mod:`explorer.app.figures`; nothing here knows
about Streamlit, so all of it is tested without a browser.
"""
import dataclasses
from dataclasses import dataclass

import numpy as np

from . import limits
from .data import Dataset, make_dataset, make_dataset_from_points, parse_points_csv
from .data.features import FEATURES, feature_matrix
from .params import FEATURE_KEYS
from .lens.diagnostics import (codes, dead_output_pixels, dead_units,
                          firing_by_class, grid_eval, interpolate_codes, pca_fit,
                          pca_project, pca_reconstruction_error, plane_grid)
from .nn.network import MLP
from .nn.train import Trainer

@dataclass(frozen=True)
class OwnPoints:
    """A person's own labelled points (an uploaded CSV) and the dataset made of them.

    Read once from the file and split at the page's test share and seed; the page
    trains on that dataset, and splits the points again only for another split.
    """
    X: np.ndarray
    y: np.ndarray
    names: tuple
    ds: Dataset
    split: tuple          # (test share, seed) ``ds`` was made with

    @classmethod
    def read(cls, data, test, seed):
        """Parse a CSV file's bytes and split them; ValueError says why they cannot be used."""
        X, y, names = parse_points_csv(data)
        return cls(X, y, tuple(names), make_dataset_from_points(X, y, test, seed), (test, seed))

    def dataset(self, test, seed):
        """The dataset at test share ``test`` and ``seed`` (the one made at upload if it
        is that split); ValueError if a class would be left without points."""
        if (test, seed) == self.split:
            return self.ds
        return make_dataset_from_points(self.X, self.y, test, seed)


DATA_KEYS = ("data", "n", "noise", "classes", "test", "seed")
NET_KEYS = ("layers", "h1", "h2", "h3", "h4", "init", "act") + FEATURE_KEYS
DTYPE = np.float32          # live training; the gradient check always runs in float64


def dataset_for(s):
    """The generated dataset of :class:`~explorer.params.ClassifierSettings` ``s`` (not
    for "csv")."""
    return make_dataset(s.data, s.n, s.noise, s.classes, s.test, s.seed)


def blew_up_before(lab, values):
    """True if ``lab``'s training diverged and ``values`` change a setting.

    A diverged network holds inf or NaN (or weights no step can bring back), so new
    settings, a smaller learning rate above all, could never show what they do from
    there: they start afresh from the seed instead, as the lessons' checks measure them.
    """
    return lab.trainer.diverged is not None and values != lab.values


class ClassifierLab:
    """The classifier page's state: a dataset, a network and its trainer.

    Parameters
    ----------
    ds : Dataset
        Standardised 2-D points.
    values : ClassifierSettings
    class_names : list of str, optional
        Labels for legends (an uploaded CSV's own labels).
    """

    def __init__(self, ds, values, class_names=None):
        self.ds = ds
        self.values = values
        self.class_names = class_names or [f"class {k}" for k in range(ds.n_classes)]
        self.edits = 0            # points added or removed by hand (charts depend on it)
        self.reset()

    def reset(self):
        v = self.values
        self.features = v.features
        self.net = MLP([len(self.features), *v.hidden_sizes, self.ds.n_classes],
                       output="softmax", seed=v.seed, init=v.init, dtype=DTYPE,
                       activation=v.act)
        self.restart()

    def restart(self):
        """A new history from the network's current weights (e.g. just loaded ones)."""
        v, ds = self.values, self.ds
        self.trainer = Trainer(self.net, self.inputs(ds.X_train), ds.y_train,
                               self.inputs(ds.X_test), ds.y_test, optimizer=v.opt,
                               lr=v.lr, batch_size=v.bs, l1=v.l1, l2=v.l2,
                               clip=v.clip or None, seed=v.seed, snapshot_every=1,
                               max_snapshots=120)
        self.extent = np.vstack([ds.X_train, ds.X_test])   # all points: the plane shown

    # --- points a person adds or removes on the plane -------------------------
    MAX_EDIT_POINTS = limits.MAX_POINTS

    def add_point(self, x1, x2, label):
        """Add a training point at (x1, x2) (the plane's coordinates) of class ``label``.

        Training goes on with it from the next step; the weights are kept.
        """
        ds = self.ds
        if not 0 <= int(label) < ds.n_classes:
            raise ValueError(f"class must be 0 to {ds.n_classes - 1}; got {label}")
        if not (np.isfinite(x1) and np.isfinite(x2)):
            raise ValueError("a point needs finite coordinates")
        if len(ds.y_train) >= self.MAX_EDIT_POINTS:
            raise ValueError(f"at most {self.MAX_EDIT_POINTS} training points")
        self._set_train(np.vstack([ds.X_train, [[x1, x2]]]), np.append(ds.y_train, int(label)))

    def remove_point(self, i):
        """Remove training point ``i`` (a row of ``ds.X_train``); every class keeps one."""
        ds = self.ds
        i = int(i)
        if not 0 <= i < len(ds.y_train):
            raise ValueError(f"no training point {i}")
        if np.count_nonzero(ds.y_train == ds.y_train[i]) <= 1:
            raise ValueError("that is the last training point of its class")
        keep = np.arange(len(ds.y_train)) != i
        self._set_train(ds.X_train[keep], ds.y_train[keep])

    def _set_train(self, X, y):
        X, y = np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(y)
        X.flags.writeable = y.flags.writeable = False
        self.ds = dataclasses.replace(self.ds, X_train=X, y_train=y)
        self.trainer.set_data(self.inputs(X), y)
        self.edits += 1

    def inputs(self, X):
        """What the network is fed for 2-D points ``X`` (n, 2): its input features."""
        return feature_matrix(X, self.features)

    @property
    def input_names(self):
        """The names of the network's inputs, in order (``x₁``, ``x₂``, ``sin x₁``, ...)."""
        return [FEATURES[f].label for f in self.features]

    def needs_rebuild(self, values):
        """True if ``values`` change the data or the network (a new lab is needed), or
        change anything after training diverged (see :func:`blew_up_before`)."""
        return self.values.differs(values, DATA_KEYS + NET_KEYS) or blew_up_before(self, values)

    def apply(self, values):
        """Take new training settings between epochs, keeping the weights."""
        self.values = values
        self.trainer.set_hyperparameters(optimizer=values.opt, lr=values.lr,
                                         batch_size=values.bs, l1=values.l1,
                                         l2=values.l2, clip=values.clip)

    # --- what the charts need ---------------------------------------------
    @property
    def epoch(self):
        return self.trainer.epoch

    def params_at(self, epoch=None):
        """The parameters now, or of the last snapshot at or before ``epoch``."""
        if epoch is None or epoch >= self.trainer.epoch:
            return self.net.params
        snaps = self.trainer.snapshots
        i = max(0, np.searchsorted([e for e, _ in snaps], epoch, side="right") - 1)
        return snaps[i][1]

    def snapshot_epochs(self):
        """Epochs that playback can show: the saved snapshots and the network now."""
        epochs = [e for e, _ in self.trainer.snapshots]
        return epochs if epochs and epochs[-1] == self.epoch else epochs + [self.epoch]

    def _net_with(self, params):
        if params is self.net.params:
            return self.net
        net = self.net.copy()
        net.params = params
        return net

    def grid(self, res=100, epoch=None, units=1, acts=True):
        """``xs, ys, probs, acts, masks`` over the plane for the network at ``epoch``
        (the units' arrays on every ``units``-th point, or None: see
        :func:`~explorer.lens.diagnostics.grid_eval`)."""
        res = int(min(max(res, 10), limits.MAX_GRID))
        xs, ys, P = plane_grid(self.extent, res)
        probs, A, M = grid_eval(self._net_with(self.params_at(epoch)), xs, ys,
                                self.inputs(P), units=units, acts=acts)
        return xs, ys, probs, A, M

    def confusion(self, epoch=None):
        """Confusion matrix on the test set, (K, K): true class in rows."""
        K = self.ds.n_classes
        pred = self._net_with(self.params_at(epoch)).predict(self.trainer.X_test)
        cm = np.zeros((K, K), int)
        np.add.at(cm, (self.ds.y_test, pred), 1)
        return cm

    def history(self):
        return self.trainer.history_arrays()

    def dead_layers(self, threshold=0.5):
        """Hidden layers (1-based) with at least ``threshold`` of their units dead now."""
        last = self.trainer.history["dead_frac"][-1]
        return [(l + 1, f) for l, f in enumerate(last) if f >= threshold]

    def dead_warning(self, threshold=0.5, accuracy=0.9, min_epochs=20):
        """A warning about dead units when they hurt, or None.

        They hurt when a layer has lost at least ``threshold`` of its units and,
        after ``min_epochs`` epochs, the training accuracy is still below
        ``accuracy`` (a network at 100% with half its units dead needs no
        warning). The suggestions are only changes not already made.

        Returns
        -------
        (message, suggestions) or None
            ``suggestions`` are settings to change, e.g. ``{"act": "leaky_relu"}``.
        """
        dead, h = self.dead_layers(threshold), self.trainer.history
        if not dead or self.epoch < min_epochs or h["train_acc"][-1] >= accuracy:
            return None
        v = self.values
        # (a new seed is not offered: on spirals with Adam at 0.1 it kills as many units)
        options = []
        if v.act == "relu":
            options.append(("leaky ReLU, whose units cannot die", {"act": "leaky_relu"}))
        if v.lr > 0.001:             # a dead unit stays dead at any rate: start afresh
            options.append((f"a smaller learning rate ({v.lr / 10:g}) from fresh weights "
                            "(then press Reset)", {"lr": v.lr / 10}))
        if v.init != "he" and v.act in ("relu", "leaky_relu"):
            options.append(("He initialisation", {"init": "he"}))
        where = "; ".join(f"hidden layer {l} has {f:.0%} dead units" for l, f in dead)
        message = (f"{where}, and training accuracy is {h['train_acc'][-1]:.0%}: those units "
                   "pass no gradient back, so they cannot help."
                   + (" Try " + ", or ".join(text for text, _ in options) + "." if options else ""))
        return message, [change for _, change in options]


class AutoencoderLab:
    """The autoencoder page's state: digits, the 64-H-64 network and its trainer."""

    SHOW = 10  # test digits in the reconstruction grid: one of each, 70 px tall at 1024 px
    DECODER_SCALE = 0.1  # the decoder's He weights times this at the start

    def __init__(self, ds, values):
        self.ds = ds
        self.values = values           # AutoencoderSettings
        # the first test image of each digit, then the next ones, for the grid
        firsts = [int(np.flatnonzero(ds.y_test == d)[0]) for d in range(10) if (ds.y_test == d).any()]
        rest = [i for i in range(len(ds.y_test)) if i not in firsts]
        self.show_idx = np.array((firsts + rest)[:self.SHOW])
        self._pca = {}
        self.reset()

    def reset(self):
        v = self.values
        self.net = MLP([64, v.hidden, 64], output="relu", seed=v.seed, dtype=DTYPE,
                       activation=v.act)
        self.start_at_mean_digit(self.net, self.ds.X_train)
        self.restart()

    def restart(self):
        """A new history from the network's current weights (e.g. just loaded ones)."""
        v = self.values
        self.trainer = Trainer(self.net, self.ds.X_train, self.ds.X_train, self.ds.X_test,
                               self.ds.X_test, optimizer=v.opt, lr=v.lr, batch_size=v.bs,
                               l1=v.l1, l2=v.l2, seed=v.seed, input_noise=v.noise,
                               snapshot_every=1, max_snapshots=60)

    @classmethod
    def start_at_mean_digit(cls, net, X_train):
        """The untrained network draws the mean training digit: every inked pixel starts alive.

        The output biases are set to the mean training image and the decoder's
        weights are scaled down (by ``DECODER_SCALE``), so the output starts near
        ``ReLU(mean digit)`` whatever the code says. With He weights and zero
        biases the output instead starts as loud noise (loss ~18 against ~4.7 for
        the mean digit); the first large steps push many pre-activations below 0
        for good, killing ~20 output pixels (inked ones too) and half of the code.
        Pixels that are blank in (almost) every image still die, harmlessly: 0 is
        the right answer for them.
        """
        L = net.n_layers
        net.params[f"W{L}"] *= cls.DECODER_SCALE
        net.params[f"b{L}"][:] = np.asarray(X_train, dtype=np.float64).mean(axis=0)
        return net

    def needs_rebuild(self, values):
        """True if ``values`` change the network (a new lab is needed), or change anything
        after training diverged (see :func:`blew_up_before`)."""
        return (self.values.differs(values, ("hidden", "seed", "act"))
                or blew_up_before(self, values))

    def apply(self, values):
        """Take new training settings between epochs, keeping the weights."""
        self.values = values
        self.trainer.set_hyperparameters(optimizer=values.opt, lr=values.lr,
                                         batch_size=values.bs, l1=values.l1,
                                         l2=values.l2, input_noise=values.noise)

    @property
    def epoch(self):
        return self.trainer.epoch

    def pca_error(self):
        """Test error of PCA with as many components as the code has units."""
        k = self.values.hidden
        if k not in self._pca:
            self._pca[k] = pca_reconstruction_error(self.ds.X_train, self.ds.X_test, min(k, 64))
        return self._pca[k]

    def history(self):
        return self.trainer.history_arrays()

    def grid_digits(self):
        """``(X, Xhat, labels)`` of the digits shown in the reconstruction grid."""
        X = self.ds.X_test[self.show_idx]
        return X, self.net.predict(X), self.ds.y_test[self.show_idx]

    def firing(self):
        """``(firing (10, H), dead (H,))``: how often each code unit fires per digit."""
        return (firing_by_class(self.net, self.ds.X_test, self.ds.y_test, 10),
                dead_units(self.net, self.ds.X_train)[0])

    def dead_pixels(self):
        return dead_output_pixels(self.net, self.ds.X_train)

    def codes_2d(self):
        """Test-set codes in 2-D, (n_test, 2), and what the axes are.

        A code of 2 (or 1) is drawn as it is: the axes are the code units
        themselves. A longer code is drawn on its top two principal components.

        Returns
        -------
        P : ndarray of shape (n_test, 2)
        axes : tuple of str
        """
        C = codes(self.net, self.ds.X_test).astype(np.float64)
        if C.shape[1] <= 2:
            P = C if C.shape[1] == 2 else np.column_stack([C, np.zeros(len(C))])
            return P, tuple(f"code unit {k + 1}" for k in range(2))
        mu, V = pca_fit(C, 2)
        P = pca_project(C, mu, V)
        if P.shape[1] < 2:
            P = np.column_stack([P, np.zeros(len(P))])
        return P, ("principal component 1", "principal component 2")

    def dead_code_warning(self, share=0.5):
        """A warning when at least ``share`` of the code units are dead, or None."""
        _, dead = self.firing()
        if dead.size == 0 or dead.mean() < share:
            return None
        return (f"{int(dead.sum())} of {dead.size} code units are dead: off for every training "
                "image, so no gradient reaches their weights and the code is that much shorter."
                + (" Try a smaller learning rate." if self.values.lr > 1e-4 else ""))

    def interpolate(self, i, j, steps=8):
        """Decoded points between the codes of test images ``i`` and ``j``: (steps, 64)."""
        return interpolate_codes(self.net, self.ds.X_test[i], self.ds.X_test[j], steps)


def spirals_demo():
    """The home page's picture: a 2-16-16-3 network trained on three spirals.

    Returns
    -------
    xs, ys : ndarray of shape (120,)
        The grid over the plane.
    probs : ndarray of shape (120, 120, 3)
        Its class probabilities there.
    ds : Dataset
    accuracy : float
        On the test set.
    """
    ds = make_dataset("spirals", 450, 0.1, 3, 0.2, 1)
    net = MLP([2, 16, 16, 3], seed=1)
    Trainer(net, ds.X_train, ds.y_train, optimizer="adam", lr=0.01, batch_size=16, seed=1).run(250)
    xs, ys, P = plane_grid(np.vstack([ds.X_train, ds.X_test]), 120)
    probs = grid_eval(net, xs, ys, P, units=None)[0]
    return xs, ys, probs, ds, float((net.predict(ds.X_test) == ds.y_test).mean())
