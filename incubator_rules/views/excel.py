"""Results written as Excel workbooks (the ``excel`` extra, openpyxl): one sheet per table.

Each sheet has a bilingual header row that stays frozen, real number and date
cells, amounts in yuan with a 万元 column beside them and column widths that
fit Chinese text; ``write_portfolio_workbook`` writes a portfolio as the
sheets ``files.workbook`` reads back.
"""

from __future__ import annotations

import datetime
import unicodedata
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ..district.assessment import Assessment
from ..district.reconcile import Reconciliation
from ..district.report import DistrictReport
from ..engines.batch import Evaluations
from ..errors import IncubatorRulesError, require
from ..files.workbook import EXTRA, SHEETS, portfolio_rows
from ..model.facts import CARRIER_FACTS, EVENT_FACTS
from ..model.decision import Evaluation
from ..model.portfolio import METRICS, Portfolio
from ..whatif.budget import Budget
from ..whatif.scenario import Comparison
from . import tables as t
from .outfile import write_whole
from .tables import DATE, INT, NUMBER, RATIO, WAN, YUAN, Column, Table, wan


# --- writing -------------------------------------------------------------------------

_FORMATS = {YUAN: "#,##0", WAN: "#,##0.00##", DATE: "yyyy-mm-dd", INT: "0", NUMBER: "#,##0.####", RATIO: "0.00%"}
MAX_WIDTH = 60


def display_width(text: str) -> int:
    """Columns ``text`` takes in a spreadsheet cell, counting Chinese characters as two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == WAN and isinstance(value, int):
        return wan(value)
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return value


def _shown(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == YUAN and isinstance(value, int):
        return f"{value:,}"
    if kind == RATIO:
        return "100.00%"
    if isinstance(value, datetime.date):
        return "2024-12-31"
    return str(value)


def add_sheet(book: Any, table: Table) -> Any:
    """One table as a worksheet: a bilingual header row (frozen), typed cells, widths that fit Chinese text."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = book.create_sheet(table.name[:31])
    ws.append([f"{c.zh}\n{c.en}" for c in table.columns])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in table.rows:
        ws.append([_cell_value(v, c.kind) for v, c in zip(row, table.columns)])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text, never a formula (a carrier named "=..." stays a name)
    for i, column in enumerate(table.columns, start=1):
        letter = get_column_letter(i)
        fmt = _FORMATS.get(column.kind)
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                if not isinstance(cell.value, str):
                    cell.number_format = fmt
        widest = max([display_width(column.zh), display_width(column.en)]
                     + [display_width(_shown(r[i - 1], column.kind)) for r in table.rows] or [8])
        ws.column_dimensions[letter].width = min(widest + 2, MAX_WIDTH)
    ws.row_dimensions[1].height = 30
    ws.freeze_panes = "A2"
    if table.rows:
        ws.auto_filter.ref = ws.dimensions
    return ws


def write_tables(path: str | Path, tables: Sequence[Table]) -> Path:
    """Write tables as sheets of a new workbook; the file appears whole or not at all."""
    openpyxl = require("openpyxl", "Writing Excel", EXTRA)
    target = Path(path)
    book = openpyxl.Workbook()
    book.remove(book.active)
    for t in tables:
        add_sheet(book, t)
    return write_whole(target, book.save)


def write_excel(result: Any, path: str | Path) -> Path:
    """Write an evaluation, evaluations, assessment, district report, budget(s) or comparison to ``.xlsx``."""
    return write_tables(path, tables_of(result))


def tables_of(result: Any) -> list[Table]:
    """The tables a result is written as (Excel sheets, CSV sections)."""
    if isinstance(result, Evaluation):
        return t.evaluation_tables(result)
    if isinstance(result, Evaluations) or (isinstance(result, (list, tuple)) and result
                                           and all(isinstance(e, Evaluation) for e in result)):
        return t.evaluations_tables(result)
    if isinstance(result, DistrictReport):
        return t.report_tables(result)
    if isinstance(result, Assessment):
        return t.assessment_tables(result)
    if isinstance(result, Reconciliation):
        return t.reconciliation_tables(result)
    if isinstance(result, Comparison):
        return t.comparison_tables(result)
    if isinstance(result, Budget) or (isinstance(result, (list, tuple)) and result
                                      and all(isinstance(b, Budget) for b in result)):
        return t.budget_tables(result)
    raise IncubatorRulesError(f"cannot write {type(result).__name__} as tables", field="result")


# --- the template ----------------------------------------------------------------------

README_LINES = (
    "载体组合工作簿 / A portfolio workbook for incubator-rules (one sheet per kind of row; the first row of each sheet is its header).",
    "组合 portfolio: rows of field/value: id, name, district (the district must match the targets' jurisdiction).",
    "载体 carriers: one row per carrier: id, name, kind (maker_space, incubator, star_innovation_space, ...), area, "
    "and a column per fact that does not change (场地面积 floor_area_m2, 认定面积 accredited_area_m2, 建成日期 completed_on, ...).",
    "事件 events: one row per event: carrier_id, type (operation_started, accredited, filed, evaluated, suspended, "
    "resumed, rectification_ordered, rectification_completed, delisted, and the fact events tenancy, firm_introduced, "
    "firm_certified, spending, investment, task_result, title_awarded, designated), date, level, year and grade for "
    "evaluations, and the fact events' own columns (企业 firm, 租用面积 area_m2, ...).",
    "载体事实 facts: a fact that changes over time, one row per carrier, fact and date it holds from: carrier_id, fact "
    "(key or Chinese name), from, value; a fact is given either here or in its carriers column, not both.",
    "拨付 payments: one row per payment already received: carrier_id, date, level, amount in whole yuan.",
    "统计 snapshots: one row per carrier and date: the statistics reported (an empty cell means not reported).",
    "称号 designations: carrier_id, tag (featured, specialised), date, until.",
    "Dates are date cells or YYYY-MM-DD text; amounts are whole yuan; a header may be the key, the Chinese heading or both.",
    "Errors name the cell: file.xlsx:events!C5: date: ... . Rebuild this file with: incubator-rules workbook PORTFOLIO -o FILE.xlsx",
)


def portfolio_tables(portfolio: Portfolio) -> list[Table]:
    """A portfolio as the sheets ``read_portfolio_workbook`` reads back."""
    def cols(key: str, kinds: Mapping[str, str] | None = None) -> tuple[Column, ...]:
        columns = SHEETS[key][1]
        return tuple(Column(k, zh, k, (kinds or {}).get(k, "text")) for k, zh in columns.items())

    rows = portfolio_rows(portfolio)
    info, carriers, events, payments, snaps, tags, facts = (rows[k] for k in (
        "portfolio", "carriers", "events", "payments", "snapshots", "designations", "facts"))
    date = {"date": DATE, "until": DATE}
    fact_kinds = {k: DATE if f.type == "date" else NUMBER if f.type in ("number", "yuan", "price") else "text" for k, f in CARRIER_FACTS.items()}
    event_kinds = {k: DATE if f.type == "date" else NUMBER if f.type in ("number", "yuan", "price") else "text"
                   for fields in EVENT_FACTS.values() for k, f in fields.items()}
    return [
        Table("portfolio", "组合", "portfolio", cols("portfolio"), tuple(info)),
        Table("carriers", "载体", "carriers", cols("carriers", fact_kinds), tuple(carriers)),
        Table("events", "事件", "events", cols("events", {**event_kinds, **date, "year": INT}), tuple(events)),
        Table("payments", "拨付", "payments", cols("payments", {**date, "amount": YUAN}), tuple(payments)),
        Table("snapshots", "统计", "snapshots", cols("snapshots", {**date, **{m: NUMBER for m in METRICS}}), tuple(snaps)),
        Table("designations", "称号", "designations", cols("designations", date), tuple(tags)),
    ] + ([Table("facts", "载体事实", "facts", cols("facts", {"from": DATE, "value": "text"}), tuple(facts))] if facts else [])


def write_portfolio_workbook(portfolio: Portfolio, path: str | Path, readme: Iterable[str] = ()) -> Path:
    """Write a portfolio as a workbook that ``load_portfolio`` reads back into an equal portfolio."""
    tables = portfolio_tables(portfolio)
    lines = tuple(readme)
    if lines:
        tables.append(Table("README", "说明", "how to fill in", (Column("text", "说明", "notes"),),
                            tuple((line,) for line in lines)))
    return write_tables(path, tables)


__all__ = [
    "README_LINES",
    "add_sheet",
    "display_width",
    "portfolio_tables",
    "tables_of",
    "write_excel",
    "write_portfolio_workbook",
    "write_tables",
]
