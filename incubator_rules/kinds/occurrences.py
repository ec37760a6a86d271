"""Counting conditions: N matching events in a row, within a rolling window, or within a fixed cycle.

"连续两年不达标" is two consecutive failing years; "3 excellent grades within a
5-year cycle" three in one fixed cycle; "2 failing years within any 3" two
inside a rolling window of three years. Events that carry an evaluated
``year`` are counted by that year, others by their date.

A cycle starts on a fixed date (``from: 2021-01-01``, by default the plan
period's start) or on each carrier's own anchor (``from: <filter>``: its
first matching event, e.g. its filing or its first evaluation), so "以三年为
一个周期" counts each space's cycles from its own filing.
"""

from __future__ import annotations

import datetime
from typing import Any, Mapping, Sequence

import attrs
from dateutil.relativedelta import relativedelta

from ..model.carrier import Event
from .base import Context
from .generic import Filter, Param, add, matches, read_filters

__all__ = ["Occurrences", "Tally", "cycle_start", "occurrences_param", "tally"]


@attrs.frozen
class Occurrences:
    """``count`` matching events: ``consecutive`` (no non-matching evaluation or missing year between them),
    all ``within`` a duration of the first, or in one fixed cycle of ``cycle_years`` counted from ``start`` (a
    date) or from each carrier's first event matching ``anchor``."""

    count: int
    consecutive: bool = False
    within: dict[str, int] | None = None
    cycle_years: int | None = None
    start: datetime.date | None = None  # None: the plan period's start (or the anchor's)
    anchor: tuple[Filter, ...] | None = None  # the cycles of a carrier start on its first event matching it


@attrs.frozen
class Start:
    """Where a carrier's first cycle starts: a date (for events counted by date) and an evaluated year."""

    date: datetime.date
    year: int


@attrs.frozen
class Tally:
    """Where one event leaves the count: ``reached`` (the count is complete with it), ``short``, ``done`` (its
    cycle was already complete), ``outside`` (before the first cycle) or ``not_held`` (the event does not match)."""

    status: str
    counted: tuple[Event, ...] = ()


def _follows(earlier: Event, later: Event) -> bool:
    return earlier.year is None or later.year is None or later.year == earlier.year + 1


def _inside(first: Event, last: Event, within: dict[str, int]) -> bool:
    if first.year is not None and last.year is not None and set(within) == {"years"}:
        return last.year - first.year < within["years"]
    return last.date <= add(first.date, within)


def _cycle(occ: Occurrences, event: Event, start: Start | None) -> int | None:
    assert occ.cycle_years is not None
    if start is None:
        return None
    if event.year is not None:
        return None if event.year < start.year else (event.year - start.year) // occ.cycle_years
    if event.date < start.date:
        return None
    return relativedelta(event.date, start.date).years // occ.cycle_years


def cycle_start(occ: Occurrences, ctx: Context) -> Start | None:
    """Where the carrier's first cycle starts: the date ``from``, the first event matching the anchor (its
    evaluated year, else its date's year), or the plan period's start; None when the carrier has no anchor event."""
    if occ.anchor is None:
        day = occ.start or ctx.ruleset.plan_period.start
        return Start(day, day.year)
    for e in ctx.timeline:
        if matches(occ.anchor, e, ctx):
            return Start(e.date, e.year if e.year is not None else e.date.year)
    return None


def tally(occ: Occurrences, events: Sequence[tuple[Event, bool]], start: Start | None) -> list[Tally]:
    """For each ``(event, matches)`` in timeline order, where it leaves the count (``start``: ``cycle_start``).

    Once the count is complete, the events counted are used up: counting
    starts again after them (and, with cycles, only in the next cycle).
    """
    run: list[Event] = []
    done: set[int] = set()
    cycle: int | None = None
    out: list[Tally] = []
    for event, held in events:
        if not held:
            if occ.consecutive:
                run = []
            out.append(Tally("not_held"))
            continue
        if occ.cycle_years is not None:
            this = _cycle(occ, event, start)
            if this is None:
                out.append(Tally("outside"))
                continue
            if this != cycle:
                run, cycle = [], this
            if this in done:
                out.append(Tally("done"))
                continue
        if occ.consecutive and run and not _follows(run[-1], event):
            run = []
        run.append(event)
        if occ.within is not None:
            run = [e for e in run if _inside(e, event, occ.within)]
        if len(run) >= occ.count:
            out.append(Tally("reached", tuple(run)))
            run = []
            if cycle is not None:
                done.add(cycle)
        else:
            out.append(Tally("short", tuple(run)))
    return out


def check_counting(reader: Any, raw: Mapping[Any, Any], params: Mapping[str, Any], path: tuple[Any, ...]) -> None:
    """``occurrence: N`` (the N-th matching event ever) and ``occurrences`` (N in a row, a window or a cycle) are two
    different counts: a rule gives at most one, so that the N-th ever never stands in for N within a cycle."""
    if raw.get("occurrence") is not None and raw.get("occurrences") is not None:
        reader.problem(path + ("occurrence",), "give either occurrence (the N-th matching event ever) or occurrences "
                                               "(N matching events in a row, within a window or in a cycle), not both")


_KEYS = ("count", "consecutive", "within", "cycle", "from")


def _read(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    if raw is None:
        return None
    return _read_one(reader, raw, path, context)


def _read_one(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Occurrences | None:
    raw = reader.mapping(raw, path, _KEYS)
    if raw is None:
        return None
    count = raw.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 100:
        reader.problem(path + ("count",), f"expected a whole number from 1 to 100, got {count!r}"[:120])
        return None
    consecutive = raw.get("consecutive", False)
    if not isinstance(consecutive, bool):
        reader.problem(path + ("consecutive",), f"expected true or false, got {consecutive!r}"[:120])
    within = None if raw.get("within") is None else reader.duration(raw["within"], path + ("within",), ("years", "months", "days"), "window")
    cycle = None
    if raw.get("cycle") is not None:
        c = reader.mapping(raw["cycle"], path + ("cycle",), ("years",))
        years = None if c is None else c.get("years")
        if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= 50:
            reader.problem(path + ("cycle", "years"), f"expected a cycle of 1 to 50 years, got {years!r}"[:120])
        else:
            cycle = years
    if sum(x is not None and x is not False for x in (within, cycle, consecutive or None)) > 1:
        reader.problem(path, "give at most one of: consecutive, within, cycle")
    start, anchor = None, None
    if isinstance(raw.get("from"), (Mapping, list)):
        anchor = read_filters(reader, raw["from"], path + ("from",), context)
    else:
        start = reader.date(raw, "from", path, False)
    if raw.get("from") is not None and raw.get("cycle") is None:
        reader.problem(path + ("from",), "'from' is the start of the first cycle: give 'cycle' too")
    return Occurrences(count, bool(consecutive), within, cycle, start, anchor)


def occurrences_param(description: str) -> Param:
    """The ``occurrences`` parameter: ``{count, consecutive | within | cycle (+ from)}``, or bound to a reading."""
    schema = {
        "type": "object", "required": ["count"], "additionalProperties": False, "description": description,
        "properties": {
            "count": {"type": "integer", "minimum": 1, "maximum": 100, "description": "how many matching events"},
            "consecutive": {"type": "boolean", "description": "in consecutive (evaluated) years"},
            "within": {"$ref": "#/definitions/calendar_duration", "description": "all within this long of the first (rolling)"},
            "cycle": {"type": "object", "required": ["years"], "additionalProperties": False,
                      "properties": {"years": {"type": "integer", "minimum": 1, "maximum": 50}},
                      "description": "in one fixed cycle of this many years"},
            "from": {"anyOf": [{"$ref": "#/definitions/date"}, {"$ref": "#/definitions/filters"}],
                     "description": "the first cycle's start: a date (default: the plan period's start), or a filter: "
                                    "each carrier's first matching event (its evaluated year, else its date)"},
        },
    }
    return Param(_read, {"description": description, **schema}, optional=True)
