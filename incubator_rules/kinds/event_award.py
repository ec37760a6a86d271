"""``event_award``: an award on each event that matches, its amount from a structured form, with optional conditions.

Conditions: a date ``window``; ``within`` a duration after an anchor event;
``exclude_year_of`` (nothing for the year of an anchor event, e.g. the
accreditation year); ``holding`` a title (an event matching a filter before
it, with no delisting since); ``occurrence`` (only the N-th matching event);
``condition``, a ``normal_operation`` rule (a period of normal operation
from the event, after which the award is payable; pending until then);
``once_per`` carrier (first time only), year, or ``{fields, top_up}``.
Conditions on titles and the plan (``kinds.checks``): ``kind_of`` (the kind
an event is decided as), ``refuse_kinds`` and ``refuse_levels`` (what the
table covers), ``area``, ``period`` (the plan period, by date or evaluated
year), ``not_delisted``, ``title_held`` and ``grades``.
"""

from __future__ import annotations

import datetime
from typing import Any, Sequence

from ..model.carrier import Event, EventType
from .normal_operation import condition_start, operating_duration
from ..model.decision import Condition, Decision
from ..model.ruleset import Rule
from . import checks
from .base import Context, RuleKind
from .generic import GENERIC_PLACEHOLDERS, add, amount_of, bound_clauses, decide, read_amount, read_bound, read_filters

__all__ = ["KIND", "event_award_decisions", "read_window", "read_within"]

ONCE_PER = ("event", "carrier", "year")


PLAN_DATES = ("plan_start", "plan_issued", "plan_end")


def read_window(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    """``{from: 2020-01-01, to: 2025-12-31}``, either end open, an end possibly ``plan_start``, ``plan_issued`` or
    ``plan_end`` (the plan period's dates; its clause is then cited), with the ``clause`` a refusal outside it
    cites; or ``{reading, values}``."""
    if raw is None:
        return None

    def one(value: Any, p: tuple[Any, ...]) -> Any:
        value = reader.mapping(value, p, ("from", "to", "clause"))
        if value is None:
            return None
        ends = tuple(value[k] if value.get(k) in PLAN_DATES else reader.date(value, k, p, False) for k in ("from", "to"))
        clause = value.get("clause")
        if clause is not None and context.clause_ids is not None and clause not in context.clause_ids:
            reader.problem(p + ("clause",), f"unknown clause {clause!r}")
        return ends + (clause,)

    return read_bound(reader, raw, path, context, one)


def read_within(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    """``{duration: {years: 3}, of: <filter>}``: the event must fall within the duration after the latest such event."""
    if raw is None:
        return None
    raw = reader.mapping(raw, path, ("duration", "of"))
    if raw is None:
        return None
    duration = reader.duration(raw.get("duration"), path + ("duration",), ("years", "months", "days"), "duration")
    of = read_filters(reader, raw.get("of"), path + ("of",), context)
    return (duration, of)


def _read_once(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    def one(value: Any, p: tuple[Any, ...]) -> Any:
        if isinstance(value, dict):
            return checks.read_once_fields(reader, value, p)
        if value not in ONCE_PER:
            reader.problem(p, f"expected one of: {', '.join(ONCE_PER)}, or {{fields, top_up}}; got {value!r}"[:200])
        return value
    return "event" if raw is None else read_bound(reader, raw, path, context, one)


def _read_amount(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    return read_bound(reader, raw, path, context, lambda v, p: read_amount(reader, v, p, context))


def _read_optional_filters(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    return None if raw is None else read_filters(reader, raw, path, context)


def anchor_before(ctx: Context, event: Event, filters: Sequence[Any]) -> Event | None:
    """The latest event before ``event`` in the timeline that one of ``filters`` matches."""
    found = None
    for e in ctx.timeline:
        if e is event:
            break
        kind = e.kind or ctx.carrier.kind
        if any(f.in_scope(e, kind) and f.holds(e) for f in filters):
            found = e
    return found


def _read_occurrence(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 100:
        reader.problem(path, f"expected a whole number from 1 to 100, got {raw!r}"[:120])
        return None
    return raw


def holds_title(ctx: Context, event: Event, filters: Sequence[Any]) -> Event | None:
    """The latest event before ``event`` matching ``filters`` with no delisting after it, or None."""
    found = None
    for e in ctx.timeline:
        if e is event:
            break
        if e.type is EventType.DELISTED:
            found = None
        elif any(f.in_scope(e, e.kind or ctx.carrier.kind) and f.holds(e) for f in filters):
            found = e
    return found


def event_award_decisions(rule: Rule, ctx: Context, matched: Sequence[Event]) -> list[Decision]:
    """Decide each event in the rule's scope: awarded, or why not."""
    out: list[Decision] = []
    filters = rule.params["match"]
    amount = ctx.param(rule, "amount")
    plan = checks.PlanChecks(rule, ctx, amount)
    window = plan.config.window
    within = rule.params.get("within")
    excluded = rule.params.get("exclude_year_of")
    once = ctx.param(rule, "once_per") or "event"
    paid: set[Any] = set()
    holding = rule.params.get("holding")
    occurrence = rule.params.get("occurrence")
    condition = rule.params.get("condition")
    seen = 0
    types = plan.config.types
    for event in matched:
        if types is not None and event.type not in types:
            continue
        kind = plan.kind_of(event)
        if not any(f.in_scope(event, kind) for f in filters):
            continue
        refused = plan.before(event, kind)
        if refused is not None:
            out.append(refused)
            continue
        cell, cited = plan.cell(event, kind)
        if not any(f.in_scope(event, kind) and f.holds(event) for f in filters):
            out.append(decide(rule, ctx, "not_matched", event, kind, rule.clauses))
            continue
        seen += 1
        if occurrence is not None and seen != occurrence:
            out.append(decide(rule, ctx, "not_this_occurrence", event, kind, rule.clauses))
            continue
        if holding is not None and holds_title(ctx, event, holding) is None:
            out.append(decide(rule, ctx, "no_title", event, kind, rule.clauses))
            continue
        if window is not None and ((window[0] and event.date < window[0]) or (window[1] and event.date > window[1])):
            out.append(decide(rule, ctx, "outside_window", event, kind, cited + ((window[2],) if window[2] else ()),
                              window_start=window[0], window_end=window[1]))
            continue
        refused = plan.outside_period(event, kind, cited)
        if refused is not None:
            out.append(refused)
            continue
        anchor = None
        if within is not None:
            anchor = anchor_before(ctx, event, within[1])
            if anchor is None or event.date > add(anchor.date, within[0]):
                out.append(decide(rule, ctx, "outside_window", event, kind, rule.clauses,
                                  window_start=None if anchor is None else anchor.date,
                                  window_end=None if anchor is None else add(anchor.date, within[0])))
                continue
        if excluded is not None:
            year = event.year if event.year is not None else event.date.year
            if any(e.date.year == year and f.in_scope(e, e.kind or ctx.carrier.kind) and f.holds(e)
                   for e in ctx.timeline for f in excluded):
                out.append(decide(rule, ctx, "excluded_year", event, kind, rule.clauses))
                continue
        if plan.cell_is_amount:  # a plain table lookup: the cell's amount
            value, clause = (None, None) if cell is None else (cell.amount, cell.clause)
        else:
            value, clause = amount_of(ctx, amount, event, kind, history=ctx.timeline)
        if value is None:
            out.append(decide(rule, ctx, "level_not_covered", event, kind, plan.column_cites(rule.clauses, kind))
                       if plan.covers else decide(rule, ctx, "no_amount", event, kind, rule.clauses))
            continue
        refused = plan.after_amount(event, kind, cited)
        if refused is not None:
            out.append(refused)
            continue
        if isinstance(once, checks.OncePer):
            out.append(plan.once(once, event, kind, value, cell, cited))
            continue
        key = {"carrier": "*", "year": event.date.year}.get(once, event.id)
        if key in paid:
            out.append(decide(rule, ctx, "already_awarded", event, kind, rule.clauses))
            continue
        paid.add(key)
        events = (event.id,) if anchor is None else (anchor.id, event.id)
        clauses = (clause,) if clause else rule.clauses
        payable, code, met = event.date, "awarded", True
        cond = None
        if condition is not None:
            cond_rule = ctx.ruleset.rule(condition)
            outcome = operating_duration(cond_rule, ctx, condition_start(cond_rule, ctx, plan.condition_start(event, kind)), event.date)
            events += outcome.events
            cond_clauses = (clause,) if clause in cond_rule.clauses else cond_rule.clauses
            cond = Condition(cond_rule.id, outcome.status, outcome.counted_from, outcome.date, outcome.events, ctx.citations(cond_clauses))
            if outcome.status in ("ended", "interrupted"):
                paid.discard(key)
                reason, on = ("delisted_before_year", "ended_on") if outcome.status == "ended" else ("interrupted", "interrupted_on")
                out.append(decide(rule, ctx, reason, event, kind, clauses, events=events, condition=cond, **{on: outcome.date}))
                continue
            assert outcome.date is not None
            if plan.payable_in_window and window is not None and window[1] is not None and outcome.date > window[1]:
                paid.discard(key)
                late = plan.column_cites(clauses + bound_clauses(ctx.ruleset, rule, "payable_in_window"), kind)
                out.append(decide(rule, ctx, "payable_after_period", event, kind, late, events=events, condition=cond,
                                  window_start=window[0], window_end=window[1], due_on=outcome.date))
                continue
            payable, code, met = outcome.date, "awarded" if outcome.status == "met" else "pending", outcome.status == "met"
        if plan.covers and cell is not None:
            plan.candidates.append(checks.Candidate(event, kind, plan.columns[kind], cell, payable, met, events, cond))  # type: ignore[arg-type]
            continue
        out.append(decide(rule, ctx, code, event, kind, clauses, amount=value, payable_on=payable, events=events, condition=cond))
    if plan.candidates:
        out.extend(checks.differential(plan))
    return out


KIND = RuleKind(
    name="event_award",
    params={
        "match": read_filters, "amount": _read_amount, "window": read_window, "within": read_within,
        "exclude_year_of": _read_optional_filters, "once_per": _read_once,
        "holding": _read_optional_filters, "occurrence": _read_occurrence, "condition": "rule", **checks.PARAMS,
    },
    roles={},
    codes=(
        "awarded", "pending", "not_matched", "outside_window", "excluded_year", "no_amount", "already_awarded",
        "not_this_occurrence", "no_title", "condition_not_met", *checks.CODES,
    ),
    matches=frozenset(EventType),
    decider=event_award_decisions,
    references={"condition": "normal_operation"},
    placeholders=GENERIC_PLACEHOLDERS,
    optional=frozenset({"window", "within", "exclude_year_of", "once_per", "holding", "occurrence", "condition", *checks.PARAMS}),
    schemas={
        "match": {"description": "an event filter {type, level, kind, grade, fields}, or a list of alternatives"},
        "amount": {"description": "an amount form: a number, {fixed}, {table}, {by, values}, {percent, of}, with max/min/rounding; or {reading, values}"},
        "window": {"description": "{from, to, clause}: the event's date must fall in it (an end may be plan_start, plan_issued or plan_end); or {reading, values}"},
        "within": {"type": "object", "description": "{duration, of}: within the duration after the latest event matching `of`"},
        "exclude_year_of": {"description": "nothing for an event of the same year as an event matching this filter"},
        "once_per": {"description": "event (default), carrier (first time only) or year; or {reading, values}"},
        "holding": {"description": "a title the carrier must hold: an earlier event matching this filter, not delisted since"},
        "occurrence": {"type": "integer", "minimum": 1, "description": "only the N-th matching event (1: the first time)"},
        **checks.SCHEMAS,
    },
)
