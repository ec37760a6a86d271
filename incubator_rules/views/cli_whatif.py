"""The command line's compare and budget: what-if scenarios over a portfolio."""

from __future__ import annotations

import argparse
import json
import unicodedata
from typing import TYPE_CHECKING, Callable

from ..engines.evaluation import ENGINES
from ..files.ruleset import DEFAULT_RULESET
from ..files.scenarios import Scenario, load_scenarios
from ..whatif.scenario import compare
from .text import pad
from .cli import COMMANDS
from .cli import EXIT_OK, format_option, no_progress
from .cli_common import declared_levels, progress_of, tables_out, write_out

if TYPE_CHECKING:
    from ..whatif.scenario import Comparison


def _comparison(args: argparse.Namespace) -> "Comparison":
    scenarios = load_scenarios(args.scenarios) if args.scenarios else []
    if not scenarios or args.with_base:
        scenarios = [Scenario("base")] + scenarios
    return compare(args.portfolio, *scenarios, ruleset=args.ruleset, as_of=args.as_of, progress=progress_of(args),
                   workers=args.workers, engine=args.engine)


def _cmd_compare(args: argparse.Namespace) -> int:
    result = _comparison(args)
    if tables_out(args, result):
        return EXIT_OK
    if args.format == "json":
        write_out(args, json.dumps({"base": result.names[0], **result.to_dict()}, ensure_ascii=False, indent=2))
        return EXIT_OK
    width = max(_width(n) for n in (*result.names, "scenario"))
    lines = [f"{len(result.carriers)} carriers; amounts in yuan (awarded + pending); "
             f"difference: each scenario's total less {result.names[0]!r}'s"]
    lines.append(f"{pad('scenario', width)}  {'awarded':>14} {'pending':>12} {'total':>14} {'difference':>12}")
    for name, t in result.totals().items():
        lines.append(f"{pad(name, width)}  {t['awarded']:>14,} {t['pending']:>12,} {t['total']:>14,} {t['difference']:>+12,}")
    lines += ["", _per_year_table(result)]
    write_out(args, "\n".join(lines))
    return EXIT_OK


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _per_year_table(result: "Comparison") -> str:
    """Yuan payable per year (rows) and scenario (columns); each column as wide as its full name."""
    per = result.by("year")
    years = sorted({y for v in per.values() for y in v if y is not None})
    widths = [max(_width(n), 14) for n in result.names]
    out = [f"{'year':<6}" + "".join(" " + " " * (w - _width(n)) + n for n, w in zip(result.names, widths))]
    for y in years:
        out.append(f"{y:<6}" + "".join(f" {per[n].get(y, 0):>{w},}" for n, w in zip(result.names, widths)))
    return "\n".join(out)


def _cmd_budget(args: argparse.Namespace) -> int:
    result = _comparison(args)
    if tables_out(args, list(result.budgets)):
        return EXIT_OK
    if args.format == "json":
        data = [{"scenario": name, "as_of": b.as_of.isoformat(), "ruleset": {"id": b.ruleset_id, "version": b.ruleset_version},
                 "total": b.total, "awarded": b.awarded, "pending": b.pending,
                 "by_year": {str(y): v for y, v in b.by_year().items()},
                 "by_year_and_rule": [{"year": y, "rule": r, "amount": v} for (y, r), v in b.by("year", "rule").items()]}
                for name, b in zip(result.names, result.budgets)]
        write_out(args, json.dumps(data, ensure_ascii=False, indent=2))
        return EXIT_OK
    lines = []
    for name, budget in zip(result.names, result.budgets):
        rules = sorted(budget.by("rule"))
        per = budget.by("year", "rule")
        widths = [max(len(r), 12) for r in rules]
        lines.append(f"{name}: {budget.total:,} yuan as of {budget.as_of} (pending {budget.pending:,})")
        lines.append(f"  {'year':<6}" + "".join(f" {r:>{w}}" for r, w in zip(rules, widths)) + f" {'total':>14}")
        for y, total in budget.by_year().items():
            lines.append(f"  {y!s:<6}" + "".join(f" {per.get((y, r), 0):>{w},}" for r, w in zip(rules, widths)) + f" {total:>14,}")
        lines.append("")
    write_out(args, "\n".join(lines))
    return EXIT_OK


def _scenarios_arguments(p: argparse.ArgumentParser) -> None:
    name = p.prog.split()[-1]
    p.description = (COMMANDS[name][1] + ". The difference of each scenario is its total less the first scenario's: the "
                     "unchanged base with --with-base, else the first scenario of the file.")
    p.add_argument("portfolio", help="portfolio: YAML, JSON, JSON Lines (read as a stream), CSV tables or a workbook")
    p.add_argument("scenarios", nargs="?", help="scenario file (YAML or JSON); without it, the base only")
    p.add_argument("--as-of", dest="as_of", default=None, help="evaluation date, YYYY-MM-DD (default: today)")
    p.add_argument("--ruleset", default=None, help=f"shipped ruleset id or path (default: {DEFAULT_RULESET})")
    p.add_argument("--with-base", action="store_true",
                   help="compare against an unchanged base first; without it, differences are measured "
                        "from the first scenario of the file")
    p.add_argument("--workers", type=int, default=None, help="evaluate on a process pool of this many workers")
    p.add_argument("--engine", choices=ENGINES, default="native", help="evaluation engine (default: native)")
    format_option(p, ("table", "json", "csv", "xlsx"), "table",
                  help="csv is UTF-8 with a byte-order mark; xlsx needs -o")
    p.add_argument("-o", "--output", default=None, help="file to write (required for xlsx; default: standard output)")
    no_progress(p)
    p.set_defaults(func=_cmd_compare if name == "compare" else _cmd_budget, levels=declared_levels)


# Each command's arguments (``cli.build_parser`` asks for those of the command given).
ARGUMENTS: dict[str, Callable[[argparse.ArgumentParser], None]] = {
    "compare": _scenarios_arguments,
    "budget": _scenarios_arguments,
}
