"""How each lesson's claim fares over many seeds: measured, recorded, read back.

``measure`` runs every check over a range of seeds (in parallel processes); ``write``
keeps the result in ``measured.json`` beside this file, with the date, the machine and
a fingerprint of each lesson (its settings, its texts and its check's code), so a test
can tell when a lesson changed and its record did not. The lesson card reads the record
(``summary``) to say what a class will see: "In 40 runs with other seeds: …, 9 to 31
(median 18)".
"""
import datetime
import hashlib
import inspect
import json
import math
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info      # comes with scikit-learn: which BLAS kernel

from . import BY_KEY

RECORD = Path(__file__).with_name("measured.json")
MIN_RUNS = 40          # what a record must cover to count
MIN_HELD = 0.95        # the share of seeds a claim must hold on


def fingerprint(lesson):
    """A short hash of what a lesson's measurement depends on (its page, link, follow-ups,
    claim and spread texts, and its check's source)."""
    text = json.dumps([lesson.page, lesson.query, lesson.then, lesson.claim, lesson.spread,
                       inspect.getsource(lesson.check)], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Spread:
    """A figure's measured range; formats as ``"lo to hi (median m)"`` with any
    number format (``f"{s:.0%}"``), or as one value when every run gave the same."""
    lo: float
    median: float
    hi: float

    @classmethod
    def of(cls, values):
        v = np.asarray([x for x in values if x is not None and math.isfinite(x)], float)
        if not len(v):
            return cls(math.nan, math.nan, math.nan)
        return cls(float(v.min()), float(np.median(v)), float(v.max()))

    def __format__(self, spec):
        lo, med, hi = (format(x, spec) for x in (self.lo, self.median, self.hi))
        return lo if lo == hi else f"{lo} to {hi} (median {med})"


@dataclass(frozen=True)
class Measured:
    """One lesson's record over many seeds."""
    fingerprint: str
    first_seed: int
    runs: int
    held: int
    failed: tuple          # the seeds it did not hold on
    figures: dict          # name -> Spread
    seconds: float         # median seconds per seed

    def ok(self):
        return self.runs >= MIN_RUNS and self.held >= MIN_HELD * self.runs

    def sentence(self, lesson):
        return lesson.spread.format(**self.figures)


def _run(key, seed):
    t = time.perf_counter()
    claim = BY_KEY[key].verify(seed)
    return key, seed, claim.holds, claim.figures, time.perf_counter() - t, claim.evidence


def measure(lessons, seeds, jobs=1, report=None):
    """Every lesson's check over ``seeds``: a dict of key to :class:`Measured`.

    ``jobs`` processes share the runs; ``report(key, seed, holds, evidence)`` is
    called as each run ends.
    """
    tasks = [(lesson.key, seed) for lesson in lessons for seed in seeds]
    rows = {lesson.key: [] for lesson in lessons}

    def take(row):
        rows[row[0]].append(row)
        if report:
            report(row[0], row[1], row[2], row[5])
    if jobs > 1:
        with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
            for row in pool.map(_run, *zip(*tasks)):
                take(row)
    else:
        for task in tasks:
            take(_run(*task))
    out = {}
    for lesson in lessons:
        r = sorted(rows[lesson.key], key=lambda row: row[1])
        names = r[0][3].keys() if r else ()
        out[lesson.key] = Measured(
            fingerprint(lesson), min(seeds), len(r), sum(bool(row[2]) for row in r),
            tuple(row[1] for row in r if not row[2]),
            {n: Spread.of([row[3][n] for row in r]) for n in names},
            float(np.median([row[4] for row in r])) if r else math.nan)
    return out


def machine():
    """This machine, as a record says where it was measured."""
    kernel = ", ".join(f"{i['internal_api']} {i.get('architecture', '')}".strip()
                       for i in threadpool_info() if i["user_api"] == "blas")
    forced = os.environ.get("OPENBLAS_CORETYPE")
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},"
            f" NumPy {np.__version__}, {kernel or 'BLAS unknown'}"
            + (f" (OPENBLAS_CORETYPE={forced})" if forced else ""))


def write(measured, path=RECORD):
    """Keep ``measured`` (with the date and machine), merged into the record at ``path``."""
    old = _load(path) if Path(path).exists() else {"lessons": {}}
    lessons = dict(old["lessons"])
    for key, m in measured.items():
        lessons[key] = {"fingerprint": m.fingerprint, "first_seed": int(m.first_seed),
                        "runs": int(m.runs), "held": int(m.held),
                        "failed": [int(s) for s in m.failed],
                        "seconds": round(float(m.seconds), 2),
                        "date": str(datetime.date.today()), "machine": machine(),
                        "figures": {n: [float(s.lo), float(s.median), float(s.hi)]
                                    for n, s in m.figures.items()}}
    Path(path).write_text(json.dumps({"lessons": lessons}, indent=1, sort_keys=True) + "\n")
    read.cache_clear()


def _load(path):
    return json.loads(Path(path).read_text())


@lru_cache(maxsize=4)
def read(path=RECORD):
    """The record: a dict of key to ``(Measured, date, machine)``."""
    if not Path(path).exists():
        return {}
    out = {}
    for key, r in _load(path)["lessons"].items():
        out[key] = (Measured(r["fingerprint"], r["first_seed"], r["runs"], r["held"],
                             tuple(r["failed"]), {n: Spread(*v) for n, v in r["figures"].items()},
                             r["seconds"]), r["date"], r["machine"])
    return out


def summary(lesson):
    """What the class will see, as measured: a sentence for the lesson's card, or None
    when the lesson has no current record."""
    found = read().get(lesson.key)
    if found is None or found[0].fingerprint != fingerprint(lesson):
        return None
    m, date, _ = found
    text = f"In {m.runs} runs with other seeds (measured {date}): {m.sentence(lesson)}."
    if m.held < m.runs:
        text += f" The claim held in {m.held} of {m.runs}."
    return text


def table(lessons):
    """The README's lessons table, from the record."""
    rows = ["| lesson | the claim the test checks | held | measured over other seeds |",
            "|---|---|---|---|"]
    for lesson in lessons:
        found = read().get(lesson.key)
        if found is None:
            rows.append(f"| {lesson.title} | {lesson.claim} | not measured | |")
            continue
        m, date, _ = found
        rows.append(f"| {lesson.title} | {lesson.claim} | {m.held} of {m.runs} "
                    f"(seeds {m.first_seed} to {m.first_seed + m.runs - 1}, {date}) | "
                    f"{m.sentence(lesson)} |")
    return "\n".join(rows)
