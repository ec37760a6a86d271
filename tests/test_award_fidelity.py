"""Issue 12: the finance auditor's cases where the text decides (each failed before the fix)."""

import datetime

import pytest

from incubator_rules import CarrierError, evaluate, reconcile

from histories import accredited, carrier, evaluated, filed, paid

D = datetime.date.fromisoformat


def amounts(ev):
    return [(d.rule, d.amount, d.payable_on.isoformat()) for d in ev.awards + ev.pending]


def reasons(ev):
    return [(d.rule, d.reason) for d in ev.not_awarded]


# --- 1. a recorded payment of this plan's own award is that award's payment ---------------------


@pytest.mark.parametrize("plan", [{}, {"plan": "wanzhou-2023"}, {"settles": "e0"}], ids=["unattributed", "plan", "settles"])
def test_a_recorded_payment_of_this_plans_award_is_not_subtracted_again(engine, plan):
    c = carrier("maker_space", filed("2023-03-01", "municipal"), paid("2024-03-20", "municipal", 200_000, **plan),
                filed("2024-06-01", "national"))
    ev = evaluate(c, as_of=D("2025-12-31"), engine=engine)
    assert amounts(ev) == [("accreditation-subsidy", 200_000, "2024-03-01"), ("upgrade-differential", 300_000, "2025-06-01")]
    assert "500,000元减已得200,000元" in ev.awards[1].explanation_zh


def test_a_payment_of_another_plan_still_counts_as_received():
    c = carrier("maker_space", filed("2023-03-01", "municipal"),
                paid("2024-03-20", "municipal", 200_000, plan="an-earlier-scheme"), filed("2024-06-01", "national"))
    ev = evaluate(c, as_of=D("2025-12-31"))
    assert amounts(ev) == [("accreditation-subsidy", 200_000, "2024-03-01"), ("upgrade-differential", 100_000, "2025-06-01")]


# --- 2. only construction-subsidy money on the same ladder counts towards the differential ---------


def test_an_excellence_payment_is_not_deducted_from_a_differential(engine):
    c = carrier("maker_space", paid("2022-06-01", "municipal", 200_000), paid("2022-09-01", "municipal", 50_000, award="excellence"),
                filed("2023-05-01", "national"))
    ev = evaluate(c, as_of=D("2024-12-31"), engine=engine)
    assert amounts(ev) == [("upgrade-differential", 300_000, "2024-05-01")]


def test_other_money_is_not_deducted_either():
    c = carrier("incubator", paid("2022-06-01", "municipal", 500_000, award="other", payer="重庆市科技局"),
                accredited("2023-05-01", "national"))
    assert amounts(evaluate(c, as_of=D("2024-12-31"))) == [("accreditation-subsidy", 1_000_000, "2024-05-01")]


def test_a_payment_without_award_is_a_construction_subsidy_as_old_files_meant():
    c = carrier("maker_space", paid("2022-05-01", "municipal", 200_000), filed("2023-05-01", "national"))
    assert amounts(evaluate(c, as_of=D("2024-06-01"))) == [("upgrade-differential", 300_000, "2024-05-01")]


def test_a_differential_cites_the_definition_of_its_base():
    c = carrier("maker_space", filed("2023-03-01", "municipal"), filed("2024-06-01", "national"))
    ev = evaluate(c, as_of=D("2025-12-31"))
    assert ev.awards[1].rule == "upgrade-differential"
    assert [x.clause for x in ev.awards[1].citations] == ["q6-maker-space-filing", "q6-example", "differential-base"]
    assert ev.awards[1].citations[2].section == "差价的定义 (The differential base)"


# --- 3. a lower accreditation after a higher title is not paid ----------------------------


def test_a_lower_accreditation_after_a_higher_title_held_before_the_plan_pays_nothing(engine):
    c = carrier("incubator", accredited("2021-04-01", "national"), accredited("2024-03-01", "municipal"))
    ev = evaluate(c, as_of=D("2025-12-31"), engine=engine)
    assert ev.total == 0 and ev.pending == ()
    assert reasons(ev) == [("accreditation-subsidy", "outside_window"), ("accreditation-subsidy", "lower_level")]
    refusal = ev.not_awarded[1]
    assert "national" in refusal.explanation_en and "2021-04-01" in refusal.explanation_en


def test_a_title_held_before_a_delisting_still_counts_as_held():
    c = carrier("incubator", accredited("2021-04-01", "national"), {"type": "delisted", "date": "2022-01-01"},
                accredited("2024-03-01", "district"))
    assert reasons(evaluate(c, as_of=D("2025-12-31")))[-1] == ("accreditation-subsidy", "lower_level")


def test_a_lower_title_on_another_ladder_is_paid_when_ladders_are_separate():
    c = carrier("maker_space", filed("2021-04-01", "national"), accredited("2024-03-01", "district", kind="incubator"))
    assert amounts(evaluate(c, as_of=D("2025-12-31"))) == [("accreditation-subsidy", 200_000, "2025-03-01")]
    shared = evaluate(c, as_of=D("2025-12-31"), readings={"ladders": "shared"})
    assert reasons(shared)[-1] == ("accreditation-subsidy", "lower_level")


# --- the payment fields ---------------------------------------------------------------------


def test_payment_fields_round_trip_and_enter_the_digest():
    plain = carrier("incubator", accredited("2023-01-01", "municipal"), paid("2024-02-01", "municipal", 500_000))
    full = carrier("incubator", accredited("2023-01-01", "municipal"),
                   paid("2024-02-01", "municipal", 500_000, award="construction_subsidy", plan="wanzhou-2023",
                        payer="万州区科技局", settles="e0", voucher="记-2024-0117"))
    assert full.events[1].to_dict()["voucher"] == "记-2024-0117"
    assert type(full).from_dict(full.to_dict()) == full
    assert full.digest != plain.digest


def test_a_payment_that_settles_an_unknown_event_is_refused():
    with pytest.raises(CarrierError, match="settles") as err:
        carrier("incubator", paid("2024-02-01", "municipal", 500_000, settles="nowhere"))
    assert err.value.field == "events[0].settles"


def test_an_excellence_payment_cannot_settle_an_accreditation():
    with pytest.raises(CarrierError, match="excellence payment settles evaluated"):
        carrier("incubator", accredited("2023-01-01", "municipal"),
                paid("2024-02-01", "municipal", 100_000, award="excellence", settles="e0"))


def test_an_unknown_award_kind_is_refused_naming_the_field():
    with pytest.raises(CarrierError, match="expected one of: construction_subsidy, excellence, other"):
        carrier("incubator", paid("2024-02-01", "municipal", 500_000, award="bonus"))


def test_an_evaluation_may_name_the_kind_it_evaluates():
    c = carrier("maker_space", {**evaluated("2024-03-01", 2023, "municipal", "excellent"), "kind": "incubator"})
    assert amounts(evaluate(c, as_of=D("2024-12-31"))) == [("evaluation-excellence", 100_000, "2024-03-01")]


# --- the smaller faults ----------------------------------------------------------------------


def clauses(decision):
    return [x.clause for x in decision.citations]


def test_an_incubators_already_awarded_refusal_cites_no_maker_space_clause():
    c = carrier("incubator", evaluated("2024-02-01", 2023, "municipal", "excellent"),
                evaluated("2024-04-01", 2023, "municipal", "excellent"))
    refusal = evaluate(c, as_of=D("2024-12-31")).not_awarded[0]
    assert refusal.reason == "already_awarded"
    assert clauses(refusal) == ["q6-incubator-evaluation"]


def test_maker_space_refusals_under_no_district_level_cite_no_incubator_clause():
    c = carrier("maker_space", filed("2023-05-01", "district"), evaluated("2024-03-01", 2023, "district", "excellent"))
    ev = evaluate(c, as_of=D("2024-12-31"), readings={"district_maker_space": "no_district_level"})
    assert [clauses(d) for d in ev.not_awarded] == [
        ["q6-maker-space-filing", "q2-maker-space-levels"],
        ["q6-maker-space-evaluation", "q2-maker-space-levels"],
    ]


def test_level_already_paid_reports_what_that_level_received_not_the_ladder_total():
    c = carrier("incubator", accredited("2023-02-01", "district"), accredited("2023-06-01", "municipal"),
                accredited("2024-09-01", "municipal"))
    ev = evaluate(c, as_of=D("2026-12-31"))
    assert ev.total == 500_000
    refusal = ev.not_awarded[0]
    assert refusal.reason == "level_already_paid" and refusal.already_received == 500_000
    assert "该级别已获补助(300,000元)" in refusal.explanation_zh


def test_the_explanation_says_from_when_the_year_was_counted_again():
    c = carrier("incubator", accredited("2023-05-01", "municipal"), {"type": "suspended", "date": "2023-08-01"},
                {"type": "resumed", "date": "2023-09-15"})
    award = evaluate(c, as_of=D("2025-12-31")).awards[0]
    assert award.payable_on == D("2024-09-15")
    assert "counted from 2023-09-15" in award.explanation_en and "自2023-09-15起正常运行" in award.explanation_zh


def test_a_payment_settling_a_title_from_before_the_plan_is_earlier_money():
    c = carrier("maker_space", filed("2021-03-01", "municipal"), paid("2022-03-20", "municipal", 200_000, settles="e0"),
                filed("2023-06-01", "national"))
    ev = evaluate(c, as_of=D("2025-12-31"))
    assert amounts(ev) == [("upgrade-differential", 300_000, "2024-06-01")]
    r = reconcile(c, "2025-12-31")
    assert [(x.status, x.paid) for x in r.lines] == [("unpaid", 0), ("outside_plan", 200_000)]
