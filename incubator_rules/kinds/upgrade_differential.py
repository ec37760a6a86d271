"""``upgrade_differential``: on an upgrade, only the difference to the differential base (docs/policy-map.md).

It has no decider of its own: the ``accreditation_subsidy`` rule it applies
to consults it when it pays.
"""

from __future__ import annotations

from .base import RuleKind

__all__ = ["KIND"]

KIND = RuleKind(
    name="upgrade_differential",
    params={"applies_to": "rule"},
    references={"applies_to": "accreditation_subsidy"},
    roles={
        "base": frozenset({"all_received", "plan_awards_only"}),
        "ladders": frozenset({"separate", "shared"}),
        "measure": frozenset({"received", "level_difference"}),
    },
    codes=(
        "awarded", "pending", "level_already_paid", "no_difference", "level_difference_awarded",
        "level_difference_pending",
    ),
)
