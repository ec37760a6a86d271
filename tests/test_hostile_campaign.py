"""Hostile input campaign (issue 15h): what a user hits, in every format and on every path.

Each test holds one class of what was found; the inputs that found it are in its parameters.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from incubator_rules.views.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.mark.parametrize("name, argv", [
    ("wanzhou-portfolio.yaml", ["evaluate-many", "{f}", "--as-of", "2026-06-30", "-o", "{f}"]),
    ("q6-maker-space.yaml", ["evaluate", "{f}", "--as-of", "2026-06-30", "-o", "{f}"]),
    ("wanzhou-portfolio.yaml", ["assess", "{f}", "--ruleset", "wanzhou-2023-targets", "--as-of", "2024-12-31", "-o", "{f}"]),
    ("wanzhou-portfolio.xlsx", ["workbook", "{f}", "-o", "{f}"]),
    ("wanzhou-portfolio.yaml", ["convert", "{f}", "{f}"]),
])
def test_an_output_named_like_the_input_is_refused_and_the_input_is_kept(tmp_path, capsys, monkeypatch, name, argv):
    for example in ("wanzhou-portfolio.yaml", "wanzhou-snapshots.csv", name):
        shutil.copy(EXAMPLES / example, tmp_path / example)
    monkeypatch.chdir(tmp_path)
    before = (tmp_path / name).read_bytes()
    spelled = [a.replace("{f}", name) for a in argv]
    spelled[-1] = spelled[-1].replace(name, f"./{name}")  # the same file under another spelling
    assert main(spelled) == 2
    err = capsys.readouterr().err
    assert "the output is the input" in err and "Traceback" not in err
    assert (tmp_path / name).read_bytes() == before
