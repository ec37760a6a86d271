"""Synthetic districts: seeded, plausible carrier histories for tests, benchmarks and notebooks.

A generated carrier starts operating, is accredited or filed at some level,
may climb the ladder, is evaluated most years with roughly the national grade
mix (about 20% excellent), and may be suspended, ordered to rectify or
delisted. The same seed always gives the same carriers, and carrier ``i`` does
not depend on how many carriers are asked for.
"""

from __future__ import annotations

import datetime
import random
from typing import Any, Iterator, Mapping

from ..model.carrier import Carrier, CarrierKind, Event, EventType, Grade, Level

# The nine areas of the Wanzhou plan's table (section 二), weighted by the
# carrier area each is to build (万平方米).
WANZHOU_AREAS: dict[str, int] = {
    "万州经开区": 26,
    "渝东新区": 15,
    "百安坝街道": 13,
    "牌楼街道": 4,
    "龙都街道": 4,
    "双河口街道": 3,
    "高笋塘街道": 2,
    "九池街道": 3,
    "龙驹镇": 5,
}

KIND_WEIGHTS: dict[CarrierKind, int] = {
    CarrierKind.MAKER_SPACE: 44,
    CarrierKind.STAR_INNOVATION_SPACE: 10,
    CarrierKind.INCUBATOR: 36,
    CarrierKind.UNIVERSITY_SCIENCE_PARK: 3,
    CarrierKind.LARGE_INCUBATION_PARK: 2,
    CarrierKind.LARGE_INNOVATION_COMMUNITY: 2,
    CarrierKind.UNIVERSITY_INNOVATION_ECOSYSTEM: 3,
}

# Roughly the 2020 national round: 20% excellent (A).
GRADE_WEIGHTS: dict[Grade, int] = {Grade.EXCELLENT: 20, Grade.GOOD: 40, Grade.PASS: 30, Grade.FAIL: 10}

FIRST_LEVEL_WEIGHTS: dict[Level, int] = {Level.DISTRICT: 50, Level.MUNICIPAL: 40, Level.NATIONAL: 10}

# What carriers received under earlier plans, recorded as payments (yuan).
_EARLIER_AMOUNTS = {
    ("incubator", Level.DISTRICT): 100_000, ("incubator", Level.MUNICIPAL): 300_000,
    ("incubator", Level.NATIONAL): 500_000, ("maker_space", Level.DISTRICT): 50_000,
    ("maker_space", Level.MUNICIPAL): 100_000, ("maker_space", Level.NATIONAL): 300_000,
}
_NAMES = {
    CarrierKind.MAKER_SPACE: "众创空间",
    CarrierKind.STAR_INNOVATION_SPACE: "星创天地",
    CarrierKind.INCUBATOR: "科技企业孵化器",
    CarrierKind.UNIVERSITY_SCIENCE_PARK: "大学科技园",
    CarrierKind.LARGE_INCUBATION_PARK: "科技企业孵化园",
    CarrierKind.LARGE_INNOVATION_COMMUNITY: "创新创业孵化社区",
    CarrierKind.UNIVERSITY_INNOVATION_ECOSYSTEM: "创新生态圈",
}
_FIRST_START = datetime.date(2013, 1, 1)
_LAST_START = datetime.date(2024, 6, 30)
DEFAULT_UNTIL = datetime.date(2026, 6, 30)


def _pick(rng: random.Random, weights: "Mapping[Any, int]") -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _day(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    if end <= start:
        return start
    return start + datetime.timedelta(days=rng.randrange((end - start).days + 1))


def _months(rng: random.Random, low: int, high: int) -> datetime.timedelta:
    return datetime.timedelta(days=rng.randint(low * 30, high * 30))


class _History:
    """Collects events with sequential ids, dropping any dated after ``until``."""

    def __init__(self, until: datetime.date) -> None:
        self.until = until
        self.events: list[Event] = []

    def add(self, etype: EventType, date: datetime.date, **fields: object) -> bool:
        if date > self.until:
            return False
        self.events.append(Event(id=f"e{len(self.events) + 1:02d}", type=etype, date=date, **fields))  # type: ignore[arg-type]
        return True


def generate_carrier(
    seed: int | str, index: int, *, until: datetime.date = DEFAULT_UNTIL, prefix: str = "wz"
) -> Carrier:
    """Carrier number ``index`` of the synthetic district ``seed``; events are dated up to ``until``."""
    rng = random.Random(f"{seed}:{index}")
    kind: CarrierKind = _pick(rng, KIND_WEIGHTS)
    area: str = _pick(rng, WANZHOU_AREAS)
    column = "incubator" if kind is CarrierKind.INCUBATOR else "maker_space"
    h = _History(until)
    started = _day(rng, _FIRST_START, min(_LAST_START, until))
    h.add(EventType.OPERATION_STARTED, started)

    day = started + _months(rng, 6, 30)
    level: Level = _pick(rng, FIRST_LEVEL_WEIGHTS)
    act = EventType.ACCREDITED if column == "incubator" else EventType.FILED
    accredited_kind: CarrierKind | None = None
    if not h.add(act, day, level=level, document=f"万州科局发〔{day.year}〕{rng.randint(1, 199)}号"):
        return _carrier(prefix, index, kind, area, h)
    if day.year < 2023 and rng.random() < 0.6:
        h.add(EventType.PAYMENT_RECEIVED, day + _months(rng, 3, 12), level=level,
              amount=_EARLIER_AMOUNTS[(column, level)])

    fails = 0
    suspended_until: datetime.date | None = None
    year = day.year
    next_upgrade = day + _months(rng, 12, 40) if rng.random() < 0.45 else None
    while True:
        # The evaluation of ``year``, in the spring of the following year.
        evaluated = datetime.date(year + 1, rng.randint(3, 6), rng.randint(1, 28))
        if evaluated > until:
            break
        if next_upgrade is not None and next_upgrade <= evaluated and level is not Level.NATIONAL:
            level = list(Level)[level.rank + 1]
            if column == "maker_space" and rng.random() < 0.08:
                accredited_kind, column, act = CarrierKind.INCUBATOR, "incubator", EventType.ACCREDITED
            extra = {"kind": accredited_kind} if accredited_kind is not None else {}
            h.add(act, next_upgrade, level=level, **extra)
            next_upgrade = next_upgrade + _months(rng, 12, 40) if rng.random() < 0.3 else None
        if rng.random() < 0.05 and (suspended_until is None or suspended_until.year < year):
            stop = _day(rng, datetime.date(year, 1, 1), datetime.date(year, 12, 31))
            if stop > day and h.add(EventType.SUSPENDED, stop):
                suspended_until = stop + _months(rng, 1, 8)
                h.add(EventType.RESUMED, suspended_until)
        if rng.random() < 0.9:
            grade: Grade = _pick(rng, GRADE_WEIGHTS)
            h.add(EventType.EVALUATED, evaluated, level=level, year=year, grade=grade)
            if grade is Grade.FAIL:
                fails += 1
                if fails >= 2:
                    h.add(EventType.DELISTED, evaluated + _months(rng, 1, 3))
                    break
                ordered = evaluated + _months(rng, 0, 1)
                if h.add(EventType.RECTIFICATION_ORDERED, ordered):
                    h.add(EventType.RECTIFICATION_COMPLETED, ordered + _months(rng, 2, 6))
            else:
                fails = 0
        if rng.random() < 0.01:
            h.add(EventType.DELISTED, evaluated + _months(rng, 1, 6))
            break
        year += 1
    return _carrier(prefix, index, kind, area, h)


def _carrier(prefix: str, index: int, kind: CarrierKind, area: str, h: _History) -> Carrier:
    name = f"{area}{index + 1}号{_NAMES[kind]}"
    return Carrier(id=f"{prefix}-{index + 1:06d}", name=name, kind=kind, events=tuple(h.events), area=area)


def iter_portfolio(
    n: int, seed: int | str = 0, *, until: datetime.date = DEFAULT_UNTIL, prefix: str = "wz"
) -> Iterator[Carrier]:
    """``n`` synthetic carriers, generated one at a time (memory does not grow with ``n``)."""
    for i in range(n):
        yield generate_carrier(seed, i, until=until, prefix=prefix)


def generate_portfolio(
    n: int, seed: int | str = 0, *, until: datetime.date = DEFAULT_UNTIL, prefix: str = "wz"
) -> list[Carrier]:
    """A synthetic district of ``n`` carriers."""
    return list(iter_portfolio(n, seed, until=until, prefix=prefix))
