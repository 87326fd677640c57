"""Measure every lesson's claim over many seeds.

    python -m explorer.lessons --seeds 40              # seeds 1..40, print the table
    python -m explorer.lessons --seeds 40 --write      # and keep it (measured.json, README)
    python -m explorer.lessons --only dead_relu,batch --first 1001 --jobs 2

Exits non-zero if a claim holds on fewer than 95% of the seeds.
"""
import argparse
import re
import sys
import time
from pathlib import Path

from . import BY_KEY, LESSONS
from .spread import MIN_HELD, machine, measure, table, write

README = Path(__file__).resolve().parents[2] / "README.md"
MARK = re.compile(r"(<!-- lessons-table -->\n).*?(\n<!-- /lessons-table -->)", re.S)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m explorer.lessons", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=40, help="how many seeds (default 40)")
    ap.add_argument("--first", type=int, default=1, help="the first seed (default 1; "
                    "the lessons' links use 0)")
    ap.add_argument("--only", default="", help="lesson keys, comma-separated")
    ap.add_argument("--jobs", type=int, default=2, help="processes (default 2)")
    ap.add_argument("--write", action="store_true",
                    help="keep the result in measured.json and the README's table")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every run")
    a = ap.parse_args(argv)
    keys = [k for k in a.only.split(",") if k] or [lesson.key for lesson in LESSONS]
    unknown = [k for k in keys if k not in BY_KEY]
    if unknown:
        ap.error(f"no lesson {', '.join(unknown)}; the lessons are {', '.join(BY_KEY)}")
    lessons = [BY_KEY[k] for k in keys]
    seeds = range(a.first, a.first + a.seeds)

    def report(key, seed, holds, evidence):
        if a.verbose or not holds:
            print(f"  {key} seed {seed}: {'holds' if holds else 'FAILS'}: {evidence}",
                  flush=True)
    print(f"{len(lessons)} lessons x {a.seeds} seeds ({a.first} to {seeds[-1]}) on "
          f"{machine()}, {a.jobs} processes", flush=True)
    t = time.perf_counter()
    result = measure(lessons, seeds, a.jobs, report)
    print(f"\n{'lesson':14} {'held':>7} {'s/seed':>6}  spread")
    for lesson in lessons:
        m = result[lesson.key]
        print(f"{lesson.key:14} {m.held:>3}/{m.runs:<3} {m.seconds:6.1f}  {m.sentence(lesson)}")
        for name, s in m.figures.items():
            print(f"{'':30}{name}: {s:.4g}")
    print(f"\n{time.perf_counter() - t:.0f} s in all")
    if a.write:
        write(result)
        text = README.read_text()
        if MARK.search(text):
            README.write_text(MARK.sub(lambda m: m[1] + table(LESSONS) + m[2], text))
        print("written: measured.json and the README's table")
    short = [k for k, m in result.items() if m.held < MIN_HELD * m.runs]
    if short:
        print(f"held on fewer than {MIN_HELD:.0%} of the seeds: {', '.join(short)}")
    return 1 if short else 0


if __name__ == "__main__":
    sys.exit(main())
