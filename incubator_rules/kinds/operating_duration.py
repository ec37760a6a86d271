"""``operating_duration``: a period of normal operation a subsidy waits for (Wanzhou interpretation, Q3).

The count starts at an accreditation (or, under a reading, at the start of
the stretch of normal operation it falls in); an interruption restarts it
when it ends, and a delisting ends it. Which events interrupt, and which
restore normal operation, is the event types' registry (``EVENT_TYPES``).
"""

from __future__ import annotations

import datetime
from typing import Callable

import attrs

from ..model.carrier import EVENT_TYPES, RECTIFYING_STATE, EventType
from ..model.durations import period
from ..model.ruleset import Rule
from .base import Context, RuleKind, RulePrep, prep_of

__all__ = ["KIND", "Outcome", "operating_duration", "stretch_start"]

DELISTED = EventType.DELISTED
RECTIFICATION_ORDERED = EventType.RECTIFICATION_ORDERED

KIND = RuleKind(
    name="operating_duration",
    params={"duration": "duration"},
    roles={
        "count_from": frozenset({"accreditation_date", "operation_start"}),
        "interruptions": frozenset({"no_suspension_rectification_or_delisting", "no_suspension_or_delisting"}),
        "anniversary": frozenset({"inside_year", "after_year"}),
        "same_day": frozenset({"delisting_first", "accreditation_first"}),
        "zero_length": frozenset({"ignored", "restarts"}),
    },
    codes=(),
)


@attrs.frozen
class Outcome:
    """Result of the operating-duration condition for one accreditation."""

    status: str  # met, pending, interrupted, ended
    counted_from: datetime.date | None
    date: datetime.date | None
    events: tuple[str, ...]


# Each event type's effect on the OPERATION_STATES, when rectification counts (True) and when it does not.
_EFFECTS: dict[bool, dict[EventType, tuple[int, bool]]] = {
    counts: {
        t: spec.operation for t, spec in EVENT_TYPES.items()
        if spec.operation is not None and (counts or spec.operation[0] != RECTIFYING_STATE)
    }
    for counts in (True, False)
}
# The events that take a carrier out of normal operation, and those it can begin again with.
_ANY_INTERRUPTION = frozenset(t for t, effect in _EFFECTS[True].items() if effect[1])
_SUSPENSION_OR_DELISTING = frozenset(t for t, effect in _EFFECTS[False].items() if effect[1])
_STARTING = frozenset(t for t, spec in EVENT_TYPES.items() if spec.starts)


def _adder(prep: RulePrep) -> Callable[[datetime.date], datetime.date]:
    """``date + duration`` (dateutil's calendar arithmetic), remembered per date."""
    length = period(prep.rule.params["duration"])
    sums: dict[datetime.date, datetime.date] = {}

    def add(day: datetime.date) -> datetime.date:
        found = sums.get(day)
        if found is None:
            try:
                found = day + length
            except (OverflowError, ValueError):
                found = datetime.date.max  # ends past the calendar: never complete
            sums[day] = found
        return found

    return add


def _interrupting(rule: Rule, ctx: Context) -> frozenset[EventType]:
    if ctx.reading(rule, "interruptions") == "no_suspension_or_delisting":
        return _SUSPENSION_OR_DELISTING
    return _ANY_INTERRUPTION


def stretch_start(rule: Rule, ctx: Context, index: int) -> int:
    """Index of the event that began the stretch of normal operation containing event ``index``."""
    effects = _EFFECTS[RECTIFICATION_ORDERED in _interrupting(rule, ctx)]
    states = [False, False, False]  # OPERATION_STATES
    start: int | None = None
    operating = False
    for i, e in enumerate(ctx.timeline[: index + 1]):
        effect = effects.get(e.type)
        if effect is not None:
            states[effect[0]] = effect[1]
        now = not (states[0] or states[1] or states[2]) and (operating or e.type in _STARTING)
        if now and not operating:
            start = i
        operating = now
    return start if (operating and start is not None) else index


def operating_duration(rule: Rule, ctx: Context, start: int, not_before: datetime.date) -> Outcome:
    """Whether, and when, the carrier completes the rule's duration of normal operation.

    The count starts at event ``start``; an interruption restarts it when it
    ends, a delisting ends it; it is met no earlier than ``not_before``.
    """
    add = prep_of(ctx.ruleset, rule).derived("add", _adder)
    counted = _interrupting(rule, ctx)
    effects = _EFFECTS[RECTIFICATION_ORDERED in counted]
    states = [False, False, False]  # OPERATION_STATES
    counted_from: datetime.date | None = None
    due: datetime.date | None = None
    interrupted_on: datetime.date | None = None
    touched: list[str] = []
    inside = ctx.reading(rule, "anniversary") == "inside_year"  # 民法典 arts. 201, 203: the anniversary day belongs to the year
    for i, e in enumerate(ctx.timeline):
        if i > start and due is not None and (e.date > due if inside else e.date >= due):
            break
        t = e.type
        effect = effects.get(t)
        if effect is not None:
            states[effect[0]] = effect[1]
        if i < start:
            if t in counted:
                interrupted_on = e.date
            continue
        operating = not (states[0] or states[1] or states[2])
        if i == start:
            if operating:
                counted_from, due = e.date, max(add(e.date), not_before)
            continue
        if t in counted:
            touched.append(e.id)
            if t is DELISTED:
                return Outcome("ended", counted_from, e.date, tuple(touched))
            counted_from, due, interrupted_on = None, None, e.date
        elif counted_from is None and operating:
            touched.append(e.id)
            counted_from, due = e.date, max(add(e.date), not_before)
    if due is None:
        return Outcome("interrupted", None, interrupted_on, tuple(touched))
    met = due <= ctx.as_of and due != datetime.date.max  # date.max: the period ends past the calendar
    return Outcome("met" if met else "pending", counted_from, due, tuple(touched))
