"""incubator-rules: incubator support policy as declarative rulesets, evaluated with an audit trail.

The facade: the public names of every layer (docs/design.md), each loaded on
first use (``lazy.LazyNames``), so that ``import incubator_rules`` and the
command line's start load only what is used. The data classes find the
notebook views and the plain-data readers through ``model.display``, which
loads the modules named here when a view or a reader is first asked for.
"""

from typing import TYPE_CHECKING, Any

from .lazy import LazyNames, wanted

if TYPE_CHECKING:  # the same names as _WHERE, for type checkers and editors
    from .district import (
        Assessment, DistrictMismatchWarning, DistrictReport, CarrierReconciliation, Readiness, Reconciliation,
        TargetResult, assess, district_report, manage, readiness, reconcile, with_management,
    )
    from .engines import (
        Evaluations, PartitionResult, PartitionResults, evaluate, evaluate_many, evaluate_partitions,
        evaluate_totals, load_carriers, map_evaluations, save_carriers,
    )
    from .errors import (
        BatchError, CarrierError, CaseError, DocumentError, EngineError, IncubatorRulesError, LedgerError,
        OutputError, PortfolioError, ReadingError, RulesetError, ScenarioError,
    )
    from .files import (
        CarrierStream, Edit, Override, Scenario, load_scenarios, save_scenarios, LedgerPayment, PortfolioLines,
        convert, iter_carriers, save_portfolio, load_criteria, load_management, validate_criteria,
        validate_management, load_carrier, load_ledger, TargetRuleset, WorkbookError, load_portfolio, load_ruleset,
        read_portfolio_workbook, load_targets, parse_ruleset, ruleset_from_dict, shipped_rulesets, validate_ruleset,
        validate_targets,
    )
    from .model import (
        AwardKind, Carrier, CarrierKind, Citation, Condition, Decision, Evaluation, Event, EventType, Grade, Level,
        InstalmentShare, ManagementDecision, Portfolio, Ruleset, Snapshot, Totals, reading_levels,
    )
    from .views import (
        write_excel, write_portfolio_workbook,
    )
    from .whatif import (
        Budget, BudgetLine, Comparison, budget, compare,
    )
    from .tools import (
        Case, CaseResult, CheckResult, RulesetDiff, check_file, diff_rulesets, load_cases, run_case,
    )

# Where each public name lives; a name is imported from there on first use.
_WHERE: dict[str, tuple[str, ...]] = {
    ".district": (
        "Assessment", "DistrictMismatchWarning", "DistrictReport", "CarrierReconciliation", "Readiness",
        "Reconciliation", "TargetResult", "assess", "district_report", "manage", "readiness", "reconcile",
        "with_management",
    ),
    ".engines": (
        "Evaluations", "PartitionResult", "PartitionResults", "evaluate", "evaluate_many", "evaluate_partitions",
        "evaluate_totals", "load_carriers", "map_evaluations", "save_carriers",
    ),
    ".errors": (
        "BatchError", "CarrierError", "CaseError", "DocumentError", "EngineError", "IncubatorRulesError",
        "LedgerError", "OutputError", "PortfolioError", "ReadingError", "RulesetError", "ScenarioError",
    ),
    ".files": (
        "CarrierStream", "Edit", "Override", "Scenario", "load_scenarios", "save_scenarios", "LedgerPayment",
        "PortfolioLines", "convert", "iter_carriers", "save_portfolio", "load_criteria", "load_management",
        "validate_criteria", "validate_management", "load_carrier", "load_ledger", "TargetRuleset", "WorkbookError",
        "load_portfolio", "load_ruleset", "read_portfolio_workbook", "load_targets", "parse_ruleset",
        "ruleset_from_dict", "shipped_rulesets", "validate_ruleset", "validate_targets",
    ),
    ".model": (
        "AwardKind", "Carrier", "CarrierKind", "Citation", "Condition", "Decision", "Evaluation", "Event",
        "EventType", "Grade", "Level", "InstalmentShare", "ManagementDecision", "Portfolio", "Ruleset", "Snapshot",
        "Totals", "reading_levels",
    ),
    ".views": (
        "write_excel", "write_portfolio_workbook",
    ),
    ".whatif": (
        "Budget", "BudgetLine", "Comparison", "budget", "compare",
    ),
    ".tools": (
        "Case", "CaseResult", "CheckResult", "RulesetDiff", "check_file", "diff_rulesets", "load_cases", "run_case",
    ),
}
_LAZY = LazyNames(__name__, globals(), _WHERE, modules=(
    "collector", "district", "documents", "engines", "errors", "files", "kinds", "lazy", "model", "output",
    "progress", "tools", "views", "whatif",
))
wanted("views", f"{__name__}.views.renderers")  # importing it registers the views with model.display
wanted("readers", f"{__name__}.files")  # and this, the readers of plain data


def __getattr__(name: str) -> Any:
    return _LAZY.get(name)


def __dir__() -> list[str]:
    return _LAZY.dir()


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
