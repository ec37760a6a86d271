"""Portfolios as CSV tables, the way a bureau keeps them: a folder with one CSV file per table.

The tables are those of a portfolio workbook (``files.workbook``), one file
each, named by the table's key or its Chinese name:

- ``carriers.csv`` (载体.csv, required): one row per carrier: ``id``, ``name``,
  ``kind``, ``area`` and a column per carrier fact (``model.facts``);
- ``events.csv`` (事件.csv): one row per event: ``carrier_id``, ``id`` (the
  event's id), ``type``, ``date``, then every field an event type may carry
  (``model.carrier.EVENT_TYPES``: ``level``, ``kind``, ``year``, ``grade``,
  ``amount``, ...), the fact events' fields, ``document`` and ``note``;
- ``payments.csv`` (拨付.csv): payments received, one row each, their type implied;
- ``snapshots.csv`` (统计.csv), ``designations.csv`` (称号.csv);
- ``portfolio.csv`` (组合.csv): ``field``/``value`` rows for the id, name and district.

A header cell is the column's key, its Chinese heading, or both
(``日期 (date)``); an empty cell is no value. Files are UTF-8 with or
without a byte-order mark (Excel's "CSV UTF-8"), read as strict CSV: a
stray quote is an error. Every error names the file, row and column.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

from ..documents import csv_reader
from ..errors import OutputError, PortfolioError
from ..model.portfolio import Portfolio
from .portfolio import read_csv_text
from ..output import output_path
from .schema import FileSchema
from .workbook import SHEETS, SheetReader, portfolio_rows

CSV_SUFFIX = ".csv"
# The file each table is kept in, by table: its key's name first, then its Chinese name.
TABLE_FILES: dict[str, tuple[str, str]] = {key: (f"{key}.csv", f"{zh}.csv") for key, (zh, _, _) in SHEETS.items()}


def tables_folder(path: str | Path) -> Path | None:
    """The folder of a CSV portfolio ``path`` names (the folder itself, or one of its tables), or None."""
    p = Path(path)
    if p.is_file() and p.suffix.lower() == CSV_SUFFIX and any(p.name in names for names in TABLE_FILES.values()):
        p = p.parent
    if p.is_dir() and any(_present(p / name) for name in TABLE_FILES["carriers"]):
        return p  # a carriers table that is not a file (a broken link) is the reader's error, not another format
    return None


def _present(path: Path) -> bool:
    """True when something is at ``path``: a file, a folder, a FIFO, or a symbolic link, broken or not."""
    return path.is_symlink() or path.exists()


def _what(path: Path) -> str:
    """What is at a path that is present: 'a file', 'a folder', 'a FIFO', 'a broken symbolic link', ..."""
    kinds = ((lambda p: not p.exists(), "a broken symbolic link"), (Path.is_file, "a file"), (Path.is_dir, "a folder"),
             (Path.is_fifo, "a FIFO"), (Path.is_socket, "a socket"))
    return next((what for test, what in kinds if test(path)), "a device")


def is_tables(path: str | Path) -> bool:
    """True when ``path`` is a CSV portfolio: a folder holding ``carriers.csv``, or one of its tables."""
    return tables_folder(path) is not None


def read_table_rows(path: str | Path) -> list[list[str]]:
    """The rows of one CSV table (a byte-order mark dropped); strict CSV, errors naming file and row."""
    file = str(path)
    text = read_csv_text(path, lambda message: PortfolioError(message, file=file))
    reader = csv_reader(text, file)
    try:
        return [row for row in reader]
    except csv.Error as exc:
        raise PortfolioError(f"not valid CSV: {exc}", file=file, line=reader.line_num) from None


def read_portfolio_tables(path: str | Path) -> Portfolio:
    """A portfolio from its CSV tables (see the module docstring); errors name ``file:row:column``."""
    folder = tables_folder(path)
    if folder is None:
        raise PortfolioError("not a CSV portfolio: expected a folder holding carriers.csv (载体.csv)", file=str(path))
    files: dict[str, str] = {}
    for key, names in TABLE_FILES.items():
        found = [folder / n for n in names if _present(folder / n)]
        if len(found) > 1:
            raise PortfolioError(f"two files for the {key} table: {found[0].name} and {found[1].name}", file=str(folder))
        if found and not found[0].is_file():  # never a table silently missing: its rows would be lost
            raise PortfolioError(f"{found[0].name} is {_what(found[0])}, not a CSV file; the {key} table cannot be read",
                                 file=str(found[0]))
        if found:
            files[key] = str(found[0])
    reader = SheetReader(str(folder), files)
    read = {key: reader.rows(key, read_table_rows(file), key) for key, file in files.items()}  # type: ignore[arg-type]
    return reader.portfolio(folder, read)  # without a portfolio table, named after the folder


def tables_of_data(data: Any, file: str | None = None) -> Portfolio:
    """A portfolio from tables given as plain data (what the ``portfolio-tables`` schema describes): a mapping
    of table name to its rows, each row a mapping of column to cell text."""
    if not isinstance(data, Mapping):
        raise PortfolioError(f"expected a mapping of tables ({', '.join(TABLE_FILES)})", file=file)
    grids: dict[str, list[list[Any]]] = {}
    for key, rows in data.items():
        if key not in TABLE_FILES:
            raise PortfolioError(f"unknown table {key!r}; expected one of: {', '.join(TABLE_FILES)}", field=str(key), file=file)
        if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
            raise PortfolioError("expected a list of rows, each a mapping of column to cell", field=str(key), file=file)
        header = list(dict.fromkeys(str(k) for r in rows for k in r))
        grids[key] = [header] + [[_text_cell(r.get(k)) for k in header] for r in rows]
    if "carriers" not in grids:
        raise PortfolioError("no carriers table", field="carriers", file=file)
    reader = SheetReader(file or "<tables>", {key: f"{key}.csv" for key in grids})
    read = {key: reader.rows(key, grid, key) for key, grid in grids.items()}
    return reader.portfolio(Path(file or "tables"), read)


def _text_cell(value: Any) -> Any:
    return None if value is None else value if isinstance(value, str) else _cell(value)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")  # exactly, never in exponent form
    return str(value)  # dates as YYYY-MM-DD


def table_text(key: str, rows: list[tuple[Any, ...]]) -> str:
    """One table as CSV text with a byte-order mark, its header the columns' keys."""
    out = io.StringIO()
    out.write("\ufeff")
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(list(SHEETS[key][1]))
    for row in rows:
        w.writerow([_cell(v) for v in row])
    return out.getvalue()


def write_portfolio_tables(portfolio: Portfolio, folder: str | Path, *, replace_special: bool = False) -> list[Path]:
    """Write a portfolio as CSV tables in ``folder`` (created if missing): every table, each file whole or not
    at all (one with no rows holds its header), so no table of an earlier portfolio is left beside them.
    Returns the files written."""
    target = Path(folder)
    if _present(target) and not target.is_dir():
        raise OutputError(f"cannot write CSV tables into {str(folder)!r}: it is {_what(target)}, not a folder",
                          field="output")
    try:
        target.mkdir(parents=False, exist_ok=True)
    except OSError as exc:
        raise PortfolioError(f"cannot create the folder: {exc.strerror or exc}", file=str(folder)) from None
    other = [target / zh for _, zh in TABLE_FILES.values() if (target / zh).exists()]
    if other:
        raise PortfolioError(f"the folder holds {other[0].name}, which would be read beside the tables written; "
                             "write into another folder", file=str(folder))
    written = []
    for key, rows in portfolio_rows(portfolio, payments_apart=False).items():
        path = target / TABLE_FILES[key][0]
        with output_path(path, replace_special=replace_special, field="output") as tmp:
            tmp.write_text(table_text(key, rows), encoding="utf-8", newline="")
        written.append(path)
    return written


def portfolio_tables_schema() -> FileSchema:
    """The JSON Schema of a portfolio's CSV tables as data (``schemas/portfolio-tables.schema.json``)."""
    return FileSchema(
        "portfolio-tables",
        "incubator-rules portfolio as CSV tables",
        "A portfolio kept as CSV tables (a folder: carriers.csv, events.csv, payments.csv, snapshots.csv, "
        "designations.csv, portfolio.csv; docs/formats.md), described as data: each table a list of rows, each row a "
        "mapping of column (its key or its Chinese heading) to cell text.",
        root={"type": "object", "required": ["carriers"], "additionalProperties": False, "properties": {
            key: {"type": "array", "description": f"{key}.csv ({zh}.csv)", "items": {
                "type": "object", "propertyNames": {"enum": sorted({*columns, *columns.values()})},
                "additionalProperties": {"type": ["string", "null"]}}}
            for key, (zh, columns, _) in SHEETS.items()
        }},
    )


__all__ = [
    "TABLE_FILES",
    "portfolio_tables_schema",
    "is_tables",
    "read_portfolio_tables",
    "read_table_rows",
    "table_text",
    "tables_of_data",
    "tables_folder",
    "write_portfolio_tables",
]
