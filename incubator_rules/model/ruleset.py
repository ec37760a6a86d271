"""Reward rulesets as data: documents, clauses, citations, amount tables, readings and rules."""

from __future__ import annotations

import datetime
import weakref
from typing import Any, Mapping

import attrs

from ..errors import ReadingError
from .carrier import CarrierKind, Level

__all__ = [
    "Cap",
    "bound_readings",
    "Citation",
    "Clause",
    "DatedValue",
    "PlanPeriod",
    "Reading",
    "ReadingBound",
    "Rule",
    "Ruleset",
    "SourceDocument",
    "Table",
    "citation_of",
    "resolve_readings",
]


@attrs.frozen
class SourceDocument:
    """A policy document that clauses cite; ``reprint`` is ``secondary`` when only a reprint was read."""

    id: str
    title_zh: str
    title_en: str
    issuer: str | None
    number: str | None
    issued: datetime.date | None
    file: str | None
    url: str | None = None
    reprint: str | None = None


@attrs.frozen
class Clause:
    """A citable sentence of a source document; ``paraphrase`` marks text that is not the official wording."""

    id: str
    document: str
    section: str
    text: str
    paraphrase: bool = False


def citation_of(clause: Clause, doc: SourceDocument) -> Citation:
    """How a clause is cited; a secondary reprint and a paraphrase are marked in its section."""
    marks = []
    if doc.reprint:
        marks.append(f"{doc.reprint} reprint")
    if clause.paraphrase:
        marks.append("paraphrase, not the official wording")
    section = clause.section + (f" [{'; '.join(marks)}]" if marks else "")
    return Citation(clause.id, doc.id, doc.title_zh, doc.number, section, clause.text)


def resolve_readings(readings: Mapping[str, Reading], overrides: Mapping[str, str] | None, owner: str) -> dict[str, str]:
    """Every reading's value: the default unless overridden; unknown names or values raise ReadingError naming ``owner``."""
    chosen = {name: r.default for name, r in readings.items()}
    for name, value in (overrides or {}).items():
        if name not in readings:
            known = ", ".join(readings) or "none"
            raise ReadingError(f"unknown reading in {owner}; known readings: {known}", field=name)
        reading = readings[name]
        if value not in reading.alternatives:
            allowed = ", ".join(reading.alternatives)
            raise ReadingError(f"{value!r} is not an alternative; expected one of: {allowed}", field=name)
        chosen[name] = value
    return chosen


@attrs.frozen
class Citation:
    """A clause together with the document it belongs to, as shown in decisions."""

    clause: str
    document: str
    document_title: str
    document_number: str | None
    section: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data with a stable key order."""
        return {
            "clause": self.clause,
            "document": self.document,
            "document_title": self.document_title,
            "document_number": self.document_number,
            "section": self.section,
            "text": self.text,
        }


@attrs.frozen
class DatedValue:
    """An amount in force from ``start`` (None: from the beginning), with its citation."""

    start: datetime.date | None
    amount: int
    clause: str


@attrs.frozen
class Table:
    """An amount table: per column (a group of carrier kinds) and level, dated amounts."""

    id: str
    label_zh: str
    label_en: str
    columns: Mapping[str, Mapping[Level, tuple[DatedValue, ...]]]

    def value(self, column: str, level: Level, on: datetime.date) -> DatedValue | None:
        """The value in force on ``on`` for a column and level, or None when there is none."""
        cells = self.columns.get(column)
        values = None if cells is None else cells.get(level)
        if not values:
            return None
        found = None
        for dated in values:
            if dated.start is None or dated.start <= on:
                found = dated
        return found


@attrs.frozen
class Reading:
    """A documented choice where the policy text is silent or contradicts itself."""

    name: str
    number: int | None
    question: str
    default: str
    alternatives: Mapping[str, str]
    clauses: tuple[str, ...]


@attrs.frozen
class Rule:
    """One rule of a ruleset: its kind (semantics in ``rules.py``) and its data."""

    id: str
    kind: str
    title_zh: str
    title_en: str
    clauses: tuple[str, ...]
    params: Mapping[str, Any]
    readings: Mapping[str, str]
    explanations: Mapping[str, tuple[str, str]]
    fixed: Mapping[str, str] = attrs.field(factory=dict)  # the kind's default value for each role no reading fills
    bound: Mapping[str, str] = attrs.field(factory=dict)  # under one set of readings: each parameter's reading, where it was bound

    def param_reading(self, name: str) -> str | None:
        """The reading a parameter is bound to (``{reading: ..., values: ...}``), or None."""
        value = self.params.get(name)
        return value.reading if isinstance(value, ReadingBound) else self.bound.get(name)


def bound_readings(rules: Any) -> set[str]:
    """The names of the readings some rule applies: bound to one of its roles or parameters (at any depth)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, ReadingBound):
            found.add(value.reading)
            for v in value.values.values():
                walk(v)
        elif isinstance(value, Mapping):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple, frozenset, set)):
            for v in value:
                walk(v)
        elif attrs.has(type(value)):
            for field in attrs.fields(type(value)):
                walk(getattr(value, field.name))

    for rule in rules:
        found.update(rule.readings.values())
        walk(rule.params)
    return found


@attrs.frozen
class ReadingBound:
    """A rule parameter whose value depends on a reading: one value per alternative."""

    reading: str
    values: Mapping[str, Any]

    def value(self, readings: Mapping[str, str]) -> Any:
        """The value under the readings in force."""
        return self.values[readings[self.reading]]


@attrs.frozen
class Cap:
    """A ceiling on what a group of rules pays one carrier: in all (``per`` carrier) or per year, the year an
    amount is payable (``year`` payable) or the year it is for (``event_year``: its event's own ``year``, such as
    an evaluation's evaluated year, else the year of its date)."""

    id: str
    rules: tuple[str, ...]
    per: str
    max: int
    clause: str
    year: str = "payable"


# Which year a per-year cap counts an amount in.
CAP_YEARS = ("payable", "event_year")


@attrs.frozen
class PlanPeriod:
    """The period a plan covers and the date it was issued."""

    start: datetime.date
    end: datetime.date
    issued: datetime.date | None
    clause: str | None


@attrs.frozen
class PlanArea:
    """Where a plan applies (its 适用对象): carriers whose recorded area it covers.

    An area is covered when it is one of ``names``, starts with one of
    ``prefixes`` (the district's own name, as in 万州区龙驹镇), or ends with
    one of ``suffixes`` (街道, 镇, 乡: a street, town or township named
    without a district is read as one of the district's own).
    """

    clause: str
    names: tuple[str, ...]
    prefixes: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()

    def covers(self, area: str) -> bool:
        """True when a carrier recorded in ``area`` is inside the plan's area.

        The area may be written under the place above the district, as a
        prefix that ends with one of ``names`` shows it (重庆市 in 重庆市万州区):
        重庆市渝东新区 and 重庆市龙驹镇 are read as 渝东新区 and 龙驹镇.
        """
        text = area.strip()
        for parent in self._parents():
            if text.startswith(parent) and len(text) > len(parent) and self._covers(text[len(parent):]):
                return True
        return self._covers(text)

    def _parents(self) -> tuple[str, ...]:
        return tuple(sorted({p[: -len(n)] for p in self.prefixes for n in self.names if p.endswith(n) and len(p) > len(n)}))

    def _covers(self, text: str) -> bool:
        if text in self.names or any(text.startswith(p) for p in self.prefixes):
            return True
        return any(text.endswith(s) and len(text) > len(s) and not _names_a_county(text[: -len(s)]) for s in self.suffixes)


def _names_a_county(stem: str) -> bool:
    """True when the stem of a street or town name contains a county-level unit (江北区观音桥街道)."""
    return any(mark in stem for mark in ("区", "县", "市"))


@attrs.frozen
class Ruleset:
    """A loaded, validated ruleset. ``sha256`` hashes its canonical content."""

    id: str
    version: str
    title_zh: str
    title_en: str
    jurisdiction_zh: str
    jurisdiction_en: str
    documents: Mapping[str, SourceDocument]
    plan_period: PlanPeriod
    clauses: Mapping[str, Clause]
    columns: Mapping[str, tuple[CarrierKind, ...]]
    tables: Mapping[str, Table]
    readings: Mapping[str, Reading]
    rules: tuple[Rule, ...]
    sha256: str
    path: str | None = None
    area: PlanArea | None = None
    data: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)
    levels: Mapping[Level, tuple[str, str]] = attrs.field(factory=dict)  # lowest first, with zh and en names
    out_of_scope: Mapping[str, str] = attrs.field(factory=dict)  # clause id -> why it is not encoded
    caps: tuple[Cap, ...] = ()

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id."""
        return _lookups(self).rules[rule_id]

    def rules_of_kind(self, kind: str) -> tuple[Rule, ...]:
        """The rules of one kind, in file order."""
        return _lookups(self).kinds.get(kind, ())

    def column_for(self, kind: CarrierKind) -> str | None:
        """The table column a carrier kind is paid from, or None when no rule covers it."""
        return _lookups(self).column_of.get(kind)

    def rank(self, level: Level) -> int:
        """A level's place on this ruleset's ladders, lowest first: the four built-in levels in their order, and
        each level the ruleset declares where its ``levels`` list it (after the built-in level listed before it)."""
        found = _lookups(self).ranks.get(level)
        return level.rank if found is None else found

    def citation(self, clause_id: str) -> Citation:
        """The citation for a clause id (one shared, immutable object per clause)."""
        found = _lookups(self).citations.get(clause_id)
        if found is None:
            clause = self.clauses[clause_id]
            found = citation_of(clause, self.documents[clause.document])
            _lookups(self).citations[clause_id] = found
        return found

    @property
    def memo(self) -> dict[Any, Any]:
        """A cache for values derived from this ruleset, kept as long as the ruleset lives.

        A Ruleset is treated as immutable: derived lookups are computed once,
        on first use, instead of on every evaluation.
        """
        return _lookups(self).memo

    def resolve_readings(self, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
        """Every reading's value: the default unless overridden; unknown names or values raise ReadingError."""
        return resolve_readings(self.readings, overrides, f"ruleset {self.id}")

    def reading_value(self, rule: Rule, role: str, readings: Mapping[str, str]) -> str:
        """The value, under ``readings``, of the reading that fills ``role`` in ``rule`` (the kind's default if none does)."""
        name = rule.readings.get(role)
        return rule.fixed[role] if name is None else readings[name]


@attrs.define
class _Lookups:
    """Indexes of one ruleset, built on first use."""

    rules: dict[str, Rule]
    kinds: dict[str, tuple[Rule, ...]]
    column_of: dict[CarrierKind, str]
    ranks: dict[Level, int]
    citations: dict[str, Citation] = attrs.field(factory=dict)
    memo: dict[Any, Any] = attrs.field(factory=dict)


_LOOKUPS: dict[int, tuple["weakref.ref[Ruleset]", _Lookups]] = {}
_LAST: tuple["weakref.ref[Ruleset]", _Lookups] | None = None  # the ruleset used last, found fastest


def level_ranks(declared: Mapping[Level, Any]) -> dict[Level, int]:
    """The order of the built-in levels with the declared ones placed where they are listed, as ranks."""
    order = [level for level in Level if level.builtin]
    at = 0
    for level in declared:
        if level.builtin:
            at = order.index(level) + 1
        elif level not in order:
            order.insert(at, level)
            at += 1
    return {level: i for i, level in enumerate(order)}


def _lookups(rs: Ruleset) -> _Lookups:
    global _LAST
    last = _LAST
    if last is not None and last[0]() is rs:
        return last[1]
    key = id(rs)
    entry = _LOOKUPS.get(key)
    if entry is not None and entry[0]() is rs:
        _LAST = entry
        return entry[1]
    kinds: dict[str, list[Rule]] = {}
    for rule in rs.rules:
        kinds.setdefault(rule.kind, []).append(rule)
    column_of: dict[CarrierKind, str] = {}
    for column, members in rs.columns.items():
        for kind in members:
            column_of.setdefault(kind, column)
    found = _Lookups(
        rules={r.id: r for r in reversed(rs.rules)},
        kinds={k: tuple(v) for k, v in kinds.items()},
        column_of=column_of,
        ranks=level_ranks(rs.levels),
    )
    # the callback holds the table itself: at interpreter exit the module's globals may be gone first
    _LOOKUPS[key] = _LAST = (weakref.ref(rs, lambda _, table=_LOOKUPS: table.pop(key, None)), found)
    return found
