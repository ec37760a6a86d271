"""The command line's the maintainers' commands: rulesets, compile, check, test, diff, lock, serve, schemas, synthetic."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any, Callable

from ..files.criteria import load_criteria
from ..files.management import load_management
from ..documents import data_problem
from ..engines.batch import save_carriers
from ..engines.durable import compile_ruleset
from ..engines.evaluation import ENGINES
from ..errors import IncubatorRulesError
from ..files.carriers import portfolio_carriers
from ..files.convert import format_of, save_portfolio
from ..files.portfolio import portfolio_header
from ..files.ruleset import DEFAULT_RULESET, load_ruleset
from ..files.targets import load_targets
from ..files.types import RULESETS_DIR, SCHEMAS_DIR, display_path, shipped_files
from ..model.carrier import parse_date
from ..model.portfolio import Portfolio
from ..tools.caserun import clause_coverage, results_json, results_junit, select
from ..tools.cases import CaseResult, load_cases, run_case
from ..tools.check import check_paths, expand, release_identity
from ..tools.diff import diff_rulesets
from ..tools.schemas import stale, write
from ..tools.synthetic import generate_portfolio
from ..tools.versions import LOCK_NAME, record_release
from ..output import write_text as write_output
from .excel import README_LINES, write_portfolio_workbook
from .text import format_coverage, format_diff, format_result
from .notebook import MissingExtraError
from .cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROBLEMS, format_option
from .cli_common import declared_levels, levels_option, located, parse_readings, reading_option, write_out


def _cmd_rulesets(args: argparse.Namespace) -> int:
    loaders: dict[str, Callable[[Path], Any]] = {
        "reward": load_ruleset, "targets": load_targets, "management": load_management, "criteria": load_criteria,
    }
    for kind, path in shipped_files():
        item = loaders[kind](path)
        title = item.title_en if kind == "reward" else item.header.title_en
        print(f"{item.id:<30} {item.version:<8} {kind:<10} {title}")
    return EXIT_OK


def _cmd_compile(args: argparse.Namespace) -> int:
    print(compile_ruleset(load_ruleset(args.ruleset)).to_json())
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    results = check_paths(args.paths, lock=args.lock)
    if not results:
        raise IncubatorRulesError("no YAML or JSON files found", field="PATH")
    worst = EXIT_OK
    for result in results:
        for problem in result.problems:
            print(located(problem, result.path))
        if not result.readable:
            worst = EXIT_BAD_INPUT
        elif result.problems and worst == EXIT_OK:
            worst = EXIT_PROBLEMS
    bad = sum(1 for r in results if not r.ok)
    count = sum(len(r.problems) for r in results)
    summary = f"{len(results)} file{'s' if len(results) != 1 else ''} checked"
    summary += f", {count} problem{'s' if count != 1 else ''} in {bad}" if bad else ", no problems"
    print(summary)
    return worst


def _cmd_test(args: argparse.Namespace) -> int:
    files = expand(args.paths)
    if not files:
        raise IncubatorRulesError("no case files found", field="PATH")
    table = args.format == "table"
    results: list[CaseResult] = []
    unreadable: list[str] = []
    deselected = 0
    for path in files:
        try:
            cases = load_cases(path)
        except IncubatorRulesError as exc:
            unreadable.append(located(exc, str(path)))
            if table:
                print(f"ERROR {unreadable[-1]}")
            continue
        chosen = select(cases, args.keyword)
        deselected += len(cases) - len(chosen)
        for case in chosen:
            result = run_case(case, args.engine, args.ruleset)
            results.append(result)
            if table and (not result.passed or not args.quiet):
                print(format_result(result))
    passed = sum(1 for r in results if r.passed)
    failed = len(results) - passed
    broken = len(unreadable)
    coverage = clause_coverage(results) if args.coverage else None
    if args.format == "json":
        write_out(args, results_json(results, coverage, unreadable))
    elif args.format == "junit":
        write_out(args, results_junit(results, unreadable))
    else:
        if coverage is not None:
            print(format_coverage(coverage))
        tail = f", {deselected} deselected" if deselected else ""
        print(f"{passed} passed, {failed} failed" + tail
              + (f", {broken} file{'s' if broken != 1 else ''} unreadable" if broken else ""))
    if args.keyword and not results and not broken:
        print(f"incubator-rules: no case matches {' or '.join(map(repr, args.keyword))}", file=sys.stderr)
        return EXIT_PROBLEMS
    if broken:
        return EXIT_BAD_INPUT
    return EXIT_PROBLEMS if failed else EXIT_OK


def _cmd_diff(args: argparse.Namespace) -> int:
    old, new = load_ruleset(args.old), load_ruleset(args.new)
    as_of = None
    if args.as_of is not None:
        try:
            as_of = parse_date(args.as_of)
        except ValueError as exc:
            raise IncubatorRulesError(str(exc), field="--as-of") from None
    portfolio = portfolio_carriers(args.portfolio) if args.portfolio else None
    result = diff_rulesets(old, new, portfolio, as_of, parse_readings(args.reading))
    print(result.to_json() if args.format == "json" else format_diff(result))
    return EXIT_OK


def _cmd_lock(args: argparse.Namespace) -> int:

    for target in args.rulesets:
        rid, version, sha256, path = release_identity(target)
        lock = Path(args.lock) if args.lock else path.parent / LOCK_NAME
        shipped = RULESETS_DIR / LOCK_NAME
        if not lock.exists() and shipped.exists():
            # a new lock (beside a draft) starts from the shipped releases, which keep their meaning there too
            write_output(lock, shipped.read_text(encoding="utf-8"), field="--lock")
        if record_release(rid, version, sha256, lock):
            print(f"recorded {rid} {version} sha256:{sha256[:12]} in {display_path(lock)}")
        else:
            print(f"{rid} {version} is already recorded in {display_path(lock)}")
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    try:
        from .service import ServiceConfig, serve  # the server extra's own package: loaded only to serve
    except ImportError as exc:
        raise MissingExtraError(f"the service needs the server extra: pip install 'incubator-rules[server]' ({exc})") from None
    if args.max_body_mb <= 0 or args.time_limit <= 0 or (args.threads is not None and args.threads < 1):
        raise IncubatorRulesError("--max-body-mb, --time-limit and --threads must be positive", field="serve")
    config = ServiceConfig(
        tuple(args.rulesets), args.decision_log, int(args.max_body_mb * 1024 * 1024), args.time_limit,
        **({"threads": args.threads} if args.threads else {}),
    )
    serve(args.host, args.port, config, log_level=args.log_level)
    return EXIT_OK


def _cmd_schemas(args: argparse.Namespace) -> int:
    folder = Path(args.dir) if args.dir else SCHEMAS_DIR
    if args.check:
        old = stale(folder)
        for path in old:
            print(f"{display_path(path)}: stale; regenerate it with `incubator-rules schemas`")
        return EXIT_PROBLEMS if old else EXIT_OK
    for path in write(folder):
        print(f"wrote {display_path(path)}")
    return EXIT_OK


def _cmd_synthetic(args: argparse.Namespace) -> int:
    if args.carriers < 1:
        raise IncubatorRulesError(f"expected at least one carrier, got {args.carriers}", field="carriers")
    fmt = format_of(args.output, output=True, workbook=True, field="--output")
    pid, name, district = _synthetic_header(args)
    try:
        carriers = generate_portfolio(args.carriers, args.seed, prefix=args.prefix)
    except IncubatorRulesError as exc:  # only the prefix can make a carrier id a file could not hold
        raise IncubatorRulesError(f"{exc.message} (in the carrier ids made from it)", field="--prefix") from None
    comment = (
        f"A synthetic district of {args.carriers} carriers, not real data: generated by\n"
        f"  incubator-rules synthetic {args.carriers} --seed {shlex.quote(args.seed)} --prefix {shlex.quote(args.prefix)}"
        f" -o {shlex.quote(str(args.output))}"  # quoted for a shell: the command makes the same file again
        + "".join(f" --{k} {shlex.quote(v)}" for k, v in (("id", args.id), ("name", args.name), ("district", args.district)) if v)
    )
    portfolio = Portfolio(pid, name, district, tuple(carriers))
    if fmt == "xlsx":
        write_portfolio_workbook(portfolio, args.output, (*comment.splitlines(), *README_LINES))
    elif fmt == "yaml":
        save_carriers(args.output, carriers, id=pid, name=name, district=district, comment=comment,
                      replace_special=args.force)
    else:  # JSON, JSON Lines and CSV tables hold no comment: the portfolio's name says it is synthetic
        save_portfolio(portfolio, args.output, progress=False, replace_special=args.force)
    print(f"wrote {len(carriers)} carriers to {args.output}")
    return EXIT_OK


def _synthetic_header(args: argparse.Namespace) -> tuple[str, str, str | None]:
    """The synthetic portfolio's id, name and district, checked as a portfolio file's are read back (an error
    names the option), so that the file written is one that loads."""
    header = {"id": args.id or f"synthetic-{args.seed}", "name": args.name or f"synthetic district (seed {args.seed})",
              "district": args.district}
    try:
        found = data_problem(header)
        if found is not None:
            raise IncubatorRulesError(found[1], field=str(found[0][0]))
        return portfolio_header(header)
    except IncubatorRulesError as exc:
        raise IncubatorRulesError(exc.message, field=f"--{exc.field}" if exc.field else "synthetic") from None


def _rulesets_arguments(p: argparse.ArgumentParser) -> None:
    p.set_defaults(func=_cmd_rulesets, levels=declared_levels)


def _compile_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("ruleset", help="shipped ruleset id or path")
    p.add_argument("--engine", choices=("durable",), default="durable", help="the engine to compile for")
    p.set_defaults(func=_cmd_compile, levels=declared_levels)


def _check_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, or directories to search for YAML and JSON files")
    p.add_argument("--lock", default=None, help="lock file of released versions (default: versions.lock beside each ruleset, else the shipped one)")
    p.set_defaults(func=_cmd_check)
    levels_option(p)


def _test_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="case files, or directories of case files")
    p.add_argument("-q", "--quiet", action="store_true", help="print only failures and the summary")
    p.add_argument("-k", dest="keyword", action="append", default=[], metavar="NAME",
                   help="run only the cases whose name or file contains NAME (or matches it as a glob); repeatable")
    format_option(p, ("table", "json", "junit"), "table",
                  help="table (for people), json, or junit (JUnit XML for CI systems)")
    p.add_argument("-o", "--output", default=None, help="file for the json or junit report (default: standard output)")
    p.add_argument("--coverage", action="store_true",
                   help="list the clauses of each ruleset that no case exercises (no decision cites them)")
    p.add_argument("--ruleset", default=None, help=f"ruleset for the cases that do not name one (default: {DEFAULT_RULESET})")
    p.add_argument("--engine", choices=ENGINES, default="native", help="evaluation engine (default: native)")
    p.set_defaults(func=_cmd_test, levels=declared_levels)


def _diff_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("old", help="shipped ruleset id or path")
    p.add_argument("new", help="shipped ruleset id or path")
    p.add_argument("--portfolio", default=None, metavar="FILE", help="a YAML/JSON list of carriers, or a directory of carrier files")
    p.add_argument("--as-of", dest="as_of", default=None, help="evaluation date for the portfolio, YYYY-MM-DD (default: today)")
    reading_option(p, "a reading for both")
    format_option(p, ("table", "json"), "table")
    p.set_defaults(func=_cmd_diff, levels=declared_levels)


def _lock_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("rulesets", nargs="+", metavar="RULESET", help="shipped ruleset id or path (reward rulesets and the other policy files)")
    p.add_argument("--lock", default=None, help="lock file (default: versions.lock beside the ruleset; a new one "
                                                "starts with the shipped releases)")
    p.set_defaults(func=_cmd_lock, levels=declared_levels)


def _serve_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on; 0 takes a free one (default: 8000)")
    p.add_argument("--rulesets", action="extend", nargs="+", default=[], metavar="DIR",
                   help="further folders of policy files to serve by id")
    p.add_argument("--decision-log", dest="decision_log", default=None, metavar="FILE",
                   help="append every decision to this JSON Lines file")
    p.add_argument("--max-body-mb", dest="max_body_mb", type=float, default=16, help="largest request body, MB (default: 16)")
    p.add_argument("--time-limit", dest="time_limit", type=float, default=60, help="longest request, seconds (default: 60)")
    p.add_argument("--threads", type=int, default=None, help="worker threads for evaluations (default: CPUs + 1, at most 8)")
    p.add_argument("--log-level", dest="log_level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    p.set_defaults(func=_cmd_serve, levels=declared_levels)


def _schemas_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--check", action="store_true", help="only report stale schema files (exit 1 when there are any)")
    p.add_argument("--dir", default=None, help="folder of *.schema.json files (default: the package's schemas)")
    p.set_defaults(func=_cmd_schemas, levels=declared_levels)


def _synthetic_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("carriers", type=int, help="number of carriers")
    p.add_argument("-o", "--output", required=True,
                   help="portfolio to write (each file whole or not at all) in the format its name says, as convert reads it: "
                        ".yaml/.yml (headed by a comment saying how it was made), .json, .jsonl, .xlsx, or a folder "
                        "of CSV tables (an existing folder, or a name ending in / or without a suffix)")
    p.add_argument("--force", action="store_true", help="replace the output even if it is a symbolic link or a FIFO")
    p.add_argument("--seed", default="0", help="seed: the same seed gives the same district")
    p.add_argument("--prefix", default="wz", help="carrier id prefix")
    p.add_argument("--id", default=None, help="portfolio id (default: synthetic-SEED)")
    p.add_argument("--name", default=None, help="portfolio name")
    p.add_argument("--district", default=None, help="the district the portfolio belongs to")
    p.set_defaults(func=_cmd_synthetic, levels=declared_levels)


# Each command's arguments (``cli.build_parser`` asks for those of the command given).
ARGUMENTS: dict[str, Callable[[argparse.ArgumentParser], None]] = {
    "rulesets": _rulesets_arguments,
    "compile": _compile_arguments,
    "check": _check_arguments,
    "test": _test_arguments,
    "diff": _diff_arguments,
    "lock": _lock_arguments,
    "serve": _serve_arguments,
    "schemas": _schemas_arguments,
    "synthetic": _synthetic_arguments,
}
