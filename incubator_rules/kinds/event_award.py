"""``event_award``: an award on each event that matches, its amount from a structured form, with optional conditions.

Conditions: a date ``window``; ``within`` a duration after an anchor event;
``exclude_year_of`` (nothing for the year of an anchor event, e.g. the
accreditation year); ``holding`` a title (an event matching a filter before
it, with no delisting since); ``occurrence`` (only the N-th matching event:
1 is "the first time"); ``occurrences`` (the event that completes N matching
events in a row, within a rolling window, or in a fixed cycle);
``condition``, an ``operating_duration`` rule (a period of normal operation
from the event, after which the award is payable; pending until then);
``once_per`` carrier (first time only), year, or ``{fields, top_up}``; and a
payment ``schedule`` (instalments, each its own decision: ``kinds.schedule``).
Conditions on titles and the plan (``kinds.checks``): ``kind_of`` (the kind
an event is decided as), ``refuse_kinds`` and ``refuse_levels`` (what the
table covers), ``area``, ``period`` (the plan period, by date or evaluated
year), ``not_delisted``, ``title_held`` and ``grades``.
"""

from __future__ import annotations

import datetime
from typing import Any, Sequence

from ..model.carrier import Event, EventType
from ..model.decision import Decision
from ..model.ruleset import Rule
from . import checks
from .base import Context, RuleKind, clause_of, column_clauses, prep_of, title_kinds
from ..model.facts import did_you_mean
from .generic import (
    GENERIC_PLACEHOLDERS, Param, add, amount_of, amount_param, bound, bound_clauses, declare, decide, filters_param,
    matches, read_bound, read_filters, whole,
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


def _read_once(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    def one(value: Any, p: tuple[Any, ...]) -> Any:
        if isinstance(value, dict):
            return checks.read_once_fields(reader, value, p)
        if value not in ONCE_PER:
            reader.problem(p, f"expected one of: {', '.join(ONCE_PER)}, or {{fields, top_up}}; got {value!r}{did_you_mean(value, ONCE_PER)}"[:200])
        return value
    return "event" if raw is None else read_bound(reader, raw, path, context, one)


ONCE = Param(_read_once, {"description": "event (default), carrier (the first time only), year, or {fields, top_up}; or {reading, values}",
                          **bound({"anyOf": [{"enum": list(ONCE_PER)}, checks.ONCE_FIELDS_SCHEMA]})}, optional=True)


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
    condition = rule.params.get("condition")
    counting = rule.params.get("occurrences")
    schedule = rule.params.get("schedule")
    seen = 0
    params = rule.params
    refuse_kinds = ctx.param(rule, "refuse_kinds") if params.get("refuse_kinds") is not None else None
    covers = refuse_kinds is not None  # the rule refuses what its table does not cover, instead of no_amount
    area = ctx.param(rule, "area") if params.get("area") is not None else None
    refuse_levels = ctx.param(rule, "refuse_levels") if params.get("refuse_levels") is not None else ()
    period = ctx.param(rule, "period") if params.get("period") is not None else None
    title_held = ctx.param(rule, "title_held") if params.get("title_held") is not None else None
    grades = ctx.param(rule, "grades") if params.get("grades") is not None else None
    top_up: dict[Any, int] = {}
    kinds = position = None
    if params.get("kind_of") is not None:
        kinds = title_kinds(ctx)
        position = {e.id: i for i, e in enumerate(ctx.timeline)}
    table = ctx.ruleset.tables[amount.table] if amount is not None and amount.table is not None else None
    columns = prep_of(ctx.ruleset, rule).columns
    walk = checks.TitleWalk(ctx, columns) if params.get("not_delisted") or title_held not in (None, "none") else None
    plan = ctx.ruleset.plan_period

    def kind_of(event: Event) -> Any:
        return event.kind or ctx.carrier.kind if kinds is None else kinds[position[event.id]]  # type: ignore[index]

    counts: dict[str, Any] = {}
    if counting is not None:
        scoped = [e for e in matched if any(f.in_scope(e, kind_of(e)) for f in filters)]
        held = [(e, any(f.in_scope(e, kind_of(e)) and f.holds(e, ctx.carrier) for f in filters)) for e in scoped]
        counts = {e.id: t for (e, _), t in zip(held, tally(counting, held, plan.start))}
    for event in matched:
        kind = kind_of(event)
        if not any(f.in_scope(event, kind) for f in filters):
            continue
        column = columns[kind]
        if covers:
            if column is None or kind in refuse_kinds:
                clauses = rule.clauses if column is None else column_clauses(
                    ctx.ruleset, rule.clauses + bound_clauses(ctx.ruleset, rule, "refuse_kinds"), column)
                out.append(decide(rule, ctx, "kind_not_covered", event, kind, clauses))
                continue
        if checks.outside_area(ctx, area):
            clauses = (ctx.ruleset.area.clause,) + bound_clauses(ctx.ruleset, rule, "area")  # type: ignore[union-attr]
            out.append(decide(rule, ctx, "outside_area", event, kind, clauses, area=ctx.carrier.area or "-"))
            continue
        cell = cell_clause = None
        if table is not None and column is not None:
            cell = table.value(column, event.level, event.date) if event.level is not None else None
            cell_clause = clause_of(table, column, event.level, cell) if event.level is not None else None
        if refuse_levels and column is not None and checks.refused_level(ctx, refuse_levels, column, event.level):
            clauses = (clause_of(table, column, event.level, None),) if table is not None else rule.clauses  # type: ignore[arg-type]
            clauses += checks.reading_cites(ctx, rule, "refuse_levels", column, amount.table)
            out.append(decide(rule, ctx, "level_not_covered", event, kind, clauses))
            continue
        cited = rule.clauses if cell_clause is None else (cell_clause,)
        if walk is not None:
            walk.to(event)
        if not any(f.in_scope(event, kind) and f.holds(event, ctx.carrier) for f in filters):
            out.append(decide(rule, ctx, "not_matched", event, kind, rule.clauses))
            continue
        seen += 1
        if occurrence is not None and seen != occurrence:
            out.append(decide(rule, ctx, "not_this_occurrence", event, kind, rule.clauses, counted=seen, needed=occurrence))
            continue
        counted: tuple[str, ...] = ()
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
            out.append(decide(rule, ctx, "outside_window", event, kind, rule.clauses,
                              window_start=window[0], window_end=window[1]))
            continue
        if period == "year" and (event.year is None or not plan.start.year <= event.year <= plan.end.year):
            clauses = cited + bound_clauses(ctx.ruleset, rule, "period")
            out.append(decide(rule, ctx, "year_outside_window", event, kind,
                              clauses if column is None else column_clauses(ctx.ruleset, clauses, column),
                              window_start=plan.start, window_end=plan.end))
            continue
        if period == "date" and not plan.start <= event.date <= plan.end:
            out.append(decide(rule, ctx, "outside_window", event, kind, cited, window_start=plan.start, window_end=plan.end))
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
            if covers:
                out.append(decide(rule, ctx, "level_not_covered", event, kind, column_clauses(ctx.ruleset, rule.clauses, column)))  # type: ignore[arg-type]
            else:
                out.append(decide(rule, ctx, "no_amount", event, kind, rule.clauses))
            continue
        if walk is not None and params.get("not_delisted") and walk.delisted_on is not None:
            out.append(decide(rule, ctx, "delisted", event, kind, cited, ended_on=walk.delisted_on))
            continue
        if walk is not None and title_held not in (None, "none") and walk.title(column, event, title_held) is None:
            clauses = cited + bound_clauses(ctx.ruleset, rule, "title_held")
            out.append(decide(rule, ctx, "no_title", event, kind, clauses if column is None else column_clauses(ctx.ruleset, clauses, column)))
            continue
        if grades is not None and event.grade not in grades:
            out.append(decide(rule, ctx, "not_excellent", event, kind, cited))
            continue
        if isinstance(once, checks.OncePer):
            key = checks.once_key(once, event)
            already = top_up.get(key, 0) if once.top_up else (value if key in top_up else 0)
            if value <= already:
                clauses = cited + checks.reading_cites(ctx, rule, "once_per", column, None if amount is None else amount.table)
                out.append(decide(rule, ctx, "already_awarded", event, kind, clauses, full_amount=value, already_received=already))
                continue
            top_up[key] = value
            out.append(decide(rule, ctx, "awarded", event, kind, cited, amount=value - already, payable_on=event.date,
                              full_amount=value, already_received=already,
                              amount_in_force_from=None if cell is None else cell.start))
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


KIND = RuleKind(
    name="event_award",
    **declare(
        match=filters_param("the events awarded: an event filter {type, level, kind, grade, fields, at_least, carrier}, or a list of alternatives"),
        amount=amount_param("an amount form: a number, {fixed}, {table}, {by, values}, {percent, of}, with max/min/rounding; or {reading, values}"),
        window=WINDOW,
        within=WITHIN,
        exclude_year_of=filters_param("nothing for an event of the same year as an event matching this filter", optional=True),
        once_per=ONCE,
        holding=filters_param("a title the carrier must hold: an earlier event matching this filter, not delisted since", optional=True),
        occurrence=whole(1, 100, "only the N-th matching event (1: the first time)"),
        occurrences=occurrences_param("awarded on the event that completes N matching events: consecutive, within a rolling window, or in a fixed cycle"),
        condition=Param("rule", optional=True),
        schedule=schedule_param("pay the award in instalments, each a share with its own delay and conditions"),
        kind_of=checks.KIND_OF_PARAM,
        refuse_kinds=checks.REFUSE_KINDS,
        area=checks.AREA,
        refuse_levels=checks.REFUSE_LEVELS,
        period=checks.PERIOD,
        not_delisted=checks.NOT_DELISTED,
        title_held=checks.TITLE_HELD_PARAM,
        grades=checks.GRADES,
    ),
    roles={},
    codes=(
        "awarded", "pending", "not_matched", "outside_window", "excluded_year", "no_amount", "already_awarded",
        "not_this_occurrence", "too_few_occurrences", "no_title", "condition_not_met",
        "instalment_awarded", "instalment_pending", "instalment_not_met",
        "kind_not_covered", "level_not_covered", "outside_area", "year_outside_window", "delisted", "not_excellent",
    ),
    matches=frozenset(EventType),
    decider=event_award_decisions,
    references={"condition": "operating_duration"},
    placeholders=GENERIC_PLACEHOLDERS,
)
