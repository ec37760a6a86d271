"""Payment schedules: an award paid in instalments, each a share of it, after a delay, on its own conditions.

"50% on accreditation, 50% after a year of normal operation" is two
instalments: ``{share: 50}`` and ``{share: 50, after: {years: 1}, condition:
normal-operation}``. Each instalment is its own decision, with its own
payable date, clause and, when refused or pending, its reason.

An instalment can wait for an event of "the N-th year" (``in_year: 2``: 第二年
复评合格), counted in calendar years from the award's event (授牌当年 is the
first) or in years from its date (``years: anniversary``); a condition met
before the instalment's due date makes it payable on that date. With
``on_failure: stop`` an instalment refused stops every later one
(第二年复评不合格的,补助资金不予拨付).

Money is exact: shares are percentages (``50``, ``33.5``) or fractions
(``"1/3"``) that must sum to exactly the whole; each instalment is the award
times its share rounded down to whole yuan, and the yuan left over go to the
instalment named by ``remainder`` (``last``, the default, or ``first``), so
the instalments always sum to the award.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, Mapping, Sequence

import attrs

from ..model.carrier import CarrierKind, Event
from ..model.decision import Decision, InstalmentShare
from ..model.facts import did_you_mean
from ..model.ruleset import Rule
from .base import Context
from .generic import Filter, Param, add, decide, matches, noted, read_filters
from .normal_operation import condition_start, operating_duration

__all__ = ["CODES", "Instalment", "Schedule", "Share", "instalment_decisions", "schedule_param", "split", "settle", "year_span"]

REMAINDERS = ("last", "first")
YEARS = ("calendar", "anniversary")
ON_FAILURE = ("continue", "stop")
_CONDITION_KINDS = ("normal_operation", "operating_duration")  # the second a name that expands into the first
_INSTALMENT_KEYS = ("share", "after", "in_year", "condition", "unless", "decided_by", "requires", "clause", "refusal_clause")
_SCHEDULE_KEYS = ("instalments", "remainder", "years", "on_failure")


@attrs.frozen
class Instalment:
    """One instalment: its share of the award, its delay after the award's event, and its conditions.

    ``condition`` names a ``normal_operation`` rule (normal operation from
    the event); ``unless`` refuses it when a matching event (a delisting)
    falls after the award's event and on or before its payable date;
    ``requires`` waits for the first event ``decided_by`` (by default: in
    the scope of ``requires``) after the delay, or inside the schedule's
    ``in_year``-th year, and refuses the instalment unless that event matches.
    """

    share: Fraction
    label: str
    after: dict[str, int] | None = None
    condition: str | None = None
    unless: tuple[Filter, ...] | None = None
    requires: tuple[Filter, ...] | None = None
    clause: str | None = None
    in_year: int | None = None
    decided_by: tuple[Filter, ...] | None = None
    refusal_clause: str | None = None  # cited as well when the instalment is refused (不合格的,不予拨付)


@attrs.frozen
class Schedule:
    """The instalments of an award, which of them takes the yuan left by rounding each share down, how its years
    are counted (``calendar``: the event's year is the first; ``anniversary``), and whether a refused instalment
    stops the later ones (``on_failure: stop``)."""

    instalments: tuple[Instalment, ...]
    remainder: str = "last"
    years: str = "calendar"
    on_failure: str = "continue"


def year_span(schedule: Schedule, start: datetime.date, n: int) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the ``n``-th year of a schedule whose award's event falls on ``start``."""
    if schedule.years == "calendar":
        year = min(start.year + n - 1, datetime.MAXYEAR)
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    first = start if n == 1 else add(start, {"years": n - 1})
    return first, add(start, {"years": n}) - datetime.timedelta(days=1)


def split(total: int, shares: Sequence[Fraction], remainder: str = "last") -> list[int]:
    """``total`` in parts by ``shares`` (summing to 1): each rounded down, the rest to the first or last part."""
    parts = [int(total * s) if total >= 0 else -int(-total * s) for s in shares]
    rest = total - sum(parts)
    parts[0 if remainder == "first" else -1] += rest
    return parts


@attrs.frozen
class Share:
    """What one instalment came to: its status (awarded, pending, not_met), amount, payable date and events."""

    instalment: Instalment
    number: int
    amount: int
    status: str
    payable_on: datetime.date | None
    events: tuple[str, ...]
    clauses: tuple[str, ...]
    due_on: datetime.date | None = None  # by the schedule alone, before a condition moves it


def settle(ctx: Context, schedule: Schedule, event: Event, total: int,
           gate: tuple[datetime.date | None, bool] | None = None, start: datetime.date | None = None) -> list[Share]:
    """Each instalment of ``total`` awarded on ``event``: payable, pending or refused, and on which events.

    ``gate`` is the award's own condition, when it has one: the date it is (or
    would be) met, and whether it is met; no instalment is payable before it.
    ``start`` is the day delays and years count from when it is not the event's
    (the end of a subsidy's period); the events after it then decide.
    """
    out: list[Share] = []
    amounts = split(total, [i.share for i in schedule.instalments], schedule.remainder)
    timeline = ctx.timeline
    position = timeline.index(event)
    later = timeline[position + 1:] if start is None else [e for e in timeline if e.date >= start and e is not event]
    base = event.date if start is None else start
    stopped: Share | None = None
    for n, (inst, amount) in enumerate(zip(schedule.instalments, amounts), start=1):
        due = base if inst.after is None else add(base, inst.after)
        scheduled = due
        events: tuple[str, ...] = (event.id,)
        clauses: tuple[str, ...] = () if inst.clause is None else (inst.clause,)
        if stopped is not None:  # on_failure: stop
            why = stopped.instalment.refusal_clause
            cited = clauses + (() if why is None or why in clauses else (why,))
            out.append(Share(inst, n, amount, "not_met", None, tuple(dict.fromkeys(events + stopped.events[1:])), cited, scheduled))
            continue
        status = "awarded"
        if gate is not None:
            due = due if gate[0] is None else max(due, gate[0])
            status = "awarded" if gate[1] else "pending"
        if inst.condition is not None:
            cond_rule = ctx.ruleset.rule(inst.condition)
            outcome = operating_duration(cond_rule, ctx, condition_start(cond_rule, ctx, position), event.date)
            events += outcome.events
            clauses += cond_rule.clauses
            if outcome.status in ("ended", "interrupted"):
                status = "not_met"
            elif outcome.status == "pending" or outcome.date is None:
                status = "pending"
                due = max(due, outcome.date) if outcome.date is not None else due
            else:
                due = max(due, outcome.date)
        if status != "not_met" and inst.requires is not None:
            deciders = inst.decided_by or inst.requires
            if inst.in_year is not None:
                first, last = year_span(schedule, base, inst.in_year)
                scheduled = max(scheduled, first)
                found = next((e for e in later if first <= e.date <= last
                              and any(f.in_scope(e, e.kind or ctx.carrier.kind) for f in deciders)
                              and (inst.decided_by is None or matches(inst.decided_by, e, ctx))), None)
                if found is None and last < ctx.as_of:
                    status = "not_met"  # the year went by without the event the instalment needs
            else:
                found = next((e for e in later if e.date >= due
                              and any(f.in_scope(e, e.kind or ctx.carrier.kind) for f in deciders)
                              and (inst.decided_by is None or matches(inst.decided_by, e, ctx))), None)
            if found is None:
                status = "pending" if status != "not_met" else status
            else:
                events += (found.id,)
                due = max(due, found.date)  # met before its due date: payable on that date
                if not matches(inst.requires, found, ctx):
                    status = "not_met"
        if status != "not_met" and inst.unless is not None:
            stop = next((e for e in later if e.date <= due and matches(inst.unless, e, ctx)), None)
            if stop is not None:
                status, events = "not_met", events + (stop.id,)
        if status == "awarded" and due > ctx.as_of:
            status = "pending"
        share = Share(inst, n, amount, status, due, tuple(dict.fromkeys(events)), clauses, scheduled)
        if status == "not_met" and inst.refusal_clause is not None:
            share = attrs.evolve(share, clauses=clauses + (inst.refusal_clause,))
        if status == "not_met" and schedule.on_failure == "stop":
            stopped = share
        out.append(share)
    return out


_CODES = {"awarded": "instalment_awarded", "pending": "instalment_pending", "not_met": "instalment_not_met"}
CODES = tuple(_CODES.values())  # the outcomes of an instalment, for every kind that takes a schedule


def instalment_decisions(rule: Rule, ctx: Context, schedule: Schedule, event: Event, kind: CarrierKind,
                         clauses: tuple[str, ...], total: int, events: tuple[str, ...],
                         gate: tuple[datetime.date | None, bool] | None = None, start: datetime.date | None = None,
                         note: tuple[str, str] | None = None, **given: Any) -> list[Decision]:
    """One decision per instalment of ``total`` awarded on ``event`` (counted from ``start`` when given: see
    ``settle``), each citing the award's clauses and its own, saying which instalment it is
    (``Decision.instalment``), and ending its explanations with ``note`` (how ``total`` was found: its
    rounding, the months it left out)."""
    out = []
    count = len(schedule.instalments)
    for share in settle(ctx, schedule, event, total, gate, start):
        out.append(noted(decide(
            rule, ctx, _CODES[share.status], event, kind, clauses + share.clauses,
            amount=share.amount, payable_on=share.payable_on, events=tuple(dict.fromkeys(events + share.events)),
            full_amount=total, part=InstalmentShare(share.number, count, share.instalment.label, share.due_on),
            instalment=f"{share.number}/{count}", share=share.instalment.label, share_amount=share.amount, **given,
        ), note))
    return out


def _share(reader: Any, raw: Any, path: tuple[Any, ...]) -> tuple[Fraction, str] | None:
    if isinstance(raw, str) and raw.count("/") == 1:
        top, _, bottom = raw.partition("/")
        if top.strip().isdigit() and bottom.strip().isdigit() and int(bottom) > 0 and 0 < int(top) <= int(bottom):
            return Fraction(int(top), int(bottom)), raw.replace(" ", "")
    elif not isinstance(raw, bool) and isinstance(raw, (int, Decimal)) and 0 < raw <= 100:
        value = Fraction(Decimal(raw)) / 100
        return value, f"{Decimal(raw).normalize():f}%"
    reader.problem(path, f"expected a share: a percentage above 0 and at most 100 (50), or a fraction ('1/3'), got {raw!r}"[:200])
    return None


def _clause(reader: Any, item: Mapping[Any, Any], key: str, p: tuple[Any, ...], context: Any) -> str | None:
    clause = item.get(key)
    clause_ids = getattr(context, "clause_ids", None)
    if clause is not None and not isinstance(clause, str):
        reader.problem(p + (key,), f"expected a clause id, got {clause!r}"[:200])
        return None
    if clause is not None and clause_ids is not None and clause not in clause_ids:
        reader.problem(p + (key,), f"unknown clause {clause!r}{did_you_mean(clause, clause_ids)}")
        return None
    return clause  # type: ignore[no-any-return]


def _read(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Schedule | None:
    if raw is None:
        return None
    remainder, years, on_failure = "last", "calendar", "continue"
    items = raw
    base = path
    if isinstance(raw, Mapping):
        raw = reader.mapping(raw, path, _SCHEDULE_KEYS)
        if raw is None:
            return None

        def one_of(key: str, allowed: tuple[str, ...]) -> str:
            value = raw.get(key, allowed[0])
            if value not in allowed:
                reader.problem(path + (key,), f"expected one of: {', '.join(allowed)}, got {value!r}{did_you_mean(value, allowed)}"[:200])
                return allowed[0]
            return value  # type: ignore[no-any-return]

        remainder, years, on_failure = one_of("remainder", REMAINDERS), one_of("years", YEARS), one_of("on_failure", ON_FAILURE)
        items, base = raw.get("instalments"), path + ("instalments",)
    if not isinstance(items, list) or not items:
        reader.problem(base, f"expected a non-empty list of instalments {{{', '.join(_INSTALMENT_KEYS)}}}, got {items!r}"[:200])
        return None
    out = []
    rules = getattr(context, "rules", None) or {}
    for i, item in enumerate(items):
        p = base + (i,)
        item = reader.mapping(item, p, _INSTALMENT_KEYS)
        if item is None:
            continue
        share = _share(reader, item.get("share"), p + ("share",))
        after = None if item.get("after") is None else reader.duration(item["after"], p + ("after",), ("years", "months", "days"), "delay", zero=True)
        condition = item.get("condition")
        if condition is not None and not isinstance(condition, str):
            reader.problem(p + ("condition",), f"expected the id of a normal_operation rule, got {condition!r}"[:200])
            condition = None
        if condition is not None and rules and rules.get(condition) not in _CONDITION_KINDS:
            known = [r for r, k in rules.items() if k in _CONDITION_KINDS]
            from_ = f"; normal_operation rules: {', '.join(known)}" if known else "; the file has no normal_operation rule"
            reader.problem(p + ("condition",), f"expected the id of a normal_operation rule, got {condition!r}{did_you_mean(condition, known)}{from_}"[:240])
        clause = _clause(reader, item, "clause", p, context)
        refusal_clause = _clause(reader, item, "refusal_clause", p, context)
        unless = None if item.get("unless") is None else read_filters(reader, item["unless"], p + ("unless",), context)
        requires = None if item.get("requires") is None else read_filters(reader, item["requires"], p + ("requires",), context)
        decided_by = None if item.get("decided_by") is None else read_filters(reader, item["decided_by"], p + ("decided_by",), context)
        in_year = item.get("in_year")
        if in_year is not None and (isinstance(in_year, bool) or not isinstance(in_year, int) or not 1 <= in_year <= 50):
            reader.problem(p + ("in_year",), f"expected the number of a year of the schedule, 1 to 50 (1: the award's own), got {in_year!r}"[:200])
            in_year = None
        for key, value in (("in_year", item.get("in_year")), ("decided_by", decided_by)):
            if value is not None and requires is None and item.get("requires") is None:
                reader.problem(p + (key,), f"{key} says which event decides the instalment's requires: give requires too")
        if share is not None:
            out.append(Instalment(share[0], share[1], after, condition, unless, requires, clause, in_year, decided_by, refusal_clause))
    delays = [(i, inst) for i, inst in enumerate(out) if inst.after is not None]
    for (_, a), (j, b) in zip(delays, delays[1:]):
        assert a.after is not None and b.after is not None
        if add(datetime.date(2000, 1, 1), b.after) < add(datetime.date(2000, 1, 1), a.after):
            reader.problem(base + (j, "after"), "instalments are listed in the order they fall due: this one's delay is shorter than an earlier one's")
    years_ = [(i, inst.in_year) for i, inst in enumerate(out) if inst.in_year is not None]
    for (_, a_), (j, b_) in zip(years_, years_[1:]):
        if b_ < a_:  # type: ignore[operator]
            reader.problem(base + (j, "in_year"), "instalments are listed in the order they fall due: this one's year is before an earlier one's")
    if isinstance(raw, Mapping) and raw.get("years") is not None and not any(i.in_year is not None for i in out):
        reader.problem(path + ("years",), "years says how in_year counts, and no instalment gives in_year")
    if len(out) == len(items):
        total = sum((i.share for i in out), Fraction(0))
        if total != 1:
            shown = f"{Decimal(total.numerator) * 100 / Decimal(total.denominator):.4g}%"
            reader.problem(base, f"the shares sum to {shown}, not 100%: instalments must add up to the whole award")
            return None
    return Schedule(tuple(out), remainder, years, on_failure) if out else None


_INSTALMENT_SCHEMA = {
    "type": "object", "required": ["share"], "additionalProperties": False,
    "properties": {
        "share": {"anyOf": [{"type": "number", "exclusiveMinimum": 0, "maximum": 100},
                            {"type": "string", "pattern": r"^\s*[0-9]+\s*/\s*[0-9]+\s*$"}],
                  "description": "a percentage (50) or a fraction ('1/3'); the shares sum to the whole"},
        "after": {"$ref": "#/definitions/calendar_duration", "description": "payable this long after the award's event"},
        "in_year": {"type": "integer", "minimum": 1, "maximum": 50,
                    "description": "requires is decided by the first such event inside the schedule's N-th year (1: the award's own year)"},
        "condition": {"$ref": "#/definitions/text", "description": "id of a normal_operation rule: normal operation from the event"},
        "unless": {"$ref": "#/definitions/filters", "description": "refused if such an event (a delisting) comes before it is payable"},
        "decided_by": {"$ref": "#/definitions/filters", "description": "the events that decide requires (default: those of requires' types), e.g. a re-evaluation"},
        "requires": {"$ref": "#/definitions/filters", "description": "the first deciding event after the delay (or in in_year) must match (evaluated qualified)"},
        "clause": {"$ref": "#/definitions/text", "description": "the clause that sets this instalment"},
        "refusal_clause": {"$ref": "#/definitions/text", "description": "the clause a refusal of this instalment (and of those it stops) cites as well"},
    },
}


def schedule_param(description: str) -> Param:
    """The ``schedule`` parameter: a list of instalments, or ``{instalments, remainder}``."""
    schema = {"description": description, "anyOf": [
        {"type": "array", "minItems": 1, "items": _INSTALMENT_SCHEMA},
        {"type": "object", "required": ["instalments"], "additionalProperties": False,
         "properties": {"instalments": {"type": "array", "minItems": 1, "items": _INSTALMENT_SCHEMA},
                        "remainder": {"enum": list(REMAINDERS), "description": "which instalment takes the yuan left by rounding each share down"},
                        "years": {"enum": list(YEARS), "description": "how in_year counts: calendar (the award's year is the first, default) or anniversary"},
                        "on_failure": {"enum": list(ON_FAILURE), "description": "stop: an instalment refused stops every later one (default: continue)"}}},
    ]}
    return Param(_read, schema, optional=True)
