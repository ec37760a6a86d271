"""Checking ruleset, carrier, case and other policy files: every problem, each with its file, line and column."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import attrs

from ..documents import Document, Source
from ..errors import DocumentError, IncubatorRulesError, LedgerError, RulesetError
from ..files.carriers import prefixed
from ..files.criteria import validate_criteria
from ..files.management import validate_management
from ..files.portfolio_lines import is_jsonl, line_problems, read_line_data
from ..files.tables import TABLE_FILES, read_portfolio_tables, tables_folder, tables_of_data
from ..files.ruleset import content_sha256, validate_ruleset
from ..files.ledger import looks_like_ledger_csv, validate_ledger, validate_ledger_csv
from ..files.targets import validate_targets
from ..files.types import (
    CARRIER,
    CASE,
    CSV_SUFFIX,
    LEDGER,
    PORTFOLIO,
    PORTFOLIO_LINES,
    PORTFOLIO_TABLES,
    RULESET,
    SCENARIO,
    SUFFIXES,
    VERSIONED,
    detect_type,
    display_path,
    read_for_check,
    ruleset_file,
)
from ..files.portfolio import portfolio_from_dict, read_csv_text
from ..files.scenarios import scenarios_from_document
from .cases import carrier_problems, in_file_order, validate_cases
from .versions import lock_path_for, version_conflict

# Each policy file type other than reward rulesets, with its collecting validator.
POLICY_VALIDATORS: dict[str, Callable[[Document], tuple[Any, tuple[IncubatorRulesError, ...]]]] = {
    "targets": validate_targets,
    "management": validate_management,
    "criteria": validate_criteria,
}


@attrs.frozen
class CheckResult:
    """What checking one file found. ``readable`` is False when the file could not be read or recognised."""

    path: str
    file_type: str | None
    problems: tuple[IncubatorRulesError, ...]
    readable: bool = True

    @property
    def ok(self) -> bool:
        """True when the file is readable and has no problems."""
        return self.readable and not self.problems


def check_file(path: str | Path, file_type: str | None = None, lock: str | Path | None = None) -> CheckResult:
    """Check one file; the type is detected unless given (a ``.csv`` file is a payments ledger)."""
    name = str(path)
    if is_jsonl(path):
        problems = line_problems(path)
        readable = not (len(problems) == 1 and problems[0].line is None)
        return CheckResult(name, PORTFOLIO_LINES if readable else None, tuple(problems), readable=readable)
    if tables_folder(path) is not None:
        return CheckResult(name, PORTFOLIO_TABLES, tuple(_first_problem(lambda: read_portfolio_tables(path), Document(None, Source(name)))))
    if Path(path).suffix.lower() == CSV_SUFFIX:
        return check_ledger_csv(path)
    try:
        doc, text = read_for_check(path)
    except DocumentError as exc:
        return CheckResult(name, None, (exc,), readable=False)
    file_type = file_type or detect_type(doc.data, text)
    if file_type is None:
        message = (
            "cannot tell whether this is a ruleset, carrier or case file: "
            "add a `# yaml-language-server: $schema=...` line naming its schema"
        )
        return CheckResult(name, None, (DocumentError(message, file=name, line=1, column=1),), readable=False)
    return CheckResult(name, file_type, tuple(in_file_order(check_document(doc, file_type, lock))))


def check_document(doc: Document, file_type: str, lock: str | Path | None = None) -> list[IncubatorRulesError]:
    """Every problem of a parsed document of a known type, including a released version reused."""
    problems = validate_document(doc, file_type)
    if file_type in VERSIONED:
        problems += version_problems(doc, lock)
    return problems


def validate_document(doc: Document, file_type: str) -> list[IncubatorRulesError]:
    """The document's own problems (the lock of released versions aside)."""
    if file_type == RULESET:
        return list(validate_ruleset(doc)[1])
    if file_type == CARRIER:
        return carrier_problems(doc.data, doc.source)[1]
    if file_type == CASE:
        return validate_cases(doc)[1]
    if file_type == PORTFOLIO:
        return check_portfolio(doc)
    if file_type == SCENARIO:
        return _first_problem(lambda: scenarios_from_document(doc), doc)
    if file_type == LEDGER:
        return list(validate_ledger(doc.data, doc.source)[1])
    if file_type == PORTFOLIO_LINES:  # a document is one line
        return _first_problem(lambda: read_line_data(doc.data, doc.source), doc)
    if file_type == PORTFOLIO_TABLES:  # a document is the tables, each a list of rows
        return _first_problem(lambda: tables_of_data(doc.data, doc.source.file), doc)
    return list(policy_validator(file_type)(doc)[1])


def check_ledger_csv(path: str | Path) -> CheckResult:
    """Check a CSV payments ledger: every bad row, and every voucher number used twice."""
    name = str(path)
    try:
        text = read_csv_text(path, lambda message: LedgerError(message, file=name))  # type: ignore[arg-type, return-value]
    except IncubatorRulesError as exc:
        return CheckResult(name, None, (exc,), readable=False)
    if not looks_like_ledger_csv(text):
        message = ("a CSV file is checked as a payments ledger, but its header row does not name the columns "
                   "carrier, date, amount and purpose")
        return CheckResult(name, None, (LedgerError(message, file=name, line=1, column=1),), readable=False)
    return CheckResult(name, LEDGER, tuple(in_file_order(list(validate_ledger_csv(text, name)[1]))))


def policy_validator(file_type: str) -> Callable[[Document], tuple[Any, tuple[IncubatorRulesError, ...]]]:
    """The collecting validator of a policy file type other than reward rulesets."""
    return POLICY_VALIDATORS[file_type]


def _first_problem(load: Callable[[], Any], doc: Document) -> list[IncubatorRulesError]:
    """The first problem a loader that stops at the first finds (the portfolio loader)."""
    try:
        load()
    except IncubatorRulesError as exc:
        return [exc]
    except Exception as exc:  # a loader bug must not take the whole check down with it
        return [DocumentError(f"the loader failed ({type(exc).__name__}: {exc}); please report this", file=doc.source.file)]
    return []


def version_problems(doc: Document, lock: str | Path | None = None) -> list[IncubatorRulesError]:
    """A problem when the file's declared version was released with other content (see versions.lock)."""
    data = doc.data
    if not (isinstance(data, Mapping) and isinstance(data.get("id"), str) and isinstance(data.get("version"), str)):
        return []
    lock_file = Path(lock) if lock is not None else lock_path_for(doc.source.file)
    try:
        release = version_conflict(data["id"], data["version"], content_sha256(data), lock_file)
    except DocumentError as exc:
        return [exc]
    if release is None:
        return []
    return [doc.source.error(
        RulesetError, ("version",),
        f"version {data['version']} of {data['id']} was released with other content "
        f"(sha256 {release.sha256[:12]}..., {display_path(lock_file)}:{release.line}); "
        f"declare a new version for the changed ruleset",
    )]


def check_portfolio(doc: Document) -> list[IncubatorRulesError]:
    """Problems of a portfolio: every carrier of a list, or a district portfolio (a mapping with ``carriers``)."""
    data = doc.data
    if isinstance(data, Mapping) and "carriers" in data:
        return _district_portfolio_problems(doc, data)
    if not isinstance(data, list):
        return [doc.source.error(DocumentError, (), "expected a list of carriers")]
    problems: list[IncubatorRulesError] = []
    for i, raw in enumerate(data):
        found = carrier_problems(raw, doc.source.below((i,)))[1]
        problems.extend(prefixed(p, (i,)) for p in found)
    return problems


def _district_portfolio_problems(doc: Document, data: Mapping[str, Any]) -> list[IncubatorRulesError]:
    """Every carrier's problems, then the first problem of the rest (header, snapshots, designations, duplicate ids).

    The rest is read with each faulty carrier replaced by a stand-in that
    keeps its position, id, snapshots and designations, so its problems are
    not reported twice and every other location stays where it was.
    """
    base = Path(doc.source.file).parent if doc.source.file else None
    raw = data.get("carriers")
    problems: list[IncubatorRulesError] = []
    entries: list[Any] = []
    for i, entry in enumerate(raw if isinstance(raw, list) else ()):
        plain = {k: v for k, v in entry.items() if k not in _PORTFOLIO_ONLY} if isinstance(entry, Mapping) else entry
        found = carrier_problems(plain, doc.source.below(("carriers", i)))[1]
        problems.extend(prefixed(p, ("carriers", i)) for p in found)
        entries.append(_stand_in(entry, i) if found else entry)
    rest = dict(data, carriers=entries) if isinstance(raw, list) else data
    return problems + _first_problem(lambda: portfolio_from_dict(rest, doc.source, base_dir=base), doc)


_PORTFOLIO_ONLY = ("snapshots", "designations")


def _stand_in(entry: Any, i: int) -> dict[str, Any]:
    """A valid carrier in place of a faulty one: same id when it has one, no events, its portfolio-only fields kept."""
    if not isinstance(entry, Mapping):
        return {"id": f"carriers[{i}]", "name": "stand-in", "kind": "maker_space"}
    cid = entry.get("id")
    shown = cid if isinstance(cid, str) and cid.strip() else f"carriers[{i}]" if cid is None else str(cid)
    out: dict[str, Any] = {"id": shown, "name": "stand-in", "kind": "maker_space"}
    out.update({k: entry[k] for k in _PORTFOLIO_ONLY if k in entry})
    return out


def release_identity(id_or_path: str | Path) -> tuple[str, str, str, Path]:
    """(id, version, sha256, path) of a valid ruleset or other policy file, given its path or shipped id.

    Raises the file's first problem when it is not valid.
    """
    path = ruleset_file(id_or_path, "ruleset or policy file")
    doc, text = read_for_check(path)
    file_type = detect_type(doc.data, text)
    if file_type not in VERSIONED:
        raise RulesetError(f"not a ruleset or policy file (found: {file_type or 'unknown'})", file=str(path))
    problems = validate_document(doc, file_type)
    if problems:
        raise problems[0]
    data = doc.data
    return data["id"], data["version"], content_sha256(data), path


def expand(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly, and inside named directories the YAML and JSON files and the CSV ledgers (sorted)."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and (
                f.suffix.lower() in SUFFIXES or is_jsonl(f) or f.name == TABLE_FILES["carriers"][0]
                or (f.suffix.lower() == CSV_SUFFIX and tables_folder(f) is None and _is_ledger_csv(f)))))
        else:
            out.append(p)
    return out


def check_paths(paths: Iterable[str | Path], lock: str | Path | None = None) -> list[CheckResult]:
    """Check files and directories of files."""
    return [check_file(p, lock=lock) for p in expand(paths)]


def _is_ledger_csv(path: Path) -> bool:
    try:
        return looks_like_ledger_csv(read_csv_text(path, lambda message: LedgerError(message, file=str(path))))  # type: ignore[arg-type, return-value]
    except IncubatorRulesError:
        return True  # unreadable: let the check say why
