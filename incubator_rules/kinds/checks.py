"""Conditions on the carrier, its titles and the plan that an ``event_award`` rule can add to its own.

Each is a parameter of the rule, read here and bindable to a reading
(``{reading: name, values: {alternative: value}}``), and each refuses with
its own outcome code: which carrier kinds and levels its table covers
(``covered_by_table``, ``refuse_kinds``, ``refuse_levels``), the kind an
evaluation is decided as (``kind_of``), the plan's area (``area``) and
period (``period``), a lower title than one held (``refuse_lower``, on a
``ladder``), a level held before (``first_at_level``), a delisting
(``not_delisted``), a title held (``title_held``), the grade (``grades``)
and one award per evaluated year and level (``once_per: {fields, top_up}``);
and the carrier's grade for the year before the event (``graded``: 上一年度运营评价结果为优秀).
``docs/writing-a-ruleset.md`` ("Conditions on titles and the plan") gives
their order and what each refusal cites.
"""

from __future__ import annotations

import datetime
import operator
from typing import Any, Mapping, Sequence

import attrs

from ..model.carrier import AwardKind, CarrierKind, Event, EventType, Grade, Level, iso_date
from ..model.decision import AWARDED, PENDING, Condition, Decision
from ..model.facts import did_you_mean
from ..model.labels import LEVEL_ZH
from ..model.ruleset import DatedValue, Rule, Ruleset, Table, level_ranks
from .base import LEFT_OUT, Context, area_refused, clause_of, column_clauses, prep_of, settlements, title_kinds
from .generic import Filter, Param, bound_clauses, check_level, choice, decide, refuse, scope_types

__all__ = [
    "CHECKS",
    "CODES",
    "choice_param",
    "flag_param",
    "ONCE_FIELDS_SCHEMA",
    "choice_reader",
    "flag_reader",
    "PARAMS",
    "SCHEMAS",
    "LevelRefusal",
    "OncePer",
    "PlanChecks",
    "Compiled",
    "compiled",
    "Candidate",
    "differential",
    "top_up_of",
    "window_of",
    "held_values",
    "read_once_fields",
    "Graded",
    "GRADED",
    "grade_for",
    "graded_outcome",
    "graded_check",
]

AREA_CHECKS = ("refuse_outside", "require_area", "not_checked")
KIND_OF = ("event", "title")
PERIOD_BOUNDS = ("date", "year")
TITLE_HELD = ("none", "on_date", "by_year_end")
LADDERS = ("column", "all")
ONCE_FIELDS = ("year", "level")

ACCREDITED = EventType.ACCREDITED
DELISTED = EventType.DELISTED
EVALUATED = EventType.EVALUATED
FILED = EventType.FILED
PAYMENT_RECEIVED = EventType.PAYMENT_RECEIVED


# --- reading the parameters ----------------------------------------------------------


def choice_reader(allowed: tuple[str, ...]) -> Any:
    """A reader of a parameter taking one of ``allowed`` (None when left out)."""
    return choice(allowed, None, "").read


def flag_reader(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    """``true`` or ``false`` (or left out)."""
    if raw is not None and not isinstance(raw, bool):
        reader.problem(path, f"expected true or false, got {raw!r}"[:120])
        return None
    return raw


def _enums(reader: Any, raw: Any, path: tuple[Any, ...], enum_type: Any) -> frozenset[Any]:
    if not isinstance(raw, list):
        reader.problem(path, f"expected a list, got {raw!r}"[:120])
        return frozenset()
    return frozenset(m for i, v in enumerate(raw) if (m := reader.enum(enum_type, v, path + (i,))) is not None)


def _enum_list(enum_type: Any) -> Any:
    def read(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
        return None if raw is None else _enums(reader, raw, path, enum_type)
    return read


@attrs.frozen
class LevelRefusal:
    """Levels a rule does not pay from the table column that pays any of ``kinds``."""

    kinds: frozenset[CarrierKind]
    levels: frozenset[Level]


def _read_refuse_levels(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    if raw is None:
        return None

    def read(value: Any, p: tuple[Any, ...]) -> tuple[LevelRefusal, ...]:
        if not isinstance(value, list):
            reader.problem(p, f"expected a list of {{kinds, levels}}, got {value!r}"[:120])
            return ()
        out = []
        for i, item in enumerate(value):
            item = reader.mapping(item, p + (i,), ("kinds", "levels"))
            if item is not None:
                out.append(LevelRefusal(_enums(reader, item.get("kinds"), p + (i, "kinds"), CarrierKind),
                                        _enums(reader, item.get("levels"), p + (i, "levels"), Level)))
        return tuple(out)

    return read(raw, path)


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


def flag_param(description: str) -> Param:
    """``true`` or ``false`` (None when left out)."""
    return Param(flag_reader, {"type": "boolean", "description": description}, optional=True)


def choice_param(values: tuple[str, ...], description: str) -> Param:
    """One of ``values`` (None when left out)."""
    return choice(values, None, description)


def _list_of(enum_type: Any, description: str) -> Param:
    schema = {"type": "array", "uniqueItems": True, "items": {"enum": [m.value for m in enum_type]}}
    return Param(_enum_list(enum_type), {**schema, "description": description}, optional=True)


@attrs.frozen
class Graded:
    """The carrier's grade for the ``year`` (``previous`` or ``same``) of the event must be one of ``grades``: the
    evaluation of that year (at one of ``levels``), the latest recorded; ``clause`` is cited by a refusal."""

    year: str
    grades: frozenset[Grade]
    levels: frozenset[Level] | None = None
    clause: str | None = None

    def year_of(self, event: Event) -> int:
        """The evaluated year the event is judged by: its own year (or its date's), less one for ``previous``."""
        own = event.year if event.year is not None else event.date.year
        return own - 1 if self.year == "previous" else own


GRADED_YEARS = ("previous", "same")


def _read_graded(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    if raw is None:
        return None

    def one(value: Any, p: tuple[Any, ...]) -> Graded | None:
        value = reader.mapping(value, p, ("year", "grade", "level", "clause"))
        if value is None:
            return None
        year = value.get("year", "previous")
        if year not in GRADED_YEARS:
            reader.problem(p + ("year",), f"expected one of: {', '.join(GRADED_YEARS)}, got {year!r}{did_you_mean(year, GRADED_YEARS)}"[:200])
        if value.get("grade") is None:
            reader.problem(p + ("grade",), "required field is missing")
            return None
        listed = value["grade"] if isinstance(value["grade"], list) else [value["grade"]]
        sub = p + ("grade",)
        if not listed:
            reader.problem(sub, "give at least one grade: an empty list would refuse every event")
            return None
        grades = frozenset(m for i, g in enumerate(listed)
                           if (m := reader.enum(Grade, g, sub + (i,) if isinstance(value["grade"], list) else sub)) is not None)
        levels = None
        if value.get("level") is not None:
            listed = value["level"] if isinstance(value["level"], list) else [value["level"]]
            sub = p + ("level",)
            levels = frozenset(m for i, v in enumerate(listed)
                               if (m := reader.enum(Level, v, sub + (i,) if isinstance(value["level"], list) else sub)) is not None)
            for m in levels:
                check_level(reader, m, sub, context)
        clause = value.get("clause")
        if clause is not None and (not isinstance(clause, str) or (context.clause_ids is not None and clause not in context.clause_ids)):
            reader.problem(p + ("clause",), f"unknown clause {clause!r}"[:200])
            clause = None
        return Graded(year, grades, levels, clause) if grades and year in GRADED_YEARS else None

    return one(raw, path)


def grade_for(ctx: Context, graded: Graded, event: Event) -> Event | None:
    """The evaluation the event is judged by: of the year ``graded`` names, at its levels, the latest recorded."""
    year = graded.year_of(event)
    found = None
    for e in ctx.timeline:
        if e.type is EVALUATED and e.year == year and (graded.levels is None or e.level in graded.levels):
            found = e
    return found


def graded_outcome(ctx: Context, graded: Graded, event: Event) -> tuple[str, Event | None]:
    """``("met", evaluation)``, ``("not_met", evaluation)``, or ``("pending", None)`` while that grade is not recorded."""
    found = grade_for(ctx, graded, event)
    if found is None:
        return "pending", None
    return ("met" if found.grade in graded.grades else "not_met"), found


def graded_check(rule: Rule, ctx: Context, graded: Graded, event: Event, kind: CarrierKind,
                 value: Any) -> tuple[Decision | None, Event | None]:
    """A rule's ``graded`` condition on ``event``: (a pending or refused decision, None) when it does not hold yet,
    else (None, the evaluation it rests on). ``value`` is the amount the pending decision would pay (a callable
    is called only when it is needed)."""
    held, found = graded_outcome(ctx, graded, event)
    if held == "met":
        return None, found
    given = {"graded_year": graded.year_of(event)}
    if found is None:
        amount = value() if callable(value) else value
        if amount:
            return decide(rule, ctx, "grade_pending", event, kind, rule.clauses, amount=amount, status=PENDING, **given), None
        return None, None
    clauses = rule.clauses + ((graded.clause,) if graded.clause else ())
    return decide(rule, ctx, "grade_not_met", event, kind, clauses, events=(event.id, found.id), **given), None


_GRADED_ONE = {
    "type": "object", "required": ["grade"], "additionalProperties": False,
    "properties": {
        "year": {"enum": list(GRADED_YEARS), "description": "previous (上一年度, the default) or same: the year before the event's (evaluated) year, or that year"},
        "grade": {"anyOf": [{"enum": [g.value for g in Grade]}, {"type": "array", "minItems": 1, "items": {"enum": [g.value for g in Grade]}}]},
        "level": {"anyOf": [{"enum": [v.value for v in Level]}, {"type": "array", "minItems": 1, "items": {"enum": [v.value for v in Level]}}]},
        "clause": {"$ref": "#/definitions/text", "description": "the clause a refusal on another grade cites (不合格的,不予奖励)"},
    },
}
GRADED = Param(_read_graded, {
    "description": "{year: previous, grade, level, clause}: the carrier's evaluation of the year before the event must have "
                   "one of these grades; pending until it is recorded (payable once it is), refused (grade_not_met) on another",
    **_GRADED_ONE}, optional=True)
GRADED_CODES = ("grade_pending", "grade_not_met")


_LEVEL_REFUSALS = {"type": "array", "items": {
    "type": "object", "required": ["kinds", "levels"], "additionalProperties": False,
    "properties": {"kinds": {"type": "array", "items": {"enum": [k.value for k in CarrierKind]}},
                   "levels": {"type": "array", "items": {"enum": [v.value for v in Level]}}},
}}

# The conditions, each a parameter of event_award with its reader and its JSON Schema.
CHECKS: Mapping[str, Param] = {
    "covered_by_table": flag_param("true: the rule pays what its table covers (kind_not_covered, level_not_covered), its refusals cite the table cell's clause and its awards record the full amount"),
    "kind_of": choice_param(KIND_OF, "event (the event's kind, else the carrier's) or title (an evaluation naming no kind is of the title it evaluates)"),
    "refuse_kinds": _list_of(CarrierKind, "carrier kinds refused as kind_not_covered"),
    "area": choice_param(AREA_CHECKS, "refuse_outside, require_area or not_checked: the plan's area checked on the carrier"),
    "refuse_levels": Param(_read_refuse_levels, {**_LEVEL_REFUSALS, "description": "[{kinds, levels}]: levels not paid from the column paying those kinds"},
                           optional=True),
    "period": choice_param(PERIOD_BOUNDS, "date or year: the event's date (or evaluated year) must fall in the plan period"),
    "refuse_lower": flag_param("true: a title lower than one held before on the ladder is refused (lower_level)"),
    "first_at_level": flag_param("true: a title at a level held before on the ladder is refused (not_new)"),
    "not_delisted": flag_param("true: an event after a delisting with no title since is refused (delisted)"),
    "title_held": choice_param(TITLE_HELD, "none, on_date or by_year_end: the title of the event's level and column must be held"),
    "grades": _list_of(Grade, "the grades paid, e.g. [excellent]; another is refused as not_excellent"),
    "payable_in_window": flag_param("true: an award whose condition is met after the window's end is refused (payable_after_period)"),
    "condition_from": choice_param(("event", "first_title"), "event, or first_title (the condition counts from the first title on the same column since the last delisting)"),
    "graded": GRADED,
}
PARAMS = {name: spec.read for name, spec in CHECKS.items()}
SCHEMAS = {name: dict(spec.schema or {}) for name, spec in CHECKS.items()}
ONCE_FIELDS_SCHEMA = {
    "type": "object", "required": ["fields"], "additionalProperties": False,
    "description": "one award per value of these event fields; with top_up, a later higher amount pays the difference",
    "properties": {"fields": {"type": "array", "minItems": 1, "items": {"enum": list(ONCE_FIELDS)}}, "top_up": {"type": "boolean"}},
}
CODES = ("kind_not_covered", "level_not_covered", "outside_area", "year_outside_window", "delisted", "not_excellent",
         "lower_level", "not_new", "payable_after_period", "delisted_before_year", "interrupted", *GRADED_CODES)


# --- deciding ----------------------------------------------------------------------

_NOTHING: Mapping[str, Any] = {}  # no values given to a refusal's wording


def window_of(ctx: Context, rule: Rule) -> tuple[datetime.date | None, datetime.date | None, str | None] | None:
    """The rule's window under the readings in force, the plan's dates put in."""
    window = rule.params.get("window")
    if window is None:
        return None
    plan = ctx.ruleset.plan_period
    dates = {"plan_start": plan.start, "plan_issued": plan.issued or plan.start, "plan_end": plan.end}
    clause = window[2]
    if clause is None and (window[0] in dates or window[1] in dates):
        clause = plan.clause  # a window of the plan's dates cites the plan period's clause
    return (dates.get(window[0], window[0]), dates.get(window[1], window[1]), clause)


def held_values(title: Event | None = None, level: Level | None = None, on: datetime.date | None = None) -> dict[str, str]:
    """The ``held_*`` placeholders of a title held before (an event, or a level and date)."""
    if title is not None:
        level, on = title.level, title.date
    assert level is not None and on is not None
    return {"held_level": level.value, "held_level_zh": LEVEL_ZH.get(level, level.value), "held_on": iso_date(on)}


@attrs.frozen
class _Config:
    """A rule's conditions on titles and the plan under one set of readings."""

    covers: bool
    refuse_kinds: frozenset[CarrierKind]
    area: str | None
    refuse_levels: tuple[LevelRefusal, ...]
    period: str | None
    refuse_lower: bool
    top: Rule | None
    ladder_all: bool
    first_at_level: bool
    not_delisted: bool
    title_held: str
    grades: frozenset[Grade] | None
    payable_in_window: bool
    from_first_title: bool
    by_title: bool
    table_id: str | None
    window: Any  # the rule's window under these readings, the plan's dates put in (event_award.window_of)
    types: frozenset[EventType] | None  # the event types the rule decides on
    cell_is_amount: bool  # the amount is the table cell's, with no bound or rounding of its own


def _config(rule: Rule, ctx: Context, amount: Any) -> _Config:
    params = rule.params

    def get(name: str, of: Rule = rule) -> Any:
        return of.params.get(name)

    top = top_up_of(ctx.ruleset, rule)
    return _Config(
        bool(get("covered_by_table")), get("refuse_kinds") or frozenset(), get("area"), get("refuse_levels") or (),
        get("period"), bool(get("refuse_lower")), top, top is not None and get("ladder", top) == "all",
        bool(get("first_at_level")), bool(get("not_delisted")), get("title_held") or "none", get("grades"),
        bool(get("payable_in_window")), get("condition_from") == "first_title", params.get("kind_of") is not None,
        None if amount is None else amount.table, window_of(ctx, rule), scope_types(rule),
        bool(get("covered_by_table")) and amount is not None and amount.table is not None and amount.max is None and amount.min is None,
    )


def _static(rule: Rule, ctx: Context, prep: Any) -> dict[str, Any]:
    """The attributes of a rule's ``PlanChecks`` that depend only on the rule and the readings in force: every
    parameter read and bound once, so that deciding for a carrier re-reads none of them."""
    params = rule.params
    amount = params.get("amount")
    c = _config(rule, ctx, amount)
    filters = params["match"]
    one = filters[0] if len(filters) == 1 else None
    plan = ctx.ruleset.plan_period
    out = {
        "rule": rule, "config": c, "prep": prep, "columns": prep.columns, "cells": prep.memo.setdefault("cells", {}),
        "covers": c.covers, "refuse_kinds": c.refuse_kinds, "area": c.area, "refuse_levels": c.refuse_levels,
        "period": c.period, "refuse_lower": c.refuse_lower, "top": c.top, "ladder_all": c.ladder_all,
        "first_at_level": c.first_at_level, "not_delisted": c.not_delisted, "title_held": c.title_held,
        "grades": c.grades, "payable_in_window": c.payable_in_window, "from_first_title": c.from_first_title,
        "by_title": c.by_title, "table_id": c.table_id, "table": None if c.table_id is None else ctx.ruleset.tables[c.table_id],
        "top_clauses": () if c.top is None else c.top.clauses, "cell_is_amount": c.cell_is_amount,
        # the top-up's differential base (``differential``): by the level held, or less the payments of this purpose
        "top_by_level": c.top is not None and c.top.params.get("base") == "level_held",
        "top_payments": _earlier_payments(c.top),
        "walks": c.not_delisted or c.title_held != "none",
        "checks_before_static": c.covers or bool(c.refuse_kinds) or bool(c.refuse_levels),
        "checks_after": c.refuse_lower or c.first_at_level or c.not_delisted or c.title_held != "none" or c.grades is not None,
        # the rule's own parameters, as event_award decides with them
        "amount": amount, "types": c.types, "filters": filters, "one": one,
        "only_type": next(iter(c.types)) if c.types is not None and len(c.types) == 1 else None,
        "by_type": one is not None and one.by_type_only,
        "all_in_scope": isinstance(one, Filter) and one.kinds is None and one.types == c.types,  # every event of its types
        "window": c.window, "within": params.get("within"),
        # what a refusal outside the window cites besides the cell, and shows
        "window_cites": (c.window[2],) if c.window is not None and c.window[2] else (),
        "window_shown": None if c.window is None else {"window_start": c.window[0], "window_end": c.window[1]},
        "excluded": params.get("exclude_year_of"), "once_per": params.get("once_per") or "event",
        # what ``once`` tells awards apart by: the event's fields (year, level) that ``once_per`` names
        "once_key": operator.attrgetter(*params["once_per"].fields) if isinstance(params.get("once_per"), OncePer) else None,
        "holding": params.get("holding"), "occurrence": params.get("occurrence"), "condition": params.get("condition"),
        "counting": rule.params.get("occurrences"), "graded": rule.params.get("graded"), "schedule": params.get("schedule"),
        "plan_start": plan.start, "plan_end": plan.end,
        "plan_window": {"window_start": plan.start, "window_end": plan.end},  # what an outside_window refusal shows
        "areas": {},  # whether the area check refuses a carrier, by its area name
        "refusing": _refused_before(c, prep.columns, ctx.ruleset),
        "ranks": level_ranks(ctx.ruleset.levels),  # the ladder's order of levels, declared ones included
    }
    # the conditions event_award checks before the plan period, and after it, that most rules leave out
    out["early"] = any(out[name] is not None for name in ("occurrence", "counting", "holding", "window"))
    out["late"] = any(out[name] is not None for name in ("within", "excluded", "graded"))
    # what event_award's loop reads, in one tuple: unpacked once per carrier, not read attribute by attribute
    out["loop"] = tuple(out[name] for name in LOOP)
    return out


def _earlier_payments(top: Rule | None) -> AwardKind | None:
    """The purpose of the recorded payments a top-up's differential base counts (``earlier_payments``), if any."""
    if top is None or top.params.get("base") == "level_held":
        return None
    purpose = top.params.get("earlier_payments")
    return None if purpose in (None, "none") else AwardKind(purpose)


# The names in ``Compiled.loop``, in its order.
LOOP = (
    "filters", "amount", "window", "within", "excluded", "once_per", "holding", "occurrence", "condition", "counting",
    "schedule", "graded", "one", "by_type", "all_in_scope", "checks_after", "period", "refusing", "plan_start", "plan_end",
    "cell_is_amount", "covers", "columns", "table", "cells", "early", "late", "prep", "plan_window",
    "window_cites", "window_shown",
)


def _refused_before(c: _Config, columns: Mapping[CarrierKind, str | None], ruleset: Ruleset) -> frozenset[Any]:
    """The (kind, level) pairs ``PlanChecks.before`` refuses whatever the carrier's area: the kinds and levels the
    rule does not cover; every other event passes those checks without a call."""
    out = set()
    for kind in CarrierKind:
        column = columns[kind]
        paid = ruleset.columns.get(column, ()) if column is not None else ()
        for level in (*Level, *ruleset.levels, None):  # the built-in levels and those the ruleset declares
            if (c.covers and column is None) or kind in c.refuse_kinds or (column is not None and any(
                    level in r.levels and any(k in paid for k in r.kinds) for r in c.refuse_levels)):
                out.add((kind, level))
    return frozenset(out)


def compiled(rule: Rule, ctx: Context) -> "Compiled":
    """``rule``'s conditions and parameters under the readings in force, read once per ruleset and readings;
    ``PlanChecks(compiled(rule, ctx), ctx)`` decides with them for one carrier."""
    prep = prep_of(ctx.ruleset, rule)  # the rule of the ruleset resolved under the readings in force: its own prep
    found = prep.memo.get("plan_checks")
    if found is None:
        found = prep.memo["plan_checks"] = Compiled(_static(rule, ctx, prep))
    return found  # type: ignore[no-any-return]


class Compiled:
    """What ``_static`` reads of one rule under one set of readings, as plain attributes of one object.

    Read for every carrier and event: an attribute of an instance costs one
    look-up in its dictionary, where an attribute of a class read through
    an instance costs several times that (Python 3.11 does not specialise it).
    """

    rule: Rule
    config: _Config
    prep: Any
    columns: Mapping[CarrierKind, str | None]
    walks: bool
    checks_before_static: bool
    types: frozenset[EventType] | None
    areas: dict[str | None, bool]
    refusing: frozenset[Any]
    loop: tuple[Any, ...]
    ranks: Mapping[Level, int]

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.__dict__.update(values)  # the names of ``_static``: those above, and the rule's other parameters


class PlanChecks:
    """One rule's conditions on titles and the plan, as it decides for one carrier: ``s`` is what the conditions
    are under the readings in force (``compiled``), the other slots what deciding for this carrier has seen."""

    __slots__ = ("s", "ctx", "kinds", "index", "walk", "once_seen", "candidates", "outside_area", "checks_before")

    def __init__(self, s: Compiled, ctx: Context) -> None:
        self.s = s
        self.ctx = ctx
        self.kinds: tuple[CarrierKind, ...] | None = None  # None: every event is of the carrier's kind or its own
        if s.by_title:
            for e in ctx.timeline:  # no event naming a kind: each is of the carrier's (a plain loop costs least)
                if e.kind is not None:
                    kinds = title_kinds(ctx)
                    if not (kinds.count(kinds[0]) == len(kinds) and kinds[0] is ctx.carrier.kind):
                        self.kinds = kinds
                    break
        self.index: dict[str, int] | None = None
        self.walk: _TitleWalk | None = None  # made when a condition on titles is first checked
        self.once_seen: dict[Any, int] = {}
        self.candidates: list[Candidate] = []
        outside = False
        if s.area is not None:  # ``area_refused``, remembered by the carrier's area name (names recur across a portfolio)
            seen = s.areas
            outside = seen.get(ctx.carrier.area)
            if outside is None:
                outside = area_refused(ctx, s.area)
                if len(seen) < 4096:
                    seen[ctx.carrier.area] = outside
        self.outside_area = outside
        self.checks_before = s.checks_before_static or outside

    def position(self, event: Event) -> int:
        """The event's index in the timeline."""
        index = self.index
        if index is None:
            index = self.index = {e.id: i for i, e in enumerate(self.ctx.timeline)}
        return index[event.id]

    def kind_of(self, event: Event) -> CarrierKind:
        """The carrier kind the event is decided as."""
        if self.kinds is None:
            return event.kind or self.ctx.carrier.kind
        return self.kinds[self.position(event)]

    def cell(self, event: Event, kind: CarrierKind) -> tuple[DatedValue | None, tuple[str, ...]]:
        """The table cell in force for the event, and what the rule's refusals cite: the cell's clause (under
        ``covered_by_table``), else the rule's clauses."""
        s = self.s
        column = s.columns[kind]
        cells = s.cells  # the cells that are the same whatever the date, by kind and level
        if not s.covers or s.table is None or column is None or event.level is None:
            found = cells[(kind, event.level)] = (None, s.rule.clauses)
            return found
        found = cells.get((kind, event.level))
        if found is None:
            dated = s.table.columns.get(column, {}).get(event.level)
            value = s.table.value(column, event.level, event.date)
            found = (value, (clause_of(s.table, column, event.level, value),))
            if dated is not None and len(dated) == 1 and dated[0].start is None:
                cells[(kind, event.level)] = found  # the same cell whatever the date
        return found

    def _refuse(self, code: str, event: Event, kind: CarrierKind, clauses: Sequence[str],
                given: Mapping[str, Any] = _NOTHING) -> Decision:
        """``refuse`` with this rule, showing the values ``given``."""
        return refuse(self.s.prep, self.ctx, code, event, kind, clauses if isinstance(clauses, tuple) else tuple(clauses), given)

    def column_cites(self, clauses: tuple[str, ...], kind: CarrierKind, table: str | None = None) -> tuple[str, ...]:
        """``clauses`` without those granting another column's amounts than the kind's (or another table's)."""
        column = self.s.columns[kind]
        return clauses if column is None else column_clauses(self.ctx.ruleset, clauses, column, table)

    def before(self, event: Event, kind: CarrierKind) -> Decision | None:
        """Kinds, area and levels, checked before the rule's own filter."""
        s = self.s
        rule, ruleset = s.rule, self.ctx.ruleset
        column = s.columns[kind]
        if s.covers and column is None:
            return self._refuse("kind_not_covered", event, kind, rule.clauses)
        if kind in s.refuse_kinds:
            return self._refuse("kind_not_covered", event, kind,
                                self.column_cites(rule.clauses + bound_clauses(ruleset, rule, "refuse_kinds"), kind))
        if self.outside_area:
            clauses = (ruleset.area.clause,) + bound_clauses(ruleset, rule, "area")  # type: ignore[union-attr]
            return self._refuse("outside_area", event, kind, clauses, {"area": self.ctx.carrier.area or "-"})
        if s.refuse_levels and column is not None:
            paid = ruleset.columns.get(column, ())
            if any(event.level in r.levels and any(k in paid for k in r.kinds) for r in s.refuse_levels):
                first = (clause_of(s.table, column, event.level, None),) if s.table is not None and event.level else rule.clauses  # type: ignore[arg-type]
                found = bound_clauses(ruleset, rule, "refuse_levels")
                return self._refuse("level_not_covered", event, kind,
                                    first + (column_clauses(ruleset, found, column, s.table_id) if found else ()))
        return None

    def outside_year(self, event: Event, kind: CarrierKind, cited: tuple[str, ...]) -> Decision | None:
        """The plan period by the event's evaluated year (``period: year``; by its date, ``event_award`` refuses
        in its loop)."""
        s = self.s
        start, end = s.plan_start, s.plan_end
        if event.year is None or not start.year <= event.year <= end.year:
            clauses = self.column_cites(cited + bound_clauses(self.ctx.ruleset, s.rule, "period"), kind)
            return self._refuse("year_outside_window", event, kind, clauses, s.plan_window)
        return None

    def titles_before(self, event: Event, kind: CarrierKind) -> list[Event]:
        """The accreditations and filings before the event in the timeline, on its ladder."""
        columns = self.s.columns
        key = self.ladder(columns[kind])
        out = []
        own = self.ctx.carrier.kind
        for e in self.ctx.timeline:
            if e is event:
                break
            if e.type is ACCREDITED or e.type is FILED:
                column = columns[e.kind or own]
                if column is not None and self.ladder(column) == key:
                    out.append(e)
        return out

    def ladder(self, column: str | None) -> str | None:
        """The ladder a table column climbs: its own, or one for all (``ladder: all``)."""
        return "*" if self.s.ladder_all else column

    def after_amount(self, event: Event, kind: CarrierKind, cited: tuple[str, ...]) -> Decision | None:
        """A lower title or a level held before, a delisting, the title held and the grade."""
        s = self.s
        graded_out = s.grades is not None and event.grade not in s.grades
        if graded_out and not self.ctx.detail:
            return LEFT_OUT  # totals give no reason: the refusal that costs least to find comes first
        if s.refuse_lower or s.first_at_level:
            held = self.titles_before(event, kind)
            ranks = s.ranks
            rank = ranks[event.level] if event.level is not None else 0
            higher = max((e for e in held if e.level is not None and ranks[e.level] > rank), key=lambda e: ranks[e.level], default=None)  # type: ignore[index]
            if s.refuse_lower and higher is not None:
                return self._refuse("lower_level", event, kind, cited + s.top_clauses, held_values(higher))
            if s.first_at_level:
                same = next((e for e in reversed(held) if e.level is event.level), None)
                if same is not None:
                    clauses = self.column_cites(cited + bound_clauses(self.ctx.ruleset, s.rule, "first_at_level"), kind)
                    return self._refuse("not_new", event, kind, clauses, held_values(same))
        if s.walks:
            walk = self.walk
            if walk is None:
                walk = self.walk = _TitleWalk(self.ctx, s.columns)
            if walk.delists or s.title_held != "none":  # no delisting in the timeline: not_delisted always holds
                walk.to(self.position(event))
                if s.not_delisted and walk.delisted_on is not None:
                    return self._refuse("delisted", event, kind, cited, {"ended_on": walk.delisted_on})
                if s.title_held != "none" and walk.title(s.columns[kind], event, s.title_held) is None:
                    clauses = self.column_cites(cited + bound_clauses(self.ctx.ruleset, s.rule, "title_held"), kind)
                    return refuse(s.prep, self.ctx, "no_title", event, kind, clauses, _NOTHING)
        if graded_out:
            return refuse(s.prep, self.ctx, "not_excellent", event, kind, cited, _NOTHING)
        return None

    def once(self, once: OncePer, event: Event, kind: CarrierKind, value: int, cell: DatedValue | None,
             cited: tuple[str, ...]) -> Decision:
        """One award per value of the event's fields; with ``top_up`` a higher amount pays the difference."""
        s = self.s
        key = s.once_key(event)
        seen = self.once_seen
        already = seen.get(key, 0) if once.top_up else (value if key in seen else 0)
        if value <= already:
            found = bound_clauses(self.ctx.ruleset, s.rule, "once_per")
            column = s.columns[kind]
            clauses = cited + (column_clauses(self.ctx.ruleset, found, column, s.table_id) if found and column else found)
            return decide(s.rule, self.ctx, "already_awarded", event, kind, clauses, full_amount=value, already_received=already)
        seen[key] = value
        return decide(s.rule, self.ctx, "awarded", event, kind, cited, amount=value - already, payable_on=event.date,
                      full_amount=value, already_received=already, amount_in_force_from=None if cell is None else cell.start)

    def condition_start(self, event: Event, kind: CarrierKind) -> int:
        """Where the rule's condition starts counting: at the event, or (``condition_from: first_title``) at the
        first accreditation or filing on the same column since the last delisting."""
        i = self.position(event)
        if self.s.from_first_title:
            columns = self.s.columns
            column = columns[kind]
            own = self.ctx.carrier.kind
            first: int | None = None
            for j, e in enumerate(self.ctx.timeline[:i]):
                if e.type is DELISTED:
                    first = None
                elif first is None and (e.type is ACCREDITED or e.type is FILED) and columns[e.kind or own] == column:
                    first = j
            if first is not None:
                i = first
        return i


_TITLE_TYPES = frozenset({DELISTED, ACCREDITED, FILED})


class _TitleWalk:
    """The carrier's titles as a walk through its timeline reaches each event: held by (column, level) since the last
    delisting, and the date of a delisting not followed by a new accreditation or filing."""

    __slots__ = ("timeline", "marks", "own", "columns", "delisted_on", "held", "delists")

    def __init__(self, ctx: Context, columns: Mapping[CarrierKind, str | None]) -> None:
        self.timeline = ctx.timeline
        self.marks: list[tuple[int, Event]] | None = None
        self.own = ctx.carrier.kind
        self.columns = columns
        self.delisted_on: datetime.date | None = None
        self.held: dict[tuple[str | None, Level | None], Event] = {}
        self.delists = False  # the timeline has a delisting (a plain loop costs least)
        for e in self.timeline:
            if e.type is DELISTED:
                self.delists = True
                break

    def to(self, at: int) -> None:
        """Walk up to and including the event at position ``at`` of the timeline."""
        marks = self.marks
        if marks is None:  # the delistings, accreditations and filings by position, the last first: taken in turn
            marks = self.marks = [(i, e) for i, e in enumerate(self.timeline) if e.type in _TITLE_TYPES]
            marks.reverse()
        while marks and marks[-1][0] <= at:
            e = marks.pop()[1]
            if e.type is DELISTED:
                self.delisted_on = e.date
                self.held.clear()
            else:
                self.delisted_on = None
                self.held[(self.columns[e.kind or self.own], e.level)] = e

    def title(self, column: str | None, event: Event, how: str) -> Event | None:
        """The title of the event's level and column held on its date (``on_date``), or by the end of its year."""
        title = self.held.get((column, event.level))
        if title is not None and how == "by_year_end" and event.year is not None and title.date > datetime.date(event.year, 12, 31):
            return None
        return title


# --- the differential: what a top-up rule pays on an award already partly received --------


def top_up_of(ruleset: Ruleset, rule: Rule) -> Rule | None:
    """The ``top_up`` rule that tops up ``rule``'s awards (``tops_up: <rule id>``), if any."""
    def build(prep: Any) -> list[Rule | None]:
        return [next((r for r in ruleset.rules if r.kind == "top_up" and r.params.get("tops_up") == rule.id), None)]

    return prep_of(ruleset, rule).derived("top_up_of", build)[0]  # type: ignore[no-any-return]


@attrs.frozen
class Candidate:
    """An award that passed its conditions: its event, kind and column, table cell, and the condition's outcome."""

    event: Event
    kind: CarrierKind
    column: str
    value: DatedValue
    payable_on: datetime.date
    met: bool
    events: tuple[str, ...]
    condition: Condition | None


def differential(plan: PlanChecks) -> list[Decision]:
    """The candidates' decisions, in payable order, each less the differential base (docs/policy-map.md).

    With no top-up rule, or nothing received, the award rule pays the full
    amount. Otherwise the top-up rule decides: under ``base: received``, what
    the award and top-up rules decided so far on the same ladder plus (with
    ``earlier_payments``) the recorded payments of that purpose on the ladder
    that settle no decision of this plan, dated on or before the new award
    falls due, for its level or a lower one. Such a payment for a higher
    level, dated on or before the event, shows a higher title held before:
    the event is refused as ``lower_level``. A level already paid gets
    nothing (``level_already_paid``), an amount not above the base neither
    (``no_difference``). Under ``base: level_held`` the base is the table
    amount of the highest level held before on the ladder, paid or not.
    """
    ctx, s = plan.ctx, plan.s
    rule, top = s.rule, s.top
    ruleset = ctx.ruleset
    ranks = s.ranks
    out: list[Decision] = []
    by_level, wanted = s.top_by_level, s.top_payments
    payments = []
    if wanted is not None:
        mine = [e for e in ctx.timeline if e.type is PAYMENT_RECEIVED and e.purpose is wanted]
        settled = settlements(ctx, mine) if mine else {}  # each payment's settlement is its own
        for e in mine:
            if settled.get(e.id) is None:
                column = s.columns[e.kind or ctx.carrier.kind]
                if column is not None:
                    payments.append((e, plan.ladder(column), column))
    received: list[tuple[str | None, str, Level | None, int]] = []  # (ladder, column, level, amount) decided so far
    candidates = plan.candidates
    ordered = candidates if len(candidates) == 1 else sorted(candidates, key=lambda c: (c.payable_on, plan.position(c.event)))
    for c in ordered:
        key = plan.ladder(c.column)
        assert c.event.level is not None
        full = c.value.amount
        code = "awarded" if c.met else "pending"
        status = AWARDED if c.met else PENDING
        common: dict[str, Any] = dict(payable_on=c.payable_on, events=c.events, full_amount=full,
                                      amount_in_force_from=c.value.start, condition=c.condition)
        if by_level:
            assert top is not None
            held = plan.titles_before(c.event, c.kind)
            high = max(held, key=lambda e: (ranks[e.level], plan.position(e)), default=None)  # type: ignore[index]
            base = 0
            if high is not None and s.table is not None:
                high_value = s.table.value(s.columns[high.kind or ctx.carrier.kind], high.level, c.event.date)  # type: ignore[arg-type]
                base = 0 if high_value is None else high_value.amount
            if base == 0:
                out.append(decide(rule, ctx, code, c.event, c.kind, (c.value.clause,), amount=full, already_received=0, **common))
                continue
            clauses = (c.value.clause,) + top.clauses
            if full <= base:
                common["payable_on"] = None
                out.append(decide(top, ctx, "no_difference", c.event, c.kind, clauses, already_received=base, **common))
                continue
            clauses = column_clauses(ruleset, tuple(dict.fromkeys(clauses + bound_clauses(ruleset, top, "base"))), c.column)
            out.append(decide(top, ctx, f"level_difference_{code}", c.event, c.kind, clauses, amount=full - base,
                              already_received=base, status=status, **common, **held_values(high)))
            continue
        # (most carriers have no such payments, and nothing decided before: no list to make)
        earlier = [(p, col) for p, lad, col in payments if lad == key and p.date <= c.payable_on] if payments else ()
        rank = ranks[c.event.level]
        higher = max((p for p, _ in earlier if ranks[p.level] > rank and p.date <= c.event.date),  # type: ignore[index]
                     key=lambda p: (ranks[p.level], p.date), default=None) if earlier else None  # type: ignore[index]
        if higher is not None:  # money received for a higher level shows a higher title held before: not an upgrade
            out.append(decide(rule, ctx, "lower_level", c.event, c.kind, (c.value.clause,) + s.top_clauses,
                              events=(c.event.id, higher.id), **held_values(higher)))
            continue
        # money for a higher level received after this event pays a later upgrade, not this award
        paid = [(col, p.level, p.amount or 0) for p, col in earlier if ranks[p.level] <= rank] if earlier else []  # type: ignore[index]
        if received:
            paid += [(col, lvl, amt) for lad, col, lvl, amt in received if lad == key]
        already = sum(amt for _, _, amt in paid) if paid else 0
        common["already_received"] = already
        if already == 0 or top is None:
            out.append(decide(rule, ctx, code, c.event, c.kind, (c.value.clause,), amount=full, **common))
            received.append((key, c.column, c.event.level, full))
            continue
        clauses = (c.value.clause,) + top.clauses
        at_level = sum(amt for col, lvl, amt in paid if col == c.column and lvl == c.event.level)
        if full <= already or at_level > 0:  # a level already paid gives nothing, whatever the ladder received
            common["payable_on"] = None
            out.append(decide(top, ctx, "level_already_paid" if at_level > 0 else "no_difference", c.event, c.kind,
                              clauses, level_received=at_level, **common))
            continue
        out.append(decide(top, ctx, code, c.event, c.kind, clauses, amount=full - already, **common))
        received.append((key, c.column, c.event.level, full - already))
    return out
