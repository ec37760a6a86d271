"""Each reading of the policy README: a case where its alternative changes the outcome."""

import datetime

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


def test_every_reading_has_a_case_here():
    tested = {"year_counted_from", "upgrade_year_condition", "new_accreditation_window", "normal_operation",
              "differential_base", "ladders", "district_maker_space", "excellence_awards"}
    assert set(load_ruleset().readings) == tested


def test_unknown_reading_or_alternative_is_refused():
    c = carrier("incubator")
    with pytest.raises(ReadingError, match="known readings"):
        evaluate(c, readings={"no_such_reading": "x"})
    with pytest.raises(ReadingError, match="expected one of: separate, shared") as err:
        evaluate(c, readings={"ladders": "sideways"})
    assert err.value.field == "ladders"
