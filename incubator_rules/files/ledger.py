"""Payments ledgers: what a finance office paid, one payment a line, in CSV or YAML (docs/reconcile.md)."""

from __future__ import annotations

import collections
import csv
import io
import re
from pathlib import Path
from typing import Any, Mapping, Sequence

import attrs

from ..documents import Source, read_document
from ..errors import IncubatorRulesError, LedgerError
from ..model.carrier import AwardKind, Event
from .carrier import payment_from_dict
from .carrier import event_field
from .schema import DATE, TEXT, Field, FileSchema, Schema, Shape, enum_values
from .portfolio import read_csv_text

# The columns a ledger has: required first, then optional.
REQUIRED = ("carrier", "date", "amount", "purpose")
OPTIONAL = ("voucher", "level", "kind", "year", "settles", "plan", "payer", "note")
COLUMNS = REQUIRED + OPTIONAL
_DIGITS = re.compile(r"[0-9]+")
_AWARD = re.compile(r"(?<!['\w])award(?!['\w])")  # the event field's name in a message, not a value quoted in it


@attrs.frozen
class LedgerPayment:
    """One line of a payments ledger: the carrier paid and the payment, as a ``payment_received`` event.

    ``line`` is the line of the ledger file it was read from (None when built in code).
    """

    carrier: str
    payment: Event
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data: the ledger's columns (``purpose`` for the payment's award kind), empty ones left out."""
        fields = {k: v for k, v in self.payment.to_dict().items() if k not in ("id", "type", "award")}
        return {"carrier": self.carrier, **fields, "purpose": self.payment.purpose.value}


def load_ledger(path: str | Path) -> tuple[LedgerPayment, ...]:
    """Read a payments ledger: ``.csv`` (a header row naming the columns), or YAML/JSON (a list of payments,
    or a mapping with ``payments``). Errors name the file, line and column."""
    p = Path(path)
    if p.suffix.lower() == ".csv":
        text = read_csv_text(p, lambda message: LedgerError(message, file=str(path)))  # type: ignore[arg-type, return-value]
        return parse_ledger_csv(text, str(path))
    try:
        doc = read_document(p)
    except IncubatorRulesError as exc:
        raise LedgerError(exc.message, file=exc.file or str(path), line=exc.line, column=exc.column) from None
    return ledger_from_data(doc.data, doc.source)


def parse_ledger_csv(text: str, file: str | None = None) -> tuple[LedgerPayment, ...]:
    """A ledger from CSV text; amounts are whole yuan written as digits."""
    data, source, lines = _csv_records(text, file)
    return _payments(data, source, lines)


def _csv_records(text: str, file: str | None) -> tuple[list[dict[str, Any]], Source, tuple[int, ...]]:
    """The CSV ledger's rows as records (non-empty cells only), where each cell is, and each record's line."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise LedgerError(f"not readable as CSV: {exc}", file=file, line=reader.line_num or None) from None
    if not rows:
        raise LedgerError("the ledger is empty; expected a header row: " + ",".join(COLUMNS), file=file, line=1)
    header = [h.strip() for h in rows[0]]
    for i, name in enumerate(header):
        if name not in COLUMNS:
            raise LedgerError(f"unknown column {name!r}; expected some of: {', '.join(COLUMNS)}", file=file, line=1, column=i + 1)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise LedgerError(f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}", file=file, line=1)
    data: list[dict[str, Any]] = []
    locations: dict[tuple[Any, ...], tuple[int, int]] = {}
    for n, row in enumerate(rows[1:]):
        line = n + 2
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise LedgerError(f"{len(row)} cells in a row of {len(header)} columns", file=file, line=line)
        i = len(data)
        record: dict[str, Any] = {}
        locations[(i,)] = (line, 1)
        for col, (name, cell) in enumerate(zip(header, row)):
            cell = cell.strip()
            if cell:
                record[name] = int(cell) if name in ("amount", "year") and _DIGITS.fullmatch(cell) else cell
                locations[(i, name)] = (line, col + 1)
        data.append(record)
    return data, Source(file, locations), tuple(line for (line, _) in (locations[(i,)] for i in range(len(data))))


def ledger_from_data(data: Any, source: Source | None = None) -> tuple[LedgerPayment, ...]:
    """A ledger from plain data: a list of payments, or a mapping whose ``payments`` is one."""
    src = source or Source()
    entries, prefix, lines = _entries(data, src)
    return _payments(entries, src, lines, prefix)


def _entries(data: Any, src: Source, problems: list[IncubatorRulesError] | None = None) -> tuple[list[Any], tuple[Any, ...], tuple[int | None, ...]]:
    """The list of payments of a YAML/JSON ledger, the path to it, and each entry's line.

    An unknown top-level field is raised, or collected in ``problems``; anything but a list of payments is raised.
    """
    prefix: tuple[Any, ...] = ()
    if isinstance(data, Mapping):
        for k in [k for k in data if k not in ("payments", "$schema")]:
            error = src.error(LedgerError, (k,), "unknown field; expected: payments")
            if problems is None:
                raise error  # type: ignore[misc]
            problems.append(error)  # type: ignore[arg-type]
        data, prefix = data.get("payments"), ("payments",)
    if not isinstance(data, list):
        raise src.error(LedgerError, prefix, "expected a list of payments")  # type: ignore[misc]
    return data, prefix, tuple(src.locate(prefix + (i,))[0] for i in range(len(data)))


def _payments(
    data: Sequence[Any], source: Source, lines: Sequence[int | None], prefix: tuple[Any, ...] = (),
    problems: list[IncubatorRulesError] | None = None,
) -> tuple[LedgerPayment, ...]:
    """The payments of ``data``; with ``problems``, each bad entry's problem is collected there instead of raised."""
    out = []
    for i, raw in enumerate(data):
        try:
            out.append(_payment(raw, i, source, prefix + (i,), lines[i]))
        except LedgerError as exc:
            if problems is None:
                raise
            problems.append(exc)
    return tuple(out)


def _payment(raw: Any, i: int, where: Source, path: tuple[Any, ...], line: int | None) -> LedgerPayment:
    """One ledger entry as a payment; raises LedgerError naming the entry's field."""
    if not isinstance(raw, Mapping):
        raise where.error(LedgerError, path, f"expected a payment (a mapping), got {type(raw).__name__}")  # type: ignore[misc]
    for key in raw:
        if key not in COLUMNS:
            raise where.error(LedgerError, path + (key,), f"unknown field; expected some of: {', '.join(COLUMNS)}")  # type: ignore[misc]
    for key in REQUIRED:
        if raw.get(key) in (None, ""):
            raise where.error(LedgerError, path + (key,), "required field is missing")  # type: ignore[misc]
    carrier = raw["carrier"]
    if not isinstance(carrier, str) or not carrier.strip():
        raise where.error(LedgerError, path + ("carrier",), f"expected a carrier id, got {carrier!r}")  # type: ignore[misc]
    fields = {("award" if k == "purpose" else k): v for k, v in raw.items() if k != "carrier"}
    if fields.get("award") != "other" and fields.get("level") in (None, ""):
        raise where.error(LedgerError, path + ("level",), "required field is missing: the level the payment is for")  # type: ignore[misc]
    if fields.get("award") == "other" and fields.get("level") in (None, ""):
        fields["level"] = "district"  # other money has no level of its own; it is never matched by level
    try:
        event = payment_from_dict(fields, _renamed(where, path), path, f"ledger-{i + 1}")
    except IncubatorRulesError as exc:
        raise LedgerError(_AWARD.sub("purpose", exc.message.replace("AwardKind", "purpose")), field=_field(exc.field), file=exc.file,
                          line=exc.line, column=exc.column) from None
    return LedgerPayment(carrier.strip(), event, line)


def _renamed(source: Source, path: tuple[Any, ...]) -> Source:
    """The source with the ``purpose`` column's location also under ``award``, the event field it fills."""
    at = source.prefix + path
    found = source.locations.get(at + ("purpose",))
    if found is None:
        return source
    return Source(source.file, collections.ChainMap({at + ("award",): found}, source.locations), source.prefix)  # type: ignore[arg-type]


def _field(field: str | None) -> str | None:
    return None if field is None else field.replace(".award", ".purpose")


# --- checking a ledger file: every problem, each with its line ---------------------------------


def repeated_vouchers(payments: Sequence[LedgerPayment], source: Source | None = None, prefix: tuple[Any, ...] = ()) -> list[LedgerError]:
    """A problem for each payment whose voucher number an earlier line already used (a voucher pays once).

    ``source`` and ``prefix`` locate the ledger's entries (the ``i``-th read is ``ledger-{i + 1}``).
    """
    src = source or Source()
    first: dict[str, LedgerPayment] = {}
    out = []
    for p in sorted(payments, key=lambda p: (p.line or 0, _index(p))):
        voucher = p.payment.voucher
        if not voucher:
            continue
        seen = first.setdefault(voucher, p)
        if seen is not p:
            where = f"line {seen.line}" if seen.line is not None else seen.payment.id
            message = f"voucher {voucher!r} is used again (first on {where}, {seen.carrier} {seen.payment.date.isoformat()}); a voucher pays once"
            out.append(src.error(LedgerError, prefix + (_index(p), "voucher"), message))  # type: ignore[arg-type]
    return out


def _index(p: LedgerPayment) -> int:
    """The position in its ledger of a payment read from one (its id is ``ledger-N``)."""
    return int(p.payment.id.rsplit("-", 1)[1]) - 1


def validate_ledger(data: Any, source: Source | None = None) -> tuple[tuple[LedgerPayment, ...] | None, tuple[IncubatorRulesError, ...]]:
    """Every problem of a YAML/JSON ledger (each bad payment, then repeated vouchers), and its payments when none."""
    src = source or Source()
    problems: list[IncubatorRulesError] = []
    try:
        entries, prefix, lines = _entries(data, src, problems)
    except LedgerError as exc:
        return None, tuple(problems + [exc])
    payments = _payments(entries, src, lines, prefix, problems=problems)
    problems += repeated_vouchers(payments, src, prefix)
    return (None if problems else payments), tuple(problems)


def validate_ledger_csv(text: str, file: str | None = None) -> tuple[tuple[LedgerPayment, ...] | None, tuple[IncubatorRulesError, ...]]:
    """Every problem of a CSV ledger's text (the header's first, else each bad row, then repeated vouchers)."""
    try:
        data, source, lines = _csv_records(text, file)
    except LedgerError as exc:
        return None, (exc,)
    problems: list[IncubatorRulesError] = []
    payments = _payments(data, source, lines, problems=problems)
    problems += repeated_vouchers(payments, source)
    return (None if problems else payments), tuple(problems)


def looks_like_ledger_csv(text: str) -> bool:
    """True when the CSV text's header row names every required ledger column."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    header = {h.strip() for h in first.split(",")}
    return all(c in header for c in REQUIRED)


# --- the schema of the file ---------------------------------------------------------


_LEDGER_TEXTS = {
    "carrier": "id of the carrier paid, as in the portfolio",
    "purpose": "what the payment pays: the construction subsidy (建设经费补助), an excellence award, or other money",
    "year": "for excellence money, the year evaluated",
    "note": "free text",
}


def ledger_column(name: str) -> Schema:
    """The schema of one ledger column (the payment fields of a carrier event, ``purpose`` for ``award``)."""
    if name == "date":
        return {"$ref": "#/definitions/date"}
    if name == "amount":
        return {"type": "integer", "minimum": 0, "description": "whole yuan (元), e.g. 200000 for 20万元"}
    if name == "purpose":
        return {"enum": enum_values(AwardKind), "description": _LEDGER_TEXTS[name]}
    if name in ("carrier", "note"):
        return {"$ref": "#/definitions/text", "description": _LEDGER_TEXTS[name]}
    field = event_field(name)
    if name == "year":
        field["description"] = _LEDGER_TEXTS[name]
    return field


def payment_shape() -> Shape:
    """One payment of a ledger: a field per column (``COLUMNS``), the required ones first."""
    return Shape(
        tuple(Field(name, ledger_column(name), required=name in REQUIRED) for name in COLUMNS),
        description="One payment. `level` is required unless the purpose is `other`.",
        extra={"if": {"properties": {"purpose": {"const": "other"}}, "required": ["purpose"]}, "else": {"required": ["level"]}},
    )


def ledger_schema() -> FileSchema:
    """The JSON Schema of ledger files (``schemas/ledger.schema.json``)."""
    return FileSchema(
        "ledger",
        "incubator-rules payments ledger",
        "What a finance office paid, one payment an entry, reconciled against the entitlements a ruleset decides (`incubator-rules reconcile PORTFOLIO --payments LEDGER`, `incubator_rules.reconcile`). A file holds `payments:` (a list) or a list. The same columns make a CSV ledger. See docs/reconcile.md.",
        root={
            "type": ["array", "object"],
            "if": {"type": "array"},
            "then": {"type": "array", "items": {"$ref": "#/definitions/payment"}},
            "else": Shape(
                (
                    Field("$schema", {"type": "string"}),
                    Field("payments", {"type": "array", "items": {"$ref": "#/definitions/payment"}}, required=True),
                ),
            ),
        },
        definitions={
            "text": TEXT,
            "date": DATE,
            "payment": payment_shape,
        },
    )
