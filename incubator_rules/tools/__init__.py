"""Maintainers' tools: checking files, test cases, ruleset diffs, released versions, synthetic portfolios.

The pytest plugin (``incubator_rules.pytest_plugin``) is loaded by pytest on
its own and is not imported here, so the package never needs pytest.
"""

from .cases import Case, CaseResult, load_cases, run_case
from .check import CheckResult, check_file, check_paths
from .diff import RulesetDiff, diff_rulesets
from .synthetic import generate_carrier, generate_portfolio
from .versions import read_lock, record_release

__all__ = [
    "Case",
    "CaseResult",
    "CheckResult",
    "RulesetDiff",
    "check_file",
    "check_paths",
    "diff_rulesets",
    "generate_carrier",
    "generate_portfolio",
    "load_cases",
    "read_lock",
    "record_release",
    "run_case",
]
