"""The ruleset language beyond Wanzhou: declared levels, facts, optional readings and explanations, generic kinds."""

from __future__ import annotations

from pathlib import Path

import pytest

import incubator_rules as ir
from incubator_rules.errors import CarrierError, RulesetError

ROOT = Path(__file__).resolve().parent.parent
XIAN = (ROOT / "rulesets" / "xian-municipal-maker-space.yaml").read_text(encoding="utf-8")


def carrier(kind: str, *events: dict, facts: dict | None = None) -> ir.Carrier:
    data = {"id": "c", "name": "c", "kind": kind, "events": list(events)}
    if facts:
        data["facts"] = facts
    return ir.Carrier.from_dict(data)


@pytest.mark.parametrize("engine", ["native", "durable"])
def test_a_provincial_accreditation_is_named_provincial_and_paid_in_full_at_each_level(engine):
    ev = ir.evaluate(carrier("incubator", {"date": "2020-05-10", "type": "accredited", "level": "municipal"},
                             {"date": "2021-12-01", "type": "accredited", "level": "provincial"}),
                     "wuhan-jiangan-2020", "2022-01-01", engine=engine)
    assert [(d.level, d.amount) for d in ev.awards] == [(ir.Level.MUNICIPAL, 300000), (ir.Level.PROVINCIAL, 500000)]
    assert "provincial (Hubei)" in ev.awards[1].explanation_en and "省级" in ev.awards[1].explanation_zh


def test_an_unknown_fact_in_a_filter_says_did_you_mean():
    text = XIAN.replace("on: {type: filed, level: national}", "on: {type: payment_received, fields: {payr: city}}")
    with pytest.raises(RulesetError, match=r"unknown fact 'payr'.*did you mean 'payer'"):
        ir.parse_ruleset(text)


def test_an_unknown_carrier_fact_says_did_you_mean():
    with pytest.raises(CarrierError, match="did you mean 'accredited_area_m2'"):
        carrier("maker_space", facts={"accredited_area": 100})


def test_a_reading_bound_parameter_switches_the_amount():
    c = carrier("maker_space", {"date": "2016-05-01", "type": "accredited", "level": "municipal"},
                {"date": "2018-03-01", "type": "evaluated", "level": "municipal", "year": 2017, "grade": "good"})
    rs = ir.load_ruleset("xian-municipal-maker-space")
    paid = lambda readings: [d.amount for d in ir.evaluate(c, rs, "2018-12-31", readings).awards if d.rule == "operating-subsidy"]
    assert paid(None) == [200000]
    assert paid({"operating_grades": "range_ends"}) == [100000]


def test_a_rule_without_explanations_gets_a_default_one_in_both_languages():
    ev = ir.evaluate(carrier("maker_space", {"date": "2016-05-01", "type": "accredited", "level": "municipal"}),
                     "xian-municipal-maker-space", "2016-12-31")
    (award,) = ev.awards
    assert award.explanation_zh.startswith("认定首次资助") and "300,000元" in award.explanation_zh
    assert award.explanation_en.startswith("first award on municipal accreditation") and "300,000 yuan" in award.explanation_en


def test_a_clawback_is_a_negative_award_citing_its_clause():
    c = carrier("maker_space", {"date": "2016-05-01", "type": "accredited", "level": "municipal"},
                {"date": "2019-03-01", "type": "evaluated", "level": "municipal", "year": 2018, "grade": "fail"},
                {"date": "2020-03-01", "type": "evaluated", "level": "municipal", "year": 2019, "grade": "fail"})
    ev = ir.evaluate(c, "xian-municipal-maker-space", "2020-12-31")
    recovered = [d for d in ev.awards if d.rule == "clawback"]
    assert [(d.amount, d.citations[0].clause) for d in recovered] == [(-300000, "xa-clawback")]
    assert ev.total == 0


def test_one_failing_year_between_passes_recovers_nothing():
    c = carrier("maker_space", {"date": "2016-05-01", "type": "accredited", "level": "municipal"},
                {"date": "2018-03-01", "type": "evaluated", "level": "municipal", "year": 2017, "grade": "fail"},
                {"date": "2019-03-01", "type": "evaluated", "level": "municipal", "year": 2018, "grade": "pass"},
                {"date": "2020-03-01", "type": "evaluated", "level": "municipal", "year": 2019, "grade": "fail"})
    ev = ir.evaluate(c, "xian-municipal-maker-space", "2020-12-31")
    assert not [d for d in ev.awards if d.rule == "clawback"]


def test_a_zero_day_wait_is_allowed_and_pays_on_the_accreditation_date():
    text = (ROOT / "rulesets" / "wanzhou-2023.yaml").read_text(encoding="utf-8").replace("duration: {years: 1}", "duration: {days: 0}")
    rs = ir.parse_ruleset(text)
    ev = ir.evaluate(carrier("incubator", {"date": "2023-04-01", "type": "accredited", "level": "national"}), rs, "2023-04-01")
    assert [(d.amount, str(d.payable_on)) for d in ev.awards] == [(1000000, "2023-04-01")]


def test_a_level_outside_the_declared_levels_is_refused_by_check():
    text = XIAN.replace("  municipal: {zh: 市级", "  district: {zh: 区级, en: district}\n  municipal: {zh: 市级")
    ir.parse_ruleset(text)  # a declared level is fine
    bad = XIAN.replace("  municipal: {zh: 市级, en: \"municipal (Xi'an)\"}\n", "").replace(
        "  national: {zh: 国家级, en: national (filing with MOST)}\n",
        "  national: {zh: 国家级, en: national (filing with MOST)}\n  municipal: {zh: 市级, en: municipal}\n")
    with pytest.raises(RulesetError, match="lowest first"):
        ir.parse_ruleset(bad)
