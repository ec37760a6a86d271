"""Invariants of payments and reconciliation over generated histories (issue 12)."""

import datetime
from pathlib import Path

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

import incubator_rules as ir

from strategies import PAID_KINDS, as_of_dates, dates, histories, payment

RULESET = ir.load_ruleset()
READINGS = [{}] + [{name: alt} for name, r in RULESET.readings.items() for alt in r.alternatives if alt != r.default]
DIFFERENTIAL = "upgrade-differential"


def decisions(ev):
    return [d.to_dict() for d in ev.awards + ev.pending + ev.not_awarded]


def own_payments(ev, kind: str, settles: bool):
    """One payment per award or pending award, of its amount, on its payable date, saying what it pays."""
    out = []
    for i, d in enumerate(ev.awards + ev.pending):
        award = "excellence" if d.rule == "evaluation-excellence" else "construction_subsidy"
        p = {"id": f"own{i}", "type": "payment_received", "date": d.payable_on.isoformat(), "level": d.level.value,
             "amount": d.amount, "award": award}
        if settles:
            p["settles"] = d.events[0]
        if d.kind is not None and d.kind.value != kind:
            p["kind"] = d.kind.value
        out.append(p)
    return out


def with_events(data, extra):
    return ir.Carrier.from_dict(dict(data, events=data["events"] + extra))


@settings(max_examples=150, deadline=None)
@given(histories(), as_of_dates(), st.sampled_from(READINGS), st.booleans())
def test_recording_the_payments_of_a_carriers_own_awards_never_changes_any_award(data, as_of, readings, settles):
    before = ir.evaluate(ir.Carrier.from_dict(data), as_of=as_of, readings=readings)
    paid = [p for p in own_payments(before, data["kind"], settles) if p["date"] <= as_of.isoformat()]
    after = ir.evaluate(with_events(data, paid), as_of=as_of, readings=readings)
    assert decisions(after) == decisions(before)


@settings(max_examples=150, deadline=None)
@given(histories(), as_of_dates(), st.sampled_from(READINGS), st.data())
def test_the_differential_never_counts_excellence_money(data, as_of, readings, draw):
    extra = []
    for i in range(draw.draw(st.integers(1, 3))):
        p = payment(draw.draw)
        p.update(id=f"x{i}", award="excellence")
        p.pop("settles", None)
        extra.append(p)
    subsidies = lambda ev: [d.to_dict() for d in ev.awards + ev.pending + ev.not_awarded if d.rule != "evaluation-excellence"]  # noqa: E731
    before = ir.evaluate(ir.Carrier.from_dict(data), as_of=as_of, readings=readings)
    after = ir.evaluate(with_events(data, extra), as_of=as_of, readings=readings)
    assert subsidies(after) == subsidies(before)


@st.composite
def level_histories(draw):
    """A carrier that never climbs: one kind, every accreditation and construction-subsidy payment at one level."""
    kind = draw(st.sampled_from(PAID_KINDS))
    level = draw(st.sampled_from(list(ir.Level))).value
    act = "filed" if kind is not ir.CarrierKind.INCUBATOR else "accredited"
    events = [{"id": f"a{i}", "type": act, "date": draw(dates(datetime.date(2019, 1, 1), datetime.date(2027, 6, 30))), "level": level}
              for i in range(draw(st.integers(1, 4)))]
    for i in range(draw(st.integers(0, 3))):
        p = payment(draw)
        p.update(id=f"p{i}", level=level)
        p.pop("kind", None)
        events.append(p)
    if draw(st.booleans()):
        events.append({"id": "d", "type": "delisted", "date": draw(dates(datetime.date(2020, 1, 1), datetime.date(2027, 6, 30)))})
    return ir.Carrier.from_dict({"id": "flat", "name": "never climbs", "kind": kind.value, "events": events})


@settings(max_examples=200, deadline=None)
@given(level_histories(), as_of_dates(), st.sampled_from(READINGS))
def test_a_carrier_that_never_climbs_is_never_paid_a_differential(c, as_of, readings):
    ev = ir.evaluate(c, as_of=as_of, readings=readings)
    assert [d for d in ev.awards + ev.pending if d.rule == DIFFERENTIAL] == []


@settings(max_examples=120, deadline=None)
@given(histories(kinds=PAID_KINDS, payments=False), dates(datetime.date(2024, 6, 1), datetime.date(2029, 12, 31)),
       st.sampled_from(READINGS), st.data())
def test_payments_equal_to_the_awards_settle_everything_and_each_one_missing_is_exactly_that_award_unpaid(data, as_of, readings, draw):
    ev = ir.evaluate(ir.Carrier.from_dict(data), as_of=as_of, readings=readings)
    paid = own_payments(attrs.evolve(ev, pending=()), data["kind"], settles=True)
    full = ir.reconcile(with_events(data, paid), as_of, readings=readings)
    assert full.settled
    assert [line.status for line in full.lines if line.status != "not_due"] == ["paid"] * len(ev.awards)
    assert full.totals["due"] == full.totals["paid"] == ev.total
    if not paid:
        return
    k = draw.draw(st.integers(0, len(paid) - 1))
    missing = ir.reconcile(with_events(data, paid[:k] + paid[k + 1:]), as_of, readings=readings)
    unpaid = [line for line in missing.lines if line.status == "unpaid"]
    assert [(line.rule, line.event, line.outstanding) for line in unpaid] == [
        (ev.awards[k].rule, ev.awards[k].events[0], ev.awards[k].amount)]
    assert all(line.status in ("paid", "not_due") for line in missing.lines if line not in unpaid)


@settings(max_examples=80, deadline=None)
@given(histories(kinds=PAID_KINDS, payments=False), dates(datetime.date(2024, 6, 1), datetime.date(2029, 12, 31)),
       st.sampled_from(READINGS), st.data())
def test_a_payment_entered_twice_under_one_voucher_is_one_duplicate_and_changes_no_decision_line(data, as_of, readings, draw):
    ev = ir.evaluate(ir.Carrier.from_dict(data), as_of=as_of, readings=readings)
    paid = own_payments(attrs.evolve(ev, pending=()), data["kind"], settles=draw.draw(st.booleans()))
    if not paid:
        return
    for i, p in enumerate(paid):
        p["voucher"] = f"V-{i}"
    k = draw.draw(st.integers(0, len(paid) - 1))
    once = ir.reconcile(with_events(data, paid), as_of, readings=readings)
    twice = ir.reconcile(with_events(data, paid + [dict(paid[k], id="again")]), as_of, readings=readings)
    duplicates = [line for line in twice.lines if line.status == "duplicate_voucher"]
    assert [(d.paid, d.payments[0].ref) for d in duplicates] == [(paid[k]["amount"], f"V-{k}")]
    assert [line.to_dict() for line in twice.lines if line not in duplicates] == [line.to_dict() for line in once.lines]
    assert not twice.settled and twice.totals["duplicate"] == paid[k]["amount"]


DEMO_BASE = ir.load_ruleset(Path(__file__).resolve().parent / "rulesets" / "fuzhou-incubation-demo-base-2020.yaml")
DEMO = ir.Carrier.from_dict({
    "id": "db", "name": "db", "kind": "incubator", "events": [
        {"id": "d", "date": "2020-12-01", "type": "designated", "level": "municipal", "designation": "创业孵化示范基地"},
        {"id": "r2", "date": "2021-11-15", "type": "task_result", "level": "municipal", "task": "示范基地复评", "grade": "pass"},
        {"id": "r3", "date": "2022-11-15", "type": "task_result", "level": "municipal", "task": "示范基地复评", "grade": "pass"},
    ]})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(dates(datetime.date(2020, 12, 1), datetime.date(2023, 6, 30)), st.integers(1, 250_000)),
                min_size=1, max_size=6))
def test_money_paid_for_an_award_in_instalments_is_all_accounted_for_and_fills_them_in_order(paid):
    # 30万 in three instalments of 10万: however the bureau paid it, every yuan lands on one instalment,
    # no instalment gets money while an earlier one is short, and only the last can be overpaid
    events = [ir.Event(f"p{i}", ir.EventType.PAYMENT_RECEIVED, day, amount=amount, level=ir.Level.MUNICIPAL, award=ir.AwardKind.OTHER,
                       plan=DEMO_BASE.id, settles="d") for i, (day, amount) in enumerate(paid)]
    c = attrs.evolve(DEMO, events=DEMO.events + tuple(events))
    lines = ir.reconcile(c, "2023-06-30", ruleset=DEMO_BASE).lines
    assert sum(line.paid for line in lines) == sum(amount for _, amount in paid)
    assert [line.amount for line in lines] == [100_000] * 3
    for earlier, later in zip(lines, lines[1:]):
        assert later.paid == 0 or earlier.paid == earlier.amount
    assert all(line.overpaid == 0 for line in lines[:-1])
