"""Notebook views: HTML tables (no dependencies), pandas DataFrames and matplotlib charts (the ``notebook`` extra)."""

from __future__ import annotations

import html
import importlib
import textwrap
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from ..errors import IncubatorRulesError
from ..whatif.budget import FIELDS

if TYPE_CHECKING:
    from ..engines.batch import Evaluations
    from ..whatif.budget import Budget
    from ..model.decision import Decision, Evaluation
    from ..whatif.scenario import Comparison, Scenario

EXTRA = "notebook"
ROWS_SHOWN = 20


class MissingExtraError(IncubatorRulesError, ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""


def require(module: str, feature: str) -> Any:
    """Import ``module`` for ``feature``, or raise MissingExtraError naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        raise MissingExtraError(
            f"{feature} needs {top}, which is not installed; install it with: "
            f"pip install 'incubator-rules[{EXTRA}]'"
        ) from None


# --- HTML ----------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return html.escape(str(value))


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], caption: str | None = None) -> str:
    """An HTML table; integers right-aligned with thousands separators."""
    out = ['<table class="incubator-rules">']
    if caption:
        out.append(f"<caption style='text-align:left'>{html.escape(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr></thead><tbody>")
    for row in rows:
        cells = []
        for value in row:
            align = "right" if isinstance(value, int) and not isinstance(value, bool) else "left"
            cells.append(f"<td style='text-align:{align}'>{_cell(value)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _decision_row(d: "Decision") -> tuple[Any, ...]:
    clause = d.citations[0].clause if d.citations else None
    amount = d.amount if d.status != "not_awarded" else None
    return (d.status.replace("_", " "), d.payable_on, amount, d.rule, d.reason.replace("_", " "), d.explanation_en, clause)


def evaluation_html(ev: "Evaluation") -> str:
    """An evaluation as an HTML summary and a table of its decisions."""
    head = (
        f"<p><strong>{html.escape(ev.carrier_name)}</strong> ({html.escape(ev.carrier_id)}) as of {ev.as_of}: "
        f"awarded <strong>{ev.total:,}</strong> yuan, pending {ev.pending_total:,} yuan<br>"
        f"<small>ruleset {html.escape(ev.ruleset_id)} {html.escape(ev.ruleset_version)} "
        f"sha256:{ev.ruleset_sha256[:12]}, engine {html.escape(ev.engine)}</small></p>"
    )
    rows = [_decision_row(d) for d in ev.awards + ev.pending + ev.not_awarded]
    return head + table(("status", "payable on", "amount (yuan)", "rule", "reason", "explanation", "clause"), rows)


def evaluations_html(evs: "Evaluations") -> str:
    """A portfolio's evaluations: totals and one row per carrier (the first rows)."""
    head = f"<p>{len(evs):,} evaluations: awarded <strong>{evs.total:,}</strong> yuan, pending {evs.pending_total:,} yuan</p>"
    rows = [(e.carrier_id, e.carrier_name, e.total, e.pending_total, len(e.awards), len(e.pending), len(e.not_awarded))
            for e in evs[:ROWS_SHOWN]]
    more = f"<p>… and {len(evs) - ROWS_SHOWN:,} more (use to_frame())</p>" if len(evs) > ROWS_SHOWN else ""
    return head + table(("carrier", "name", "awarded", "pending", "awards", "pending", "not awarded"), rows) + more


def budget_html(b: "Budget") -> str:
    """A budget as a table of years by rule, with totals."""
    rules = sorted({line.rule for line in b.lines})
    per = b.by("year", "rule")
    years = list(b.by_year())
    rows: list[tuple[Any, ...]] = [(y, *[per.get((y, r), 0) for r in rules], b.by_year()[y]) for y in years]
    rows.append(("total", *[sum(per.get((y, r), 0) for y in years) for r in rules], b.total))
    head = (f"<p>Budget <strong>{html.escape(b.name)}</strong> as of {b.as_of} "
            f"(ruleset {html.escape(b.ruleset_id)} {html.escape(b.ruleset_version)}): "
            f"<strong>{b.total:,}</strong> yuan, of which pending {b.pending:,}</p>")
    return head + table(("year", *rules, "total"), rows, caption="yuan payable per year")


def comparison_html(c: "Comparison") -> str:
    """Totals, amounts per year and the most changed carriers of a comparison."""
    totals = c.totals()
    out = [table(("scenario", "awarded", "pending", "total", f"difference from {c.names[0]}"),
                 [(n, t["awarded"], t["pending"], t["total"], t["difference"]) for n, t in totals.items()],
                 caption=f"{len(c.carriers):,} carriers")]
    per = c.by("year")
    years = sorted({y for v in per.values() for y in v}, key=lambda y: (y is None, y))
    out.append(table(("year", *c.names), [(y, *[per[n].get(y, 0) for n in c.names]) for y in years],
                     caption="yuan payable per year"))
    for name in c.names[1:]:
        changed = c.changed(name)
        i = c.names.index(name)
        rows = [(r.carrier_id, r.carrier_name, r.area, r.kind, r.totals[0], r.totals[i], r.differences[i])
                for r in changed[:ROWS_SHOWN]]
        caption = f"{name}: {len(changed):,} carriers change"
        out.append(table(("carrier", "name", "area", "kind", c.names[0], name, "difference"), rows, caption=caption))
    return "".join(out)


def scenario_html(s: "Scenario") -> str:
    """What a scenario changes, as a list."""
    items = []
    if s.description:
        items.append(html.escape(s.description))
    if s.as_of:
        items.append(f"as of {s.as_of}")
    items += [f"reading {html.escape(k)} = {html.escape(v)}" for k, v in s.readings.items()]
    items += [f"set {html.escape(o.dotted)} = {_cell(o.value)}" for o in s.overrides]
    items += [f"{e.action} event {html.escape(str(e.event))} of {html.escape(e.carrier)}" for e in s.edits]
    body = "".join(f"<li>{i}</li>" for i in items) or "<li>no changes</li>"
    return f"<p>Scenario <strong>{html.escape(s.name)}</strong></p><ul>{body}</ul>"


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


def evaluation_frame(ev: "Evaluation") -> Any:
    """One row per decision of an evaluation."""
    pd = _pandas("Evaluation.to_frame()")
    records = [_decision_record(ev, d) for d in ev.awards + ev.pending + ev.not_awarded]
    return pd.DataFrame.from_records(records, columns=_DECISION_COLUMNS)


def decisions_frame(evs: Iterable["Evaluation"]) -> Any:
    """One row per decision of many evaluations."""
    pd = _pandas("decisions_frame()")
    records = [_decision_record(ev, d) for ev in evs for d in ev.awards + ev.pending + ev.not_awarded]
    return pd.DataFrame.from_records(records, columns=_DECISION_COLUMNS)


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
    return pd.DataFrame.from_records(records, columns=columns).set_index("carrier_id")


def budget_frame(b: "Budget") -> Any:
    """One row per budget line."""
    pd = _pandas("Budget.to_frame()")
    columns = ["year", "rule", "area", "kind", "level", "status", "amount", "decisions"]
    return pd.DataFrame.from_records([{c: getattr(line, c) for c in columns} for line in b.lines], columns=columns)


def budget_pivot(b: "Budget", rows: str, columns: str) -> Any:
    """Amounts with ``rows`` down and ``columns`` across, with totals."""
    pd = _pandas("Budget.pivot()")
    for name in (rows, columns):
        if name not in FIELDS:
            raise IncubatorRulesError(f"cannot pivot on {name!r}; expected one of: {', '.join(FIELDS)}", field="pivot")
    frame = budget_frame(b).fillna({"area": "—", "level": "—"})
    return pd.pivot_table(frame, values="amount", index=rows, columns=columns, aggfunc="sum", fill_value=0,
                          margins=True, margins_name="total")


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
    columns = ["carrier_id", "name", "kind", "area", *c.names, *[f"{n} − {base}" for n in c.names[1:]]]
    return pd.DataFrame.from_records(records, columns=columns).set_index("carrier_id")


def comparison_totals_frame(c: "Comparison") -> Any:
    """One row per scenario: awarded, pending, total, difference from the base."""
    pd = _pandas("Comparison.totals_frame()")
    frame = pd.DataFrame.from_dict(c.totals(), orient="index", columns=["awarded", "pending", "total", "difference"])
    frame.index.name = "scenario"
    return frame


def comparison_by_frame(c: "Comparison", field: str) -> Any:
    """Amounts by ``field`` (rows) and scenario (columns)."""
    pd = _pandas("Comparison.by_frame()")
    per = c.by(field)
    keys = sorted({k for v in per.values() for k in v}, key=lambda k: (k is None, str(k) if not isinstance(k, int) else f"{k:012d}"))
    frame = pd.DataFrame([[per[n].get(k, 0) for n in c.names] for k in keys], index=keys, columns=list(c.names))
    frame.index.name = field
    return frame


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
    ax.set_ylabel("yuan payable")
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.legend(title=by, fontsize=8)
    ax.set_title(title or f"Payable per year by {by}" + (f" ({budgets[0].name})" if n == 1 else ""))
    ax.margins(y=0.12)
    return ax


def _label(value: Any) -> str:
    return "—" if value is None else str(value)
