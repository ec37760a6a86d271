"""Results as tables of typed columns: the one shape that CSV, Excel and the printable report write.

A ``Table`` is a title, typed ``Column``s and rows of plain values (whole
yuan as ``int``, dates as ``date``, ratios as exact ``Fraction``). Each writer
decides how a kind looks: CSV writes numbers as plain decimals (never
``129/140``, which a spreadsheet reads as a date), Excel writes real number
and date cells, and a ``wan`` column shows a yuan amount in 万元.
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import attrs

from ..district.assessment import percent, rounded
from ..whatif.budget import Budget

if TYPE_CHECKING:
    from ..district.assessment import Assessment
    from ..district.reconcile import Reconciliation
    from ..district.report import DistrictReport
    from ..engines.batch import Evaluations
    from ..model.decision import Decision, Evaluation
    from ..whatif.scenario import Comparison

TEXT = "text"
YUAN = "yuan"  # whole yuan
WAN = "wan"  # the same whole yuan, shown in 万元
DATE = "date"
INT = "int"  # a count or a year: no thousands separator in a year
NUMBER = "number"  # a statistic (int or Decimal)
RATIO = "ratio"  # an exact Fraction, shown as a percentage
KINDS = (TEXT, YUAN, WAN, DATE, INT, NUMBER, RATIO)

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet reads as the start of a formula


@attrs.frozen
class Column:
    """A column: its machine name (the CSV header), Chinese and English headings, and kind."""

    key: str
    zh: str
    en: str
    kind: str = TEXT


@attrs.frozen
class Table:
    """A titled table; ``name`` is short enough for an Excel sheet (31 characters)."""

    name: str
    title_zh: str
    title_en: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]

    def column(self, key: str) -> list[Any]:
        """The values of one column."""
        i = [c.key for c in self.columns].index(key)
        return [row[i] for row in self.rows]


def _table(name: str, zh: str, en: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> Table:
    return Table(name, zh, en, tuple(columns), tuple(tuple(r) for r in rows))


def wan(yuan: int | None) -> Decimal | None:
    """Whole yuan in 万元, exactly (200000 -> 20, 12345 -> 1.2345)."""
    if yuan is None:
        return None
    return (Decimal(yuan) / 10000).normalize() + 0  # + 0 turns 2E+1 into 20


def ratio_text(value: Fraction, places: int = 6) -> str:
    """An exact ratio as a plain decimal, rounded half-even (129/140 -> 0.921429)."""
    return rounded(value, places) or ""


def plain(value: Any, kind: str) -> str:
    """A value as CSV text: numbers as plain decimals, dates as YYYY-MM-DD, nothing as an empty cell."""
    if value is None:
        return ""
    if kind == WAN:
        return format(wan(value), "f")
    if kind == RATIO:
        return ratio_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize() + 0, "f")
    if isinstance(value, Fraction):
        return ratio_text(value)
    return str(value)


def to_csv(tables: Sequence[Table], bom: bool = True) -> str:
    """Tables as CSV text: the first plainly, each further one after an empty line and a ``# title`` line.

    With ``bom`` the text starts with a UTF-8 byte-order mark, so that Excel in a
    Chinese locale reads it as UTF-8.
    """
    out = io.StringIO()
    if bom:
        out.write(BOM)
    w = csv.writer(out, lineterminator="\n")
    for i, t in enumerate(tables):
        if i:
            w.writerow([])
            w.writerow([f"# {t.title_zh} / {t.title_en}"])
        w.writerow([c.key for c in t.columns])
        for row in t.rows:
            w.writerow([_text_cell(v) if c.kind == TEXT else plain(v, c.kind) for v, c in zip(row, t.columns)])
    return out.getvalue()


def _text_cell(value: Any) -> str:
    """A text cell that a spreadsheet shows as the text it is: one that would start a formula
    (a carrier named ``=HYPERLINK(...)``) is written after an apostrophe, Excel's mark for literal text."""
    text = plain(value, TEXT)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


# --- the tables of each result ---------------------------------------------------


def _info(rows: Sequence[tuple[str, str, Any]]) -> Table:
    return _table("info", "基本信息", "about", (Column("field", "项目", "field"), Column("zh", "说明", "meaning"),
                                            Column("value", "值", "value")), rows)


def _clause(d: Any) -> str:
    return d.citations[0].clause if d.citations else ""


STATUS_ZH = {"awarded": "已奖励", "pending": "待兑现", "not_awarded": "未奖励"}

_DECISION_COLUMNS = (
    Column("carrier_id", "载体编号", "carrier"), Column("carrier_name", "载体名称", "carrier name"),
    Column("status", "状态", "status"), Column("rule", "规则", "rule"), Column("clause", "条款", "clause"),
    Column("payable_on", "兑现日期", "payable on", DATE), Column("amount", "金额(元)", "amount (yuan)", YUAN),
    Column("amount_wan", "金额(万元)", "amount (10k yuan)", WAN), Column("reason", "原因", "reason"),
    Column("explanation_zh", "说明", "explanation (Chinese)"), Column("explanation_en", "说明(英文)", "explanation"),
    Column("events", "依据事件", "events"), Column("instalment", "分期", "instalment"),
    Column("instalment_due_on", "分期应付日期", "instalment due on", DATE),
)


def _decision_row(ev: "Evaluation", d: "Decision") -> tuple[Any, ...]:
    amount = None if d.status == "not_awarded" else d.amount
    part = d.instalment
    return (ev.carrier_id, ev.carrier_name, d.status, d.rule, _clause(d), d.payable_on, amount, amount, d.reason,
            d.explanation_zh, d.explanation_en, ", ".join(d.events),
            None if part is None else f"{part.number}/{part.count} ({part.share})", None if part is None else part.due_on)


def _decisions(evs: Iterable["Evaluation"]) -> Table:
    rows = [_decision_row(ev, d) for ev in evs for d in ev.awards + ev.pending + ev.not_awarded]
    return _table("decisions", "奖励决定", "decisions", _DECISION_COLUMNS, rows)


def evaluation_tables(ev: "Evaluation") -> list[Table]:
    """An evaluation: what was evaluated against which ruleset, and one row per decision."""
    info = _info([
        ("carrier", "载体", f"{ev.carrier_name} ({ev.carrier_id})"), ("as_of", "评估日期", ev.as_of),
        ("ruleset", "政策规则", f"{ev.ruleset_id} {ev.ruleset_version}"), ("sha256", "内容哈希", ev.ruleset_sha256),
        ("engine", "引擎", ev.engine), ("awarded", "已奖励(元)", ev.total), ("pending", "待兑现(元)", ev.pending_total),
        *[(f"reading {k}", "解读", v) for k, v in sorted(ev.readings.items())],
    ])
    return [_decisions([ev]), info]


_CARRIER_TOTALS = (
    Column("carrier_id", "载体编号", "carrier"), Column("carrier_name", "载体名称", "carrier name"),
    Column("awarded", "已奖励(元)", "awarded (yuan)", YUAN), Column("awarded_wan", "已奖励(万元)", "awarded (10k yuan)", WAN),
    Column("pending", "待兑现(元)", "pending (yuan)", YUAN), Column("pending_wan", "待兑现(万元)", "pending (10k yuan)", WAN),
    Column("awards", "奖励项数", "awards", INT), Column("pending_awards", "待兑现项数", "pending awards", INT),
    Column("not_awarded", "未奖励项数", "not awarded", INT),
)


def evaluations_tables(evs: "Evaluations | Sequence[Evaluation]") -> list[Table]:
    """Many evaluations: one row per carrier with its totals, and one row per decision."""
    evs = list(evs)
    rows = [(e.carrier_id, e.carrier_name, e.total, e.total, e.pending_total, e.pending_total, len(e.awards),
             len(e.pending), len(e.not_awarded)) for e in evs]
    tables = [_table("carriers", "载体汇总", "carriers", _CARRIER_TOTALS, rows), _decisions(evs)]
    if evs:
        e = evs[0]
        tables.append(_info([("as_of", "评估日期", e.as_of), ("ruleset", "政策规则", f"{e.ruleset_id} {e.ruleset_version}"),
                             ("sha256", "内容哈希", e.ruleset_sha256), ("carriers", "载体数", len(evs)),
                             ("awarded", "已奖励(元)", sum(x.total for x in evs)),
                             ("pending", "待兑现(元)", sum(x.pending_total for x in evs))]))
    return tables


_TARGET_COLUMNS = (
    Column("target", "目标", "target"), Column("group", "类别", "group"), Column("milestone", "节点", "milestone"),
    Column("due", "截止日期", "due", DATE), Column("area", "区域", "area"), Column("title_zh", "指标", "title (Chinese)"),
    Column("title_en", "指标(英文)", "title"), Column("unit", "单位", "unit"),
    Column("required", "目标值", "required", NUMBER), Column("actual", "实际值", "actual", NUMBER),
    Column("gap", "差距", "gap", NUMBER), Column("attainment", "完成率", "attainment", RATIO),
    Column("attainment_percent", "完成率(%)", "attainment (%)", NUMBER), Column("status", "状态", "status"),
    Column("status_zh", "状态(中文)", "status (Chinese)"), Column("start", "基数", "start", NUMBER),
    Column("expected", "进度线", "expected", NUMBER), Column("at_due", "截止日实际值", "at due date", NUMBER),
    Column("contributors", "贡献载体数", "contributors", INT), Column("missing_data", "缺数据载体数", "without data", INT),
    Column("clause", "条款", "clause"), Column("quote", "原文", "quote"),
)

TARGET_STATUS_ZH = {"met": "已完成", "on_track": "进度正常", "behind": "滞后", "no_baseline": "无基数",
                    "not_assessed": "未量化"}


def _percent(value: Fraction | None) -> Decimal | None:
    text = percent(value)
    return None if text is None else Decimal(text)


def _expected(value: Fraction | None) -> Decimal | None:
    text = rounded(value)
    return None if text is None else Decimal(text)


def _targets(a: "Assessment") -> Table:
    rows = []
    for r in a.results:
        t = r.target
        rows.append((
            t.id, t.group, t.milestone.id, t.milestone.due, t.area, t.title_zh, t.title_en, t.base_unit, t.required,
            r.actual, r.gap, r.attainment, _percent(r.attainment), r.status, TARGET_STATUS_ZH.get(r.status, r.status),
            r.start, _expected(r.expected), r.at_due, len(r.contributions), len(r.missing), t.clauses[0], t.quote,
        ))
    return _table("targets", "目标完成情况", "targets", _TARGET_COLUMNS, rows)


def _assessment_info(a: "Assessment") -> Table:
    return _info([
        ("portfolio", "载体组合", f"{a.portfolio_name} ({a.portfolio_id})"), ("as_of", "评估日期", a.as_of),
        ("ruleset", "目标规则", f"{a.ruleset_id} {a.ruleset_version}"), ("sha256", "内容哈希", a.ruleset_sha256),
        *[(f"reading {k}", "解读", v) for k, v in sorted(a.readings.items())],
    ])


def assessment_tables(a: "Assessment") -> list[Table]:
    """An assessment: one row per target, and what was assessed."""
    return [_targets(a), _assessment_info(a)]


_RISK_COLUMNS = (
    Column("carrier_id", "载体编号", "carrier"), Column("carrier_name", "载体名称", "carrier name"),
    Column("area", "区域", "area"), Column("rule", "规则", "rule"), Column("outcome", "结论", "outcome"),
    Column("date", "日期", "date", DATE), Column("due", "到期日", "due", DATE), Column("clause", "条款", "clause"),
    Column("explanation_zh", "说明", "explanation (Chinese)"), Column("explanation_en", "说明(英文)", "explanation"),
)
_READY_COLUMNS = (
    Column("carrier_id", "载体编号", "carrier"), Column("carrier_name", "载体名称", "carrier name"),
    Column("level", "可申报级别", "level"), Column("title_zh", "称号", "title (Chinese)"),
    Column("title_en", "称号(英文)", "title"), Column("snapshot_date", "统计日期", "figures of", DATE),
    Column("clause", "条款", "clause"),
)


def at_risk_table(report: "DistrictReport") -> Table:
    """The carriers at risk of losing their title, one row per decision that puts them there."""
    rows = [(m.carrier_id, m.name, m.area, d.rule, d.outcome, d.date, d.due, _clause(d), d.explanation_zh,
             d.explanation_en) for m in report.at_risk for d in m.at_risk]
    return _table("at_risk", "风险载体", "carriers at risk", _RISK_COLUMNS, rows)


def ready_table(report: "DistrictReport") -> Table:
    """The carriers that meet every published criterion of a higher level."""
    names = {c.id: c.name for c in report.portfolio.carriers}
    rows = [(r.carrier_id, names.get(r.carrier_id, ""), r.level.value, r.title_zh, r.title_en, r.snapshot_date,
             _clause(r)) for r in report.ready]
    return _table("ready", "可晋级载体", "ready to climb", _READY_COLUMNS, rows)


def report_tables(report: "DistrictReport") -> list[Table]:
    """A district report: targets, carriers at risk, carriers ready to climb, and what was assessed."""
    return [_targets(report.assessment), at_risk_table(report), ready_table(report), _assessment_info(report.assessment)]


def _year_rule(name: str, zh: str, en: str, budgets: Sequence["Budget"]) -> Table:
    columns = [Column("scenario", "方案", "scenario"), Column("year", "年度", "year", INT),
               Column("rule", "规则", "rule"), Column("status", "状态", "status"),
               Column("amount", "金额(元)", "amount (yuan)", YUAN), Column("amount_wan", "金额(万元)", "amount (10k yuan)", WAN),
               Column("decisions", "决定数", "decisions", INT)]
    rows = []
    for b in budgets:
        per: dict[tuple[Any, ...], list[int]] = {}
        for line in b.lines:
            slot = per.setdefault((line.year, line.rule, line.status), [0, 0])
            slot[0] += line.amount
            slot[1] += line.decisions
        for (year, rule, status), (amount, count) in sorted(per.items(), key=lambda kv: (kv[0][0] is None, kv[0])):
            rows.append((b.name, year, rule, status, amount, amount, count))
    return _table(name, zh, en, columns, rows)


def _per_year(budgets: Sequence["Budget"]) -> Table:
    years = sorted({y for b in budgets for y in b.by_year() if y is not None})
    columns = [Column("year", "年度", "year", INT)]
    for b in budgets:
        columns += [Column(b.name, f"{b.name}(元)", f"{b.name} (yuan)", YUAN),
                    Column(f"{b.name} (万元)", f"{b.name}(万元)", f"{b.name} (10k yuan)", WAN)]
    rows = [(y, *[v for b in budgets for v in (b.by_year().get(y, 0),) * 2]) for y in years]
    rows.append(("total", *[v for b in budgets for v in (b.total,) * 2]))
    return _table("per_year", "分年度应付", "payable per year", columns, rows)


def budget_tables(budgets: "Budget | Sequence[Budget]") -> list[Table]:
    """Budgets: yuan payable per year (one column per budget), then per year, rule and status."""
    items = [budgets] if isinstance(budgets, Budget) else list(budgets)
    tables = [_per_year(items), _year_rule("by_rule", "分年度分规则", "per year and rule", items)]
    if items:
        b = items[0]
        tables.append(_info([("as_of", "评估日期", b.as_of), ("ruleset", "政策规则", f"{b.ruleset_id} {b.ruleset_version}")]))
    return tables


def comparison_tables(c: "Comparison") -> list[Table]:
    """A comparison: totals per scenario with the difference from the first (the base), per year, per carrier."""
    base = c.names[0]
    totals = c.totals()
    columns = (Column("scenario", "方案", "scenario"), Column("awarded", "已奖励(元)", "awarded (yuan)", YUAN),
               Column("pending", "待兑现(元)", "pending (yuan)", YUAN), Column("total", "合计(元)", "total (yuan)", YUAN),
               Column("total_wan", "合计(万元)", "total (10k yuan)", WAN),
               Column("difference", f"与{base}之差(元)", f"difference from {base} (yuan)", YUAN))
    first = _table("totals", "方案合计", "totals", columns,
                   [(n, t["awarded"], t["pending"], t["total"], t["total"], t["difference"]) for n, t in totals.items()])
    carrier_cols = [Column("carrier_id", "载体编号", "carrier"), Column("carrier_name", "载体名称", "carrier name"),
                    Column("kind", "类型", "kind"), Column("area", "区域", "area")]
    carrier_cols += [Column(n, f"{n}(元)", f"{n} (yuan)", YUAN) for n in c.names]
    carrier_cols += [Column(f"{n} - {base}", f"{n}与{base}之差(元)", f"{n} less {base} (yuan)", YUAN) for n in c.names[1:]]
    rows = [(r.carrier_id, r.carrier_name, r.kind, r.area, *r.totals, *r.differences[1:]) for r in c.carriers]
    return [first, _per_year(list(c.budgets)), _table("carriers", "分载体", "per carrier", carrier_cols, rows)]


def assessment_csv(a: "Assessment") -> str:
    """An assessment as CSV (one row per target), with a byte-order mark."""
    return to_csv(assessment_tables(a)[:1])


def report_csv(report: "DistrictReport") -> str:
    """A district report as CSV: targets, carriers at risk, ready to climb, what was assessed."""
    return to_csv(report_tables(report))


RECONCILE_STATUS_ZH = {
    "paid": "已按应付拨付", "unpaid": "应付未付", "overpaid": "超额或无依据拨付", "paid_early": "提前拨付",
    "unmatched": "无对应决定的拨付", "duplicate_voucher": "凭证号重复", "not_due": "尚未到期", "outside_plan": "本政策以外的拨付",
}
_RECONCILE_COLUMNS = (
    Column("carrier", "载体编号", "carrier"), Column("status", "核对结果", "status"), Column("rule", "规则", "rule"),
    Column("reason", "原因", "reason"), Column("decision_status", "决定状态", "decision status"),
    Column("event", "依据事件", "event"), Column("level", "级别", "level"),
    Column("amount", "核定金额(元)", "amount (yuan)", YUAN), Column("due", "应付(元)", "due (yuan)", YUAN),
    Column("paid", "已付(元)", "paid (yuan)", YUAN), Column("outstanding", "未付(元)", "outstanding (yuan)", YUAN),
    Column("overpaid", "超付(元)", "overpaid (yuan)", YUAN), Column("paid_early", "提前付(元)", "paid early (yuan)", YUAN),
    Column("payable_on", "应付日期", "payable on", DATE), Column("days_outstanding", "逾期天数", "days outstanding", INT),
    Column("payments", "拨付记录", "payments"), Column("explanation", "说明(英文)", "explanation"),
    Column("explanation_zh", "说明", "explanation (Chinese)"), Column("status_zh", "核对结果(中文)", "status (Chinese)"),
    Column("carrier_name", "载体名称", "carrier name"),
    Column("outstanding_wan", "未付(万元)", "outstanding (10k yuan)", WAN),
)
_RECONCILE_TOTALS = (
    Column("carrier", "载体编号", "carrier"), Column("carrier_name", "载体名称", "carrier name"),
    Column("settled", "已结清", "settled"), Column("due", "应付(元)", "due (yuan)", YUAN),
    Column("paid", "已付(元)", "paid (yuan)", YUAN), Column("outstanding", "未付(元)", "outstanding (yuan)", YUAN),
    Column("overpaid", "超付(元)", "overpaid (yuan)", YUAN), Column("paid_early", "提前付(元)", "paid early (yuan)", YUAN),
    Column("unmatched", "无对应(元)", "unmatched (yuan)", YUAN), Column("duplicate", "凭证重复(元)", "duplicate voucher (yuan)", YUAN),
    Column("not_due", "未到期(元)", "not due (yuan)", YUAN),
)


def payments_text(line: Any) -> str:
    """A line's payments as ``ref@date=amount`` separated by ``;``."""
    return ";".join(f"{p.ref}@{p.date.isoformat()}={p.amount}" for p in line.payments)


def reconciliation_tables(r: "Reconciliation") -> list[Table]:
    """A reconciliation: one row per line (decisions and the payments that settle none), per carrier, and what was reconciled."""
    names = {c.carrier_id: c.carrier_name for c in r.carriers}
    rows = [(line.carrier_id, line.status, line.rule, line.reason, line.decision_status, line.event, line.level,
             line.amount, line.due, line.paid, line.outstanding, line.overpaid, line.paid_early, line.payable_on,
             line.days_outstanding, payments_text(line), line.explanation_en, line.explanation_zh,
             RECONCILE_STATUS_ZH.get(line.status, line.status), names.get(line.carrier_id), line.outstanding)
            for line in r.lines]
    per_carrier = []
    for c in r.carriers:
        t = c.totals
        per_carrier.append((c.carrier_id, c.carrier_name, c.settled, t["due"], t["paid"], t["outstanding"],
                            t["overpaid"], t["paid_early"], t["unmatched"], t["duplicate"], t["not_due"]))
    t = r.totals
    per_carrier.append(("total", None, r.settled, t["due"], t["paid"], t["outstanding"], t["overpaid"],
                        t["paid_early"], t["unmatched"], t["duplicate"], t["not_due"]))
    info = _info([("as_of", "核对日期", r.as_of), ("ruleset", "政策规则", f"{r.ruleset_id} {r.ruleset_version}"),
                  ("sha256", "内容哈希", r.ruleset_sha256), ("payments_from", "拨付来源", r.payments_from),
                  ("settled", "已结清", r.settled),
                  *[(f"reading {k}", "解读", v) for k, v in sorted(r.readings.items())]])
    return [_table("reconciliation", "拨付核对", "reconciliation", _RECONCILE_COLUMNS, rows),
            _table("carriers", "分载体合计", "per carrier", _RECONCILE_TOTALS, per_carrier), info]


def reconciliation_csv(r: "Reconciliation") -> str:
    """A reconciliation as CSV with a byte-order mark: its lines, then the totals per carrier and what was reconciled."""
    return to_csv(reconciliation_tables(r))
