"""Hypothesis strategies for carrier histories. Every event type appears here."""

from __future__ import annotations

import datetime

from hypothesis import strategies as st

from incubator_rules import Carrier
from incubator_rules.model.carrier import CarrierKind, Grade, Level

DAY = datetime.timedelta(days=1)
LEAP_DAYS = [datetime.date(2020, 2, 29), datetime.date(2024, 2, 29), datetime.date(2028, 2, 29)]
PAID_KINDS = [CarrierKind.MAKER_SPACE, CarrierKind.STAR_INNOVATION_SPACE, CarrierKind.INCUBATOR]
GRADES = [Grade.EXCELLENT, Grade.GOOD, Grade.PASS, Grade.FAIL]


def dates(lo: datetime.date = datetime.date(2021, 1, 1), hi: datetime.date = datetime.date(2027, 12, 31)) -> st.SearchStrategy[datetime.date]:
    """Dates in a range, with leap days and year ends drawn more often."""
    special = [d for d in LEAP_DAYS if lo <= d <= hi] + [
        d for y in range(lo.year, hi.year + 1) for d in (datetime.date(y, 1, 1), datetime.date(y, 12, 31)) if lo <= d <= hi
    ]
    plain = st.dates(lo, hi)
    return st.one_of(plain, st.sampled_from(special)) if special else plain


@st.composite
def histories(draw: st.DrawFn, kinds: list[CarrierKind] | None = None, payments: bool = True, disruptions: bool = True) -> dict:
    """A valid carrier as plain data: a ladder of accreditations (up and down),
    evaluations, suspensions and rectifications in non-overlapping episodes,
    an optional delisting and prior payments."""
    kind = draw(st.sampled_from(kinds or PAID_KINDS + [CarrierKind.UNIVERSITY_SCIENCE_PARK]))
    start = draw(dates(datetime.date(2020, 1, 1), datetime.date(2025, 6, 30)))
    events: list[dict] = []
    if draw(st.booleans()):
        events.append({"type": "operation_started", "date": start})
    acc_type = "filed" if kind in (CarrierKind.MAKER_SPACE, CarrierKind.STAR_INNOVATION_SPACE) else "accredited"
    for _ in range(draw(st.integers(0, 4))):
        event = {"type": acc_type, "date": draw(dates(start, datetime.date(2027, 6, 30))), "level": draw(st.sampled_from(list(Level))).value}
        if draw(st.integers(0, 9)) == 0:
            event["type"] = "accredited" if acc_type == "filed" else "filed"
        events.append(event)
    if disruptions:
        for stop, restart in (("suspended", "resumed"), ("rectification_ordered", "rectification_completed")):
            cursor = start
            for _ in range(draw(st.integers(0, 2))):
                begin = cursor + draw(st.integers(1, 500)) * DAY
                events.append({"type": stop, "date": begin})
                if not draw(st.integers(0, 4)):
                    break  # never ends
                cursor = begin + draw(st.integers(0, 200)) * DAY
                events.append({"type": restart, "date": cursor})
        if draw(st.integers(0, 5)) == 0:
            events.append({"type": "delisted", "date": draw(dates(start, datetime.date(2027, 12, 31)))})
    for _ in range(draw(st.integers(0, 3))):
        year = draw(st.integers(2021, 2026))
        events.append({
            "type": "evaluated",
            "date": datetime.date(year, 12, 31) + draw(st.integers(1, 200)) * DAY,
            "year": year,
            "level": draw(st.sampled_from(list(Level))).value,
            "grade": draw(st.sampled_from(GRADES)).value,
        })
    if payments and draw(st.integers(0, 3)) == 0:
        for _ in range(draw(st.integers(1, 2))):
            events.append(payment(draw))
    for i, e in enumerate(events):
        e["id"] = f"e{i}"
    for e in events:
        if e["type"] == "payment_received" and draw(st.integers(0, 2)) == 0:
            wanted = ("evaluated",) if e.get("award") == "excellence" else ("accredited", "filed")
            targets = [t["id"] for t in events if t["type"] in wanted]
            if targets and e.get("award") != "other":
                e["settles"] = draw(st.sampled_from(targets))
    area = draw(st.sampled_from([None, None, "龙驹镇", "万州经开区", "开州区"]))
    if area is not None:
        return {"id": "c1", "name": "Generated carrier", "kind": kind.value, "area": area, "events": events}
    return {"id": "c1", "name": "Generated carrier", "kind": kind.value, "events": events}


AWARDS = [None, "construction_subsidy", "excellence", "other"]
PLANS = [None, None, "wanzhou-2023", "an-earlier-scheme"]


def payment(draw: st.DrawFn) -> dict:
    """A payment received: level, amount, and what it pays (award kind, plan, payer, year, voucher), some left out."""
    event = {
        "type": "payment_received",
        "date": draw(dates(datetime.date(2019, 1, 1), datetime.date(2026, 12, 31))),
        "level": draw(st.sampled_from(list(Level))).value,
        "amount": draw(st.sampled_from([30000, 50000, 100000, 200000, 300000, 500000, 1000000])),
    }
    award = draw(st.sampled_from(AWARDS))
    if award is not None:
        event["award"] = award
    plan = draw(st.sampled_from(PLANS))
    if plan is not None:
        event["plan"] = plan
    if award == "excellence" and draw(st.booleans()):
        event["year"] = draw(st.integers(2015, event["date"].year - 1))
    if draw(st.booleans()):
        event["voucher"] = f"V-{draw(st.integers(1, 999))}"
    if draw(st.integers(0, 3)) == 0:
        event["kind"] = draw(st.sampled_from(PAID_KINDS)).value
    return event


def carriers(**kwargs: object) -> st.SearchStrategy[Carrier]:
    """Carriers built from ``histories``."""
    return histories(**kwargs).map(Carrier.from_dict)  # type: ignore[arg-type]


def as_of_dates() -> st.SearchStrategy[datetime.date]:
    """Evaluation dates from before the plan to well after it."""
    return dates(datetime.date(2022, 1, 1), datetime.date(2029, 12, 31))
