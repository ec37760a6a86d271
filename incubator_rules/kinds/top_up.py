"""``top_up``: on a matching event, bring what named rules (and named other payers) have paid up to a target.

Xi'an's "一次性补足100万元": a national filing within three years of the
municipal accreditation tops the accreditation grant up to 1,000,000.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..model.carrier import AwardKind, Event, EventType
from ..model.decision import Decision
from ..model.ruleset import Rule
from . import event_award
from .base import Context, RuleKind
from .caps import awards_of
from .generic import (
    GENERIC_PLACEHOLDERS, Param, add, amount_of, amount_param, choice, declare, decide, filters_param, flag, matches, strings,
)

__all__ = ["KIND", "paid_by", "top_up_decisions"]


def paid_by(ctx: Context, rule_ids: Sequence[str], payers: Sequence[str], until: Any, caller: Rule | None = None) -> int:
    """What the named rules awarded (after their caps), and the named payers paid, payable on or before ``until``."""
    total = sum(d.amount for d in awards_of(ctx, rule_ids, caller) if d.payable_on is not None and d.payable_on <= until)
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
    if rule.params.get("match") is None:  # the differential of the award it tops up, decided with that award
        return out
    within = rule.params.get("within")
    repeat = rule.params.get("repeat", False)
    done = False
    mine = 0
    for event in matched:
        kind = event.kind or ctx.carrier.kind
        if not matches(rule.params["match"], event, ctx):
            if any(f.in_scope(event, kind) for f in rule.params["match"]):  # in scope, failing a condition: say so
                out.append(decide(rule, ctx, "not_matched", event, kind, rule.clauses))
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
        wanted = ctx.param(rule, "target")
        target = None if wanted is None else amount_of(ctx, wanted, event, kind, history=ctx.timeline)[0]
        already = paid_by(ctx, rule.params.get("counts", ()), rule.params.get("payers", ()), event.date, rule) + mine
        if target is None or target <= already:
            out.append(decide(rule, ctx, "nothing_to_top_up", event, kind, rule.clauses, base=already))
            continue
        done = not repeat
        mine += target - already
        events = (event.id,) if anchor is None else (event.id, anchor.id)  # the event that tops up first, its anchor after
        out.append(decide(rule, ctx, "awarded", event, kind, rule.clauses, amount=target - already,
                          payable_on=event.date, events=events, base=already))
    return out


_ALL = frozenset(EventType)

KIND = RuleKind(
    name="top_up",
    **declare(
        match=filters_param("the events that top up: an event filter, or a list of alternatives; left out, the rule is "
                            "the differential of the award it tops_up", optional=True),
        within=event_award.WITHIN,
        target=amount_param("the amount (or cumulative total) to top up to: an amount form, or {reading, values}", optional=True),
        counts=strings("rule ids", "rules whose awards count as already paid", rule_ids=True),
        payers=strings("payer names", "other payers whose payments (payment_received with this payer) count as already paid"),
        repeat=flag("every matching event tops up again (this rule's earlier top-ups count as paid); default: once"),
        tops_up=Param("rule", optional=True),
        ladder=choice(("column", "all"), None, "with tops_up: column (each table column its own ladder, default) or all (one ladder across kinds); or {reading, values}"),
        base=choice(("received", "level_held"), None, "with tops_up: received (what was received on the ladder, default) or level_held (the table amount of the highest level held before); or {reading, values}"),
        earlier_payments=choice((*(a.value for a in AwardKind), "none"), None, "with tops_up: the purpose of the recorded payments that settle none of this plan's decisions and count as received (e.g. construction_subsidy), or none; or {reading, values}"),
    ),
    roles={},
    codes=("awarded", "not_matched", "outside_window", "nothing_to_top_up", "already_awarded", "pending", "level_already_paid",
           "no_difference", "level_difference_awarded", "level_difference_pending"),
    matches=_ALL,
    decider=top_up_decisions,
    references={"tops_up": "event_award"},
    placeholders=GENERIC_PLACEHOLDERS,
)
