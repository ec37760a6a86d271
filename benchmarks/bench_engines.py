"""Carriers per second: the native engine, the durable engine, and a hand-written durable-rules ruleset.

The hand-written ruleset does the same matching on the same facts as the
compiled one (event type literals, a join with the column facts by kind, its
``$not``, sink rules), in a bare host with the timer threads off, with actions
appending to a Python list. It is timed twice: matching only, and matching
followed by the same deciders (a whole evaluation). Target: the durable
engine within 1.5x of the hand-written ruleset.

    python benchmarks/bench_engines.py [--carriers 5000] [--seed 1]
"""

from __future__ import annotations

import argparse
import copy
import datetime
import random
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tools")]

from durable.engine import Host  # noqa: E402
from durable_stress import random_history  # noqa: E402

from incubator_rules import Carrier, evaluate, load_ruleset  # noqa: E402
from incubator_rules.durable import default_engine, event_facts  # noqa: E402
from incubator_rules.evaluation import assemble  # noqa: E402
from incubator_rules.rules import DECIDERS, Context  # noqa: E402

AS_OF = datetime.date(2026, 6, 30)


def _event(t: str) -> dict[str, Any]:
    return {"event": {"$and": [{"f": "event"}, {"t": t}]}}


_JOIN = {"$and": [{"f": "column"}, {"kind": {"event": "kind"}}]}

# Written by hand for the Wanzhou ruleset: rule 1 (accreditation subsidy) on
# accreditations and filings, rule 3 (excellence) on evaluations.
HAND_WRITTEN = {
    "hand": {
        "acc": {"all": [_event("accredited"), {"column": _JOIN}], "run": "1"},
        "acc-none": {"all": [_event("accredited"), {"column$not": _JOIN}], "run": "1-"},
        "fil": {"all": [_event("filed"), {"column": _JOIN}], "run": "1"},
        "fil-none": {"all": [_event("filed"), {"column$not": _JOIN}], "run": "1-"},
        "eva": {"all": [_event("evaluated"), {"column": _JOIN}], "run": "3"},
        "eva-none": {"all": [_event("evaluated"), {"column$not": _JOIN}], "run": "3-"},
        "sink-e": {"all": [{"fact": {"f": "event"}}, {"never": {"f": "never"}}], "run": "sink"},
        "sink-c": {"all": [{"fact": {"f": "column"}}, {"never": {"f": "never"}}], "run": "sink"},
    }
}
COLUMNS = [
    {"f": "column", "kind": "incubator", "column": "incubator"},
    {"f": "column", "kind": "maker_space", "column": "maker_space"},
    {"f": "column", "kind": "star_innovation_space", "column": "maker_space"},
]


class HandHost(Host):
    """The smallest safe host: no timer threads, actions append (rule, event position) to a list."""

    def __init__(self) -> None:
        self.fired: list[tuple[int, int]] = []
        super().__init__()

    def _run(self) -> None:
        pass

    def get_action(self, name: str) -> Callable[[Any], None]:
        rule = int(name.rstrip("-")) if name != "sink" else -1
        fired = self.fired
        return lambda c: fired.append((rule, c.event["n"]))


def hand_match(host: HandHost, ctx: Context, n: int) -> dict[int, list[Any]]:
    sid = str(n)
    facts = [dict(f, sid=sid, id=f"c{i}") for i, f in enumerate(COLUMNS)]
    facts += [dict(f, sid=sid, id=f"e{i}") for i, f in enumerate(event_facts(ctx))]
    host.fired.clear()
    host.assert_facts("hand", facts)
    if "exception" in host.get_state("hand", sid):
        raise RuntimeError("action failed")
    host.delete_state("hand", sid)
    out: dict[int, list[Any]] = {1: [], 3: []}
    for rule, pos in host.fired:
        out[rule].append(pos)
    return {rule: [ctx.timeline[p] for p in sorted(ps)] for rule, ps in out.items()}


def rate(label: str, count: int, func: Callable[[], None]) -> float:
    start = time.perf_counter()
    func()
    per_second = count / (time.perf_counter() - start)
    print(f"{label:<52} {per_second:>10,.0f} carriers/s")
    return per_second


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--carriers", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    ruleset = load_ruleset()
    carriers = [Carrier.from_dict(random_history(rng, f"c{i}")) for i in range(args.carriers)]
    readings = ruleset.resolve_readings()
    contexts = [Context(c, c.events_until(AS_OF), AS_OF, ruleset, readings) for c in carriers]
    events = sum(len(ctx.timeline) for ctx in contexts)
    print(f"{len(carriers)} random carriers, {events / len(carriers):.1f} events each, as of {AS_OF}, Wanzhou 2023 ruleset")

    engine = default_engine()
    engine.decisions(contexts[0])  # compile and register outside the timing
    host = HandHost()
    host.register_rulesets(copy.deepcopy(HAND_WRITTEN))

    def hand_full() -> None:
        for n, carrier in enumerate(carriers):  # as evaluate() does it
            ctx = Context(carrier, carrier.events_until(AS_OF), AS_OF, ruleset, ruleset.resolve_readings())
            matched = hand_match(host, ctx, n)
            decisions = []
            for index, found in matched.items():
                rule = ruleset.rules[index]
                decisions.extend(DECIDERS[rule.kind](rule, ctx, found))
            assemble(ctx, decisions, "hand")

    native = rate("native engine, evaluate()", len(carriers), lambda: [evaluate(c, ruleset, AS_OF) for c in carriers])
    durable = rate("durable engine, evaluate()", len(carriers), lambda: [evaluate(c, ruleset, AS_OF, engine="durable") for c in carriers])
    hand = rate("hand-written durable-rules + same deciders", len(carriers), hand_full)
    match = rate("durable engine, matching only", len(carriers), lambda: [engine.match(ctx) for ctx in contexts])
    hand_only = rate("hand-written durable-rules, matching only", len(carriers),
                     lambda: [hand_match(host, ctx, n) for n, ctx in enumerate(contexts)])
    print(f"durable engine / hand-written, whole evaluation: {hand / durable:.2f}x the time (target <= 1.5x)")
    print(f"durable engine / hand-written, matching only:    {hand_only / match:.2f}x the time")
    print(f"native engine is {native / durable:.1f}x faster than the durable engine")
    return 0


if __name__ == "__main__":
    sys.exit(main())
