"""File types: finding, reading and validating each kind of input file, every problem with its location."""

from .carriers import CarrierStream, iter_carriers, load_portfolio, portfolio_carriers
from .convert import convert, save_portfolio
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
from .portfolio_lines import PortfolioLines, read_portfolio_lines
from .tables import read_portfolio_tables, write_portfolio_tables
from .workbook import WorkbookError, read_portfolio_workbook

__all__ = [
    "CarrierStream",
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
    "convert",
    "file_type",
    "iter_carriers",
    "load_ledger",
    "load_portfolio",
    "load_ruleset",
    "load_targets",
    "parse_ruleset",
    "PortfolioLines",
    "portfolio_carriers",
    "read_portfolio_lines",
    "read_portfolio_tables",
    "read_portfolio_workbook",
    "ruleset_from_dict",
    "save_portfolio",
    "shipped_files",
    "shipped_rulesets",
    "validate_ruleset",
    "validate_targets",
    "write_portfolio_tables",
]
