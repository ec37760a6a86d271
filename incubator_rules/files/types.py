"""The file types: which policy file a document is, where the shipped ones are, and which kind of input a file holds."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Callable, Mapping

import attrs

from ..documents import Document, Source, id_problem, parse_json, parse_yaml, read_document, read_text
from ..errors import RulesetError, describe


def _shipped_dir(name: str) -> Path:
    """Inside an installed wheel the shipped files sit in the package; in a checkout, beside it."""
    package = Path(__file__).parent.parent
    inside = package / name
    return inside if inside.is_dir() else package.parent / name


RULESETS_DIR = _shipped_dir("rulesets")
SCHEMAS_DIR = _shipped_dir("schemas")

# What the library uses when a caller names no file (``rulesets/defaults.toml``): the default ruleset and
# management rules and the synthetic district. The code names no jurisdiction; this data file does.
DEFAULTS: Mapping[str, Any] = tomllib.loads((RULESETS_DIR / "defaults.toml").read_text(encoding="utf-8"))

@attrs.frozen
class FileType:
    """One type of input file: its name (as ``check`` and the schemas call it), what it is called, the ``type:``
    it declares when it is a policy file, the public function that loads it, and whether its released versions
    are recorded in ``versions.lock``."""

    name: str
    label: str
    declares: str | None
    loader: str
    versioned: bool = False


RULESET, CARRIER, CASE, PORTFOLIO, SCENARIO, LEDGER = "ruleset", "carrier", "case", "portfolio", "scenario", "ledger"
# Portfolios kept as JSON Lines (one carrier per line) and as CSV tables (a folder, one file per table).
PORTFOLIO_LINES, PORTFOLIO_TABLES = "portfolio-lines", "portfolio-tables"

# The registry of file types, in the order they are listed to users.
FILE_TYPE_TABLE: tuple[FileType, ...] = (
    FileType(RULESET, "reward ruleset", "reward", "incubator_rules.load_ruleset", versioned=True),
    FileType(CARRIER, "carrier", None, "incubator_rules.load_carrier"),
    FileType(CASE, "test cases", None, "incubator_rules.load_cases"),
    FileType(PORTFOLIO, "portfolio", None, "incubator_rules.load_portfolio"),
    FileType(PORTFOLIO_LINES, "JSON Lines portfolio", None, "incubator_rules.iter_carriers"),
    FileType(PORTFOLIO_TABLES, "CSV portfolio tables", None, "incubator_rules.load_portfolio"),
    FileType(SCENARIO, "what-if scenarios", None, "incubator_rules.load_scenarios"),
    FileType(LEDGER, "payments ledger", None, "incubator_rules.load_ledger"),
    FileType("targets", "plan targets", "targets", "incubator_rules.load_targets", versioned=True),
    FileType("management", "dynamic-management rules", "management", "incubator_rules.load_management", versioned=True),
    FileType("criteria", "upgrade criteria", "criteria", "incubator_rules.load_criteria", versioned=True),
)

# Views of the registry.
# Every file type ``incubator-rules check`` knows, and those whose released versions are locked.
FILE_TYPES = tuple(ft.name for ft in FILE_TYPE_TABLE)
VERSIONED = tuple(ft.name for ft in FILE_TYPE_TABLE if ft.versioned)
# The policy file types by the ``type:`` they declare (reward when none), with what they are called.
POLICY_FILE_TYPES: dict[str, str] = {ft.declares: ft.label for ft in FILE_TYPE_TABLE if ft.declares}
# The policy files other than reward rulesets, which must declare their ``type:``.
POLICY_TYPES = tuple(ft.name for ft in FILE_TYPE_TABLE if ft.declares and ft.declares != "reward")
_LOADERS = {ft.declares: ft.loader for ft in FILE_TYPE_TABLE if ft.declares}


def document_type(data: Any, source: Source | None = None) -> str:
    """The ``type`` of a parsed policy file: ``reward`` when it has none."""
    if not isinstance(data, Mapping):
        return "reward"
    kind = data.get("type", "reward")
    src = source or Source()
    if not isinstance(kind, str):
        raise src.error(RulesetError, ("type",), f"expected the file type as text ({', '.join(POLICY_FILE_TYPES)}), got {describe(kind)}")
    if kind not in POLICY_FILE_TYPES:
        raise src.error(RulesetError, ("type",), f"unknown file type {describe(kind)}; expected one of: {', '.join(POLICY_FILE_TYPES)}")
    return kind


def file_type(path: str | Path) -> str:
    """The ``type`` of a policy file on disk."""
    doc = read_document(path)
    return document_type(doc.data, doc.source)


def wrong_type(found: str, wanted: str, source: Source) -> RulesetError:
    """The error for a file of one type handed to the loader of another."""
    declared = f"type: {found}" + (", the default when none is given" if found == "reward" else "")
    return source.error(  # type: ignore[return-value]
        RulesetError, ("type",),
        f"this is a {POLICY_FILE_TYPES[found]} file ({declared}), not a {POLICY_FILE_TYPES[wanted]} file; load it with {_LOADERS[found]}",
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
    return ruleset_file(id_or_path, f"{POLICY_FILE_TYPES[kind]} file",
                        lambda: ", ".join(p.stem for _, p in shipped_files(kind)) or "none")


RULESETS_PATH_ENV = "INCUBATOR_RULES_PATH"


def ruleset_folders() -> list[Path]:
    """The folders an id is looked up in: the shipped rulesets, then those listed in ``INCUBATOR_RULES_PATH``."""
    extra = os.environ.get(RULESETS_PATH_ENV, "")
    return [RULESETS_DIR] + [Path(p) for p in extra.split(os.pathsep) if p.strip()]


def is_path(ref: str | Path) -> bool:
    """Whether ``ref`` names a file (a Path, or text with a folder separator or a file suffix) rather than an id."""
    if isinstance(ref, Path):
        return True
    return "/" in ref or "\\" in ref or ref.startswith((".", "~")) or ref.lower().endswith(SUFFIXES)


def ruleset_file(ref: str | Path, what: str = "ruleset", known: Callable[[], str] | None = None) -> Path:
    """The file of a ruleset (or other policy file) given by id or by path; raises RulesetError.

    An id is looked up only in ``ruleset_folders()``: it never climbs out of
    them. A path (see ``is_path``) is taken as it is.
    """
    if not isinstance(ref, (str, Path)):
        raise RulesetError(f"expected a {what} id or path, got {type(ref).__name__}", field="ruleset")
    if is_path(ref):
        path = Path(ref).expanduser() if str(ref).startswith("~") else Path(ref)
        if not path.is_file():
            raise RulesetError(f"no {what} file {str(ref)!r} (no such file, or not a regular file)", field="ruleset")
        return path
    if not ref.strip():
        raise RulesetError(f"a {what} id cannot be empty", field="ruleset")
    hint = "; to load a file, give its path (for example ./NAME.yaml)"
    problem = id_problem(ref)
    if problem:
        raise RulesetError(f"{ref!r} is not a {what} id: {problem}{hint}", field="ruleset")
    for folder in ruleset_folders():
        for suffix in SUFFIXES:
            candidate = folder / f"{ref}{suffix}"
            if candidate.is_file():
                return candidate
    listed = f"; shipped: {known()}" if known is not None else ""
    here = f"; a file {ref!r} exists here: give its path as ./{ref}" if Path(ref).exists() else hint
    raise RulesetError(f"no shipped {what} {ref!r}{listed}{here}", field="ruleset")



# --- what kind of input a file holds ---------------------------------------------

SUFFIXES = (".yaml", ".yml", ".json")
# A payments ledger may also be CSV (files/ledger.py); ``check`` reads it as one.
CSV_SUFFIX = ".csv"
_MODELINE = re.compile(r"^#\s*yaml-language-server:\s*\$schema=(\S+)", re.MULTILINE)


def display_path(path: str | Path) -> str:
    """A path relative to the current directory when it lies inside it, else as given."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def detect_type(data: Any, text: str = "") -> str | None:
    """The file's type, from its ``type:``, a ``$schema`` reference or else its keys; None if unsure."""
    if isinstance(data, Mapping) and data.get("type") in ("reward", *POLICY_TYPES):
        return RULESET if data["type"] == "reward" else str(data["type"])
    schema = data.get("$schema") if isinstance(data, Mapping) else None
    if not isinstance(schema, str):
        found = _MODELINE.search(text[:2000])
        schema = found.group(1) if found else None
    if isinstance(schema, str):
        name = schema.rsplit("/", 1)[-1]
        for file_type in (RULESET, CARRIER, CASE, PORTFOLIO, SCENARIO, LEDGER, *POLICY_TYPES):
            if name.startswith(file_type):
                return file_type
    if isinstance(data, list):
        return LEDGER if data and all(isinstance(p, Mapping) and "purpose" in p for p in data) else PORTFOLIO
    if not isinstance(data, Mapping):
        return None
    if "cases" in data or "expected" in data or ("carrier" in data and "as_of" in data):
        return CASE
    if "rules" in data or "tables" in data:
        return RULESET
    if "scenarios" in data:
        return SCENARIO
    if "payments" in data:
        return LEDGER
    if "carriers" in data:
        return PORTFOLIO
    if "events" in data or "kind" in data:
        return CARRIER
    return None


def read_for_check(path: str | Path) -> tuple[Document, str]:
    """Parse a file as YAML or JSON (by suffix), also returning its text."""
    p = Path(path)
    text = read_text(p)
    doc = parse_json(text, str(path)) if p.suffix.lower() == ".json" else parse_yaml(text, str(path))
    return doc, text

