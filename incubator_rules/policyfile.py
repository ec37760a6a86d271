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
import hashlib
from pathlib import Path
from typing import Any, Mapping

import attrs

from .documents import Document, Source, canonical_json, read_document
from .errors import ReadingError, RulesetError
from .ruleset import RULESETS_DIR, Citation, PlanPeriod, Reading, _RulesetReader

FILE_TYPES: dict[str, str] = {
    "reward": "reward ruleset",
    "targets": "plan targets",
    "management": "dynamic-management rules",
    "criteria": "upgrade criteria",
}

_LOADERS = {
    "reward": "incubator_rules.load_ruleset",
    "targets": "incubator_rules.targets.load_targets",
    "management": "incubator_rules.management.load_management",
    "criteria": "incubator_rules.readiness.load_criteria",
}


def document_type(data: Any, source: Source | None = None) -> str:
    """The ``type`` of a parsed policy file: ``reward`` when it has none."""
    if not isinstance(data, Mapping):
        return "reward"
    kind = data.get("type", "reward")
    if kind not in FILE_TYPES:
        src = source or Source()
        raise src.error(RulesetError, ("type",), f"unknown file type {kind!r}; expected one of: {', '.join(FILE_TYPES)}")
    return str(kind)


def file_type(path: str | Path) -> str:
    """The ``type`` of a policy file on disk."""
    doc = read_document(path)
    return document_type(doc.data, doc.source)


def wrong_type(found: str, wanted: str, source: Source) -> RulesetError:
    """The error for a file of one type handed to the loader of another."""
    declared = f"type: {found}" + (", the default when none is given" if found == "reward" else "")
    return source.error(  # type: ignore[return-value]
        RulesetError, ("type",),
        f"this is a {FILE_TYPES[found]} file ({declared}), not a {FILE_TYPES[wanted]} file; load it with {_LOADERS[found]}",
    )


def shipped_files(kind: str | None = None) -> list[tuple[str, Path]]:
    """The shipped policy files as (type, path), sorted by name; only one type when ``kind`` is given."""
    out = []
    for path in sorted(RULESETS_DIR.glob("*.yaml")):
        found = file_type(path)
        if kind is None or found == kind:
            out.append((found, path))
    return out


def resolve_path(id_or_path: str | Path, kind: str) -> Path:
    """A shipped file by id, or any path; raises RulesetError naming the shipped ids of that type."""
    candidate = Path(id_or_path)
    if candidate.suffix or candidate.exists():
        return candidate
    shipped = RULESETS_DIR / f"{id_or_path}.yaml"
    if not shipped.exists():
        known = ", ".join(p.stem for _, p in shipped_files(kind)) or "none"
        raise RulesetError(f"no shipped {FILE_TYPES[kind]} file {str(id_or_path)!r}; shipped: {known}", field="ruleset")
    return shipped


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


_HEADER_KEYS = ("type", "id", "version", "title", "jurisdiction", "documents", "clauses", "readings", "plan_period")


@attrs.frozen
class PolicyReader(_RulesetReader):
    """Validation helpers for policy files, shared by the targets, management and criteria loaders."""

    def header(self, doc: Document, kind: str, body_keys: tuple[str, ...], needs_period: bool = False) -> Header:
        """Check the file's type and top-level keys, and read its header."""
        found = document_type(doc.data, self.source)
        if found != kind:
            raise wrong_type(found, kind, self.source)
        data = self.mapping(doc.data, (), _HEADER_KEYS + body_keys)
        rid = self.text(data, "id", ())
        version = self.get(data, "version", ())
        if not isinstance(version, str):
            raise self.fail(("version",), f"expected the version as a quoted string, got {version!r}")
        title = self.bilingual(data, "title", ())
        jurisdiction = self.bilingual(data, "jurisdiction", ()) if data.get("jurisdiction") is not None else (None, None)
        documents = self.sources(self.mapping(self.get(data, "documents", ()), ("documents",)))
        clauses = self.passages(self.mapping(self.get(data, "clauses", ()), ("clauses",)), documents)
        period = None
        if needs_period or data.get("plan_period") is not None:
            period = self.period(data, clauses)  # type: ignore[arg-type]
        readings = self.readings(self.mapping(data.get("readings") or {}, ("readings",)), clauses)  # type: ignore[arg-type]
        digest = hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()
        return Header(
            kind, rid, version, title[0], title[1], jurisdiction[0], jurisdiction[1],
            documents, clauses, readings, period, digest, self.source.file,
        )

    def sources(self, data: Mapping[str, Any]) -> dict[str, PolicySource]:
        out = {}
        for key, raw in data.items():
            p = ("documents", key)
            raw = self.mapping(raw, p, ("title_zh", "title_en", "issuer", "number", "issued", "file", "url", "reprint"))
            reprint = self.text(raw, "reprint", p, False)
            if reprint not in (None, "secondary"):
                raise self.fail(p + ("reprint",), f"expected 'secondary' (or no reprint field), got {reprint!r}")
            out[key] = PolicySource(
                id=key, title_zh=self.text(raw, "title_zh", p), title_en=self.text(raw, "title_en", p),
                issuer=self.text(raw, "issuer", p, False), number=self.text(raw, "number", p, False),
                issued=self.date(raw, "issued", p, False), file=self.text(raw, "file", p, False),
                url=self.text(raw, "url", p, False), reprint=reprint,
            )
        return out

    def passages(self, data: Mapping[str, Any], documents: Mapping[str, PolicySource]) -> dict[str, PolicyClause]:
        out = {}
        for key, raw in data.items():
            p = ("clauses", key)
            raw = self.mapping(raw, p, ("document", "section", "text", "paraphrase"))
            doc = self.text(raw, "document", p)
            if doc not in documents:
                raise self.fail(p + ("document",), f"unknown document {doc!r}")
            paraphrase = raw.get("paraphrase", False)
            if not isinstance(paraphrase, bool):
                raise self.fail(p + ("paraphrase",), f"expected true or false, got {paraphrase!r}")
            out[key] = PolicyClause(key, doc, self.text(raw, "section", p), self.text(raw, "text", p), paraphrase)
        return out

    def clause_ref(self, raw: Mapping[str, Any], key: str, p: tuple[Any, ...], header: Header, required: bool = True) -> str | None:
        """A clause id that must exist in the header."""
        value: str | None = self.text(raw, key, p, required)
        if value is not None and value not in header.clauses:
            raise self.fail(p + (key,), f"unknown clause {value!r}")
        return value

    def quote(self, raw: Mapping[str, Any], p: tuple[Any, ...], header: Header, clause: str) -> str:
        """The quoted words, which must stand verbatim in the clause's text."""
        quote: str = self.text(raw, "quote", p)
        if quote not in header.clauses[clause].text:
            raise self.fail(p + ("quote",), f"the quote {quote!r} is not in the text of clause {clause!r}")
        return quote

    def need_reading(self, header: Header, name: str, allowed: frozenset[str], p: tuple[Any, ...]) -> None:
        """Fail unless the file declares reading ``name`` with alternatives the code can apply."""
        if name not in header.readings:
            raise self.fail(p, f"this file needs a reading named {name!r} (alternatives: {', '.join(sorted(allowed))})")
        for alt in header.readings[name].alternatives:
            if alt not in allowed:
                raise self.fail(
                    ("readings", name, "alternatives", alt),
                    f"the code cannot apply alternative {alt!r} for {name}; it knows: {', '.join(sorted(allowed))}",
                )
