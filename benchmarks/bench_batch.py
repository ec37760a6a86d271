"""Throughput and memory of portfolio evaluation, against a hand-written floor.

Usage::

    python benchmarks/bench_batch.py                 # 100,000 carriers
    python benchmarks/bench_batch.py --carriers 20000 --repeat 1

Prints, for a synthetic portfolio of about ten events per carrier: the time
to load and prepare the ruleset; evaluations per second in one process with
full audit detail (streamed, and held in a list); the same on a process pool
of all cores (full evaluations sent back, and budgets reduced in the
workers); peak memory when streaming versus holding; and the ratio against a
minimal hand-written function that computes only the award totals under the
default readings (checked to agree with the engine on every carrier).
Timings are the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import atexit
import datetime
import gc
import hashlib
import os
import resource
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Iterable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import incubator_rules as ir  # noqa: E402
from incubator_rules.model.carrier import EventType, Grade, Level  # noqa: E402
from incubator_rules.documents import read_document  # noqa: E402
from incubator_rules.files.ruleset import ruleset_from_document  # noqa: E402
from incubator_rules.files.types import RULESETS_DIR  # noqa: E402
from incubator_rules.tools.synthetic import generate_portfolio, iter_portfolio  # noqa: E402
from incubator_rules.views.jsonlines import evaluation_bytes  # noqa: E402

AS_OF = datetime.date(2026, 12, 31)
SEED = "bench"
# The targets of issues 6 and 15, printed beside the figures.
FULL_AUDIT_TARGET = 20_000  # carriers/s, one process, full audit detail
BUDGET_TARGET = 3.0  # a budget's time, at most this many times the floor's
POOL_TARGET = 1.6  # a budget on a pool of 2, at least this many times faster than in one process
JSON_LINES_TARGET = 15_000  # carriers/s, one process, evaluations written as JSON Lines

# --- the floor: award totals only, default readings, written by hand ----------

_START, _END = datetime.date(2023, 1, 1), datetime.date(2025, 12, 31)
_COLUMN = {"incubator": "incubator", "maker_space": "maker_space", "star_innovation_space": "maker_space"}
_SUBSIDY = {
    "incubator": {Level.NATIONAL: 1_000_000, Level.MUNICIPAL: 500_000, Level.DISTRICT: 200_000},
    "maker_space": {Level.NATIONAL: 500_000, Level.MUNICIPAL: 200_000, Level.DISTRICT: 100_000},
}
_EXCELLENCE = {
    "incubator": {Level.NATIONAL: 200_000, Level.MUNICIPAL: 100_000, Level.DISTRICT: 50_000},
    "maker_space": {Level.NATIONAL: 100_000, Level.MUNICIPAL: 50_000, Level.DISTRICT: 30_000},
}
# Enum members as globals, as the engine reads them (an Enum class attribute is slow to read in Python 3.11).
_ACCREDITED = EventType.ACCREDITED
_DELISTED = EventType.DELISTED
_EVALUATED = EventType.EVALUATED
_FILED = EventType.FILED
_OPERATION_STARTED = EventType.OPERATION_STARTED
_PAYMENT_RECEIVED = EventType.PAYMENT_RECEIVED
_RECTIFICATION_COMPLETED = EventType.RECTIFICATION_COMPLETED
_RECTIFICATION_ORDERED = EventType.RECTIFICATION_ORDERED
_RESUMED = EventType.RESUMED
_SUSPENDED = EventType.SUSPENDED
_EXCELLENT = Grade.EXCELLENT
_RANK = {t: i for i, t in enumerate(EventType)}
_STOPS = (_SUSPENDED, _RECTIFICATION_ORDERED, _DELISTED)


def _plus_year(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def floor_total(carrier: ir.Carrier, as_of: datetime.date) -> int:
    """What the carrier is awarded by ``as_of`` under the default readings, and nothing else."""
    events = sorted((e for e in carrier.events if e.date <= as_of), key=lambda e: (e.date, _RANK[e.type], e.id))
    own = carrier.kind.value
    total = 0
    # performance evaluations graded excellent: one award per year and level, paid as the kind of the title
    # evaluated (the latest at its level since the last delisting, else the latest of any level)
    delisted, seen = False, set()
    held: dict[Level, str] = {}
    latest = None
    for e in events:
        if e.type is _DELISTED:
            delisted = True
            held.clear()
            latest = None
        elif e.type is _ACCREDITED or e.type is _FILED:
            delisted = False
            latest = held[e.level] = (e.kind or carrier.kind).value
        elif e.type is _EVALUATED:
            column = _COLUMN.get(e.kind.value if e.kind else held.get(e.level) or latest or own)
            if column and _START <= e.date <= _END and not delisted and e.grade is _EXCELLENT:
                if (e.year, e.level) not in seen:
                    seen.add((e.year, e.level))
                    total += _EXCELLENCE[column][e.level]
    # accreditation subsidies: a year of normal operation from the accreditation
    due_list = []
    for i, e in enumerate(events):
        if not (e.type is _ACCREDITED or e.type is _FILED):
            continue
        column = _COLUMN.get((e.kind or carrier.kind).value)
        if column is None or not _START <= e.date <= _END:
            continue
        suspended = rectifying = gone = False
        due = None
        for j, x in enumerate(events):
            if j > i and due is not None and x.date > due:  # the anniversary day belongs to the year (inside_year)
                break
            t = x.type
            if t is _SUSPENDED:
                suspended = True
            elif t is _RESUMED:
                suspended = False
            elif t is _RECTIFICATION_ORDERED:
                rectifying = True
            elif t is _RECTIFICATION_COMPLETED:
                rectifying = False
            elif t is _DELISTED:
                gone = True
            elif t is _ACCREDITED or t is _FILED:
                gone = False
            if j < i:
                continue
            ok = not (suspended or rectifying or gone)
            if j == i:
                due = max(_plus_year(x.date), e.date) if ok else None
                counting = ok
                continue
            if t in _STOPS:
                if t is _DELISTED:
                    due = None
                    break
                due, counting = None, False
            elif not counting and ok:
                due, counting = max(_plus_year(x.date), e.date), True
        if due is not None:
            due_list.append((due, i, column, _SUBSIDY[column][e.level]))
    received: dict[str, int] = {}
    payments = [(e.date, _COLUMN.get((e.kind or carrier.kind).value), e.amount) for e in events
                if e.type is _PAYMENT_RECEIVED]
    for due, _, column, full in sorted(due_list):
        already = received.get(column, 0) + sum(a for d, c, a in payments if c == column and d <= due)
        amount = full if already == 0 else full - already if full > already else 0
        if amount:
            received[column] = received.get(column, 0) + amount
            if due <= as_of:
                total += amount
    return total


# --- measuring ------------------------------------------------------------------


def _json(ev: ir.Evaluation) -> str:
    """An evaluation with its full audit detail, as the JSON an auditor would store."""
    return ev.to_json(indent=None)


def _fingerprint(texts: Iterable[str]) -> tuple[int, str]:
    """How many texts, and one sha256 of them all: enough to compare two runs without holding both."""
    digest, count = hashlib.sha256(), 0
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\n")
        count += 1
    return count, digest.hexdigest()


def best(repeat: int, run) -> tuple[float, object]:
    """The shortest wall time of ``repeat`` runs of ``run()``, and its last result."""
    fastest, result = float("inf"), None
    for _ in range(repeat):
        result = None  # the previous run's result is not kept alive during this one
        gc.collect()
        start = time.perf_counter()
        result = run()
        fastest = min(fastest, time.perf_counter() - start)
    return fastest, result


def child_memory(mode: str, n: int) -> int:
    """Peak resident memory (KiB) of a fresh process evaluating ``n`` generated carriers in ``mode``."""
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--carriers", str(n)],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def child(mode: str, n: int) -> None:
    carriers = iter_portfolio(n, SEED)
    if mode == "stream":
        count = sum(1 for _ in ir.evaluate_many(carriers, as_of=AS_OF, stream=True, progress=False))
    else:
        count = len(ir.evaluate_many(list(carriers), as_of=AS_OF, progress=False))
    assert count == n
    # VmHWM, the peak resident size of this process image (ru_maxrss would include the parent's at fork)
    status = Path("/proc/self/status")
    if status.exists():
        print(next(line.split()[1] for line in status.read_text().splitlines() if line.startswith("VmHWM:")))
    else:
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--carriers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--child", choices=("stream", "list"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.carriers)
        return 0
    n = args.carriers
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    atexit.register(lambda: print(f"load average {os.getloadavg()[0]:.2f} at the end"))

    path = RULESETS_DIR / "wanzhou-2023.yaml"
    load_s, rs = best(args.repeat, lambda: ruleset_from_document(read_document(path)))
    warm = generate_portfolio(200, "warm-up")
    prep_s, _ = best(1, lambda: [ir.evaluate(c, rs, AS_OF) for c in warm[:1]])
    print(f"ruleset: load and validate {load_s * 1000:.1f} ms; prepare (lookups, templates, first evaluation) {prep_s * 1000:.1f} ms")

    gen_start = time.perf_counter()
    carriers = generate_portfolio(n, SEED)
    events = sum(len(c.events) for c in carriers)
    print(f"portfolio: {n:,} carriers, {events / n:.1f} events each (generated in {time.perf_counter() - gen_start:.1f} s)")
    ir.evaluate_many(warm, rs, AS_OF)

    def rate(seconds: float) -> str:
        return f"{n / seconds:>9,.0f} carriers/s ({seconds:.2f} s)"

    stream_s, totals = best(args.repeat, lambda: [e.total for e in ir.evaluate_many(carriers, rs, AS_OF, stream=True, progress=False)])
    print(f"one process, streamed, full audit detail:    {rate(stream_s)}; target {FULL_AUDIT_TARGET:,}/s, "
          f"ratio {n / stream_s / FULL_AUDIT_TARGET:.2f} ({'met' if n / stream_s >= FULL_AUDIT_TARGET else 'NOT met'})")
    held_s, _ = best(args.repeat, lambda: len(ir.evaluate_many(carriers, rs, AS_OF, progress=False)))
    print(f"one process, held in a list:                 {rate(held_s)}")
    floor_s, floor = best(args.repeat, lambda: [floor_total(c, AS_OF) for c in carriers])
    mismatches = sum(a != b for a, b in zip(totals, floor))
    print(f"hand-written floor (award totals only):      {rate(floor_s)}; disagrees with the engine on {mismatches} carriers")
    print(f"engine time / floor time:                    {stream_s / floor_s:.2f}x")

    budget_s, base = best(args.repeat, lambda: ir.budget(carriers, ruleset=rs, as_of=AS_OF, progress=False))
    print(f"one process, budget:                         {rate(budget_s)}; budget time / floor time {budget_s / floor_s:.2f}x, "
          f"target at most {BUDGET_TARGET:.0f}x ({'met' if budget_s / floor_s <= BUDGET_TARGET else 'NOT met'})")
    json_s, texts = best(args.repeat, lambda: ir.map_evaluations(_json, carriers, rs, AS_OF, progress=False))
    texts = _fingerprint(texts)  # not held while the pools below fork: see docs/performance.md
    print(f"one process, each evaluation as JSON:        {rate(json_s)}")
    lines_s, lines = best(args.repeat, lambda: ir.map_evaluations(evaluation_bytes, carriers, rs, AS_OF, progress=False))
    same = _fingerprint(line[:-1].decode("utf-8") for line in lines) == texts
    del lines
    print(f"one process, as JSON Lines (evaluate-many):  {rate(lines_s)}; target {JSON_LINES_TARGET:,}/s, ratio "
          f"{n / lines_s / JSON_LINES_TARGET:.2f} ({'met' if n / lines_s >= JSON_LINES_TARGET else 'NOT met'}); "
          f"{'the same text' if same else 'DIFFERENT text'} as to_json")

    w = args.workers
    print(f"pool of {w} (workers={w}: forked, the carriers inherited, not sent):")
    fork_budget_s, pooled = best(args.repeat, lambda: ir.budget(carriers, ruleset=rs, as_of=AS_OF, workers=w, progress=False))
    assert pooled == base
    print(f"  budget reduced in the workers:             {rate(fork_budget_s)}; {budget_s / fork_budget_s:.2f}x one process, "
          f"target at least {POOL_TARGET}x ({'met' if budget_s / fork_budget_s >= POOL_TARGET else 'NOT met'})")
    fork_json_s, pooled_texts = best(args.repeat, lambda: ir.map_evaluations(_json, carriers, rs, AS_OF, workers=w, progress=False))
    assert _fingerprint(pooled_texts) == texts
    del pooled_texts
    print(f"  each evaluation as JSON, sent back:        {rate(fork_json_s)}; {json_s / fork_json_s:.2f}x one process")
    fork_s, _ = best(args.repeat, lambda: sum(1 for _ in ir.evaluate_many(carriers, rs, AS_OF, workers=w, stream=True, progress=False)))
    print(f"  Evaluation objects sent back:              {rate(fork_s)}; {stream_s / fork_s:.2f}x one process")
    with ProcessPoolExecutor(w) as pool:
        print(f"pool of {w} (a ProcessPoolExecutor given as executor: the carriers sent):")
        ir.evaluate_many(warm, rs, AS_OF, executor=pool)
        pbudget_s, pooled = best(args.repeat, lambda: ir.budget(carriers, ruleset=rs, as_of=AS_OF, executor=pool, progress=False))
        assert pooled == base
        print(f"  budget reduced in the workers:             {rate(pbudget_s)}; {budget_s / pbudget_s:.2f}x one process")
        pool_s, _ = best(args.repeat, lambda: sum(1 for _ in ir.evaluate_many(carriers, rs, AS_OF, executor=pool, stream=True, progress=False)))
        print(f"  Evaluation objects sent back:              {rate(pool_s)}; {stream_s / pool_s:.2f}x one process")

    small = max(n // 10, 1)
    print(f"peak memory, streamed: {child_memory('stream', small) / 1024:.0f} MiB for {small:,} carriers, "
          f"{child_memory('stream', n) / 1024:.0f} MiB for {n:,}")
    print(f"peak memory, held:     {child_memory('list', small) / 1024:.0f} MiB for {small:,} carriers, "
          f"{child_memory('list', n) / 1024:.0f} MiB for {n:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
