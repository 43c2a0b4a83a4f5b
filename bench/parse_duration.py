"""How long the duration parser takes on long digit strings, beside a floor in the same run.

Each length is parsed as typed with a unit ("<digits>分", read as a number and refused as out of
range) and without one ("<digits>", refused): the two paths a long answer can take. The floor is
one `str.isdigit()` pass over the same string, so a parser that stays linear keeps a constant
multiple of it as the length grows, and a quadratic one's multiple grows with the length.

    .venv/bin/python bench/parse_duration.py [--lengths 1000,5000,20000] [--runs 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bot.content.models import Lexicon
from bot.content.yamlio import load_yaml
from bot.engine.parse import Reprompt, Words, parse_duration

ROOT = Path(__file__).resolve().parent.parent


def best_of(runs: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def refused(text: str, words: Words) -> None:
    try:
        parse_duration(text, words)
    except Reprompt:
        return
    raise AssertionError("a digit string this long must be refused")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", default="1000,5000,20000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    words = Words(Lexicon.model_validate(load_yaml(ROOT / "content" / "lexicon.yaml")))
    unit = words.lexicon.duration_units[1][0]
    print(f"{'digits':>8} {'with unit ms':>13} {'no unit ms':>11} {'floor ms':>9} {'x floor':>8}")
    for length in (int(n) for n in args.lengths.split(",")):
        digits = "7" * length
        with_unit = best_of(args.runs, partial(refused, digits + unit, words))
        without = best_of(args.runs, partial(refused, digits, words))
        floor = best_of(args.runs, digits.isdigit)
        print(f"{length:>8} {with_unit * 1e3:>13.2f} {without * 1e3:>11.2f} {floor * 1e3:>9.4f}"
              f" {max(with_unit, without) / floor:>8.0f}")


if __name__ == "__main__":
    main()
