"""The library's error types: one small hierarchy rooted at IncubatorRulesError."""

from __future__ import annotations

import datetime
import importlib
from decimal import Decimal
from typing import Any, Mapping


class IncubatorRulesError(Exception):
    """Base of every error the library raises on bad input or bad rulesets.

    ``field`` names the offending field (a dotted path such as
    ``events[2].date``), ``file``/``line``/``column`` locate it when the input
    came from a file (lines and columns count from 1). Raised for one carrier
    of a batch, it also names that carrier: ``carrier_id`` and ``position``
    in the input; when the batch was being collected into a list,
    ``completed`` holds the results obtained before it, in input order.
    """

    carrier_id: str | None = None
    position: int | None = None
    detail: str | None = None
    completed: list[object] | None = None

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.message = message
        self.field = field
        self.file = file
        self.line = line
        self.column = column
        super().__init__(self.__str__())

    def __reduce__(self) -> tuple[object, ...]:
        # keyword-only fields survive pickling (errors raised in a pool worker reach the caller whole)
        return (_rebuild, (type(self), self.__dict__.copy()))

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


class DocumentError(IncubatorRulesError):
    """A file could not be read or parsed as YAML or JSON."""


class CarrierError(IncubatorRulesError):
    """A carrier description is malformed or inconsistent."""


class RulesetError(IncubatorRulesError):
    """A ruleset file is malformed or inconsistent."""


class ReadingError(IncubatorRulesError):
    """An unknown reading, or a value that is not one of its alternatives."""


class EngineError(IncubatorRulesError):
    """An evaluation engine failed or is not available."""


class CaseError(IncubatorRulesError):
    """A test-case file is malformed, or names something its ruleset or carrier lacks."""


class PortfolioError(IncubatorRulesError):
    """A district portfolio (carriers, snapshots, designations) is malformed or inconsistent."""


class LedgerError(IncubatorRulesError):
    """A payments ledger (CSV or YAML) that cannot be read."""


class ScenarioError(IncubatorRulesError):
    """A scenario is malformed, or cannot be applied to a ruleset or a carrier."""


def describe(value: Any) -> str:
    """A short, safe description of a value for error messages (never a huge or nested repr)."""
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        text = str(value) if value.bit_length() < 200 else "a very large integer"
        return text
    if isinstance(value, (Decimal, datetime.date)):
        text = str(value)
        return text if len(text) <= 60 else f"a {type(value).__name__}"
    return type(value).__name__


class BatchError(EngineError):
    """A carrier of a batch failed with an error of no library type, or the worker holding it died.

    ``position`` and ``carrier_id`` name the carrier; when a worker died,
    ``stop`` is set too, and the carriers that were being evaluated (the dead
    worker's among them) are ``position`` to ``stop - 1``.
    Results yielded before it stay valid.
    """

    stop: int | None = None


class OutputError(IncubatorRulesError):
    """An output file or stream cannot be written (a missing folder, a name too long, a full disk)."""


def _rebuild(cls: type[IncubatorRulesError], state: dict[str, object]) -> IncubatorRulesError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, str(error))
    return error
class MissingExtraError(IncubatorRulesError, ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""


def require(module: str, feature: str, extra: str = "notebook") -> Any:
    """Import ``module`` for ``feature``, or raise MissingExtraError naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        raise MissingExtraError(
            f"{feature} needs {top}, which is not installed; install it with: "
            f"pip install 'incubator-rules[{extra}]'"
        ) from None
