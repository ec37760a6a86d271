"""Case files: reading them, comparing expected with actual decisions, and the `test` command."""

import pytest

from incubator_rules import CarrierError, DocumentError
from incubator_rules.tools.cases import load_cases, run_case
from incubator_rules.views.cli import main
from incubator_rules.errors import CaseError

CARRIER = """carrier:
  id: ms
  name: maker space
  kind: maker_space
  events:
    - {id: municipal, type: filed, date: 2023-02-01, level: municipal}
    - {id: national, type: filed, date: 2024-03-01, level: national}
"""


def write(tmp_path, body, name="case.yaml"):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def run(tmp_path, cases):
    return [run_case(c) for c in load_cases(write(tmp_path, CARRIER + "as_of: 2025-12-31\ncases:\n" + cases))]


def test_only_the_fields_a_case_names_are_compared(tmp_path):
    [loose, strict] = run(tmp_path, """
  - name: amounts only
    expected:
      awards: [{amount: 300000}, {amount: 200000}]
  - name: everything
    expected:
      awards:
        - {rule: accreditation-subsidy, amount: 200000, payable_on: 2024-02-01, level: municipal, event: municipal,
           clause: q6-maker-space-filing, amount_in_force_from: null}
        - {rule: upgrade-differential, amount: 300000, payable_on: 2025-03-01, level: national, event: national, clause: q6-example}
      pending: []
      not_awarded: []
      total: 500000
      pending_total: 0
""")
    assert (loose.passed, strict.passed) == (True, True)


def test_a_missing_decision_is_shown_beside_the_closest_actual_one(tmp_path):
    [result] = run(tmp_path, """
  - name: wrong differential
    expected:
      awards:
        - {rule: accreditation-subsidy, amount: 200000}
        - {rule: upgrade-differential, amount: 500000, payable_on: 2025-03-01}
      total: 700000
""")
    assert not result.passed
    assert list(result.differences) == [
        "awards: 2 expected, 2 actual",
        "  ~ expected (line 15): rule=upgrade-differential  amount=500,000  payable_on=2025-03-01",
        "    actual: rule=upgrade-differential  amount=300,000  payable_on=2025-03-01  event=national  level=national",
        "      amount: expected 500,000, actual 300,000",
        "total: expected 700,000, actual 500,000 (difference -200,000)",
    ]


def test_unexpected_and_not_found_decisions_are_listed(tmp_path):
    [none_expected, too_many] = run(tmp_path, """
  - name: expects nothing
    expected:
      awards: []
  - name: expects three
    expected:
      pending: [{amount: 1}]
""")
    assert none_expected.differences[0] == "awards: 0 expected, 2 actual"
    assert sum(line.startswith("  + unexpected: rule=") for line in none_expected.differences) == 2
    assert "municipal maker space filing on 2023-02-01" in none_expected.differences[2]
    assert too_many.differences == ("pending: 1 expected, 0 actual", "  - expected (line 16): amount=1", "      not found")


def test_matching_does_not_depend_on_the_order_of_expected_decisions(tmp_path):
    # the first expectation fits both awards, the second only one: a greedy pairing could fail
    path = write(tmp_path, """carrier:
  id: ms
  name: maker space excellent twice
  kind: maker_space
  events:
    - {id: e2023, type: evaluated, date: 2024-03-01, year: 2023, level: municipal, grade: excellent}
    - {id: e2024, type: evaluated, date: 2025-03-01, year: 2024, level: municipal, grade: excellent}
as_of: 2025-12-31
cases:
  - name: loose first
    expected:
      awards: [{amount: 50000}, {amount: 50000, event: e2023}]
  - name: strict first
    expected:
      awards: [{amount: 50000, event: e2023}, {amount: 50000}]
  - name: one too many
    expected:
      awards: [{amount: 50000, event: e2023}, {amount: 50000, event: e2023}]
""")
    assert [run_case(c).passed for c in load_cases(path)] == [True, True, False]


def test_readings_and_a_carrier_file_path(tmp_path):
    write(tmp_path, "id: ms\nname: maker space\nkind: maker_space\nevents:\n"
                    "  - {id: municipal, type: filed, date: 2023-02-01, level: municipal}\n"
                    "  - {id: national, type: filed, date: 2024-03-01, level: national}\n", name="ms.yaml")
    path = write(tmp_path, """carrier: ms.yaml
as_of: 2024-06-30
cases:
  - name: again
    expected: {pending: [{rule: upgrade-differential, amount: 300000, payable_on: 2025-03-01}]}
  - name: once
    readings: {upgrade_year_condition: once}
    expected: {awards: [{amount: 200000}, {rule: upgrade-differential, amount: 300000, payable_on: 2024-03-01}], pending: []}
""")
    results = [run_case(c) for c in load_cases(path)]
    assert [r.passed for r in results] == [True, True]
    assert results[1].evaluation.readings["upgrade_year_condition"] == "once"


@pytest.mark.parametrize("body, error, field", [
    ("cases: [{name: x, as_of: 2024-01-01, expected: {total: 0}}]\n", CaseError, "cases[0].carrier"),
    ("carrier: nowhere.yaml\nas_of: 2024-01-01\ncases: [{name: x, expected: {total: 0}}]\n", CaseError, "carrier"),
    (CARRIER.replace("maker_space", "bakery") + "as_of: 2024-01-01\ncases: [{name: x, expected: {total: 0}}]\n",
     CarrierError, "carrier.kind"),
    (CARRIER + "ruleset: atlantis\nas_of: 2024-01-01\ncases: [{name: x, expected: {total: 0}}]\n", CaseError, "ruleset"),
    (CARRIER + "as_of: 2024-01-01\ncases: [{name: x, expected: {total: 1.5}}]\n", CaseError, "cases[0].expected.total"),
])
def test_bad_case_files_raise_typed_errors(tmp_path, body, error, field):
    with pytest.raises(error) as err:
        load_cases(write(tmp_path, body))
    assert err.value.field == field and err.value.line is not None


def test_test_command_reports_and_exits(tmp_path, capsys):
    assert main(["test", "tests/cases"]) == 0
    out = capsys.readouterr().out
    assert out.count("PASS ") >= 40 and "FAIL" not in out
    assert main(["test", "-q", "tests/cases/q6-worked-example.yaml"]) == 0
    assert capsys.readouterr().out == "3 passed, 0 failed\n"
    failing = write(tmp_path, CARRIER + "as_of: 2025-12-31\ncases: [{name: wrong, expected: {total: 1}}]\n")
    assert main(["test", str(failing)]) == 1
    assert "FAIL " in capsys.readouterr().out
    broken = write(tmp_path, "cases: 3\n", name="broken.yaml")
    assert main(["test", str(failing), str(broken)]) == 2
    out = capsys.readouterr().out
    assert f"ERROR {broken}:1:8: cases: expected a non-empty list of cases" in out
    assert out.rstrip().endswith("0 passed, 1 failed, 1 file unreadable")
    with pytest.raises(DocumentError):
        load_cases(tmp_path / "missing.yaml")
