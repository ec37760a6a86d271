"""File types: finding, reading and validating each kind of input file, every problem with its location."""

from .carriers import portfolio_carriers
from .ledger import LedgerPayment, load_ledger
from .policyfile import Header, PolicyReader
from .ruleset import (
    DEFAULT_RULESET,
    load_ruleset,
    parse_ruleset,
    ruleset_from_dict,
    shipped_rulesets,
    validate_ruleset,
)
from .targets import TargetRuleset, load_targets, validate_targets
from .types import FILE_TYPES, POLICY_FILE_TYPES, RULESETS_DIR, detect_type, file_type, shipped_files
from .workbook import WorkbookError, load_portfolio, read_portfolio_workbook

__all__ = [
    "DEFAULT_RULESET",
    "FILE_TYPES",
    "POLICY_FILE_TYPES",
    "RULESETS_DIR",
    "Header",
    "LedgerPayment",
    "PolicyReader",
    "TargetRuleset",
    "WorkbookError",
    "detect_type",
    "file_type",
    "load_ledger",
    "load_portfolio",
    "load_ruleset",
    "load_targets",
    "parse_ruleset",
    "portfolio_carriers",
    "read_portfolio_workbook",
    "ruleset_from_dict",
    "shipped_files",
    "shipped_rulesets",
    "validate_ruleset",
    "validate_targets",
]
