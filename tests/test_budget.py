"""Budgets add up: every line is an award or a pending award of some evaluation, and nothing else."""

import datetime
from concurrent.futures import ProcessPoolExecutor

import pytest

import incubator_rules as ir
from incubator_rules.whatif.budget import FIELDS, carriers_areas
from incubator_rules.tools.synthetic import generate_portfolio

AS_OF = datetime.date(2025, 9, 30)
DISTRICT = generate_portfolio(500, seed=17)
EVALUATIONS = ir.evaluate_many(DISTRICT, as_of=AS_OF)
BUDGET = ir.Budget.of(EVALUATIONS, carriers_areas(DISTRICT))


def test_a_budget_adds_up_to_the_sum_of_the_evaluations():
    assert BUDGET.awarded == sum(e.total for e in EVALUATIONS)
    assert BUDGET.pending == sum(e.pending_total for e in EVALUATIONS)
    assert BUDGET.total == BUDGET.awarded + BUDGET.pending > 0
    assert sum(line.decisions for line in BUDGET.lines) == sum(len(e.awards) + len(e.pending) for e in EVALUATIONS)


@pytest.mark.parametrize("field", FIELDS)
def test_every_grouping_adds_up_to_the_total(field):
    assert sum(BUDGET.by(field).values()) == BUDGET.total


def test_amounts_per_rule_and_year_match_the_decisions():
    by_rule: dict[str, int] = {}
    by_year: dict[int, int] = {}
    for ev in EVALUATIONS:
        for d in ev.awards + ev.pending:
            by_rule[d.rule] = by_rule.get(d.rule, 0) + d.amount
            by_year[d.payable_on.year] = by_year.get(d.payable_on.year, 0) + d.amount
    assert BUDGET.by("rule") == dict(sorted(by_rule.items()))
    assert BUDGET.by_year() == dict(sorted(by_year.items()))
    awarded_by_area: dict[str, int] = {}
    for c, ev in zip(DISTRICT, EVALUATIONS):
        awarded_by_area[c.area] = awarded_by_area.get(c.area, 0) + ev.total
    assert BUDGET.by("area", status="awarded") == {a: v for a, v in sorted(awarded_by_area.items()) if v}


def test_pending_amounts_fall_after_the_as_of_date():
    assert {line.status for line in BUDGET.lines} == {"awarded", "pending"}
    assert all(line.year >= AS_OF.year for line in BUDGET.lines if line.status == "pending")
    assert all(line.year <= AS_OF.year for line in BUDGET.lines if line.status == "awarded")


def test_budget_of_a_portfolio_equals_the_budget_of_its_evaluations():
    assert ir.budget(DISTRICT, as_of=AS_OF) == BUDGET
    with ProcessPoolExecutor(2) as pool:
        assert ir.budget(DISTRICT, as_of=AS_OF, executor=pool) == BUDGET
    assert ir.budget(DISTRICT, as_of=AS_OF, workers=2) == BUDGET


def test_a_budget_adds_up_one_ruleset_as_of_one_date():
    other = ir.evaluate(DISTRICT[0], as_of="2026-01-01")
    with pytest.raises(ir.IncubatorRulesError, match="one ruleset as of one date"):
        ir.Budget.of([EVALUATIONS[0], other])
    with pytest.raises(ir.IncubatorRulesError, match="no evaluations"):
        ir.Budget.of([])
    with pytest.raises(ir.IncubatorRulesError, match="cannot group by 'colour'"):
        BUDGET.by("colour")
