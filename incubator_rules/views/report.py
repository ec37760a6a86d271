"""The printable report (the ``report`` extra, Jinja2; PDF with the ``pdf`` extra, WeasyPrint).

A carrier statement lists what a carrier is awarded, what is pending and what
is not awarded and why, each with its Chinese sentence and the clause it
rests on. A district report gives the plan targets with their status, the
carriers at risk, those ready to climb, and the yuan payable per year with a
chart. Both are bilingual (Chinese first, English beside) and print the
ruleset id, version, content hash and as-of date in the footer of every page.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from ..district.assessment import percent
from ..district.reconcile import Reconciliation
from ..district.report import DistrictReport
from ..errors import IncubatorRulesError, MissingExtraError
from ..model.decision import Evaluation
from ..whatif.budget import Budget
from .outfile import write_whole
from .svg import FONT_FAMILY, bar_chart
from .tables import RECONCILE_STATUS_ZH, STATUS_ZH, TARGET_STATUS_ZH, wan

if TYPE_CHECKING:
    from ..engines.batch import Evaluations

FORMATS = ("html", "pdf")
# Short Chinese names of the outcomes of the shipped rule kinds; the decision's own sentence says the rest.
REASON_ZH = {
    "awarded": "给予奖励", "pending": "待满足条件", "already_awarded": "已获奖励", "delisted": "已撤销",
    "delisted_before_year": "年度前已撤销", "interrupted": "运行中断", "kind_not_covered": "载体类型不适用",
    "level_already_paid": "该级别已支持", "level_not_covered": "级别不适用", "no_difference": "无差额",
    "not_excellent": "评价非优秀", "outside_window": "不在政策期内",
}


def _jinja() -> Any:
    try:
        import jinja2
    except ImportError:
        raise MissingExtraError(
            "Reports need jinja2, which is not installed; install it with: pip install 'incubator-rules[report]'"
        ) from None
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("incubator_rules.views", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["yuan"] = lambda v: "—" if v is None else f"{v:,}"
    env.filters["wan"] = lambda v: "—" if v is None else format(wan(v), ",f")
    env.filters["day"] = lambda v: "—" if v is None else v.isoformat()
    env.filters["num"] = lambda v: "—" if v is None else (f"{v:,}" if isinstance(v, int) else format(v, ",f"))
    env.filters["pct"] = lambda v: "—" if v is None else f"{percent(v)}%"
    env.globals.update(status_zh=STATUS_ZH, target_status_zh=TARGET_STATUS_ZH, reason_zh=REASON_ZH,
                       font_family=FONT_FAMILY)
    return env


def _footer(ruleset_id: str, version: str, sha256: str, as_of: datetime.date, more: Sequence[str] = ()) -> str:
    parts = [f"规则 ruleset {ruleset_id} {version} · sha256 {sha256}", *more, f"截至 as of {as_of.isoformat()}"]
    return " · ".join(parts)


def _statement(ev: Evaluation) -> dict[str, Any]:
    sections = [("awarded", "已奖励", "Awarded", ev.awards), ("pending", "待兑现", "Pending", ev.pending),
                ("not_awarded", "未奖励", "Not awarded", ev.not_awarded)]
    return {"ev": ev, "sections": sections}


def carrier_statement(ev: Evaluation, title: str | None = None) -> str:
    """One carrier's evaluation as a printable bilingual HTML page."""
    return carrier_statements([ev], title or f"{ev.carrier_name} 奖励核定表 / award statement")


def carrier_statements(evs: "Sequence[Evaluation] | Evaluations", title: str) -> str:
    """Many carriers' statements in one document, each on its own pages."""
    evs = list(evs)
    if not evs:
        raise IncubatorRulesError("no evaluations to report", field="evaluations")
    first = evs[0]
    return _jinja().get_template("carriers.html.j2").render(
        title=title, statements=[_statement(e) for e in evs],
        footer=_footer(first.ruleset_id, first.ruleset_version, first.ruleset_sha256, first.as_of),
        generated=first.as_of,
    )


def _payable(b: Budget) -> list[tuple[int, int, int]]:
    awarded = b.by("year", status="awarded")
    pending = b.by("year", status="pending")
    years = sorted({y for y in list(awarded) + list(pending) if y is not None})
    return [(y, awarded.get(y, 0), pending.get(y, 0)) for y in years]


def district_document(
    report: DistrictReport, evaluations: "Sequence[Evaluation] | Evaluations | None" = None,
    statements: bool = False,
) -> str:
    """The district report as a printable bilingual HTML page.

    ``evaluations`` (the portfolio's carriers evaluated against a reward
    ruleset on the report date) give the yuan payable per year and its chart;
    with ``statements`` every carrier's statement follows on its own pages.
    """
    a = report.assessment
    evs = list(evaluations) if evaluations is not None else []
    money = None
    more = [f"目标 targets {a.ruleset_id} {a.ruleset_version} · sha256 {a.ruleset_sha256}"]
    footer = _footer(a.ruleset_id, a.ruleset_version, a.ruleset_sha256, a.as_of)
    if evs:
        e = evs[0]
        if e.as_of != a.as_of:
            raise IncubatorRulesError(f"the evaluations are as of {e.as_of}, the assessment as of {a.as_of}; "
                                      "a report holds one date", field="evaluations")
        b = Budget.of(evs, {c.id: c.area for c in report.portfolio.carriers})
        rows = _payable(b)
        money = {
            "budget": b, "rows": rows, "awarded": b.awarded, "pending": b.pending, "total": b.total,
            "chart": bar_chart([(str(y), aw, pe) for y, aw, pe in rows], "分年度应付(万元)/ payable per year"),
            "ruleset": f"{e.ruleset_id} {e.ruleset_version}",
            "carriers": [(x.carrier_id, x.carrier_name, x.total, x.pending_total) for x in evs],
        }
        footer = _footer(e.ruleset_id, e.ruleset_version, e.ruleset_sha256, a.as_of, more)
    names = {c.id: c.name for c in report.portfolio.carriers}
    return _jinja().get_template("district.html.j2").render(
        title=f"{a.portfolio_name} 孵化载体年度报告 / district report", report=report, a=a, money=money,
        names=names, footer=footer, statements=[_statement(e) for e in evs] if statements else [],
        areas=a.by_area(), district_results=[r for r in a.results if r.target.area is None],
    )


RECONCILE_MONEY = (
    ("due", "应付", "due"), ("paid", "已付", "paid"), ("outstanding", "未付", "outstanding"),
    ("overpaid", "超付", "overpaid"), ("paid_early", "提前付", "paid early"), ("unmatched", "无对应", "unmatched"),
)


def reconciliation_statement(r: Reconciliation) -> str:
    """A reconciliation as a printable bilingual HTML page: the totals, then every carrier's lines."""
    return _jinja().get_template("reconciliation.html.j2").render(
        title=f"拨付核对表 / reconciliation statement {r.as_of.isoformat()}", r=r, money_keys=RECONCILE_MONEY,
        status_zh=RECONCILE_STATUS_ZH, footer=_footer(r.ruleset_id, r.ruleset_version, r.ruleset_sha256, r.as_of),
    )


def write_pdf(html: str, path: str | Path) -> Path:
    """Render report HTML to a PDF file (WeasyPrint); the file appears whole or not at all."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: the pango library is missing
        raise MissingExtraError(
            f"PDF output needs WeasyPrint ({exc.__class__.__name__}: {exc}); install it with: "
            "pip install 'incubator-rules[pdf]' (and, on Debian, apt-get install libpango-1.0-0 libpangoft2-1.0-0)"
        ) from None
    return write_whole(path, lambda tmp: weasyprint.HTML(string=html).write_pdf(tmp))
