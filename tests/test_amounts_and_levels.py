"""Amount forms and levels the maintainer trial found missing, as other districts' policies write them:
按30元/平方米 (a rate times a carrier fact), 第一年20万元、第二年10万元 (by the year since an anchor),
近两年 ... 的50% (a sum over the years before the event), 每年最高 (a cap per year the money is for),
12.5元/平方米/月 and 1.5倍 (exact decimals), and levels a ruleset declares (县(市、区)级)."""

from __future__ import annotations

import pickle
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import incubator_rules as ir
from incubator_rules.errors import CarrierError

ROOT = Path(__file__).resolve().parent.parent
QUANZHOU = ir.load_ruleset(ROOT / "tests" / "rulesets" / "quanzhou-incubator-2013.yaml")
FUZHOU = ir.load_ruleset(ROOT / "tests" / "rulesets" / "fuzhou-maker-space-2017.yaml")
SHENZHEN = ir.load_ruleset(ROOT / "tests" / "rulesets" / "shenzhen-incubator-subsidy.yaml")

HEAD = """\
id: forms-test
version: "0.1.0"
title: {zh: 测试, en: test}
jurisdiction: {zh: 某市, en: a city}
documents:
  doc: {title_zh: 办法, title_en: measures, issuer: 某局, number: null, issued: null, url: "http://example.org/", reprint: secondary}
plan_period: {start: 2013-01-01, end: 2030-12-31}
columns: {incubator: [incubator], maker_space: [maker_space]}
tables: {}
clauses:
  c1: {document: doc, section: s, text: 条款}
"""


def rule(rid: str, kind: str, body: str) -> str:
    """A rule entry of ``kind`` whose parameters are ``body`` (indented as in a rules list)."""
    return f"  - id: {rid}\n    kind: {kind}\n    title: {{zh: 规则, en: a rule}}\n    clauses: [c1]\n" + body


def ruleset(rules: str, levels: str = "", caps: str = "") -> ir.Ruleset:
    return ir.parse_ruleset(HEAD + levels + "rules:\n" + rules + caps)


def problems(rules: str, levels: str = "", caps: str = "") -> list[str]:
    from incubator_rules.documents import parse_yaml

    _, found = ir.validate_ruleset(parse_yaml(HEAD + levels + "rules:\n" + rules + caps, "forms.yaml"))
    return [str(p) for p in found]


def carrier(kind: str, *events: dict, facts: dict | None = None) -> ir.Carrier:
    data = {"id": "c", "name": "c", "kind": kind, "events": list(events)}
    if facts:
        data["facts"] = facts
    return ir.Carrier.from_dict(data)


def awards(ev: ir.Evaluation) -> list[tuple[str, int, str]]:
    return [(d.rule, d.amount, d.payable_on.isoformat()) for d in ev.awards]


RATE_RULE = rule("new-build", "event_award", """\
    match: {type: accredited, kind: incubator}
    amount: {rate: 30, per: floor_area_m2, max: 1000000}
    once_per: carrier
""")


# --- 按30元/平方米的标准给予一次性补助,最高补助100万元 ------------------------------------------------


def test_a_rate_per_square_metre_of_floor_area_is_paid_on_the_accreditation_and_capped(engine):
    rs = ruleset(RATE_RULE)
    accredited = {"id": "m", "date": "2014-03-01", "type": "accredited", "level": "municipal"}
    assert awards(ir.evaluate(carrier("incubator", accredited, facts={"floor_area_m2": 20000}), rs, "2016-12-31", engine=engine)) \
        == [("new-build", 600000, "2014-03-01")]
    assert awards(ir.evaluate(carrier("incubator", accredited, facts={"floor_area_m2": 50000}), rs, "2016-12-31", engine=engine)) \
        == [("new-build", 1000000, "2014-03-01")]


def test_a_rate_reads_a_dated_area_as_of_the_event(engine):
    rs = ruleset(RATE_RULE)
    c = carrier("incubator", {"id": "m", "date": "2014-03-01", "type": "accredited", "level": "municipal"},
                facts={"floor_area_m2": [{"from": "2013-01-01", "value": 1000}, {"from": "2015-01-01", "value": 9000}]})
    assert awards(ir.evaluate(c, rs, "2016-12-31", engine=engine)) == [("new-build", 30000, "2014-03-01")]


def test_a_rate_with_no_area_recorded_is_a_refusal_never_an_award_of_nothing(engine):
    ev = ir.evaluate(carrier("incubator", {"id": "m", "date": "2014-03-01", "type": "accredited", "level": "municipal"}),
                     ruleset(RATE_RULE), "2016-12-31", engine=engine)
    assert ev.awards == ()
    assert [(d.rule, d.reason) for d in ev.not_awarded] == [("new-build", "no_amount")]


def test_a_rounded_amount_names_its_rounding_rule(engine):
    # 30 x 1,234.55 = 37,036.5: half up (四舍五入) gives 37,037; down gives 37,036
    c = carrier("incubator", {"id": "m", "date": "2014-03-01", "type": "accredited", "level": "municipal"},
                facts={"floor_area_m2": Decimal("1234.55")})
    (half,) = ir.evaluate(c, ruleset(RATE_RULE), "2016-12-31", engine=engine).awards
    assert half.amount == 37037
    assert "37,036.5 yuan rounded half up to whole yuan: 37,037" in half.explanation_en
    assert "37,036.5元按四舍五入取整为37,037元" in half.explanation_zh
    (down,) = ir.evaluate(c, ruleset(RATE_RULE.replace("max: 1000000", "max: 1000000, rounding: down")), "2016-12-31",
                          engine=engine).awards
    assert down.amount == 37036 and "rounded down" in down.explanation_en


def test_each_instalment_of_a_rounded_amount_names_the_rounding_of_the_whole(engine):
    # the same 37,036.5 yuan, paid half on the accreditation and half a year later: both instalments say how
    # the whole they are shares of was rounded
    c = carrier("incubator", {"id": "m", "date": "2014-03-01", "type": "accredited", "level": "municipal"},
                facts={"floor_area_m2": Decimal("1234.55")})
    scheduled = RATE_RULE + "    schedule:\n      - {share: 50}\n      - {share: 50, after: {months: 6}}\n"
    parts = ir.evaluate(c, ruleset(scheduled), "2016-12-31", engine=engine).awards
    assert [(d.amount, d.full_amount) for d in parts] == [(18518, 37037), (18519, 37037)]
    for part in parts:
        assert "37,036.5 yuan rounded half up to whole yuan: 37,037" in part.explanation_en
        assert "37,036.5元按四舍五入取整为37,037元" in part.explanation_zh


def test_a_fractional_rate_is_exact():
    rule = RATE_RULE.replace("rate: 30", "rate: 12.5")
    c = carrier("incubator", {"id": "m", "date": "2014-03-01", "type": "accredited", "level": "municipal"},
                facts={"floor_area_m2": 3})
    (award,) = ir.evaluate(c, ruleset(rule), "2016-12-31").awards
    assert award.amount == 38  # 37.5 half up; 12.5 as a float would be exact too, but 0.1 x 3 would not
    rule = RATE_RULE.replace("rate: 30", "rate: 0.1")
    (award,) = ir.evaluate(carrier("incubator", {"id": "m", "date": "2014-03-01", "type": "accredited", "level": "municipal"},
                                   facts={"floor_area_m2": 25}), ruleset(rule.replace("max: 1000000", "max: 1000000, rounding: down")),
                           "2016-12-31").awards
    assert award.amount == 2  # 2.5 exactly, rounded down; never 2.4999...


@pytest.mark.parametrize("amount, message", [
    ("{rate: 30, per: floor_aera_m2}", "did you mean 'floor_area_m2'?"),
    ("{rate: 30, per: rent_per_m2_month}", "'rent_per_m2_month' is a price fact in yuan/m2/month: a rate is paid per unit of a number fact"),
    ("{rate: 30}", "a rate needs `per`"),
    ("{rate: 0, per: floor_area_m2}", "expected a rate in yuan per unit above 0"),
    ("{rate: \"30\", per: floor_area_m2}", "expected a rate in yuan per unit, got '30'"),
    ("{fixed: 1000, per: floor_area_m2}", "per goes with rate"),
    ("{rate: 30, per: floor_area_m2, of: amount}", "of goes with percent"),
    ("{rate: 30, per: floor_area_m2, rounding: half_down}", "did you mean 'half_up'?"),
])
def test_rate_mistakes_are_located_and_named(amount, message):
    found = problems(RATE_RULE.replace("{rate: 30, per: floor_area_m2, max: 1000000}", amount))
    assert any(message in p and p.startswith("forms.yaml:") for p in found), found


def test_values_are_shown_as_written_not_as_python_reprs():
    found = problems(RATE_RULE.replace("rate: 30", "rate: 2000000000.5"))
    assert any("got 2000000000.5" in p for p in found), found
    assert not any("Decimal(" in p for p in found)


# --- 第一年20万元、第二年10万元、第三年10万元 (by the year since the accreditation) -----------------


def evaluations(*grades: str, start: int = 2017) -> list[dict]:
    return [{"id": f"e{start + i}", "date": f"{start + i + 1}-04-01", "type": "evaluated", "level": "municipal",
             "year": start + i, "grade": g} for i, g in enumerate(grades)]


ACCREDITED = {"id": "a", "date": "2017-05-01", "type": "accredited", "level": "municipal"}


def test_fuzhou_years_reading_pays_each_year_its_own_amount_and_a_failed_year_is_lost(engine):
    c = carrier("maker_space", ACCREDITED, *evaluations("pass", "fail", "pass", "pass"))
    ev = ir.evaluate(c, FUZHOU, "2021-12-31", readings={"first_three": "years"}, engine=engine)
    assert awards(ev) == [("operating", 200000, "2018-04-01"), ("operating", 100000, "2020-04-01")]
    assert {d.events[0]: d.reason for d in ev.not_awarded if d.rule == "operating"} == {"e2018": "not_matched", "e2020": "no_amount"}


def test_fuzhou_passes_reading_pays_the_first_three_passing_evaluations(engine):
    c = carrier("maker_space", ACCREDITED, *evaluations("pass", "fail", "pass", "pass", "excellent"))
    ev = ir.evaluate(c, FUZHOU, "2022-12-31", readings={"first_three": "passes"}, engine=engine)
    assert awards(ev) == [("operating", 200000, "2018-04-01"), ("operating", 100000, "2020-04-01"),
                          ("operating", 100000, "2021-04-01")]


ANNIVERSARY = rule("yearly", "event_award", """\
    match: {type: task_result, fields: {task: 运营}}
    amount: {by: year_since, since: {type: accredited}, years: YEARS, values: [300, 200, 100]}
""")


@pytest.mark.parametrize("years, expected", [
    ("calendar", [("yearly", 300, "2020-11-30"), ("yearly", 200, "2021-06-30")]),  # 2020, 2021 (the third, 2022, has 100)
    ("anniversary", [("yearly", 300, "2020-11-30"), ("yearly", 300, "2021-06-30"), ("yearly", 200, "2022-01-31")]),
])
def test_years_since_count_calendar_years_or_anniversaries(years, expected):
    c = carrier("incubator", {"id": "a", "date": "2020-08-31", "type": "accredited", "level": "municipal"},
                *[{"id": f"t{i}", "date": d, "type": "task_result", "task": "运营"}
                  for i, d in enumerate(["2020-11-30", "2021-06-30", "2022-01-31", "2024-01-31"])])
    found = awards(ir.evaluate(c, ruleset(ANNIVERSARY.replace("YEARS", years)), "2025-12-31"))
    if years == "calendar":
        expected = expected + [("yearly", 100, "2022-01-31")]
    assert found == expected


@pytest.mark.parametrize("amount, message", [
    ("{by: year_since, values: [1, 2]}", "by: year_since needs `since`"),
    ("{by: year_since, since: {type: accredited}, values: {1: 100}}", "by: year_since takes a list of amounts"),
    ("{by: occurrence, values: []}", "by: occurrence takes a list of amounts"),
    ("{by: year_since, since: {type: acredited}, values: [1]}", "did you mean 'accredited'?"),
    ("{by: year_since, since: {type: accredited}, years: calender, values: [1]}", "did you mean 'calendar'?"),
    ("{by: occurrence, since: {type: accredited}, values: [1]}", "since goes with by: year_since"),
    ("{by: ocurrence, values: {a: 1}}", "did you mean 'occurrence'?"),
])
def test_ordinal_mistakes_are_located_and_named(amount, message):
    found = problems(ANNIVERSARY.replace("{by: year_since, since: {type: accredited}, years: YEARS, values: [300, 200, 100]}", amount))
    assert any(message in p for p in found), found


# --- 资助比例不超过运营单位近两年投入运营经费的50% ------------------------------------------------------


def spending(year: int, amount: int, day: str | None = None) -> dict:
    return {"id": f"s{year}", "date": day or f"{year}-12-31", "type": "spending", "amount": amount, "year": year,
            "category": "operating"}


def test_shenzhen_sums_only_the_two_calendar_years_before_the_accreditation(engine):
    c = carrier("incubator", spending(2017, 2000000), spending(2018, 1000000), spending(2019, 1200001),
                {"id": "a", "date": "2020-03-01", "type": "accredited", "level": "municipal"},
                spending(2020, 5000000, "2020-02-01"))  # the accreditation's own year is not 近两年
    (award,) = ir.evaluate(c, SHENZHEN, "2020-12-31", engine=engine).awards
    assert award.amount == 1100000  # 50% of 2,200,001, rounded down
    assert "rounded down" in award.explanation_en


WITHIN = rule("pct", "event_award", """\
    match: {type: accredited}
    amount: {percent: 50, of: {sum_of: {type: spending}, within: {months: 12}}}
""")


def test_sum_of_within_a_duration_counts_events_dated_after_the_day_that_long_before_the_event(engine):
    c = carrier("incubator", spending(2018, 1000, "2019-03-01"), spending(2019, 3000, "2019-03-02"),
                {"id": "a", "date": "2020-03-01", "type": "accredited", "level": "municipal"})
    (award,) = ir.evaluate(c, ruleset(WITHIN), "2020-12-31", engine=engine).awards
    assert award.amount == 1500  # 50% of the 3,000 of 2019-03-02; 2019-03-01 is twelve months before, not within


@pytest.mark.parametrize("of, message", [
    ("{sum_of: {type: spending}, years_before: 0}", "expected a number of years from 1 to 50, got 0"),
    ("{sum_of: {type: spending}, years_before: 2, within: {years: 2}}", "give years_before or within, not both"),
    ("{sum_of: {type: spending}, years_befor: 2}", "did you mean 'years_before'?"),
    ("{sum_of: {type: spending}, within: {yeras: 2}}", "did you mean 'years'?"),
])
def test_sum_period_mistakes_are_located(of, message):
    found = problems(WITHIN.replace("{sum_of: {type: spending}, within: {months: 12}}", of))
    assert any(message in p for p in found), found


# --- 每年最高: a per-year cap by the year the money is for ---------------------------------------------


XIAN_CAP = rule("operating", "event_award", """\
    match: {type: evaluated, level: municipal}
    amount: {by: grade, values: {pass: 100000, good: 200000, excellent: 300000}}
""")


@pytest.mark.parametrize("year, expected", [
    ("", [200000, 50000]),                 # default: both payable in 2018, so one ceiling of 250,000
    (", year: payable", [200000, 50000]),
    (", year: event_year", [200000, 200000]),  # the evaluations of 2016 and of 2017: a ceiling each
])
def test_a_yearly_cap_counts_the_payable_year_or_the_year_the_money_is_for(engine, year, expected):
    caps = f"caps:\n  op: {{rules: [operating], per: year{year}, max: 250000, clause: c1}}\n"
    c = carrier("maker_space", {"id": "a", "date": "2015-05-01", "type": "accredited", "level": "municipal"},
                {"id": "e16", "date": "2018-01-05", "type": "evaluated", "level": "municipal", "year": 2016, "grade": "good"},
                {"id": "e17", "date": "2018-03-01", "type": "evaluated", "level": "municipal", "year": 2017, "grade": "good"})
    ev = ir.evaluate(c, ruleset(XIAN_CAP, caps=caps), "2018-12-31", engine=engine)
    assert [d.amount for d in ev.awards] == expected


@pytest.mark.parametrize("cap, message", [
    ("{rules: [operating], per: carrier, year: event_year, max: 1, clause: c1}", "give it with per: year"),
    ("{rules: [operating], per: year, year: evaluated, max: 1, clause: c1}", "expected one of: payable, event_year"),
    ("{rules: [rent], per: year, year: event_year, max: 1, clause: c1}", "a periodic subsidy's money is for its period"),
])
def test_cap_year_mistakes(cap, message):
    rent = rule("rent", "periodic_subsidy", """\
    from: {type: accredited}
    periods: {length: {years: 1}, count: 2}
    basis: {area: {fact: floor_area_m2}}
    rate: 10
""")
    found = problems(XIAN_CAP + rent, caps=f"caps:\n  op: {cap}\n")
    assert any(message in p for p in found), found


# --- 12.5元/平方米/月 and 1.5倍: exact decimals ----------------------------------------------------------


RENT = rule("rent", "periodic_subsidy", """\
    from: {type: accredited}
    periods: {length: {months: 12}, count: 1}
    basis: {tenancies: {fields: {tech_firm: true}}}
    rate: {fact: rent_per_m2_month}
    multiplier: {when: {fields: {strategic_emerging: true}}, factor: 1.5}
""")


def test_a_fractional_rent_and_a_fractional_multiplier_are_exact(engine):
    tenancy = {"id": "t", "date": "2020-01-01", "type": "tenancy", "firm": "F", "from": "2020-01-01", "to": "2021-01-01",
               "area_m2": 33, "tech_firm": True, "strategic_emerging": True}
    c = carrier("incubator", {"id": "a", "date": "2020-01-01", "type": "accredited", "level": "municipal"}, tenancy,
                facts={"rent_per_m2_month": Decimal("12.5")})
    (award,) = ir.evaluate(c, ruleset(RENT), "2021-12-31", engine=engine).awards
    assert award.amount == 7425  # 33 m2 x 12.5 x 1.5 x 12 months = 7,425 exactly
    ev = ir.evaluate(c, ruleset(RENT.replace("factor: 1.5", "factor: 1.25")), "2021-12-31", engine=engine)
    assert [d.amount for d in ev.awards] == [6188]  # 6,187.5 half up
    assert "6,187.5 yuan rounded half up" in ev.awards[0].explanation_en
    scheduled = RENT.replace("factor: 1.5", "factor: 1.25") + "    schedule:\n      - {share: 50}\n      - {share: 50, after: {years: 1}}\n"
    parts = ir.evaluate(c, ruleset(scheduled), "2023-12-31", engine=engine).awards
    assert [d.amount for d in parts] == [3094, 3094] and all("6,187.5 yuan rounded half up" in d.explanation_en for d in parts)


def test_a_price_fact_is_read_exactly_and_refuses_floats_text_and_too_many_places():
    c = carrier("incubator", facts={"rent_per_m2_month": Decimal("12.5")})
    assert c.fact("rent_per_m2_month") == Decimal("12.5")
    for bad, message in ((12.5, "expected a price in yuan such as 12.5"), ("12.5", "expected a price"),
                         (Decimal("1.00001"), "at most 4 decimal places"), (-1, r"from 0 to 10\^9")):
        with pytest.raises(CarrierError, match=message):
            carrier("incubator", facts={"rent_per_m2_month": bad})


def test_a_multiplier_factor_out_of_range_shows_the_value_as_written():
    found = problems(RENT.replace("factor: 1.5", "factor: 0.5"))
    assert any("expected a factor (1.5 for 1.5倍) from 1 to 10, got 0.5" in p for p in found), found
    found = problems(RENT.replace(", factor: 1.5", ""))
    assert any("multiplier.factor: required field is missing" in p for p in found), found


# --- levels a ruleset declares: 县(市、区)级 --------------------------------------------------------------


COUNTY_LEVELS = """\
levels:
  county: {zh: 县(市、区)级, en: county}
  municipal: {zh: 市级, en: municipal}
"""
COUNTY_RULE = rule("county-award", "event_award", """\
    match: {type: accredited, level: county}
    amount: {by: level, values: {county: 100000}}
""")


def test_a_declared_level_is_paid_on_events_that_carry_it(engine):
    rs = ruleset(COUNTY_RULE, COUNTY_LEVELS)
    assert list(rs.levels) == [ir.Level.extra("county"), ir.Level.MUNICIPAL]
    with ir.reading_levels(rs):
        c = carrier("incubator", {"id": "k", "date": "2020-01-01", "type": "accredited", "level": "county"})
    ev = ir.evaluate(c, rs, "2020-12-31", engine=engine)
    assert awards(ev) == [("county-award", 100000, "2020-01-01")]
    assert ev.awards[0].level == "county" and "县(市、区)级" in ev.awards[0].explanation_zh


def test_refuse_levels_refuses_a_declared_level_as_it_refuses_a_built_in_one(engine):
    # 县级众创空间不予支持: the table pays county and municipal, refuse_levels shuts county out for maker spaces
    rules = rule("county-award", "event_award", """\
    match: {type: accredited}
    amount: {by: level, values: {county: 100000, municipal: 200000}}
    refuse_levels: [{kinds: [maker_space], levels: [county]}]
""")
    rs = ruleset(rules, COUNTY_LEVELS)
    with ir.reading_levels(rs):
        c = carrier("maker_space", {"id": "k", "date": "2020-01-01", "type": "accredited", "level": "county"},
                    {"id": "m", "date": "2021-01-01", "type": "accredited", "level": "municipal"})
    ev = ir.evaluate(c, rs, "2021-12-31", engine=engine)
    assert awards(ev) == [("county-award", 200000, "2021-01-01")]
    assert [(d.events, d.reason) for d in ev.not_awarded] == [(("k",), "level_not_covered")]
    assert ir.evaluate_totals(c, rs, "2021-12-31", engine=engine).total == 200000


def test_a_declared_level_is_refused_in_a_carrier_read_for_no_such_ruleset_and_when_evaluated_against_another():
    data = {"id": "c", "name": "c", "kind": "incubator",
            "events": [{"id": "k", "date": "2020-01-01", "type": "accredited", "level": "county"}]}
    with pytest.raises(CarrierError, match=r"events\[0\].level: unknown Level 'county'"):
        ir.Carrier.from_dict(data)
    with ir.reading_levels(ruleset(COUNTY_RULE, COUNTY_LEVELS)):
        c = ir.Carrier.from_dict(data)
    with pytest.raises(CarrierError, match=r"events\[0\].level: .*level 'county' is not declared by ruleset fuzhou-maker-space-2017"):
        ir.evaluate(c, FUZHOU, "2020-12-31")
    with pytest.raises(CarrierError, match="not declared"):
        ir.evaluate(c, FUZHOU, "2020-12-31", engine="durable")


def test_a_declared_level_survives_pickling_for_worker_processes():
    county = ir.Level.extra("county")
    assert pickle.loads(pickle.dumps(county)) is county
    assert pickle.loads(pickle.dumps(ir.Level.NATIONAL)) is ir.Level.NATIONAL


@pytest.mark.parametrize("levels, rules, message", [
    ("levels:\n  nationl: {zh: 国家级, en: national}\n", COUNTY_RULE.replace("county", "nationl"), "did you mean 'national'?"),
    ("levels:\n  county: {zh: 县级}\n", COUNTY_RULE, "levels.county.en: required field is missing"),
    ("levels:\n  County: {zh: 县级, en: county}\n", COUNTY_RULE, "a level id is lower-case letters"),
    ("levels:\n  national: {zh: 国家级, en: n}\n  municipal: {zh: 市级, en: m}\n", COUNTY_RULE.replace("county", "municipal"),
     "list the levels lowest first"),
    (COUNTY_LEVELS, COUNTY_RULE.replace("level: county}", "level: conty}"), "did you mean 'county'?"),
    ("levels:\n  municipal: {zh: 市级, en: m}\n", COUNTY_RULE, "unknown Level 'county'"),
])
def test_level_declaration_mistakes_are_located(levels, rules, message):
    found = problems(rules, levels)
    assert any(message in p and p.startswith("forms.yaml:") for p in found), found


def test_a_case_file_reads_its_carriers_with_its_rulesets_levels(tmp_path):
    rs = tmp_path / "county.yaml"
    rs.write_text(HEAD + COUNTY_LEVELS + "rules:\n" + COUNTY_RULE, encoding="utf-8")
    cases = tmp_path / "cases.yaml"
    cases.write_text("""\
ruleset: county.yaml
as_of: 2020-12-31
cases:
  - name: a county accreditation
    carrier: {id: c, name: c, kind: incubator, events: [{id: k, date: 2020-01-01, type: accredited, level: county}]}
    expected:
      awards: [{rule: county-award, amount: 100000, payable_on: 2020-01-01, event: k, level: county}]
      total: 100000
""", encoding="utf-8")
    assert [ir.run_case(c).passed for c in ir.load_cases(cases)] == [True]
    from incubator_rules.views.cli import main

    carrier_file = tmp_path / "c.yaml"
    carrier_file.write_text("id: c\nname: c\nkind: incubator\nevents:\n  - {id: k, date: 2020-01-01, type: accredited, level: county}\n",
                            encoding="utf-8")
    assert main(["evaluate", "--ruleset", str(rs), "--as-of", "2020-12-31", str(carrier_file)]) == 0
    # against a ruleset that does not declare it, the carrier file's level is refused where it is written
    assert main(["evaluate", "--ruleset", str(ROOT / "tests/rulesets/fuzhou-maker-space-2017.yaml"),
                 "--as-of", "2020-12-31", str(carrier_file)]) == 2


# --- properties ----------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal(1000), places=2),
       st.decimals(min_value=Decimal(0), max_value=Decimal(100000), places=2),
       st.sampled_from(["half_up", "down"]))
def test_a_rate_award_is_the_exact_product_rounded_by_its_rule_and_never_above_its_ceiling(rate, area, rounding):
    rule = RATE_RULE.replace("rate: 30", f"rate: {rate}").replace("max: 1000000", f"max: 1000000, rounding: {rounding}")
    c = carrier("incubator", {"id": "m", "date": "2014-03-01", "type": "accredited", "level": "municipal"},
                facts={"floor_area_m2": area})
    ev = ir.evaluate(c, ruleset(rule), "2016-12-31")
    whole = int((rate * area).quantize(Decimal(1), rounding=ROUND_HALF_UP if rounding == "half_up" else ROUND_DOWN))
    expected = min(whole, 1000000)
    if expected == 0:
        assert ev.awards == () and [d.reason for d in ev.not_awarded] == ["no_amount"]  # never an award of 0 yuan
    else:
        assert [d.amount for d in ev.awards] == [expected]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(2010, 2022), st.integers(0, 10**7)), min_size=0, max_size=8, unique_by=lambda t: t[0]),
       st.integers(2012, 2023), st.randoms(use_true_random=False))
def test_the_shenzhen_subsidy_is_half_of_the_two_years_before_whatever_the_order_of_events(spent, year, rnd):
    events = [spending(y, a, f"{y}-12-31") for y, a in spent if y < year]
    events.append({"id": "a", "date": f"{year}-03-01", "type": "accredited", "level": "municipal", "kind": "incubator"})
    rnd.shuffle(events)
    base = sum(a for y, a in spent if year - 2 <= y <= year - 1)
    expected = min(base // 2, 3000000)
    ev = ir.evaluate(carrier("incubator", *events), SHENZHEN, "2024-12-31")
    paid = [d.amount for d in ev.awards if d.rule == "accreditation-subsidy"]
    assert paid == ([expected] if expected else [])


def test_an_area_subsidy_with_no_area_recorded_says_so_once_rather_than_paying_nothing_silently(engine):
    rule = RENT.replace("basis: {tenancies: {fields: {tech_firm: true}}}", "basis: {area: {fact: accredited_area_m2}}") \
        .replace("    multiplier: {when: {fields: {strategic_emerging: true}}, factor: 1.5}\n", "") \
        .replace("count: 1}", "count: 3}")
    c = carrier("incubator", {"id": "a", "date": "2020-01-01", "type": "accredited", "level": "municipal"},
                facts={"rent_per_m2_month": 20})
    ev = ir.evaluate(c, ruleset(rule), "2023-12-31", engine=engine)
    assert ev.awards == ()
    (refused,) = ev.not_awarded
    assert (refused.rule, refused.reason, refused.events) == ("rent", "no_amount", ("a",))
    assert "accredited_area_m2 not recorded" in refused.explanation_en and "未记录认定面积" in refused.explanation_zh
    c = carrier("incubator", {"id": "a", "date": "2020-01-01", "type": "accredited", "level": "municipal"},
                facts={"rent_per_m2_month": 20, "accredited_area_m2": 10})
    assert [d.amount for d in ir.evaluate(c, ruleset(rule), "2023-12-31", engine=engine).awards] == [2400, 2400, 2400]


def test_a_ceiling_is_a_number_or_keyed_by_a_field_never_a_rate_or_an_ordinal():
    for form in ("{rate: 1, per: floor_area_m2}", "{by: occurrence, values: [1]}", "{percent: 10, of: amount}"):
        found = problems(RATE_RULE.replace("max: 1000000", f"max: {form}"))
        assert any("a ceiling is a number or {by: <field>" in p for p in found), (form, found)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["pass", "good", "excellent", "fail"]), min_size=0, max_size=7), st.integers(1, 12))
def test_fuzhou_years_reading_pays_each_passing_year_of_the_first_three_its_amount_and_nothing_else(grades, month):
    accredited = {"id": "a", "date": f"2017-{month:02d}-01", "type": "accredited", "level": "municipal"}
    c = carrier("maker_space", accredited, *evaluations(*grades))
    ev = ir.evaluate(c, FUZHOU, "2025-12-31", readings={"first_three": "years"})
    by_year = {2017: 200000, 2018: 100000, 2019: 100000}
    expected = [(f"e{2017 + i}", by_year[2017 + i]) for i, g in enumerate(grades) if g != "fail" and 2017 + i in by_year]
    assert [(d.events[0], d.amount) for d in ev.awards] == expected
    assert ev.total <= 400000


def test_the_rounding_note_states_the_rounded_amount_before_the_ceiling():
    c = carrier("incubator", {"id": "m", "date": "2014-03-01", "type": "accredited", "level": "municipal"},
                facts={"floor_area_m2": Decimal("50000.05")})
    (award,) = ir.evaluate(c, ruleset(RATE_RULE), "2016-12-31").awards
    assert award.amount == 1000000
    assert "1,500,001.5 yuan rounded half up to whole yuan: 1,500,002" in award.explanation_en


def test_partitions_evaluated_by_worker_processes_may_carry_the_rulesets_declared_levels(tmp_path):
    rs = tmp_path / "county.yaml"
    rs.write_text(HEAD + COUNTY_LEVELS + "rules:\n" + COUNTY_RULE, encoding="utf-8")
    folder = tmp_path / "parts"
    folder.mkdir()
    for i in range(2):
        (folder / f"part-{i}.jsonl").write_text(
            f'{{"id": "c{i}", "name": "c{i}", "kind": "incubator", "events": '
            f'[{{"id": "k", "date": "2020-01-01", "type": "accredited", "level": "county"}}]}}\n', encoding="utf-8")
    results = ir.evaluate_partitions(folder, tmp_path / "out", ruleset=ir.load_ruleset(rs), as_of="2020-12-31", workers=2)
    assert sum(r.awarded for r in results) == 200000


def test_commands_that_only_read_carriers_take_the_ruleset_whose_levels_they_may_name(tmp_path, capsys):
    from incubator_rules.views.cli import main

    rs = tmp_path / "county.yaml"
    rs.write_text(HEAD + COUNTY_LEVELS + "rules:\n" + COUNTY_RULE, encoding="utf-8")
    portfolio = tmp_path / "p.yaml"
    portfolio.write_text("id: p\nname: p\ncarriers:\n  - id: c\n    name: c\n    kind: incubator\n    events:\n"
                         "      - {id: k, date: 2020-01-01, type: accredited, level: county}\n", encoding="utf-8")
    assert main(["convert", str(portfolio), str(tmp_path / "p.jsonl")]) == 2
    assert "unknown Level 'county'" in capsys.readouterr().err
    assert main(["check", str(portfolio)]) == 1
    assert main(["convert", str(portfolio), str(tmp_path / "p.jsonl"), "--ruleset", str(rs)]) == 0
    assert main(["convert", str(tmp_path / "p.jsonl"), str(tmp_path / "back.yaml"), "--ruleset", str(rs)]) == 0
    assert main(["workbook", str(tmp_path / "back.yaml"), "-o", str(tmp_path / "p.xlsx"), "--ruleset", str(rs)]) == 0
    assert main(["check", str(portfolio), "--ruleset", str(rs)]) == 0
    with ir.reading_levels(ir.load_ruleset(rs)):
        again = ir.load_portfolio(tmp_path / "p.xlsx")
    assert [e.level.value for e in again.carriers[0].events] == ["county"]
    assert main(["convert", str(portfolio), str(tmp_path / "x.jsonl"), "--ruleset", "no-such-ruleset"]) == 2
    assert "no shipped ruleset 'no-such-ruleset'" in capsys.readouterr().err


def test_a_level_fact_may_name_a_declared_level(engine):
    rs = ruleset(COUNTY_RULE.replace("match: {type: accredited, level: county}",
                                     "match: {type: accredited, carrier: {park_level: county}}"), COUNTY_LEVELS)
    with ir.reading_levels(rs):
        c = carrier("incubator", {"id": "k", "date": "2020-01-01", "type": "accredited", "level": "county"},
                    facts={"park_level": "county"})
    assert awards(ir.evaluate(c, rs, "2020-12-31", engine=engine)) == [("county-award", 100000, "2020-01-01")]
    found = problems(COUNTY_RULE.replace("match: {type: accredited, level: county}",
                                         "match: {type: accredited, carrier: {park_level: street}}"), COUNTY_LEVELS)
    assert any("park_level is a level fact: expected a level (district, municipal, provincial, national, county)" in p
               for p in found), found


# --- a declared level between two built-in ones: 副省级 (sub-provincial) between 市级 and 省级 ----------------

LADDER_LEVELS = """\
levels:
  municipal: {zh: 市级, en: municipal}
  fushengji: {zh: 副省级, en: sub-provincial}
  provincial: {zh: 省级, en: provincial}
"""
LADDER_RULES = rule("accreditation", "event_award", """\
    match: {type: accredited, kind: incubator}
    amount: {table: subsidy}
    covered_by_table: true
    refuse_lower: true
""") + rule("differential", "top_up", """\
    tops_up: accreditation
    ladder: column
    base: received
""")


LADDER_TABLE = """\
tables:
  subsidy:
    label: {zh: 补助, en: subsidy}
    unit: yuan
    columns:
      incubator: {clause: c1, values: {municipal: 200000, fushengji: 300000, provincial: 500000}}
"""


def test_a_declared_level_ranks_on_the_ladder_where_the_ruleset_lists_it(engine):
    rs = ir.parse_ruleset(HEAD.replace("tables: {}\n", LADDER_TABLE) + LADDER_LEVELS + "rules:\n" + LADDER_RULES)
    assert [rs.rank(lv) for lv in (ir.Level.DISTRICT, ir.Level.MUNICIPAL, ir.Level.extra("fushengji"),
                                   ir.Level.PROVINCIAL, ir.Level.NATIONAL)] == [0, 1, 2, 3, 4]
    with ir.reading_levels(rs):
        climbing = carrier("incubator", {"id": "m", "date": "2014-03-01", "type": "accredited", "level": "municipal"},
                           {"id": "s", "date": "2015-03-01", "type": "accredited", "level": "fushengji"},
                           {"id": "p", "date": "2016-03-01", "type": "accredited", "level": "provincial"})
        falling = carrier("incubator", {"id": "s", "date": "2014-03-01", "type": "accredited", "level": "fushengji"},
                          {"id": "m", "date": "2015-03-01", "type": "accredited", "level": "municipal"})
    ev = ir.evaluate(climbing, rs, "2017-12-31", engine=engine)
    assert [(d.rule, d.amount, d.events[0]) for d in ev.awards] == [
        ("accreditation", 200000, "m"), ("differential", 100000, "s"), ("differential", 200000, "p")]
    # a municipal title after the sub-provincial one is lower on the ladder: nothing
    ev = ir.evaluate(falling, rs, "2017-12-31", engine=engine)
    assert [(d.rule, d.amount) for d in ev.awards] == [("accreditation", 300000)]
    assert ("accreditation", "lower_level", "m") in [(d.rule, d.reason, d.events[0]) for d in ev.not_awarded]


# --- 首次: the first event, or the first award ---------------------------------------------------------------


FIRST_AWARD = rule("first", "event_award", """\
    match: {type: accredited}
    amount: {by: level, values: {municipal: 100000, national: 300000}}
    once_per: carrier
""")


def test_once_per_carrier_is_one_award_the_first_that_pays_and_occurrence_1_is_the_first_event(engine):
    c = carrier("incubator", {"id": "d", "date": "2014-03-01", "type": "accredited", "level": "district"},
                {"id": "m", "date": "2016-03-01", "type": "accredited", "level": "municipal"},
                {"id": "n", "date": "2019-03-01", "type": "accredited", "level": "national"})
    once = ir.evaluate(c, ruleset(FIRST_AWARD), "2020-12-31", engine=engine)
    assert awards(once) == [("first", 100000, "2016-03-01")]  # the district one pays nothing: the municipal one is the award
    assert [(d.events[0], d.reason) for d in once.not_awarded] == [("d", "no_amount"), ("n", "already_awarded")]
    first_event = ir.evaluate(c, ruleset(FIRST_AWARD.replace("once_per: carrier", "occurrence: 1")), "2020-12-31", engine=engine)
    assert awards(first_event) == []
    assert [(d.events[0], d.reason) for d in first_event.not_awarded] == [
        ("d", "no_amount"), ("m", "not_this_occurrence"), ("n", "not_this_occurrence")]
