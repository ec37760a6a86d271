"""Hypothesis strategies for district portfolios: carriers with titles, delistings, snapshots and designations."""

import datetime
from decimal import Decimal

from hypothesis import strategies as st

from incubator_rules.model.carrier import Carrier, CarrierKind, Level
from incubator_rules.model.portfolio import METRICS, Designation, Portfolio, Snapshot

AREAS = ("万州经开区", "渝东新区", "百安坝街道", "牌楼街道", "龙都街道", "双河口街道", "高笋塘街道", "九池街道", "龙驹镇", "太白街道")

dates = st.dates(min_value=datetime.date(2019, 1, 1), max_value=datetime.date(2026, 12, 31))


@st.composite
def events(draw):
    """A history: an operation start, accreditations at random levels, perhaps a delisting."""
    out = []
    if draw(st.booleans()):
        out.append({"type": "operation_started", "date": draw(dates)})
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(("accredited", "filed")))
        out.append({"type": kind, "date": draw(dates), "level": draw(st.sampled_from(list(Level))).value})
    if draw(st.integers(0, 4)) == 0:
        out.append({"type": "delisted", "date": draw(dates)})
    return out


@st.composite
def metric_values(draw):
    """Some of the metrics, with non-negative values (floor areas may have a fraction)."""
    core = ("floor_area_m2", "enterprises_and_teams", "technology_enterprises", "full_time_staff", "mentors")
    names = draw(st.sets(st.sampled_from(core), max_size=5)) | draw(st.sets(st.sampled_from(sorted(METRICS)), max_size=4))
    out = {}
    for name in sorted(names):
        if METRICS[name].whole:
            out[name] = draw(st.integers(0, 2000))
        else:
            out[name] = Decimal(draw(st.integers(0, 6_000_000))) / 10  # up to 60万 m2, to one decimal
    return out


@st.composite
def members(draw, carrier_id):
    """One carrier with its snapshots and designations."""
    carrier = Carrier.from_dict({
        "id": carrier_id,
        "name": f"carrier {carrier_id}",
        "kind": draw(st.sampled_from(list(CarrierKind))).value,
        "area": draw(st.sampled_from(AREAS)),
        "events": draw(events()),
    })
    snap_dates = draw(st.sets(dates, max_size=3))
    snapshots = tuple(Snapshot(carrier_id, d, draw(metric_values())) for d in sorted(snap_dates))
    designations = tuple(
        Designation(carrier_id, tag, draw(dates))
        for tag in draw(st.sets(st.sampled_from(("featured", "specialised")), max_size=2))
    )
    return carrier, snapshots, designations


@st.composite
def portfolios(draw, max_carriers=5):
    """A portfolio of up to ``max_carriers`` carriers with ids c0, c1, ..."""
    parts = [draw(members(f"c{i}")) for i in range(draw(st.integers(0, max_carriers)))]
    return Portfolio(
        "generated", "generated",
        carriers=tuple(c for c, _, _ in parts),
        snapshots=tuple(s for _, snaps, _ in parts for s in snaps),
        designations=tuple(d for _, _, ds in parts for d in ds),
    )


@st.composite
def managed_histories(draw):
    """A carrier history rich in what dynamic management reads: titles, graded evaluations, delistings."""
    kind = draw(st.sampled_from(("maker_space", "incubator", "star_innovation_space")))
    out = [{"type": "operation_started", "date": draw(dates)}]
    for _ in range(draw(st.integers(1, 3))):
        out.append({"type": draw(st.sampled_from(("accredited", "filed"))), "date": draw(dates),
                    "level": draw(st.sampled_from(list(Level))).value})
    for _ in range(draw(st.integers(0, 5))):
        year = draw(st.integers(2019, 2025))
        when = datetime.date(year + 1, 1, 1) + datetime.timedelta(days=draw(st.integers(0, 300)))
        out.append({"type": "evaluated", "date": when, "year": year, "level": draw(st.sampled_from(list(Level))).value,
                    "grade": draw(st.sampled_from(("excellent", "good", "pass", "fail", "fail")))})
    for _ in range(draw(st.integers(0, 2))):
        out.append({"type": "delisted", "date": draw(dates)})
    return Carrier.from_dict({"id": "h", "name": "h", "kind": kind, "events": out})
