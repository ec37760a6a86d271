"""Reading a carrier from plain data (a YAML or JSON carrier file, a portfolio's entry, a request body), with located errors.

``Carrier.from_dict`` is the model's public entry point to this reader
(registered with ``model.display``); the checks every built ``Carrier`` and
``Event`` make of themselves stay in ``model.carrier``.
"""

from __future__ import annotations

import copy
import datetime
import enum
import itertools
import re
from pathlib import Path
from typing import Any, Callable, Mapping

import attrs

from ..documents import Source, bad_character, canonical_json, keys_unique, read_document
from ..errors import CarrierError
from ..model.carrier import (
    COMMON_FIELDS,
    EVENT_TYPES,
    MAX_AMOUNT,
    PAYMENT_TEXTS,
    AwardKind,
    Carrier,
    CarrierKind,
    Event,
    EventType,
    Grade,
    Level,
    built_carrier,
    built_event,
    check_events,
    level_of,
    level_schema,
    parse_date,
    parse_enum,
    parse_fact,
    text_problem,
    whole_yuan,
)
from ..model.display import register_reader
from ..model.facts import CARRIER_FACTS, EVENT_FACTS, Dated, FactSpec, did_you_mean
from .schema import AMOUNT, DATE, TEXT, Field, FileSchema, Schema, Shape, enum_values

__all__ = [
    "CarrierReader",
    "ONE_OF",
    "QuickEntries",
    "carrier_from_dict",
    "carrier_schema",
    "event_branch",
    "event_field",
    "fact_schema",
    "facts_schema",
    "load_carrier",
    "payment_from_dict",
    "quick_carrier",
    "quick_carrier_list",
    "quick_keys",
]


def carrier_from_dict(data: Any, source: Source | None = None) -> Carrier:
    """Read and validate a carrier from plain data (as loaded from YAML or JSON); errors name the field and line."""
    return quick_carrier(data) or CarrierReader(source or Source()).carrier(data)


def payment_from_dict(data: Any, source: Source, path: tuple[Any, ...], event_id: str) -> Event:
    """One payment read from plain data as a ``payment_received`` event (``type`` and ``id`` supplied here).

    Checked as a carrier file's payment is; errors name ``path`` in ``source``.
    """
    reader = CarrierReader(source)
    if not isinstance(data, Mapping):
        raise reader.fail(path, f"expected a mapping, got {type(data).__name__}")
    fields, _ = reader.event({**data, "type": EventType.PAYMENT_RECEIVED.value, "id": event_id}, path)
    return Event(**fields)


def load_carrier(path: str | Path) -> Carrier:
    """Load a carrier from a YAML or JSON file; errors name the file, line and field."""
    doc = read_document(path)
    return carrier_from_dict(doc.data, doc.source)


# Event types that must give one of these facts (each optional on its own), and the error when none is given.
ONE_OF: Mapping[EventType, tuple[tuple[str, ...], str]] = {
    EventType.WITHDRAWN: (("designation", "title"), "a withdrawal names the designation or the title it takes back"),
}


@attrs.frozen
class CarrierReader:
    source: Source

    def fail(self, path: tuple[Any, ...], message: str) -> CarrierError:
        return self.source.error(CarrierError, path, message)  # type: ignore[return-value]

    def mapping(self, value: Any, path: tuple[Any, ...], allowed: tuple[str, ...]) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected a mapping, got {type(value).__name__}")
        for key in value:
            if key not in allowed and key != "$schema":
                raise self.fail(path + (key,), f"unknown field; expected one of: {', '.join(allowed)}")
        return value

    def required(self, data: Mapping[str, Any], key: str, path: tuple[Any, ...]) -> Any:
        if data.get(key) is None:
            raise self.fail(path + (key,), "required field is missing")
        return data[key]

    def text(self, value: Any, path: tuple[Any, ...]) -> str:
        problem = text_problem(value)
        if problem:
            raise self.fail(path, problem)
        return value  # type: ignore[no-any-return]

    def convert(self, func: Any, value: Any, path: tuple[Any, ...], *args: Any) -> Any:
        try:
            return func(*args, value)
        except ValueError as exc:
            raise self.fail(path, str(exc)) from None

    def carrier(self, data: Any) -> Carrier:
        data = self.mapping(data, (), _CARRIER_KEYS)
        cid = self.text(self.required(data, "id", ()), ("id",))
        name = self.text(self.required(data, "name", ()), ("name",))
        kind = self.convert(parse_enum, self.required(data, "kind", ()), ("kind",), CarrierKind)
        area = data.get("area")
        if area is not None:
            area = self.text(area, ("area",))
        facts: tuple[tuple[str, Any], ...] = ()
        if data.get("facts") is not None:
            raw_facts = data["facts"]
            if not isinstance(raw_facts, Mapping):
                raise self.fail(("facts",), f"expected a mapping of facts, got {type(raw_facts).__name__}")
            facts = self.facts(raw_facts, CARRIER_FACTS, ("facts",), "carrier fact")
        raw_events = data.get("events", [])
        if not isinstance(raw_events, list):
            raise self.fail(("events",), "expected a list of events")
        fields = [self.event(raw, ("events", i)) for i, raw in enumerate(raw_events)]
        events = _assign_ids(fields)
        try:
            return Carrier(id=cid, name=name, kind=kind, events=tuple(e for e, _ in events), area=area, facts=facts)
        except CarrierError as exc:
            raise self.fail(exc.path, exc.detail) from None  # type: ignore[attr-defined]

    def facts(
        self, raw: Mapping[str, Any], specs: Mapping[str, FactSpec], path: tuple[Any, ...], what: str,
    ) -> tuple[tuple[str, Any], ...]:
        """Facts checked against their declared types, sorted by name."""
        out = []
        for name, value in raw.items():
            spec = specs.get(name)
            if spec is None:
                known = ", ".join(sorted(specs)) or "none"
                raise self.fail(path + (name,), f"unknown {what} {name!r}{did_you_mean(name, specs)}; known: {known}")
            if value is None:
                continue
            if isinstance(value, list):
                if not spec.dated:
                    raise self.fail(path + (name,), f"{name} does not change over time: give one value, not a list")
                out.append((name, self.dated(value, spec, path + (name,))))
                continue
            out.append((name, self.convert(parse_fact, value, path + (name,), spec)))
        for name, spec in specs.items():
            if spec.required and raw.get(name) is None:
                raise self.fail(path + (name,), "required field is missing")
        return tuple(sorted(out))

    def dated(self, raw: list[Any], spec: FactSpec, path: tuple[Any, ...]) -> Dated:
        """A dated fact: ``[{from: date, value: v}, ...]`` in increasing order of ``from``."""
        if not raw:
            raise self.fail(path, "expected a value, or a non-empty list of {from, value}")
        values: list[tuple[datetime.date, Any]] = []
        for i, item in enumerate(raw):
            item = self.mapping(item, path + (i,), ("from", "value"))
            start = self.convert(parse_date, self.required(item, "from", path + (i,)), path + (i, "from"))
            value = self.convert(parse_fact, self.required(item, "value", path + (i,)), path + (i, "value"), spec)
            if values and start <= values[-1][0]:
                raise self.fail(path + (i, "from"), f"list the values in increasing order of 'from'; {start} is not after {values[-1][0]}")
            values.append((start, value))
        return Dated(tuple(values))

    def event(self, raw: Any, path: tuple[Any, ...]) -> tuple[dict[str, Any], tuple[Any, ...]]:
        if not isinstance(raw, Mapping):
            raise self.fail(path, f"expected a mapping, got {type(raw).__name__}")
        etype = self.convert(parse_enum, self.required(raw, "type", path), path + ("type",), EventType)
        spec = EVENT_TYPES[etype].fields
        extra = EVENT_FACTS.get(etype._value_, {})
        self.mapping(raw, path, COMMON_FIELDS + tuple(spec) + tuple(extra))
        fields: dict[str, Any] = {"type": etype}
        fields["date"] = self.convert(parse_date, self.required(raw, "date", path), path + ("date",))
        for name, need in spec.items():
            if need == "r":
                self.required(raw, name, path)
        if "id" in raw:
            fields["id"] = self.text(raw["id"], path + ("id",))
        for name in ("document", "note") + PAYMENT_TEXTS:
            if raw.get(name) is not None:
                fields[name] = self.text(raw[name], path + (name,))
        if raw.get("level") is not None:
            fields["level"] = self.convert(level_of, raw["level"], path + ("level",))
        if raw.get("kind") is not None:
            fields["kind"] = self.convert(parse_enum, raw["kind"], path + ("kind",), CarrierKind)
        if raw.get("award") is not None:
            fields["award"] = self.convert(parse_enum, raw["award"], path + ("award",), AwardKind)
        if raw.get("grade") is not None:
            fields["grade"] = self.convert(parse_enum, raw["grade"], path + ("grade",), Grade)
        if raw.get("amount") is not None:
            fields["amount"] = self.convert(whole_yuan, raw["amount"], path + ("amount",))
        if raw.get("year") is not None:
            year = raw["year"]
            if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 9999:
                raise self.fail(path + ("year",), f"expected a year such as 2024, got {year!r}")
            fields["year"] = year
            if etype is EventType.EVALUATED and fields["date"].year <= year:
                raise self.fail(
                    path + ("date",),
                    f"an evaluation of {year} cannot be dated {fields['date']}, before the end of {year}",
                )
        if extra:
            found = self.facts({k: raw[k] for k in extra if k in raw}, extra, path, f"{etype._value_} field")
            if found:
                fields["facts"] = found
        one_of = ONE_OF.get(etype)
        if one_of is not None and all(raw.get(name) is None for name in one_of[0]):
            raise self.fail(path, one_of[1])
        return fields, path


# --- the success path: the common shapes read with dictionary lookups ------------------

_LEVELS, _KINDS, _GRADES, _AWARDS = ({m._value_: m for m in cls} for cls in (Level, CarrierKind, Grade, AwardKind))
_PRESENT = ("level", "year", "grade", "amount")


def _quick_type(etype: EventType) -> tuple[EventType, frozenset[str], dict[tuple[bool, ...], int]]:
    """What the quick path knows of a type: the keys of its events without facts, and for each presence of
    (level, year, grade, amount) its events may have (required ones always, allowed ones or not), how many
    keys such an event has besides the rarer ones."""
    spec = EVENT_TYPES[etype].fields
    choices = ((True,) if spec.get(f) == "r" else (True, False) if f in spec else (False,) for f in _PRESENT)
    return etype, frozenset(COMMON_FIELDS + tuple(spec)), {shape: 3 + sum(shape) for shape in itertools.product(*choices)}


# the types whose facts are all optional and none of which must be given: their events without facts take the quick path
_TYPES = {t._value_: _quick_type(t) for t in EVENT_TYPES
          if t not in ONE_OF and not any(fact.required for fact in EVENT_FACTS.get(t._value_, {}).values())}
_CARRIER_QUICK_KEYS = frozenset(("$schema", "id", "name", "kind", "area", "facts", "events"))
_PAYMENT = EventType.PAYMENT_RECEIVED
_EVALUATED = EventType.EVALUATED
_DAYS: dict[str, datetime.date] = {}
_GOOD_TEXTS: set[str] = set()  # texts that passed ``text_problem`` (bounded): ids and document numbers recur
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def good_text(value: Any) -> bool:
    """True for a non-empty string without control characters (``text_problem`` finds nothing), remembered."""
    if value.__class__ is not str:
        return False
    if value in _GOOD_TEXTS:
        return True
    if not plain_text(value):
        return False
    if len(_GOOD_TEXTS) >= 100_000:
        _GOOD_TEXTS.clear()
    _GOOD_TEXTS.add(value)
    return True


def plain_text(value: Any) -> bool:
    """``good_text`` for a text that is not remembered (one that seldom recurs: a carrier's id or name)."""
    return value.__class__ is str and bool(value.strip()) and (value.isprintable() or bad_character(value) is None)


def _quick_day(value: str) -> datetime.date | None:
    """An ISO date's text as a date (remembered, bounded), or None."""
    found = None
    if _ISO_DAY.match(value):
        try:
            found = datetime.date.fromisoformat(value)
        except ValueError:
            return None
        if len(_DAYS) >= 50_000:
            _DAYS.clear()
        _DAYS[value] = found
    return found


def quick_carrier(data: Any, text: str | None = None) -> Carrier | None:
    """The carrier of plain data of a common shape, or None: the full reader then reads it (and names its
    problem, with its place).

    The common shape: no carrier facts; every event with its id, without facts,
    its values text, enum values, whole numbers and ISO dates as JSON and YAML
    give them. Every value is checked as the full reader checks it, and
    anything it would refuse gives None, so the data may come from
    ``documents.json_data`` (the C parser alone: no check of depth, number
    length, characters or repeated keys beyond those of the values read here);
    ``text``, the JSON text of such data, is then given to check its keys.
    """
    if data.__class__ is not dict or not data.keys() <= _CARRIER_QUICK_KEYS:
        return None
    # ``data.get(...)`` each time: in CPython 3.11 a method call is cheaper than calling a bound ``get`` kept aside
    cid, name, area, raw_events = data.get("id"), data.get("name"), data.get("area"), data.get("events", [])
    schema = data.get("$schema")
    try:
        kind = _KINDS.get(data.get("kind"))
        if (kind is None or raw_events.__class__ is not list or data.get("facts") is not None or not plain_text(cid)
                or not plain_text(name) or (area is not None and not plain_text(area))
                or (schema is not None and not good_text(schema))):
            return None
        history = tuple([_quick_event(raw) for raw in raw_events])
        if not all(history):  # an event refused (an Event is always true)
            return None
        check_events(history)
    except (CarrierError, KeyError, TypeError):  # a history the carrier refuses, a value none of the quick path's
        return None
    if text is not None and not keys_unique(text, _keys(data)):
        return None
    return built_carrier(cid, name, kind, history, area)


def quick_carrier_list(entries: Any) -> list[Carrier] | None:
    """The carriers of a list of entries each of ``quick_carrier``'s common shape, their ids not repeated; else None."""
    carriers = _each(entries, quick_carrier) if entries.__class__ is list else None
    return carriers if carriers is not None and len({c.id for c in carriers}) == len(carriers) else None


class QuickEntries:
    """``read``: ``quick_carrier`` of each entry of a JSON text's list of carriers as ``documents.json_data_each``
    hands it over, counting the keys the entries read hold (``keys``, for ``documents.keys_unique``)."""

    def __init__(self) -> None:
        self.keys = 0

    def read(self, entry: Any) -> Carrier | None:
        """The carrier of one entry, or None."""
        carrier = quick_carrier(entry)
        if carrier is not None:
            self.keys += _keys(entry)
        return carrier


def quick_keys(entries: list[dict[str, Any]]) -> int:
    """How many keys the data of quickly read carriers holds, with their events' (the only mappings it holds):
    for ``documents.keys_unique``."""
    return sum(map(_keys, entries))


def _keys(data: dict[str, Any]) -> int:
    return len(data) + sum(map(len, data.get("events", ())))


def _each(items: list[Any], read: Callable[[Any], Any]) -> list[Any] | None:
    """``read`` of every item, or None as soon as one gives None."""
    out = []
    for item in items:
        found = read(item)
        if found is None:
            return None
        out.append(found)
    return out


def _quick_event(raw: Any) -> Event | None:
    """An event of a common shape (see ``quick_carrier``), checked and built; None for anything else, or
    KeyError or TypeError (for a type, a level or a grade that is none of the quick path's)."""
    if raw.__class__ is not dict:
        return None
    etype, allowed, shapes = _TYPES[raw["type"]]
    level, year, grade, amount = raw.get("level"), raw.get("year"), raw.get("grade"), raw.get("amount")
    count = shapes.get((level is not None, year is not None, grade is not None, amount is not None))
    eid, day = raw["id"], raw["date"]
    day = _DAYS.get(day) or _quick_day(day) if day.__class__ is str else day if day.__class__ is datetime.date else None
    if day is None or count is None or not (eid in _GOOD_TEXTS or good_text(eid)):
        return None
    if level is not None:
        level = _LEVELS[level]
    if grade is not None:
        grade = _GRADES[grade]
    if year is not None and (year.__class__ is not int or not 1900 <= year <= 9999 or (etype is _EVALUATED and day.year <= year)):
        return None
    if amount is not None and (amount.__class__ is not int or not 0 <= amount < MAX_AMOUNT):
        return None
    if len(raw) == count:  # id, type, date and those the shape allows: nothing more to read, no other key
        return built_event(eid, etype, day, level, None, year, grade, amount)
    if not raw.keys() <= allowed:
        return None
    kind, document, note = raw.get("kind"), raw.get("document"), raw.get("note")
    if ((kind is not None and kind not in _KINDS) or (document is not None and not good_text(document))
            or (note is not None and not good_text(note))):
        return None
    if etype is not _PAYMENT:
        return built_event(eid, etype, day, level, _KINDS.get(kind), year, grade, None, document, note)
    award, texts = raw.get("award"), [raw.get(name) for name in PAYMENT_TEXTS]
    if (award is not None and award not in _AWARDS) or any(t is not None and not good_text(t) for t in texts):
        return None
    return built_event(eid, _PAYMENT, day, level, _KINDS.get(kind), year, grade, amount, document, note,
                       _AWARDS.get(award), *texts)


def _assign_ids(raw: list[tuple[dict[str, Any], tuple[Any, ...]]]) -> list[tuple[Event, tuple[Any, ...]]]:
    """Build events; those without an id get one derived from their content, not their position."""
    for f, _ in raw:
        if "id" not in f:
            break
    else:  # every event has its id, as in files this library writes: nothing to derive
        return [(Event(**f), path) for f, path in raw]
    explicit = {f["id"] for f, _ in raw if "id" in f}
    keyed = sorted(
        (i for i, (f, _) in enumerate(raw) if "id" not in f),
        key=lambda i: (raw[i][0]["date"], raw[i][0]["type"].rank, canonical_json(_enum_values(raw[i][0]))),
    )
    ids: dict[int, str] = {}
    used = set(explicit)
    for i in keyed:
        f = raw[i][0]
        base = f"{f['date'].isoformat()}-{f['type'].value}"
        if f.get("level") is not None:
            base += f"-{f['level'].value}"
        candidate, n = base, 1
        while candidate in used:
            n += 1
            candidate = f"{base}-{n}"
        used.add(candidate)
        ids[i] = candidate
    out = []
    for i, (f, path) in enumerate(raw):
        fields = dict(f)
        fields.setdefault("id", ids.get(i))
        out.append((Event(**fields), path))
    return out


def _enum_values(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.value if isinstance(v, enum.Enum) else v) for k, v in fields.items()}


# --- the schema of a carrier file --------------------------------------------------

_PAYMENT_DESCRIPTIONS = {
    "plan": "id of the ruleset whose award the payment pays (e.g. the default ruleset's id); another id: money of another plan",
    "payer": "who paid",
    "settles": "id of the accreditation, filing or evaluation event whose award it pays",
    "voucher": "the payment voucher's number",
}
_TEXT = {"$ref": "#/definitions/text"}
_NULL = {"type": "null"}


def event_field(name: str) -> Schema:
    """The schema of an optional event field."""
    if name == "level":
        return level_schema()
    if name == "kind":
        return {"enum": enum_values(CarrierKind)}
    if name == "grade":
        return {"enum": enum_values(Grade)}
    if name == "year":
        return {"type": "integer", "minimum": 1900, "maximum": 9999, "description": "the year evaluated (paid for, on a payment)"}
    if name == "amount":
        return {"$ref": "#/definitions/amount"}
    if name == "award":
        return {"enum": enum_values(AwardKind), "description": "what a payment pays; construction_subsidy when not given"}
    if name in _PAYMENT_DESCRIPTIONS:
        return {"$ref": "#/definitions/text", "description": _PAYMENT_DESCRIPTIONS[name]}
    raise KeyError(f"no schema for the event field {name!r}; add it to files/carrier.py (event_field)")


_FACT_SCHEMAS: dict[str, Schema] = {
    "text": {"$ref": "#/definitions/text"},
    "bool": {"type": "boolean"},
    "date": {"$ref": "#/definitions/date"},
    "yuan": {"$ref": "#/definitions/amount"},
    "price": {"type": "number", "minimum": 0, "maximum": 10**9},
    "number": {"type": "number", "minimum": 0},
    "level": {"enum": enum_values(Level)},
}


def fact_schema(spec: FactSpec) -> Schema:
    """The schema of one fact of ``model.facts``, with its unit and label as description."""
    out = copy.deepcopy(_FACT_SCHEMAS[spec.type])
    out["description"] = f"{spec.en} ({spec.zh})" + (f", in {spec.unit}" if spec.unit else "")
    return out


def _dated(spec: FactSpec) -> Schema:
    """A dated fact: its values from dates, earliest first."""
    return {"type": "array", "minItems": 1, "description": "the value from each date, earliest first", "items": {
        "type": "object", "required": ["from", "value"], "additionalProperties": False,
        "properties": {"from": {"$ref": "#/definitions/date"}, "value": fact_schema(spec)},
    }}


def facts_schema() -> Schema:
    """The schema of a carrier's facts (``model.facts.CARRIER_FACTS``); a dated one may be a list of ``{from, value}``."""
    return {
        "type": "object", "description": "facts about the carrier (model.facts.CARRIER_FACTS); a dated one may be a list of {from, value}",
        "additionalProperties": False,
        "properties": {name: {"anyOf": [fact_schema(spec), _NULL] + ([_dated(spec)] if spec.dated else [])}
                       for name, spec in CARRIER_FACTS.items()},
    }


def event_branch(etype: EventType) -> Schema:
    """The branch of the event schema for one event type: the fields ``EVENT_TYPES`` and ``EVENT_FACTS`` give it."""
    fields = EVENT_TYPES[etype].fields
    optional_text = {"anyOf": [_TEXT, _NULL]}
    properties: Schema = {
        "id": _TEXT, "type": True, "date": {"$ref": "#/definitions/date"},
        "document": optional_text, "note": copy.deepcopy(optional_text),
    }
    for name, need in fields.items():
        properties[name] = event_field(name) if need == "r" else {"anyOf": [event_field(name), _NULL]}
    facts = EVENT_FACTS.get(etype.value, {})
    for name, spec in facts.items():
        properties[name] = fact_schema(spec) if spec.required else {"anyOf": [fact_schema(spec), _NULL]}
    return {
        "if": {"properties": {"type": {"const": etype.value}}, "required": ["type"]},
        "then": {
            "properties": properties,
            "required": ["type", "date", *(name for name, need in fields.items() if need == "r"),
                         *(name for name, spec in facts.items() if spec.required)],
            "additionalProperties": False,
        },
    }


CARRIER = Shape(
    (
        Field("$schema", {"type": "string"}),
        Field("id", _TEXT, required=True),
        Field("name", _TEXT, required=True),
        Field("kind", {"enum": enum_values(CarrierKind)}, required=True),
        Field("area", _TEXT, nullable=True),
        Field("facts", facts_schema),
        Field("events", {"type": "array", "items": {"$ref": "#/definitions/event"}}),
    ),
)
_CARRIER_KEYS = CARRIER.keys


def carrier_schema() -> FileSchema:
    """The JSON Schema of carrier files (``schemas/carrier.schema.json``)."""
    return FileSchema(
        "carrier",
        "incubator-rules carrier",
        "An incubation carrier and the dated events of its history.",
        root=CARRIER,
        definitions={
            "text": TEXT,
            "date": DATE,
            "amount": AMOUNT,
            "event": {
                "type": "object",
                "required": ["type", "date"],
                "properties": {"type": {"enum": enum_values(EventType)}},
                "allOf": [event_branch(etype) for etype in EVENT_TYPES],
            },
        },
    )


register_reader("carrier", carrier_from_dict)
