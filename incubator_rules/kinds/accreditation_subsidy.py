"""``accreditation_subsidy``: a one-off subsidy for an accreditation or filing, once its condition is met (Q1, Q3).

The amount comes from the rule's table; an ``upgrade_differential`` rule that
applies to it pays only the difference to what was already received on the
same ladder.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import attrs

from ..model.carrier import AwardKind, Event, EventType, Level, iso_date
from ..model.labels import LEVEL_ZH
from ..model.decision import Condition, Decision
from ..model.ruleset import DatedValue, Rule
from .base import (
    role_clauses,
    AREA_ROLE,
    Context,
    RuleKind,
    RulePrep,
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
from .base import settlements
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


def _ladder_of(diff_rule: Rule | None, ctx: Context) -> Callable[[str], str]:
    shared = diff_rule is not None and ctx.reading(diff_rule, "ladders") == "shared"
    return (lambda column: "*") if shared else (lambda column: column)


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
    outside_area = area_refused(ctx, ctx.reading(rule, "area"))
    ladder = _ladder_of(diff_rule, ctx)
    first_at_level = ctx.reading(rule, "new") == "first_at_level"
    payable_in_period = ctx.reading(rule, "period_bound") == "payable_date"
    for position, event in enumerate(matched):
        kind = event.kind or ctx.carrier.kind
        column = prep.columns[kind]
        assert event.level is not None
        if column is None:
            decisions.append(refusal(prep, ctx, "kind_not_covered", event, kind, rule.clauses))
            continue
        if outside_area:
            decisions.append(area_refusal(prep, ctx, event, kind))
            continue
        if not level_covered(ctx, rule, column, event.level):
            clauses = (clause_of(table, column, event.level, None),) + reading_clauses(ctx, rule, "district_maker_space", column)
            decisions.append(refusal(prep, ctx, "level_not_covered", event, kind, tuple(dict.fromkeys(clauses))))
            continue
        value = table.value(column, event.level, event.date)
        if not window_start <= event.date <= period.end:
            clauses = (clause_of(table, column, event.level, value),) + ((period.clause,) if period.clause else ())
            decisions.append(refusal(prep, ctx, "outside_window", event, kind, clauses, window))
            continue
        if value is None:
            decisions.append(refusal(prep, ctx, "level_not_covered", event, kind, column_clauses(ruleset, rule.clauses, column)))
            continue
        if not index:
            index = {e.id: i for i, e in enumerate(ctx.timeline)}
        held = _held_before(prep, ctx, matched[:position], ladder(column), ladder) if position else []
        higher = max((e for e in held if e.level.rank > event.level.rank), key=lambda e: e.level.rank, default=None)  # type: ignore[union-attr]
        if higher is not None:
            clauses = (value.clause,) + (() if diff_rule is None else diff_rule.clauses)
            decisions.append(refusal(prep, ctx, "lower_level", event, kind, clauses, _held_given(higher)))
            continue
        if first_at_level:
            same = next((e for e in reversed(held) if e.level is event.level), None)
            if same is not None:
                clauses = (value.clause,) + role_clauses(ruleset, rule, "new")
                decisions.append(refusal(prep, ctx, "not_new", event, kind, column_clauses(ruleset, clauses, column), _held_given(same)))
                continue
        start = _count_start(rule, cond_rule, ctx, index[event.id], column)
        outcome = operating_duration(cond_rule, ctx, start, event.date)
        cond_clauses = (value.clause,) if value.clause in cond_rule.clauses else cond_rule.clauses
        condition = Condition(cond_rule.id, outcome.status, outcome.counted_from, outcome.date, outcome.events, prep.citations(ctx, cond_clauses))
        if outcome.status == "ended":
            decisions.append(make_decision(prep, ctx, "delisted_before_year", event, (value.clause,), events=(event.id,) + outcome.events, ended_on=outcome.date, condition=condition))
        elif outcome.status == "interrupted":
            decisions.append(make_decision(prep, ctx, "interrupted", event, (value.clause,), events=(event.id,) + outcome.events, interrupted_on=outcome.date, condition=condition))
        elif payable_in_period and outcome.date is not None and outcome.date > period.end:
            clauses = (value.clause,) + role_clauses(ruleset, rule, "period_bound")
            decisions.append(make_decision(prep, ctx, "payable_after_period", event, column_clauses(ruleset, tuple(dict.fromkeys(clauses)), column),
                                   events=(event.id,) + outcome.events, condition=condition,
                                   window_start=window_start, window_end=period.end, due_on=outcome.date))
        else:
            candidates.append(_Candidate(event, column, value, outcome, condition))
    if candidates:
        decisions.extend(_amounts(rule, diff_rule, ctx, candidates, index))
    return decisions


def _held_given(title: Event) -> tuple[Any, ...]:
    return given_values(**_held_kw(title))


def _held_before(prep: RulePrep, ctx: Context, earlier: Sequence[Event], key: str, ladder: Callable[[str], str]) -> list[Event]:
    """Of the accreditations and filings ``earlier`` (in timeline order, whenever dated), those on ladder ``key``."""
    out = []
    own = ctx.carrier.kind
    for e in earlier:
        if e.type is ACCREDITED or e.type is FILED:
            column = prep.columns[e.kind or own]
            if column is not None and ladder(column) == key:
                out.append(e)
    return out


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
    """Subsidy amounts, in payable order, less the differential base (docs/policy-map.md, "The differential base").

    Under ``measure=received`` the base is what this plan decided on the
    same ladder so far plus, under ``base=all_received``, the recorded
    construction-subsidy payments on that ladder that settle no decision of
    this plan, dated on or before the new award falls due, for its level or
    a lower one. Such a payment for a higher level, dated on or before the
    new accreditation, shows a higher title held before, and the new
    accreditation is refused as ``lower_level``; one dated after it pays a
    later upgrade and is not subtracted. Under
    ``measure=level_difference`` it is the table amount of the highest level
    held before on the ladder, paid or not. Excellence and other money never
    counts.
    """
    prep = prep_of(ctx.ruleset, rule)
    diff_prep = None if diff_rule is None else prep_of(ctx.ruleset, diff_rule)
    ladder = _ladder_of(diff_rule, ctx)
    by_level = diff_rule is not None and ctx.reading(diff_rule, "measure") == "level_difference"
    subtract_payments = diff_rule is not None and ctx.reading(diff_rule, "base") == "all_received" and not by_level
    payments = []
    if subtract_payments:
        settled = settlements(ctx)
        for e in ctx.timeline:
            if e.type is PAYMENT_RECEIVED and e.purpose is AwardKind.CONSTRUCTION_SUBSIDY and settled.get(e.id) is None:
                column = prep.columns[e.kind or ctx.carrier.kind]
                if column is not None:
                    payments.append((e, ladder(column), column))
    received: list[tuple[str, str, Level | None, int]] = []  # (ladder, column, level, amount) decided so far
    out = []
    ordered = candidates if len(candidates) == 1 else sorted(candidates, key=lambda c: (c.outcome.date, index[c.event.id]))
    table = ctx.ruleset.tables[rule.params["table"]]
    for c in ordered:
        key = ladder(c.column)
        assert c.outcome.date is not None and c.event.level is not None
        full = c.value.amount
        code = "awarded" if c.outcome.status == "met" else "pending"
        common: dict[str, Any] = dict(payable_on=c.outcome.date, events=(c.event.id,) + c.outcome.events,
                      full_amount=full, amount_in_force_from=c.value.start, condition=c.condition)
        if by_level:
            assert diff_prep is not None
            at = index[c.event.id]
            held = _held_before(prep, ctx, [e for e in ctx.timeline[:at] if e.type is ACCREDITED or e.type is FILED], key, ladder)
            top = max(held, key=lambda e: (e.level.rank, index[e.id]), default=None)  # type: ignore[union-attr]
            base = 0
            if top is not None:
                top_value = table.value(prep.columns[top.kind or ctx.carrier.kind], top.level, c.event.date)  # type: ignore[arg-type]
                base = 0 if top_value is None else top_value.amount
            if base == 0:
                out.append(make_decision(prep, ctx, code, c.event, (c.value.clause,), amount=full, already_received=0, **common))
                continue
            clauses = (c.value.clause,) + diff_prep.rule.clauses
            reads = role_clauses(ctx.ruleset, diff_prep.rule, "measure")
            if full <= base:
                common["payable_on"] = None
                out.append(make_decision(diff_prep, ctx, "no_difference", c.event, clauses, already_received=base, **common))
                continue
            clauses = column_clauses(ctx.ruleset, tuple(dict.fromkeys(clauses + reads)), c.column)
            out.append(make_decision(diff_prep, ctx, f"level_difference_{code}", c.event, clauses, amount=full - base,
                             already_received=base, **common, **_held_kw(top)))
            continue
        earlier = [(p, col) for p, lad, col in payments if lad == key and p.date <= c.outcome.date]
        rank = c.event.level.rank
        higher = max((p for p, _ in earlier if p.level.rank > rank and p.date <= c.event.date),  # type: ignore[union-attr]
                     key=lambda p: (p.level.rank, p.date), default=None)  # type: ignore[union-attr]
        if higher is not None:  # money received for a higher level shows a higher title held before: not an upgrade
            clauses = (c.value.clause,) + (() if diff_prep is None else diff_prep.rule.clauses)
            out.append(make_decision(prep, ctx, "lower_level", c.event, clauses, events=(c.event.id, higher.id), **_held_kw(higher)))
            continue
        # money for a higher level received after this accreditation pays a later upgrade, not this award
        paid = [(col, p.level, p.amount or 0) for p, col in earlier if p.level.rank <= rank]  # type: ignore[union-attr]
        paid += [(col, lvl, amt) for lad, col, lvl, amt in received if lad == key]
        already = sum(amt for _, _, amt in paid)
        common["already_received"] = already
        if already == 0 or diff_prep is None:
            out.append(make_decision(prep, ctx, code, c.event, (c.value.clause,), amount=full, **common))
            received.append((key, c.column, c.event.level, full))
            continue
        clauses = (c.value.clause,) + diff_prep.rule.clauses
        at_level = sum(amt for col, lvl, amt in paid if col == c.column and lvl == c.event.level)
        if full <= already or at_level > 0:  # a level already paid gives nothing, whatever the ladder received
            reason = "level_already_paid" if at_level > 0 else "no_difference"
            common["payable_on"] = None
            out.append(make_decision(diff_prep, ctx, reason, c.event, clauses, level_received=at_level, **common))
            continue
        out.append(make_decision(diff_prep, ctx, code, c.event, clauses, amount=full - already, **common))
        received.append((key, c.column, c.event.level, full - already))
    return out


def _held_kw(title: Event) -> dict[str, str]:
    assert title.level is not None
    return {"held_level": title.level._value_, "held_level_zh": LEVEL_ZH[title.level], "held_on": iso_date(title.date)}



KIND = RuleKind(
    name="accreditation_subsidy",
    params={"table": "table", "condition": "rule"},
    references={"condition": "operating_duration"},
    roles={
        "window": frozenset({"plan_period", "issue_date"}),
        "upgrade_condition": frozenset({"again", "once"}),
        "district_maker_space": frozenset({"pay_q6_row", "no_district_level"}),
        "new": frozenset({"in_window", "first_at_level"}),
        "period_bound": frozenset({"accreditation_date", "payable_date"}),
        "area": AREA_ROLE,
    },
    codes=(
        "awarded", "pending", "outside_window", "kind_not_covered", "level_not_covered",
        "delisted_before_year", "interrupted", "lower_level", "not_new", "payable_after_period",
        "outside_area",
    ),
    defaults={
        "window": "plan_period", "upgrade_condition": "again", "district_maker_space": "pay_q6_row",
        "new": "in_window", "period_bound": "accreditation_date", "area": "refuse_outside",
    },
    matches=frozenset({ACCREDITED, FILED}),
    decider=accreditation_decisions,
)
