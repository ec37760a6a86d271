"""incubator-rules: incubator support policy as declarative rulesets, evaluated with an audit trail."""

from .batch import Evaluations, evaluate_many, load_carriers, save_carriers
from .budget import Budget, BudgetLine, budget
from .carrier import Carrier, CarrierKind, Event, EventType, Grade, Level, load_carrier
from .decision import Condition, Decision, Evaluation
from .errors import (
    CarrierError,
    DocumentError,
    EngineError,
    IncubatorRulesError,
    ReadingError,
    RulesetError,
    ScenarioError,
)
from .evaluation import evaluate
from .ruleset import Citation, Ruleset, load_ruleset, parse_ruleset, ruleset_from_dict, shipped_rulesets
from .scenario import Comparison, Edit, Override, Scenario, compare, load_scenarios, save_scenarios

__version__ = "0.1.0"

__all__ = [
    "Budget",
    "BudgetLine",
    "Carrier",
    "CarrierError",
    "CarrierKind",
    "Citation",
    "Comparison",
    "Condition",
    "Decision",
    "DocumentError",
    "Edit",
    "EngineError",
    "Evaluation",
    "Evaluations",
    "Event",
    "EventType",
    "Grade",
    "IncubatorRulesError",
    "Level",
    "Override",
    "ReadingError",
    "Ruleset",
    "RulesetError",
    "Scenario",
    "ScenarioError",
    "budget",
    "compare",
    "evaluate",
    "evaluate_many",
    "load_carrier",
    "load_carriers",
    "load_ruleset",
    "load_scenarios",
    "parse_ruleset",
    "ruleset_from_dict",
    "save_carriers",
    "save_scenarios",
    "shipped_rulesets",
]
