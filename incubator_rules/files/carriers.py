"""Files of carriers: one carrier, a list of them, a district portfolio (YAML, JSON, JSON Lines, CSV tables or a
workbook), or a folder of such files; read whole, or as a stream."""

from __future__ import annotations

import collections
import itertools
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import attrs

from ..collector import gc_paused
from ..documents import DataPath, Document, Source, field_name, keys_unique, read_text, text_document
from ..errors import CarrierError, IncubatorRulesError
from ..model.carrier import Carrier, reading_levels
from ..model.portfolio import Portfolio
from ..progress import Progress
from .carrier import quick_carrier, quick_carrier_list, quick_keys
from .portfolio import load_portfolio_document, portfolio_from_dict, quick_json, quick_portfolio, read_snapshots_csv
from .portfolio_lines import (JSONL_SUFFIXES, IdSet, LineRange, PortfolioLines, is_jsonl, line_of_id, line_ranges,
                              read_portfolio_lines)
from .tables import read_portfolio_tables, tables_folder
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
    ``carriers``, see ``incubator_rules.model.portfolio``), a JSON Lines portfolio, CSV tables (a folder
    holding ``carriers.csv``), a workbook, one carrier file, or a directory of such files."""
    p = Path(path)
    with gc_paused(kept=True):  # the carriers make no reference cycles: scanning all they hold at each collection is waste
        if tables_folder(p) is not None:
            return list(read_portfolio_tables(p).carriers)
        if p.is_dir() and partitions(p):
            return list(CarrierStream(p))
        out: list[Carrier] = []
        for f in _files_of(p):
            if p.is_dir() and _kept_beside(f):
                continue  # what-if scenarios and payments ledgers kept beside the carriers they are about
            out.extend(_carriers_in(f))
    dupes = sorted(i for i, n in collections.Counter(c.id for c in out).items() if n > 1)
    if dupes:
        raise CarrierError(f"carrier ids must be unique in a portfolio; repeated: {', '.join(dupes)}", file=str(p))
    return out


def _files_of(p: Path, suffixes: tuple[str, ...] = SUFFIXES) -> list[Path]:
    if not p.is_dir():
        return [p]
    return sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in suffixes)


def load_portfolio(path: str | Path, snapshots_csv: str | Path | None = None) -> Portfolio:
    """Load a portfolio: YAML or JSON (``model.portfolio.load_portfolio``), JSON Lines (``.jsonl``), CSV tables
    (a folder holding ``carriers.csv``, ``files.tables``) or an Excel workbook (``.xlsx``, the ``excel`` extra).

    ``snapshots_csv`` adds the snapshots of one more CSV file. Errors name the
    file and line (and column), or for a workbook the sheet and cell.
    """
    with gc_paused(kept=True):  # as in ``portfolio_carriers``
        if is_workbook(path):
            portfolio = read_portfolio_workbook(path)
        elif is_jsonl(path):
            portfolio = read_portfolio_lines(path)
        elif tables_folder(path) is not None:
            portfolio = read_portfolio_tables(path)
        else:
            return load_portfolio_document(path, snapshots_csv)
    if snapshots_csv is None:
        return portfolio
    return attrs.evolve(portfolio, snapshots=portfolio.snapshots + read_snapshots_csv(snapshots_csv))


class CarrierStream(Iterator[Carrier]):
    """The carriers of a portfolio one at a time: read line by line from JSON Lines (one file, or a folder of
    partitions, in name order), else from the portfolio loaded whole when the first is asked for (under a
    "reading" progress bar when ``progress`` allows one: see ``progress.Progress``). ``share()`` says how
    much of the input has been read or handed out (0 to 1), for a progress bar; a carrier id seen twice
    raises, as in a whole portfolio."""

    def __init__(self, path: str | Path, progress: bool | None = False) -> None:
        p = Path(path)
        self.path = p
        self.progress = progress
        if not p.exists():
            raise CarrierError("cannot read: no such file or folder", file=str(p))
        self.partitions = partitions(p) if p.is_dir() and tables_folder(p) is None else ([p] if is_jsonl(p) else [])
        self.streamed = bool(self.partitions)
        self._sizes = [f.stat().st_size for f in self.partitions]
        self._done = 0  # bytes of the partitions finished, or carriers handed out of a whole load
        self._held: list[Carrier] | None = None
        self._current: PortfolioLines | None = None
        self.started = False  # whether a carrier has been asked for
        self._items = self._stream() if self.streamed else self._whole()

    def share(self) -> float:
        """The part of the input read (JSON Lines) or handed out (a portfolio loaded whole) so far, 0 to 1."""
        if not self.streamed:
            return self._done / len(self._held) if self._held else 0.0
        total = sum(self._sizes)
        if not total:
            return 1.0
        return min((self._done + (self._current.done if self._current else 0)) / total, 1.0)

    def _whole(self) -> Iterator[Carrier]:
        self.started = True
        with Progress(None, enabled=self.progress, label=f"reading {self.path.name}") as bar, bar.ticking():
            self._held = portfolio_carriers(self.path)
        for c in self._held:
            self._done += 1
            yield c

    def ranges(self, cuts: Callable[[int], Iterable[int]]) -> Iterator[LineRange]:
        """The JSON Lines files cut into ranges of whole lines, in order, for workers that each read their own
        (``read_range``): ``cuts(size)`` proposes the byte offsets at which to cut a file of ``size`` bytes.
        Every file is checked at once; the ranges are found as they are asked for (each file is read once)."""
        return itertools.chain.from_iterable([line_ranges(f, cuts(size)) for f, size in zip(self.partitions, self._sizes)])

    def read_elsewhere(self, size: int) -> None:
        """Record that ``size`` more bytes of the files were read by workers (for ``share``)."""
        self._done += size

    def raise_first_problem(self, levels: Any = None) -> None:
        """Read the whole input again from its start, one line after another (naming the ``levels`` a ruleset
        declares, as ``model.carrier.reading_levels``), and raise its first problem: the error a single reader
        raises, for workers that read ranges of it and found one (an error path)."""
        with gc_paused(), reading_levels(levels if levels is not None else ()):
            for _ in CarrierStream(self.path):
                pass

    def _stream(self) -> Iterator[Carrier]:
        self.started = True
        seen = IdSet()
        many = len(self.partitions) > 1
        for n, (f, size) in enumerate(zip(self.partitions, self._sizes)):
            self._current = PortfolioLines(f)
            try:
                if many:
                    for c in self._current.carriers():
                        if not seen.add(c.id):
                            other = next((p for p in self.partitions[:n] if line_of_id(p, c.id) is not None), None)
                            if other is not None:
                                raise CarrierError(f"carrier id {c.id!r} is also in {other.name}", field="id",
                                                   file=str(f))
                        yield c
                else:
                    yield from self._current.carriers()
            finally:
                self._current.close()
            self._done += size
            self._current = None

    def __next__(self) -> Carrier:
        return next(self._items)

    def __iter__(self) -> Iterator[Carrier]:
        return self._items  # a loop draws from the reading itself, not through ``__next__``

    def close(self) -> None:
        """Stop reading."""
        closing: Callable[[], Any] = getattr(self._items, "close", lambda: None)
        closing()


def read_range(part: LineRange) -> Iterator[Carrier]:
    """The carriers on the lines of ``part`` (see ``CarrierStream.ranges``), one at a time; a repeated id is
    found within the range only (the reader of all ranges checks the rest)."""
    lines = PortfolioLines(part.path, part)
    try:
        yield from lines.carriers()
    finally:
        lines.close()


def partitions(folder: str | Path) -> list[Path]:
    """The JSON Lines partitions of a folder (``*.jsonl``, ``*.ndjson``, in its subfolders too), sorted by name;
    none when it holds YAML or JSON carrier files: it is then a folder of carrier files, whose JSON Lines files
    are not read (as its CSV files are not)."""
    p = Path(folder)
    if any(not _kept_beside(f) for f in _files_of(p)):
        return []
    return _files_of(p, JSONL_SUFFIXES)


def iter_carriers(path: str | Path, progress: bool | None = False) -> CarrierStream:
    """The carriers of any portfolio file or folder (see ``portfolio_carriers``) one at a time; JSON Lines are
    read as a stream, so memory does not grow with the number of carriers. ``progress`` (True, False, or
    None for "on long reads in a terminal or notebook") shows a bar while a portfolio is loaded whole."""
    return CarrierStream(path, progress)


def _kept_beside(path: Path) -> bool:
    try:
        doc, text = read_for_check(path)
    except IncubatorRulesError:
        return False
    return detect_type(doc.data, text) in (SCENARIO, LEDGER)


def _carriers_in(path: Path) -> list[Carrier]:
    if is_workbook(path):
        return list(read_portfolio_workbook(path).carriers)
    if is_jsonl(path):
        return list(PortfolioLines(path).carriers())
    text = read_text(path)
    if path.suffix.lower() == ".json":
        found = quick_json_carriers(text)
        if found is not None:
            return found
    return carriers_from_document(text_document(text, path), text, base_dir=path.parent)


def quick_json_carriers(text: str) -> list[Carrier] | None:
    """The carriers of a JSON text of a common shape (``quick_carriers``), a portfolio's read one entry at a time
    as the parser reaches it (``portfolio.quick_json``), or None: the full reader then reads the text."""
    found = quick_json(text)
    if found is None:
        return None
    data, carriers = found
    if carriers is None:
        return quick_carriers(data, text, json=True)
    return list(carriers) if detect_type(data, text) == PORTFOLIO else None


def quick_carriers(data: Any, text: str = "", json: bool = False) -> list[Carrier] | None:
    """The carriers of plain data of a common shape (one carrier, a list of carriers or a district portfolio: see
    ``quick_carrier`` and ``quick_portfolio``), or None: the full reader then reads it and names any problem.
    ``json``: the data is ``documents.json_data(text)``, whose keys are checked against the text."""
    file_type = detect_type(data, text)
    keys_text = text if json else None
    if file_type == CARRIER:
        carrier = quick_carrier(data, keys_text)
        return None if carrier is None else [carrier]
    if file_type != PORTFOLIO:
        return None
    if data.__class__ is dict:
        portfolio = quick_portfolio(data, keys_text)
        return None if portfolio is None else list(portfolio.carriers)
    carriers = quick_carrier_list(data)
    return carriers if carriers is None or not json or keys_unique(text, quick_keys(data)) else None


def carriers_from_document(doc: Document, text: str = "", base_dir: str | Path | None = None) -> list[Carrier]:
    """The carriers of a parsed portfolio: one carrier, a list of carriers or a district portfolio.

    ``text`` is the document's text (its modeline may name its type);
    ``base_dir`` is where a district portfolio's ``snapshots_csv`` is found.
    """
    found = quick_carriers(doc.data, text)
    if found is not None:
        return found
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
