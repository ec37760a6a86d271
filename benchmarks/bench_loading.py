"""Loading portfolios at the parser's speed, in linear time, streaming in flat memory: figures beside their floors.

Usage::

    python benchmarks/bench_loading.py                    # every section (several minutes; ~1 GB of temporary files)
    python benchmarks/bench_loading.py --only floors      # one section: floors, linear, stream, big
    python benchmarks/bench_loading.py --floors 2000 --small 500 --large 20000 --big-mb 10   # a quick run

Every figure is printed beside its floor and their ratio, all measured in
the same run, with the machine's load. Timings are the CPU time of this
process (the best of ``--repeat`` runs; the wall-clock time of that run is
printed after it): on a shared machine the wall clock also counts the time
other processes hold the cores.

- ``floors``: a synthetic portfolio of ``--floors`` carriers (10,000) loaded to
  validated ``Carrier`` objects from YAML (``load_carriers``) against
  ``yaml.load(text, Loader=yaml.CSafeLoader)`` of the same file (target at
  most 1.5x), and from JSON and JSON Lines against ``json.loads`` of the same
  text (target at most 3x). A second, informative floor builds the same
  carriers from ``json.loads``' data with the attrs constructors directly
  (no reader, no locations, no checks beyond the classes' own).
- ``linear``: the time per carrier at ``--large`` (100,000) against ``--small``
  (1,000) for each format (target at most 1.3x). YAML and JSON files are
  read whole and refused above ``documents.max_file_bytes()`` (128 MB, about
  130,000 carriers; ``INCUBATOR_RULES_MAX_FILE_MB``): a large size above it
  is cut to the largest under it; JSON Lines, read as a stream, has no limit.
- ``stream``: the peak resident memory (VmHWM, Linux) of a fresh process
  streaming a JSON Lines portfolio (``iter_carriers``) of 10,000 and of
  ``--large`` carriers (target: flat, at most 1.25x), with what it holds
  above a process that only imports the library and the bytes each further
  carrier costs.
- ``big``: a YAML portfolio of about ``--big-mb`` MB (50) loads in time linear
  in its size (per MB against a file a tenth of its size, target at most
  1.3x) and in at most 10x its size in memory; the same file with a bad value
  in its last carrier fails with that line, as fast.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import incubator_rules as ir  # noqa: E402
from incubator_rules import documents  # noqa: E402
from incubator_rules.model.carrier import AwardKind, Carrier, CarrierKind, Event, EventType, Grade, Level  # noqa: E402
from incubator_rules.model.portfolio import Portfolio  # noqa: E402
from incubator_rules.tools.synthetic import generate_portfolio  # noqa: E402

YAML_FLOOR, JSON_FLOOR, LINEAR_FLOOR, STREAM_FLOOR, MEMORY_FLOOR = 1.5, 3.0, 1.3, 1.25, 10.0


WALL: list[float] = []  # the wall-clock time of each figure's best run, for the record


def best(repeat: int, func: Callable[[], Any]) -> float:
    """The least CPU time of ``repeat`` runs (this process's: on a shared machine, wall-clock time measures the
    neighbours as much as the code); its wall-clock time is kept in ``WALL``."""
    runs = []
    for _ in range(repeat):
        start, wall = time.process_time(), time.perf_counter()
        func()
        runs.append((time.process_time() - start, time.perf_counter() - wall))
    cpu, wall = min(runs)
    WALL.append(wall)
    return cpu


def verdict(ratio: float, floor: float) -> str:
    return "ok" if ratio <= floor else "ABOVE THE FLOOR"


def load() -> str:
    return f"load average {os.getloadavg()[0]:.2f}"


_PEAK = "import re, pathlib; print(re.search(r'VmHWM:\\s+(\\d+)', pathlib.Path('/proc/self/status').read_text()).group(1))"


def peak_kb(code: str, *args: str) -> int:
    """Peak resident memory (VmHWM, kB) of a fresh process that imports the library and runs ``code``."""
    done = subprocess.run([sys.executable, "-c", "import sys, incubator_rules as ir; " + code + "; " + _PEAK, *args],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    return int(done.stdout.split()[-1])


def peak_mb(code: str, *args: str) -> float:
    """Peak resident memory of a fresh process running ``code``, less that of one that only imports (MB)."""
    return (peak_kb(code, *args) - peak_kb("pass")) / 1024


_WRITTEN: dict[tuple[int, str], Path] = {}


def portfolio_file(tmp: Path, n: int, fmt: str) -> Path:
    """A synthetic portfolio of ``n`` carriers (about ten events each) as ``fmt``, written once per run."""
    key = (n, fmt)
    if key not in _WRITTEN:
        path = tmp / f"p{n}.{fmt}"
        if fmt == "jsonl":
            carriers = generate_portfolio(n, seed=7)
            ir.save_portfolio(Portfolio(f"bench-{n}", "bench", None, tuple(carriers)), path)
        elif fmt == "yaml":  # as `incubator-rules synthetic` writes it: block style, as people write YAML
            ir.save_carriers(path, ir.iter_carriers(portfolio_file(tmp, n, "jsonl")), id=f"bench-{n}", name="bench")
        else:
            ir.convert(portfolio_file(tmp, n, "jsonl"), path)
        _WRITTEN[key] = path
    return _WRITTEN[key]


_MEMBERS = {name: {m.value: m for m in cls} for name, cls in
            (("level", Level), ("kind", CarrierKind), ("grade", Grade), ("award", AwardKind))}
_TYPES = {t.value: t for t in EventType}


def direct(entry: dict[str, Any]) -> Carrier:
    """A carrier built from plain data with the attrs constructors only: the floor of building objects."""
    import datetime

    events = []
    for e in entry["events"]:
        fields = {k: (_MEMBERS[k][v] if k in _MEMBERS else v) for k, v in e.items() if k not in ("type", "date")}
        events.append(Event(type=_TYPES[e["type"]], date=datetime.date.fromisoformat(e["date"]), **fields))
    return Carrier(entry["id"], entry["name"], CarrierKind(entry["kind"]), tuple(events), entry.get("area"))


def floors(tmp: Path, n: int, repeat: int) -> None:
    print(f"\n== floors: {n:,} carriers to validated Carrier objects ({load()})")
    rows = []
    y = portfolio_file(tmp, n, "yaml")
    text = y.read_text(encoding="utf-8")
    ours = best(repeat, lambda: ir.load_carriers(y))
    floor = best(repeat, lambda: yaml.load(y.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
    rows.append(("yaml", y, ours, "yaml.load(CSafeLoader)", floor, YAML_FLOOR))
    del text
    j = portfolio_file(tmp, n, "json")
    ours = best(repeat, lambda: ir.load_carriers(j))
    floor = best(repeat, lambda: json.loads(j.read_text(encoding="utf-8")))
    rows.append(("json", j, ours, "json.loads", floor, JSON_FLOOR))
    direct_json = best(repeat, lambda: [direct(c) for c in json.loads(j.read_text(encoding="utf-8"))["carriers"]])
    lines = portfolio_file(tmp, n, "jsonl")
    ours = best(repeat, lambda: sum(1 for _ in ir.iter_carriers(lines)))

    def lines_floor() -> None:
        with open(lines, encoding="utf-8") as f:
            for line in f:
                json.loads(line)

    floor = best(repeat, lines_floor)
    rows.append(("jsonl", lines, ours, "json.loads per line", floor, JSON_FLOOR))
    walls = WALL[-7:]  # yaml ours, floor; json ours, floor, direct; jsonl ours, floor
    wall_of = {"yaml": (walls[0], walls[1]), "json": (walls[2], walls[3]), "jsonl": (walls[5], walls[6])}
    for fmt, path, ours, what, floor, target in rows:
        ratio = ours / floor
        print(f"  {fmt:<5} {path.stat().st_size / 1e6:6.1f} MB  ours {ours:6.2f} s   floor {what:<22} {floor:6.2f} s   "
              f"ratio {ratio:5.2f}  (target {target})  {verdict(ratio, target)}   "
              f"[wall {wall_of[fmt][0]:.2f} s, {wall_of[fmt][1]:.2f} s]")
    print(f"  informative: json.loads + carriers built directly (attrs constructors, no reader) {direct_json:6.2f} s; "
          f"load_carriers(json) is {rows[1][2] / direct_json:.2f}x that")


def linear(tmp: Path, small: int, large: int, repeat: int) -> None:
    print(f"\n== linear: time per carrier, {small:,} against {large:,} carriers ({load()})")
    per_mb = portfolio_file(tmp, small, "jsonl").stat().st_size / small  # bytes per carrier
    cap = int(documents.max_file_bytes() / per_mb * 0.95)
    for fmt in ("yaml", "json", "jsonl"):
        big = large if fmt == "jsonl" else min(large, cap)
        times = {}
        for n in (small, big):
            path = portfolio_file(tmp, n, fmt)
            reader = (lambda p=path: sum(1 for _ in ir.iter_carriers(p))) if fmt == "jsonl" else (lambda p=path: ir.load_carriers(p))
            times[n] = best(repeat if n == small else 1, reader) / n
        ratio = times[big] / times[small]
        note = "" if big == large else f"  (the largest under the {documents.max_file_bytes() >> 20} MB file limit)"
        print(f"  {fmt:<5} {times[small] * 1e6:6.0f} us per carrier at {small:,}, {times[big] * 1e6:6.0f} us at {big:,}: "
              f"ratio {ratio:5.2f}  (target {LINEAR_FLOOR})  {verdict(ratio, LINEAR_FLOOR)}{note}")


def stream(tmp: Path, large: int) -> None:
    print(f"\n== stream: peak memory of a process streaming JSON Lines ({load()})")
    code = "n = sum(1 for _ in ir.iter_carriers(sys.argv[1]))"
    base = peak_kb("pass")
    peaks = {n: peak_kb(code, str(portfolio_file(tmp, n, "jsonl"))) for n in (10_000, large)}
    ratio = peaks[large] / peaks[10_000]
    per = (peaks[large] - peaks[10_000]) * 1024 / (large - 10_000)
    print(f"  {peaks[10_000] / 1024:6.1f} MB at 10,000 carriers, {peaks[large] / 1024:6.1f} MB at {large:,}: ratio {ratio:5.2f}  "
          f"(target {STREAM_FLOOR}, flat)  {verdict(ratio, STREAM_FLOOR)}")
    print(f"  above a process that only imports the library ({base / 1024:.1f} MB): {(peaks[10_000] - base) / 1024:.1f} MB "
          f"and {(peaks[large] - base) / 1024:.1f} MB, {per:.0f} bytes for each carrier past 10,000")
    whole = peak_mb("ir.load_carriers(sys.argv[1])", str(portfolio_file(tmp, 10_000, "jsonl")))
    print(f"  for comparison, the same 10,000 carriers held in memory (load_carriers): {whole:6.1f} MB above the import")


def big(tmp: Path, mb: float) -> None:
    print(f"\n== big: a YAML portfolio of about {mb:.0f} MB ({load()})")
    bytes_per = portfolio_file(tmp, 1000, "yaml").stat().st_size / 1000
    n = int(mb * 1e6 / bytes_per)
    sizes = {}
    for count in (n // 10, n):
        path = portfolio_file(tmp, count, "yaml")
        seconds = best(1, lambda p=path: ir.load_carriers(p))
        sizes[count] = (path, seconds, path.stat().st_size / 1e6)
        print(f"  {count:>7,} carriers {sizes[count][2]:6.1f} MB: {seconds:6.2f} s CPU, {seconds / sizes[count][2]:.3f} s per MB  "
              f"[wall {WALL[-1]:.2f} s]")
    (p_small, s_small, m_small), (p_big, s_big, m_big) = sizes[n // 10], sizes[n]
    ratio = (s_big / m_big) / (s_small / m_small)
    print(f"  time per MB, {m_big:.0f} MB / {m_small:.0f} MB: {ratio:.2f}  (target {LINEAR_FLOOR})  {verdict(ratio, LINEAR_FLOOR)}")
    peak = peak_mb("ir.load_carriers(sys.argv[1])", str(p_big))
    print(f"  peak memory loading it: {peak:.0f} MB, {peak / m_big:.1f}x the file  (target {MEMORY_FLOOR}x)  "
          f"{verdict(peak / m_big, MEMORY_FLOOR)}")
    text = p_big.read_text(encoding="utf-8")
    at = text.rfind("kind: ")
    broken = tmp / "broken.yaml"
    broken.write_text(text[:at] + "kind: garage" + text[text.index("\n", at):], encoding="utf-8")
    line = text.count("\n", 0, at) + 1
    del text
    start = time.process_time()
    try:
        ir.load_carriers(broken)
        message = "loaded (it should not have)"
    except ir.IncubatorRulesError as exc:
        message = str(exc).replace(str(tmp) + "/", "")
    seconds = time.process_time() - start
    found = re.search(r":(\d+):", message)
    print(f"  with a bad value on line {line:,}: fails in {seconds:.2f} s CPU, "
          f"{'naming that line' if found and int(found.group(1)) == line else 'NOT NAMING ITS LINE'}: {message[:110]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("floors", "linear", "stream", "big"), action="append")
    parser.add_argument("--floors", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--big-mb", dest="big_mb", type=float, default=50)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    wanted = set(args.only or ("floors", "linear", "stream", "big"))
    print(f"python {sys.version.split()[0]}; PyYAML C parser: {'yes' if documents.USE_LIBYAML else 'no'}; "
          f"{os.cpu_count()} CPUs; {load()}")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        if "floors" in wanted:
            floors(tmp, args.floors, args.repeat)
        if "linear" in wanted:
            linear(tmp, args.small, args.large, args.repeat)
        if "stream" in wanted:
            stream(tmp, args.large)
        if "big" in wanted:
            big(tmp, args.big_mb)


if __name__ == "__main__":
    main()
