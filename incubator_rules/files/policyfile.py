"""Policy files other than reward rulesets: their ``type``, shared header and citations.

Target rulesets (``type: targets``), dynamic-management rules (``type:
management``) and upgrade criteria (``type: criteria``) sit in ``rulesets/``
beside the reward rulesets (no ``type``, or ``type: reward``). They share the
reward ruleset's header: id, version, title, jurisdiction, documents, clauses
and readings. A document read only in a secondary reprint says so
(``reprint: secondary``), and a clause whose text is a paraphrase rather than
the official wording says so too (``paraphrase: true``); both marks are carried
into every citation of them.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Collection, Generic, Mapping, TypeVar

import attrs

from ..documents import Document, Source, parse_yaml, read_document
from ..errors import RulesetError, describe
from ..model.ruleset import (
    Citation,
    Clause,
    PlanPeriod,
    Reading,
    SourceDocument,
    citation_of,
    resolve_readings,
)
from .ruleset import ProblemReader, content_sha256, document_shape, first_problem
from .schema import Field, FileSchema, Schema, Shape
from .types import document_type, resolve_path, wrong_type

@attrs.frozen
class Header:
    """What every policy file declares: identity, sources, clauses, readings, optional plan period."""

    type: str
    id: str
    version: str
    title_zh: str
    title_en: str
    jurisdiction_zh: str | None
    jurisdiction_en: str | None
    documents: Mapping[str, SourceDocument]
    clauses: Mapping[str, Clause]
    readings: Mapping[str, Reading]
    plan_period: PlanPeriod | None
    sha256: str
    path: str | None

    def citation(self, clause_id: str) -> Citation:
        """The citation of a clause; secondary reprints and paraphrases are marked in its section."""
        clause = self.clauses[clause_id]
        return citation_of(clause, self.documents[clause.document])

    def citations(self, clause_ids: Any) -> tuple[Citation, ...]:
        """Citations for clause ids, without repeats, in the order given."""
        seen: list[str] = []
        for c in clause_ids:
            if c not in seen:
                seen.append(c)
        return tuple(self.citation(c) for c in seen)

    def resolve_readings(self, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
        """Every reading's value: the default unless overridden; unknown names or values raise ReadingError."""
        return resolve_readings(self.readings, overrides, self.id)


class HasHeader:
    """The identity of a loaded policy file, read from its header."""

    header: Header

    @property
    def id(self) -> str:
        """The file's id."""
        return self.header.id

    @property
    def version(self) -> str:
        """The file's version."""
        return self.header.version

    @property
    def sha256(self) -> str:
        """sha256 of the file's canonical content."""
        return self.header.sha256


Path_ = tuple[Any, ...]

# Limits that keep a typing slip (or a hostile file) from building absurd numbers.
MAX_NUMBER = 10**12
MAX_DECIMALS = 6
MAX_NESTING = 8

_R = TypeVar("_R")


def validate_policy(reader: "PolicyReader", read: Callable[[], _R | None]) -> tuple[_R | None, tuple[RulesetError, ...]]:
    """Run a collecting reader: what it read (None when anything is wrong) and every problem, in file order.

    A file of another type, or one nested too deeply to read, is a single problem.
    """
    try:
        result = read()
    except RulesetError as exc:  # a file of another type: nothing else is worth reading
        return None, (exc,)
    except RecursionError:
        return None, (reader.fail((), "the document is nested too deeply"),)
    problems = reader.sorted_problems()
    return (None if problems else result), problems


def load_or_raise(found: tuple[_R | None, tuple[RulesetError, ...]]) -> _R:
    """What ``validate_policy`` read, or its first problem raised (saying how many more there are)."""
    result, problems = found
    if problems:
        raise first_problem(problems)
    assert result is not None
    return result


@attrs.frozen
class PolicyFile(Generic[_R]):
    """The ways into one policy file type, written once: ``load`` (a shipped id or a path), ``parse`` (YAML
    text), ``from_document`` (raising the first problem) and ``validate`` (collecting every problem)."""

    type: str
    reader: Callable[[Source], "PolicyReader"]

    def validate(self, doc: Document) -> tuple[_R | None, tuple[RulesetError, ...]]:
        """Read a parsed document, collecting every problem; the result is None when there is any."""
        reader = self.reader(doc.source)
        return validate_policy(reader, lambda: reader.read(doc))  # type: ignore[attr-defined,no-any-return]

    def from_document(self, doc: Document) -> _R:
        """Validate a parsed document and build what it declares; raises RulesetError on the first problem."""
        return load_or_raise(self.validate(doc))

    def parse(self, text: str, file: str | None = None) -> _R:
        """Build from YAML text."""
        return self.from_document(parse_yaml(text, file))

    def load(self, id_or_path: str | Path) -> _R:
        """Load a shipped file of this type by id, or any file by path."""
        return self.from_document(read_document(resolve_path(id_or_path, self.type)))


@attrs.frozen
class PolicyReader(ProblemReader):
    """Reads the header every policy file shares, and checks its body readers share.

    It collects: each problem is recorded and reading goes on where it safely
    can; a reader returns None for what it could not read. References are
    checked against the ids a section declares (``known``), so that one broken
    entry is reported once, not again by everything that names it.
    """

    collect: bool = True
    known: dict[str, set[Any] | None] = attrs.field(factory=dict)

    def count(self) -> int:
        """How many problems are recorded so far; a part read cleanly when the count did not grow."""
        return len(self.problems)

    def header(self, doc: Document, kind: str, shape: Shape, needs_period: bool = False) -> Header:
        """Check the file's type (a file of another type raises) and its top-level keys (``shape``'s), and read its header.

        The header is incomplete when problems were recorded; it is only
        returned to callers once the whole file has read cleanly.
        """
        found = document_type(doc.data, self.source)
        if found != kind:
            raise wrong_type(found, kind, self.source)
        data = self.mapping(doc.data, (), ("$schema",) + shape.keys) or {}
        head = self.header_fields(data, marks=True, jurisdiction=False, period=needs_period)
        self.known["clauses"] = head.clause_ids
        raw_readings = head.raw_readings
        self.known["readings"] = None if data.get("readings") is not None and raw_readings is None else set(raw_readings or {})
        return Header(
            kind, head.id, head.version, head.title[0], head.title[1], head.jurisdiction[0], head.jurisdiction[1],  # type: ignore[arg-type]
            head.documents, head.clauses, head.readings, head.period, "", self.source.file,
        )

    def finish(self, header: Header, doc: Document) -> Header:
        """The header with the hash of the file's content, once the whole file has read cleanly."""
        return attrs.evolve(header, sha256=content_sha256(doc.data))

    def ref(self, raw: Mapping[Any, Any], key: str, p: Path_, kind: str, required: bool = True) -> str | None:
        """An id that must be declared in section ``kind`` (checked only when that section was readable)."""
        value = self.text(raw, key, p, required)
        known = self.known.get(kind)
        if value is not None and known is not None and value not in known:
            listed = ", ".join(sorted(map(str, known))) or "none"
            self.problem(p + (key,), f"unknown {kind.rstrip('s')} {describe(value)}; declared: {listed}")
            return None
        return value

    def clause_ref(self, raw: Mapping[Any, Any], key: str, p: Path_, required: bool = True) -> str | None:
        """A clause id that must be declared under ``clauses``."""
        return self.ref(raw, key, p, "clauses", required)

    def quote(self, raw: Mapping[Any, Any], p: Path_, header: Header, clause: str | None) -> str | None:
        """The quoted words, which must stand verbatim in the clause's text (checked when the clause read cleanly)."""
        quote = self.text(raw, "quote", p)
        passage = header.clauses.get(clause) if clause is not None else None
        if quote is not None and passage is not None and quote not in passage.text:
            self.problem(p + ("quote",), f"the quote {describe(quote)} is not in the text of clause {clause!r}")
        return quote

    def need_reading(self, header: Header, name: str, allowed: frozenset[str], p: Path_) -> None:
        """A problem unless the file declares reading ``name`` with alternatives the code can apply."""
        declared = self.known.get("readings")
        if declared is None:
            return  # the readings section itself is unreadable, and reported
        if name not in declared:
            self.problem(p, f"this file needs a reading named {name!r} (alternatives: {', '.join(sorted(allowed))})")
            return
        for alt in header.readings[name].alternatives if name in header.readings else ():
            if alt not in allowed:
                self.problem(
                    ("readings", name, "alternatives", alt),
                    f"the code cannot apply alternative {describe(alt)} for {name}; it knows: {', '.join(sorted(allowed))}",
                )

    def unconsulted_readings(self, header: Header, consulted: Collection[str]) -> None:
        """A problem for each declared reading the file type does not consult (``consulted``): choosing it would change
        nothing, while every result would say it was applied. Checked once the rest of the file reads cleanly."""
        declared = self.known.get("readings")
        if self.problems:  # what the file consults is only known once the rest of it reads cleanly
            return
        for name in sorted(declared or ()):
            if name not in consulted:
                known = ", ".join(sorted(consulted)) or "none"
                self.problem(("readings", name), f"reading {name!r} is consulted by nothing in a {header.type} file, so "
                                                 f"choosing it would change nothing; the readings it applies: {known}")

    def entries(self, data: Mapping[Any, Any], key: str, required: bool = True) -> list[Any]:
        """A non-empty list at top-level ``key`` (an absent optional list is empty)."""
        value = data.get(key)
        if value is None:
            if required:
                self.problem((key,), "required field is missing")
            return []
        if not isinstance(value, list) or not value:
            self.problem((key,), f"expected a non-empty list, got {describe(value)}")
            return []
        return value

    def choice(self, value: Any, p: Path_, allowed: Collection[str], what: str) -> str | None:
        """A text that must be one of ``allowed`` (a metric, unit, measure, rule kind ...)."""
        if not isinstance(value, str) or value not in allowed:
            self.problem(p, f"unknown {what} {describe(value)}; expected one of: {', '.join(allowed)}")
            return None
        return value

    def enums(self, value: Any, p: Path_, enum_type: Any) -> frozenset[Any] | None:
        """A non-empty list of enum values (levels, carrier kinds)."""
        if not isinstance(value, list) or not value:
            self.problem(p, f"expected a non-empty list of {enum_type.__name__} values, got {describe(value)}")
            return None
        before = self.count()
        out = {self.enum(enum_type, item, p + (i,)) for i, item in enumerate(value)}
        return frozenset(out) if self.count() == before else None

    def number(self, value: Any, p: Path_) -> Decimal | None:
        """A finite, non-negative number of plausible size, with at most a few decimals."""
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            self.problem(p, f"expected a number, got {describe(value)}")
            return None
        if isinstance(value, int) and not -MAX_NUMBER < value < MAX_NUMBER:
            self.problem(p, f"{describe(value)} is implausibly large (the limit is {MAX_NUMBER:,})")
            return None
        number = Decimal(value)
        if not number.is_finite() or number < 0:
            self.problem(p, f"expected a finite non-negative number, got {describe(number)}")
            return None
        if number >= MAX_NUMBER:
            self.problem(p, f"{describe(number)} is implausibly large (the limit is {MAX_NUMBER:,})")
            return None
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -MAX_DECIMALS and number != number.to_integral_value():
            self.problem(p, f"{describe(number)} has more than {MAX_DECIMALS} decimals")
            return None
        return number

    def whole(self, value: Any, p: Path_, least: int = 0) -> int | None:
        """A whole number from ``least`` to MAX_NUMBER (a count, a number of months, a divisor)."""
        if isinstance(value, bool) or not isinstance(value, int) or not least <= value < MAX_NUMBER:
            self.problem(p, f"expected a whole number of at least {least}, got {describe(value)}")
            return None
        return value


# --- the schema of the file ---------------------------------------------------------


def policy_schema() -> FileSchema:
    """The JSON Schema of policy files (``schemas/policy.schema.json``)."""
    return FileSchema(
        "policy",
        "incubator-rules policy-file header",
        "What every policy file other than a reward ruleset shares (targets, management, criteria): its version, cited documents and clauses. Only definitions: the files name targets.schema.json, management.schema.json or criteria.schema.json.",
        root={},
        definitions={
            "version": {
                "type": "string",
                "pattern": "\\S",
                "description": "the version, quoted (\"1.1.0\"); once released it never changes meaning: see rulesets/versions.lock",
            },
            "documents": {
                "type": "object",
                "description": "the source documents clauses cite, by id",
                "additionalProperties": {"$ref": "#/definitions/document"},
            },
            "document": document_shape("ruleset.schema.json#/definitions/", {
                "anyOf": [
                    {"const": "secondary", "description": "only a secondary reprint was read, not the official gazette"},
                    {"type": "null"},
                ],
            }),
            "clauses": {
                "type": "object",
                "description": "citable passages, by id",
                "additionalProperties": {"$ref": "#/definitions/clause"},
            },
            "clause": Shape(
                (
                    Field("document", {
                        "$ref": "ruleset.schema.json#/definitions/text",
                        "description": "id of a document under `documents`",
                    }, required=True),
                    Field("section", {"$ref": "ruleset.schema.json#/definitions/text"}, required=True),
                    Field("text", {
                        "$ref": "ruleset.schema.json#/definitions/text",
                        "description": "the passage, verbatim unless `paraphrase: true`",
                    }, required=True),
                    Field("paraphrase", {
                        "type": "boolean",
                        "description": "true when the text is a paraphrase, not the official wording",
                    }),
                ),
            ),
            "plan_period": {"$ref": "ruleset.schema.json#/properties/plan_period"},
        },
    )


def reading_schema(allowed: Collection[str]) -> Schema:
    """The schema of a reading a policy file must declare, whose alternatives the code can apply are ``allowed``."""
    names = sorted(allowed)
    return {
        "allOf": [
            {"$ref": "ruleset.schema.json#/definitions/reading"},
            {"properties": {"alternatives": {"propertyNames": {"enum": names}}, "default": {"enum": names}}},
        ],
        "description": f"alternatives the code can apply: {', '.join(names)}",
    }


def header_fields(kind: str, readings: Schema | None = None, period: bool = False) -> tuple[Field, ...]:
    """The header a policy file of type ``kind`` starts with, in the order the reader lists it.

    ``readings`` is the schema of the readings the file must declare (None: any, or none); ``period`` says
    whether it needs a plan period.
    """
    bilingual = {"$ref": "ruleset.schema.json#/definitions/bilingual"}
    plan_period = {"$ref": "policy.schema.json#/definitions/plan_period"}
    any_readings = {"type": "object", "additionalProperties": {"$ref": "ruleset.schema.json#/definitions/reading"}}
    return (
        Field("$schema", {"type": "string"}),
        Field("type", {"const": kind, "description": "the kind of policy file; reward rulesets have no type"}, required=True),
        Field("id", {
            "$ref": "ruleset.schema.json#/definitions/text", "description": "the file's id, also its file name without .yaml",
        }, required=True),
        Field("version", {"$ref": "policy.schema.json#/definitions/version"}, required=True),
        Field("title", bilingual, required=True),
        Field("jurisdiction", bilingual, nullable=True),
        Field("documents", {"$ref": "policy.schema.json#/definitions/documents"}, required=True),
        Field("clauses", {"$ref": "policy.schema.json#/definitions/clauses"}, required=True),
        Field("readings", readings, required=True) if readings is not None
        else Field("readings", any_readings, nullable=True),
        Field("plan_period", plan_period, required=True) if period
        else Field("plan_period", plan_period, nullable=True),
    )
