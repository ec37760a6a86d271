"""Hostile input campaign 2: the synthetic command's formats, readings, the HTTP service, JSON Lines
portfolios and CSV tables.

Each test holds one class of what was found; the inputs that found it are in its parameters. Every input
either works or gets a typed error naming its field, file and line; none gives a traceback, a silent
reinterpretation, or a half-written file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import incubator_rules as ir
from incubator_rules.tools.synthetic import generate_portfolio
from incubator_rules.views.cli import main
from incubator_rules.views.cli_common import parse_readings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
Q6 = EXAMPLES / "q6-maker-space.yaml"


def refused(capsys: pytest.CaptureFixture[str], argv: list[str], code: int = 2) -> str:
    """Standard error of a command that must fail with ``code`` and no traceback."""
    assert main(argv) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


# --- synthetic -o: the format the name says -------------------------------------------------


@pytest.mark.parametrize("name, head", [
    ("s.jsonl", '{"portfolio":'), ("s.NDJSON", '{"portfolio":'), ("s.json", '{"id":'),
    ("s.yml", "# A synthetic district"), ("s.yaml", "# A synthetic district"),
])
def test_synthetic_writes_the_format_its_output_name_says(tmp_path, capsys, name, head):
    out = tmp_path / name
    assert main(["synthetic", "4", "--seed", "3", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith(head)
    assert ir.load_carriers(out) == generate_portfolio(4, "3")
    capsys.readouterr()
    assert main(["evaluate-many", str(out), "--as-of", "2026-06-30", "-o", str(tmp_path / "e.jsonl")]) == 0


@pytest.mark.parametrize("name", ["tables", "tables/"])
def test_synthetic_writes_csv_tables_to_a_folder_name(tmp_path, name):
    assert main(["synthetic", "4", "--seed", "3", "-o", str(tmp_path / name), "--district", "D"]) == 0
    folder = tmp_path / "tables"
    assert (folder / "carriers.csv").is_file() and (folder / "events.csv").is_file()
    portfolio = ir.load_portfolio(folder)
    assert list(portfolio.carriers) == generate_portfolio(4, "3")
    assert (portfolio.id, portfolio.district) == ("synthetic-3", "D")


@pytest.mark.parametrize("name", ["s.txt", "s.csv", "s.yaml.bak", "s.xml"])
def test_synthetic_refuses_an_output_name_of_no_known_format(tmp_path, capsys, name):
    err = refused(capsys, ["synthetic", "3", "-o", str(tmp_path / name)])
    assert "--output: cannot tell the portfolio format" in err and ".jsonl" in err and ".xlsx" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("command", [["synthetic", "2", "-o"], ["convert", str(EXAMPLES / "wanzhou-portfolio.yaml")]])
def test_a_folder_name_that_is_a_fifo_or_a_dangling_link_is_refused_saying_what_it_is(tmp_path, capsys, command):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    assert "fifo': it is a FIFO, not a folder" in refused(capsys, [*command, str(tmp_path / "fifo")])
    assert "link': it is a symbolic link, not a folder" in refused(capsys, [*command, str(tmp_path / "link")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo", "link"]


# --- --reading NAME=VALUE ---------------------------------------------------------------------


@pytest.mark.parametrize("pair", [" =x", "  = x", "x= ", "=", " = ", "noequals", "\t=v"])
def test_a_reading_with_a_blank_name_or_value_is_refused(capsys, pair):
    with pytest.raises(ir.IncubatorRulesError, match="expected NAME=VALUE") as caught:
        parse_readings([pair])
    assert caught.value.field == "--reading"
    err = refused(capsys, ["evaluate", str(Q6), "--as-of", "2026-06-30", "--reading", pair])
    assert "--reading: expected NAME=VALUE" in err


def test_a_reading_given_twice_must_agree():
    assert parse_readings([" a = x ", "a=x", "b=y"]) == {"a": "x", "b": "y"}
    with pytest.raises(ir.IncubatorRulesError, match="'a' is given twice, as 'x' and as 'y'") as caught:
        parse_readings(["a=x", " a =y"])
    assert caught.value.field == "--reading"


def test_a_reading_given_twice_differently_is_refused_on_the_command_line(capsys):
    err = refused(capsys, ["evaluate", str(Q6), "--as-of", "2026-06-30",
                           "--reading", "year_counted_from=a", "--reading", "year_counted_from=b"])
    assert "--reading: 'year_counted_from' is given twice" in err
