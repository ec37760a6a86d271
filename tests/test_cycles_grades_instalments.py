"""Cycles anchored on each carrier, the grade of the year before, conditional instalments, and what `check` and
`test --coverage` say about them: Tianjin's, Zhuhai's and Fuzhou's policies as the maintainer trial wrote them."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import incubator_rules as ir
from incubator_rules.errors import RulesetError
from incubator_rules.tools.caserun import clause_coverage
from incubator_rules.tools.cases import load_cases, run_case
from incubator_rules.tools.check import check_file
from incubator_rules.model.jsonlines import evaluation_bytes
from incubator_rules.views.tables import evaluation_tables
from incubator_rules.views.text import format_evaluation

ROOT = Path(__file__).resolve().parent.parent
RULESETS = ROOT / "tests" / "rulesets"
TIANJIN_TEXT = (RULESETS / "tianjin-maker-space-2017.yaml").read_text(encoding="utf-8")
ZHUHAI_TEXT = (RULESETS / "zhuhai-hitech-carrier-hte-2022.yaml").read_text(encoding="utf-8")
FUZHOU_TEXT = (RULESETS / "fuzhou-incubation-demo-base-2020.yaml").read_text(encoding="utf-8")
TIANJIN = ir.parse_ruleset(TIANJIN_TEXT)
ZHUHAI = ir.parse_ruleset(ZHUHAI_TEXT)
FUZHOU = ir.parse_ruleset(FUZHOU_TEXT)
ENGINES = ("native", "durable")
GRADES = ("excellent", "good", "pass", "fail")
DESIGNATION = "创业孵化示范基地"
REVIEW = "示范基地复评"


def carrier(kind: str, *events: dict) -> ir.Carrier:
    return ir.Carrier.from_dict({"id": "c", "name": "c", "kind": kind, "events": list(events)})


def evaluations(first_year: int, grades, level: str = "municipal") -> list[dict]:
    return [{"id": f"e{first_year + i}", "date": f"{first_year + i + 1}-03-15", "type": "evaluated", "level": level,
             "year": first_year + i, "grade": g} for i, g in enumerate(grades)]


def refused(text: str, old: str, new: str) -> str:
    assert old in text
    with pytest.raises(RulesetError) as caught:
        ir.parse_ruleset(text.replace(old, new, 1))
    return str(caught.value)


# --- 以三年为一个周期: each space's own cycles --------------------------------------------------------


def tianjin_space(filed_year: int, grades) -> ir.Carrier:
    return carrier("maker_space", {"id": "f", "date": f"{filed_year}-09-01", "type": "filed", "level": "municipal"},
                   *evaluations(filed_year + 1, grades))


@settings(max_examples=60, deadline=None)
@given(grades=st.lists(st.sampled_from(GRADES), min_size=1, max_size=9), filed=st.integers(2017, 2030),
       shift=st.integers(1, 6))
def test_a_space_filed_later_earns_what_an_earlier_one_did_for_the_same_record_cycles_are_its_own(grades, filed, shift):
    """The cycles start from each space's first evaluation, so the same record of grades earns the same awards,
    only years later, whenever the space was filed (cycles counted from one fixed date would not)."""
    def paid(year: int) -> list[tuple[str, int, int]]:
        ev = ir.evaluate(tianjin_space(year, grades), TIANJIN, f"{year + len(grades) + 2}-12-31")
        return [(d.rule, d.amount, d.payable_on.year - year) for d in ev.awards]

    assert paid(filed) == paid(filed + shift)


@settings(max_examples=60, deadline=None)
@given(grades=st.lists(st.sampled_from(GRADES), min_size=1, max_size=9))
def test_the_further_award_is_paid_for_each_cycle_all_excellent_and_no_other(grades):
    ev = ir.evaluate(tianjin_space(2017, grades), TIANJIN, "2035-12-31")
    cycles = [grades[i:i + 3] for i in range(0, len(grades), 3)]
    expected = [2018 + 3 * i + 2 for i, c in enumerate(cycles) if c == ["excellent"] * 3]
    assert [d.payable_on.year - 1 for d in ev.awards if d.rule == "three-excellent"] == expected
    # 首次获评优秀的,一次性给予20万元: once, on the first excellent year
    first = [d.amount for d in ev.awards if d.rule == "first-excellent"]
    assert first == ([200000] if "excellent" in grades else [])


def test_without_its_anchor_event_a_carrier_has_no_cycle_and_nothing_is_counted():
    text = TIANJIN_TEXT.replace("from: {type: evaluated, level: municipal}", "from: {type: filed, level: national}")
    ruleset = ir.parse_ruleset(text.replace('version: "0.2.0"', 'version: "0.2.1"'))
    ev = ir.evaluate(tianjin_space(2017, ["excellent"] * 3), ruleset, "2022-12-31")
    assert [d.rule for d in ev.awards] == ["first-excellent"]
    assert {d.reason for d in ev.not_awarded if d.rule == "three-excellent"} == {"outside_window"}


def test_the_nth_ever_and_n_in_a_cycle_cannot_be_given_together():
    message = refused(TIANJIN_TEXT, "    amount: 300000\n", "    amount: 300000\n    occurrence: 3\n")
    assert "give either occurrence (the N-th matching event ever) or occurrences" in message


def test_a_cycle_anchor_is_a_filter_checked_like_any_other():
    message = refused(TIANJIN_TEXT, "from: {type: evaluated, level: municipal}", "from: {type: evaluatd, level: municipal}")
    assert "did you mean 'evaluated'" in message
    message = refused(TIANJIN_TEXT, "in_cycle: {count: 3, cycle: {years: 3}, from: {type: evaluated, level: municipal}}",
                      "in_cycle: {count: 3, from: {type: evaluated, level: municipal}}")
    assert "'from' is the start of the first cycle: give 'cycle' too" in message


def test_the_not_this_occurrence_refusal_says_it_counts_from_the_first_ever():
    text = TIANJIN_TEXT.replace("""    occurrences:
      reading: three_excellent
      values:
        in_cycle: {count: 3, cycle: {years: 3}, from: {type: evaluated, level: municipal}}
        ever: {count: 3}
""", "    occurrence: 3\n").replace("""readings:
  three_excellent:""", """unused:
  three_excellent:""")
    text = text[:text.index("unused:")] + text[text.index("rules:"):]
    ev = ir.evaluate(tianjin_space(2017, ["excellent", "excellent"]), ir.parse_ruleset(text), "2021-12-31")
    refusal = next(d for d in ev.not_awarded if d.rule == "three-excellent")
    assert "occurrence 1 ever" in refusal.explanation_en and "自始累计" in refusal.explanation_zh


# --- 上一年度运营评价结果: the grade of the year before ---------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(grades=st.dictionaries(st.integers(2019, 2022), st.sampled_from(("excellent", "pass", "fail")), max_size=4),
       month=st.integers(1, 12), engine=st.sampled_from(ENGINES))
def test_the_rate_is_the_one_of_the_grade_for_the_year_before_the_certification_and_no_other_year(grades, month, engine):
    events = [{"id": f"e{y}", "date": f"{y + 1}-03-01", "type": "evaluated", "level": "district", "year": y, "grade": g}
              for y, g in grades.items()]
    events.append({"id": "a", "date": f"2022-{month:02d}-10", "type": "firm_certified", "firm": "f",
                   "certification": "high_tech_first"})
    ev = ir.evaluate(carrier("incubator", *events), ZHUHAI, "2023-12-31", engine=engine)
    grade = grades.get(2021)
    expected = {"excellent": [("hte-excellent-carrier", 50000)], "pass": [("hte-pass-carrier", 30000)]}.get(grade, [])
    assert [(d.rule, d.amount) for d in ev.awards] == expected
    for d in ev.awards:  # payable once both the certification and the grade are known
        assert d.payable_on == max(datetime.date(2022, month, 10), datetime.date(2022, 3, 1))
        assert d.events == ("a", "e2021")
    if grade is None:
        assert {d.reason for d in ev.pending} == {"grade_pending"} and ev.total == 0
    if grade == "fail":
        assert {c.clause for d in ev.not_awarded for c in d.citations} >= {"zh-fail"}


def test_graded_is_checked_with_its_line():
    assert "did you mean 'excellent'" in refused(ZHUHAI_TEXT, "grade: excellent, clause", "grade: excelent, clause")
    assert "did you mean 'previous'" in refused(ZHUHAI_TEXT, "graded: {year: previous, level: district, grade: excellent",
                                                "graded: {year: previus, level: district, grade: excellent")
    assert "unknown clause 'zh-fial'" in refused(ZHUHAI_TEXT, "grade: excellent, clause: zh-fail", "grade: excellent, clause: zh-fial")
    assert "'national' is not among this ruleset's levels" in refused(
        ZHUHAI_TEXT, "graded: {year: previous, level: district, grade: excellent", "graded: {year: previous, level: national, grade: excellent")


# --- 授牌当年拨付10万元,第二年、第三年复评合格分别再拨付10万元 -------------------------------------------------


def demo_base(reviews: dict[int, str]) -> ir.Carrier:
    events = [{"id": "d", "date": "2020-12-01", "type": "designated", "level": "municipal", "designation": DESIGNATION}]
    events += [{"id": f"r{y}", "date": f"{y}-11-15", "type": "task_result", "level": "municipal", "task": REVIEW,
                "grade": g} for y, g in sorted(reviews.items())]
    return carrier("incubator", *events)


@settings(max_examples=80, deadline=None)
@given(reviews=st.dictionaries(st.integers(2021, 2023), st.sampled_from(GRADES), max_size=3),
       engine=st.sampled_from(ENGINES))
def test_once_an_instalment_is_lost_no_later_one_is_paid_and_each_paid_one_is_a_third(reviews, engine):
    ev = ir.evaluate(demo_base(reviews), FUZHOU, "2024-06-30", engine=engine)
    paid = sorted(d.instalment.number for d in ev.awards)
    passes = 1
    for year in (2021, 2022):  # 第二年、第三年 after a designation in 2020
        if reviews.get(year, "fail") == "fail":
            break
        passes += 1
    assert paid == list(range(1, passes + 1))
    assert ev.total == 100000 * passes and not ev.pending
    assert all(d.amount == 100000 and d.events[0] == "d" for d in ev.awards)
    lost = sorted(d.instalment.number for d in ev.not_awarded if d.instalment is not None)
    assert lost == list(range(passes + 1, 4))


def test_a_condition_met_before_the_instalment_falls_due_pays_it_on_the_due_date():
    text = FUZHOU_TEXT.replace("        - share: \"1/3\"\n          in_year: 2\n",
                               "        - share: \"1/3\"\n          in_year: 2\n          after: {years: 1}\n")
    ruleset = ir.parse_ruleset(text.replace('version: "0.2.0"', 'version: "0.2.1"'))
    ev = ir.evaluate(demo_base({2021: "pass"}), ruleset, "2022-06-30")
    second = next(d for d in ev.awards if d.instalment.number == 2)
    assert second.payable_on == datetime.date(2021, 12, 1)  # passed 2021-11-15, due a year after 2020-12-01
    assert second.instalment.due_on == datetime.date(2021, 12, 1)


def test_anniversary_years_count_from_the_award_date():
    text = FUZHOU_TEXT.replace("years: calendar ", "years: anniversary ")
    ruleset = ir.parse_ruleset(text.replace('version: "0.2.0"', 'version: "0.2.1"'))
    # 2021-11-15 falls in the first year from 2020-12-01, so it decides nothing; 2022-11-15 is in the second year
    ev = ir.evaluate(demo_base({2021: "pass", 2022: "pass"}), ruleset, "2024-06-30")
    assert [(d.instalment.number, d.payable_on) for d in ev.awards] == [
        (1, datetime.date(2020, 12, 1)), (2, datetime.date(2022, 11, 15))]


def test_schedule_forms_are_checked_with_their_lines():
    assert "did you mean 'stop'" in refused(FUZHOU_TEXT, "on_failure: stop", "on_failure: stp")
    assert "did you mean 'calendar'" in refused(FUZHOU_TEXT, "years: calendar ", "years: calender ")
    assert "expected the number of a year of the schedule" in refused(FUZHOU_TEXT, "in_year: 2", "in_year: 0")
    assert "this one's year is before an earlier one's" in refused(FUZHOU_TEXT, "in_year: 3", "in_year: 1")
    assert "unknown clause 'db-fial'" in refused(FUZHOU_TEXT, "refusal_clause: db-fail", "refusal_clause: db-fial")
    without = FUZHOU_TEXT.replace(
        "          requires: {type: task_result, level: municipal, fields: {task: 示范基地复评}, grade: [pass, good, excellent]}\n", "", 1)
    with pytest.raises(RulesetError, match="give requires too"):
        ir.parse_ruleset(without)


def test_instalments_listed_out_of_order_of_their_delays_are_refused():
    text = (RULESETS / "language-forms.yaml").read_text(encoding="utf-8")
    old = '{share: "1/3", after: {years: 1}'
    assert old in text
    with pytest.raises(RulesetError, match="this one's delay is shorter than an earlier one's"):
        ir.parse_ruleset(text.replace(old, '{share: "1/3", after: {years: 3}', 1))


# --- the instalment on the decision, in JSON, JSON Lines, text and tables -----------------------------------


def test_an_instalment_says_which_it_is_in_every_output_and_a_whole_award_has_no_instalment_key():
    ev = ir.evaluate(demo_base({2021: "pass", 2022: "fail"}), FUZHOU, "2023-06-30")
    data = json.loads(ev.to_json())
    assert [d["instalment"] for d in data["awards"]] == [
        {"number": 1, "of": 3, "share": "1/3", "due_on": "2020-12-01"},
        {"number": 2, "of": 3, "share": "1/3", "due_on": "2021-01-01"},
    ]
    assert ir.Evaluation.from_json(ev.to_json()) == ev
    assert evaluation_bytes(ev) == ev.to_json(indent=None).encode("utf-8") + b"\n"
    whole = ir.evaluate(tianjin_space(2017, ["excellent"]), TIANJIN, "2020-12-31")
    assert all("instalment" not in d for d in json.loads(whole.to_json())["awards"])
    assert evaluation_bytes(whole) == whole.to_json(indent=None).encode("utf-8") + b"\n"
    assert "instalment 2/3 (1/3, due 2021-01-01)" in format_evaluation(ev)
    table = evaluation_tables(ev)[0]
    names = [c.key for c in table.columns]
    rows = [dict(zip(names, r)) for r in table.rows]
    assert [r["instalment"] for r in rows] == ["1/3 (1/3)", "2/3 (1/3)", "3/3 (1/3)"]


def test_a_case_can_expect_an_instalment_and_a_paid_reason(tmp_path):
    path = tmp_path / "cases.yaml"
    path.write_text(f"""ruleset: {RULESETS / 'fuzhou-incubation-demo-base-2020.yaml'}
cases:
  - name: second instalment expected as the third
    as_of: 2022-06-30
    carrier:
      id: x
      name: x
      kind: incubator
      events:
        - {{id: d, date: 2020-12-01, type: designated, level: municipal, designation: {DESIGNATION}}}
        - {{id: r, date: 2021-11-15, type: task_result, level: municipal, task: {REVIEW}, grade: pass}}
    expected:
      awards:
        - {{rule: base-subsidy, instalment: 1, amount: 100000, reason: instalment_awarded}}
        - {{rule: base-subsidy, instalment: 3, amount: 100000}}
""", encoding="utf-8")
    [case] = load_cases(path)
    result = run_case(case)
    assert not result.passed
    assert any("instalment: expected 3, actual 2" in line for line in result.differences)


# --- check and coverage ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["wanzhou-2023-targets.yaml", "chongqing-dynamic-management.yaml", "upgrade-criteria.yaml"])
def test_a_reading_no_part_of_the_file_consults_is_refused_in_every_policy_file_type(tmp_path, name):
    text = (ROOT / "rulesets" / name).read_text(encoding="utf-8")
    block = "  orphan:\n    question: Which?\n    default: a\n    alternatives: {a: one, b: other}\n"
    text = text.replace("readings:\n", "readings:\n" + block, 1) if "\nreadings:\n" in text else \
        text.replace("\nclauses:", "\nreadings:\n" + block + "clauses:", 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    hits = [p for p in check_file(path).problems if "reading 'orphan' is consulted by nothing" in p.message]
    line = text.splitlines().index("  orphan:") + 1
    assert len(hits) == 1 and hits[0].line in (line, line + 1)  # the key, or where its block value starts


def test_coverage_counts_out_of_scope_clauses_apart_and_a_refusal_clause_is_exercised():
    results = [run_case(c) for f in ("tianjin-maker-space-2017", "zhuhai-hitech-carrier-hte-2022")
               for c in load_cases(ROOT / "tests" / "cases" / f"{f}.yaml")]
    by_id = {c.ruleset_id: c for c in clause_coverage(results)}
    tianjin = by_id["tianjin-maker-space-2017"]
    assert (tianjin.clauses, tianjin.missing, tianjin.out_of_scope) == (("tj-cycle",), (), ("tj-evaluation", "tj-use"))
    assert by_id["zhuhai-hitech-carrier-hte-2022"].missing == ()  # zh-fail, cited by the refusal on a failing grade


# --- the same conditions on a count_award -------------------------------------------------------------------

WUCHANG_TEXT = (ROOT / "rulesets" / "wuhan-wuchang-2020.yaml").read_text(encoding="utf-8")
PER_FIRM = "    comparison: {reading: sales_threshold, values: {at_least: at_least, above: above}}\n"


def wuchang_with(extra: str) -> ir.Ruleset:
    assert PER_FIRM in WUCHANG_TEXT
    text = WUCHANG_TEXT.replace(PER_FIRM, PER_FIRM + extra, 1).replace("id: wuhan-wuchang-2020", "id: per-firm-variant", 1)
    return ir.parse_ruleset(text)


def park(*events: dict) -> ir.Carrier:
    return ir.Carrier.from_dict({"id": "p", "name": "p", "kind": "incubator", "facts": {"park_level": "district"},
                                 "events": [{"id": "a", "date": "2020-01-10", "type": "accredited", "level": "district"},
                                            *events]})


FIRM = {"id": "f1", "date": "2022-01-20", "type": "firm_introduced", "firm": "F1", "annual_sales_yuan": 60000000}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_per_firm_award_can_wait_for_the_grade_of_the_year_before(engine):
    ruleset = wuchang_with("    graded: {year: previous, level: district, grade: [excellent, good, pass]}\n")
    before = ir.evaluate(park(FIRM), ruleset, "2022-02-28", engine=engine)
    assert [(d.rule, d.reason, d.amount, d.payable_on) for d in before.pending if d.rule == "per-firm"] == [
        ("per-firm", "grade_pending", 50000, None)]
    graded = {"id": "e21", "date": "2022-03-01", "type": "evaluated", "level": "district", "year": 2021, "grade": "pass"}
    after = ir.evaluate(park(FIRM, graded), ruleset, "2022-12-31", engine=engine)
    assert [(d.amount, d.payable_on, d.events) for d in after.awards if d.rule == "per-firm"] == [
        (50000, datetime.date(2022, 3, 1), ("f1", "e21"))]
    failed = ir.evaluate(park(FIRM, {**graded, "grade": "fail"}), ruleset, "2022-12-31", engine=engine)
    assert [d.reason for d in failed.not_awarded if d.rule == "per-firm"] == ["grade_not_met"]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_per_firm_award_can_be_paid_in_instalments(engine):
    ruleset = wuchang_with("    schedule:\n      - {share: 50}\n      - {share: 50, after: {years: 1}}\n")
    ev = ir.evaluate(park(FIRM), ruleset, "2022-12-31", engine=engine)
    mine = [d for d in ev.awards + ev.pending if d.rule == "per-firm"]
    assert [(d.instalment.number, d.amount, d.payable_on, d.status) for d in mine] == [
        (1, 25000, datetime.date(2022, 1, 20), "awarded"), (2, 25000, datetime.date(2023, 1, 20), "pending")]


# --- check: every problem of a file in one run --------------------------------------------------------------


def test_check_lists_every_broken_fact_event_and_the_history_problem_in_one_run(tmp_path):
    path = tmp_path / "carrier.yaml"
    path.write_text("""id: c1
name: c1
kind: maker_space
facts:
  accredited_area_m2: "100"
  completed_on: soon
events:
  - {id: a, date: 2020-01-01, type: accredited, level: municipal}
  - {id: a, date: 2021-01-01, type: filed, level: national}
  - {id: b, date: 2021-13-01, type: filed, level: national}
""", encoding="utf-8")
    found = [(p.line, p.message) for p in check_file(path).problems]
    assert [line for line, _ in found] == [5, 6, 9, 10]
    assert "duplicate event id 'a'" in found[2][1] and "2021-13-01" in found[3][1]


def test_check_lists_every_problem_of_one_amount_form(tmp_path):
    text = (ROOT / "rulesets" / "xian-municipal-maker-space.yaml").read_text(encoding="utf-8")
    path = tmp_path / "ruleset.yaml"
    path.write_text(text.replace("    amount: 300000\n", "    amount: {percent: 3000, of: {fact: floor_area_m2}}\n", 1)
                    .replace("id: xian-municipal-maker-space", "id: xian-copy", 1), encoding="utf-8")
    messages = [str(p) for p in check_file(path).problems]
    assert any("amount.percent: expected a percentage" in m for m in messages)
    assert any("amount.of: expected 'amount'" in m for m in messages)


# --- a withdrawal ends one designation or title, not the carrier's others -----------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_a_withdrawn_designation_is_no_longer_held_but_the_accreditation_is(engine):
    text = TIANJIN_TEXT.replace("id: tianjin-maker-space-2017", "id: held-variant", 1)
    text = text.replace("    holding: {type: filed, level: municipal}\n    amount: 200000\n",
                        "    holding: {type: designated, fields: {designation: 示范空间}}\n    amount: 200000\n", 1)
    ruleset = ir.parse_ruleset(text)
    base = [{"id": "f", "date": "2017-09-01", "type": "filed", "level": "municipal"},
            {"id": "d", "date": "2017-10-01", "type": "designated", "designation": "示范空间"}]
    grade = {"id": "e18", "date": "2019-03-15", "type": "evaluated", "level": "municipal", "year": 2018, "grade": "excellent"}
    held = ir.evaluate(carrier("maker_space", *base, grade), ruleset, "2020-12-31", engine=engine)
    assert [d.rule for d in held.awards] == ["first-excellent"]
    gone = {"id": "w", "date": "2018-06-01", "type": "withdrawn", "designation": "示范空间"}
    other = {"id": "w", "date": "2018-06-01", "type": "withdrawn", "designation": "其他"}
    withdrawn = ir.evaluate(carrier("maker_space", *base, gone, grade), ruleset, "2020-12-31", engine=engine)
    assert [d.reason for d in withdrawn.not_awarded if d.rule == "first-excellent"] == ["no_title"]
    unrelated = ir.evaluate(carrier("maker_space", *base, other, grade), ruleset, "2020-12-31", engine=engine)
    assert [d.rule for d in unrelated.awards] == ["first-excellent"]


def test_a_withdrawal_names_what_it_takes_back():
    with pytest.raises(ir.CarrierError, match="names the designation or the title it takes back"):
        carrier("incubator", {"id": "w", "date": "2022-06-01", "type": "withdrawn", "reason": "收回牌匾"})


def test_a_diff_compares_each_instalment_with_its_counterpart():
    from incubator_rules.tools.diff import carrier_change
    old = ir.evaluate(demo_base({2021: "pass", 2022: "pass"}), FUZHOU, "2023-06-30")
    text = FUZHOU_TEXT.replace("    amount: 300000\n", "    amount: 330000\n", 1).replace('version: "0.2.0"', 'version: "0.3.0"')
    new = ir.evaluate(demo_base({2021: "pass", 2022: "pass"}), ir.parse_ruleset(text), "2023-06-30")
    change = carrier_change(old, new)
    assert [(c.old.instalment.number, c.old.amount, c.new.amount) for c in change.decisions] == [
        (1, 100000, 110000), (2, 100000, 110000), (3, 100000, 110000)]


def test_with_within_the_event_that_triggered_the_award_comes_first_and_its_anchor_after():
    text = ZHUHAI_TEXT.replace("    graded: {year: previous, level: district, grade: excellent, clause: zh-fail}\n",
                               "    within: {duration: {years: 1}, of: {type: evaluated, level: district, grade: excellent}}\n", 1)
    ruleset = ir.parse_ruleset(text.replace('version: "0.2.0"', 'version: "0.2.1"'))
    ev = ir.evaluate(carrier("incubator",
                             {"id": "e21", "date": "2022-03-01", "type": "evaluated", "level": "district", "year": 2021, "grade": "excellent"},
                             {"id": "a", "date": "2022-12-10", "type": "firm_certified", "firm": "F", "certification": "high_tech_first"}),
                     ruleset, "2022-12-31")
    assert [d.events for d in ev.awards if d.rule == "hte-excellent-carrier"] == [("a", "e21")]


ACTIVITIES = "  - id: maker-space-activities\n"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_periodic_subsidy_can_pay_each_period_in_instalments_counted_from_its_end(engine):
    i = WUCHANG_TEXT.index(ACTIVITIES)
    j = WUCHANG_TEXT.find("\n  - id:", i + 1)
    block = WUCHANG_TEXT[i:j if j > 0 else len(WUCHANG_TEXT)]
    assert "periods: {calendar_years: true}" in block
    scheduled = block.replace("periods: {calendar_years: true}",
                              "periods: {calendar_years: true}\n    schedule:\n      - {share: 50}\n      - {share: 50, after: {years: 1}, unless: {type: delisted}}", 1)
    text = WUCHANG_TEXT.replace(block, scheduled).replace("id: wuhan-wuchang-2020", "id: activities-variant", 1)
    ruleset = ir.parse_ruleset(text)
    space = ir.Carrier.from_dict({"id": "m", "name": "m", "kind": "maker_space", "facts": {"built_by": "social_body"}, "events": [
        {"date": "2021-03-01", "type": "filed", "level": "district"},
        {"date": "2021-12-31", "type": "spending", "year": 2021, "category": "events", "amount": 500000, "recognised": True},
    ]})
    ev = ir.evaluate(space, ruleset, "2022-06-30", engine=engine)
    mine = [(d.instalment.number, d.amount, d.payable_on, d.status) for d in ev.awards + ev.pending if d.rule == "maker-space-activities"]
    # 30% x 500,000 = 150,000 for 2021, payable 2022-01-01: half then, the other half one year later
    assert mine == [(1, 75000, datetime.date(2022, 1, 1), "awarded"), (2, 75000, datetime.date(2023, 1, 1), "pending")]


def test_empty_forms_are_refused_not_read_as_no_condition():
    assert "give at least one grade" in refused(ZHUHAI_TEXT, "grade: excellent, clause", "grade: [], clause")
    assert "got an empty list" in refused(TIANJIN_TEXT, "from: {type: evaluated, level: municipal}", "from: []")
    assert "expected the number of a year of the schedule" in refused(FUZHOU_TEXT, "in_year: 2", "in_year: true")
    no_year = FUZHOU_TEXT.replace("          in_year: 2\n", "").replace("          in_year: 3\n", "")
    with pytest.raises(RulesetError, match="no instalment gives in_year"):
        ir.parse_ruleset(no_year)
