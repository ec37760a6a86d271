"""``count_award``: an amount per counted thing (a firm introduced, a firm certified), by band of one of its facts.

Each thing is counted once (by its ``firm`` when it has one); the highest band
it reaches pays; below the lowest band nothing is paid. Like ``event_award``,
an award may wait for the grade of the year before (``graded``) and be paid
in instalments (``schedule``).
"""

from __future__ import annotations

from typing import Any, Sequence

from ..model.carrier import Event, EventType
from ..model.decision import Decision
from ..model.facts import EVENT_FACTS, FactSpec, all_fact_names, did_you_mean
from ..model.ruleset import Rule
from . import checks
from .base import Context, RuleKind
from .generic import GENERIC_PLACEHOLDERS, Param, choice, declare, decide, filters_param, matches
from .schedule import CODES as INSTALMENT_CODES, instalment_decisions, schedule_param

__all__ = ["KIND", "count_award_decisions"]

COMPARISONS = ("at_least", "above")


def _numeric_facts() -> dict[str, FactSpec]:
    """The event facts a band can be read from: numbers and amounts."""
    return {n: f for fields in EVENT_FACTS.values() for n, f in fields.items() if f.type in ("number", "yuan")}


def _read_field(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> str | None:
    numeric = _numeric_facts()
    if not isinstance(raw, str) or raw not in all_fact_names():
        reader.problem(path, f"unknown fact {raw!r}{did_you_mean(raw, all_fact_names())}")
        return None
    if raw not in numeric:
        kinds = {f.type for fields in EVENT_FACTS.values() for n, f in fields.items() if n == raw} or {"carrier"}
        reader.problem(path, f"{raw!r} is a {'/'.join(sorted(kinds))} fact; bands need a number or amount fact "
                             f"({', '.join(sorted(numeric))})")
        return None
    return raw


def _read_bands(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> tuple[tuple[int, int], ...]:
    """``[{from: 20000000, amount: 20000}, ...]``, in increasing order of ``from``."""
    if not isinstance(raw, list) or not raw:
        reader.problem(path, f"expected a non-empty list of bands {{from, amount}}, got {raw!r}"[:200])
        return ()
    out: list[tuple[int, int]] = []
    for i, item in enumerate(raw):
        item = reader.mapping(item, path + (i,), ("from", "amount"))
        if item is None:
            continue
        low = reader.yuan(item.get("from"), path + (i, "from"))
        amount = reader.yuan(item.get("amount"), path + (i, "amount"))
        if low is None or amount is None:
            continue
        if out and low <= out[-1][0]:
            reader.problem(path + (i, "from"), "list the bands in increasing order")
        out.append((low, amount))
    return tuple(out)


def count_award_decisions(rule: Rule, ctx: Context, matched: Sequence[Event]) -> list[Decision]:
    """One decision per counted thing: the amount of the highest band its fact reaches, or why not."""
    out: list[Decision] = []
    field = rule.params["by"]
    bands = rule.params["bands"]
    strict = ctx.param(rule, "comparison") == "above"
    graded, schedule = ctx.param(rule, "graded"), rule.params.get("schedule")
    counted: set[Any] = set()
    for event in matched:
        kind = event.kind or ctx.carrier.kind
        filters = rule.params["match"]
        if not any(f.in_scope(event, kind) for f in filters):
            continue
        if not matches(filters, event, ctx):
            out.append(decide(rule, ctx, "not_matched", event, kind, rule.clauses))
            continue
        key = event.fact("firm") or event.id
        if key in counted:
            out.append(decide(rule, ctx, "already_awarded", event, kind, rule.clauses))
            continue
        value = event.fact(field)
        reached = [amt for low, amt in bands if value is not None and (value > low if strict else value >= low)]
        if not reached:
            out.append(decide(rule, ctx, "below_band", event, kind, rule.clauses, band=value))
            continue
        grade_event = None
        if graded is not None:
            refused, grade_event = checks.graded_check(rule, ctx, graded, event, kind, reached[-1])
            if refused is not None:
                out.append(refused)
                continue
        counted.add(key)
        payable = event.date if grade_event is None else max(event.date, grade_event.date)
        events = (event.id,) if grade_event is None else (event.id, grade_event.id)
        if schedule is not None:
            gate = None if grade_event is None else (payable, True)
            out.extend(instalment_decisions(rule, ctx, schedule, event, kind, rule.clauses, reached[-1], events, gate, band=value))
            continue
        out.append(decide(rule, ctx, "awarded", event, kind, rule.clauses, amount=reached[-1],
                          payable_on=payable, events=events, band=value))
    return out


KIND = RuleKind(
    name="count_award",
    **declare(
        match=filters_param("the events counted, e.g. {type: firm_introduced}"),
        by=Param(_read_field, {"enum": sorted(_numeric_facts()), "description": "the fact whose value selects the band, e.g. annual_sales_yuan"}),
        bands=Param(_read_bands, {
            "type": "array", "minItems": 1, "description": "bands, lowest first: the highest band reached pays",
            "items": {"type": "object", "properties": {"from": {"type": "integer", "minimum": 0}, "amount": {"type": "integer", "minimum": 0}},
                      "required": ["from", "amount"], "additionalProperties": False},
        }),
        comparison=choice(COMPARISONS, "at_least", "at_least (default: the band's figure counts) or above; or {reading, values}"),
        graded=checks.GRADED,
        schedule=schedule_param("pay each award in instalments, each a share with its own delay and conditions"),
    ),
    roles={},
    codes=("awarded", "not_matched", "below_band", "already_awarded", *checks.GRADED_CODES, *INSTALMENT_CODES),
    matches=frozenset(EventType),
    decider=count_award_decisions,
    placeholders=GENERIC_PLACEHOLDERS,
)
