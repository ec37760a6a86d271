"""The policy files a service may use: the shipped ones and the folders named at start-up, by id only."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import attrs

from ...files.criteria import load_criteria
from ...files.management import load_management
from ...errors import IncubatorRulesError, RulesetError
from ...files.ruleset import DEFAULT_RULESET
from ...files.ruleset import load_ruleset
from ...files.targets import load_targets
from ...files.types import POLICY_FILE_TYPES, RULESETS_DIR, SUFFIXES, detect_type, document_type, read_for_check
from ...model.ruleset import Ruleset
from ...tools.check import version_problems

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$"
_ID = re.compile(ID_PATTERN)
MAX_ID_LENGTH = 100

LOADERS: dict[str, Callable[[Path], Any]] = {
    "reward": load_ruleset, "targets": load_targets, "management": load_management, "criteria": load_criteria,
}


class UnknownPolicyError(IncubatorRulesError):
    """A request names a policy file id that the service does not serve."""


class PathLikeIdError(IncubatorRulesError):
    """A request names a policy file by something that looks like a path; the service takes ids only."""


def check_id(value: str, field: str) -> str:
    """``value`` if it is a plain id; PathLikeIdError if it could be read as a path."""
    suffix = Path(value).suffix.lower()
    if (len(value) > MAX_ID_LENGTH or not _ID.match(value) or suffix in SUFFIXES):
        raise PathLikeIdError(
            f"{value[:MAX_ID_LENGTH]!r} is not a policy file id; the service takes ids only (such as "
            f"{DEFAULT_RULESET!r}), never paths: GET /rulesets lists them", field=field,
        )
    return value


@attrs.frozen
class Entry:
    """One policy file the service serves: its type, where it came from, and the loaded file."""

    kind: str
    origin: str
    item: Any

    @property
    def id(self) -> str:
        return str(self.item.id)

    def header(self) -> Any:
        """What every policy file declares (the reward ruleset's own fields, or the others' header)."""
        return self.item if isinstance(self.item, Ruleset) else self.item.header


@attrs.frozen
class Catalog:
    """The policy files loaded at start-up, by id; every id is unique across the folders."""

    entries: Mapping[str, Entry]

    @classmethod
    def load(cls, folders: Iterable[str | Path] = ()) -> "Catalog":
        """The shipped files, then each folder's YAML and JSON policy files (other files are skipped).

        A file that does not load, or an id found twice, raises: a service
        does not start with a policy it cannot serve as written.
        """
        found: dict[str, Entry] = {}
        sources: dict[str, Path] = {}
        for origin, folder in [("shipped", RULESETS_DIR)] + [("local", Path(f)) for f in folders]:
            if not folder.is_dir():
                raise RulesetError("not a folder of policy files", file=str(folder), field="--rulesets")
            for path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES):
                kind = _policy_type(path)
                if kind is None:
                    continue
                entry = Entry(kind, origin, LOADERS[kind](path))
                if entry.id in found:
                    raise RulesetError(
                        f"policy id {entry.id!r} is also in {sources[entry.id]}; ids must be unique across the folders served",
                        file=str(path), field="id",
                    )
                found[entry.id], sources[entry.id] = entry, path
        return cls(dict(sorted(found.items())))

    def get(self, rid: str, kind: str, field: str) -> Any:
        """The loaded file of type ``kind`` with id ``rid``, or a typed error naming ``field``."""
        entry = self.entry(check_id(rid, field), field)
        if entry.kind != kind:
            raise RulesetError(
                f"{rid!r} is a {POLICY_FILE_TYPES[entry.kind]} file, not a {POLICY_FILE_TYPES[kind]} file", field=field,
            )
        return entry.item

    def entry(self, rid: str, field: str = "id") -> Entry:
        """The entry with id ``rid`` (already checked to be an id), or UnknownPolicyError."""
        found = self.entries.get(rid)
        if found is None:
            known = ", ".join(self.entries) or "none"
            raise UnknownPolicyError(f"no policy file {rid!r} is served; served: {known}", field=field)
        return found

    def default(self, kind: str) -> Any:
        """The file ``evaluate`` uses when none is named (the shipped default reward ruleset)."""
        return self.get(load_ruleset().id, kind, "ruleset")


def _policy_type(path: Path) -> str | None:
    """The policy type of a file, or None for files of other kinds (carriers, cases, scenarios).

    A released version whose content has changed since (``versions.lock``)
    raises: a service must not answer under a version number that names
    other content.
    """
    doc, text = read_for_check(path)
    kind = detect_type(doc.data, text)
    if kind == "ruleset":
        kind = document_type(doc.data, doc.source)
    if kind not in LOADERS:
        return None
    for problem in version_problems(doc):
        raise problem
    return kind


def describe_entry(entry: Entry) -> dict[str, Any]:
    """A policy file's identity, as listed by ``GET /rulesets``."""
    h = entry.header()
    return {
        "id": entry.id, "type": entry.kind, "version": h.version, "sha256": h.sha256,
        "title_zh": h.title_zh, "title_en": h.title_en, "origin": entry.origin,
    }


def detail(entry: Entry) -> dict[str, Any]:
    """A policy file in full for ``GET /rulesets/{id}``: identity, readings with their alternatives, documents, clauses."""
    h = entry.header()
    out = describe_entry(entry)
    out["jurisdiction_zh"], out["jurisdiction_en"] = h.jurisdiction_zh, h.jurisdiction_en
    out["readings"] = [
        {"name": r.name, "number": r.number, "question": r.question, "default": r.default,
         "alternatives": dict(r.alternatives), "clauses": list(r.clauses)}
        for r in h.readings.values()
    ]
    out["documents"] = [
        {"id": d.id, "title_zh": d.title_zh, "title_en": d.title_en, "issuer": d.issuer, "number": d.number,
         "issued": d.issued.isoformat() if d.issued else None}
        for d in h.documents.values()
    ]
    out["clauses"] = [
        {"id": c.id, "document": c.document, "section": c.section, "text": c.text} for c in h.clauses.values()
    ]
    if isinstance(entry.item, Ruleset):
        out["rules"] = [{"id": r.id, "kind": r.kind} for r in entry.item.rules]
    return out
