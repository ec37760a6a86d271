"""``accreditation_subsidy``: a one-off subsidy for an accreditation or filing, once its condition is met (Q1, Q3).

The amount comes from the rule's table; an ``upgrade_differential`` rule that
applies to it pays only the difference to what was already received on the
same ladder.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import attrs

from ..model.carrier import Event, EventType, Level
from ..model.decision import Condition, Decision
from ..model.ruleset import DatedValue, Rule
from .base import (
    Context,
    RuleKind,
    RulePrep,
    clause_of,
    level_covered,
    make_decision,
    prep_of,
    refusal,
    window_given,
)
from .operating_duration import Outcome, operating_duration, stretch_start

__all__ = ["KIND", "accreditation_decisions"]

ACCREDITED = EventType.ACCREDITED
DELISTED = EventType.DELISTED
FILED = EventType.FILED
PAYMENT_RECEIVED = EventType.PAYMENT_RECEIVED
_ACCREDITATION = (ACCREDITED, FILED)


@attrs.frozen
class _Candidate:
    event: Event
    column: str
    value: DatedValue
    outcome: Outcome
    condition: Condition


def _subsidy_rules(prep: RulePrep) -> tuple[Rule, Rule | None]:
    """A subsidy rule's operating-duration rule and its upgrade-differential rule (if any)."""
    cond_rule = prep.ruleset.rule(prep.rule.params["condition"])
    diffs = prep.ruleset.rules_of_kind("upgrade_differential")
    return cond_rule, next((r for r in diffs if r.params["applies_to"] == prep.rule.id), None)


def accreditation_decisions(rule: Rule, ctx: Context, matched: Sequence[Event]) -> list[Decision]:
    """Decide each accreditation or filing: subsidy, upgrade differential, or why not."""
    decisions: list[Decision] = []
    if not matched:
        return decisions
    ruleset = ctx.ruleset
    prep = prep_of(ruleset, rule)
    table = ruleset.tables[rule.params["table"]]
    cond_rule, diff_rule = prep.derived("subsidy_rules", _subsidy_rules)
    period = ruleset.plan_period
    window_start = period.issued if ctx.reading(rule, "window") == "issue_date" and period.issued else period.start
    index: dict[str, int] = {}
    candidates: list[_Candidate] = []
    window = window_given(window_start, period.end)
    for event in matched:
        kind = event.kind or ctx.carrier.kind
        column = prep.columns[kind]
        assert event.level is not None
        if column is None:
            decisions.append(refusal(prep, ctx, "kind_not_covered", event, kind, rule.clauses))
            continue
        if not level_covered(ctx, rule, column, event.level):
            decisions.append(refusal(prep, ctx, "level_not_covered", event, kind, rule.clauses + ruleset.readings[rule.readings["district_maker_space"]].clauses))
            continue
        value = table.value(column, event.level, event.date)
        if not window_start <= event.date <= period.end:
            clauses = (clause_of(table, column, event.level, value),) + ((period.clause,) if period.clause else ())
            decisions.append(refusal(prep, ctx, "outside_window", event, kind, clauses, window))
            continue
        if value is None:
            decisions.append(refusal(prep, ctx, "level_not_covered", event, kind, rule.clauses))
            continue
        if not index:
            index = {e.id: i for i, e in enumerate(ctx.timeline)}
        start = _count_start(rule, cond_rule, ctx, index[event.id], column)
        outcome = operating_duration(cond_rule, ctx, start, event.date)
        cond_clauses = (value.clause,) if value.clause in cond_rule.clauses else cond_rule.clauses
        condition = Condition(cond_rule.id, outcome.status, outcome.counted_from, outcome.date, outcome.events, prep.citations(ctx, cond_clauses))
        if outcome.status == "ended":
            decisions.append(make_decision(prep, ctx, "delisted_before_year", event, (value.clause,), events=(event.id,) + outcome.events, ended_on=outcome.date, condition=condition))
        elif outcome.status == "interrupted":
            decisions.append(make_decision(prep, ctx, "interrupted", event, (value.clause,), events=(event.id,) + outcome.events, interrupted_on=outcome.date, condition=condition))
        else:
            candidates.append(_Candidate(event, column, value, outcome, condition))
    if candidates:
        decisions.extend(_amounts(rule, diff_rule, ctx, candidates, index))
    return decisions


def _count_start(rule: Rule, cond_rule: Rule, ctx: Context, i: int, column: str) -> int:
    """Where the year of normal operation behind accreditation ``i`` starts counting."""
    if ctx.reading(rule, "upgrade_condition") == "once":
        first: int | None = None
        for j, e in enumerate(ctx.timeline[:i]):
            if e.type is DELISTED:
                first = None
            elif first is None and e.type in _ACCREDITATION and prep_of(ctx.ruleset, rule).columns[e.kind or ctx.carrier.kind] == column:
                first = j
        if first is not None:
            i = first
    if ctx.reading(cond_rule, "count_from") == "operation_start":
        return stretch_start(cond_rule, ctx, i)
    return i


def _amounts(rule: Rule, diff_rule: Rule | None, ctx: Context, candidates: list[_Candidate], index: Mapping[str, int]) -> list[Decision]:
    """Subsidy amounts, in payable order, less what was already received on the same ladder."""
    prep = prep_of(ctx.ruleset, rule)
    diff_prep = None if diff_rule is None else prep_of(ctx.ruleset, diff_rule)
    shared = diff_rule is not None and ctx.reading(diff_rule, "ladders") == "shared"
    subtract_payments = diff_rule is not None and ctx.reading(diff_rule, "base") == "all_received"
    ladder = (lambda column: "*") if shared else (lambda column: column)
    payments = []
    if subtract_payments:
        for e in ctx.timeline:
            if e.type is PAYMENT_RECEIVED:
                column = prep.columns[e.kind or ctx.carrier.kind]
                if column is not None:
                    payments.append((e, ladder(column), column))
    received: list[tuple[str, str, Level | None, int]] = []  # (ladder, column, level, amount) decided so far
    out = []
    ordered = candidates if len(candidates) == 1 else sorted(candidates, key=lambda c: (c.outcome.date, index[c.event.id]))
    for c in ordered:
        key = ladder(c.column)
        assert c.outcome.date is not None and c.event.level is not None
        paid = [(col, p.level, p.amount or 0) for p, lad, col in payments if lad == key and p.date <= c.outcome.date]
        paid += [(col, lvl, amt) for lad, col, lvl, amt in received if lad == key]
        already = sum(amt for _, _, amt in paid)
        full = c.value.amount
        code = "awarded" if c.outcome.status == "met" else "pending"
        common: dict[str, Any] = dict(payable_on=c.outcome.date, events=(c.event.id,) + c.outcome.events,
                      full_amount=full, already_received=already, amount_in_force_from=c.value.start,
                      condition=c.condition)
        if already == 0 or diff_prep is None:
            out.append(make_decision(prep, ctx, code, c.event, (c.value.clause,), amount=full, **common))
            received.append((key, c.column, c.event.level, full))
            continue
        clauses = (c.value.clause,) + diff_prep.rule.clauses
        if full <= already:
            same = any(col == c.column and lvl == c.event.level and amt > 0 for col, lvl, amt in paid)
            reason = "level_already_paid" if same else "no_difference"
            common["payable_on"] = None
            out.append(make_decision(diff_prep, ctx, reason, c.event, clauses, **common))
            continue
        out.append(make_decision(diff_prep, ctx, code, c.event, clauses, amount=full - already, **common))
        received.append((key, c.column, c.event.level, full - already))
    return out


KIND = RuleKind(
    name="accreditation_subsidy",
    params={"table": "table", "condition": "rule"},
    references={"condition": "operating_duration"},
    roles={
        "window": frozenset({"plan_period", "issue_date"}),
        "upgrade_condition": frozenset({"again", "once"}),
        "district_maker_space": frozenset({"pay_q6_row", "no_district_level"}),
    },
    codes=(
        "awarded", "pending", "outside_window", "kind_not_covered", "level_not_covered",
        "delisted_before_year", "interrupted",
    ),
    matches=frozenset({ACCREDITED, FILED}),
    decider=accreditation_decisions,
)
