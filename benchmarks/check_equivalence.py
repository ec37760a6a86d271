"""Check that two versions of the engine give identical evaluations on generated portfolios.

Usage::

    python benchmarks/check_equivalence.py --ref fefbf65 --carriers 3000

The code at ``--ref`` (any git ref) is extracted to a temporary folder and
both versions evaluate the same synthetic carriers (plus same-day and
early-cut variants) under the default readings, each single alternative
reading and random combinations of readings, at several as-of dates. Every
evaluation's JSON is compared; the first difference is printed.

The comparison ignores one thing only: the ruleset's own version and
content hash (``ruleset.version``, ``ruleset.sha256``), which change
whenever a ruleset file is rewritten (a rewrite in other rule kinds must be
released as a new version). With ``--same-ruleset`` they are compared too.
Every other field (decisions, their order, rule ids, reasons, amounts,
dates, events, citations, explanations, conditions, readings) must be
identical. The count of evaluations compared is printed; ``--at-least N``
fails the run when fewer were compared.

Where a version has the JSON Lines writer (``views.jsonlines.evaluation_bytes``),
every line it writes is also checked against that version's ``to_json``.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = ("2023-06-30", "2024-03-31", "2025-12-31", "2026-12-31")

_WORKER = r"""
import hashlib, json, sys
from incubator_rules import Carrier, evaluate, load_ruleset
try:  # the JSON Lines writer, where the version has one: it must write what to_json writes
    from incubator_rules.views.jsonlines import evaluation_bytes
except ImportError:
    evaluation_bytes = None
rs = load_ruleset()
combos = json.loads(open(sys.argv[2]).read())
out, lines_differ = [], 0
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        c = Carrier.from_dict(json.loads(line))
        for as_of, readings in combos:
            ev = evaluate(c, rs, as_of, readings)
            if evaluation_bytes is not None and evaluation_bytes(ev) != (ev.to_json(indent=None) + "\n").encode():
                lines_differ += 1
            data = ev.to_dict()
            if sys.argv[4] == "ignore":
                data["ruleset"] = {"id": data["ruleset"]["id"]}
            text = json.dumps(data, ensure_ascii=False, sort_keys=True)
            out.append(text if sys.argv[3] == "full" else hashlib.sha256(text.encode()).hexdigest())
if lines_differ:
    print(f"{lines_differ} JSON lines differ from to_json", file=sys.stderr)
    sys.exit(3)
json.dump(out, sys.stdout)
"""


def variants(carriers: list, seed: int) -> list[dict]:
    """The carriers as data, and variants with same-day events and shuffled input order."""
    rng = random.Random(seed)
    out = []
    for c in carriers:
        data = c.to_dict()
        out.append(data)
        events = [dict(e) for e in data["events"]]
        if len(events) > 2:
            a, b = rng.sample(range(len(events)), 2)
            if events[b]["type"] in ("operation_started", "accredited", "filed", "payment_received", "delisted"):
                events[b]["date"] = events[a]["date"]
            rng.shuffle(events)
            out.append({**data, "id": data["id"] + "-v", "events": events})
    return out


def combinations(readings: dict[str, list[str]], seed: int) -> list[tuple[str, dict[str, str]]]:
    rng = random.Random(seed)
    combos: list[dict[str, str]] = [{}]
    for name, alts in readings.items():  # every alternative of every reading alone
        combos += [{name: alt} for alt in alts]
    for _ in range(6):  # and random combinations of all of them
        combos.append({name: rng.choice(alts) for name, alts in readings.items()})
    return [(day, combo) for day in AS_OF for combo in combos]


def run(tree: Path, carriers_file: Path, combos_file: Path, mode: str, version: str = "ignore") -> list[str]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    proc = subprocess.run([sys.executable, "-c", _WORKER, str(carriers_file), str(combos_file), mode, version],
                          env=env, capture_output=True, text=True, cwd=tree)
    if proc.returncode != 0:
        sys.exit(f"evaluation failed in {tree}:\n{proc.stderr}")
    return json.loads(proc.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", default="main", help="git ref of the engine to compare with")
    parser.add_argument("--carriers", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--same-ruleset", action="store_true", help="compare the ruleset's version and hash too")
    parser.add_argument("--at-least", type=int, default=0, help="fail unless at least this many evaluations are compared")
    args = parser.parse_args()
    version = "compare" if args.same_ruleset else "ignore"

    from incubator_rules import load_ruleset
    from incubator_rules.tools.synthetic import generate_portfolio

    rs = load_ruleset()
    readings = {name: [a for a in r.alternatives if a != r.default] for name, r in rs.readings.items()}
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp, "old")
        old.mkdir()
        archive = subprocess.run(["git", "archive", args.ref, "incubator_rules", "rulesets"],
                                 cwd=ROOT, capture_output=True, check=True).stdout
        archive_path = Path(tmp, "old.tar")
        archive_path.write_bytes(archive)
        with tarfile.open(archive_path) as tar:
            tar.extractall(old, filter="data")
        carriers_file, combos_file = Path(tmp, "carriers.jsonl"), Path(tmp, "combos.json")
        data = variants(generate_portfolio(args.carriers, args.seed), args.seed)
        carriers_file.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in data), encoding="utf-8")
        combos = combinations(readings, args.seed)
        combos_file.write_text(json.dumps(combos))
        before = run(old, carriers_file, combos_file, "hash", version)
        after = run(ROOT, carriers_file, combos_file, "hash", version)
        print(f"{len(data)} carriers x {len(combos)} (as-of, readings) = {len(before)} evaluations compared")
        differing = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
        if len(before) != len(after) or differing:
            print(f"DIFFERENT: {len(differing)} evaluations differ")
            if differing:
                i = differing[0]
                carrier, combo = data[i // len(combos)], combos[i % len(combos)]
                one = Path(tmp, "one.jsonl")
                one.write_text(json.dumps(carrier, ensure_ascii=False) + "\n", encoding="utf-8")
                Path(tmp, "combo.json").write_text(json.dumps([combo]))
                a = run(old, one, Path(tmp, "combo.json"), "full", version)[0]
                b = run(ROOT, one, Path(tmp, "combo.json"), "full", version)[0]
                print("carrier:", json.dumps(carrier, ensure_ascii=False))
                print("as of, readings:", combo)
                print("before:", a)
                print("after: ", b)
            return 1
        if len(before) < args.at_least:
            print(f"TOO FEW: {len(before)} evaluations compared, fewer than --at-least {args.at_least}")
            return 1
        print("identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
