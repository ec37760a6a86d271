"""``clawback``: on a trigger (N consecutive evaluation years graded as named, or N within a window or a cycle),
recover what named rules paid.

The recovery is one negative decision, dated on the trigger, citing the
clawback's clause; it recovers at most what the named rules awarded (payable
on or before the trigger), never more.
"""

from __future__ import annotations

from typing import Sequence

from ..model.carrier import Event, EventType
from ..model.decision import Decision
from ..model.ruleset import Rule
from .base import Context, RuleKind
from .generic import GENERIC_PLACEHOLDERS, declare, decide, filters_param, matches, strings, whole
from .occurrences import Occurrences, cycle_start, occurrences_param, tally
from .caps import awards_of

__all__ = ["KIND", "clawback_decisions"]


def clawback_decisions(rule: Rule, ctx: Context, matched: Sequence[Event]) -> list[Decision]:
    """The first time the trigger holds, recover everything the named rules awarded until then."""
    filters = rule.params["trigger"]
    counting = ctx.param(rule, "occurrences") or Occurrences(rule.params.get("consecutive") or 1, consecutive=True)
    scoped = [e for e in matched if any(f.in_scope(e, e.kind or ctx.carrier.kind) for f in filters)]
    counts = tally(counting, [(e, matches(filters, e, ctx)) for e in scoped], cycle_start(counting, ctx))
    for event, found in zip(scoped, counts):
        if found.status != "reached":
            continue
        kind = event.kind or ctx.carrier.kind
        recovered = sum(d.amount for d in awards_of(ctx, rule.params["recovers"], rule)
                        if d.payable_on is not None and d.payable_on <= event.date)
        if recovered <= 0:
            return [decide(rule, ctx, "nothing_to_recover", event, kind, rule.clauses)]
        return [decide(rule, ctx, "recovered", event, kind, rule.clauses, amount=-recovered, payable_on=event.date,
                       events=tuple(dict.fromkeys([event.id] + [e.id for e in found.counted])),
                       recovered=recovered)]
    return []


KIND = RuleKind(
    name="clawback",
    **declare(
        trigger=filters_param("the events that trigger it, e.g. {type: evaluated, grade: fail}"),
        consecutive=whole(1, 20, "how many consecutive (evaluation) years must match the trigger (default 1)", default=None),
        occurrences=occurrences_param("instead of consecutive: N matching events within a rolling window or a fixed cycle"),
        recovers=strings("rule ids", "the rules whose earlier awards are recovered", rule_ids=True, required=True),
    ),
    roles={},
    codes=("recovered", "nothing_to_recover"),
    matches=frozenset(EventType),
    decider=clawback_decisions,
    placeholders=GENERIC_PLACEHOLDERS,
)
