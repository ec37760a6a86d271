"""Portfolios as JSON Lines: one carrier per line, read and written as a stream.

A JSON Lines portfolio (``.jsonl``, also ``.ndjson``) holds one JSON object
per line. The first line may be the portfolio's own fields, recognised by
being an object with the single key ``portfolio``::

    {"portfolio": {"id": "wz-2025", "name": "万州区孵化载体", "district": "万州区"}}
    {"id": "c1", "name": "...", "kind": "incubator", "events": [...], "snapshots": [...]}
    {"id": "c2", ...}

Every other line is one entry of a portfolio's ``carriers``: a carrier with,
optionally, its ``snapshots`` and ``designations``. Blank lines are skipped.
Without a header line the portfolio's id and name are the file's stem.
Lines are read one at a time, so memory does not grow with the number of
carriers (only a 64-bit digest of each id seen, to refuse a repeated one:
about 16 bytes a carrier); every error names the file, the line and the
column within it.
"""

from __future__ import annotations

import array
import codecs
import itertools
import os
import stat
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

import attrs

from ..documents import JsonLocations, Source, dump_json, json_data, load_json, max_file_bytes, too_large
from ..errors import DocumentError, IncubatorRulesError, PortfolioError
from ..model.carrier import Carrier
from ..model.portfolio import Member, Portfolio
from .carrier import quick_carrier
from .portfolio import header_schema, member_schema, portfolio_header, portfolio_member
from .schema import FileSchema

JSONL_SUFFIXES = (".jsonl", ".ndjson")
HEADER_KEY = "portfolio"


def is_jsonl(path: str | Path) -> bool:
    """True when ``path`` names a JSON Lines file (by its suffix)."""
    return Path(path).suffix.lower() in JSONL_SUFFIXES


def is_header(data: Any) -> bool:
    """True when a line's data is the portfolio header (an object whose one key is ``portfolio``)."""
    return isinstance(data, dict) and len(data) == 1 and HEADER_KEY in data


def parse_line(text: str, number: int, file: str | None) -> tuple[Any, Source]:
    """One line's data and its source (line numbers counted in the file); errors name line and column."""
    try:
        data = load_json(text, file)
    except DocumentError as exc:
        raise DocumentError(exc.message, field=exc.field, file=file, line=(exc.line or 1) + number - 1,
                            column=exc.column) from None
    return data, Source(file, JsonLocations(text, line_offset=number - 1))


def read_member(data: Any, source: Source) -> Member:
    """A line's carrier entry, checked (see ``model.portfolio.portfolio_member``)."""
    if not isinstance(data, dict):
        raise source.error(PortfolioError, (), f"expected a carrier (a JSON object) on the line, got {_kind(data)}")
    if is_header(data):
        raise source.error(PortfolioError, (HEADER_KEY,), "the portfolio header must be the first line of the file")
    if HEADER_KEY in data:  # no carrier has such a field: a header line with more beside it
        other = next(k for k in data if k != HEADER_KEY)
        raise source.error(PortfolioError, (other,), f"unknown field beside {HEADER_KEY!r}: the header line holds "
                                                     f"only {HEADER_KEY!r}, and only as the first line")
    return portfolio_member(data, source)


def read_header(data: Any, source: Source) -> tuple[str, str, str | None]:
    """The header line's portfolio fields: (id, name, district)."""
    fields = data[HEADER_KEY]
    if not isinstance(fields, dict):
        raise source.error(PortfolioError, (HEADER_KEY,),
                           f"expected the portfolio's fields (an object with id and name), got {_kind(fields)}")
    return portfolio_header(fields, source.below((HEADER_KEY,)))


def _kind(data: Any) -> str:
    return "a list" if isinstance(data, list) else f"{type(data).__name__} {data!r}"[:60]


@attrs.frozen
class LineRange:
    """Whole lines of a JSON Lines file, for a worker to read: bytes ``start`` to ``stop`` of ``path`` (as given,
    named in errors; ``absolute`` is opened, so a worker in another folder finds it), the first of them line
    number ``line`` of the file."""

    path: str
    start: int
    stop: int
    line: int
    absolute: str


def line_ranges(path: str | Path, cuts: Iterable[int]) -> Iterator[LineRange]:
    """``path`` cut near the byte offsets ``cuts`` (increasing), each moved forward to the start of a line, but
    never before the end of the first line that is not blank (the header's place): consecutive ranges, none
    empty, that cover the whole file (one range for an empty file), made as they are asked for."""
    _size_of(path)  # checked now, and not opened unless a regular file: opening a FIFO would wait for a writer
    return _ranges(str(path), os.path.abspath(path), cuts)


def _ranges(file: str, absolute: str, cuts: Iterable[int]) -> Iterator[LineRange]:
    with _open(absolute) as handle:
        size = os.fstat(handle.fileno()).st_size
        start, line = 0, 1
        first = _first_line_end(handle)
        for cut in cuts:
            if cut <= start or cut < first:
                continue
            stop = _line_start(handle, cut)
            if stop >= size:
                break
            yield LineRange(file, start, stop, line, absolute)
            line += _breaks(handle, start, stop)
            start = stop
        yield LineRange(file, start, size, line, absolute)


def _first_line_end(handle: IO[bytes]) -> int:
    """The offset just after the first line that is not blank (as ``_texts`` counts blank), or the file's end."""
    handle.seek(0)
    first = True
    while True:
        raw = handle.readline(1 << 20)
        if not raw:
            return handle.tell()
        text = raw.decode("utf-8", "replace")
        if first:
            text = text.removeprefix("\ufeff")
        first = False
        if text and not text.isspace():
            while not raw.endswith(b"\n"):  # a long line: its end
                raw = handle.readline(1 << 20)
                if not raw:
                    break
            return handle.tell()


def _line_start(handle: IO[bytes], offset: int) -> int:
    """The offset of the first line that starts at or after ``offset``."""
    handle.seek(offset - 1)  # the byte before: a line break there makes ``offset`` a line's start
    while True:
        raw = handle.readline(1 << 20)
        if not raw or raw.endswith(b"\n"):
            return handle.tell()


def _breaks(handle: IO[bytes], start: int, stop: int) -> int:
    """The number of line breaks in bytes ``start`` to ``stop``."""
    handle.seek(start)
    count, left = 0, stop - start
    while left > 0:
        block = handle.read(min(left, 1 << 20))
        if not block:
            break
        count += block.count(b"\n")
        left -= len(block)
    return count


class PortfolioLines:
    """A JSON Lines portfolio read as a stream: ``header`` (id, name, district) at once, then the members
    (``iter``) and their carriers (``carriers``) one line at a time. ``share()`` is how much of the file has
    been read (0 to 1), for a progress bar. Reading is strict: a bad line raises, naming its line and column,
    as does a carrier id seen before (with the line it was first seen on). Given a ``part`` (``line_ranges``),
    only its lines are read; a part that does not start the file has no header line."""

    def __init__(self, path: str | Path, part: LineRange | None = None) -> None:
        self.path = Path(path if part is None else part.absolute)  # opened
        self.file = str(path)  # named in errors
        self.size = _size_of(self.path)
        self.part = part
        if part is not None:
            self.size = part.stop - part.start
        self.done = 0
        self._first: tuple[int, str] | None = None
        stem = self.path.name.split(".")[0] or "portfolio"
        self.header: tuple[str, str, str | None] = (stem, stem, None)
        self._stream = self._lines()
        if part is not None and part.start > 0:
            return
        for number, text in self._stream:
            data, source = parse_line(text, number, self.file)
            if is_header(data):
                self.header = read_header(data, source)
            else:
                self._first = (number, text)
            break

    @property
    def id(self) -> str:
        """The portfolio's id (the header's, else the file's stem)."""
        return self.header[0]

    def share(self) -> float:
        """The part of the file read so far, from 0 to 1."""
        return self.done / self.size if self.size else 1.0

    def _lines(self) -> Iterator[tuple[int, str]]:
        with _open(self.path) as handle:
            part = self.part
            if part is None:
                yield from _texts(handle, self.file, self, strict=True)  # type: ignore[misc]
                return
            handle.seek(part.start)
            yield from _texts(handle, self.file, self, strict=True, first=part.line,  # type: ignore[misc]
                              limit=part.stop - part.start)

    def __iter__(self) -> Iterator[Member]:
        return self._read(True)  # type: ignore[return-value]

    def carriers(self) -> Iterator[Carrier]:
        """The carriers, one line at a time."""
        return self._read(False)  # type: ignore[return-value]

    def _read(self, members: bool) -> Iterator[Member | Carrier]:
        seen = IdSet()
        pending = [self._first] if self._first is not None else []
        self._first = None
        for number, text in itertools.chain(pending, self._stream):
            carrier = quick_carrier(json_data(text), text)  # a line of the common shape; any other is read in full
            if carrier is None:
                member = read_member(*parse_line(text, number, self.file))
                carrier = member.carrier
            elif members:
                member = Member(carrier)
            cid = carrier.id
            if not seen.add(cid):
                earlier = line_of_id(self.path, cid, number)
                if earlier is not None:
                    source = parse_line(text, number, self.file)[1]
                    raise source.error(PortfolioError, ("id",), f"duplicate carrier id {cid!r} (also on line {earlier})")
            yield member if members else carrier

    def close(self) -> None:
        """Stop reading (closes the file)."""
        self._stream.close()


class IdSet:
    """The carrier ids seen, kept as 64-bit digests in an open-addressing table (about 16 bytes an id).

    ``add`` returns True for an id whose digest is new. False means the id
    was seen before, or (about once in 10^19 pairs) that another id shares
    its digest: the caller confirms on its error path (``line_of_id``).
    """

    def __init__(self) -> None:
        self._slots = array.array("q", bytes(8 * 1024))  # signed: a hash is a signed 64-bit number
        self._mask = len(self._slots) - 1
        self._room = len(self._slots) // 2  # ids still to add before the table grows

    def add(self, cid: str) -> bool:
        """Record ``cid``; False when its digest was already there."""
        digest = hash(cid) | 1  # odd: 0 marks an empty slot
        slots, mask = self._slots, self._mask
        i = digest & mask
        found = slots[i]
        while found:
            if found == digest:
                return False
            i = (i + 1) & mask
            found = slots[i]
        slots[i] = digest
        self._room -= 1
        if not self._room:
            self._grow()
        return True

    def _grow(self) -> None:
        old = self._slots
        self._slots = array.array("q", bytes(16 * len(old)))
        self._mask = mask = len(self._slots) - 1
        self._room = len(self._slots) // 2 - len(old) // 2
        for digest in old:
            if digest:
                i = digest & mask
                while self._slots[i]:
                    i = (i + 1) & mask
                self._slots[i] = digest


def line_of_id(path: str | Path, cid: str, before: int | None = None) -> int | None:
    """The number of the first line (before line ``before``) holding the carrier ``cid``, or None: the error
    path of a repeated id, which reads the file again rather than keep every id on the success path."""
    with _open(path) as handle:
        for number, text, problem in _texts(handle, str(path)):
            if before is not None and number >= before:
                return None
            if problem is None:
                try:
                    data = load_json(text)
                except IncubatorRulesError:
                    continue
                if isinstance(data, dict) and data.get("id") == cid:
                    return number
    return None


def _size_of(path: str | Path) -> int:
    """The size of the regular file at ``path``; DocumentError for anything else (a folder, a FIFO, nothing)."""
    try:
        found = os.stat(path)
    except OSError as exc:
        raise DocumentError(f"cannot read file: {exc.strerror or exc}", file=str(path)) from None
    if not stat.S_ISREG(found.st_mode):
        raise DocumentError("cannot read file: not a regular file", file=str(path))
    return found.st_size


def _open(path: str | Path) -> IO[bytes]:
    try:
        return open(path, "rb")
    except OSError as exc:
        raise DocumentError(f"cannot read file: {exc.strerror or exc}", file=str(path)) from None


def _texts(handle: IO[bytes], file: str, counter: PortfolioLines | None = None,
           strict: bool = False, first: int = 1, limit: int | None = None) -> Iterator[tuple[Any, ...]]:
    """Each non-blank line's number, text and the problem that keeps it from being text (or None); when
    ``strict``, the number and text alone, a problem raised. The first line read is line ``first``; with a
    ``limit``, reading stops after that many bytes (at the end of a line)."""
    number = first - 1
    readline = handle.readline
    longest = max_file_bytes()  # one line's limit: the file itself may be as long as it likes
    left = 1 << 62 if limit is None else limit
    while left > 0:
        raw = readline(longest + 1)
        if not raw:
            return
        number += 1
        if counter is not None:
            counter.done += len(raw)
        left -= len(raw)
        problem = None
        if len(raw) > longest:
            problem = DocumentError(f"a line {too_large(longest)}", file=file, line=number)
            while raw and not raw.endswith(b"\n"):
                raw = readline(longest + 1)
                left -= len(raw)
                if counter is not None:
                    counter.done += len(raw)
            text = ""
        else:
            bom = 3 if number == 1 and raw.startswith(codecs.BOM_UTF8) else 0  # the file's byte-order mark
            try:
                text = raw[bom:].decode("utf-8")
            except UnicodeDecodeError as exc:
                problem = DocumentError(f"not UTF-8 text (byte {bom + exc.start + 1} of the line)", file=file,
                                        line=number, column=len(raw[bom:bom + exc.start].decode("utf-8")) + 1)
                text = ""
            else:
                if not text or text.isspace():
                    continue
                text = text.rstrip("\r\n")
                if text.startswith("\ufeff"):
                    problem = DocumentError("a byte-order mark (U+FEFF) starts the line: only the first bytes of a "
                                            "file may be one (were two files joined?)", file=file, line=number, column=1)
        if not strict:
            yield number, text, problem
        elif problem is not None:
            raise problem
        else:
            yield number, text


def read_portfolio_lines(path: str | Path) -> Portfolio:
    """A whole JSON Lines portfolio, its snapshots and designations included."""
    lines = PortfolioLines(path)
    members = list(lines)
    pid, name, district = lines.header
    return Portfolio(pid, name, district, tuple(m.carrier for m in members),
                     tuple(s for m in members for s in m.snapshots), tuple(d for m in members for d in m.designations))


# --- writing -----------------------------------------------------------------------


def member_data(member: Member) -> dict[str, Any]:
    """A member as plain data that reads back equal (``Member.to_dict``: facts exact, Decimals kept)."""
    return member.to_dict()


def header_line(pid: str, name: str, district: str | None) -> str:
    """The header line (without its line break)."""
    fields: dict[str, Any] = {"id": pid, "name": name}
    if district is not None:
        fields["district"] = district
    return dump_json({HEADER_KEY: fields})


def members_of(portfolio: Portfolio) -> Iterator[Member]:
    """A portfolio's carriers with their own snapshots and designations, in order."""
    for c in portfolio.carriers:
        yield Member(c, portfolio.snapshots_of(c.id), tuple(d for d in portfolio.designations if d.carrier_id == c.id))


def write_lines(out: IO[str], header: tuple[str, str, str | None] | None, members: Iterable[Member | Carrier]) -> int:
    """Write a JSON Lines portfolio to a text stream: the header line (if given), then one line per member;
    returns the number of carriers written."""
    if header is not None:
        out.write(header_line(*header) + "\n")
    count = 0
    for m in members:
        member = m if isinstance(m, Member) else Member(m)
        out.write(dump_json(member_data(member)) + "\n")
        count += 1
    return count


def read_line_data(data: Any, source: Source, first: bool = True) -> Member | None:
    """One line's data read: its member, or None for a header line (allowed only when ``first``)."""
    if first and is_header(data):
        read_header(data, source)
        return None
    return read_member(data, source)


def line_problems(path: str | Path) -> list[IncubatorRulesError]:
    """Every problem of a JSON Lines portfolio: each bad line's first problem, and each repeated carrier id."""
    problems: list[IncubatorRulesError] = []
    seen: dict[str, int] = {}
    file = str(path)
    first = True
    try:
        handle = _open(path)
    except IncubatorRulesError as exc:
        return [exc]
    with handle:
        for number, text, problem in _texts(handle, file):
            try:
                if problem is not None:
                    raise problem
                data, source = parse_line(text, number, file)
                member = read_line_data(data, source, first)
            except IncubatorRulesError as exc:
                problems.append(exc)
                continue
            finally:
                first = False
            if member is None:
                continue
            cid = member.carrier.id
            if cid in seen:
                problems.append(source.error(PortfolioError, ("id",), f"duplicate carrier id {cid!r} (also on line {seen[cid]})"))
            else:
                seen[cid] = number
    return problems


# --- the schema of one line ---------------------------------------------------------------


def portfolio_lines_schema() -> FileSchema:
    """The JSON Schema of one line of a JSON Lines portfolio (``schemas/portfolio-lines.schema.json``)."""
    header, member = header_schema(), member_schema()
    member["not"] = {"required": [HEADER_KEY]}
    return FileSchema(
        "portfolio-lines",
        "incubator-rules JSON Lines portfolio: one line",
        "One line of a JSON Lines portfolio (.jsonl; docs/formats.md): the first line may be the portfolio's own "
        "fields ({\"portfolio\": {...}}); every other line is one carrier (as carrier.schema.json) with, optionally, "
        "its snapshots and designations.",
        root={"anyOf": [
            {"type": "object", "description": "the header line: the portfolio's own fields", "required": [HEADER_KEY],
             "additionalProperties": False, "properties": {HEADER_KEY: header}},
            member,
        ]},
    )


__all__ = [
    "HEADER_KEY",
    "IdSet",
    "JSONL_SUFFIXES",
    "LineRange",
    "PortfolioLines",
    "line_of_id",
    "line_ranges",
    "line_problems",
    "header_line",
    "is_header",
    "is_jsonl",
    "member_data",
    "members_of",
    "parse_line",
    "portfolio_lines_schema",
    "read_header",
    "read_line_data",
    "read_member",
    "read_portfolio_lines",
    "write_lines",
]

