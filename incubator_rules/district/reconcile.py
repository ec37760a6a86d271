"""Reconciliation: the money paid against the entitlements a ruleset decides (docs/reconcile.md).

Each payment is matched to the decision it settles (``kinds.base.settlements``,
the same matching the differential uses), and every decision with money on
either side gets one line: paid as due, due and unpaid, overpaid, paid early
or not yet due; payments that settle nothing are unmatched; payments of
another plan are listed apart. Amounts are whole yuan.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import attrs

from ..engines.evaluation import evaluate, evaluate_prepared, prepare
from ..errors import IncubatorRulesError
from ..files.carriers import portfolio_carriers
from ..files.ledger import LedgerPayment, load_ledger
from ..kinds import MATCHES, Context, scope_types
from ..kinds.base import arrange, settlements
from ..model.carrier import AwardKind, Carrier, Event, EventType
from ..model.decision import AWARDED, NOT_AWARDED, PENDING, Decision
from ..model.display import renderer
from ..model.portfolio import Portfolio
from ..model.ruleset import Ruleset

# Line statuses. Findings are every status but paid, not due and outside the plan; a finding leaves a
# reconciliation unsettled, except money paid early for a decision that has since fallen due and is paid
# exactly (docs/reconcile.md, "Paid early").
PAID = "paid"
UNPAID = "unpaid"
OVERPAID = "overpaid"
PAID_EARLY = "paid_early"
UNMATCHED = "unmatched"
DUPLICATE_VOUCHER = "duplicate_voucher"
NOT_DUE = "not_due"
OUTSIDE_PLAN = "outside_plan"
STATUSES = (PAID, UNPAID, OVERPAID, PAID_EARLY, UNMATCHED, DUPLICATE_VOUCHER, NOT_DUE, OUTSIDE_PLAN)
FINDINGS = frozenset({UNPAID, OVERPAID, PAID_EARLY, UNMATCHED, DUPLICATE_VOUCHER})

# Which rules' decisions a payment of each purpose can settle: those deciding only on these event types.
_SETTLED_BY = {
    AwardKind.CONSTRUCTION_SUBSIDY: frozenset({EventType.ACCREDITED, EventType.FILED}),
    AwardKind.EXCELLENCE: frozenset({EventType.EVALUATED}),
}


def _purposes(rs: Ruleset) -> dict[str, tuple[AwardKind, ...]]:
    """For each rule, the purposes of the payments that can settle its decisions (a top-up of another rule's
    awards settles what that rule's do)."""
    by_id = {r.id: r for r in rs.rules}

    def types(rule: Any) -> frozenset[EventType]:
        found = scope_types(rule)
        target = rule.params.get("tops_up")
        if not found and isinstance(target, str) and target in by_id:
            return types(by_id[target])
        return found or MATCHES[rule.kind]

    out = {}
    for rule in rs.rules:
        found = types(rule)
        # any other award (a designation's, a tenancy's, a count's) is settled by ``other`` money naming its event
        out[rule.id] = tuple(p for p, settled in _SETTLED_BY.items() if found and found <= settled) or (AwardKind.OTHER,)
    return out
_MONEY = ("due", "paid", "outstanding", "overpaid", "paid_early", "unmatched", "duplicate", "not_due", "outside_plan")


@attrs.frozen
class Paid:
    """One payment as reconciled: where it came from (``voucher`` or the history event's id), its date and amount."""

    ref: str
    date: datetime.date
    amount: int
    purpose: str
    line: int | None = None  # the ledger line, when read from a ledger

    def to_dict(self) -> dict[str, Any]:
        """Plain data with a stable key order."""
        return {"ref": self.ref, "date": self.date.isoformat(), "amount": self.amount, "purpose": self.purpose,
                "line": self.line}


@attrs.frozen
class Line:
    """One reconciled item: a decision with the payments that settle it, or a payment that settles none.

    ``due`` is what the decision makes payable by the as-of date (0 when
    pending or refused); ``amount`` the decision's amount (pending ones
    included); ``outstanding`` what is due and not paid; ``overpaid`` what was
    paid beyond the amount (everything, for a refused decision);
    ``paid_early`` what was paid before the decision fell due.
    """

    carrier_id: str
    status: str
    rule: str | None
    reason: str | None
    decision_status: str | None
    event: str | None
    level: str | None
    amount: int
    due: int
    paid: int
    outstanding: int
    overpaid: int
    paid_early: int
    payable_on: datetime.date | None
    days_outstanding: int | None
    payments: tuple[Paid, ...]
    explanation_zh: str
    explanation_en: str

    @property
    def finding(self) -> bool:
        """True when an auditor should look at the line: unpaid, overpaid, paid early, unmatched or a duplicate voucher."""
        return self.status in FINDINGS

    @property
    def settled(self) -> bool:
        """False for a finding, except money paid early for a decision now due and paid exactly: that entitlement is settled."""
        if self.status == PAID_EARLY:
            return self.decision_status == AWARDED and self.outstanding == 0 and self.overpaid == 0
        return self.status not in FINDINGS

    def to_dict(self) -> dict[str, Any]:
        """Plain data with a stable key order."""
        return {
            "carrier": self.carrier_id, "status": self.status, "settled": self.settled, "finding": self.finding,
            "rule": self.rule, "reason": self.reason,
            "decision_status": self.decision_status, "event": self.event, "level": self.level,
            "amount": self.amount, "due": self.due, "paid": self.paid, "outstanding": self.outstanding,
            "overpaid": self.overpaid, "paid_early": self.paid_early,
            "payable_on": None if self.payable_on is None else self.payable_on.isoformat(),
            "days_outstanding": self.days_outstanding, "payments": [p.to_dict() for p in self.payments],
            "explanation": {"zh": self.explanation_zh, "en": self.explanation_en},
        }


def _totals(lines: Iterable[Line]) -> dict[str, int]:
    t = dict.fromkeys(_MONEY, 0)
    for line in lines:
        t["due"] += line.due
        t["paid"] += line.paid if line.status != OUTSIDE_PLAN else 0
        t["outstanding"] += line.outstanding
        t["overpaid"] += line.overpaid
        t["paid_early"] += line.paid_early
        if line.status == UNMATCHED:
            t["unmatched"] += line.paid
        elif line.status == DUPLICATE_VOUCHER:
            t["duplicate"] += line.paid
        elif line.status == NOT_DUE:
            t["not_due"] += line.amount
        elif line.status == OUTSIDE_PLAN:
            t["outside_plan"] += line.paid
    return t


@attrs.frozen
class CarrierReconciliation:
    """One carrier's lines (decisions first, in evaluation order, then payments that settle none)."""

    carrier_id: str
    carrier_name: str | None
    lines: tuple[Line, ...]

    @property
    def totals(self) -> dict[str, int]:
        """Money per column (due, paid, outstanding, overpaid, paid early, unmatched, not due, outside the plan)."""
        return _totals(self.lines)

    @property
    def settled(self) -> bool:
        """True when no line is a finding."""
        return all(line.settled for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain data with a stable key order."""
        return {"id": self.carrier_id, "name": self.carrier_name, "settled": self.settled, "totals": self.totals,
                "lines": [line.to_dict() for line in self.lines]}


@attrs.frozen
class Reconciliation:
    """Payments against entitlements for a carrier or a portfolio, as of a date, under one ruleset and readings."""

    as_of: datetime.date
    ruleset_id: str
    ruleset_version: str
    ruleset_sha256: str
    readings: Mapping[str, str]
    payments_from: str  # "history", or the ledger's path
    carriers: tuple[CarrierReconciliation, ...]

    @property
    def lines(self) -> tuple[Line, ...]:
        """Every line, carrier by carrier."""
        return tuple(line for c in self.carriers for line in c.lines)

    @property
    def totals(self) -> dict[str, int]:
        """Money per column over every carrier."""
        return _totals(self.lines)

    @property
    def counts(self) -> dict[str, int]:
        """Lines per status."""
        out = dict.fromkeys(STATUSES, 0)
        for line in self.lines:
            out[line.status] += 1
        return out

    @property
    def settled(self) -> bool:
        """True when nothing is unpaid, overpaid, paid before it fell due (and not yet due), unmatched or a duplicate voucher."""
        return all(c.settled for c in self.carriers)

    @property
    def findings(self) -> tuple[Line, ...]:
        """Every line an auditor should look at, settled or not (``Line.finding``)."""
        return tuple(line for line in self.lines if line.finding)

    def carrier(self, carrier_id: str) -> CarrierReconciliation:
        """The reconciliation of one carrier."""
        for c in self.carriers:
            if c.carrier_id == carrier_id:
                return c
        raise KeyError(carrier_id)

    def to_dict(self) -> dict[str, Any]:
        """Plain data with a stable key order, ready for JSON."""
        return {
            "as_of": self.as_of.isoformat(),
            "ruleset": {"id": self.ruleset_id, "version": self.ruleset_version, "sha256": self.ruleset_sha256},
            "readings": dict(sorted(self.readings.items())),
            "payments_from": self.payments_from,
            "settled": self.settled,
            "totals": self.totals,
            "counts": self.counts,
            "carriers": [c.to_dict() for c in self.carriers],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """JSON with a stable key order."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def to_csv(self) -> str:
        """CSV text with a byte-order mark: one row per line (money in whole yuan, the payments as ``ref@date=amount``
        separated by ``;``), then the totals per carrier and what was reconciled (docs/views.md)."""
        return str(renderer("reconciliation_csv")(self))

    def to_table(self) -> str:
        """A plain-text report for people: the findings first, then the totals."""
        return str(renderer("format_reconciliation")(self))

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per line; money columns are nullable integers (Int64), never floats."""
        return renderer("reconciliation_frame")(self)

    def _repr_html_(self) -> str:
        return str(renderer("reconciliation_html")(self))


# --- reconciling -----------------------------------------------------------------


def reconcile(
    carrier_or_portfolio: Carrier | Portfolio | Sequence[Carrier] | str | Path,
    as_of: datetime.date | str,
    payments: Sequence[LedgerPayment] | str | Path | None = None,
    ruleset: Ruleset | str | Path | None = None,
    readings: Mapping[str, str] | None = None,
    engine: str = "native",
) -> Reconciliation:
    """Reconcile payments with the entitlements ``ruleset`` decides as of ``as_of``.

    ``carrier_or_portfolio`` is a Carrier, a Portfolio, a list of carriers or
    a portfolio file. ``payments`` is None (the ``payment_received`` events
    of each history), a ledger file (CSV or YAML: carrier, date, amount,
    purpose, voucher, ...) or LedgerPayments. Payments dated after ``as_of``
    are left out, as events after it are. ``engine`` decides the
    entitlements (both engines decide alike).
    """
    carriers = _carriers(carrier_or_portfolio)
    rs, day, chosen = prepare(ruleset, as_of, readings)
    source = "history"
    ledger: dict[str, list[LedgerPayment]] | None = None
    if payments is not None:
        if isinstance(payments, (str, Path)):
            source = str(payments)
            payments = load_ledger(payments)
        else:
            source = "ledger"
        ledger = {}
        for p in payments:
            if not isinstance(p, LedgerPayment):
                raise IncubatorRulesError(f"expected LedgerPayments, got {type(p).__name__}", field="payments")
            ledger.setdefault(p.carrier, []).append(p)
    known = {c.id for c in carriers}
    repeats = _repeated_vouchers(carriers, ledger, day)
    out = [_reconcile_one(c, rs, day, chosen, None if ledger is None else ledger.get(c.id, []), engine, repeats) for c in carriers]
    if ledger is not None:
        for cid in sorted(set(ledger) - known):
            lines = [_repeat(cid, p.payment, p.line, repeats[(cid, p.payment.id)]) if (cid, p.payment.id) in repeats
                     else _unmatched(cid, p.payment, p.line, "no carrier with this id")
                     for p in _ordered(ledger[cid]) if p.payment.date <= day]
            if lines:
                out.append(CarrierReconciliation(cid, None, tuple(lines)))
    return Reconciliation(day, rs.id, rs.version, rs.sha256, chosen, source, tuple(out))


def _carriers(value: Any) -> list[Carrier]:
    if isinstance(value, Carrier):
        return [value]
    if isinstance(value, Portfolio):
        return list(value.carriers)
    if isinstance(value, (str, Path)):
        return portfolio_carriers(value)
    if isinstance(value, (list, tuple)) and all(isinstance(c, Carrier) for c in value):
        return list(value)
    raise IncubatorRulesError(f"expected a Carrier, a Portfolio, carriers or a portfolio file, got {type(value).__name__}",
                              field="carrier_or_portfolio")


def _ordered(payments: Iterable[LedgerPayment]) -> list[LedgerPayment]:
    return sorted(payments, key=lambda p: (p.payment.date, p.payment.voucher or "", p.line or 0, p.payment.id))


def _repeated_vouchers(
    carriers: Sequence[Carrier], ledger: Mapping[str, list[LedgerPayment]] | None, day: datetime.date,
) -> dict[tuple[str, str], str]:
    """The payments whose voucher number an earlier payment already used, as (carrier id, payment id) -> why.

    A voucher pays once: over the whole ledger (or every history), the first
    payment with a voucher number, in the order (date, voucher, line or
    carrier and event id), is reconciled; each later one is a duplicate.
    """
    found: list[tuple[tuple[Any, ...], str, Event, int | None]] = []
    if ledger is None:
        for c in carriers:
            for e in c.events_until(day):
                if e.type is EventType.PAYMENT_RECEIVED and e.voucher:
                    found.append(((e.date, e.voucher, 0, c.id, e.id), c.id, e, None))
    else:
        for cid, items in ledger.items():
            for p in items:
                if p.payment.date <= day and p.payment.voucher:
                    found.append(((p.payment.date, p.payment.voucher, p.line or 0, cid, p.payment.id), cid, p.payment, p.line))
    first: dict[str, tuple[str, Event, int | None]] = {}
    out: dict[tuple[str, str], str] = {}
    for _, cid, e, line in sorted(found, key=lambda f: f[0]):
        assert e.voucher is not None
        seen = first.get(e.voucher)
        if seen is None:
            first[e.voucher] = (cid, e, line)
            continue
        where = f"line {seen[2]}" if seen[2] is not None else f"event {seen[1].id}"
        out[(cid, e.id)] = (f"voucher {e.voucher} already paid {seen[1].amount or 0:,} yuan to {seen[0]} on "
                            f"{seen[1].date.isoformat()} ({where}); not counted again")
    return out


def _reconcile_one(
    carrier: Carrier, rs: Ruleset, day: datetime.date, chosen: Mapping[str, str], ledger: list[LedgerPayment] | None,
    engine: str, repeats: Mapping[tuple[str, str], str] | None = None,
) -> CarrierReconciliation:
    ev = evaluate_prepared(carrier, rs, day, chosen) if engine == "native" else evaluate(carrier, rs, day, chosen, engine)
    ctx = Context(carrier, arrange(rs, chosen, carrier.events_until(day)), day, rs, chosen)
    lines_of: dict[int, int] = {}
    if ledger is None:
        paid = [e for e in ctx.timeline if e.type is EventType.PAYMENT_RECEIVED]
    else:
        paid = []
        for p in _ordered(ledger):
            if p.payment.date > day:
                continue
            event = p.payment if p.payment.plan is not None else attrs.evolve(p.payment, plan=rs.id)
            paid.append(event)
            lines_of[id(event)] = p.line  # type: ignore[assignment]
    settled = settlements(ctx, paid)
    # An unattributed history payment that would pay a title the plan does not consider new (a title of 2021, say)
    # is that title's earlier money, as the differential counts it, whenever it was paid.
    loose_history = [attrs.evolve(e, plan=rs.id) for e in paid if ledger is None and e.plan is None and settled.get(e.id) is None]
    earlier = {pid for pid, target in settlements(ctx, loose_history).items() if target is not None} if loose_history else set()
    purposes = _purposes(rs)
    decisions = ev.awards + ev.pending + ev.not_awarded
    by_event: dict[tuple[str, AwardKind], list[Decision]] = {}
    for d in decisions:
        for purpose in purposes[d.rule]:
            found = by_event.setdefault((d.events[0], purpose), [])
            if not found or found[0].rule == d.rule:  # the first rule paying for the event, with all its instalments
                found.append(d)
    for found in by_event.values():
        found.sort(key=_settling_order)
    matched: dict[int, list[Paid]] = {}
    loose: list[Line] = []
    start = rs.plan_period.start
    for e in paid:
        ref = e.voucher or e.id
        line_no = lines_of.get(id(e))
        if repeats and (carrier.id, e.id) in repeats:
            loose.append(_repeat(carrier.id, e, line_no, repeats[(carrier.id, e.id)]))
            continue
        if e.plan is not None and e.plan != rs.id:
            loose.append(_loose(carrier.id, e, line_no, OUTSIDE_PLAN, f"paid under {e.plan}, not this plan"))
            continue
        target = settled.get(e.id)
        owed = None if target is None else by_event.get((target, e.purpose))
        if owed is None:
            if ledger is None and e.plan is None and (e.date < start or e.settles is not None or e.id in earlier):
                loose.append(_loose(carrier.id, e, line_no, OUTSIDE_PLAN,
                                    "earlier money (before the plan period, or for a title the plan does not pay); counted towards the differential"))
            else:
                loose.append(_unmatched(carrier.id, e, line_no, "settles no decision of this plan"))
            continue
        for decision, part in _allocated(owed, matched, e.amount or 0):
            matched.setdefault(id(decision), []).append(Paid(ref, e.date, part, e.purpose.value, line_no))
    lines = []
    for d in decisions:
        got = matched.get(id(d), [])
        if d.status == NOT_AWARDED and not got:
            continue
        lines.append(_decision_line(carrier.id, d, tuple(got), day))
    return CarrierReconciliation(carrier.id, carrier.name, tuple(lines + loose))


def _settling_order(d: Decision) -> tuple[int, datetime.date, int]:
    """The order in which payments for one event fill its decisions: what is awarded, then what is pending,
    each by payable date and instalment; a refused decision last (money for it is overpaid)."""
    rank = {AWARDED: 0, PENDING: 1}.get(d.status, 2)
    return (rank, d.payable_on or datetime.date.max, d.instalment.number if d.instalment is not None else 0)


def _allocated(owed: list[Decision], matched: Mapping[int, list[Paid]], amount: int) -> list[tuple[Decision, int]]:
    """A payment for an event shared out among the event's decisions (the instalments of one award, the
    periods of one subsidy): each is filled up to its amount before the next; what is left over goes to the
    last one that pays anything (it shows as overpaid)."""
    payable = [d for d in owed if d.status != NOT_AWARDED] or owed[:1]
    parts: list[tuple[Decision, int]] = []
    left = amount
    for d in payable:
        room = d.amount - sum(p.amount for p in matched.get(id(d), ())) - sum(a for x, a in parts if x is d)
        if left <= 0 or room <= 0:
            continue
        take = min(room, left)
        parts.append((d, take))
        left -= take
    if left > 0 or not parts:
        parts.append((payable[-1], left))
    return parts


def _decision_line(carrier_id: str, d: Decision, got: tuple[Paid, ...], day: datetime.date) -> Line:
    paid = sum(p.amount for p in got)
    amount = d.amount
    due = amount if d.status == AWARDED else 0
    early = sum(p.amount for p in got if d.payable_on is None or p.date < d.payable_on) if d.status != NOT_AWARDED else 0
    overpaid = paid if d.status == NOT_AWARDED else max(paid - amount, 0)
    outstanding = max(due - paid, 0)
    if overpaid:
        status = OVERPAID
    elif d.status == PENDING:
        status = PAID_EARLY if paid else NOT_DUE
    elif outstanding:
        status = UNPAID
    elif early:
        status = PAID_EARLY  # a finding, settled: the entitlement has fallen due and is paid exactly
    else:
        status = PAID
    days = (day - d.payable_on).days if outstanding and d.payable_on is not None else None
    return Line(
        carrier_id, status, d.rule, d.reason, d.status, d.events[0], None if d.level is None else d.level.value,
        amount, due, paid, outstanding, overpaid, early, d.payable_on, days, got, d.explanation_zh, d.explanation_en,
    )


def _loose(carrier_id: str, e: Event, line: int | None, status: str, why: str) -> Line:
    amount = e.amount or 0
    p = Paid(e.voucher or e.id, e.date, amount, e.purpose.value, line)
    return Line(carrier_id, status, None, None, None, e.settles, None if e.level is None else e.level.value,
                0, 0, amount, 0, 0, 0, None, None, (p,), "", why)


def _unmatched(carrier_id: str, e: Event, line: int | None, why: str) -> Line:
    return _loose(carrier_id, e, line, UNMATCHED, why)


def _repeat(carrier_id: str, e: Event, line: int | None, why: str) -> Line:
    return _loose(carrier_id, e, line, DUPLICATE_VOUCHER, why)
