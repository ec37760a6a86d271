"""Reading YAML and JSON files as plain data, remembering where each value stood.

Only plain data comes out: mappings, lists, strings, integers, Decimals (never
floats), booleans, None and dates. Any YAML tag that would construct another
type is refused, so reading a file never runs code from it.
"""

from __future__ import annotations

import bisect
import datetime
import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import attrs
import yaml

from .errors import DocumentError, IncubatorRulesError

PathItem = str | int
DataPath = tuple[PathItem, ...]

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}


def field_name(path: Sequence[PathItem]) -> str:
    """``("events", 2, "date")`` -> ``"events[2].date"``."""
    out = ""
    for item in path:
        if isinstance(item, int):
            out += f"[{item}]"
        else:
            out += f".{item}" if out else str(item)
    return out


@attrs.frozen
class Source:
    """Where a piece of data came from: a file (or none) and the line of each value."""

    file: str | None = None
    locations: Mapping[DataPath, tuple[int, int]] = attrs.field(factory=dict)

    def locate(self, path: Sequence[PathItem]) -> tuple[int | None, int | None]:
        """The (line, column) of the value at ``path``, or of its nearest parent."""
        p = tuple(path)
        while True:
            if p in self.locations:
                return self.locations[p]
            if not p:
                return None, None
            p = p[:-1]

    def error(
        self, cls: type[IncubatorRulesError], path: Sequence[PathItem], message: str
    ) -> IncubatorRulesError:
        """An error of type ``cls`` naming the field at ``path`` and its place in the file."""
        line, column = self.locate(path)
        return cls(message, field=field_name(path) or None, file=self.file, line=line, column=column)

    def below(self, prefix: Sequence[PathItem]) -> "Source":
        """The part of this source below ``prefix``, with paths relative to it."""
        pre = tuple(prefix)
        if isinstance(self.locations, JsonLocations):
            return Source(self.file, self.locations.below(pre))
        n = len(pre)
        return Source(self.file, {p[n:]: loc for p, loc in self.locations.items() if p[:n] == pre})


@attrs.frozen
class Document:
    """Plain data read from a file, with its source."""

    data: Any
    source: Source


class _Composer(yaml.SafeLoader):
    """Builds nodes only; values are made by ``_build``, never by YAML constructors."""


_SCALARS = yaml.SafeLoader("")  # used only for its stateless scalar constructors


def _scalar(node: yaml.ScalarNode, file: str | None) -> Any:
    if node.tag == f"{_TAG}float":
        text = node.value.replace("_", "").lower()
        special = {".inf": "Infinity", "+.inf": "Infinity", "-.inf": "-Infinity", ".nan": "NaN"}
        try:
            return Decimal(special.get(text, text))
        except InvalidOperation:
            raise _node_error(node, file, f"unsupported number {node.value!r}") from None
    try:
        return _SCALARS.yaml_constructors[node.tag](_SCALARS, node)
    except (ValueError, OverflowError, yaml.YAMLError):
        if node.tag == f"{_TAG}timestamp":
            return node.value  # an impossible date: the field's own check names it
        raise _node_error(node, file, f"cannot read value {node.value!r}") from None


def _node_error(node: yaml.Node, file: str | None, message: str) -> DocumentError:
    mark = node.start_mark
    return DocumentError(message, file=file, line=mark.line + 1, column=mark.column + 1)


MAX_ALIAS_EXPANSIONS = 10_000


@attrs.define
class _Expansions:
    """Counts values built again through YAML aliases, so that a few lines cannot expand to billions."""

    seen: set[int] = attrs.Factory(set)
    repeats: int = 0

    def visit(self, node: yaml.Node, file: str | None) -> None:
        if id(node) in self.seen:
            self.repeats += 1
            if self.repeats > MAX_ALIAS_EXPANSIONS:
                raise _node_error(node, file, f"YAML aliases expand to more than {MAX_ALIAS_EXPANSIONS:,} values")
        else:
            self.seen.add(id(node))


def _build(
    node: yaml.Node, path: DataPath, locations: dict[DataPath, tuple[int, int]], file: str | None,
    expansions: _Expansions | None = None,
) -> Any:
    expansions = expansions if expansions is not None else _Expansions()
    expansions.visit(node, file)
    locations[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        if node.tag != f"{_TAG}map":
            raise _node_error(node, file, f"YAML tag {node.tag!r} is not allowed in data files")
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _node_error(key_node, file, "mapping keys must be plain scalars")
            key = _build(key_node, path + ("<key>",), {}, file, expansions)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                key = str(key_node.value)
            if key in out:
                raise _node_error(key_node, file, f"duplicate key {key!r}")
            out[key] = _build(value_node, path + (key,), locations, file, expansions)
        return out
    if isinstance(node, yaml.SequenceNode):
        if node.tag != f"{_TAG}seq":
            raise _node_error(node, file, f"YAML tag {node.tag!r} is not allowed in data files")
        return [_build(item, path + (i,), locations, file, expansions) for i, item in enumerate(node.value)]
    if not isinstance(node, yaml.ScalarNode) or node.tag not in _SCALAR_TAGS:
        raise _node_error(node, file, f"YAML tag {node.tag!r} is not allowed in data files")
    return _scalar(node, file)


def _compose_yaml(text: str, file: str | None) -> tuple[Any, dict[DataPath, tuple[int, int]]]:
    locations: dict[DataPath, tuple[int, int]] = {}
    try:
        loader = _Composer(text)
    except yaml.YAMLError as exc:  # the reader refuses control characters before parsing starts
        raise DocumentError(f"not valid YAML: {exc}", file=file) from None
    try:
        node = loader.get_single_node()
        data = None if node is None else _build(node, (), locations, file)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        raise DocumentError(f"not valid YAML: {exc.problem or exc}", file=file, line=line, column=column) from None
    except yaml.YAMLError as exc:
        raise DocumentError(f"not valid YAML: {exc}", file=file) from None
    except RecursionError:
        raise DocumentError("document is nested too deeply", file=file) from None
    finally:
        loader.dispose()
    return data, locations


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


_JSON = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")


class JsonLocations(Mapping[DataPath, tuple[int, int]]):
    """The (line, column) of each value of a JSON text, found when asked for.

    A lookup walks the text from its start down the path, stepping over the
    values before it at the JSON decoder's speed, so a large document costs
    nothing until a problem needs a location; iterating over every location
    reads the text once. The text must be valid JSON. ``line_offset`` counts
    the lines before the text (a line of JSON Lines).
    """

    def __init__(self, text: str, prefix: DataPath = (), line_offset: int = 0) -> None:
        self._text = _JsonText(text) if not isinstance(text, _JsonText) else text
        self.prefix, self.line_offset = prefix, line_offset

    def below(self, prefix: DataPath) -> "JsonLocations":
        """The same text, paths relative to ``prefix``."""
        return JsonLocations(self._text, self.prefix + prefix, self.line_offset)  # type: ignore[arg-type]

    def __getitem__(self, path: DataPath) -> tuple[int, int]:
        i = self._text.index(self.prefix + tuple(path))
        if i is None:
            raise KeyError(path)
        line, column = self._text.place(i)
        return line + self.line_offset, column

    def __contains__(self, path: object) -> bool:
        return isinstance(path, tuple) and self._text.index(self.prefix + path) is not None

    def __iter__(self) -> Iterator[DataPath]:
        n = len(self.prefix)
        return iter([p[n:] for p in self._text.every() if p[:n] == self.prefix])

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _JsonText:
    """A valid JSON text, and (once asked for) where every value in it starts."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._every: dict[DataPath, int] | None = None
        self._lines: list[int] | None = None

    def place(self, i: int) -> tuple[int, int]:
        """(line, column) of index ``i``, from 1."""
        if self._lines is None:
            if self._every is None:  # a single lookup: counting is cheaper than indexing the lines
                start = self.text.rfind("\n", 0, i) + 1
                return self.text.count("\n", 0, i) + 1, i - start + 1
            self._lines = [0] + [m.end() for m in re.finditer("\n", self.text)]
        line = bisect.bisect_right(self._lines, i)
        return line, i - self._lines[line - 1] + 1

    def index(self, path: DataPath) -> int | None:
        """Where the value at ``path`` starts, or None when there is none."""
        if self._every is not None:
            return self._every.get(path)
        text, ws = self.text, _WHITESPACE
        i = ws.match(text, 0).end()  # type: ignore[union-attr]
        for item in path:
            if i >= len(text):
                return None
            if text[i] == "{" and isinstance(item, str):
                i = ws.match(text, i + 1).end()  # type: ignore[union-attr]
                while text[i] == '"':
                    key, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
                    i = ws.match(text, ws.match(text, i).end() + 1).end()  # type: ignore[union-attr]
                    if key == item:
                        break
                    i = self._after(i)
                else:
                    return None
            elif text[i] == "[" and isinstance(item, int) and not isinstance(item, bool) and item >= 0:
                i = ws.match(text, i + 1).end()  # type: ignore[union-attr]
                for _ in range(item):
                    if text[i] == "]":
                        return None
                    i = self._after(i)
                if text[i] == "]":
                    return None
            else:
                return None
        return i

    def _after(self, i: int) -> int:
        """Past the value at ``i``, its comma and the whitespace around them."""
        _, end = _JSON.raw_decode(self.text, i)
        end = _WHITESPACE.match(self.text, end).end()  # type: ignore[union-attr]
        if self.text[end] == ",":
            end = _WHITESPACE.match(self.text, end + 1).end()  # type: ignore[union-attr]
        return end

    def every(self) -> dict[DataPath, int]:
        """Where every value starts, found in one pass over the text."""
        if self._every is None:
            every: dict[DataPath, int] = {}
            try:
                self._record(_WHITESPACE.match(self.text, 0).end(), (), every)  # type: ignore[union-attr]
            except RecursionError:
                every = {}
            self._every = every
        return self._every

    def _record(self, i: int, path: DataPath, out: dict[DataPath, int]) -> int:
        """Record the value at ``i`` and everything in it; returns the index past it."""
        text, ws = self.text, _WHITESPACE
        out[path] = i
        if text[i] == "{":
            i = ws.match(text, i + 1).end()  # type: ignore[union-attr]
            while text[i] == '"':
                key, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
                i = ws.match(text, ws.match(text, i).end() + 1).end()  # type: ignore[union-attr]
                i = ws.match(text, self._record(i, path + (key,), out)).end()  # type: ignore[union-attr]
                if text[i] == ",":
                    i = ws.match(text, i + 1).end()  # type: ignore[union-attr]
            return i + 1
        if text[i] == "[":
            i = ws.match(text, i + 1).end()  # type: ignore[union-attr]
            n = 0
            while text[i] != "]":
                i = ws.match(text, self._record(i, path + (n,), out)).end()  # type: ignore[union-attr]
                n += 1
                if text[i] == ",":
                    i = ws.match(text, i + 1).end()  # type: ignore[union-attr]
            return i + 1
        return int(_JSON.raw_decode(text, i)[1])


def load_json(text: str, file: str | None = None) -> Any:
    """JSON text as plain data, without locations: numbers with a fraction become Decimal, duplicate keys raise."""
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicates, parse_float=Decimal, parse_constant=Decimal)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"not valid JSON: {exc.msg}", file=file, line=exc.lineno, column=exc.colno) from None
    except (ValueError, RecursionError) as exc:
        raise DocumentError(f"not valid JSON: {exc}", file=file) from None


def parse_json(text: str, file: str | None = None) -> Document:
    """Parse JSON text; numbers with a fraction become Decimal. Locations are found when asked for."""
    return Document(load_json(text, file), Source(file, JsonLocations(text)))


def parse_yaml(text: str, file: str | None = None) -> Document:
    """Parse YAML text safely; numbers with a fraction become Decimal."""
    data, locations = _compose_yaml(text, file)
    return Document(data, Source(file, locations))


def read_document(path: str | Path) -> Document:
    """Read a ``.json``, ``.yaml`` or ``.yml`` file."""
    p = Path(path)
    text = read_text(p)
    if p.suffix.lower() == ".json":
        return parse_json(text, str(path))
    return parse_yaml(text, str(path))


MAX_FILE_BYTES = 64 * 1024 * 1024


def read_text(path: str | Path) -> str:
    """The UTF-8 text of a regular file of reasonable size; anything else raises DocumentError."""
    p = Path(path)
    try:
        if not p.is_file():
            raise DocumentError("cannot read file: no such file (or not a regular file)", file=str(path))
        if p.stat().st_size > MAX_FILE_BYTES:
            raise DocumentError(f"cannot read file: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB", file=str(path))
        return p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError(f"cannot read file: {exc}", file=str(path)) from None


def to_plain(value: Any) -> Any:
    """Make a value JSON-ready: dates as ISO strings, Decimals as exact strings or ints."""
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value() and value.adjusted() < 100:
            return int(value)
        return str(value)
    return value


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys: equal data gives equal text."""
    return json.dumps(to_plain(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
