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
from decimal import Decimal, localcontext
from typing import Any, Mapping, Sequence

from ..model.carrier import Event, EventType
from ..model.decision import Decision
from ..model.facts import CARRIER_FACTS, Dated, did_you_mean
from ..model.ruleset import Rule
from .base import Context, RuleKind
from .generic import (
    EXACT, GENERIC_PLACEHOLDERS, ROUNDINGS, Filter, Param, add, choice, declare, decide, exact_number, filters_param,
    flag, matches, noted, read_filters, round_yuan, rounding_note, ceiling_param,
)
from .schedule import CODES as INSTALMENT_CODES, instalment_decisions, schedule_param

_MAX_RATE = Decimal(10**6)
_MAX_AREA = Decimal(10**12)  # a number fact's bound (model.carrier.parse_fact)

__all__ = ["KIND", "periodic_decisions", "whole_months"]

_ONE_DAY = datetime.timedelta(days=1)


def _period_note(rule: Rule, exact: Decimal | None, gap: tuple[str, int, int] | None) -> tuple[str, str]:
    """What a period's award adds to its explanation: how its exact amount was rounded, and the months a dated
    fact it rests on has no value for (which count nothing)."""
    zh, en = rounding_note(exact, rule.params.get("rounding") or "half_up")
    if gap is not None:
        zh += f"(其中{gap[1]}个月未记录{CARRIER_FACTS[gap[0]].zh},不计)"
        en += f" ({gap[0]} not recorded for {gap[1]} of {gap[2]} months: those months count nothing)"
    return zh, en


def whole_months(start: datetime.date, end: datetime.date) -> int:
    """Whole calendar months from ``start`` up to ``end`` (exclusive): the most N with ``start`` + N months (by
    python-dateutil, so a month from 31 January ends on 28 or 29 February, a year from 29 February on 28
    February) on or before ``end``."""
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    while months > 0 and add(start, {"months": months}) > end:
        months -= 1
    return months


def _read_periods(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    raw = reader.mapping(raw, path, ("length", "count", "calendar_years"))
    if raw is None:
        return None
    if raw.get("calendar_years") is not None and raw.get("length") is not None:
        reader.problem(path + ("length",), "give calendar_years or a length, not both")
        return None
    if raw.get("calendar_years"):
        count = raw.get("count")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 50):
            reader.problem(path + ("count",), f"expected a number of periods from 1 to 50, got {count!r}")
        return ("calendar", None, count)
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
    if name not in ("tenancies", "area", "spending", "events"):
        return None  # reported as an unknown field
    if name in ("tenancies", "spending") and value is not None and not isinstance(value, Mapping):
        reader.mapping(value, path + (name,))  # a filter's conditions: fields, at_least, carrier
        return None
    if name == "area":
        value = reader.mapping(value, path + (name,), ("fact", "max"))
        if value is None:
            return None
        fact = value.get("fact")
        _unit_fact(reader, fact, "m2", path + (name, "fact"), "an area")
        return ("area", fact, _fact_max(reader, value, path + (name,), "an area in m2", _MAX_AREA))
    if name == "tenancies":
        value = dict(value or {})
        after = value.pop("moved_in_after", None)
        filt = read_filters(reader, {"type": "tenancy", **value}, path + (name,), context)
        moved = None
        if after is not None:
            after = reader.mapping(after, path + (name, "moved_in_after"), ("fact", "duration"))
            if after is not None:
                fact = after.get("fact")
                dates = sorted(n for n, f in CARRIER_FACTS.items() if f.type == "date")
                if not isinstance(fact, str) or fact not in CARRIER_FACTS:
                    reader.problem(path + (name, "moved_in_after", "fact"), f"unknown carrier fact {fact!r}{did_you_mean(fact, dates)}")
                elif CARRIER_FACTS[fact].type != "date":
                    reader.problem(path + (name, "moved_in_after", "fact"),
                                   f"{fact!r} is not a date fact; moved_in_after counts from one of: {', '.join(dates)}")
                moved = (after.get("fact"), reader.duration(after.get("duration"), path + (name, "moved_in_after", "duration"),
                                                             ("years", "months", "days"), "duration"))
        return ("tenancies", filt, moved)
    if name == "events":
        return ("spending", read_filters(reader, value, path + (name,), context), None)
    return ("spending", read_filters(reader, {"type": "spending", **(value or {})}, path + (name,), context), None)


def _fact_max(reader: Any, raw: Mapping[str, Any], path: tuple[Any, ...], what: str, high: Decimal) -> Decimal | None:
    """The ``max`` of ``{fact, max}``: the most of the fact a period counts (an exact number above 0), or None."""
    if raw.get("max") is None:
        return None
    return exact_number(reader, raw["max"], path + ("max",), what, Decimal(0), high, low_open=True)


def _unit_fact(reader: Any, fact: Any, unit: str, path: tuple[Any, ...], what: str) -> None:
    """A carrier fact named where ``what`` (in ``unit``) is meant: known, and of that unit."""
    fitting = sorted(n for n, f in CARRIER_FACTS.items() if f.unit == unit)
    if not isinstance(fact, str) or fact not in CARRIER_FACTS:
        reader.problem(path, f"unknown carrier fact {fact!r}{did_you_mean(fact, CARRIER_FACTS)}")
    elif CARRIER_FACTS[fact].unit != unit:
        got = CARRIER_FACTS[fact].unit or CARRIER_FACTS[fact].type
        reader.problem(path, f"{fact!r} is in {got}, not {what} in {unit}; facts in {unit}: {', '.join(fitting)}")


def _read_rate(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    """A rate per m2 per month: one number for every period, a list per period, or a carrier fact (with a maximum)."""
    def one(value: Any, p: tuple[Any, ...]) -> Any:
        if isinstance(value, list):
            if not value:
                reader.problem(p, "expected a rate per period, e.g. [18, 15], got an empty list")
            return tuple(exact_number(reader, v, p + (i,), "a rate in yuan per m2 per month", Decimal(0), _MAX_RATE)
                         for i, v in enumerate(value))
        if not isinstance(value, Mapping):
            found = exact_number(reader, value, p, "a rate in yuan per m2 per month", Decimal(0), _MAX_RATE)
            return None if found is None else (found,)
        value = reader.mapping(value, p, ("fact", "max"))
        if value is None:
            return None
        _unit_fact(reader, value.get("fact"), "yuan/m2/month", p + ("fact",), "a rate")
        return (value.get("fact"), _fact_max(reader, value, p, "a rate in yuan per m2 per month", _MAX_RATE))
    return None if raw is None else one(raw, path)


def check_periodic(reader: Any, raw: Mapping[str, Any], params: Mapping[str, Any], path: tuple[Any, ...]) -> None:
    """What the parameters say together: a rate for an area or tenancies basis (none for spending), and a list
    per period as long as the periods counted (``periods.count``)."""
    basis, periods = params.get("basis"), params.get("periods")
    rate = params.get("rate")
    if basis is None:
        return
    if basis[0] in ("area", "tenancies") and rate is None:
        reader.problem(path + ("rate",), f"{'an' if basis[0] == 'area' else 'a'} {basis[0]} basis needs a rate (yuan per m2 per month): a number, a list per period, or {{fact, max}}")
    if basis[0] == "spending" and raw.get("rate") is not None:
        reader.problem(path + ("rate",), "a rate is paid per m2 of an area or tenancies basis; a spending or events basis takes a percent")
    count = None if periods is None else periods[2]
    for name, value in (("percent", raw.get("percent")), ("rate", raw.get("rate"))):
        if not isinstance(value, list) or not value:
            continue  # one number for every period, or a fact
        if count is None and len(value) > 1:
            reader.problem(path + (name,), f"{name} gives {len(value)} values, one per period: give periods.count ({len(value)})")
        elif count is not None and len(value) != count:
            reader.problem(path + (name,), f"{name} gives {len(value)} value{'s' if len(value) != 1 else ''} for {count} periods: "
                                           f"give one per period, or a single number for every period")


def _read_percent(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> tuple[Decimal, ...]:
    if raw is None:
        return (Decimal(100),)
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for i, v in enumerate(items):
        found = exact_number(reader, v, path + ((i,) if isinstance(raw, list) else ()), "a percentage", Decimal(0), Decimal(100),
                             low_open=True)
        if found is not None:
            out.append(found)
    return tuple(out) or (Decimal(100),)


def _read_multiplier(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    if raw is None:
        return None
    raw = reader.mapping(raw, path, ("when", "factor"))
    if raw is None:
        return None
    given = raw.get("when") or {}
    if not isinstance(given, Mapping):
        reader.mapping(given, path + ("when",))
        return None
    when = read_filters(reader, {"type": "tenancy", **given}, path + ("when",), context)
    if raw.get("factor") is None:
        reader.problem(path + ("factor",), "required field is missing (the factor: 2 doubles, 1.5 is 1.5倍)")
        return None
    factor = exact_number(reader, raw.get("factor"), path + ("factor",), "a factor (1.5 for 1.5倍)", Decimal(1), Decimal(10))
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


def _rate_on(ctx: Context, rate: Any, i: int, day: datetime.date) -> Decimal | None:
    """The rate for period ``i`` (0-based): the list's value for it (one number serves every period), or the
    carrier fact in force on ``day``, bounded by its maximum."""
    if not rate:
        return None
    if isinstance(rate[0], str):
        return _fact_value(ctx, rate, day)
    return Decimal(rate[min(i, len(rate) - 1)])


def _matches(filters: Sequence[Filter], e: Event, ctx: Context) -> bool:
    return matches(filters, e, ctx)


# Why a period came to nothing, by its basis (the missing_zh / missing placeholders of nothing_in_period).
_NOTHING = {
    "spending": ("期内无符合条件的支出", "no qualifying spending in the period"),
    "events": ("期内无符合条件的事项", "no qualifying event in the period"),
    "area": ("期内面积或单价为零", "no area or rate to pay on in the period"),
    "tenancies": ("期内无符合条件的入驻", "no qualifying tenancy in the period"),
}


def _period_amount(rule: Rule, ctx: Context, i: int, start: datetime.date, end: datetime.date,
                   tenancies: Sequence[Event]) -> tuple[int, tuple[str, ...], Decimal | None, tuple[str, int, int] | None]:
    """The subsidy for period ``i`` (0-based), the events it rests on, the exact amount before it was rounded
    to whole yuan (None when it was whole), and the dated fact with no value for some of its months (the fact,
    those months, all months; None when every month has its values)."""
    kind, spec, _ = rule.params["basis"]
    percents = rule.params.get("percent") or (Decimal(100),)
    percent = percents[min(i, len(percents) - 1)]
    rate = rule.params.get("rate")
    total = Decimal(0)
    used: list[str] = []
    gap: tuple[str, int, int] | None = None
    if kind == "spending":
        for e in ctx.timeline:
            if start <= e.date < end and _matches(spec, e, ctx):
                total += e.amount or 0
                used.append(e.id)
    elif kind == "area":
        months = whole_months(start, end)
        facts = dict(ctx.carrier.facts)
        by_fact = bool(rate) and isinstance(rate[0], str)
        dated = isinstance(facts.get(spec), Dated) or (by_fact and isinstance(facts.get(rate[0]), Dated))
        if not dated:  # the same facts all through the period
            area = _fact_value(ctx, (spec, rule.params["basis"][2]), start)
            unit = _rate_on(ctx, rate, i, start)
            if area is not None and unit is not None:
                total = area * unit * months
        for month in range(months if dated else 0):  # each month at the facts in force on its first day
            day = add(start, {"months": month})
            area = _fact_value(ctx, (spec, rule.params["basis"][2]), day)
            unit = _rate_on(ctx, rate, i, day)
            if area is not None and unit is not None:
                total += area * unit
            else:
                gap = (gap[0] if gap else _unrecorded(rule, ctx, day) or spec, (gap[1] if gap else 0) + 1, months)
    else:
        multiplier = rule.params.get("multiplier")
        for e in tenancies:
            first = max(start, e.fact("from"))
            months = whole_months(first, min(end, e.fact("to")))
            unit = _rate_on(ctx, rate, i, first)
            if months <= 0 or unit is None:
                continue
            factor = multiplier[1] if multiplier is not None and _matches(multiplier[0], e, ctx) else 1
            total += Decimal(e.fact("area_m2")) * unit * factor * months
            used.append(e.id)
    exact = total * percent / 100
    amount = round_yuan(exact, rule.params.get("rounding") or "half_up")
    cap = rule.params.get("cap")
    return (amount if cap is None else min(amount, cap)), tuple(used), (exact if exact != exact.to_integral_value() else None), gap


def periodic_decisions(rule: Rule, ctx: Context, matched: Sequence[Event]) -> list[Decision]:
    """One decision per period with something to pay (per tenant with ``per_tenancy``)."""
    out: list[Decision] = []
    unless, schedule = rule.params.get("unless"), rule.params.get("schedule")
    left = rule.params.get("total_cap")
    anchors = rule.params["from"]
    anchor = next((e for e in ctx.timeline if _matches(anchors, e, ctx)), None)
    if anchor is None:  # an anchor in scope that fails the filter's conditions is refused, never passed over
        near = next((e for e in ctx.timeline if any(f.in_scope(e, e.kind or ctx.carrier.kind) for f in anchors)), None)
        if near is not None:
            out.append(decide(rule, ctx, "not_matched", near, near.kind or ctx.carrier.kind, rule.clauses))
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
        before = len(out)
        unrecorded: str | None = None  # a fact the amount rests on, not recorded for a period
        for i, (p_start, p_end) in enumerate(_periods(rule, start, ctx.as_of)):
            with localcontext(EXACT):
                amount, used, exact, gap = _period_amount(rule, ctx, i, p_start, p_end, group)
            if amount <= 0:
                missing = _unrecorded(rule, ctx, p_start)
                unrecorded = unrecorded or missing
                if missing is None and p_end <= ctx.as_of:  # an ended period that came to nothing says why
                    zh, en = _NOTHING.get(basis, _NOTHING["events"])
                    out.append(decide(rule, ctx, "nothing_in_period", event, kind, rule.clauses,
                                      events=tuple(dict.fromkeys((event.id, *used))), period_start=p_start,
                                      period_end=p_end - _ONE_DAY, missing=en, missing_zh=zh))
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
            note = _period_note(rule, exact, gap) if (exact is not None or gap is not None) and ctx.detail else None
            if schedule is not None:  # the period's amount in instalments, counted from the day it is payable
                out.extend(instalment_decisions(rule, ctx, schedule, event, kind, rule.clauses, amount, events,
                                                (p_end, p_end <= ctx.as_of), p_end, note=note,
                                                period_start=p_start, period_end=p_end - _ONE_DAY))
                continue
            code = "awarded" if p_end <= ctx.as_of else "pending"
            out.append(noted(decide(rule, ctx, code, event, kind, rule.clauses, amount=amount, payable_on=p_end,
                                    events=events, period_start=p_start, period_end=p_end - _ONE_DAY), note))
        if unrecorded is not None and len(out) == before:
            # nothing paid because the area or rent it is paid on is not recorded: a refusal that says so
            refused = decide(rule, ctx, "no_amount", event, kind, rule.clauses, fact=unrecorded)
            if ctx.detail:
                spec = CARRIER_FACTS[unrecorded]
                refused = noted(refused, (f"(未记录{spec.zh})", f" ({unrecorded} not recorded)"))
            out.append(refused)
    return out


def _unrecorded(rule: Rule, ctx: Context, day: datetime.date) -> str | None:
    """The carrier fact an area basis or a rate reads that has no value on ``day`` (None when both have one)."""
    basis = rule.params["basis"]
    if basis[0] == "area" and ctx.carrier.fact(basis[1], on=day) is None:
        return basis[1]  # type: ignore[no-any-return]
    rate = rule.params.get("rate")
    if basis[0] == "area" and rate and isinstance(rate[0], str) and ctx.carrier.fact(rate[0], on=day) is None:
        return rate[0]  # type: ignore[no-any-return]
    return None


_RATE = {"anyOf": [{"type": "number", "minimum": 0}, {"type": "array", "minItems": 1, "items": {"type": "number", "minimum": 0}},
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
        rate=Param(_read_rate, {"description": "yuan per m2 per month: one number for every period (18), a list per period ([18, 15], as many as periods.count) or {fact, max}",
                                **_RATE}, optional=True),
        percent=Param(_read_percent, {"description": "a percentage for every period, or a list per period ([100, 50, 50], as many as periods.count)",
                                      "anyOf": [_PERCENT, {"type": "array", "minItems": 1, "items": _PERCENT}]}, optional=True),
        multiplier=Param(_read_multiplier, {
            "type": "object", "required": ["when", "factor"], "additionalProperties": False,
            "description": "{when: <tenancy fields, at_least>, factor: 2} (an exact factor from 1 to 10: 1.5 for 1.5倍)",
            "properties": {"when": {"type": "object", "additionalProperties": False, "properties": _CONDITIONS},
                           "factor": {"type": "number", "minimum": 1, "maximum": 10}},
        }, optional=True),
        rounding=choice(ROUNDINGS, "half_up", "how a period's exact amount becomes whole yuan: half_up (四舍五入, the default) or down"),
        cap=ceiling_param("at most this many yuan per period"),
        total_cap=ceiling_param("at most this many yuan over all periods together (later periods are cut, then refused as capped)"),
        unless=filters_param("a period is refused when such an event falls on or before its end", optional=True),
        per_tenancy=flag("periods run from each qualifying tenant's move-in"),
        schedule=schedule_param("pay each period's amount in instalments, their delays counted from the day it is payable"),
    ),
    roles={},
    codes=("awarded", "pending", "not_matched", "outside_window", "condition_not_met", "capped", "no_amount",
           "nothing_in_period", *INSTALMENT_CODES),
    matches=frozenset(EventType),
    decider=periodic_decisions,
    placeholders=GENERIC_PLACEHOLDERS,
    validate=check_periodic,
)
