"""Running case files as a test suite: selection by name, JSON and JUnit reports, clause coverage.

``clause_coverage`` says, for each ruleset the cases ran against, which of its
clauses no case exercised: a clause is exercised when a decision of some
case's evaluation (or the condition behind it) cites it.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any, Iterable, Sequence
from xml.etree import ElementTree as ET

import attrs

from .cases import Case, CaseResult
from ..files.ruleset import load_ruleset


def matches(case: Case, pattern: str) -> bool:
    """True when ``pattern`` is a substring of the case's name or file (case-insensitive), or a glob matching it."""
    name = case.name.lower()
    where = (case.file or "").lower()
    p = pattern.lower()
    if any(ch in p for ch in "*?["):
        return any(fnmatch.fnmatch(text, p) for text in (name, where, Path(where).name))
    return p in name or p in where


def select(cases: Iterable[Case], patterns: Sequence[str]) -> list[Case]:
    """The cases matching any of ``patterns`` (all of them when there are none)."""
    return [c for c in cases if not patterns or any(matches(c, p) for p in patterns)]


@attrs.frozen
class Coverage:
    """Which clauses of one ruleset the cases exercised. ``clauses`` are those the ruleset encodes; the clauses it
    lists under ``out_of_scope`` (read and set aside, so no case can exercise them) are counted apart."""

    ruleset_id: str
    ruleset_version: str
    clauses: tuple[str, ...]
    exercised: frozenset[str]
    out_of_scope: tuple[str, ...] = ()

    @property
    def missing(self) -> tuple[str, ...]:
        """The encoded clauses no case exercised, in ruleset order."""
        return tuple(c for c in self.clauses if c not in self.exercised)

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"ruleset": self.ruleset_id, "version": self.ruleset_version, "clauses": len(self.clauses),
                "exercised": sorted(self.exercised & set(self.clauses)), "not_exercised": list(self.missing),
                "out_of_scope": list(self.out_of_scope)}


def cited(result: CaseResult) -> set[str]:
    """The clauses an evaluation's decisions, and their conditions, cite."""
    ev = result.evaluation
    out: set[str] = set()
    if ev is None:
        return out
    for d in ev.awards + ev.pending + ev.not_awarded:
        out.update(c.clause for c in d.citations)
        if d.condition is not None:
            out.update(c.clause for c in d.condition.citations)
    return out


def clause_coverage(results: Iterable[CaseResult]) -> list[Coverage]:
    """Per ruleset that the cases ran against (by id and version, in order of first use), the clauses exercised."""
    seen: dict[tuple[str, str], set[str]] = {}
    for r in results:
        ev = r.evaluation
        if ev is None:
            continue
        seen.setdefault((ev.ruleset_id, ev.ruleset_version), set()).update(cited(r))
    out = []
    paths = {(r.evaluation.ruleset_id, r.evaluation.ruleset_version): r.case.ruleset
             for r in results if r.evaluation is not None}
    for (rid, version), exercised in seen.items():
        ruleset = load_ruleset(paths.get((rid, version)) or rid)
        skipped = tuple(c for c in ruleset.clauses if c in ruleset.out_of_scope)
        out.append(Coverage(rid, version, tuple(c for c in ruleset.clauses if c not in ruleset.out_of_scope),
                            frozenset(exercised), skipped))
    return out


def _status(r: CaseResult) -> str:
    if r.passed:
        return "passed"
    return "error" if r.error is not None else "failed"


def results_json(results: Sequence[CaseResult], coverage: Sequence[Coverage] | None = None,
                 unreadable: Sequence[str] = ()) -> str:
    """The results as JSON: one entry per case, the counts, and the clause coverage when asked."""
    data: dict[str, Any] = {
        "summary": {"passed": sum(r.passed for r in results), "failed": sum(not r.passed for r in results),
                    "unreadable_files": len(unreadable)},
        "cases": [{"name": r.case.name, "file": r.case.file, "line": r.case.line, "status": _status(r),
                   "differences": list(r.differences)} for r in results],
        "unreadable": list(unreadable),
    }
    if coverage is not None:
        data["coverage"] = [c.to_dict() for c in coverage]
    return json.dumps(data, ensure_ascii=False, indent=2)


def results_junit(results: Sequence[CaseResult], unreadable: Sequence[str] = ()) -> str:
    """The results as JUnit XML (one testsuite per case file), as CI systems read it."""
    root = ET.Element("testsuites", name="incubator-rules")
    suites: dict[str, list[CaseResult]] = {}
    for r in results:
        suites.setdefault(r.case.file or "cases", []).append(r)
    for file, items in suites.items():
        failures = sum(1 for r in items if _status(r) == "failed")
        errors = sum(1 for r in items if _status(r) == "error")
        suite = ET.SubElement(root, "testsuite", name=file, tests=str(len(items)), failures=str(failures),
                              errors=str(errors), skipped="0")
        for r in items:
            case = ET.SubElement(suite, "testcase", classname=file, name=r.case.name)
            if r.case.line is not None:
                case.set("line", str(r.case.line))
            status = _status(r)
            if status != "passed":
                text = "\n".join(r.differences)
                element = ET.SubElement(case, "failure" if status == "failed" else "error",
                                        message=r.differences[0] if r.differences else status)
                element.text = text
    for message in unreadable:
        suite = ET.SubElement(root, "testsuite", name=message.split(":", 1)[0], tests="1", failures="0", errors="1")
        case = ET.SubElement(suite, "testcase", classname="load", name="read case file")
        ET.SubElement(case, "error", message=message).text = message
    total = len(results) + len(unreadable)
    root.set("tests", str(total))
    root.set("failures", str(sum(1 for r in results if _status(r) == "failed")))
    root.set("errors", str(sum(1 for r in results if _status(r) == "error") + len(unreadable)))
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
