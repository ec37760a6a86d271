"""``top_up``: on a matching event, bring what named rules (and named other payers) have paid up to a target.

Xi'an's "一次性补足100万元": a national filing within three years of the
municipal accreditation tops the accreditation grant up to 1,000,000.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..model.carrier import AwardKind, Event, EventType
from ..model.decision import AWARDED, Decision
from ..model.ruleset import Rule
from . import checks, event_award
from .base import Context, RuleKind
from .generic import GENERIC_PLACEHOLDERS, add, amount_of, decide, read_amount, read_bound, read_filters

__all__ = ["KIND", "paid_by", "top_up_decisions"]


def _rule_ids(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(r, str) for r in raw):
        reader.problem(path, f"expected a list of rule ids, got {raw!r}"[:200])
        return ()
    return tuple(raw)


def _texts(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(r, str) and r.strip() for r in raw):
        reader.problem(path, f"expected a list of payer names, got {raw!r}"[:200])
        return ()
    return tuple(raw)


def _read_optional_amount(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    if raw is None:
        return None
    return read_bound(reader, raw, path, context, lambda v, p: read_amount(reader, v, p, context))


def _read_optional_filters(reader: Any, raw: Any, path: tuple[Any, ...], context: Any) -> Any:
    return None if raw is None else read_filters(reader, raw, path, context)


def awards_of(ctx: Context, rule_ids: Sequence[str]) -> list[Decision]:
    """What the named rules award this carrier (event awards and top-ups), as decided on their own."""
    out: list[Decision] = []
    for rid in rule_ids:
        rule = ctx.ruleset.rule(rid)
        decider = event_award.event_award_decisions if rule.kind == "event_award" else top_up_decisions
        matched = [e for e in ctx.timeline if e.type in _ALL]
        out.extend(d for d in decider(rule, ctx, matched) if d.status == AWARDED)
    return out


def paid_by(ctx: Context, rule_ids: Sequence[str], payers: Sequence[str], until: Any) -> int:
    """What the named rules awarded, and the named payers paid, payable on or before ``until``."""
    total = sum(d.amount for d in awards_of(ctx, rule_ids) if d.payable_on is not None and d.payable_on <= until)
    for e in ctx.timeline:
        if e.type is EventType.PAYMENT_RECEIVED and e.payer in payers and e.date <= until:
            total += e.amount or 0
    return total


def top_up_decisions(rule: Rule, ctx: Context, matched: Sequence[Event]) -> list[Decision]:
    """Each matching event tops up once: the target less what was already paid, or why not."""
    out: list[Decision] = []
    if rule.params.get("match") is None:  # the differential of the award it tops up, decided with that award
        return out
    within = rule.params.get("within")
    done = False
    for event in matched:
        kind = event.kind or ctx.carrier.kind
        filters = rule.params["match"]
        if not any(f.in_scope(event, kind) and f.holds(event) for f in filters):
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
        already = paid_by(ctx, rule.params.get("counts", ()), rule.params.get("payers", ()), event.date)
        if target is None or target <= already:
            out.append(decide(rule, ctx, "nothing_to_top_up", event, kind, rule.clauses, base=already))
            continue
        done = True
        events = (event.id,) if anchor is None else (anchor.id, event.id)
        out.append(decide(rule, ctx, "awarded", event, kind, rule.clauses, amount=target - already,
                          payable_on=event.date, events=events, base=already))
    return out


_ALL = frozenset(EventType)

KIND = RuleKind(
    name="top_up",
    params={"match": _read_optional_filters, "within": event_award.read_within, "target": _read_optional_amount,
            "counts": _rule_ids, "payers": _texts, "tops_up": "rule", "ladder": checks.choice_reader(("column", "all")),
            "base": checks.choice_reader(("received", "level_held")), "earlier_payments": checks.choice_reader((*(a.value for a in AwardKind), "none"))},
    roles={},
    codes=("awarded", "outside_window", "nothing_to_top_up", "already_awarded", "pending", "level_already_paid",
           "no_difference", "level_difference_awarded", "level_difference_pending"),
    matches=_ALL,
    decider=top_up_decisions,
    references={"tops_up": "event_award"},
    placeholders=GENERIC_PLACEHOLDERS,
    optional=frozenset({"match", "target", "within", "counts", "payers", "tops_up", "ladder", "base", "earlier_payments"}),
    schemas={
        "match": {"description": "an event filter, or a list of alternatives; left out, the rule is the differential of the award it tops_up"},
        "tops_up": {"description": "the id of an event_award rule covered_by_table: where it already paid on the ladder, this rule pays the difference"},
        "ladder": {"description": "with tops_up: column (each table column its own ladder, default) or all (one ladder across kinds); or {reading, values}"},
        "base": {"description": "with tops_up: received (what was received on the ladder, default) or level_held (the table amount of the highest level held before); or {reading, values}"},
        "earlier_payments": {"description": "with tops_up: the purpose of the recorded payments that settle none of this plan's decisions and count as received (e.g. construction_subsidy), or none; or {reading, values}"},
        "within": {"type": "object", "description": "{duration, of}: within the duration after the latest event matching `of`"},
        "target": {"description": "the amount (or cumulative total) to top up to: an amount form"},
        "counts": {"type": "array", "items": {"type": "string"}, "description": "rules whose awards count as already paid"},
        "payers": {"type": "array", "items": {"type": "string"}, "description": "other payers whose payments count as already paid"},
    },
)
