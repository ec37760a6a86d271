"""How long a district report takes: assess, manage and check readiness for a generated portfolio.

Run: .venv/bin/python benchmarks/districts.py [N ...]   (default: 1000 10000 carriers)
Prints, per portfolio size, the seconds taken by each step and carriers per second.
"""

from __future__ import annotations

import datetime
import random
import sys
import time
import resource

from incubator_rules import (
    Carrier,
    Portfolio,
    Snapshot,
    assess,
    load_criteria,
    load_management,
    load_targets,
    manage,
    readiness,
)
from incubator_rules.model.portfolio import Designation

AREAS = ("万州经开区", "渝东新区", "百安坝街道", "牌楼街道", "龙都街道", "双河口街道", "高笋塘街道", "九池街道", "龙驹镇")
KINDS = ("maker_space", "maker_space", "incubator", "incubator", "star_innovation_space", "large_incubation_park")
GRADES = ("excellent", "good", "good", "pass", "pass", "fail")


def carrier(rng: random.Random, i: int) -> tuple[Carrier, list[Snapshot], list[Designation]]:
    """A carrier with a start, one to three accreditations, yearly evaluations and year-end snapshots."""
    cid = f"c{i:06d}"
    start = datetime.date(2016, 1, 1) + datetime.timedelta(days=rng.randrange(3000))
    events: list[dict] = [{"type": "operation_started", "date": start}]
    day = start + datetime.timedelta(days=rng.randrange(100, 700))
    levels = ["district", "municipal", "national"][rng.randrange(3) :][: rng.randint(1, 3)]
    level = None
    for level in levels:
        if day > datetime.date(2025, 6, 30):
            break
        events.append({"type": "filed" if i % 2 else "accredited", "date": day, "level": level})
        day += datetime.timedelta(days=rng.randrange(300, 1000))
    if level is not None:
        for year in range(max(start.year, 2020), 2025):
            events.append({"type": "evaluated", "date": datetime.date(year + 1, 4, 1), "level": level, "year": year,
                           "grade": rng.choice(GRADES)})
    if rng.random() < 0.05:
        events.append({"type": "delisted", "date": datetime.date(2024, 9, 1)})
    c = Carrier.from_dict({"id": cid, "name": cid, "kind": rng.choice(KINDS), "area": rng.choice(AREAS), "events": events})
    snaps = []
    area = rng.randrange(300, 20000)
    for year in range(max(start.year, 2021), 2025):
        area = int(area * rng.uniform(1.0, 1.2))
        teams = area // rng.randrange(40, 200)
        snaps.append(Snapshot(cid, datetime.date(year, 12, 31), {
            "floor_area_m2": area, "incubatee_floor_area_m2": area * 3 // 4, "enterprises_and_teams": teams,
            "technology_enterprises": teams // 3, "full_time_staff": max(1, teams // 8), "mentors": max(1, teams // 7),
            "graduated_firms": teams // 4, "financed_incubatees": teams // 9, "new_firms_registered": teams // 3,
            "events_held": rng.randrange(4, 40), "incubation_cases": rng.randrange(0, 6),
        }))
    tags = [Designation(cid, "featured", datetime.date(2024, 1, 1))] if rng.random() < 0.03 else []
    return c, snaps, tags


def main(sizes: list[int]) -> None:
    targets, rules, criteria = load_targets("wanzhou-2023-targets"), load_management(), load_criteria()
    as_of = datetime.date(2024, 12, 31)
    print(f"{'carriers':>9} {'build s':>8} {'assess s':>9} {'manage s':>9} {'readiness s':>12} {'carriers/s (all)':>17} {'peak RSS MiB':>13}")
    for n in sizes:
        rng = random.Random(20241231)
        t0 = time.perf_counter()
        parts = [carrier(rng, i) for i in range(n)]
        portfolio = Portfolio("bench", "bench", carriers=tuple(c for c, _, _ in parts),
                              snapshots=tuple(s for _, ss, _ in parts for s in ss),
                              designations=tuple(d for _, _, ds in parts for d in ds))
        t1 = time.perf_counter()
        assess(portfolio, targets, as_of)
        t2 = time.perf_counter()
        for c in portfolio.carriers:
            manage(c, as_of, rules)
        t3 = time.perf_counter()
        for c in portfolio.carriers:
            readiness(portfolio, c.id, as_of, criteria)
        t4 = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
        rate = n / (t4 - t1)
        print(f"{n:>9,} {t1 - t0:>8.2f} {t2 - t1:>9.2f} {t3 - t2:>9.2f} {t4 - t3:>12.2f} {rate:>17,.0f} {peak:>13.1f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000])
