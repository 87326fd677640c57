"""Each colour means one thing, and the colours that mean different things stay apart
for normal vision and for the three common kinds of colour blindness.

Colour blindness is simulated with Machado, Oliveira & Fernandes (2009), severity 1
(the full dichromacy), in linear RGB; distances are CIELAB ΔE*ab (D65). A ΔE of 15 is
about what separates the closest pair of the Okabe-Ito palette itself under the
worst of the simulations, the palette designed for colour-blind readers.
"""
import itertools
import re

import numpy as np
import pytest

from explorer.app import figures as F
from explorer.app import palette as P
from explorer.app.view import ASSETS, VIEW_FILES

MACHADO = {
    "normal": np.eye(3),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                        [0.0193, 0.1192, 0.9505]])
WHITE = np.array([0.95047, 1.0, 1.08883])


def lab(hex_color, vision):
    c = np.array(P.rgb(hex_color)) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = SRGB_TO_XYZ @ np.clip(MACHADO[vision] @ linear, 0, 1) / WHITE
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def apart(a, b):
    """The least distance of colours ``a`` and ``b`` over the four visions."""
    return min(float(np.linalg.norm(lab(a, v) - lab(b, v))) for v in MACHADO)


def test_the_simulation_is_right_where_it_is_known():
    # red and green, far apart for normal vision, nearly meet for a deuteranope; blue
    # and yellow stay apart for every vision but the tritanope's
    assert apart("#FF0000", "#00FF00") < 0.4 * np.linalg.norm(
        lab("#FF0000", "normal") - lab("#00FF00", "normal"))
    assert min(np.linalg.norm(lab("#0000FF", v) - lab("#FFFF00", v))
               for v in ("normal", "protanopia", "deuteranopia")) > 80


GENERATED = P.CLASS_COLORS[:6]          # blobs and spirals make up to six classes


@pytest.mark.parametrize("a, b", list(itertools.combinations(GENERATED, 2)))
def test_the_classes_of_a_generated_dataset_stay_apart(a, b):
    assert apart(a, b) >= 15


def test_the_two_signs_stay_apart_even_as_faint_edges():
    assert apart(P.POSITIVE, P.NEGATIVE) >= 40
    # an edge is drawn over white at an opacity that grows with |w| (diagram.js:
    # strokeStyle), from EDGE_ALPHA for the smallest weights: its colour is a tint.
    # The faintest are the hardest to tell apart (for a colour-blind reader they are
    # the blue-yellow axis' loss: those are the classes' colours); from the middle
    # of the scale on they are as far apart as two classes
    tint = lambda c, a: "#" + "".join(f"{round(255 + (v - 255) * a):02X}" for v in P.rgb(c))
    assert apart(tint(P.POSITIVE, P.EDGE_ALPHA), tint(P.NEGATIVE, P.EDGE_ALPHA)) >= 10
    middle = P.EDGE_ALPHA + (1 - P.EDGE_ALPHA) * 3 / 7
    assert apart(tint(P.POSITIVE, middle), tint(P.NEGATIVE, middle)) >= 15


@pytest.mark.parametrize("meaning", ["POSITIVE", "NEGATIVE", "GRADIENT", "INK"])
def test_no_sign_or_size_looks_like_a_class(meaning):
    color = getattr(P, meaning)
    assert all(apart(color, c) >= 25 for c in P.CLASS_COLORS[:3]), meaning   # most datasets
    assert all(apart(color, c) >= 15 for c in GENERATED), meaning
    assert color not in P.CLASS_COLORS


def test_sizes_are_grey_and_signs_are_not():
    for c in (P.OFF, P.WEAK, P.INK, P.GRADIENT):
        r, g, b = P.rgb(c)
        assert max(r, g, b) - min(r, g, b) <= 12, c               # no hue
    for c in (P.POSITIVE, P.NEGATIVE):
        r, g, b = P.rgb(c)
        assert max(r, g, b) - min(r, g, b) >= 60, c               # a hue
    assert apart(P.OFF, P.WEAK) >= 15                             # off is not "barely on"


def test_the_view_takes_every_colour_from_the_palette():
    script = P.js_constants() + "\n".join((ASSETS / n).read_text() for n in VIEW_FILES)
    assert f"const EDGE_ALPHA = {P.EDGE_ALPHA}" in script
    for name, value in (("POS", P.POSITIVE), ("NEG", P.NEGATIVE), ("GRAD", P.GRADIENT),
                        ("OFF", P.OFF), ("ON_LO", P.WEAK), ("ON_HI", P.INK)):
        assert f"const {name} = {P.rgb(value)}".replace(" ", "") in script.replace(" ", "")
        assert len(re.findall(rf"\bconst {name}\b", script)) == 1, name     # defined once
    # the view's files themselves name no colour that means something (outlines and
    # white aside)
    own = "\n".join((ASSETS / n).read_text() for n in VIEW_FILES)
    named = set(re.findall(r"#[0-9a-fA-F]{6}\b", own)) - {"#ffffff", "#6b7075", "#8a9099"}
    assert not named, named


def test_the_figures_use_the_palettes_signs_and_sizes():
    signed = F.matrix_figure(np.array([[-1.0, 0.5], [2.0, 0.0]]))
    assert signed.data[0].colorscale[0][1] == P.NEGATIVE
    assert signed.data[0].colorscale[-1][1] == P.POSITIVE
    mask = F.matrix_figure(np.array([[0.0, 1.0]]), binary=True)
    assert mask.data[0].colorscale[-1][1] == P.INK
