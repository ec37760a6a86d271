"""incubator-rules: incubator support policy as declarative rulesets, evaluated with an audit trail.

The facade: the public names of every layer (docs/design.md). The maintainers'
tools (checking files, test cases, ruleset diffs) load on first use.
"""

from typing import TYPE_CHECKING, Any

from . import views as _views  # noqa: F401  (registers the notebook renderers; nothing else imports views)
from .district import (
    Assessment,
    DistrictMismatchWarning,
    DistrictReport,
    CarrierReconciliation,
    Readiness,
    Reconciliation,
    TargetResult,
    assess,
    district_report,
    manage,
    readiness,
    reconcile,
    with_management,
)
from .engines import (
    Evaluations,
    PartitionResult,
    PartitionResults,
    evaluate,
    evaluate_many,
    evaluate_partitions,
    evaluate_totals,
    load_carriers,
    map_evaluations,
    save_carriers,
)
from .errors import (
    BatchError,
    CarrierError,
    CaseError,
    DocumentError,
    EngineError,
    IncubatorRulesError,
    LedgerError,
    OutputError,
    PortfolioError,
    ReadingError,
    RulesetError,
    ScenarioError,
)
from .files import (
    CarrierStream,
    Edit,
    Override,
    Scenario,
    load_scenarios,
    save_scenarios,
    LedgerPayment,
    PortfolioLines,
    convert,
    iter_carriers,
    save_portfolio,
    load_criteria,
    load_management,
    validate_criteria,
    validate_management,
    load_carrier,
    load_ledger,
    TargetRuleset,
    WorkbookError,
    load_portfolio,
    load_ruleset,
    read_portfolio_workbook,
    load_targets,
    parse_ruleset,
    ruleset_from_dict,
    shipped_rulesets,
    validate_ruleset,
    validate_targets,
)
from .model import (
    AwardKind,
    Carrier,
    CarrierKind,
    Citation,
    Condition,
    Decision,
    Evaluation,
    Event,
    EventType,
    Grade,
    Level,
    InstalmentShare,
    ManagementDecision,
    Portfolio,
    Ruleset,
    Snapshot,
    Totals,
    reading_levels,
)
from .views import write_excel, write_portfolio_workbook
from .whatif import Budget, BudgetLine, Comparison, budget, compare

if TYPE_CHECKING:
    from .tools import Case, CaseResult, CheckResult, RulesetDiff, check_file, diff_rulesets, load_cases, run_case

# The tools' names, loaded on first use (``import incubator_rules`` loads the core only).
_TOOLS = frozenset({"Case", "CaseResult", "CheckResult", "RulesetDiff", "check_file", "diff_rulesets", "load_cases", "run_case"})


def __getattr__(name: str) -> Any:
    if name in _TOOLS:
        from . import tools

        return getattr(tools, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _TOOLS)


__version__ = "0.1.0"

__all__ = [
    "PartitionResult",
    "PartitionResults",
    "evaluate_partitions",
    "CarrierStream",
    "PortfolioLines",
    "convert",
    "iter_carriers",
    "save_portfolio",
    "Assessment",
    "BatchError",
    "Budget",
    "BudgetLine",
    "AwardKind",
    "Carrier",
    "CarrierError",
    "CarrierKind",
    "CarrierReconciliation",
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
    "LedgerError",
    "LedgerPayment",
    "Level",
    "InstalmentShare",
    "ManagementDecision",
    "OutputError",
    "Override",
    "Portfolio",
    "PortfolioError",
    "Readiness",
    "ReadingError",
    "Reconciliation",
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
    "evaluate_totals",
    "map_evaluations",
    "load_carrier",
    "load_carriers",
    "load_cases",
    "load_criteria",
    "load_ledger",
    "load_management",
    "load_portfolio",
    "read_portfolio_workbook",
    "write_excel",
    "write_portfolio_workbook",
    "load_ruleset",
    "load_scenarios",
    "load_targets",
    "manage",
    "parse_ruleset",
    "reading_levels",
    "readiness",
    "reconcile",
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
]
