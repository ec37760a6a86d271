"""The shipped example carriers give the figures their comments promise."""

import datetime

import pytest

from incubator_rules import evaluate, load_carrier

AS_OF = datetime.date(2026, 11, 29)


@pytest.mark.parametrize("path, awards, pending", [
    ("examples/q6-maker-space.yaml", [200_000, 300_000], []),
    ("examples/incubator-ladder.yaml", [200_000, 300_000, 500_000], []),
    ("examples/delisted-maker-space.yaml", [], []),
    ("examples/excellent-incubator.yaml", [200_000, 200_000], []),
    # 200,000 municipal less the 100,000 district payment of 2021, payable a year after rectification ended
    ("examples/star-space-rectified.json", [50_000, 100_000], []),
])
def test_example(path, awards, pending, engine):
    ev = evaluate(load_carrier(path), as_of=AS_OF, engine=engine)
    assert [d.amount for d in ev.awards] == awards
    assert [d.amount for d in ev.pending] == pending


def test_delisted_example_says_why(engine):
    ev = evaluate(load_carrier("examples/delisted-maker-space.yaml"), as_of=AS_OF, engine=engine)
    assert [d.reason for d in ev.not_awarded] == ["delisted_before_year"]
    assert ev.not_awarded[0].condition.counted_from == datetime.date(2024, 2, 1)  # restarted on resumption
    assert ev.not_awarded[0].events == ("filing", "pause", "reopen", "delisting")


def test_rectified_star_space_differential_dates(engine):
    ev = evaluate(load_carrier("examples/star-space-rectified.json"), as_of=AS_OF, engine=engine)
    diff = ev.awards[1]
    assert (diff.rule, diff.payable_on, diff.already_received) == ("upgrade-differential", datetime.date(2024, 9, 15), 100_000)
