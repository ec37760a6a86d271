"""docs/maintainers.md, replayed: its edits, commands and outputs are what the tool really does."""

import re
import shutil
from pathlib import Path

import pytest

from incubator_rules.views.cli import main
from incubator_rules.files.types import RULESETS_DIR

from amendments import amended_text

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "maintainers.md").read_text(encoding="utf-8")


def block(kind, name):
    """The fenced block that follows ``<!-- kind: name -->`` in the walk-through."""
    found = re.search(rf"<!-- {kind}: {name} -->\n```\w+\n(.*?)```", DOC, re.DOTALL)
    assert found, f"no {kind} {name!r} in docs/maintainers.md"
    return found.group(1)


def run(capsys, command):
    """Run a command shown in the walk-through and return its output as the reader sees it."""
    assert f"incubator-rules {command}" in DOC, command
    main(command.split())
    out = capsys.readouterr().out
    return out.replace(str(RULESETS_DIR / "versions.lock"), "rulesets/versions.lock")


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A copy of the repository's data files, to edit as the walk-through does."""
    for name in ("rulesets", "schemas", "examples", "tests/cases", "tests/rulesets", "docs/walkthrough"):
        shutil.copytree(ROOT / name, tmp_path / name)
    (tmp_path / "drafts" / "cases").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_walk_through(workspace, capsys):
    draft = workspace / "drafts" / "wanzhou-2023.yaml"
    shutil.copy("rulesets/wanzhou-2023.yaml", draft)
    assert run(capsys, "check drafts/wanzhou-2023.yaml") == block("output", "check-copy")

    # steps 2 and 3: the edits as the page shows them
    text = draft.read_text(encoding="utf-8")
    text = text.replace("\n\nplan_period:", "\n" + block("snippet", "document") + "\nplan_period:", 1)
    text = text.replace("\n\n# Which carrier kinds", "\n" + block("snippet", "clause") + "\n# Which carrier kinds", 1)
    old_values = "        values: {national: 1000000, municipal: 500000, district: 200000}\n"
    assert old_values in DOC
    text = text.replace(old_values, block("snippet", "values"), 1)
    assert text == amended_text("2.1.0")  # the same amendment the other tests use

    # step 4: first attempt with two mistakes, then fixed
    draft.write_text(text.replace("amount: 800000", "amount: 80万"), encoding="utf-8")
    assert run(capsys, "check drafts/wanzhou-2023.yaml") == block("output", "check-mistakes")
    draft.write_text(text.replace('version: "2.1.0"', 'version: "2.2.0"'), encoding="utf-8")
    assert run(capsys, "check drafts/wanzhou-2023.yaml") == block("output", "check-clean")

    # steps 5 and 6: the case file, its failure, the fix, then the existing cases
    case = workspace / "drafts" / "cases" / "municipal-incubator-2025.yaml"
    case.write_text(block("snippet", "case"), encoding="utf-8")
    assert run(capsys, "test drafts/cases") == block("output", "test-failure")
    wrong = "        - {rule: accreditation-subsidy, amount: 800000, payable_on: 2025-12-20}"
    case.write_text(case.read_text(encoding="utf-8").replace(wrong, wrong.replace("800000", "500000")), encoding="utf-8")
    assert run(capsys, "test -q drafts/cases") == block("output", "test-pass")
    existing = run(capsys, "test -q tests/cases --ruleset drafts/wanzhou-2023.yaml")
    assert re.fullmatch(r"\d+ passed, 0 failed\n", existing) and re.fullmatch(r"\d+ passed, 0 failed\n", block("output", "test-existing"))

    # a dated first value changes no existing case (step 3)
    draft.write_text(draft.read_text(encoding="utf-8").replace("- {amount: 500000}", "- {from: 2023-01-01, amount: 500000}"), encoding="utf-8")
    dated = run(capsys, "test -q tests/cases --ruleset drafts/wanzhou-2023.yaml")
    assert re.fullmatch(r"\d+ passed, 0 failed\n", dated)
    draft.write_text(text.replace('version: "2.1.0"', 'version: "2.2.0"'), encoding="utf-8")

    # step 7: diff on the portfolio
    command = "diff rulesets/wanzhou-2023.yaml drafts/wanzhou-2023.yaml --portfolio docs/walkthrough/portfolio.yaml --as-of 2026-12-31"
    assert run(capsys, command) == block("output", "diff")

    # step 8: release
    shutil.copy(draft, "rulesets/wanzhou-2023.yaml")
    assert run(capsys, "lock rulesets/wanzhou-2023.yaml") == block("output", "lock")
    assert main(["check", "rulesets"]) == 0
