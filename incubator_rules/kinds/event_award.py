"""``event_award``: an award on each event that matches, its amount from a structured form, with optional conditions.

Conditions: a date ``window``; ``within`` a duration after an anchor event;
``exclude_year_of`` (nothing for the year of an anchor event, e.g. the
accreditation year); ``holding`` a title (an event matching a filter before
it, with no delisting since); ``occurrence`` (only the N-th matching event:
1 is "the first time"); ``occurrences`` (the event that completes N matching
events in a row, within a rolling window, or in a fixed cycle);
``condition``, an ``operating_duration`` rule (a period of normal operation
from the event, after which the award is payable; pending until then);
``once_per`` carrier (first time only) or year; and a payment ``schedule``
(instalments, each its own decision: ``kinds.schedule``).
"""

from __future__ import annotations

import datetime
from typing import Any, Sequence

from ..model.carrier import Event, EventType
from ..model.decision import Decision
from ..model.ruleset import Rule
from .base import Context, RuleKind
from .generic import (
    GENERIC_PLACEHOLDERS, Param, add, amount_of, amount_param, choice, declare, decide, filters_param, matches,
    read_filters, whole,
)
from .occurrences import occurrences_param, tally
from .operating_duration import operating_duration
from .schedule import schedule_param, settle

__all__ = ["KIND", "WITHIN", "anchor_before", "event_award_decisions", "holds_title"]

ONCE_PER = ("event", "carrier", "year")


def _read_window(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> tuple[datetime.date | None, datetime.date | None] | None:
    """``{from: 2020-01-01, to: 2025-12-31}``, either end open."""
    if raw is None:
        return None
    raw = reader.mapping(raw, path, ("from", "to"))
    if raw is None:
        return None
    return (reader.date(raw, "from", path, False), reader.date(raw, "to", path, False))


def _read_within(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    """``{duration: {years: 3}, of: <filter>}``: the event must fall within the duration after the latest such event."""
    if raw is None:
        return None
    raw = reader.mapping(raw, path, ("duration", "of"))
    if raw is None:
        return None
    duration = reader.duration(raw.get("duration"), path + ("duration",), ("years", "months", "days"), "duration")
    of = read_filters(reader, raw.get("of"), path + ("of",), context)
    return (duration, of)


WINDOW = Param(_read_window, {
    "type": "object", "additionalProperties": False, "description": "{from, to}: the event's date must fall in it (either end open)",
    "properties": {"from": {"$ref": "#/definitions/date"}, "to": {"$ref": "#/definitions/date"}},
}, optional=True)
WITHIN = Param(_read_within, {
    "type": "object", "required": ["duration", "of"], "additionalProperties": False,
    "description": "{duration, of}: within the duration after the latest earlier event matching `of`",
    "properties": {"duration": {"$ref": "#/definitions/calendar_duration"}, "of": {"$ref": "#/definitions/filters"}},
}, optional=True)


def anchor_before(ctx: Context, event: Event, filters: Sequence[Any]) -> Event | None:
    """The latest event before ``event`` in the timeline that one of ``filters`` matches."""
    found = None
    for e in ctx.timeline:
        if e is event:
            break
        kind = e.kind or ctx.carrier.kind
        if matches(filters, e, ctx):
            found = e
    return found


def holds_title(ctx: Context, event: Event, filters: Sequence[Any]) -> Event | None:
    """The latest event before ``event`` matching ``filters`` with no delisting after it, or None."""
    found = None
    for e in ctx.timeline:
        if e is event:
            break
        if e.type is EventType.DELISTED:
            found = None
        elif matches(filters, e, ctx):
            found = e
    return found


def _in_scope(filters: Sequence[Any], event: Event, ctx: Context) -> bool:
    kind = event.kind or ctx.carrier.kind
    return any(f.in_scope(event, kind) for f in filters)


def event_award_decisions(rule: Rule, ctx: Context, matched: Sequence[Event]) -> list[Decision]:
    """Decide each event in the rule's scope: awarded (in instalments under a schedule), pending, or why not."""
    out: list[Decision] = []
    filters = rule.params["match"]
    window = rule.params.get("window")
    within = rule.params.get("within")
    excluded = rule.params.get("exclude_year_of")
    once = ctx.param(rule, "once_per") or "event"
    amount = ctx.param(rule, "amount")
    paid: set[Any] = set()
    holding = rule.params.get("holding")
    occurrence = rule.params.get("occurrence")
    counting = rule.params.get("occurrences")
    condition = rule.params.get("condition")
    schedule = rule.params.get("schedule")
    scoped = [e for e in matched if _in_scope(filters, e, ctx)]
    counts = None
    if counting is not None:
        counts = tally(counting, [(e, matches(filters, e, ctx)) for e in scoped], ctx.ruleset.plan_period.start)
    seen = 0
    for n, event in enumerate(scoped):
        kind = event.kind or ctx.carrier.kind
        if not matches(filters, event, ctx):
            out.append(decide(rule, ctx, "not_matched", event, kind, rule.clauses))
            continue
        seen += 1
        if occurrence is not None and seen != occurrence:
            out.append(decide(rule, ctx, "not_this_occurrence", event, kind, rule.clauses, counted=seen, needed=occurrence))
            continue
        counted: tuple[str, ...] = ()
        if counts is not None:
            found = counts[n]
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
            out.append(decide(rule, ctx, "outside_window", event, kind, rule.clauses,
                              window_start=window[0], window_end=window[1]))
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
            if any(e.date.year == year and matches(excluded, e, ctx) for e in ctx.timeline):
                out.append(decide(rule, ctx, "excluded_year", event, kind, rule.clauses))
                continue
        value, clause = amount_of(ctx, amount, event, kind, history=ctx.timeline)
        if value is None:
            out.append(decide(rule, ctx, "no_amount", event, kind, rule.clauses))
            continue
        key = {"carrier": "*", "year": event.date.year}.get(once, event.id)
        if key in paid:
            out.append(decide(rule, ctx, "already_awarded", event, kind, rule.clauses))
            continue
        paid.add(key)
        events = tuple(dict.fromkeys(((event.id,) if anchor is None else (anchor.id, event.id)) + counted))
        clauses = (clause,) if clause else rule.clauses
        payable, code = event.date, "awarded"
        if condition is not None:
            cond_rule = ctx.ruleset.rule(condition)
            outcome = operating_duration(cond_rule, ctx, ctx.timeline.index(event), event.date)
            events += outcome.events
            if outcome.status in ("ended", "interrupted"):
                paid.discard(key)
                out.append(decide(rule, ctx, "condition_not_met", event, kind, clauses + cond_rule.clauses, events=events))
                continue
            payable, code = outcome.date, "awarded" if outcome.status == "met" else "pending"
        if schedule is not None:
            gate = None if condition is None else (payable, code == "awarded")
            out.extend(_instalments(rule, ctx, schedule, event, kind, clauses, value, events, gate))
            continue
        out.append(decide(rule, ctx, code, event, kind, clauses, amount=value, payable_on=payable, events=events))
    return out


_INSTALMENT_CODES = {"awarded": "instalment_awarded", "pending": "instalment_pending", "not_met": "instalment_not_met"}


def _instalments(rule: Rule, ctx: Context, schedule: Any, event: Event, kind: Any, clauses: tuple[str, ...],
                 total: int, events: tuple[str, ...], gate: Any) -> list[Decision]:
    """One decision per instalment of ``total``, each citing the award's clauses and its own."""
    out = []
    count = len(schedule.instalments)
    for share in settle(ctx, schedule, event, total, gate):
        out.append(decide(
            rule, ctx, _INSTALMENT_CODES[share.status], event, kind, clauses + share.clauses,
            amount=share.amount, payable_on=share.payable_on, events=tuple(dict.fromkeys(events + share.events)),
            full_amount=total, instalment=f"{share.number}/{count}", share=share.instalment.label,
            share_amount=share.amount,
        ))
    return out


ONCE_PER = ("event", "carrier", "year")


def _read_window(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> tuple[datetime.date | None, datetime.date | None] | None:
    """``{from: 2020-01-01, to: 2025-12-31}``, either end open."""
    if raw is None:
        return None
    raw = reader.mapping(raw, path, ("from", "to"))
    if raw is None:
        return None
    return (reader.date(raw, "from", path, False), reader.date(raw, "to", path, False))


def _read_within(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    """``{duration: {years: 3}, of: <filter>}``: the event must fall within the duration after the latest such event."""
    if raw is None:
        return None
    raw = reader.mapping(raw, path, ("duration", "of"))
    if raw is None:
        return None
    duration = reader.duration(raw.get("duration"), path + ("duration",), ("years", "months", "days"), "duration")
    of = read_filters(reader, raw.get("of"), path + ("of",), context)
    return (duration, of)


WINDOW = Param(_read_window, {
    "type": "object", "additionalProperties": False, "description": "{from, to}: the event's date must fall in it (either end open)",
    "properties": {"from": {"$ref": "#/definitions/date"}, "to": {"$ref": "#/definitions/date"}},
}, optional=True)
WITHIN = Param(_read_within, {
    "type": "object", "required": ["duration", "of"], "additionalProperties": False,
    "description": "{duration, of}: within the duration after the latest earlier event matching `of`",
    "properties": {"duration": {"$ref": "#/definitions/calendar_duration"}, "of": {"$ref": "#/definitions/filters"}},
}, optional=True)


def anchor_before(ctx: Context, event: Event, filters: Sequence[Any]) -> Event | None:
    """The latest event before ``event`` in the timeline that one of ``filters`` matches."""
    found = None
    for e in ctx.timeline:
        if e is event:
            break
        kind = e.kind or ctx.carrier.kind
        if matches(filters, e, ctx):
            found = e
    return found


def holds_title(ctx: Context, event: Event, filters: Sequence[Any]) -> Event | None:
    """The latest event before ``event`` matching ``filters`` with no delisting after it, or None."""
    found = None
    for e in ctx.timeline:
        if e is event:
            break
        if e.type is EventType.DELISTED:
            found = None
        elif matches(filters, e, ctx):
            found = e
    return found


def _in_scope(filters: Sequence[Any], event: Event, ctx: Context) -> bool:
    kind = event.kind or ctx.carrier.kind
    return any(f.in_scope(event, kind) for f in filters)


def event_award_decisions(rule: Rule, ctx: Context, matched: Sequence[Event]) -> list[Decision]:
    """Decide each event in the rule's scope: awarded (in instalments under a schedule), pending, or why not."""
    out: list[Decision] = []
    filters = rule.params["match"]
    window = rule.params.get("window")
    within = rule.params.get("within")
    excluded = rule.params.get("exclude_year_of")
    once = ctx.param(rule, "once_per") or "event"
    amount = ctx.param(rule, "amount")
    paid: set[Any] = set()
    holding = rule.params.get("holding")
    occurrence = rule.params.get("occurrence")
    counting = rule.params.get("occurrences")
    condition = rule.params.get("condition")
    schedule = rule.params.get("schedule")
    scoped = [e for e in matched if _in_scope(filters, e, ctx)]
    counts = None
    if counting is not None:
        counts = tally(counting, [(e, matches(filters, e, ctx)) for e in scoped], ctx.ruleset.plan_period.start)
    seen = 0
    for n, event in enumerate(scoped):
        kind = event.kind or ctx.carrier.kind
        if not matches(filters, event, ctx):
            out.append(decide(rule, ctx, "not_matched", event, kind, rule.clauses))
            continue
        seen += 1
        if occurrence is not None and seen != occurrence:
            out.append(decide(rule, ctx, "not_this_occurrence", event, kind, rule.clauses, counted=seen, needed=occurrence))
            continue
        counted: tuple[str, ...] = ()
        if counts is not None:
            found = counts[n]
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
            out.append(decide(rule, ctx, "outside_window", event, kind, rule.clauses,
                              window_start=window[0], window_end=window[1]))
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
            if any(e.date.year == year and matches(excluded, e, ctx) for e in ctx.timeline):
                out.append(decide(rule, ctx, "excluded_year", event, kind, rule.clauses))
                continue
        value, clause = amount_of(ctx, amount, event, kind, history=ctx.timeline)
        if value is None:
            out.append(decide(rule, ctx, "no_amount", event, kind, rule.clauses))
            continue
        key = {"carrier": "*", "year": event.date.year}.get(once, event.id)
        if key in paid:
            out.append(decide(rule, ctx, "already_awarded", event, kind, rule.clauses))
            continue
        paid.add(key)
        events = tuple(dict.fromkeys(((event.id,) if anchor is None else (anchor.id, event.id)) + counted))
        clauses = (clause,) if clause else rule.clauses
        payable, code = event.date, "awarded"
        if condition is not None:
            cond_rule = ctx.ruleset.rule(condition)
            outcome = operating_duration(cond_rule, ctx, ctx.timeline.index(event), event.date)
            events += outcome.events
            if outcome.status in ("ended", "interrupted"):
                paid.discard(key)
                out.append(decide(rule, ctx, "condition_not_met", event, kind, clauses + cond_rule.clauses, events=events))
                continue
            payable, code = outcome.date, "awarded" if outcome.status == "met" else "pending"
        if schedule is not None:
            gate = None if condition is None else (payable, code == "awarded")
            out.extend(_instalments(rule, ctx, schedule, event, kind, clauses, value, events, gate))
            continue
        out.append(decide(rule, ctx, code, event, kind, clauses, amount=value, payable_on=payable, events=events))
    return out


_INSTALMENT_CODES = {"awarded": "instalment_awarded", "pending": "instalment_pending", "not_met": "instalment_not_met"}


def _instalments(rule: Rule, ctx: Context, schedule: Any, event: Event, kind: Any, clauses: tuple[str, ...],
                 total: int, events: tuple[str, ...], gate: Any) -> list[Decision]:
    """One decision per instalment of ``total``, each citing the award's clauses and its own."""
    out = []
    count = len(schedule.instalments)
    for share in settle(ctx, schedule, event, total, gate):
        out.append(decide(
            rule, ctx, _INSTALMENT_CODES[share.status], event, kind, clauses + share.clauses,
            amount=share.amount, payable_on=share.payable_on, events=tuple(dict.fromkeys(events + share.events)),
            full_amount=total, instalment=f"{share.number}/{count}", share=share.instalment.label,
            share_amount=share.amount,
        ))
    return out


def _read_condition(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    if raw is not None and getattr(context, "rules", None) and "schedule" in (getattr(reader, "_rule_raw", None) or {}):
        pass
    return raw


ONCE_PER = ("event", "carrier", "year")

KIND = RuleKind(
    name="event_award",
    **declare(
        match=filters_param("the events awarded: an event filter {type, level, kind, grade, fields, at_least, carrier}, or a list of alternatives"),
        amount=amount_param("an amount form: a number, {fixed}, {table}, {by, values}, {percent, of}, with max/min/rounding; or {reading, values}"),
        window=WINDOW,
        within=WITHIN,
        exclude_year_of=filters_param("nothing for an event of the same year as an event matching this filter", optional=True),
        once_per=choice(ONCE_PER, "event", "event (default), carrier (the first time only) or year; or {reading, values}"),
        holding=filters_param("a title the carrier must hold: an earlier event matching this filter, not delisted since", optional=True),
        occurrence=Param(whole(1, 100, "only the N-th matching event (1: the first time)").read,
                         {"type": "integer", "minimum": 1, "maximum": 100, "description": "only the N-th matching event (1: the first time)"},
                         optional=True),
        occurrences=occurrences_param("awarded on the event that completes N matching events: consecutive, within a rolling window, or in a fixed cycle"),
        condition=Param("rule", optional=True),
        schedule=schedule_param("pay the award in instalments, each a share with its own delay and conditions"),
    ),
    roles={},
    codes=(
        "awarded", "pending", "not_matched", "outside_window", "excluded_year", "no_amount", "already_awarded",
        "not_this_occurrence", "too_few_occurrences", "no_title", "condition_not_met",
        "instalment_awarded", "instalment_pending", "instalment_not_met",
    ),
    matches=frozenset(EventType),
    decider=event_award_decisions,
    references={"condition": "operating_duration"},
    placeholders=GENERIC_PLACEHOLDERS,
)
