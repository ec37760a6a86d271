"""The data model: carriers and their events, decisions, rulesets as data, portfolios.

Nothing here reads a file type or knows a rule kind; it imports nothing of the
package but ``errors`` and ``documents``.
"""

from .carrier import AwardKind, Carrier, CarrierKind, Event, EventType, Grade, Level, as_of_date, parse_date, reading_levels
from .decision import AWARDED, NOT_AWARDED, PENDING, Condition, Decision, Evaluation, InstalmentShare, ManagementDecision, Totals
from .portfolio import METRICS, Designation, Member, Portfolio, Snapshot, Standing
from .ruleset import Citation, Clause, DatedValue, PlanArea, PlanPeriod, Reading, Rule, Ruleset, SourceDocument, Table

__all__ = [
    "AWARDED",
    "METRICS",
    "NOT_AWARDED",
    "PENDING",
    "AwardKind",
    "Carrier",
    "CarrierKind",
    "Citation",
    "Clause",
    "Condition",
    "DatedValue",
    "Decision",
    "Designation",
    "Evaluation",
    "Event",
    "EventType",
    "Grade",
    "Level",
    "InstalmentShare",
    "ManagementDecision",
    "PlanArea",
    "PlanPeriod",
    "Portfolio",
    "Reading",
    "Rule",
    "Ruleset",
    "Snapshot",
    "SourceDocument",
    "Standing",
    "Table",
    "Totals",
    "as_of_date",
    "parse_date",
    "reading_levels",
]
