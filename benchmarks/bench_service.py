"""How fast the HTTP service answers POST /evaluate, against evaluate() called in process.

Starts ``incubator-rules serve`` on a free loopback port, sends a bounded
number of requests at a few concurrency levels (one keep-alive client per
concurrent caller), prints requests per second and p50/p99 latency next to
their floors, and the ratio to evaluate() + to_json() in this process. It
stops by itself (the server with it); loopback only.

    python benchmarks/bench_service.py [--requests 1500] [--concurrency 1 4 16] [--decision-log]
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

import incubator_rules as ir
from incubator_rules.documents import to_plain
from incubator_rules.tools.synthetic import generate_portfolio

AS_OF = "2026-12-31"
ROOT = Path(__file__).resolve().parent.parent
# Floors for a 2-core machine where client and server share the cores.
FLOOR_RPS = {1: 150, 4: 250, 16: 250}
FLOOR_P99_MS = {1: 30, 4: 60, 16: 200}


def start_server(decision_log: str | None) -> tuple[subprocess.Popen[str], str]:
    args = [sys.executable, "-m", "incubator_rules", "serve", "--port", "0", "--log-level", "warning"]
    if decision_log:
        args += ["--decision-log", decision_log]
    proc = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=ROOT)
    assert proc.stderr is not None
    found = re.search(r"serving (http://\S+)", proc.stderr.readline())
    if not found:
        proc.kill()
        raise SystemExit("the server did not start")
    threading.Thread(target=proc.stderr.read, daemon=True).start()
    return proc, found.group(1)


def in_process(carriers: list[ir.Carrier], rounds: int) -> float:
    """Evaluations (with their JSON) per second in this process."""
    for c in carriers[:50]:
        ir.evaluate(c, as_of=AS_OF).to_json()
    started = time.perf_counter()
    n = 0
    while n < rounds:
        for c in carriers:
            ir.evaluate(c, as_of=AS_OF).to_json()
            n += 1
    return n / (time.perf_counter() - started)


def run_level(url: str, bodies: list[bytes], total: int, concurrency: int) -> tuple[float, list[float]]:
    """(requests per second, latencies in seconds) for ``total`` requests from ``concurrency`` callers."""
    latencies: list[float] = []
    lock = threading.Lock()
    per_caller = total // concurrency
    failures: list[str] = []

    def caller(k: int) -> None:
        mine = []
        # TCP_NODELAY: httpx writes headers and body apart, and Nagle would hold the body for the server's delayed ACK
        transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
        with httpx.Client(base_url=url, timeout=60, headers={"content-type": "application/json"}, transport=transport) as client:
            client.get("/health")
            for i in range(per_caller):
                body = bodies[(k * per_caller + i) % len(bodies)]
                t = time.perf_counter()
                r = client.post("/evaluate", content=body)
                mine.append(time.perf_counter() - t)
                if r.status_code != 200:
                    failures.append(r.text[:200])
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=caller, args=(k,)) for k in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, first: {failures[0]}")
    return len(latencies) / elapsed, latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500, help="requests per concurrency level (default 1500)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--decision-log", action="store_true", help="run the server with a decision log")
    args = parser.parse_args()

    carriers = generate_portfolio(300, "bench-service")
    bodies = [json.dumps({"carrier": to_plain(c.to_dict()), "as_of": AS_OF}, ensure_ascii=False).encode() for c in carriers]
    local = in_process(carriers, 3000)
    with tempfile.TemporaryDirectory() as tmp:
        log = str(Path(tmp) / "decisions.jsonl") if args.decision_log else None
        proc, url = start_server(log)
        try:
            run_level(url, bodies, 200, 4)  # warm-up
            print(f"POST /evaluate, {len(carriers)} synthetic carriers, {args.requests} requests per level"
                  + (", with a decision log" if log else ""))
            print(f"in process: evaluate() + to_json(): {local:,.0f} per second")
            print(f"{'callers':>7} {'req/s':>8} {'floor':>6} {'p50 ms':>7} {'p99 ms':>7} {'floor':>6} {'in-process/service':>19}")
            ok = True
            for level in args.concurrency:
                rps, lat = run_level(url, bodies, args.requests, level)
                p50, p99 = percentile(lat, 0.50) * 1000, percentile(lat, 0.99) * 1000
                floor_rps, floor_p99 = FLOOR_RPS.get(level), FLOOR_P99_MS.get(level)
                met = (floor_rps is None or rps >= floor_rps) and (floor_p99 is None or p99 <= floor_p99)
                ok &= met
                print(f"{level:>7} {rps:>8,.0f} {floor_rps or '-':>6} {p50:>7.1f} {p99:>7.1f} {floor_p99 or '-':>6} "
                      f"{local / rps:>18.1f}x  {'ok' if met else 'BELOW FLOOR'}")
            if log:
                lines = Path(log).read_text(encoding="utf-8").splitlines()
                print(f"decision log: {len(lines):,} lines, all JSON: {all(json.loads(x) for x in lines)}")
        finally:
            proc.terminate()
            proc.wait(10)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
