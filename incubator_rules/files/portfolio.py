"""Reading a district portfolio from plain data and its snapshots from CSV files, with located errors.

The portfolio as data (carriers, snapshots, designations, metrics) is
``model.portfolio``; ``files.workbook`` reads the same portfolio from an Excel
workbook, and ``files.carriers`` finds carriers in any file of them.
"""

from __future__ import annotations

import csv
import datetime
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Mapping

import attrs

from ..documents import (
    Source,
    csv_reader,
    field_name,
    json_data_each,
    keys_unique,
    max_file_bytes,
    read_text,
    text_document,
    too_large,
)
from ..errors import CarrierError, PortfolioError, describe
from ..model.carrier import Carrier, parse_date
from ..model.portfolio import DESIGNATIONS, METRICS, Designation, Member, Metric, Number, Portfolio, Snapshot
from .carrier import QuickEntries, carrier_from_dict, good_text, quick_carrier_list, quick_keys
from .schema import FileSchema

__all__ = [
    "HEADER_FIELDS",
    "header_schema",
    "member_schema",
    "PortfolioReader",
    "load_portfolio_document",
    "metric_value",
    "parse_snapshots_csv",
    "portfolio_from_dict",
    "portfolio_schema",
    "portfolio_header",
    "portfolio_member",
    "quick_header",
    "quick_json",
    "quick_portfolio",
    "read_csv_text",
    "read_snapshots_csv",
]

_ID_COLUMNS = {"carrier_id": "carrier_id", "载体编号": "carrier_id", "date": "date", "日期": "date"}
_HEADERS = {**{m.name: m.name for m in METRICS.values()}, **{m.label_zh: m.name for m in METRICS.values()}}


def load_portfolio_document(path: str | Path, snapshots_csv: str | Path | None = None) -> Portfolio:
    """Load a portfolio from YAML or JSON, with snapshots inline and/or from CSV files.

    The file may name a CSV file of snapshots (``snapshots_csv:``, relative to
    the file); ``snapshots_csv`` adds one more. Errors name the file, line and field.
    (``incubator_rules.load_portfolio``, from ``files.workbook``, reads Excel workbooks too.)
    """
    text = read_text(path)
    if Path(path).suffix.lower() == ".json" and snapshots_csv is None:
        found = quick_json(text)
        if found is not None and found[1] is not None and found[0].__class__ is dict:
            return Portfolio(found[0]["id"], found[0]["name"], found[0].get("district"), found[1])
    doc = text_document(text, path)
    base = Path(path).parent
    return portfolio_from_dict(doc.data, doc.source, base_dir=base, extra_csv=snapshots_csv)


def portfolio_from_dict(
    data: Any, source: Source | None = None, base_dir: str | Path | None = None,
    extra_csv: str | Path | None = None,
) -> Portfolio:
    """Read and validate a portfolio from plain data (as loaded from YAML or JSON)."""
    return PortfolioReader(source or Source(), Path(base_dir) if base_dir is not None else Path.cwd()).portfolio(
        data, extra_csv
    )


def read_snapshots_csv(path: str | Path) -> tuple[Snapshot, ...]:
    """Read snapshots from a CSV file: ``carrier_id``, ``date``, then one column per metric.

    Headers are metric names or their Chinese labels (``载体面积(平方米)``);
    an empty cell means not reported. Numbers may use thousands separators.
    """
    text = read_csv_text(path, lambda message: PortfolioError(message, file=str(path)))
    return parse_snapshots_csv(text, str(path))


def read_csv_text(path: str | Path, error: Callable[[str], PortfolioError]) -> str:
    """The text of a CSV file saved as UTF-8 (with or without a byte-order mark); ``error`` builds the error to raise."""
    p = Path(path)
    try:
        if not p.is_file():
            raise error(f"cannot read {str(path)!r}: no such file")
        limit = max_file_bytes()
        if p.stat().st_size > limit:
            raise error(f"{str(path)!r} is {too_large(limit)}")
        data = p.read_bytes()
    except OSError as exc:
        raise error(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = " (it looks like UTF-16)" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise error(
            f"{str(path)!r} is not UTF-8 text{hint}: byte {exc.start} cannot be read; "
            "save the spreadsheet as \"CSV UTF-8\""
        ) from None


def parse_snapshots_csv(text: str, file: str | None = None) -> tuple[Snapshot, ...]:
    """Parse CSV text of snapshots (see ``read_snapshots_csv``)."""
    return tuple(s for s, _ in _parse_csv(text, file))


def _parse_csv(text: str, file: str | None) -> list[tuple[Snapshot, int]]:
    reader = csv_reader(text, file)
    try:
        header = next(reader)
    except StopIteration:
        raise PortfolioError("empty CSV file; expected a header row", file=file, line=1) from None
    except csv.Error as exc:
        raise PortfolioError(f"not valid CSV: {exc}", file=file, line=1) from None
    names = [raw.strip() for raw in header]
    if not {"carrier_id", "date"} & {_ID_COLUMNS.get(n) for n in names}:
        # not a snapshots file at all: say so without repeating what its first line holds
        raise PortfolioError("not a snapshots CSV file: its first line names neither a carrier_id nor a date column",
                             file=file, line=1)
    columns: list[str] = []
    for i, raw in enumerate(header):
        name = raw.strip()
        key = _ID_COLUMNS.get(name) or _HEADERS.get(name)
        if key is None:
            allowed = ", ".join(["carrier_id", "date", *METRICS])
            raise PortfolioError(f"unknown column {describe(name)}; expected one of: {allowed}", file=file, line=1, column=i + 1)
        if key in columns:
            raise PortfolioError(f"column {describe(name)} appears twice", file=file, line=1, column=i + 1)
        columns.append(key)
    for needed in ("carrier_id", "date"):
        if needed not in columns:
            raise PortfolioError(f"missing column {needed!r}", file=file, line=1)
    out = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                raise PortfolioError(f"expected {len(columns)} cells, got {len(row)}", file=file, line=line)
            cells = dict(zip(columns, (c.strip() for c in row)))
            cid = cells.pop("carrier_id")
            if not cid:
                raise PortfolioError("empty carrier id", field="carrier_id", file=file, line=line)
            try:
                day = parse_date(cells.pop("date"))
            except ValueError as exc:
                raise PortfolioError(str(exc), field="date", file=file, line=line) from None
            values: dict[str, Number] = {}
            for name, cell in cells.items():
                if cell == "":
                    continue
                try:
                    values[name] = _csv_number(cell, METRICS[name])
                except ValueError as exc:
                    raise PortfolioError(str(exc), field=name, file=file, line=line) from None
            out.append((Snapshot(cid, day, values), line))
    except csv.Error as exc:
        raise PortfolioError(f"not valid CSV: {exc}", file=file, line=reader.line_num) from None
    return out


_CSV_NUMBER = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
# No statistic a carrier reports comes near this; a larger figure is a typing slip.
MAX_METRIC = 10**15


def _csv_number(text: str, metric: Metric) -> Number:
    if len(text) > 40 or not _CSV_NUMBER.match(text):
        shown = repr(text) if len(text) <= 40 else f"{text[:20]!r}... ({len(text)} characters)"
        raise ValueError(f"expected a non-negative number such as 1200 or 1,200.5, got {shown}")
    return metric_value(Decimal(text.replace(",", "")), metric)


def metric_value(value: Any, metric: Metric) -> Number:
    """A validated metric value: a non-negative int, or a Decimal for fractional metrics."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ValueError(f"expected a number for {metric.name}, got {describe(value)}")
    out: Number = value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"expected a finite number for {metric.name}, got {value}")
        if value.adjusted() >= 15:  # checked before int(): 1e999999999 would exhaust memory
            raise ValueError(f"{metric.name} of {value:.3e} is implausibly large")
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -12 and value != value.to_integral_value():
            raise ValueError(f"{metric.name} has more than 12 decimals: {value:.3e}")
        if value == value.to_integral_value():
            out = int(value)
        elif metric.whole:
            raise ValueError(f"{metric.name} must be a whole number, got {value}")
    if out < 0:
        raise ValueError(f"{metric.name} cannot be negative, got " + (str(value) if value > -MAX_METRIC else "a huge negative number"))
    if out >= MAX_METRIC:
        raise ValueError(f"{metric.name} of about {int(out).bit_length() * 3 // 10} digits is implausibly large")
    return out


# A portfolio's own fields, beside its carriers.
HEADER_FIELDS = ("id", "name", "district", "note")

Line = Callable[[], "int | None"] | int | None


def _line_of(source: Source, path: tuple[Any, ...]) -> Callable[[], int | None]:
    return lambda: source.locate(path)[0]


def located_snapshots(member: Member, source: Source) -> list[tuple[Snapshot, str | None, Line]]:
    """A member's snapshots with the file each was read from and the line it stands on (found when asked for)."""
    return [(s, source.file, _line_of(source, member.path + ("snapshots", j))) for j, s in enumerate(member.snapshots)]


def _line(where: Line) -> int | None:
    return where() if callable(where) else where


_HERE = Path(".")  # a lone entry or header names no file beside it


def portfolio_header(data: Any, source: Source | None = None) -> tuple[str, str, str | None]:
    """A portfolio's own fields (``id``, ``name``, ``district``, ``note``) checked: (id, name, district)."""
    return PortfolioReader(source or Source(), _HERE).header(data)


_QUICK_KEYS = frozenset(("$schema", *HEADER_FIELDS, "carriers"))


def quick_portfolio(data: Any, text: str | None = None) -> Portfolio | None:
    """A district portfolio from plain data of a common shape, or None: the full reader then reads it.

    The common shape: the portfolio's own fields as text, no ``snapshots_csv``,
    and every entry a carrier of ``quick_carrier``'s common shape without
    snapshots or designations, its id not repeated. Every value is checked as
    the full reader checks it (see ``quick_carrier``); ``text``, the JSON text
    that ``documents.json_data`` read the data from, is given to check its keys.
    """
    if not quick_header(data):
        return None
    carriers = quick_carrier_list(data.get("carriers"))
    if carriers is None or (text is not None and not keys_unique(text, len(data) + quick_keys(data.get("carriers")))):
        return None
    return Portfolio(data.get("id"), data.get("name"), data.get("district"), tuple(carriers))


def quick_header(data: Any) -> bool:
    """Whether ``data`` is a mapping whose keys are a district portfolio's of ``quick_portfolio``'s common shape,
    its own fields good text (the carriers are not looked at)."""
    if data.__class__ is not dict or not data.keys() <= _QUICK_KEYS:
        return False
    get = data.get
    return (good_text(get("id")) and good_text(get("name"))
            and all(get(key) is None or good_text(get(key)) for key in ("district", "note", "$schema")))


def quick_json(text: str) -> tuple[Any, tuple[Carrier, ...] | None] | None:
    """A JSON text of carriers read by ``documents.json_data_each``: each entry of its list of carriers (the list
    at the top, or the top mapping's ``carriers``) read by ``quick_carrier`` as soon as the parser has read it.

    (the data, the carriers) when the text is a district portfolio of
    ``quick_portfolio``'s common shape or a list of carriers of
    ``quick_carrier_list``'s, every key checked against the text (the data
    holds the carriers in the entries' place); (the data, None) when it holds
    no such list: the data is then ``json_data(text)``; None for anything
    else: the full reader then reads the text and names any problem.
    """
    entries = QuickEntries()
    data = json_data_each(text, "carriers", entries.read)
    if data.__class__ is dict:
        carriers = data.get("carriers")
        if carriers.__class__ is not list:
            return data, None
        if not quick_header(data):
            return None
        keys = entries.keys + len(data)
    elif data.__class__ is list:
        carriers, keys = data, entries.keys
    else:
        return None if data is None else (data, None)
    if len({c.id for c in carriers}) != len(carriers) or not keys_unique(text, keys):
        return None
    return data, tuple(carriers)


def portfolio_member(entry: Any, source: Source | None = None) -> Member:
    """One entry of a portfolio's ``carriers`` (a carrier with its ``snapshots`` and ``designations``), checked;
    two snapshots of one date are refused."""
    src = source or Source()
    reader = PortfolioReader(src, _HERE)
    member = reader.entry(entry, ())
    reader.check_snapshots(located_snapshots(member, src), {member.carrier.id: 0})
    return member


@attrs.frozen
class PortfolioReader:
    source: Source
    base_dir: Path

    def fail(self, path: tuple[Any, ...], message: str) -> PortfolioError:
        return self.source.error(PortfolioError, path, message)  # type: ignore[return-value]

    def mapping(self, value: Any, path: tuple[Any, ...], allowed: tuple[str, ...] | None = None) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected a mapping, got {describe(value)}")
        for key in value:
            if allowed is not None and key not in allowed and key != "$schema":
                raise self.fail(path + (key,), f"unknown field; expected one of: {', '.join(allowed)}")
        return value

    def text(self, value: Any, path: tuple[Any, ...]) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, f"expected a non-empty string, got {describe(value)}")
        return value

    def date(self, value: Any, path: tuple[Any, ...]) -> datetime.date:
        try:
            return parse_date(value)
        except ValueError as exc:
            raise self.fail(path, str(exc)) from None

    def header(self, data: Any, allowed: tuple[str, ...] = HEADER_FIELDS) -> tuple[str, str, str | None]:
        """A portfolio's own fields: its id, name and district."""
        data = self.mapping(data, (), allowed)
        for key in ("id", "name"):
            if data.get(key) is None:
                raise self.fail((key,), "required field is missing")
        pid, name = self.text(data["id"], ("id",)), self.text(data["name"], ("name",))
        district = None if data.get("district") is None else self.text(data["district"], ("district",))
        if data.get("note") is not None:
            self.text(data["note"], ("note",))
        return pid, name, district

    def portfolio(self, data: Any, extra_csv: str | Path | None) -> Portfolio:
        pid, name, district = self.header(data, (*HEADER_FIELDS, "carriers", "snapshots_csv"))
        raw = data.get("carriers")
        if not isinstance(raw, list):
            raise self.fail(("carriers",), "expected a list of carriers")
        carriers: list[Carrier] = []
        snapshots: list[tuple[Snapshot, str | None, Line]] = []
        designations: list[Designation] = []
        seen: dict[str, int] = {}
        for i, entry in enumerate(raw):
            p: tuple[Any, ...] = ("carriers", i)
            member = self.entry(entry, p)
            carrier = member.carrier
            if carrier.id in seen:
                raise self.fail(p + ("id",), f"duplicate carrier id {carrier.id!r} (also carriers[{seen[carrier.id]}])")
            seen[carrier.id] = i
            carriers.append(carrier)
            snapshots.extend(located_snapshots(member, self.source))
            designations.extend(member.designations)
        files = []
        if data.get("snapshots_csv") is not None:
            files.append(self.base_dir / self.text(data["snapshots_csv"], ("snapshots_csv",)))
        if extra_csv is not None:
            files.append(Path(extra_csv))
        for csv_path in files:
            text = read_csv_text(csv_path, lambda message: self.fail(("snapshots_csv",), f"snapshots file: {message}"))
            for s, line in _parse_csv(text, str(csv_path)):
                snapshots.append((s, str(csv_path), line))
        self.check_snapshots(snapshots, seen)
        return Portfolio(pid, name, district, tuple(carriers), tuple(s for s, _, _ in snapshots), tuple(designations))

    def entry(self, entry: Any, p: tuple[Any, ...]) -> "Member":
        """One carrier of a portfolio with its snapshots and designations (each snapshot's date unique)."""
        entry = self.mapping(entry, p)
        carrier = self.carrier(entry, p)
        snapshots = tuple(self.snapshot(s, p + ("snapshots", j), carrier.id)
                          for j, s in enumerate(self.list_of(entry, "snapshots", p)))
        designations = tuple(self.designation(d, p + ("designations", j), carrier.id)
                             for j, d in enumerate(self.list_of(entry, "designations", p)))
        return Member(carrier, snapshots, designations, p)

    def list_of(self, entry: Mapping[str, Any], key: str, p: tuple[Any, ...]) -> list[Any]:
        value = entry.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(p + (key,), f"expected a list of {key}")
        return value

    def carrier(self, entry: Mapping[str, Any], p: tuple[Any, ...]) -> Carrier:
        plain = {k: v for k, v in entry.items() if k not in ("snapshots", "designations")}
        try:
            return carrier_from_dict(plain, self.source.below(p))
        except CarrierError as exc:
            if not p:  # the carrier is the whole document (a line of JSON Lines): its own error stands
                raise
            prefix = field_name(p)
            field = (f"{prefix}.{exc.field}" if prefix else exc.field) if exc.field else (prefix or None)
            raise PortfolioError(exc.message, field=field, file=exc.file, line=exc.line, column=exc.column) from None

    def snapshot(self, raw: Any, p: tuple[Any, ...], carrier_id: str) -> Snapshot:
        raw = self.mapping(raw, p, ("date", "note", *METRICS))
        if raw.get("date") is None:
            raise self.fail(p + ("date",), "required field is missing")
        day = self.date(raw["date"], p + ("date",))
        values: dict[str, Number] = {}
        for name, value in raw.items():
            if name in METRICS and value is not None:
                try:
                    values[name] = metric_value(value, METRICS[name])
                except ValueError as exc:
                    raise self.fail(p + (name,), str(exc)) from None
        return Snapshot(carrier_id, day, values)

    def designation(self, raw: Any, p: tuple[Any, ...], carrier_id: str) -> Designation:
        raw = self.mapping(raw, p, ("tag", "date", "until", "note"))
        for key in ("tag", "date"):
            if raw.get(key) is None:
                raise self.fail(p + (key,), "required field is missing")
        tag = self.text(raw["tag"], p + ("tag",))
        if tag not in DESIGNATIONS:
            raise self.fail(p + ("tag",), f"unknown designation {describe(tag)}; expected one of: {', '.join(DESIGNATIONS)}")
        day = self.date(raw["date"], p + ("date",))
        until = None if raw.get("until") is None else self.date(raw["until"], p + ("until",))
        if until is not None and until <= day:
            raise self.fail(p + ("until",), f"a designation cannot end ({until}) on or before it starts ({day})")
        note = None if raw.get("note") is None else self.text(raw["note"], p + ("note",))
        return Designation(carrier_id, tag, day, until, note)

    def check_snapshots(self, snapshots: list[tuple[Snapshot, str | None, Line]], carriers: Mapping[str, int]) -> None:
        """Every snapshot of a known carrier, one per carrier and date; a line is looked up only for an error."""
        seen: dict[tuple[str, datetime.date], tuple[str | None, Line]] = {}
        for s, file, line in snapshots:
            if s.carrier_id not in carriers:
                raise PortfolioError(
                    f"snapshot for unknown carrier {describe(s.carrier_id)} (dated {s.date}); "
                    "every carrier must be described in the portfolio file",
                    field="carrier_id", file=file, line=_line(line),
                )
            key = (s.carrier_id, s.date)
            if key in seen:
                first_file, first_line = seen[key]
                raise PortfolioError(
                    f"two snapshots of carrier {describe(s.carrier_id)} dated {s.date} "
                    f"(also at {first_file or '<data>'}:{_line(first_line)})",
                    field="date", file=file, line=_line(line),
                )
            seen[key] = (file, line)



# --- the schema of the file ---------------------------------------------------------


def header_schema() -> dict[str, Any]:
    """The JSON Schema of a portfolio's own fields (``HEADER_FIELDS``), as ``PortfolioReader.header`` reads them."""
    text = {"type": "string", "minLength": 1}
    optional = {"type": ["string", "null"]}
    return {"type": "object", "required": ["id", "name"], "additionalProperties": False,
            "properties": {"id": text, "name": text, "district": optional, "note": optional}}


def member_schema() -> dict[str, Any]:
    """The JSON Schema of one carrier of a portfolio: a carrier (carrier.schema.json) with, optionally, its
    snapshots and designations, as ``PortfolioReader.entry`` reads them."""
    date = {"type": "string", "format": "date"}
    snapshot = {"type": "object", "required": ["date"], "additionalProperties": False,
                "properties": {"date": date, "note": {"type": ["string", "null"]},
                               **{m: {"type": ["number", "null"], "minimum": 0} for m in METRICS}}}
    designation = {"type": "object", "required": ["tag", "date"], "additionalProperties": False,
                   "properties": {"tag": {"enum": list(DESIGNATIONS)}, "date": date,
                                  "until": {"type": ["string", "null"], "format": "date"},
                                  "note": {"type": ["string", "null"]}}}
    return {"type": "object", "description": "a carrier (carrier.schema.json), with its snapshots and designations",
            "required": ["id", "name", "kind"],
            "properties": {"snapshots": {"type": "array", "items": snapshot},
                           "designations": {"type": "array", "items": designation}}}


def portfolio_schema() -> FileSchema:
    """The JSON Schema of portfolio files (``schemas/portfolio.schema.json``)."""
    district = header_schema()
    district["required"] = [*district["required"], "carriers"]
    district["properties"] = {**district["properties"],
                              "carriers": {"type": "array", "items": member_schema()},
                              "snapshots_csv": {"type": ["string", "null"], "minLength": 1,
                                                "description": "a CSV file of snapshots, relative to this file"}}
    return FileSchema(
        "portfolio",
        "incubator-rules portfolio",
        "Carriers evaluated together (for example by `incubator-rules diff --portfolio`): a list of carriers, or a district portfolio, a mapping whose `carriers` lists them (with optional snapshots and designations; see docs/targets.md).",
        root={"anyOf": [{"type": "array", "items": {"$ref": "carrier.schema.json"}}, district]},
    )
