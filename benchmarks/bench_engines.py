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
from incubator_rules.engines.durable import default_engine, event_facts  # noqa: E402
from incubator_rules.engines.evaluation import assemble  # noqa: E402
from incubator_rules.kinds import DECIDERS, Context  # noqa: E402

AS_OF = datetime.date(2026, 6, 30)


def _event(t: str) -> dict[str, Any]:
    return {"event": {"$and": [{"f": "event"}, {"t": t}]}}


_JOIN = {"$and": [{"f": "column"}, {"kind": {"event": "kind"}}]}

# Written by hand for the Wanzhou ruleset: rule 1 (accreditation subsidy) on
# accreditations and filings, rule 3 (excellence) on evaluations.
HAND_WRITTEN = {
    "hand": {
        # Deleting a session in which no action ran frees uninitialised memory
        # in durable-rules 2.0.28: a safe hand-written ruleset needs this too.
        "session": {"all": [{"session": {"f": "session"}}], "run": "sink"},
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
        return lambda c: fired.append((rule, c.event["n"] if rule != -1 else -1))


def hand_match(host: HandHost, ctx: Context, n: int) -> dict[int, list[Any]]:
    sid = str(n)
    facts = [{"f": "session", "sid": sid, "id": "session"}]
    facts += [dict(f, sid=sid, id=f"c{i}") for i, f in enumerate(COLUMNS)]
    facts += [dict(f, sid=sid, id=f"e{i}") for i, f in enumerate(event_facts(ctx))]
    host.fired.clear()
    host.assert_facts("hand", facts)
    if "exception" in host.get_state("hand", sid):
        raise RuntimeError("action failed")
    host.delete_state("hand", sid)
    out: dict[int, list[Any]] = {1: [], 3: []}
    for rule, pos in host.fired:
        if rule != -1:
            out[rule].append(pos)
    return {rule: [ctx.timeline[p] for p in sorted(ps)] for rule, ps in out.items()}


def best_rates(count: int, variants: dict[str, Callable[[], None]], repeat: int) -> dict[str, float]:
    """Carriers per second for each variant, best of ``repeat`` rounds; rounds interleave the variants."""
    best = {label: float("inf") for label in variants}
    for _ in range(repeat):
        for label, func in variants.items():
            start = time.perf_counter()
            func()
            best[label] = min(best[label], time.perf_counter() - start)
    return {label: count / seconds for label, seconds in best.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--carriers", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5, help="rounds; each figure is the best round")
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

    def hand_full(carrier: Carrier, n: int) -> None:
        ctx = Context(carrier, carrier.events_until(AS_OF), AS_OF, ruleset, ruleset.resolve_readings())  # as evaluate() does
        decisions = []
        for index, found in hand_match(host, ctx, n).items():
            rule = ruleset.rules[index]
            decisions.extend(DECIDERS[rule.kind](rule, ctx, found))
        assemble(ctx, decisions, "hand")

    def each(func: Callable[..., object], items: list[Any]) -> Callable[[], None]:
        def run() -> None:
            for i, item in enumerate(items):
                func(item, i)  # results are dropped: keeping them would time the garbage collector

        return run

    n = len(carriers)
    rates = best_rates(n, {
        "native engine, evaluate()": each(lambda c, i: evaluate(c, ruleset, AS_OF), carriers),
        "durable engine, evaluate()": each(lambda c, i: evaluate(c, ruleset, AS_OF, engine="durable"), carriers),
        "hand-written durable-rules + same deciders": each(hand_full, carriers),
        "durable engine, matching only": each(lambda ctx, i: engine.match(ctx), contexts),
        "hand-written durable-rules, matching only": each(lambda ctx, i: hand_match(host, ctx, i), contexts),
    }, args.repeat)
    for label, per_second in rates.items():
        print(f"{label:<46} {per_second:>10,.0f} carriers/s")
    native, durable, hand, match, hand_only = rates.values()
    print(f"durable engine vs hand-written, whole evaluation: {hand / durable:.2f}x the time (target <= 1.5x)")
    print(f"durable engine vs hand-written, matching only:    {hand_only / match:.2f}x the time")
    print(f"the native engine is {native / durable:.1f}x faster than the durable engine")
    return 0


if __name__ == "__main__":
    sys.exit(main())
