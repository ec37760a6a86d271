"""Totals without audit detail: what budgets and comparisons add up is exactly what the full evaluation pays.

``evaluate_totals`` runs the same deciders as ``evaluate`` but builds no
explanation, citation, condition or digest and leaves refusals out. Every
awarded and pending decision it gives must be the full evaluation's, field
for field that a budget reads, in the same order, under any reading and any
as-of date, on every shipped ruleset, on both engines.
"""

from __future__ import annotations

import datetime

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import incubator_rules as ir
import strategies
from conftest import ENGINES
from incubator_rules.tools.synthetic import generate_portfolio
from test_engines_agree import crowded_histories
from test_generic_kinds import XIAN, fact_histories

# Every shipped ruleset, and one with caps (a cap cuts and refuses awards: the lean path must cut alike).
CAPPED = ir.parse_ruleset(
    XIAN + "\ncaps:\n  operating-cap:\n    rules: [operating-subsidy, first-award]\n    per: year\n"
    "    max: 350000\n    clause: xa-operating\n"
    "  all-cap:\n    rules: [operating-subsidy, first-award, national-top-up]\n    per: carrier\n"
    "    max: 1200000\n    clause: xa-operating\n"
)
RULESETS = [ir.load_ruleset(p) for p in ir.shipped_rulesets()] + [CAPPED]

# What a budget or comparison reads of a decision, and the rest of what identifies it.
PAID_FIELDS = ("rule", "status", "reason", "amount", "payable_on", "events", "level", "kind",
               "full_amount", "already_received", "amount_in_force_from")


def paid(decisions: tuple[ir.Decision, ...]) -> list[tuple[object, ...]]:
    return [tuple(getattr(d, f) for f in PAID_FIELDS) for d in decisions]


def assert_totals_match(carrier: ir.Carrier, ruleset: ir.Ruleset, as_of: datetime.date, readings: dict[str, str],
                        engine: str = "native") -> ir.Evaluation:
    full = ir.evaluate(carrier, ruleset, as_of, readings, engine=engine)
    lean = ir.evaluate_totals(carrier, ruleset, as_of, readings, engine=engine)
    assert paid(lean.awards) == paid(full.awards)
    assert paid(lean.pending) == paid(full.pending)
    assert (lean.total, lean.pending_total, lean.totals_by_rule) == (full.total, full.pending_total, full.totals_by_rule)
    assert (lean.carrier_id, lean.as_of, lean.ruleset_sha256, dict(lean.readings), lean.engine) == (
        full.carrier_id, full.as_of, full.ruleset_sha256, full.readings, full.engine)
    for d in lean.awards + lean.pending:  # and nothing of the audit detail was built
        assert (d.explanation_zh, d.explanation_en, d.citations, d.condition) == ("", "", (), None)
    return full


@st.composite
def rulesets_and_readings(draw: st.DrawFn, only: ir.Ruleset | None = None) -> tuple[ir.Ruleset, dict[str, str]]:
    """A ruleset (``only``, or any) and, for each of its readings, its default or one of its alternatives."""
    ruleset = only or draw(st.sampled_from(RULESETS + RULESETS[:1]))  # the default ruleset twice: its kinds are the richest
    readings = {name: draw(st.sampled_from(sorted(r.alternatives))) for name, r in ruleset.readings.items()
                if draw(st.booleans())}
    return ruleset, readings


# Synthetic carriers that Wanzhou pays, or pays less than in full (upgrades): random histories rarely climb that far.
PAYING = [c for c in generate_portfolio(2000, "totals")
          if any(d.already_received or d.full_amount != d.amount for d in ir.evaluate(c, RULESETS[0], "2026-12-31").awards)]
# Generated histories of every shape, and the synthetic district's.
HISTORIES = st.one_of(strategies.carriers(), crowded_histories(), fact_histories(), st.sampled_from(PAYING))
AS_OF = st.one_of(st.dates(datetime.date(2016, 1, 1), datetime.date(2030, 12, 31)),
                  st.sampled_from([datetime.date(y, m, d) for y in range(2018, 2029) for m, d in ((6, 30), (12, 31))]))


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(carrier=HISTORIES, chosen=rulesets_and_readings(), as_of=AS_OF)
def test_totals_pay_exactly_what_the_full_evaluation_pays(carrier, chosen, as_of):
    ruleset, readings = chosen
    assert_totals_match(carrier, ruleset, as_of, readings)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(carrier=st.sampled_from(PAYING), chosen=rulesets_and_readings(only=RULESETS[0]),
       as_of=st.dates(datetime.date(2023, 6, 1), datetime.date(2030, 12, 31)))
def test_totals_of_upgrades_and_differentials_are_the_full_evaluations(carrier, chosen, as_of):
    ruleset, readings = chosen
    assert_totals_match(carrier, ruleset, as_of, readings)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(carrier=HISTORIES, chosen=rulesets_and_readings(), as_of=AS_OF)
def test_totals_on_the_durable_engine_pay_what_its_full_evaluation_pays(carrier, chosen, as_of):
    pytest.importorskip("durable.engine")
    ruleset, readings = chosen
    assert_totals_match(carrier, ruleset, as_of, readings, engine="durable")


def test_a_capped_award_is_cut_alike_and_a_capped_refusal_left_out():
    c = ir.Carrier.from_dict({"id": "c", "name": "c", "kind": "maker_space", "events": [
        {"id": "a", "date": "2016-05-01", "type": "accredited", "level": "municipal"},
        {"id": "b", "date": "2017-03-01", "type": "evaluated", "level": "municipal", "year": 2016, "grade": "excellent"},
        {"id": "d", "date": "2018-03-01", "type": "evaluated", "level": "municipal", "year": 2017, "grade": "excellent"},
        {"id": "e", "date": "2018-06-01", "type": "evaluated", "level": "municipal", "year": 2017, "grade": "excellent"},
        {"id": "h", "date": "2018-09-01", "type": "evaluated", "level": "municipal", "year": 2017, "grade": "good"},
        {"id": "f", "date": "2019-03-01", "type": "evaluated", "level": "municipal", "year": 2018, "grade": "excellent"},
        {"id": "g", "date": "2019-04-01", "type": "filed", "level": "national"},
    ]})
    full = assert_totals_match(c, CAPPED, datetime.date(2020, 12, 31), {})
    assert any(d.full_amount is not None and d.full_amount > d.amount for d in full.awards)
    assert any(d.reason == "capped" for d in full.not_awarded)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_q6_example_in_totals(engine):
    c = ir.load_carrier("examples/q6-maker-space.yaml")
    lean = ir.evaluate_totals(c, as_of="2026-06-30", engine=engine)
    assert [(d.rule, d.amount) for d in lean.awards] == [("accreditation-subsidy", 200_000), ("upgrade-differential", 300_000)]
    assert lean.engine == engine


def test_totals_refuse_what_evaluate_refuses():
    c = ir.load_carrier("examples/q6-maker-space.yaml")
    with pytest.raises(ir.IncubatorRulesError, match="expected a Carrier"):
        ir.evaluate_totals(c.to_dict())  # type: ignore[arg-type]
    with pytest.raises(ir.IncubatorRulesError, match="unknown engine"):
        ir.evaluate_totals(c, engine="rete")
    with pytest.raises(ir.IncubatorRulesError):
        ir.evaluate_totals(c, readings={"no-such-reading": "x"})


# --- budgets and comparisons, which run on totals, against the full evaluations added up ---------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(carriers=st.lists(HISTORIES, min_size=1, max_size=6), chosen=rulesets_and_readings(), as_of=AS_OF)
def test_a_budget_adds_up_the_full_evaluations(carriers, chosen, as_of):
    ruleset, readings = chosen
    carriers = [attrs.evolve(c, id=f"c{i}") for i, c in enumerate(carriers)]
    full = [ir.evaluate(c, ruleset, as_of, readings) for c in carriers]
    expected = ir.Budget.of(full, {c.id: c.area for c in carriers})
    got = ir.budget(carriers, ir.Scenario("base", readings=readings), ruleset=ruleset, as_of=as_of, progress=False)
    assert got.lines == expected.lines
    comparison = ir.compare(carriers, ir.Scenario("base", readings=readings), ruleset=ruleset, as_of=as_of, progress=False)
    assert [(r.carrier_id, r.awarded[0], r.pending[0]) for r in comparison.carriers] == [
        (ev.carrier_id, ev.total, ev.pending_total) for ev in full]
