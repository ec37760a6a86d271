"""The incubator-rules command line."""

import json
import subprocess
import sys

from incubator_rules.views.cli import main


def test_evaluate_prints_a_table(capsys):
    assert main(["evaluate", "examples/q6-maker-space.yaml", "--as-of", "2026-06-30"]) == 0
    out = capsys.readouterr().out
    assert "accreditation-subsidy" in out and "200,000" in out and "Total awarded: 500,000 yuan" in out
    assert "q6-maker-space-filing" in out


def test_evaluate_json_with_a_reading(capsys):
    args = ["evaluate", "examples/star-space-rectified.json", "--as-of", "2026-06-30", "--format", "json",
            "--reading", "differential_base=plan_awards_only"]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["readings"]["differential_base"] == "plan_awards_only"
    assert data["totals"]["awarded_by_rule"] == {"evaluation-excellence": 50_000, "accreditation-subsidy": 200_000}


def test_bad_input_exits_2_with_one_line_naming_file_line_and_field(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("id: c1\nname: A\nkind: maker_space\nevents:\n  - {type: filed, date: 2023-02-30, level: national}\n")
    assert main(["evaluate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert f"{path}:5:" in err and "events[0].date" in err


def test_bad_reading_and_bad_date_exit_2(capsys):
    assert main(["evaluate", "examples/q6-maker-space.yaml", "--reading", "ladders"]) == 2
    assert main(["evaluate", "examples/q6-maker-space.yaml", "--as-of", "soon"]) == 2
    assert main(["evaluate", "examples/q6-maker-space.yaml", "--ruleset", "nowhere"]) == 2


def test_rulesets_lists_the_shipped_ones(capsys):
    assert main(["rulesets"]) == 0
    assert "wanzhou-2023" in capsys.readouterr().out


def test_console_script_runs_as_a_module():
    proc = subprocess.run([sys.executable, "-m", "incubator_rules", "evaluate", "examples/incubator-ladder.yaml",
                           "--as-of", "2026-11-29", "--format", "json"], capture_output=True, text=True, check=True)
    assert json.loads(proc.stdout)["totals"]["awarded"] == 1_000_000
