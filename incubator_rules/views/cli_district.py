"""The command line's assess, reconcile, report and workbook: a district's portfolio."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Callable

from ..district.assessment import DistrictMismatchWarning, district_mismatch
from ..files.management import DEFAULT_MANAGEMENT, load_management
from ..district.reconcile import reconcile
from ..district.report import district_report
from ..engines.batch import evaluate_many
from ..engines.evaluation import ENGINES, evaluate
from ..errors import IncubatorRulesError
from ..files.ruleset import DEFAULT_RULESET
from ..files.targets import load_targets
from ..files.types import PORTFOLIO, detect_type, read_for_check
from ..files.carrier import load_carrier
from ..files.carriers import load_portfolio
from .excel import README_LINES, write_portfolio_workbook
from .report import carrier_statement, district_document, reconciliation_statement, write_pdf
from .cli import EXIT_OK, EXIT_PROBLEMS, format_option
from .cli_common import declared_levels, levels_option, parse_readings, reading_option, tables_out, write_out


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
    readings = parse_readings(args.reading)
    own = set(management.header.readings) if management is not None else set()
    with warnings.catch_warnings():  # said above, once
        warnings.simplefilter("ignore", DistrictMismatchWarning)
        report = district_report(
            portfolio, targets, as_of=args.as_of,
            readings={k: v for k, v in readings.items() if k not in own},
            management=management, management_readings={k: v for k, v in readings.items() if k in own},
            criteria=None if args.criteria == "none" else args.criteria,
        )
    if tables_out(args, report):
        return EXIT_OK
    write_out(args, report.to_json() if args.format == "json" else report.to_table())
    return EXIT_OK


def _cmd_reconcile(args: argparse.Namespace) -> int:
    if args.as_of is None:
        raise IncubatorRulesError("give the date to reconcile as of, YYYY-MM-DD", field="--as-of")
    result = reconcile(args.portfolio, args.as_of, payments=args.payments, ruleset=args.ruleset,
                       readings=parse_readings(args.reading), engine=args.engine)
    if args.format in ("html", "pdf"):
        statement = reconciliation_statement(result)
        if args.format == "pdf":
            if not args.output:
                raise IncubatorRulesError("--format pdf writes a file: name it with -o FILE.pdf", field="--output")
            write_pdf(statement, args.output)
        else:
            write_out(args, statement)
    elif not tables_out(args, result):
        write_out(args, result.to_json() if args.format == "json" else result.to_table())
    return EXIT_OK if result.settled else EXIT_PROBLEMS


def _cmd_report(args: argparse.Namespace) -> int:
    is_portfolio = Path(args.file).suffix.lower() in (".xlsx", ".xlsm")
    if not is_portfolio:
        doc, text = read_for_check(args.file)
        is_portfolio = detect_type(doc.data, text) == PORTFOLIO
    readings = parse_readings(args.reading)
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
        write_out(args, html)
    return EXIT_OK


def _cmd_workbook(args: argparse.Namespace) -> int:
    portfolio = load_portfolio(args.portfolio)
    write_portfolio_workbook(portfolio, args.output, README_LINES)
    print(f"wrote {len(portfolio.carriers)} carriers, {len(portfolio.snapshots)} snapshots to {args.output}")
    return EXIT_OK


def _assess_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("portfolio", help="portfolio file (YAML, JSON or an Excel workbook)")
    p.add_argument("--ruleset", required=True, help="targets ruleset id or path (`incubator-rules rulesets` lists the shipped ones)")
    p.add_argument("--as-of", dest="as_of", default=None, help="assessment date, YYYY-MM-DD (default: today)")
    format_option(p, ("table", "json", "csv", "xlsx"), "table",
                  help="csv: targets, then carriers at risk and ready to climb (UTF-8 with a byte-order mark); "
                        "xlsx: one sheet each (needs -o)")
    p.add_argument("-o", "--output", default=None, help="file to write (required for xlsx; default: standard output)")
    p.add_argument("--other-district", action="store_true",
                   help="assess a portfolio whose district differs from the targets' jurisdiction (refused otherwise)")
    p.add_argument("--snapshots", default=None, metavar="CSV", help="a further CSV file of snapshots")
    reading_option(p, "a reading of the targets or management rules")
    p.add_argument("--management", default=DEFAULT_MANAGEMENT, metavar="ID",
                   help="dynamic-management rules for 'carriers at risk' (none to skip)")
    p.add_argument("--criteria", default="upgrade-criteria", metavar="ID",
                   help="upgrade criteria for 'ready to climb' (none to skip)")
    p.set_defaults(func=_cmd_assess, levels=declared_levels)


def _reconcile_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("portfolio", help="portfolio or carrier file (YAML or JSON), or a directory of them")
    p.add_argument("--payments", default=None, metavar="LEDGER",
                   help="payments ledger (CSV or YAML: carrier, date, amount, purpose, voucher...); default: the payment_received events of each history")
    p.add_argument("--as-of", dest="as_of", default=None, help="reconciliation date, YYYY-MM-DD (required)")
    p.add_argument("--ruleset", default=None, help=f"shipped ruleset id or path (default: {DEFAULT_RULESET})")
    reading_option(p)
    format_option(p, ("table", "json", "csv", "xlsx", "html", "pdf"), "table",
                  help="csv and xlsx: one row per line, the totals per carrier; html or pdf: a printable statement")
    p.add_argument("-o", "--output", default=None, help="file to write (required for xlsx and pdf; default: standard output)")
    p.add_argument("--engine", choices=ENGINES, default="native")
    p.set_defaults(func=_cmd_reconcile, levels=declared_levels)


def _report_arguments(p: argparse.ArgumentParser) -> None:
    p.description = ("A carrier file gives the carrier's award statement; a portfolio gives the district "
                     "report (targets, carriers at risk, ready to climb, yuan payable per year with a chart). "
                     "Every page's footer names the ruleset, its version, content hash and the as-of date.")
    p.add_argument("file", help="carrier file, or portfolio file (YAML, JSON or an Excel workbook)")
    p.add_argument("--as-of", dest="as_of", default=None, help="report date, YYYY-MM-DD (default: today)")
    p.add_argument("--ruleset", default=None, help=f"reward ruleset id or path (default: {DEFAULT_RULESET})")
    p.add_argument("--targets", default=None, help="targets ruleset id or path, for a district report")
    reading_option(p)
    p.add_argument("--statements", action="store_true", help="district report: every carrier's statement after it")
    p.add_argument("--management", default=DEFAULT_MANAGEMENT, metavar="ID",
                   help="district report: dynamic-management rules for 'carriers at risk' (none to skip)")
    p.add_argument("--criteria", default="upgrade-criteria", metavar="ID",
                   help="district report: upgrade criteria for 'ready to climb' (none to skip)")
    p.add_argument("--other-district", action="store_true", help="report a portfolio of another district than the targets'")
    format_option(p, ("html", "pdf"), "html", help="html (print it from a browser) or pdf")
    p.add_argument("-o", "--output", default=None, help="file to write (required for pdf; default: standard output)")
    p.set_defaults(func=_cmd_report, levels=declared_levels)


def _workbook_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("portfolio", help="portfolio file (YAML, JSON or a workbook)")
    p.add_argument("-o", "--output", required=True, help="workbook to write (.xlsx)")
    p.set_defaults(func=_cmd_workbook)
    levels_option(p)


# Each command's arguments (``cli.build_parser`` asks for those of the command given).
ARGUMENTS: dict[str, Callable[[argparse.ArgumentParser], None]] = {
    "assess": _assess_arguments,
    "reconcile": _reconcile_arguments,
    "report": _report_arguments,
    "workbook": _workbook_arguments,
}
