"""Caps on groups of rules (``caps:`` in a ruleset): per carrier or per year (payable, or the year the money is
for), applied in payable order.

The engines apply them to every decision of an evaluation; a rule that
counts or recovers other rules' awards (a top-up, a clawback) sees those
awards as capped here, so it never tops up short of its target nor recovers
more than was awarded.
"""

from __future__ import annotations

import datetime
from typing import Any, Sequence

import attrs

from ..model.decision import AWARDED, NOT_AWARDED, Decision
from ..model.ruleset import Cap, Rule, Ruleset
from .base import DECIDING, Context, prep_of
from .generic import RuleIds

__all__ = ["apply_caps", "awards_of", "rule_order"]

_LAST_DAY = datetime.date.max


def rule_order(ruleset: Ruleset) -> dict[str, int]:
    """Each rule's position in the file."""
    found = ruleset.memo.get("rule_order")
    if found is None:
        found = ruleset.memo["rule_order"] = {r.id: i for i, r in enumerate(ruleset.rules)}
    return found  # type: ignore[no-any-return]


def apply_caps(ctx: Context, decisions: list[Decision], caps: Sequence[Cap] | None = None) -> list[Decision]:
    """The decisions with each cap (of the ruleset, unless given) applied, in payable order: an amount beyond
    what the cap leaves is cut (its ``full_amount`` kept), one the cap leaves nothing for is refused as ``capped``."""
    order = rule_order(ctx.ruleset)
    out = list(decisions)
    events: dict[str, Any] | None = None
    for cap in ctx.ruleset.caps if caps is None else caps:
        used: dict[Any, int] = {}
        members = [i for i, d in enumerate(out) if d.rule in cap.rules and d.status != NOT_AWARDED and d.amount > 0]
        members.sort(key=lambda i: (out[i].payable_on or _LAST_DAY, order[out[i].rule], i))
        if cap.year == "event_year" and events is None:
            events = {e.id: e for e in ctx.carrier.events}
        for i in members:
            d = out[i]
            if cap.per == "carrier":
                key = None
            elif cap.year == "event_year":
                key = _year_for(events[d.events[0]]) if events and d.events and d.events[0] in events else None
            else:
                key = (d.payable_on or _LAST_DAY).year
            left = cap.max - used.get(key, 0)
            if d.amount <= left:
                used[key] = used.get(key, 0) + d.amount
                continue
            detail: dict[str, Any] = {}
            if getattr(ctx, "detail", True):
                detail = dict(citations=d.citations + (ctx.ruleset.citation(cap.clause),),
                              explanation_zh=d.explanation_zh + f"(受{cap.id}上限{cap.max:,}元限制)",
                              explanation_en=d.explanation_en + f" (capped by {cap.id}: at most {cap.max:,} yuan)")
            if left <= 0:
                out[i] = attrs.evolve(d, status=NOT_AWARDED, reason="capped", amount=0, payable_on=None,
                                      full_amount=d.amount, **detail)
            else:
                used[key] = cap.max
                out[i] = attrs.evolve(d, amount=left, full_amount=d.amount, **detail)
    return out


def _year_for(event: Any) -> int:
    """The year an award on ``event`` is for: the event's own ``year`` (an evaluation's), else its date's year."""
    return event.year if event.year is not None else event.date.year  # type: ignore[no-any-return]


def _counting(ruleset: Ruleset, rule: Rule) -> frozenset[str]:
    """The rules whose decisions wait for ``rule``'s: it, and those counting it, directly or through others."""
    def build(_: Any) -> list[frozenset[str]]:
        found = {rule.id}
        grown = True
        while grown:
            grown = False
            for r in ruleset.rules:
                if r.id not in found and any(isinstance(v, RuleIds) and found & set(v) for v in r.params.values()):
                    found.add(r.id)
                    grown = True
        return [frozenset(found)]

    return prep_of(ruleset, rule).derived("counting", build)[0]  # type: ignore[no-any-return]


def awards_of(ctx: Context, rule_ids: Sequence[str], caller: Rule | None = None) -> list[Decision]:
    """What the named rules award this carrier, after the caps that bound them (with the other rules of each
    such cap); ``caller``, the rule asking, and the rules waiting for it are left out of the caps' groups."""
    ruleset = ctx.ruleset
    wanted = set(rule_ids)
    caps = [c for c in ruleset.caps if wanted & set(c.rules)]
    group = set(wanted)
    for cap in caps:
        group.update(cap.rules)
    if caller is not None and caps:
        group -= _counting(ruleset, caller) - wanted
    decisions: list[Decision] = []
    for rule in ruleset.rules:
        if rule.id in group:
            decider = DECIDING.get(rule.kind)
            if decider is not None:
                decisions.extend(decider(rule, ctx, ctx.timeline))
    if caps:
        decisions = apply_caps(ctx, decisions, caps)
    return [d for d in decisions if d.rule in wanted and d.status == AWARDED]
