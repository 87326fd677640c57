"""Every control of the app as a typed, ranged parameter: the one place that says
what a URL, a saved configuration or a widget may hold.

A shareable link carries every control as a query parameter. Links are typed by
people and passed around a class, so :func:`parse` accepts only known keys,
parses each to its type, clamps it to its range, and returns a note for every
value it had to change or drop. Pure Python: the pages turn notes into messages.
"""
import math
from dataclasses import dataclass

from . import limits
from .data.points import DATASETS
from .lens.mistakes import MISTAKES
from .nn.network import INITS
from .nn.optim import OPTIMIZERS


@dataclass(frozen=True)
class Param:
    """One control: its key (in the URL too), type, default and accepted values."""
    key: str
    kind: str                 # "int", "float", "bool" or "choice"
    default: object
    lo: float = None
    hi: float = None
    choices: tuple = ()
    label: str = ""
    names: tuple = ()         # what a widget shows for each choice (default: the choice)

    def name_of(self, choice):
        """The display name of one of the choices."""
        return dict(zip(self.choices, self.names)).get(choice, str(choice))

    def parse(self, raw):
        """``(value, note)``: ``raw`` (str or value) parsed and clamped; note is None if unchanged."""
        text = str(raw).strip()
        if self.kind == "choice":
            for choice in self.choices:          # case does not matter in a link
                if text.lower() == choice.lower():
                    return choice, None
            return self.default, (f"{self.key}={text[:40]!r} is not one of "
                                  f"{', '.join(self.choices)}; using {self.default}")
        if self.kind == "bool":
            if text.lower() in ("1", "true", "yes", "on"):
                return True, None
            if text.lower() in ("0", "false", "no", "off"):
                return False, None
            return self.default, f"{self.key}={text[:40]!r} is not true/false; using {self.default}"
        try:
            value = float(text)
        except ValueError:
            return self.default, f"{self.key}={text[:40]!r} is not a number; using {self.default}"
        if not math.isfinite(value):
            return self.default, f"{self.key}={text[:40]!r} is not a finite number; using {self.default}"
        note = None
        if self.kind == "int":
            if value != int(value):
                note = f"{self.key}={text[:40]} must be a whole number; rounded"
            value = int(round(value))
        clamped = min(max(value, self.lo), self.hi)
        if clamped != value:
            clamped = type(value)(clamped)
            note = (f"{self.key}={text[:40]} is outside {self.lo:g} to {self.hi:g}; "
                    f"using {clamped:g}")
        return clamped, note

    def to_text(self, value):
        if self.kind == "bool":
            return "1" if value else "0"
        if self.kind == "float":
            return f"{value:g}"
        return str(value)


def _p(*args, **kw):
    p = Param(*args, **kw)
    return p.key, p


# epochs per live frame (about 15 frames a second); None = as many as fit in the frame
SPEEDS = {"slow": 1, "normal": 4, "fast": None}
FPS = 20                  # live frames per second while training (at most)
SPEED_NAMES = tuple(f"{name} (up to {n * FPS} epochs/s)" if n else name
                    for n, name in zip(SPEEDS.values(), ("slow motion", "normal", "as fast as it goes")))
OPT_NAMES = tuple(o.label for o in OPTIMIZERS.values())

CLASSIFIER = dict([
    _p("data", "choice", "moons", choices=tuple(DATASETS) + ("csv",), label="dataset",
       names=tuple(DATASETS) + ("your own CSV",)),
    _p("n", "int", 300, limits.MIN_POINTS, limits.MAX_POINTS, label="points"),
    _p("noise", "float", 0.15, 0.0, 1.0, label="noise"),
    _p("classes", "int", 3, limits.MIN_CLASSES, limits.MAX_GEN_CLASSES, label="classes"),
    _p("test", "float", 0.3, 0.1, 0.9, label="test share"),
    _p("seed", "int", 0, 0, 1_000_000, label="seed"),
    _p("layers", "int", 2, limits.MIN_HIDDEN_LAYERS, limits.MAX_HIDDEN_LAYERS, label="hidden layers"),
    *[_p(f"h{i}", "int", 16 if i <= 2 else 8, limits.MIN_UNITS, limits.MAX_UNITS, label=f"layer {i} units")
      for i in range(1, limits.MAX_HIDDEN_LAYERS + 1)],
    _p("init", "choice", "he", choices=tuple(INITS), label="initialisation",
       names=tuple(i.label for i in INITS.values())),
    _p("opt", "choice", "adam", choices=tuple(OPTIMIZERS), label="optimizer",
       names=OPT_NAMES),
    _p("lr", "float", 0.01, 1e-5, 10.0, label="learning rate"),
    _p("bs", "int", 32, 1, limits.MAX_BATCH, label="batch size"),
    _p("l2", "float", 0.0, 0.0, 1.0, label="L2"),
    _p("clip", "float", 0.0, 0.0, 100.0, label="gradient clipping (0 = off)"),
    _p("epochs", "int", 1000, 1, limits.MAX_EPOCHS_PER_RUN, label="epochs per run"),
    _p("speed", "choice", "normal", choices=tuple(SPEEDS), label="speed",
       names=SPEED_NAMES),
    _p("show_test", "bool", True, label="show test points"),
    _p("discrete", "bool", False, label="discretize"),
    _p("res", "int", 100, 20, limits.MAX_GRID, label="grid resolution"),
])

AUTOENCODER = dict([
    _p("hidden", "int", 32, limits.MIN_UNITS, limits.MAX_AE_UNITS, label="code size"),
    _p("opt", "choice", "adam", choices=tuple(OPTIMIZERS), label="optimizer",
       names=OPT_NAMES),
    # Adam's textbook rate: at 0.01 a few code units and inked output pixels die
    # in the first epochs (test error ~1.2-1.5x PCA's after 10 s instead of ~0.85x)
    _p("lr", "float", 0.001, 1e-5, 10.0, label="learning rate"),
    _p("bs", "int", 64, 1, limits.MAX_BATCH, label="batch size"),
    _p("l2", "float", 0.0, 0.0, 1.0, label="L2"),
    _p("epochs", "int", 200, 1, limits.MAX_EPOCHS_PER_RUN, label="epochs per run"),
    _p("speed", "choice", "normal", choices=tuple(SPEEDS), label="speed",
       names=SPEED_NAMES),
    _p("seed", "int", 0, 0, 1_000_000, label="seed"),
    _p("noise", "float", 0.0, 0.0, 1.0, label="input noise"),
])

MATH = dict([
    _p("net", "choice", "classifier", choices=("classifier", "autoencoder"), label="network",
       names=("Classifier", "Autoencoder")),
    _p("mistake", "choice", "one_over_n", choices=tuple(MISTAKES), label="mistake",
       names=tuple(f"{m.title} ({m.network})" for m in MISTAKES.values())),
    _p("n", "int", 4, 1, 16, label="batch"),
    _p("seed", "int", 0, 0, 1_000_000, label="seed"),
])

PAGES = {"classifier": CLASSIFIER, "autoencoder": AUTOENCODER, "math": MATH}


def defaults(spec):
    """``{key: default}`` of a spec."""
    return {k: p.default for k, p in spec.items()}


def parse(spec, query):
    """Values for every key of ``spec`` from a query mapping, with notes.

    Parameters
    ----------
    spec : dict of str to Param
    query : mapping of str to str (or list of str, the last one counts)

    Returns
    -------
    values : dict
        Every key of ``spec``: parsed and clamped where given, default elsewhere.
    notes : list of str
        One line per unknown key dropped or value changed.
    """
    values, notes = defaults(spec), []
    for key, raw in query.items():
        if isinstance(raw, (list, tuple)):
            raw = raw[-1] if raw else ""
        if key not in spec:
            notes.append(f"unknown parameter {str(key)[:30]!r} ignored")
            continue
        value, note = spec[key].parse(raw)
        values[key] = value
        if note:
            notes.append(note)
    if len(notes) > 12:
        notes = notes[:12] + [f"... and {len(notes) - 12} more"]
    return values, notes


def to_query(spec, values):
    """The query mapping (str to str) that :func:`parse` turns back into ``values``."""
    return {k: spec[k].to_text(values[k]) for k in spec if k in values}
