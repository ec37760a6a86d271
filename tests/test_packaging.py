"""What a non-editable install ships: every data file the package reads at run time is package data."""

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def shipped(package: str, folder: Path) -> list[str]:
    """Files of ``folder`` that no package-data pattern of ``package`` takes."""
    patterns = CONFIG["package-data"][package]
    return [p.name for p in sorted(folder.iterdir())
            if p.is_file() and not any(fnmatch.fnmatch(p.name, pat) for pat in patterns)]


def test_every_shipped_ruleset_file_is_package_data():
    # defaults.toml names the default rulesets: without it an installed package cannot start
    assert shipped("incubator_rules.rulesets", ROOT / "rulesets") == []


def test_every_schema_is_package_data():
    assert shipped("incubator_rules.schemas", ROOT / "schemas") == []


def test_every_report_template_is_package_data():
    templates = ROOT / "incubator_rules" / "views" / "templates"
    patterns = CONFIG["package-data"]["incubator_rules.views"]
    assert [p.name for p in templates.iterdir()
            if not any(fnmatch.fnmatch(f"templates/{p.name}", pat) for pat in patterns)] == []
