"""Hostile input to the ruleset language's amount and level forms (rate x fact, by year since an anchor, sums
over the years before, exact prices and factors, declared levels): a maintainer's slip or an attacker's value is
refused by `check` at its file, line and field, never a traceback, never a silently changed amount."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

import incubator_rules as ir
from incubator_rules.documents import parse_yaml
from incubator_rules.views.cli import main

HEAD = """\
id: hostile-forms
version: "0.1.0"
title: {zh: 测试, en: test}
jurisdiction: {zh: 某市, en: a city}
documents:
  doc: {title_zh: 办法, title_en: measures, issuer: 某局, number: null, issued: null, url: "http://example.org/"}
plan_period: {start: 2013-01-01, end: 2030-12-31}
levels:
  county: {zh: 县级, en: county}
  municipal: {zh: 市级, en: municipal}
columns: {incubator: [incubator]}
tables: {}
clauses:
  c1: {document: doc, section: s, text: 条款}
rules:
  - id: r
    kind: {kind}
    title: {zh: 规则, en: a rule}
    clauses: [c1]
"""


def checked(tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, kind: str = "event_award") -> str:
    """What `incubator-rules check` says about a ruleset whose one rule has ``body``; it must find a problem."""
    path = tmp_path / "r.yaml"
    path.write_text(HEAD.replace("{kind}", kind) + body, encoding="utf-8")
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return out.out


def carrier(**facts: object) -> ir.Carrier:
    return ir.Carrier.from_dict({"id": "c", "name": "c", "kind": "incubator", "facts": facts,
                                 "events": [{"id": "a", "date": "2014-03-01", "type": "accredited", "level": "municipal"}]})


# --- an empty list of filters -----------------------------------------------------------------------


@pytest.mark.parametrize("body, field", [
    ("    match: {type: evaluated}\n    amount: {by: year_since, since: [], values: [200000, 100000]}\n", "rules[0].amount.since"),
    ("    match: []\n    amount: 1000\n", "rules[0].match"),
    ("    match: {type: accredited}\n    holding: []\n    amount: 1000\n", "rules[0].holding"),
    ("    match: {type: accredited}\n    amount: {percent: 50, of: {sum_of: [], years_before: 2}}\n", "rules[0].amount.of.sum_of"),
])
def test_an_empty_list_of_filters_is_refused_not_read_as_no_condition(tmp_path, capsys, body, field):
    # since: [] crashed the evaluation, match: [] the check; holding: [] silently held no condition at all
    out = checked(tmp_path, capsys, body)
    assert f"{field}: expected a filter or a list of alternative filters, got an empty list" in out


# --- the ceiling of a periodic subsidy's rent or area -------------------------------------------------

PERIODIC = """\
    from: {type: accredited, kind: incubator}
    periods: {length: {months: 12}, count: 2}
"""


@pytest.mark.parametrize("ceiling", ["'eighty'", ".nan", "true", "[80]", "{x: 1}", "-1", "1e400"])
@pytest.mark.parametrize("where", ["rate", "area"])
def test_a_periodic_ceiling_that_is_not_a_number_is_refused_at_its_line(tmp_path, capsys, ceiling, where):
    # rate: {fact: rent_per_m2_month, max: 'eighty'} crashed every evaluation; max: true capped the rent at 1 yuan
    if where == "rate":
        body = PERIODIC + f"    basis: {{area: {{fact: accredited_area_m2}}}}\n    rate: {{fact: rent_per_m2_month, max: {ceiling}}}\n"
        field, line = "rules[0].rate.max", 23
    else:
        body = PERIODIC + f"    basis: {{area: {{fact: accredited_area_m2, max: {ceiling}}}}}\n    rate: 30\n"
        field, line = "rules[0].basis.area.max", 22
    out = checked(tmp_path, capsys, body, kind="periodic_subsidy")
    assert f"r.yaml:{line}:" in out and f"{field}: expected" in out


# --- exact money: no more digits than an exact product can carry ---------------------------------------

RATE = "    match: {type: accredited, kind: incubator}\n    amount: {rate: 30, per: floor_area_m2}\n"


def test_an_area_with_more_decimal_places_than_exact_money_carries_is_refused():
    # 30 x 1234.5499999999999999999999999999 is 37,036.4999...97: half up 37,036, but 28-digit arithmetic paid 37,037
    with pytest.raises(ir.CarrierError, match=r"facts\.floor_area_m2: .*at most 4 decimal places"):
        carrier(floor_area_m2=Decimal("1234.5499999999999999999999999999"))


def test_an_area_given_to_four_places_is_paid_exactly(tmp_path):
    rs = ir.parse_ruleset(HEAD.replace("{kind}", "event_award") + RATE)
    decisions = ir.evaluate(carrier(floor_area_m2=Decimal("1234.5499")), rs,
                            as_of="2020-01-01").awards
    assert [d.amount for d in decisions] == [37036]  # 37,036.497 rounded half up


@pytest.mark.parametrize("form, field", [
    ("amount: {rate: 29.99999999999999999999999999999, per: floor_area_m2}", "rules[0].amount.rate"),
    ("amount: {rate: 1e-400, per: floor_area_m2}", "rules[0].amount.rate"),
    ("amount: {percent: 33.333333333333333333333333333333, of: amount}", "rules[0].amount.percent"),
])
def test_a_rate_or_percentage_with_more_places_than_exact_money_carries_is_refused(tmp_path, capsys, form, field):
    out = checked(tmp_path, capsys, "    match: {type: payment_received}\n    " + form + "\n")
    assert f"{field}: " in out and "at most 4 decimal places" in out


def test_a_multiplier_factor_with_too_many_places_is_refused(tmp_path, capsys):
    body = PERIODIC + ("    basis: {tenancies: {fields: {tech_firm: true}}}\n    rate: 18\n"
                       "    multiplier: {when: {fields: {strategic_emerging: true}}, factor: 1.00000000000000000000000000000001}\n")
    out = checked(tmp_path, capsys, body, kind="periodic_subsidy")
    assert "rules[0].multiplier.factor: " in out and "at most 4 decimal places" in out


# --- a key written without its value ------------------------------------------------------------------


@pytest.mark.parametrize("key", ["years_before", "within"])
def test_a_sum_period_written_without_its_value_is_refused_not_read_as_every_year(tmp_path, capsys, key):
    # `years_before:` with no value summed every earlier year: 近两年 silently became 全部
    body = f"    match: {{type: accredited}}\n    amount: {{percent: 50, of: {{sum_of: {{type: spending}}, {key}: null}}}}\n"
    out = checked(tmp_path, capsys, body)
    assert "r.yaml:21:" in out and f"rules[0].amount.of.{key}: " in out


def test_a_floor_above_the_ceiling_is_refused(tmp_path, capsys):
    # min 5,000,000 over max 1,000,000 paid 5,000,000: the ceiling silently ignored
    out = checked(tmp_path, capsys, "    match: {type: accredited}\n"
                                    "    amount: {rate: 30, per: floor_area_m2, max: 1000000, min: 5000000}\n")
    assert "rules[0].amount.min: " in out and "above its max of 1,000,000" in out


@pytest.mark.parametrize("engine", ["native", "durable"])
def test_a_rate_times_an_area_is_exact_beyond_28_digits(engine):
    # 999,999,999.9999 x 999,999,995,000.0001 = ...100000.49999999: half up keeps ...100000; rounded to 28 digits
    # first it was ...100000.5000000 and paid one yuan more
    rs = ir.parse_ruleset(HEAD.replace("{kind}", "event_award") + RATE.replace("rate: 30", "rate: 999999999.9999"))
    awards = ir.evaluate(carrier(floor_area_m2=Decimal("999999995000.0001")), rs, as_of="2020-01-01", engine=engine).awards
    assert [d.amount for d in awards] == [999999994999900100000]
    assert "999,999,994,999,900,100,000.49999999 yuan rounded half up" in awards[0].explanation_en


# --- a declared level through the HTTP service ----------------------------------------------------------


@pytest.mark.parametrize("media, body", [
    ("application/x-ndjson", lambda c: json.dumps(c)),
    ("application/json", lambda c: json.dumps([c])),
])
def test_the_service_evaluates_many_carriers_at_a_level_their_ruleset_declares(media, body):
    # /evaluate read a county carrier for Quanzhou; /evaluate-many refused the same carrier as an unknown level
    pytest.importorskip("fastapi")
    testclient = pytest.importorskip("starlette.testclient")
    from incubator_rules.views.service import app as service_app

    root = Path(__file__).resolve().parent
    app = service_app.create_app(service_app.ServiceConfig(ruleset_dirs=(str(root / "rulesets"),)))
    county = {"id": "q", "name": "q", "kind": "incubator", "facts": {"floor_area_m2": 20000},
              "events": [{"id": "a", "date": "2014-03-01", "type": "accredited", "level": "county"}]}
    with testclient.TestClient(app) as client:
        one = client.post("/evaluate", json={"carrier": county, "ruleset": "quanzhou-incubator-2013", "as_of": "2020-01-01"})
        many = client.post("/evaluate-many?ruleset=quanzhou-incubator-2013&as_of=2020-01-01", content=body(county),
                           headers={"content-type": media})
    assert one.status_code == 200 and many.status_code == 200, many.text
    line = json.loads(many.text.splitlines()[0])
    assert line["totals"]["awarded"] == one.json()["totals"]["awarded"] == 600000  # 30 x 20,000 m2


# --- a dated fact that starts inside a period ----------------------------------------------------------


@pytest.mark.parametrize("engine", ["native", "durable"])
def test_a_period_paid_for_only_the_months_a_dated_rent_is_recorded_says_so(engine):
    # the rent is recorded from 2015-01-01 only: the period 2014-03-01..2015-02-28 pays its last two months, and
    # the decision said nothing of the ten months it left out
    rs = ir.parse_ruleset(HEAD.replace("{kind}", "periodic_subsidy") + PERIODIC
                          + "    basis: {area: {fact: accredited_area_m2}}\n    rate: {fact: rent_per_m2_month}\n")
    space = ir.Carrier.from_dict({"id": "c", "name": "c", "kind": "incubator",
                                  "facts": {"accredited_area_m2": 100, "rent_per_m2_month": [{"from": "2015-01-01", "value": Decimal("12.5")}]},
                                  "events": [{"id": "a", "date": "2014-03-01", "type": "accredited", "level": "municipal"}]})
    first, second = ir.evaluate(space, rs, as_of="2020-01-01", engine=engine).awards
    assert (first.amount, second.amount) == (2500, 15000)  # 100 m2 x 12.5 x 2 months; x 12 months
    assert "rent_per_m2_month not recorded for 10 of 12 months" in first.explanation_en
    assert "10个月未记录" in first.explanation_zh
    assert "not recorded" not in second.explanation_en
    # the same period paid in two instalments: each says which months its whole left out
    scheduled = ir.parse_ruleset(HEAD.replace("{kind}", "periodic_subsidy") + PERIODIC
                                 + "    basis: {area: {fact: accredited_area_m2}}\n    rate: {fact: rent_per_m2_month}\n"
                                 + "    schedule:\n      - {share: 50}\n      - {share: 50, after: {months: 1}}\n")
    parts = [d for d in ir.evaluate(space, scheduled, as_of="2020-01-01", engine=engine).awards if d.full_amount == 2500]
    assert [d.amount for d in parts] == [1250, 1250]
    assert all("rent_per_m2_month not recorded for 10 of 12 months" in d.explanation_en for d in parts)


# --- a declared level's id ---------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["true", "false", "null"])  # yes, no, on, off: the loader refuses them
def test_a_level_id_that_yaml_reads_as_a_boolean_or_null_is_refused(tmp_path, capsys, word):
    # `true: {zh: .., en: ..}` declared a level 'true' that no carrier could name: unquoted, `level: true` is a boolean
    text = HEAD.replace("{kind}", "event_award").replace("  county: {zh: 县级, en: county}\n",
                                                          f"  {word}: {{zh: 县级, en: county}}\n  county: {{zh: 县级, en: county}}\n")
    path = tmp_path / "r.yaml"
    path.write_text(text + "    match: {type: accredited}\n    amount: 1000\n", encoding="utf-8")
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"r.yaml:9:" in out and f"levels.{word}: " in out and "in YAML" in out


# --- from Python: floats and huge numbers -------------------------------------------------------------------


def test_a_python_float_for_an_area_or_a_rate_is_refused_saying_it_is_not_exact():
    # "expected a number, got 1234.55" read as if 1234.55 were wrong; the float is what is wrong
    with pytest.raises(ir.CarrierError, match=r"facts\.floor_area_m2: expected an exact number, got the float 1234.55: "
                                              r"give Decimal\('1234.55'\)"):
        carrier(floor_area_m2=1234.55)
    data = parse_yaml(
        HEAD.replace("{kind}", "event_award") + RATE, "r.yaml").data
    data["rules"][0]["amount"]["rate"] = 30.5
    with pytest.raises(ir.RulesetError, match=r"rules\[0\]\.amount\.rate: expected .*the float 30.5 \(not exact"):
        ir.ruleset_from_dict(data)
    data["rules"][0]["amount"]["rate"] = 10**400
    with pytest.raises(ir.RulesetError) as refused:
        ir.ruleset_from_dict(data)
    assert "a number of 401 digits" in str(refused.value) and len(str(refused.value)) < 200
