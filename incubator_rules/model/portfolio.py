"""District portfolios: carriers, their dated statistics snapshots and designations.

A portfolio is what a district science bureau keeps: its carriers (each with
its event history), the statistics each carrier reports from time to time
(floor area, enterprises and teams hosted, staff, mentors, ...) and the
designations the bureau gives (a featured carrier, a specialised incubator).
Snapshots can sit in the portfolio file or in a CSV file beside it, one row
per carrier and date, as a spreadsheet would export them.
"""

from __future__ import annotations

import bisect
import csv
import datetime
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import attrs

from ..documents import Source, csv_reader, field_name, read_document
from ..errors import CarrierError, PortfolioError, describe
from .carrier import Carrier, CarrierKind, Event, EventType, Level, parse_date

Number = int | Decimal


@attrs.frozen
class Metric:
    """A statistic a carrier reports: its name (a CSV column), labels and unit."""

    name: str
    label_zh: str
    label_en: str
    unit: str
    whole: bool = True


# The statistics a snapshot may hold. Every one is optional in a snapshot; a
# figure that is not reported is absent, never zero.
METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("floor_area_m2", "载体面积(平方米)", "floor area", "m2", whole=False),
        Metric("incubatee_floor_area_m2", "在孵企业使用面积(平方米)", "floor area used by incubatees", "m2", whole=False),
        Metric("workstations", "工位数", "workstations", "count"),
        Metric("enterprises_and_teams", "在孵企业和团队数", "enterprises and teams hosted", "count"),
        Metric("technology_enterprises", "孵化科技型企业数", "technology enterprises incubated", "count"),
        Metric("full_time_staff", "专职孵化服务人员数", "full-time incubation staff", "people"),
        Metric("professional_staff", "专业孵化服务人员数", "professional incubation staff", "people"),
        Metric("total_staff", "运营机构总人数", "all staff of the operator", "people"),
        Metric("technology_brokers", "技术经纪人数", "technology brokers", "people"),
        Metric("mentors", "创业导师数", "mentors", "people"),
        Metric("graduated_firms", "毕业企业数", "graduated firms", "count"),
        Metric("financed_incubatees", "获得投融资的在孵企业数", "incubatees financed", "count"),
        Metric("new_firms_registered", "新注册企业数", "new firms registered", "count"),
        Metric("seed_fund_yuan", "种子资金(元)", "seed fund", "yuan"),
        Metric("fund_use_cases", "种子资金使用案例数", "cases of seed-fund use", "count"),
        Metric("incubation_cases", "典型孵化案例数", "incubation cases", "count"),
        Metric("events_held", "创新创业活动场次", "innovation and start-up events held", "count"),
        Metric("patent_applicant_incubatees", "有专利申请的在孵企业数", "incubatees with patent applications", "count"),
        Metric("valid_ip_incubatees", "拥有有效知识产权的在孵企业数", "incubatees holding valid IP", "count"),
    )
}

# Designations a bureau gives a carrier, with the meaning the rulesets rely on.
DESIGNATIONS: dict[str, str] = {
    "featured": "特色孵化载体: a featured carrier (specialised, international or platform-type)",
    "specialised": "专业孵化器: a specialised incubator, at least 75% of its incubatees in one industry",
}

_ID_COLUMNS = {"carrier_id": "carrier_id", "载体编号": "carrier_id", "date": "date", "日期": "date"}
_HEADERS = {**{m.name: m.name for m in METRICS.values()}, **{m.label_zh: m.name for m in METRICS.values()}}


@attrs.frozen
class Snapshot:
    """The statistics one carrier reported as of one date; absent metrics were not reported."""

    carrier_id: str
    date: datetime.date
    values: Mapping[str, Number] = attrs.field(factory=dict)

    def get(self, metric: str) -> Number | None:
        """The reported value of a metric, or None when it was not reported."""
        return self.values.get(metric)

    def to_dict(self) -> dict[str, Any]:
        """Plain data: the date, then the metrics in registry order."""
        out: dict[str, Any] = {"date": self.date.isoformat()}
        for name in METRICS:
            if name in self.values:
                out[name] = self.values[name]
        return out


@attrs.frozen
class Designation:
    """A designation (``featured``, ``specialised``) held from ``date`` until ``until`` (exclusive) or for good."""

    carrier_id: str
    tag: str
    date: datetime.date
    until: datetime.date | None = None
    note: str | None = None

    def holds_on(self, day: datetime.date) -> bool:
        """True when the designation is in force on ``day``."""
        return self.date <= day and (self.until is None or day < self.until)

    def to_dict(self) -> dict[str, Any]:
        """Plain data, omitting empty fields."""
        out: dict[str, Any] = {"tag": self.tag, "date": self.date.isoformat()}
        if self.until is not None:
            out["until"] = self.until.isoformat()
        if self.note is not None:
            out["note"] = self.note
        return out


@attrs.frozen
class Standing:
    """Where a carrier stands on a date: its titles by kind, and whether it is delisted."""

    known: bool
    titles: Mapping[CarrierKind, Level]
    delisted_on: datetime.date | None

    @property
    def delisted(self) -> bool:
        """True when the carrier's last title was withdrawn and not regained."""
        return self.delisted_on is not None

    @property
    def highest(self) -> tuple[CarrierKind, Level] | None:
        """The highest title held (kind, level), or None."""
        if not self.titles:
            return None
        return max(self.titles.items(), key=lambda kv: (kv[1].rank, kv[0].value))


def standing(carrier: Carrier, day: datetime.date, events: tuple[Event, ...] | None = None) -> Standing:
    """A carrier's titles and delisting on ``day``, from its history.

    A title is the highest level accredited or filed per carrier kind; a
    delisting withdraws every title, a later accreditation grants a new one.
    ``events``, when given, is ``carrier.events_until(day)`` already computed.
    """
    titles: dict[CarrierKind, Level] = {}
    delisted_on: datetime.date | None = None
    events = carrier.events_until(day) if events is None else events
    for e in events:
        if e.type is EventType.DELISTED:
            titles, delisted_on = {}, e.date
        elif e.type.is_accreditation:
            assert e.level is not None
            kind = e.kind or carrier.kind
            if delisted_on is not None:
                titles, delisted_on = {}, None
            if kind not in titles or titles[kind].rank < e.level.rank:
                titles[kind] = e.level
    return Standing(bool(events), titles, delisted_on)


def first_titles(
    carrier: Carrier, until: datetime.date, events: tuple[Event, ...] | None = None
) -> dict[Level, tuple[datetime.date, str]]:
    """For each level, the date and event id of the carrier's first accreditation or filing at it."""
    out: dict[Level, tuple[datetime.date, str]] = {}
    for e in carrier.events_until(until) if events is None else events:
        if e.type.is_accreditation and e.level is not None and e.level not in out:
            out[e.level] = (e.date, e.id)
    return out


@attrs.frozen
class Portfolio:
    """A district's carriers, their snapshots and designations. Ids are unique; lookups are by id."""

    id: str
    name: str
    district: str | None = None
    carriers: tuple[Carrier, ...] = ()
    snapshots: tuple[Snapshot, ...] = ()
    designations: tuple[Designation, ...] = ()
    _by_id: Mapping[str, Carrier] = attrs.field(init=False, repr=False, eq=False)
    _snaps: Mapping[str, tuple[Snapshot, ...]] = attrs.field(init=False, repr=False, eq=False)
    _tags: Mapping[str, tuple[Designation, ...]] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        by_id: dict[str, Carrier] = {}
        for c in self.carriers:
            if c.id in by_id:
                raise PortfolioError(f"duplicate carrier id {c.id!r}", field="carriers")
            by_id[c.id] = c
        snaps: dict[str, list[Snapshot]] = {}
        for s in self.snapshots:
            if s.carrier_id not in by_id:
                raise PortfolioError(f"snapshot for unknown carrier {s.carrier_id!r}", field="snapshots")
            snaps.setdefault(s.carrier_id, []).append(s)
        ordered: dict[str, tuple[Snapshot, ...]] = {}
        for cid, items in snaps.items():
            items.sort(key=lambda s: s.date)
            for a, b in zip(items, items[1:]):
                if a.date == b.date:
                    raise PortfolioError(f"two snapshots of carrier {cid!r} dated {a.date}", field="snapshots")
            ordered[cid] = tuple(items)
        tags: dict[str, list[Designation]] = {}
        for d in self.designations:
            if d.carrier_id not in by_id:
                raise PortfolioError(f"designation for unknown carrier {d.carrier_id!r}", field="designations")
            if d.tag not in DESIGNATIONS:
                raise PortfolioError(f"unknown designation {d.tag!r}; expected one of: {', '.join(DESIGNATIONS)}", field="designations")
            tags.setdefault(d.carrier_id, []).append(d)
        object.__setattr__(self, "_by_id", by_id)
        object.__setattr__(self, "_snaps", ordered)
        object.__setattr__(self, "_tags", {k: tuple(v) for k, v in tags.items()})

    def carrier(self, carrier_id: str) -> Carrier:
        """The carrier with this id (KeyError when there is none)."""
        return self._by_id[carrier_id]

    def snapshots_of(self, carrier_id: str) -> tuple[Snapshot, ...]:
        """A carrier's snapshots, oldest first."""
        return self._snaps.get(carrier_id, ())

    def latest(self, carrier_id: str, as_of: datetime.date) -> Snapshot | None:
        """The carrier's latest snapshot dated on or before ``as_of``, or None."""
        snaps = self.snapshots_of(carrier_id)
        i = bisect.bisect_right(snaps, as_of, key=lambda s: s.date)
        return snaps[i - 1] if i else None

    def tags(self, carrier_id: str, day: datetime.date) -> frozenset[str]:
        """The designations a carrier holds on ``day``."""
        return frozenset(d.tag for d in self._tags.get(carrier_id, ()) if d.holds_on(day))

    def known_on(self, carrier_id: str, day: datetime.date) -> bool:
        """True when the carrier has an event or a snapshot dated on or before ``day``."""
        c = self._by_id[carrier_id]
        return any(e.date <= day for e in c.events) or any(s.date <= day for s in self.snapshots_of(carrier_id))

    def with_carrier(
        self, carrier: Carrier, snapshots: Iterable[Snapshot] = (), designations: Iterable[Designation] = ()
    ) -> "Portfolio":
        """A new portfolio with one more carrier (and its snapshots and designations)."""
        return attrs.evolve(
            self,
            carriers=self.carriers + (carrier,),
            snapshots=self.snapshots + tuple(snapshots),
            designations=self.designations + tuple(designations),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data in the shape ``load_portfolio`` reads, snapshots inline."""
        out: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.district is not None:
            out["district"] = self.district
        rows = []
        for c in self.carriers:
            row = c.to_dict()
            tags = [d.to_dict() for d in self._tags.get(c.id, ())]
            if tags:
                row["designations"] = tags
            snaps = [s.to_dict() for s in self.snapshots_of(c.id)]
            if snaps:
                row["snapshots"] = snaps
            rows.append(row)
        out["carriers"] = rows
        return out


def load_portfolio(path: str | Path, snapshots_csv: str | Path | None = None) -> Portfolio:
    """Load a portfolio from YAML or JSON, with snapshots inline and/or from CSV files.

    The file may name a CSV file of snapshots (``snapshots_csv:``, relative to
    the file); ``snapshots_csv`` adds one more. Errors name the file, line and field.
    (``incubator_rules.load_portfolio``, from ``files.workbook``, reads Excel workbooks too.)
    """
    doc = read_document(path)
    base = Path(path).parent
    return portfolio_from_dict(doc.data, doc.source, base_dir=base, extra_csv=snapshots_csv)


def portfolio_from_dict(
    data: Any, source: Source | None = None, base_dir: str | Path | None = None,
    extra_csv: str | Path | None = None,
) -> Portfolio:
    """Read and validate a portfolio from plain data (as loaded from YAML or JSON)."""
    return _PortfolioReader(source or Source(), Path(base_dir) if base_dir is not None else Path.cwd()).portfolio(
        data, extra_csv
    )


def read_snapshots_csv(path: str | Path) -> tuple[Snapshot, ...]:
    """Read snapshots from a CSV file: ``carrier_id``, ``date``, then one column per metric.

    Headers are metric names or their Chinese labels (``载体面积(平方米)``);
    an empty cell means not reported. Numbers may use thousands separators.
    """
    text = read_csv_text(path, lambda message: PortfolioError(message, file=str(path)))
    return parse_snapshots_csv(text, str(path))


MAX_CSV_BYTES = 64 * 1024 * 1024


def read_csv_text(path: str | Path, error: Callable[[str], PortfolioError]) -> str:
    """The text of a CSV file saved as UTF-8 (with or without a byte-order mark); ``error`` builds the error to raise."""
    p = Path(path)
    try:
        if not p.is_file():
            raise error(f"cannot read {str(path)!r}: no such file")
        if p.stat().st_size > MAX_CSV_BYTES:
            raise error(f"{str(path)!r} is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB")
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


@attrs.frozen
class Member:
    """One carrier of a portfolio, with its snapshots and designations, and the data path it was read at."""

    carrier: Carrier
    snapshots: tuple[Snapshot, ...] = ()
    designations: tuple[Designation, ...] = ()
    path: tuple[Any, ...] = ()

    def located_snapshots(self, source: Source) -> list[tuple[Snapshot, str | None, int | None]]:
        """The snapshots with the file and line each was read at."""
        return [(s, source.file, source.locate(self.path + ("snapshots", j))[0]) for j, s in enumerate(self.snapshots)]

    def to_dict(self) -> dict[str, Any]:
        """Plain data in the shape of a portfolio's ``carriers`` entry."""
        row = self.carrier.to_dict()
        if self.designations:
            row["designations"] = [d.to_dict() for d in self.designations]
        if self.snapshots:
            row["snapshots"] = [s.to_dict() for s in self.snapshots]
        return row


def portfolio_header(data: Any, source: Source | None = None) -> tuple[str, str, str | None]:
    """A portfolio's own fields (``id``, ``name``, ``district``, ``note``) checked: (id, name, district)."""
    return _PortfolioReader(source or Source(), Path.cwd()).header(data)


def portfolio_member(entry: Any, source: Source | None = None) -> Member:
    """One entry of a portfolio's ``carriers`` (a carrier with its ``snapshots`` and ``designations``), checked;
    two snapshots of one date are refused."""
    src = source or Source()
    reader = _PortfolioReader(src, Path.cwd())
    member = reader.entry(entry, ())
    reader.check_snapshots(member.located_snapshots(src), {member.carrier.id: 0})
    return member


@attrs.frozen
class _PortfolioReader:
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
        snapshots: list[tuple[Snapshot, str | None, int | None]] = []
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
            snapshots.extend(member.located_snapshots(self.source))
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
            return Carrier.from_dict(plain, self.source.below(p))
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

    def check_snapshots(self, snapshots: list[tuple[Snapshot, str | None, int | None]], carriers: Mapping[str, int]) -> None:
        seen: dict[tuple[str, datetime.date], str] = {}
        for s, file, line in snapshots:
            if s.carrier_id not in carriers:
                raise PortfolioError(
                    f"snapshot for unknown carrier {describe(s.carrier_id)} (dated {s.date}); "
                    "every carrier must be described in the portfolio file",
                    field="carrier_id", file=file, line=line,
                )
            key = (s.carrier_id, s.date)
            if key in seen:
                raise PortfolioError(
                    f"two snapshots of carrier {describe(s.carrier_id)} dated {s.date} (also at {seen[key]})",
                    field="date", file=file, line=line,
                )
            seen[key] = f"{file or '<data>'}:{line}"


__all__ = [
    "DESIGNATIONS",
    "METRICS",
    "Designation",
    "HEADER_FIELDS",
    "Member",
    "Metric",
    "Portfolio",
    "Snapshot",
    "Standing",
    "first_titles",
    "load_portfolio",
    "parse_snapshots_csv",
    "portfolio_from_dict",
    "portfolio_header",
    "portfolio_member",
    "read_snapshots_csv",
    "standing",
]
