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

import datetime
from decimal import Decimal
from typing import Any, Callable, Collection, Mapping, TypeVar

import attrs

from ..documents import Document, id_problem
from ..errors import ReadingError, RulesetError, describe
from ..model.ruleset import Citation, PlanPeriod, Reading
from .ruleset import _ProblemReader, content_sha256, first_problem
from .types import document_type, wrong_type

@attrs.frozen
class PolicySource:
    """A document cited by a policy file; ``reprint`` is ``secondary`` when only a reprint was read."""

    id: str
    title_zh: str
    title_en: str
    issuer: str | None
    number: str | None
    issued: datetime.date | None
    file: str | None
    url: str | None
    reprint: str | None


@attrs.frozen
class PolicyClause:
    """A citable passage; ``paraphrase`` marks text that is not the official wording."""

    id: str
    document: str
    section: str
    text: str
    paraphrase: bool = False


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
    documents: Mapping[str, PolicySource]
    clauses: Mapping[str, PolicyClause]
    readings: Mapping[str, Reading]
    plan_period: PlanPeriod | None
    sha256: str
    path: str | None

    def citation(self, clause_id: str) -> Citation:
        """The citation of a clause; secondary reprints and paraphrases are marked in its section."""
        clause = self.clauses[clause_id]
        doc = self.documents[clause.document]
        marks = []
        if doc.reprint:
            marks.append(f"{doc.reprint} reprint")
        if clause.paraphrase:
            marks.append("paraphrase, not the official wording")
        section = clause.section + (f" [{'; '.join(marks)}]" if marks else "")
        return Citation(clause.id, doc.id, doc.title_zh, doc.number, section, clause.text)

    def citations(self, clause_ids: Any) -> tuple[Citation, ...]:
        """Citations for clause ids, without repeats, in the order given."""
        seen: list[str] = []
        for c in clause_ids:
            if c not in seen:
                seen.append(c)
        return tuple(self.citation(c) for c in seen)

    def resolve_readings(self, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
        """Every reading's value: the default unless overridden; unknown names or values raise ReadingError."""
        chosen = {name: r.default for name, r in self.readings.items()}
        for name, value in (overrides or {}).items():
            if name not in self.readings:
                known = ", ".join(self.readings) or "none"
                raise ReadingError(f"unknown reading in {self.id}; known readings: {known}", field=name)
            if value not in self.readings[name].alternatives:
                allowed = ", ".join(self.readings[name].alternatives)
                raise ReadingError(f"{value!r} is not an alternative; expected one of: {allowed}", field=name)
            chosen[name] = value
        return chosen


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


_HEADER_KEYS = ("$schema", "type", "id", "version", "title", "jurisdiction", "documents", "clauses", "readings", "plan_period")
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
class PolicyReader(_ProblemReader):
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

    def header(self, doc: Document, kind: str, body_keys: tuple[str, ...], needs_period: bool = False) -> Header:
        """Check the file's type (a file of another type raises) and its top-level keys, and read its header.

        The header is incomplete when problems were recorded; it is only
        returned to callers once the whole file has read cleanly.
        """
        found = document_type(doc.data, self.source)
        if found != kind:
            raise wrong_type(found, kind, self.source)
        data = self.mapping(doc.data, (), _HEADER_KEYS + body_keys) or {}
        self.text(data, "$schema", (), False)
        rid = self.text(data, "id", ())
        version = self.get(data, "version", ())
        if version is not None and (not isinstance(version, str) or not version.strip()):
            self.problem(("version",), f"expected the version as a quoted string such as \"1.0.0\", got {describe(version)}")
        for key, value in (("id", rid), ("version", version)):
            if isinstance(value, str) and value.strip() and id_problem(value):
                self.problem((key,), f"{describe(value)}: {id_problem(value)}")
        title = self.bilingual(data, "title", ())
        jurisdiction = self.bilingual(data, "jurisdiction", ()) if data.get("jurisdiction") is not None else (None, None)
        raw_docs = self.section(data, "documents")
        documents = self.sources(raw_docs or {})
        raw_clauses = self.section(data, "clauses")
        clauses = self.passages(raw_clauses or {}, None if raw_docs is None else set(raw_docs))
        self.known["clauses"] = None if raw_clauses is None else set(raw_clauses)
        period = None
        if needs_period or data.get("plan_period") is not None:
            period = self.period(data, self.known["clauses"])
        raw_readings = self.section(data, "readings", required=False)
        readings = self.readings(raw_readings or {}, self.known["clauses"])
        self.known["readings"] = None if data.get("readings") is not None and raw_readings is None else set(raw_readings or {})
        return Header(
            kind, rid, version, title[0], title[1], jurisdiction[0], jurisdiction[1],  # type: ignore[arg-type]
            documents, clauses, readings, period, "", self.source.file,
        )

    def finish(self, header: Header, doc: Document) -> Header:
        """The header with the hash of the file's content, once the whole file has read cleanly."""
        return attrs.evolve(header, sha256=content_sha256(doc.data))

    def sources(self, data: Mapping[Any, Any]) -> dict[str, PolicySource]:
        out = {}
        for key, raw in data.items():
            p = ("documents", key)
            raw = self.mapping(raw, p, ("title_zh", "title_en", "issuer", "number", "issued", "file", "url", "reprint"))
            if raw is None:
                continue
            reprint = self.text(raw, "reprint", p, False)
            if reprint not in (None, "secondary"):
                self.problem(p + ("reprint",), f"expected 'secondary' (or no reprint field), got {describe(reprint)}")
            out[key] = PolicySource(
                id=key, title_zh=self.text(raw, "title_zh", p), title_en=self.text(raw, "title_en", p),  # type: ignore[arg-type]
                issuer=self.text(raw, "issuer", p, False), number=self.text(raw, "number", p, False),
                issued=self.date(raw, "issued", p, False), file=self.text(raw, "file", p, False),
                url=self.text(raw, "url", p, False), reprint=reprint,
            )
        return out

    def passages(self, data: Mapping[Any, Any], doc_ids: Collection[Any] | None) -> dict[str, PolicyClause]:
        out = {}
        for key, raw in data.items():
            p = ("clauses", key)
            raw = self.mapping(raw, p, ("document", "section", "text", "paraphrase"))
            if raw is None:
                continue
            before = self.count()
            doc = self.text(raw, "document", p)
            if doc is not None and doc_ids is not None and doc not in doc_ids:
                self.problem(p + ("document",), f"unknown document {describe(doc)}")
            paraphrase = raw.get("paraphrase", False)
            if not isinstance(paraphrase, bool):
                self.problem(p + ("paraphrase",), f"expected true or false, got {describe(paraphrase)}")
            section, text = self.text(raw, "section", p), self.text(raw, "text", p)
            if self.count() == before:
                out[key] = PolicyClause(key, doc, section, text, paraphrase)  # type: ignore[arg-type]
        return out

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

    def period_spec(self, value: Any, p: Path_, keys: tuple[str, ...]) -> dict[str, int] | None:
        """A calendar period such as ``{months: 6}``: whole numbers, longer than zero."""
        value = self.mapping(value, p, keys)
        if value is None:
            return None
        before = self.count()
        out = {k: self.whole(v, p + (k,)) for k, v in value.items() if k in keys}
        if self.count() != before:
            return None
        if not any(out.values()):
            self.problem(p, "a period must be longer than zero")
            return None
        if any(v > 1000 for v in out.values() if v is not None):
            self.problem(p, "a period of more than 1,000 years, months or days is implausibly long")
            return None
        return {k: v for k, v in out.items() if v is not None}
