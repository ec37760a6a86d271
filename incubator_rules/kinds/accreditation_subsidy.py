"""``accreditation_subsidy``: kept as a name only; a rule of it is read as an ``event_award`` (``kinds.checks``).

A one-off subsidy for an accreditation or filing, from a table by level and
column, once its ``normal_operation`` condition is met; an
``upgrade_differential`` rule that applies to it pays the difference to what
was already received on the same ladder. Each of the old kind's reading
roles is a parameter of the generic rule, bound to the same reading; the
shipped Wanzhou ruleset writes it out in full.
"""

from __future__ import annotations

from .base import AREA_ROLE, Expansion, RuleKind

__all__ = ["KIND"]

KIND = RuleKind(
    name="accreditation_subsidy",
    params={"table": "table", "condition": "rule"},
    references={"condition": "operating_duration"},
    roles={
        "window": frozenset({"plan_period", "issue_date"}),
        "upgrade_condition": frozenset({"again", "once"}),
        "district_maker_space": frozenset({"pay_q6_row", "no_district_level"}),
        "new": frozenset({"in_window", "first_at_level"}),
        "period_bound": frozenset({"accreditation_date", "payable_date"}),
        "area": AREA_ROLE,
    },
    codes=(
        "awarded", "pending", "outside_window", "kind_not_covered", "level_not_covered",
        "delisted_before_year", "interrupted", "lower_level", "not_new", "payable_after_period",
        "outside_area",
    ),
    defaults={
        "window": "plan_period", "upgrade_condition": "again", "district_maker_space": "pay_q6_row",
        "new": "in_window", "period_bound": "accreditation_date", "area": "refuse_outside",
    },
    expands=Expansion(
        kind="event_award",
        fixed={"match": {"type": ["accredited", "filed"]}, "covered_by_table": True, "refuse_lower": True},
        params={"table": ("amount", {"table": "$value"}), "condition": ("condition", "$value")},
        roles={
            "window": ("window", {"plan_period": {"from": "plan_start", "to": "plan_end"},
                                  "issue_date": {"from": "plan_issued", "to": "plan_end"}}),
            "upgrade_condition": ("condition_from", {"again": "event", "once": "first_title"}),
            "district_maker_space": ("refuse_levels", {"pay_q6_row": [], "no_district_level": [
                {"kinds": ["maker_space", "star_innovation_space"], "levels": ["district"]}]}),
            "new": ("first_at_level", {"in_window": False, "first_at_level": True}),
            "period_bound": ("payable_in_window", {"accreditation_date": False, "payable_date": True}),
            "area": ("area", {a: a for a in sorted(AREA_ROLE)}),
        },
    ),
)
