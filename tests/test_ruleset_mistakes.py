"""A maintainer's mistakes in a ruleset: each is a located problem at `check` (with a "did you mean" where one
fits), never a traceback, a silent nothing or a wrong amount; and the money the trial found wrong, right.

Each test starts from a shipped ruleset, changes one line as a maintainer would, and expects the problem
at that line (or, for money, the decision a hand-worked case expects).
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import incubator_rules as ir
from incubator_rules.tools.check import check_file

ROOT = Path(__file__).resolve().parent.parent
XIAN_TEXT = (ROOT / "rulesets" / "xian-municipal-maker-space.yaml").read_text(encoding="utf-8")
WUCHANG_TEXT = (ROOT / "rulesets" / "wuhan-wuchang-2020.yaml").read_text(encoding="utf-8")


def edited(text: str, *changes: tuple[str, str], new_id: str = "trial-copy") -> str:
    """The ruleset text with each (old, new) replaced once, under another id (so no lock file applies)."""
    out = text
    for line in out.splitlines():
        if line.startswith("id: "):
            out = out.replace(line, f"id: {new_id}", 1)
            break
    for old, new in changes:
        assert old in out, old
        out = out.replace(old, new, 1)
    return out


def problems(tmp_path: Path, text: str) -> list[str]:
    """What `check` says of the file, each problem as printed (file:line:column: field: message)."""
    path = tmp_path / "trial.yaml"
    path.write_text(text, encoding="utf-8")
    return [str(p) for p in check_file(path).problems]


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def one_problem(tmp_path: Path, text: str, needle: str, message: str) -> str:
    """Exactly one problem, on the line holding ``needle``, saying ``message``."""
    found = problems(tmp_path, text)
    assert len(found) == 1, found
    assert f"trial.yaml:{line_of(text, needle)}:" in found[0], found
    assert message in found[0], found
    return found[0]


def carrier(kind: str, *events: dict, facts: dict | None = None) -> ir.Carrier:
    data: dict = {"id": "c", "name": "c", "kind": kind, "events": list(events)}
    if facts:
        data["facts"] = facts
    return ir.Carrier.from_dict(data)


def both(c: ir.Carrier, ruleset: ir.Ruleset, as_of: str) -> ir.Evaluation:
    """The evaluation on the native engine, checked equal to the durable engine's."""
    native = ir.evaluate(c, ruleset, as_of)
    durable = ir.evaluate(c, ruleset, as_of, engine="durable")
    assert [(d.rule, d.status, d.reason, d.amount, d.payable_on, d.events) for d in native.awards + native.pending + native.not_awarded] \
        == [(d.rule, d.status, d.reason, d.amount, d.payable_on, d.events) for d in durable.awards + durable.pending + durable.not_awarded]
    return native


# --- 17, 38: rules counting themselves -------------------------------------------------------------


def test_a_top_up_counting_itself_is_refused_and_told_to_repeat(tmp_path):
    text = edited(XIAN_TEXT, ("counts: [first-award]", "counts: [first-award, national-top-up]"))
    found = one_problem(tmp_path, text, "counts: [first-award, national-top-up]", "national-top-up -> national-top-up")
    assert "repeat: true" in found


def test_a_clawback_recovering_itself_or_a_circle_of_top_ups_is_refused(tmp_path):
    text = edited(XIAN_TEXT, ("recovers: [first-award, national-top-up, operating-subsidy]", "recovers: [first-award, clawback]"))
    one_problem(tmp_path, text, "recovers: [first-award, clawback]", "clawback -> clawback")


def test_counting_a_clawback_is_refused_since_it_awards_nothing(tmp_path):
    text = edited(XIAN_TEXT, ("counts: [first-award]", "counts: [first-award, clawback]"),
                  ("recovers: [first-award, national-top-up, operating-subsidy]", "recovers: [first-award, operating-subsidy]"))
    one_problem(tmp_path, text, "counts: [first-award, clawback]", "'clawback' is a clawback rule: it awards nothing")


LADDER = edited(XIAN_TEXT, (
    "  national: {zh: 国家级, en: national (filing with MOST)}",
    "  provincial: {zh: 省级, en: provincial}\n  national: {zh: 国家级, en: national (filing with MOST)}",
), (
    """    match: {type: filed, level: national}
    within: {duration: {years: 3}, of: {type: accredited, level: municipal}}
    target: 1000000
    counts: [first-award]""",
    """    match: {type: [accredited, filed]}
    target: {by: level, values: {municipal: 200000, provincial: 400000, national: 500000}}
    repeat: true""",
), new_id="ladder-trial")


def test_a_ladder_differential_is_one_top_up_that_repeats_each_step_paying_the_difference():
    # 逐级获得认定的,奖励差额部分 (20万, 40万, 50万 by level;累计不超过50万元)
    ruleset = ir.parse_ruleset(LADDER)
    c = carrier("maker_space",
                {"date": "2016-05-01", "type": "accredited", "level": "municipal"},
                {"date": "2018-05-01", "type": "accredited", "level": "provincial"},
                {"date": "2019-05-01", "type": "filed", "level": "national"},
                {"date": "2020-05-01", "type": "accredited", "level": "municipal"})
    ev = both(c, ruleset, "2021-01-01")
    ladder = [(d.amount, d.events[0]) for d in ev.awards if d.rule == "national-top-up"]
    assert ladder == [(200000, "2016-05-01-accredited-municipal"), (200000, "2018-05-01-accredited-provincial"),
                      (100000, "2019-05-01-filed-national")]
    assert sum(a for a, _ in ladder) == 500000
    later = [d for d in ev.not_awarded if d.rule == "national-top-up"]
    assert [d.reason for d in later] == ["nothing_to_top_up"]


# --- 34: a band or a move-in date read from a fact of the wrong type -----------------------------


@pytest.mark.parametrize("before, after, message", [
    ("    by: annual_sales_yuan", "    by: firm", "'firm' is a text fact; bands need a number or amount fact (annual_sales_yuan"),
    ("moved_in_after: {fact: completed_on,", "moved_in_after: {fact: floor_area_m2,",
     "'floor_area_m2' is not a date fact; moved_in_after counts from one of: approved_on, completed_on"),
])
def test_a_band_or_a_move_in_date_from_a_fact_of_the_wrong_type_is_refused(tmp_path, before, after, message):
    one_problem(tmp_path, edited(WUCHANG_TEXT, (before, after)), after.strip(), message)


# --- 18, 19, 20: tables by grade, level or kind --------------------------------------------------


@pytest.mark.parametrize("before, after, needle, message", [
    ("evenly_spaced: {by: grade, values: {pass: 100000, good: 200000", "evenly_spaced: {by: grade, values: {pass: 100000, god: 200000",
     "god: 200000", "unknown grade 'god' (did you mean 'good'?)"),
    ("    amount: 300000\n", "    amount: {by: level, values: {muncipal: 300000}}\n",
     "muncipal: 300000", "unknown level 'muncipal' (did you mean 'municipal'?)"),
    ("    amount: 300000\n", "    amount: {by: kind, values: {makerspace: 300000}}\n",
     "makerspace: 300000", "unknown kind 'makerspace' (did you mean 'maker_space'?)"),
    ("evenly_spaced: {by: grade, values: {pass: 100000, good: 200000, excellent: 300000}}", "evenly_spaced: {by: grade, values: {}}",
     "evenly_spaced: {by: grade, values: {}}", "an empty table of values pays nothing"),
])
def test_a_table_by_grade_level_or_kind_names_only_known_values(tmp_path, before, after, needle, message):
    one_problem(tmp_path, edited(XIAN_TEXT, (before, after)), needle, message)


@pytest.mark.parametrize("where, before, after", [
    ("match", "match: {type: filed, level: national}", "match: {type: filed, level: provincial}"),
    ("values", "    amount: 300000\n", "    amount: {by: level, values: {provincial: 300000}}\n"),
])
def test_a_level_the_ruleset_does_not_declare_is_refused(tmp_path, where, before, after):
    text = edited(XIAN_TEXT, (before, after))
    one_problem(tmp_path, text, after.strip().split("\n")[0], "'provincial' is not among this ruleset's levels (municipal, national)")


# --- 21: a reversed window ------------------------------------------------------------------------


def test_a_window_that_ends_before_it_starts_is_refused(tmp_path):
    text = edited(XIAN_TEXT, ("    once_per: carrier\n", "    once_per: carrier\n    window: {from: 2020-01-01, to: 2019-01-01}\n"))
    one_problem(tmp_path, text, "window: {from: 2020-01-01", "the window ends (2019-01-01) before it starts (2020-01-01)")


# --- 22: a percentage of an amount the event does not have ----------------------------------------


def test_a_percentage_of_the_amount_of_an_accreditation_is_refused(tmp_path):
    text = edited(XIAN_TEXT, ("    amount: 300000\n", "    amount: {percent: 33.333, of: amount}\n"))
    one_problem(tmp_path, text, "of: amount}", "of: amount takes the amount of accredited events, which have none")


def test_a_sum_of_events_without_an_amount_is_refused(tmp_path):
    text = edited(XIAN_TEXT, ("    amount: 300000\n", "    amount: {percent: 50, of: {sum_of: {type: accredited}}}\n"))
    one_problem(tmp_path, text, "sum_of: {type: accredited}", "sum_of adds the amount of accredited events, which have none")


def test_an_event_without_an_amount_is_refused_as_no_amount_not_awarded_zero_yuan():
    text = edited(XIAN_TEXT, (
        "    match: {type: accredited, level: municipal, kind: [maker_space, star_innovation_space]}\n    amount: 300000\n",
        "    match: [{type: accredited, level: municipal}, {type: investment}]\n    amount: {percent: 10, of: amount}\n",
    ))
    ruleset = ir.parse_ruleset(text)
    c = carrier("maker_space", {"date": "2016-05-01", "type": "accredited", "level": "municipal"},
                {"date": "2016-06-01", "type": "investment", "category": "hardware", "amount": 500000})
    ev = both(c, ruleset, "2017-01-01")
    first = sorted((d for d in ev.awards + ev.not_awarded if d.rule == "first-award"), key=lambda d: d.events[0])
    assert [(d.events[0], d.status, d.reason, d.amount) for d in first] == [
        ("2016-05-01-accredited-municipal", "not_awarded", "no_amount", 0), ("2016-06-01-investment", "awarded", "awarded", 50000)]


def test_an_amount_of_zero_from_a_table_is_a_refusal():
    text = edited(XIAN_TEXT, ("pass: 100000, good: 200000, excellent: 300000}}\n        range",
                              "pass: 0, good: 200000, excellent: 300000}}\n        range"))
    ruleset = ir.parse_ruleset(text)
    c = carrier("maker_space", {"date": "2016-05-01", "type": "accredited", "level": "municipal"},
                {"date": "2018-03-01", "type": "evaluated", "level": "municipal", "year": 2017, "grade": "pass"})
    ev = both(c, ruleset, "2019-01-01")
    assert not [d for d in ev.awards if d.amount == 0]
    assert [d.reason for d in ev.not_awarded if d.rule == "operating-subsidy"] == ["no_amount"]


# --- 23: money written as a float -------------------------------------------------------------------


@pytest.mark.parametrize("written", ["3e5", "300000.0", "900719925474.0"])
def test_an_amount_written_as_a_float_is_refused_as_not_written_as_digits(tmp_path, written):
    text = edited(XIAN_TEXT, ("    amount: 300000\n", f"    amount: {written}\n"))
    one_problem(tmp_path, text, f"amount: {written}", "expected a whole number of yuan written as digits")


# --- 25, 35: filter values and facts of the registry's type and unit --------------------------------


@pytest.mark.parametrize("match, message", [
    ("{type: tenancy, fields: {tech_firm: 'yes'}}", "tech_firm is a bool fact: expected true or false, got 'yes'"),
    ("{type: tenancy, fields: {area_m2: '100'}}", "area_m2 is a number fact: expected a number, got '100'"),
    ("{type: firm_certified, at_least: {certification: 5}}", "'certification' is a text fact: at_least needs a number"),
    ("{type: tenancy, level: national}", "tenancy events have no level: this filter would never match"),
    ("{type: filed, level: national, grade: excellent}", "filed events have no grade: this filter would never match"),
    ("{type: filed, level: national, carrier: {floor_area_m2: big}}", "floor_area_m2 is a number fact: expected a number, got 'big'"),
])
def test_a_filter_that_could_never_match_is_refused(tmp_path, match, message):
    text = edited(XIAN_TEXT, ("match: {type: filed, level: national}", f"match: {match}"))
    one_problem(tmp_path, text, f"match: {match}", message)


@pytest.mark.parametrize("before, after, message", [
    ("basis: {area: {fact: accredited_area_m2, max: 1000}}", "basis: {area: {fact: rent_per_m2_month, max: 1000}}",
     "'rent_per_m2_month' is in yuan/m2/month, not an area in m2"),
    ("rate: {fact: rent_per_m2_month, max: 80}", "rate: {fact: floor_area_m2, max: 80}",
     "'floor_area_m2' is in m2, not a rate in yuan/m2/month"),
])
def test_a_fact_of_the_wrong_unit_is_refused(tmp_path, before, after, message):
    text = edited(WUCHANG_TEXT, (before, after))
    one_problem(tmp_path, text, after, message)


# --- 36, 13: per-period lists and rates --------------------------------------------------------------


@pytest.mark.parametrize("before, after, message", [
    ("percent: [100, 50, 50]", "percent: [100, 50]", "percent gives 2 values for 3 periods"),
    ("percent: [100, 50, 50]", "percent: [100, 50, 50, 50]", "percent gives 4 values for 3 periods"),
    ("rate: [18, 15]  #", "rate: [18]  #", "rate gives 1 value for 2 periods"),
    ("rate: [18, 15]  #", "rate: [18, 15, 12]  #", "rate gives 3 values for 2 periods"),
    ("doubled: [36, 30], plain: [18, 15]", "doubled: [36, 30], plain: [18]", "rate gives 1 value for 2 periods"),
    ("periods: {calendar_years: true}  #", "periods: {calendar_years: true, length: {months: 12}, count: 2}  #",
     "give calendar_years or a length, not both"),
])
def test_a_per_period_list_of_the_wrong_length_is_refused(tmp_path, before, after, message):
    text = edited(WUCHANG_TEXT, (before, after))
    one_problem(tmp_path, text, after.split("#")[0].strip(), message)


def test_an_area_basis_without_a_rate_is_refused(tmp_path):
    text = edited(WUCHANG_TEXT, ("    rate: {fact: rent_per_m2_month, max: 80}  # 补贴房租单价不超过80元/m/月 (the rent base is capped first)\n", ""))
    one_problem(tmp_path, text, "id: maker-space-rent", "an area basis needs a rate")


QUANZHOU_RULE = """
  - id: new-build
    kind: periodic_subsidy
    title: {zh: 新建孵化器一次性补助, en: one-time subsidy for a new incubator by floor area}
    clauses: [wc-level]
    from: {type: accredited, kind: incubator}
    periods: {length: {months: 1}, count: 1}
    basis: {area: {fact: floor_area_m2}}
    rate: [30]
    cap: 1000000
"""


@pytest.mark.parametrize("rate", ["[30]", "30"])
def test_an_area_basis_with_a_rate_per_period_pays_area_times_rate(rate):
    # 按30元/平方米的标准给予一次性补助,最高补助100万元: 20,000 m2 x 30 = 600,000 (one one-month period)
    text = edited(WUCHANG_TEXT, ("\nrules:\n", "\nrules:\n" + QUANZHOU_RULE.replace("rate: [30]", f"rate: {rate}")))
    ruleset = ir.parse_ruleset(text)
    c = carrier("incubator", {"date": "2014-03-01", "type": "accredited", "level": "municipal"}, facts={"floor_area_m2": 20000})
    ev = both(c, ruleset, "2015-01-01")
    assert [(d.amount, d.payable_on) for d in ev.awards if d.rule == "new-build"] == [(600000, datetime.date(2014, 4, 1))]


# --- 26: a subsidy year from 29 February ---------------------------------------------------------------


def test_a_rent_subsidy_year_from_29_february_counts_twelve_months():
    ruleset = ir.load_ruleset("wuhan-wuchang-2020")
    park = carrier("incubator", {"date": "2020-02-29", "type": "accredited", "level": "district"},
                   {"date": "2020-02-29", "type": "tenancy", "firm": "T1", "from": "2020-02-29", "to": "2022-02-28",
                    "area_m2": 100, "tech_firm": True})
    ev = both(park, ruleset, "2023-01-01")
    # hand: year 1 100 m2 x 18 x 12 = 21,600 payable 2021-02-28; year 2 100 x 15 x 12 = 18,000 payable 2022-02-28
    assert [(d.amount, d.payable_on) for d in ev.awards if d.rule == "park-rent"] == [
        (21600, datetime.date(2021, 2, 28)), (18000, datetime.date(2022, 2, 28))]
    space = carrier("maker_space", {"date": "2020-02-29", "type": "accredited", "level": "district"},
                    facts={"accredited_area_m2": 100, "rent_per_m2_month": 50, "built_by": "social_body"})
    ev = both(space, ruleset, "2024-01-01")
    # hand: 100 x 50 x 12 = 60,000, then half of it twice
    assert [d.amount for d in ev.awards if d.rule == "maker-space-rent"] == [60000, 30000, 30000]


@given(st.dates(datetime.date(2000, 1, 1), datetime.date(2040, 12, 31)), st.integers(1, 36))
def test_whole_months_counts_the_months_a_calendar_duration_holds(start, n):
    from dateutil.relativedelta import relativedelta
    from incubator_rules.kinds.periodic_subsidy import whole_months
    end = start + relativedelta(months=n)
    assert whole_months(start, end) == n
    assert whole_months(start, end - datetime.timedelta(days=1)) == n - 1


# --- 27: a top-up and a clawback after caps ---------------------------------------------------------


def capped(caps: str) -> ir.Ruleset:
    return ir.parse_ruleset(edited(XIAN_TEXT) + "\ncaps:\n" + caps)


def test_a_clawback_recovers_what_was_awarded_after_the_yearly_cap():
    ruleset = capped("  op-cap: {rules: [operating-subsidy], per: year, max: 150000, clause: xa-operating}\n")
    c = carrier("maker_space", {"date": "2016-05-01", "type": "accredited", "level": "municipal"},
                {"date": "2018-03-01", "type": "evaluated", "level": "municipal", "year": 2017, "grade": "good"},
                {"date": "2019-03-01", "type": "evaluated", "level": "municipal", "year": 2018, "grade": "fail"},
                {"date": "2020-03-01", "type": "evaluated", "level": "municipal", "year": 2019, "grade": "fail"})
    ev = both(c, ruleset, "2021-01-01")
    assert [(d.rule, d.amount) for d in ev.awards] == [("first-award", 300000), ("operating-subsidy", 150000), ("clawback", -450000)]
    assert ev.awards[-1].events[0] == "2020-03-01-evaluated-municipal"  # the evaluation that triggers it first


def test_a_top_up_reaches_its_target_net_of_a_capped_award():
    ruleset = capped("  first-cap: {rules: [first-award], per: carrier, max: 200000, clause: xa-first}\n")
    c = carrier("maker_space", {"date": "2016-05-01", "type": "accredited", "level": "municipal"},
                {"date": "2018-05-01", "type": "filed", "level": "national"})
    ev = both(c, ruleset, "2021-01-01")
    assert [(d.rule, d.amount) for d in ev.awards] == [("first-award", 200000), ("national-top-up", 800000)]
    assert sum(d.amount for d in ev.awards) == 1000000  # 一次性补足100万元


GRADES = ["excellent", "good", "pass", "fail"]


@st.composite
def xian_histories(draw: st.DrawFn) -> ir.Carrier:
    events = [{"date": "2016-05-01", "type": "accredited", "level": "municipal"}]
    grades = draw(st.lists(st.sampled_from(GRADES), min_size=0, max_size=6))
    for i, grade in enumerate(grades):
        events.append({"date": f"{2018 + i}-03-01", "type": "evaluated", "level": "municipal", "year": 2017 + i, "grade": grade})
    if draw(st.booleans()):
        events.append({"date": draw(st.sampled_from(["2017-06-01", "2019-04-01", "2020-06-01"])), "type": "filed", "level": "national"})
    return carrier("maker_space", *events)


CAP_SETS = st.lists(st.tuples(st.sampled_from(["first-award", "operating-subsidy", "national-top-up"]),
                              st.sampled_from(["carrier", "year"]), st.integers(1, 12).map(lambda k: k * 50000)),
                    min_size=1, max_size=3)


def cap_text(caps: list[tuple[str, str, int]]) -> str:
    clause = {"first-award": "xa-first", "operating-subsidy": "xa-operating", "national-top-up": "xa-topup"}
    return "".join(f"  cap-{i}: {{rules: [{r}], per: {per}, max: {mx}, clause: {clause[r]}}}\n" for i, (r, per, mx) in enumerate(caps))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(xian_histories(), CAP_SETS)
def test_under_any_caps_a_clawback_never_recovers_more_than_was_awarded_and_a_top_up_never_overshoots(c, caps):
    ev = ir.evaluate(c, capped(cap_text(caps)), "2026-01-01")
    for back in (d for d in ev.awards if d.rule == "clawback"):
        paid = sum(d.amount for d in ev.awards if d.rule != "clawback" and d.payable_on <= back.payable_on)
        assert 0 < -back.amount <= paid
    topped = [d for d in ev.awards if d.rule == "national-top-up"]
    for top in topped:
        first = sum(d.amount for d in ev.awards if d.rule == "first-award" and d.payable_on <= top.payable_on)
        assert first + top.amount <= 1000000
        if not any(r == "national-top-up" for r, _, _ in caps):  # uncut, the top-up brings the award to its target
            assert first + top.amount == 1000000


# --- 2: a reading bound to nothing ---------------------------------------------------------------------


def test_a_reading_bound_to_no_rule_is_refused(tmp_path):
    text = edited(XIAN_TEXT, ("readings:\n", """readings:
  three_excellent:
    question: Three excellent years in one cycle, or ever?
    default: in_cycle
    alternatives:
      in_cycle: within one three-year cycle.
      ever: any three excellent years.
"""))
    one_problem(tmp_path, text, "question: Three excellent years", "reading 'three_excellent' is bound to no rule")


# --- 8: the triggering event first --------------------------------------------------------------------------


def test_an_award_within_a_window_of_an_anchor_names_the_event_that_triggered_it_first():
    text = edited(XIAN_TEXT, ("    once_per: carrier\n", "    once_per: carrier\n"))
    ruleset = ir.parse_ruleset(text)
    c = carrier("maker_space", {"date": "2016-05-01", "type": "accredited", "level": "municipal"},
                {"date": "2018-05-01", "type": "filed", "level": "national"})
    ev = both(c, ruleset, "2021-01-01")
    top = next(d for d in ev.awards if d.rule == "national-top-up")
    assert top.events == ("2018-05-01-filed-national", "2016-05-01-accredited-municipal")


def test_a_misspelt_rule_kind_gets_a_did_you_mean(tmp_path):
    text = edited(XIAN_TEXT, ("    kind: clawback\n", "    kind: clawbak\n"))
    one_problem(tmp_path, text, "kind: clawbak", "unknown rule kind 'clawbak' (did you mean 'clawback'?)")


@pytest.mark.parametrize("before, after", [
    ("basis: {tenancies: {fields: {tech_firm: true}}}", "basis: {tenancies: [tech_firm]}"),
    ("basis: {tenancies: {fields: {tech_firm: true}}}", "basis: {tenancie: 5}"),
    ("multiplier: {when: {fields: {strategic_emerging: true}, at_least: {paid_in_capital_yuan: 3000000}}, factor: 2}",
     "multiplier: {when: strategic_emerging, factor: 2}"),
])
def test_a_basis_or_multiplier_that_is_not_a_filter_is_a_located_problem_not_a_traceback(tmp_path, before, after):
    found = problems(tmp_path, edited(WUCHANG_TEXT, (before, after)))
    assert found and all(f"trial.yaml:{line_of(edited(WUCHANG_TEXT, (before, after)), after)}:" in p for p in found), found


@pytest.mark.parametrize("path, before, after", [
    ("tests/rulesets/quanzhou-incubator-2013.yaml", "per: floor_area_m2, max: 1000000", "per: floor_area_m2, max: 0"),
    ("tests/rulesets/fuzhou-maker-space-2017.yaml", "per: carrier, max: 400000", "per: carrier, max: 0"),
    ("rulesets/wuhan-wuchang-2020.yaml", "total_cap: 500000", "total_cap: 0"),
    ("rulesets/wuhan-wuchang-2020.yaml", "cap: 200000", "cap: 0"),
])
def test_a_ceiling_of_0_yuan_is_refused_since_it_could_never_pay(tmp_path, path, before, after):
    text = edited((ROOT / path).read_text(encoding="utf-8"), (before, after))
    one_problem(tmp_path, text, after, "a ceiling of 0 yuan pays nothing")


def test_a_ceiling_table_may_still_hold_0_for_the_values_it_shuts_out(tmp_path):
    assert "default: 0}}" in WUCHANG_TEXT
    assert problems(tmp_path, edited(WUCHANG_TEXT)) == []
