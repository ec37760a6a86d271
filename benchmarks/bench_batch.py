"""Throughput and memory of portfolio evaluation, against a hand-written floor measured in the same run.

Usage::

    python benchmarks/bench_batch.py                 # 100,000 carriers
    python benchmarks/bench_batch.py --carriers 20000 --repeat 2 --pool-rounds 3

Prints, for a synthetic portfolio of about ten events per carrier: the time
to load and prepare the ruleset; in one process, the floor (a minimal
hand-written function that computes only the award totals under the default
readings, checked to agree with the engine on every carrier), full audit
detail streamed and held, a budget, evaluations as JSON and as JSON Lines,
each beside the floor; on a pool of two, a budget against one process, and
the other pool figures; peak memory when streaming versus holding.

The machine is shared, so wall-clock rates measure the neighbours as much as
the code. One-process figures are therefore timed in CPU time
(``time.process_time``), the passes of every path alternating round by round,
and each is printed as a ratio to the floor's CPU time: best against best,
and the median of the rounds' own ratios. A target set as a rate on the idle
machine is turned into a ratio through the floor's rate there
(``IDLE_FLOOR``): 20,000 carriers/s is ``IDLE_FLOOR / 20,000`` times the
floor's time. The pool of two is timed against one process in alternating
rounds, with the load average before each, the CPU time of its workers
beside its wall time, and how many cores it had. The load average is
printed at the start, before each section and at the end.
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
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Iterable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import incubator_rules as ir  # noqa: E402
from incubator_rules.model.carrier import EventType, Grade, Level  # noqa: E402
from incubator_rules.documents import read_document  # noqa: E402
from incubator_rules.files.portfolio_lines import write_lines  # noqa: E402
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
# The floor's rate on the idle machine: 182,078 carriers/s on 2026-11-29 (docs/performance.md), when it took
# 58,248 instructions a carrier; corrected since (issue 15), it takes 65,015 (benchmarks/instructions.py, 1,000
# carriers), so at the same speed per instruction it runs at 182,078 * 58,248 / 65,015 = 163,126 carriers/s.
# A target rate R on the idle machine is a ratio to the floor's time of IDLE_FLOOR / R.
IDLE_FLOOR = 182_078 * 58_248 // 65_015

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


def _consumed(texts: Iterable[str | bytes]) -> int:
    """How many characters (or bytes) of text: what a timed pass does with its output. The output's
    fingerprint is taken in a pass of its own, untimed: hashing an 8 KB line (and, for bytes, decoding and
    encoding it again) cost 5 to 15 us a carrier, a sixth of the whole JSON Lines path."""
    return sum(map(len, texts))


def _fingerprint(texts: Iterable[str]) -> tuple[int, str]:
    """How many texts, and one sha256 of them all: enough to compare two runs without holding both."""
    digest, count = hashlib.sha256(), 0
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\n")
        count += 1
    return count, digest.hexdigest()


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def pool_rounds(label: str, rounds: int, w: int, one_run, pool_run, expected) -> None:  # type: ignore[no-untyped-def]
    """One process against a pool, ``rounds`` rounds alternating (each result checked against ``expected``): each
    round's wall and CPU times, the speed-up best against best and its median, and the pool's overhead."""
    print(f"{label}, {rounds} rounds alternating ({load()}):")
    one, pool = Timing(), Timing()
    for _ in range(rounds):
        assert one.run(one_run) == expected
        assert pool.run(pool_run) == expected
    pairs = [a / b for a, b in zip(one.wall, pool.wall)]
    cores = [(c + k) / wall for c, k, wall in zip(pool.cpu, pool.workers, pool.wall)]
    print("  round  load   one process wall (CPU)   pool wall (parent CPU + workers' CPU)   speed-up   cores used")
    for i, (a, b) in enumerate(zip(one.wall, pool.wall)):
        print(f"  {i + 1:>5} {pool.loads[i]:5.2f}   {a:6.2f} s ({one.cpu[i]:5.2f} s)          {b:6.2f} s "
              f"({pool.cpu[i]:5.2f} s + {pool.workers[i]:5.2f} s)                {pairs[i]:5.2f}x    {cores[i]:4.2f}")
    speedup = one.best_wall / pool.best_wall
    work = min(pool.workers)
    print(f"  pool / one process: best wall against best wall {speedup:.2f}x, median of the rounds "
          f"{median(pairs):.2f}x, best round {max(pairs):.2f}x; target at least {POOL_TARGET}x: {verdict(speedup >= POOL_TARGET)}")
    print(f"  the workers' CPU time, all together: {work / one.best_cpu:.2f}x one process's (the pool's overhead); "
          f"on {w} free cores the pool could reach {w * one.best_cpu / work:.2f}x "
          f"(one process's CPU time over one worker's share); the rounds had {median(cores):.2f} cores (median)")


class Timing:
    """Wall and CPU times of the passes of one path; with ``children``, the CPU time of the pool's workers."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.workers: list[float] = []
        self.loads: list[float] = []

    def run(self, run):  # type: ignore[no-untyped-def]
        gc.collect()
        self.loads.append(os.getloadavg()[0])
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.wall.append(wall)
        self.cpu.append(cpu)
        self.workers.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        return result

    @property
    def best_cpu(self) -> float:
        return min(self.cpu)

    @property
    def best_wall(self) -> float:
        return min(self.wall)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


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


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--carriers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the one-process passes (default 3)")
    parser.add_argument("--pool-rounds", type=int, default=5, help="rounds of budget, one process then pool (default 5)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-other-pools", action="store_true", help="only the budget on the pool")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--child", choices=("stream", "list"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.carriers)
        return 0
    n = args.carriers
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    atexit.register(lambda: print(f"load average {os.getloadavg()[0]:.2f} at the end"))

    path = RULESETS_DIR / "wanzhou-2023.yaml"
    load_t = Timing()
    for _ in range(3):
        rs = load_t.run(lambda: ruleset_from_document(read_document(path)))
    warm = generate_portfolio(200, "warm-up")
    prep_t = Timing()
    prep_t.run(lambda: [ir.evaluate(c, rs, AS_OF) for c in warm[:1]])
    print(f"ruleset: load and validate {load_t.best_cpu * 1000:.1f} ms CPU; prepare (lookups, templates, first evaluation) "
          f"{prep_t.best_cpu * 1000:.1f} ms CPU")

    gen_start = time.perf_counter()
    carriers = generate_portfolio(n, SEED)
    events = sum(len(c.events) for c in carriers)
    print(f"portfolio: {n:,} carriers, {events / n:.1f} events each (generated in {time.perf_counter() - gen_start:.1f} s)")
    ir.evaluate_many(warm, rs, AS_OF)
    ir.budget(warm, ruleset=rs, as_of=AS_OF, progress=False)

    # --- one process: every path's passes alternate, round by round
    print(f"one process, {args.repeat} rounds, every path in each ({load()}):")
    paths = {
        "floor": lambda: [floor_total(c, AS_OF) for c in carriers],
        "streamed": lambda: [e.total for e in ir.evaluate_many(carriers, rs, AS_OF, stream=True, progress=False)],
        "held": lambda: len(ir.evaluate_many(carriers, rs, AS_OF, progress=False)),
        "budget": lambda: ir.budget(carriers, ruleset=rs, as_of=AS_OF, progress=False),
        "json": lambda: _consumed(ir.map_evaluations(_json, carriers, rs, AS_OF, stream=True, progress=False)),
        "lines": lambda: _consumed(ir.map_evaluations(evaluation_bytes, carriers, rs, AS_OF, stream=True, progress=False)),
    }
    timings = {name: Timing() for name in paths}
    results: dict[str, object] = {}
    for _ in range(args.repeat):
        for name, run in paths.items():
            results[name] = timings[name].run(run)
    floor_t = timings["floor"]
    totals, floor = results["streamed"], results["floor"]
    mismatches = sum(a != b for a, b in zip(totals, floor))  # type: ignore[call-overload]
    base = results["budget"]
    json_print = _fingerprint(ir.map_evaluations(_json, carriers, rs, AS_OF, stream=True, progress=False))
    same = json_print == _fingerprint(line[:-1].decode("utf-8") for line in
                                      ir.map_evaluations(evaluation_bytes, carriers, rs, AS_OF, stream=True, progress=False))

    def ratio(name: str) -> tuple[float, float]:
        t = timings[name]
        return t.best_cpu / floor_t.best_cpu, median([c / f for c, f in zip(t.cpu, floor_t.cpu)])

    def line(label: str, name: str, target_ratio: float | None = None, target_text: str = "") -> str:
        t = timings[name]
        best, med = ratio(name)
        text = (f"  {label:<34} {n / t.best_cpu:>9,.0f} /s CPU ({n / t.best_wall:>9,.0f} /s wall); "
                f"{best:5.2f}x the floor (median of rounds {med:5.2f}x)")
        if target_ratio is not None:
            text += f"; target {target_text} = at most {target_ratio:.2f}x the floor: {verdict(best <= target_ratio)}"
            text += f"; at the idle floor's speed {IDLE_FLOOR / best:,.0f} /s"
        return text

    print(f"  {'floor (award totals only)':<34} {n / floor_t.best_cpu:>9,.0f} /s CPU ({n / floor_t.best_wall:>9,.0f} /s wall); "
          f"disagrees with the engine on {mismatches} carriers; idle floor {IDLE_FLOOR:,} /s, so this machine runs at "
          f"{n / floor_t.best_cpu / IDLE_FLOOR:.2f} of its idle speed")
    print(line("full audit, streamed", "streamed", IDLE_FLOOR / FULL_AUDIT_TARGET, f"{FULL_AUDIT_TARGET:,}/s"))
    print(line("full audit, held in a list", "held"))
    print(line("budget (totals without detail)", "budget", BUDGET_TARGET, f"{BUDGET_TARGET:.0f}x"))
    print(line("each evaluation as JSON (to_json)", "json"))
    print(line("as JSON Lines (evaluation_bytes)", "lines", IDLE_FLOOR / JSON_LINES_TARGET, f"{JSON_LINES_TARGET:,}/s")
          + f"; {'the same text' if same else 'DIFFERENT text'} as to_json")
    del results, totals, floor

    # --- the budget on a pool of two, against one process, rounds alternating: from carriers in memory, then from
    # the user's file (JSON Lines), where each worker reads its own ranges of the file
    w = args.workers
    pool_rounds(f"budget on a pool of {w} (workers={w}: forked, the carriers inherited), against one process",
                args.pool_rounds, w, lambda: ir.budget(carriers, ruleset=rs, as_of=AS_OF, progress=False),
                lambda: ir.budget(carriers, ruleset=rs, as_of=AS_OF, workers=w, progress=False), base)
    with tempfile.TemporaryDirectory() as tmp:
        portfolio = Path(tmp, "portfolio.jsonl")
        with open(portfolio, "w", encoding="utf-8") as out:
            write_lines(out, ("bench", "synthetic district (seed bench)", None), carriers)
        pool_rounds(f"budget from the file ({portfolio.stat().st_size / 1e6:.0f} MB of JSON Lines, read and evaluated) "
                    f"on a pool of {w} (each worker reads ranges of the file), against one process",
                    args.pool_rounds, w, lambda: ir.budget(portfolio, ruleset=rs, as_of=AS_OF, progress=False),
                    lambda: ir.budget(portfolio, ruleset=rs, as_of=AS_OF, workers=w, progress=False), base)

    if not args.skip_other_pools:
        print(f"other pool figures (best wall of {args.repeat}; {load()}):")
        json_one = timings["json"].best_wall
        stream_one = timings["streamed"].best_wall
        def other(label: str, run, one_wall: float):  # type: ignore[no-untyped-def]
            t = Timing()
            for _ in range(args.repeat):
                result = t.run(run)
            print(f"  {label:<48} {n / t.best_wall:>9,.0f} /s wall; {one_wall / t.best_wall:.2f}x one process (wall)")
            return result

        pooled = other(f"workers={w}, each evaluation as JSON, sent back:", lambda: _fingerprint(ir.map_evaluations(
            _json, carriers, rs, AS_OF, workers=w, stream=True, progress=False)), json_one)
        assert pooled == json_print
        other(f"workers={w}, Evaluation objects sent back:", lambda: sum(1 for _ in ir.evaluate_many(
            carriers, rs, AS_OF, workers=w, stream=True, progress=False)), stream_one)
        with ProcessPoolExecutor(w) as executor:
            ir.evaluate_many(warm, rs, AS_OF, executor=executor)
            pooled = other(f"ProcessPoolExecutor({w}) given, budget:", lambda: ir.budget(
                carriers, ruleset=rs, as_of=AS_OF, executor=executor, progress=False), one.best_wall)
            assert pooled == base
            other(f"ProcessPoolExecutor({w}) given, Evaluations:", lambda: sum(1 for _ in ir.evaluate_many(
                carriers, rs, AS_OF, executor=executor, stream=True, progress=False)), stream_one)

    if not args.skip_memory:
        small = max(n // 10, 1)
        print(f"peak memory, streamed: {child_memory('stream', small) / 1024:.0f} MiB for {small:,} carriers, "
              f"{child_memory('stream', n) / 1024:.0f} MiB for {n:,}")
        print(f"peak memory, held:     {child_memory('list', small) / 1024:.0f} MiB for {small:,} carriers, "
              f"{child_memory('list', n) / 1024:.0f} MiB for {n:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
