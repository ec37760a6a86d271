"""Notebook views: HTML tables (no dependencies), pandas DataFrames and matplotlib charts (the ``notebook`` extra)."""

from __future__ import annotations

import datetime
import html
import textwrap
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from ..district.assessment import percent
from ..errors import IncubatorRulesError, MissingExtraError, require
from ..whatif.budget import FIELDS
from . import fonts
from .tables import (
    INT,
    NUMBER,
    RATIO,
    TARGET_STATUS_ZH,
    WAN,
    YUAN,
    Table,
    assessment_tables,
    at_risk_table,
    ready_table,
)

if TYPE_CHECKING:
    from ..district.assessment import Assessment
    from ..district.report import DistrictReport
    from ..engines.batch import Evaluations
    from ..model.decision import Decision, Evaluation
    from ..whatif.budget import Budget
    from ..files.scenarios import Scenario
    from ..whatif.scenario import Comparison

EXTRA = "notebook"
ROWS_SHOWN = 20


# --- HTML ----------------------------------------------------------------------

YEAR = "year"  # an int shown without a thousands separator
SIGNED = "signed"  # a difference, shown with its sign
DATE = "date"  # never wrapped inside

STYLE = (
    "<style>table.incubator-rules{border-collapse:collapse;margin:.2em 0 .8em;font-size:.9em}"
    "table.incubator-rules th,table.incubator-rules td{border:1px solid #ccc;padding:.2em .45em;vertical-align:top}"
    "table.incubator-rules th{background:#eef3fa}table.incubator-rules td.num{text-align:right;white-space:nowrap}"
    "table.incubator-rules td.date{white-space:nowrap}table.incubator-rules .en{color:#666}</style>"
)


def _cell(value: Any, kind: str | None = None) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        if kind == YEAR:
            return str(value)
        if kind == SIGNED:
            return f"{value:+,}".replace("-", "−") if value else "0"
        return f"{value:,}"
    if isinstance(value, _Html):
        return str(value)
    return html.escape(str(value))


def table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], caption: str | None = None,
    kinds: Sequence[str | None] | None = None,
) -> str:
    """An HTML table; integers right-aligned with thousands separators, except columns of kind YEAR.

    ``kinds`` gives a kind per column: YEAR, SIGNED (a difference with its sign) or DATE (never wrapped).
    """
    out = ['<table class="incubator-rules">']
    if caption:
        out.append(f"<caption style='text-align:left'>{html.escape(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr></thead><tbody>")
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            kind = kinds[i] if kinds is not None and i < len(kinds) else None
            if isinstance(value, datetime.date) or kind == DATE:
                cls = "date"
            elif isinstance(value, int) and not isinstance(value, bool):
                cls = "num"
            else:
                cls = ""
            attr = f" class='{cls}'" if cls else ""
            style = " style='text-align:right;white-space:nowrap'" if cls == "num" else (
                " style='white-space:nowrap'" if cls == "date" else "")
            cells.append(f"<td{attr}{style}>{_cell(value, kind)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 carrier``, ``2 carriers`` (``many`` when the plural is not ``one + 's'``)."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _explained(zh: str, en: str) -> str:
    return f"{html.escape(zh)}<br><span class='en'>{html.escape(en)}</span>"


class _Html(str):
    """Text already escaped for HTML (table cells print it as it is)."""


def _decision_row(d: "Decision") -> tuple[Any, ...]:
    clause = d.citations[0].clause if d.citations else None
    amount = d.amount if d.status != "not_awarded" else None
    status = {"awarded": "已奖励 awarded", "pending": "待兑现 pending", "not_awarded": "未奖励 not awarded"}[d.status]
    return (status, d.payable_on, amount, d.rule, d.reason.replace("_", " "),
            _Html(_explained(d.explanation_zh, d.explanation_en)), clause)


def evaluation_html(ev: "Evaluation") -> str:
    """An evaluation as an HTML summary and a table of its decisions, each with its Chinese sentence."""
    head = (
        f"<p><strong>{html.escape(ev.carrier_name)}</strong> ({html.escape(ev.carrier_id)}) as of {ev.as_of}: "
        f"已奖励 awarded <strong>{ev.total:,}</strong> 元 yuan, 待兑现 pending {ev.pending_total:,} 元 yuan<br>"
        f"<small>ruleset {html.escape(ev.ruleset_id)} {html.escape(ev.ruleset_version)} "
        f"sha256:{ev.ruleset_sha256[:12]}, engine {html.escape(ev.engine)}</small></p>"
    )
    rows = [_decision_row(d) for d in ev.awards + ev.pending + ev.not_awarded]
    headers = ("状态 status", "兑现日期 payable on", "金额 amount (yuan)", "规则 rule", "原因 reason",
               "说明 explanation", "条款 clause")
    return STYLE + head + table(headers, rows, kinds=(None, DATE))


def evaluations_html(evs: "Evaluations") -> str:
    """A portfolio's evaluations: totals and one row per carrier (the first rows)."""
    head = (f"<p>{plural(len(evs), 'evaluation')}: 已奖励 awarded <strong>{evs.total:,}</strong> 元 yuan, "
            f"待兑现 pending {evs.pending_total:,} 元 yuan</p>")
    rows = [(e.carrier_id, e.carrier_name, e.total, e.pending_total, len(e.awards), len(e.pending), len(e.not_awarded))
            for e in evs[:ROWS_SHOWN]]
    more = f"<p>… and {len(evs) - ROWS_SHOWN:,} more (use to_frame())</p>" if len(evs) > ROWS_SHOWN else ""
    headers = ("载体 carrier", "名称 name", "已奖励 awarded (yuan)", "待兑现 pending (yuan)", "奖励项 awards",
               "待兑现项 pending awards", "未奖励项 not awarded")
    return STYLE + head + table(headers, rows) + more


def budget_html(b: "Budget") -> str:
    """A budget as a table of years by rule, with totals."""
    rules = sorted({line.rule for line in b.lines})
    per = b.by("year", "rule")
    years = list(b.by_year())
    rows: list[tuple[Any, ...]] = [(y, *[per.get((y, r), 0) for r in rules], b.by_year()[y]) for y in years]
    rows.append(("合计 total", *[sum(per.get((y, r), 0) for y in years) for r in rules], b.total))
    head = (f"<p>Budget <strong>{html.escape(b.name)}</strong> as of {b.as_of} "
            f"(ruleset {html.escape(b.ruleset_id)} {html.escape(b.ruleset_version)}): "
            f"<strong>{b.total:,}</strong> 元 yuan, of which 待兑现 pending {b.pending:,}</p>")
    return STYLE + head + table(("年度 year", *rules, "合计 total"), rows, caption="分年度应付(元) yuan payable per year",
                                kinds=(YEAR,))


def comparison_html(c: "Comparison") -> str:
    """Totals, amounts per year and the most changed carriers of a comparison."""
    totals = c.totals()
    out = [STYLE, table(("方案 scenario", "已奖励 awarded", "待兑现 pending", "合计 total", f"与 {c.names[0]} 之差 difference from {c.names[0]}"),
                        [(n, t["awarded"], t["pending"], t["total"], t["difference"]) for n, t in totals.items()],
                        caption=f"{plural(len(c.carriers), 'carrier')}; yuan; every difference is from {c.names[0]!r}",
                        kinds=(None, None, None, None, SIGNED))]
    per = c.by("year")
    years = sorted({y for v in per.values() for y in v}, key=lambda y: (y is None, y))
    out.append(table(("年度 year", *c.names), [(y, *[per[n].get(y, 0) for n in c.names]) for y in years],
                     caption="分年度应付(元) yuan payable per year", kinds=(YEAR,)))
    for name in c.names[1:]:
        changed = c.changed(name)
        i = c.names.index(name)
        rows = [(r.carrier_id, r.carrier_name, r.area, r.kind, r.totals[0], r.totals[i], r.differences[i])
                for r in changed[:ROWS_SHOWN]]
        caption = f"{name}: {plural(len(changed), 'carrier changes', 'carriers change')}"
        out.append(table(("载体 carrier", "名称 name", "区域 area", "类型 kind", c.names[0], name, "差额 difference"),
                         rows, caption=caption, kinds=(None,) * 6 + (SIGNED,)))
    return "".join(out)


def assessment_html(a: "Assessment") -> str:
    """An assessment: each target with its Chinese and English title, the figures, attainment and status."""
    counts = {s: sum(1 for r in a.results if r.status == s) for s in TARGET_STATUS_ZH}
    summary = ", ".join(f"{TARGET_STATUS_ZH[s]} {s.replace('_', ' ')}: {n}" for s, n in counts.items() if n)
    head = (f"<p><strong>{html.escape(a.portfolio_name)}</strong> as of {a.as_of}: {plural(len(a.results), 'target')} "
            f"({html.escape(summary)})<br><small>targets {html.escape(a.ruleset_id)} {html.escape(a.ruleset_version)} "
            f"sha256:{a.ruleset_sha256[:12]}</small></p>")
    rows = [(_Html(_explained(r.target.title_zh, r.target.title_en)), r.target.area, r.target.milestone.due,
             _number(r.target.required), _number(r.actual), _number(r.gap),
             None if r.attainment is None else f"{percent(r.attainment)}%",
             _Html(_explained(TARGET_STATUS_ZH.get(r.status, r.status), r.status.replace("_", " "))))
            for r in a.results]
    headers = ("指标 target", "区域 area", "截止 due", "目标值 required", "实际值 actual", "差距 gap", "完成率 attained",
               "状态 status")
    return STYLE + head + table(headers, rows, kinds=(None, None, DATE))


def _number(value: Any) -> Any:
    return value if value is None or isinstance(value, int) else format(value, ",f")


def district_report_html(report: "DistrictReport") -> str:
    """A district report: the assessment, the carriers at risk and those ready to climb, in both languages."""
    out = [assessment_html(report.assessment)]
    rows = [(m.carrier_id, m.name, m.area, _Html(_explained(d.explanation_zh, d.explanation_en)),
             d.citations[0].clause if d.citations else None) for m in report.at_risk for d in m.at_risk]
    out.append(table(("载体 carrier", "名称 name", "区域 area", "说明 explanation", "条款 clause"), rows,
                     caption=f"风险载体 carriers at risk: {plural(len(report.at_risk), 'carrier')}"))
    names = {c.id: c.name for c in report.portfolio.carriers}
    rows = [(r.carrier_id, names.get(r.carrier_id), _Html(_explained(r.title_zh, r.title_en)), r.snapshot_date)
            for r in report.ready]
    out.append(table(("载体 carrier", "名称 name", "可申报 meets every criterion of", "统计日期 figures of"), rows,
                     caption=f"可晋级载体 ready to climb: {plural(len(report.ready), 'carrier')}", kinds=(None,) * 3 + (DATE,)))
    return "".join(out)


def scenario_html(s: "Scenario") -> str:
    """What a scenario changes, as a list."""
    items = []
    if s.description:
        items.append(html.escape(s.description))
    if s.as_of:
        items.append(f"截至 as of {s.as_of}")
    items += [f"读法 reading {html.escape(k)} = {html.escape(v)}" for k, v in s.readings.items()]
    items += [f"改为 set {html.escape(o.dotted)} = {_cell(o.value)}" for o in s.overrides]
    items += [f"事件 {e.action} event {html.escape(str(e.event))} of {html.escape(e.carrier)}" for e in s.edits]
    body = "".join(f"<li>{i}</li>" for i in items) or "<li>无变化 no changes</li>"
    return f"<p>方案 Scenario <strong>{html.escape(s.name)}</strong></p><ul>{body}</ul>"


# --- pandas ----------------------------------------------------------------------


def _pandas(feature: str) -> Any:
    return require("pandas", feature)


def _decision_record(ev: "Evaluation", d: "Decision") -> dict[str, Any]:
    return {
        "carrier_id": ev.carrier_id, "status": d.status, "rule": d.rule, "reason": d.reason, "amount": d.amount,
        "payable_on": d.payable_on, "level": None if d.level is None else d.level.value,
        "kind": None if d.kind is None else d.kind.value, "events": ", ".join(d.events),
        "clauses": ", ".join(c.clause for c in d.citations), "full_amount": d.full_amount,
        "already_received": d.already_received, "explanation_en": d.explanation_en, "explanation_zh": d.explanation_zh,
    }


_DECISION_COLUMNS = [
    "carrier_id", "status", "rule", "reason", "amount", "payable_on", "level", "kind", "events", "clauses",
    "full_amount", "already_received", "explanation_en", "explanation_zh",
]


MONEY = "Int64"  # pandas' nullable integer: whole yuan, missing as <NA>, never a float


def money(frame: Any, *columns: str) -> Any:
    """The frame with these columns as nullable integers (whole yuan)."""
    for c in columns:
        frame[c] = frame[c].astype(MONEY)
    return frame


def evaluation_frame(ev: "Evaluation") -> Any:
    """One row per decision of an evaluation."""
    pd = _pandas("Evaluation.to_frame()")
    records = [_decision_record(ev, d) for d in ev.awards + ev.pending + ev.not_awarded]
    return money(pd.DataFrame.from_records(records, columns=_DECISION_COLUMNS), "amount", "full_amount", "already_received")


def decisions_frame(evs: Iterable["Evaluation"]) -> Any:
    """One row per decision of many evaluations."""
    pd = _pandas("decisions_frame()")
    records = [_decision_record(ev, d) for ev in evs for d in ev.awards + ev.pending + ev.not_awarded]
    return money(pd.DataFrame.from_records(records, columns=_DECISION_COLUMNS), "amount", "full_amount", "already_received")


def frame_of(t: Table, index: str | None = None) -> Any:
    """A table as a DataFrame: yuan and counts as nullable integers, ratios as floats, other figures exact.

    A figure column holding only whole numbers becomes nullable integers; one with fractions keeps its Decimals.
    """
    pd = _pandas("to_frame()")
    data: dict[str, Any] = {}
    for i, c in enumerate(t.columns):
        if c.kind == WAN:
            continue
        values = [row[i] for row in t.rows]
        present = [v for v in values if v is not None]
        whole = all(isinstance(v, int) and not isinstance(v, bool) for v in present)
        if c.kind in (YUAN, INT) or (c.kind == NUMBER and whole):
            data[c.key] = pd.array(values, dtype=MONEY)
        elif c.kind == RATIO:
            data[c.key] = pd.array([None if v is None else float(v) for v in values], dtype="Float64")
        elif c.kind == NUMBER:
            data[c.key] = pd.Series(values, dtype=object)  # exact Decimals, as the library computes them
        else:
            data[c.key] = values
    frame = pd.DataFrame(data, index=range(len(t.rows)))
    return frame.set_index(index) if index else frame


def assessment_frame(a: "Assessment") -> Any:
    """One row per target: figures, attainment (a ratio), status and clause."""
    return frame_of(assessment_tables(a)[0], "target")


def at_risk_frame(report: "DistrictReport") -> Any:
    """One row per decision that puts a carrier at risk."""
    return frame_of(at_risk_table(report))


def ready_frame(report: "DistrictReport") -> Any:
    """One row per carrier and level whose every criterion it meets."""
    return frame_of(ready_table(report))


def evaluations_frame(evs: Iterable["Evaluation"]) -> Any:
    """One row per evaluation: the carrier, its totals and decision counts."""
    pd = _pandas("Evaluations.to_frame()")
    records = [
        {"carrier_id": e.carrier_id, "carrier_name": e.carrier_name, "as_of": e.as_of, "awarded": e.total,
         "pending": e.pending_total, "awards": len(e.awards), "pending_awards": len(e.pending),
         "not_awarded": len(e.not_awarded), "ruleset": f"{e.ruleset_id} {e.ruleset_version}"}
        for e in evs
    ]
    columns = ["carrier_id", "carrier_name", "as_of", "awarded", "pending", "awards", "pending_awards", "not_awarded", "ruleset"]
    return money(pd.DataFrame.from_records(records, columns=columns), "awarded", "pending").set_index("carrier_id")


def budget_frame(b: "Budget") -> Any:
    """One row per budget line."""
    pd = _pandas("Budget.to_frame()")
    columns = ["year", "rule", "area", "kind", "level", "status", "amount", "decisions"]
    frame = pd.DataFrame.from_records([{c: getattr(line, c) for c in columns} for line in b.lines], columns=columns)
    return money(frame, "amount", "decisions")


def budget_pivot(b: "Budget", rows: str, columns: str) -> Any:
    """Amounts with ``rows`` down and ``columns`` across, with totals."""
    pd = _pandas("Budget.pivot()")
    for name in (rows, columns):
        if name not in FIELDS:
            raise IncubatorRulesError(f"cannot pivot on {name!r}; expected one of: {', '.join(FIELDS)}", field="pivot")
    frame = budget_frame(b).fillna({"area": "—", "level": "—"})
    table = pd.pivot_table(frame, values="amount", index=rows, columns=columns, aggfunc="sum", fill_value=0,
                           margins=True, margins_name="total")
    return table.astype(MONEY)


def comparison_frame(c: "Comparison") -> Any:
    """One row per carrier: kind, area, total per scenario and the differences from the base."""
    pd = _pandas("Comparison.to_frame()")
    base = c.names[0]
    records = []
    for r in c.carriers:
        rec: dict[str, Any] = {"carrier_id": r.carrier_id, "name": r.carrier_name, "kind": r.kind, "area": r.area}
        rec.update(zip(c.names, r.totals))
        rec.update((f"{n} − {base}", d) for n, d in zip(c.names[1:], r.differences[1:]))
        records.append(rec)
    diffs = [f"{n} − {base}" for n in c.names[1:]]
    columns = ["carrier_id", "name", "kind", "area", *c.names, *diffs]
    return money(pd.DataFrame.from_records(records, columns=columns), *c.names, *diffs).set_index("carrier_id")


def comparison_totals_frame(c: "Comparison") -> Any:
    """One row per scenario: awarded, pending, total, difference from the base."""
    pd = _pandas("Comparison.totals_frame()")
    frame = pd.DataFrame.from_dict(c.totals(), orient="index", columns=["awarded", "pending", "total", "difference"])
    frame.index.name = "scenario"
    return frame.astype(MONEY)


def comparison_by_frame(c: "Comparison", field: str) -> Any:
    """Amounts by ``field`` (rows) and scenario (columns)."""
    pd = _pandas("Comparison.by_frame()")
    per = c.by(field)
    keys = sorted({k for v in per.values() for k in v}, key=lambda k: (k is None, str(k) if not isinstance(k, int) else f"{k:012d}"))
    frame = pd.DataFrame([[per[n].get(k, 0) for n in c.names] for k in keys], index=keys, columns=list(c.names))
    frame.index.name = field
    return frame.astype(MONEY)


# --- matplotlib ------------------------------------------------------------------


def budget_chart(budgets: Sequence["Budget"], by: str = "rule", ax: Any = None, title: str | None = None) -> Any:
    """Bars of the amount payable per year: one bar per budget, stacked by ``by`` (``scenario``: not stacked)."""
    if by != "scenario" and (by not in FIELDS or by == "year"):
        allowed = ", ".join(["scenario"] + [f for f in FIELDS if f != "year"])
        raise IncubatorRulesError(f"cannot stack by {by!r}; expected one of: {allowed}", field="by")
    plt = require("matplotlib.pyplot", "Charts")
    ticker = require("matplotlib.ticker", "Charts")
    years = sorted({y for b in budgets for y in b.by_year() if y is not None})
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6, len(years) * (0.7 + 0.45 * len(budgets))), 4.5))
    n = len(budgets)
    width = 0.8 / n
    palette = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0", "C1", "C2", "C3"])
    positions = list(range(len(years)))
    if by == "scenario":
        for i, b in enumerate(budgets):
            yearly = b.by_year()
            xs = [x - 0.4 + width * (i + 0.5) for x in positions]
            ax.bar(xs, [yearly.get(y, 0) for y in years], width, label=b.name, color=palette[i % len(palette)])
    else:
        groups = sorted({_label(k) for b in budgets for k in b.by(by)})
        colour = {g: palette[i % len(palette)] for i, g in enumerate(groups)}
        for i, b in enumerate(budgets):
            per: dict[tuple[Any, str], int] = {}
            for (y, k), amount in b.by("year", by).items():
                per[(y, _label(k))] = per.get((y, _label(k)), 0) + amount
            xs = [x - 0.4 + width * (i + 0.5) for x in positions]
            bottom = [0] * len(years)
            for g in groups:
                heights = [per.get((y, g), 0) for y in years]
                ax.bar(xs, heights, width, bottom=bottom, color=colour[g], label=g if i == 0 else None,
                       edgecolor="white", linewidth=0.5)
                bottom = [a + h for a, h in zip(bottom, heights)]
    if by != "scenario" and n > 1:
        # one letter under each bar, the years below them, and a key to the letters
        letters = [chr(ord("A") + i) if i < 26 else str(i + 1) for i in range(n)]
        ticks = [x - 0.4 + width * (i + 0.5) for x in positions for i in range(n)]
        ax.set_xticks(ticks)
        ax.set_xticklabels(letters * len(positions), fontsize=8)
        for x, y in zip(positions, years):
            ax.text(x, -0.1, str(y), transform=ax.get_xaxis_transform(), ha="center", va="top")
        key = "   ".join(f"{letter}: {b.name}" for letter, b in zip(letters, budgets))
        ax.text(0, -0.2, "\n".join(textwrap.wrap(key, 110)), transform=ax.transAxes, va="top", fontsize=8)
    else:
        ax.set_xticks(positions)
        ax.set_xticklabels([str(y) for y in years])
    ax.set_ylabel("应付(元) yuan payable")
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.legend(title=by, fontsize=8)
    ax.set_title(title or f"Payable per year by {by}" + (f" ({budgets[0].name})" if n == 1 else ""))
    ax.margins(y=0.12)
    fonts.apply(ax.figure)  # Chinese area and carrier names drawn in a CJK font, not as boxes
    return ax


def _label(value: Any) -> str:
    return "—" if value is None else str(value)
