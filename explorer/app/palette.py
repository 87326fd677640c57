"""The app's colours, one meaning each: the one home of every colour that carries a
meaning, for the figures (Python) and the network view (its script gets them from
:func:`js_constants`).

- **Hue is a class** (the points, the plane's shading, the output units, the class
  charts): the Okabe-Ito palette.
- **Purple and red are a sign**: a weight (an edge), or any signed number in a matrix,
  dark purple positive and red negative, white at zero. Neither is a class's colour.
- **Grey is a size**: how strongly a unit is on (white where it is off), the size of
  a gradient on an edge, a share in a matrix; darker is larger. No hue.

``tests/test_palette.py`` checks that these stay apart (CIELAB distance) for normal
vision and simulated protanopia, deuteranopia and tritanopia (Machado et al. 2009):
up to six classes (every generated dataset) from each other, and both signs and the
ink of sizes from each other and from those classes. Seven to ten classes (a CSV
only) cannot all stay apart for colour-blind eyes; their legend names them.
"""
import json

# Okabe & Ito (2008): blue, orange, bluish green, reddish purple, sky blue, vermilion,
# yellow; then brown, grey-blue and olive for the 8th to 10th class of a CSV (not
# black or grey: those are sizes)
CLASS_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9",
                "#D55E00", "#F0E442", "#8C510A", "#6E7F96", "#999933"]

POSITIVE = "#40004B"        # a positive weight or number (ColorBrewer PRGn's darkest purple)
NEGATIVE = "#B2182B"        # a negative one (ColorBrewer RdBu's darkest red)
INK = "#1B1F24"             # text, outlines, a dead unit's cross, the largest size
OFF = "#FFFFFF"             # a unit that is off (ReLU 0) at that point of the plane
WEAK = "#C8C8C8"            # a unit barely on; from here to INK by strength
GRADIENT = "#1B1F24"        # an edge's |dL/dw|: width and darkness
EDGE_ALPHA = 0.3            # the opacity of the faintest edges (the smallest |w|), to 1

# the same as plotly colour scales and as anchors of :func:`.raster.colormap`
SIGNED_SCALE = [[0, NEGATIVE], [0.5, "#FFFFFF"], [1, POSITIVE]]
SIZE_SCALE = [[0, "#FFFFFF"], [1, INK]]


def rgb(h):
    """``"#0072B2"`` -> ``[0, 114, 178]``."""
    h = h.lstrip("#")
    return [int(h[i:i + 2], 16) for i in (0, 2, 4)]


def js_constants():
    """The palette as the network view's script reads it (put before its files)."""
    table = {"POS": rgb(POSITIVE), "NEG": rgb(NEGATIVE), "GRAD": rgb(GRADIENT),
             "OFF": rgb(OFF), "ON_LO": rgb(WEAK), "ON_HI": rgb(INK), "INK": INK, "DEAD": INK,
             "EDGE_ALPHA": EDGE_ALPHA}
    return "\n".join(f"const {k} = {json.dumps(v)};" for k, v in table.items()) + "\n"
