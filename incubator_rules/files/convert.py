"""Converting a portfolio between its formats: YAML, JSON, JSON Lines and CSV tables, losing nothing.

The format of each side follows its name: ``.yaml``/``.yml``, ``.json``,
``.jsonl``/``.ndjson``, and a folder (an existing one, or a name ending in
``/`` or without a suffix) for CSV tables (``files.tables``). An Excel
workbook (``.xlsx``) can be read; ``incubator-rules workbook`` writes one.
A portfolio read back from what ``convert`` wrote equals the one it read:
its id, name and district, its carriers in order with their events in
order, facts, snapshots and designations. JSON Lines in, JSON Lines, JSON or
YAML out go one carrier at a time; every output is written whole or not at
all (``output``).
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from ..documents import dump_json
from ..errors import IncubatorRulesError
from ..model.carrier import Carrier
from ..model.portfolio import Member, Portfolio
from ..output import output_file
from ..progress import Progress
from .carriers import load_portfolio
from .portfolio_lines import PortfolioLines, header_line, is_jsonl, member_data, members_of, write_lines
from .tables import CSV_SUFFIX, tables_folder, write_portfolio_tables
from .types import SUFFIXES
from .workbook import is_workbook

FORMATS = ("yaml", "json", "jsonl", "csv")
Header = tuple[str, str, "str | None"]


def format_of(path: str | Path, output: bool = False, *, workbook: bool = False, field: str | None = None) -> str:
    """The portfolio format a path names (see the module docstring); raises naming the formats known and
    ``field`` (by default ``output`` or ``input``). An output may be a workbook (``xlsx``) only when ``workbook``."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "json"
    if is_jsonl(p):
        return "jsonl"
    if (workbook or not output) and is_workbook(p):
        return "xlsx"
    if (output and (str(path).endswith(("/", "\\")) or (not suffix and not p.is_file()) or p.is_dir())) or (
            not output and (tables_folder(p) is not None or suffix == CSV_SUFFIX)):
        return "csv"
    shown = ", ".join((*SUFFIXES, ".jsonl", *((".xlsx",) if workbook or not output else ()), "a folder of CSV tables"))
    raise IncubatorRulesError(f"cannot tell the portfolio format of {str(path)!r}; expected {shown}",
                              field=field or ("output" if output else "input"))


def read_members(path: str | Path) -> tuple[Header, Iterator[Member], int | None, Any]:
    """A portfolio's header, its members (streamed from JSON Lines), their number when known, and a share
    function for progress."""
    if is_jsonl(path):
        lines = PortfolioLines(path)
        return lines.header, iter(lines), None, lines.share
    portfolio = load_portfolio(path)
    return (portfolio.id, portfolio.name, portfolio.district), members_of(portfolio), len(portfolio.carriers), None


def convert(source: str | Path, target: str | Path, *, progress: bool | None = None, replace_special: bool = False) -> int:
    """Write the portfolio at ``source`` to ``target`` in the format its name says; returns the number of
    carriers written. Nothing is written when the source has a problem (it raises, naming file and line)."""
    format_of(source)
    if Path(source).resolve() == Path(target).resolve():
        raise IncubatorRulesError("the output is the input; name another file", field="output")
    header, members, total, share = read_members(source)
    return write_members(target, header, members, total, share, progress=progress, replace_special=replace_special)


def save_portfolio(
    portfolio: Portfolio | Iterable[Carrier], target: str | Path, *, id: str | None = None, name: str | None = None,
    district: str | None = None, progress: bool | None = None, replace_special: bool = False,
) -> int:
    """Write a portfolio (or carriers, under ``id`` and ``name``: the target's stem by default) to ``target`` in
    the format its name says (YAML, JSON, JSON Lines, a folder of CSV tables); returns the number of carriers."""
    if isinstance(portfolio, Portfolio):
        header: Header = (portfolio.id, portfolio.name, portfolio.district)
        members: Iterable[Member] = members_of(portfolio)
        total: int | None = len(portfolio.carriers)
    else:
        stem = Path(target).name.split(".")[0] or "portfolio"
        header, total = (id or stem, name or id or stem, district), None
        members = (Member(c) for c in portfolio)
    return write_members(target, header, iter(members), total, None, progress=progress, replace_special=replace_special)


def write_members(
    target: str | Path, header: Header, members: Iterator[Member], total: int | None, share: Any, *,
    progress: bool | None = None, replace_special: bool = False,
) -> int:
    """Write members under ``header`` to ``target`` in the format its name says, whole or not at all."""
    fmt = format_of(target, output=True)
    with Progress(total, enabled=progress, label="writing", share=share) as bar:
        counted = _counted(members, bar)
        if fmt == "csv":
            items = list(counted)
            portfolio = Portfolio(*header, tuple(m.carrier for m in items), tuple(s for m in items for s in m.snapshots),
                                  tuple(d for m in items for d in m.designations))
            write_portfolio_tables(portfolio, target, replace_special=replace_special)
            return len(items)
        with output_file(target, replace_special=replace_special, field="output") as out:
            if fmt == "jsonl":
                return write_lines(out, header, counted)
            if fmt == "json":
                return write_json(out, header, counted)
            return write_yaml(out, header, counted)


def _counted(members: Iterable[Member], bar: Progress) -> Iterator[Member]:
    for m in members:
        yield m
        bar.update()


def write_json(out: IO[str], header: Header, members: Iterable[Member]) -> int:
    """A district portfolio as JSON, one carrier per line inside its ``carriers`` list."""
    head = header_line(*header)[len('{"portfolio":'):-2]  # the header's fields, without their closing brace
    out.write(head + ',"carriers":[')
    count = 0
    for m in members:
        out.write(("," if count else "") + "\n" + dump_json(member_data(m)))
        count += 1
    out.write("\n]}\n")
    return count


def _yaml_entry(row: dict[str, Any]) -> str:
    """One carrier as an item of a YAML block list: a field per line, its value as JSON (which YAML reads as
    written: text quoted, numbers exact), each event on a line of its own."""
    lines = []
    for i, (key, value) in enumerate(row.items()):
        lead = "- " if i == 0 else "  "
        if isinstance(value, list) and value:
            lines.append(f"{lead}{key}:")
            lines.extend(f"  - {dump_json(item)}" for item in value)
        else:
            lines.append(f"{lead}{key}: {dump_json(value)}")
    return "\n".join(lines) + "\n"


def write_yaml(out: IO[str], header: Header, members: Iterable[Member]) -> int:
    """A district portfolio as YAML, written one carrier at a time."""
    out.write(f"id: {dump_json(header[0])}\nname: {dump_json(header[1])}\n")
    if header[2] is not None:
        out.write(f"district: {dump_json(header[2])}\n")
    count = 0
    for m in members:
        if not count:
            out.write("carriers:\n")
        out.write(_yaml_entry(member_data(m)))
        count += 1
    if not count:
        out.write("carriers: []\n")
    return count


__all__ = ["FORMATS", "convert", "format_of", "read_members", "save_portfolio", "write_json", "write_members", "write_yaml"]
