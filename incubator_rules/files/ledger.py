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
from ..model.carrier import Event, payment_from_dict
from ..model.portfolio import read_csv_text

# The columns a ledger has: required first, then optional.
REQUIRED = ("carrier", "date", "amount", "purpose")
OPTIONAL = ("voucher", "level", "kind", "year", "settles", "plan", "payer", "note")
COLUMNS = REQUIRED + OPTIONAL
_DIGITS = re.compile(r"[0-9]+")


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
    return _payments(data, Source(file, locations), tuple(line for (line, _) in (locations[(i,)] for i in range(len(data)))))


def ledger_from_data(data: Any, source: Source | None = None) -> tuple[LedgerPayment, ...]:
    """A ledger from plain data: a list of payments, or a mapping whose ``payments`` is one."""
    src = source or Source()
    prefix: tuple[Any, ...] = ()
    if isinstance(data, Mapping):
        extra = [k for k in data if k not in ("payments", "$schema")]
        if extra:
            raise src.error(LedgerError, (extra[0],), "unknown field; expected: payments")  # type: ignore[misc]
        data, prefix = data.get("payments"), ("payments",)
    if not isinstance(data, list):
        raise src.error(LedgerError, prefix, "expected a list of payments")  # type: ignore[misc]
    shifted = src.below(prefix)
    lines = tuple(shifted.locate((i,))[0] for i in range(len(data)))
    return _payments(data, shifted, lines, prefix, src)


def _payments(
    data: Sequence[Any], source: Source, lines: Sequence[int | None], prefix: tuple[Any, ...] = (),
    original: Source | None = None,
) -> tuple[LedgerPayment, ...]:
    out = []
    for i, raw in enumerate(data):
        where = original or source
        path = prefix + (i,)
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
            raise LedgerError(exc.message.replace("award", "purpose"), field=_field(exc.field), file=exc.file,
                              line=exc.line, column=exc.column) from None
        out.append(LedgerPayment(carrier.strip(), event, lines[i]))
    return tuple(out)


def _renamed(source: Source, path: tuple[Any, ...]) -> Source:
    """The source with the ``purpose`` column's location also under ``award``, the event field it fills."""
    at = source.prefix + path
    found = source.locations.get(at + ("purpose",))
    if found is None:
        return source
    return Source(source.file, collections.ChainMap({at + ("award",): found}, source.locations), source.prefix)  # type: ignore[arg-type]


def _field(field: str | None) -> str | None:
    return None if field is None else field.replace(".award", ".purpose")
