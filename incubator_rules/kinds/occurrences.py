"""Counting conditions: N matching events in a row, within a rolling window, or within a fixed cycle.

"连续两年不达标" is two consecutive failing years; "3 excellent grades within a
5-year cycle" three in one fixed cycle; "2 failing years within any 3" two
inside a rolling window of three years. Events that carry an evaluated
``year`` are counted by that year, others by their date.
"""

from __future__ import annotations

import datetime
from typing import Any, Sequence

import attrs
from dateutil.relativedelta import relativedelta

from ..model.carrier import Event
from .generic import Param, add

__all__ = ["Occurrences", "Tally", "occurrences_param", "tally"]


@attrs.frozen
class Occurrences:
    """``count`` matching events: ``consecutive`` (no non-matching evaluation or missing year between them),
    all ``within`` a duration of the first, or in one fixed cycle of ``cycle_years`` counted from ``start``."""

    count: int
    consecutive: bool = False
    within: dict[str, int] | None = None
    cycle_years: int | None = None
    start: datetime.date | None = None  # None: the plan period's start


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


def _cycle(occ: Occurrences, event: Event, start: datetime.date) -> int | None:
    assert occ.cycle_years is not None
    if event.year is not None:
        return None if event.year < start.year else (event.year - start.year) // occ.cycle_years
    if event.date < start:
        return None
    return relativedelta(event.date, start).years // occ.cycle_years


def tally(occ: Occurrences, events: Sequence[tuple[Event, bool]], plan_start: datetime.date) -> list[Tally]:
    """For each ``(event, matches)`` in timeline order, where it leaves the count.

    Once the count is complete, the events counted are used up: counting
    starts again after them (and, with cycles, only in the next cycle).
    """
    start = occ.start or plan_start
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


_KEYS = ("count", "consecutive", "within", "cycle", "from")


def _read(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Occurrences | None:
    if raw is None:
        return None
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
    start = reader.date(raw, "from", path, False)
    if start is not None and cycle is None:
        reader.problem(path + ("from",), "'from' is the start of the first cycle: give 'cycle' too")
    return Occurrences(count, bool(consecutive), within, cycle, start)


def occurrences_param(description: str) -> Param:
    """The ``occurrences`` parameter: ``{count, consecutive | within | cycle (+ from)}``."""
    schema = {
        "type": "object", "required": ["count"], "additionalProperties": False, "description": description,
        "properties": {
            "count": {"type": "integer", "minimum": 1, "maximum": 100, "description": "how many matching events"},
            "consecutive": {"type": "boolean", "description": "in consecutive (evaluated) years"},
            "within": {"$ref": "#/definitions/calendar_duration", "description": "all within this long of the first (rolling)"},
            "cycle": {"type": "object", "required": ["years"], "additionalProperties": False,
                      "properties": {"years": {"type": "integer", "minimum": 1, "maximum": 50}},
                      "description": "in one fixed cycle of this many years"},
            "from": {"$ref": "#/definitions/date", "description": "the first cycle's start (default: the plan period's start)"},
        },
    }
    return Param(_read, schema, optional=True)
