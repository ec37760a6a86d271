"""CPU time per carrier of a Wanzhou path: this checkout against another git ref, in one process.

Usage::

    python benchmarks/cpu_against.py --ref 0be2862 --carriers 2000 --passes 15
    python benchmarks/cpu_against.py --ref main --path budget      # or jsonl, e2e

``--path`` chooses what a pass does: ``full`` (the default) evaluates with full
audit detail, streamed; ``budget`` runs ``budget``; ``jsonl`` writes every
evaluation as JSON Lines in memory (``map_evaluations`` of the JSON Lines
writer); ``e2e`` runs ``incubator-rules evaluate-many FILE.jsonl -o OUT.jsonl``
in this process (its ``main``), from a JSON Lines file written once by this
checkout, to a file.

The code at ``--ref`` is extracted to a temporary folder; both versions are
imported into the same process (each under the package name in turn, so
each keeps its own modules), generate the same synthetic portfolio with
their own ``tools.synthetic.generate_portfolio`` and evaluate it streamed,
with full audit detail, as ``bench_batch.py`` does. Passes of the two
alternate, and each is timed with ``time.process_time``: CPU time, not wall
clock, which on a shared machine moves by more than the differences looked
for. The best and the median pass of each are printed, with their ratio.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
AS_OF = datetime.date(2026, 12, 31)
SEED = "bench"


def extracted(ref: str, tmp: Path) -> Path:
    """The package and rulesets at git ``ref``, extracted into ``tmp/old``."""
    old = tmp / "old"
    old.mkdir()
    archive = subprocess.run(["git", "archive", ref, "incubator_rules", "rulesets"],
                             cwd=ROOT, capture_output=True, check=True).stdout
    (tmp / "old.tar").write_bytes(archive)
    with tarfile.open(tmp / "old.tar") as tar:
        tar.extractall(old, filter="data")
    return old


def _own_modules() -> dict[str, object]:
    """The modules of the package now in ``sys.modules``, taken out of it."""
    return {m: sys.modules.pop(m) for m in list(sys.modules) if m == "incubator_rules" or m.startswith("incubator_rules.")}


def loaded(root: Path, n: int, path: str = "full", tmp: Path | None = None) -> Callable[[], float]:
    """A pass of ``path`` over ``n`` carriers with the package at ``root``: its CPU time per carrier, in microseconds.

    Each version's modules are put back into ``sys.modules`` before each of
    its passes, so that what the package loads on first use (the facade's
    names, the views) is that version's own, not the one imported last.
    """
    _own_modules()
    sys.path.insert(0, str(root))
    try:
        import incubator_rules as ir
        from incubator_rules.tools.synthetic import generate_portfolio
    finally:
        sys.path.remove(str(root))
    assert Path(ir.__file__).resolve().is_relative_to(root.resolve()), ir.__file__
    rs = ir.load_ruleset()
    carriers = generate_portfolio(n, SEED)
    list(ir.evaluate_many(carriers[: min(n, 300)], rs, AS_OF, stream=True, progress=False))  # warm the caches

    def full() -> None:
        for evaluation in ir.evaluate_many(carriers, rs, AS_OF, stream=True, progress=False):
            evaluation.total

    def budget() -> None:
        ir.budget(carriers, ruleset=rs, as_of=AS_OF, progress=False)

    def jsonl() -> None:
        from incubator_rules.views.jsonlines import evaluation_bytes
        for _ in ir.map_evaluations(evaluation_bytes, carriers, rs, AS_OF, stream=True, progress=False):
            pass

    def e2e() -> None:
        from incubator_rules.views.cli import main
        assert tmp is not None
        out = tmp / f"out-{id(root)}.jsonl"
        code = main(["evaluate-many", str(tmp / "portfolio.jsonl"), "--as-of", AS_OF.isoformat(), "-o", str(out),
                     "--no-progress"])
        assert code == 0, code

    run = {"full": full, "budget": budget, "jsonl": jsonl, "e2e": e2e}[path]
    run()  # loads what the path uses on first use, from this version
    own = _own_modules()

    def one_pass() -> float:
        _own_modules()
        sys.modules.update(own)  # type: ignore[arg-type]
        start = time.process_time()
        run()
        return (time.process_time() - start) * 1e6 / n

    return one_pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", default="main", help="git ref to compare with")
    parser.add_argument("--carriers", type=int, default=2000)
    parser.add_argument("--passes", type=int, default=15)
    parser.add_argument("--path", choices=("full", "budget", "jsonl", "e2e"), default="full")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.path == "e2e":
            sys.path.insert(0, str(ROOT))
            from incubator_rules.files.portfolio_lines import write_lines
            from incubator_rules.tools.synthetic import iter_portfolio
            with open(Path(tmp, "portfolio.jsonl"), "w", encoding="utf-8") as out:
                write_lines(out, ("bench", "synthetic district (seed bench)", None), iter_portfolio(args.carriers, SEED))
            sys.path.remove(str(ROOT))
        old = extracted(args.ref, Path(tmp))
        runs = {args.ref: loaded(old, args.carriers, args.path, Path(tmp)),
                "this checkout": loaded(ROOT, args.carriers, args.path, Path(tmp))}
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.passes):
            for name, run in runs.items():
                times[name].append(run())
    for name, found in times.items():
        found.sort()
        print(f"{name:>14}: best {found[0]:6.1f} us/carrier, median {found[len(found) // 2]:6.1f} "
              f"({args.path}, {args.carriers:,} carriers, {args.passes} passes, CPU time)")
    before, after = times[args.ref], times["this checkout"]
    print(f"        change: best {after[0] / before[0] - 1:+.1%}, median {after[len(after) // 2] / before[len(before) // 2] - 1:+.1%}"
          f"  (allowed by issue 14: +10%); load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
