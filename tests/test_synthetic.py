"""Synthetic districts: seeded, valid and shaped like a real district."""

import collections

import incubator_rules as ir
from incubator_rules.tools.synthetic import (
    WANZHOU_AREAS,
    generate_carrier,
    generate_portfolio,
    iter_portfolio,
)

DISTRICT = generate_portfolio(2000, seed=42)


def test_same_seed_same_district():
    assert generate_portfolio(50, seed=7) == generate_portfolio(50, seed=7)
    assert generate_portfolio(50, seed=7) != generate_portfolio(50, seed=8)


def test_a_carrier_does_not_depend_on_the_size_of_the_district():
    assert generate_portfolio(10, seed=3)[9] == list(iter_portfolio(500, seed=3))[9] == generate_carrier(3, 9)


def test_every_generated_carrier_is_a_valid_carrier_file():
    for carrier in DISTRICT:
        assert ir.Carrier.from_dict(carrier.to_dict()) == carrier


def test_about_one_evaluation_in_five_is_excellent():
    grades = collections.Counter(e.grade for c in DISTRICT for e in c.events if e.grade is not None)
    share = grades[ir.Grade.EXCELLENT] / sum(grades.values())
    assert 0.17 < share < 0.23


def test_the_district_has_every_kind_of_history():
    types = collections.Counter(e.type for c in DISTRICT for e in c.events)
    for etype in ir.EventType:
        assert types[etype] > 0, etype
    assert {c.kind for c in DISTRICT} == set(ir.CarrierKind)
    assert {c.area for c in DISTRICT} == set(WANZHOU_AREAS)
    levels = collections.Counter(e.level for c in DISTRICT for e in c.events if e.type.is_accreditation)
    assert set(levels) == set(ir.Level)
    climbed = [c for c in DISTRICT if len({e.level for e in c.events if e.type.is_accreditation}) > 1]
    assert len(climbed) > len(DISTRICT) // 20


def test_about_ten_events_per_carrier():
    assert 8 <= sum(len(c.events) for c in DISTRICT) / len(DISTRICT) <= 12
