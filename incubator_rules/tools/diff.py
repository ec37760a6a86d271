"""Comparing two rulesets: what changed in the data, and what it changes for real carriers and the budget."""

from __future__ import annotations

import datetime
import json
from typing import Any, Mapping, Sequence

import attrs

from ..documents import field_name, to_plain
from ..engines.evaluation import evaluate
from ..model.carrier import Carrier
from ..model.decision import Decision, Evaluation
from ..model.ruleset import Ruleset

# Sections of a ruleset file, as a policy officer names them.
SECTIONS = {
    "tables": "parameters",
    "readings": "readings",
    "rules": "rules",
    "clauses": "citations",
    "documents": "citations",
    "columns": "columns",
    "plan_period": "plan period",
}


@attrs.frozen
class Change:
    """One changed value of a ruleset: ``old`` is None when added, ``new`` None when removed."""

    section: str
    key: str
    old: Any
    new: Any

    @property
    def change(self) -> str:
        """added, removed or changed."""
        return "added" if self.old is None else "removed" if self.new is None else "changed"

    def to_dict(self) -> dict[str, Any]:
        """Plain data with a stable key order."""
        return {"section": self.section, "key": self.key, "change": self.change,
                "old": to_plain(self.old), "new": to_plain(self.new)}


@attrs.frozen
class DecisionChange:
    """A decision on one event and rule that differs between the two rulesets (None: no such decision)."""

    event: str
    rule: str
    old: Decision | None
    new: Decision | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data with a stable key order."""
        def brief(d: Decision | None) -> dict[str, Any] | None:
            if d is None:
                return None
            return {"status": d.status, "reason": d.reason, "amount": d.amount,
                    "payable_on": None if d.payable_on is None else d.payable_on.isoformat(),
                    "explanation": d.explanation_en}
        return {"event": self.event, "rule": self.rule, "old": brief(self.old), "new": brief(self.new)}


@attrs.frozen
class CarrierChange:
    """How one carrier's evaluation changes: totals (awarded, pending) and the decisions that differ."""

    carrier_id: str
    carrier_name: str
    old_awarded: int
    new_awarded: int
    old_pending: int
    new_pending: int
    decisions: tuple[DecisionChange, ...]

    @property
    def difference(self) -> int:
        """Change in awarded plus pending amounts, in yuan."""
        return (self.new_awarded + self.new_pending) - (self.old_awarded + self.old_pending)

    def to_dict(self) -> dict[str, Any]:
        """Plain data with a stable key order."""
        return {
            "carrier": self.carrier_id, "name": self.carrier_name,
            "awarded": {"old": self.old_awarded, "new": self.new_awarded},
            "pending": {"old": self.old_pending, "new": self.new_pending},
            "difference": self.difference,
            "decisions": [d.to_dict() for d in self.decisions],
        }


@attrs.frozen
class RulesetDiff:
    """The differences between two rulesets and, given a portfolio, their effect on it."""

    old: Ruleset
    new: Ruleset
    changes: tuple[Change, ...]
    as_of: datetime.date | None = None
    carriers_compared: int = 0
    carriers: tuple[CarrierChange, ...] = ()
    budget: Mapping[int, tuple[int, int]] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain data with a stable key order, ready for JSON."""
        out: dict[str, Any] = {
            "old": _ident(self.old),
            "new": _ident(self.new),
            "changes": [c.to_dict() for c in self.changes],
        }
        if self.as_of is not None:
            out["portfolio"] = {
                "as_of": self.as_of.isoformat(),
                "carriers_compared": self.carriers_compared,
                "carriers_changed": [c.to_dict() for c in self.carriers],
                "budget_by_year": [
                    {"year": y, "old": o, "new": n, "difference": n - o} for y, (o, n) in sorted(self.budget.items())
                ],
                "budget_total": {"old": sum(o for o, _ in self.budget.values()),
                                 "new": sum(n for _, n in self.budget.values())},
            }
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """JSON with a stable key order."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


def _ident(rs: Ruleset) -> dict[str, str | None]:
    return {"id": rs.id, "version": rs.version, "sha256": rs.sha256, "path": rs.path}


# --- what changed in the data --------------------------------------------------


def _normalised(data: Mapping[str, Any]) -> dict[str, Any]:
    """The ruleset data shaped for comparison: rules by id, every amount as a list of dated values."""
    out = {k: v for k, v in data.items() if k != "$schema"}
    out["rules"] = {r.get("id", f"#{i}"): {k: v for k, v in r.items() if k != "id"} for i, r in enumerate(data.get("rules") or [])}
    tables = {}
    for tid, table in (data.get("tables") or {}).items():
        table = dict(table)
        cols = {}
        for cid, col in (table.get("columns") or {}).items():
            col = dict(col)
            col["values"] = {lvl: _dated(v, col.get("clause")) for lvl, v in (col.get("values") or {}).items()}
            cols[cid] = col
        table["columns"] = cols
        tables[tid] = table
    out["tables"] = tables
    return out


def _dated(value: Any, clause: Any) -> str | tuple[str, ...]:
    """``500,000``, or one ``500,000 from 2023-01-01 (clause)`` per dated value."""
    if not isinstance(value, list):
        return f"{value:,}" if isinstance(value, int) else str(value)
    parts = []
    for item in value:
        amount = item.get("amount")
        shown = f"{amount:,}" if isinstance(amount, int) else str(amount)
        since = "from the start" if item.get("from") is None else f"from {to_plain(item.get('from'))}"
        parts.append(f"{shown} {since} ({item.get('clause') or clause})")
    return tuple(parts)


def _leaves(value: Any, path: tuple[Any, ...], out: dict[tuple[Any, ...], Any]) -> None:
    if isinstance(value, Mapping) and value:
        for k, v in value.items():
            _leaves(v, path + (k,), out)
    else:
        out[path] = value


ENTITIES = ("documents", "clauses", "columns", "tables", "readings", "rules")


def ruleset_changes(old: Ruleset, new: Ruleset) -> list[Change]:
    """Every value that differs between two rulesets, by section (parameters, readings, rules, citations...).

    A document, clause, table, reading or rule present on one side only is one change.
    """
    a, b = _normalised(old.data), _normalised(new.data)
    out = []
    for top in list(a) + [k for k in b if k not in a]:
        if top in ENTITIES and isinstance(a.get(top, {}), Mapping) and isinstance(b.get(top, {}), Mapping):
            ea, eb = a.get(top) or {}, b.get(top) or {}
            for key in list(ea) + [k for k in eb if k not in ea]:
                if key not in ea or key not in eb:
                    out.append(Change(SECTIONS[top], field_name((top, key)), ea.get(key), eb.get(key)))
                else:
                    out.extend(_leaf_changes(ea[key], eb[key], (top, key)))
        else:
            out.extend(_leaf_changes(a.get(top), b.get(top), (top,)))
    order = list(dict.fromkeys(list(SECTIONS.values()) + ["metadata"]))
    return sorted(out, key=lambda c: order.index(c.section))


def _leaf_changes(old: Any, new: Any, path: tuple[Any, ...]) -> list[Change]:
    la: dict[tuple[Any, ...], Any] = {}
    lb: dict[tuple[Any, ...], Any] = {}
    _leaves(old, path, la)
    _leaves(new, path, lb)
    section = SECTIONS.get(str(path[0]), "metadata")
    out = []
    for key in list(la) + [k for k in lb if k not in la]:
        va, vb = la.get(key), lb.get(key)
        if to_plain(va) != to_plain(vb):
            out.append(Change(section, field_name(key), _shown(va), _shown(vb)))
    return out


def _shown(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(str(to_plain(v)) for v in value)
    return value


# --- what it changes for carriers ----------------------------------------------


def _by_event_and_rule(ev: Evaluation) -> dict[tuple[str, str, int, int], Decision]:
    """Decisions by their event and rule, by instalment for the instalments of one award (0: paid whole), and
    by their order among the rest that share all three (the periods of one subsidy, in the evaluation's order)."""
    out: dict[tuple[str, str, int, int], Decision] = {}
    seen: dict[tuple[str, str, int], int] = {}
    for d in ev.awards + ev.pending + ev.not_awarded:
        key = (d.events[0], d.rule, 0 if d.instalment is None else d.instalment.number)
        n = seen[key] = seen.get(key, 0) + 1
        out[key + (n,)] = d
    return out


def _same(a: Decision, b: Decision) -> bool:
    return (a.status, a.reason, a.amount, a.payable_on) == (b.status, b.reason, b.amount, b.payable_on)


def carrier_change(old: Evaluation, new: Evaluation) -> CarrierChange | None:
    """How a carrier's evaluation changed, or None when every decision is the same."""
    a, b = _by_event_and_rule(old), _by_event_and_rule(new)
    changes = []
    for key in list(a) + [k for k in b if k not in a]:
        da, db = a.get(key), b.get(key)
        if da is None or db is None or not _same(da, db):
            changes.append(DecisionChange(key[0], key[1], da, db))
    if not changes:
        return None
    return CarrierChange(old.carrier_id, old.carrier_name, old.total, new.total, old.pending_total, new.pending_total, tuple(changes))


def _budget(ev: Evaluation, into: dict[int, list[int]], side: int) -> None:
    for d in ev.awards + ev.pending:
        if d.payable_on is not None:
            into.setdefault(d.payable_on.year, [0, 0])[side] += d.amount


def diff_rulesets(
    old: Ruleset,
    new: Ruleset,
    portfolio: Sequence[Carrier] | None = None,
    as_of: datetime.date | None = None,
    readings: Mapping[str, str] | None = None,
) -> RulesetDiff:
    """Compare two rulesets; with a portfolio, evaluate every carrier under both as of ``as_of`` (default today).

    The budget per year adds the awarded and pending amounts by the year they
    become payable (pending ones assume normal operation continues).
    """
    changes = tuple(ruleset_changes(old, new))
    if portfolio is None:
        return RulesetDiff(old, new, changes)
    day = as_of or datetime.date.today()
    budget: dict[int, list[int]] = {}
    changed = []
    for carrier in portfolio:
        ev_old = evaluate(carrier, old, day, readings)
        ev_new = evaluate(carrier, new, day, readings)
        _budget(ev_old, budget, 0)
        _budget(ev_new, budget, 1)
        change = carrier_change(ev_old, ev_new)
        if change is not None:
            changed.append(change)
    return RulesetDiff(
        old, new, changes, day, len(portfolio), tuple(changed),
        {year: (o, n) for year, (o, n) in sorted(budget.items())},
    )
