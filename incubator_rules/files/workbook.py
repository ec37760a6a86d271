"""Portfolios in Excel workbooks (the ``excel`` extra, openpyxl), read into the same plain data a YAML portfolio holds.

A portfolio workbook has a sheet per kind of row, each with a header row:
``carriers`` (one row per carrier, with a column for each static fact of
``model.facts.CARRIER_FACTS``), ``events`` (one row per event, with a column
for each field of a fact event, ``EVENT_FACTS``), ``payments`` (one row per
payment already received), ``snapshots`` (one row per carrier and date) and,
optionally, ``facts`` (one row per carrier, fact and date it holds from: a
dated fact), ``designations`` and ``portfolio`` (``field``/``value`` rows
for the id, name and district). A header cell is the
column's key (``date``), its Chinese heading (``日期``) or both
(``日期 (date)``); sheets may also be named in Chinese (载体, 事件, 拨付, 统计,
称号, 组合). The rows go through ``portfolio_from_dict``, and every error
names the workbook, sheet and cell: ``file:sheet!cell: field: message``.
"""

from __future__ import annotations

import datetime
import enum
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Mapping

import attrs

from ..errors import IncubatorRulesError, PortfolioError, require
from ..model.carrier import EventType, event_fields
from ..model.facts import CARRIER_FACTS, EVENT_FACTS, Dated, FactSpec, did_you_mean
from ..model.portfolio import METRICS, Portfolio
from .portfolio import portfolio_from_dict

EXTRA = "excel"
SUFFIXES = (".xlsx", ".xlsm")
MAX_WORKBOOK_BYTES = 64 * 1024 * 1024
MAX_ROWS = 500_000  # per sheet: more than any district holds, less than would exhaust memory


def is_workbook(path: str | Path) -> bool:
    """True when ``path`` names an Excel workbook (by its suffix)."""
    return Path(path).suffix.lower() in SUFFIXES


class WorkbookError(PortfolioError):
    """A problem in a portfolio workbook, located by sheet and cell (``line`` is the row, ``column`` its number)."""

    def __init__(
        self, message: str, *, file: str | None = None, sheet: str | None = None, cell: str | None = None,
        field: str | None = None, line: int | None = None, column: int | None = None,
    ) -> None:
        self.sheet = sheet or ""
        if cell is None:
            cell = f"{_letter((column or 1) - 1)}{line or 1}"
        self.cell = cell
        row = int(re.sub(r"[A-Z]+", "", cell) or 0) or None
        col = 0
        for ch in re.sub(r"\d+", "", cell):
            col = col * 26 + ord(ch) - 64
        super().__init__(message, field=field, file=file, line=row, column=col or None)

    def __str__(self) -> str:
        field = f"{self.field}: " if self.field else ""
        return f"{self.file}:{self.sheet}!{self.cell}: {field}{self.message}"


# --- reading ---------------------------------------------------------------------

_CARRIER_FIELDS = {"id": "载体编号", "name": "载体名称", "kind": "载体类型", "area": "所在区域"}
# Chinese headings of event fields; a field without one is headed by its key.
EVENT_HEADINGS = {
    "carrier_id": "载体编号", "id": "事件编号", "type": "事件类型", "date": "日期", "level": "级别", "kind": "认定类型",
    "year": "年度", "grade": "评价等次", "amount": "金额(元)", "award": "支持类别", "plan": "政策", "payer": "拨付单位",
    "settles": "对应事件", "voucher": "凭证号", "document": "文号", "note": "备注",
}


def _event_columns(types: Iterable[EventType], drop: tuple[str, ...] = ()) -> dict[str, str]:
    """The columns of a sheet of events: the carrier, then every field these event types may have (model.carrier),
    their facts (model.facts) and the free text."""
    types = list(types)
    keys = ["carrier_id"]
    headings = dict(EVENT_HEADINGS)
    for etype in types:
        keys += [f for f in event_fields(etype) if f not in keys and f not in drop]
    for etype in types:
        for name, spec in EVENT_FACTS.get(etype.value, {}).items():
            if name not in keys:
                keys.append(name)
                headings.setdefault(name, spec.zh)
    keys = [k for k in keys if k not in _LAST] + [k for k in _LAST if k in keys]
    return _unique_headings({k: headings.get(k, k) for k in keys})


def _unique_headings(columns: dict[str, str]) -> dict[str, str]:
    """Each column's Chinese heading, or its key where two columns would share a heading."""
    counts: dict[str, int] = {}
    for heading in columns.values():
        counts[heading] = counts.get(heading, 0) + 1
    return {k: (h if counts[h] == 1 else k) for k, h in columns.items()}


_CARRIER = _unique_headings({**_CARRIER_FIELDS, **{name: spec.zh for name, spec in CARRIER_FACTS.items()}})


_LAST = ("document", "note")  # the free text, after the fields that decide


# Every event on the events sheet (a workbook keeps payments on their own sheet, their type implied).
_EVENT = _event_columns(list(EventType))
_PAYMENT = {**_event_columns([EventType.PAYMENT_RECEIVED], drop=("type",)), "date": "拨付日期"}
_SNAPSHOT = {"carrier_id": "载体编号", "date": "日期", **{m.name: m.label_zh for m in METRICS.values()}}
_DESIGNATION = {"carrier_id": "载体编号", "tag": "称号", "date": "起始日期", "until": "截止日期", "note": "备注"}
_FACT = {"carrier_id": "载体编号", "fact": "事实", "from": "起始日期", "value": "值"}
_PORTFOLIO = {"field": "项目", "value": "值"}

# sheet key -> (Chinese name, columns, required columns)
SHEETS: dict[str, tuple[str, Mapping[str, str], tuple[str, ...]]] = {
    "portfolio": ("组合", _PORTFOLIO, ("field", "value")),
    "carriers": ("载体", _CARRIER, ("id",)),
    "events": ("事件", _EVENT, ("carrier_id", "type", "date")),
    "payments": ("拨付", _PAYMENT, ("carrier_id", "date", "amount")),
    "snapshots": ("统计", _SNAPSHOT, ("carrier_id", "date")),
    "designations": ("称号", _DESIGNATION, ("carrier_id", "tag", "date")),
    "facts": ("载体事实", _FACT, ("carrier_id", "fact", "from", "value")),
}
IGNORED_SHEETS = ("readme", "说明", "notes")
_NUMBERS = ("number", "yuan", "price")
_FACT_TYPES = {name: spec.type for name, spec in CARRIER_FACTS.items()}
_FACT_TYPES.update({name: spec.type for fields in EVENT_FACTS.values() for name, spec in fields.items()})
_NUMERIC = {"year", "amount", *METRICS, *(k for k, t in _FACT_TYPES.items() if t in _NUMBERS)}
_BOOLEAN = {k for k, t in _FACT_TYPES.items() if t == "bool"}
_BOOL_TEXT = {"true": True, "false": False, "是": True, "否": False}
_TYPED = {"value"}  # a dated fact's value: converted by the fact's own type
_NUMBER_TEXT = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$", re.ASCII)  # ASCII digits, as JSON and dates


def _letter(index: int) -> str:
    """The column letters of a 0-based column index (0 -> A, 26 -> AA)."""
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


_NO_VALUE = object()  # a formula whose value was never saved


@attrs.frozen
class _Cell:
    sheet: str
    ref: str
    key: str


class SheetReader:
    """Rows of sheets into a portfolio. ``tables`` maps each sheet to the CSV file it was read from, when
    the sheets are CSV files (``files.tables``); errors then name the file, row and column."""

    def __init__(self, file: str, tables: Mapping[str, str] | None = None) -> None:
        self.file = file
        self.tables = tables
        self.where: dict[str, _Cell] = {}  # data field -> cell

    def error(self, message: str, sheet: str, cell: str, field: str | None) -> PortfolioError:
        """The error for a cell: ``file:sheet!cell`` in a workbook, ``file:row:column`` in a CSV table."""
        if self.tables is None:
            return WorkbookError(message, file=self.file, sheet=sheet, cell=cell, field=field)
        found = WorkbookError(message, sheet=sheet, cell=cell)
        return PortfolioError(message, field=field, file=self.tables.get(sheet, self.file), line=found.line,
                              column=found.column)

    def fail(self, cell: _Cell, message: str, field: str | None = None) -> PortfolioError:
        return self.error(message, cell.sheet, cell.ref, field or cell.key)

    def value(self, value: Any, at: _Cell) -> Any:
        if value is _NO_VALUE:
            raise self.fail(at, "a formula with no saved value; open the workbook in Excel and save it")
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            if at.key in _NUMERIC and _NUMBER_TEXT.match(value):
                value = Decimal(value.replace(",", ""))
                if value == value.to_integral_value() and "." not in str(value):
                    value = int(value)
            elif at.key in _BOOLEAN and value.lower() in _BOOL_TEXT:
                value = _BOOL_TEXT[value.lower()]
        elif isinstance(value, datetime.datetime):
            if value.time() != datetime.time(0):
                raise self.fail(at, f"expected a date without a time, got {value:%Y-%m-%d %H:%M}")
            value = value.date()
        elif isinstance(value, datetime.time):
            raise self.fail(at, f"expected a date, got the time {value}")
        elif isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                raise self.fail(at, f"expected a number, got {value}")
            value = int(value) if value.is_integer() else Decimal(repr(value))
        if at.key not in _NUMERIC and at.key not in _TYPED and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            value = str(value)  # an id or a number typed as a number
        return value

    def grid(self, ws: Any) -> tuple[list[list[Any]], list[tuple[int, int]]]:
        """A sheet's cell values, row by row, and where its formulas are."""
        rows: list[list[Any]] = []
        formulas: list[tuple[int, int]] = []
        for r, row in enumerate(ws.iter_rows()):
            if r >= MAX_ROWS:
                raise WorkbookError(f"more than {MAX_ROWS:,} rows", file=self.file, sheet=ws.title, cell=f"A{r + 1}",
                                    field="sheet")
            values = []
            for c, cell in enumerate(row):
                if getattr(cell, "data_type", None) == "f":
                    formulas.append((r, c))
                values.append(cell.value)
            rows.append(values)
        return rows, formulas

    def rows(self, title: str, rows: list[list[Any]], key: str) -> list[tuple[int, dict[str, Any], dict[str, _Cell]]]:
        zh, columns, required = SHEETS[key]
        names = {**{k: k for k in columns}, **{v: k for k, v in columns.items()}}
        header: list[str | None] = []
        if not rows:
            raise self.error("empty sheet; expected a header row", title, "A1", None)
        for n, raw in enumerate(rows[0]):
            text = "" if raw is None or raw is _NO_VALUE else str(raw).strip()
            if not text:
                header.append(None)
                continue
            found = names.get(text)
            for part in text.splitlines():
                found = found or names.get(part.strip())
            if found is None:
                m = re.match(r"^(.*?)\s*[((]([A-Za-z0-9_]+)[))]$", text)
                if m and m.group(2) in columns:
                    found = m.group(2)
            if found is None:
                raise self.error(f"unknown column {text!r}; expected one of: {', '.join(columns)}", title,
                                 f"{_letter(n)}1", "header")
            if found in header:
                raise self.error(f"column {found!r} appears twice", title, f"{_letter(n)}1", "header")
            header.append(found)
        for need in required:
            if need not in header:
                raise self.error(f"missing column {need!r} ({columns[need]})", title, "A1", "header")
        out = []
        for r, row in enumerate(rows[1:], start=1):
            values: dict[str, Any] = {}
            cells: dict[str, _Cell] = {}
            for i, raw in enumerate(row):
                name = header[i] if i < len(header) else None
                at = _Cell(title, f"{_letter(i)}{r + 1}", name or "")
                v = self.value(raw, at)
                if name is None:
                    if v is not None:
                        raise self.fail(at, "a value in a column without a header", field="header")
                    continue
                cells[name] = at
                if v is not None:
                    values[name] = v
            if values:
                cells.setdefault("", _Cell(title, f"A{r + 1}", ""))
                out.append((r + 1, values, cells))
        return out

    def read(self, path: Path) -> Portfolio:
        openpyxl = require("openpyxl", "Reading an Excel portfolio", EXTRA)
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=False)
        except FileNotFoundError:
            raise PortfolioError("cannot read file: no such file", file=self.file) from None
        except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
            raise PortfolioError(f"not a readable Excel workbook: {exc}", file=self.file) from None
        try:
            sheets: dict[str, str] = {}
            aliases = {**{k: k for k in SHEETS}, **{v[0]: k for k, v in SHEETS.items()}}
            for title in book.sheetnames:
                key = aliases.get(title.strip()) or aliases.get(title.strip().lower())
                if key is None:
                    if title.strip().lower() in IGNORED_SHEETS:
                        continue
                    allowed = ", ".join(f"{k} ({v[0]})" for k, v in SHEETS.items())
                    raise WorkbookError(f"unknown sheet {title!r}; expected: {allowed} (or a README sheet)",
                                        file=self.file, sheet=title, cell="A1", field="sheet")
                if key in sheets.values():
                    raise WorkbookError(f"a second {key} sheet", file=self.file, sheet=title, cell="A1", field="sheet")
                sheets[title] = key
            if "carriers" not in sheets.values():
                raise PortfolioError("no carriers sheet (载体); see the example workbook in examples/", file=self.file,
                                     field="sheet")
            grids = {title: self.grid(book[title]) for title in sheets}
            if any(formulas for _, formulas in grids.values()):
                self.saved_values(openpyxl, path, grids)
            read = {key: self.rows(title, grids[title][0], key) for title, key in sheets.items()}
        except IncubatorRulesError:
            raise
        except Exception as exc:  # a damaged sheet inside a readable zip
            raise PortfolioError(f"not a readable Excel workbook: {type(exc).__name__}: {exc}", file=self.file) from None
        finally:
            book.close()
        return self.portfolio(path, read)

    def saved_values(self, openpyxl: Any, path: Path, grids: Mapping[str, tuple[list[list[Any]], list[tuple[int, int]]]]) -> None:
        """Put the value Excel saved for each formula in its place (``_NO_VALUE`` when none was saved)."""
        values = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            for title, (rows, formulas) in grids.items():
                if not formulas:
                    continue
                wanted = set(formulas)
                for r, c in formulas:
                    rows[r][c] = _NO_VALUE
                for r, row in enumerate(values[title].iter_rows()):
                    for c, cell in enumerate(row):
                        if (r, c) in wanted:
                            rows[r][c] = _NO_VALUE if cell.value is None else cell.value
        finally:
            values.close()

    def portfolio(self, path: Path, read: Mapping[str, list[tuple[int, dict[str, Any], dict[str, _Cell]]]]) -> Portfolio:
        data: dict[str, Any] = {"id": path.stem, "name": path.stem}
        given: set[str] = set()
        for _, values, cells in read.get("portfolio", []):
            field = values.get("field")
            if field not in ("id", "name", "district"):
                raise self.fail(cells.get("field", cells[""]), f"unknown field {field!r}; expected id, name or district")
            if field in given:  # a second row for one field: which is meant is not for the reader to guess
                raise self.fail(cells.get("field", cells[""]), f"the portfolio's {field} is given twice")
            given.add(str(field))
            data[str(field)] = values.get("value")
            self.where[str(field)] = cells.get("value", cells[""])
        carriers: list[dict[str, Any]] = []
        index: dict[str, int] = {}
        for _, values, cells in read["carriers"]:
            i = len(carriers)
            facts = {k: values.pop(k) for k in list(values) if k in CARRIER_FACTS}
            self.note(f"carriers[{i}]", cells)
            for k in facts:
                self.where[f"carriers[{i}].facts.{k}"] = cells[k]
            if "id" in values and isinstance(values["id"], str) and values["id"] not in index:
                index[values["id"]] = i
            carriers.append({**values, **({"facts": facts} if facts else {}), "events": []})
        self.dated_facts(read.get("facts", []), carriers, index)
        for key, target in (("events", "events"), ("payments", "events"), ("snapshots", "snapshots"),
                            ("designations", "designations")):
            for _, values, cells in read.get(key, []):
                cid = values.pop("carrier_id", None)
                at = cells.get("carrier_id", cells[""])
                if cid is None:
                    raise self.fail(at, "required field is missing")
                if cid not in index:
                    raise self.fail(at, f"unknown carrier {cid!r}; every carrier must have a row in the carriers sheet")
                entry = carriers[index[cid]]
                items = entry.setdefault(target, [])
                if key == "payments":
                    values = {"type": "payment_received", **values}
                    cells = {**cells, "type": cells[""]}
                self.note(f"carriers[{index[cid]}].{target}[{len(items)}]", cells)
                items.append(values)
        for entry in carriers:
            if not entry.get("snapshots"):
                entry.pop("snapshots", None)
            if not entry.get("designations"):
                entry.pop("designations", None)
        self.check_snapshot_dates(carriers)
        data["carriers"] = carriers
        try:
            return portfolio_from_dict(data, base_dir=path.parent)
        except IncubatorRulesError as exc:
            raise self.located(exc) from None

    def dated_facts(self, rows: list[tuple[int, dict[str, Any], dict[str, _Cell]]], carriers: list[dict[str, Any]],
                    index: Mapping[str, int]) -> None:
        """The facts sheet's rows as each carrier's dated facts, ``[{from, value}, ...]`` in order of ``from``."""
        labels = {spec.zh: name for name, spec in CARRIER_FACTS.items()}
        found: dict[tuple[int, str], list[tuple[Any, Any, dict[str, _Cell]]]] = {}
        for _, values, cells in rows:
            cid = values.get("carrier_id")
            if cid not in index:
                raise self.fail(cells.get("carrier_id", cells[""]), f"unknown carrier {cid!r}; every carrier must have a row in the carriers sheet")
            name = values.get("fact")
            name = labels.get(name, name)
            spec = CARRIER_FACTS.get(name)
            if spec is None:
                raise self.fail(cells.get("fact", cells[""]), f"unknown carrier fact {name!r}{did_you_mean(name, CARRIER_FACTS)}; "
                                f"known: {', '.join(CARRIER_FACTS)}")
            if not spec.dated:
                raise self.fail(cells["fact"], f"{name} does not change over time: give it in its column of the carriers sheet")
            i = index[cid]
            if name in carriers[i].get("facts", {}):
                raise self.fail(cells["fact"], f"{name} of {cid!r} is also in its column of the carriers sheet: give it in one place")
            found.setdefault((i, name), []).append((values.get("from"), _typed(spec, values.get("value")), cells))
        for (i, name), items in found.items():
            items.sort(key=lambda item: str(item[0]))
            carriers[i].setdefault("facts", {})[name] = [{"from": start, "value": value} for start, value, _ in items]
            for j, (_, _, cells) in enumerate(items):
                self.where[f"carriers[{i}].facts.{name}[{j}]"] = cells[""]
                self.where[f"carriers[{i}].facts.{name}[{j}].from"] = cells["from"]
                self.where[f"carriers[{i}].facts.{name}[{j}].value"] = cells["value"]

    def note(self, prefix: str, cells: Mapping[str, _Cell]) -> None:
        self.where[prefix] = cells[""]
        for key, cell in cells.items():
            if key:
                self.where[f"{prefix}.{key}"] = cell

    def check_snapshot_dates(self, carriers: list[dict[str, Any]]) -> None:
        for i, entry in enumerate(carriers):
            seen: dict[Any, str] = {}
            for j, s in enumerate(entry.get("snapshots", [])):
                day = s.get("date")
                if day in seen and isinstance(day, datetime.date):
                    cell = self.where[f"carriers[{i}].snapshots[{j}].date"]
                    raise self.fail(cell, f"a second snapshot of {entry.get('id')!r} dated {day} (also at {seen[day]})")
                seen[day] = self.where[f"carriers[{i}].snapshots[{j}]"].ref

    def located(self, exc: IncubatorRulesError) -> IncubatorRulesError:
        field = exc.field or ""
        probe = field
        while probe and probe not in self.where:
            probe = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", probe)
        cell = self.where.get(probe)
        if cell is None:
            return PortfolioError(exc.message, field=exc.field, file=self.file)
        leaf = re.sub(r"^.*[.\]]", "", field) if field != probe or not cell.key else cell.key
        return self.fail(cell, exc.message, leaf or None)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def portfolio_rows(portfolio: Portfolio, payments_apart: bool = True) -> dict[str, list[tuple[Any, ...]]]:
    """A portfolio as the rows of each sheet (``SHEETS``' columns, in order) that read back into an equal
    portfolio: dates as dates, amounts and counts as numbers, facts in their own columns; payments on their
    own sheet when ``payments_apart``, else in the events' order among them. Raises rather than leave out a
    field no column holds."""
    info = [("id", portfolio.id), ("name", portfolio.name)]
    if portfolio.district is not None:
        info.append(("district", portfolio.district))
    out: dict[str, list[tuple[Any, ...]]] = {"portfolio": info, "carriers": [], "events": [], "payments": [],
                                             "snapshots": [], "designations": [], "facts": []}
    carrier_keys = list(SHEETS["carriers"][1])
    for c in portfolio.carriers:
        row = {"id": c.id, "name": c.name, "kind": c.kind.value, "area": c.area,
               **{k: _plain(v) for k, v in c.facts if not isinstance(v, Dated)}}
        out["carriers"].append(tuple(row.get(k) for k in carrier_keys))
        for name, value in c.facts:
            if isinstance(value, Dated):  # a fact that changes over time: one row per value, on the facts sheet
                out["facts"].extend((c.id, name, start, _plain(v)) for start, v in value.values)
        for e in c.events:
            payment = e.type is EventType.PAYMENT_RECEIVED and payments_apart
            sheet = "payments" if payment else "events"
            keys = list(SHEETS[sheet][1])[1:]
            d = {**e.to_dict(), "date": e.date, **{k: _plain(v) for k, v in e.facts}}
            lost = set(d) - set(keys) - ({"type"} if payment else set())
            if lost:  # never a silent partial workbook
                raise IncubatorRulesError(f"event {e.id!r} of {c.id!r} has fields the {sheet} sheet has no column for: "
                                          f"{', '.join(sorted(lost))}", field="events")
            out[sheet].append((c.id, *[d.get(k) for k in keys]))
        for s in portfolio.snapshots_of(c.id):
            out["snapshots"].append((c.id, s.date, *[s.values.get(m) for m in METRICS]))
        for g in (d for d in portfolio.designations if d.carrier_id == c.id):
            out["designations"].append((c.id, g.tag, g.date, g.until, g.note))
    return out


def _typed(spec: FactSpec, value: Any) -> Any:
    """A facts-sheet value as its fact's type expects it: a number typed as text is a number, and a number in a
    text fact is text."""
    if spec.type in _NUMBERS and isinstance(value, str) and _NUMBER_TEXT.match(value):
        return Decimal(value.replace(",", ""))
    if spec.type == "text" and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value)
    return value


def read_portfolio_workbook(path: str | Path) -> Portfolio:
    """A portfolio from an Excel workbook (see the module docstring); errors name ``file:sheet!cell``."""
    p = Path(path)
    if not p.is_file():
        raise PortfolioError("cannot read file: no such file (or not a regular file)", file=str(path))
    if p.stat().st_size > MAX_WORKBOOK_BYTES:
        raise PortfolioError(f"cannot read file: larger than {MAX_WORKBOOK_BYTES // (1024 * 1024)} MB", file=str(path))
    return SheetReader(str(path)).read(p)



__all__ = ["SHEETS", "SUFFIXES", "WorkbookError", "is_workbook", "portfolio_rows", "read_portfolio_workbook"]
