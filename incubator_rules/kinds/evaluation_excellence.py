"""``evaluation_excellence``: an award for a performance evaluation graded excellent (Q2)."""

from __future__ import annotations

import datetime
from typing import Any, Sequence

from ..model.carrier import CarrierKind, Event, EventType, Level
from ..model.decision import Decision
from ..model.ruleset import Rule
from .base import (
    AREA_ROLE,
    Context,
    RuleKind,
    area_refusal,
    area_refused,
    clause_of,
    column_clauses,
    given_values,
    level_covered,
    make_decision,
    prep_of,
    reading_clauses,
    refusal,
    window_given,
)
from .base import title_kinds

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
    title_needed = ctx.reading(rule, "title")
    by_year = ctx.reading(rule, "period_bound") == "evaluated_year"
    no_star = ctx.reading(rule, "star_spaces") == "not_covered"
    outside_area = area_refused(ctx, rule)
    grades = rule.params["grades"]
    delisted_on: datetime.date | None = None
    seen: dict[tuple[Any, ...], int] = {}  # award key -> highest amount awarded so far
    start, end = period.start, period.end
    window = window_given(start, end)
    district_covered: dict[str, bool] = {}
    kinds = title_kinds(ctx)
    own = ctx.carrier.kind
    track = title_needed != "not_required"
    held: dict[tuple[str | None, Level], Event] = {}  # titles held since the last delisting
    kind, column = own, prep.columns[own]
    for i, event in enumerate(ctx.timeline):
        t = event.type
        if t is DELISTED:
            delisted_on = event.date
            if track:
                held.clear()
        elif t is ACCREDITED or t is FILED:
            delisted_on = None
            if track:
                held[(prep.columns[event.kind or own], event.level)] = event  # type: ignore[index]
        if t is not EVALUATED or event.id not in wanted:
            continue
        assert event.level is not None and event.grade is not None and event.year is not None
        if kinds[i] is not kind:
            kind = kinds[i]
            column = prep.columns[kind]
        if column is None or (no_star and kind is CarrierKind.STAR_INNOVATION_SPACE):
            clauses = rule.clauses if column is None else tuple(dict.fromkeys(
                column_clauses(ruleset, rule.clauses, column) + ruleset.readings[rule.readings["star_spaces"]].clauses))
            out.append(refusal(prep, ctx, "kind_not_covered", event, kind, clauses))
            continue
        if outside_area:
            out.append(area_refusal(prep, ctx, event, kind))
            continue
        if event.level is DISTRICT:
            covered = district_covered.get(column)
            if covered is None:
                covered = district_covered[column] = level_covered(ctx, rule, column, DISTRICT)
            if not covered:
                clauses = (clause_of(table, column, DISTRICT, None),) + reading_clauses(ctx, rule, "district_maker_space", column)
                out.append(refusal(prep, ctx, "level_not_covered", event, kind, tuple(dict.fromkeys(clauses))))
                continue
        value = table.value(column, event.level, event.date)
        if by_year:
            if not start.year <= event.year <= end.year:
                clauses = (clause_of(table, column, event.level, value),) + ruleset.readings[rule.readings["period_bound"]].clauses
                out.append(refusal(prep, ctx, "year_outside_window", event, kind, column_clauses(ruleset, tuple(dict.fromkeys(clauses)), column), window))
                continue
        elif not start <= event.date <= end:
            out.append(refusal(prep, ctx, "outside_window", event, kind, (clause_of(table, column, event.level, value),), window))
            continue
        if value is None:
            out.append(refusal(prep, ctx, "level_not_covered", event, kind, column_clauses(ruleset, rule.clauses, column)))
            continue
        clauses = (value.clause,)
        if delisted_on is not None:
            out.append(refusal(prep, ctx, "delisted", event, kind, clauses, given_values(ended_on=delisted_on)))
            continue
        if title_needed != "not_required":
            title = held.get((column, event.level))
            if title is not None and title_needed == "held_for_year" and title.date > datetime.date(event.year, 12, 31):
                title = None
            if title is None:
                cl = clauses + ruleset.readings[rule.readings["title"]].clauses
                out.append(refusal(prep, ctx, "no_title", event, kind, column_clauses(ruleset, tuple(dict.fromkeys(cl)), column)))
                continue
        if event.grade not in grades:
            out.append(refusal(prep, ctx, "not_excellent", event, kind, clauses))
            continue
        key = (event.year,) if per_year else (event.year, event.level)
        already = seen.get(key, 0)
        if value.amount <= already:
            cl = clauses + reading_clauses(ctx, rule, "per", column)
            out.append(make_decision(prep, ctx, "already_awarded", event, tuple(dict.fromkeys(cl)),
                             full_amount=value.amount, already_received=already, kind=kind))
            continue
        seen[key] = value.amount
        out.append(make_decision(prep, ctx, "awarded", event, clauses, value.amount - already, event.date,
                         full_amount=value.amount, already_received=already, amount_in_force_from=value.start, kind=kind))
    return out


KIND = RuleKind(
    name="evaluation_excellence",
    params={"table": "table", "grades": "grades"},
    roles={
        "per": frozenset({"per_year_and_level", "per_year"}),
        "district_maker_space": frozenset({"pay_q6_row", "no_district_level"}),
        "title": frozenset({"not_required", "held_on_evaluation_date", "held_for_year"}),
        "kind": frozenset({"title", "carrier"}),
        "period_bound": frozenset({"evaluation_date", "evaluated_year"}),
        "star_spaces": frozenset({"maker_space_row", "not_covered"}),
        "area": AREA_ROLE,
    },
    codes=(
        "awarded", "not_excellent", "outside_window", "kind_not_covered", "level_not_covered",
        "delisted", "already_awarded", "no_title", "year_outside_window", "outside_area",
    ),
    matches=frozenset({EVALUATED}),
    decider=excellence_decisions,
)
