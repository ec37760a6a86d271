"""Dynamic management: what failed evaluations and delistings mean for a carrier's title."""

import datetime
import random

import pytest

import incubator_rules as ir
from incubator_rules.views.cli import main
from incubator_rules.errors import RulesetError
from incubator_rules.district.management import manage, with_management, withheld
from incubator_rules.files.management import load_management, parse_management
from incubator_rules.files.types import shipped_files

D = datetime.date


def carrier(kind="maker_space", *events):
    return ir.Carrier.from_dict({"id": "x", "name": "X", "kind": kind, "events": list(events)})


def filed(date, level="municipal"):
    return {"type": "filed", "date": date, "level": level}


def graded(date, grade, level="municipal", year=None):
    return {"type": "evaluated", "date": date, "level": level, "year": year or int(date[:4]) - 1, "grade": grade}


def outcomes(decisions):
    return [(d.rule, d.outcome, d.at_risk) for d in decisions]


def test_fail_rectify_pass():
    c = carrier(
        "maker_space", filed("2021-05-01"), graded("2024-03-01", "fail"),
        {"type": "rectification_ordered", "date": "2024-03-20"}, {"type": "rectification_completed", "date": "2024-07-01"},
        graded("2024-08-01", "pass", year=2023),
    )
    # After the fail: under rectification, re-assessment due within six months.
    during = manage(c, D(2024, 5, 1))
    assert [("rectification", "open", True)] == outcomes(during)
    assert D(2024, 9, 1) == during[0].due
    # After the pass: rectification passed, nothing at risk.
    after = manage(c, D(2024, 12, 31))
    assert [("rectification", "resolved", False)] == outcomes(after)
    assert ("fail-2024-03-01", "pass-2024-08-01") == _kinds(c, after[0].events)
    assert after[0].citations[0].document_number == "渝科局发〔2019〕119号"
    assert "secondary reprint" in after[0].citations[0].section


def _kinds(c, ids):
    by_id = {e.id: e for e in c.events}
    return tuple(f"{by_id[i].grade.value}-{by_id[i].date}" for i in ids)


def test_fail_fail_makes_the_title_due_for_cancellation():
    c = carrier("incubator", {"type": "accredited", "date": "2020-01-01", "level": "municipal"},
                graded("2024-03-01", "fail"), graded("2024-08-15", "fail", year=2023))
    got = manage(c, D(2024, 12, 31))
    assert [("rectification", "escalated", False), ("cancellation", "due", True)] == outcomes(got)
    assert "渝科局发〔2019〕63号" == got[1].citations[0].document_number
    assert "title due for cancellation" in got[1].explanation_en


def test_fail_fail_then_delisting_cancels_the_title_and_bars_later_awards():
    c = carrier("incubator", {"type": "accredited", "date": "2020-01-01", "level": "municipal"},
                graded("2024-03-01", "fail"), graded("2024-08-15", "fail", year=2023), {"type": "delisted", "date": "2024-10-01"})
    got = manage(c, D(2024, 12, 31))
    assert [("rectification", "escalated", False), ("cancellation", "done", False), ("award-bar", "in_force", False)] == outcomes(got)
    bar = got[2]
    assert (D(2024, 10, 1), None) == (bar.date, bar.until)


def test_a_re_accreditation_lifts_the_bar():
    c = carrier("maker_space", filed("2019-01-01", "district"), {"type": "delisted", "date": "2022-01-01"}, filed("2023-06-01", "district"))
    assert [("award-bar", "lifted", False)] == outcomes(manage(c, D(2024, 1, 1)))
    assert D(2023, 6, 1) == manage(c, D(2024, 1, 1))[0].until


def test_an_overdue_re_assessment_is_at_risk():
    c = carrier("maker_space", filed("2021-05-01"), graded("2024-03-01", "fail"))
    got = manage(c, D(2024, 9, 2))
    assert [("rectification", "overdue", True)] == outcomes(got)
    assert [("rectification", "open", True)] == outcomes(manage(c, D(2024, 9, 1)))


def test_a_late_pass_resolves_late():
    c = carrier("maker_space", filed("2021-05-01"), graded("2024-03-01", "fail"), graded("2024-11-01", "good", year=2023))
    assert [("rectification", "resolved_late", False)] == outcomes(manage(c, D(2024, 12, 31)))


def test_a_national_incubator_is_on_notice_after_one_fail_and_revoked_after_two():
    c = carrier("incubator", {"type": "accredited", "date": "2018-01-01", "level": "national"}, graded("2023-05-01", "fail", "national"))
    got = manage(c, D(2023, 12, 31))
    assert [("cancellation", "first_fail", True)] == outcomes(got)
    assert got[0].due is None  # the national rule read gives no re-assessment period
    assert "国科发区〔2018〕300号" == got[0].citations[0].document_number
    c2 = carrier("incubator", {"type": "accredited", "date": "2018-01-01", "level": "national"},
                 graded("2023-05-01", "fail", "national"), graded("2024-05-01", "fail", "national"))
    assert [("cancellation", "due", True)] == outcomes(manage(c2, D(2024, 12, 31)))
    c3 = carrier("incubator", {"type": "accredited", "date": "2018-01-01", "level": "national"},
                 graded("2023-05-01", "fail", "national"), graded("2024-05-01", "excellent", "national"))
    assert [("cancellation", "first_fail_resolved", False)] == outcomes(manage(c3, D(2024, 12, 31)))


def test_fails_at_different_levels_are_not_consecutive():
    c = carrier("incubator", {"type": "accredited", "date": "2018-01-01", "level": "municipal"},
                graded("2023-05-01", "fail", "municipal"), graded("2023-07-01", "fail", "district"))
    assert [("rectification", "open", True), ("rectification", "open", True)] == outcomes(manage(c, D(2023, 8, 1)))


def test_a_fail_no_rule_covers_is_reported_not_ignored():
    c = carrier("maker_space", filed("2018-01-01", "national"), graded("2023-05-01", "fail", "national"))
    got = manage(c, D(2023, 12, 31))
    assert [("cancellation", "not_covered", False)] == outcomes(got)
    assert "no dynamic-management rule" in got[0].explanation_en


def test_the_district_level_reading():
    c = carrier("maker_space", filed("2020-01-01", "district"), graded("2023-05-01", "fail", "district"))
    assert [("rectification", "open", True)] == outcomes(manage(c, D(2023, 6, 1)))
    assert [("cancellation", "not_covered", False)] == outcomes(manage(c, D(2023, 6, 1), readings={"district_level": "not_covered"}))


def test_the_bar_from_reading_withholds_awards_after_the_second_fail():
    c = carrier(
        "incubator", {"type": "accredited", "date": "2023-02-01", "level": "district"},
        {"type": "accredited", "date": "2024-01-10", "level": "municipal"},
        graded("2024-03-01", "fail", "district"), graded("2024-08-01", "fail", "district", year=2023),
    )
    ev = ir.evaluate(c, as_of=D(2025, 6, 30))
    default = manage(c, D(2025, 6, 30))
    assert not any(d.kind == "award_bar" for d in default)
    assert () == withheld(ev, default)
    strict = manage(c, D(2025, 6, 30), readings={"bar_from": "cancellation_due"})
    bar = next(d for d in strict if d.kind == "award_bar")
    assert D(2024, 8, 1) == bar.date
    held = withheld(ev, strict)
    # The district subsidy (payable 2024-02-01) came before the second fail; the upgrade
    # differential to municipal level becomes payable on 2025-01-10, after it.
    assert [("upgrade-differential", D(2025, 1, 10))] == [(d.rule, d.payable_on) for d in held]
    assert 2 == len(ev.awards)


def test_no_award_the_reward_rules_grant_falls_after_a_delisting():
    c = carrier("maker_space", filed("2023-03-01"), graded("2024-03-01", "excellent"), {"type": "delisted", "date": "2024-02-01"},
                graded("2024-06-01", "excellent", year=2023))
    ev = ir.evaluate(c, as_of=D(2025, 1, 1))
    assert () == withheld(ev, manage(c, D(2025, 1, 1)))


def test_input_order_does_not_change_the_decisions():
    events = [filed("2020-01-01"), graded("2023-03-01", "fail"), graded("2023-08-01", "pass", year=2022),
              graded("2024-03-01", "fail"), graded("2024-08-01", "fail", year=2023), {"type": "delisted", "date": "2024-09-01"},
              filed("2025-01-01")]
    expected = manage(carrier("maker_space", *events), D(2025, 6, 1))
    rng = random.Random(5)
    for _ in range(5):
        shuffled = events[:]
        rng.shuffle(shuffled)
        assert expected == manage(carrier("maker_space", *shuffled), D(2025, 6, 1))


def test_the_evaluation_carries_the_decisions_and_round_trips():
    c = carrier("maker_space", filed("2021-05-01"), graded("2024-03-01", "fail"))
    ev = with_management(ir.evaluate(c, as_of=D(2024, 5, 1)), c)
    assert [("rectification", "open", True)] == outcomes(ev.management)
    assert ev == ir.Evaluation.from_json(ev.to_json())
    plain = ir.evaluate(c, as_of=D(2024, 5, 1))
    assert "management" not in plain.to_dict()  # evaluations without management keep their shape
    assert plain.total == ev.total


def test_the_evaluate_command_shows_management(capsys, tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "id: x\nname: X\nkind: maker_space\nevents:\n"
        "  - {type: filed, date: 2021-05-01, level: municipal}\n"
        "  - {type: evaluated, date: 2024-03-01, level: municipal, year: 2023, grade: fail}\n",
        encoding="utf-8",
    )
    assert 0 == main(["evaluate", str(path), "--as-of", "2024-05-01", "--management"])
    out = capsys.readouterr().out
    assert "AT RISK rectification/open" in out


def _text():
    return next(p for k, p in shipped_files("management")).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "old, new, words",
    [
        ("reassess_within: {months: 6}", "reassess_within: {months: 0}", "longer than zero"),
        ("    grades: [fail]\n    reassess_within", "    grades: [pass]\n    reassess_within", "grades: [fail]"),
        ("        kinds: [incubator]\n        clauses: [chongqing-incubator-dynamic, grades]\n      - levels: [municipal, district]\n        kinds: [maker_space, star_innovation_space]\n        clauses: [chongqing-maker-space-dynamic, grades]\n    explanations:\n      open:",
         "        kinds: [incubators]\n        clauses: [chongqing-incubator-dynamic, grades]\n      - levels: [municipal, district]\n        kinds: [maker_space, star_innovation_space]\n        clauses: [chongqing-maker-space-dynamic, grades]\n    explanations:\n      open:", "unknown CarrierKind 'incubators'"),
        ("    reprint: secondary\n  national-evaluation-index", "    reprint: tertiary\n  national-evaluation-index", "expected 'secondary'"),
        ("en: \"{level} evaluation of {year} graded fail on {date}: under", "en: \"{level} evaluation of {yr} graded fail on {date}: under", "unknown placeholder {yr}"),
        ("  bar_from:\n", "  bar_after:\n", "needs a reading named 'bar_from'"),
    ],
)
def test_broken_management_files_are_refused(old, new, words):
    text = _text()
    assert old in text
    with pytest.raises(RulesetError, match=words.replace("{", "\\{").replace("}", "\\}").replace("[", "\\[").replace("]", "\\]")):
        parse_management(text.replace(old, new, 1), "m.yaml")


def test_the_shipped_file_loads():
    rules = load_management()
    assert ["rectification", "cancellation", "award_bar"] == [r.kind for r in rules.rules]
    assert {"months": 6} == rules.of_kind("rectification").reassess_within


def test_a_fail_at_the_end_of_the_calendar_is_due_on_its_last_day():
    c = carrier("maker_space", filed("9999-01-01"), graded("9999-12-01", "fail", year=9998))
    [rect] = manage(c, D(9999, 12, 31))
    assert (rect.rule, rect.outcome, rect.due) == ("rectification", "open", D.max)
