"""District portfolios: carriers, their dated statistics snapshots and designations.

A portfolio is what a district science bureau keeps: its carriers (each with
its event history), the statistics each carrier reports from time to time
(floor area, enterprises and teams hosted, staff, mentors, ...) and the
designations the bureau gives (a featured carrier, a specialised incubator).
Snapshots can sit in the portfolio file or in a CSV file beside it, one row
per carrier and date, as a spreadsheet would export them.
"""

from __future__ import annotations

import bisect
import datetime
from decimal import Decimal
from typing import Any, Iterable, Mapping

import attrs

from ..errors import PortfolioError
from .carrier import Carrier, CarrierKind, Event, EventType, Level

Number = int | Decimal


@attrs.frozen
class Metric:
    """A statistic a carrier reports: its name (a CSV column), labels and unit."""

    name: str
    label_zh: str
    label_en: str
    unit: str
    whole: bool = True


# The statistics a snapshot may hold. Every one is optional in a snapshot; a
# figure that is not reported is absent, never zero.
METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("floor_area_m2", "载体面积(平方米)", "floor area", "m2", whole=False),
        Metric("incubatee_floor_area_m2", "在孵企业使用面积(平方米)", "floor area used by incubatees", "m2", whole=False),
        Metric("workstations", "工位数", "workstations", "count"),
        Metric("enterprises_and_teams", "在孵企业和团队数", "enterprises and teams hosted", "count"),
        Metric("technology_enterprises", "孵化科技型企业数", "technology enterprises incubated", "count"),
        Metric("full_time_staff", "专职孵化服务人员数", "full-time incubation staff", "people"),
        Metric("professional_staff", "专业孵化服务人员数", "professional incubation staff", "people"),
        Metric("total_staff", "运营机构总人数", "all staff of the operator", "people"),
        Metric("technology_brokers", "技术经纪人数", "technology brokers", "people"),
        Metric("mentors", "创业导师数", "mentors", "people"),
        Metric("graduated_firms", "毕业企业数", "graduated firms", "count"),
        Metric("financed_incubatees", "获得投融资的在孵企业数", "incubatees financed", "count"),
        Metric("new_firms_registered", "新注册企业数", "new firms registered", "count"),
        Metric("seed_fund_yuan", "种子资金(元)", "seed fund", "yuan"),
        Metric("fund_use_cases", "种子资金使用案例数", "cases of seed-fund use", "count"),
        Metric("incubation_cases", "典型孵化案例数", "incubation cases", "count"),
        Metric("events_held", "创新创业活动场次", "innovation and start-up events held", "count"),
        Metric("patent_applicant_incubatees", "有专利申请的在孵企业数", "incubatees with patent applications", "count"),
        Metric("valid_ip_incubatees", "拥有有效知识产权的在孵企业数", "incubatees holding valid IP", "count"),
    )
}

# Designations a bureau gives a carrier, with the meaning the rulesets rely on.
DESIGNATIONS: dict[str, str] = {
    "featured": "特色孵化载体: a featured carrier (specialised, international or platform-type)",
    "specialised": "专业孵化器: a specialised incubator, at least 75% of its incubatees in one industry",
}



@attrs.frozen
class Snapshot:
    """The statistics one carrier reported as of one date; absent metrics were not reported."""

    carrier_id: str
    date: datetime.date
    values: Mapping[str, Number] = attrs.field(factory=dict)

    def get(self, metric: str) -> Number | None:
        """The reported value of a metric, or None when it was not reported."""
        return self.values.get(metric)

    def to_dict(self) -> dict[str, Any]:
        """Plain data: the date, then the metrics in registry order."""
        out: dict[str, Any] = {"date": self.date.isoformat()}
        for name in METRICS:
            if name in self.values:
                out[name] = self.values[name]
        return out


@attrs.frozen
class Designation:
    """A designation (``featured``, ``specialised``) held from ``date`` until ``until`` (exclusive) or for good."""

    carrier_id: str
    tag: str
    date: datetime.date
    until: datetime.date | None = None
    note: str | None = None

    def holds_on(self, day: datetime.date) -> bool:
        """True when the designation is in force on ``day``."""
        return self.date <= day and (self.until is None or day < self.until)

    def to_dict(self) -> dict[str, Any]:
        """Plain data, omitting empty fields."""
        out: dict[str, Any] = {"tag": self.tag, "date": self.date.isoformat()}
        if self.until is not None:
            out["until"] = self.until.isoformat()
        if self.note is not None:
            out["note"] = self.note
        return out


@attrs.frozen
class Standing:
    """Where a carrier stands on a date: its titles by kind, and whether it is delisted."""

    known: bool
    titles: Mapping[CarrierKind, Level]
    delisted_on: datetime.date | None

    @property
    def delisted(self) -> bool:
        """True when the carrier's last title was withdrawn and not regained."""
        return self.delisted_on is not None

    @property
    def highest(self) -> tuple[CarrierKind, Level] | None:
        """The highest title held (kind, level), or None."""
        if not self.titles:
            return None
        return max(self.titles.items(), key=lambda kv: (kv[1].rank, kv[0].value))


def standing(carrier: Carrier, day: datetime.date, events: tuple[Event, ...] | None = None) -> Standing:
    """A carrier's titles and delisting on ``day``, from its history.

    A title is the highest level accredited or filed per carrier kind; a
    delisting withdraws every title, a later accreditation grants a new one.
    ``events``, when given, is ``carrier.events_until(day)`` already computed.
    """
    titles: dict[CarrierKind, Level] = {}
    delisted_on: datetime.date | None = None
    events = carrier.events_until(day) if events is None else events
    for e in events:
        if e.type is EventType.DELISTED:
            titles, delisted_on = {}, e.date
        elif e.type.is_accreditation:
            assert e.level is not None
            kind = e.kind or carrier.kind
            if delisted_on is not None:
                titles, delisted_on = {}, None
            if kind not in titles or titles[kind].rank < e.level.rank:
                titles[kind] = e.level
    return Standing(bool(events), titles, delisted_on)


def first_titles(
    carrier: Carrier, until: datetime.date, events: tuple[Event, ...] | None = None
) -> dict[Level, tuple[datetime.date, str]]:
    """For each level, the date and event id of the carrier's first accreditation or filing at it."""
    out: dict[Level, tuple[datetime.date, str]] = {}
    for e in carrier.events_until(until) if events is None else events:
        if e.type.is_accreditation and e.level is not None and e.level not in out:
            out[e.level] = (e.date, e.id)
    return out


@attrs.frozen
class Member:
    """One carrier of a portfolio, with its snapshots and designations, and the data path it was read at."""

    carrier: Carrier
    snapshots: tuple[Snapshot, ...] = ()
    designations: tuple[Designation, ...] = ()
    path: tuple[Any, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain data in the shape of a portfolio's ``carriers`` entry."""
        row = self.carrier.to_dict()
        if self.designations:
            row["designations"] = [d.to_dict() for d in self.designations]
        if self.snapshots:
            row["snapshots"] = [s.to_dict() for s in self.snapshots]
        return row


@attrs.frozen
class Portfolio:
    """A district's carriers, their snapshots and designations. Ids are unique; lookups are by id."""

    id: str
    name: str
    district: str | None = None
    carriers: tuple[Carrier, ...] = ()
    snapshots: tuple[Snapshot, ...] = ()
    designations: tuple[Designation, ...] = ()
    _by_id: Mapping[str, Carrier] = attrs.field(init=False, repr=False, eq=False)
    _snaps: Mapping[str, tuple[Snapshot, ...]] = attrs.field(init=False, repr=False, eq=False)
    _tags: Mapping[str, tuple[Designation, ...]] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        by_id: dict[str, Carrier] = {}
        for c in self.carriers:
            if c.id in by_id:
                raise PortfolioError(f"duplicate carrier id {c.id!r}", field="carriers")
            by_id[c.id] = c
        snaps: dict[str, list[Snapshot]] = {}
        for s in self.snapshots:
            if s.carrier_id not in by_id:
                raise PortfolioError(f"snapshot for unknown carrier {s.carrier_id!r}", field="snapshots")
            snaps.setdefault(s.carrier_id, []).append(s)
        ordered: dict[str, tuple[Snapshot, ...]] = {}
        for cid, items in snaps.items():
            items.sort(key=lambda s: s.date)
            for a, b in zip(items, items[1:]):
                if a.date == b.date:
                    raise PortfolioError(f"two snapshots of carrier {cid!r} dated {a.date}", field="snapshots")
            ordered[cid] = tuple(items)
        tags: dict[str, list[Designation]] = {}
        for d in self.designations:
            if d.carrier_id not in by_id:
                raise PortfolioError(f"designation for unknown carrier {d.carrier_id!r}", field="designations")
            if d.tag not in DESIGNATIONS:
                raise PortfolioError(f"unknown designation {d.tag!r}; expected one of: {', '.join(DESIGNATIONS)}", field="designations")
            tags.setdefault(d.carrier_id, []).append(d)
        object.__setattr__(self, "_by_id", by_id)
        object.__setattr__(self, "_snaps", ordered)
        object.__setattr__(self, "_tags", {k: tuple(v) for k, v in tags.items()})

    def carrier(self, carrier_id: str) -> Carrier:
        """The carrier with this id (KeyError when there is none)."""
        return self._by_id[carrier_id]

    def snapshots_of(self, carrier_id: str) -> tuple[Snapshot, ...]:
        """A carrier's snapshots, oldest first."""
        return self._snaps.get(carrier_id, ())

    def latest(self, carrier_id: str, as_of: datetime.date) -> Snapshot | None:
        """The carrier's latest snapshot dated on or before ``as_of``, or None."""
        snaps = self.snapshots_of(carrier_id)
        i = bisect.bisect_right(snaps, as_of, key=lambda s: s.date)
        return snaps[i - 1] if i else None

    def tags(self, carrier_id: str, day: datetime.date) -> frozenset[str]:
        """The designations a carrier holds on ``day``."""
        return frozenset(d.tag for d in self._tags.get(carrier_id, ()) if d.holds_on(day))

    def known_on(self, carrier_id: str, day: datetime.date) -> bool:
        """True when the carrier has an event or a snapshot dated on or before ``day``."""
        c = self._by_id[carrier_id]
        return any(e.date <= day for e in c.events) or any(s.date <= day for s in self.snapshots_of(carrier_id))

    def with_carrier(
        self, carrier: Carrier, snapshots: Iterable[Snapshot] = (), designations: Iterable[Designation] = ()
    ) -> "Portfolio":
        """A new portfolio with one more carrier (and its snapshots and designations)."""
        return attrs.evolve(
            self,
            carriers=self.carriers + (carrier,),
            snapshots=self.snapshots + tuple(snapshots),
            designations=self.designations + tuple(designations),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data in the shape ``load_portfolio`` reads, snapshots inline."""
        out: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.district is not None:
            out["district"] = self.district
        rows = []
        for c in self.carriers:
            row = c.to_dict()
            tags = [d.to_dict() for d in self._tags.get(c.id, ())]
            if tags:
                row["designations"] = tags
            snaps = [s.to_dict() for s in self.snapshots_of(c.id)]
            if snaps:
                row["snapshots"] = snaps
            rows.append(row)
        out["carriers"] = rows
        return out


__all__ = [
    "DESIGNATIONS",
    "METRICS",
    "Designation",
    "Member",
    "Metric",
    "Portfolio",
    "Snapshot",
    "Standing",
    "first_titles",
    "standing",
]
