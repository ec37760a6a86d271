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

from .carrier import CarrierKind, Level, parse_enum
from .documents import Document, Source, parse_yaml, read_document
from .policyfile import Header, PolicyReader, resolve_path
from .portfolio import DESIGNATIONS, METRICS, Number

SUM = "sum"
COUNT = "count"
NEW_TITLES = "new_titles"
NOT_QUANTIFIED = "not_quantified"
MEASURES = (SUM, COUNT, NEW_TITLES, NOT_QUANTIFIED)

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
class TargetRuleset:
    """A loaded, validated targets file: header, milestones, groups, selectors, targets and area tables."""

    header: Header
    milestones: Mapping[str, Milestone]
    groups: Mapping[str, tuple[str, str]]
    selectors: Mapping[str, Selector]
    targets: tuple[Target, ...]
    area_tables: tuple[AreaTable, ...]

    @property
    def id(self) -> str:
        """The ruleset id."""
        return self.header.id

    @property
    def version(self) -> str:
        """The ruleset version."""
        return self.header.version

    @property
    def sha256(self) -> str:
        """sha256 of the file's canonical content."""
        return self.header.sha256

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
    path = resolve_path(id_or_path, "targets")
    return targets_from_document(read_document(path))


def parse_targets(text: str, file: str | None = None) -> TargetRuleset:
    """Build a targets ruleset from YAML text."""
    return targets_from_document(parse_yaml(text, file))


def targets_from_dict(data: Mapping[str, Any]) -> TargetRuleset:
    """Build a targets ruleset from plain data."""
    return targets_from_document(Document(data, Source()))


def targets_from_document(doc: Document) -> TargetRuleset:
    """Validate a parsed targets document and build the TargetRuleset."""
    return _TargetsReader(doc.source).read(doc)


_BODY = ("milestones", "groups", "selectors", "targets", "area_tables")
_SELECTOR_KEYS = (
    "label", "kinds", "title_level", "title_kinds", "designation", "area", "at_least", "any_of", "clause", "quote",
)
_TARGET_KEYS = (
    "id", "group", "milestone", "title", "measure", "metrics", "where", "level", "required", "unit",
    "clause", "quote", "also", "start",
)


@attrs.frozen
class _TargetsReader(PolicyReader):
    def read(self, doc: Document) -> TargetRuleset:
        header = self.header(doc, "targets", _BODY, needs_period=True)
        data = doc.data
        for name in ("delisted_carriers", "baseline"):
            self.need_reading(header, name, READINGS[name], ("readings",))
        milestones = self.milestones(self.mapping(self.get(data, "milestones", ()), ("milestones",)), header)
        groups = {}
        for key, raw in self.mapping(self.get(data, "groups", ()), ("groups",)).items():
            zh_en = self.mapping(raw, ("groups", key), ("zh", "en"))
            groups[key] = (self.text(zh_en, "zh", ("groups", key)), self.text(zh_en, "en", ("groups", key)))
        selectors: dict[str, Selector] = {}
        for key, raw in self.mapping(data.get("selectors") or {}, ("selectors",)).items():
            selectors[key] = self.selector(raw, ("selectors", key), header, selectors, name=key)
        targets: list[Target] = []
        raw_targets = self.get(data, "targets", ())
        if not isinstance(raw_targets, list) or not raw_targets:
            raise self.fail(("targets",), "expected a non-empty list of targets")
        for i, raw in enumerate(raw_targets):
            targets.append(self.target(raw, ("targets", i), header, milestones, groups, selectors))
        ids = {t.id for t in targets}
        if len(ids) != len(targets):
            seen: set[str] = set()
            for i, t in enumerate(targets):
                if t.id in seen:
                    raise self.fail(("targets", i, "id"), f"duplicate target id {t.id!r}")
                seen.add(t.id)
        tables = []
        for i, raw in enumerate(data.get("area_tables") or []):
            table = self.area_table(raw, ("area_tables", i), header, milestones, groups, ids)
            tables.append(table)
            for cell_target in _cell_targets(table):
                if cell_target.id in ids:
                    raise self.fail(("area_tables", i), f"target id {cell_target.id!r} of this table is already taken")
                ids.add(cell_target.id)
                targets.append(cell_target)
        self.check_readings(header, targets)
        return TargetRuleset(header, milestones, groups, selectors, tuple(targets), tuple(tables))

    def milestones(self, data: Mapping[str, Any], header: Header) -> dict[str, Milestone]:
        out = {}
        for key, raw in data.items():
            p = ("milestones", key)
            raw = self.mapping(raw, p, ("due", "label", "clause"))
            zh, en = self.bilingual(raw, "label", p)
            clause = self.clause_ref(raw, "clause", p, header)
            out[key] = Milestone(key, self.date(raw, "due", p), zh, en, clause)  # type: ignore[arg-type]
        if not out:
            raise self.fail(("milestones",), "expected at least one milestone")
        return out

    def ref(self, raw: Mapping[str, Any], key: str, p: tuple[Any, ...], known: Mapping[str, Any], what: str) -> Any:
        value = self.text(raw, key, p)
        if value not in known:
            raise self.fail(p + (key,), f"unknown {what} {value!r}; declared: {', '.join(known)}")
        return known[value]

    def kinds(self, value: Any, p: tuple[Any, ...]) -> frozenset[CarrierKind]:
        if not isinstance(value, list) or not value:
            raise self.fail(p, "expected a non-empty list of carrier kinds")
        out = set()
        for i, item in enumerate(value):
            try:
                out.add(parse_enum(CarrierKind, item))
            except ValueError as exc:
                raise self.fail(p + (i,), str(exc)) from None
        return frozenset(out)

    def level(self, value: Any, p: tuple[Any, ...]) -> Level:
        try:
            return parse_enum(Level, value)  # type: ignore[no-any-return]
        except ValueError as exc:
            raise self.fail(p, str(exc)) from None

    def number(self, value: Any, p: tuple[Any, ...]) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            raise self.fail(p, f"expected a number, got {value!r}")
        number = Decimal(value)
        if not number.is_finite() or number < 0:
            raise self.fail(p, f"expected a finite non-negative number, got {number}")
        return number

    def in_unit(self, written: Decimal, unit: str, p: tuple[Any, ...]) -> Number:
        base, factor, _ = UNITS[unit]
        value = written * factor
        if value == value.to_integral_value():
            return int(value)
        if base != "m2":
            raise self.fail(p, f"a {base} must be a whole number, got {written} {unit}")
        return value

    def unit(self, raw: Mapping[str, Any], p: tuple[Any, ...]) -> str:
        unit = self.text(raw, "unit", p)
        if unit not in UNITS:
            raise self.fail(p + ("unit",), f"unknown unit {unit!r}; expected one of: {', '.join(UNITS)}")
        return unit  # type: ignore[no-any-return]

    def selector(
        self, raw: Any, p: tuple[Any, ...], header: Header, named: Mapping[str, Selector], name: str | None = None
    ) -> Selector:
        if isinstance(raw, str):
            if raw not in named:
                raise self.fail(p, f"unknown selector {raw!r}; declared: {', '.join(named) or 'none'}")
            return named[raw]
        raw = self.mapping(raw, p, _SELECTOR_KEYS)
        if not raw:
            raise self.fail(p, "a selector needs at least one condition")
        label = self.bilingual(raw, "label", p) if raw.get("label") is not None else (None, None)
        clauses: tuple[str, ...] = ()
        if raw.get("clause") is not None:
            clause = self.clause_ref(raw, "clause", p, header)
            assert clause is not None
            clauses = (clause,)
            if raw.get("quote") is not None:
                self.quote(raw, p, header, clause)
        kinds = self.kinds(raw["kinds"], p + ("kinds",)) if raw.get("kinds") is not None else None
        title_kinds = self.kinds(raw["title_kinds"], p + ("title_kinds",)) if raw.get("title_kinds") is not None else None
        title_level = self.level(raw["title_level"], p + ("title_level",)) if raw.get("title_level") is not None else None
        if title_kinds is not None and title_level is None:
            raise self.fail(p + ("title_kinds",), "title_kinds needs a title_level")
        designation = self.text(raw, "designation", p, False)
        if designation is not None and designation not in DESIGNATIONS:
            raise self.fail(p + ("designation",), f"unknown designation {designation!r}; expected one of: {', '.join(DESIGNATIONS)}")
        thresholds = []
        for metric, spec in self.mapping(raw.get("at_least") or {}, p + ("at_least",)).items():
            tp = p + ("at_least", metric)
            if metric not in METRICS:
                raise self.fail(tp, f"unknown metric {metric!r}; expected one of: {', '.join(METRICS)}")
            spec = self.mapping(spec, tp, ("value", "unit"))
            unit = self.unit(spec, tp)
            if UNITS[unit][0] != _metric_base(metric):
                raise self.fail(tp + ("unit",), f"{metric} is measured in {_metric_base(metric)}, not {unit}")
            written = self.number(self.get(spec, "value", tp), tp + ("value",))
            thresholds.append(Threshold(metric, self.in_unit(written, unit, tp + ("value",)), written, unit))
        members = []
        if raw.get("any_of") is not None:
            if not isinstance(raw["any_of"], list) or not raw["any_of"]:
                raise self.fail(p + ("any_of",), "expected a non-empty list of selectors")
            members = [self.selector(m, p + ("any_of", i), header, named) for i, m in enumerate(raw["any_of"])]
        return Selector(
            name, label[0], label[1], kinds, title_level, title_kinds, designation,
            self.text(raw, "area", p, False), tuple(thresholds), tuple(members), clauses,
        )

    def target(
        self, raw: Any, p: tuple[Any, ...], header: Header, milestones: Mapping[str, Milestone],
        groups: Mapping[str, Any], selectors: Mapping[str, Selector],
    ) -> Target:
        raw = self.mapping(raw, p, _TARGET_KEYS)
        tid = self.text(raw, "id", p)
        group = self.text(raw, "group", p)
        if group not in groups:
            raise self.fail(p + ("group",), f"unknown group {group!r}; declared: {', '.join(groups)}")
        milestone = self.ref(raw, "milestone", p, milestones, "milestone")
        zh, en = self.bilingual(raw, "title", p)
        kind = self.text(raw, "measure", p)
        if kind not in MEASURES:
            raise self.fail(p + ("measure",), f"unknown measure {kind!r}; expected one of: {', '.join(MEASURES)}")
        clause = self.clause_ref(raw, "clause", p, header)
        assert clause is not None
        quote = self.quote(raw, p, header, clause)
        also: tuple[str, ...] = ()
        if raw.get("also") is not None:
            also = self.id_list(raw["also"], p + ("also",), header.clauses, "clause")
        where = self.selector(raw["where"], p + ("where",), header, selectors) if raw.get("where") is not None else None
        allowed = {SUM: ("metrics",), COUNT: ("where",), NEW_TITLES: ("level",), NOT_QUANTIFIED: ()}[kind]
        for key in ("metrics", "level"):
            if raw.get(key) is not None and key not in allowed:
                raise self.fail(p + (key,), f"a {kind} target has no {key}")
        if kind == COUNT and where is None:
            raise self.fail(p + ("where",), "a count target needs a selector (where)")
        if kind == NOT_QUANTIFIED:
            for key in ("required", "unit", "where", "start"):
                if raw.get(key) is not None:
                    raise self.fail(p + (key,), "a target the source does not quantify has no " + key)
            return Target(tid, group, milestone, zh, en, Measure(kind), None, None, None, (clause,) + also, quote)
        metrics: tuple[str, ...] = ()
        level = None
        unit = self.unit(raw, p)
        base = UNITS[unit][0]
        if kind == SUM:
            value = self.get(raw, "metrics", p)
            if not isinstance(value, list) or not value:
                raise self.fail(p + ("metrics",), "expected a non-empty list of metrics")
            for i, m in enumerate(value):
                if m not in METRICS:
                    raise self.fail(p + ("metrics", i), f"unknown metric {m!r}; expected one of: {', '.join(METRICS)}")
                if _metric_base(m) != base:
                    raise self.fail(p + ("metrics", i), f"{m} is measured in {_metric_base(m)}, but the target is in {unit}")
            metrics = tuple(value)
        else:
            if base != "count":
                raise self.fail(p + ("unit",), f"a {kind} target counts carriers: its unit is count, not {unit}")
            if kind == NEW_TITLES:
                level = self.level(self.get(raw, "level", p), p + ("level",))
        written = self.number(self.get(raw, "required", p), p + ("required",))
        required = self.in_unit(written, unit, p + ("required",))
        if required == 0:
            raise self.fail(p + ("required",), "a target must require more than zero")
        start = None
        if raw.get("start") is not None:
            start = self.in_unit(self.number(raw["start"], p + ("start",)), unit, p + ("start",))
        measure = Measure(kind, metrics, where, level)
        clauses = (clause,) + also + (where.all_clauses() if where is not None else ())
        return Target(tid, group, milestone, zh, en, measure, required, written, unit, clauses, quote, start=start)

    def area_table(
        self, raw: Any, p: tuple[Any, ...], header: Header, milestones: Mapping[str, Milestone],
        groups: Mapping[str, Any], target_ids: set[str],
    ) -> AreaTable:
        raw = self.mapping(raw, p, ("group", "milestone", "clause", "columns", "rows", "total", "area_names"))
        group = self.text(raw, "group", p)
        if group not in groups:
            raise self.fail(p + ("group",), f"unknown group {group!r}; declared: {', '.join(groups)}")
        milestone = self.ref(raw, "milestone", p, milestones, "milestone")
        clause = self.clause_ref(raw, "clause", p, header)
        assert clause is not None
        text = header.clauses[clause].text
        columns = []
        raw_columns = self.get(raw, "columns", p)
        if not isinstance(raw_columns, list) or not raw_columns:
            raise self.fail(p + ("columns",), "expected a non-empty list of columns")
        for i, c in enumerate(raw_columns):
            cp = p + ("columns", i)
            c = self.mapping(c, cp, ("metric", "unit", "header", "district_target"))
            metric = self.text(c, "metric", cp)
            if metric not in METRICS:
                raise self.fail(cp + ("metric",), f"unknown metric {metric!r}")
            unit = self.unit(c, cp)
            if UNITS[unit][0] != _metric_base(metric):
                raise self.fail(cp + ("unit",), f"{metric} is measured in {_metric_base(metric)}, not {unit}")
            head = self.text(c, "header", cp)
            if head not in text:
                raise self.fail(cp + ("header",), f"the header {head!r} is not in the text of clause {clause!r}")
            district = self.text(c, "district_target", cp, False)
            if district is not None and district not in target_ids:
                raise self.fail(cp + ("district_target",), f"unknown target {district!r}")
            columns.append(AreaColumn(metric, unit, head, district))
        names = self.mapping(raw.get("area_names") or {}, p + ("area_names",))
        rows: list[AreaRow] = []
        raw_rows = self.get(raw, "rows", p)
        if not isinstance(raw_rows, list) or not raw_rows:
            raise self.fail(p + ("rows",), "expected a non-empty list of rows")
        for i, r in enumerate(raw_rows):
            rp = p + ("rows", i)
            if not isinstance(r, list) or len(r) != 2 + len(columns):
                raise self.fail(rp, f"expected a row [number, area, {len(columns)} cells] as printed in the source")
            number, area = r[0], r[1]
            if isinstance(number, bool) or not isinstance(number, int):
                raise self.fail(rp + (0,), f"expected the row number, got {number!r}")
            if not isinstance(area, str) or not area.strip():
                raise self.fail(rp + (1,), f"expected the area name, got {area!r}")
            if area in (row.area for row in rows):
                raise self.fail(rp + (1,), f"area {area!r} appears twice")
            cells = tuple(self.number(v, rp + (2 + j,)) for j, v in enumerate(r[2:]))
            quote = " ".join([str(number), area, *(_plain(c) for c in cells)])
            if quote not in text:
                raise self.fail(rp, f"the row {quote!r} is not in the text of clause {clause!r}")
            en = names.get(area)
            rows.append(AreaRow(number, area, en if isinstance(en, str) else None, cells, quote))
        total = self.get(raw, "total", p)
        if not isinstance(total, list) or len(total) != 1 + len(columns) or not isinstance(total[0], str):
            raise self.fail(p + ("total",), f"expected the total row [label, {len(columns)} cells] as printed in the source")
        cells = tuple(self.number(v, p + ("total", 1 + j)) for j, v in enumerate(total[1:]))
        quote = " ".join([total[0], *(_plain(c) for c in cells)])
        if quote not in text:
            raise self.fail(p + ("total",), f"the row {quote!r} is not in the text of clause {clause!r}")
        return AreaTable(group, milestone, clause, tuple(columns), tuple(rows), cells, total[0])

    def check_readings(self, header: Header, targets: list[Target]) -> None:
        def uses_titles(s: Selector | None) -> bool:
            return s is not None and (s.title_level is not None or any(uses_titles(m) for m in s.any_of))

        if any(t.measure.kind == NEW_TITLES for t in targets):
            self.need_reading(header, "new_titles", READINGS["new_titles"], ("readings",))
        if any(uses_titles(t.measure.where) for t in targets):
            self.need_reading(header, "title_counts", READINGS["title_counts"], ("readings",))


def _metric_base(metric: str) -> str:
    return METRICS[metric].unit


def _plain(value: Decimal) -> str:
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

