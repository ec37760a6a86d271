"""The command line's evaluate: one carrier file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

from ..district.management import with_management
from ..files.management import DEFAULT_MANAGEMENT
from ..engines.evaluation import ENGINES, evaluate
from ..errors import IncubatorRulesError
from ..files.ruleset import DEFAULT_RULESET, load_ruleset
from ..files.types import PORTFOLIO, detect_type, read_for_check
from ..files.carrier import load_carrier
from .text import format_evaluation, format_management
from .cli import EXIT_OK, format_option
from .cli_common import declared_levels, parse_readings, reading_option, tables_out, write_out


def _refuse_portfolio(path: str) -> None:
    """A portfolio given where one carrier is expected: say which command evaluates it."""
    suffix = Path(path).suffix.lower()
    found = suffix in (".xlsx", ".xlsm")
    if not found:
        try:
            doc, text = read_for_check(path)
        except IncubatorRulesError:
            return  # load_carrier names the problem
        found = detect_type(doc.data, text) == PORTFOLIO
    if found:
        raise IncubatorRulesError(
            "this is a portfolio of carriers, not one carrier; evaluate every carrier with: "
            f"incubator-rules evaluate-many {path} (or assess it against plan targets: incubator-rules assess)", file=path)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    _refuse_portfolio(args.file)
    carrier = load_carrier(args.file)
    ev = evaluate(carrier, ruleset=args.ruleset, as_of=args.as_of, readings=parse_readings(args.reading), engine=args.engine)
    if args.management:
        ev = with_management(ev, carrier, args.management)
    if tables_out(args, ev):
        return EXIT_OK
    text = ev.to_json() if args.format == "json" else format_evaluation(ev)
    if args.format != "json" and ev.management:
        text += "\n" + format_management(ev.management)
    write_out(args, text)
    return EXIT_OK


def readings_help(ruleset_id: str = DEFAULT_RULESET) -> str:
    """The readings of a ruleset, their alternatives and default, for ``evaluate --help``."""
    rs = load_ruleset(ruleset_id)
    lines = [f"readings of {rs.id} {rs.version} (--reading NAME=VALUE; another ruleset may have others):"]
    for r in rs.readings.values():
        lines.append(f"  {r.name}: {r.question}")
        for alt, meaning in r.alternatives.items():
            mark = " (default)" if alt == r.default else ""
            lines.append(f"      {alt}{mark}: {meaning}")
    lines += ["", "formats (--format): table (for people), json (the full evaluation), csv (one row per decision,",
              "  UTF-8 with a byte-order mark), xlsx (decisions and the ruleset's identity; needs -o FILE)"]
    return "\n".join(lines)


def _evaluate_arguments(p: argparse.ArgumentParser) -> None:
    p.late_epilog = readings_help
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.description = "Evaluate one carrier's history; a portfolio of carriers goes to evaluate-many."
    p.add_argument("file")
    p.add_argument("--as-of", dest="as_of", default=None, help="evaluation date, YYYY-MM-DD (default: today)")
    p.add_argument("--ruleset", default=None, help=f"shipped ruleset id or path (default: {DEFAULT_RULESET})")
    reading_option(p, "a reading (listed below)")
    format_option(p, ("table", "json", "csv", "xlsx"), "table",
                  help="table, json, csv or xlsx (see below)")
    p.add_argument("-o", "--output", default=None, help="file to write (required for xlsx; default: standard output)")
    p.add_argument("--engine", choices=ENGINES, default="native", help="evaluation engine (default: native)")
    p.add_argument("--management", nargs="?", const=DEFAULT_MANAGEMENT, default=None, metavar="ID",
                   help=f"attach dynamic-management decisions (default rules: {DEFAULT_MANAGEMENT})")
    p.set_defaults(func=_cmd_evaluate, levels=declared_levels)


# Each command's arguments (``cli.build_parser`` asks for those of the command given).
ARGUMENTS: dict[str, Callable[[argparse.ArgumentParser], None]] = {
    "evaluate": _evaluate_arguments,
}
