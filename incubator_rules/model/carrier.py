"""Incubation carriers and the dated events of their history."""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import enum
import hashlib
import operator
import re
from decimal import Decimal
from json.encoder import (
    encode_basestring as _quote,  # a JSON string as with ensure_ascii=False
)
from typing import Any, Iterator, Mapping, Sequence

import attrs

from ..documents import Source, canonical_json, dump_json, field_name, string_problem
from ..errors import CarrierError, IncubatorRulesError
from .display import reader
from .facts import Dated, FactSpec, did_you_mean, fact_json
from .twin import writable_twin


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
    """Accreditation levels, lowest first: the four every ruleset knows, and levels a ruleset declares.

    A ruleset may declare levels beyond these four (a county, a street, a
    park: ``files.ruleset``); each is a ``Level`` too (``Level.extra``), so
    events stay typed, but a file may name one only where the ruleset it is
    read or evaluated against declares it (``level_of``).
    """

    DISTRICT = "district"
    MUNICIPAL = "municipal"
    PROVINCIAL = "provincial"
    NATIONAL = "national"

    @property
    def rank(self) -> int:
        """The level's place, lowest first: district, municipal, provincial, national; a declared level ranks
        below district here (on a ruleset's ladders it ranks where the ruleset lists it: ``Ruleset.rank``)."""
        return _LEVEL_RANK.get(self, -1)

    @property
    def builtin(self) -> bool:
        """One of the four levels every ruleset knows (not one a ruleset declares)."""
        return self._value_ in _BUILTIN_LEVELS

    @classmethod
    def extra(cls, value: str) -> "Level":
        """The level a ruleset declares under this id (a built-in level for a built-in id); raises ValueError for
        an id that is not lower-case letters, digits and underscores starting with a letter."""
        if value in _BUILTIN_LEVELS:
            return cls(value)
        found = _EXTRA_LEVELS.get(value)
        if found is None:
            if not isinstance(value, str) or not LEVEL_ID.match(value):
                raise ValueError(f"a level id is lower-case letters, digits and underscores, starting with a letter "
                                 f"(e.g. county), got {value!r}"[:160])
            if value in ("true", "false", "null"):  # unquoted in an event or a filter it is a boolean or null, not this id
                raise ValueError(f"{value!r} reads as {'null' if value == 'null' else 'a boolean'} in YAML wherever it "
                                 f"is not a key: give the level another id")
            found = str.__new__(cls, value)
            found._value_ = value
            found._name_ = value.upper()
            found.__objclass__ = cls  # type: ignore[attr-defined]
            _EXTRA_LEVELS[value] = found
            _level_json(found)
        return found

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_level, (self._value_,))


LEVEL_ID = re.compile(r"[a-z][a-z0-9_]{0,39}\Z")
# LEVEL_ID for a JSON Schema, without the three words YAML reads as a boolean or null (``Level.extra`` refuses them)
LEVEL_ID_PATTERN = "^(?!(true|false|null)$)[a-z][a-z0-9_]{0,39}$"


def level_schema(description: str | None = None) -> dict[str, Any]:
    """The JSON Schema of a level a file names: a built-in one, or an id a ruleset declares."""
    out: dict[str, Any] = {"anyOf": [{"enum": [m.value for m in Level]},
                                     {"type": "string", "pattern": LEVEL_ID_PATTERN,
                                      "description": "a level the ruleset declares beyond the built-in four (e.g. county)"}]}
    if description is not None:
        out["description"] = description
    return out
_BUILTIN_LEVELS = frozenset(m.value for m in Level)
_EXTRA_LEVELS: dict[str, Level] = {}


def _level(value: str) -> Level:
    return Level.extra(value)


# The ids of the levels, beyond the built-in four, that carriers read in this context may name (``reading_levels``).
_LEVELS_READ: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar("levels_read", default=frozenset())


@contextlib.contextmanager
def reading_levels(levels: Any) -> Iterator[None]:
    """Within the block, carriers and events read or built may name the levels ``levels`` declares beyond the
    built-in four (a ruleset, its ``levels`` mapping, or level ids): the ruleset they will be evaluated against."""
    declared = getattr(levels, "levels", levels)
    ids = frozenset(getattr(lv, "_value_", lv) for lv in declared) - _BUILTIN_LEVELS
    token = _LEVELS_READ.set(_LEVELS_READ.get() | ids)
    try:
        yield
    finally:
        _LEVELS_READ.reset(token)


def check_levels(carrier: "Carrier", declared: Any, ruleset_id: str = "") -> None:
    """Raise CarrierError (naming the event and field) when an event carries a level beyond the built-in four that
    ``declared`` (a ruleset's ``levels``) does not declare: such a level means nothing to that ruleset."""
    if not _EXTRA_LEVELS:  # no level beyond the built-in four exists in this process
        return
    for i, event in enumerate(carrier.events):
        level = event.level
        if level is not None and level._value_ not in _BUILTIN_LEVELS and level not in declared:
            known = [lv._value_ for lv in declared]
            error = _invalid(("events", i, "level"), f"event {event.id!r}: level {level._value_!r} is not declared by ruleset "
                                                      f"{ruleset_id} (its levels: {', '.join(known)}){did_you_mean(level._value_, known)}")
            error.message = f"carrier {carrier.id!r}: {error.message}"
            error.args = (str(error),)
            raise error


def level_of(value: Any, declared: Any = None) -> Level:
    """The ``Level`` a file names: a built-in level, or one of ``declared`` (the ids a ruleset declares beyond the
    built-in four; by default those of ``reading_levels``); raises ValueError listing the levels allowed, with a
    "did you mean"."""
    if declared is None:
        declared = _LEVELS_READ.get()
    if isinstance(value, Level):
        if value.builtin or value._value_ in declared:
            return value
        value = value._value_
    if isinstance(value, str):
        if value in _BUILTIN_LEVELS:
            return Level(value)
        if value in declared:
            return Level.extra(value)
    allowed = [m.value for m in Level] + [d for d in declared if d not in _BUILTIN_LEVELS]
    hint = did_you_mean(value, allowed) if isinstance(value, str) else ""
    raise ValueError(f"unknown Level {value!r}{hint}; expected one of: {', '.join(allowed)}")


class Grade(str, enum.Enum):
    """Performance-evaluation grades (national index system: A, B, C, D)."""

    EXCELLENT = "excellent"
    GOOD = "good"
    PASS = "pass"
    FAIL = "fail"


class AwardKind(str, enum.Enum):
    """What a payment pays: the one-time construction subsidy (建设经费补助), an excellence award, or other money."""

    CONSTRUCTION_SUBSIDY = "construction_subsidy"
    EXCELLENCE = "excellence"
    OTHER = "other"


class EventType(str, enum.Enum):
    """What happened to a carrier. Same-day events are ordered as listed here (and in ``EVENT_TYPES``)."""

    OPERATION_STARTED = "operation_started"
    ACCREDITED = "accredited"
    FILED = "filed"
    PAYMENT_RECEIVED = "payment_received"
    EVALUATED = "evaluated"
    TITLE_AWARDED = "title_awarded"
    DESIGNATED = "designated"
    FIRM_INTRODUCED = "firm_introduced"
    FIRM_CERTIFIED = "firm_certified"
    TENANCY = "tenancy"
    SPENDING = "spending"
    INVESTMENT = "investment"
    TASK_RESULT = "task_result"
    WITHDRAWN = "withdrawn"
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


@attrs.frozen
class EventSpec:
    """What an event of one type carries, and what it does to normal operation.

    ``fields`` names the optional event fields the type requires (``r``) or
    allows (``o``); ``operation`` is its effect on one of the
    ``OPERATION_STATES`` (the state, and whether the carrier is now in it),
    or None; ``starts`` is true when normal operation can begin with it;
    ``unmatched``, for a type that ends a state, is the error when the
    history never entered that state (``{date}`` is the event's date).
    """

    fields: Mapping[str, str] = attrs.field(factory=dict)
    operation: tuple[int, bool] | None = None
    starts: bool = False
    unmatched: str | None = None


# The states that take a carrier out of normal operation.
OPERATION_STATES = ("suspended", "rectifying", "delisted")
SUSPENDED_STATE, RECTIFYING_STATE, DELISTED_STATE = range(3)

# The event types, in same-day order, with their fields and their effect on normal operation.
EVENT_TYPES: dict[EventType, EventSpec] = {
    EventType.OPERATION_STARTED: EventSpec(starts=True),
    EventType.ACCREDITED: EventSpec({"level": "r", "kind": "o"}, (DELISTED_STATE, False), starts=True),
    EventType.FILED: EventSpec({"level": "r", "kind": "o"}, (DELISTED_STATE, False), starts=True),
    EventType.PAYMENT_RECEIVED: EventSpec({
        "level": "r", "amount": "r", "kind": "o", "award": "o", "year": "o", "plan": "o", "payer": "o",
        "settles": "o", "voucher": "o",
    }),
    EventType.EVALUATED: EventSpec({"level": "r", "year": "r", "grade": "r", "kind": "o"}),
    # fact events: what they carry beyond these fields is declared in ``model.facts.EVENT_FACTS``
    EventType.TITLE_AWARDED: EventSpec({"level": "o"}),
    EventType.DESIGNATED: EventSpec({"level": "o"}),
    EventType.FIRM_INTRODUCED: EventSpec(),
    EventType.FIRM_CERTIFIED: EventSpec({"level": "o"}),
    EventType.TENANCY: EventSpec(),
    EventType.SPENDING: EventSpec({"amount": "r", "year": "o"}),
    EventType.INVESTMENT: EventSpec({"amount": "r"}),
    EventType.TASK_RESULT: EventSpec({"level": "o", "grade": "o"}),
    EventType.WITHDRAWN: EventSpec({"level": "o"}),  # one designation or title taken back; the carrier operates on
    EventType.SUSPENDED: EventSpec(operation=(SUSPENDED_STATE, True)),
    EventType.RECTIFICATION_ORDERED: EventSpec(operation=(RECTIFYING_STATE, True)),
    EventType.RESUMED: EventSpec(
        operation=(SUSPENDED_STATE, False), starts=True, unmatched="resumption on {date} with no suspension before it",
    ),
    EventType.RECTIFICATION_COMPLETED: EventSpec(
        operation=(RECTIFYING_STATE, False), starts=True,
        unmatched="rectification completed on {date} with none ordered before it",
    ),
    EventType.DELISTED: EventSpec(operation=(DELISTED_STATE, True)),
}
COMMON_FIELDS = ("id", "type", "date", "document", "note")
_DATE = datetime.date
MAX_AMOUNT = 10**15
# (level, year, grade) present, for the shapes that need no kind, document or note
_FAST = {t: tuple(spec.fields.get(f) == "r" for f in ("level", "year", "grade")) for t, spec in EVENT_TYPES.items()}

_LEVEL_RANK = {level: i for i, level in enumerate(Level)}
_EVENT_RANK = {etype: i for i, etype in enumerate(EVENT_TYPES)}


def event_fields(etype: EventType) -> tuple[str, ...]:
    """The fields an event of this type may have: the common ones (id, type, date, document, note), then its own."""
    return COMMON_FIELDS + tuple(EVENT_TYPES[etype].fields)


@attrs.frozen(weakref_slot=False)  # no weak references: ``built_event`` needs a layout of the fields alone
class Event:
    """One dated event in a carrier's history.

    ``level`` is the level accredited, evaluated or paid for; ``kind`` the
    carrier kind an accreditation, evaluation or payment was for, when it
    differs from the carrier's own; ``year`` and ``grade`` describe an
    evaluation (``year`` also the evaluated year an excellence payment pays);
    ``amount`` is a payment received, in whole yuan; ``document`` the
    accrediting document's number when known.

    A payment says what it pays: ``award`` (construction subsidy when not
    given: the only kind of payment older files recorded), ``plan`` (the id of
    the ruleset whose award it pays; when not given, see docs/reconcile.md),
    ``payer``, ``settles`` (the id of the accreditation or evaluation event it
    pays for) and ``voucher`` (the payment voucher's number).
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
    facts: tuple[tuple[str, Any], ...] = ()

    def fact(self, name: str, default: Any = None) -> Any:
        """The value of one of the event's facts (``model.facts.EVENT_FACTS``), or ``default``."""
        for key, value in self.facts:
            if key == name:
                return value
        return default
    award: AwardKind | None = None
    plan: str | None = None
    payer: str | None = None
    settles: str | None = None
    voucher: str | None = None

    @property
    def purpose(self) -> AwardKind:
        """What a payment pays; a payment recorded without ``award`` is a construction subsidy."""
        return AwardKind.CONSTRUCTION_SUBSIDY if self.award is None else self.award

    def __attrs_post_init__(self) -> None:
        # the common shapes pass on a few identity checks; anything else is checked (and converted) in full
        t, level = self.type, self.level
        if not (
            t.__class__ is EventType and self.date.__class__ is _DATE and self.id.__class__ is str and self.id
            and self.id.isprintable() and not self.id.isspace()  # else text_problem decides
            and (level is None or level.__class__ is Level) and self.kind is None and self.document is None
            and self.note is None and (self.amount is None) is (t is not EventType.PAYMENT_RECEIVED)
            and self.award is None and self.plan is None and self.payer is None and self.settles is None
            and self.voucher is None
            and _FAST[t] == (level is not None, self.year is not None, self.grade is not None)
            and (self.grade is None or (self.grade.__class__ is Grade and self.year.__class__ is int
                                        and 1900 <= self.year < self.date.year))  # type: ignore[operator]
            and (self.amount is None or (self.amount.__class__ is int and 0 <= self.amount < MAX_AMOUNT))
        ):
            _check_event(self)

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
        if self.award is not None:
            out["award"] = self.award._value_
        for name in PAYMENT_TEXTS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        for key, value in self.facts:
            out[key] = fact_json(value)
        return out

    def canonical_json(self) -> str:
        """``canonical_json(self.to_dict())``, written out directly (``events_json``)."""
        return events_json((self,))


PAYMENT = EventType.PAYMENT_RECEIVED
EVALUATED = EventType.EVALUATED
PAYMENT_TEXTS = ("plan", "payer", "settles", "voucher")
_ISO: dict[datetime.date, str] = {}


def iso_date(day: datetime.date) -> str:
    """``day.isoformat()``, remembered (bounded): the same dates recur across a district's histories."""
    found = _ISO.get(day)
    if found is None:
        if len(_ISO) >= 50_000:
            _ISO.clear()
        found = _ISO[day] = day.isoformat()
    return found


# The fragments of an event's canonical JSON (its keys sorted: amount, award, date, document, grade, id, kind, level,
# note, payer, plan, settles, type, voucher, year), looked up rather than formatted: each key with its value and the
# comma after it, but "type", which ends the event unless a voucher or a year follows it. The tables by enum member
# are complete (``Level.extra`` adds a declared level's); dates and years are remembered (bounded) as met.
_TYPE_JSON = {t: f'"type":"{t._value_}"' for t in EventType}
_TYPE_END = {t: f'"type":"{t._value_}"}}' for t in EventType}  # and the closing brace
_GRADE_JSON = {g: f'"grade":"{g._value_}",' for g in Grade}
_KIND_JSON = {k: f'"kind":"{k._value_}",' for k in CarrierKind}
_AWARD_JSON = {a: f'"award":"{a._value_}",' for a in AwardKind}
_LEVEL_JSON: dict[Level, str] = {}
_EVALUATED_JSON: dict[Level, str] = {}  # an evaluation's level, then its type
_DAY_JSON: dict[datetime.date, str] = {}  # '{"date":"2024-01-31",': the first key but amount and award
_YEAR_JSON: dict[int, str] = {}  # ',"year":2024}': the last key, with the closing brace


def _level_json(level: Level) -> None:
    _LEVEL_JSON[level] = f'"level":"{level._value_}",'
    _EVALUATED_JSON[level] = f'"level":"{level._value_}","type":"evaluated"'


for _member in Level:
    _level_json(_member)


def _day_json(day: datetime.date) -> str:
    if len(_DAY_JSON) >= 50_000:
        _DAY_JSON.clear()
    found = _DAY_JSON[day] = f'{{"date":"{iso_date(day)}",'
    return found


def _year_json(year: int) -> str:
    found = _YEAR_JSON[year] = f',"year":{year}}}'  # years are 1900 to 9999: no bound needed
    return found


def events_json(events: Sequence[Event]) -> str:
    """``",".join(canonical_json(e.to_dict()) for e in events)``: the events of a carrier's digest, written
    directly. An event with facts (whose keys sort among its fields') takes the generic way.

    It is on every evaluation's path: one loop over the events, each field's
    text (key, value and comma) looked up rather than formatted, the
    commonest shapes written by one f-string of few pieces each.
    """
    out = []
    days, years, types, ends, quote = _DAY_JSON, _YEAR_JSON, _TYPE_JSON, _TYPE_END, _quote
    for e in events:
        if e.facts:
            out.append(canonical_json(e.to_dict()))
            continue
        day = days.get(e.date) or _day_json(e.date)
        key = quote(e.id)  # ids vary too much from history to history to be worth remembering
        level = e.level
        # without an amount an event is no payment: it has no award, plan, payer, settles or voucher
        if e.amount is None and e.document is None and e.kind is None and e.note is None:
            if e.grade is None and e.year is None:
                if level is None:  # an event with no details
                    out.append(f'{day}"id":{key},{ends[e.type]}')
                else:
                    out.append(f'{day}"id":{key},{_LEVEL_JSON[level]}{ends[e.type]}')
                continue
            if e.type is EVALUATED:  # level, year and grade, all three required
                out.append(f'{day}{_GRADE_JSON[e.grade]}"id":{key},{_EVALUATED_JSON[level]}{years.get(e.year) or _year_json(e.year)}')
                continue
        out.append(_event_json(e, day, key))
    return ",".join(out)


def _event_json(e: Event, day: str, key: str) -> str:
    """The canonical JSON of an event without facts, whatever fields it has; ``day`` the text of its date, ``key``
    its id as JSON."""
    amount, document, grade, kind, level, note, year = e.amount, e.document, e.grade, e.kind, e.level, e.note, e.year
    if e.type is PAYMENT and not (e.award is None and e.plan is None and e.payer is None and e.settles is None
                                  and e.voucher is None):
        return _payment_json(e, day, key)
    return (
        f'{day if amount is None else f"""{{"amount":{amount},{day[1:]}"""}'
        f'{"" if document is None else f""""document":{_quote(document)},"""}{"" if grade is None else _GRADE_JSON[grade]}'
        f'"id":{key},{"" if kind is None else _KIND_JSON[kind]}{"" if level is None else _LEVEL_JSON[level]}'
        f'{"" if note is None else f""""note":{_quote(note)},"""}'
        f'{_TYPE_END[e.type] if year is None else _TYPE_JSON[e.type] + (_YEAR_JSON.get(year) or _year_json(year))}'
    )


def _payment_json(e: Event, day: str, key: str) -> str:
    """``_event_json`` of a payment that says what it pays (an award, a plan, a payer, what it settles, a voucher)."""
    parts = [f'{{"amount":{e.amount},', "" if e.award is None else _AWARD_JSON[e.award], day[1:]]
    if e.document is not None:
        parts.append(f'"document":{_quote(e.document)},')
    parts.append(f'"id":{key},')
    if e.kind is not None:
        parts.append(_KIND_JSON[e.kind])
    parts.append(_LEVEL_JSON[e.level])  # type: ignore[index]  # a payment's level is required
    if e.note is not None:
        parts.append(f'"note":{_quote(e.note)},')
    for name in ("payer", "plan", "settles"):  # in key order
        value = getattr(e, name)
        if value is not None:
            parts.append(f'"{name}":{_quote(value)},')
    parts.append(_TYPE_JSON[PAYMENT])
    if e.voucher is not None:
        parts.append(f',"voucher":{_quote(e.voucher)}')
    parts.append("}" if e.year is None else _YEAR_JSON.get(e.year) or _year_json(e.year))
    return "".join(parts)


_OpenEvent = writable_twin(Event)
_new = object.__new__
_set = object.__setattr__


def built_event(
    id: str, type: EventType, date: datetime.date, level: Level | None = None, kind: CarrierKind | None = None,
    year: int | None = None, grade: Grade | None = None, amount: int | None = None, document: str | None = None,
    note: str | None = None, award: AwardKind | None = None, plan: str | None = None, payer: str | None = None,
    settles: str | None = None, voucher: str | None = None,
) -> Event:
    """``Event(...)`` without facts and without the checks, for values a reader has checked as ``Event`` checks
    them (``files.carrier``'s quick path: every test there compares it with ``Event(...)``).

    A frozen attrs class sets each field through ``object.__setattr__``: with
    its checks, building an event costs more than parsing its JSON. Here the
    fields are stored in an ``_OpenEvent`` (the same slots, no frozen
    ``__setattr__``), whose class is then set to ``Event``, which Python
    allows between classes of one layout: the result is an ordinary, frozen
    ``Event``, built in a fifth of the time.
    """
    e = _new(_OpenEvent)
    e.id = id
    e.type = type
    e.date = date
    e.level = level
    e.kind = kind
    e.year = year
    e.grade = grade
    e.amount = amount
    e.document = document
    e.note = note
    e.facts = ()
    e.award = award
    e.plan = plan
    e.payer = payer
    e.settles = settles
    e.voucher = voucher
    e.__class__ = Event  # type: ignore[assignment]
    return e  # type: ignore[return-value]


def built_carrier(
    id: str, name: str, kind: CarrierKind, events: tuple[Event, ...], area: str | None = None,
) -> Carrier:
    """``Carrier(id, name, kind, events, area)`` without its checks, for values a reader has checked as
    ``Carrier`` checks them: texts, a ``CarrierKind``, a tuple of Events and ``check_events`` of them
    (``files.carrier``'s quick path). Built as ``built_event`` builds an event: plain slot stores in an
    ``_OpenCarrier``, then its class set (``object.__setattr__`` of each field cost three times as much)."""
    c = _new(_OpenCarrier)
    c.id = id
    c.name = name
    c.kind = kind
    c.events = events
    c.area = area
    c.facts = ()
    c.__class__ = Carrier  # type: ignore[assignment]
    return c  # type: ignore[return-value]


def _event_order(event: Event) -> tuple[datetime.date, int, str]:
    return (event.date, _EVENT_RANK[event.type], event.id)


_DATE_OF = operator.attrgetter("date")


def chronological(events: tuple[Event, ...]) -> tuple[tuple[Event, ...], bool]:
    """``events`` in chronological order (same-day events by type, then id), and whether no two share a date.

    Most histories have one event a day: their order is the dates' alone,
    sorted with a key the sort reads in C, not a Python key per event.
    """
    if len({e.date for e in events}) == len(events):
        return tuple(sorted(events, key=_DATE_OF)), True
    return tuple(sorted(events, key=_event_order)), False


@attrs.frozen(weakref_slot=False)  # no weak references: ``built_carrier`` needs a layout of the fields alone
class Carrier:
    """An incubation carrier: who it is, and its history of events (in input order)."""

    id: str
    name: str
    kind: CarrierKind
    events: tuple[Event, ...] = ()
    area: str | None = None
    facts: tuple[tuple[str, Any], ...] = ()

    def fact(self, name: str, default: Any = None, on: datetime.date | None = None) -> Any:
        """The value of one of the carrier's facts (``model.facts.CARRIER_FACTS``), or ``default``.

        A dated fact is read as of ``on`` (its latest value when ``on`` is None;
        ``default`` before its first date).
        """
        for key, value in self.facts:
            if key == name:
                if isinstance(value, Dated):
                    value = value.latest if on is None else value.on(on)
                    return default if value is None else value
                return value
        return default

    def __attrs_post_init__(self) -> None:
        _check_carrier(self)

    @property
    def timeline(self) -> tuple[Event, ...]:
        """The events in chronological order, independent of input order."""
        return chronological(self.events)[0]

    def events_until(self, as_of: datetime.date) -> tuple[Event, ...]:
        """The chronological events dated on or before ``as_of``."""
        return until(self.timeline, as_of)

    def to_dict(self) -> dict[str, Any]:
        """Plain data in the shape ``from_dict`` reads, typed as it reads it (a fact with a fraction a Decimal)."""
        out: dict[str, Any] = {"id": self.id, "name": self.name, "kind": self.kind.value}
        if self.area is not None:
            out["area"] = self.area
        if self.facts:
            out["facts"] = {k: fact_json(v) for k, v in self.facts}
        out["events"] = [e.to_dict() for e in self.events]
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """JSON with a stable key order, which the library's readers read back as this carrier (a fact with a
        fraction as the exact JSON number it was read from)."""
        return dump_json(self.to_dict(), indent=indent, separators=None if indent is not None else (", ", ": "))

    @property
    def digest(self) -> str:
        """sha256 of the carrier's canonical form; input event order does not matter."""
        return self.digest_of(self.timeline)

    def digest_of(self, timeline: tuple[Event, ...]) -> str:
        """``digest``, given this carrier's ``timeline`` already sorted."""
        area = "" if self.area is None else f'"area":{_quote(self.area)},'
        if self.facts:
            area += canonical_json({"facts": {k: fact_json(v, exact=False) for k, v in self.facts}})[1:-1] + ","
        events = events_json(timeline)
        text = f'{{{area}"events":[{events}],"id":{_quote(self.id)},"kind":"{self.kind._value_}","name":{_quote(self.name)}}}'
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @classmethod
    def from_dict(cls, data: Any, source: Source | None = None) -> "Carrier":
        """Read and validate a carrier from plain data (as loaded from YAML or JSON); ``files.carrier`` reads it."""
        return reader("carrier")(data, source)


_OpenCarrier = writable_twin(Carrier)


def until(timeline: tuple[Event, ...], as_of: datetime.date) -> tuple[Event, ...]:
    """The events of a chronological ``timeline`` dated on or before ``as_of``."""
    if not timeline or timeline[-1].date <= as_of:
        return timeline
    return tuple(e for e in timeline if e.date <= as_of)


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
                raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}") from None
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


def parse_fact(spec: FactSpec, value: Any) -> Any:
    """A fact's value checked against its declared type; raises ValueError saying what was expected."""
    kind = spec.type
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"expected a non-empty string, got {value!r}"[:120])
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}"[:120])
        return value
    if kind == "date":
        return parse_date(value)
    if kind == "yuan":
        return whole_yuan(value)
    if kind == "price":
        return unit_price(value)
    if kind == "level":
        return level_of(value)
    if isinstance(value, float):
        raise ValueError(f"expected an exact number, got the float {value!r}: give Decimal({str(value)!r})"[:120])
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ValueError(f"expected a number, got {value!r}"[:120])
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"expected a finite number, got {value}")
    if not 0 <= value < 10**12:
        raise ValueError(f"expected a number from 0 to 10^12, got {value}")
    if not exact_places(value):
        raise ValueError(f"a number has at most {PLACES} decimal places, got {value}")
    return value


# The decimal places an exact number a file gives may have (an area, a price, a rate, a factor): few enough that
# every product of them the rules compute is exact (kinds.generic.EXACT).
PLACES = 4


def exact_places(value: int | Decimal) -> bool:
    """Whether ``value`` (finite, below 10^12) has at most ``PLACES`` decimal places."""
    return not isinstance(value, Decimal) or value == value.quantize(Decimal(1).scaleb(-PLACES))


def unit_price(value: Any) -> int | Decimal:
    """An exact price in yuan per unit (``12.5``): a whole number or a decimal with at most 4 places, from 0 to
    10^9; raises ValueError for floats, text and anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        shown = repr(value) if isinstance(value, (str, float, type(None))) else type(value).__name__
        raise ValueError(f"expected a price in yuan such as 12.5, got {shown[:60]}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"expected a finite price, got {value}")
    if not 0 <= value <= 10**9:
        raise ValueError(f"expected a price from 0 to 10^9 yuan, got {value}")
    if not exact_places(value):
        raise ValueError(f"a price has at most {PLACES} decimal places, got {value}")
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


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


def _invalid(path: tuple[Any, ...], message: str) -> CarrierError:
    """A CarrierError for the value at ``path`` (relative to the object being checked)."""
    error = CarrierError(message, field=field_name(path) or None)
    error.path, error.detail = path, message  # type: ignore[attr-defined]
    return error


def text_problem(value: Any, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        return f"expected a non-empty string, got {describe_value(value)}"
    return string_problem(value)


def describe_value(value: Any) -> str:
    """A short description of a value for an error message."""
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:30]) + f"... ({len(value)} characters)"
    if value is None or isinstance(value, (bool, int, Decimal, datetime.date, enum.Enum)):
        return f"{type(value).__name__} {value!r}"[:80]
    return type(value).__name__


def _check_event(e: Event) -> None:
    """Validate an event in full, converting enum values and ISO dates given as text; raises CarrierError."""
    def convert(name: str, func: Any, *args: Any) -> None:
        try:
            object.__setattr__(e, name, func(*args, getattr(e, name)))
        except (ValueError, TypeError) as exc:
            raise _invalid((name,), str(exc)) from None

    for name, required in (("id", True), ("document", False), ("note", False), *((n, False) for n in PAYMENT_TEXTS)):
        problem = text_problem(getattr(e, name), required)
        if problem:
            raise _invalid((name,), problem)
    convert("type", parse_enum, EventType)
    convert("date", parse_date)
    spec = EVENT_TYPES[e.type].fields
    for name in ("level", "kind", "year", "grade", "amount", "award", *PAYMENT_TEXTS):
        value, need = getattr(e, name), spec.get(name)
        if value is None and need == "r":
            raise _invalid((name,), f"a {e.type.value} event needs a {name}")
        if value is not None and need is None:
            raise _invalid((name,), f"a {e.type.value} event has no {name}")
    if e.level is not None:
        convert("level", level_of)
    for name, kind in (("kind", CarrierKind), ("grade", Grade), ("award", AwardKind)):
        if getattr(e, name) is not None:
            convert(name, parse_enum, kind)
    if e.amount is not None:
        convert("amount", whole_yuan)
    year = e.year
    if year is not None:
        if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 9999:
            raise _invalid(("year",), f"expected a year such as 2024, got {describe_value(year)}")
        if e.type is EventType.EVALUATED and e.date.year <= year:
            raise _invalid(("date",), f"an evaluation of {year} cannot be dated {e.date}, before the end of {year}")


_CLOSERS = frozenset(t for t, spec in EVENT_TYPES.items() if spec.unmatched is not None)
# the types that change the operating state: (the state, whether the carrier is now in it, the error when unmatched)
_OPERATION = {t: (*spec.operation, spec.unmatched) for t, spec in EVENT_TYPES.items() if spec.operation is not None}


def _check_carrier(c: Carrier) -> None:
    """Validate a carrier and its history; raises CarrierError naming the field and the carrier."""
    try:
        for name, required in (("id", True), ("name", True), ("area", False)):
            problem = text_problem(getattr(c, name), required)
            if problem:
                raise _invalid((name,), problem)
        try:
            object.__setattr__(c, "kind", parse_enum(CarrierKind, c.kind))
        except (ValueError, TypeError) as exc:
            raise _invalid(("kind",), str(exc)) from None
        events = c.events
        if not isinstance(events, tuple):
            if not isinstance(events, (list, Sequence)) or isinstance(events, (str, bytes)):
                raise _invalid(("events",), f"expected a tuple of events, got {describe_value(events)}")
            events = tuple(events)
            object.__setattr__(c, "events", events)
        if not {*map(type, events)} <= {Event}:
            _first_bad_event(events)
        check_events(events)
    except CarrierError as exc:
        if c.id.__class__ is str and not text_problem(c.id):
            exc.message = f"carrier {c.id!r}: {exc.message}"
            exc.args = (str(exc),)
        raise


def check_events(events: tuple[Event, ...]) -> None:
    """Raise CarrierError (naming the event and field) when a history's events repeat an id, a payment settles
    an event it cannot, or an event ends a state the history never entered: the checks of a carrier's events
    as a whole (``Carrier`` makes them; ``built_carrier``'s callers too)."""
    types = {e.id: e.type for e in events}
    if len(types) != len(events):
        _first_bad_event(events)
    if PAYMENT in types.values():  # only payments settle
        ids = None
        for i, event in enumerate(events):
            if event.settles is not None:
                if ids is None:
                    ids = {event.id: i for i, event in enumerate(events)}
                _check_settles(event, i, events, ids)
    if not _CLOSERS.isdisjoint(types.values()):
        _check_history(events)


def _first_bad_event(events: tuple[Any, ...]) -> None:
    """Raise for the first of ``events`` that is not an Event or repeats the id of an earlier one."""
    seen: dict[str, int] = {}
    for i, event in enumerate(events):
        if event.__class__ is not Event:
            raise _invalid(("events", i), f"expected an Event, got {describe_value(event)}")
        if event.id in seen:
            raise _invalid(("events", i, "id"), f"duplicate event id {event.id!r} (also at events[{seen[event.id]}])")
        seen[event.id] = i


# The events a payment of each purpose can settle.
_SETTLES = {
    AwardKind.CONSTRUCTION_SUBSIDY: frozenset({EventType.ACCREDITED, EventType.FILED}),
    AwardKind.EXCELLENCE: frozenset({EventType.EVALUATED}),
}
# other money pays the award of any other event (a designation, a tenancy, a firm introduced)
_SETTLES[AwardKind.OTHER] = frozenset(EventType) - {EventType.PAYMENT_RECEIVED}.union(*_SETTLES.values())


def _check_settles(event: Event, i: int, events: tuple[Event, ...], ids: Mapping[str, int]) -> None:
    """Raise unless the event a payment settles is in the history and of a type its purpose pays for."""
    at = ids.get(event.settles)  # type: ignore[arg-type]
    target = None if at is None else events[at]
    wanted = _SETTLES.get(event.purpose)
    if target is None or wanted is None or target.type not in wanted:
        what = "no award" if wanted is None else " or ".join(t.value for t in sorted(wanted, key=lambda t: _EVENT_RANK[t]))
        found = "not an event of this history" if target is None else "a " + target.type.value + " event"
        raise _invalid(("events", i, "settles"), f"a {event.purpose.value} payment settles {what} event; {event.settles!r} is {found}")


def _check_history(events: tuple[Event, ...]) -> None:
    """Raise when an event ends a state (a suspension, a rectification) the history never entered."""
    states = [False] * len(OPERATION_STATES)
    changes = [e for e in events if e.type in _OPERATION]
    changes.sort(key=_event_order)
    for event in changes:
        state, entered, unmatched = _OPERATION[event.type]
        if not entered and not states[state] and unmatched is not None:
            raise _invalid(("events", events.index(event), "type"), unmatched.format(date=event.date))
        states[state] = entered
