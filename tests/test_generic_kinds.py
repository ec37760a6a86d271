"""The ruleset language beyond Wanzhou: declared levels, facts, optional readings and explanations, generic kinds."""

from __future__ import annotations

import datetime
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
    text = XIAN.replace("match: {type: filed, level: national}", "match: {type: payment_received, fields: {payr: city}}")
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


# --- both engines agree on the generic kinds, over histories with fact events -----------------------

from dateutil.relativedelta import relativedelta  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_DAYS = st.dates(min_value=datetime.date(2016, 1, 1), max_value=datetime.date(2024, 12, 31))
_LEVELS = st.sampled_from(["district", "municipal", "provincial", "national"])


@st.composite
def fact_histories(draw: st.DrawFn) -> ir.Carrier:
    kind = draw(st.sampled_from(["incubator", "maker_space", "star_innovation_space"]))
    events: list[dict] = []
    for _ in range(draw(st.integers(0, 3))):
        events.append({"date": draw(_DAYS), "type": draw(st.sampled_from(["accredited", "filed"])), "level": draw(_LEVELS)})
    for year in draw(st.lists(st.integers(2016, 2023), max_size=4, unique=True)):
        events.append({"date": f"{year + 1}-03-01", "type": "evaluated", "level": draw(_LEVELS), "year": year,
                       "grade": draw(st.sampled_from(["excellent", "good", "pass", "fail"]))})
    for i in range(draw(st.integers(0, 3))):
        start = draw(_DAYS)
        events.append({"date": start, "type": "tenancy", "firm": f"T{i}", "from": start,
                       "to": start + relativedelta(years=draw(st.integers(1, 3))), "area_m2": draw(st.integers(1, 900)),
                       "tech_firm": draw(st.booleans()), "strategic_emerging": draw(st.booleans()),
                       "paid_in_capital_yuan": draw(st.sampled_from([1000000, 3000000, 5000000]))})
    for i in range(draw(st.integers(0, 3))):
        events.append({"date": draw(_DAYS), "type": "firm_introduced", "firm": f"F{i}",
                       "annual_sales_yuan": draw(st.sampled_from([1, 20000000, 50000000, 120000000]))})
    for _ in range(draw(st.integers(0, 2))):
        day = draw(_DAYS)
        events.append({"date": day, "type": "spending", "year": day.year, "category": "events",
                       "amount": draw(st.integers(0, 900000)), "recognised": draw(st.booleans())})
    if draw(st.booleans()):
        events.append({"date": draw(_DAYS), "type": "designated", "designation": "central_maker_space"})
        events.append({"date": draw(_DAYS), "type": "investment", "category": "hardware", "amount": draw(st.integers(0, 2000000))})
    facts = {"accredited_area_m2": draw(st.integers(1, 1500)), "rent_per_m2_month": draw(st.integers(1, 120)),
             "completed_on": draw(_DAYS)} if draw(st.booleans()) else None
    if facts is not None and draw(st.booleans()):  # a dated area and rent, as a carrier that grows records them
        starts = sorted(draw(st.lists(_DAYS, min_size=1, max_size=3, unique=True)))
        facts["accredited_area_m2"] = [{"from": str(d), "value": draw(st.integers(1, 1500))} for d in starts]
        facts["rent_per_m2_month"] = [{"from": str(starts[0]), "value": draw(st.integers(1, 120))}]
    for e in events:
        for key in ("date", "from", "to"):
            if key in e:
                e[key] = str(e[key])
    return carrier(kind, *events, facts=facts)


GENERIC = [ir.load_ruleset(i) for i in ("wuhan-wuchang-2020", "wuhan-jiangan-2020", "xian-municipal-maker-space")]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fact_histories(), st.sampled_from(GENERIC), st.sampled_from(["2020-06-30", "2023-12-31", "2026-12-31"]))
def test_both_engines_agree_on_the_generic_kinds(c, rs, as_of):
    pytest.importorskip("durable.engine")
    native = ir.evaluate(c, rs, as_of, engine="native")
    durable = ir.evaluate(c, rs, as_of, engine="durable")
    assert durable.to_json().replace('"durable"', '"native"') == native.to_json()


@settings(max_examples=40, deadline=None)
@given(fact_histories())
def test_a_period_subsidy_never_exceeds_its_cap_and_events_order_does_not_matter(c):
    rs = GENERIC[0]
    ev = ir.evaluate(c, rs, "2026-12-31")
    assert all(d.amount <= 200000 for d in ev.awards if d.rule == "maker-space-activities")
    assert all(d.amount <= 1000000 for d in ev.awards if d.rule == "maker-space-construction")
    shuffled = ir.Carrier.from_dict({**c.to_dict(), "events": list(reversed(c.to_dict()["events"]))})
    assert ir.evaluate(shuffled, rs, "2026-12-31").to_json() == ev.to_json()


@pytest.mark.parametrize("engine", ["native", "durable"])
@pytest.mark.parametrize("per", ["carrier", "year"])
def test_a_cap_on_a_group_of_rules_cuts_the_amount_that_passes_it_and_cites_it(engine, per):
    text = XIAN + f"\ncaps:\n  operating-cap:\n    rules: [operating-subsidy]\n    per: {per}\n    max: 250000\n    clause: xa-operating\n"
    rs = ir.parse_ruleset(text)
    c = carrier("maker_space", {"date": "2016-05-01", "type": "accredited", "level": "municipal"},
                {"date": "2018-03-01", "type": "evaluated", "level": "municipal", "year": 2017, "grade": "excellent"},
                {"date": "2019-03-01", "type": "evaluated", "level": "municipal", "year": 2018, "grade": "excellent"},
                {"date": "2020-03-01", "type": "evaluated", "level": "municipal", "year": 2019, "grade": "pass"})
    ev = ir.evaluate(c, rs, "2020-12-31", engine=engine)
    operating = [d for d in ev.awards if d.rule == "operating-subsidy"]
    if per == "carrier":
        assert [d.amount for d in operating] == [250000]
        assert [d.reason for d in ev.not_awarded if d.rule == "operating-subsidy"][-2:] == ["capped", "capped"]
    else:
        assert [d.amount for d in operating] == [250000, 250000, 100000]
    assert "capped by operating-cap" in operating[0].explanation_en and operating[0].full_amount == 300000


GENERIC_RULESET = """
id: test-generic
version: "0.1.0"
title: {zh: 测试, en: test}
jurisdiction: {zh: 某区, en: a district}
documents: {d: {title_zh: 文件, title_en: document}}
plan_period: {start: 2020-01-01, end: 2030-12-31}
clauses: {c: {document: d, section: "1", text: "正常运行1年以上的,给予10万元。"}}
columns: {all: [incubator, maker_space]}
tables: {}
rules:
  - id: normal
    kind: operating_duration
    title: {zh: 正常运行, en: normal operation}
    clauses: [c]
    duration: {years: 1}
  - id: award
    kind: event_award
    title: {zh: 认定奖励, en: award on accreditation}
    clauses: [c]
    match: {type: accredited}
    amount: 100000
    condition: normal
  - id: second-excellent
    kind: event_award
    title: {zh: 第二次优秀, en: second excellent grade}
    clauses: [c]
    match: {type: evaluated, grade: excellent}
    occurrence: 2
    holding: {type: accredited}
    amount: 50000
"""


@pytest.mark.parametrize("engine", ["native", "durable"])
def test_an_award_waits_for_normal_operation_and_counts_the_nth_occurrence_of_a_title_holder(engine):
    rs = ir.parse_ruleset(GENERIC_RULESET)
    c = carrier("incubator", {"date": "2021-03-01", "type": "accredited", "level": "district"},
                {"date": "2022-03-01", "type": "evaluated", "level": "district", "year": 2021, "grade": "excellent"},
                {"date": "2023-03-01", "type": "evaluated", "level": "district", "year": 2022, "grade": "excellent"})
    ev = ir.evaluate(c, rs, "2023-12-31", engine=engine)
    assert [(d.rule, d.amount, str(d.payable_on)) for d in ev.awards] == [
        ("award", 100000, "2022-03-01"), ("second-excellent", 50000, "2023-03-01")]
    assert [d.reason for d in ev.not_awarded] == ["not_this_occurrence"]
    early = ir.evaluate(c, rs, "2021-12-31", engine=engine)
    assert [(d.rule, d.status, str(d.payable_on)) for d in early.pending] == [("award", "pending", "2022-03-01")]
    suspended = carrier("incubator", {"date": "2021-03-01", "type": "accredited", "level": "district"},
                        {"date": "2021-06-01", "type": "delisted"})
    refused = ir.evaluate(suspended, rs, "2023-12-31", engine=engine).not_awarded
    assert [(d.reason, d.condition.status, str(d.condition.date)) for d in refused] == [("delisted_before_year", "ended", "2021-06-01")]
