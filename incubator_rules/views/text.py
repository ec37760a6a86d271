"""Results as plain text for people: the district report, management decisions, reconciliations, ruleset diffs,
test-case results and clause coverage.

The data classes' ``to_table`` finds its formatter here through ``model.display``;
the command line prints them.
"""

from __future__ import annotations

import datetime
import unicodedata
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from ..district.assessment import Assessment, TargetResult, format_number, percent
from ..district.readiness import MISSED, NOT_READY, format_fraction
from ..district.reconcile import DUPLICATE_VOUCHER, OVERPAID, PAID_EARLY, UNPAID
from ..documents import to_plain
from ..files.targets import UNITS
from ..files.types import display_path
from ..model.decision import NOT_AWARDED, Decision, Evaluation
from ..model.portfolio import METRICS

if TYPE_CHECKING:
    from ..district.reconcile import Reconciliation
    from ..district.report import DistrictReport
    from ..tools.caserun import Coverage
    from ..tools.cases import CaseResult
    from ..tools.diff import RulesetDiff

__all__ = [
    "format_coverage",
    "format_diff",
    "format_management",
    "format_reconciliation",
    "format_report",
    "format_result",
    "pad",
]

STATUS_LABEL = {
    "met": "met",
    "on_track": "on track",
    "behind": "behind",
    "no_baseline": "no baseline",
    "not_assessed": "not assessed",
}


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


def format_evaluation(ev: Evaluation) -> str:
    """A plain-text report of an evaluation, for people."""
    lines = [
        f"{ev.carrier_name} ({ev.carrier_id}) as of {ev.as_of}",
        f"ruleset {ev.ruleset_id} {ev.ruleset_version} sha256:{ev.ruleset_sha256[:12]}  engine {ev.engine}",
        "",
    ]
    sections = (("Awarded", ev.awards), ("Pending", ev.pending), ("Not awarded", ev.not_awarded))
    for title, decisions in sections:
        lines.append(f"{title}:")
        if not decisions:
            lines.append("  (none)")
        for d in decisions:
            clause = d.citations[0].clause if d.citations else ""
            part = "" if d.instalment is None else (f"  instalment {d.instalment.number}/{d.instalment.count} "
                                                    f"({d.instalment.share}, due {d.instalment.due_on})")
            if d.status == "not_awarded":
                lines.append(f"  {d.reason:<24}  {d.rule:<24} {clause}{part}")
            else:
                lines.append(f"  {d.payable_on}  {d.amount:>12,}  {d.rule:<24} {clause}{part}")
            lines.append(f"      {d.explanation_en}")
            lines.append(f"      {d.explanation_zh}")
        lines.append("")
    lines.append(f"Total awarded: {ev.total:,} yuan")
    for rule, amount in ev.totals_by_rule.items():
        lines.append(f"  {rule:<24} {amount:>12,}")
    lines.append(f"Total pending: {ev.pending_total:,} yuan")
    lines.append("Readings:")
    lines.extend(f"  {k} = {v}" for k, v in sorted(ev.readings.items()))
    return "\n".join(lines)


def format_management(decisions: Any) -> str:
    """Management decisions as plain text (for the evaluate command)."""
    lines = ["Management (no money):"]
    for d in decisions:
        flag = "AT RISK " if d.at_risk else ""
        lines.append(f"  {d.date}  {flag}{d.rule}/{d.outcome}" + (f"  due {d.due}" if d.due else ""))
        lines.append(f"      {d.explanation_en}")
        lines.append(f"      {d.explanation_zh}")
    return "\n".join(lines)


def format_reconciliation(rec: "Reconciliation") -> str:
    """A reconciliation as plain text for people: the findings first, then the totals."""
    t = rec.totals
    out = [f"Reconciliation as of {rec.as_of}, ruleset {rec.ruleset_id} {rec.ruleset_version} "
           f"sha256:{rec.ruleset_sha256[:12]}, payments from {rec.payments_from}", ""]
    for c in rec.carriers:
        out.append(f"{c.carrier_name or c.carrier_id} ({c.carrier_id}): {'settled' if c.settled else 'UNSETTLED'}")
        for line in c.lines:
            refs = ", ".join(f"{p.ref} {p.date} {p.amount:,}" for p in line.payments) or "no payment"
            what = f"{line.rule} {line.event}" if line.rule else "payment"
            extra = ""
            if line.status == UNPAID:
                extra = f" outstanding {line.outstanding:,} since {line.payable_on} ({line.days_outstanding} days)"
            elif line.status == OVERPAID:
                extra = f" overpaid {line.overpaid:,}" + (f" ({line.reason}: {line.explanation_en})" if line.decision_status == NOT_AWARDED else "")
            elif line.status == PAID_EARLY:
                extra = f" {line.paid_early:,} paid before {line.payable_on or 'it fell due'}" + (" (settled since)" if line.settled else "")
            elif line.status == DUPLICATE_VOUCHER:
                extra = f" ({line.explanation_en})"
            out.append(f"  {line.status:<12} {what}: amount {line.amount:,}, paid {line.paid:,}{extra} [{refs}]")
        out.append("")
    out.append("Totals: " + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in t.items()))
    unsettled: dict[str, int] = {}
    for line in rec.lines:
        if not line.settled:
            unsettled[line.status] = unsettled.get(line.status, 0) + 1
    early = sum(1 for line in rec.lines if line.status == PAID_EARLY and line.settled)
    note = f" ({early} paid before due, settled since)" if early else ""
    out.append(("Settled." if rec.settled else "UNSETTLED: " + ", ".join(
        f"{n} {s.replace('_', ' ')}" for s, n in unsettled.items())) + note)
    return "\n".join(out)


def _cell(value: Any, width: int = 100) -> str:
    if value is None:
        return "-"
    if isinstance(value, Mapping):
        text = "; ".join(f"{k}: {_cell(v, width)}" for k, v in value.items())
    elif isinstance(value, int) and not isinstance(value, bool):
        text = f"{value:,}"
    else:
        text = str(to_plain(value))
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _decision_cell(d: Decision | None) -> str:
    if d is None:
        return "(no decision)"
    if d.status == "not_awarded":
        return f"not awarded: {d.reason}"
    return f"{d.status} {d.amount:,} on {d.payable_on}"


def format_diff(diff: RulesetDiff) -> str:
    """The comparison as plain text: changes by section, then carriers and budget when a portfolio was given."""
    o, n = diff.old, diff.new
    lines = [
        f"old: {o.id} {o.version} sha256:{o.sha256[:12]}  {display_path(o.path) if o.path else ''}".rstrip(),
        f"new: {n.id} {n.version} sha256:{n.sha256[:12]}  {display_path(n.path) if n.path else ''}".rstrip(),
        "",
    ]
    if not diff.changes:
        lines.append("No changes in the ruleset data.")
    section = None
    for c in diff.changes:
        if c.section != section:
            section = c.section
            lines.append(f"{section.capitalize()}:")
        lines.append(f"  {c.change:<8} {c.key}")
        for sign, value in (("-", c.old), ("+", c.new)):
            if value is None:
                continue
            for item in value if isinstance(value, tuple) else (value,):
                lines.append(f"           {sign} {_cell(item)}")
    if diff.as_of is None:
        return "\n".join(lines)
    lines += ["", f"Portfolio as of {diff.as_of}: {len(diff.carriers)} of {diff.carriers_compared} carriers' decisions change."]
    for cc in diff.carriers:
        lines.append(
            f"  {cc.carrier_id} ({cc.carrier_name}): awarded {cc.old_awarded:,} -> {cc.new_awarded:,}, "
            f"pending {cc.old_pending:,} -> {cc.new_pending:,}  ({cc.difference:+,} yuan)"
        )
        for dc in cc.decisions:
            lines.append(f"      {dc.event} {dc.rule}: {_decision_cell(dc.old)} -> {_decision_cell(dc.new)}")
    lines += ["", "Budget by year payable (awarded and pending), yuan:", f"  {'year':<6}{'old':>14}{'new':>14}{'difference':>14}"]
    for year, (old_amount, new_amount) in diff.budget.items():
        lines.append(f"  {year:<6}{old_amount:>14,}{new_amount:>14,}{new_amount - old_amount:>+14,}")
    total_old = sum(a for a, _ in diff.budget.values())
    total_new = sum(b for _, b in diff.budget.values())
    lines.append(f"  {'total':<6}{total_old:>14,}{total_new:>14,}{total_new - total_old:>+14,}")
    return "\n".join(lines)


def format_result(result: CaseResult) -> str:
    """PASS/FAIL line for a case, followed by its differences."""
    head = f"{'PASS' if result.passed else 'FAIL'} {result.case.location}: {result.case.name}"
    return "\n".join([head] + [f"    {line}" for line in result.differences])


def format_coverage(coverage: Sequence[Coverage]) -> str:
    """Clause coverage as plain text."""
    lines = []
    for c in coverage:
        done = len(c.clauses) - len(c.missing)
        aside = f" ({len(c.out_of_scope)} out of scope, not counted)" if c.out_of_scope else ""
        lines.append(f"clause coverage {c.ruleset_id} {c.ruleset_version}: {done}/{len(c.clauses)} clauses exercised{aside}")
        lines.extend(f"  not exercised: {clause}" for clause in c.missing)
        lines.extend(f"  out of scope: {clause}" for clause in c.out_of_scope)
    return "\n".join(lines)
