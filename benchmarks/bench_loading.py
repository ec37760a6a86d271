"""Loading is linear in the file's size: time per carrier at two portfolio sizes, and their ratio.

Usage::

    python benchmarks/bench_loading.py                     # 1,000 and 10,000 carriers
    python benchmarks/bench_loading.py --small 2000 --large 20000 --repeat 3

For a synthetic portfolio written as YAML and as JSON (about ten events per
carrier), prints the file size, the time to load it as a district portfolio
(``load_portfolio``) and as a list of carriers (``load_carriers``), the time
per carrier, the ratio of the large size's time per carrier to the small
one's, and peak memory against the file's size. Linear loading keeps the
ratio near 1; the floor printed beside it is the most this benchmark accepts
(1.5: a quadratic step would give about 10 at a tenfold size). Timings are
the best of ``--repeat`` runs. Also prints whether PyYAML's C parser was used.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import incubator_rules as ir  # noqa: E402
from incubator_rules import documents  # noqa: E402
from incubator_rules.tools.synthetic import generate_portfolio  # noqa: E402

MAX_RATIO = 1.5


def best(repeat: int, func) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


_PEAK = ("import re, pathlib; print(re.search(r'VmHWM:\\s+(\\d+)', pathlib.Path('/proc/self/status').read_text()).group(1))")


def peak_rss_mb(path: Path) -> float:
    """Peak resident memory (VmHWM, Linux) of a fresh process loading ``path``, less that of one that only imports (MB)."""
    def run(*code: str) -> int:
        done = subprocess.run([sys.executable, "-c", *code], capture_output=True, text=True, cwd=ROOT, check=True)
        return int(done.stdout.split()[-1])

    load = "import sys, incubator_rules as ir; ir.load_portfolio(sys.argv[1]); " + _PEAK
    return (run(load, str(path)) - run("import incubator_rules; " + _PEAK)) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}; PyYAML C parser: {'yes' if documents.USE_LIBYAML else 'no'}; "
          f"load average {__import__('os').getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        per: dict[tuple[str, str], dict[int, float]] = {}
        for n in (args.small, args.large):
            carriers = generate_portfolio(n, seed=7)
            yaml_path = Path(tmp) / f"p{n}.yaml"
            ir.save_carriers(yaml_path, carriers, id=f"bench-{n}", name="bench")
            json_path = Path(tmp) / f"p{n}.json"
            json_path.write_text(json.dumps({"id": f"bench-{n}", "name": "bench",
                                             "carriers": [c.to_dict() for c in carriers]}, ensure_ascii=False), encoding="utf-8")
            del carriers
            for fmt, path in (("yaml", yaml_path), ("json", json_path)):
                size = path.stat().st_size
                for what, load in (("load_portfolio", ir.load_portfolio), ("load_carriers", ir.load_carriers)):
                    seconds = best(args.repeat, lambda: load(path))
                    per.setdefault((fmt, what), {})[n] = seconds / n
                    print(f"{n:>7,} carriers {fmt:<4} {size / 1e6:6.1f} MB  {what:<15} {seconds:7.2f} s  "
                          f"{seconds / n * 1e6:7.0f} us per carrier")
                if Path("/proc/self/status").exists():
                    peak = peak_rss_mb(path)
                    print(f"{'':>38}peak memory of load_portfolio: {peak:.0f} MB ({peak / (size / 1e6):.0f}x the file)")
        print()
        print(f"time per carrier, {args.large:,} carriers / {args.small:,} carriers (linear: about 1; floor {MAX_RATIO}):")
        worst = 0.0
        for (fmt, what), times in per.items():
            ratio = times[args.large] / times[args.small]
            worst = max(worst, ratio)
            print(f"  {fmt:<4} {what:<15} {ratio:5.2f}  {'ok' if ratio <= MAX_RATIO else 'ABOVE THE FLOOR'}")
        print(f"worst ratio {worst:.2f} (floor {MAX_RATIO})")
        print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
