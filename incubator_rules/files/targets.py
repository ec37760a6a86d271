"""Plan targets as declarative rulesets (``type: targets``): what a district commits to, by when.

A target names what is measured (a sum of a snapshot statistic, a count of
carriers of some class, a count of carriers newly accredited at a level),
the value required, the milestone it is due at, and the clause and the
Chinese words that set it. A per-area table (Wanzhou's section 二) is kept as
the source prints it, row by row, and becomes one target per cell.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

import attrs

from ..documents import Document
from ..errors import RulesetError, describe
from ..model.carrier import CarrierKind, Level
from ..model.portfolio import DESIGNATIONS, METRICS, Number
from .policyfile import MAX_NESTING, HasHeader, Header, PolicyFile, PolicyReader, header_fields, reading_schema
from .entrykind import EntryKind, branches
from .schema import Field, FileSchema, Schema, Shape, enum_values, set_of

SUM = "sum"
COUNT = "count"
NEW_TITLES = "new_titles"
NOT_QUANTIFIED = "not_quantified"
# The registry: every measure a plan target can take, declared once (district.assessment measures them).
MEASURE_KINDS: Mapping[str, EntryKind] = {
    kind.name: kind
    for kind in (
        EntryKind(SUM, "a sum of snapshot metrics", takes=("metrics", "unit", "required", "where", "start"),
                  optional=frozenset({"where", "start"})),
        EntryKind(COUNT, "carriers matching `where`", takes=("where", "unit", "required", "start"), optional=frozenset({"start"})),
        EntryKind(NEW_TITLES, "carriers newly accredited at `level`", takes=("level", "unit", "required", "where", "start"),
                  optional=frozenset({"where", "start"})),
        EntryKind(NOT_QUANTIFIED, "the source sets no number"),
    )
}
MEASURES: tuple[str, ...] = tuple(MEASURE_KINDS)

# Units a target may be written in: (base unit, factor to the base unit, Chinese unit word).
UNITS: dict[str, tuple[str, int, str]] = {
    "m2": ("m2", 1, "平方米"),
    "wan_m2": ("m2", 10_000, "万平方米"),
    "count": ("count", 1, "个"),
    "people": ("people", 1, "名"),
}

# The readings the assessment consults, and the alternatives it can apply.
READINGS: dict[str, frozenset[str]] = {
    "delisted_carriers": frozenset({"exclude", "include"}),
    "baseline": frozenset({"measured_at_plan_start", "none"}),
    "new_titles": frozenset({"each_level", "highest_level"}),
    "title_counts": frozenset({"highest_title", "at_or_above"}),
}


@attrs.frozen
class Threshold:
    """A minimum a carrier's latest snapshot must reach, e.g. floor area of at least 50万 m2."""

    metric: str
    value: Number
    written: Decimal
    unit: str


@attrs.frozen
class Selector:
    """A class of carriers: every condition given must hold; ``any_of`` needs one of its members."""

    name: str | None = None
    label_zh: str | None = None
    label_en: str | None = None
    kinds: frozenset[CarrierKind] | None = None
    title_level: Level | None = None
    title_kinds: frozenset[CarrierKind] | None = None
    designation: str | None = None
    area: str | None = None
    at_least: tuple[Threshold, ...] = ()
    any_of: tuple["Selector", ...] = ()
    clauses: tuple[str, ...] = ()

    def all_clauses(self) -> tuple[str, ...]:
        """This selector's clauses and those of its members."""
        out = list(self.clauses)
        for s in self.any_of:
            out.extend(s.all_clauses())
        return tuple(out)


@attrs.frozen
class Measure:
    """How a target's actual value is computed from a portfolio."""

    kind: str
    metrics: tuple[str, ...] = ()
    where: Selector | None = None
    level: Level | None = None


@attrs.frozen
class Milestone:
    """A date targets are due at, with the clause that sets it."""

    id: str
    due: datetime.date
    label_zh: str
    label_en: str
    clause: str


@attrs.frozen
class Target:
    """One target: what is measured, the value required (in its base unit) and where it comes from.

    ``written`` and ``unit`` keep the value as the source writes it (7 万平方米);
    ``required`` is the same value in the base unit (70,000 m2).
    """

    id: str
    group: str
    milestone: Milestone
    title_zh: str
    title_en: str
    measure: Measure
    required: Number | None
    written: Decimal | None
    unit: str | None
    clauses: tuple[str, ...]
    quote: str
    area: str | None = None
    start: Number | None = None

    @property
    def base_unit(self) -> str | None:
        """The unit ``required`` and actual values are in: m2, count or people."""
        return None if self.unit is None else UNITS[self.unit][0]


@attrs.frozen
class AreaColumn:
    """A column of a per-area table: the metric it sets, its unit and the district target it should add up to."""

    metric: str
    unit: str
    header: str
    district_target: str | None


@attrs.frozen
class AreaRow:
    """A row of a per-area table, with its cells as the source prints them."""

    number: int
    area: str
    area_en: str | None
    cells: tuple[Decimal, ...]
    quote: str


@attrs.frozen
class AreaTable:
    """A per-area table as printed in the source (Wanzhou section 二), with its total row."""

    group: str
    milestone: Milestone
    clause: str
    columns: tuple[AreaColumn, ...]
    rows: tuple[AreaRow, ...]
    total: tuple[Decimal, ...]
    total_label: str

    @property
    def areas(self) -> tuple[str, ...]:
        """The area names, in table order."""
        return tuple(r.area for r in self.rows)


@attrs.frozen
class TargetRuleset(HasHeader):
    """A loaded, validated targets file: header, milestones, groups, selectors, targets and area tables."""

    header: Header
    milestones: Mapping[str, Milestone]
    groups: Mapping[str, tuple[str, str]]
    selectors: Mapping[str, Selector]
    targets: tuple[Target, ...]
    area_tables: tuple[AreaTable, ...]

    def target(self, target_id: str) -> Target:
        """The target with this id (KeyError when there is none)."""
        for t in self.targets:
            if t.id == target_id:
                return t
        raise KeyError(target_id)

    @property
    def areas(self) -> tuple[str, ...]:
        """Every area named by the area tables, in table order."""
        out: list[str] = []
        for table in self.area_tables:
            out.extend(a for a in table.areas if a not in out)
        return tuple(out)


def load_targets(id_or_path: str | Path) -> TargetRuleset:
    """Load a shipped targets file by id (``"jiangbei-2022-targets"``) or any file by path."""
    return _FILE.load(id_or_path)


def parse_targets(text: str, file: str | None = None) -> TargetRuleset:
    """Build a targets ruleset from YAML text."""
    return _FILE.parse(text, file)


def targets_from_document(doc: Document) -> TargetRuleset:
    """Validate a parsed targets document and build the TargetRuleset; raises RulesetError on the first problem."""
    return _FILE.from_document(doc)


def validate_targets(doc: Document) -> tuple[TargetRuleset | None, tuple[RulesetError, ...]]:
    """Read a parsed targets document, collecting every problem; the ruleset is None when there is any."""
    return _FILE.validate(doc)


_COLUMN_KEYS = ("metric", "unit", "header", "district_target")


@attrs.frozen
class _TargetsReader(PolicyReader):
    def read(self, doc: Document) -> TargetRuleset | None:
        header = self.header(doc, "targets", TARGETS, needs_period=True)
        data = doc.data
        for name in ("delisted_carriers", "baseline"):
            self.need_reading(header, name, READINGS[name], ("readings",))
        milestones = self.milestones(data)
        groups = self.groups(data)
        selectors = self.selectors(data, header)
        raw_targets = self.entries(data, "targets")
        targets = [self.target(raw, ("targets", i), header, milestones, selectors) for i, raw in enumerate(raw_targets)]
        ids = self.unique_ids(raw_targets)
        tables = []
        for i, raw in enumerate(self.entries(data, "area_tables", required=False)):
            table = self.area_table(raw, ("area_tables", i), header, milestones, ids)
            if table is None:
                continue
            tables.append(table)
            for cell_target in _cell_targets(table):
                if cell_target.id in ids:
                    self.problem(("area_tables", i), f"target id {cell_target.id!r} of this table is already taken")
                ids.add(cell_target.id)
                targets.append(cell_target)
        found = [t for t in targets if t is not None]
        self.check_readings(header, found)
        if self.problems:
            return None
        return TargetRuleset(self.finish(header, doc), milestones, groups, selectors, tuple(found), tuple(tables))

    def unique_ids(self, raw_targets: list[Any]) -> set[str]:
        seen: dict[str, int] = {}
        for i, raw in enumerate(raw_targets):
            tid = raw.get("id") if isinstance(raw, Mapping) else None
            if not isinstance(tid, str):
                continue
            if tid in seen:
                self.problem(("targets", i, "id"), f"duplicate target id {tid!r} (also targets[{seen[tid]}])")
            else:
                seen[tid] = i
        return set(seen)

    def milestones(self, data: Mapping[str, Any]) -> dict[str, Milestone]:
        raw_all = self.section(data, "milestones")
        self.known["milestones"] = None if raw_all is None else set(raw_all)
        if raw_all is not None and not raw_all:
            self.problem(("milestones",), "expected at least one milestone")
        out = {}
        for key, raw in (raw_all or {}).items():
            p = ("milestones", key)
            raw = self.mapping(raw, p, ("due", "label", "clause"))
            if raw is None:
                continue
            before = self.count()
            zh, en = self.bilingual(raw, "label", p)
            clause = self.clause_ref(raw, "clause", p)
            due = self.date(raw, "due", p)
            if self.count() == before:
                out[key] = Milestone(key, due, zh, en, clause)  # type: ignore[arg-type]
        return out

    def groups(self, data: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
        raw_all = self.section(data, "groups")
        self.known["groups"] = None if raw_all is None else set(raw_all)
        out = {}
        for key in raw_all or {}:
            zh, en = self.bilingual(raw_all, key, ("groups",))  # type: ignore[arg-type]
            if zh is not None and en is not None:
                out[key] = (zh, en)
        return out

    def selectors(self, data: Mapping[str, Any], header: Header) -> dict[str, Selector]:
        """Named selectors; each may name only those declared before it."""
        raw_all = self.section(data, "selectors", required=False)
        out: dict[str, Selector] = {}
        declared: set[Any] = set()
        for key, raw in (raw_all or {}).items():
            self.known["selectors"] = set(declared)
            selector = self.selector(raw, ("selectors", key), header, out, name=key)
            declared.add(key)
            if selector is not None:
                out[key] = selector
        self.known["selectors"] = None if data.get("selectors") is not None and raw_all is None else declared
        return out

    def unit(self, raw: Mapping[str, Any], p: tuple[Any, ...]) -> str | None:
        value = self.get(raw, "unit", p)
        return None if value is None else self.choice(value, p + ("unit",), UNITS, "unit")

    def in_unit(self, written: Decimal, unit: str, p: tuple[Any, ...]) -> Number | None:
        base, factor, _ = UNITS[unit]
        value = written * factor
        if value == value.to_integral_value():
            return int(value)
        if base != "m2":
            self.problem(p, f"a {base} must be a whole number, got {written} {unit}")
            return None
        return value

    def same_unit(self, metric: str | None, unit: str | None, p: tuple[Any, ...]) -> None:
        if metric is not None and unit is not None and UNITS[unit][0] != _metric_base(metric):
            self.problem(p, f"{metric} is measured in {_metric_base(metric)}, not {unit}")

    def kinds(self, raw: Mapping[str, Any], key: str, p: tuple[Any, ...]) -> frozenset[CarrierKind] | None:
        return None if raw.get(key) is None else self.enums(raw[key], p + (key,), CarrierKind)

    def selector(
        self, raw: Any, p: tuple[Any, ...], header: Header, named: Mapping[str, Selector],
        name: str | None = None, depth: int = 0,
    ) -> Selector | None:
        if isinstance(raw, str):
            known = self.known.get("selectors")
            if known is not None and raw not in known:
                self.problem(p, f"unknown selector {describe(raw)}; declared: {', '.join(sorted(map(str, known))) or 'none'}")
            return named.get(raw)
        raw = self.mapping(raw, p, _SELECTOR_KEYS)
        if raw is None:
            return None
        if not raw:
            self.problem(p, "a selector needs at least one condition")
            return None
        before = self.count()
        label = self.bilingual(raw, "label", p) if raw.get("label") is not None else (None, None)
        clause = self.clause_ref(raw, "clause", p, required=False)
        if raw.get("quote") is not None:
            if raw.get("clause") is None:
                self.problem(p + ("quote",), "a quote needs the clause it stands in (clause)")
            self.quote(raw, p, header, clause)
        kinds, title_kinds = self.kinds(raw, "kinds", p), self.kinds(raw, "title_kinds", p)
        title_level = None if raw.get("title_level") is None else self.enum(Level, raw["title_level"], p + ("title_level",))
        if raw.get("title_kinds") is not None and raw.get("title_level") is None:
            self.problem(p + ("title_kinds",), "title_kinds needs a title_level")
        designation = self.text(raw, "designation", p, False)
        if designation is not None and designation not in DESIGNATIONS:
            self.problem(p + ("designation",), f"unknown designation {describe(designation)}; expected one of: {', '.join(DESIGNATIONS)}")
        area = self.text(raw, "area", p, False)
        thresholds = self.thresholds(raw, p)
        members: list[Selector | None] = []
        if raw.get("any_of") is not None:
            items = raw["any_of"]
            if not isinstance(items, list) or not items:
                self.problem(p + ("any_of",), f"expected a non-empty list of selectors, got {describe(items)}")
            elif depth >= MAX_NESTING:
                self.problem(p + ("any_of",), f"selectors may be nested at most {MAX_NESTING} deep")
            else:
                members = [self.selector(m, p + ("any_of", i), header, named, depth=depth + 1) for i, m in enumerate(items)]
        if self.count() != before or None in members:
            return None
        return Selector(
            name, label[0], label[1], kinds, title_level, title_kinds, designation, area,
            tuple(thresholds), tuple(members), () if clause is None else (clause,),  # type: ignore[arg-type]
        )

    def thresholds(self, raw: Mapping[str, Any], p: tuple[Any, ...]) -> list[Threshold]:
        if raw.get("at_least") is None:
            return []
        out = []
        for key, spec in (self.mapping(raw["at_least"], p + ("at_least",)) or {}).items():
            tp = p + ("at_least", key)
            metric = self.choice(key, tp, METRICS, "metric")
            spec = self.mapping(spec, tp, ("value", "unit"))
            if spec is None:
                continue
            unit = self.unit(spec, tp)
            self.same_unit(metric, unit, tp + ("unit",))
            value = self.get(spec, "value", tp)
            written = None if value is None else self.number(value, tp + ("value",))
            if metric is not None and unit is not None and written is not None:
                base_value = self.in_unit(written, unit, tp + ("value",))
                if base_value is not None:
                    out.append(Threshold(metric, base_value, written, unit))
        return out

    def metrics(self, value: Any, p: tuple[Any, ...], unit: str | None) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            self.problem(p, f"expected a non-empty list of metrics, got {describe(value)}")
            return ()
        out = []
        for i, item in enumerate(value):
            metric = self.choice(item, p + (i,), METRICS, "metric")
            if metric is None:
                continue
            if unit is not None and _metric_base(metric) != UNITS[unit][0]:
                self.problem(p + (i,), f"{metric} is measured in {_metric_base(metric)}, but the target is in {unit}")
            out.append(metric)
        return tuple(out)

    def target(
        self, raw: Any, p: tuple[Any, ...], header: Header, milestones: Mapping[str, Milestone],
        selectors: Mapping[str, Selector],
    ) -> Target | None:
        raw = self.mapping(raw, p, _TARGET_KEYS)
        if raw is None:
            return None
        before = self.count()
        tid = self.text(raw, "id", p)
        group = self.ref(raw, "group", p, "groups")
        milestone = self.ref(raw, "milestone", p, "milestones")
        zh, en = self.bilingual(raw, "title", p)
        measure = self.get(raw, "measure", p)
        kind = None if measure is None else self.choice(measure, p + ("measure",), MEASURE_KINDS, "measure")
        clause = self.clause_ref(raw, "clause", p)
        quote = self.quote(raw, p, header, clause)
        also: tuple[str, ...] = ()
        if raw.get("also") is not None:
            also = self.id_list(raw["also"], p + ("also",), self.known.get("clauses"), "clause")
        where = None
        if raw.get("where") is not None:
            where = self.selector(raw["where"], p + ("where",), header, selectors)
        unit: str | None = None
        metrics: tuple[str, ...] = ()
        level, written, required, start = None, None, None, None
        if kind is not None:
            for key in ("metrics", "level"):
                if raw.get(key) is not None and key not in MEASURE_KINDS[kind].takes:
                    self.problem(p + (key,), f"a {kind} target has no {key}")
            if "where" in MEASURE_KINDS[kind].required and raw.get("where") is None:
                self.problem(p + ("where",), f"a {kind} target needs a selector (where)")
        if kind == NOT_QUANTIFIED:
            for key in ("required", "unit", "where", "start"):
                if raw.get(key) is not None:
                    self.problem(p + (key,), "a target the source does not quantify has no " + key)
        elif kind is not None:
            unit = self.unit(raw, p)
            base = None if unit is None else UNITS[unit][0]
            if kind == SUM:
                value = self.get(raw, "metrics", p)
                metrics = () if value is None else self.metrics(value, p + ("metrics",), unit)
            elif base is not None and base != "count":
                self.problem(p + ("unit",), f"a {kind} target counts carriers: its unit is count, not {unit}")
            if kind == NEW_TITLES:
                value = self.get(raw, "level", p)
                level = None if value is None else self.enum(Level, value, p + ("level",))
            value = self.get(raw, "required", p)
            written = None if value is None else self.number(value, p + ("required",))
            if written is not None and unit is not None:
                required = self.in_unit(written, unit, p + ("required",))
                if required == 0:
                    self.problem(p + ("required",), "a target must require more than zero")
            if raw.get("start") is not None:
                first = self.number(raw["start"], p + ("start",))
                if first is not None and unit is not None:
                    start = self.in_unit(first, unit, p + ("start",))
        due = milestones.get(milestone) if milestone is not None else None
        if kind is None or due is None or self.count() != before or (raw.get("where") is not None and where is None):
            return None
        clauses = (clause,) + also + (where.all_clauses() if where is not None else ())
        return Target(
            tid, group, due, zh, en, Measure(kind, metrics, where, level),  # type: ignore[arg-type]
            required, written, unit, clauses, quote, start=start,  # type: ignore[arg-type]
        )

    def area_table(
        self, raw: Any, p: tuple[Any, ...], header: Header, milestones: Mapping[str, Milestone], target_ids: set[str],
    ) -> AreaTable | None:
        raw = self.mapping(raw, p, _TABLE_KEYS)
        if raw is None:
            return None
        before = self.count()
        group = self.ref(raw, "group", p, "groups")
        milestone = self.ref(raw, "milestone", p, "milestones")
        clause = self.clause_ref(raw, "clause", p)
        passage = header.clauses.get(clause) if clause is not None else None
        text = None if passage is None else passage.text
        raw_columns = self.get(raw, "columns", p)
        if raw_columns is not None and (not isinstance(raw_columns, list) or not raw_columns):
            self.problem(p + ("columns",), f"expected a non-empty list of columns, got {describe(raw_columns)}")
        width = len(raw_columns) if isinstance(raw_columns, list) and raw_columns else None
        columns = [
            self.column(c, p + ("columns", i), clause, text, target_ids) for i, c in enumerate(raw_columns if width else [])
        ]
        names = self.mapping(raw["area_names"], p + ("area_names",)) if raw.get("area_names") is not None else {}
        for area, name in (names or {}).items():
            if not isinstance(name, str) or not name.strip():
                self.problem(p + ("area_names", area), f"expected the area's name in English, got {describe(name)}")
        rows: list[AreaRow] = []
        raw_rows = self.get(raw, "rows", p)
        if raw_rows is not None and (not isinstance(raw_rows, list) or not raw_rows):
            self.problem(p + ("rows",), f"expected a non-empty list of rows, got {describe(raw_rows)}")
        for i, r in enumerate(raw_rows if isinstance(raw_rows, list) else []):
            row = self.row(r, p + ("rows", i), width, clause, text, names or {}, rows)
            if row is not None:
                rows.append(row)
        total = self.get(raw, "total", p)
        cells: tuple[Decimal | None, ...] = ()
        if total is not None:
            if not isinstance(total, list) or len(total) != 1 + (width or 0) or not isinstance(total[0], str):
                self.problem(p + ("total",), f"expected the total row [label, {width or 'the'} cells] as printed in the source")
            else:
                cells = tuple(self.number(v, p + ("total", 1 + j)) for j, v in enumerate(total[1:]))
                if text is not None and None not in cells:
                    quote = " ".join([total[0], *(_decimal_as_written(c) for c in cells if c is not None)])
                    if quote not in text:
                        self.problem(p + ("total",), f"the row {describe(quote)} is not in the text of clause {clause!r}")
        due = milestones.get(milestone) if milestone is not None else None
        if self.count() != before or due is None:
            return None
        return AreaTable(
            group, due, clause, tuple(columns), tuple(rows), cells, total[0],  # type: ignore[arg-type]
        )

    def column(
        self, raw: Any, p: tuple[Any, ...], clause: str | None, text: str | None, target_ids: set[str],
    ) -> AreaColumn | None:
        raw = self.mapping(raw, p, _COLUMN_KEYS)
        if raw is None:
            return None
        before = self.count()
        value = self.get(raw, "metric", p)
        metric = None if value is None else self.choice(value, p + ("metric",), METRICS, "metric")
        unit = self.unit(raw, p)
        self.same_unit(metric, unit, p + ("unit",))
        head = self.text(raw, "header", p)
        if head is not None and text is not None and head not in text:
            self.problem(p + ("header",), f"the header {describe(head)} is not in the text of clause {clause!r}")
        district = self.text(raw, "district_target", p, False)
        if district is not None and district not in target_ids:
            self.problem(p + ("district_target",), f"unknown target {describe(district)}")
        if self.count() != before:
            return None
        return AreaColumn(metric, unit, head, district)  # type: ignore[arg-type]

    def row(
        self, raw: Any, p: tuple[Any, ...], width: int | None, clause: str | None, text: str | None,
        names: Mapping[Any, Any], rows: list[AreaRow],
    ) -> AreaRow | None:
        shape = f"[number, area, {width} cell{'s' if width != 1 else ''}]" if width else "[number, area, cells...]"
        if not isinstance(raw, list) or len(raw) < 3 or (width is not None and len(raw) != 2 + width):
            got = f"{len(raw)} items" if isinstance(raw, list) else describe(raw)
            self.problem(p, f"expected a row {shape} as printed in the source, got {got}")
            return None
        before = self.count()
        number = self.whole(raw[0], p + (0,), least=1)
        area = raw[1]
        if not isinstance(area, str) or not area.strip():
            self.problem(p + (1,), f"expected the area name, got {describe(area)}")
        elif any(row.area == area for row in rows):
            self.problem(p + (1,), f"area {area!r} appears twice")
        cells = tuple(self.number(v, p + (2 + j,)) for j, v in enumerate(raw[2:]))
        if self.count() != before:
            return None
        quote = " ".join([str(number), area, *(_decimal_as_written(c) for c in cells if c is not None)])
        if text is not None and quote not in text:
            self.problem(p, f"the row {describe(quote)} is not in the text of clause {clause!r}")
            return None
        english = names.get(area)
        return AreaRow(number, area, english if isinstance(english, str) else None, cells, quote)  # type: ignore[arg-type]

    def check_readings(self, header: Header, targets: list[Target]) -> None:
        def uses_titles(s: Selector | None) -> bool:
            return s is not None and (s.title_level is not None or any(uses_titles(m) for m in s.any_of))

        consulted = {"delisted_carriers", "baseline"}
        if any(t.measure.kind == NEW_TITLES for t in targets):
            self.need_reading(header, "new_titles", READINGS["new_titles"], ("readings",))
            consulted.add("new_titles")
        if any(uses_titles(t.measure.where) for t in targets):
            self.need_reading(header, "title_counts", READINGS["title_counts"], ("readings",))
            consulted.add("title_counts")
        self.unconsulted_readings(header, consulted)


def _metric_base(metric: str) -> str:
    return METRICS[metric].unit


def _decimal_as_written(value: Decimal) -> str:
    return format(value, "f")


def _cell_targets(table: AreaTable) -> list[Target]:
    """One target per cell of a per-area table."""
    out = []
    for row in table.rows:
        for column, cell in zip(table.columns, row.cells):
            base, factor, _ = UNITS[column.unit]
            value = cell * factor
            required: Number = int(value) if value == value.to_integral_value() else value
            metric = METRICS[column.metric]
            out.append(
                Target(
                    id=f"area-{row.number}-{column.metric}",
                    group=table.group,
                    milestone=table.milestone,
                    title_zh=f"{row.area} {column.header}",
                    title_en=f"{row.area_en or row.area}: {metric.label_en}",
                    measure=Measure(SUM, (column.metric,), Selector(area=row.area)),
                    required=required,
                    written=cell,
                    unit=column.unit,
                    clauses=(table.clause,),
                    quote=row.quote,
                    area=row.area,
                )
            )
    return out


_FILE: PolicyFile[TargetRuleset] = PolicyFile("targets", _TargetsReader)


# --- the schema of the file ---------------------------------------------------------


SELECTOR = Shape(
    (
        Field("label", {"$ref": "ruleset.schema.json#/definitions/bilingual"}, nullable=True),
        Field("kinds", {
            "anyOf": [
                set_of(enum_values(CarrierKind), "the carrier's own kind is one of these"),
                {"type": "null"},
            ],
        }),
        Field("title_level", {
            "anyOf": [
                {"enum": enum_values(Level), "description": "the carrier holds a title at this level"},
                {"type": "null"},
            ],
        }),
        Field("title_kinds", {
            "anyOf": [
                set_of(enum_values(CarrierKind), "... as one of these kinds (needs title_level)"),
                {"type": "null"},
            ],
        }),
        Field("designation", {
            "anyOf": [
                {"enum": list(DESIGNATIONS), "description": "a designation the bureau gives"},
                {"type": "null"},
            ],
        }),
        Field("area", {
            "anyOf": [
                {
                    "$ref": "ruleset.schema.json#/definitions/text",
                    "description": "the area the carrier sits in",
                },
                {"type": "null"},
            ],
        }),
        Field("at_least", {
            "anyOf": [
                {
                    "type": "object",
                    "description": "minimums of the carrier's latest snapshot, by metric",
                    "propertyNames": {"enum": list(METRICS)},
                    "additionalProperties": Shape(
                        (
                            Field("value", {
                                "type": "number",
                                "minimum": 0,
                                "exclusiveMaximum": 1000000000000,
                                "description": "the minimum, in `unit`",
                            }, required=True),
                            Field("unit", {"enum": list(UNITS)}, required=True),
                        ),
                    ),
                },
                {"type": "null"},
            ],
        }),
        Field("any_of", {
            "anyOf": [
                {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "anyOf": [
                            {"$ref": "#/definitions/selector"},
                            {
                                "$ref": "ruleset.schema.json#/definitions/text",
                                "description": "a named selector declared above",
                            },
                        ],
                    },
                },
                {"type": "null"},
            ],
        }),
        Field("clause", {"$ref": "ruleset.schema.json#/definitions/text"}, nullable=True),
        Field("quote", {
            "anyOf": [
                {
                    "$ref": "ruleset.schema.json#/definitions/text",
                    "description": "the words of the clause that set this class, verbatim",
                },
                {"type": "null"},
            ],
        }),
    ),
    description="a class of carriers: every condition given must hold; `any_of` needs one of its members",
    extra={"minProperties": 1, "dependencies": {"quote": ["clause"], "title_kinds": ["title_level"]}},
)


TARGET = Shape(
    (
        Field("id", {"$ref": "ruleset.schema.json#/definitions/text"}, required=True),
        Field("group", {
            "$ref": "ruleset.schema.json#/definitions/text",
            "description": "id of a group under `groups`",
        }, required=True),
        Field("milestone", {
            "$ref": "ruleset.schema.json#/definitions/text",
            "description": "id of a milestone under `milestones`",
        }, required=True),
        Field("title", {"$ref": "ruleset.schema.json#/definitions/bilingual"}, required=True),
        Field("measure", lambda: {
            "enum": list(MEASURE_KINDS),
            "description": "; ".join(f"{kind.name}: {kind.description}" for kind in MEASURE_KINDS.values()),
        }, required=True),
        Field("metrics", {"type": "array", "minItems": 1, "items": {"enum": list(METRICS)}}),
        Field("where", {
            "anyOf": [
                {"$ref": "#/definitions/selector"},
                {
                    "$ref": "ruleset.schema.json#/definitions/text",
                    "description": "a selector named under `selectors`",
                },
            ],
        }),
        Field("level", {"enum": enum_values(Level)}),
        Field("required", {
            "type": "number",
            "minimum": 0,
            "exclusiveMaximum": 1000000000000,
            "description": "the value required, in `unit`",
            "exclusiveMinimum": 0,
        }),
        Field("unit", {"enum": list(UNITS), "description": "m2, wan_m2 (万平方米), count or people"}),
        Field("clause", {
            "$ref": "ruleset.schema.json#/definitions/text",
            "description": "the clause that sets the target",
        }, required=True),
        Field("quote", {
            "$ref": "ruleset.schema.json#/definitions/text",
            "description": "the words of the clause that set it, verbatim",
        }, required=True),
        Field("also", {
            "type": "array",
            "minItems": 1,
            "items": {"$ref": "ruleset.schema.json#/definitions/text"},
            "description": "further clauses to cite",
        }),
        Field("start", {
            "type": "number",
            "minimum": 0,
            "exclusiveMaximum": 1000000000000,
            "description": "the value at the plan's start, if known",
        }),
    ),
    extra={
        "allOf": lambda: branches(MEASURE_KINDS, _selects) + [
            {
                "if": Shape(
                    (
                        Field("measure", {"enum": ["count", "new_titles"]}, required=True),
                    ),
                    closed=None,
                    typed=False,
                ),
                "then": Shape((Field("unit", {"const": "count"}),), closed=None, typed=False),
            },
            {
                "if": Shape(
                    (
                        Field("unit", {"enum": ["count", "people"]}, required=True),
                    ),
                    closed=None,
                    typed=False,
                ),
                "then": Shape(
                    (
                        Field("required", {"type": "integer"}),
                        Field("start", {"type": "integer"}),
                    ),
                    closed=None,
                    typed=False,
                ),
            },
        ],
    },
)


AREA_TABLE = Shape(
    (
        Field("group", {"$ref": "ruleset.schema.json#/definitions/text"}, required=True),
        Field("milestone", {"$ref": "ruleset.schema.json#/definitions/text"}, required=True),
        Field("clause", {
            "$ref": "ruleset.schema.json#/definitions/text",
            "description": "the clause that prints the table",
        }, required=True),
        Field("columns", {
            "type": "array",
            "minItems": 1,
            "items": Shape(
                (
                    Field("metric", {"enum": list(METRICS)}, required=True),
                    Field("unit", {"enum": list(UNITS)}, required=True),
                    Field("header", {
                        "$ref": "ruleset.schema.json#/definitions/text",
                        "description": "the column header as printed",
                    }, required=True),
                    Field("district_target", {
                        "anyOf": [
                            {
                                "$ref": "ruleset.schema.json#/definitions/text",
                                "description": "the id of the district target the column should add up to",
                            },
                            {"type": "null"},
                        ],
                    }),
                ),
            ),
        }, required=True),
        Field("rows", {
            "type": "array",
            "minItems": 1,
            "description": "[序号, area, cells...] as printed",
            "items": {
                "type": "array",
                "minItems": 3,
                "items": [
                    {"type": "integer", "minimum": 1},
                    {"$ref": "ruleset.schema.json#/definitions/text"},
                ],
                "additionalItems": {
                    "type": "number",
                    "minimum": 0,
                    "exclusiveMaximum": 1000000000000,
                    "description": "a cell",
                },
            },
        }, required=True),
        Field("total", {
            "type": "array",
            "minItems": 2,
            "description": "[label, cells...] as printed",
            "items": [{"$ref": "ruleset.schema.json#/definitions/text"}],
            "additionalItems": {
                "type": "number",
                "minimum": 0,
                "exclusiveMaximum": 1000000000000,
                "description": "a cell",
            },
        }, required=True),
        Field("area_names", {
            "anyOf": [
                {
                    "type": "object",
                    "additionalProperties": {"$ref": "ruleset.schema.json#/definitions/text"},
                    "description": "English names of the areas",
                },
                {"type": "null"},
            ],
        }),
    ),
    description="a per-area table as printed in the source; each cell becomes a target",
)


_SELECTOR_KEYS = SELECTOR.keys
_TARGET_KEYS = TARGET.keys
_TABLE_KEYS = AREA_TABLE.keys


def _selects(kind: EntryKind) -> Schema:
    return {"required": ["measure"], "properties": {"measure": {"const": kind.name}}}


_READINGS_SCHEMA = {
        "type": "object",
        "description": "documented choices; delisted_carriers and baseline always, new_titles and title_counts when a target needs them",
        "required": ["delisted_carriers", "baseline"],
        "properties": {
            "delisted_carriers": reading_schema(READINGS["delisted_carriers"]),
            "baseline": reading_schema(READINGS["baseline"]),
            "new_titles": reading_schema(READINGS["new_titles"]),
            "title_counts": reading_schema(READINGS["title_counts"]),
        },
        "additionalProperties": {"$ref": "ruleset.schema.json#/definitions/reading"},
    }


TARGETS = Shape(
    header_fields("targets", _READINGS_SCHEMA, period=True)
    + (
        Field("milestones", {
            "type": "object",
            "minProperties": 1,
            "description": "dates targets are due at, by id",
            "additionalProperties": Shape(
                (
                    Field("due", {"$ref": "ruleset.schema.json#/definitions/date"}, required=True),
                    Field("label", {"$ref": "ruleset.schema.json#/definitions/bilingual"}, required=True),
                    Field("clause", {"$ref": "ruleset.schema.json#/definitions/text"}, required=True),
                ),
            ),
        }, required=True),
        Field("groups", {
            "type": "object",
            "description": "headings targets are grouped under, by id",
            "additionalProperties": {"$ref": "ruleset.schema.json#/definitions/bilingual"},
        }, required=True),
        Field("selectors", {
            "anyOf": [
                {
                    "type": "object",
                    "description": "named classes of carriers",
                    "additionalProperties": {"$ref": "#/definitions/selector"},
                },
                {"type": "null"},
            ],
        }),
        Field("targets", {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/target"}}, required=True),
        Field("area_tables", {
            "anyOf": [
                {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/area_table"}},
                {"type": "null"},
            ],
        }),
    ),
)


def targets_schema() -> FileSchema:
    """The JSON Schema of targets files (``schemas/targets.schema.json``)."""
    return FileSchema(
        "targets",
        "incubator-rules plan targets",
        "What a district commits to by when (type: targets): milestones, groups, selectors of carriers, targets and per-area tables, each citing its clause and quoting its words. See docs/targets.md.",
        root=TARGETS,
        definitions={
            "selector": SELECTOR,
            "target": TARGET,
            "area_table": AREA_TABLE,
        },
    )
