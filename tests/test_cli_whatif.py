"""The command line: synthetic districts, budgets and scenario comparisons."""

import json

import incubator_rules as ir
from incubator_rules.views.cli import main
from incubator_rules.tools.synthetic import generate_portfolio

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


def _expected_lines(path, as_of="2026-12-31"):
    return [ir.evaluate(c, as_of=as_of).to_json(indent=None) for c in ir.load_carriers(path)]


def test_evaluate_many_prints_one_json_line_per_carrier_in_input_order(capsys):
    assert main(["evaluate-many", PORTFOLIO, "--as-of", "2026-12-31"]) == 0
    out, err = capsys.readouterr()
    expected = _expected_lines(PORTFOLIO)
    assert out.splitlines() == expected
    awarded = sum(json.loads(line)["totals"]["awarded"] for line in expected)
    pending = sum(json.loads(line)["totals"]["pending"] for line in expected)
    assert err.strip() == f"{len(expected)} carriers evaluated: {awarded:,} yuan awarded, {pending:,} yuan pending"


def test_evaluate_many_on_workers_writes_the_same_file(tmp_path, capsys):
    out = tmp_path / "evaluations.jsonl"
    assert main(["evaluate-many", PORTFOLIO, "--as-of", "2026-12-31", "--workers", "2", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").splitlines() == _expected_lines(PORTFOLIO)
    assert capsys.readouterr().out == ""
    assert [p.name for p in tmp_path.iterdir()] == ["evaluations.jsonl"]


def test_evaluate_many_writes_the_whole_file_or_none(tmp_path, capsys, monkeypatch):
    from incubator_rules.views import cli_stream

    real, seen = cli_stream.evaluation_record, []

    def failing(ev):
        seen.append(ev.carrier_id)
        if len(seen) == 5:
            raise ir.IncubatorRulesError("the fifth carrier fails", field="carriers[4]")
        return real(ev)

    monkeypatch.setattr(cli_stream, "evaluation_record", failing)
    out = tmp_path / "evaluations.jsonl"
    out.write_text("an earlier run\n", encoding="utf-8")
    assert main(["evaluate-many", PORTFOLIO, "--as-of", "2026-12-31", "-o", str(out)]) == 2
    assert "the fifth carrier fails" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "an earlier run\n"  # not replaced by a partial result
    assert [p.name for p in tmp_path.iterdir()] == ["evaluations.jsonl"]


def test_evaluate_many_names_an_output_it_cannot_write(tmp_path, capsys):
    assert main(["evaluate-many", PORTFOLIO, "-o", str(tmp_path / "missing" / "x.jsonl")]) == 2
    assert "--output: cannot write" in capsys.readouterr().err
