"""Notebook views of a reconciliation: an HTML summary with the findings, and a DataFrame with integer money."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from .notebook import DATE, STYLE, _Html, require, table
from .tables import RECONCILE_STATUS_ZH

if TYPE_CHECKING:
    from ..district.reconcile import Reconciliation

MONEY_COLUMNS = ("amount", "due", "paid", "outstanding", "overpaid", "paid_early")
FRAME_COLUMNS = (
    "carrier_id", "status", "settled", "finding", "rule", "reason", "decision_status", "event", "level", *MONEY_COLUMNS,
    "payable_on", "days_outstanding", "payments", "explanation_en", "explanation_zh",
)


def reconciliation_frame(r: "Reconciliation") -> Any:
    """One row per line; money columns as pandas' nullable Int64, so no amount ever becomes a float."""
    pd = require("pandas", "Reconciliation.to_frame()")
    records = [
        {"carrier_id": line.carrier_id, "status": line.status, "settled": line.settled,
         "finding": line.finding, "rule": line.rule,
         "reason": line.reason, "decision_status": line.decision_status, "event": line.event, "level": line.level,
         **{m: getattr(line, m) for m in MONEY_COLUMNS}, "payable_on": line.payable_on,
         "days_outstanding": line.days_outstanding,
         "payments": "; ".join(f"{p.ref} {p.date.isoformat()} {p.amount}" for p in line.payments),
         "explanation_en": line.explanation_en, "explanation_zh": line.explanation_zh}
        for line in r.lines
    ]
    frame = pd.DataFrame.from_records(records, columns=list(FRAME_COLUMNS))
    return frame.astype({m: "Int64" for m in (*MONEY_COLUMNS, "days_outstanding")})


def reconciliation_html(r: "Reconciliation") -> str:
    """The totals, then every line that is a finding (all lines when everything is settled), in both languages."""
    verdict = "已结清 settled" if r.settled else "<strong>未结清 unsettled</strong>"
    head = (f"<p>拨付核对 Reconciliation as of {r.as_of} (ruleset {html.escape(r.ruleset_id)} {html.escape(r.ruleset_version)}, "
            f"payments from {html.escape(r.payments_from)}): {verdict}</p>")
    totals = table(list(r.totals), [list(r.totals.values())], "合计(元) totals (yuan)")
    shown = list(r.findings) or list(r.lines)
    rows = [(line.carrier_id, _Html(f"{html.escape(RECONCILE_STATUS_ZH.get(line.status, line.status))}<br>"
                                    f"<span class='en'>{html.escape(line.status.replace('_', ' '))}</span>"),
             line.rule or "payment", line.event, line.amount, line.paid, line.outstanding,
             line.overpaid, line.paid_early, line.payable_on, line.days_outstanding,
             _Html(f"{html.escape(line.explanation_zh)}<br><span class='en'>{html.escape(line.explanation_en)}</span>"))
            for line in shown]
    lines = table(["载体 carrier", "结果 status", "规则 rule", "事件 event", "核定 amount", "已付 paid", "未付 outstanding",
                   "超付 overpaid", "提前付 paid early", "应付日期 payable on", "天数 days", "说明 why"], rows,
                  "核对发现 findings" if r.findings else "全部 lines", kinds=(None,) * 9 + (DATE,))
    return STYLE + head + totals + lines
