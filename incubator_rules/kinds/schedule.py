"""Payment schedules: an award paid in instalments, each a share of it, after a delay, on its own conditions.

"50% on accreditation, 50% after a year of normal operation" is two
instalments: ``{share: 50}`` and ``{share: 50, after: {years: 1}, condition:
normal-operation}``. Each instalment is its own decision, with its own
payable date, clause and, when refused or pending, its reason.

Money is exact: shares are percentages (``50``, ``33.5``) or fractions
(``"1/3"``) that must sum to exactly the whole; each instalment is the award
times its share rounded down to whole yuan, and the yuan left over go to the
instalment named by ``remainder`` (``last``, the default, or ``first``), so
the instalments always sum to the award.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, Mapping, Sequence

import attrs

from ..model.carrier import Event
from ..model.facts import did_you_mean
from .base import Context
from .generic import Filter, Param, add, matches, read_filters
from .normal_operation import condition_start, operating_duration

__all__ = ["Instalment", "Schedule", "Share", "schedule_param", "split", "settle"]

REMAINDERS = ("last", "first")
_CONDITION_KINDS = ("normal_operation", "operating_duration")  # the second a name that expands into the first
_INSTALMENT_KEYS = ("share", "after", "condition", "unless", "requires", "clause")


@attrs.frozen
class Instalment:
    """One instalment: its share of the award, its delay after the award's event, and its conditions.

    ``condition`` names a ``normal_operation`` rule (normal operation from
    the event); ``unless`` refuses it when a matching event (a delisting)
    falls after the award's event and on or before its payable date;
    ``requires`` waits for the first event in its scope after the delay (an
    evaluation) and refuses the instalment unless that event matches.
    """

    share: Fraction
    label: str
    after: dict[str, int] | None = None
    condition: str | None = None
    unless: tuple[Filter, ...] | None = None
    requires: tuple[Filter, ...] | None = None
    clause: str | None = None


@attrs.frozen
class Schedule:
    """The instalments of an award, and which of them takes the yuan left by rounding each share down."""

    instalments: tuple[Instalment, ...]
    remainder: str = "last"


def split(total: int, shares: Sequence[Fraction], remainder: str = "last") -> list[int]:
    """``total`` in parts by ``shares`` (summing to 1): each rounded down, the rest to the first or last part."""
    parts = [int(total * s) if total >= 0 else -int(-total * s) for s in shares]
    rest = total - sum(parts)
    parts[0 if remainder == "first" else -1] += rest
    return parts


@attrs.frozen
class Share:
    """What one instalment came to: its status (awarded, pending, not_met), amount, payable date and events."""

    instalment: Instalment
    number: int
    amount: int
    status: str
    payable_on: datetime.date | None
    events: tuple[str, ...]
    clauses: tuple[str, ...]


def settle(ctx: Context, schedule: Schedule, event: Event, total: int,
           gate: tuple[datetime.date | None, bool] | None = None) -> list[Share]:
    """Each instalment of ``total`` awarded on ``event``: payable, pending or refused, and on which events.

    ``gate`` is the award's own condition, when it has one: the date it is (or
    would be) met, and whether it is met; no instalment is payable before it.
    """
    out = []
    amounts = split(total, [i.share for i in schedule.instalments], schedule.remainder)
    timeline = ctx.timeline
    position = timeline.index(event)
    for n, (inst, amount) in enumerate(zip(schedule.instalments, amounts), start=1):
        due = event.date if inst.after is None else add(event.date, inst.after)
        events: tuple[str, ...] = (event.id,)
        clauses: tuple[str, ...] = () if inst.clause is None else (inst.clause,)
        status = "awarded"
        if gate is not None:
            due = due if gate[0] is None else max(due, gate[0])
            status = "awarded" if gate[1] else "pending"
        if inst.condition is not None:
            cond_rule = ctx.ruleset.rule(inst.condition)
            outcome = operating_duration(cond_rule, ctx, condition_start(cond_rule, ctx, position), event.date)
            events += outcome.events
            clauses += cond_rule.clauses
            if outcome.status in ("ended", "interrupted"):
                status = "not_met"
            elif outcome.status == "pending" or outcome.date is None:
                status = "pending"
                due = max(due, outcome.date) if outcome.date is not None else due
            else:
                due = max(due, outcome.date)
        if status != "not_met" and inst.requires is not None:
            found = next((e for e in timeline[position + 1:] if e.date >= due
                          and any(f.in_scope(e, e.kind or ctx.carrier.kind) for f in inst.requires)), None)
            if found is None:
                status = "pending" if status != "not_met" else status
            else:
                events += (found.id,)
                due = max(due, found.date)
                if not matches(inst.requires, found, ctx):
                    status = "not_met"
        if status != "not_met" and inst.unless is not None:
            stop = next((e for e in timeline[position + 1:] if e.date <= due and matches(inst.unless, e, ctx)), None)
            if stop is not None:
                status, events = "not_met", events + (stop.id,)
        if status == "awarded" and due > ctx.as_of:
            status = "pending"
        out.append(Share(inst, n, amount, status, due, tuple(dict.fromkeys(events)), clauses))
    return out


def _share(reader: Any, raw: Any, path: tuple[Any, ...]) -> tuple[Fraction, str] | None:
    if isinstance(raw, str) and raw.count("/") == 1:
        top, _, bottom = raw.partition("/")
        if top.strip().isdigit() and bottom.strip().isdigit() and int(bottom) > 0 and 0 < int(top) <= int(bottom):
            return Fraction(int(top), int(bottom)), raw.replace(" ", "")
    elif not isinstance(raw, bool) and isinstance(raw, (int, Decimal)) and 0 < raw <= 100:
        value = Fraction(Decimal(raw)) / 100
        return value, f"{Decimal(raw).normalize():f}%"
    reader.problem(path, f"expected a share: a percentage above 0 and at most 100 (50), or a fraction ('1/3'), got {raw!r}"[:200])
    return None


def _read(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Schedule | None:
    if raw is None:
        return None
    remainder = "last"
    items = raw
    base = path
    if isinstance(raw, Mapping):
        raw = reader.mapping(raw, path, ("instalments", "remainder"))
        if raw is None:
            return None
        remainder = raw.get("remainder", "last")
        if remainder not in REMAINDERS:
            reader.problem(path + ("remainder",), f"expected one of: {', '.join(REMAINDERS)}, got {remainder!r}{did_you_mean(remainder, REMAINDERS)}")
        items, base = raw.get("instalments"), path + ("instalments",)
    if not isinstance(items, list) or not items:
        reader.problem(base, f"expected a non-empty list of instalments {{share, after, condition, unless, requires, clause}}, got {items!r}"[:200])
        return None
    out = []
    rules = getattr(context, "rules", None) or {}
    for i, item in enumerate(items):
        p = base + (i,)
        item = reader.mapping(item, p, _INSTALMENT_KEYS)
        if item is None:
            continue
        share = _share(reader, item.get("share"), p + ("share",))
        after = None if item.get("after") is None else reader.duration(item["after"], p + ("after",), ("years", "months", "days"), "delay", zero=True)
        condition = item.get("condition")
        if condition is not None and not isinstance(condition, str):
            reader.problem(p + ("condition",), f"expected the id of a normal_operation rule, got {condition!r}"[:200])
            condition = None
        if condition is not None and rules and rules.get(condition) not in _CONDITION_KINDS:
            known = [r for r, k in rules.items() if k in _CONDITION_KINDS]
            from_ = f"; normal_operation rules: {', '.join(known)}" if known else "; the file has no normal_operation rule"
            reader.problem(p + ("condition",), f"expected the id of a normal_operation rule, got {condition!r}{did_you_mean(condition, known)}{from_}"[:240])
        clause = item.get("clause")
        clause_ids = getattr(context, "clause_ids", None)
        if clause is not None and not isinstance(clause, str):
            reader.problem(p + ("clause",), f"expected a clause id, got {clause!r}"[:200])
            clause = None
        if clause is not None and clause_ids is not None and clause not in clause_ids:
            reader.problem(p + ("clause",), f"unknown clause {clause!r}")
        unless = None if item.get("unless") is None else read_filters(reader, item["unless"], p + ("unless",), context)
        requires = None if item.get("requires") is None else read_filters(reader, item["requires"], p + ("requires",), context)
        if share is not None:
            out.append(Instalment(share[0], share[1], after, condition, unless, requires, clause))
    if len(out) == len(items):
        total = sum((i.share for i in out), Fraction(0))
        if total != 1:
            shown = f"{Decimal(total.numerator) * 100 / Decimal(total.denominator):.4g}%"
            reader.problem(base, f"the shares sum to {shown}, not 100%: instalments must add up to the whole award")
            return None
    return Schedule(tuple(out), remainder) if out else None


_INSTALMENT_SCHEMA = {
    "type": "object", "required": ["share"], "additionalProperties": False,
    "properties": {
        "share": {"anyOf": [{"type": "number", "exclusiveMinimum": 0, "maximum": 100},
                            {"type": "string", "pattern": r"^\s*[0-9]+\s*/\s*[0-9]+\s*$"}],
                  "description": "a percentage (50) or a fraction ('1/3'); the shares sum to the whole"},
        "after": {"$ref": "#/definitions/calendar_duration", "description": "payable this long after the award's event"},
        "condition": {"$ref": "#/definitions/text", "description": "id of a normal_operation rule: normal operation from the event"},
        "unless": {"$ref": "#/definitions/filters", "description": "refused if such an event (a delisting) comes before it is payable"},
        "requires": {"$ref": "#/definitions/filters", "description": "the first such event after the delay must match (evaluated qualified)"},
        "clause": {"$ref": "#/definitions/text", "description": "the clause that sets this instalment"},
    },
}


def schedule_param(description: str) -> Param:
    """The ``schedule`` parameter: a list of instalments, or ``{instalments, remainder}``."""
    schema = {"description": description, "anyOf": [
        {"type": "array", "minItems": 1, "items": _INSTALMENT_SCHEMA},
        {"type": "object", "required": ["instalments"], "additionalProperties": False,
         "properties": {"instalments": {"type": "array", "minItems": 1, "items": _INSTALMENT_SCHEMA},
                        "remainder": {"enum": list(REMAINDERS), "description": "which instalment takes the yuan left by rounding each share down"}}},
    ]}
    return Param(_read, schema, optional=True)
