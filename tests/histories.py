"""Terse builders for carrier histories in tests: ``carrier("maker_space", filed("2023-10-10", "municipal"))``."""

from __future__ import annotations

from typing import Any

from incubator_rules import Carrier


def carrier(kind: str, *events: dict[str, Any], id: str = "c1") -> Carrier:
    """A carrier of ``kind`` with the given events (ids are numbered in order)."""
    evs = [dict(e, id=e.get("id", f"e{i}")) for i, e in enumerate(events)]
    return Carrier.from_dict({"id": id, "name": f"carrier {id}", "kind": kind, "events": evs})


def event(type: str, date: str, **fields: Any) -> dict[str, Any]:
    """Any event."""
    return {"type": type, "date": date, **fields}


def started(date: str) -> dict[str, Any]:
    return event("operation_started", date)


def filed(date: str, level: str, **fields: Any) -> dict[str, Any]:
    return event("filed", date, level=level, **fields)


def accredited(date: str, level: str, **fields: Any) -> dict[str, Any]:
    return event("accredited", date, level=level, **fields)


def evaluated(date: str, year: int, level: str, grade: str) -> dict[str, Any]:
    return event("evaluated", date, year=year, level=level, grade=grade)


def paid(date: str, level: str, amount: int, **fields: Any) -> dict[str, Any]:
    return event("payment_received", date, level=level, amount=amount, **fields)
