"""``normal_operation``: a period of normal operation an award waits for (its ``condition``).

The count starts at the awarded event (or, with ``count_from:
operation_start``, at the start of the stretch of normal operation it falls
in); an interruption restarts it when it ends, and a delisting ends it.
Which events interrupt, and which restore normal operation, is the event
types' registry (``EVENT_TYPES``); ``rectification_interrupts: false``
leaves a rectification order out. Its ``same_day`` and ``zero_length``
parameters order the timeline every rule of the ruleset decides on
(``base.arrange``). Every parameter can be bound to a reading.
"""

from __future__ import annotations

import datetime
from typing import Any, Callable, Mapping

import attrs

from ..model.carrier import EVENT_TYPES, RECTIFYING_STATE, EventType
from ..model.durations import period
from ..model.ruleset import Rule
from .base import Context, RuleKind, RulePrep, option_of, prep_of
from . import checks
from .generic import Param, declare

__all__ = ["CHOICES", "KIND", "Outcome", "condition_start", "operating_duration", "option", "stretch_start"]

DELISTED = EventType.DELISTED
RECTIFICATION_ORDERED = EventType.RECTIFICATION_ORDERED


# The parameters besides the duration, with their allowed values; the first is the default.
CHOICES: dict[str, tuple[Any, ...]] = {
    "count_from": ("event", "operation_start"),
    "rectification_interrupts": (True, False),
    "anniversary": ("inside", "after"),
    "same_day": ("delisting_first", "accreditation_first"),
    "zero_length": ("ignored", "restarts"),
}

_DESCRIPTIONS = {
    "count_from": "event (default: from the awarded event) or operation_start (from the start of the stretch of normal operation it falls in)",
    "rectification_interrupts": "true (default): a rectification order interrupts like a suspension; false: a carrier under rectification still operates",
    "anniversary": "inside (default: an event on the anniversary day falls inside the period, 民法典 arts. 201, 203) or after",
    "same_day": "delisting_first (default: a delisting on the day of an accreditation ends the title held before) or accreditation_first",
    "zero_length": "ignored (default: a suspension or rectification ending the day it starts interrupts nothing) or restarts",
}

KIND = RuleKind(
    name="normal_operation",
    **declare(
        duration=Param("duration"),
        **{name: checks.flag_param(_DESCRIPTIONS[name]) if isinstance(allowed[0], bool) else checks.choice_param(allowed, _DESCRIPTIONS[name])
           for name, allowed in CHOICES.items()},
    ),
    roles={},
    codes=(),
)


def option(rule: Rule, name: str) -> Any:
    """A parameter's value under the readings in force (its default when the rule leaves it out)."""
    return option_of(rule, name, CHOICES[name][0])


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


def _operating(prep: RulePrep) -> tuple[Callable[[datetime.date], datetime.date], frozenset[EventType], Mapping[EventType, tuple[int, bool]], bool]:
    """What ``operating_duration`` reads of its rule, once per ruleset and readings: ``date + duration``, the
    interrupting event types, their effects, and whether the anniversary day is inside the period."""
    counted = _interrupting(prep.rule, None)
    inside = option(prep.rule, "anniversary") == "inside"  # 民法典 arts. 201, 203: the anniversary day belongs to the year
    return _adder(prep), counted, _EFFECTS[RECTIFICATION_ORDERED in counted], inside


def _interrupting(rule: Rule, ctx: Context | None) -> frozenset[EventType]:
    return _ANY_INTERRUPTION if option(rule, "rectification_interrupts") else _SUSPENSION_OR_DELISTING


def condition_start(rule: Rule, ctx: Context, index: int) -> int:
    """Where the count behind the event at ``index`` starts: there, or at the start of its stretch of normal operation."""
    return stretch_start(rule, ctx, index) if option(rule, "count_from") == "operation_start" else index


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
    add, counted, effects, inside = prep_of(ctx.ruleset, rule).derived("operating", _operating)
    states = [False, False, False]  # OPERATION_STATES
    counted_from: datetime.date | None = None
    due: datetime.date | None = None
    interrupted_on: datetime.date | None = None
    touched: list[str] = []
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
