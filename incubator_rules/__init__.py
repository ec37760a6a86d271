"""incubator-rules: incubator support policy as declarative rulesets, evaluated with an audit trail."""

from .assessment import Assessment, TargetResult, assess
from .carrier import Carrier, CarrierKind, Event, EventType, Grade, Level, load_carrier
from .cases import Case, CaseResult, load_cases, run_case
from .check import CheckResult, check_file
from .decision import Condition, Decision, Evaluation
from .diff import RulesetDiff, diff_rulesets
from .errors import (
    CarrierError,
    CaseError,
    DocumentError,
    EngineError,
    IncubatorRulesError,
    PortfolioError,
    ReadingError,
    RulesetError,
)
from .district import DistrictReport, district_report
from .evaluation import evaluate
from .management import ManagementDecision, load_management, manage, validate_management, with_management
from .portfolio import Portfolio, Snapshot, load_portfolio
from .readiness import Readiness, load_criteria, readiness, validate_criteria
from .ruleset import (
    Citation,
    Ruleset,
    load_ruleset,
    parse_ruleset,
    ruleset_from_dict,
    shipped_rulesets,
    validate_ruleset,
)
from .targets import TargetRuleset, load_targets, validate_targets

__version__ = "0.1.0"

__all__ = [
    "Assessment",
    "Carrier",
    "CarrierError",
    "CarrierKind",
    "Case",
    "CaseError",
    "CaseResult",
    "CheckResult",
    "Citation",
    "Condition",
    "Decision",
    "DistrictReport",
    "DocumentError",
    "EngineError",
    "Evaluation",
    "Event",
    "EventType",
    "Grade",
    "IncubatorRulesError",
    "Level",
    "ManagementDecision",
    "Portfolio",
    "PortfolioError",
    "Readiness",
    "ReadingError",
    "Ruleset",
    "RulesetDiff",
    "RulesetError",
    "Snapshot",
    "TargetResult",
    "TargetRuleset",
    "assess",
    "check_file",
    "diff_rulesets",
    "district_report",
    "evaluate",
    "load_carrier",
    "load_cases",
    "load_criteria",
    "load_management",
    "load_portfolio",
    "load_ruleset",
    "load_targets",
    "manage",
    "parse_ruleset",
    "readiness",
    "ruleset_from_dict",
    "run_case",
    "shipped_rulesets",
    "validate_criteria",
    "validate_management",
    "validate_ruleset",
    "validate_targets",
    "with_management",
]
