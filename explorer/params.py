"""Every control of the app as a typed, ranged parameter: the one place that says
what a URL, a saved configuration or a widget may hold.

A shareable link carries every control as a query parameter. Links are typed by
people and passed around a class, so :func:`parse` accepts only known keys,
parses each to its type, clamps it to its range, and returns a note for every
value it had to change or drop. Pure Python: the pages turn notes into messages.
"""
import dataclasses
import math
from dataclasses import dataclass
from typing import ClassVar

from . import limits
from .data.features import DEFAULT_FEATURES, FEATURES
from .data.points import DATASETS, allowed_classes
from .lens.fork import FORK_CHOICES, NONE as NO_FORK, fork_text, parse_fork
from .lens.mistakes import MISTAKES
from .nn.activations import ACTIVATIONS
from .nn.network import INITS
from .nn.optim import OPTIMIZERS
from .text import clip, plain_list


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


@dataclass(frozen=True)
class ForkParam(Param):
    """The ``fork`` link parameter, ``setting:value`` (e.g. ``lr:0.1``): a choice of
    :data:`explorer.lens.fork.FORK_CHOICES`, accepted in any spelling that
    :func:`explorer.lens.fork.parse_fork` reads (``LR:1e-1`` is ``lr:0.1``)."""

    def parse(self, raw):
        text = str(raw).strip()
        try:
            fork = parse_fork(text)
        except ValueError as e:
            return self.default, f"{self.key}={text[:40]!r} is not a fork ({e}); no second run"
        return (NO_FORK if fork is None else fork_text(*fork)), None


def _p(*args, kind=Param, **kw):
    p = kind(*args, **kw)
    return p.key, p


# epochs per live frame; None = as many as fit in the frame. At 36 frames a second,
# normal speed takes the default spirals to 90% in about 7 s, slow motion in about 15 s
SPEEDS = {"slow": 1, "normal": 2, "fast": None}
FPS = 36                  # live frames per second while training (at most)
SPEED_NAMES = tuple(f"{name} (up to {n * FPS} epochs/s)" if n else name
                    for n, name in zip(SPEEDS.values(), ("slow motion", "normal", "as fast as it goes")))
OPT_NAMES = tuple(o.label for o in OPTIMIZERS.values())

ACTIVATION = _p("act", "choice", "relu", choices=tuple(ACTIVATIONS), label="activation",
                names=tuple(a.label for a in ACTIVATIONS.values()))
L1 = _p("l1", "float", 0.0, 0.0, 1.0, label="L1")

CLASSIFIER = dict([
    # spirals with SGD + momentum at 0.01: 90% after about 500 epochs, so a class sees the
    # boundary form for several seconds at normal speed (moons with Adam took 2 s)
    _p("data", "choice", "spirals", choices=tuple(DATASETS) + ("csv",), label="dataset",
       names=tuple(k.label for k in DATASETS.values()) + ("your own CSV",)),
    _p("n", "int", 300, limits.MIN_POINTS, limits.MAX_POINTS, label="points"),
    _p("noise", "float", 0.15, 0.0, 1.0, label="noise"),
    _p("classes", "int", 3, limits.MIN_CLASSES, limits.MAX_GEN_CLASSES, label="classes"),
    _p("test", "float", 0.3, 0.1, 0.9, label="test share"),
    _p("seed", "int", 0, 0, 1_000_000, label="seed"),
    _p("layers", "int", 2, limits.MIN_HIDDEN_LAYERS, limits.MAX_HIDDEN_LAYERS, label="hidden layers"),
    *[_p(f"h{i}", "int", 16 if i <= 2 else 8, limits.MIN_UNITS, limits.MAX_UNITS, label=f"layer {i} units")
      for i in range(1, limits.MAX_HIDDEN_LAYERS + 1)],
    ACTIVATION,
    *[_p(f, "bool", f in DEFAULT_FEATURES, label=FEATURES[f].label) for f in FEATURES],
    _p("init", "choice", "he", choices=tuple(INITS), label="initialisation",
       names=tuple(i.label for i in INITS.values())),
    _p("opt", "choice", "momentum", choices=tuple(OPTIMIZERS), label="optimizer",
       names=OPT_NAMES),
    _p("lr", "float", 0.01, limits.MIN_LR, limits.MAX_LR, label="learning rate"),
    _p("bs", "int", 32, 1, limits.MAX_BATCH, label="batch size"),
    L1,
    _p("l2", "float", 0.0, 0.0, 1.0, label="L2"),
    _p("clip", "float", 0.0, 0.0, limits.MAX_CLIP, label="gradient clipping (0 = off)"),
    _p("epochs", "int", 1000, 1, limits.MAX_EPOCHS_PER_RUN, label="epochs per run"),
    _p("speed", "choice", "normal", choices=tuple(SPEEDS), label="speed",
       names=SPEED_NAMES),
    _p("show_test", "bool", True, label="show test points"),
    _p("edges", "choice", "weights", choices=("weights", "gradient"), label="edges show",
       names=("weights", "gradient |dL/dw|")),
    _p("discrete", "bool", False, label="discretize"),
    _p("res", "int", 100, 20, limits.MAX_GRID, label="grid resolution"),
    _p("big", "bool", False, label="projector view"),
    _p("fork", "choice", NO_FORK, choices=FORK_CHOICES, label="second run (a fork: setting:value)",
       kind=ForkParam),
])

AUTOENCODER = dict([
    _p("hidden", "int", 32, limits.MIN_UNITS, limits.MAX_AE_UNITS, label="code size"),
    ACTIVATION,
    _p("opt", "choice", "adam", choices=tuple(OPTIMIZERS), label="optimizer",
       names=OPT_NAMES),
    # Adam's textbook rate: at 0.01 a few code units and inked output pixels die
    # in the first epochs (test error ~1.2-1.5x PCA's after 10 s instead of ~0.85x)
    _p("lr", "float", 0.001, limits.MIN_LR, limits.MAX_LR, label="learning rate"),
    _p("bs", "int", 64, 1, limits.MAX_BATCH, label="batch size"),
    L1,
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

FEATURE_KEYS = tuple(FEATURES)


# --------------------------------------------------------------------------- #
# Settings records: one frozen, typed record per page
# --------------------------------------------------------------------------- #
class Settings:
    """A page's settings: a frozen dataclass whose fields are its spec's params.

    Made by :func:`settings_record` from a spec, so the spec stays the one list of
    properties (as TensorFlow Playground's ``State``): a new param is one entry
    there and is a typed field here. ``Settings()`` holds every default; the
    record is changed by making a new one (:meth:`replace`).
    """
    SPEC: ClassVar[dict]
    PAGE: ClassVar[str]

    def replace(self, **changes):
        """A copy with ``changes`` (keys of the spec; not parsed nor clamped)."""
        return dataclasses.replace(self, **changes)

    def get(self, key):
        """The value of param ``key``: for code that walks the spec."""
        return getattr(self, key)

    def to_query(self):
        """The link's parameters (str to str) that :func:`parse` reads back into this."""
        return {k: p.to_text(getattr(self, k)) for k, p in self.SPEC.items()}

    def differs(self, other, keys):
        """True if any of ``keys`` has another value in ``other``."""
        return any(getattr(self, k) != getattr(other, k) for k in keys)


_TYPES = {"int": int, "float": float, "bool": bool, "choice": str}


def settings_record(name, page, spec):
    """The frozen dataclass of ``spec``'s params (see :class:`Settings`)."""
    fields = [(k, _TYPES[p.kind], dataclasses.field(default=p.default)) for k, p in spec.items()]
    cls = dataclasses.make_dataclass(name, fields, bases=(Settings,), frozen=True)
    cls.SPEC, cls.PAGE = spec, page
    return cls


class _Trained:
    """What the settings of a page that trains say about its live run."""

    @property
    def per_frame(self):
        """Epochs per live frame at this speed (None: as many as fit)."""
        return SPEEDS[self.speed]


class ClassifierSettings(_Trained, settings_record("ClassifierFields", "classifier", CLASSIFIER)):
    """The Classifier's settings (:data:`CLASSIFIER`)."""

    @property
    def hidden_sizes(self):
        """Hidden widths ``[h1, ..., h_layers]``."""
        return [getattr(self, f"h{i}") for i in range(1, self.layers + 1)]

    @property
    def features(self):
        """The input features turned on (x1, x2 if none is)."""
        return tuple(f for f in FEATURE_KEYS if getattr(self, f)) or DEFAULT_FEATURES


class AutoencoderSettings(_Trained,
                          settings_record("AutoencoderFields", "autoencoder", AUTOENCODER)):
    """The Autoencoder's settings (:data:`AUTOENCODER`)."""


MathSettings = settings_record("MathSettings", "math", MATH)

#: page name -> its settings record; ``PAGES[page].SPEC`` is its spec
PAGES = {cls.PAGE: cls for cls in (ClassifierSettings, AutoencoderSettings, MathSettings)}


def parse(record, query):
    """A page's settings from a query mapping (a link), with notes.

    Parameters
    ----------
    record : a :class:`Settings` class, e.g. :class:`ClassifierSettings`
    query : mapping of str to str (or list of str, the last one counts)

    Returns
    -------
    settings : record
        Every param: parsed and clamped where given, default elsewhere.
    notes : list of str
        One line per unknown key dropped or value changed.
    """
    spec, values, notes = record.SPEC, {}, []
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
    settings = record(**values)
    if "classes" in query and getattr(settings, "data", None) in DATASETS:
        # a generator's own range (moons: 2), which the sidebar's slider keeps to as well
        lo, hi = allowed_classes(settings.data)
        fitted = min(max(settings.classes, lo), hi)
        if fitted != settings.classes:
            notes.append(f"classes={settings.classes} is not possible with "
                         f"{settings.data}; using {fitted}")
            settings = settings.replace(classes=fitted)
    if len(notes) > 12:
        notes = notes[:12] + [f"... and {len(notes) - 12} more"]
    return settings, notes


# --------------------------------------------------------------------------- #
# Settings files
# --------------------------------------------------------------------------- #
# A settings file is the page's link as a JSON object, plus a few keys that say
# where it came from. It is untrusted like a link, but it is loaded *on top of*
# the current settings: what it does not set, or sets to something unusable,
# stays as it is instead of going back to its default.

#: keys a settings file stores beside the settings (the page it was saved on, the
#: network's sizes, the epoch): part of the format, not settings, so they are
#: neither applied nor reported as ignored
FILE_KEYS = ("page", "sizes", "epoch")
MAX_SETTINGS_NOTES = 12
_REFUSED = object()          # the default of a probe Param: parse() fell back to it


def _what_is_accepted(p):
    """What ``p`` accepts, in words."""
    if p.kind == "choice":
        return "one of " + ", ".join(p.choices)
    if p.kind == "bool":
        return "true or false"
    return f"a number from {p.lo:g} to {p.hi:g}"


def _read_setting(p, raw):
    """``(value, note, refused)`` for one value of a settings file.

    ``refused`` is True when ``raw`` cannot be used at all (not a value of the
    right kind); otherwise ``value`` is parsed and clamped exactly as in a link,
    and ``note`` says what was changed to fit (or is None).
    """
    if isinstance(raw, bool) and p.kind != "bool":
        return None, None, True
    if not isinstance(raw, (str, int, float)):
        return None, None, True
    try:
        value, note = dataclasses.replace(p, default=_REFUSED).parse(raw)
    except (ValueError, OverflowError):          # e.g. an int too long to print
        return None, None, True
    if value is _REFUSED:
        return None, None, True
    return value, note, False


def _shown(raw):
    """A value from the file as short plain text for a message (not escaped)."""
    if isinstance(raw, (list, dict)):
        return "a list" if isinstance(raw, list) else "an object"
    if raw is None:
        return "null"
    try:
        return repr(clip(raw, 30)) if isinstance(raw, str) else clip(raw, 30)
    except ValueError:                           # an int too long to print
        return "a very long number"


def _current_text(p, value):
    """The current value as a link would write it (plain ``str`` if it does not fit)."""
    try:
        return p.to_text(value)
    except (TypeError, ValueError):
        return _shown(value)


def parse_settings(current, cfg):
    """A page's settings after loading a settings file on top of ``current``.

    Each known key is parsed and clamped exactly as in a link (:meth:`Param.parse`);
    unknown keys and unusable values are skipped and reported, and the current
    value stays. :data:`FILE_KEYS` are part of the file format and are skipped
    silently.

    Parameters
    ----------
    current : Settings
        The page's settings now (a :class:`ClassifierSettings`, ...). A file that
        says it was saved on another page (its ``"page"`` key) is refused: the
        pages share key names (``lr``, ``noise``...) that do not mean the same thing.
    cfg : dict
        The file, as returned by :func:`explorer.nn.weights_io.config_from_json`
        (any JSON values: numbers and true/false are accepted as well as the
        text a link would hold).

    Returns
    -------
    settings : Settings
        Of ``current``'s page: every param from the file where it holds a usable
        value, otherwise from ``current``.
    applied : list of str
        The keys taken from the file, in the file's order.
    ignored : list of str
        One line of plain text per thing in the file not taken as written: an
        unknown key, a value that cannot be used (the current value stays), or
        a value changed to fit its range (the line says what was used). At most
        ``MAX_SETTINGS_NOTES`` lines, then one "… and N more". Keys and values
        quoted from the file are cut (:func:`explorer.text.clip`) but not
        escaped: escape them where they are shown (:func:`explorer.text.md`).

    Raises
    ------
    ValueError
        If ``cfg`` is not a dict, was saved on another page (or names no page),
        holds no setting this page knows, or none it can use.
    """
    if not isinstance(cfg, dict):
        raise ValueError(f"A settings file must be a JSON object ({{...}}), got "
                         f"{type(cfg).__name__}.")
    spec, page = current.SPEC, current.PAGE
    if "page" in cfg and cfg["page"] != page:
        saved = cfg["page"]
        if isinstance(saved, str) and saved in PAGES:
            raise ValueError(f"This settings file was saved on the {saved} page, not on the "
                             f"{page} page; load it there.")
        raise ValueError(f"This settings file names {_shown(saved)} as its page, which is no "
                         f"page of this app; a file saved here has \"page\": \"{page}\".")
    keys = [str(k) for k in cfg]
    if not any(k in spec for k in keys):
        found = plain_list([k for k in keys if k not in FILE_KEYS], limit=6, width=20)
        raise ValueError(f"This file holds no setting this page knows (it has "
                         f"{found or 'none'}). A settings file saved on this page has "
                         f"keys such as {', '.join(list(spec)[:5])}.")
    values = dataclasses.asdict(current)
    applied, ignored = [], []
    for key, raw in cfg.items():
        key = str(key)
        if key in FILE_KEYS and key not in spec:
            continue
        if key not in spec:
            ignored.append(f"{clip(key, 30)!r} is not a setting of this page")
            continue
        p = spec[key]
        value, note, refused = _read_setting(p, raw)
        if refused:
            ignored.append(f"{key}={_shown(raw)} is not {_what_is_accepted(p)}; "
                           f"kept {_current_text(p, values[key])}")
            continue
        values[key] = value
        applied.append(key)
        if note:
            ignored.append(note)
    if len(ignored) > MAX_SETTINGS_NOTES:
        ignored = ignored[:MAX_SETTINGS_NOTES] + [
            f"… and {len(ignored) - MAX_SETTINGS_NOTES} more"]
    if not applied:
        raise ValueError("Nothing in this file could be used: " + "; ".join(ignored) + ".")
    return current.replace(**values), applied, ignored
