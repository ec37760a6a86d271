"""Full-audit export as JSON Lines: in one process, and ``evaluate-many`` end to end, against the targets of issue 15.

Usage::

    python benchmarks/bench_export.py                       # 100,000 carriers
    python benchmarks/bench_export.py --carriers 20000 --repeat 1

Writes a synthetic portfolio (seed ``bench``, as ``bench_batch.py``) as a JSON
Lines file, then prints, each with its target and the ratio to it, measured
in the same run:

- the serialisation alone: ``Evaluation.to_json(indent=None)`` encoded as
  UTF-8 (the plain encoder, the definition of the format) and
  ``views.jsonlines.evaluation_bytes`` (what ``evaluate-many`` writes), with a
  check that both give the same bytes for every carrier;
- evaluations with full audit detail as JSON lines, in one process, from
  carriers in memory (target: 15,000 carriers/s);
- ``incubator-rules evaluate-many FILE.jsonl -o OUT.jsonl`` as a subprocess,
  from the file to the file (target: 10,000 carriers/s), its CPU time beside
  the wall time, and a check that every line it wrote equals the in-process
  evaluation's JSON;
- the floor of the end-to-end run: reading every line of the file with
  ``json.loads`` and writing every line of the output back (no validation, no
  evaluation).

Timings are the best of ``--repeat`` runs; the load average is printed at
the start and the end (the machine is shared: see docs/performance.md).
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

AS_OF = datetime.date(2026, 12, 31)
SEED = "bench"
IN_PROCESS_TARGET = 15_000  # carriers/s, full audit detail as JSON Lines, one process
END_TO_END_TARGET = 10_000  # carriers/s, evaluate-many from a JSON Lines file to a JSON Lines file


def best(repeat: int, run, paused: bool = False) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    """The shortest wall time of ``repeat`` runs of ``run()``, and its last result; ``paused``: with the cycle
    collector paused, as a batch pauses it (otherwise its full scans of the held evaluations dominate)."""
    fastest, result = float("inf"), None
    for _ in range(repeat):
        result = None
        gc.collect()
        if paused:
            gc.disable()
        start = time.perf_counter()
        try:
            result = run()
        finally:
            gc.enable()
        fastest = min(fastest, time.perf_counter() - start)
    return fastest, result


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


def row(label: str, n: int, seconds: float, target: float | None = None) -> str:
    rate = n / seconds
    text = f"{label:<58} {rate:>9,.0f} carriers/s ({seconds:6.2f} s)"
    if target is not None:
        text += f"   target {target:>7,.0f}/s   ratio {rate / target:4.2f} {'met' if rate >= target else 'NOT met'}"
    return text


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
        evaluations = ir.evaluate_many(carriers, rs, AS_OF, progress=False)

        plain_s, plain = best(args.repeat, lambda: fingerprint((ev.to_json(indent=None) + "\n").encode("utf-8")
                                                               for ev in evaluations), paused=True)
        fast_s, fast = best(args.repeat, lambda: fingerprint(evaluation_bytes(ev) for ev in evaluations), paused=True)
        print(row("serialisation only, to_json(indent=None), encoded as UTF-8", n, plain_s))
        print(row("serialisation only, views.jsonlines.evaluation_bytes", n, fast_s)
              + f"   {plain_s / fast_s:.2f}x faster; {'identical' if plain == fast else 'DIFFERENT'} bytes")
        del evaluations

        def in_process() -> tuple[int, str]:
            lines = ir.map_evaluations(evaluation_record, carriers, rs, AS_OF, stream=True, progress=False)
            return fingerprint(text for text, _, _ in lines)

        one_s, one = best(args.repeat, in_process)
        print(row("full audit as JSON Lines, one process, carriers in memory", n, one_s, IN_PROCESS_TARGET)
              + f"   {'identical' if one == plain else 'DIFFERENT'}")
        del carriers

        output = Path(tmp, "evaluations.jsonl")
        command = [sys.executable, "-m", "incubator_rules", "evaluate-many", str(portfolio), "--as-of", AS_OF.isoformat(),
                   "-o", str(output), "--no-progress"]

        def end_to_end() -> float:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

        cpu: list[float] = []
        e2e_s, _ = best(args.repeat, lambda: cpu.append(end_to_end()))
        written = file_fingerprint(output)
        print(row("evaluate-many FILE.jsonl -o OUT.jsonl, end to end (wall)", n, e2e_s, END_TO_END_TARGET)
              + f"   {'identical' if written == plain else 'DIFFERENT'} output")
        print(row("  the same, CPU time of the subprocess (best run)", n, min(cpu), END_TO_END_TARGET))

        def floor() -> None:
            with open(portfolio, encoding="utf-8") as f:
                for line in f:
                    json.loads(line)
            with open(output, encoding="utf-8") as f, open(Path(tmp, "copy.jsonl"), "w", encoding="utf-8") as out:
                for line in f:
                    out.write(line)

        floor_s, _ = best(args.repeat, floor)
        print(row("floor: json.loads of every input line, output lines copied", n, floor_s)
              + f"   end to end / floor {e2e_s / floor_s:.1f}x")
        print(f"command: {' '.join(command[1:])}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
