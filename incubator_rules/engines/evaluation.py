"""``evaluate``: one carrier, one ruleset, one as-of date, one set of readings."""

from __future__ import annotations

import datetime
import weakref
from pathlib import Path
from typing import Mapping

from ..errors import EngineError, IncubatorRulesError
from ..files.ruleset import load_ruleset
from ..kinds import DECIDERS, MATCHES, Context, Decider, scope_types
from ..kinds.base import LEFT_OUT, arrange, built_context
from ..kinds.caps import apply_caps, rule_order as _rule_order
from ..model.carrier import Carrier, Event, EventType, as_of_date, check_levels, chronological, until
from ..model.decision import AWARDED, NOT_AWARDED, PENDING, Decision, Evaluation, Totals, built_evaluation
from ..model.ruleset import Rule, Ruleset
from .durable import durable_decisions

ENGINES = ("native", "durable")


def evaluate(
    carrier: Carrier,
    ruleset: Ruleset | str | Path | None = None,
    as_of: datetime.date | str | None = None,
    readings: Mapping[str, str] | None = None,
    engine: str = "native",
) -> Evaluation:
    """Evaluate a carrier's history against a ruleset as of a date.

    ``ruleset`` is a loaded Ruleset, a shipped id or a path (default: the
    Wanzhou 2023 ruleset); ``as_of`` defaults to today; ``readings`` overrides
    the ruleset's default readings by name. Events after ``as_of`` are ignored.
    """
    rs, day, chosen = _checked(carrier, ruleset, as_of, readings, engine)
    if engine == "durable":
        check_levels(carrier, rs.levels, rs.id)
        ctx = Context(carrier, arrange(rs, chosen, carrier.events_until(day)), day, rs, chosen)
        return assemble(ctx, durable_decisions(ctx), engine)
    return evaluate_prepared(carrier, rs, day, chosen)


def _checked(
    carrier: Carrier, ruleset: Ruleset | str | Path | None, as_of: datetime.date | str | None,
    readings: Mapping[str, str] | None, engine: str,
) -> tuple[Ruleset, datetime.date, dict[str, str]]:
    """``prepare``, after checking the carrier, and then the engine's name."""
    if not isinstance(carrier, Carrier):
        raise IncubatorRulesError(f"expected a Carrier, got {type(carrier).__name__}", field="carrier")
    prepared = prepare(ruleset, as_of, readings)
    if engine not in ENGINES:
        raise EngineError(f"unknown engine {engine!r}; available: {', '.join(ENGINES)}", field="engine")
    return prepared


def prepare(
    ruleset: Ruleset | str | Path | None = None,
    as_of: datetime.date | str | None = None,
    readings: Mapping[str, str] | None = None,
) -> tuple[Ruleset, datetime.date, dict[str, str]]:
    """The loaded ruleset, the as-of date and every reading's value, checked once for many evaluations."""
    rs = ruleset if isinstance(ruleset, Ruleset) else load_ruleset(ruleset)
    return rs, as_of_date(as_of), rs.resolve_readings(readings)


def evaluate_totals(
    carrier: Carrier,
    ruleset: Ruleset | str | Path | None = None,
    as_of: datetime.date | str | None = None,
    readings: Mapping[str, str] | None = None,
    engine: str = "native",
) -> Totals:
    """What ``evaluate`` pays, without the audit detail: the same awarded and pending decisions, with
    their amounts, payable dates, rules, levels and kinds, but no explanations, citations, conditions,
    refusals or input digest.

    Arguments as for ``evaluate``. Budgets and comparisons add these up.
    """
    rs, day, chosen = _checked(carrier, ruleset, as_of, readings, engine)
    awards, pending = paid_prepared(carrier, rs, day, chosen, engine=engine)
    return Totals(carrier.id, day, rs.id, rs.version, rs.sha256, chosen, engine, awards, pending)


def evaluate_prepared(
    carrier: Carrier,
    ruleset: Ruleset,
    as_of: datetime.date,
    readings: Mapping[str, str],
    timeline: tuple[Event, ...] | None = None,
    digest: str | None = None,
    distinct_dates: bool | None = None,
) -> Evaluation:
    """``evaluate`` on the native engine with arguments already checked by ``prepare``.

    ``timeline`` (the carrier's whole sorted timeline) and ``digest`` may be
    passed when already known, as when one carrier is evaluated under many
    scenarios; ``distinct_dates`` too (as ``model.carrier.chronological``
    gives it: True when no two of its events share a date).
    """
    check_levels(carrier, ruleset.levels, ruleset.id)
    whole, distinct_dates = chronological(carrier.events) if timeline is None else (timeline, distinct_dates)
    ctx = built_context(carrier, arrange(ruleset, readings, until(whole, as_of), distinct_dates), as_of, ruleset, readings)
    return assemble(ctx, decide(ctx), "native", digest if digest is not None else carrier.digest_of(whole))


def paid_prepared(
    carrier: Carrier,
    ruleset: Ruleset,
    as_of: datetime.date,
    readings: Mapping[str, str],
    timeline: tuple[Event, ...] | None = None,
    engine: str = "native",
    distinct_dates: bool | None = None,
) -> tuple[tuple[Decision, ...], tuple[Decision, ...]]:
    """The awards and pending decisions of ``evaluate_totals``, with arguments already checked by ``prepare``
    (``timeline`` and ``distinct_dates`` as for ``evaluate_prepared``), for budgets and comparisons."""
    check_levels(carrier, ruleset.levels, ruleset.id)
    whole, distinct_dates = chronological(carrier.events) if timeline is None else (timeline, distinct_dates)
    ctx = built_context(carrier, arrange(ruleset, readings, until(whole, as_of), distinct_dates), as_of, ruleset, readings,
                        False)
    decisions = decide(ctx) if engine == "native" else durable_decisions(ctx)
    if ruleset.caps:
        decisions = apply_caps(ctx, decisions)
    awards: list[Decision] = []
    pending: list[Decision] = []
    for d in decisions:
        if d is not LEFT_OUT:
            status = d.status
            if status == AWARDED:
                awards.append(d)
            elif status == PENDING:
                pending.append(d)
    if len(awards) > 1 or len(pending) > 1:
        return _in_order(ctx, awards, pending, [])[:2]
    return tuple(awards), tuple(pending)


def decide(ctx: Context) -> list[Decision]:
    """Every deciding rule's decisions on the native engine, rule by rule."""
    decisions: list[Decision] = []
    timeline = ctx.timeline
    for rule, decide_rule, types in _per_ruleset(ctx.ruleset)[0]:
        decisions.extend(decide_rule(rule, ctx, timeline if types is None else [e for e in timeline if e.type in types]))
    return decisions


_Deciding = tuple[tuple[Rule, Decider, "frozenset[EventType] | None"], ...]
_LAST: tuple["weakref.ref[Ruleset]", _Deciding, dict[str, int]] | None = None  # the last ruleset's, found fastest


def _per_ruleset(ruleset: Ruleset) -> tuple[_Deciding, dict[str, int]]:
    """``_deciding`` and ``rule_order`` of the ruleset, the last ruleset's found without its memo."""
    global _LAST
    last = _LAST
    if last is None or last[0]() is not ruleset:
        last = _LAST = (weakref.ref(ruleset), _deciding(ruleset), _rule_order(ruleset))
    return last[1], last[2]


def _deciding(ruleset: Ruleset) -> _Deciding:
    """The rules that decide, with their deciders and the event types their kinds match (None: every event), in
    rule order: a top-up decided with the award it tops up is left out (``scope_types`` empty), as the durable
    engine leaves it out."""
    found = ruleset.memo.get("deciding")
    if found is None:
        found = ruleset.memo["deciding"] = tuple(
            (rule, DECIDERS[rule.kind], None if len(MATCHES[rule.kind]) == _EVENT_TYPE_COUNT else MATCHES[rule.kind])
            for rule in ruleset.rules if rule.kind in DECIDERS and scope_types(rule) != frozenset())
    return found  # type: ignore[no-any-return]


_EVENT_TYPE_COUNT = len(EventType)


def assemble(ctx: Context, decisions: list[Decision], engine: str, digest: str | None = None) -> Evaluation:
    """Order decisions deterministically and wrap them in an Evaluation.

    ``digest`` is the carrier's digest when the caller already has it.
    """
    awards, pending, refused = arranged(ctx, decisions)
    carrier, ruleset = ctx.carrier, ctx.ruleset
    return built_evaluation(
        carrier.id, carrier.name, carrier.digest if digest is None else digest, ctx.as_of,
        ruleset.id, ruleset.version, ruleset.sha256, dict(ctx.readings), engine,
        tuple(awards), tuple(pending), tuple(refused),
    )


def arranged(ctx: Context, decisions: list[Decision]) -> tuple[tuple[Decision, ...], tuple[Decision, ...], tuple[Decision, ...]]:
    """The decisions with the ruleset's caps applied, as awards, pending and not awarded, each in a fixed order.

    Awards and pending decisions go by payable date, then by the position of
    their first event in the timeline, then by rule; the others by event,
    then rule.
    """
    if ctx.ruleset.caps:
        decisions = apply_caps(ctx, decisions)
    awards: list[Decision] = []
    pending: list[Decision] = []
    refused: list[Decision] = []
    for d in decisions:
        status = d.status
        if status == NOT_AWARDED:  # the commonest, tested first
            refused.append(d)
        elif status == AWARDED:
            awards.append(d)
        elif status == PENDING:
            pending.append(d)
        else:
            refused.append(d)
    if not ctx.detail:
        refused = []  # LEFT_OUT, and any award a cap refused
    return _in_order(ctx, awards, pending, refused)


def _in_order(
    ctx: Context, awards: list[Decision], pending: list[Decision], refused: list[Decision]
) -> tuple[tuple[Decision, ...], tuple[Decision, ...], tuple[Decision, ...]]:
    if len(awards) > 1 or len(pending) > 1 or len(refused) > 1:
        position: dict[str, int] = {}
        for i, e in enumerate(ctx.timeline):  # a plain loop: a comprehension's function costs more here
            position[e.id] = i
        rule_order = _per_ruleset(ctx.ruleset)[1]
        if len(awards) > 1:
            awards.sort(key=lambda d: (d.payable_on or _LAST_DAY, position[d.events[0]], rule_order[d.rule]))
        if len(pending) > 1:
            pending.sort(key=lambda d: (d.payable_on or _LAST_DAY, position[d.events[0]], rule_order[d.rule]))
        if len(refused) > 1:  # by event, then rule: one whole number each
            rules = len(rule_order)
            refused.sort(key=lambda d: position[d.events[0]] * rules + rule_order[d.rule])
    return tuple(awards), tuple(pending), tuple(refused)


_LAST_DAY = datetime.date.max


