"""Request bodies: JSON or JSON Lines read as plain data, errors placed at their line and column in the body."""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Iterator, TypeVar

from pydantic import BaseModel, ValidationError

from ...documents import DataPath, Document, JsonLocations, Source, field_name, load_json
from ...errors import DocumentError, IncubatorRulesError, PortfolioError
from ...files.carriers import carriers_from_document, prefixed
from ...files.portfolio_lines import read_line_data
from ...model.carrier import Carrier

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class RequestError(IncubatorRulesError):
    """A request is malformed: a field of the request itself (not of a carrier or portfolio) is wrong."""


class BodyTooLargeError(IncubatorRulesError):
    """A request body is larger than the service accepts."""


class TimeLimitError(IncubatorRulesError):
    """A request took longer than the service allows."""


class UnsupportedMediaTypeError(IncubatorRulesError):
    """A request body is of a content type the endpoint does not read."""


def media_type(header: str | None, accepted: tuple[str, ...], expected: str) -> str:
    """The media type of a ``Content-Type`` header (``application/json`` when there is none) when it is one of
    ``accepted`` and its charset, if it names one, is UTF-8; UnsupportedMediaTypeError naming the header otherwise
    (a form or ``text/plain`` is not read as JSON, and a body said to be in another charset is not read as UTF-8)."""
    if header is None:
        return "application/json"
    media, *params = header.split(";")
    media = media.strip().lower()
    if media not in accepted:
        raise UnsupportedMediaTypeError(f"expected {expected}, got {media!r}", field="Content-Type")
    for param in params:
        key, _, value = param.partition("=")
        charset = value.strip().strip('"')
        if key.strip().lower() == "charset" and charset.lower() not in ("utf-8", "utf8"):
            raise UnsupportedMediaTypeError(f"the body is read as UTF-8, not as charset {charset!r}", field="Content-Type")
    return media


def known_query(items: Iterable[tuple[str, str]], allowed: tuple[str, ...], repeatable: tuple[str, ...] = ()) -> None:
    """Refuse a query parameter the endpoint does not take (a misspelt ``as_of`` would otherwise be ignored), and
    one given twice that is not ``repeatable`` (one of the two would otherwise be ignored)."""
    seen = set()
    for name, _ in items:
        if name not in allowed:
            takes = f"expected one of: {', '.join(allowed)}" if allowed else "this endpoint takes none"
            raise RequestError(f"unknown query parameter; {takes}", field=name)
        if name in seen and name not in repeatable:
            raise RequestError("a query parameter given twice; give it once", field=name)
        seen.add(name)


def decode(raw: bytes) -> str:
    """The body as text; DocumentError when it is not UTF-8."""
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")  # the byte-order mark some Windows tools write
    except UnicodeDecodeError as exc:
        raise DocumentError(f"the request body is not UTF-8 text (byte {exc.start + 1})", field=None) from None


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def loads(text: str, line_offset: int = 0) -> Any:
    """JSON text as plain data (as ``documents.load_json``), its error's line counted in the whole body.

    A string with a lone UTF-16 surrogate (``"\\ud800"``, valid JSON but not
    text) is refused here, before it reaches anything that encodes it.
    """
    try:
        data = load_json(text)
    except DocumentError as exc:
        line = None if exc.line is None and not line_offset else (exc.line or 1) + line_offset
        raise DocumentError(exc.message, field=exc.field, line=line, column=exc.column) from None
    if _SURROGATE_ESCAPE.search(text):  # rare: only then is every string looked at
        path = _not_text(data, ())
        if path is not None:
            line, column = Source(None, JsonLocations(text, line_offset=line_offset)).locate(path)
            raise DocumentError("a string holds a lone UTF-16 surrogate escape (\\ud800 to \\udfff), which is not text",
                                field=field_name(path) or None,
                                line=line, column=column)
    return data


def _not_text(value: Any, path: DataPath) -> DataPath | None:
    """The path of the first string (or key) that cannot be encoded as UTF-8, or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        for k, v in value.items():
            found = _not_text(k, path + (k,)) if isinstance(k, str) else None
            found = found or _not_text(v, path + (k,))
            if found is not None:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _not_text(v, path + (i,))
            if found is not None:
                return found
    return None


class Body:
    """A request's JSON body: its data, and where each value stands (found only when an error needs it)."""

    def __init__(self, text: str, line_offset: int = 0) -> None:
        self.text = text
        self.line_offset = line_offset
        self.data = loads(text, line_offset)

    def source(self) -> Source:
        """Line and column of every value, counted in the whole request body (found only when asked for)."""
        return Source(None, JsonLocations(self.text, line_offset=self.line_offset))

    def located(self, path: DataPath, exc: IncubatorRulesError) -> IncubatorRulesError:
        """``exc`` as the error of the value at ``path`` (its field named from the body's root)."""
        line, column = self.source().locate(path)
        return type(exc)(exc.message, field=field_name(path) or None, line=line, column=column)

    def read(self, path: DataPath, build: Callable[[Document], T]) -> T:
        """``build`` applied to the value at ``path`` (a top-level key or the whole body); errors are located in the body."""
        value = self.data if not path else self.data[path[0]]
        try:
            return build(Document(value, self.source().below(path)))
        except IncubatorRulesError as exc:
            raise prefixed(exc, path) if path else exc from None

    def envelope(self, model: type[M]) -> M:
        """The request's own fields, checked by ``model``; the first problem raises RequestError."""
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            problems = exc.errors(include_url=False)
            first = problems[0]
            loc = tuple(first["loc"])
            line, column = self.source().locate(loc)
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise RequestError(_message(first) + more, field=field_name(loc) or None, line=line, column=column) from None


def _message(problem: Any) -> str:
    if problem["type"] == "model_type":
        return "expected a JSON object"
    if problem["type"] == "extra_forbidden":
        return "unknown field"
    if problem["type"] == "missing":
        return "required field is missing"
    return str(problem["msg"])


def json_lines(text: str) -> Iterator[tuple[int, Body]]:
    """Each non-blank line of a JSON Lines body as (line number, Body)."""
    for number, line in enumerate(text.split("\n"), 1):  # not splitlines: U+2028 may stand inside a JSON string
        line = line.rstrip("\r")
        if line.strip():
            yield number, Body(line, number - 1)


def carriers_in(body: Body, path: DataPath) -> list[Carrier]:
    """The carriers at ``path`` in the body (one carrier, a list of carriers or a district portfolio), their ids
    unique as in a portfolio file: a repeated id is placed at its second carrier."""
    carriers = body.read(path, carriers_from_document)
    if isinstance(body.data if not path else body.data[path[0]], list):
        seen: dict[str, int] = {}
        for i, carrier in enumerate(carriers):
            if carrier.id in seen:
                also = field_name(path + (seen[carrier.id],))
                raise body.located(path + (i, "id"), PortfolioError(f"duplicate carrier id {carrier.id!r} (also {also})"))
            seen[carrier.id] = i
    return carriers


def line_carriers(text: str, stop: Callable[[], None]) -> list[Carrier]:
    """The carriers of a JSON Lines body (a portfolio's header line allowed first), their ids unique as in a
    JSON Lines portfolio file; ``stop()`` is called every 256 lines and may raise to stop reading."""
    carriers: list[Carrier] = []
    seen: dict[str, int] = {}
    for i, (number, line) in enumerate(json_lines(text)):
        if number % 256 == 0:
            stop()
        carrier = carrier_of(line, first=i == 0)
        if carrier is None:
            continue
        if carrier.id in seen:
            raise line.located(("id",), PortfolioError(f"duplicate carrier id {carrier.id!r} (also on line {seen[carrier.id]})"))
        seen[carrier.id] = number
        carriers.append(carrier)
    return carriers


def carrier_of(body: Body, first: bool = False) -> Carrier | None:
    """The carrier a JSON Lines line holds (as a line of a JSON Lines portfolio: with its snapshots and
    designations, checked), or None for the portfolio's header line, which only the ``first`` line may be."""
    if not isinstance(body.data, dict):
        raise body.located((), RequestError("expected a carrier (a JSON object) on each line"))
    member = body.read((), lambda doc: read_line_data(doc.data, doc.source, first))
    return None if member is None else member.carrier
