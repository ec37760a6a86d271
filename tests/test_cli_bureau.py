"""The command line as a bureau meets it: version, help, wrong files, other districts, baselines, locks, CSV, the test runner."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

import incubator_rules as ir
from incubator_rules.tools.check import check_file
from incubator_rules.views.cli import main
from incubator_rules.views.tables import wan

from amendments import write_amended

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CASES = ROOT / "tests" / "cases"
SYNTHETIC = str(EXAMPLES / "wanzhou-synthetic-portfolio.yaml")
SCENARIOS = str(EXAMPLES / "what-if-scenarios.yaml")


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"incubator-rules {ir.__version__}"


def test_evaluate_help_lists_the_readings_with_their_alternatives_and_the_formats():
    out = subprocess.run([sys.executable, "-m", "incubator_rules", "evaluate", "--help"], capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout
    rs = ir.load_ruleset()
    for reading in rs.readings.values():
        assert f"  {reading.name}: " in out
        for alternative in reading.alternatives:
            assert f"      {alternative}" in out
        assert f"{reading.default} (default)" in out
    for fmt in ("table", "json", "csv", "xlsx"):
        assert fmt in out.split("formats (--format):", 1)[1]


def test_evaluate_given_a_portfolio_points_to_evaluate_many(capsys):
    assert 2 == main(["evaluate", str(EXAMPLES / "wanzhou-portfolio.yaml"), "--as-of", "2024-12-31"])
    err = capsys.readouterr().err
    assert "is a portfolio" in err and f"incubator-rules evaluate-many {EXAMPLES / 'wanzhou-portfolio.yaml'}" in err
    assert "unknown field" not in err
    assert 2 == main(["evaluate", str(EXAMPLES / "wanzhou-portfolio.xlsx")])
    assert "evaluate-many" in capsys.readouterr().err


def test_a_portfolio_of_another_district_is_refused_unless_asked_for(capsys):
    args = ["assess", str(EXAMPLES / "wanzhou-portfolio.yaml"), "--ruleset", "jiangbei-2022-targets", "--as-of", "2024-12-31"]
    assert 2 == main(args)
    err = capsys.readouterr().err
    assert "万州区" in err and "重庆市江北区" in err and "--other-district" in err
    assert 0 == main(args + ["--other-district"])
    assert "warning: portfolio 'wanzhou-example' is of 万州区" in capsys.readouterr().err
    # its own district's targets: no word
    assert 0 == main(["assess", str(EXAMPLES / "wanzhou-portfolio.yaml"), "--ruleset", "wanzhou-2023-targets",
                      "--as-of", "2024-12-31"])
    assert "warning" not in capsys.readouterr().err
    # in Python: a warning of its own class
    portfolio = ir.load_portfolio(EXAMPLES / "wanzhou-portfolio.yaml")
    with pytest.warns(ir.DistrictMismatchWarning, match="江北区"):
        ir.assess(portfolio, "jiangbei-2022-targets", "2024-12-31")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ir.assess(portfolio, "wanzhou-2023-targets", "2024-12-31")


def test_compare_states_what_the_difference_is_measured_from(capsys):
    for command in ("compare", "budget"):
        out = subprocess.run([sys.executable, "-m", "incubator_rules", command, "--help"], capture_output=True,
                             text=True, check=True, cwd=ROOT).stdout
        assert "less the first scenario's" in " ".join(out.split())
    assert 0 == main(["compare", SYNTHETIC, SCENARIOS, "--as-of", "2026-12-31"])
    out = capsys.readouterr().out
    assert "difference: each scenario's total less 'municipal incubator 800k''s" in out
    assert 0 == main(["compare", SYNTHETIC, SCENARIOS, "--with-base", "--as-of", "2026-12-31", "--format", "json"])
    assert json.loads(capsys.readouterr().out)["base"] == "base"


def test_compare_per_year_table_keeps_whole_scenario_names(capsys):
    assert 0 == main(["compare", SYNTHETIC, SCENARIOS, "--with-base", "--as-of", "2026-12-31"])
    out = capsys.readouterr().out
    per_year = out.split("\n\n", 1)[1]
    header = per_year.splitlines()[0]
    for name in ("municipal incubator 800k", "year from start of operation", "wz-000029 files a year later"):
        assert name in header
    rows = per_year.splitlines()
    assert len({len(r) for r in rows}) == 1  # columns line up


def _read_csv(path: Path) -> tuple[bytes, list[list[str]]]:
    raw = path.read_bytes()
    return raw[:3], list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_csv_outputs_start_with_a_byte_order_mark_and_hold_plain_numbers(tmp_path):
    budget_csv = tmp_path / "budget.csv"
    assert 0 == main(["budget", SYNTHETIC, "--as-of", "2026-12-31", "--format", "csv", "-o", str(budget_csv)])
    bom, rows = _read_csv(budget_csv)
    assert bom == b"\xef\xbb\xbf"
    assert rows[0] == ["year", "base", "base (万元)"]
    total = ir.budget(ir.load_carriers(SYNTHETIC), as_of="2026-12-31").total
    total_row = next(r for r in rows if r and r[0] == "total")
    assert int(total_row[1]) == total and total_row[2] == format(wan(total), "f")
    years = [r[0] for r in rows[1:] if r and r[0].isdigit()]
    assert years == sorted(years) and all("," not in y for y in years)
    assess_csv = tmp_path / "assess.csv"
    assert 0 == main(["assess", str(EXAMPLES / "wanzhou-portfolio.yaml"), "--ruleset", "wanzhou-2023-targets",
                      "--as-of", "2024-12-31", "--format", "csv", "-o", str(assess_csv)])
    bom, rows = _read_csv(assess_csv)
    assert bom == b"\xef\xbb\xbf"
    header = rows[0]
    floor = dict(zip(header, next(r for r in rows if r and r[0] == "floor-area")))
    assert floor["attainment"] == "0.921429" and floor["attainment_percent"] == "92.14"  # 64500 / 70000
    titles = [r[0] for r in rows if r and r[0].startswith("# ")]
    assert titles == ["# 风险载体 / carriers at risk", "# 可晋级载体 / ready to climb", "# 基本信息 / about"]
    about = {r[0]: r[2] for r in rows[rows.index(["# 基本信息 / about"]) + 2:] if r}
    assert about["sha256"] == ir.load_targets("wanzhou-2023-targets").sha256
    at_risk = rows[rows.index(["# 风险载体 / carriers at risk"]) + 2:]
    assert {"wz-17", "wz-18", "wz-21"} <= {r[0] for r in at_risk if r}
    evaluate_csv = tmp_path / "q6.csv"
    assert 0 == main(["evaluate", str(EXAMPLES / "q6-maker-space.yaml"), "--as-of", "2026-06-30", "--format", "csv",
                      "-o", str(evaluate_csv)])
    bom, rows = _read_csv(evaluate_csv)
    assert bom == b"\xef\xbb\xbf" and rows[1][6] == "200000" and rows[1][7] == "20"
    compare_csv = tmp_path / "compare.csv"
    assert 0 == main(["compare", SYNTHETIC, SCENARIOS, "--with-base", "--as-of", "2026-12-31", "--format", "csv",
                      "-o", str(compare_csv)])
    assert _read_csv(compare_csv)[1][1][0] == "base"


def test_budget_has_json_and_table_formats(capsys):
    assert 0 == main(["budget", SYNTHETIC, "--as-of", "2026-12-31", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert data[0]["total"] == sum(data[0]["by_year"].values())
    assert 0 == main(["budget", SYNTHETIC, "--as-of", "2026-12-31"])
    out = capsys.readouterr().out
    assert "accreditation-subsidy" in out  # rule names in full, not cut to 22 characters


def test_lock_beside_a_draft_keeps_the_released_versions(tmp_path, capsys):
    draft = write_amended(tmp_path, version="1.1.0")
    assert 0 == main(["lock", str(draft)])
    text = (tmp_path / "versions.lock").read_text(encoding="utf-8")
    shipped = (ROOT / "rulesets" / "versions.lock").read_text(encoding="utf-8")
    assert text.startswith(shipped)
    assert text.count("\n") == shipped.count("\n") + 1 and "wanzhou-2023 1.1.0 " in text
    assert check_file(draft).ok
    # the shipped version number with other content is still refused beside the draft
    again = write_amended(tmp_path, version="1.0.0")
    assert [p.field for p in check_file(again).problems] == ["version"]


@pytest.mark.parametrize("version, ok", [("banana", False), ("1", False), ("1.0.0.0", False), ("v1.0.0", False),
                                         ("1.0.0", True), ("2.1", True), ("1.0.0-rc.1", True), ("1.2.3+build.5", True)])
def test_a_version_must_be_a_semantic_version(tmp_path, version, ok):
    text = re.sub(r'(?m)^version: ".*"$', f'version: "{version}"', (ROOT / "rulesets" / "wanzhou-2023.yaml").read_text(encoding="utf-8"))
    path = tmp_path / "wanzhou-2023.yaml"
    path.write_text(text, encoding="utf-8")
    problems = check_file(path, lock=tmp_path / "none.lock").problems
    if ok:
        assert not problems
    else:
        assert [p.field for p in problems] == ["version"] and "semantic version" in problems[0].message
    targets = re.sub(r'(?m)^version: ".*"$', f'version: "{version}"', (ROOT / "rulesets" / "wanzhou-2023-targets.yaml").read_text(encoding="utf-8"))
    tpath = tmp_path / "targets.yaml"
    tpath.write_text(targets, encoding="utf-8")
    assert bool(check_file(tpath, lock=tmp_path / "none.lock").problems) is not ok


def test_the_test_runner_selects_by_name(capsys):
    assert 0 == main(["test", str(CASES), "-k", "50万元"])
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("PASS")]
    assert lines and all("50万元" in line for line in lines)
    assert out.rstrip().endswith("deselected")
    assert 0 == main(["test", str(CASES), "-k", "q6-worked*", "-q"])
    assert "0 failed" in capsys.readouterr().out
    assert 1 == main(["test", str(CASES), "-k", "no such case"])
    assert "no case matches" in capsys.readouterr().err


def test_the_test_runner_writes_json_and_junit(tmp_path, capsys):
    assert 0 == main(["test", str(CASES), "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["failed"] == 0 and data["summary"]["passed"] == len(data["cases"]) > 20
    junit = tmp_path / "junit.xml"
    broken = tmp_path / "cases"
    broken.mkdir()
    (broken / "bad.yaml").write_text((CASES / "construction-subsidy-table.yaml").read_text(encoding="utf-8")
                                     .replace("amount: 1000000", "amount: 1000001", 1), encoding="utf-8")
    assert 1 == main(["test", str(broken), "--format", "junit", "-o", str(junit)])
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites" and int(root.get("failures")) == 1
    failure = root.find(".//testcase/failure")
    assert failure is not None and "expected 1,000,001, actual 1,000,000" in failure.text


def test_clause_coverage_lists_the_clauses_no_case_exercises(tmp_path, capsys):
    assert 0 == main(["test", str(CASES), "--coverage", "-q"])
    out = capsys.readouterr().out
    rs = ir.load_ruleset()
    cited = set()
    for case_file in sorted(CASES.glob("*.yaml")):
        for case in ir.load_cases(case_file):
            ev = ir.run_case(case).evaluation
            for d in ev.awards + ev.pending + ev.not_awarded:
                cited.update(c.clause for c in d.citations)
                if d.condition is not None:
                    cited.update(c.clause for c in d.condition.citations)
    missing = [c for c in rs.clauses if c not in cited]
    assert f"clause coverage wanzhou-2023 {rs.version}: {len(rs.clauses) - len(missing)}/{len(rs.clauses)} clauses exercised" in out
    for clause in missing:
        assert f"  not exercised: {clause}" in out
    # one case file alone leaves more clauses unexercised
    assert 0 == main(["test", str(CASES / "q6-worked-example.yaml"), "--coverage", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert set(data["coverage"][0]["not_exercised"]) > set(missing)


def test_without_format_the_output_suffix_chooses_it(tmp_path):
    xlsx = tmp_path / "a.xlsx"
    assert 0 == main(["assess", str(EXAMPLES / "wanzhou-portfolio.yaml"), "--ruleset", "wanzhou-2023-targets",
                      "--as-of", "2024-12-31", "-o", str(xlsx)])
    assert xlsx.read_bytes()[:2] == b"PK"  # a workbook (a zip), not text under an .xlsx name
    junit = tmp_path / "cases.xml"
    assert 0 == main(["test", str(CASES), "-k", "50万元", "-o", str(junit)])
    assert ET.parse(junit).getroot().tag == "testsuites"
    csv_out = tmp_path / "q6.csv"
    assert 0 == main(["evaluate", str(EXAMPLES / "q6-maker-space.yaml"), "--as-of", "2026-06-30", "-o", str(csv_out)])
    assert csv_out.read_bytes().startswith(b"\xef\xbb\xbf")
    explicit = tmp_path / "q6.json.xlsx"
    assert 0 == main(["evaluate", str(EXAMPLES / "q6-maker-space.yaml"), "--as-of", "2026-06-30", "--format", "json",
                      "-o", str(explicit)])
    assert json.loads(explicit.read_text(encoding="utf-8"))["totals"]["awarded"] == 500_000


def test_the_library_csv_is_the_command_lines(tmp_path):
    portfolio = ir.load_portfolio(EXAMPLES / "wanzhou-portfolio.yaml")
    report = ir.district_report(portfolio, "wanzhou-2023-targets", as_of="2024-12-31")
    out = tmp_path / "r.csv"
    assert 0 == main(["assess", str(EXAMPLES / "wanzhou-portfolio.yaml"), "--ruleset", "wanzhou-2023-targets",
                      "--as-of", "2024-12-31", "-o", str(out)])
    assert out.read_text(encoding="utf-8") == report.to_csv()
    targets = report.assessment.to_csv()
    assert targets.startswith("\ufeff") and targets.count("\n") == 1 + len(report.assessment.results)
    assert "129/140" not in targets


def test_a_csv_text_cell_that_would_start_a_formula_is_written_as_literal_text(tmp_path):
    text = (EXAMPLES / "q6-maker-space.yaml").read_text(encoding="utf-8")
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text(text.replace("id: wz-ms-a", "id: '=HYPERLINK(\"http://x\")'")
                       .replace("name: A众创空间 (maker space A, Q6 example)", "name: '@SUM(A1:A9)'"), encoding="utf-8")
    out = tmp_path / "hostile.csv"
    assert 0 == main(["evaluate", str(hostile), "--as-of", "2026-06-30", "--format", "csv", "-o", str(out)])
    _, rows = _read_csv(out)
    header, first = rows[0], dict(zip(rows[0], rows[1]))
    assert first["carrier_id"] == "'=HYPERLINK(\"http://x\")" and first["carrier_name"] == "'@SUM(A1:A9)"
    assert rows[1][6] == "200000"  # numbers stay numbers
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row), header
