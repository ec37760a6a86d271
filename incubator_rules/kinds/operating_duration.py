"""``operating_duration``: kept as a name only; a rule of it is read as a ``normal_operation`` rule.

Each of the old kind's reading roles is a parameter of the generic rule,
bound to the same reading.
"""

from __future__ import annotations

from .base import Expansion, RuleKind

__all__ = ["KIND"]

KIND = RuleKind(
    name="operating_duration",
    params={"duration": "duration"},
    roles={
        "count_from": frozenset({"accreditation_date", "operation_start"}),
        "interruptions": frozenset({"no_suspension_rectification_or_delisting", "no_suspension_or_delisting"}),
        "anniversary": frozenset({"inside_year", "after_year"}),
        "same_day": frozenset({"delisting_first", "accreditation_first"}),
        "zero_length": frozenset({"ignored", "restarts"}),
    },
    codes=(),
    defaults={
        "count_from": "accreditation_date", "interruptions": "no_suspension_rectification_or_delisting",
        "anniversary": "inside_year", "same_day": "delisting_first", "zero_length": "ignored",
    },
    expands=Expansion(
        kind="normal_operation",
        fixed={},
        params={"duration": ("duration", "$value")},
        roles={
            "count_from": ("count_from", {"accreditation_date": "event", "operation_start": "operation_start"}),
            "interruptions": ("rectification_interrupts", {"no_suspension_rectification_or_delisting": True,
                                                           "no_suspension_or_delisting": False}),
            "anniversary": ("anniversary", {"inside_year": "inside", "after_year": "after"}),
            "same_day": ("same_day", {"delisting_first": "delisting_first", "accreditation_first": "accreditation_first"}),
            "zero_length": ("zero_length", {"ignored": "ignored", "restarts": "restarts"}),
        },
    ),
)
