"""incubator-rules: incubator support policy as declarative rulesets, evaluated with an audit trail."""

from .assessment import Assessment, TargetResult, assess
from .carrier import Carrier, CarrierKind, Event, EventType, Grade, Level, load_carrier
from .decision import Condition, Decision, Evaluation
from .errors import (
    CarrierError,
    DocumentError,
    EngineError,
    IncubatorRulesError,
    PortfolioError,
    ReadingError,
    RulesetError,
)
from .district import DistrictReport, district_report
from .evaluation import evaluate
from .management import ManagementDecision, load_management, manage, with_management
from .portfolio import Portfolio, Snapshot, load_portfolio
from .readiness import Readiness, load_criteria, readiness
from .ruleset import Citation, Ruleset, load_ruleset, parse_ruleset, ruleset_from_dict, shipped_rulesets
from .targets import TargetRuleset, load_targets

__version__ = "0.1.0"

__all__ = [
    "Assessment",
    "Carrier",
    "CarrierError",
    "CarrierKind",
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
    "RulesetError",
    "Snapshot",
    "TargetResult",
    "TargetRuleset",
    "assess",
    "district_report",
    "evaluate",
    "load_carrier",
    "load_criteria",
    "load_management",
    "load_portfolio",
    "load_ruleset",
    "load_targets",
    "manage",
    "parse_ruleset",
    "readiness",
    "ruleset_from_dict",
    "shipped_rulesets",
    "with_management",
]
