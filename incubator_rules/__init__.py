"""incubator-rules: incubator support policy as declarative rulesets, evaluated with an audit trail."""

from .assessment import Assessment, DistrictMismatchWarning, TargetResult, assess
from .batch import (
    Evaluations,
    evaluate_many,
    load_carriers,
    map_evaluations,
    save_carriers,
)
from .budget import Budget, BudgetLine, budget
from .carrier import Carrier, CarrierKind, Event, EventType, Grade, Level, load_carrier
from .cases import Case, CaseResult, load_cases, run_case
from .check import CheckResult, check_file
from .decision import Condition, Decision, Evaluation
from .diff import RulesetDiff, diff_rulesets
from .district import DistrictReport, district_report
from .errors import (
    CarrierError,
    CaseError,
    DocumentError,
    EngineError,
    IncubatorRulesError,
    PortfolioError,
    ReadingError,
    RulesetError,
    ScenarioError,
)
from .evaluation import evaluate
from .excel import WorkbookError, read_portfolio_workbook, write_excel, write_portfolio_workbook
from .management import (
    ManagementDecision,
    load_management,
    manage,
    validate_management,
    with_management,
)
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
from .scenario import (
    Comparison,
    Edit,
    Override,
    Scenario,
    compare,
    load_scenarios,
    save_scenarios,
)
from .targets import TargetRuleset, load_targets, validate_targets

__version__ = "0.1.0"

__all__ = [
    "Assessment",
    "Budget",
    "BudgetLine",
    "Carrier",
    "CarrierError",
    "CarrierKind",
    "Case",
    "CaseError",
    "CaseResult",
    "CheckResult",
    "Citation",
    "Comparison",
    "Condition",
    "Decision",
    "DistrictMismatchWarning",
    "DistrictReport",
    "DocumentError",
    "Edit",
    "EngineError",
    "Evaluation",
    "WorkbookError",
    "Evaluations",
    "Event",
    "EventType",
    "Grade",
    "IncubatorRulesError",
    "Level",
    "ManagementDecision",
    "Override",
    "Portfolio",
    "PortfolioError",
    "Readiness",
    "ReadingError",
    "Ruleset",
    "RulesetDiff",
    "RulesetError",
    "Scenario",
    "ScenarioError",
    "Snapshot",
    "TargetResult",
    "TargetRuleset",
    "assess",
    "budget",
    "check_file",
    "compare",
    "diff_rulesets",
    "district_report",
    "evaluate",
    "evaluate_many",
    "map_evaluations",
    "load_carrier",
    "load_carriers",
    "load_cases",
    "load_criteria",
    "load_management",
    "load_portfolio",
    "load_ruleset",
    "load_scenarios",
    "load_targets",
    "manage",
    "parse_ruleset",
    "readiness",
    "ruleset_from_dict",
    "run_case",
    "save_carriers",
    "save_scenarios",
    "shipped_rulesets",
    "validate_criteria",
    "validate_management",
    "validate_ruleset",
    "validate_targets",
    "with_management",
    "read_portfolio_workbook",
    "write_excel",
    "write_portfolio_workbook",
]
