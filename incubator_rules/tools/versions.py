"""Released ruleset versions: the lock file that ties each version to its content hash.

``rulesets/versions.lock`` has one line per release, ``ID VERSION SHA256``;
``#`` starts a comment. A version, once recorded, names that content forever:
changing a released ruleset means declaring a new version.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import attrs

from ..documents import check_text, id_problem, read_text
from ..errors import DocumentError, RulesetError
from ..files.types import RULESETS_DIR
from ..output import check_target, updating, write_text

LOCK_NAME = "versions.lock"
_HEX = re.compile(r"^[0-9a-f]{64}$")


@attrs.frozen
class Release:
    """One released ruleset version and the sha256 of its canonical content."""

    ruleset: str
    version: str
    sha256: str
    line: int | None = None


def read_lock(path: str | Path) -> dict[tuple[str, str], Release]:
    """The releases recorded in a lock file, by (ruleset id, version); a missing file has none."""
    p = Path(path)
    if not os.path.lexists(p):
        return {}
    text = read_text(p)
    check_text(text, str(p))
    out: dict[tuple[str, str], Release] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 3 or not _HEX.match(parts[2]):
            raise DocumentError("expected 'RULESET-ID VERSION SHA256' (64 hex digits)", file=str(p), line=number, column=1)
        key = (parts[0], parts[1])
        if key in out and out[key].sha256 != parts[2]:
            raise DocumentError(
                f"{parts[0]} {parts[1]} is recorded twice with different hashes (also line {out[key].line})",
                file=str(p), line=number, column=1,
            )
        out[key] = Release(parts[0], parts[1], parts[2], number)
    return out


def lock_path_for(ruleset_file: str | Path | None) -> Path:
    """The lock that governs a ruleset file: ``versions.lock`` beside it, else the shipped one."""
    if ruleset_file is not None:
        beside = Path(ruleset_file).parent / LOCK_NAME
        if beside.exists():
            return beside
    return RULESETS_DIR / LOCK_NAME


def version_conflict(
    ruleset_id: str, version: str, sha256: str, lock: str | Path
) -> Release | None:
    """The recorded release when ``version`` of ``ruleset_id`` was released with other content, else None."""
    release = read_lock(lock).get((ruleset_id, version))
    if release is not None and release.sha256 != sha256:
        return release
    return None


def record_release(ruleset_id: str, version: str, sha256: str, lock: str | Path) -> bool:
    """Record a release in the lock file; False when it was already recorded.

    Raises RulesetError when the version was released with different content.
    """
    p = Path(lock)
    for field, value in (("id", ruleset_id), ("version", version)):
        problem = id_problem(value)
        if problem:
            raise RulesetError(f"cannot record {value!r} in a lock file: {problem}", field=field)
    check_target(p, field="--lock")
    with updating(p, field="--lock"):
        releases = read_lock(p)
        existing = releases.get((ruleset_id, version))
        if existing is not None:
            if existing.sha256 != sha256:
                raise RulesetError(
                    f"{ruleset_id} {version} was released with sha256 {existing.sha256[:12]}... "
                    f"(line {existing.line}); declare a new version",
                    field="version", file=str(p),
                )
            return False
        header = "" if p.exists() else (
            "# Released ruleset versions: RULESET-ID VERSION SHA256 of the canonical content.\n"
            "# Written by `incubator-rules lock`. Never edit a line: release a new version instead.\n"
        )
        text = read_text(p) if p.exists() else ""
        if text and not text.endswith("\n"):
            text += "\n"
        write_text(p, text + header + f"{ruleset_id} {version} {sha256}\n", field="--lock")
        return True
