"""Conditions on the carrier and its titles that a generic rule can add to its own: which carrier kinds and
levels its table covers, the plan's area and period, a title held, a delisting, the grade, once per period.

Each is a parameter of the rule, read here and bindable to a reading
(``{reading: name, values: {alternative: value}}``); each refuses with its
own outcome code. ``docs/writing-a-ruleset.md`` ("Conditions on titles and
the plan") gives their order and what each cites.
"""

from __future__ import annotations

import datetime
from typing import Any, Mapping, Sequence

import attrs

from ..model.carrier import CarrierKind, Event, EventType, Grade, Level
from ..model.ruleset import Rule
from .base import Context, area_refused, column_clauses
from .generic import Param, bound, bound_clauses, choice, read_bound

__all__ = [
    "AREA",
    "AREA_CHECKS",
    "GRADES",
    "KIND_OF_PARAM",
    "NOT_DELISTED",
    "ONCE_FIELDS_SCHEMA",
    "PERIOD",
    "REFUSE_KINDS",
    "REFUSE_LEVELS",
    "TITLE_HELD_PARAM",
    "KIND_OF",
    "PERIOD_BOUNDS",
    "TITLE_HELD",
    "LevelRefusal",
    "OncePer",
    "TitleWalk",
    "read_area",
    "read_grades",
    "read_kind_of",
    "read_once_fields",
    "read_period",
    "read_refuse_kinds",
    "read_refuse_levels",
    "read_title_held",
    "read_true",
    "reading_cites",
]

AREA_CHECKS = ("refuse_outside", "require_area", "not_checked")
KIND_OF = ("event", "title")
PERIOD_BOUNDS = ("date", "year")
TITLE_HELD = ("none", "on_date", "by_year_end")
ONCE_FIELDS = ("year", "level")

ACCREDITED = EventType.ACCREDITED
DELISTED = EventType.DELISTED
FILED = EventType.FILED


KIND_OF_PARAM = choice(KIND_OF, None, "event (default: the event's kind, else the carrier's) or title (an evaluation without a kind is of the title it evaluates); or {reading, values}")
AREA = choice(AREA_CHECKS, None, "refuse_outside, require_area or not_checked: the plan's area (area:) checked on the carrier; or {reading, values}")
PERIOD = choice(PERIOD_BOUNDS, None, "date or year: the event's date (or evaluated year) must fall in the plan period; or {reading, values}")
TITLE_HELD_PARAM = choice(TITLE_HELD, None, "none, on_date or by_year_end: a title of the event's level and column held; or {reading, values}")
read_area = AREA.read
read_kind_of = KIND_OF_PARAM.read
read_period = PERIOD.read
read_title_held = TITLE_HELD_PARAM.read


def read_true(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> bool | None:
    """``true`` (or left out)."""
    if raw is None:
        return None
    if raw is not True:
        reader.problem(path, f"expected true, or leave it out; got {raw!r}"[:120])
        return None
    return True


def _enums(reader: Any, raw: Any, path: tuple[Any, ...], enum_type: Any) -> frozenset[Any]:
    if not isinstance(raw, list):
        reader.problem(path, f"expected a list, got {raw!r}"[:120])
        return frozenset()
    return frozenset(m for i, v in enumerate(raw) if (m := reader.enum(enum_type, v, path + (i,))) is not None)


def read_refuse_kinds(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    """A list of carrier kinds refused (possibly empty): with it, a kind the table has no column for is refused first."""
    if raw is None:
        return None
    return read_bound(reader, raw, path, context, lambda v, p: _enums(reader, v, p, CarrierKind))


@attrs.frozen
class LevelRefusal:
    """Levels a rule does not pay for some carrier kinds."""

    kinds: frozenset[CarrierKind]
    levels: frozenset[Level]


def read_refuse_levels(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    """``[{kinds: [maker_space], levels: [district]}]``: those levels are not paid from the table column that pays
    those kinds (possibly empty)."""
    if raw is None:
        return None

    def read(value: Any, p: tuple[Any, ...]) -> tuple[LevelRefusal, ...]:
        if not isinstance(value, list):
            reader.problem(p, f"expected a list of {{kinds, levels}}, got {value!r}"[:120])
            return ()
        out = []
        for i, item in enumerate(value):
            item = reader.mapping(item, p + (i,), ("kinds", "levels"))
            if item is None:
                continue
            out.append(LevelRefusal(_enums(reader, item.get("kinds"), p + (i, "kinds"), CarrierKind),
                                    _enums(reader, item.get("levels"), p + (i, "levels"), Level)))
        return tuple(out)

    return read_bound(reader, raw, path, context, read)


def read_grades(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    """The grades paid, e.g. ``[excellent]``; another grade is refused as ``not_excellent``."""
    if raw is None:
        return None
    return read_bound(reader, raw, path, context, lambda v, p: _enums(reader, v, p, Grade))


def _enum_list(values: list[str]) -> dict[str, Any]:
    return {"type": "array", "items": {"enum": values}, "uniqueItems": True}


NOT_DELISTED = Param(read_true, {"const": True, "description": "true: refused as delisted after a delisting not followed by a new title"},
                     optional=True)
REFUSE_KINDS = Param(read_refuse_kinds, {
    "description": "carrier kinds refused as kind_not_covered (with it, also kinds the table has no column for); or {reading, values}",
    **bound(_enum_list([k.value for k in CarrierKind]))}, optional=True)
REFUSE_LEVELS = Param(read_refuse_levels, {
    "description": "[{kinds, levels}]: levels not paid for those carrier kinds (level_not_covered); or {reading, values}",
    **bound({"type": "array", "items": {"type": "object", "additionalProperties": False, "required": ["kinds", "levels"],
                                        "properties": {"kinds": _enum_list([k.value for k in CarrierKind]),
                                                       "levels": _enum_list([v.value for v in Level])}}})}, optional=True)
GRADES = Param(read_grades, {"description": "the grades paid, e.g. [excellent]; another grade is refused as not_excellent; or {reading, values}",
                             **bound(_enum_list([g.value for g in Grade]))}, optional=True)


@attrs.frozen
class OncePer:
    """One award per value of the event's ``fields``; with ``top_up``, a later higher amount pays the difference."""

    fields: tuple[str, ...]
    top_up: bool


def read_once_fields(reader: Any, value: Any, path: tuple[Any, ...]) -> OncePer | None:
    """``{fields: [year, level], top_up: true}``, the mapping form of ``once_per``."""
    value = reader.mapping(value, path, ("fields", "top_up"))
    if value is None:
        return None
    fields = value.get("fields")
    if not isinstance(fields, list) or not fields or any(f not in ONCE_FIELDS for f in fields):
        reader.problem(path + ("fields",), f"expected a list of: {', '.join(ONCE_FIELDS)}, got {fields!r}"[:200])
        return None
    top_up = value.get("top_up", False)
    if not isinstance(top_up, bool):
        reader.problem(path + ("top_up",), f"expected true or false, got {top_up!r}"[:120])
        return None
    return OncePer(tuple(fields), top_up)


ONCE_FIELDS_SCHEMA = {
    "type": "object", "required": ["fields"], "additionalProperties": False,
    "description": "one award per value of these event fields; with top_up, a later higher amount pays the difference",
    "properties": {"fields": {"type": "array", "minItems": 1, "items": {"enum": list(ONCE_FIELDS)}}, "top_up": {"type": "boolean"}},
}


def once_key(once: OncePer, event: Event) -> tuple[Any, ...]:
    """The value of the event's ``fields`` an award is once per."""
    return tuple(event.year if f == "year" else event.level for f in once.fields)


def reading_cites(ctx: Context, rule: Rule, name: str, column: str | None, table: str | None = None) -> tuple[str, ...]:
    """The clauses of the reading parameter ``name`` is bound to, less those granting another column's (or table's) amounts."""
    found = bound_clauses(ctx.ruleset, rule, name)
    return column_clauses(ctx.ruleset, found, column, table) if found and column is not None else found


def refused_kind(value: frozenset[CarrierKind] | None, kind: CarrierKind) -> bool:
    return value is not None and kind in value


def refused_level(ctx: Context, value: Sequence[LevelRefusal], column: str, level: Level | None) -> bool:
    """The level is refused for the table column that pays the event (a column that pays one of the kinds named)."""
    paid = ctx.ruleset.columns.get(column, ())
    return any(level in r.levels and any(k in paid for k in r.kinds) for r in value)


def outside_area(ctx: Context, how: str | None) -> bool:
    return how is not None and area_refused(ctx, how)


class TitleWalk:
    """The carrier's titles as a walk through its timeline reaches each event: held by (column, level) since the last
    delisting, and the date of a delisting not followed by a new accreditation or filing."""

    def __init__(self, ctx: Context, columns: Mapping[CarrierKind, str | None]) -> None:
        self.timeline = ctx.timeline
        self.own = ctx.carrier.kind
        self.columns = columns
        self.at = 0
        self.delisted_on: datetime.date | None = None
        self.held: dict[tuple[str | None, Level | None], Event] = {}

    def to(self, event: Event) -> None:
        """Walk up to and including ``event``."""
        timeline = self.timeline
        while self.at < len(timeline):
            e = timeline[self.at]
            self.at += 1
            t = e.type
            if t is DELISTED:
                self.delisted_on = e.date
                self.held.clear()
            elif t is ACCREDITED or t is FILED:
                self.delisted_on = None
                self.held[(self.columns[e.kind or self.own], e.level)] = e
            if e is event:
                return

    def title(self, column: str | None, event: Event, how: str) -> Event | None:
        """The title of the event's level and column held on its date (``on_date``), or by the end of its year."""
        title = self.held.get((column, event.level))
        if title is not None and how == "by_year_end" and event.year is not None and title.date > datetime.date(event.year, 12, 31):
            return None
        return title
