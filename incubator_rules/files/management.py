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
from .policyfile import HasHeader, Header, PolicyFile, PolicyReader, header_fields, reading_schema
from .entrykind import EntryKind, branches
from .schema import Field, FileSchema, Schema, Shape, duration_shape, enum_values, set_of
from .types import DEFAULTS

__all__ = [
    "AT_RISK",
    "AWARD_BAR",
    "CANCELLATION",
    "DEFAULT_MANAGEMENT",
    "MANAGEMENT_KINDS",
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

# The registry: every kind of dynamic-management rule, declared once (district.management applies them).
MANAGEMENT_KINDS: Mapping[str, EntryKind] = {
    kind.name: kind
    for kind in (
        EntryKind(
            RECTIFICATION,
            "a first failed evaluation puts the carrier under rectification, re-assessed within a period",
            takes=("grades", "reassess_within", "applies_to"),
            codes=("open", "overdue", "resolved", "resolved_late", "escalated", "ended"),
            at_risk=frozenset({"open", "overdue"}),
        ),
        EntryKind(
            CANCELLATION,
            "a second consecutive fail at the same level makes the title due for cancellation",
            takes=("grades", "applies_to"),
            codes=("first_fail", "first_fail_resolved", "first_fail_ended", "due", "done", "not_covered"),
            at_risk=frozenset({"first_fail", "due"}),
        ),
        EntryKind(
            AWARD_BAR,
            "a delisting bars any award dated after it until the carrier is accredited again",
            takes=("clauses",),
            codes=("in_force", "lifted"),
        ),
    )
}
# Views of the registry: the outcomes each kind can reach (each needs an explanation), and those "at risk".
OUTCOMES: Mapping[str, tuple[str, ...]] = {name: kind.codes for name, kind in MANAGEMENT_KINDS.items()}
AT_RISK: frozenset[tuple[str, str]] = frozenset((name, code) for name, kind in MANAGEMENT_KINDS.items() for code in kind.at_risk)
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




@attrs.frozen
class ManagementReader(PolicyReader):
    def read(self, doc: Document) -> ManagementRules | None:
        header = self.header(doc, "management", MANAGEMENT)
        for name, allowed in READINGS.items():
            self.need_reading(header, name, allowed, ("readings",))
        self.unconsulted_readings(header, READINGS)
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
            if isinstance(kind, str) and kind in MANAGEMENT_KINDS:
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
        kind = None if value is None else self.choice(value, p + ("kind",), MANAGEMENT_KINDS, "rule kind")
        takes = () if kind is None else MANAGEMENT_KINDS[kind].takes
        zh, en = self.bilingual(raw, "title", p)
        if "grades" in takes:
            grades = self.get(raw, "grades", p)
            if grades is not None and grades != [Grade.FAIL.value]:
                self.problem(p + ("grades",), "the dynamic-management rules act on the fail grade: write grades: [fail]")
        elif kind is not None and raw.get("grades") is not None:
            self.problem(p + ("grades",), f"a {kind} rule has no grades")
        within = None
        if "reassess_within" in takes:
            value = self.get(raw, "reassess_within", p)
            within = None if value is None else self.duration(value, p + ("reassess_within",), UNITS, "period")
        elif kind is not None and raw.get("reassess_within") is not None:
            self.problem(p + ("reassess_within",), f"a {kind} rule has no reassess_within")
        scopes: list[Scope] = []
        clauses: tuple[str, ...] = ()
        if "clauses" in takes:
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
        explanations = {} if kind is None else self.explanations(raw, MANAGEMENT_KINDS[kind].codes, p, MANAGEMENT_PLACEHOLDERS)
        if kind is None or self.count() != before:
            return None
        return ManagementRule(rid, kind, zh, en, tuple(scopes), clauses, explanations, within)  # type: ignore[arg-type]

    def scope(self, raw: Any, p: tuple[Any, ...]) -> Scope | None:
        raw = self.mapping(raw, p, _SCOPE_KEYS)
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


# --- the schema of the file ---------------------------------------------------------


def _selects(kind: EntryKind) -> Schema:
    return {"required": ["kind"], "properties": {"kind": {"const": kind.name}}}


def _explanations(kind: EntryKind) -> Schema:
    return {
        "explanations": Shape(
            tuple(Field(code, {"$ref": "ruleset.schema.json#/definitions/bilingual"}, required=True) for code in kind.codes),
            description="the wording of each outcome; placeholders such as {date} and {due} are filled in",
        ),
    }


RULE = Shape(
    (
        Field("id", {"$ref": "ruleset.schema.json#/definitions/text"}, required=True),
        Field("kind", lambda: {"enum": list(MANAGEMENT_KINDS), "description": "each kind appears once"}, required=True),
        Field("title", {"$ref": "ruleset.schema.json#/definitions/bilingual"}, required=True),
        Field("grades", {"const": ["fail"], "description": "the grades the rule acts on: [fail]"}),
        Field("reassess_within", duration_shape(("years", "months", "days"), "when the re-assessment is due after a fail, e.g. {months: 6}")),
        Field("applies_to", {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/scope"}}),
        Field("clauses", {
            "type": "array",
            "minItems": 1,
            "items": {"$ref": "ruleset.schema.json#/definitions/text"},
            "description": "the clauses an award bar cites",
        }),
        Field("explanations", {"type": "object"}, required=True),
    ),
    extra={"allOf": lambda: branches(MANAGEMENT_KINDS, _selects, _explanations)},
)


SCOPE = Shape(
    (
        Field("levels", set_of(enum_values(Level), "evaluating levels"), required=True),
        Field("kinds", set_of(enum_values(CarrierKind), "carrier kinds"), required=True),
        Field("clauses", {
            "type": "array",
            "minItems": 1,
            "items": {"$ref": "ruleset.schema.json#/definitions/text"},
            "description": "clauses cited",
        }, required=True),
    ),
    description="the evaluations a rule covers, and the clauses it cites for them; the first matching scope applies",
)


_RULE_KEYS = RULE.keys
_SCOPE_KEYS = SCOPE.keys


_READINGS_SCHEMA = {
        "type": "object",
        "description": "documented choices; district_level and bar_from are always needed",
        "required": ["district_level", "bar_from"],
        "properties": {
            "district_level": reading_schema(READINGS["district_level"]),
            "bar_from": reading_schema(READINGS["bar_from"]),
        },
        "additionalProperties": {"$ref": "ruleset.schema.json#/definitions/reading"},
    }


MANAGEMENT = Shape(
    header_fields("management", _READINGS_SCHEMA)
    + (
        Field("rules", {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/rule"}}, required=True),
    ),
)


def management_schema() -> FileSchema:
    """The JSON Schema of management files (``schemas/management.schema.json``)."""
    return FileSchema(
        "management",
        "incubator-rules dynamic-management rules",
        "What a failed evaluation or a delisting means for a carrier's title and awards (type: management). These rules decide no money.",
        root=MANAGEMENT,
        definitions={
            "rule": RULE,
            "scope": SCOPE,
        },
    )
