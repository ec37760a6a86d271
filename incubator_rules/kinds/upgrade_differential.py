"""``upgrade_differential``: kept as a name only; a rule of it is read as a ``top_up`` of the award it applies to.

On an upgrade, only the difference to the differential base
(docs/policy-map.md). Each of the old kind's reading roles is a parameter
of the generic rule, bound to the same reading.
"""

from __future__ import annotations

from .base import Expansion, RuleKind

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
    defaults={"base": "all_received", "ladders": "separate", "measure": "received"},
    expands=Expansion(
        kind="top_up",
        fixed={},
        params={"applies_to": ("tops_up", "$value")},
        roles={
            "base": ("earlier_payments", {"all_received": "construction_subsidy", "plan_awards_only": "none"}),
            "ladders": ("ladder", {"separate": "column", "shared": "all"}),
            "measure": ("base", {"received": "received", "level_difference": "level_held"}),
        },
    ),
)
