"""Reading a ``type: criteria`` file: the published criteria for each higher level, and their forms.

``district.readiness`` checks a carrier against them.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Mapping

import attrs

from ..documents import Document
from ..errors import RulesetError, describe
from ..model.carrier import CarrierKind, Level
from ..model.portfolio import METRICS
from .policyfile import MAX_NESTING, HasHeader, Header, PolicyFile, PolicyReader, header_fields
from .entrykind import EntryKind, branches, kind_fields
from .schema import Field, FileSchema, Schema, Shape, duration_shape, enum_values, set_of

__all__ = [
    "CRITERION_FORMS",
    "DEFAULT_CRITERIA",
    "CriteriaReader",
    "CriteriaSet",
    "Criterion",
    "LevelCriteria",
    "criteria_from_document",
    "load_criteria",
    "parse_criteria",
    "validate_criteria",
]

DEFAULT_CRITERIA = "upgrade-criteria"


@attrs.frozen
class Criterion:
    """One published criterion. Exactly one of ``metric``, ``ratio``, ``operating``, ``statistics_years``, ``any_of`` is set.

    ``at_least`` (and ``specialised``, the specialised-incubator threshold)
    are divided by ``per``: 75 per 100 is 75%.
    """

    id: str
    title_zh: str
    title_en: str
    metric: str | None = None
    ratio: tuple[str, str] | None = None
    operating: Mapping[str, int] | None = None
    statistics_years: int | None = None
    any_of: tuple["Criterion", ...] = ()
    at_least: Decimal | None = None
    specialised: Decimal | None = None
    per: int = 1

    def threshold(self, variant: str) -> Fraction | None:
        """The minimum for the general or the specialised variant, as an exact fraction."""
        value = self.specialised if variant == "specialised" and self.specialised is not None else self.at_least
        return None if value is None else Fraction(value) / self.per


@attrs.frozen
class LevelCriteria:
    """The criteria for one higher level (e.g. national incubator), or the fact that the sources give none."""

    id: str
    title_zh: str
    title_en: str
    level: Level
    kinds: frozenset[CarrierKind]
    clause: str
    specialised_clause: str | None
    criteria: tuple[Criterion, ...]
    thresholds_given: bool


@attrs.frozen
class CriteriaSet(HasHeader):
    """A loaded ``type: criteria`` file."""

    header: Header
    levels: tuple[LevelCriteria, ...]

    def level(self, level_id: str) -> LevelCriteria:
        """The level with this id (KeyError when there is none)."""
        for lv in self.levels:
            if lv.id == level_id:
                return lv
        raise KeyError(level_id)


def load_criteria(id_or_path: str | Path = DEFAULT_CRITERIA) -> CriteriaSet:
    """Load a shipped criteria file by id or any file by path."""
    return _FILE.load(id_or_path)


def parse_criteria(text: str, file: str | None = None) -> CriteriaSet:
    """Build a criteria set from YAML text."""
    return _FILE.parse(text, file)


def criteria_from_document(doc: Document) -> CriteriaSet:
    """Validate a parsed criteria document and build the CriteriaSet; raises RulesetError on the first problem."""
    return _FILE.from_document(doc)


def validate_criteria(doc: Document) -> tuple[CriteriaSet | None, tuple[RulesetError, ...]]:
    """Read a parsed criteria document, collecting every problem; the set is None when there is any."""
    return _FILE.validate(doc)




# The registry: every form a readiness criterion can take, declared once (district.readiness checks them).
# A criterion is of the form whose key it has; the threshold fields belong to the forms that compare a figure.
_THRESHOLD = ("at_least", "specialised", "per")
CRITERION_FORMS: Mapping[str, EntryKind] = {
    kind.name: kind
    for kind in (
        EntryKind("metric", "a minimum of one snapshot metric", takes=_THRESHOLD, optional=frozenset({"specialised", "per"})),
        EntryKind("ratio", "a minimum ratio of two snapshot metrics", takes=_THRESHOLD, optional=frozenset({"specialised", "per"})),
        EntryKind("operating", "a minimum time in normal operation"),
        EntryKind("statistics_years", "consecutive years of statistics reported"),
        EntryKind("any_of", "alternatives, one of which must be met"),
    )
}
_FORMS = tuple(CRITERION_FORMS)


@attrs.frozen
class CriteriaReader(PolicyReader):
    def read(self, doc: Document) -> CriteriaSet | None:
        header = self.header(doc, "criteria", CRITERIA)
        self.unconsulted_readings(header, ())  # no criterion form consults a reading
        raw_levels = self.entries(doc.data, "levels")
        levels = [self.level_entry(raw, ("levels", i), header) for i, raw in enumerate(raw_levels)]
        self.unique(raw_levels, ("levels",), "level")
        if self.problems:
            return None
        return CriteriaSet(self.finish(header, doc), tuple(lv for lv in levels if lv is not None))

    def unique(self, items: list[Any], p: tuple[Any, ...], what: str) -> None:
        seen: dict[str, int] = {}
        for i, raw in enumerate(items):
            rid = raw.get("id") if isinstance(raw, Mapping) else None
            if not isinstance(rid, str):
                continue
            if rid in seen:
                self.problem(p + (i, "id"), f"duplicate {what} id {rid!r} (also {p[-1]}[{seen[rid]}])")
            else:
                seen[rid] = i

    def level_entry(self, raw: Any, p: tuple[Any, ...], header: Header) -> LevelCriteria | None:
        raw = self.mapping(raw, p, _LEVEL_KEYS)
        if raw is None:
            return None
        before = self.count()
        lid = self.text(raw, "id", p)
        zh, en = self.bilingual(raw, "title", p)
        value = self.get(raw, "level", p)
        level = None if value is None else self.enum(Level, value, p + ("level",))
        value = self.get(raw, "kinds", p)
        kinds = None if value is None else self.enums(value, p + ("kinds",), CarrierKind)
        clause = self.clause_ref(raw, "clause", p)
        special = self.clause_ref(raw, "specialised_clause", p, required=False)
        thresholds = raw.get("thresholds", "given")
        if thresholds not in ("given", "not_given"):
            self.problem(p + ("thresholds",), f"expected given or not_given, got {describe(thresholds)}")
        criteria: list[Criterion | None] = []
        if thresholds == "not_given":
            if raw.get("criteria"):
                self.problem(p + ("criteria",), "a level whose thresholds are not given lists no criteria")
        elif thresholds == "given":
            items = self.get(raw, "criteria", p)
            if items is not None and (not isinstance(items, list) or not items):
                self.problem(p + ("criteria",), f"expected a non-empty list of criteria, got {describe(items)}")
            elif items:
                allowed = raw.get("specialised_clause") is not None
                criteria = [self.criterion(c, p + ("criteria", j), allowed) for j, c in enumerate(items)]
                self.unique(items, p + ("criteria",), "criterion")
        if self.count() != before:
            return None
        return LevelCriteria(
            lid, zh, en, level, kinds, clause, special, tuple(criteria), thresholds == "given",  # type: ignore[arg-type]
        )

    def criterion(self, raw: Any, p: tuple[Any, ...], specialised_allowed: bool, depth: int = 0) -> Criterion | None:
        raw = self.mapping(raw, p, _CRITERION_KEYS)
        if raw is None:
            return None
        before = self.count()
        cid = self.text(raw, "id", p)
        zh, en = self.bilingual(raw, "title", p)
        forms = [k for k in _FORMS if raw.get(k) is not None]
        if len(forms) != 1:
            self.problem(p, f"a criterion has exactly one of: {', '.join(_FORMS)}")
            return None
        form = forms[0]
        fields: dict[str, Any] = {}
        if form == "any_of":
            items = raw["any_of"]
            if not isinstance(items, list) or len(items) < 2:
                got = f"{len(items)}" if isinstance(items, list) else describe(items)
                self.problem(p + ("any_of",), f"expected a list of at least two alternatives, got {got}")
            elif depth >= MAX_NESTING:
                self.problem(p + ("any_of",), f"alternatives may be nested at most {MAX_NESTING} deep")
            else:
                fields["any_of"] = tuple(
                    self.criterion(m, p + ("any_of", j), specialised_allowed, depth + 1) for j, m in enumerate(items)
                )
                self.unique(items, p + ("any_of",), "criterion")
        elif form == "operating":
            fields["operating"] = self.duration(raw["operating"], p + ("operating",), ("years", "months"), "period")
        elif form == "statistics_years":
            fields["statistics_years"] = self.whole(raw["statistics_years"], p + ("statistics_years",), least=1)
        else:
            if form == "metric":
                fields["metric"] = self.choice(raw["metric"], p + ("metric",), METRICS, "metric")
            elif not isinstance(raw["ratio"], list) or len(raw["ratio"]) != 2:
                got = f"{len(raw['ratio'])} metrics" if isinstance(raw["ratio"], list) else describe(raw["ratio"])
                self.problem(p + ("ratio",), f"expected [numerator metric, denominator metric], got {got}")
            else:
                fields["ratio"] = tuple(self.choice(m, p + ("ratio", j), METRICS, "metric") for j, m in enumerate(raw["ratio"]))
            fields["at_least"] = self.amount(raw, "at_least", p, required=True)
            fields["specialised"] = self.amount(raw, "specialised", p, required=False)
            if fields["specialised"] is not None and not specialised_allowed:
                self.problem(p + ("specialised",), "this level has no specialised_clause to cite for a specialised threshold")
            per = raw.get("per", 1)
            if isinstance(per, bool) or not isinstance(per, int) or not 1 <= per <= 1_000_000:
                self.problem(p + ("per",), f"expected a whole number such as 10, 100 or 1000, got {describe(per)}")
            elif form == "metric" and per != 1:
                self.problem(p + ("per",), "per applies to ratios only")
            fields["per"] = per
        for key in kind_fields(CRITERION_FORMS):
            if key not in CRITERION_FORMS[form].takes and raw.get(key) is not None:
                self.problem(p + (key,), f"a criterion of form {form} takes no {key}")
        if self.count() != before:
            return None
        return Criterion(cid, zh, en, **fields)  # type: ignore[arg-type]

    def amount(self, raw: Mapping[str, Any], key: str, p: tuple[Any, ...], required: bool) -> Decimal | None:
        value = self.get(raw, key, p) if required else raw.get(key)
        return None if value is None else self.number(value, p + (key,))


_FILE: PolicyFile[CriteriaSet] = PolicyFile("criteria", CriteriaReader)


# --- the schema of the file ---------------------------------------------------------


LEVEL = Shape(
    (
        Field("id", {"$ref": "ruleset.schema.json#/definitions/text"}, required=True),
        Field("title", {"$ref": "ruleset.schema.json#/definitions/bilingual"}, required=True),
        Field("level", {"enum": enum_values(Level)}, required=True),
        Field("kinds", set_of(enum_values(CarrierKind), "the kinds of carrier that can climb to this level"), required=True),
        Field("clause", {
            "$ref": "ruleset.schema.json#/definitions/text",
            "description": "the clause that states the criteria",
        }, required=True),
        Field("specialised_clause", {
            "anyOf": [
                {
                    "$ref": "ruleset.schema.json#/definitions/text",
                    "description": "the clause with the specialised-incubator thresholds",
                },
                {"type": "null"},
            ],
        }),
        Field("criteria", {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/criterion"}}),
        Field("thresholds", {
            "enum": ["given", "not_given"],
            "description": "not_given: the sources name the criteria but give no thresholds",
        }),
    ),
    extra={
        "if": Shape(
            (
                Field("thresholds", {"const": "not_given"}, required=True),
            ),
            closed=None,
            typed=False,
        ),
        "then": Shape(
            (
                Field("criteria", {"anyOf": [{"type": "null"}, {"type": "array", "maxItems": 0}]}),
            ),
            closed=None,
            typed=False,
        ),
        "else": {"required": ["criteria"]},
    },
)


CRITERION = Shape(
    (
        Field("id", {"$ref": "ruleset.schema.json#/definitions/text"}, required=True),
        Field("title", {"$ref": "ruleset.schema.json#/definitions/bilingual"}, required=True),
        Field("metric", {"enum": list(METRICS), "description": "a minimum of this snapshot metric"}),
        Field("ratio", {
            "type": "array",
            "minItems": 2,
            "maxItems": 2,
            "items": {"enum": list(METRICS)},
            "description": "[numerator, denominator]: a minimum ratio",
        }),
        Field("operating", duration_shape(("years", "months"), "a minimum time in operation")),
        Field("statistics_years", {"type": "integer", "minimum": 1, "description": "consecutive years of statistics"}),
        Field("any_of", {
            "type": "array",
            "minItems": 2,
            "items": {"$ref": "#/definitions/criterion"},
            "description": "alternatives: one must be met",
        }),
        Field("at_least", {
            "type": "number",
            "minimum": 0,
            "exclusiveMaximum": 1000000000000,
            "description": "the minimum, divided by `per`",
        }),
        Field("specialised", {
            "type": "number",
            "minimum": 0,
            "exclusiveMaximum": 1000000000000,
            "description": "the minimum for a specialised incubator (needs the level's specialised_clause)",
        }),
        Field("per", {
            "type": "integer",
            "minimum": 1,
            "maximum": 1000000,
            "description": "75 per 100 is 75%; ratios only",
        }),
    ),
    extra={
        "oneOf": lambda: [_selects(form) for form in CRITERION_FORMS.values()],
        "allOf": lambda: branches(CRITERION_FORMS, _selects, _form_properties),
    },
)


def _selects(form: EntryKind) -> Schema:
    return {"required": [form.name]}


def _form_properties(form: EntryKind) -> Schema:
    return {"per": {"const": 1}} if form.name == "metric" else {}


_LEVEL_KEYS = LEVEL.keys
_CRITERION_KEYS = CRITERION.keys


CRITERIA = Shape(
    header_fields("criteria", None)
    + (
        Field("levels", {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/level"}}, required=True),
    ),
)


def criteria_schema() -> FileSchema:
    """The JSON Schema of criteria files (``schemas/criteria.schema.json``)."""
    return FileSchema(
        "criteria",
        "incubator-rules upgrade criteria",
        "The published criteria for the higher levels a carrier may climb to (type: criteria). A level whose thresholds the sources do not give says `thresholds: not_given`.",
        root=CRITERIA,
        definitions={
            "level": LEVEL,
            "criterion": CRITERION,
        },
    )
