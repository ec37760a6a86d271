"""Stress the durable engine: every shipped ruleset, thousands of random histories, one process.

Run as a child process by tests/test_durable_stress.py, also under valgrind:
a crash in durable-rules' C code shows as a non-zero exit or a signal. Each
evaluation is also compared with the native engine's (a difference exits with
status 1), and resident memory must stay flat (else status 3).

    python tools/durable_stress.py --carriers 3000 --seed 1
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import attrs  # noqa: E402

from incubator_rules import Carrier, evaluate, load_ruleset, shipped_rulesets  # noqa: E402
from incubator_rules.model.carrier import CarrierKind, EventType, Grade, Level  # noqa: E402

DAY = datetime.timedelta(days=1)
LEAP_DAYS = [datetime.date(2020, 2, 29), datetime.date(2024, 2, 29), datetime.date(2028, 2, 29)]
PAID = [CarrierKind.MAKER_SPACE, CarrierKind.STAR_INNOVATION_SPACE, CarrierKind.INCUBATOR]


def _date(rng: random.Random, lo: datetime.date, hi: datetime.date, pool: list[datetime.date]) -> datetime.date:
    """A date in [lo, hi]; often one already used (same-day events) or a leap day."""
    pick = rng.random()
    near = [d for d in pool if lo <= d <= hi]
    if pick < 0.25 and near:
        return rng.choice(near)
    leap = [d for d in LEAP_DAYS if lo <= d <= hi]
    if pick < 0.32 and leap:
        return rng.choice(leap)
    day = lo + rng.randrange((hi - lo).days + 1) * DAY
    pool.append(day)
    return day


def random_history(rng: random.Random, cid: str = "c1") -> dict[str, Any]:
    """A valid carrier as plain data, drawing on every event type."""
    kind = rng.choice(PAID * 3 + list(CarrierKind))
    lo, hi = datetime.date(2019, 1, 1), datetime.date(2029, 12, 31)
    pool: list[datetime.date] = []
    start = _date(rng, lo, datetime.date(2026, 6, 30), pool)
    events: list[dict[str, Any]] = []

    def add(etype: EventType, day: datetime.date, **fields: Any) -> None:
        events.append({"type": etype.value, "date": day.isoformat(), **fields})

    if rng.random() < 0.7:
        add(EventType.OPERATION_STARTED, start)
    for _ in range(rng.randrange(5)):  # accreditations and filings, up and down the ladder
        etype = rng.choice([EventType.ACCREDITED, EventType.FILED])
        fields: dict[str, Any] = {"level": rng.choice(list(Level)).value}
        if rng.random() < 0.3:
            fields["kind"] = rng.choice(PAID + [CarrierKind.UNIVERSITY_SCIENCE_PARK]).value
        add(etype, _date(rng, start, hi, pool), **fields)
    for stop, end in ((EventType.SUSPENDED, EventType.RESUMED),
                      (EventType.RECTIFICATION_ORDERED, EventType.RECTIFICATION_COMPLETED)):
        cursor = start - DAY
        for _ in range(rng.randrange(3)):
            begin = cursor + rng.randrange(1, 500) * DAY  # after the previous episode ended
            add(stop, begin)
            if rng.random() < 0.2:
                break  # never ends
            cursor = begin + rng.randrange(0, 300) * DAY
            add(end, cursor)
    for _ in range(rng.choice([0, 0, 0, 1, 2])):
        add(EventType.DELISTED, _date(rng, start, hi, pool))
    for _ in range(rng.randrange(4)):
        year = rng.randrange(2021, 2028)
        add(EventType.EVALUATED, datetime.date(year + 1, 1, 1) + rng.randrange(0, 240) * DAY, year=year,
            level=rng.choice(list(Level)).value, grade=rng.choice(list(Grade)).value)
    for _ in range(rng.choice([0, 0, 1, 2])):
        fields = {"level": rng.choice(list(Level)).value, "amount": rng.choice([0, 30000, 100000, 200000, 500000, 1000000])}
        if rng.random() < 0.3:
            fields["kind"] = rng.choice(PAID).value
        add(EventType.PAYMENT_RECEIVED, _date(rng, lo, hi, pool), **fields)
    rng.shuffle(events)  # input order must not matter
    for i, e in enumerate(events):
        if rng.random() < 0.8:
            e["id"] = f"ev{i}"
    return {"id": cid, "name": f"random carrier {cid}", "kind": kind.value, "events": events}


MAX_GROWTH_KIB = 32 * 1024
EMPTY = {"id": "empty", "name": "carrier with no events", "kind": "maker_space", "events": []}


def random_readings(rng: random.Random, ruleset: Any) -> dict[str, str]:
    """One alternative for every reading of a ruleset."""
    return {name: rng.choice(sorted(r.alternatives)) for name, r in ruleset.readings.items()}


def _rss_kib() -> int:
    """Resident memory of this process (Linux), 0 where /proc is missing."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except (OSError, ValueError):
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--carriers", type=int, default=3000, help="histories per ruleset")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-compare", action="store_true", help="skip the native engine (faster under valgrind)")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    total = 0
    for path in shipped_rulesets():
        ruleset = load_ruleset(path)
        for i in range(args.carriers):
            # Each ruleset's first session matches nothing: durable-rules crashed
            # deleting such a session in a fresh host (see docs/engines.md).
            history = EMPTY if i == 0 else random_history(rng, f"c{i}")
            carrier = Carrier.from_dict(history)
            as_of = datetime.date(2022, 1, 1) + rng.randrange(8 * 366) * DAY
            readings = random_readings(rng, ruleset)
            durable = evaluate(carrier, ruleset, as_of, readings, engine="durable")
            if not args.no_compare:
                native = evaluate(carrier, ruleset, as_of, readings)
                if attrs.evolve(durable, engine="native") != native:
                    print(f"engines disagree on {ruleset.id}, carrier:\n{carrier.to_json()}\nas of {as_of}, "
                          f"readings {readings}\nnative:\n{native.to_json()}\ndurable:\n{durable.to_json()}")
                    return 1
            total += 1
            if total == 1000:
                rss_at_1000 = _rss_kib()
    if total >= 1000:
        rss = _rss_kib()
        print(f"resident memory: {rss_at_1000:,} KiB after 1,000 evaluations, {rss:,} KiB after {total:,}")
        if rss - rss_at_1000 > MAX_GROWTH_KIB:  # a session left behind per carrier costs tens of KiB
            print(f"memory grew by {rss - rss_at_1000:,} KiB: is durable-rules keeping sessions?")
            return 3
    print(f"{total} evaluations on the durable engine, {len(shipped_rulesets())} ruleset(s): ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
