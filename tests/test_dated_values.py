"""Dated values (OpenFisca style): a decision uses the amount in force on its event's date and cites it."""

import datetime

import pytest

from incubator_rules import evaluate, load_ruleset, parse_ruleset
from incubator_rules.model.carrier import Level
from incubator_rules.views.cli import main

from amendments import amended_text, write_amended
from histories import accredited, carrier, evaluated, filed

D = datetime.date.fromisoformat
AMENDED = parse_ruleset(amended_text(), file="wanzhou-2023-amended.yaml")


def test_table_value_picks_the_amount_in_force_on_a_date():
    table = AMENDED.tables["construction_subsidy"]
    found = [table.value("incubator", Level.MUNICIPAL, D(day)) for day in ("1990-01-01", "2024-12-31", "2025-01-01", "2030-01-01")]
    assert [(v.amount, v.start, v.clause) for v in found] == [
        (500_000, None, "q6-incubator-accreditation"),  # the first value has no `from`: it applies from the start
        (500_000, None, "q6-incubator-accreditation"),
        (800_000, D("2025-01-01"), "notice-2025-municipal-incubator"),
        (800_000, D("2025-01-01"), "notice-2025-municipal-incubator"),
    ]


def test_a_first_value_with_a_date_leaves_earlier_dates_without_an_amount():
    rs = parse_ruleset(amended_text().replace("- {amount: 500000}", "- {from: 2023-01-01, amount: 500000}"))
    table = rs.tables["construction_subsidy"]
    assert table.value("incubator", Level.MUNICIPAL, D("2022-12-31")) is None
    assert table.value("incubator", Level.MUNICIPAL, D("2023-01-01")).start == D("2023-01-01")


@pytest.mark.parametrize("accredited_on, amount, in_force_from, clause", [
    ("2024-12-31", 500_000, None, "q6-incubator-accreditation"),
    ("2025-01-01", 800_000, "2025-01-01", "notice-2025-municipal-incubator"),
])
def test_the_accreditation_date_decides_which_amount_applies(accredited_on, amount, in_force_from, clause):
    c = carrier("incubator", accredited(accredited_on, "municipal"))
    ev = evaluate(c, AMENDED, as_of="2026-12-31")
    [award] = ev.awards
    in_force_from = in_force_from and D(in_force_from)
    assert (award.amount, award.amount_in_force_from, [x.clause for x in award.citations]) == (amount, in_force_from, [clause])
    assert award.full_amount == amount
    if clause.startswith("notice"):
        assert award.citations[0].document == "notice-2025"
        assert "80万元" in award.citations[0].text


def test_the_payable_date_does_not_move_an_accreditation_to_the_new_amount():
    # accredited in 2024 under the old amount, payable in 2025 after the new one took effect: still 500,000
    c = carrier("incubator", accredited("2024-06-01", "municipal"))
    [award] = evaluate(c, AMENDED, as_of="2026-12-31").awards
    assert (award.payable_on, award.amount) == (D("2025-06-01"), 500_000)


def test_a_differential_uses_the_amount_in_force_on_the_upgrade_and_cites_it():
    # district 200,000 in 2023; municipal in 2025 at the new 800,000: differential 600,000
    c = carrier("incubator", accredited("2023-03-01", "district"), accredited("2025-02-01", "municipal"))
    ev = evaluate(c, AMENDED, as_of="2026-12-31")
    assert [(d.rule, d.amount) for d in ev.awards] == [("accreditation-subsidy", 200_000), ("upgrade-differential", 600_000)]
    diff = ev.awards[1]
    assert [x.clause for x in diff.citations] == ["notice-2025-municipal-incubator", "q6-example", "differential-base"]
    assert (diff.full_amount, diff.already_received, diff.amount_in_force_from) == (800_000, 200_000, D("2025-01-01"))


def test_other_cells_are_untouched_by_the_amendment():
    c = carrier("maker_space", filed("2025-02-01", "municipal"), evaluated("2025-03-01", 2024, "municipal", "excellent"))
    shipped = evaluate(c, load_ruleset(), as_of="2026-12-31")
    amended = evaluate(c, AMENDED, as_of="2026-12-31")
    assert [d.to_dict() for d in shipped.awards] == [d.to_dict() for d in amended.awards]
    assert shipped.ruleset_sha256 != amended.ruleset_sha256


def test_a_case_file_can_pin_the_amount_in_force_and_its_clause(tmp_path, capsys):
    ruleset = write_amended(tmp_path)
    case = tmp_path / "case.yaml"
    case.write_text(f"""
ruleset: {ruleset.name}
carrier:
  id: inc-2025
  name: municipal incubator accredited in 2025
  kind: incubator
  events:
    - {{id: acc, type: accredited, date: 2025-03-10, level: municipal}}
cases:
  - name: the 2025 notice's amount
    as_of: 2026-06-30
    expected:
      awards:
        - {{amount: 800000, payable_on: 2026-03-10, amount_in_force_from: 2025-01-01, clause: notice-2025-municipal-incubator}}
  - name: wrongly expecting the old amount
    as_of: 2026-06-30
    expected:
      awards:
        - {{amount: 500000, clause: q6-incubator-accreditation}}
""", encoding="utf-8")
    assert main(["test", str(case)]) == 1
    out = capsys.readouterr().out
    assert "PASS" in out and "the 2025 notice's amount" in out
    assert "amount: expected 500,000, actual 800,000" in out
    assert "clause: expected q6-incubator-accreditation, actual [notice-2025-municipal-incubator]" in out
    assert out.rstrip().endswith("1 passed, 1 failed")
