"""The command line: synthetic districts, budgets and scenario comparisons."""

import json

import incubator_rules as ir
from incubator_rules.cli import main
from incubator_rules.synthetic import generate_portfolio

PORTFOLIO = "examples/wanzhou-synthetic-portfolio.yaml"
SCENARIOS = "examples/what-if-scenarios.yaml"


def test_synthetic_writes_a_portfolio_that_loads_back(tmp_path, capsys):
    out = tmp_path / "district.yaml"
    assert main(["synthetic", "25", "--seed", "7", "-o", str(out)]) == 0
    assert ir.load_carriers(out) == generate_portfolio(25, "7")
    assert "not real data" in out.read_text(encoding="utf-8")


def test_the_shipped_example_portfolio_is_the_synthetic_one():
    assert ir.load_carriers(PORTFOLIO) == generate_portfolio(60, "wanzhou-5", prefix="wz")


def test_compare_prints_totals_and_years(capsys):
    assert main(["compare", PORTFOLIO, SCENARIOS, "--with-base", "--as-of", "2026-12-31", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    expected = ir.compare(PORTFOLIO, None, *ir.load_scenarios(SCENARIOS), as_of="2026-12-31")
    assert data["totals"] == expected.totals()
    assert data["changed"]["wz-000029 files a year later"] == [{"carrier": "wz-000029", "difference": -500_000}]
    assert main(["compare", PORTFOLIO, SCENARIOS, "--with-base", "--as-of", "2026-12-31"]) == 0
    assert "municipal incubator 800k" in capsys.readouterr().out


def test_budget_prints_each_year(capsys):
    assert main(["budget", PORTFOLIO, "--as-of", "2026-12-31"]) == 0
    text = capsys.readouterr().out
    total = ir.budget(PORTFOLIO, as_of="2026-12-31").total
    assert f"base: {total:,} yuan" in text
    assert main(["budget", PORTFOLIO, "--as-of", "2026-12-31", "--workers", "2"]) == 0
    assert capsys.readouterr().out == text


def test_a_bad_number_of_workers_exits_2(capsys):
    assert main(["budget", PORTFOLIO, "--as-of", "2026-12-31", "--workers", "0"]) == 2
    assert "workers" in capsys.readouterr().err


def test_a_bad_scenario_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- name: x\n  readings: {year_counted_from: never}\n", encoding="utf-8")
    assert main(["compare", PORTFOLIO, str(bad), "--as-of", "2026-12-31"]) == 2
    assert "scenario 'x'" in capsys.readouterr().err
