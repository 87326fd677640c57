"""The Autoencoder page's parts: its experiment and how each chart is drawn."""
import numpy as np
import streamlit as st

from .. import labs
from . import figures as F
from .charts import plot
from .server import cached_digits


def experiment(ps):
    """The page's lab for its current values: kept, retuned, or built anew."""
    ps.note_if_afresh(ps.values)
    if ps.lab is None or ps.lab.needs_rebuild(ps.values):
        ps.lab = labs.AutoencoderLab(cached_digits(), ps.values)
        ps.forget_charts()
    else:
        ps.lab.apply(ps.values)
    return ps.lab


class Charts:
    """Draws each chart of the page into its slot."""

    def __init__(self, ps, slots, walk):
        self.lab, self.v, self.slots, self.walk = ps.lab, ps.values, slots, walk

    def numbers_and_digits(self, frame=0):
        """Every frame: the numbers and the reconstructions."""
        lab, h = self.lab, self.lab.history()
        with self.slots["metrics"].container():
            m1, m2, m3, m4 = st.columns(4)
            m1.metric("Epoch", lab.epoch)
            m2.metric("Train loss", f"{h['train_loss'][-1]:.2f}")
            m3.metric("Test loss", f"{h['test_loss'][-1]:.2f}")
            m4.metric("PCA test loss", f"{lab.pca_error():.2f}",
                      help=f"Test error of the best linear code of the same size: PCA with "
                           f"{self.v.hidden} components.")
        X, Xhat, labels = lab.grid_digits()
        plot(self.slots["digits"], F.digits_grid_figure(X, Xhat, labels), frame)

    def curves(self, frame=0):
        """Loss and gradient norms over epochs."""
        lab, h = self.lab, self.lab.history()
        d = lab.trainer.diverged
        trail = d.trail if d else None
        plot(self.slots["history"], F.history_figure(
            h["epoch"], h["train_loss"], h["test_loss"], reference=lab.pca_error(),
            reference_name=f"PCA, {self.v.hidden} components", log=True, blowup=trail), frame)
        plot(self.slots["gradients"], F.gradient_figure(h["epoch"], h["grad_W"], h["grad_b"],
                                                        h["update_ratio"], blowup=trail), frame)

    def inside(self, frame=0):
        """What the code and the weights look like."""
        lab, s = self.lab, self.slots
        firing, dead = lab.firing()
        s["firing_caption"].caption(
            "How often each code unit fires (ReLU on) for each digit. A cross marks dead units: off "
            "for every training image, so backprop never reaches their weights "
            f"({int(dead.sum())} of {len(dead)} now).")
        plot(s["firing"], F.code_firing_figure(firing, dead), frame)
        plot(s["dead_pixels"], F.dead_pixels_figure(lab.dead_pixels(), lab.ds.X_test.mean(0)),
             frame)
        plot(s["encoder"], F.filters_figure(lab.net.params["W1"]), frame)
        plot(s["decoder"], F.filters_figure(lab.net.params["W2"].T), frame)
        P, axes = lab.codes_2d()
        plot(s["codes"], F.codes_scatter_figure(P, lab.ds.y_test, axes=axes), frame)
        s["codes_caption"].caption("The test set's codes, by digit: "
                                   + ("the two code units themselves." if axes[0].startswith("code")
                                      else "a longer code on its first two principal components."))
        warning = lab.dead_code_warning()
        if warning:
            s["warning"].warning(warning, icon=":material/warning:")
        else:
            s["warning"].empty()
        da, db = self.walk
        ia = int(np.flatnonzero(lab.ds.y_test == da)[0])
        ib = int(np.flatnonzero(lab.ds.y_test == db)[0])
        plot(s["walk"], F.image_strip_figure(lab.interpolate(ia, ib, 8),
                                             captions=[str(da)] + [""] * 6 + [str(db)]), frame)
