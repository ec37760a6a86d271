"""Reading a ``type: management`` file: dynamic-management rules, their scopes, citations and wording.

``district.management`` applies them to a carrier's history.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import attrs

from ..documents import Document
from ..errors import RulesetError, describe
from ..model.carrier import CarrierKind, Grade, Level
from ..model.durations import UNITS
from .policyfile import HasHeader, Header, PolicyFile, PolicyReader
from .types import DEFAULTS

__all__ = [
    "AT_RISK",
    "AWARD_BAR",
    "CANCELLATION",
    "DEFAULT_MANAGEMENT",
    "MANAGEMENT_PLACEHOLDERS",
    "OUTCOMES",
    "READINGS",
    "RECTIFICATION",
    "ManagementReader",
    "ManagementRule",
    "ManagementRules",
    "Scope",
    "load_management",
    "management_from_document",
    "parse_management",
    "validate_management",
]

DEFAULT_MANAGEMENT: str = DEFAULTS["management"]

RECTIFICATION = "rectification"
CANCELLATION = "cancellation"
AWARD_BAR = "award_bar"

# The outcomes each rule kind can reach; each needs an explanation in the file.
OUTCOMES: dict[str, tuple[str, ...]] = {
    RECTIFICATION: ("open", "overdue", "resolved", "resolved_late", "escalated", "ended"),
    CANCELLATION: ("first_fail", "first_fail_resolved", "first_fail_ended", "due", "done", "not_covered"),
    AWARD_BAR: ("in_force", "lifted"),
}
# Outcomes that put a carrier "at risk" of losing its title.
AT_RISK: frozenset[tuple[str, str]] = frozenset(
    {(RECTIFICATION, "open"), (RECTIFICATION, "overdue"), (CANCELLATION, "first_fail"), (CANCELLATION, "due")}
)
MANAGEMENT_PLACEHOLDERS = frozenset(
    {
        "year", "level", "level_zh", "kind", "kind_zh", "date", "due", "as_of", "reassessed_on", "grade",
        "grade_zh", "ended_on", "first_date", "until", "reason", "reason_zh",
    }
)
READINGS: dict[str, frozenset[str]] = {
    "district_level": frozenset({"follow_municipal_rule", "not_covered"}),
    "bar_from": frozenset({"delisting", "cancellation_due"}),
}


@attrs.frozen
class Scope:
    """The evaluations a rule covers (levels and carrier kinds) and the clauses it cites for them."""

    levels: frozenset[Level]
    kinds: frozenset[CarrierKind]
    clauses: tuple[str, ...]


@attrs.frozen
class ManagementRule:
    """One dynamic-management rule: its kind, scope, parameters and wording."""

    id: str
    kind: str
    title_zh: str
    title_en: str
    scopes: tuple[Scope, ...]
    clauses: tuple[str, ...]
    explanations: Mapping[str, tuple[str, str]]
    reassess_within: Mapping[str, int] | None = None

    def scope(self, level: Level, kind: CarrierKind) -> Scope | None:
        """The first scope covering an evaluation at ``level`` of a carrier of ``kind``."""
        for s in self.scopes:
            if level in s.levels and kind in s.kinds:
                return s
        return None


@attrs.frozen
class ManagementRules(HasHeader):
    """A loaded ``type: management`` file."""

    header: Header
    rules: tuple[ManagementRule, ...]

    def of_kind(self, kind: str) -> ManagementRule | None:
        """The rule of a kind, or None when the file has none."""
        return next((r for r in self.rules if r.kind == kind), None)


def load_management(id_or_path: str | Path = DEFAULT_MANAGEMENT) -> ManagementRules:
    """Load a shipped management file by id or any file by path."""
    return _FILE.load(id_or_path)


def parse_management(text: str, file: str | None = None) -> ManagementRules:
    """Build management rules from YAML text."""
    return _FILE.parse(text, file)


def management_from_document(doc: Document) -> ManagementRules:
    """Validate a parsed management document and build the rules; raises RulesetError on the first problem."""
    return _FILE.from_document(doc)


def validate_management(doc: Document) -> tuple[ManagementRules | None, tuple[RulesetError, ...]]:
    """Read a parsed management document, collecting every problem; the rules are None when there is any."""
    return _FILE.validate(doc)


_RULE_KEYS = ("id", "kind", "title", "grades", "reassess_within", "applies_to", "clauses", "explanations")


@attrs.frozen
class ManagementReader(PolicyReader):
    def read(self, doc: Document) -> ManagementRules | None:
        header = self.header(doc, "management", ("rules",))
        for name, allowed in READINGS.items():
            self.need_reading(header, name, allowed, ("readings",))
        raw_rules = self.entries(doc.data, "rules")
        rules = [self.rule(raw, ("rules", i), header) for i, raw in enumerate(raw_rules)]
        ids: dict[str, int] = {}
        kinds: dict[str, int] = {}
        for i, raw in enumerate(raw_rules):
            if not isinstance(raw, Mapping):
                continue
            rid, kind = raw.get("id"), raw.get("kind")
            if isinstance(rid, str):
                if rid in ids:
                    self.problem(("rules", i, "id"), f"duplicate rule id {rid!r} (also rules[{ids[rid]}])")
                ids.setdefault(rid, i)
            if isinstance(kind, str) and kind in OUTCOMES:
                if kind in kinds:
                    self.problem(("rules", i, "kind"), f"a second {kind} rule (also rules[{kinds[kind]}]); each kind appears once")
                kinds.setdefault(kind, i)
        if self.problems:
            return None
        return ManagementRules(self.finish(header, doc), tuple(r for r in rules if r is not None))

    def rule(self, raw: Any, p: tuple[Any, ...], header: Header) -> ManagementRule | None:
        raw = self.mapping(raw, p, _RULE_KEYS)
        if raw is None:
            return None
        before = self.count()
        rid = self.text(raw, "id", p)
        value = self.get(raw, "kind", p)
        kind = None if value is None else self.choice(value, p + ("kind",), OUTCOMES, "rule kind")
        zh, en = self.bilingual(raw, "title", p)
        if kind in (RECTIFICATION, CANCELLATION):
            grades = self.get(raw, "grades", p)
            if grades is not None and grades != [Grade.FAIL.value]:
                self.problem(p + ("grades",), "the dynamic-management rules act on the fail grade: write grades: [fail]")
        elif kind is not None and raw.get("grades") is not None:
            self.problem(p + ("grades",), f"a {kind} rule has no grades")
        within = None
        if kind == RECTIFICATION:
            value = self.get(raw, "reassess_within", p)
            within = None if value is None else self.duration(value, p + ("reassess_within",), UNITS, "period")
        elif kind is not None and raw.get("reassess_within") is not None:
            self.problem(p + ("reassess_within",), f"a {kind} rule has no reassess_within")
        scopes: list[Scope] = []
        clauses: tuple[str, ...] = ()
        if kind == AWARD_BAR:
            value = self.get(raw, "clauses", p)
            clauses = () if value is None else self.id_list(value, p + ("clauses",), self.known.get("clauses"), "clause")
            if raw.get("applies_to") is not None:
                self.problem(p + ("applies_to",), "an award_bar rule applies to every carrier: it has no applies_to")
        elif kind is not None:
            entries = self.get(raw, "applies_to", p)
            if entries is not None and (not isinstance(entries, list) or not entries):
                self.problem(p + ("applies_to",), f"expected a non-empty list of scopes, got {describe(entries)}")
            for j, entry in enumerate(entries if isinstance(entries, list) else []):
                scope = self.scope(entry, p + ("applies_to", j))
                if scope is not None:
                    scopes.append(scope)
            if raw.get("clauses") is not None:
                self.problem(p + ("clauses",), f"a {kind} rule cites its clauses in each scope (applies_to[].clauses)")
            clauses = tuple(dict.fromkeys(c for s in scopes for c in s.clauses))
        explanations = {} if kind is None else self.explanations(raw, OUTCOMES[kind], p, MANAGEMENT_PLACEHOLDERS)
        if kind is None or self.count() != before:
            return None
        return ManagementRule(rid, kind, zh, en, tuple(scopes), clauses, explanations, within)  # type: ignore[arg-type]

    def scope(self, raw: Any, p: tuple[Any, ...]) -> Scope | None:
        raw = self.mapping(raw, p, ("levels", "kinds", "clauses"))
        if raw is None:
            return None
        before = self.count()
        value = self.get(raw, "levels", p)
        levels = None if value is None else self.enums(value, p + ("levels",), Level)
        value = self.get(raw, "kinds", p)
        kinds = None if value is None else self.enums(value, p + ("kinds",), CarrierKind)
        value = self.get(raw, "clauses", p)
        clauses = () if value is None else self.id_list(value, p + ("clauses",), self.known.get("clauses"), "clause")
        if self.count() != before:
            return None
        return Scope(levels, kinds, clauses)  # type: ignore[arg-type]


_FILE: PolicyFile[ManagementRules] = PolicyFile("management", ManagementReader)
