"""Incubation carriers and the dated events of their history."""

from __future__ import annotations

import datetime
import enum
import hashlib
import re
from decimal import Decimal
from json.encoder import (
    encode_basestring as _quote,  # a JSON string as with ensure_ascii=False
)
from pathlib import Path
from typing import Any, Mapping

import attrs

from .documents import Source, canonical_json, read_document
from .errors import CarrierError, IncubatorRulesError


class CarrierKind(str, enum.Enum):
    """Kinds of incubation carrier (Wanzhou interpretation, Q1)."""

    MAKER_SPACE = "maker_space"
    STAR_INNOVATION_SPACE = "star_innovation_space"
    INCUBATOR = "incubator"
    UNIVERSITY_SCIENCE_PARK = "university_science_park"
    LARGE_INCUBATION_PARK = "large_incubation_park"
    LARGE_INNOVATION_COMMUNITY = "large_innovation_community"
    UNIVERSITY_INNOVATION_ECOSYSTEM = "university_innovation_ecosystem"


class Level(str, enum.Enum):
    """Accreditation levels, lowest first."""

    DISTRICT = "district"
    MUNICIPAL = "municipal"
    NATIONAL = "national"

    @property
    def rank(self) -> int:
        """0 for district, 1 for municipal, 2 for national."""
        return _LEVEL_RANK[self]


class Grade(str, enum.Enum):
    """Performance-evaluation grades (national index system: A, B, C, D)."""

    EXCELLENT = "excellent"
    GOOD = "good"
    PASS = "pass"
    FAIL = "fail"


class EventType(str, enum.Enum):
    """What happened to a carrier. Same-day events are ordered as listed here."""

    OPERATION_STARTED = "operation_started"
    ACCREDITED = "accredited"
    FILED = "filed"
    PAYMENT_RECEIVED = "payment_received"
    EVALUATED = "evaluated"
    SUSPENDED = "suspended"
    RECTIFICATION_ORDERED = "rectification_ordered"
    RESUMED = "resumed"
    RECTIFICATION_COMPLETED = "rectification_completed"
    DELISTED = "delisted"

    @property
    def rank(self) -> int:
        """Position among same-day events."""
        return _EVENT_RANK[self]

    @property
    def is_accreditation(self) -> bool:
        """Accreditation (incubators) and filing (maker spaces) count alike."""
        return self is EventType.ACCREDITED or self is EventType.FILED


_LEVEL_RANK = {level: i for i, level in enumerate(Level)}
_EVENT_RANK = {etype: i for i, etype in enumerate(EventType)}


# Which optional fields each event type requires (r) or allows (o).
_EVENT_FIELDS: dict[EventType, dict[str, str]] = {
    EventType.OPERATION_STARTED: {},
    EventType.ACCREDITED: {"level": "r", "kind": "o"},
    EventType.FILED: {"level": "r", "kind": "o"},
    EventType.PAYMENT_RECEIVED: {"level": "r", "amount": "r", "kind": "o"},
    EventType.EVALUATED: {"level": "r", "year": "r", "grade": "r"},
    EventType.SUSPENDED: {},
    EventType.RECTIFICATION_ORDERED: {},
    EventType.RESUMED: {},
    EventType.RECTIFICATION_COMPLETED: {},
    EventType.DELISTED: {},
}
_COMMON_FIELDS = ("id", "type", "date", "document", "note")


@attrs.frozen
class Event:
    """One dated event in a carrier's history.

    ``level`` is the level accredited, evaluated or paid for; ``kind`` the
    carrier kind an accreditation or payment was for, when it differs from the
    carrier's own; ``year`` and ``grade`` describe an evaluation; ``amount`` is
    a payment received, in whole yuan; ``document`` the accrediting
    document's number when known.
    """

    id: str
    type: EventType
    date: datetime.date
    level: Level | None = None
    kind: CarrierKind | None = None
    year: int | None = None
    grade: Grade | None = None
    amount: int | None = None
    document: str | None = None
    note: str | None = None

    @property
    def sort_key(self) -> tuple[datetime.date, int, str]:
        """Chronological order; same-day events by type, then by id."""
        return (self.date, _EVENT_RANK[self.type], self.id)

    def to_dict(self) -> dict[str, Any]:
        """Plain data, omitting empty fields; the inverse of ``Carrier.from_dict``'s event reading."""
        out: dict[str, Any] = {"id": self.id, "type": self.type._value_, "date": self.date.isoformat()}
        if self.level is not None:
            out["level"] = self.level._value_
        if self.kind is not None:
            out["kind"] = self.kind._value_
        if self.year is not None:
            out["year"] = self.year
        if self.grade is not None:
            out["grade"] = self.grade._value_
        if self.amount is not None:
            out["amount"] = self.amount
        if self.document is not None:
            out["document"] = self.document
        if self.note is not None:
            out["note"] = self.note
        return out

    def canonical_json(self) -> str:
        """``canonical_json(self.to_dict())``, written out directly: it is on every evaluation's path."""
        day = _ISO.get(self.date) or iso_date(self.date)
        if self.amount is None and self.document is None and self.kind is None and self.note is None:
            # the two commonest shapes: an evaluation, and an event with no details
            if self.grade is not None and self.level is not None and self.year is not None:
                return (f'{{"date":"{day}","grade":"{self.grade._value_}","id":{_quote(self.id)},'
                        f'"level":"{self.level._value_}","type":"{self.type._value_}","year":{self.year}}}')
            if self.grade is None and self.level is None and self.year is None:
                return f'{{"date":"{day}","id":{_quote(self.id)},"type":"{self.type._value_}"}}'
        return (
            f'{{{"" if self.amount is None else f""""amount":{self.amount},"""}"date":"{day}",'
            f'{"" if self.document is None else f""""document":{_quote(self.document)},"""}'
            f'{"" if self.grade is None else f""""grade":"{self.grade._value_}","""}"id":{_quote(self.id)},'
            f'{"" if self.kind is None else f""""kind":"{self.kind._value_}","""}'
            f'{"" if self.level is None else f""""level":"{self.level._value_}","""}'
            f'{"" if self.note is None else f""""note":{_quote(self.note)},"""}'
            f'"type":"{self.type._value_}"{"" if self.year is None else f""","year":{self.year}"""}}}'
        )


_ISO: dict[datetime.date, str] = {}


def iso_date(day: datetime.date) -> str:
    """``day.isoformat()``, remembered (bounded): the same dates recur across a district's histories."""
    found = _ISO.get(day)
    if found is None:
        if len(_ISO) >= 50_000:
            _ISO.clear()
        found = _ISO[day] = day.isoformat()
    return found


def _event_order(event: Event) -> tuple[datetime.date, int, str]:
    return (event.date, _EVENT_RANK[event.type], event.id)


@attrs.frozen
class Carrier:
    """An incubation carrier: who it is, and its history of events (in input order)."""

    id: str
    name: str
    kind: CarrierKind
    events: tuple[Event, ...] = ()
    area: str | None = None

    @property
    def timeline(self) -> tuple[Event, ...]:
        """The events in chronological order, independent of input order."""
        return tuple(sorted(self.events, key=_event_order))

    def events_until(self, as_of: datetime.date) -> tuple[Event, ...]:
        """The chronological events dated on or before ``as_of``."""
        return until(self.timeline, as_of)

    def to_dict(self) -> dict[str, Any]:
        """Plain data in the shape ``from_dict`` reads."""
        out: dict[str, Any] = {"id": self.id, "name": self.name, "kind": self.kind.value}
        if self.area is not None:
            out["area"] = self.area
        out["events"] = [e.to_dict() for e in self.events]
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """JSON with a stable key order."""
        import json

        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @property
    def digest(self) -> str:
        """sha256 of the carrier's canonical form; input event order does not matter."""
        return self.digest_of(self.timeline)

    def digest_of(self, timeline: tuple[Event, ...]) -> str:
        """``digest``, given this carrier's ``timeline`` already sorted."""
        area = "" if self.area is None else f'"area":{_quote(self.area)},'
        events = ",".join([e.canonical_json() for e in timeline])
        text = f'{{{area}"events":[{events}],"id":{_quote(self.id)},"kind":"{self.kind._value_}","name":{_quote(self.name)}}}'
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @classmethod
    def from_dict(cls, data: Any, source: Source | None = None) -> "Carrier":
        """Read and validate a carrier from plain data (as loaded from YAML or JSON)."""
        return _CarrierReader(source or Source()).carrier(data)


def until(timeline: tuple[Event, ...], as_of: datetime.date) -> tuple[Event, ...]:
    """The events of a chronological ``timeline`` dated on or before ``as_of``."""
    if not timeline or timeline[-1].date <= as_of:
        return timeline
    return tuple(e for e in timeline if e.date <= as_of)


def load_carrier(path: str | Path) -> Carrier:
    """Load a carrier from a YAML or JSON file; errors name the file, line and field."""
    doc = read_document(path)
    return Carrier.from_dict(doc.data, doc.source)


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def parse_date(value: Any) -> datetime.date:
    """A date from a ``date`` or an ISO ``YYYY-MM-DD`` string; raises ValueError otherwise."""
    if isinstance(value, datetime.datetime):
        raise ValueError(f"expected a date without a time, got {value!r}")
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        if _ISO_DAY.match(value):
            try:
                return datetime.date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r} (no such day)") from None
        shown = repr(value) if len(value) <= 40 else repr(value[:30]) + "..."
        raise ValueError(f"expected a date as YYYY-MM-DD, got {shown}")
    raise ValueError(f"expected a date as YYYY-MM-DD, got {type(value).__name__} {value!r}")


def as_of_date(value: datetime.date | str | None) -> datetime.date:
    """The as-of date of an evaluation or assessment: today when None; bad values raise naming ``as_of``."""
    if value is None:
        return datetime.date.today()
    try:
        return parse_date(value)
    except ValueError as exc:
        raise IncubatorRulesError(str(exc), field="as_of") from None


def parse_enum(enum_type: type[enum.Enum], value: Any) -> Any:
    """An enum member from its value; raises ValueError listing the allowed values."""
    if isinstance(value, enum_type):
        return value
    try:
        return enum_type(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_type)
        raise ValueError(f"unknown {enum_type.__name__} {value!r}; expected one of: {allowed}") from None


def whole_yuan(value: Any) -> int:
    """An exact whole number of yuan; raises ValueError for fractions, floats and non-numbers."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        shown = repr(value) if isinstance(value, (str, float, type(None))) else type(value).__name__
        raise ValueError(f"expected a whole number of yuan, got {shown[:60]}")
    if isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            raise ValueError(f"expected a whole number of yuan, got {value}")
        if value < 0:
            raise ValueError(f"an amount cannot be negative, got {value}")
        if value.adjusted() >= 15:  # checked before int(): 1e999999999 would exhaust memory
            raise ValueError(f"an amount of {value} yuan is implausibly large")
        value = int(value)
    if value < 0:
        raise ValueError("an amount cannot be negative, got " + (str(value) if value > -10**15 else "a huge negative number"))
    if value >= 10**15:
        raise ValueError(f"an amount of about {value.bit_length() * 3 // 10} digits is implausibly large")
    return int(value)


@attrs.frozen
class _CarrierReader:
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
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, f"expected a non-empty string, got {value!r}")
        return value

    def convert(self, func: Any, value: Any, path: tuple[Any, ...], *args: Any) -> Any:
        try:
            return func(*args, value)
        except ValueError as exc:
            raise self.fail(path, str(exc)) from None

    def carrier(self, data: Any) -> Carrier:
        data = self.mapping(data, (), ("id", "name", "kind", "area", "events"))
        cid = self.text(self.required(data, "id", ()), ("id",))
        name = self.text(self.required(data, "name", ()), ("name",))
        kind = self.convert(parse_enum, self.required(data, "kind", ()), ("kind",), CarrierKind)
        area = data.get("area")
        if area is not None:
            area = self.text(area, ("area",))
        raw_events = data.get("events", [])
        if not isinstance(raw_events, list):
            raise self.fail(("events",), "expected a list of events")
        fields = [self.event(raw, ("events", i)) for i, raw in enumerate(raw_events)]
        events = _assign_ids(fields)
        self.check_history(events)
        return Carrier(id=cid, name=name, kind=kind, events=tuple(e for e, _ in events), area=area)

    def event(self, raw: Any, path: tuple[Any, ...]) -> tuple[dict[str, Any], tuple[Any, ...]]:
        if not isinstance(raw, Mapping):
            raise self.fail(path, f"expected a mapping, got {type(raw).__name__}")
        etype = self.convert(parse_enum, self.required(raw, "type", path), path + ("type",), EventType)
        spec = _EVENT_FIELDS[etype]
        self.mapping(raw, path, _COMMON_FIELDS + tuple(spec))
        fields: dict[str, Any] = {"type": etype}
        fields["date"] = self.convert(parse_date, self.required(raw, "date", path), path + ("date",))
        for name, need in spec.items():
            if need == "r":
                self.required(raw, name, path)
        if "id" in raw:
            fields["id"] = self.text(raw["id"], path + ("id",))
        for name in ("document", "note"):
            if raw.get(name) is not None:
                fields[name] = self.text(raw[name], path + (name,))
        if raw.get("level") is not None:
            fields["level"] = self.convert(parse_enum, raw["level"], path + ("level",), Level)
        if raw.get("kind") is not None:
            fields["kind"] = self.convert(parse_enum, raw["kind"], path + ("kind",), CarrierKind)
        if raw.get("grade") is not None:
            fields["grade"] = self.convert(parse_enum, raw["grade"], path + ("grade",), Grade)
        if raw.get("amount") is not None:
            fields["amount"] = self.convert(whole_yuan, raw["amount"], path + ("amount",))
        if raw.get("year") is not None:
            year = raw["year"]
            if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 9999:
                raise self.fail(path + ("year",), f"expected a year such as 2024, got {year!r}")
            fields["year"] = year
            if fields["date"].year <= year:
                raise self.fail(
                    path + ("date",),
                    f"an evaluation of {year} cannot be dated {fields['date']}, before the end of {year}",
                )
        return fields, path

    def check_history(self, events: list[tuple[Event, tuple[Any, ...]]]) -> None:
        seen: dict[str, tuple[Any, ...]] = {}
        for event, path in events:
            if event.id in seen:
                raise self.fail(path + ("id",), f"duplicate event id {event.id!r} (also at {_name(seen[event.id])})")
            seen[event.id] = path
        suspended = rectifying = False
        for event, path in sorted(events, key=lambda ep: ep[0].sort_key):
            if event.type is EventType.SUSPENDED:
                suspended = True
            elif event.type is EventType.RESUMED:
                if not suspended:
                    raise self.fail(path + ("type",), f"resumption on {event.date} with no suspension before it")
                suspended = False
            elif event.type is EventType.RECTIFICATION_ORDERED:
                rectifying = True
            elif event.type is EventType.RECTIFICATION_COMPLETED:
                if not rectifying:
                    raise self.fail(
                        path + ("type",), f"rectification completed on {event.date} with none ordered before it"
                    )
                rectifying = False


def _name(path: tuple[Any, ...]) -> str:
    from .documents import field_name

    return field_name(path)


def _assign_ids(raw: list[tuple[dict[str, Any], tuple[Any, ...]]]) -> list[tuple[Event, tuple[Any, ...]]]:
    """Build events; those without an id get one derived from their content, not their position."""
    explicit = {f["id"] for f, _ in raw if "id" in f}
    keyed = sorted(
        (i for i, (f, _) in enumerate(raw) if "id" not in f),
        key=lambda i: (raw[i][0]["date"], raw[i][0]["type"].rank, canonical_json(_plain(raw[i][0]))),
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


def _plain(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.value if isinstance(v, enum.Enum) else v) for k, v in fields.items()}
