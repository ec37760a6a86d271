"""``event_award``: an award on each event that matches, its amount from a structured form, with optional conditions.

Conditions: a date ``window``; ``within`` a duration after an anchor event;
``exclude_year_of`` (nothing for the year of an anchor event, e.g. the
accreditation year); ``holding`` a title (an event matching a filter before
it, with no delisting since); ``occurrence`` (only the N-th matching event:
1 is "the first time"); ``occurrences`` (the event that completes N matching
events in a row, within a rolling window, or in a fixed cycle); a payment
``schedule`` (instalments, each its own decision: ``kinds.schedule``);
``condition``, a ``normal_operation`` rule (a period of normal operation
from the event, after which the award is payable; pending until then);
``once_per`` carrier (one award a carrier, the first that pays), year, or ``{fields, top_up}``.
Conditions on titles and the plan (``kinds.checks``): ``kind_of`` (the kind
an event is decided as), ``refuse_kinds`` and ``refuse_levels`` (what the
table covers), ``area``, ``period`` (the plan period, by date or evaluated
year), ``not_delisted``, ``title_held``, ``grades`` and ``graded`` (the grade of the year before).
"""

from __future__ import annotations

import datetime
from typing import Any, Sequence

from ..model.carrier import Event, EventType
from .normal_operation import condition_start, operating_duration
from ..model.decision import Condition, Decision
from ..model.ruleset import Rule
from ..model.facts import did_you_mean
from . import checks
from .base import Context, RuleKind
from .generic import (
    GENERIC_PLACEHOLDERS, Param, add, amount_detail, amount_param, bound_clauses, declare, decide, filters_param,
    matches, noted, read_filters, refuse, rounding_note, whole,
)
from .occurrences import check_counting, cycle_start, occurrences_param, tally
from .schedule import instalment_decisions, schedule_param

__all__ = ["KIND", "WINDOW", "WITHIN", "anchor_before", "event_award_decisions", "holds_title", "read_window", "read_within",
           "withdraws"]

ONCE_PER = ("event", "carrier", "year")


PLAN_DATES = ("plan_start", "plan_issued", "plan_end")


def read_window(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    """``{from: 2020-01-01, to: 2025-12-31}``, either end open, an end possibly ``plan_start``, ``plan_issued`` or
    ``plan_end`` (the plan period's dates; its clause is then cited), with the ``clause`` a refusal outside it
    cites."""
    if raw is None:
        return None

    def one(value: Any, p: tuple[Any, ...]) -> Any:
        value = reader.mapping(value, p, ("from", "to", "clause"))
        if value is None:
            return None
        ends = tuple(value[k] if value.get(k) in PLAN_DATES else reader.date(value, k, p, False) for k in ("from", "to"))
        if isinstance(ends[0], datetime.date) and isinstance(ends[1], datetime.date) and ends[1] < ends[0]:
            reader.problem(p + ("to",), f"the window ends ({ends[1].isoformat()}) before it starts ({ends[0].isoformat()})")
        clause = value.get("clause")
        if clause is not None and context.clause_ids is not None and clause not in context.clause_ids:
            reader.problem(p + ("clause",), f"unknown clause {clause!r}")
        return ends + (clause,)

    return one(raw, path)


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
            reader.problem(p, f"expected one of: {', '.join(ONCE_PER)}, or {{fields, top_up}}; got {value!r}{did_you_mean(value, ONCE_PER)}"[:200])
        return value
    return "event" if raw is None else one(raw, path)


_DATE_OR_PLAN = {"anyOf": [{"$ref": "#/definitions/date"}, {"enum": list(PLAN_DATES)}]}
WINDOW = Param(read_window, {
    "description": "{from, to, clause}: the event's date must fall in it (an end may be plan_start, plan_issued or plan_end)",
    "type": "object", "additionalProperties": False,
    "properties": {"from": _DATE_OR_PLAN, "to": _DATE_OR_PLAN, "clause": {"$ref": "#/definitions/text"}},
}, optional=True)
WITHIN = Param(read_within, {
    "type": "object", "required": ["duration", "of"], "additionalProperties": False,
    "description": "{duration, of}: within the duration after the latest earlier event matching `of`",
    "properties": {"duration": {"$ref": "#/definitions/calendar_duration"}, "of": {"$ref": "#/definitions/filters"}},
}, optional=True)
ONCE = Param(_read_once, {"description": "event (default), carrier (one award a carrier: the first that pays), year, or {fields, top_up}",
                          "anyOf": [{"enum": list(ONCE_PER)}, checks.ONCE_FIELDS_SCHEMA]}, optional=True)


def anchor_before(ctx: Context, event: Event, filters: Sequence[Any]) -> Event | None:
    """The latest event before ``event`` in the timeline that one of ``filters`` matches."""
    found = None
    for e in ctx.timeline:
        if e is event:
            break
        if matches(filters, e, ctx):
            found = e
    return found


def holds_title(ctx: Context, event: Event, filters: Sequence[Any]) -> Event | None:
    """The latest event before ``event`` matching ``filters`` with no delisting after it, and no withdrawal of its
    designation or title, or None."""
    held: list[Event] = []
    for e in ctx.timeline:
        if e is event:
            break
        if e.type is EventType.DELISTED:
            held = []
        elif e.type is EventType.WITHDRAWN:
            held = [h for h in held if not withdraws(e, h)]
        elif matches(filters, e, ctx):
            held.append(e)
    return held[-1] if held else None


def withdraws(withdrawal: Event, title: Event) -> bool:
    """A ``withdrawn`` event takes back ``title``: the same designation or title, at its level when it names one."""
    if withdrawal.level is not None and title.level is not None and withdrawal.level is not title.level:
        return False
    for name in ("designation", "title"):
        named = withdrawal.fact(name)
        if named is not None and named == title.fact(name):
            return True
    return False


def event_award_decisions(rule: Rule, ctx: Context, matched: Sequence[Event]) -> list[Decision]:
    """Decide each event in the rule's scope: awarded (in instalments under a schedule), pending, or why not."""
    out: list[Decision] = []
    compiled = checks.compiled(rule, ctx)
    types = compiled.types
    if types is not None:
        only = compiled.only_type  # one type: tested by identity, cheaper than a look-up in the set
        matched = [e for e in matched if e.type is only] if only is not None else [e for e in matched if e.type in types]
        if not matched:
            return out
    plan = checks.PlanChecks(compiled, ctx)
    (filters, amount, window, within, excluded, once, holding, occurrence, condition, counting, schedule, graded, one,
     by_type,
 all_in_scope, checks_after, period, refusing, start, end, cell_is_amount, covers, columns, table, cells, early, late, prep,
     plan_window, window_cites, window_shown) = compiled.loop
    paid: set[Any] = set()
    seen = 0
    awarded = 0  # awards made so far: the next one is the ordinal of ``by: occurrence``
    counts: dict[str, Any] = {}
    if counting is not None:
        held = []
        for e in matched:
            k = plan.kind_of(e)
            if any(f.in_scope(e, k) for f in filters):
                held.append((e, any(f.in_scope(e, k) and f.holds(e, ctx.carrier) for f in filters)))
        counts = {e.id: t for (e, _), t in zip(held, tally(counting, held, cycle_start(counting, ctx)))}
    own = ctx.carrier.kind
    checks_before, outside_area, kinds = plan.checks_before, plan.outside_area, plan.kinds
    carrier = ctx.carrier
    detail = ctx.detail  # False: totals, which leave refusals out (where a refusal is known, nothing is built)
    for event in matched:
        kind = (event.kind or own) if kinds is None else plan.kind_of(event)
        if not (all_in_scope or (one.in_scope(event, kind) if one is not None else any(f.in_scope(event, kind) for f in filters))):
            continue
        place = (kind, event.level)
        if checks_before and (outside_area or place in refusing):  # refused (``checks._refused_before``, or the area)
            if not detail:
                continue
            refused = plan.before(event, kind)
            if refused is not None:
                out.append(refused)
                continue
        found = cells.get(place)  # the cell whatever the date, by kind and level
        cell, cited = found if found is not None else plan.cell(event, kind)
        if not (by_type or (one.holds(event, carrier) if one is not None else
                            any(f.in_scope(event, kind) and f.holds(event, carrier) for f in filters))):
            out.append(decide(rule, ctx, "not_matched", event, kind, rule.clauses))
            continue
        seen += 1
        counted: tuple[str, ...] = ()
        if early:  # occurrence, occurrences, holding or window set
            if occurrence is not None and seen != occurrence:
                out.append(decide(rule, ctx, "not_this_occurrence", event, kind, rule.clauses, counted=seen, needed=occurrence))
                continue
            if counting is not None:
                found = counts[event.id]
                if found.status == "outside":
                    out.append(decide(rule, ctx, "outside_window", event, kind, rule.clauses))
                    continue
                if found.status == "done":
                    out.append(decide(rule, ctx, "already_awarded", event, kind, rule.clauses))
                    continue
                if found.status == "short":
                    out.append(decide(rule, ctx, "too_few_occurrences", event, kind, rule.clauses,
                                      events=tuple(dict.fromkeys([event.id] + [e.id for e in found.counted])),
                                      counted=len(found.counted), needed=counting.count))
                    continue
                counted = tuple(e.id for e in found.counted)
            if holding is not None and holds_title(ctx, event, holding) is None:
                out.append(decide(rule, ctx, "no_title", event, kind, rule.clauses))
                continue
            if window is not None and ((window[0] and event.date < window[0]) or (window[1] and event.date > window[1])):
                if not detail:
                    continue
                out.append(refuse(prep, ctx, "outside_window", event, kind, cited + window_cites, window_shown))
                continue
        if period is not None and (period != "date" or not start <= event.date <= end):
            if period == "date":  # outside the plan period by its date
                if detail:
                    out.append(refuse(prep, ctx, "outside_window", event, kind, cited, plan_window))
                continue
            refused = plan.outside_year(event, kind, cited)
            if refused is not None:
                out.append(refused)
                continue
        anchor = grade_event = None
        if late:  # within, exclude_year_of or graded set
            if within is not None:
                anchor = anchor_before(ctx, event, within[1])
                if anchor is None or event.date > add(anchor.date, within[0]):
                    out.append(decide(rule, ctx, "outside_window", event, kind, rule.clauses,
                                      window_start=None if anchor is None else anchor.date,
                                      window_end=None if anchor is None else add(anchor.date, within[0])))
                    continue
            if excluded is not None:
                year = event.year if event.year is not None else event.date.year
                if any(e.date.year == year and matches(excluded, e, ctx) for e in ctx.timeline):
                    out.append(decide(rule, ctx, "excluded_year", event, kind, rule.clauses))
                    continue
            if graded is not None:
                refused, grade_event = checks.graded_check(
                    rule, ctx, graded, event, kind,
                    lambda: amount_detail(ctx, amount, event, kind, history=ctx.timeline, ordinal=awarded + 1)[0])
                if refused is not None:
                    out.append(refused)
                    continue
        exact = None
        if cell_is_amount:  # a plain table lookup: the cell's amount
            value, clause = (None, None) if cell is None else (cell.amount, cell.clause)
        else:
            value, clause, exact = amount_detail(ctx, amount, event, kind, history=ctx.timeline, ordinal=awarded + 1)
        if value is None or (value == 0 and not covers):  # nothing to pay is a refusal, never an award of 0 yuan
            out.append(decide(rule, ctx, "level_not_covered", event, kind, plan.column_cites(rule.clauses, kind))
                       if covers else decide(rule, ctx, "no_amount", event, kind, rule.clauses))
            continue
        if checks_after:
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
        events = tuple(dict.fromkeys((event.id,) + (() if anchor is None else (anchor.id,)) + counted
                                     + (() if grade_event is None else (grade_event.id,))))  # the event first
        clauses = (clause,) if clause else rule.clauses
        payable, code, met = event.date, "awarded", True
        if grade_event is not None and grade_event.date > payable:
            payable = grade_event.date  # payable once the grade it rests on is known
        cond = None
        if condition is not None:
            cond_rule = ctx.ruleset.rule(condition)
            outcome = operating_duration(cond_rule, ctx, condition_start(cond_rule, ctx, plan.condition_start(event, kind)), event.date)
            events += outcome.events
            if ctx.detail:  # totals have no condition (kinds.base.Context)
                cond_clauses = (clause,) if clause in cond_rule.clauses else cond_rule.clauses
                cond = Condition(cond_rule.id, outcome.status, outcome.counted_from, outcome.date, outcome.events, ctx.citations(cond_clauses))
            if outcome.status in ("ended", "interrupted"):
                paid.discard(key)
                reason, on = ("delisted_before_year", "ended_on") if outcome.status == "ended" else ("interrupted", "interrupted_on")
                out.append(decide(rule, ctx, reason, event, kind, clauses, events=events, condition=cond, **{on: outcome.date}))
                continue
            assert outcome.date is not None
            if compiled.payable_in_window and window is not None and window[1] is not None and outcome.date > window[1]:
                paid.discard(key)
                late = plan.column_cites(clauses + bound_clauses(ctx.ruleset, rule, "payable_in_window"), kind)
                out.append(decide(rule, ctx, "payable_after_period", event, kind, late, events=events, condition=cond,
                                  window_start=window[0], window_end=window[1], due_on=outcome.date))
                continue
            payable, code, met = max(payable, outcome.date), "awarded" if outcome.status == "met" else "pending", outcome.status == "met"
        awarded += 1
        if covers and cell is not None:
            plan.candidates.append(checks.Candidate(event, kind, columns[kind], cell, payable, met, events, cond))  # type: ignore[arg-type]
            continue
        if schedule is not None:
            gate = None if condition is None and grade_event is None else (payable, met)
            note = rounding_note(exact, amount.rounding) if exact is not None and ctx.detail else None
            out.extend(instalment_decisions(rule, ctx, schedule, event, kind, clauses, value, events, gate, note=note))
            continue
        decision = decide(rule, ctx, code, event, kind, clauses, amount=value, payable_on=payable, events=events, condition=cond)
        if exact is not None and ctx.detail:
            decision = noted(decision, rounding_note(exact, amount.rounding))
        out.append(decision)
    if plan.candidates:
        out.extend(checks.differential(plan))
    return out


KIND = RuleKind(
    name="event_award",
    **declare(
        match=filters_param("the events awarded: an event filter {type, level, kind, grade, fields, at_least, carrier}, or a list of alternatives"),
        amount=amount_param("an amount form: a number, {fixed}, {table}, {by, values}, {percent, of}, with max/min/rounding"),
        window=WINDOW,
        within=WITHIN,
        exclude_year_of=filters_param("nothing for an event of the same year as an event matching this filter", optional=True),
        once_per=ONCE,
        holding=filters_param("a title the carrier must hold: an earlier event matching this filter, not delisted since", optional=True),
        occurrence=whole(1, 100, "only the N-th matching event (1: the first time)"),
        occurrences=occurrences_param("awarded on the event that completes N matching events: consecutive, within a rolling window, or in a fixed cycle"),
        condition=Param("rule", optional=True),
        schedule=schedule_param("pay the award in instalments, each a share with its own delay and conditions"),
        **checks.CHECKS,
    ),
    roles={},
    codes=(
        "awarded", "pending", "not_matched", "outside_window", "excluded_year", "no_amount", "already_awarded",
        "not_this_occurrence", "too_few_occurrences", "no_title", "condition_not_met",
        "instalment_awarded", "instalment_pending", "instalment_not_met", *checks.CODES,
    ),
    matches=frozenset(EventType),
    decider=event_award_decisions,
    validate=check_counting,
    references={"condition": "normal_operation"},
    placeholders=GENERIC_PLACEHOLDERS,
)
