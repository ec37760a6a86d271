"""The ``incubator-rules`` command line."""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib.metadata
import json
import os
import re
import signal
import sys
import threading
import unicodedata
import warnings
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable, Sequence

from ..district.assessment import DistrictMismatchWarning, district_mismatch
from ..district.management import with_management
from ..files.criteria import load_criteria
from ..files.management import DEFAULT_MANAGEMENT, load_management
from ..district.reconcile import reconcile
from ..district.report import district_report
from ..engines.batch import evaluate_many, map_evaluations, save_carriers
from ..engines.partitions import evaluate_partitions
from ..engines.durable import compile_ruleset
from ..engines.evaluation import ENGINES, evaluate
from ..errors import IncubatorRulesError, OutputError, require
from ..files.carriers import portfolio_carriers
from ..files.ruleset import DEFAULT_RULESET, load_ruleset
from ..files.targets import load_targets
from ..files.types import PORTFOLIO, RULESETS_DIR, SCHEMAS_DIR, detect_type, display_path, read_for_check, shipped_files
from ..files.carrier import load_carrier
from ..files.carriers import iter_carriers, load_portfolio
from ..files.convert import convert
from ..files.workbook import is_workbook
from ..model.carrier import parse_date, reading_levels
from ..model.portfolio import Portfolio
from ..tools.caserun import clause_coverage, results_json, results_junit, select
from ..tools.cases import CaseResult, load_cases, run_case
from ..tools.check import check_paths, expand, release_identity
from ..tools.diff import diff_rulesets
from ..tools.schemas import stale, write
from ..tools.synthetic import generate_portfolio
from ..tools.versions import LOCK_NAME, record_release
from ..files.scenarios import Scenario, load_scenarios
from ..whatif.scenario import compare
from ..output import output_file
from ..output import write_text as write_output
from .excel import README_LINES, tables_of, write_portfolio_workbook, write_tables
from .outfile import write_text
from .report import carrier_statement, district_document, reconciliation_statement, write_pdf
from .tables import to_csv
from .text import format_coverage, format_diff, format_evaluation, format_management, format_result, pad
from .notebook import MissingExtraError
from .jsonlines import evaluation_record

if TYPE_CHECKING:
    from ..whatif.scenario import Comparison

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_BAD_INPUT = 2


def _version() -> str:
    try:
        return importlib.metadata.version("incubator-rules")
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"


def _readings(pairs: Sequence[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name or not value:
            raise IncubatorRulesError(f"expected NAME=VALUE, got {pair!r}", field="--reading")
        out[name.strip()] = value.strip()
    return out


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


def _write(args: argparse.Namespace, text: str) -> None:
    """Text to ``--output`` (whole or not at all) or standard output."""
    target = getattr(args, "output", None)
    if not target:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    write_text(target, text)


def _tables_out(args: argparse.Namespace, result: Any) -> bool:
    """Write ``result`` as CSV (with a byte-order mark) or xlsx when asked; False for the other formats."""
    if args.format not in ("csv", "xlsx"):
        return False
    if args.format == "xlsx":
        if not args.output:
            raise IncubatorRulesError("--format xlsx writes a file: name it with -o FILE.xlsx", field="--output")
        write_tables(args.output, tables_of(result))
    else:
        _write(args, to_csv(tables_of(result)))
    return True


def _cmd_evaluate(args: argparse.Namespace) -> int:
    _refuse_portfolio(args.file)
    carrier = load_carrier(args.file)
    ev = evaluate(carrier, ruleset=args.ruleset, as_of=args.as_of, readings=_readings(args.reading), engine=args.engine)
    if args.management:
        ev = with_management(ev, carrier, args.management)
    if _tables_out(args, ev):
        return EXIT_OK
    text = ev.to_json() if args.format == "json" else format_evaluation(ev)
    if args.format != "json" and ev.management:
        text += "\n" + format_management(ev.management)
    _write(args, text)
    return EXIT_OK


def _progress(args: argparse.Namespace) -> bool | None:
    """``--no-progress``: never a bar; else one on long runs when standard error is a terminal."""
    return False if getattr(args, "no_progress", False) else None


WRITE_BATCH = 1 << 16  # bytes of JSON Lines gathered before each write of evaluate-many


def _cmd_evaluate_many(args: argparse.Namespace) -> int:
    carriers = iter_carriers(args.portfolio, _progress(args))  # JSON Lines are read as they are evaluated
    if args.format in ("csv", "xlsx"):
        evs = evaluate_many(carriers, ruleset=args.ruleset, as_of=args.as_of, readings=_readings(args.reading),
                            workers=args.workers, engine=args.engine, progress=_progress(args))
        _tables_out(args, evs)
        _say(f"{len(evs)} carriers evaluated: {evs.total:,} yuan awarded, {evs.pending_total:,} yuan pending")
        return EXIT_OK
    count = awarded = pending = 0
    with (output_file(args.output, replace_special=args.force, field="--output") if args.output
          else contextlib.nullcontext(sys.stdout)) as out:  # the target is checked before any work
        lines = map_evaluations(
            evaluation_record, carriers, ruleset=args.ruleset, as_of=args.as_of, readings=_readings(args.reading),
            workers=args.workers, stream=True, engine=args.engine, progress=_progress(args),
        )
        out.flush()
        binary = getattr(out, "buffer", None)  # the lines are UTF-8 already; a text-only stream gets them decoded
        write = binary.write if binary is not None and (out.encoding or "").lower().replace("-", "") == "utf8" else (
            lambda data: out.write(data.decode("utf-8")))
        batch: list[bytes] = []  # lines written together: one system call per line would cost more than its JSON
        size = 0
        try:
            try:
                for data, total, later in lines:
                    batch.append(data)
                    size += len(data)
                    count, awarded, pending = count + 1, awarded + total, pending + later
                    if size >= WRITE_BATCH:
                        data, size = b"".join(batch), 0
                        batch.clear()  # before the write: a failed write is not tried again
                        write(data)
            finally:  # what was evaluated before an error is written, as when each line went at once
                if batch:
                    write(b"".join(batch))
        finally:
            getattr(lines, "close", lambda: None)()  # a pool still running stops here
    _say(f"{count} carriers evaluated: {awarded:,} yuan awarded, {pending:,} yuan pending")
    return EXIT_OK


def _cmd_assess(args: argparse.Namespace) -> int:
    portfolio = load_portfolio(args.portfolio, snapshots_csv=args.snapshots)
    targets = load_targets(args.ruleset)
    mismatch = district_mismatch(portfolio, targets)
    if mismatch and not args.other_district:
        raise IncubatorRulesError(mismatch + "; pass --other-district to assess it all the same", field="district",
                                  file=args.portfolio)
    if mismatch:
        print(f"incubator-rules: warning: {mismatch}", file=sys.stderr)
    management = None if args.management == "none" else load_management(args.management)
    readings = _readings(args.reading)
    own = set(management.header.readings) if management is not None else set()
    with warnings.catch_warnings():  # said above, once
        warnings.simplefilter("ignore", DistrictMismatchWarning)
        report = district_report(
            portfolio, targets, as_of=args.as_of,
            readings={k: v for k, v in readings.items() if k not in own},
            management=management, management_readings={k: v for k, v in readings.items() if k in own},
            criteria=None if args.criteria == "none" else args.criteria,
        )
    if _tables_out(args, report):
        return EXIT_OK
    _write(args, report.to_json() if args.format == "json" else report.to_table())
    return EXIT_OK


def _cmd_reconcile(args: argparse.Namespace) -> int:
    if args.as_of is None:
        raise IncubatorRulesError("give the date to reconcile as of, YYYY-MM-DD", field="--as-of")
    result = reconcile(args.portfolio, args.as_of, payments=args.payments, ruleset=args.ruleset,
                       readings=_readings(args.reading), engine=args.engine)
    if args.format in ("html", "pdf"):
        statement = reconciliation_statement(result)
        if args.format == "pdf":
            if not args.output:
                raise IncubatorRulesError("--format pdf writes a file: name it with -o FILE.pdf", field="--output")
            write_pdf(statement, args.output)
        else:
            _write(args, statement)
    elif not _tables_out(args, result):
        _write(args, result.to_json() if args.format == "json" else result.to_table())
    return EXIT_OK if result.settled else EXIT_PROBLEMS


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
            print(_located(problem, result.path))
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


def _located(problem: IncubatorRulesError, path: str) -> str:
    """``file:line:column: field: message``, with the file named even when the error had none."""
    if problem.file is None:
        return f"{path}: {problem}"
    return str(problem)


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
            unreadable.append(_located(exc, str(path)))
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
        _write(args, results_json(results, coverage, unreadable))
    elif args.format == "junit":
        _write(args, results_junit(results, unreadable))
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
    result = diff_rulesets(old, new, portfolio, as_of, _readings(args.reading))
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
    carriers = generate_portfolio(args.carriers, args.seed, prefix=args.prefix)
    comment = (
        f"A synthetic district of {args.carriers} carriers, not real data: generated by\n"
        f"  incubator-rules synthetic {args.carriers} --seed {args.seed} --prefix {args.prefix} -o {args.output}"
        + "".join(f" --{k} {v!r}" for k, v in (("id", args.id), ("name", args.name), ("district", args.district)) if v)
    )
    pid, name = args.id or f"synthetic-{args.seed}", args.name or f"synthetic district (seed {args.seed})"
    if is_workbook(args.output):
        write_portfolio_workbook(Portfolio(pid, name, args.district, tuple(carriers)), args.output,
                                 (*comment.splitlines(), *README_LINES))
    else:
        save_carriers(args.output, carriers, id=pid, name=name, district=args.district, comment=comment,
                      replace_special=args.force)
    print(f"wrote {len(carriers)} carriers to {args.output}")
    return EXIT_OK


def _comparison(args: argparse.Namespace) -> "Comparison":
    scenarios = load_scenarios(args.scenarios) if args.scenarios else []
    if not scenarios or args.with_base:
        scenarios = [Scenario("base")] + scenarios
    return compare(args.portfolio, *scenarios, ruleset=args.ruleset, as_of=args.as_of, progress=_progress(args),
                   workers=args.workers, engine=args.engine)


def _cmd_compare(args: argparse.Namespace) -> int:
    result = _comparison(args)
    if _tables_out(args, result):
        return EXIT_OK
    if args.format == "json":
        _write(args, json.dumps({"base": result.names[0], **result.to_dict()}, ensure_ascii=False, indent=2))
        return EXIT_OK
    width = max(_width(n) for n in (*result.names, "scenario"))
    lines = [f"{len(result.carriers)} carriers; amounts in yuan (awarded + pending); "
             f"difference: each scenario's total less {result.names[0]!r}'s"]
    lines.append(f"{pad('scenario', width)}  {'awarded':>14} {'pending':>12} {'total':>14} {'difference':>12}")
    for name, t in result.totals().items():
        lines.append(f"{pad(name, width)}  {t['awarded']:>14,} {t['pending']:>12,} {t['total']:>14,} {t['difference']:>+12,}")
    lines += ["", _per_year_table(result)]
    _write(args, "\n".join(lines))
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
    if _tables_out(args, list(result.budgets)):
        return EXIT_OK
    if args.format == "json":
        data = [{"scenario": name, "as_of": b.as_of.isoformat(), "ruleset": {"id": b.ruleset_id, "version": b.ruleset_version},
                 "total": b.total, "awarded": b.awarded, "pending": b.pending,
                 "by_year": {str(y): v for y, v in b.by_year().items()},
                 "by_year_and_rule": [{"year": y, "rule": r, "amount": v} for (y, r), v in b.by("year", "rule").items()]}
                for name, b in zip(result.names, result.budgets)]
        _write(args, json.dumps(data, ensure_ascii=False, indent=2))
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
    _write(args, "\n".join(lines))
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    is_portfolio = Path(args.file).suffix.lower() in (".xlsx", ".xlsm")
    if not is_portfolio:
        doc, text = read_for_check(args.file)
        is_portfolio = detect_type(doc.data, text) == PORTFOLIO
    readings = _readings(args.reading)
    if is_portfolio:
        if not args.targets:
            raise IncubatorRulesError("a district report needs the plan targets: --targets ID|PATH "
                                      "(`incubator-rules rulesets` lists the shipped ones)", field="--targets")
        portfolio = load_portfolio(args.file)
        targets = load_targets(args.targets)
        mismatch = district_mismatch(portfolio, targets)
        if mismatch and not args.other_district:
            raise IncubatorRulesError(mismatch + "; pass --other-district to report it all the same", field="district",
                                      file=args.file)
        with warnings.catch_warnings():  # said above, once
            warnings.simplefilter("ignore", DistrictMismatchWarning)
            report = district_report(
                portfolio, targets, as_of=args.as_of,
                management=None if args.management == "none" else load_management(args.management),
                criteria=None if args.criteria == "none" else args.criteria,
            )
        evs = evaluate_many(portfolio.carriers, ruleset=args.ruleset, as_of=report.assessment.as_of, readings=readings)
        html = district_document(report, evs, statements=args.statements)
    else:
        carrier = load_carrier(args.file)
        html = carrier_statement(evaluate(carrier, ruleset=args.ruleset, as_of=args.as_of, readings=readings))
    if args.format == "pdf":
        if not args.output:
            raise IncubatorRulesError("--format pdf writes a file: name it with -o FILE.pdf", field="--output")
        write_pdf(html, args.output)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        _write(args, html)
    return EXIT_OK


def _cmd_convert(args: argparse.Namespace) -> int:
    count = convert(args.input, args.output, progress=_progress(args), replace_special=args.force)
    print(f"wrote {count} carriers to {args.output}")
    return EXIT_OK


def _cmd_evaluate_partitions(args: argparse.Namespace) -> int:
    client = None
    if args.scheduler:
        distributed = require("distributed", "Evaluating on a Dask cluster", "dask")
        client = distributed.Client(args.scheduler)
    try:
        results = evaluate_partitions(args.folder, args.output, ruleset=args.ruleset, as_of=args.as_of,
                                      readings=_readings(args.reading), client=client, workers=args.workers,
                                      progress=_progress(args), engine=args.engine)
    finally:
        if client is not None:
            client.close()
    _say(f"{results.carriers} carriers in {len(results)} partitions evaluated into {args.output}: "
         f"{results.awarded:,} yuan awarded, {results.pending:,} yuan pending")
    return EXIT_OK


def _cmd_workbook(args: argparse.Namespace) -> int:
    portfolio = load_portfolio(args.portfolio)
    write_portfolio_workbook(portfolio, args.output, README_LINES)
    print(f"wrote {len(portfolio.carriers)} carriers, {len(portfolio.snapshots)} snapshots to {args.output}")
    return EXIT_OK


SUFFIX_FORMATS = {".xlsx": "xlsx", ".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".xml": "junit", ".html": "html",
                  ".htm": "html", ".pdf": "pdf"}


def _no_progress(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-progress", dest="no_progress", action="store_true",
                   help="never show a progress bar (by default one shows on long runs when standard error is a terminal)")


def _format_option(p: argparse.ArgumentParser, choices: tuple[str, ...], default: str, help: str | None = None) -> None:
    """``--format``; when it is not given, ``-o FILE``'s suffix chooses among ``choices`` (see ``main``)."""
    p.add_argument("--format", choices=choices, default=default,
                   help=(help + "; " if help else "") + "default: from the suffix of -o, else " + default)
    p.set_defaults(formats=choices)


def _format_from_output(args: argparse.Namespace, argv: Sequence[str]) -> None:
    """Without ``--format``, ``-o report.xlsx`` means xlsx (never text under an .xlsx name)."""
    if any(a == "--format" or a.startswith("--format=") for a in argv):
        return
    output = getattr(args, "output", None)
    chosen = SUFFIX_FORMATS.get(Path(output).suffix.lower()) if output else None
    if chosen is not None and chosen in getattr(args, "formats", ()):
        args.format = chosen


class _Parser(argparse.ArgumentParser):
    """An argument parser whose help may end with text made only when help is asked for."""

    def __init__(self, *args: Any, late_epilog: Callable[[], str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.late_epilog = late_epilog

    def format_help(self) -> str:
        text = super().format_help()
        return text + "\n" + self.late_epilog() + "\n" if self.late_epilog is not None else text


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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = _Parser(prog="incubator-rules", description="Evaluate incubation carriers against policy rulesets.")
    parser.add_argument("--version", action="version", version=f"incubator-rules {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("evaluate", help="evaluate one carrier file (YAML or JSON)", late_epilog=readings_help,
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Evaluate one carrier's history; a portfolio of carriers goes to evaluate-many.")
    p.add_argument("file")
    p.add_argument("--as-of", dest="as_of", default=None, help="evaluation date, YYYY-MM-DD (default: today)")
    p.add_argument("--ruleset", default=None, help=f"shipped ruleset id or path (default: {DEFAULT_RULESET})")
    p.add_argument("--reading", action="append", default=[], metavar="NAME=VALUE",
                   help="choose a reading (listed below); repeatable")
    _format_option(p, ("table", "json", "csv", "xlsx"), "table",
                   help="table, json, csv or xlsx (see below)")
    p.add_argument("-o", "--output", default=None, help="file to write (required for xlsx; default: standard output)")
    p.add_argument("--engine", choices=ENGINES, default="native", help="evaluation engine (default: native)")
    p.add_argument("--management", nargs="?", const=DEFAULT_MANAGEMENT, default=None, metavar="ID",
                   help=f"attach dynamic-management decisions (default rules: {DEFAULT_MANAGEMENT})")
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("evaluate-many", help="evaluate every carrier of a portfolio: one JSON line per carrier, in input order")
    p.add_argument("portfolio", help="portfolio (YAML, JSON, JSON Lines read as a stream, a folder of CSV tables, a "
                   "workbook), a carrier file, or a directory of carrier files or JSON Lines partitions")
    p.add_argument("--as-of", dest="as_of", default=None, help="evaluation date, YYYY-MM-DD (default: today)")
    p.add_argument("--ruleset", default=None, help=f"shipped ruleset id or path (default: {DEFAULT_RULESET})")
    p.add_argument("--reading", action="append", default=[], metavar="NAME=VALUE", help="choose a reading; repeatable")
    p.add_argument("--engine", choices=ENGINES, default="native", help="evaluation engine (default: native)")
    p.add_argument("--workers", type=int, default=None, help="evaluate on a process pool of this many workers")
    p.add_argument("-o", "--output", default=None,
                   help="file to write, whole or not at all (default: standard output; required for xlsx)")
    _format_option(p, ("jsonl", "csv", "xlsx"), "jsonl",
                   help="jsonl: one evaluation per line; csv or xlsx: one row per carrier and one per decision")
    p.add_argument("--force", action="store_true", help="replace the output even if it is a symbolic link or a FIFO")
    _no_progress(p)
    p.set_defaults(func=_cmd_evaluate_many)

    p = sub.add_parser("evaluate-partitions", help="evaluate a folder of JSON Lines partitions into a folder of results, "
                       "one file per partition (on a Dask cluster with --scheduler)")
    p.add_argument("folder", help="folder of JSON Lines partitions (*.jsonl)")
    p.add_argument("-o", "--output", required=True, help="folder for the evaluations (created if missing), one .jsonl per partition")
    p.add_argument("--as-of", dest="as_of", default=None, help="evaluation date, YYYY-MM-DD (default: today)")
    p.add_argument("--ruleset", default=None, help=f"shipped ruleset id or path (default: {DEFAULT_RULESET})")
    p.add_argument("--reading", action="append", default=[], metavar="NAME=VALUE", help="choose a reading; repeatable")
    p.add_argument("--engine", choices=ENGINES, default="native", help="evaluation engine (default: native)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="a Dask scheduler (tcp://host:8786): its workers read and write the partitions (needs the dask extra)")
    p.add_argument("--workers", type=int, default=None, help="without --scheduler: a local process pool of this many workers")
    _no_progress(p)
    p.set_defaults(func=_cmd_evaluate_partitions)

    p = sub.add_parser("convert", help="convert a portfolio between YAML, JSON, JSON Lines and CSV tables (nothing lost)",
                       description="The format of each side follows its name: .yaml/.yml, .json, .jsonl, and a folder "
                       "(a name ending in / or without a suffix) of CSV tables (carriers.csv, events.csv, ...); an "
                       "Excel workbook (.xlsx) can be read. The output is written whole or not at all.")
    p.add_argument("input", help="portfolio: YAML, JSON, JSON Lines, a folder of CSV tables or a workbook")
    p.add_argument("output", help="file or folder to write")
    p.add_argument("--force", action="store_true", help="replace the output even if it is a symbolic link or a FIFO")
    _no_progress(p)
    p.set_defaults(func=_cmd_convert)

    p = sub.add_parser("assess", help="assess a district portfolio against plan targets")
    p.add_argument("portfolio", help="portfolio file (YAML, JSON or an Excel workbook)")
    p.add_argument("--ruleset", required=True, help="targets ruleset id or path (`incubator-rules rulesets` lists the shipped ones)")
    p.add_argument("--as-of", dest="as_of", default=None, help="assessment date, YYYY-MM-DD (default: today)")
    _format_option(p, ("table", "json", "csv", "xlsx"), "table",
                   help="csv: targets, then carriers at risk and ready to climb (UTF-8 with a byte-order mark); "
                        "xlsx: one sheet each (needs -o)")
    p.add_argument("-o", "--output", default=None, help="file to write (required for xlsx; default: standard output)")
    p.add_argument("--other-district", action="store_true",
                   help="assess a portfolio whose district differs from the targets' jurisdiction (refused otherwise)")
    p.add_argument("--snapshots", default=None, metavar="CSV", help="a further CSV file of snapshots")
    p.add_argument("--reading", action="append", default=[], metavar="NAME=VALUE",
                   help="choose a reading of the targets or management rules; repeatable")
    p.add_argument("--management", default=DEFAULT_MANAGEMENT, metavar="ID",
                   help="dynamic-management rules for 'carriers at risk' (none to skip)")
    p.add_argument("--criteria", default="upgrade-criteria", metavar="ID",
                   help="upgrade criteria for 'ready to climb' (none to skip)")
    p.set_defaults(func=_cmd_assess)

    p = sub.add_parser("reconcile", help="payments against entitlements: paid, unpaid, overpaid, paid early, unmatched (exit 1 when anything is unsettled)")
    p.add_argument("portfolio", help="portfolio or carrier file (YAML or JSON), or a directory of them")
    p.add_argument("--payments", default=None, metavar="LEDGER",
                   help="payments ledger (CSV or YAML: carrier, date, amount, purpose, voucher...); default: the payment_received events of each history")
    p.add_argument("--as-of", dest="as_of", default=None, help="reconciliation date, YYYY-MM-DD (required)")
    p.add_argument("--ruleset", default=None, help=f"shipped ruleset id or path (default: {DEFAULT_RULESET})")
    p.add_argument("--reading", action="append", default=[], metavar="NAME=VALUE", help="choose a reading; repeatable")
    _format_option(p, ("table", "json", "csv", "xlsx", "html", "pdf"), "table",
                   help="csv and xlsx: one row per line, the totals per carrier; html or pdf: a printable statement")
    p.add_argument("-o", "--output", default=None, help="file to write (required for xlsx and pdf; default: standard output)")
    p.add_argument("--engine", choices=ENGINES, default="native")
    p.set_defaults(func=_cmd_reconcile)

    p = sub.add_parser("compile", help="print a reward ruleset compiled for an engine (durable-rules JSON)")
    p.add_argument("ruleset", help="shipped ruleset id or path")
    p.add_argument("--engine", choices=("durable",), default="durable", help="the engine to compile for")
    p.set_defaults(func=_cmd_compile)

    p = sub.add_parser("rulesets", help="list the shipped policy files: reward rulesets, targets, management, criteria")
    p.set_defaults(func=_cmd_rulesets)

    p = sub.add_parser("check", help="check ruleset, carrier and case files; list every problem")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, or directories to search for YAML and JSON files")
    p.add_argument("--lock", default=None, help="lock file of released versions (default: versions.lock beside each ruleset, else the shipped one)")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("test", help="run case files: expected decisions against actual ones")
    p.add_argument("paths", nargs="+", metavar="PATH", help="case files, or directories of case files")
    p.add_argument("-q", "--quiet", action="store_true", help="print only failures and the summary")
    p.add_argument("-k", dest="keyword", action="append", default=[], metavar="NAME",
                   help="run only the cases whose name or file contains NAME (or matches it as a glob); repeatable")
    _format_option(p, ("table", "json", "junit"), "table",
                   help="table (for people), json, or junit (JUnit XML for CI systems)")
    p.add_argument("-o", "--output", default=None, help="file for the json or junit report (default: standard output)")
    p.add_argument("--coverage", action="store_true",
                   help="list the clauses of each ruleset that no case exercises (no decision cites them)")
    p.add_argument("--ruleset", default=None, help=f"ruleset for the cases that do not name one (default: {DEFAULT_RULESET})")
    p.add_argument("--engine", choices=ENGINES, default="native", help="evaluation engine (default: native)")
    p.set_defaults(func=_cmd_test)

    p = sub.add_parser("diff", help="compare two rulesets, and their effect on a portfolio of carriers")
    p.add_argument("old", help="shipped ruleset id or path")
    p.add_argument("new", help="shipped ruleset id or path")
    p.add_argument("--portfolio", default=None, metavar="FILE", help="a YAML/JSON list of carriers, or a directory of carrier files")
    p.add_argument("--as-of", dest="as_of", default=None, help="evaluation date for the portfolio, YYYY-MM-DD (default: today)")
    p.add_argument("--reading", action="append", default=[], metavar="NAME=VALUE", help="choose a reading for both; repeatable")
    _format_option(p, ("table", "json"), "table")
    p.set_defaults(func=_cmd_diff)

    p = sub.add_parser("lock", help="record released ruleset versions and their content hash in versions.lock")
    p.add_argument("rulesets", nargs="+", metavar="RULESET", help="shipped ruleset id or path (reward rulesets and the other policy files)")
    p.add_argument("--lock", default=None, help="lock file (default: versions.lock beside the ruleset; a new one "
                                                "starts with the shipped releases)")
    p.set_defaults(func=_cmd_lock)

    for name, func, text in (
        ("compare", _cmd_compare, "compare what-if scenarios over a portfolio: totals and amounts per year"),
        ("budget", _cmd_budget, "amounts payable per year and rule, for the base and each scenario"),
    ):
        p = sub.add_parser(name, help=text, description=text + ". The difference of each scenario is its total "
                           "less the first scenario's: the unchanged base with --with-base, else the first "
                           "scenario of the file.")
        p.add_argument("portfolio", help="portfolio: YAML, JSON, JSON Lines (read as a stream), CSV tables or a workbook")
        p.add_argument("scenarios", nargs="?", help="scenario file (YAML or JSON); without it, the base only")
        p.add_argument("--as-of", dest="as_of", default=None, help="evaluation date, YYYY-MM-DD (default: today)")
        p.add_argument("--ruleset", default=None, help=f"shipped ruleset id or path (default: {DEFAULT_RULESET})")
        p.add_argument("--with-base", action="store_true",
                       help="compare against an unchanged base first; without it, differences are measured "
                            "from the first scenario of the file")
        p.add_argument("--workers", type=int, default=None, help="evaluate on a process pool of this many workers")
        p.add_argument("--engine", choices=ENGINES, default="native", help="evaluation engine (default: native)")
        _format_option(p, ("table", "json", "csv", "xlsx"), "table",
                       help="csv is UTF-8 with a byte-order mark; xlsx needs -o")
        p.add_argument("-o", "--output", default=None, help="file to write (required for xlsx; default: standard output)")
        _no_progress(p)
        p.set_defaults(func=func)

    p = sub.add_parser("report", help="a printable bilingual report: a carrier's award statement, or a district report",
                       description="A carrier file gives the carrier's award statement; a portfolio gives the district "
                       "report (targets, carriers at risk, ready to climb, yuan payable per year with a chart). "
                       "Every page's footer names the ruleset, its version, content hash and the as-of date.")
    p.add_argument("file", help="carrier file, or portfolio file (YAML, JSON or an Excel workbook)")
    p.add_argument("--as-of", dest="as_of", default=None, help="report date, YYYY-MM-DD (default: today)")
    p.add_argument("--ruleset", default=None, help=f"reward ruleset id or path (default: {DEFAULT_RULESET})")
    p.add_argument("--targets", default=None, help="targets ruleset id or path, for a district report")
    p.add_argument("--reading", action="append", default=[], metavar="NAME=VALUE", help="choose a reading; repeatable")
    p.add_argument("--statements", action="store_true", help="district report: every carrier's statement after it")
    p.add_argument("--management", default=DEFAULT_MANAGEMENT, metavar="ID",
                   help="district report: dynamic-management rules for 'carriers at risk' (none to skip)")
    p.add_argument("--criteria", default="upgrade-criteria", metavar="ID",
                   help="district report: upgrade criteria for 'ready to climb' (none to skip)")
    p.add_argument("--other-district", action="store_true", help="report a portfolio of another district than the targets'")
    _format_option(p, ("html", "pdf"), "html", help="html (print it from a browser) or pdf")
    p.add_argument("-o", "--output", default=None, help="file to write (required for pdf; default: standard output)")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("workbook", help="write a portfolio as an Excel workbook that assess, evaluate-many and compare read")
    p.add_argument("portfolio", help="portfolio file (YAML, JSON or a workbook)")
    p.add_argument("-o", "--output", required=True, help="workbook to write (.xlsx)")
    p.set_defaults(func=_cmd_workbook)
    p = sub.add_parser("serve", help="serve evaluations over HTTP (needs the server extra; see docs/service.md)")
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
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("schemas", help="regenerate the JSON Schemas from the file types' declarations (readers, rule kinds, event types, metrics...)")
    p.add_argument("--check", action="store_true", help="only report stale schema files (exit 1 when there are any)")
    p.add_argument("--dir", default=None, help="folder of *.schema.json files (default: the package's schemas)")
    p.set_defaults(func=_cmd_schemas)

    p = sub.add_parser("synthetic", help="write a synthetic district (seeded, not real data) as a portfolio file")
    p.add_argument("carriers", type=int, help="number of carriers")
    p.add_argument("-o", "--output", required=True, help="portfolio file to write (YAML, or an Excel workbook for .xlsx), whole or not at all")
    p.add_argument("--force", action="store_true", help="replace the output even if it is a symbolic link or a FIFO")
    p.add_argument("--seed", default="0", help="seed: the same seed gives the same district")
    p.add_argument("--prefix", default="wz", help="carrier id prefix")
    p.add_argument("--id", default=None, help="portfolio id (default: synthetic-SEED)")
    p.add_argument("--name", default=None, help="portfolio name")
    p.add_argument("--district", default=None, help="the district the portfolio belongs to")
    p.set_defaults(func=_cmd_synthetic)
    return parser


class Interrupted(BaseException):
    """A signal asked the command to stop (SIGINT, SIGTERM or SIGHUP)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n))


def _stop(signum: int, frame: object) -> None:
    for sig in _STOP_SIGNALS:  # a second signal must not interrupt the clean-up of the first
        signal.signal(sig, signal.SIG_IGN)
    raise Interrupted(signum)


_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def terminal_safe(text: str) -> str:
    """``text`` with control characters (ANSI escapes, BEL) and lone surrogates shown as escapes."""
    return _UNSAFE.sub(lambda m: repr(m.group())[1:-1], text)


class _Stdout:
    """Standard output for the commands: what is written is made terminal-safe, and a failing
    write (a full disk, a closed stream) becomes an OutputError; a broken pipe stays one."""

    def __init__(self, stream: IO[str] | None) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        if self.stream is None:
            raise OutputError("cannot write standard output: it is closed")
        try:
            return self.stream.write(terminal_safe(text))
        except BrokenPipeError:
            raise
        except (OSError, ValueError) as exc:
            raise OutputError(f"cannot write standard output: {getattr(exc, 'strerror', None) or exc}") from None

    def flush(self) -> None:
        if self.stream is None:
            return
        try:
            self.stream.flush()
        except BrokenPipeError:
            raise
        except (OSError, ValueError) as exc:
            raise OutputError(f"cannot write standard output: {getattr(exc, 'strerror', None) or exc}") from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _say(message: str) -> None:
    """A line for the user on standard error (nowhere, when standard error is closed)."""
    stream = sys.stderr
    if stream is None:
        return
    try:
        stream.write(terminal_safe(message) + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass


def _fill_closed_descriptors() -> None:
    """Open /dev/null on standard streams that were closed, so that no file we open takes their number."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            try:
                got = os.open(os.devnull, os.O_RDWR)
            except OSError:
                return
            if got != fd:
                os.dup2(got, fd)
                os.close(got)


def _silence_stdout() -> None:
    """After standard output failed: what is still buffered goes nowhere, so exiting raises nothing."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.__stdout__.fileno() if sys.__stdout__ is not None else 1)
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass


def _declared_levels(args: argparse.Namespace) -> Any:
    """The levels the command's reward ruleset (``--ruleset``) declares, which the carriers it reads may carry;
    none when it names no reward ruleset (a problem loading it is reported by the command itself)."""
    ref = getattr(args, "ruleset", None)
    if not isinstance(ref, str):
        return ()
    try:
        return load_ruleset(ref).levels
    except IncubatorRulesError:
        return ()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 problems or failures found, 2 bad input,
    128 + the signal's number when interrupted: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP)."""
    parser = build_parser()
    raw = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(raw)
    _format_from_output(args, raw)
    handlers: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in _STOP_SIGNALS:
            handlers[sig] = signal.signal(sig, _stop)
    closed_stdout = sys.stdout is None
    _fill_closed_descriptors()
    saved = sys.stdout
    sys.stdout = _Stdout(None if closed_stdout else saved)  # type: ignore[assignment]
    try:
        with reading_levels(_declared_levels(args)):
            code = int(args.func(args))
        sys.stdout.flush()
        return code
    except IncubatorRulesError as exc:
        _say(f"incubator-rules: error: {exc}")
        if isinstance(exc, OutputError):
            _silence_stdout()
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into `head` or a closed pager: stop quietly
        _silence_stdout()
        return EXIT_OK
    except (Interrupted, KeyboardInterrupt) as exc:
        signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
        _say(f"incubator-rules: interrupted by {signal.Signals(signum).name}")
        return 128 + int(signum)
    except OSError as exc:  # anything the commands did not foresee, reported rather than a traceback
        if exc.errno in (errno.ENOSPC, errno.EBADF, errno.EIO):
            _silence_stdout()
        _say(f"incubator-rules: error: {exc.strerror or exc}")
        return EXIT_BAD_INPUT
    finally:
        sys.stdout = saved
        for sig, previous in handlers.items():
            signal.signal(sig, previous if previous is not None else signal.SIG_DFL)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
