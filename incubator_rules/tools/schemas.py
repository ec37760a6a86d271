"""The JSON Schemas of the file types, generated whole from their declarations.

Every file type of ``files.types.FILE_TYPE_TABLE`` declares its schema beside
its reader (``files.schema``: the mappings the reader accepts, field by field,
and the registries it lists: rule kinds and their parameters, event types and
their fields, facts, metrics, levels...); ``policy`` is the header every
policy file shares. ``generate`` builds them all in one loop;
``incubator-rules schemas`` writes them to ``schemas/``, and ``incubator-rules
schemas --check`` (and a test) fails when a shipped file is stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from ..files.carrier import carrier_schema
from ..files.criteria import criteria_schema
from ..files.ledger import ledger_schema
from ..files.management import management_schema
from ..files.policyfile import policy_schema
from ..files.portfolio import portfolio_schema
from ..files.portfolio_lines import portfolio_lines_schema
from ..files.ruleset import ruleset_schema
from ..files.schema import FileSchema, Schema
from ..files.scenarios import scenario_schema
from ..files.tables import portfolio_tables_schema
from ..files.targets import targets_schema
from ..files.types import FILE_TYPE_TABLE, SCHEMAS_DIR
from .cases import case_schema

__all__ = ["DECLARATIONS", "generate", "render", "stale", "write"]

# Each file type's declaration, by the file type's name, and the policy header they share.
DECLARATIONS: dict[str, Callable[[], FileSchema]] = {
    "carrier": carrier_schema,
    "case": case_schema,
    "criteria": criteria_schema,
    "ledger": ledger_schema,
    "management": management_schema,
    "policy": policy_schema,
    "portfolio": portfolio_schema,
    "portfolio-lines": portfolio_lines_schema,
    "portfolio-tables": portfolio_tables_schema,
    "ruleset": ruleset_schema,
    "scenario": scenario_schema,
    "targets": targets_schema,
}
_SHARED = ("policy",)


def generate() -> dict[str, Schema]:
    """Every schema, by file name stem: one per file type of the file-type table, then the shared header."""
    names = [ft.name for ft in FILE_TYPE_TABLE] + list(_SHARED)
    missing = [name for name in names if name not in DECLARATIONS]
    if missing:
        raise KeyError(f"no schema declared for the file type(s) {', '.join(missing)}; add it to tools/schemas.py")
    out: dict[str, Schema] = {}
    for name in names:
        declared = DECLARATIONS[name]()
        if declared.name != name:
            raise ValueError(f"the schema declared for {name!r} calls itself {declared.name!r}")
        out[name] = declared.schema()
    # JSON writes every shared fragment as its own copy; a round trip makes the dicts what the files hold
    return json.loads(json.dumps(out))


def render(schema: Schema) -> str:
    """A schema file's text: two-space indents, UTF-8 as written, a final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def stale(folder: str | Path = SCHEMAS_DIR) -> list[Path]:
    """The schema files in ``folder`` that differ from what ``generate`` makes, or are missing or not generated."""
    folder = Path(folder)
    fresh = generate()
    out = []
    for name, schema in fresh.items():
        path = folder / f"{name}.schema.json"
        if not path.is_file() or path.read_text(encoding="utf-8") != render(schema):
            out.append(path)
    out += [path for path in sorted(folder.glob("*.schema.json")) if path.name.removesuffix(".schema.json") not in fresh]
    return out


def write(folder: str | Path = SCHEMAS_DIR) -> list[Path]:
    """Regenerate the schema files in ``folder``; returns those that changed (each written whole, via a temporary file)."""
    folder = Path(folder)
    fresh = generate()
    changed = []
    for name, schema in fresh.items():
        path = folder / f"{name}.schema.json"
        text = render(schema)
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        changed.append(path)
    return changed
