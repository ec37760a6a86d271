"""The district report: targets assessed, carriers at risk, carriers ready to climb.

``district_report`` puts together what a science bureau asks of its
portfolio on one date: where the district stands against each plan target
(``assess``), which carriers risk losing their title (``manage``) and which
meet the published criteria of a higher level (``readiness``).
"""

from __future__ import annotations

import datetime
import json
import unicodedata
from pathlib import Path
from typing import Any, Mapping

import attrs

from ..files.targets import UNITS, TargetRuleset, load_targets
from ..model.decision import ManagementDecision
from ..model.display import renderer
from ..model.portfolio import METRICS, Portfolio
from .assessment import Assessment, TargetResult, assess, format_number, percent
from .management import ManagementRules, load_management, manage
from .readiness import (
    MISSED,
    NOT_READY,
    READY,
    CriteriaSet,
    Readiness,
    format_fraction,
    load_criteria,
    readiness,
)

STATUS_LABEL = {
    "met": "met",
    "on_track": "on track",
    "behind": "behind",
    "no_baseline": "no baseline",
    "not_assessed": "not assessed",
}


@attrs.frozen
class CarrierManagement:
    """A carrier's management decisions on the report date."""

    carrier_id: str
    name: str
    area: str | None
    decisions: tuple[ManagementDecision, ...]

    @property
    def at_risk(self) -> tuple[ManagementDecision, ...]:
        """The decisions that put the carrier at risk of losing its title."""
        return tuple(d for d in self.decisions if d.at_risk)


@attrs.frozen
class DistrictReport:
    """Targets, management and readiness for one portfolio on one date."""

    assessment: Assessment
    portfolio: Portfolio = attrs.field(repr=False)
    management: tuple[CarrierManagement, ...] = ()
    readiness: tuple[Readiness, ...] = ()
    management_id: str | None = None
    criteria_id: str | None = None

    @property
    def at_risk(self) -> tuple[CarrierManagement, ...]:
        """Carriers with a decision that puts their title at risk."""
        return tuple(m for m in self.management if m.at_risk)

    @property
    def ready(self) -> tuple[Readiness, ...]:
        """Levels a carrier meets every published criterion of."""
        return tuple(r for r in self.readiness if r.status == READY)

    def to_dict(self) -> dict[str, Any]:
        """Plain data with a stable key order."""
        out = self.assessment.to_dict()
        out["management"] = {
            "rules": self.management_id,
            "carriers_at_risk": [m.carrier_id for m in self.at_risk],
            "decisions": [d.to_dict() for m in self.management for d in m.decisions],
        }
        out["readiness"] = {"criteria": self.criteria_id, "results": [r.to_dict() for r in self.readiness]}
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """JSON with a stable key order."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def to_csv(self) -> str:
        """CSV text with a byte-order mark: the targets, then the carriers at risk, those ready to climb and what was assessed."""
        return renderer("report_csv")(self)

    def to_table(self) -> str:
        """A plain-text report for people."""
        return format_report(self)

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per target (the ``notebook`` extra); see also ``at_risk_frame``, ``ready_frame``."""
        return renderer("assessment_frame")(self.assessment)

    def at_risk_frame(self) -> Any:
        """A pandas DataFrame, one row per decision that puts a carrier at risk."""
        return renderer("at_risk_frame")(self)

    def ready_frame(self) -> Any:
        """A pandas DataFrame, one row per carrier and higher level it is ready for."""
        return renderer("ready_frame")(self)

    def _repr_html_(self) -> str:
        return renderer("district_report_html")(self)


def district_report(
    portfolio: Portfolio,
    targets: TargetRuleset | str | Path,
    as_of: datetime.date | str | None = None,
    readings: Mapping[str, str] | None = None,
    management: ManagementRules | str | Path | None = "chongqing-dynamic-management",
    management_readings: Mapping[str, str] | None = None,
    criteria: CriteriaSet | str | Path | None = "upgrade-criteria",
) -> DistrictReport:
    """Assess the targets, and (unless None is passed) manage every carrier and check its readiness."""
    ts = targets if isinstance(targets, TargetRuleset) else load_targets(targets)
    assessment = assess(portfolio, ts, as_of, readings)
    day = assessment.as_of
    managed: tuple[CarrierManagement, ...] = ()
    mid = None
    if management is not None:
        rules = management if isinstance(management, ManagementRules) else load_management(management)
        mid = rules.id
        managed = tuple(
            CarrierManagement(c.id, c.name, c.area, decisions)
            for c in portfolio.carriers
            if (decisions := manage(c, day, rules, management_readings))
        )
    ready: tuple[Readiness, ...] = ()
    cid = None
    if criteria is not None:
        cs = criteria if isinstance(criteria, CriteriaSet) else load_criteria(criteria)
        cid = cs.id
        ready = tuple(r for c in portfolio.carriers for r in readiness(portfolio, c.id, day, cs))
    return DistrictReport(assessment, portfolio, managed, ready, mid, cid)


def pad(text: str, width: int) -> str:
    """Left-align text in ``width`` terminal columns, counting CJK characters as two."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 0)


def _quantity(value: Any, unit: str | None) -> str:
    if value is None:
        return "-"
    return format_number(value)


def _target_line(r: TargetResult) -> list[str]:
    t = r.target
    unit = t.base_unit or ""
    if r.status == "not_assessed":
        head = f"  {t.id:<34} {'':>10} {'':>10} {'':>10} {'':>8}  {STATUS_LABEL[r.status]:<12}"
    else:
        head = (
            f"  {t.id:<34} {_quantity(t.required, unit):>10} {_quantity(r.actual, unit):>10} "
            f"{_quantity(r.gap, unit):>10} {(percent(r.attainment) or '') + '%':>8}  {STATUS_LABEL[r.status]:<12}"
        )
        if r.at_due is not None:
            head += f" {_quantity(r.at_due, unit)} on the due date"
        elif r.status != "met" and r.as_of >= t.milestone.due:
            head += " due date passed"
        elif r.expected is not None and r.status != "met":
            head += f" line {format_number(round(r.expected))}"
        if r.missing:
            head += f" ({len(r.missing)} without data)"
    written = ""
    if t.written is not None and t.unit is not None and t.unit != t.base_unit:
        written = f" [{format(t.written.normalize(), 'f')} {UNITS[t.unit][2]}]"
    unit_note = f" ({unit})" if unit else ""
    return [head.rstrip(), f"      {t.title_zh} / {t.title_en}{unit_note}{written}: “{t.quote}” ({t.clauses[0]})"]


def format_report(report: DistrictReport) -> str:
    """The district report as plain text."""
    a = report.assessment
    lines = [
        f"{a.portfolio_name} ({a.portfolio_id}) as of {a.as_of}",
        f"targets {a.ruleset_id} {a.ruleset_version} sha256:{a.ruleset_sha256[:12]}; "
        f"{len(report.portfolio.carriers)} carriers, {len(report.portfolio.snapshots)} snapshots",
        "readings: " + ", ".join(f"{k}={v}" for k, v in sorted(a.readings.items())),
        "",
        f"  {'target':<34} {'required':>10} {'actual':>10} {'gap':>10} {'attained':>8}  status",
    ]
    lines += _targets_section(a) + _areas_section(a) + _checks_section(a)
    if report.management_id is not None:
        lines += _risk_section(report)
    if report.criteria_id is not None:
        lines += _readiness_section(report)
    return "\n".join(lines)


def _targets_section(a: Assessment) -> list[str]:
    lines: list[str] = []
    for group, results in a.by_group().items():
        shown = [r for r in results if r.target.area is None]
        zh, en = a.groups.get(group, (group, group))
        by_due: dict[datetime.date, list[TargetResult]] = {}
        for r in shown:
            by_due.setdefault(r.target.milestone.due, []).append(r)
        for due, items in sorted(by_due.items()):
            lines += ["", f"{en} ({zh}), due {items[0].target.milestone.label_en} ({due})"]
            for r in items:
                lines += _target_line(r)
    return lines


def _areas_section(a: Assessment) -> list[str]:
    by_area = a.by_area()
    if not by_area:
        return []
    lines = ["", "Per-area targets (actual / required, attained, status)"]
    for area, results in by_area.items():
        cells = [
            f"{_quantity(r.actual, None):>7} / {_quantity(r.target.required, None):<7} "
            f"{percent(r.attainment):>7}% {STATUS_LABEL[r.status]:<11}"
            for r in results
        ]
        number = results[0].target.id.split("-")[1]
        lines.append((f"  {number} {pad(area, 12)}" + " | ".join(cells)).rstrip())
    headers = [r.target.title_en.split(": ", 1)[-1] for r in next(iter(by_area.values()))]
    lines.append("     columns: " + " | ".join(headers))
    if a.unassigned:
        lines.append("  carriers outside the table's areas (counted district-wide only): " + ", ".join(a.unassigned))
    return lines


def _checks_section(a: Assessment) -> list[str]:
    if not a.checks:
        return []
    return ["", "Consistency of the source's own figures"] + [f"  {c.status:<8} {c.explanation_en}" for c in a.checks]


def _risk_section(report: DistrictReport) -> list[str]:
    lines = ["", f"Carriers at risk ({report.management_id})"]
    if not report.at_risk:
        lines.append("  (none)")
    for m in report.at_risk:
        for d in m.at_risk:
            lines.append(f"  {m.carrier_id} {m.name} [{m.area or '-'}]: {d.rule}/{d.outcome}")
            lines.append(f"      {d.explanation_en}")
            lines.append(f"      {d.explanation_zh}")
    barred = [(m, d) for m in report.management for d in m.decisions if d.kind == "award_bar"]
    if barred:
        lines.append("  delisted (no award after the delisting): " + ", ".join(
            f"{m.carrier_id} since {d.date}" + (f" until {d.until}" if d.until else "") for m, d in barred
        ))
    return lines


def _readiness_section(report: DistrictReport) -> list[str]:
    names = {c.id: c.name for c in report.portfolio.carriers}
    lines = ["", f"Ready to climb ({report.criteria_id})"]
    if not report.ready:
        lines.append("  (none)")
    for r in report.ready:
        lines.append(f"  {r.carrier_id} {names[r.carrier_id]}: meets every criterion of {r.title_en} ({r.title_zh})")
    close = [r for r in report.readiness if r.status == NOT_READY and len(r.missed) <= 2 and not r.not_assessed]
    if close:
        lines += ["", "Close to a higher level (every criterion assessed, at most two missed)"]
        for r in close:
            misses = "; ".join(_miss(c) for c in r.missed)
            lines.append(f"  {r.carrier_id} {names[r.carrier_id]} -> {r.title_en}: {misses}")
    unknown = sum(1 for r in report.readiness if r.status == "not_assessed")
    if unknown:
        lines.append(f"  {unknown} carrier-level pairs not assessed (thresholds not given, or figures not reported)")
    return lines


def _miss(c: Any) -> str:
    if c.status != MISSED:
        return f"{c.id} ({c.status})"
    if c.members:
        return f"{c.id} (" + " or ".join(_miss(m) for m in c.members) + ")"
    if c.per == 100:
        shown = f"{format_fraction(c.actual * 100)}% < {format_fraction(c.required * 100, 0)}%"
    elif c.per != 1:
        shown = f"{format_fraction(c.actual * c.per)} < {format_fraction(c.required * c.per)} per {c.per:,}"
    else:
        shown = f"{format_fraction(c.actual)} < {format_fraction(c.required)}"
    what = METRICS[c.needed_of].label_en if c.needed_of in METRICS else (c.needed_of or "")
    return f"{c.id} {shown}, needs {format_fraction(c.needed)} more {what}".rstrip()


def format_management(decisions: Any) -> str:
    """Management decisions as plain text (for the evaluate command)."""
    lines = ["Management (no money):"]
    for d in decisions:
        flag = "AT RISK " if d.at_risk else ""
        lines.append(f"  {d.date}  {flag}{d.rule}/{d.outcome}" + (f"  due {d.due}" if d.due else ""))
        lines.append(f"      {d.explanation_en}")
        lines.append(f"      {d.explanation_zh}")
    return "\n".join(lines)
