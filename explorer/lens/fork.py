"""Two runs side by side: the same experiment with one setting changed.

A fork is written ``setting:value``, e.g. ``lr:0.1``, ``opt:adam``,
``act:leaky_relu``, ``width:32`` (every hidden layer that wide) or ``bs:128``:
the page's link carries it (``fork=lr:0.1``), so a class can open both runs from
one address. Everything else, the data and the seed too, is the page's own, so
the two networks start from the same weights whenever the change keeps their
shape. Which forks exist is one registry (:data:`FORKS`): links, the widget and
the tests read it. Pure Python.
"""
from dataclasses import dataclass

from .. import limits
from ..nn.activations import ACTIVATIONS
from ..nn.optim import OPTIMIZERS

NONE = "none"
WIDTHS = tuple(w for w in (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)
               if limits.MIN_UNITS <= w <= limits.MAX_UNITS)
BATCHES = tuple(b for b in (1, 4, 8, 16, 32, 64, 128, 256, 512, 2000) if b <= limits.MAX_BATCH)


@dataclass(frozen=True)
class Fork:
    """One setting a fork may change: its name in a link, its label, its values."""
    key: str
    label: str
    values: tuple
    names: tuple = ()

    def name_of(self, value):
        return dict(zip(self.values, self.names)).get(value, f"{value:g}" if isinstance(
            value, float) else str(value))


FORKS = {f.key: f for f in [
    Fork("opt", "optimizer", tuple(OPTIMIZERS), tuple(o.label for o in OPTIMIZERS.values())),
    Fork("lr", "learning rate", limits.LR_LADDER),
    Fork("act", "activation", tuple(ACTIVATIONS), tuple(a.label for a in ACTIVATIONS.values())),
    Fork("width", "units per hidden layer", WIDTHS),
    Fork("bs", "batch size", BATCHES),
]}


def fork_text(key, value):
    """The link's form of a fork: ``"lr:0.1"``."""
    return f"{key}:{value:g}" if isinstance(value, float) else f"{key}:{value}"


#: every fork a link may hold, "none" first: the link parameter's choices
FORK_CHOICES = (NONE,) + tuple(fork_text(f.key, v) for f in FORKS.values() for v in f.values)


def parse_fork(text):
    """``(key, value)`` of a fork written as in a link, or None for "none".

    Case and spaces do not matter and numbers may be written any way Python
    reads them (``lr:1e-1`` is ``lr:0.1``). Raises ValueError for anything that is
    not one of :data:`FORK_CHOICES`.
    """
    text = str(text).strip()
    if text.lower() == NONE:
        return None
    key, sep, raw = text.partition(":")
    key, raw = key.strip().lower(), raw.strip()
    fork = FORKS.get(key)
    if not sep or fork is None:
        raise ValueError(f"a fork is one of {', '.join(FORKS)} and a value, e.g. lr:0.1")
    for v in fork.values:
        if isinstance(v, str):
            if raw.lower() == v.lower():
                return key, v
            continue
        try:
            number = float(raw)
        except ValueError:
            break
        if number == v:
            return key, v
    raise ValueError(f"{key} can fork to {', '.join(fork.name_of(v) for v in fork.values)}")


def fork_values(values, key, value):
    """The page's settings ``values`` with the one change of a fork (``width`` sets
    every hidden layer in use to that width)."""
    if key not in FORKS:
        raise ValueError(f"cannot fork {key!r}")
    if key == "width":
        return values.replace(**{f"h{i}": int(value) for i in range(1, values.layers + 1)})
    return values.replace(**{key: value})


def current_value(values, key):
    """What the page's settings have for a fork's setting now (``width``: layer 1's units)."""
    return values.h1 if key == "width" else values.get(key)
