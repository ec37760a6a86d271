"""The Q6 worked example, end to end through the public API."""

import datetime

import incubator_rules as ir


def test_q6_example_file():
    carrier = ir.load_carrier("examples/q6-maker-space.yaml")
    ev = ir.evaluate(carrier, as_of=datetime.date(2026, 6, 30))
    assert [(d.rule, d.amount) for d in ev.awards] == [
        ("accreditation-subsidy", 200_000),
        ("upgrade-differential", 300_000),
    ]
