"""The native and durable engines decide alike on every history, under every reading.

Two independent engines over one declarative ruleset: any difference between
them is a bug in one of them, and the failure shows both evaluations.
"""

from __future__ import annotations

import datetime
import difflib

import attrs
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import incubator_rules as ir
import strategies
from incubator_rules.model.carrier import CarrierKind, EventType, Grade, Level

pytest.importorskip("durable.engine", reason="the durable engine needs durable-rules (pip install -e '.[durable]')")

DAY = datetime.timedelta(days=1)
LEAP_DAYS = [datetime.date(2020, 2, 29), datetime.date(2024, 2, 29), datetime.date(2028, 2, 29)]
PAID = [CarrierKind.MAKER_SPACE, CarrierKind.STAR_INNOVATION_SPACE, CarrierKind.INCUBATOR]
RULESETS = [ir.load_ruleset(p) for p in ir.shipped_rulesets()]


def assert_engines_agree(carrier: ir.Carrier, ruleset: ir.Ruleset, as_of: datetime.date, readings: dict[str, str]) -> ir.Evaluation:
    """Evaluate with both engines; fail with both evaluations and their diff when they differ."""
    native = ir.evaluate(carrier, ruleset, as_of, readings, engine="native")
    durable = ir.evaluate(carrier, ruleset, as_of, readings, engine="durable")
    assert durable.engine == "durable"
    same_name = attrs.evolve(durable, engine="native")
    if same_name != native:
        diff = "\n".join(difflib.unified_diff(
            native.to_json().splitlines(), same_name.to_json().splitlines(), "native", "durable", lineterm=""))
        pytest.fail(
            f"engines disagree as of {as_of} under {readings}\ncarrier:\n{carrier.to_json()}\n"
            f"diff:\n{diff}\nnative:\n{native.to_json()}\ndurable:\n{durable.to_json()}"
        )
    return native


# --- generated histories ------------------------------------------------------


def _dates(lo: datetime.date, hi: datetime.date) -> st.SearchStrategy[datetime.date]:
    special = [d for d in LEAP_DAYS if lo <= d <= hi]
    special += [d for y in range(lo.year, hi.year + 1) for d in (datetime.date(y, 1, 1), datetime.date(y, 12, 31)) if lo <= d <= hi]
    return st.one_of(st.dates(lo, hi), st.sampled_from(special)) if special else st.dates(lo, hi)


@st.composite
def crowded_histories(draw: st.DrawFn) -> ir.Carrier:
    """A valid carrier drawing on every event type, with more collisions than ``strategies.histories``.

    Dates come from a small pool, so same-day events are common; the ladder
    goes up and down, across kinds (events with their own ``kind``);
    suspensions and rectifications come in episodes that may never end;
    several delistings, re-accreditations, evaluations and prior payments
    (for either kind, zero included) are mixed in; the input order is shuffled.
    """
    kind = draw(st.sampled_from(PAID * 3 + list(CarrierKind)))
    pool = draw(st.lists(_dates(datetime.date(2019, 1, 1), datetime.date(2028, 12, 31)), min_size=1, max_size=6))
    day = st.one_of(st.sampled_from(pool), _dates(datetime.date(2019, 1, 1), datetime.date(2028, 12, 31)))
    events: list[dict] = []

    def add(etype: EventType, date: datetime.date, **fields: object) -> None:
        events.append({"type": etype.value, "date": date, **fields})

    if draw(st.booleans()):
        add(EventType.OPERATION_STARTED, draw(day))
    for _ in range(draw(st.integers(0, 5))):
        fields = {"level": draw(st.sampled_from(list(Level))).value}
        if draw(st.integers(0, 3)) == 0:
            fields["kind"] = draw(st.sampled_from(PAID + [CarrierKind.UNIVERSITY_SCIENCE_PARK])).value
        add(draw(st.sampled_from([EventType.ACCREDITED, EventType.FILED])), draw(day), **fields)
    for stop, end in ((EventType.SUSPENDED, EventType.RESUMED), (EventType.RECTIFICATION_ORDERED, EventType.RECTIFICATION_COMPLETED)):
        toggles = sorted(draw(st.lists(day, max_size=4, unique=True)))
        for i, date in enumerate(toggles):  # stop, end, stop, ...: an odd count never ends
            add(stop if i % 2 == 0 else end, date)
    for date in draw(st.lists(day, max_size=2)):
        add(EventType.DELISTED, date)
    for _ in range(draw(st.integers(0, 3))):
        year = draw(st.integers(2021, 2027))
        extra = {"kind": draw(st.sampled_from(PAID)).value} if draw(st.integers(0, 3)) == 0 else {}
        add(EventType.EVALUATED, datetime.date(year + 1, 1, 1) + draw(st.integers(0, 200)) * DAY, year=year,
            level=draw(st.sampled_from(list(Level))).value, grade=draw(st.sampled_from(list(Grade))).value, **extra)
    for _ in range(draw(st.integers(0, 3))):
        fields = {"level": draw(st.sampled_from(list(Level))).value,
                  "amount": draw(st.sampled_from([0, 30000, 100000, 200000, 500000, 1000000]))}
        if draw(st.booleans()):
            fields["kind"] = draw(st.sampled_from(PAID)).value
        award = draw(st.sampled_from(strategies.AWARDS))
        if award is not None:
            fields["award"] = award
        plan = draw(st.sampled_from(strategies.PLANS))
        if plan is not None:
            fields["plan"] = plan
        add(EventType.PAYMENT_RECEIVED, draw(day), **fields)
    events = draw(st.permutations(events))
    events = [dict(e, id=f"e{i}", date=e["date"].isoformat()) for i, e in enumerate(events)]
    for e in events:  # some payments name the accreditation or evaluation they pay
        if e["type"] == "payment_received" and e.get("award") != "other" and draw(st.booleans()):
            wanted = ("evaluated",) if e.get("award") == "excellence" else ("accredited", "filed")
            targets = [t["id"] for t in events if t["type"] in wanted]
            if targets:
                e["settles"] = draw(st.sampled_from(targets))
    data = {"id": "c1", "name": "generated carrier", "kind": kind.value, "events": events}
    area = draw(st.sampled_from([None, None, "龙驹镇", "开州区", "江北区观音桥街道"]))
    if area is not None:
        data["area"] = area
    return ir.Carrier.from_dict(data)


@st.composite
def rulesets_and_readings(draw: st.DrawFn) -> tuple[ir.Ruleset, dict[str, str]]:
    """A shipped ruleset and one alternative for each of its readings."""
    ruleset = draw(st.sampled_from(RULESETS))
    readings = {name: draw(st.sampled_from(sorted(r.alternatives))) for name, r in ruleset.readings.items()}
    return ruleset, readings


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(carrier=st.one_of(strategies.carriers(), crowded_histories()), chosen=rulesets_and_readings(),
       as_of=_dates(datetime.date(2022, 1, 1), datetime.date(2030, 12, 31)))
def test_engines_agree_on_generated_histories(carrier, chosen, as_of):
    ruleset, readings = chosen
    ev = assert_engines_agree(carrier, ruleset, as_of, readings)
    for d in ev.awards + ev.pending + ev.not_awarded:
        event(f"{d.rule}: {d.reason}")  # shown by pytest --hypothesis-show-statistics


# --- every reading, on histories that exercise them ---------------------------------


def _every_reading(ruleset: ir.Ruleset) -> list[dict[str, str]]:
    """Each alternative of each reading, the others at their default."""
    return [{name: alt} for name, r in ruleset.readings.items() for alt in sorted(r.alternatives)]


LADDER = ir.Carrier.from_dict({
    "id": "ladder", "name": "maker space that climbs, falls and becomes an incubator", "kind": "maker_space",
    "events": [
        {"type": "operation_started", "date": "2022-05-01"},
        {"type": "payment_received", "date": "2022-06-01", "level": "district", "amount": 100000},
        {"type": "filed", "date": "2023-03-01", "level": "municipal"},
        {"type": "rectification_ordered", "date": "2023-06-01"},
        {"type": "rectification_completed", "date": "2023-07-01"},
        {"type": "filed", "date": "2023-09-01", "level": "district"},
        {"type": "evaluated", "date": "2024-02-29", "year": 2023, "level": "municipal", "grade": "excellent"},
        {"type": "evaluated", "date": "2024-02-29", "year": 2023, "level": "national", "grade": "excellent"},
        {"type": "filed", "date": "2024-02-29", "level": "national"},
        {"type": "suspended", "date": "2024-02-29"},
        {"type": "resumed", "date": "2024-04-01"},
        {"type": "accredited", "date": "2024-05-01", "level": "municipal", "kind": "incubator"},
        {"type": "delisted", "date": "2025-03-01"},
        {"type": "accredited", "date": "2025-04-01", "level": "district", "kind": "incubator"},
        {"type": "payment_received", "date": "2024-03-05", "level": "municipal", "amount": 200000, "voucher": "V1"},
        {"type": "payment_received", "date": "2024-04-01", "level": "municipal", "amount": 50000, "award": "excellence", "year": 2023},
        {"type": "payment_received", "date": "2024-06-01", "level": "national", "amount": 300000, "plan": "an-earlier-scheme"},
        {"type": "suspended", "date": "2024-08-01"},
        {"type": "resumed", "date": "2024-08-01"},
        {"type": "evaluated", "date": "2025-02-01", "year": 2024, "level": "municipal", "grade": "excellent"},
        {"type": "delisted", "date": "2025-06-01"},
        {"type": "filed", "date": "2025-06-01", "level": "national"},
    ],
})
STAR_OUTSIDE = ir.Carrier.from_dict({
    "id": "star", "name": "Star Innovation Space outside the area", "kind": "star_innovation_space", "area": "开州区",
    "events": [
        {"type": "filed", "date": "2023-03-01", "level": "municipal"},
        {"type": "evaluated", "date": "2024-03-01", "year": 2023, "level": "municipal", "grade": "excellent"},
        {"type": "evaluated", "date": "2026-03-01", "year": 2025, "level": "municipal", "grade": "excellent", "kind": "incubator"},
        {"type": "accredited", "date": "2025-05-01", "level": "municipal", "kind": "incubator"},
    ],
})


@pytest.mark.parametrize("ruleset", RULESETS, ids=lambda r: r.id)
def test_engines_agree_under_every_reading(ruleset):
    for readings in _every_reading(ruleset):
        for as_of in (datetime.date(2024, 3, 1), datetime.date(2026, 12, 31)):
            for carrier in (LADDER, STAR_OUTSIDE, attrs.evolve(STAR_OUTSIDE, area=None)):
                assert_engines_agree(carrier, ruleset, as_of, readings)


def test_the_q6_example_on_the_durable_engine():
    carrier = ir.load_carrier("examples/q6-maker-space.yaml")
    ev = assert_engines_agree(carrier, ir.load_ruleset(), datetime.date(2026, 6, 30), {})
    assert [("accreditation-subsidy", 200_000), ("upgrade-differential", 300_000)] == [(d.rule, d.amount) for d in ev.awards]
