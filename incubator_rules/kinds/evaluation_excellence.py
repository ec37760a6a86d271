"""``evaluation_excellence``: kept as a name only; a rule of it is read as an ``event_award`` (``kinds.checks``).

An award for a performance evaluation graded excellent, paid from a table
by level and column, once per evaluated year and level. Each of the old
kind's reading roles is a parameter of the generic rule, bound to the same
reading; the shipped Wanzhou ruleset writes it out in full.
"""

from __future__ import annotations

from .base import AREA_ROLE, Expansion, RuleKind

__all__ = ["KIND"]

_MAKER_SPACES = ["maker_space", "star_innovation_space"]

KIND = RuleKind(
    name="evaluation_excellence",
    params={"table": "table", "grades": "grades"},
    roles={
        "per": frozenset({"per_year_and_level", "per_year"}),
        "district_maker_space": frozenset({"pay_q6_row", "no_district_level"}),
        "title": frozenset({"not_required", "held_on_evaluation_date", "held_for_year"}),
        "kind": frozenset({"title", "carrier"}),
        "period_bound": frozenset({"evaluation_date", "evaluated_year"}),
        "star_spaces": frozenset({"maker_space_row", "not_covered"}),
        "area": AREA_ROLE,
    },
    defaults={
        "per": "per_year_and_level", "district_maker_space": "pay_q6_row", "title": "not_required", "kind": "title",
        "period_bound": "evaluation_date", "star_spaces": "maker_space_row", "area": "refuse_outside",
    },
    codes=(
        "awarded", "not_excellent", "outside_window", "kind_not_covered", "level_not_covered",
        "delisted", "already_awarded", "no_title", "year_outside_window", "outside_area",
    ),
    expands=Expansion(
        kind="event_award",
        fixed={"match": {"type": "evaluated"}, "covered_by_table": True, "not_delisted": True},
        params={"table": ("amount", {"table": "$value"}), "grades": ("grades", "$value")},
        roles={
            "per": ("once_per", {"per_year_and_level": {"fields": ["year", "level"], "top_up": True},
                                 "per_year": {"fields": ["year"], "top_up": True}}),
            "district_maker_space": ("refuse_levels", {"pay_q6_row": [],
                                                       "no_district_level": [{"kinds": _MAKER_SPACES, "levels": ["district"]}]}),
            "title": ("title_held", {"not_required": "none", "held_on_evaluation_date": "on_date", "held_for_year": "by_year_end"}),
            "kind": ("kind_of", {"title": "title", "carrier": "event"}),
            "period_bound": ("period", {"evaluation_date": "date", "evaluated_year": "year"}),
            "star_spaces": ("refuse_kinds", {"maker_space_row": [], "not_covered": ["star_innovation_space"]}),
            "area": ("area", {a: a for a in sorted(AREA_ROLE)}),
        },
    ),
)
