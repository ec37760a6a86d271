"""What the generic rule kinds share: event filters, amount forms, readings on parameters, and their decisions.

A generic kind is configured entirely in its ruleset entry. Its parameters
are read here (each problem located, names of facts checked against
``model.facts`` with a "did you mean"), so that every kind reads a filter or
an amount the same way.
"""

from __future__ import annotations

import datetime
import enum
import operator
from decimal import ROUND_HALF_UP, Decimal, localcontext
from decimal import Context as DecimalContext
from typing import Any, Callable, Mapping, Sequence

import attrs

from ..model.carrier import PLACES, EVENT_TYPES, Carrier, CarrierKind, Event, EventType, Grade, Level, exact_places, iso_date, level_schema
from ..model.decision import AWARDED, NOT_AWARDED, PENDING, Condition, Decision, InstalmentShare, built_decision
from ..model.durations import after
from ..model.facts import CARRIER_FACTS, EVENT_FACTS, FactSpec, all_fact_names, did_you_mean
from ..model.labels import GRADE_ZH, KIND_EN, KIND_ZH
from ..model.ruleset import ReadingBound, Rule
from .base import _PLACEHOLDER, LEFT_OUT, Context, Template, amount_wan, prep_of

__all__ = [
    "DEFINITIONS",
    "GENERIC_PLACEHOLDERS",
    "Filter",
    "Param",
    "RuleIds",
    "alternatives",
    "bound",
    "choice",
    "declare",
    "decide",
    "refuse",
    "flag",
    "matches",
    "strings",
    "whole",
    "exact_number",
    "EXACT",
    "read_amount",
    "rounding_note",
    "shown_value",
    "read_bound",
    "read_filters",
    "scope_types",
    "table_amount",
]

GENERIC_PLACEHOLDERS = frozenset({
    "firm", "period_start", "period_end", "recovered", "title", "band", "base",
    "instalment", "share", "share_amount", "counted", "needed", "fact", "graded_year",
    "missing", "missing_zh",
})
_AWARDED_CODES = frozenset({"awarded", "recovered", "instalment_awarded"})
_PENDING_CODES = frozenset({"pending", "instalment_pending"})

_FILTER_KEYS = ("type", "level", "kind", "grade", "fields", "at_least", "carrier")

# A parameter reader: (ruleset reader, raw value, path, ParamContext) -> the value, each problem located.
Reader = Callable[[Any, Any, tuple, Any], Any]


@attrs.frozen
class Param:
    """One parameter of a rule kind: how it is read (a reader, or a check the ruleset reader knows by name),
    its JSON Schema, and whether a rule may leave it out."""

    read: Reader | str
    schema: Mapping[str, Any] | None = None
    optional: bool = False


def declare(**specs: Param) -> dict[str, Any]:
    """A kind's ``params``, ``schemas`` and ``optional`` (the keyword arguments of ``RuleKind``), from its Params."""
    return {
        "params": {name: spec.read for name, spec in specs.items()},
        "schemas": {name: dict(spec.schema) for name, spec in specs.items() if spec.schema is not None},
        "optional": frozenset(name for name, spec in specs.items() if spec.optional),
    }


def _described(schema: Mapping[str, Any], description: str) -> dict[str, Any]:
    return {**schema, "description": description}


def bound(schema: Mapping[str, Any], optional: bool = False) -> dict[str, Any]:
    """The schema of a parameter that may instead be bound to a reading: ``{reading: name, values: {alternative:
    value}}`` (with ``optional``, a value may be ``null``: the parameter left out under that alternative)."""
    plain = {k: v for k, v in schema.items() if k != "description"}
    value = {"anyOf": [plain, {"type": "null"}]} if optional else plain
    out: dict[str, Any] = {"anyOf": [plain, {
        "type": "object", "required": ["reading", "values"], "additionalProperties": False,
        "properties": {"reading": {"$ref": "#/definitions/text", "description": "name of a reading under `readings`"},
                       "values": {"type": "object", "minProperties": 1, "additionalProperties": value,
                                  "description": "the value under each alternative of the reading"}},
    }]}
    if "description" in schema:
        out["description"] = schema["description"] + "; or {reading, values}: one value per alternative of a reading"
    return out


def choice(values: Sequence[str], default: str | None, description: str) -> Param:
    """One of ``values`` (``default`` when left out)."""

    def read(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
        if raw is None:
            return default
        if raw not in values:
            reader.problem(path, f"expected one of: {', '.join(values)}, got {raw!r}{did_you_mean(raw, values)}"[:200])
        return raw

    return Param(read, _described({"enum": list(values)}, description), optional=True)


def whole(low: int, high: int, description: str, default: int | None = None, required: bool = False) -> Param:
    """A whole number from ``low`` to ``high``; ``default`` when left out (a problem when ``required``)."""

    def read(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> int | None:
        if raw is None:
            if required:
                reader.problem(path, "required field is missing")
            return default
        if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
            reader.problem(path, f"expected a whole number from {low} to {high}, got {raw!r}"[:120])
            return default
        return raw

    return Param(read, {"type": "integer", "minimum": low, "maximum": high, "description": description},
                 optional=not required)


class RuleIds(tuple):  # type: ignore[type-arg]
    """The ids of other rules whose decisions a rule counts (a top-up's ``counts``, a clawback's ``recovers``):
    the ruleset reader refuses a rule that counts itself, or rules that count each other in a circle."""


def strings(what: str, description: str, rule_ids: bool = False, required: bool = False) -> Param:
    """A list of names (rule ids when ``rule_ids``, checked against the file's rules); empty when left out,
    a problem when ``required``."""

    def read(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> tuple[str, ...]:
        if raw is None:
            if required:
                reader.problem(path, "required field is missing")
            return ()
        if not isinstance(raw, list) or not all(isinstance(r, str) and r.strip() for r in raw):
            reader.problem(path, f"expected a list of {what}, got {raw!r}"[:200])
            return ()
        known = getattr(context, "rule_ids", None)
        if rule_ids and known is not None:
            for i, r in enumerate(raw):
                if r not in known:
                    reader.problem(path + (i,), f"unknown rule {r!r}{did_you_mean(r, known)}")
        return RuleIds(raw) if rule_ids else tuple(raw)

    schema = {"type": "array", "items": {"$ref": "#/definitions/text"}, "description": description}
    if required:
        schema["minItems"] = 1
    return Param(read, schema, optional=not required)


def flag(description: str) -> Param:
    """``true`` or ``false`` (false when left out)."""

    def read(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> bool:
        if raw is not None and not isinstance(raw, bool):
            reader.problem(path, f"expected true or false, got {raw!r}"[:120])
        return bool(raw)

    return Param(read, {"type": "boolean", "description": description}, optional=True)


def ceiling_param(description: str) -> Param:
    """A ceiling in whole yuan (at least 1) a rule may leave out."""

    def read(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> int | None:
        return None if raw is None else reader.ceiling(raw, path)

    return Param(read, {"type": "integer", "minimum": 1, "description": description}, optional=True)


def filters_param(description: str, optional: bool = False) -> Param:
    """An event filter or a list of alternatives (None when an optional one is left out)."""

    def read(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> tuple["Filter", ...] | None:
        if raw is None and optional:
            return None
        return read_filters(reader, raw, path, context)

    return Param(read, {"$ref": "#/definitions/filters", "description": description}, optional=optional)


def amount_param(description: str, optional: bool = False) -> Param:
    """An amount form."""

    def read(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
        if raw is None and optional:
            return None
        return read_amount(reader, raw, path, context)

    return Param(read, {"$ref": "#/definitions/amount_form", "description": description}, optional=optional)


@attrs.frozen
class Filter:
    """Which events a rule considers: event types and carrier kinds (scope), levels, grades and fields (conditions)."""

    types: frozenset[EventType]
    kinds: frozenset[CarrierKind] | None = None
    levels: frozenset[Level] | None = None
    grades: frozenset[Grade] | None = None
    fields: Mapping[str, Any] = attrs.field(factory=dict)
    at_least: Mapping[str, Any] = attrs.field(factory=dict)
    carrier: Mapping[str, Any] = attrs.field(factory=dict)

    def in_scope(self, event: Event, kind: CarrierKind) -> bool:
        """The event's type and carrier kind are the rule's."""
        return event.type in self.types and (self.kinds is None or kind in self.kinds)

    @property
    def by_type_only(self) -> bool:
        """The filter asks only for event types (and carrier kinds): every event in scope holds."""
        return not (self.carrier or self.levels is not None or self.grades is not None or self.fields or self.at_least)

    def holds(self, event: Event, carrier: Carrier | None = None) -> bool:
        """The event's level, grade and fields are as the filter asks, and the carrier's facts on its date."""
        if self.by_type_only:
            return True
        for name, want in self.carrier.items():
            got = None if carrier is None else _plain(carrier.fact(name, on=event.date))
            if got not in (want if isinstance(want, list) else [want]):
                return False
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


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def matches(filters: Sequence[Filter], event: Event, ctx: Context) -> bool:
    """One of ``filters`` takes the event in scope and holds for it (carrier facts read as of its date)."""
    kind = event.kind or ctx.carrier.kind
    return any(f.in_scope(event, kind) and f.holds(event, ctx.carrier) for f in filters)


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
    """The event types a generic rule decides on (its ``match`` or ``trigger`` filters), or None for another kind.

    A top-up with no filter of its own decides on none: its decisions are made with the award it ``tops_up``.
    """
    if rule.params.get("tops_up") is not None and rule.params.get("match") is None:
        return frozenset()
    found: set[EventType] = set()
    for name in ("match", "trigger", "from"):
        for _, filters in alternatives(rule.params.get(name)):  # a rule not resolved ``under`` readings: all of them
            for f in filters or ():
                if isinstance(f, Filter):
                    found.update(f.types)
    return frozenset(found) if found else None


def _fact_type_problem(spec: FactSpec, value: Any, context: Any = None) -> str | None:
    """What is wrong with ``value`` as a value of a fact of this type (None when it fits); a level fact may name
    the levels the ruleset declares (``context.levels``)."""
    levels = [lv.value for lv in Level] + [lv.value for lv in getattr(context, "levels", None) or () if not lv.builtin]
    for v in _one_or_many(value):
        if spec.type == "bool":
            ok = isinstance(v, bool)
        elif spec.type in ("number", "yuan", "price"):
            ok = not isinstance(v, bool) and isinstance(v, (int, Decimal))
        elif spec.type == "date":
            ok = isinstance(v, datetime.date)
        elif spec.type == "level":
            ok = isinstance(v, str) and v in levels
        else:
            ok = isinstance(v, str)
        if not ok:
            want = {"bool": "true or false", "number": "a number", "yuan": "a whole number of yuan", "price": "a price in yuan", "date": "a date",
                    "level": "a level (" + ", ".join(levels) + ")"}.get(spec.type, "text")
            return f"expected {want}, got {v!r}"[:160]
    return None


def fact_spec(types: Any, name: str) -> FactSpec | None:
    """The registry's spec of an event fact ``name`` on one of ``types`` (None for an event's own field)."""
    for t in types:
        found = EVENT_FACTS.get(t.value, {}).get(name)
        if found is not None:
            return found
    return None


def carries(types: Any, field: str) -> bool:
    """Some event type among ``types`` carries ``field`` (level, grade, amount...)."""
    return any(field in EVENT_TYPES[t].fields for t in types)


def check_level(reader: Any, level: Level, path: tuple[Any, ...], context: Any) -> None:
    """A level a rule names must be among the ruleset's declared ``levels``."""
    declared = getattr(context, "levels", None)
    if declared and level not in declared:
        known = ", ".join(lv.value for lv in declared)
        reader.problem(path, f"{level.value!r} is not among this ruleset's levels ({known}); declare it under levels")


def read_filter(reader: Any, raw: Any, path: tuple[Any, ...], context: Any = None) -> Filter | None:
    """One filter, e.g. ``{type: accredited, level: [national, provincial], kind: [incubator]}``; a level, grade or
    fact value is checked against what the event types carry and the registry's type of each fact."""
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
        if key in ("level", "grade") and types and not carries(types, key):
            names = ", ".join(sorted(t.value for t in types))
            reader.problem(path + (key,), f"{names} events have no {key}: this filter would never match")
            return None
        out = frozenset(m for i, v in enumerate(_one_or_many(raw[key])) if (m := reader.enum(enum_type, v, path + (key, i))) is not None)
        if enum_type is Level:
            for i, m in enumerate(_one_or_many(raw[key])):
                if isinstance(m, str) and m in {lv.value for lv in Level}:
                    check_level(reader, Level(m), path + ((key, i) if isinstance(raw[key], list) else (key,)), context)
        return out

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
            spec = fact_spec(types, name)
            if key == "at_least" and spec is not None and spec.type not in ("number", "yuan", "price"):
                reader.problem(path + (key, name), f"{name!r} is a {spec.type} fact: at_least needs a number or amount fact")
                continue
            if key == "at_least" and (isinstance(want, bool) or not isinstance(want, (int, Decimal))):
                reader.problem(path + (key, name), f"expected a number, got {want!r}"[:120])
                continue
            wrong = None if spec is None else _fact_type_problem(spec, want, context)
            if wrong is not None:
                reader.problem(path + (key, name), f"{name} is a {spec.type} fact: {wrong}")  # type: ignore[union-attr]
                continue
            found[name] = want
        return found

    carrier: dict[str, Any] = {}
    for name, want in (reader.mapping(raw["carrier"], path + ("carrier",)) or {}).items() if raw.get("carrier") is not None else ():
        if name not in CARRIER_FACTS:
            reader.problem(path + ("carrier", name), f"unknown carrier fact {name!r}{did_you_mean(name, CARRIER_FACTS)}")
            continue
        wrong = _fact_type_problem(CARRIER_FACTS[name], want, context)
        if wrong is not None:
            reader.problem(path + ("carrier", name), f"{name} is a {CARRIER_FACTS[name].type} fact: {wrong}")
            continue
        carrier[name] = want
    return Filter(types, enums("kind", CarrierKind), enums("level", Level), enums("grade", Grade), facts("fields"),
                  facts("at_least"), carrier)


def read_filters(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> tuple[Filter, ...] | None:
    """A filter or a list of alternative filters (any one matching)."""
    if raw is None:
        reader.problem(path, "required field is missing")
        return None
    if isinstance(raw, list) and not raw:
        reader.problem(path, "expected a filter or a list of alternative filters, got an empty list (which matches no event)")
        return None
    items = raw if isinstance(raw, list) else [raw]
    out = tuple(f for i, item in enumerate(items) if (f := read_filter(reader, item, path + ((i,) if isinstance(raw, list) else ()), context)) is not None)
    return out or None


def read_bound(reader: Any, raw: Any, path: tuple[Any, ...], context: Any, read: Callable[[Any, tuple[Any, ...]], Any]) -> Any:
    """A parameter value, or ``{reading: name, values: {alternative: value}}`` binding it to a reading: each
    alternative's value read by ``read`` as the plain value is (``null``: the parameter left out under it)."""
    if is_bound(raw):
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


def is_bound(raw: Any) -> bool:
    """``raw`` is written as a parameter bound to a reading (no plain parameter value has a ``reading`` key)."""
    return isinstance(raw, Mapping) and "reading" in raw


def alternatives(value: Any) -> list[tuple[tuple[Any, ...], Any]]:
    """A read parameter's values with the path below the parameter of each: one per alternative when it is
    bound to a reading (``("values", alternative)``), else the value itself."""
    if isinstance(value, ReadingBound):
        return [(("values", alt), v) for alt, v in value.values.items()]
    return [((), value)]


# --- amounts -------------------------------------------------------------------

_AMOUNT_KEYS = ("fixed", "table", "by", "values", "percent", "of", "rate", "per", "since", "years", "max", "min",
                "rounding", "clause")
_FORMS = ("fixed", "table", "by", "percent", "rate")
ROUNDINGS = ("half_up", "down")
# How each rounding rule is named in a decision's explanation (Chinese, English).
ROUNDING_NAMES = {"half_up": ("四舍五入", "half up"), "down": ("舍去不足一元部分", "down")}
# ``by:`` an ordinal: the amount for the 1st, 2nd, 3rd ... (a list), counted in years since an anchor or in awards.
ORDINALS = ("year_since", "occurrence")
YEAR_COUNTS = ("calendar", "anniversary")
_SUM_KEYS = ("sum_of", "years_before", "within")


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
    rate: Decimal | None = None  # yuan per unit of the number fact ``per`` (exact: 12.5 is 12.5)
    per: str | None = None  # the event's own fact of that name, else the carrier's as of the event's date
    ordinal: tuple[int, ...] = ()  # ``by: year_since | occurrence``: the amount for the 1st, 2nd, ...
    since: Any = None  # ``by: year_since``: filters of the anchor event (the first matching one)
    years: str = "calendar"  # ``by: year_since``: calendar years (an evaluated ``year`` counts) or anniversaries
    sum_window: tuple[str, Any] | None = None  # ``of: {sum_of, years_before: N | within: duration}``


def exact_number(reader: Any, value: Any, path: tuple[Any, ...], what: str, low: Decimal, high: Decimal,
                 low_open: bool = False) -> Decimal | None:
    """An exact number (a YAML ``12.5`` is the decimal 12.5, never a float) from ``low`` to ``high``, or a problem
    showing the value as written."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or (isinstance(value, Decimal) and not value.is_finite()):
        reader.problem(path, f"expected {what}, got {shown_value(value)}")
        return None
    number = Decimal(value)
    if number < low or number > high or (low_open and number == low):
        bound = f"above {low}" if low_open else f"from {low}"
        reader.problem(path, f"expected {what} {bound} to {high}, got {shown_value(value)}")
        return None
    if not exact_places(number):
        reader.problem(path, f"expected {what} with at most {PLACES} decimal places, got {shown_value(value)}")
        return None
    return number


def shown_value(value: Any) -> str:
    """A value as a maintainer wrote it: ``1.5``, ``'abc'``, not ``Decimal('1.5')``."""
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        shown = str(value) if not isinstance(value, int) or value.bit_length() < 200 else f"a number of {len(str(value))} digits"
        return shown if len(shown) <= 60 else shown[:57] + "..."
    if isinstance(value, float):  # from Python: a YAML or JSON file never gives one
        return f"the float {value!r} (not exact: give Decimal({str(value)!r}))"
    return repr(value)[:120]


def read_amount(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Amount | None:
    """``200000``, ``{table: t}``, ``{by: grade, values: {...}}``, ``{percent: 30, of: spending, max: 200000}``,
    ``{rate: 30, per: floor_area_m2, max: 1000000}``, ``{by: year_since, since: <filter>, values: [200000, 100000]}``."""
    if raw is None:
        reader.problem(path, "required field is missing")
        return None
    if not isinstance(raw, Mapping):
        value = reader.yuan(raw, path)
        return None if value is None else Amount(fixed=value)
    raw = reader.mapping(raw, path, _AMOUNT_KEYS)
    if raw is None:
        return None
    forms = [k for k in _FORMS if raw.get(k) is not None]
    if len(forms) != 1:
        reader.problem(path, "give exactly one of: fixed, table, by (with values), percent (with of), rate (with per)")
        return None
    form = forms[0]
    kwargs: dict[str, Any] = {}
    ordinal = form == "by" and raw["by"] in ORDINALS
    for key, needs in (("per", "rate"), ("since", "by: year_since"), ("years", "by: year_since")):
        wanted = form == "rate" if key == "per" else form == "by" and raw["by"] == "year_since"
        if raw.get(key) is not None and not wanted:
            reader.problem(path + (key,), f"{key} goes with {needs}")
    if form == "fixed":
        kwargs["fixed"] = reader.yuan(raw["fixed"], path + ("fixed",))
    elif form == "table":
        if not isinstance(raw["table"], str):
            reader.problem(path + ("table",), f"expected a table id, got {raw['table']!r}"[:120])
            return None
        if context.table_ids is not None and raw["table"] not in context.table_ids:
            reader.problem(path + ("table",), f"unknown table {raw['table']!r}{did_you_mean(raw['table'], context.table_ids)}")
        kwargs["table"] = raw["table"]
    elif ordinal:
        kwargs.update(_read_ordinal(reader, raw, path, context))
    elif form == "by":
        by = raw["by"]
        if not isinstance(by, str) or (by not in ("level", "grade", "kind", "year") and by not in all_fact_names()):
            known = all_fact_names() | {"level", "grade", "kind", "year", *ORDINALS}
            reader.problem(path + ("by",), f"unknown field {by!r}{did_you_mean(by, known)}")
        values = reader.mapping(raw.get("values"), path + ("values",)) or {}
        if not values:
            reader.problem(path + ("values",), "an empty table of values pays nothing: give the amount for each value of " + str(by))
        _check_keys(reader, by, values, path + ("values",), context)
        kwargs["by"] = by
        kwargs["values"] = {str(k): v for k, v in ((k, reader.yuan(v, path + ("values", k))) for k, v in values.items()) if v is not None}
    elif form == "rate":
        kwargs["rate"] = exact_number(reader, raw["rate"], path + ("rate",), "a rate in yuan per unit", Decimal(0),
                                      Decimal(10**9), low_open=True)
        kwargs["per"] = _read_per(reader, raw.get("per"), path + ("per",), context)
        if raw.get("of") is not None:
            reader.problem(path + ("of",), "of goes with percent; a rate is paid per unit of its `per` fact")
    else:
        pct = exact_number(reader, raw["percent"], path + ("percent",), "a percentage", Decimal(0), Decimal(100), low_open=True)
        if pct is not None:
            kwargs["percent"] = pct
        of = raw.get("of")
        if isinstance(of, Mapping) and "sum_of" in of:
            of = reader.mapping(of, path + ("of",), _SUM_KEYS) or {}
            kwargs["of"] = read_filters(reader, of.get("sum_of"), path + ("of", "sum_of"), context)
            _check_amounts(reader, [t for f in kwargs["of"] or () for t in f.types], path + ("of", "sum_of"), "sum_of adds")
            kwargs["sum_window"] = _read_sum_window(reader, of, path + ("of",))
        elif of == "amount":
            kwargs["of"] = of
            _check_amounts(reader, getattr(context, "event_types", None) or (), path + ("of",), "of: amount takes")
        else:
            reader.problem(path + ("of",), f"expected 'amount' (the event's own) or {{sum_of: <filter>}}, got {of!r}"[:200])
        if pct is None:
            return None
    if raw.get("values") is not None and form != "by":
        reader.problem(path + ("values",), "values goes with by")
    if raw.get("max") is not None:
        mx = raw["max"]
        if isinstance(mx, Mapping):
            kwargs["max"] = read_amount(reader, mx, path + ("max",), context)
            found = kwargs["max"]
            if found is not None and found.fixed is None and (found.by is None or found.by in ORDINALS):
                reader.problem(path + ("max",), "a ceiling is a number or {by: <field>, values: {...}} keyed by a field of "
                                                "the carrier's events (e.g. by: designation)")
                kwargs["max"] = None
        else:
            kwargs["max"] = reader.ceiling(mx, path + ("max",))
    if raw.get("min") is not None:
        kwargs["min"] = reader.yuan(raw["min"], path + ("min",))
        if isinstance(kwargs.get("max"), int) and kwargs["min"] is not None and kwargs["min"] > kwargs["max"]:
            reader.problem(path + ("min",), f"a floor of {kwargs['min']:,} yuan above its max of {kwargs['max']:,} would pay "
                                            "more than the ceiling: give min at most max")
    rounding = raw.get("rounding", "half_up")
    if rounding not in ROUNDINGS:
        reader.problem(path + ("rounding",), f"unknown rounding {rounding!r}{did_you_mean(rounding, ROUNDINGS)}; expected one of: {', '.join(ROUNDINGS)}")
    kwargs["rounding"] = rounding
    return Amount(**kwargs)


def _read_per(reader: Any, per: Any, path: tuple[Any, ...], context: Any) -> str | None:
    """The number fact a rate is paid per unit of: one of the matched events' own, else a carrier fact."""
    types = getattr(context, "event_types", None) or ()
    own = {n: f for t in types for n, f in EVENT_FACTS.get(t.value, {}).items()}
    known = {**CARRIER_FACTS, **own}
    numbers = sorted(n for n, f in known.items() if f.type == "number")
    if per is None:
        reader.problem(path, f"a rate needs `per`: the number fact it is paid per unit of ({', '.join(numbers)})")
        return None
    if not isinstance(per, str) or per not in known:
        reader.problem(path, f"unknown fact {shown_value(per)}{did_you_mean(per, numbers)}; a rate is paid per unit of one of: {', '.join(numbers)}")
        return None
    spec = known[per]
    if spec.type != "number":
        reader.problem(path, f"{per!r} is a {spec.type} fact{f' in {spec.unit}' if spec.unit else ''}: a rate is paid per unit "
                             f"of a number fact ({', '.join(numbers)})")
        return None
    return per


def _read_ordinal(reader: Any, raw: Mapping[str, Any], path: tuple[Any, ...], context: Any) -> dict[str, Any]:
    """``{by: year_since, since: <filter>, values: [first, second, ...], years: calendar}`` or ``{by: occurrence, values: [...]}``."""
    by = raw["by"]
    out: dict[str, Any] = {"by": by}
    values = raw.get("values")
    if not isinstance(values, list) or not values:
        reader.problem(path + ("values",), f"by: {by} takes a list of amounts, the first year's (or award's) first, "
                                           f"e.g. [200000, 100000, 100000]; got {shown_value(values)}")
    else:
        found = [reader.yuan(v, path + ("values", i)) for i, v in enumerate(values)]
        out["ordinal"] = tuple(v for v in found if v is not None)
    if by == "year_since":
        if raw.get("since") is None:
            reader.problem(path + ("since",), "by: year_since needs `since`: the filter of the event the years count from "
                                              "(e.g. {type: accredited, level: municipal})")
        else:
            out["since"] = read_filters(reader, raw["since"], path + ("since",), context)
        years = raw.get("years", "calendar")
        if years not in YEAR_COUNTS:
            reader.problem(path + ("years",), f"expected one of: {', '.join(YEAR_COUNTS)}, got {shown_value(years)}{did_you_mean(years, YEAR_COUNTS)}")
        out["years"] = years
    return out


def _read_sum_window(reader: Any, of: Mapping[str, Any], path: tuple[Any, ...]) -> tuple[str, Any] | None:
    """``years_before: 2`` (the two calendar years before the event's year) or ``within: {years: 2}`` (dated in
    the duration up to the event); neither: every earlier matching event."""
    given = [k for k in ("years_before", "within") if k in of]  # a key written without its value is refused below
    if len(given) > 1:
        reader.problem(path + ("within",), "give years_before or within, not both")
        return None
    if not given:
        return None
    if given[0] == "years_before":
        n = of["years_before"]
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 50:
            reader.problem(path + ("years_before",), f"expected a number of years from 1 to 50, got {shown_value(n)}")
            return None
        return ("years_before", n)
    duration = reader.duration(of["within"], path + ("within",), ("years", "months", "days"), "duration")
    return None if duration is None else ("within", duration)


_KEYED = {"grade": Grade, "level": Level, "kind": CarrierKind}


def _check_keys(reader: Any, by: str, values: Mapping[Any, Any], path: tuple[Any, ...], context: Any) -> None:
    """The keys of ``{by: grade|level|kind|year, values: {...}}`` are values of that vocabulary ("did you mean")."""
    vocabulary = _KEYED.get(by) if isinstance(by, str) else None
    for key in values:
        if vocabulary is not None:
            known = [m.value for m in vocabulary]
            if vocabulary is Level:  # and the levels the ruleset declares beyond the built-in ones
                known += [lv.value for lv in getattr(context, "levels", None) or () if lv.value not in known]
            if key not in known:
                reader.problem(path + (key,), f"unknown {by} {key!r}{did_you_mean(key, known)}; expected one of: {', '.join(known)}")
            elif vocabulary is Level:
                check_level(reader, Level.extra(key), path + (key,), context)
        elif by == "year" and not (str(key).isdigit() and 1900 <= int(str(key)) <= 2200):
            reader.problem(path + (key,), f"expected a year such as 2024, got {key!r}"[:120])


def _check_amounts(reader: Any, types: Sequence[EventType], path: tuple[Any, ...], what: str) -> None:
    """A percentage of an event's amount needs event types that carry an amount (a payment, a spending...)."""
    if types and not carries(types, "amount"):
        names = ", ".join(sorted({t.value for t in types}))
        having = ", ".join(t.value for t, spec in EVENT_TYPES.items() if "amount" in spec.fields)
        reader.problem(path, f"{what} the amount of {names} events, which have none (events with an amount: {having})")


# Arithmetic on exact amounts: digits enough that no product of the bounded numbers a file gives (an area, a rate,
# a price, a factor, a percentage: at most model.carrier.PLACES decimal places) is ever rounded before round_yuan.
EXACT = DecimalContext(prec=80)


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
              history: Sequence[Event] = (), ordinal: int | None = None) -> tuple[int | None, str | None]:
    """The amount for an event (None when the form has no value for it), and the clause of a table cell."""
    value, clause, _ = amount_detail(ctx, amount, event, kind, base, history, ordinal)
    return value, clause


def amount_detail(ctx: Context, amount: Amount, event: Event, kind: CarrierKind, base: int | None = None,
                  history: Sequence[Event] = (), ordinal: int | None = None) -> tuple[int | None, str | None, Decimal | None]:
    """``amount_of``, and the exact amount before it was rounded to whole yuan (None when nothing was rounded).

    ``ordinal`` is the event's place among the rule's awards (for ``by: occurrence``)."""
    clause = None
    exact: Decimal | None = None
    if amount.fixed is not None:
        value: int | None = amount.fixed
    elif amount.table is not None:
        found = table_amount(ctx, amount.table, event, kind)
        value, clause = (None, None) if found is None else found
    elif amount.by in ORDINALS:
        index = ordinal if amount.by == "occurrence" else year_index(ctx, amount, event)
        value = amount.ordinal[index - 1] if index is not None and 1 <= index <= len(amount.ordinal) else None
    elif amount.by is not None:
        key = _key(event, kind, amount.by)
        value = None if key is None else amount.values.get(key)
    elif amount.rate is not None:
        quantity = event.fact(amount.per) if amount.per is not None else None
        if quantity is None and amount.per is not None:
            quantity = ctx.carrier.fact(amount.per, on=event.date)
        if quantity is None:
            return None, clause, None  # nothing recorded to pay a rate on: refused as no_amount, never 0 yuan
        with localcontext(EXACT):
            exact = amount.rate * Decimal(quantity)
        value = round_yuan(exact, amount.rounding)
    else:
        assert amount.percent is not None
        if base is None and amount.of == "amount":
            if event.amount is None:
                return None, clause, None  # no amount of its own to take a percentage of: refused as no_amount
            base = event.amount
        elif base is None:
            base = sum(e.amount or 0 for e in summed(ctx, amount, event, kind, history))
        with localcontext(EXACT):
            exact = Decimal(base) * amount.percent / 100
        value = round_yuan(exact, amount.rounding)
    if value is None:
        return None, clause, None
    if amount.max is not None:
        if isinstance(amount.max, Amount):
            cap = cap_for(ctx, amount.max, [e for e in history if e.date <= event.date], kind)
            value = value if cap is None else min(value, cap)
        else:
            value = min(value, amount.max)
    if amount.min is not None:
        value = max(value, amount.min)
    return value, clause, (exact if exact is not None and exact != exact.to_integral_value() else None)


def summed(ctx: Context, amount: Amount, event: Event, kind: CarrierKind, history: Sequence[Event]) -> list[Event]:
    """The events whose amounts ``of: {sum_of}`` adds for ``event``: matching, dated up to it, and in the period
    ``years_before`` or ``within`` names (an event's own ``year``, e.g. a spending's, counts for ``years_before``)."""
    window = amount.sum_window
    low_year = high_year = None
    since = None
    if window is not None and window[0] == "years_before":
        high_year = event.date.year - 1
        low_year = event.date.year - window[1]
    elif window is not None:
        since = after(event.date, {k: -v for k, v in window[1].items()}) or datetime.date.min
    out = []
    for e in history:
        if e.date > event.date or not any(f.in_scope(e, e.kind or kind) and f.holds(e, ctx.carrier) for f in amount.of):
            continue
        if low_year is not None:
            year = e.year if e.year is not None else e.date.year
            if not low_year <= year <= high_year:  # type: ignore[operator]
                continue
        if since is not None and e.date <= since:
            continue
        out.append(e)
    return out


def year_index(ctx: Context, amount: Amount, event: Event) -> int | None:
    """Which year since the anchor (the first event matching ``since``, on or before ``event``) the event is in:
    1 for the anchor's own year. Calendar years count an event's own ``year`` (an evaluation's evaluated year);
    anniversary years count whole years from the anchor's date."""
    anchor = None
    for e in ctx.timeline:
        if e.date > event.date:
            break
        if matches(amount.since, e, ctx):
            anchor = e
            break
    if anchor is None:
        return None
    if amount.years == "calendar":
        year = event.year if event.year is not None else event.date.year
        return year - anchor.date.year + 1
    years = event.date.year - anchor.date.year
    while years > 0 and add(anchor.date, {"years": years}) > event.date:
        years -= 1
    return years + 1


def rounding_note(exact: Decimal | None, rounding: str) -> tuple[str, str]:
    """The words a decision's explanation adds when its amount was rounded to whole yuan, naming the rule (the
    whole yuan it was rounded to, before any ceiling)."""
    if exact is None:
        return "", ""
    value = round_yuan(exact, rounding)
    zh, en = ROUNDING_NAMES[rounding]
    shown = f"{exact.normalize(EXACT):,f}"
    return f"({shown}元按{zh}取整为{value:,}元)", f" ({shown} yuan rounded {en} to whole yuan: {value:,})"


def noted(decision: Decision, note: tuple[str, str] | None) -> Decision:
    """``decision`` with ``note`` (Chinese, English) added to the end of its explanations."""
    if not note or not (note[0] or note[1]):
        return decision
    return attrs.evolve(decision, explanation_zh=decision.explanation_zh + note[0],
                        explanation_en=decision.explanation_en + note[1])


def cap_for(ctx: Context, cap: Amount, history: Sequence[Event], kind: CarrierKind) -> int | None:
    """A cap keyed by a field of the carrier's history (e.g. a designation held): the highest that applies."""
    if cap.fixed is not None:
        return cap.fixed
    found = [cap.values[k] for e in history if (k := _key(e, kind, cap.by or "")) is not None and k in cap.values]
    return max(found) if found else cap.values.get("default")


# --- decisions -----------------------------------------------------------------


# An event type as a noun, for the default explanations ("the municipal evaluation of 2019-03-15").
_ACT_EN = {
    "operation_started": "start of operation", "accredited": "accreditation", "filed": "filing",
    "payment_received": "payment", "evaluated": "evaluation", "title_awarded": "title", "designated": "designation",
    "firm_introduced": "firm brought in", "firm_certified": "firm certification", "tenancy": "tenancy",
    "spending": "spending", "investment": "investment", "task_result": "task result", "withdrawn": "withdrawal", "suspended": "suspension",
    "rectification_ordered": "rectification order", "resumed": "resumption",
    "rectification_completed": "completed rectification", "delisted": "delisting",
}
_ACT_ZH = {
    "operation_started": "开始运营", "accredited": "认定", "filed": "备案", "payment_received": "收到资金",
    "evaluated": "绩效评估", "title_awarded": "获得称号", "designated": "授牌", "firm_introduced": "引进企业",
    "firm_certified": "企业认定", "tenancy": "入驻", "spending": "支出", "investment": "投入", "task_result": "任务考核",
    "withdrawn": "撤销称号", "suspended": "暂停运营", "rectification_ordered": "责令整改", "resumed": "恢复运营",
    "rectification_completed": "整改完成", "delisted": "撤销",
}


def _subject(event: Event, ctx: Context, zh: bool) -> str:
    """The event as the default explanations name it: its level (when it has one) and its type as a noun."""
    level = _level_name(ctx, event, zh)
    act = (_ACT_ZH if zh else _ACT_EN).get(event.type.value, event.type.value.replace("_", " "))
    return level + act if zh else f"{level} {act}".strip()


def _shown(value: Any) -> str:
    """A given value as a placeholder shows it: dates in ISO form, amounts with thousands separators."""
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return iso_date(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _level_name(ctx: Context, event: Event, zh: bool) -> str:
    if event.level is None:
        return ""
    names = ctx.ruleset.levels.get(event.level)
    return names[0 if zh else 1] if names else event.level.value


# How an event fills each placeholder of a generic decision (a value given to the decision overrides it).
_FROM_EVENT: dict[str, Callable[..., str]] = {
    "date": lambda e, k, c, g=None: iso_date(e.date),
    "kind": lambda e, k, c, g=None: KIND_EN[k],
    "kind_zh": lambda e, k, c, g=None: KIND_ZH[k],
    "level": lambda e, k, c, g=None: _level_name(c, e, False),
    "level_zh": lambda e, k, c, g=None: _level_name(c, e, True),
    "year": lambda e, k, c, g=None: "" if e.year is None else str(e.year),
    "grade": lambda e, k, c, g=None: "" if e.grade is None else e.grade.value,
    "grade_zh": lambda e, k, c, g=None: "" if e.grade is None else GRADE_ZH[e.grade],
    "document": lambda e, k, c, g=None: e.document or "",
    "act": lambda e, k, c, g=None: _ACT_EN.get(e.type.value, e.type.value.replace("_", " ")),
    "act_zh": lambda e, k, c, g=None: _ACT_ZH.get(e.type.value, ""),
    "subject": lambda e, k, c, g=None: _subject(e, c, False),
    "subject_zh": lambda e, k, c, g=None: _subject(e, c, True),
    "firm": lambda e, k, c, g=None: str(e.fact("firm") or ""),
    "title": lambda e, k, c, g=None: str(e.fact("title") or e.fact("designation") or ""),
    "amount_wan": lambda e, k, c, g=None: amount_wan(g["amount"]) if g and isinstance(g.get("amount"), int) else "",
}


def values_of(event: Event, kind: CarrierKind, ctx: Context, **given: Any) -> dict[str, str]:
    """The placeholder values of a generic decision (the values given to it for the others)."""
    out = {name: get(event, kind, ctx, given) for name, get in _FROM_EVENT.items()}
    out.update((key, _shown(value)) for key, value in given.items())
    return out


# The event fields each placeholder reads (the inputs of its text, besides the carrier kind and the values given).
_EVENT_FIELDS = {
    "date": "date", "level": "level", "level_zh": "level", "year": "year", "grade": "grade", "grade_zh": "grade",
    "document": "document", "act": "type", "act_zh": "type", "subject": ("level", "type"), "subject_zh": ("level", "type"),
}


class _Wording:
    """The two explanations of one outcome of one rule, split once into format strings and the placeholders they use."""

    def __init__(self, zh: str, en: str) -> None:
        self.names = tuple(dict.fromkeys(_PLACEHOLDER.findall(zh) + _PLACEHOLDER.findall(en)))
        slots = {n: i for i, n in enumerate(self.names)}
        self.zh = Template.parse(zh, slots).format
        self.en = Template.parse(en, slots).format
        self.getters = tuple((n, _FROM_EVENT.get(n)) for n in self.names)
        self.given_names = tuple(n for n in self.names if n not in _FROM_EVENT)
        if "amount_wan" in self.names and "amount" not in self.given_names:
            self.given_names += ("amount",)  # amount_wan shows the amount given
        # the values given that the texts show, in one call (one value for one name, else a tuple)
        self.shown = operator.itemgetter(*self.given_names) if self.given_names else None
        self.kind = "kind" in self.names or "kind_zh" in self.names  # only these read the carrier kind
        self.facts = any(n in ("firm", "title") for n in self.names)
        fields = sorted({f for n in self.names if n in _EVENT_FIELDS
                         for f in (_EVENT_FIELDS[n] if isinstance(_EVENT_FIELDS[n], tuple) else (_EVENT_FIELDS[n],))})
        self.inputs = operator.attrgetter(*fields) if fields else (lambda e: None)
        self.texts: dict[Any, tuple[str, str]] = {}

    _LIMIT = 4096  # texts remembered per outcome: enough for a district, bounded for a stream

    def explain(self, event: Event, kind: CarrierKind, ctx: Context, given: Mapping[str, Any]) -> tuple[str, str]:
        """``render`` of both texts with ``values_of``, computing only the placeholders they use; texts are
        remembered by what they depend on (the event's fields, the carrier kind and the values given that they
        show), since many decisions of a district read alike."""
        key = self.inputs(event)
        if self.kind:
            key = (key, kind)
        shown = self.shown
        if shown is not None:
            try:
                values = shown(given)
            except KeyError:  # a value not given shows empty, as None does
                names = self.given_names
                values = given.get(names[0]) if len(names) == 1 else tuple(map(given.get, names))
            key = (key, values)
        if self.facts:
            key = (key, event.fact("firm"), event.fact("title"), event.fact("designation"))
        try:
            found = self.texts.get(key)
        except TypeError:  # an unhashable value given: no remembering
            return self.fill(event, kind, ctx, given)
        if found is None:
            found = self.fill(event, kind, ctx, given)
            if len(self.texts) >= self._LIMIT:
                self.texts.clear()
            self.texts[key] = found
        return found

    def fill(self, event: Event, kind: CarrierKind, ctx: Context, given: Mapping[str, Any]) -> tuple[str, str]:
        """The two texts, computed."""
        texts = [_shown(given.get(n)) if get is None else get(event, kind, ctx, given) for n, get in self.getters]
        return self.zh.format(*texts), self.en.format(*texts)


def _wordings(prep: Any) -> dict[str, Callable[..., tuple[str, str]]]:
    """Each outcome's ``_Wording.explain`` for the rule of ``prep``, made once (a bound method: called for every
    decision, it costs less than calling an instance)."""
    prep.wording = {c: _Wording(zh, en).explain for c, (zh, en) in prep.rule.explanations.items()}
    return prep.wording  # type: ignore[no-any-return]


def decide(
    rule: Rule, ctx: Context, code: str, event: Event, kind: CarrierKind, clauses: Sequence[str],
    amount: int = 0, payable_on: datetime.date | None = None, events: Sequence[str] | None = None,
    full_amount: int | None = None, already_received: int | None = None,
    amount_in_force_from: datetime.date | None = None, condition: Condition | None = None,
    status: str | None = None, part: InstalmentShare | None = None, **given: Any,
) -> Decision:
    """A decision of a generic rule, explained by the rule's wording for ``code`` (or its default).

    ``full_amount`` and ``already_received`` (an amount before what was
    already paid is taken off; for an instalment, the whole award it is a
    share of) are shown in the explanation and kept on the decision, with the
    date the amount is in force from and the condition it waited for.
    ``status`` is the code's own (awarded, pending, else not awarded) unless given; ``part`` is the
    instalment of a scheduled award the decision is.
    """
    if status is None:
        status = AWARDED if code in _AWARDED_CODES else PENDING if code in _PENDING_CODES else NOT_AWARDED
    paid = status is not NOT_AWARDED
    if not ctx.detail:  # what is paid, without explanation or citations (kinds.base.Context)
        if not paid:
            return LEFT_OUT
        return built_decision(rule.id, status, code, amount, payable_on, (event.id,) if events is None else tuple(events),
                              (), "", "", event.level, kind, full_amount, already_received, amount_in_force_from, None, part)
    prep = prep_of(ctx.ruleset, rule)
    if not paid and events is None and condition is None and full_amount is None and already_received is None \
            and amount_in_force_from is None and part is None:
        return refuse(prep, ctx, code, event, kind, clauses if isinstance(clauses, tuple) else tuple(clauses), given)
    if condition is not None and "counted_from" not in given:
        given["counted_from"] = condition.counted_from
    given["amount"] = abs(amount) if paid else None
    given["payable_on"] = payable_on
    given["full_amount"] = full_amount
    given["already_received"] = already_received
    wording = prep.wording
    if wording is None:
        wording = _wordings(prep)
    zh, en = wording[code](event, kind, ctx, given)
    key = clauses if isinstance(clauses, tuple) else tuple(clauses)
    cites = prep.cites.get(key)  # citations without repeats, in the order given
    if cites is None:
        cites = prep.citations(ctx, key)
    return built_decision(
        rule.id, status, code, amount if paid else 0, payable_on if paid else None,
        (event.id,) if events is None else tuple(events), cites,
        zh, en, event.level, kind, full_amount, already_received, amount_in_force_from, condition, part,
    )


def refuse(prep: Any, ctx: Context, code: str, event: Event, kind: CarrierKind, clauses: tuple[str, ...],
           given: Mapping[str, Any]) -> Decision:
    """``decide`` for a refusal that rests on its event alone (the commonest decision), ``prep`` its rule's."""
    if not ctx.detail:
        return LEFT_OUT
    wording = prep.wording
    if wording is None:
        wording = _wordings(prep)
    zh, en = wording[code](event, kind, ctx, given)
    cites = prep.cites.get(clauses)
    if cites is None:
        cites = prep.citations(ctx, clauses)
    return built_decision(prep.rule.id, NOT_AWARDED, code, 0, None, (event.id,), cites, zh, en, event.level, kind)


def bound_clauses(ruleset: Any, rule: Rule, name: str) -> tuple[str, ...]:
    """The clauses of the reading a parameter was bound to (none when it was not bound to one)."""
    reading = rule.bound.get(name)
    return () if reading is None else ruleset.readings[reading].clauses


def add(day: datetime.date, duration: Mapping[str, int]) -> datetime.date:
    """``day`` plus a calendar duration."""
    found = after(day, duration)
    return datetime.date.max if found is None else found


# --- the JSON Schema of the shared forms (``#/definitions/...`` of the ruleset schema) -----------


def _enum_or_list(values: list[str]) -> dict[str, Any]:
    return {"anyOf": [{"enum": values}, {"type": "array", "minItems": 1, "items": {"enum": values}}]}


def _definitions() -> dict[str, Any]:
    own = {n for spec in EVENT_TYPES.values() for n in spec.fields if n not in ("level", "grade", "kind")}
    facts = sorted(all_fact_names() | own)
    scalar = {"anyOf": [{"type": ["string", "number", "boolean"]}, {"type": "array", "items": {"type": ["string", "number", "boolean"]}}]}
    filter_ = {
        "type": "object", "required": ["type"], "additionalProperties": False,
        "description": "which events: type (and carrier kind) in scope; level, grade, fields, at_least and carrier are conditions",
        "properties": {
            "type": _enum_or_list([t.value for t in EventType]),
            "level": {"anyOf": [level_schema(), {"type": "array", "minItems": 1, "items": level_schema()}]},
            "kind": _enum_or_list([v.value for v in CarrierKind]),
            "grade": _enum_or_list([v.value for v in Grade]),
            "fields": {"$ref": "#/definitions/fact_values"},
            "at_least": {"$ref": "#/definitions/fact_minimums"},
            "carrier": {"$ref": "#/definitions/carrier_facts"},
        },
    }
    numbers = sorted({n for n, f in CARRIER_FACTS.items() if f.type == "number"}
                     | {n for fields in EVENT_FACTS.values() for n, f in fields.items() if f.type == "number"})
    yuan = {"type": "integer", "minimum": 0}
    amount_object = {
        "type": "object", "additionalProperties": False,
        "description": "exactly one of fixed, table, by (with values), percent (with of), rate (with per); then max, min, rounding",
        "properties": {
            "fixed": yuan,
            "table": {"$ref": "#/definitions/text", "description": "id of a table under `tables`"},
            "by": {"enum": sorted({"level", "grade", "kind", "year"} | set(all_fact_names())) + list(ORDINALS),
                   "description": "the value keyed by an event field or fact; year_since / occurrence: by the N-th year "
                                  "since `since` or the N-th award (values a list, the first first)"},
            "values": {"anyOf": [{"type": "object", "additionalProperties": yuan},
                                 {"type": "array", "minItems": 1, "items": yuan,
                                  "description": "by: year_since / occurrence: the amounts of the 1st, 2nd, ..."}]},
            "since": {"$ref": "#/definitions/filters", "description": "by: year_since: the anchor, the first event matching it"},
            "years": {"enum": list(YEAR_COUNTS), "description": "by: year_since: calendar years (an evaluation counts by "
                                                                "its evaluated year; the default) or anniversaries of the anchor"},
            "percent": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
            "of": {"anyOf": [{"const": "amount"}, {"type": "object", "required": ["sum_of"], "additionalProperties": False,
                                                     "properties": {
                                                         "sum_of": {"$ref": "#/definitions/filters"},
                                                         "years_before": {"type": "integer", "minimum": 1, "maximum": 50,
                                                                          "description": "only the N calendar years before the event's year (by each event's own year)"},
                                                         "within": {"$ref": "#/definitions/calendar_duration",
                                                                    "description": "only events dated within this long up to the event"}}}]},
            "rate": {"type": "number", "exclusiveMinimum": 0, "maximum": 10**9,
                     "description": "yuan per unit of `per` (exact: 12.5 is 12.5)"},
            "per": {"enum": numbers, "description": "the number fact a rate is paid per unit of: the event's own, else the carrier's on its date"},
            "max": {"anyOf": [{"type": "integer", "minimum": 1}, {"$ref": "#/definitions/amount_form"}]},
            "min": {"type": "integer", "minimum": 0},
            "rounding": {"enum": list(ROUNDINGS), "description": "whole yuan: half_up (四舍五入) or down"},
        },
    }
    duration = {"type": "object", "additionalProperties": False, "minProperties": 1,
                "properties": {u: {"type": "integer", "minimum": 0, "maximum": 1000} for u in ("years", "months", "days")},
                "description": "a calendar duration, e.g. {years: 1}"}
    return {
        "fact_values": {"type": "object", "propertyNames": {"enum": facts}, "additionalProperties": scalar,
                        "description": "the event's facts equal these (a list: any of them)"},
        "fact_minimums": {"type": "object", "propertyNames": {"enum": facts}, "additionalProperties": {"type": "number"},
                          "description": "the event's facts are at least these"},
        "carrier_facts": {"type": "object", "propertyNames": {"enum": sorted(CARRIER_FACTS)}, "additionalProperties": scalar,
                          "description": "the carrier's facts, as of the event's date, equal these (a list: any of them)"},
        "filter": filter_,
        "filters": {"anyOf": [{"$ref": "#/definitions/filter"},
                              {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/filter"}}]},
        "amount_form": {"anyOf": [{"type": "integer", "minimum": 0}, amount_object]},
        "calendar_duration": duration,
    }


DEFINITIONS: Mapping[str, Any] = _definitions()
