"""Each reading of the policy README: a case where its alternative changes the outcome."""

import datetime

import attrs
import pytest

from incubator_rules import ReadingError, evaluate, load_ruleset

from histories import accredited, carrier, evaluated, event, filed, paid, started

D = datetime.date.fromisoformat


def outcome(c, as_of, engine, **readings):
    ev = evaluate(c, as_of=D(as_of), readings=readings, engine=engine)
    return ([(d.rule, d.amount, d.payable_on.isoformat()) for d in ev.awards + ev.pending],
            [(d.rule, d.reason) for d in ev.not_awarded])


def test_1_year_counted_from_accreditation_or_from_start_of_operation(engine):
    c = carrier("maker_space", started("2022-01-01"), filed("2023-06-01", "municipal"))
    assert outcome(c, "2023-07-01", engine) == ([("accreditation-subsidy", 200_000, "2024-06-01")], [])
    assert outcome(c, "2023-07-01", engine, year_counted_from="operation_start") == (
        [("accreditation-subsidy", 200_000, "2023-06-01")], [])


def test_2_upgrade_needs_its_own_year_or_not(engine):
    c = carrier("maker_space", filed("2023-03-01", "municipal"), filed("2024-06-01", "national"))
    assert outcome(c, "2024-07-01", engine)[0] == [
        ("accreditation-subsidy", 200_000, "2024-03-01"), ("upgrade-differential", 300_000, "2025-06-01")]
    assert outcome(c, "2024-07-01", engine, upgrade_year_condition="once")[0] == [
        ("accreditation-subsidy", 200_000, "2024-03-01"), ("upgrade-differential", 300_000, "2024-06-01")]


def test_3_new_accreditations_from_plan_start_or_from_issue_date(engine):
    c = carrier("incubator", accredited("2023-05-01", "municipal"))
    assert outcome(c, "2025-01-01", engine) == ([("accreditation-subsidy", 500_000, "2024-05-01")], [])
    assert outcome(c, "2025-01-01", engine, new_accreditation_window="issue_date") == (
        [], [("accreditation-subsidy", "outside_window")])


def test_4_rectification_interrupts_normal_operation_or_not(engine):
    c = carrier("incubator", accredited("2023-05-01", "municipal"), event("rectification_ordered", "2023-09-01"),
                event("rectification_completed", "2023-10-01"))
    assert outcome(c, "2025-01-01", engine)[0] == [("accreditation-subsidy", 500_000, "2024-10-01")]
    assert outcome(c, "2025-01-01", engine, normal_operation="no_suspension_or_delisting")[0] == [
        ("accreditation-subsidy", 500_000, "2024-05-01")]


def test_5_differential_subtracts_payments_recorded_before_the_plan_or_not(engine):
    c = carrier("maker_space", paid("2022-05-01", "municipal", 200_000), filed("2023-05-01", "national"))
    assert outcome(c, "2024-06-01", engine)[0] == [("upgrade-differential", 300_000, "2024-05-01")]
    assert outcome(c, "2024-06-01", engine, differential_base="plan_awards_only")[0] == [
        ("accreditation-subsidy", 500_000, "2024-05-01")]


def test_6_maker_space_becoming_an_incubator_climbs_a_separate_or_shared_ladder(engine):
    c = carrier("maker_space", filed("2023-01-10", "municipal"), accredited("2023-06-01", "national", kind="incubator"))
    assert outcome(c, "2024-12-31", engine)[0] == [
        ("accreditation-subsidy", 200_000, "2024-01-10"), ("accreditation-subsidy", 1_000_000, "2024-06-01")]
    assert outcome(c, "2024-12-31", engine, ladders="shared")[0] == [
        ("accreditation-subsidy", 200_000, "2024-01-10"), ("upgrade-differential", 800_000, "2024-06-01")]


def test_7_district_level_maker_spaces_paid_per_q6_or_not_per_q2(engine):
    c = carrier("maker_space", filed("2023-05-01", "district"), evaluated("2024-03-01", 2023, "district", "excellent"))
    assert outcome(c, "2024-12-31", engine)[0] == [
        ("evaluation-excellence", 30_000, "2024-03-01"), ("accreditation-subsidy", 100_000, "2024-05-01")]
    assert outcome(c, "2024-12-31", engine, district_maker_space="no_district_level") == (
        [], [("accreditation-subsidy", "level_not_covered"), ("evaluation-excellence", "level_not_covered")])


def test_7_district_incubators_are_paid_under_either_reading(engine):
    c = carrier("incubator", accredited("2023-05-01", "district"))
    assert outcome(c, "2024-12-31", engine, district_maker_space="no_district_level")[0] == [
        ("accreditation-subsidy", 200_000, "2024-05-01")]


def test_8_excellence_award_per_year_and_level_or_per_year(engine):
    c = carrier("incubator", evaluated("2024-02-01", 2023, "municipal", "excellent"),
                evaluated("2024-04-01", 2023, "national", "excellent"))
    assert outcome(c, "2024-12-31", engine)[0] == [
        ("evaluation-excellence", 100_000, "2024-02-01"), ("evaluation-excellence", 200_000, "2024-04-01")]
    # one award for 2023, at the highest level: the national grade tops up the municipal award
    assert outcome(c, "2024-12-31", engine, excellence_awards="per_year")[0] == [
        ("evaluation-excellence", 100_000, "2024-02-01"), ("evaluation-excellence", 100_000, "2024-04-01")]


def test_10_the_anniversary_day_falls_inside_the_year_or_after_it(engine):
    c = carrier("incubator", accredited("2023-05-10", "municipal"), event("delisted", "2024-05-10"))
    ev = evaluate(c, as_of=D("2024-12-31"), engine=engine)
    assert outcome(c, "2024-12-31", engine) == ([], [("accreditation-subsidy", "delisted_before_year")])
    assert ev.not_awarded[0].events == ("e0", "e1")  # the delisting is one of the decision's events
    assert outcome(c, "2024-12-31", engine, anniversary_day="after_year") == (
        [("accreditation-subsidy", 500_000, "2024-05-10")], [])


def test_11_a_same_day_delisting_ends_the_old_title_or_voids_the_new_one(engine):
    c = carrier("incubator", accredited("2022-05-01", "district"), event("delisted", "2024-03-01"),
                accredited("2024-03-01", "municipal"))
    assert outcome(c, "2025-12-31", engine) == (
        [("accreditation-subsidy", 500_000, "2025-03-01")], [("accreditation-subsidy", "outside_window")])
    assert outcome(c, "2025-12-31", engine, same_day_delisting="accreditation_first")[0] == []


def test_12_a_zero_length_suspension_is_ignored_or_restarts_the_year(engine):
    c = carrier("incubator", accredited("2023-05-01", "municipal"), event("suspended", "2023-11-01"),
                event("resumed", "2023-11-01"))
    assert outcome(c, "2025-12-31", engine)[0] == [("accreditation-subsidy", 500_000, "2024-05-01")]
    assert outcome(c, "2025-12-31", engine, zero_length_interruption="restarts")[0] == [
        ("accreditation-subsidy", 500_000, "2024-11-01")]


def test_13_new_means_inside_the_window_or_first_at_that_level(engine):
    c = carrier("maker_space", filed("2020-05-01", "municipal"), filed("2024-03-01", "municipal"))
    assert outcome(c, "2025-12-31", engine)[0] == [("accreditation-subsidy", 200_000, "2025-03-01")]
    assert outcome(c, "2025-12-31", engine, new_accreditation_meaning="first_at_level") == (
        [], [("accreditation-subsidy", "outside_window"), ("accreditation-subsidy", "not_new")])


def test_14_the_differential_is_measured_from_what_was_received_or_from_the_level_held(engine):
    c = carrier("maker_space", filed("2021-05-01", "municipal"), filed("2023-05-01", "national"))
    assert outcome(c, "2024-12-31", engine)[0] == [("accreditation-subsidy", 500_000, "2024-05-01")]
    ev = evaluate(c, as_of=D("2024-12-31"), readings={"differential_measure": "level_difference"}, engine=engine)
    assert [(d.rule, d.reason, d.amount) for d in ev.awards] == [("upgrade-differential", "level_difference_awarded", 300_000)]
    assert "less 200,000, the amount of the municipal title held before" in ev.awards[0].explanation_en


def test_15_excellence_with_or_without_the_title_of_the_evaluated_level(engine):
    c = carrier("incubator", accredited("2024-06-01", "municipal"), evaluated("2024-03-01", 2023, "municipal", "excellent"),
                evaluated("2025-03-01", 2024, "municipal", "excellent"))
    assert outcome(c, "2025-12-31", engine)[0] == [
        ("evaluation-excellence", 100_000, "2024-03-01"), ("evaluation-excellence", 100_000, "2025-03-01"),
        ("accreditation-subsidy", 500_000, "2025-06-01")]
    assert outcome(c, "2025-12-31", engine, excellence_title="held_on_evaluation_date")[1] == [
        ("evaluation-excellence", "no_title")]
    held = carrier("incubator", accredited("2024-02-01", "municipal"), evaluated("2024-03-01", 2023, "municipal", "excellent"))
    assert outcome(held, "2024-12-31", engine, excellence_title="held_on_evaluation_date")[0][0] == (
        "evaluation-excellence", 100_000, "2024-03-01")
    assert outcome(held, "2024-12-31", engine, excellence_title="held_for_year")[1] == [("evaluation-excellence", "no_title")]


def test_16_an_evaluation_is_paid_from_the_row_of_the_title_or_of_the_carrier(engine):
    c = carrier("maker_space", accredited("2023-03-01", "municipal", kind="incubator"),
                evaluated("2024-03-01", 2023, "municipal", "excellent"))
    ev = evaluate(c, as_of=D("2024-12-31"), engine=engine)
    assert [(d.rule, d.amount, d.kind.value) for d in ev.awards] == [
        ("accreditation-subsidy", 500_000, "incubator"), ("evaluation-excellence", 100_000, "incubator")]
    assert ev.awards[1].citations[0].clause == "q6-incubator-evaluation"
    carrier_row = evaluate(c, as_of=D("2024-12-31"), engine=engine, readings={"evaluation_kind": "carrier"})
    assert [(d.rule, d.amount) for d in carrier_row.awards][1] == ("evaluation-excellence", 50_000)


def test_17_only_the_accreditation_date_or_the_payable_date_too_within_the_plan(engine):
    c = carrier("incubator", accredited("2025-06-01", "municipal"))
    assert outcome(c, "2026-12-31", engine)[0] == [("accreditation-subsidy", 500_000, "2026-06-01")]
    assert outcome(c, "2026-12-31", engine, subsidy_period_bound="payable_date") == (
        [], [("accreditation-subsidy", "payable_after_period")])


def test_18_excellence_bounded_by_the_evaluation_date_or_by_the_evaluated_year(engine):
    c = carrier("incubator", evaluated("2023-03-01", 2022, "municipal", "excellent"),
                evaluated("2026-03-01", 2025, "municipal", "excellent"))
    assert outcome(c, "2026-12-31", engine) == (
        [("evaluation-excellence", 100_000, "2023-03-01")], [("evaluation-excellence", "outside_window")])
    assert outcome(c, "2026-12-31", engine, excellence_period_bound="evaluated_year") == (
        [("evaluation-excellence", 100_000, "2026-03-01")], [("evaluation-excellence", "year_outside_window")])


def test_19_star_innovation_spaces_paid_from_the_maker_space_excellence_row_or_not(engine):
    c = carrier("star_innovation_space", evaluated("2024-03-01", 2023, "municipal", "excellent"))
    assert outcome(c, "2024-12-31", engine)[0] == [("evaluation-excellence", 50_000, "2024-03-01")]
    ev = evaluate(c, as_of=D("2024-12-31"), engine=engine, readings={"star_space_excellence": "not_covered"})
    assert [(d.rule, d.reason) for d in ev.not_awarded] == [("evaluation-excellence", "kind_not_covered")]
    assert [x.clause for x in ev.not_awarded[0].citations] == ["q6-maker-space-evaluation", "q6-maker-space-filing"]


def test_20_carriers_outside_the_plan_area_refused_or_not_checked(engine):
    c = carrier("incubator", accredited("2023-05-01", "municipal"))
    outside = attrs.evolve(c, area="开州区")
    assert outcome(outside, "2024-12-31", engine) == ([], [("accreditation-subsidy", "outside_area")])
    assert outcome(outside, "2024-12-31", engine, plan_area="not_checked")[0] == [("accreditation-subsidy", 500_000, "2024-05-01")]
    for inside in ("龙驹镇", "万州经开区", "重庆市万州区太白街道", "恒合土家族乡"):
        assert outcome(attrs.evolve(c, area=inside), "2024-12-31", engine)[0] != [], inside
    assert outcome(attrs.evolve(c, area="江北区观音桥街道"), "2024-12-31", engine)[0] == []
    assert outcome(c, "2024-12-31", engine)[0] != []  # no area recorded: not checked by default
    assert outcome(c, "2024-12-31", engine, plan_area="require_area") == ([], [("accreditation-subsidy", "outside_area")])


def test_every_reading_has_a_case_here():
    tested = {"year_counted_from", "upgrade_year_condition", "new_accreditation_window", "normal_operation",
              "differential_base", "ladders", "district_maker_space", "excellence_awards", "anniversary_day",
              "same_day_delisting", "zero_length_interruption", "new_accreditation_meaning", "differential_measure",
              "excellence_title", "evaluation_kind", "subsidy_period_bound", "excellence_period_bound",
              "star_space_excellence", "plan_area"}
    assert set(load_ruleset().readings) == tested


def test_unknown_reading_or_alternative_is_refused():
    c = carrier("incubator")
    with pytest.raises(ReadingError, match="known readings"):
        evaluate(c, readings={"no_such_reading": "x"})
    with pytest.raises(ReadingError, match="expected one of: separate, shared") as err:
        evaluate(c, readings={"ladders": "sideways"})
    assert err.value.field == "ladders"
