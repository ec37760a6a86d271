"""The ``incubator-rules`` command line: its parser, its handling of signals and of standard output.

Each command lives in a module of its own group (``cli_stream``: evaluate-many,
evaluate-partitions, convert; ``cli_evaluate``; ``cli_district``; ``cli_whatif``;
``cli_maintain``), loaded only when that command runs (``lazy.load``): a run
imports what its command needs, and ``--help`` next to nothing.
"""

from __future__ import annotations

import argparse
import errno
import importlib.metadata
import os
import re
import signal
import sys
import threading
from pathlib import Path
from typing import IO, Any, Callable, Sequence

from ..errors import IncubatorRulesError, OutputError
from ..lazy import load

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_BAD_INPUT = 2

# Every command: the module (in this package) that defines its arguments and runs it, and its line of help.
COMMANDS: dict[str, tuple[str, str]] = {
    "evaluate": ("cli_evaluate", "evaluate one carrier file (YAML or JSON)"),
    "evaluate-many": ("cli_stream", "evaluate every carrier of a portfolio: one JSON line per carrier, in input order"),
    "evaluate-partitions": ("cli_stream", "evaluate a folder of JSON Lines partitions into a folder of results, one file per partition (on a Dask cluster with --scheduler)"),
    "convert": ("cli_stream", "convert a portfolio between YAML, JSON, JSON Lines and CSV tables (nothing lost)"),
    "assess": ("cli_district", "assess a district portfolio against plan targets"),
    "reconcile": ("cli_district", "payments against entitlements: paid, unpaid, overpaid, paid early, unmatched (exit 1 when anything is unsettled)"),
    "compile": ("cli_maintain", "print a reward ruleset compiled for an engine (durable-rules JSON)"),
    "rulesets": ("cli_maintain", "list the shipped policy files: reward rulesets, targets, management, criteria"),
    "check": ("cli_maintain", "check ruleset, carrier and case files; list every problem"),
    "test": ("cli_maintain", "run case files: expected decisions against actual ones"),
    "diff": ("cli_maintain", "compare two rulesets, and their effect on a portfolio of carriers"),
    "lock": ("cli_maintain", "record released ruleset versions and their content hash in versions.lock"),
    "compare": ("cli_whatif", "compare what-if scenarios over a portfolio: totals and amounts per year"),
    "budget": ("cli_whatif", "amounts payable per year and rule, for the base and each scenario"),
    "report": ("cli_district", "a printable bilingual report: a carrier's award statement, or a district report"),
    "workbook": ("cli_district", "write a portfolio as an Excel workbook that assess, evaluate-many and compare read"),
    "serve": ("cli_maintain", "serve evaluations over HTTP (needs the server extra; see docs/service.md)"),
    "schemas": ("cli_maintain", "regenerate the JSON Schemas from the file types' declarations (readers, rule kinds, event types, metrics...)"),
    "synthetic": ("cli_maintain", "write a synthetic district (seeded, not real data) as a portfolio file"),
}


def _version() -> str:
    try:
        return importlib.metadata.version("incubator-rules")
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"


SUFFIX_FORMATS = {".xlsx": "xlsx", ".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".xml": "junit", ".html": "html",
                  ".htm": "html", ".pdf": "pdf"}


def no_progress(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-progress", dest="no_progress", action="store_true",
                   help="never show a progress bar (by default one shows on long runs when standard error is a terminal)")


def format_option(p: argparse.ArgumentParser, choices: tuple[str, ...], default: str, help: str | None = None) -> None:
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


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: every subcommand by name and help line, with its arguments for ``command``
    (every command's when None), which loads that command's module."""
    parser = _Parser(prog="incubator-rules", description="Evaluate incubation carriers against policy rulesets.")
    parser.add_argument("--version", action="version", version=f"incubator-rules {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, (module, text) in COMMANDS.items():
        p = sub.add_parser(name, help=text)
        if command is None or command == name:
            load(f"{__package__}.{module}").ARGUMENTS[name](p)
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


def say(message: str) -> None:
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


def _refuse_output_over_input(args: argparse.Namespace) -> None:
    """An ``--output`` that is one of the files the command is given to read would replace it: refused, so
    that ``evaluate-many p.yaml -o p.yaml`` keeps the portfolio (files a portfolio names inside are not seen)."""
    output = getattr(args, "output", None)
    if not isinstance(output, str) or not os.path.isfile(output):
        return
    for name, value in vars(args).items():
        for given in value if isinstance(value, list) else [value]:
            if name != "output" and isinstance(given, str) and os.path.isfile(given) and os.path.samefile(given, output):
                raise IncubatorRulesError(f"the output is the input ({given}); name another file", field="--output")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 problems or failures found, 2 bad input,
    128 + the signal's number when interrupted: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP)."""
    raw = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(next((a for a in raw if not a.startswith("-")), ""))
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
        _refuse_output_over_input(args)
        with args.levels(args):  # the levels the command's ruleset declares, while it reads carriers
            code = int(args.func(args))
        sys.stdout.flush()
        return code
    except IncubatorRulesError as exc:
        say(f"incubator-rules: error: {exc}")
        if isinstance(exc, OutputError):
            _silence_stdout()
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into `head` or a closed pager: stop quietly
        _silence_stdout()
        return EXIT_OK
    except (Interrupted, KeyboardInterrupt) as exc:
        signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
        say(f"incubator-rules: interrupted by {signal.Signals(signum).name}")
        return 128 + int(signum)
    except OSError as exc:  # anything the commands did not foresee, reported rather than a traceback
        if exc.errno in (errno.ENOSPC, errno.EBADF, errno.EIO):
            _silence_stdout()
        say(f"incubator-rules: error: {exc.strerror or exc}")
        return EXIT_BAD_INPUT
    finally:
        sys.stdout = saved
        for sig, previous in handlers.items():
            signal.signal(sig, previous if previous is not None else signal.SIG_DFL)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
