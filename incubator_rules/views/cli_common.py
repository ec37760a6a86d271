"""What the command line's commands share: readings, where their text goes, tables as CSV or xlsx, progress,
and the levels a command's reward ruleset declares."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any, ContextManager, Sequence

from .. import views  # its names load on first use: the tables' writers only when a table is asked for
from ..errors import IncubatorRulesError
from ..files.ruleset import load_ruleset
from ..model.carrier import reading_levels
from .outfile import write_text


def parse_readings(pairs: Sequence[str], field: str = "--reading",
                   error: type[IncubatorRulesError] = IncubatorRulesError) -> dict[str, str]:
    """``NAME=VALUE`` reading choices (``--reading``, or the service's ``reading`` query parameter: ``field``) as a
    mapping, spaces around the name and the value dropped; an empty name or value, or a name given twice with
    different values, is an ``error`` (the same value twice is that value)."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = (part.strip() for part in pair.partition("="))
        if not sep or not name or not value:
            raise error(f"expected NAME=VALUE, got {pair!r}", field=field)
        if out.get(name, value) != value:
            raise error(f"{name!r} is given twice, as {out[name]!r} and as {value!r}; choose one", field=field)
        out[name] = value
    return out


def write_out(args: argparse.Namespace, text: str) -> None:
    """Text to ``--output`` (whole or not at all) or standard output."""
    target = getattr(args, "output", None)
    if not target:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    write_text(target, text)


def tables_out(args: argparse.Namespace, result: Any) -> bool:
    """Write ``result`` as CSV (with a byte-order mark) or xlsx when asked; False for the other formats."""
    if args.format not in ("csv", "xlsx"):
        return False
    if args.format == "xlsx":
        if not args.output:
            raise IncubatorRulesError("--format xlsx writes a file: name it with -o FILE.xlsx", field="--output")
        views.write_tables(args.output, views.tables_of(result))
    else:
        write_out(args, views.to_csv(views.tables_of(result)))
    return True


def progress_of(args: argparse.Namespace) -> bool | None:
    """``--no-progress``: never a bar; else one on long runs when standard error is a terminal."""
    return False if getattr(args, "no_progress", False) else None


def located(problem: IncubatorRulesError, path: str) -> str:
    """``file:line:column: field: message``, with the file named even when the error had none."""
    if problem.file is None:
        return f"{path}: {problem}"
    return str(problem)


def declared_levels(args: argparse.Namespace) -> ContextManager[Any]:
    """While the command runs: the levels its reward ruleset (``--ruleset``) declares, which the carriers it
    reads may carry; none when it names no reward ruleset (a problem loading it is reported by the command)."""
    ref = getattr(args, "ruleset", None)
    if not isinstance(ref, str):
        return contextlib.nullcontext()
    try:
        return reading_levels(load_ruleset(ref).levels)
    except IncubatorRulesError:
        return contextlib.nullcontext()


def reading_option(p: argparse.ArgumentParser, what: str = "a reading") -> None:
    """``--reading NAME=VALUE``, repeatable, a name at most once (``parse_readings``)."""
    p.add_argument("--reading", action="append", default=[], metavar="NAME=VALUE",
                   help=f"choose {what}; repeatable, a name at most once")


def levels_option(p: argparse.ArgumentParser) -> None:
    """``--ruleset`` for a command that reads carriers without evaluating them: the reward ruleset whose declared
    levels (a county, a street) the carriers may name; a ruleset that does not load is an error."""
    p.add_argument("--ruleset", default=None,
                   help="reward ruleset id or path whose declared levels (beyond district, municipal, provincial and "
                        "national: a county, a street) the carriers read may name")
    p.set_defaults(levels=ruleset_levels)


def ruleset_levels(args: argparse.Namespace) -> ContextManager[Any]:
    """While the command runs: the levels its ``--ruleset`` declares, none without one (``levels_option``)."""
    ref = getattr(args, "ruleset", None)
    return contextlib.nullcontext() if ref is None else reading_levels(load_ruleset(ref).levels)

