"""``periodic_subsidy``: a subsidy per period (rate x quantity x months, or a percentage of spending), with caps.

Periods run from an anchor event (an accreditation, an approval) for a
number of periods of a given length, or by calendar year; with
``per_tenancy`` they run from each qualifying tenant's move-in. The basis is
the area of qualifying tenancies, a carrier fact (an accredited area, read
month by month when it is dated), or the amounts of matching spending (or
any other) events. Each ended period is payable the day after it ends; one
still running is pending. ``cap`` bounds each period, ``total_cap`` all of
them together; ``unless`` refuses a period when a matching event (a
designation that moves the carrier to another rule) falls on or before its end.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, Sequence

from ..model.carrier import Event, EventType
from ..model.decision import Decision
from ..model.facts import CARRIER_FACTS, Dated, did_you_mean
from ..model.ruleset import Rule
from .base import Context, RuleKind
from .generic import (
    GENERIC_PLACEHOLDERS, Filter, Param, add, bound as _bound, declare, decide, filters_param, flag, matches, read_bound, read_filters,
    round_yuan, yuan_param,
)

__all__ = ["KIND", "periodic_decisions", "whole_months"]

_ONE_DAY = datetime.timedelta(days=1)


def whole_months(start: datetime.date, end: datetime.date) -> int:
    """Whole calendar months from ``start`` up to ``end`` (exclusive)."""
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


def _read_periods(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    raw = reader.mapping(raw, path, ("length", "count", "calendar_years"))
    if raw is None:
        return None
    if raw.get("calendar_years"):
        return ("calendar", None, raw.get("count"))
    length = reader.duration(raw.get("length"), path + ("length",), ("years", "months"), "period")
    count = raw.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 50:
        reader.problem(path + ("count",), f"expected a number of periods from 1 to 50, got {count!r}")
    return ("length", length, count)


def _read_basis(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    raw = reader.mapping(raw, path, ("tenancies", "area", "spending", "events"))
    if raw is None or len(raw) != 1:
        reader.problem(path, "give exactly one of: tenancies, area, spending, events")
        return None
    (name, value), = raw.items()
    if name == "area":
        value = reader.mapping(value, path + (name,), ("fact", "max"))
        if value is None:
            return None
        fact = value.get("fact")
        if not isinstance(fact, str) or fact not in CARRIER_FACTS:
            reader.problem(path + (name, "fact"), f"unknown carrier fact {fact!r}{did_you_mean(fact, CARRIER_FACTS)}")
        return ("area", fact, value.get("max"))
    if name == "tenancies":
        value = dict(value or {})
        after = value.pop("moved_in_after", None)
        filt = read_filters(reader, {"type": "tenancy", **value}, path + (name,), context)
        moved = None
        if after is not None:
            after = reader.mapping(after, path + (name, "moved_in_after"), ("fact", "duration"))
            if after is not None:
                if not isinstance(after.get("fact"), str) or after.get("fact") not in CARRIER_FACTS:
                    reader.problem(path + (name, "moved_in_after", "fact"), f"unknown carrier fact {after.get('fact')!r}")
                moved = (after.get("fact"), reader.duration(after.get("duration"), path + (name, "moved_in_after", "duration"),
                                                             ("years", "months", "days"), "duration"))
        return ("tenancies", filt, moved)
    if name == "events":
        return ("spending", read_filters(reader, value, path + (name,), context), None)
    return ("spending", read_filters(reader, {"type": "spending", **(value or {})}, path + (name,), context), None)


def _read_rate(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    def one(value: Any, p: tuple[Any, ...]) -> Any:
        if isinstance(value, list):
            return tuple(reader.yuan(v, p + (i,)) for i, v in enumerate(value))
        value = reader.mapping(value, p, ("fact", "max"))
        if value is None:
            return None
        if not isinstance(value.get("fact"), str) or value.get("fact") not in CARRIER_FACTS:
            reader.problem(p + ("fact",), f"unknown carrier fact {value.get('fact')!r}{did_you_mean(value.get('fact'), CARRIER_FACTS)}")
        return (value.get("fact"), value.get("max"))
    return None if raw is None else read_bound(reader, raw, path, context, one)


def _read_percent(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> tuple[Decimal, ...]:
    if raw is None:
        return (Decimal(100),)
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for i, v in enumerate(items):
        if isinstance(v, bool) or not isinstance(v, (int, Decimal)) or not 0 < v <= 100:
            reader.problem(path + (i,), f"expected a percentage above 0 and at most 100, got {v!r}")
            continue
        out.append(Decimal(v))
    return tuple(out) or (Decimal(100),)


def _read_multiplier(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    if raw is None:
        return None
    raw = reader.mapping(raw, path, ("when", "factor"))
    if raw is None:
        return None
    when = read_filters(reader, {"type": "tenancy", **(raw.get("when") or {})}, path + ("when",), context)
    factor = raw.get("factor")
    if isinstance(factor, bool) or not isinstance(factor, int) or not 1 <= factor <= 10:
        reader.problem(path + ("factor",), f"expected a whole factor from 1 to 10, got {factor!r}")
    return (when, factor)


def _periods(rule: Rule, start: datetime.date, as_of: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    """(first day, day after the last) of each period."""
    form, length, count = rule.params["periods"]
    out = []
    if form == "calendar":
        year = start.year
        while datetime.date(year, 1, 1) <= as_of and (count is None or len(out) < count):
            out.append((max(start, datetime.date(year, 1, 1)), datetime.date(year + 1, 1, 1)))
            year += 1
        return out
    day = start
    for _ in range(count):
        end = add(day, length)
        out.append((day, end))
        day = end
    return out


def _fact_value(ctx: Context, spec: tuple[str, Any], day: datetime.date) -> Decimal | None:
    """A carrier fact as of ``day``, bounded by the spec's maximum."""
    value = ctx.carrier.fact(spec[0], on=day)
    if value is None:
        return None
    return Decimal(value) if spec[1] is None else min(Decimal(value), Decimal(spec[1]))


def _matches(filters: Sequence[Filter], e: Event, ctx: Context) -> bool:
    return matches(filters, e, ctx)


def _period_amount(rule: Rule, ctx: Context, i: int, start: datetime.date, end: datetime.date,
                   tenancies: Sequence[Event]) -> tuple[int, tuple[str, ...]]:
    """The subsidy for period ``i`` (0-based) and the events it rests on."""
    kind, spec, _ = rule.params["basis"]
    percents = rule.params.get("percent") or (Decimal(100),)
    percent = percents[min(i, len(percents) - 1)]
    rate = ctx.param(rule, "rate")
    total = Decimal(0)
    used: list[str] = []
    if kind == "spending":
        for e in ctx.timeline:
            if start <= e.date < end and _matches(spec, e, ctx):
                total += e.amount or 0
                used.append(e.id)
    elif kind == "area":
        by_fact = isinstance(rate, tuple) and bool(rate) and isinstance(rate[0], str)
        months = whole_months(start, end)
        facts = dict(ctx.carrier.facts)
        dated = isinstance(facts.get(spec), Dated) or (by_fact and isinstance(facts.get(rate[0]), Dated))
        if not dated:  # the same facts all through the period
            area = _fact_value(ctx, (spec, rule.params["basis"][2]), start)
            unit = _fact_value(ctx, rate, start) if by_fact else None
            if area is not None and unit is not None:
                total = area * unit * months
        for month in range(months if dated else 0):  # each month at the facts in force on its first day
            day = add(start, {"months": month})
            area = _fact_value(ctx, (spec, rule.params["basis"][2]), day)
            unit = _fact_value(ctx, rate, day) if by_fact else None
            if area is not None and unit is not None:
                total += area * unit
    else:
        rates = rate
        multiplier = rule.params.get("multiplier")
        for e in tenancies:
            months = whole_months(max(start, e.fact("from")), min(end, e.fact("to")))
            if months <= 0:
                continue
            factor = multiplier[1] if multiplier is not None and _matches(multiplier[0], e, ctx) else 1
            total += Decimal(e.fact("area_m2")) * rates[min(i, len(rates) - 1)] * factor * months
            used.append(e.id)
    amount = round_yuan(total * percent / 100, "half_up")
    cap = rule.params.get("cap")
    return (amount if cap is None else min(amount, cap)), tuple(used)


def periodic_decisions(rule: Rule, ctx: Context, matched: Sequence[Event]) -> list[Decision]:
    """One decision per period with something to pay (per tenant with ``per_tenancy``)."""
    out: list[Decision] = []
    unless = rule.params.get("unless")
    left = rule.params.get("total_cap")
    anchors = rule.params["from"]
    anchor = next((e for e in ctx.timeline if _matches(anchors, e, ctx)), None)
    if anchor is None:
        return out
    kind = anchor.kind or ctx.carrier.kind
    basis, spec, moved = rule.params["basis"]
    tenancies = [e for e in ctx.timeline if basis == "tenancies" and e.type is EventType.TENANCY]
    groups: list[tuple[datetime.date, Sequence[Event], Event]] = []
    if rule.params.get("per_tenancy"):
        for e in tenancies:
            if not _matches(spec, e, ctx):
                out.append(decide(rule, ctx, "not_matched", e, kind, rule.clauses))
                continue
            if moved is not None:
                since = ctx.carrier.fact(moved[0])
                if since is None or e.fact("from") <= add(since, moved[1]):
                    out.append(decide(rule, ctx, "outside_window", e, kind, rule.clauses))
                    continue
            groups.append((e.fact("from"), [e], e))
    else:
        qualifying = [e for e in tenancies if _matches(spec, e, ctx)] if basis == "tenancies" else []
        groups.append((anchor.date, qualifying, anchor))
    for start, group, event in groups:
        for i, (p_start, p_end) in enumerate(_periods(rule, start, ctx.as_of)):
            amount, used = _period_amount(rule, ctx, i, p_start, p_end, group)
            if amount <= 0:
                continue
            events = tuple(dict.fromkeys((event.id, *used)))
            stop = None if unless is None else next((e for e in ctx.timeline if e.date < p_end and _matches(unless, e, ctx)), None)
            if stop is not None:
                out.append(decide(rule, ctx, "condition_not_met", event, kind, rule.clauses, events=events + (stop.id,),
                                  period_start=p_start, period_end=p_end - _ONE_DAY))
                continue
            if left is not None:
                amount, left = min(amount, left), left - min(amount, left)
                if amount <= 0:
                    out.append(decide(rule, ctx, "capped", event, kind, rule.clauses, events=events,
                                      period_start=p_start, period_end=p_end - _ONE_DAY))
                    continue
            code = "awarded" if p_end <= ctx.as_of else "pending"
            out.append(decide(rule, ctx, code, event, kind, rule.clauses, amount=amount, payable_on=p_end,
                              events=events, period_start=p_start, period_end=p_end - _ONE_DAY))
    return out


_RATE = {"anyOf": [{"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 0}},
                   {"type": "object", "required": ["fact"], "additionalProperties": False,
                    "properties": {"fact": {"enum": sorted(CARRIER_FACTS)}, "max": {"type": "number", "minimum": 0}}}]}
_PERCENT = {"type": "number", "exclusiveMinimum": 0, "maximum": 100}
_CONDITIONS = {"fields": {"$ref": "#/definitions/fact_values"}, "at_least": {"$ref": "#/definitions/fact_minimums"},
               "carrier": {"$ref": "#/definitions/carrier_facts"}}
_TENANCY_FILTER = {"type": "object", "additionalProperties": False, "properties": {
    **_CONDITIONS,
    "moved_in_after": {"type": "object", "required": ["fact", "duration"], "additionalProperties": False,
                       "properties": {"fact": {"enum": sorted(n for n, f in CARRIER_FACTS.items() if f.type == "date")},
                                      "duration": {"$ref": "#/definitions/calendar_duration"}}},
}}

KIND = RuleKind(
    name="periodic_subsidy",
    **declare(
        **{"from": filters_param("the anchor event the periods run from, e.g. {type: accredited, level: district}")},
        periods=Param(_read_periods, {"description": "{length: {months: 12}, count: 2} or {calendar_years: true} (with an optional count)", "anyOf": [
            {"type": "object", "required": ["length", "count"], "additionalProperties": False,
             "properties": {"length": {"$ref": "#/definitions/calendar_duration"}, "count": {"type": "integer", "minimum": 1, "maximum": 50}}},
            {"type": "object", "required": ["calendar_years"], "additionalProperties": False,
             "properties": {"calendar_years": {"const": True}, "count": {"type": "integer", "minimum": 1, "maximum": 50}}},
        ]}),
        basis=Param(_read_basis, {
            "type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
            "description": "{tenancies: <fields, at_least, moved_in_after>}, {area: {fact, max}}, {spending: <fields>} or {events: <filter>}",
            "properties": {
                "tenancies": _TENANCY_FILTER,
                "area": {"type": "object", "required": ["fact"], "additionalProperties": False,
                         "properties": {"fact": {"enum": sorted(CARRIER_FACTS)}, "max": {"type": "number", "minimum": 0}}},
                "spending": {"type": "object", "additionalProperties": False, "properties": _CONDITIONS},
                "events": {"$ref": "#/definitions/filters"},
            },
        }),
        rate=Param(_read_rate, {"description": "yuan per unit per month: a list per period ([18, 15]) or {fact, max}; or {reading, values}",
                                **_bound(_RATE)}, optional=True),
        percent=Param(_read_percent, {"description": "a percentage, or a list per period ([100, 50, 50]); the last repeats",
                                      "anyOf": [_PERCENT, {"type": "array", "minItems": 1, "items": _PERCENT}]}, optional=True),
        multiplier=Param(_read_multiplier, {
            "type": "object", "required": ["when", "factor"], "additionalProperties": False,
            "description": "{when: <tenancy fields, at_least>, factor: 2}",
            "properties": {"when": {"type": "object", "additionalProperties": False, "properties": _CONDITIONS},
                           "factor": {"type": "integer", "minimum": 1, "maximum": 10}},
        }, optional=True),
        cap=yuan_param("at most this many yuan per period"),
        total_cap=yuan_param("at most this many yuan over all periods together (later periods are cut, then refused as capped)"),
        unless=filters_param("a period is refused when such an event falls on or before its end", optional=True),
        per_tenancy=flag("periods run from each qualifying tenant's move-in"),
    ),
    roles={},
    codes=("awarded", "pending", "not_matched", "outside_window", "condition_not_met", "capped"),
    matches=frozenset(EventType),
    decider=periodic_decisions,
    placeholders=GENERIC_PLACEHOLDERS,
)
