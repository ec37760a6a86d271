"""``assess``: where a district's portfolio stands against its plan targets on a date.

For every target: the value required, the actual value on ``as_of``, the gap,
the attainment ratio (an exact fraction), a status, the carriers that
contribute and the citation. A target is *met* when the actual value reaches
the required one (after its due date: when the value on the due date did);
before its due date it is *on track* when the actual value
reaches a straight line drawn from the start value at the plan's start to the
required value at the due date, and *behind* otherwise; a target still open
with no start value has *no baseline*; a target the source does not quantify
is *not assessed*. Checks report where the source's own figures disagree.
"""

from __future__ import annotations

import datetime
import json
import warnings
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Mapping

import attrs

from ..documents import to_plain
from ..errors import IncubatorRulesError
from ..files.targets import (
    COUNT,
    NEW_TITLES,
    NOT_QUANTIFIED,
    SUM,
    UNITS,
    Selector,
    Target,
    TargetRuleset,
    load_targets,
)
from ..model.carrier import Carrier, Event, as_of_date
from ..model.display import renderer
from ..model.portfolio import Number, Portfolio, Snapshot, Standing, first_titles, standing
from ..model.ruleset import Citation

MET = "met"
ON_TRACK = "on_track"
BEHIND = "behind"
NO_BASELINE = "no_baseline"
NOT_ASSESSED = "not_assessed"
STATUSES = (MET, ON_TRACK, BEHIND, NO_BASELINE, NOT_ASSESSED)

AGREES = "agrees"
DIFFERS = "differs"


@attrs.frozen
class Contribution:
    """What one carrier adds to a target: a value, and the snapshot or event it comes from."""

    carrier_id: str
    value: Number
    date: datetime.date | None
    source: str  # "snapshot", "standing" or the id of an accreditation event

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"carrier": self.carrier_id, "value": to_plain(self.value),
                "date": None if self.date is None else self.date.isoformat(), "source": self.source}


@attrs.frozen
class Missing:
    """A carrier that would count but whose latest snapshot lacks the figures needed."""

    carrier_id: str
    metrics: tuple[str, ...]
    date: datetime.date | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"carrier": self.carrier_id, "metrics": list(self.metrics),
                "snapshot": None if self.date is None else self.date.isoformat()}


@attrs.frozen
class Measured:
    """The value of a measure on one date, with its contributions and missing data."""

    value: Number
    contributions: tuple[Contribution, ...]
    missing: tuple[Missing, ...]
    has_data: bool


@attrs.frozen
class TargetResult:
    """One target assessed on one date."""

    target: Target
    as_of: datetime.date
    actual: Number | None
    gap: Number | None
    attainment: Fraction | None
    status: str
    start: Number | None
    start_source: str | None
    expected: Fraction | None
    contributions: tuple[Contribution, ...]
    missing: tuple[Missing, ...]
    citations: tuple[Citation, ...]
    at_due: Number | None = None  # the actual value on the due date, when as_of is after it

    @property
    def required(self) -> Number | None:
        """The value required, in the target's base unit."""
        return self.target.required

    def to_dict(self) -> dict[str, Any]:
        """Plain data with a stable key order; exact fractions as ``"n/d"``."""
        t = self.target
        return {
            "target": t.id,
            "group": t.group,
            "milestone": t.milestone.id,
            "due": t.milestone.due.isoformat(),
            "area": t.area,
            "title": {"zh": t.title_zh, "en": t.title_en},
            "measure": t.measure.kind,
            "unit": t.base_unit,
            "written": None if t.written is None else {"value": to_plain(t.written), "unit": t.unit},
            "required": to_plain(t.required),
            "actual": to_plain(self.actual),
            "gap": to_plain(self.gap),
            "attainment": None if self.attainment is None else _fraction(self.attainment),
            "attainment_percent": percent(self.attainment),
            "status": self.status,
            "start": to_plain(self.start),
            "start_source": self.start_source,
            "expected": rounded(self.expected),
            "at_due": to_plain(self.at_due),
            "contributions": [c.to_dict() for c in self.contributions],
            "missing": [m.to_dict() for m in self.missing],
            "quote": t.quote,
            "citations": [c.to_dict() for c in self.citations],
        }


@attrs.frozen
class ConsistencyCheck:
    """A consistency check of the source's own figures (e.g. a table against the text)."""

    id: str
    status: str
    left: Number
    right: Number
    unit: str
    explanation_zh: str
    explanation_en: str
    citations: tuple[Citation, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "check": self.id, "status": self.status, "left": to_plain(self.left), "right": to_plain(self.right),
            "unit": self.unit, "explanation": {"zh": self.explanation_zh, "en": self.explanation_en},
            "citations": [c.to_dict() for c in self.citations],
        }


@attrs.frozen
class Assessment:
    """Every target of a targets ruleset, assessed for one portfolio on one date."""

    portfolio_id: str
    portfolio_name: str
    as_of: datetime.date
    ruleset_id: str
    ruleset_version: str
    ruleset_sha256: str
    readings: Mapping[str, str]
    results: tuple[TargetResult, ...]
    checks: tuple[ConsistencyCheck, ...]
    unassigned: tuple[str, ...] = ()
    groups: Mapping[str, tuple[str, str]] = attrs.field(factory=dict)

    def result(self, target_id: str) -> TargetResult:
        """The result for one target (KeyError when there is none)."""
        for r in self.results:
            if r.target.id == target_id:
                return r
        raise KeyError(target_id)

    def by_group(self) -> dict[str, tuple[TargetResult, ...]]:
        """Results per group, groups and results in ruleset order."""
        out: dict[str, list[TargetResult]] = {}
        for r in self.results:
            out.setdefault(r.target.group, []).append(r)
        return {k: tuple(v) for k, v in out.items()}

    def by_milestone(self) -> dict[str, tuple[TargetResult, ...]]:
        """Results per milestone, in due-date order."""
        out: dict[str, list[TargetResult]] = {}
        for r in sorted(self.results, key=lambda r: r.target.milestone.due):
            out.setdefault(r.target.milestone.id, []).append(r)
        return {k: tuple(v) for k, v in out.items()}

    def by_area(self) -> dict[str, tuple[TargetResult, ...]]:
        """Per-area results, per area in table order."""
        out: dict[str, list[TargetResult]] = {}
        for r in self.results:
            if r.target.area is not None:
                out.setdefault(r.target.area, []).append(r)
        return {k: tuple(v) for k, v in out.items()}

    def to_dict(self) -> dict[str, Any]:
        """Plain data with a stable key order, ready for JSON."""
        counts = {s: sum(1 for r in self.results if r.status == s) for s in STATUSES}
        return {
            "portfolio": {"id": self.portfolio_id, "name": self.portfolio_name},
            "as_of": self.as_of.isoformat(),
            "ruleset": {"id": self.ruleset_id, "version": self.ruleset_version, "sha256": self.ruleset_sha256},
            "readings": dict(sorted(self.readings.items())),
            "summary": counts,
            "results": [r.to_dict() for r in self.results],
            "checks": [c.to_dict() for c in self.checks],
            "unassigned_carriers": list(self.unassigned),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """JSON with a stable key order."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per target (the ``notebook`` extra)."""
        return renderer("assessment_frame")(self)

    def _repr_html_(self) -> str:
        return renderer("assessment_html")(self)

    def to_csv(self) -> str:
        """One row per target as CSV text with a byte-order mark; attainment as a plain decimal (docs/views.md)."""
        return renderer("assessment_csv")(self)


class DistrictMismatchWarning(UserWarning):
    """A portfolio is assessed against the targets of another district."""


def district_mismatch(portfolio: Portfolio, ruleset: TargetRuleset) -> str | None:
    """Why the portfolio's ``district`` is not the targets' jurisdiction, or None when it is (or either is unnamed).

    The names agree when one contains the other (万州区 and 重庆市万州区), in Chinese or English.
    """
    district = (portfolio.district or "").strip()
    names = [n for n in (ruleset.header.jurisdiction_zh, ruleset.header.jurisdiction_en) if n]
    if not district or not names:
        return None
    d = district.lower()
    if any(d in n.lower() or n.lower() in d for n in names):
        return None
    return (f"portfolio {portfolio.id!r} is of {district}, but the targets {ruleset.id} are those of "
            f"{names[0]}" + (f" ({names[1]})" if len(names) > 1 else ""))


def assess(
    portfolio: Portfolio,
    ruleset: TargetRuleset | str | Path,
    as_of: datetime.date | str | None = None,
    readings: Mapping[str, str] | None = None,
) -> Assessment:
    """Assess a portfolio against a targets ruleset on ``as_of`` (default: today).

    ``ruleset`` is a loaded TargetRuleset, a shipped id or a path; ``readings``
    overrides the ruleset's default readings by name.
    """
    if not isinstance(portfolio, Portfolio):
        raise IncubatorRulesError(f"expected a Portfolio, got {type(portfolio).__name__}", field="portfolio")
    rs = ruleset if isinstance(ruleset, TargetRuleset) else load_targets(ruleset)
    mismatch = district_mismatch(portfolio, rs)
    if mismatch:
        warnings.warn(mismatch, DistrictMismatchWarning, stacklevel=2)
    day = as_of_date(as_of)
    chosen = rs.header.resolve_readings(readings)
    views = _Views(portfolio, chosen)
    results = tuple(assess_target(t, portfolio, rs, day, chosen, views) for t in rs.targets)
    areas = set(rs.areas)
    unassigned: tuple[str, ...] = ()
    if areas:
        unassigned = tuple(row.carrier.id for row in views.on(day) if row.carrier.area not in areas)
    return Assessment(
        portfolio.id, portfolio.name, day, rs.id, rs.version, rs.sha256, chosen, results,
        consistency_checks(rs), unassigned, dict(rs.groups),
    )


@attrs.frozen
class Row:
    """A carrier as it counts on one date: its standing, latest snapshot and designations."""

    carrier: Carrier
    standing: Standing
    snapshot: Snapshot | None
    tags: frozenset[str]
    events: tuple[Event, ...]


@attrs.define
class _Views:
    """The carriers that count on each date asked for, computed once per date."""

    portfolio: Portfolio
    readings: Mapping[str, str]
    cache: dict[datetime.date, tuple[Row, ...]] = attrs.field(factory=dict)

    def on(self, day: datetime.date) -> tuple[Row, ...]:
        if day not in self.cache:
            self.cache[day] = rows_on(self.portfolio, day, self.readings)
        return self.cache[day]


def rows_on(portfolio: Portfolio, day: datetime.date, readings: Mapping[str, str]) -> tuple[Row, ...]:
    """The carriers that count on ``day``: known by then, and not delisted unless the reading includes them."""
    out = []
    for carrier in portfolio.carriers:
        events = carrier.events_until(day)
        st = _counts(carrier, portfolio, day, readings, events)
        if st is not None:
            out.append(Row(carrier, st, portfolio.latest(carrier.id, day), portfolio.tags(carrier.id, day), events))
    return tuple(out)


def assess_target(
    target: Target, portfolio: Portfolio, ruleset: TargetRuleset, as_of: datetime.date, readings: Mapping[str, str],
    views: _Views | None = None,
) -> TargetResult:
    """One target on one date, under the given readings (all of them, as ``resolve_readings`` returns)."""
    views = views or _Views(portfolio, readings)
    citations = ruleset.header.citations(target.clauses)
    if target.measure.kind == NOT_QUANTIFIED or target.required is None:
        return TargetResult(target, as_of, None, None, None, NOT_ASSESSED, None, None, None, (), (), citations)
    now = measure(target, views.on(as_of), ruleset, as_of, readings)
    required = target.required
    actual = now.value
    start, source = _start(target, views, ruleset, readings)
    expected = None
    if start is not None:
        expected = line(Fraction(start), Fraction(required), ruleset.header.plan_period.start, target.milestone.due, as_of)  # type: ignore[union-attr]
    at_due = None
    if as_of > target.milestone.due:
        at_due = measure(target, views.on(target.milestone.due), ruleset, target.milestone.due, readings).value
    judged = actual if at_due is None else at_due  # a past milestone: gap, attainment and status all read its due date
    gap = required - judged if judged < required else _zero(required)
    attainment = Fraction(judged) / Fraction(required)
    if as_of >= target.milestone.due:  # a milestone is judged on the value it had on its due date
        status = MET if (actual if at_due is None else at_due) >= required else BEHIND
    elif actual >= required:
        status = MET
    elif expected is None:
        status = NO_BASELINE
    else:
        status = ON_TRACK if actual >= expected else BEHIND
    return TargetResult(
        target, as_of, actual, gap, attainment, status, start, source, expected, now.contributions, now.missing,
        citations, at_due,
    )


def line(start: Fraction, required: Fraction, begin: datetime.date, due: datetime.date, day: datetime.date) -> Fraction:
    """The straight line from ``start`` on ``begin`` to ``required`` on ``due``, read on ``day``."""
    if day >= due:
        return required
    if day <= begin:
        return start
    return start + (required - start) * Fraction((day - begin).days, (due - begin).days)


def _start(
    target: Target, views: _Views, ruleset: TargetRuleset, readings: Mapping[str, str]
) -> tuple[Number | None, str | None]:
    if target.start is not None:
        return target.start, "ruleset"
    if readings["baseline"] != "measured_at_plan_start":
        return None, None
    period = ruleset.header.plan_period
    assert period is not None
    then = measure(target, views.on(period.start), ruleset, period.start, readings)
    if not then.has_data:
        return None, None
    return then.value, f"measured on {period.start.isoformat()}"


def measure(
    target: Target, rows: tuple[Row, ...], ruleset: TargetRuleset, day: datetime.date, readings: Mapping[str, str]
) -> Measured:
    """A target's measure over the carriers that count on ``day``: its value, contributions and missing data."""
    m = target.measure
    contributions: list[Contribution] = []
    missing: list[Missing] = []
    has_data = False
    total: Number = 0
    for row in rows:
        carrier, st, snap, tags = row.carrier, row.standing, row.snapshot, row.tags
        if m.kind == SUM:
            ok, lacking = matches(m.where, carrier, st, snap, tags, readings) if m.where else (True, ())
            if not ok:
                if lacking:
                    missing.append(Missing(carrier.id, lacking, None if snap is None else snap.date))
                continue
            values = [snap.get(name) for name in m.metrics] if snap is not None else [None] * len(m.metrics)
            present = [v for v in values if v is not None]
            absent = tuple(name for name, v in zip(m.metrics, values) if v is None)
            if absent:
                missing.append(Missing(carrier.id, absent, None if snap is None else snap.date))
            if present:
                has_data = True
                value = sum(present, start=0)
                total = total + value
                contributions.append(Contribution(carrier.id, value, snap.date, "snapshot"))  # type: ignore[union-attr]
        elif m.kind == COUNT:
            has_data = True
            assert m.where is not None
            ok, lacking = matches(m.where, carrier, st, snap, tags, readings)
            if lacking:
                missing.append(Missing(carrier.id, lacking, None if snap is None else snap.date))
            if ok:
                total += 1
                uses_snapshot = _uses_metrics(m.where)
                contributions.append(
                    Contribution(carrier.id, 1, snap.date if uses_snapshot and snap else day, "snapshot" if uses_snapshot else "standing")
                )
        elif m.kind == NEW_TITLES:
            has_data = True
            if m.where is not None and not matches(m.where, carrier, st, snap, tags, readings)[0]:
                continue
            found = _new_title(row, m.level, ruleset, readings)
            if found is not None:
                total += 1
                contributions.append(Contribution(carrier.id, 1, found[0], found[1]))
    if m.kind == SUM and target.base_unit == "m2" and isinstance(total, Decimal) and total == total.to_integral_value():
        total = int(total)
    return Measured(total, tuple(contributions), tuple(missing), has_data)


def _counts(
    carrier: Carrier, portfolio: Portfolio, day: datetime.date, readings: Mapping[str, str], events: tuple[Event, ...]
) -> Standing | None:
    """The carrier's standing when it counts on ``day``, else None (unknown yet, or delisted and excluded)."""
    if not events and portfolio.latest(carrier.id, day) is None:
        return None
    st = standing(carrier, day, events)
    if st.delisted and readings["delisted_carriers"] == "exclude":
        return None
    return st


def _new_title(row: Row, level: Any, ruleset: TargetRuleset, readings: Mapping[str, str]) -> tuple[datetime.date, str] | None:
    period = ruleset.header.plan_period
    assert period is not None
    firsts = first_titles(row.carrier, row.events[-1].date if row.events else period.start, row.events)
    new = {lvl: when for lvl, when in firsts.items() if period.start <= when[0] <= period.end}
    if level not in new:
        return None
    if readings.get("new_titles") == "highest_level" and max(new, key=lambda lvl: lvl.rank) is not level:
        return None
    return new[level]


def _uses_metrics(sel: Selector) -> bool:
    return bool(sel.at_least) or any(_uses_metrics(s) for s in sel.any_of)


def matches(
    sel: Selector | None, carrier: Carrier, st: Standing, snap: Snapshot | None, tags: frozenset[str],
    readings: Mapping[str, str],
) -> tuple[bool, tuple[str, ...]]:
    """Whether a carrier belongs to a selector's class, and which figures were lacking to decide it."""
    if sel is None:
        return True, ()
    if sel.kinds is not None and carrier.kind not in sel.kinds:
        return False, ()
    if sel.area is not None and carrier.area != sel.area:
        return False, ()
    if sel.designation is not None and sel.designation not in tags:
        return False, ()
    if sel.title_level is not None:
        wanted, kinds = sel.title_level, sel.title_kinds
        if readings.get("title_counts", "highest_title") == "highest_title":
            top = st.highest
            held = top is not None and top[1] is wanted and (kinds is None or top[0] in kinds)
        else:
            held = any(lvl.rank >= wanted.rank and (kinds is None or k in kinds) for k, lvl in st.titles.items())
        if not held:
            return False, ()
    lacking: list[str] = []
    for th in sel.at_least:
        value = None if snap is None else snap.get(th.metric)
        if value is None:
            lacking.append(th.metric)
        elif value < th.value:
            return False, ()
    if lacking:
        return False, tuple(lacking)
    if sel.any_of:
        lacking_any: list[str] = []
        for member in sel.any_of:
            ok, lack = matches(member, carrier, st, snap, tags, readings)
            if ok:
                return True, ()
            lacking_any.extend(m for m in lack if m not in lacking_any)
        return False, tuple(lacking_any)
    return True, ()


def consistency_checks(ruleset: TargetRuleset) -> tuple[ConsistencyCheck, ...]:
    """Check each per-area table: its rows against its total row, its total against the district target."""
    out = []
    for table in ruleset.area_tables:
        cite = ruleset.header.citations((table.clause,))
        for j, column in enumerate(table.columns):
            unit, factor, unit_zh = UNITS[column.unit]
            rows = sum((r.cells[j] for r in table.rows), start=Decimal(0))
            printed = table.total[j]
            status = AGREES if rows == printed else DIFFERS
            out.append(ConsistencyCheck(
                f"{column.metric}-rows-vs-total", status, _num(rows), _num(printed), column.unit,
                f"各区域{column.header}相加为{_decimal_text(rows)}，{table.total_label}行为{_decimal_text(printed)}",
                f"the {len(table.rows)} rows of {column.header} add up to {_decimal_text(rows)}; "
                f"the total row ({table.total_label}) prints {_decimal_text(printed)}",
                cite,
            ))
            if column.district_target is None:
                continue
            target = ruleset.target(column.district_target)
            assert target.required is not None and target.written is not None
            table_base = _num(rows * factor)
            status = AGREES if table_base == target.required else DIFFERS
            more = " or more" if "以上" in target.quote else ""
            if status == AGREES:
                en = f"the per-area table adds up to {quantity(rows, column.unit)}, as the text says: “{target.quote}”"
                zh = f"分区域表{column.header}合计{_decimal_text(rows)}{unit_zh}，与正文“{target.quote}”一致"
            else:
                en = (f"the per-area table adds up to {quantity(rows, column.unit)} while the text says "
                      f"{quantity(target.written, target.unit)}{more}: “{target.quote}”")
                zh = f"分区域表{column.header}合计{_decimal_text(rows)}{unit_zh}，而正文为“{target.quote}”"
            out.append(ConsistencyCheck(
                f"{column.metric}-table-vs-text", status, table_base, target.required, unit, zh, en,
                cite + ruleset.header.citations(target.clauses[:1]),
            ))
    return tuple(out)


def quantity(value: Decimal | Number, unit: str | None) -> str:
    """A value in a target unit, for people: ``7.5万 m2 (75,000 m2)``, ``1,200``, ``200 people``."""
    if unit == "wan_m2":
        return f"{_decimal_text(Decimal(value))}万 m2 ({format_number(_num(Decimal(value) * 10_000))} m2)"
    number = format_number(_num(Decimal(value)))
    return {"m2": f"{number} m2", "people": f"{number} people"}.get(unit or "", number)




def _zero(like: Number) -> Number:
    return Decimal(0) if isinstance(like, Decimal) else 0


def _num(value: Decimal) -> Number:
    return int(value) if value == value.to_integral_value() else value


def _decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value != 0 else "0"


def format_number(value: Number | None) -> str:
    """A number with thousands separators, as written (no exponent); empty for None."""
    if value is None:
        return ""
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,f}"


def _fraction(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def percent(value: Fraction | None) -> str | None:
    """A fraction as a percentage with two decimals (for display; the fraction is exact)."""
    return None if value is None else rounded(value * 100)


def rounded(value: Fraction | None, places: int = 2) -> str | None:
    """A fraction rounded half-even to ``places`` decimals, as text."""
    if value is None:
        return None
    scaled = round(value * 10**places)
    sign = "-" if scaled < 0 else ""
    whole, frac = divmod(abs(scaled), 10**places)
    return f"{sign}{whole}.{frac:0{places}d}" if places else f"{sign}{whole}"
