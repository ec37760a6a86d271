"""Evaluations per second of the shipped rulesets written in the generic kinds, on their own cases' carriers.

Usage::

    python benchmarks/bench_rulesets.py --repeat 3 --rounds 400

Each ruleset evaluates the carriers of its case file (tests/cases) ``--rounds``
times with full audit detail, on the native engine; prints the best of
``--repeat`` runs beside the Wanzhou floor of docs/performance.md for scale.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import incubator_rules as ir  # noqa: E402

FILES = {
    "wuhan-wuchang-2020": "wuchang-2020.yaml",
    "wuhan-jiangan-2020": "jiangan-2020.yaml",
    "xian-municipal-maker-space": "xian-maker-space.yaml",
}
FLOOR = 2000  # evaluations per second a district-sized batch should at least reach


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=400)
    args = parser.parse_args()
    print(f"{'ruleset':32} {'carriers':>8} {'evals/s':>10} {'floor':>8}")
    for rid, name in FILES.items():
        rs = ir.load_ruleset(rid)
        cases = ir.load_cases(ROOT / "tests" / "cases" / name)
        work = [(c.carrier, c.as_of) for c in cases]
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            for _ in range(args.rounds):
                for carrier, as_of in work:
                    ir.evaluate(carrier, rs, as_of)
            best = min(best, time.perf_counter() - start)
        rate = args.rounds * len(work) / best
        print(f"{rid:32} {len(work):>8} {rate:>10,.0f} {FLOOR:>8,} {'ok' if rate >= FLOOR else 'BELOW FLOOR'}")


if __name__ == "__main__":
    main()
