"""Properties of assess() over generated portfolios."""

from hypothesis import given, settings
from hypothesis import strategies as st

from incubator_rules.district.assessment import assess
from incubator_rules.files.targets import load_targets

from portfolio_strategies import dates, members, portfolios

RULESETS = {name: load_targets(name) for name in ("wanzhou-2023-targets", "jiangbei-2022-targets")}


@st.composite
def readings(draw, name):
    return {
        r: draw(st.sampled_from(sorted(reading.alternatives)))
        for r, reading in RULESETS[name].header.readings.items()
    }


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_adding_a_carrier_never_lowers_any_attainment(data):
    name = data.draw(st.sampled_from(sorted(RULESETS)))
    ruleset = RULESETS[name]
    portfolio = data.draw(portfolios())
    carrier, snapshots, designations = data.draw(members("extra"))
    as_of = data.draw(dates)
    chosen = data.draw(readings(name))
    before = assess(portfolio, ruleset, as_of, chosen)
    after = assess(portfolio.with_carrier(carrier, snapshots, designations), ruleset, as_of, chosen)
    for b, a in zip(before.results, after.results):
        assert b.target.id == a.target.id
        if b.attainment is None:
            assert a.attainment is None
        else:
            assert a.attainment >= b.attainment, b.target.id
            assert a.gap <= b.gap, b.target.id


@settings(max_examples=50, deadline=None)
@given(portfolios(), dates)
def test_attainment_is_actual_over_required_and_met_is_judged_on_the_due_date(portfolio, as_of):
    for r in assess(portfolio, RULESETS["jiangbei-2022-targets"], as_of).results:
        if r.attainment is None:
            continue
        # a milestone is judged on its due date once that date has passed: gap, attainment and status alike
        judged = r.actual if r.at_due is None else r.at_due
        assert r.attainment * r.target.required == judged
        assert (r.gap == 0) == (r.attainment >= 1)
        assert (r.status == "met") == (judged >= r.target.required)
        if r.at_due is not None:
            assert (r.gap == 0) == (r.status == "met")
        assert (r.at_due is None) == (as_of <= r.target.milestone.due)
