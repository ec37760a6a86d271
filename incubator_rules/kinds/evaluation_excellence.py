"""``evaluation_excellence``: an award for a performance evaluation graded excellent (Q2)."""

from __future__ import annotations

import datetime
from typing import Any, Sequence

from ..model.carrier import Event, EventType, Level
from ..model.decision import Decision
from ..model.ruleset import Rule
from .base import Context, RuleKind, clause_of, level_covered, make_decision, prep_of, refusal, window_given

__all__ = ["KIND", "excellence_decisions"]

ACCREDITED = EventType.ACCREDITED
DELISTED = EventType.DELISTED
EVALUATED = EventType.EVALUATED
FILED = EventType.FILED
DISTRICT = Level.DISTRICT


def excellence_decisions(rule: Rule, ctx: Context, matched: Sequence[Event]) -> list[Decision]:
    """Decide each performance evaluation: an award when graded excellent, or why not."""
    out: list[Decision] = []
    wanted = {e.id for e in matched}
    if not wanted:
        return out
    ruleset = ctx.ruleset
    prep = prep_of(ruleset, rule)
    table = ruleset.tables[rule.params["table"]]
    period = ruleset.plan_period
    per_year = ctx.reading(rule, "per") == "per_year"
    grades = rule.params["grades"]
    delisted_on: datetime.date | None = None
    seen: dict[tuple[Any, ...], int] = {}  # award key -> highest amount awarded so far
    own = kind = ctx.carrier.kind
    column = prep.columns[kind]
    start, end = period.start, period.end
    window = window_given(start, end)
    district_covered: dict[str, bool] = {}
    for event in ctx.timeline:
        t = event.type
        if t is DELISTED:
            delisted_on = event.date
        elif t is ACCREDITED or t is FILED:
            delisted_on = None
        if event.id not in wanted:
            continue
        assert event.level is not None and event.grade is not None
        if (event.kind or own) is not kind:
            kind = event.kind or own
            column = prep.columns[kind]
        if column is None:
            out.append(refusal(prep, ctx, "kind_not_covered", event, kind, rule.clauses))
            continue
        if event.level is DISTRICT:
            covered = district_covered.get(column)
            if covered is None:
                covered = district_covered[column] = level_covered(ctx, rule, column, DISTRICT)
            if not covered:
                out.append(refusal(prep, ctx, "level_not_covered", event, kind, rule.clauses + ruleset.readings[rule.readings["district_maker_space"]].clauses))
                continue
        value = table.value(column, event.level, event.date)
        if not start <= event.date <= end:
            out.append(refusal(prep, ctx, "outside_window", event, kind, (clause_of(table, column, event.level, value),), window))
            continue
        if value is None:
            out.append(refusal(prep, ctx, "level_not_covered", event, kind, rule.clauses))
            continue
        clauses = (value.clause,)
        if delisted_on is not None:
            out.append(refusal(prep, ctx, "delisted", event, kind, clauses, (None, None, None, None, None, None, delisted_on, None, None)))
        elif event.grade not in grades:
            out.append(refusal(prep, ctx, "not_excellent", event, kind, clauses))
        else:
            key = (event.year,) if per_year else (event.year, event.level)
            already = seen.get(key, 0)
            if value.amount <= already:
                out.append(make_decision(prep, ctx, "already_awarded", event, clauses + ruleset.readings[rule.readings["per"]].clauses,
                                 full_amount=value.amount, already_received=already))
                continue
            seen[key] = value.amount
            out.append(make_decision(prep, ctx, "awarded", event, clauses, value.amount - already, event.date,
                             full_amount=value.amount, already_received=already, amount_in_force_from=value.start))
    return out


KIND = RuleKind(
    name="evaluation_excellence",
    params={"table": "table", "grades": "grades"},
    roles={
        "per": frozenset({"per_year_and_level", "per_year"}),
        "district_maker_space": frozenset({"pay_q6_row", "no_district_level"}),
    },
    codes=(
        "awarded", "not_excellent", "outside_window", "kind_not_covered", "level_not_covered",
        "delisted", "already_awarded",
    ),
    matches=frozenset({EVALUATED}),
    decider=excellence_decisions,
)
