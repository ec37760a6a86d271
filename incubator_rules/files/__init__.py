"""File types: finding, reading and validating each kind of input file, every problem with its location."""

from .carrier import carrier_from_dict, load_carrier, payment_from_dict
from .carriers import CarrierStream, iter_carriers, load_portfolio, portfolio_carriers
from .convert import convert, save_portfolio
from .criteria import CriteriaSet, load_criteria, validate_criteria
from .ledger import LedgerPayment, load_ledger
from .portfolio import parse_snapshots_csv, portfolio_from_dict, read_snapshots_csv
from .management import ManagementRules, load_management, validate_management
from .policyfile import Header, PolicyReader
from .ruleset import (
    DEFAULT_RULESET,
    load_ruleset,
    parse_ruleset,
    ruleset_from_dict,
    shipped_rulesets,
    validate_ruleset,
)
from .scenarios import Edit, Override, Scenario, load_scenarios, save_scenarios, scenarios_from_document
from .targets import TargetRuleset, load_targets, validate_targets
from .types import FILE_TYPES, POLICY_FILE_TYPES, RULESETS_DIR, detect_type, file_type, shipped_files
from .portfolio_lines import PortfolioLines, read_portfolio_lines
from .tables import read_portfolio_tables, write_portfolio_tables
from .workbook import WorkbookError, read_portfolio_workbook

__all__ = [
    "CarrierStream",
    "CriteriaSet",
    "Edit",
    "ManagementRules",
    "DEFAULT_RULESET",
    "FILE_TYPES",
    "POLICY_FILE_TYPES",
    "RULESETS_DIR",
    "Scenario",
    "Header",
    "LedgerPayment",
    "Override",
    "PolicyReader",
    "TargetRuleset",
    "WorkbookError",
    "carrier_from_dict",
    "detect_type",
    "convert",
    "file_type",
    "iter_carriers",
    "load_carrier",
    "load_criteria",
    "load_ledger",
    "load_management",
    "load_portfolio",
    "load_ruleset",
    "load_scenarios",
    "load_targets",
    "parse_ruleset",
    "PortfolioLines",
    "parse_snapshots_csv",
    "payment_from_dict",
    "portfolio_carriers",
    "portfolio_from_dict",
    "read_portfolio_lines",
    "read_portfolio_tables",
    "read_portfolio_workbook",
    "read_snapshots_csv",
    "ruleset_from_dict",
    "save_portfolio",
    "save_scenarios",
    "scenarios_from_document",
    "shipped_files",
    "shipped_rulesets",
    "validate_criteria",
    "validate_management",
    "validate_ruleset",
    "validate_targets",
    "write_portfolio_tables",
]
