"""``top_up``: on a matching event, bring what named rules (and named other payers) have paid up to a target.

Xi'an's "一次性补足100万元": a national filing within three years of the
municipal accreditation tops the accreditation grant up to 1,000,000.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..model.carrier import Event, EventType
from ..model.decision import AWARDED, Decision
from ..model.ruleset import Rule
from . import event_award
from .base import DECIDING, Context, RuleKind
from .generic import GENERIC_PLACEHOLDERS, add, amount_of, amount_param, declare, decide, filters_param, flag, matches, strings

__all__ = ["KIND", "paid_by", "top_up_decisions"]


def awards_of(ctx: Context, rule_ids: Sequence[str]) -> list[Decision]:
    """What the named rules award this carrier (event awards and top-ups), as decided on their own."""
    out: list[Decision] = []
    for rid in rule_ids:
        rule = ctx.ruleset.rule(rid)
        decider = DECIDING[rule.kind]
        out.extend(d for d in decider(rule, ctx, ctx.timeline) if d.status == AWARDED)
    return out


def paid_by(ctx: Context, rule_ids: Sequence[str], payers: Sequence[str], until: Any) -> int:
    """What the named rules awarded, and the named payers paid, payable on or before ``until``."""
    total = sum(d.amount for d in awards_of(ctx, rule_ids) if d.payable_on is not None and d.payable_on <= until)
    for e in ctx.timeline:
        if e.type is EventType.PAYMENT_RECEIVED and e.payer in payers and e.date <= until:
            total += e.amount or 0
    return total


def top_up_decisions(rule: Rule, ctx: Context, matched: Sequence[Event]) -> list[Decision]:
    """Each matching event tops up (once, unless ``repeat``): the target less what was already paid, or why not.

    With ``repeat``, every matching event tops up, and this rule's own earlier
    top-ups count as paid.
    """
    out: list[Decision] = []
    within = rule.params.get("within")
    repeat = rule.params.get("repeat", False)
    done = False
    mine = 0
    for event in matched:
        kind = event.kind or ctx.carrier.kind
        if not matches(rule.params["match"], event, ctx):
            continue
        anchor = None
        if within is not None:
            anchor = event_award.anchor_before(ctx, event, within[1])
            if anchor is None or event.date > add(anchor.date, within[0]):
                out.append(decide(rule, ctx, "outside_window", event, kind, rule.clauses,
                                  window_start=None if anchor is None else anchor.date,
                                  window_end=None if anchor is None else add(anchor.date, within[0])))
                continue
        if done:
            out.append(decide(rule, ctx, "already_awarded", event, kind, rule.clauses))
            continue
        target, _ = amount_of(ctx, ctx.param(rule, "target"), event, kind, history=ctx.timeline)
        already = paid_by(ctx, rule.params.get("counts", ()), rule.params.get("payers", ()), event.date) + mine
        if target is None or target <= already:
            out.append(decide(rule, ctx, "nothing_to_top_up", event, kind, rule.clauses, base=already))
            continue
        done = not repeat
        mine += target - already
        events = (event.id,) if anchor is None else (anchor.id, event.id)
        out.append(decide(rule, ctx, "awarded", event, kind, rule.clauses, amount=target - already,
                          payable_on=event.date, events=events, base=already))
    return out


_ALL = frozenset(EventType)

KIND = RuleKind(
    name="top_up",
    **declare(
        match=filters_param("the events that top up: an event filter, or a list of alternatives"),
        within=event_award.WITHIN,
        target=amount_param("the amount (or cumulative total) to top up to: an amount form, or {reading, values}"),
        counts=strings("rule ids", "rules whose awards count as already paid", rule_ids=True),
        payers=strings("payer names", "other payers whose payments (payment_received with this payer) count as already paid"),
        repeat=flag("every matching event tops up again (this rule's earlier top-ups count as paid); default: once"),
    ),
    roles={},
    codes=("awarded", "outside_window", "nothing_to_top_up", "already_awarded"),
    matches=_ALL,
    decider=top_up_decisions,
    placeholders=GENERIC_PLACEHOLDERS,
)
