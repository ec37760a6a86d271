"""Files of carriers: one carrier, a list of them, a district portfolio, or a folder of such files."""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Mapping

from ..documents import DataPath, Document, Source, field_name
from ..errors import CarrierError, IncubatorRulesError
from ..model.carrier import Carrier
from .portfolio import portfolio_from_dict
from .types import CARRIER, LEDGER, PORTFOLIO, SCENARIO, SUFFIXES, detect_type, read_for_check
from .workbook import is_workbook, read_portfolio_workbook


def sub_source(source: Source, prefix: DataPath) -> Source:
    """The part of a source below ``prefix``, with paths relative to it."""
    return source.below(prefix)


def prefixed(error: IncubatorRulesError, prefix: DataPath) -> IncubatorRulesError:
    """The same error with its field named from the root of the enclosing document."""
    outer = field_name(prefix)
    inner = error.field or ""
    field = outer + (inner if inner.startswith("[") or not inner else "." + inner)
    return type(error)(error.message, field=field or None, file=error.file, line=error.line, column=error.column)


def portfolio_carriers(path: str | Path) -> list[Carrier]:
    """The carriers of a portfolio: a YAML/JSON list of carriers, a district portfolio (a mapping with
    ``carriers``, see ``incubator_rules.model.portfolio``), one carrier file, or a directory of such files."""
    p = Path(path)
    files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES) if p.is_dir() else [p]
    out: list[Carrier] = []
    for f in files:
        if p.is_dir() and _kept_beside(f):
            continue  # what-if scenarios and payments ledgers kept beside the carriers they are about
        out.extend(_carriers_in(f))
    dupes = sorted(i for i, n in collections.Counter(c.id for c in out).items() if n > 1)
    if dupes:
        raise CarrierError(f"carrier ids must be unique in a portfolio; repeated: {', '.join(dupes)}", file=str(p))
    return out


def _kept_beside(path: Path) -> bool:
    try:
        doc, text = read_for_check(path)
    except IncubatorRulesError:
        return False
    return detect_type(doc.data, text) in (SCENARIO, LEDGER)


def _carriers_in(path: Path) -> list[Carrier]:
    if is_workbook(path):
        return list(read_portfolio_workbook(path).carriers)
    doc, text = read_for_check(path)
    return carriers_from_document(doc, text, base_dir=path.parent)


def carriers_from_document(doc: Document, text: str = "", base_dir: str | Path | None = None) -> list[Carrier]:
    """The carriers of a parsed portfolio: one carrier, a list of carriers or a district portfolio.

    ``text`` is the document's text (its modeline may name its type);
    ``base_dir`` is where a district portfolio's ``snapshots_csv`` is found.
    """
    file_type = detect_type(doc.data, text)
    if file_type == CARRIER:
        return [Carrier.from_dict(doc.data, doc.source)]
    if file_type == PORTFOLIO and isinstance(doc.data, Mapping):
        return list(portfolio_from_dict(doc.data, doc.source, base_dir=base_dir).carriers)
    if file_type != PORTFOLIO or not isinstance(doc.data, list):
        found = f"a {file_type} file" if file_type else "not recognised"
        raise CarrierError(f"expected carriers (a carrier file, a list of carriers or a district portfolio); {found}",
                           file=doc.source.file)
    out = []
    for i, raw in enumerate(doc.data):
        try:
            out.append(Carrier.from_dict(raw, doc.source.below((i,))))
        except IncubatorRulesError as exc:
            raise prefixed(exc, (i,)) from None
    return out
