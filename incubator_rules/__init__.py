"""incubator-rules: incubator support policy as declarative rulesets, evaluated with an audit trail."""

from .carrier import Carrier, CarrierKind, Event, EventType, Grade, Level, load_carrier
from .decision import Condition, Decision, Evaluation
from .errors import (
    CarrierError,
    DocumentError,
    EngineError,
    IncubatorRulesError,
    ReadingError,
    RulesetError,
)
from .evaluation import evaluate
from .ruleset import Citation, Ruleset, load_ruleset, parse_ruleset, ruleset_from_dict, shipped_rulesets

__version__ = "0.1.0"

__all__ = [
    "Carrier",
    "CarrierError",
    "CarrierKind",
    "Citation",
    "Condition",
    "Decision",
    "DocumentError",
    "EngineError",
    "Evaluation",
    "Event",
    "EventType",
    "Grade",
    "IncubatorRulesError",
    "Level",
    "ReadingError",
    "Ruleset",
    "RulesetError",
    "evaluate",
    "load_carrier",
    "load_ruleset",
    "parse_ruleset",
    "ruleset_from_dict",
    "shipped_rulesets",
]
