"""``clawback``: on a trigger (N consecutive evaluation years graded as named), recover what named rules paid.

The recovery is one negative decision, dated on the trigger, citing the clawback's clause.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..model.carrier import Event, EventType
from ..model.decision import Decision
from ..model.ruleset import Rule
from .base import Context, RuleKind
from .generic import GENERIC_PLACEHOLDERS, decide, read_filters
from .top_up import _rule_ids, awards_of

__all__ = ["KIND", "clawback_decisions"]


def _count(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> int:
    if raw is None:
        return 1
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 20:
        reader.problem(path, f"expected a whole number from 1 to 20, got {raw!r}"[:120])
        return 1
    return raw


def clawback_decisions(rule: Rule, ctx: Context, matched: Sequence[Event]) -> list[Decision]:
    """The first time the trigger holds, recover everything the named rules awarded until then."""
    filters = rule.params["trigger"]
    need = rule.params.get("consecutive", 1)
    run: list[Event] = []
    for event in matched:
        kind = event.kind or ctx.carrier.kind
        if not any(f.in_scope(event, kind) for f in filters):
            continue
        if any(f.holds(event) for f in filters) and (not run or event.year is None or run[-1].year is None or event.year == run[-1].year + 1):
            run.append(event)
        else:
            run = [event] if any(f.holds(event) for f in filters) else []
        if len(run) >= need:
            recovered = sum(d.amount for d in awards_of(ctx, rule.params["recovers"])
                            if d.payable_on is not None and d.payable_on <= event.date)
            if recovered <= 0:
                return [decide(rule, ctx, "nothing_to_recover", event, kind, rule.clauses)]
            return [decide(rule, ctx, "recovered", event, kind, rule.clauses, amount=-recovered, payable_on=event.date,
                           events=tuple(e.id for e in run), recovered=recovered)]
    return []


KIND = RuleKind(
    name="clawback",
    params={"trigger": read_filters, "consecutive": _count, "recovers": _rule_ids},
    roles={},
    codes=("recovered", "nothing_to_recover"),
    matches=frozenset(EventType),
    decider=clawback_decisions,
    placeholders=GENERIC_PLACEHOLDERS,
    optional=frozenset({"consecutive"}),
    schemas={
        "trigger": {"description": "the events that trigger it, e.g. {type: evaluated, grade: fail}"},
        "consecutive": {"type": "integer", "minimum": 1, "description": "how many consecutive evaluation years"},
        "recovers": {"type": "array", "items": {"type": "string"}, "description": "the rules whose earlier awards are recovered"},
    },
)
