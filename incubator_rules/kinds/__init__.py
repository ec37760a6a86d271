"""Rule kinds: what each kind of reward rule means. A kind is one module here and one line in ``KINDS``.

Their data (tables, durations, readings, wording) lives in ruleset files;
``docs/design.md`` shows how to add a kind.
"""

from __future__ import annotations

from typing import Mapping

from ..model.carrier import EventType
from . import (
    accreditation_subsidy,
    clawback,
    count_award,
    evaluation_excellence,
    event_award,
    normal_operation,
    operating_duration,
    periodic_subsidy,
    top_up,
    upgrade_differential,
)
from .generic import scope_types
from .base import DECIDING, RULE_PLACEHOLDERS, Context, Decider, RuleKind, Template, default_explanation, format_yuan, render

__all__ = [
    "DECIDERS",
    "KINDS",
    "MATCHES",
    "RULE_PLACEHOLDERS",
    "Context",
    "Decider",
    "RuleKind",
    "Template",
    "default_explanation",
    "format_yuan",
    "render",
    "scope_types",
]

# The registry: every rule kind, in the order they are listed to users.
KINDS: Mapping[str, RuleKind] = {
    kind.name: kind
    for kind in (
        normal_operation.KIND,
        operating_duration.KIND,
        accreditation_subsidy.KIND,
        upgrade_differential.KIND,
        evaluation_excellence.KIND,
        event_award.KIND,
        count_award.KIND,
        periodic_subsidy.KIND,
        top_up.KIND,
        clawback.KIND,
    )
}

# Views of the registry for the engines: what each kind matches, and the kinds that decide.
MATCHES: Mapping[str, frozenset[EventType]] = {name: kind.matches for name, kind in KINDS.items()}
DECIDERS: Mapping[str, Decider] = {name: kind.decider for name, kind in KINDS.items() if kind.decider is not None}
DECIDING.update(DECIDERS)
