"""Instructions per carrier of the main paths, counted by valgrind's callgrind: repeatable where times are not.

Usage::

    python benchmarks/instructions.py                          # every path, 500 carriers
    python benchmarks/instructions.py --path full --path floor --carriers 1000

Each path runs in a fresh Python under ``valgrind --tool=callgrind``: after
the imports, the portfolio and a warm-up, it makes three passes over the
carriers, each after a call of ``os.getppid`` (callgrind dumps its counts
before every call of that function, ``--dump-before=os_getppid``). The counts
of the second and third passes, divided by the number of carriers, are what
one carrier costs once the process, the imports, the portfolio and the
caches are set up; the first pass fills the caches and is left out. The
passes go over the same carriers, so the second and third find in the
bounded memos (explanations, the JSON Lines writer's texts) every value the
first put there; ``--fresh`` gives each pass carriers of its own seed, as a
long run meets new dates and texts: the count then includes the memos' misses.
``PYTHONHASHSEED=0`` keeps dictionaries alike from run to run. The counts are those of this machine's Python build and
libraries; valgrind counts OpenSSL's generic SHA-256 code, where the CPU
itself has SHA instructions (see docs/performance.md).

The paths, over the synthetic portfolio of ``bench_batch.py`` (seed
``bench``, as of 2026-12-31, the default ruleset and readings):

- ``floor``: ``bench_batch.floor_total``, the hand-written award totals;
- ``full``: ``evaluate_many`` streamed, full audit detail;
- ``budget``: ``budget`` (totals without detail);
- ``writer``: ``views.jsonlines.evaluation_bytes`` of held evaluations;
- ``jsonl``: ``map_evaluations(evaluation_bytes)``: evaluating and writing;
- ``read``: ``iter_carriers`` of a JSON Lines portfolio (the reading of ``evaluate-many``);
- ``e2e``: ``incubator-rules evaluate-many FILE.jsonl -o OUT.jsonl`` (its ``main``, in the process).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from cpu_against import extracted

ROOT = Path(__file__).resolve().parent.parent
PATHS = ("floor", "full", "budget", "writer", "jsonl", "read", "e2e")

CHILD = r'''
import datetime, sys
sys.path.insert(0, {root!r}); sys.path.insert(0, {bench!r})
import incubator_rules as ir
from incubator_rules.tools.synthetic import generate_portfolio
from incubator_rules.files.carriers import iter_carriers
from incubator_rules.views.jsonlines import evaluation_bytes
from incubator_rules.views.cli import main
from bench_batch import floor_total
AS_OF = datetime.date(2026, 12, 31)
path, n, passes, portfolio, out, fresh = {path!r}, {n}, {passes}, {portfolio!r}, {out!r}, {fresh!r}
rs = ir.load_ruleset()
portfolios = [generate_portfolio(n, f"bench-{{i}}" if fresh and i else "bench") for i in range(passes if fresh else 1)]
warm = generate_portfolio(100, "warm-up")
list(ir.evaluate_many(warm, rs, AS_OF, stream=True, progress=False)); ir.budget(warm, ruleset=rs, as_of=AS_OF, progress=False)
evaluated = [ir.evaluate_many(p, rs, AS_OF, progress=False) for p in portfolios] if path == "writer" else None
import os
for i in range(passes):
    carriers = portfolios[i % len(portfolios)]
    held = evaluated[i % len(evaluated)] if evaluated else None
    os.getppid()  # callgrind dumps its counts here
    if path == "floor":
        for c in carriers:
            floor_total(c, AS_OF)
    elif path == "full":
        for ev in ir.evaluate_many(carriers, rs, AS_OF, stream=True, progress=False):
            pass
    elif path == "budget":
        ir.budget(carriers, ruleset=rs, as_of=AS_OF, progress=False)
    elif path == "writer":
        for ev in held:
            evaluation_bytes(ev)
    elif path == "jsonl":
        for line in ir.map_evaluations(evaluation_bytes, carriers, rs, AS_OF, stream=True, progress=False):
            pass
    elif path == "read":
        for c in iter_carriers(portfolio, False):
            pass
    elif path == "e2e":
        assert main(["evaluate-many", portfolio, "--as-of", "2026-12-31", "-o", out, "--no-progress"]) == 0
os.getppid()
'''
PASSES = 3


def instructions(path: str, n: int, tmp: Path, root: Path = ROOT, fresh: bool = False) -> list[int]:
    """The instructions callgrind counts in each of the passes of ``path`` over ``n`` carriers, in a fresh
    process with the package at ``root`` (``fresh``: each pass over carriers of its own seed)."""
    script = tmp / f"{path}.py"
    script.write_text(CHILD.format(root=str(root), bench=str(ROOT / "benchmarks"), path=path, n=n, passes=PASSES,
                                   portfolio=str(tmp / "portfolio.jsonl"), out=str(tmp / f"out-{path}.jsonl"),
                                   fresh=fresh),
                      encoding="utf-8")
    out = tmp / f"callgrind-{path}-{abs(hash(str(root)))}.out"
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--dump-before=os_getppid", f"--callgrind-out-file={out}", sys.executable,
         str(script)],
        capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"}, cwd=ROOT,
    )
    if done.returncode != 0:
        raise SystemExit(f"{path}: valgrind failed:\n{done.stderr[-2000:]}")
    dumps = sorted(tmp.glob(out.name + ".*"), key=lambda f: int(f.suffix[1:]))
    counts = []
    for dump in dumps:  # the set-up (up to the first marker), then each pass; the file without a number: the exit
        found = re.search(r"^summary:\s*(\d+)", dump.read_text(encoding="utf-8", errors="replace"), re.M)
        if found is None:
            raise SystemExit(f"{path}: no summary in {dump}")
        counts.append(int(found.group(1)))
        dump.unlink()
    out.unlink(missing_ok=True)
    if len(counts) != PASSES + 1:
        raise SystemExit(f"{path}: expected {PASSES + 1} parts of the run (the set-up and each pass), "
                         f"callgrind dumped {len(counts)}")
    return counts[1:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", action="append", choices=PATHS, help="a path to count (repeatable; default: all)")
    parser.add_argument("--carriers", type=int, default=500)
    parser.add_argument("--fresh", action="store_true",
                        help="each pass over carriers not seen before (seeds bench, bench-1, bench-2), as in a long run "
                             "where the writer's and the kinds' bounded memos meet new values; not for read and e2e")
    parser.add_argument("--ref", default=None, help="count the package at this git ref too (the floor stays this checkout's)")
    args = parser.parse_args()
    n = args.carriers
    if args.fresh and {"read", "e2e"} & set(args.path or PATHS):
        parser.error("--fresh is for the paths over carriers in memory (floor, full, budget, writer, jsonl)")
    print(f"python {sys.version.split()[0]}, callgrind, {n:,} carriers of seed bench, PYTHONHASHSEED=0, "
          f"instructions per carrier in passes 2 and 3 (the first fills the caches)"
          + ("; each pass over carriers of its own seed" if args.fresh else ""))
    with tempfile.TemporaryDirectory() as tmp:
        sys.path.insert(0, str(ROOT))
        from incubator_rules.files.portfolio_lines import write_lines
        from incubator_rules.tools.synthetic import iter_portfolio
        with open(Path(tmp, "portfolio.jsonl"), "w", encoding="utf-8") as out:
            write_lines(out, ("bench", "synthetic district (seed bench)", None), iter_portfolio(n, "bench"))
        roots = {"this checkout": ROOT}
        if args.ref:
            roots = {args.ref: extracted(args.ref, Path(tmp)), **roots}
        counts: dict[str, int] = {}
        for path in args.path or PATHS:
            for name, root in roots.items():
                if path == "floor" and root != ROOT:
                    continue
                passes = instructions(path, n, Path(tmp), root, args.fresh)
                count = round(sum(passes[1:]) / (len(passes) - 1) / n)
                line = f"{path:<8} {count:>10,} instructions per carrier"
                if "floor" in counts and path != "floor":
                    line += f"   {count / counts['floor']:5.2f}x the floor"
                if root == ROOT:
                    counts[path] = count
                print(line + ("" if len(roots) == 1 or path == "floor" else f"   ({name})"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
