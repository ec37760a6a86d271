"""What the generic rule kinds share: event filters, amount forms, readings on parameters, and their decisions.

A generic kind is configured entirely in its ruleset entry. Its parameters
are read here (each problem located, names of facts checked against
``model.facts`` with a "did you mean"), so that every kind reads a filter or
an amount the same way.
"""

from __future__ import annotations

import datetime
import enum
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, Mapping, Sequence

import attrs

from ..model.carrier import EVENT_TYPES, CarrierKind, Event, EventType, Grade, Level, iso_date
from ..model.decision import AWARDED, NOT_AWARDED, PENDING, Decision
from ..model.durations import after
from ..model.facts import EVENT_FACTS, all_fact_names, did_you_mean
from ..model.labels import GRADE_ZH, KIND_EN, KIND_ZH
from ..model.ruleset import ReadingBound, Rule
from .base import LEFT_OUT, Context, prep_of, render

__all__ = [
    "GENERIC_PLACEHOLDERS",
    "Filter",
    "decide",
    "read_amount",
    "read_bound",
    "read_filters",
    "scope_types",
    "table_amount",
]

GENERIC_PLACEHOLDERS = frozenset({"firm", "period_start", "period_end", "recovered", "title", "band", "base"})

_FILTER_KEYS = ("type", "level", "kind", "grade", "fields", "at_least")


@attrs.frozen
class Filter:
    """Which events a rule considers: event types and carrier kinds (scope), levels, grades and fields (conditions)."""

    types: frozenset[EventType]
    kinds: frozenset[CarrierKind] | None = None
    levels: frozenset[Level] | None = None
    grades: frozenset[Grade] | None = None
    fields: Mapping[str, Any] = attrs.field(factory=dict)
    at_least: Mapping[str, Any] = attrs.field(factory=dict)

    def in_scope(self, event: Event, kind: CarrierKind) -> bool:
        """The event's type and carrier kind are the rule's."""
        return event.type in self.types and (self.kinds is None or kind in self.kinds)

    def holds(self, event: Event) -> bool:
        """The event's level, grade and fields are as the filter asks."""
        if self.levels is not None and event.level not in self.levels:
            return False
        if self.grades is not None and event.grade not in self.grades:
            return False
        for name, want in self.fields.items():
            got = _field(event, name)
            if isinstance(want, list):
                if got not in want:
                    return False
            elif got != want:
                return False
        for name, low in self.at_least.items():
            got = _field(event, name)
            if got is None or got < low:
                return False
        return True


def _field(event: Event, name: str) -> Any:
    """An event's fact, else its own field of that name (a payment's ``payer``)."""
    found = event.fact(name)
    if found is None and name in EVENT_TYPES[event.type].fields:
        found = getattr(event, name, None)
        if isinstance(found, enum.Enum):
            found = found.value
    return found


def _one_or_many(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def scope_types(rule: Rule) -> frozenset[EventType] | None:
    """The event types a generic rule decides on (its ``match`` or ``trigger`` filters), or None for another kind."""
    found: set[EventType] = set()
    for name in ("match", "trigger", "from"):
        for f in rule.params.get(name) or ():
            if isinstance(f, Filter):
                found.update(f.types)
    return frozenset(found) if found else None


def read_filter(reader: Any, raw: Any, path: tuple[Any, ...]) -> Filter | None:
    """One filter, e.g. ``{type: accredited, level: [national, provincial], kind: [incubator]}``."""
    raw = reader.mapping(raw, path, _FILTER_KEYS)
    if raw is None:
        return None
    if raw.get("type") is None:
        reader.problem(path + ("type",), "required field is missing")
        return None
    types = frozenset(m for i, t in enumerate(_one_or_many(raw["type"])) if (m := reader.enum(EventType, t, path + ("type", i))) is not None)

    def enums(key: str, enum_type: Any) -> frozenset[Any] | None:
        if raw.get(key) is None:
            return None
        return frozenset(m for i, v in enumerate(_one_or_many(raw[key])) if (m := reader.enum(enum_type, v, path + (key, i))) is not None)

    allowed: set[str] = set()
    for t in types:
        allowed.update(EVENT_FACTS.get(t.value, {}))
        allowed.update(n for n in EVENT_TYPES[t].fields if n not in ("level", "grade", "kind"))

    def facts(key: str) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if raw.get(key) is None:
            return found
        for name, want in (reader.mapping(raw[key], path + (key,)) or {}).items():
            if name not in allowed:
                hint = did_you_mean(name, allowed or all_fact_names())
                reader.problem(path + (key, name), f"unknown fact {name!r} for {', '.join(sorted(t.value for t in types))}{hint}")
                continue
            if key == "at_least" and (isinstance(want, bool) or not isinstance(want, (int, Decimal))):
                reader.problem(path + (key, name), f"expected a number, got {want!r}"[:120])
                continue
            found[name] = want
        return found

    return Filter(types, enums("kind", CarrierKind), enums("level", Level), enums("grade", Grade), facts("fields"), facts("at_least"))


def read_filters(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> tuple[Filter, ...] | None:
    """A filter or a list of alternative filters (any one matching)."""
    if raw is None:
        reader.problem(path, "required field is missing")
        return None
    items = raw if isinstance(raw, list) else [raw]
    out = tuple(f for i, item in enumerate(items) if (f := read_filter(reader, item, path + ((i,) if isinstance(raw, list) else ()))) is not None)
    return out or None


def read_bound(reader: Any, raw: Any, path: tuple[Any, ...], context: Any, read: Callable[[Any, tuple[Any, ...]], Any]) -> Any:
    """A parameter value, or ``{reading: name, values: {alternative: value}}`` binding it to a reading."""
    if isinstance(raw, Mapping) and "reading" in raw:
        reader.mapping(raw, path, ("reading", "values"))
        name = raw.get("reading")
        reading = context.readings.get(name) if isinstance(name, str) else None
        if reading is None:
            known = ", ".join(sorted(context.readings)) or "none"
            reader.problem(path + ("reading",), f"unknown reading {name!r}; readings: {known}")
            return None
        values = reader.mapping(raw.get("values"), path + ("values",))
        if values is None:
            return None
        out = {}
        for alt in reading.alternatives:
            if alt not in values:
                reader.problem(path + ("values",), f"no value for alternative {alt!r} of reading {name}")
            else:
                out[alt] = read(values[alt], path + ("values", alt))
        for alt in values:
            if alt not in reading.alternatives:
                reader.problem(path + ("values", alt), f"{alt!r} is not an alternative of reading {name}")
        return ReadingBound(name, out)
    return read(raw, path)


# --- amounts -------------------------------------------------------------------

_AMOUNT_KEYS = ("fixed", "table", "by", "values", "percent", "of", "max", "min", "rounding", "clause")
ROUNDINGS = ("half_up", "down")


@attrs.frozen
class Amount:
    """A structured amount: a fixed sum, a table lookup by level and carrier kind, a value keyed by an event field,
    or a percentage of a quantity; then bounded by ``min``/``max`` and rounded to whole yuan by a named rule."""

    fixed: int | None = None
    table: str | None = None
    by: str | None = None
    values: Mapping[str, int] = attrs.field(factory=dict)
    percent: Decimal | None = None
    of: Any = None  # "amount" (the event's own), or filters whose events' amounts are summed up to the event
    max: Any = None  # an int, or a ReadingBound/Amount-keyed mapping: ``{by: designation, values: ...}``
    min: int | None = None
    rounding: str = "half_up"


def read_amount(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Amount | None:
    """``200000``, ``{table: t}``, ``{by: grade, values: {...}}``, ``{percent: 30, of: spending, max: 200000}``."""
    if raw is None:
        reader.problem(path, "required field is missing")
        return None
    if not isinstance(raw, Mapping):
        value = reader.yuan(raw, path)
        return None if value is None else Amount(fixed=value)
    raw = reader.mapping(raw, path, _AMOUNT_KEYS)
    if raw is None:
        return None
    forms = [k for k in ("fixed", "table", "by", "percent") if raw.get(k) is not None]
    if len(forms) != 1:
        reader.problem(path, "give exactly one of: fixed, table, by (with values), percent (with of)")
        return None
    form = forms[0]
    kwargs: dict[str, Any] = {}
    if form == "fixed":
        kwargs["fixed"] = reader.yuan(raw["fixed"], path + ("fixed",))
    elif form == "table":
        if context.table_ids is not None and raw["table"] not in context.table_ids:
            reader.problem(path + ("table",), f"unknown table {raw['table']!r}{did_you_mean(raw['table'], context.table_ids)}")
        kwargs["table"] = raw["table"]
    elif form == "by":
        by = raw["by"]
        if by not in ("level", "grade", "kind", "year") and by not in all_fact_names():
            reader.problem(path + ("by",), f"unknown field {by!r}{did_you_mean(by, all_fact_names() | {'level', 'grade', 'kind'})}")
        values = reader.mapping(raw.get("values"), path + ("values",)) or {}
        kwargs["by"] = by
        kwargs["values"] = {str(k): v for k, v in ((k, reader.yuan(v, path + ("values", k))) for k, v in values.items()) if v is not None}
    else:
        pct = raw["percent"]
        if isinstance(pct, bool) or not isinstance(pct, (int, Decimal)) or not 0 < pct <= 100:
            reader.problem(path + ("percent",), f"expected a percentage above 0 and at most 100, got {pct!r}")
            return None
        kwargs["percent"] = Decimal(pct)
        of = raw.get("of")
        if isinstance(of, Mapping) and set(of) == {"sum_of"}:
            kwargs["of"] = read_filters(reader, of["sum_of"], path + ("of", "sum_of"), context)
        elif of == "amount":
            kwargs["of"] = of
        else:
            reader.problem(path + ("of",), f"expected 'amount' (the event's own) or {{sum_of: <filter>}}, got {of!r}"[:200])
    if raw.get("max") is not None:
        mx = raw["max"]
        if isinstance(mx, Mapping):
            kwargs["max"] = read_amount(reader, mx, path + ("max",), context)
        else:
            kwargs["max"] = reader.yuan(mx, path + ("max",))
    if raw.get("min") is not None:
        kwargs["min"] = reader.yuan(raw["min"], path + ("min",))
    rounding = raw.get("rounding", "half_up")
    if rounding not in ROUNDINGS:
        reader.problem(path + ("rounding",), f"unknown rounding {rounding!r}; expected one of: {', '.join(ROUNDINGS)}")
    kwargs["rounding"] = rounding
    return Amount(**kwargs)


def round_yuan(value: Decimal, rounding: str) -> int:
    """Whole yuan by the named rule: ``half_up`` (四舍五入) or ``down`` (truncation)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP if rounding == "half_up" else "ROUND_DOWN"))


def _key(event: Event, kind: CarrierKind, by: str) -> str | None:
    if by == "level":
        return None if event.level is None else event.level.value
    if by == "grade":
        return None if event.grade is None else event.grade.value
    if by == "kind":
        return kind.value
    if by == "year":
        return None if event.year is None else str(event.year)
    value = event.fact(by)
    return None if value is None else str(value)


def table_amount(ctx: Context, table_id: str, event: Event, kind: CarrierKind) -> tuple[int, str] | None:
    """The table's amount and clause for an event's level and carrier kind, or None."""
    table = ctx.ruleset.tables[table_id]
    column = ctx.ruleset.column_for(kind)
    if column is None or event.level is None:
        return None
    found = table.value(column, event.level, event.date)
    return None if found is None else (found.amount, found.clause)


def amount_of(ctx: Context, amount: Amount, event: Event, kind: CarrierKind, base: int | None = None,
              history: Sequence[Event] = ()) -> tuple[int | None, str | None]:
    """The amount for an event (None when the form has no value for it), and the clause of a table cell."""
    clause = None
    if amount.fixed is not None:
        value: int | None = amount.fixed
    elif amount.table is not None:
        found = table_amount(ctx, amount.table, event, kind)
        value, clause = (None, None) if found is None else found
    elif amount.by is not None:
        key = _key(event, kind, amount.by)
        value = None if key is None else amount.values.get(key)
    else:
        assert amount.percent is not None
        if base is None and amount.of == "amount":
            base = event.amount or 0
        elif base is None:
            base = sum(e.amount or 0 for e in history if e.date <= event.date
                       and any(f.in_scope(e, e.kind or kind) and f.holds(e) for f in amount.of))
        value = round_yuan(Decimal(base) * amount.percent / 100, amount.rounding)
    if value is None:
        return None, clause
    if amount.max is not None:
        if isinstance(amount.max, Amount):
            cap = cap_for(ctx, amount.max, history, kind)
            value = value if cap is None else min(value, cap)
        else:
            value = min(value, amount.max)
    if amount.min is not None:
        value = max(value, amount.min)
    return value, clause


def cap_for(ctx: Context, cap: Amount, history: Sequence[Event], kind: CarrierKind) -> int | None:
    """A cap keyed by a field of the carrier's history (e.g. a designation held): the highest that applies."""
    if cap.fixed is not None:
        return cap.fixed
    found = [cap.values[k] for e in history if (k := _key(e, kind, cap.by or "")) is not None and k in cap.values]
    return max(found) if found else cap.values.get("default")


# --- decisions -----------------------------------------------------------------


def values_of(event: Event, kind: CarrierKind, ctx: Context, **given: Any) -> dict[str, str]:
    """The placeholder values of a generic decision."""
    names = ctx.ruleset.levels.get(event.level) if event.level is not None else None
    out = {
        "date": iso_date(event.date),
        "kind": KIND_EN[kind], "kind_zh": KIND_ZH[kind],
        "level": "" if event.level is None else (names[1] if names else event.level.value),
        "level_zh": "" if event.level is None else (names[0] if names else event.level.value),
        "year": "" if event.year is None else str(event.year),
        "grade": "" if event.grade is None else event.grade.value,
        "grade_zh": "" if event.grade is None else GRADE_ZH[event.grade],
        "document": event.document or "",
        "act": event.type.value.replace("_", " "),
        "act_zh": {"accredited": "认定", "filed": "备案", "evaluated": "绩效评估"}.get(event.type.value, ""),
        "firm": str(event.fact("firm") or ""),
        "title": str(event.fact("title") or event.fact("designation") or ""),
    }
    for key, value in given.items():
        if value is None:
            out[key] = ""
        elif isinstance(value, datetime.date):
            out[key] = iso_date(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            out[key] = f"{value:,}"
        else:
            out[key] = str(value)
    return out


def decide(
    rule: Rule, ctx: Context, code: str, event: Event, kind: CarrierKind, clauses: Sequence[str],
    amount: int = 0, payable_on: datetime.date | None = None, events: Sequence[str] | None = None, **given: Any,
) -> Decision:
    """A decision of a generic rule, explained by the rule's wording for ``code`` (or its default)."""
    status = AWARDED if code in ("awarded", "recovered") else PENDING if code == "pending" else NOT_AWARDED
    paid = status != NOT_AWARDED
    if not ctx.detail:  # what is paid, without explanation or citations (kinds.base.Context)
        if not paid:
            return LEFT_OUT
        return Decision(rule.id, status, code, amount, payable_on, (event.id,) if events is None else tuple(events),
                        (), "", "", event.level, kind)
    prep = prep_of(ctx.ruleset, rule)
    values = values_of(event, kind, ctx, amount=abs(amount) if status != NOT_AWARDED else None, payable_on=payable_on, **given)
    zh, en = rule.explanations[code]
    key = tuple(dict.fromkeys(clauses))
    return Decision(
        rule.id, status, code, amount if paid else 0, payable_on if paid else None,
        (event.id,) if events is None else tuple(events), prep.citations(ctx, key),
        render(zh, values), render(en, values), event.level, kind,
    )


def add(day: datetime.date, duration: Mapping[str, int]) -> datetime.date:
    """``day`` plus a calendar duration."""
    found = after(day, duration)
    return datetime.date.max if found is None else found
