"""Full-audit export as JSON Lines: in one process, and ``evaluate-many`` end to end, against the targets of issue 15.

Usage::

    python benchmarks/bench_export.py                       # 100,000 carriers
    python benchmarks/bench_export.py --carriers 20000 --repeat 2

Writes a synthetic portfolio (seed ``bench``, as ``bench_batch.py``) as a JSON
Lines file, then prints, each beside the floor measured in the same run and
the load average:

- the serialisation alone: ``Evaluation.to_json(indent=None)`` encoded as
  UTF-8 (the plain encoder, the definition of the format) and
  ``views.jsonlines.evaluation_bytes`` (what ``evaluate-many`` writes), with a
  check that both give the same bytes for every carrier;
- evaluations with full audit detail as JSON lines, in one process, from
  carriers in memory (target: 15,000 carriers/s on the idle machine);
- ``incubator-rules evaluate-many FILE.jsonl -o OUT.jsonl`` as a subprocess,
  from the file to the file (target: 10,000 carriers/s on the idle machine),
  its CPU time beside the wall time, with and without the interpreter's
  start-up and imports, and a check that every line it wrote equals the
  in-process evaluation's JSON;
- two floors: ``bench_batch.floor_total`` (the hand-written award totals,
  timed in this process between the other passes), through which a rate
  target on the idle machine becomes a ratio (``bench_batch.IDLE_FLOOR``), and
  reading every line of the file with ``json.loads`` and copying every line
  of the output (no validation, no evaluation).

The machine is shared: every figure is CPU time (``time.process_time``, and
the subprocess's own from ``getrusage``), the passes of the paths alternate
round by round, and the best of ``--repeat`` rounds is printed with the
wall-clock rate beside it (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import datetime
import gc
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import incubator_rules as ir  # noqa: E402
from incubator_rules.files.portfolio_lines import write_lines  # noqa: E402
from incubator_rules.tools.synthetic import iter_portfolio  # noqa: E402
from incubator_rules.views.jsonlines import evaluation_bytes, evaluation_record  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_batch import IDLE_FLOOR, floor_total  # noqa: E402

AS_OF = datetime.date(2026, 12, 31)
SEED = "bench"
IN_PROCESS_TARGET = 15_000  # carriers/s, full audit detail as JSON Lines, one process
END_TO_END_TARGET = 10_000  # carriers/s, evaluate-many from a JSON Lines file to a JSON Lines file


def fingerprint(lines) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """How many lines, and one sha256 of them all (UTF-8, each with its line break)."""
    digest, count = hashlib.sha256(), 0
    for line in lines:
        digest.update(line)
        count += 1
    return count, digest.hexdigest()


def file_fingerprint(path: Path) -> tuple[int, str]:
    with open(path, "rb") as f:
        return fingerprint(f)


class Timing:
    """CPU and wall times of the passes of one path (``paused``: with the cycle collector paused, as a batch
    pauses it; otherwise its full scans of held evaluations dominate)."""

    def __init__(self, paused: bool = False) -> None:
        self.cpu: list[float] = []
        self.wall: list[float] = []
        self.paused = paused

    def run(self, run, cpu=None):  # type: ignore[no-untyped-def]
        """``run()`` timed; ``cpu``, when given, says the CPU time it took (a subprocess's)."""
        gc.collect()
        if self.paused:
            gc.disable()
        wall, start = time.perf_counter(), time.process_time()
        try:
            result = run()
        finally:
            gc.enable()
        spent, wall = time.process_time() - start, time.perf_counter() - wall
        self.cpu.append(spent if cpu is None else cpu(result))
        self.wall.append(wall)
        return result


def children_cpu(run):  # type: ignore[no-untyped-def]
    """``run()``, and the CPU time of the child processes it waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def row(label: str, n: int, t: Timing, floor: Timing | None = None, target: float | None = None,
        extra: float = 0.0) -> str:
    """A path's best CPU rate and wall rate; beside the floor, its ratio and what a rate ``target`` on the
    idle machine means here. ``extra`` is CPU time taken off the best (the start-up)."""
    cpu = min(t.cpu) - extra
    text = f"  {label:<58} {n / cpu:>9,.0f} /s CPU ({n / min(t.wall):>9,.0f} /s wall)"
    if floor is not None:
        ratio = cpu / min(floor.cpu)
        text += f"   {ratio:6.2f}x the floor"
        if target is not None:
            allowed = IDLE_FLOOR / target
            text += (f"; target {target:,.0f}/s = at most {allowed:.2f}x the floor: {'met' if ratio <= allowed else 'NOT met'}"
                     f"; at the idle floor's speed {IDLE_FLOOR / ratio:,.0f} /s")
    return text


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--carriers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    n = args.carriers
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")

    rs = ir.load_ruleset()
    with tempfile.TemporaryDirectory() as tmp:
        portfolio = Path(tmp, "portfolio.jsonl")
        with open(portfolio, "w", encoding="utf-8") as out:
            write_lines(out, ("bench", "synthetic district (seed bench)", None), iter_portfolio(n, SEED))
        print(f"portfolio: {n:,} carriers, {portfolio.stat().st_size / 1e6:.1f} MB of JSON Lines")
        carriers = list(iter_portfolio(n, SEED))
        output = Path(tmp, "evaluations.jsonl")
        command = [sys.executable, "-m", "incubator_rules", "evaluate-many", str(portfolio), "--as-of", AS_OF.isoformat(),
                   "-o", str(output), "--no-progress"]
        start_up = [sys.executable, "-c", "import incubator_rules.views.cli, incubator_rules.views.cli_stream"]  # what the command imports

        def in_process() -> int:  # the lines' fingerprint is taken apart, untimed (hashing them costs ~5 us a carrier)
            lines = ir.map_evaluations(evaluation_record, carriers, rs, AS_OF, stream=True, progress=False)
            return sum(len(text) for text, _, _ in lines)

        def copy_floor() -> None:
            with open(portfolio, encoding="utf-8") as f:
                for line in f:
                    json.loads(line)
            with open(output, encoding="utf-8") as f, open(Path(tmp, "copy.jsonl"), "w", encoding="utf-8") as out:
                for line in f:
                    out.write(line)

        pooled_command = command + ["--workers", "2"]
        floor, one, e2e, imports, copy, pooled = Timing(), Timing(), Timing(), Timing(), Timing(), Timing()
        print(f"{args.repeat} rounds, every path in each ({load()}):")
        for _ in range(args.repeat):
            floor.run(lambda: [floor_total(c, AS_OF) for c in carriers])
            one.run(in_process)
            e2e.run(lambda: children_cpu(lambda: subprocess.run(command, check=True, capture_output=True, cwd=ROOT)),
                    cpu=lambda spent: spent)
            imports.run(lambda: children_cpu(lambda: subprocess.run(start_up, check=True, capture_output=True, cwd=ROOT)),
                        cpu=lambda spent: spent)
            copy.run(copy_floor)
            pooled.run(lambda: children_cpu(lambda: subprocess.run(pooled_command, check=True, capture_output=True, cwd=ROOT)),
                       cpu=lambda spent: spent)
            print(f"  round done ({load()})", flush=True)
        pooled_written = file_fingerprint(output)
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
        written = file_fingerprint(output)
        found = fingerprint(text for text, _, _ in ir.map_evaluations(evaluation_record, carriers, rs, AS_OF, stream=True,
                                                                      progress=False))
        print(row("floor: bench_batch.floor_total, carriers in memory", n, floor)
              + f"; the idle floor ran at {IDLE_FLOOR:,} /s, so this machine runs at {n / min(floor.cpu) / IDLE_FLOOR:.2f}")
        print(row("full audit as JSON Lines, one process, carriers in memory", n, one, floor, IN_PROCESS_TARGET))
        print(row("evaluate-many FILE.jsonl -o OUT.jsonl, end to end", n, e2e, floor, END_TO_END_TARGET)
              + f"   {'identical' if written == found else 'DIFFERENT'} output")
        print(row("  the same, less the start-up and imports", n, e2e, floor, END_TO_END_TARGET, extra=min(imports.cpu))
              + f"   (start-up {min(imports.cpu):.2f} s CPU)")
        print(row("floor: json.loads of every input line, output lines copied", n, copy)
              + f"   end to end {min(e2e.cpu) / min(copy.cpu):.1f}x it")
        print(f"  {'evaluate-many ... --workers 2 (each worker reads ranges of the file)':<58} {n / min(pooled.wall):>9,.0f} /s wall"
              f"   {min(e2e.wall) / min(pooled.wall):.2f}x one process's wall; "
              f"{'identical' if pooled_written == written else 'DIFFERENT'} output")
        print(f"command: {' '.join(command[1:])}")
        del carriers

        evaluations = ir.evaluate_many(list(iter_portfolio(n, SEED)), rs, AS_OF, progress=False)
        plain, fast = Timing(paused=True), Timing(paused=True)
        for _ in range(args.repeat):
            plain_print = plain.run(lambda: fingerprint((ev.to_json(indent=None) + "\n").encode("utf-8") for ev in evaluations))
            fast_print = fast.run(lambda: fingerprint(evaluation_bytes(ev) for ev in evaluations))
        print(f"serialisation only, held evaluations, collector paused ({load()}):")
        print(row("to_json(indent=None), encoded as UTF-8", n, plain))
        print(row("views.jsonlines.evaluation_bytes", n, fast)
              + f"   {min(plain.cpu) / min(fast.cpu):.2f}x faster; {'identical' if plain_print == fast_print else 'DIFFERENT'} bytes;"
              f" {'identical' if fast_print == found else 'DIFFERENT'} to evaluate-many's")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
