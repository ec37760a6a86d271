"""Wanzhou 2023-2025 rewards (interpretation, section 五, Q6), as the policy tells them."""

import datetime

import pytest

from incubator_rules import evaluate

from histories import accredited, carrier, evaluated, event, filed, paid, started

D = datetime.date.fromisoformat


def amounts(ev):
    return [(d.rule, d.amount, d.payable_on.isoformat()) for d in ev.awards]


def reasons(ev):
    return [(d.rule, d.reason) for d in ev.not_awarded]


# --- Q6 worked example -------------------------------------------------------

Q6 = carrier("maker_space", started("2023-03-01"), filed("2023-10-10", "municipal"), filed("2024-12-20", "national"))


def test_q6_municipal_filing_pays_200000_after_one_year_of_normal_operation(engine):
    # 如果A众创空间首次获得市级认定,且正常运行一年以上,可获得建设经费补助20万元
    ev = evaluate(Q6, as_of=D("2024-10-10"), engine=engine)
    assert amounts(ev) == [("accreditation-subsidy", 200_000, "2024-10-10")]
    assert ev.awards[0].citations[0].clause == "q6-maker-space-filing"
    assert ev.awards[0].condition.counted_from == D("2023-10-10")
    assert "one year of normal operation counted from 2023-10-10 completed on 2024-10-10: 200,000 yuan" in ev.awards[0].explanation_en


def test_q6_before_the_year_is_complete_the_subsidy_is_pending(engine):
    ev = evaluate(Q6, as_of=D("2024-10-09"), engine=engine)
    assert ev.awards == ()
    assert [(d.rule, d.amount, d.payable_on) for d in ev.pending] == [("accreditation-subsidy", 200_000, D("2024-10-10"))]


def test_q6_national_filing_then_pays_the_300000_differential(engine):
    # 提档升级为国家级备案后,可再获得建设经费补助差价30万元
    ev = evaluate(Q6, as_of=D("2026-01-01"), engine=engine)
    assert amounts(ev) == [
        ("accreditation-subsidy", 200_000, "2024-10-10"),
        ("upgrade-differential", 300_000, "2025-12-20"),
    ]
    diff = ev.awards[1]
    assert (diff.full_amount, diff.already_received) == (500_000, 200_000)
    assert [c.clause for c in diff.citations] == ["q6-maker-space-filing", "q6-example", "differential-base"]
    assert ev.total == 500_000
    assert ev.totals_by_rule == {"accreditation-subsidy": 200_000, "upgrade-differential": 300_000}


# --- every cell of both amount tables ------------------------------------------

CONSTRUCTION = [
    ("incubator", "accredited", "national", 1_000_000),
    ("incubator", "accredited", "municipal", 500_000),
    ("incubator", "accredited", "district", 200_000),
    ("maker_space", "filed", "national", 500_000),
    ("maker_space", "filed", "municipal", 200_000),
    ("maker_space", "filed", "district", 100_000),
    ("star_innovation_space", "filed", "national", 500_000),
    ("star_innovation_space", "filed", "municipal", 200_000),
    ("star_innovation_space", "filed", "district", 100_000),
]

EXCELLENCE = [
    ("incubator", "national", 200_000),
    ("incubator", "municipal", 100_000),
    ("incubator", "district", 50_000),
    ("maker_space", "national", 100_000),
    ("maker_space", "municipal", 50_000),
    ("maker_space", "district", 30_000),
    ("star_innovation_space", "national", 100_000),
    ("star_innovation_space", "municipal", 50_000),
    ("star_innovation_space", "district", 30_000),
]


@pytest.mark.parametrize("kind, act, level, expected", CONSTRUCTION)
def test_construction_subsidy_table(kind, act, level, expected, engine):
    c = carrier(kind, event(act, "2023-05-01", level=level))
    ev = evaluate(c, as_of=D("2024-05-01"), engine=engine)
    assert amounts(ev) == [("accreditation-subsidy", expected, "2024-05-01")]


@pytest.mark.parametrize("kind, level, expected", EXCELLENCE)
def test_excellence_award_table(kind, level, expected, engine):
    c = carrier(kind, evaluated("2024-03-15", 2023, level, "excellent"))
    ev = evaluate(c, as_of=D("2024-12-31"), engine=engine)
    assert amounts(ev) == [("evaluation-excellence", expected, "2024-03-15")]


# --- the operating-duration condition (正常运行1年以上) ----------------------------


def test_suspension_restarts_the_year_when_operation_resumes(engine):
    c = carrier("maker_space", filed("2023-05-01", "municipal"), event("suspended", "2023-11-01"), event("resumed", "2024-01-15"))
    ev = evaluate(c, as_of=D("2025-06-01"), engine=engine)
    assert amounts(ev) == [("accreditation-subsidy", 200_000, "2025-01-15")]
    assert ev.awards[0].condition.counted_from == D("2024-01-15")
    assert ev.awards[0].events == ("e0", "e1", "e2")


def test_suspended_at_as_of_is_not_awarded_yet(engine):
    c = carrier("maker_space", filed("2023-05-01", "municipal"), event("suspended", "2023-11-01"))
    ev = evaluate(c, as_of=D("2025-06-01"), engine=engine)
    assert ev.awards == () and ev.pending == ()
    assert reasons(ev) == [("accreditation-subsidy", "interrupted")]
    assert "2023-11-01" in ev.not_awarded[0].explanation_en


def test_delisted_before_one_year_gets_nothing(engine):
    c = carrier("incubator", accredited("2023-05-01", "municipal"), event("delisted", "2024-02-01"))
    ev = evaluate(c, as_of=D("2025-06-01"), engine=engine)
    assert ev.awards == ()
    assert reasons(ev) == [("accreditation-subsidy", "delisted_before_year")]
    assert "delisted on 2024-02-01 before one year" in ev.not_awarded[0].explanation_en


def test_delisting_after_the_year_keeps_the_award(engine):
    c = carrier("incubator", accredited("2023-05-01", "municipal"), event("delisted", "2024-06-01"))
    ev = evaluate(c, as_of=D("2025-06-01"), engine=engine)
    assert amounts(ev) == [("accreditation-subsidy", 500_000, "2024-05-01")]


def test_rectification_restarts_the_year(engine):
    c = carrier("incubator", accredited("2023-05-01", "district"), event("rectification_ordered", "2023-09-01"),
                event("rectification_completed", "2023-10-01"))
    ev = evaluate(c, as_of=D("2025-01-01"), engine=engine)
    assert amounts(ev) == [("accreditation-subsidy", 200_000, "2024-10-01")]


def test_a_year_from_29_february_ends_on_28_february(engine):
    c = carrier("maker_space", filed("2024-02-29", "district"))
    assert evaluate(c, as_of=D("2025-02-27"), engine=engine).awards == ()
    ev = evaluate(c, as_of=D("2025-02-28"), engine=engine)
    assert amounts(ev) == [("accreditation-subsidy", 100_000, "2025-02-28")]


def test_a_suspension_on_the_anniversary_falls_inside_the_year(engine):
    # 民法典 arts. 201 and 203: a year from 2023-05-01 ends at 24:00 on 2024-05-01
    c = carrier("maker_space", filed("2023-05-01", "district"), event("suspended", "2024-05-01"))
    ev = evaluate(c, as_of=D("2024-06-01"), engine=engine)
    assert amounts(ev) == [] and reasons(ev) == [("accreditation-subsidy", "interrupted")]
    ev = evaluate(c, as_of=D("2024-06-01"), engine=engine, readings={"anniversary_day": "after_year"})
    assert amounts(ev) == [("accreditation-subsidy", 100_000, "2024-05-01")]


# --- upgrades, downgrades and repeats (reading 5) -----------------------------------


def test_three_step_incubator_ladder_totals_the_national_amount(engine):
    c = carrier("incubator", accredited("2023-02-01", "district"), accredited("2024-03-01", "municipal"),
                accredited("2025-04-01", "national"))
    ev = evaluate(c, as_of=D("2026-12-31"), engine=engine)
    assert amounts(ev) == [
        ("accreditation-subsidy", 200_000, "2024-02-01"),
        ("upgrade-differential", 300_000, "2025-03-01"),
        ("upgrade-differential", 500_000, "2026-04-01"),
    ]
    assert ev.total == 1_000_000


def test_a_downgrade_gives_nothing(engine):
    c = carrier("incubator", accredited("2023-02-01", "national"), accredited("2024-03-01", "municipal"))
    ev = evaluate(c, as_of=D("2026-12-31"), engine=engine)
    assert amounts(ev) == [("accreditation-subsidy", 1_000_000, "2024-02-01")]
    assert reasons(ev) == [("accreditation-subsidy", "lower_level")]


def test_a_repeated_accreditation_at_a_paid_level_gives_nothing(engine):
    c = carrier("maker_space", filed("2023-02-01", "municipal"), filed("2024-09-01", "municipal"))
    ev = evaluate(c, as_of=D("2026-12-31"), engine=engine)
    assert ev.total == 200_000
    assert reasons(ev) == [("upgrade-differential", "level_already_paid")]


def test_a_payment_recorded_before_the_plan_is_subtracted(engine):
    c = carrier("maker_space", paid("2022-05-01", "municipal", 200_000), filed("2023-05-01", "national"))
    ev = evaluate(c, as_of=D("2024-06-01"), engine=engine)
    assert amounts(ev) == [("upgrade-differential", 300_000, "2024-05-01")]


def test_accreditation_before_the_plan_period_is_not_new(engine):
    c = carrier("incubator", accredited("2022-06-01", "municipal"))
    ev = evaluate(c, as_of=D("2024-06-01"), engine=engine)
    assert ev.awards == ()
    assert reasons(ev) == [("accreditation-subsidy", "outside_window")]
    assert "2023-01-01 to 2025-12-31" in ev.not_awarded[0].explanation_en


# --- evaluation excellence (绩效评估支持) -------------------------------------------


def test_only_excellent_evaluations_are_awarded(engine):
    c = carrier("incubator", evaluated("2024-03-01", 2023, "municipal", "good"),
                evaluated("2025-03-01", 2024, "municipal", "excellent"))
    ev = evaluate(c, as_of=D("2025-12-31"), engine=engine)
    assert amounts(ev) == [("evaluation-excellence", 100_000, "2025-03-01")]
    assert reasons(ev) == [("evaluation-excellence", "not_excellent")]


def test_one_excellence_award_per_year_and_level(engine):
    c = carrier("incubator", evaluated("2024-03-01", 2023, "municipal", "excellent"),
                evaluated("2024-05-01", 2023, "municipal", "excellent"))
    ev = evaluate(c, as_of=D("2025-12-31"), engine=engine)
    assert ev.total == 100_000
    assert reasons(ev) == [("evaluation-excellence", "already_awarded")]


def test_evaluation_after_delisting_is_not_awarded(engine):
    c = carrier("maker_space", filed("2023-01-10", "municipal"), event("delisted", "2024-06-01"),
                evaluated("2024-07-01", 2023, "municipal", "excellent"))
    ev = evaluate(c, as_of=D("2025-12-31"), engine=engine)
    assert ("evaluation-excellence", "delisted") in reasons(ev)


def test_evaluation_outside_the_plan_period_is_not_awarded(engine):
    c = carrier("maker_space", evaluated("2026-03-01", 2025, "national", "excellent"))
    ev = evaluate(c, as_of=D("2026-12-31"), engine=engine)
    assert reasons(ev) == [("evaluation-excellence", "outside_window")]


# --- kinds, dates and as_of ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["university_science_park", "large_incubation_park", "large_innovation_community",
                                  "university_innovation_ecosystem"])
def test_kinds_no_award_rule_covers_yet(kind, engine):
    c = carrier(kind, accredited("2023-05-01", "municipal"), evaluated("2024-03-01", 2023, "municipal", "excellent"))
    ev = evaluate(c, as_of=D("2025-12-31"), engine=engine)
    assert ev.awards == ()
    assert reasons(ev) == [("accreditation-subsidy", "kind_not_covered"), ("evaluation-excellence", "kind_not_covered")]


def test_events_after_as_of_are_left_out(engine):
    ev = evaluate(Q6, as_of=D("2023-01-01"), engine=engine)
    assert (ev.awards, ev.pending, ev.not_awarded) == ((), (), ())
    assert ev.total == 0


def test_evaluation_records_what_it_ran_on(engine):
    ev = evaluate(Q6, as_of=D("2026-01-01"), engine=engine)
    assert (ev.ruleset_id, ev.ruleset_version) == ("wanzhou-2023", "2.1.0")
    assert len(ev.ruleset_sha256) == 64 and ev.input_digest == Q6.digest
    assert ev.readings["year_counted_from"] == "accreditation_date"


def test_before_a_dated_first_amount_the_reason_is_the_window_not_the_level(engine):
    from pathlib import Path

    from incubator_rules import parse_ruleset

    text = Path("rulesets/wanzhou-2023.yaml").read_text(encoding="utf-8").replace(
        "values: {national: 1000000, municipal: 500000, district: 200000}",
        "values: {national: [{from: 2023-01-01, amount: 1000000}], municipal: 500000, district: 200000}", 1)
    rs = parse_ruleset(text)
    c = carrier("incubator", accredited("2022-06-01", "national"), evaluated("2023-03-01", 2022, "national", "excellent"))
    ev = evaluate(c, ruleset=rs, as_of=D("2024-06-01"), engine=engine)
    assert reasons(ev) == [("accreditation-subsidy", "outside_window")]
    assert ev.not_awarded[0].citations[0].clause == "q6-incubator-accreditation"


def test_a_year_that_would_end_past_the_calendar_never_completes(engine):
    c = carrier("incubator", accredited("2025-06-01", "municipal"), event("suspended", "2025-07-01"),
                event("resumed", "9999-06-01"))
    ev = evaluate(c, as_of=D("9999-12-31"), engine=engine)
    assert ev.awards == ()
    assert [(d.rule, d.payable_on) for d in ev.pending] == [("accreditation-subsidy", datetime.date.max)]
