"""``event_award``: an award on each event that matches, its amount from a structured form, with optional conditions.

Conditions: a date ``window``; ``within`` a duration after an anchor event;
``exclude_year_of`` (nothing for the year of an anchor event, e.g. the
accreditation year); ``holding`` a title (an event matching a filter before
it, with no delisting since); ``occurrence`` (only the N-th matching event);
``condition``, an ``operating_duration`` rule (a period of normal operation
from the event, after which the award is payable; pending until then);
``once_per`` carrier (first time only) or year.
"""

from __future__ import annotations

import datetime
from typing import Any, Sequence

from ..model.carrier import Event, EventType
from .operating_duration import operating_duration
from ..model.decision import Decision
from ..model.ruleset import Rule
from .base import Context, RuleKind
from .generic import GENERIC_PLACEHOLDERS, add, amount_of, decide, read_amount, read_bound, read_filters

__all__ = ["KIND", "event_award_decisions", "read_window", "read_within"]

ONCE_PER = ("event", "carrier", "year")


def read_window(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> tuple[datetime.date | None, datetime.date | None] | None:
    """``{from: 2020-01-01, to: 2025-12-31}``, either end open."""
    if raw is None:
        return None
    raw = reader.mapping(raw, path, ("from", "to"))
    if raw is None:
        return None
    return (reader.date(raw, "from", path, False), reader.date(raw, "to", path, False))


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
        if value not in ONCE_PER:
            reader.problem(p, f"expected one of: {', '.join(ONCE_PER)}, got {value!r}")
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
    window = rule.params.get("window")
    within = rule.params.get("within")
    excluded = rule.params.get("exclude_year_of")
    once = ctx.param(rule, "once_per") or "event"
    amount = ctx.param(rule, "amount")
    paid: set[Any] = set()
    holding = rule.params.get("holding")
    occurrence = rule.params.get("occurrence")
    condition = rule.params.get("condition")
    seen = 0
    for event in matched:
        kind = event.kind or ctx.carrier.kind
        if not any(f.in_scope(event, kind) for f in filters):
            continue
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
            if any(e.date.year == year and f.in_scope(e, e.kind or ctx.carrier.kind) and f.holds(e)
                   for e in ctx.timeline for f in excluded):
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
        events = (event.id,) if anchor is None else (anchor.id, event.id)
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
        out.append(decide(rule, ctx, code, event, kind, clauses, amount=value, payable_on=payable, events=events))
    return out


KIND = RuleKind(
    name="event_award",
    params={
        "match": read_filters, "amount": _read_amount, "window": read_window, "within": read_within,
        "exclude_year_of": _read_optional_filters, "once_per": _read_once,
        "holding": _read_optional_filters, "occurrence": _read_occurrence, "condition": "rule",
    },
    roles={},
    codes=(
        "awarded", "pending", "not_matched", "outside_window", "excluded_year", "no_amount", "already_awarded",
        "not_this_occurrence", "no_title", "condition_not_met",
    ),
    matches=frozenset(EventType),
    decider=event_award_decisions,
    references={"condition": "operating_duration"},
    placeholders=GENERIC_PLACEHOLDERS,
    optional=frozenset({"window", "within", "exclude_year_of", "once_per", "holding", "occurrence", "condition"}),
    schemas={
        "match": {"description": "an event filter {type, level, kind, grade, fields}, or a list of alternatives"},
        "amount": {"description": "an amount form: a number, {fixed}, {table}, {by, values}, {percent, of}, with max/min/rounding; or {reading, values}"},
        "window": {"type": "object", "description": "{from, to}: the event's date must fall in it"},
        "within": {"type": "object", "description": "{duration, of}: within the duration after the latest event matching `of`"},
        "exclude_year_of": {"description": "nothing for an event of the same year as an event matching this filter"},
        "once_per": {"description": "event (default), carrier (first time only) or year; or {reading, values}"},
        "holding": {"description": "a title the carrier must hold: an earlier event matching this filter, not delisted since"},
        "occurrence": {"type": "integer", "minimum": 1, "description": "only the N-th matching event (1: the first time)"},
    },
)
