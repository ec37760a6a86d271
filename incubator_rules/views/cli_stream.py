"""The command line's evaluate-many, evaluate-partitions and convert: portfolios read and written as streams."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import Callable

from ..collector import gc_paused
from ..engines.batch import evaluate_many, map_evaluations
from ..engines.partitions import evaluate_partitions
from ..engines.evaluation import ENGINES
from ..errors import require
from ..files.ruleset import DEFAULT_RULESET
from ..files.carriers import iter_carriers
from ..files.convert import convert
from ..output import BackgroundWriter, output_file
from ..model.jsonlines import evaluation_record
from .cli import EXIT_OK, format_option, no_progress, say
from .cli_common import declared_levels, levels_option, parse_readings, progress_of, reading_option, tables_out


WRITE_BATCH = 1 << 20  # bytes of JSON Lines handed to the writer thread at a time: fewer hand-overs of the GIL


def _cmd_evaluate_many(args: argparse.Namespace) -> int:
    carriers = iter_carriers(args.portfolio, progress_of(args))  # JSON Lines are read as they are evaluated
    if args.format in ("csv", "xlsx"):
        evs = evaluate_many(carriers, ruleset=args.ruleset, as_of=args.as_of, readings=parse_readings(args.reading),
                            workers=args.workers, engine=args.engine, progress=progress_of(args))
        tables_out(args, evs)
        say(f"{len(evs)} carriers evaluated: {evs.total:,} yuan awarded, {evs.pending_total:,} yuan pending")
        return EXIT_OK
    count = awarded = pending = 0
    # The collector is paused for the whole stream: reading, evaluating and writing make no reference cycles, and its
    # collections would scan the memos' growth again and again (a tenth of the CPU time: docs/performance.md, 15l).
    with (output_file(args.output, replace_special=args.force, field="--output") if args.output
          else contextlib.nullcontext(sys.stdout)) as out, gc_paused(kept=True):  # the target is checked before any work
        lines = map_evaluations(
            evaluation_record, carriers, ruleset=args.ruleset, as_of=args.as_of, readings=parse_readings(args.reading),
            workers=args.workers, stream=True, engine=args.engine, progress=progress_of(args),
        )
        out.flush()
        binary = getattr(out, "buffer", None)  # the lines are UTF-8 already; a text-only stream gets them decoded
        utf8 = binary is not None and (out.encoding or "").lower().replace("-", "") == "utf8"
        write = binary.write if utf8 else (lambda data: out.write(data.decode("utf-8")))
        def sync() -> None:  # a file's pages go to disk as it grows, not all in the fsync before the rename
            binary.flush()
            os.fdatasync(binary.fileno())

        writer = BackgroundWriter(write, sync if args.output and utf8 else None)  # the writing overlaps the evaluating (docs/performance.md, 15q)
        batch: list[bytes] = []  # lines written together: one system call per line would cost more than its JSON
        size = 0
        try:
            try:
                try:
                    for data, total, later in lines:
                        batch.append(data)
                        size += len(data)
                        count, awarded, pending = count + 1, awarded + total, pending + later
                        if size >= WRITE_BATCH:
                            data, size = b"".join(batch), 0
                            batch.clear()  # before the write: a failed write is not tried again
                            writer.write(data)
                finally:  # what was evaluated before an error is written, as when each line went at once
                    if batch:
                        writer.write(b"".join(batch))
            except BaseException as exc:  # an interruption drops what is still queued; an error's lines are written
                writer.close(abandon=not isinstance(exc, Exception))
                raise
            writer.close()
        finally:
            getattr(lines, "close", lambda: None)()  # a pool still running stops here
    say(f"{count} carriers evaluated: {awarded:,} yuan awarded, {pending:,} yuan pending")
    return EXIT_OK


def _cmd_evaluate_partitions(args: argparse.Namespace) -> int:
    client = None
    if args.scheduler:
        distributed = require("distributed", "Evaluating on a Dask cluster", "dask")
        client = distributed.Client(args.scheduler)
    try:
        results = evaluate_partitions(args.folder, args.output, ruleset=args.ruleset, as_of=args.as_of,
                                      readings=parse_readings(args.reading), client=client, workers=args.workers,
                                      progress=progress_of(args), engine=args.engine)
    finally:
        if client is not None:
            client.close()
    say(f"{results.carriers} carriers in {len(results)} partitions evaluated into {args.output}: "
         f"{results.awarded:,} yuan awarded, {results.pending:,} yuan pending")
    return EXIT_OK


def _cmd_convert(args: argparse.Namespace) -> int:
    count = convert(args.input, args.output, progress=progress_of(args), replace_special=args.force)
    print(f"wrote {count} carriers to {args.output}")
    return EXIT_OK


def _evaluate_many_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("portfolio", help="portfolio (YAML, JSON, JSON Lines read as a stream, a folder of CSV tables, a "
                   "workbook), a carrier file, or a directory of carrier files or JSON Lines partitions")
    p.add_argument("--as-of", dest="as_of", default=None, help="evaluation date, YYYY-MM-DD (default: today)")
    p.add_argument("--ruleset", default=None, help=f"shipped ruleset id or path (default: {DEFAULT_RULESET})")
    reading_option(p)
    p.add_argument("--engine", choices=ENGINES, default="native", help="evaluation engine (default: native)")
    p.add_argument("--workers", type=int, default=None, help="evaluate on a process pool of this many workers")
    p.add_argument("-o", "--output", default=None,
                   help="file to write, whole or not at all (default: standard output; required for xlsx)")
    format_option(p, ("jsonl", "csv", "xlsx"), "jsonl",
                  help="jsonl: one evaluation per line; csv or xlsx: one row per carrier and one per decision")
    p.add_argument("--force", action="store_true", help="replace the output even if it is a symbolic link or a FIFO")
    no_progress(p)
    p.set_defaults(func=_cmd_evaluate_many, levels=declared_levels)


def _evaluate_partitions_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", help="folder of JSON Lines partitions (*.jsonl)")
    p.add_argument("-o", "--output", required=True, help="folder for the evaluations (created if missing), one .jsonl per partition")
    p.add_argument("--as-of", dest="as_of", default=None, help="evaluation date, YYYY-MM-DD (default: today)")
    p.add_argument("--ruleset", default=None, help=f"shipped ruleset id or path (default: {DEFAULT_RULESET})")
    reading_option(p)
    p.add_argument("--engine", choices=ENGINES, default="native", help="evaluation engine (default: native)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="a Dask scheduler (tcp://host:8786): its workers read and write the partitions (needs the dask extra)")
    p.add_argument("--workers", type=int, default=None, help="without --scheduler: a local process pool of this many workers")
    no_progress(p)
    p.set_defaults(func=_cmd_evaluate_partitions, levels=declared_levels)


def _convert_arguments(p: argparse.ArgumentParser) -> None:
    p.description = ("The format of each side follows its name: .yaml/.yml, .json, .jsonl, and a folder "
                     "(a name ending in / or without a suffix) of CSV tables (carriers.csv, events.csv, ...); an "
                     "Excel workbook (.xlsx) can be read. The output is written whole or not at all.")
    p.add_argument("input", help="portfolio: YAML, JSON, JSON Lines, a folder of CSV tables or a workbook")
    p.add_argument("output", help="file or folder to write")
    p.add_argument("--force", action="store_true", help="replace the output even if it is a symbolic link or a FIFO")
    no_progress(p)
    p.set_defaults(func=_cmd_convert)
    levels_option(p)


# Each command's arguments (``cli.build_parser`` asks for those of the command given).
ARGUMENTS: dict[str, Callable[[argparse.ArgumentParser], None]] = {
    "evaluate-many": _evaluate_many_arguments,
    "evaluate-partitions": _evaluate_partitions_arguments,
    "convert": _convert_arguments,
}
