"""Reading YAML, JSON and CSV text as plain data, remembering where each value stood.

Every file type is read here, under one set of rules:

- Only plain data comes out: mappings, lists, strings, integers, Decimals
  (never floats), booleans, None and dates. Reading never runs code.
- Plain YAML scalars follow the YAML 1.2 core schema. Forms that YAML 1.1
  reads otherwise (``0777`` octal, ``3:20:00`` base 60, ``1_000``, ``yes``
  and ``no``, ``0o17``, ``0b101``) are refused with their line rather than
  guessed at; quoting a value makes it text.
- Explicit tags (``!!timestamp``, ``!!bool``, ``!foo``) are refused with their
  line; ``!!str`` is the only one allowed.
- Control characters (other than tab and line breaks) and lone surrogates are
  refused, in the raw text and in decoded escapes alike.
- Nesting deeper than ``MAX_DEPTH``, numbers longer than
  ``MAX_NUMBER_CHARS``, files larger than ``max_file_bytes()`` (128 MB, or
  ``INCUBATOR_RULES_MAX_FILE_MB``), and aliases expanding to more than
  ``MAX_ALIAS_EXPANSIONS`` values fail fast with the line.
- JSON is parsed for its data by the C parser; where each value stood is
  found, only when asked, by a linear scan that knows real lines and columns
  (tabs included). YAML likewise: the C parser when PyYAML has it, and the
  positions gathered on demand by a second pass.
"""

from __future__ import annotations

import bisect
import csv
import datetime
import io
import json
import os
import re
import secrets
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import attrs
import yaml

from .errors import DocumentError, IncubatorRulesError

try:
    from yaml.cyaml import CParser as _CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _CParser = None  # type: ignore[assignment,misc]

PathItem = str | int
DataPath = tuple[PathItem, ...]

MAX_FILE_BYTES = 128 * 1024 * 1024  # the default of ``max_file_bytes``: 100,000 carriers are about 95 MB
MAX_FILE_VARIABLE = "INCUBATOR_RULES_MAX_FILE_MB"
MAX_DEPTH = 64
MAX_NUMBER_CHARS = 100
MAX_ALIAS_EXPANSIONS = 10_000
USE_LIBYAML = _CParser is not None  # tests set it False to exercise the pure-Python parser


def field_name(path: Sequence[PathItem]) -> str:
    """``("events", 2, "date")`` -> ``"events[2].date"``."""
    out = ""
    for item in path:
        if isinstance(item, int):
            out += f"[{item}]"
        else:
            out += f".{item}" if out else str(item)
    return out


class _LazyLocations(Mapping[DataPath, tuple[int, int]]):
    """Locations computed on first use, by a second pass over the text."""

    def __init__(self, compute: Callable[[], dict[DataPath, tuple[int, int]]]) -> None:
        self._compute: Callable[[], dict[DataPath, tuple[int, int]]] | None = compute
        self._found: dict[DataPath, tuple[int, int]] = {}

    def _data(self) -> dict[DataPath, tuple[int, int]]:
        if self._compute is not None:
            compute, self._compute = self._compute, None
            try:
                self._found = compute()
            except IncubatorRulesError:  # the text was accepted once; a second reading cannot fail
                self._found = {}
        return self._found

    def __getitem__(self, key: DataPath) -> tuple[int, int]:
        return self._data()[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data()

    def __iter__(self) -> Iterator[DataPath]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())


@attrs.frozen
class Source:
    """Where a piece of data came from: a file (or none), the line of each value, and the
    path (``prefix``) at which this piece stands inside the file's data."""

    file: str | None = None
    locations: Mapping[DataPath, tuple[int, int]] = attrs.field(factory=dict)
    prefix: DataPath = ()

    def below(self, prefix: Sequence[PathItem]) -> "Source":
        """The source of the value at ``prefix``, with paths relative to it (no copying)."""
        return Source(self.file, self.locations, self.prefix + tuple(prefix))

    def locate(self, path: Sequence[PathItem]) -> tuple[int | None, int | None]:
        """The (line, column) of the value at ``path``, or of its nearest parent."""
        p = self.prefix + tuple(path)
        locations = self.locations
        while True:
            found = locations.get(p)
            if found is not None:
                return found
            if not p:
                return None, None
            p = p[:-1]

    def error(
        self, cls: type[IncubatorRulesError], path: Sequence[PathItem], message: str
    ) -> IncubatorRulesError:
        """An error of type ``cls`` naming the field at ``path`` and its place in the file."""
        line, column = self.locate(path)
        return cls(message, field=field_name(path) or None, file=self.file, line=line, column=column)


@attrs.frozen
class Document:
    """Plain data read from a file, with its source."""

    data: Any
    source: Source


# --- characters ---------------------------------------------------------------

# C0 controls but tab and line breaks, DEL, C1 controls, lone surrogates.
_BAD_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _char_name(ch: str) -> str:
    code = ord(ch)
    if 0xD800 <= code <= 0xDFFF:
        return f"U+{code:04X} (a lone surrogate)"
    return f"U+{code:04X} ({unicodedata.name(ch, 'a control character')})"


def bad_character(text: str) -> int | None:
    """The index of the first control character or lone surrogate in ``text``, or None."""
    m = _BAD_CHAR.search(text)
    return None if m is None else m.start()


def check_text(text: str, file: str | None) -> None:
    """Refuse text holding a control character (other than tab and line breaks) or a lone surrogate."""
    at = bad_character(text)
    if at is not None:
        line = text.count("\n", 0, at) + 1
        column = at - (text.rfind("\n", 0, at) + 1) + 1
        raise DocumentError(f"character {_char_name(text[at])} is not allowed", file=file, line=line, column=column)


def string_problem(value: str) -> str | None:
    """Why a decoded string cannot be accepted (a control character or lone surrogate), or None."""
    at = bad_character(value)
    return None if at is None else f"character {_char_name(value[at])} is not allowed in text"


def data_problem(data: Any) -> tuple[DataPath, str] | None:
    """The first place in plain data built in Python (not read from a file) that a file could not hold:
    text with a control character or lone surrogate, or nesting deeper than ``MAX_DEPTH``; None if none."""
    stack: list[tuple[Any, DataPath]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return path, f"nested more than {MAX_DEPTH} levels deep"
        if isinstance(value, str):
            problem = string_problem(value)
            if problem:
                return path, problem
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if isinstance(key, str) and string_problem(key):
                    return path + (key,), f"in a key: {string_problem(key)}"
                stack.append((item, path + (key,)))
        elif isinstance(value, (list, tuple)):
            stack.extend((item, path + (i,)) for i, item in enumerate(value))
    return None


def _shown(value: str) -> str:
    return repr(value) if len(value) <= 40 else repr(value[:30]) + f"... ({len(value)} characters)"


# --- YAML ---------------------------------------------------------------------

_TAG = "tag:yaml.org,2002:"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_YAML11_BOOLS = frozenset("yes Yes YES no No NO on On ON off Off OFF".split())
_INT = re.compile(r"[-+]?[0-9]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_SPECIAL = {
    **{f"{s}{v}": Decimal(f"{s}Infinity") for s in ("", "+", "-") for v in (".inf", ".Inf", ".INF")},
    ".nan": Decimal("NaN"), ".NaN": Decimal("NaN"), ".NAN": Decimal("NaN"),
}
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?\Z")
# numbers in YAML 1.1 only (underscores, 0b) or in 1.2 only (0o); each class is matched once, in linear time
_YAML11_ONLY = re.compile(r"[-+]?(0b[0-1_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9._]*)\Z")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


class _Refused(Exception):
    """A value refused during a pass; carries the message for the located error."""


_WORDS: dict[str, Any] = {"null": None, "Null": None, "NULL": None, "~": None, **_BOOLS}
_NUMERIC_START = frozenset("0123456789+-.")


def _plain_scalar(value: str) -> Any:
    """A plain (unquoted, untagged) YAML scalar under the YAML 1.2 core schema, or _Refused."""
    if not value:
        return None
    if value[0] not in _NUMERIC_START:  # text, a null, a boolean, or a YAML 1.1 boolean
        if value in _WORDS:
            return _WORDS[value]
        if value in _YAML11_BOOLS:
            raise _Refused(f"{value!r} is a boolean in YAML 1.1 and text in YAML 1.2; "
                           f"write true or false, or quote it ('{value}') to mean the text")
        return value
    if _DATE.match(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return value  # an impossible date: the field's own check names it
    if _INT.match(value):
        digits = value.lstrip("+-")
        if len(digits) > MAX_NUMBER_CHARS:
            raise _Refused(f"a number of {len(digits)} digits is longer than the {MAX_NUMBER_CHARS} allowed")
        if len(digits) > 1 and digits[0] == "0":
            raise _Refused(f"{value!r} is an octal number in YAML 1.1 and a decimal one in YAML 1.2; "
                           f"write it without the leading zero, or quote it to mean the text")
        return int(value)
    if _HEX.match(value):
        if len(value) > MAX_NUMBER_CHARS:
            raise _Refused(f"a number of {len(value)} characters is longer than the {MAX_NUMBER_CHARS} allowed")
        return int(value, 16)
    if _SEXAGESIMAL.match(value):
        raise _Refused(f"{value!r} is a base-60 number in YAML 1.1 and text in YAML 1.2; "
                       "quote it to mean the text, or write the number in decimal")
    if _YAML11_ONLY.match(value) and ("_" in value or value.lstrip("+-")[:2] in ("0b", "0o")):
        raise _Refused(f"{value!r} is a number in one YAML version and text in another; "
                       "write a plain decimal number, or quote it to mean the text")
    if _FLOAT.match(value):
        if len(value) > MAX_NUMBER_CHARS:
            raise _Refused(f"a number of {len(value)} characters is longer than the {MAX_NUMBER_CHARS} allowed")
        return Decimal(value)
    special = _SPECIAL.get(value)
    if special is not None:
        return special
    return value


def _scalar(event: Any) -> Any:
    tag = event.tag
    if tag is None or tag == "!":
        if tag is None and event.implicit[0]:  # plain and untagged
            return _plain_scalar(event.value)
        value = event.value
    elif tag == f"{_TAG}str":
        value = event.value
    else:
        raise _Refused(f"explicit YAML tag {tag!r} is not allowed in data files; "
                       "write the value without a tag (quote it to make it text)")
    if event.style == '"':  # the only style with escapes
        problem = string_problem(value)
        if problem:
            raise _Refused(problem)
    return value


def _yaml_parser(text: str) -> Any:
    if USE_LIBYAML and _CParser is not None:
        return _CParser(text)
    return yaml.SafeLoader(text)


_KEY = object()  # a mapping frame waiting for its next key


def _yaml_pass(text: str, file: str | None, locations: dict[DataPath, tuple[int, int]] | None) -> Any:
    """The data of a single-document YAML text; fills ``locations`` when given. Iterative: no recursion."""
    parser = _yaml_parser(text)
    event: Any = None
    try:
        parser.get_event()  # stream start
        if parser.check_event(yaml.StreamEndEvent):
            return None
        parser.get_event()  # document start
        anchors: dict[str, tuple[Any, int]] = {}
        expansions = count = 0
        locating = locations is not None
        stack: list[list[Any]] = []  # [container, path, key (_KEY while awaited; None in a list), anchor, count]
        root: Any = None
        shared: dict[Any, Any] = {}  # one object for each key, short text and date that recurs (a portfolio's memory)
        while True:
            event = parser.get_event()
            cls = type(event)
            if cls is yaml.DocumentEndEvent:
                break
            if cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
                value, _, _, anchor, start = stack.pop()
                if locating:
                    value = None  # the second pass keeps places, not values
                if anchor is not None:
                    anchors[anchor] = (value, count - start)
            else:
                frame = stack[-1] if stack else None
                if frame is not None and frame[2] is _KEY:
                    if cls is not yaml.ScalarEvent:
                        raise _At(event, "mapping keys must be plain scalars")
                    key = _scalar(event)
                    if not isinstance(key, (str, int)) or isinstance(key, bool):
                        key = event.value
                    if key in frame[0]:
                        raise _At(event, f"duplicate key {_shown(str(key))}")
                    frame[2] = shared.setdefault(key, key)
                    continue
                count += 1
                path: DataPath = ()
                if locations is not None:
                    if frame is not None:
                        path = frame[1] + ((len(frame[0]),) if frame[2] is None else (frame[2],))
                    mark = event.start_mark
                    locations[path] = (mark.line + 1, mark.column + 1)
                if cls is yaml.ScalarEvent:
                    value = None if locating else _scalar(event)
                    if (value.__class__ is str and len(value) <= 40) or value.__class__ is datetime.date:
                        value = shared.setdefault(value, value)
                    if event.anchor is not None:
                        anchors[event.anchor] = (value, 1)
                elif cls is yaml.AliasEvent:
                    found = anchors.get(event.anchor)
                    if found is None:
                        raise _At(event, f"unknown YAML alias *{event.anchor}")
                    value, size = found
                    count += size - 1  # an anchored value holding this alias counts what it expands to
                    expansions += size
                    if expansions > MAX_ALIAS_EXPANSIONS:
                        raise _At(event, f"YAML aliases expand to more than {MAX_ALIAS_EXPANSIONS:,} values")
                else:
                    mapping = cls is yaml.MappingStartEvent
                    if event.tag not in (None, "!", f"{_TAG}{'map' if mapping else 'seq'}"):
                        raise _At(event, f"explicit YAML tag {event.tag!r} is not allowed in data files")
                    if len(stack) >= MAX_DEPTH:
                        raise _At(event, f"nested more than {MAX_DEPTH} levels deep")
                    stack.append([{}, path, _KEY, event.anchor, count] if mapping else [[], path, None, event.anchor, count])
                    continue
            if not stack:
                root = value
            else:
                top = stack[-1]
                if top[2] is None:
                    top[0].append(value)
                else:
                    top[0][top[2]] = value
                    top[2] = _KEY
        if not parser.check_event(yaml.StreamEndEvent):
            event = parser.get_event()
            raise _At(event, "expected a single YAML document, found another one")
        return root
    except _At as exc:
        mark = exc.event.start_mark
        raise DocumentError(exc.message, file=file, line=mark.line + 1, column=mark.column + 1) from None
    except _Refused as exc:
        mark = event.start_mark
        raise DocumentError(str(exc), file=file, line=mark.line + 1, column=mark.column + 1) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        raise DocumentError(f"not valid YAML: {exc.problem or exc}", file=file, line=line, column=column) from None
    except yaml.YAMLError as exc:
        raise DocumentError(f"not valid YAML: {exc}", file=file) from None
    finally:
        parser.dispose()


class _At(Exception):
    def __init__(self, event: Any, message: str) -> None:
        super().__init__(message)
        self.event = event
        self.message = message


# --- JSON ---------------------------------------------------------------------

_WS = re.compile(r"[ \t\n\r]*")
# unrolled (normal* (special normal*)*): no two ways to match one text, so no backtracking blow-up
_JSON_STRING = re.compile(r'"[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*"')
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_JSON_WORDS = (("true", True), ("false", False), ("null", None), ("NaN", Decimal("NaN")),
               ("Infinity", Decimal("Infinity")), ("-Infinity", Decimal("-Infinity")))
# Escapes that may decode to a refused character (a false alarm only sends the text to the exact scan).
_RISKY_ESCAPE = re.compile(r"\\(?:[bf]|u(?:00[01]|007|008|009|[dD][89a-fA-F]))", re.IGNORECASE)


class _Lines:
    """Line and column of positions visited in increasing order, in linear total time."""

    def __init__(self, text: str) -> None:
        self.text, self.line, self.start, self.counted = text, 1, 0, 0

    def at(self, pos: int) -> tuple[int, int]:
        if pos > self.counted:
            k = self.text.count("\n", self.counted, pos)
            if k:
                self.line += k
                self.start = self.text.rfind("\n", self.counted, pos) + 1
            self.counted = pos
        return self.line, pos - self.start + 1


def _json_scan(text: str, file: str | None, locations: dict[DataPath, tuple[int, int]] | None) -> Any:
    """JSON data with exact positions; every refusal names its line and column. Iterative: no recursion."""
    lines = _Lines(text)
    n = len(text)

    def fail(pos: int, message: str, path: DataPath = ()) -> DocumentError:
        line, column = lines.at(pos)
        return DocumentError(message, field=field_name(path) or None, file=file, line=line, column=column)

    def string(pos: int, path: DataPath) -> tuple[str, int]:
        m = _JSON_STRING.match(text, pos)
        if m is None:
            raise fail(pos, "not valid JSON: unterminated string or invalid escape", path)
        value = json.loads(m.group())
        problem = string_problem(value)
        if problem:
            raise fail(pos, problem, path)
        return value, m.end()

    stack: list[list[Any]] = []  # [container, path, key (None in a list)]
    root: Any = None
    pos = _WS.match(text, 0).end()  # type: ignore[union-attr]
    if pos >= n:
        raise fail(pos, "not valid JSON: the text holds no value")
    while True:
        # a value is expected at pos
        frame = stack[-1] if stack else None
        path: DataPath = ()
        if frame is not None:
            path = frame[1] + ((len(frame[0]),) if frame[2] is None else (frame[2],))
        if locations is not None:
            locations[path] = lines.at(pos)
        c = text[pos] if pos < n else ""
        if c == "{" or c == "[":
            if len(stack) >= MAX_DEPTH:
                raise fail(pos, f"nested more than {MAX_DEPTH} levels deep", path)
            obj = c == "{"
            stack.append([{} if obj else [], path, None])
            pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
            close = "}" if obj else "]"
            if pos < n and text[pos] == close:
                value = stack.pop()[0]
                pos += 1
            elif obj:
                pos = _json_key(text, pos, stack[-1], string, fail)
                continue
            else:
                continue
        elif c == '"':
            value, pos = string(pos, path)
        else:
            m = _JSON_NUMBER.match(text, pos)
            word = next(((w, v) for w, v in _JSON_WORDS if text.startswith(w, pos)), None)
            if word is not None and (m is None or word[0] == "-Infinity"):
                value, pos = word[1], pos + len(word[0])
            elif m is not None:
                token = m.group()
                if len(token) > MAX_NUMBER_CHARS:
                    raise fail(pos, f"a number of {len(token)} characters is longer than the {MAX_NUMBER_CHARS} allowed", path)
                value = Decimal(token) if any(ch in token for ch in ".eE") else int(token)
                pos = m.end()
            else:
                raise fail(pos, "not valid JSON: expected a value" if c else "not valid JSON: the text ends where a value was expected")
        # the value is complete: attach it, then close what it completes
        while True:
            if not stack:
                root = value
                pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
                if pos < n:
                    raise fail(pos, "not valid JSON: extra data after the value")
                return root
            top = stack[-1]
            if top[2] is None:
                top[0].append(value)
            else:
                top[0][top[2]] = value
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            c = text[pos] if pos < n else ""
            obj = top[2] is not None
            if c == ",":
                pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
                if obj:
                    pos = _json_key(text, pos, top, string, fail)
                break
            if c == ("}" if obj else "]"):
                value = stack.pop()[0]
                pos += 1
                continue
            raise fail(pos, f"not valid JSON: expected ',' or '{'}' if obj else ']'}'")


def _json_key(text: str, pos: int, frame: list[Any], string: Any, fail: Any) -> int:
    if pos >= len(text) or text[pos] != '"':
        raise fail(pos, "not valid JSON: expected a key in double quotes")
    key, end = string(pos, frame[1])
    if key in frame[0]:
        raise fail(pos, f"duplicate key {_shown(key)}", frame[1] + (key,))
    end = _WS.match(text, end).end()
    if end >= len(text) or text[end] != ":":
        raise fail(end, "not valid JSON: expected ':' after the key")
    frame[2] = key
    return _WS.match(text, end + 1).end()


def _fast_refuse(*_: Any) -> Any:
    raise _Refused()


def _json_int(token: str) -> int:
    if len(token) > MAX_NUMBER_CHARS:
        raise _Refused()
    return int(token)


def _json_decimal(token: str) -> Decimal:
    if len(token) > MAX_NUMBER_CHARS:
        raise _Refused()
    return Decimal(token)


_SPACED_KEY_END = re.compile(r'"[ \t\r\n]+:')


def _shape(data: Any) -> tuple[int, bool]:
    """The number of keys in ``data``'s mappings, and whether it nests deeper than ``MAX_DEPTH``."""
    keys = 0
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return keys, True
        if value.__class__ is dict:
            keys += len(value)
            children = value.values()
        else:
            children = value
        stack.extend((v, depth + 1) for v in children if v.__class__ is dict or v.__class__ is list)
    return keys, False


def _json_fast(text: str) -> Any:
    """The data by the C parser, or _Refused whenever the exact scan must decide.

    A repeated key is found without a hook per object: every key of the text
    ends in a quote and a colon, with at most whitespace between, so the
    text holds at least as many such endings as it has keys (more when a
    string holds one too). The data's mappings hold exactly that many keys
    only when no key was repeated (a repeat collapses into one) and no string
    held an ending; anything else goes to the exact scan, which decides.
    """
    if _RISKY_ESCAPE.search(text):
        raise _Refused()
    try:
        data = json.loads(text, parse_float=_json_decimal, parse_int=_json_int, parse_constant=Decimal)
    except (ValueError, RecursionError):
        raise _Refused() from None
    if isinstance(data, (dict, list)):
        keys, deep = _shape(data)
        if deep or keys != text.count('":') + len(_SPACED_KEY_END.findall(text)):
            raise _Refused()
    return data


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _Refused()
    return found


def json_data(text: str) -> Any:
    """JSON text as plain data by the C parser alone, or None when it refuses the text.

    Numbers with a fraction become Decimal (None when longer than
    ``MAX_NUMBER_CHARS``). Nothing else of the module's rules is checked:
    not the depth, the length of whole numbers, the characters of strings,
    nor repeated keys (a repeated key keeps its last value: ``keys_unique``
    tells). It is for a reader that checks every value it accepts and the
    keys (``files.carrier.quick_carrier``) and, at the first doubt, reads the
    text again with ``parse_json``, whose refusals name their line and column.
    """
    try:
        value, end = _QUICK_JSON.scan_once(text, 0)  # what ``decode`` does, without its two regular expressions
        return value if end == len(text) else _QUICK_JSON.decode(text)  # whitespace around the value: ``decode``
    except StopIteration:  # whitespace before the value, or none
        pass
    except (ValueError, RecursionError, _Refused):
        return None
    try:
        return _QUICK_JSON.decode(text)
    except (ValueError, RecursionError, _Refused):
        return None


def json_data_each(text: str, key: str, read: Callable[[Any], Any]) -> Any:
    """``json_data(text)``, with the entries of one list read as the parser reaches them: the list at the top
    of the text, or the one under the top mapping's ``key``.

    Each entry's data goes to ``read`` as soon as the C parser has read it
    (while it is still in the processor's caches, where parsing the whole
    text first leaves every entry to be read back from memory), and the
    list holds what ``read`` returns. None when the parser refuses the text
    or ``read`` returns None. The rest is ``json_data``'s: the same parser
    reads every value, and the text around the entries is read to JSON's
    grammar (commas, brackets, the keys' strings, nothing after the value).
    """
    scan, ws = _QUICK_JSON.scan_once, _WS.match
    try:
        i = ws(text).end()
        if text[i] == "[":
            data, i = _json_list_each(text, i, read)
        elif text[i] == "{":
            data = {}
            i = ws(text, i + 1).end()
            if text[i] != "}":
                while True:
                    if text[i] != '"':
                        return None
                    name, i = _SCAN_STRING(text, i + 1)
                    i = ws(text, i).end()
                    if text[i] != ":":
                        return None
                    i = ws(text, i + 1).end()
                    value, i = _json_list_each(text, i, read) if name == key and text[i] == "[" else scan(text, i)
                    data[name] = value
                    i = ws(text, i).end()
                    if text[i] != ",":
                        break
                    i = ws(text, i + 1).end()
                if text[i] != "}":
                    return None
            i += 1
        else:
            return json_data(text)
        if ws(text, i).end() != len(text):
            return None
    except (ValueError, RecursionError, IndexError, StopIteration, _Refused, _Stop):
        return None
    return data


class _Stop(Exception):
    """``read`` refused an entry (``json_data_each``)."""


def _json_list_each(text: str, i: int, read: Callable[[Any], Any]) -> tuple[list[Any], int]:
    """The list starting at ``i`` (a ``[``), each entry given to ``read``, and the index past the list."""
    scan, ws = _QUICK_JSON.scan_once, _WS.match
    out: list[Any] = []
    i = ws(text, i + 1).end()
    if text[i] == "]":
        return out, i + 1
    while True:
        value, i = scan(text, i)
        found = read(value)
        if found is None:
            raise _Stop()
        out.append(found)
        i = ws(text, i).end()
        if text[i] != ",":
            break
        i = ws(text, i + 1).end()
    if text[i] != "]":
        raise _Stop()
    return out, i + 1


def keys_unique(text: str, keys: int) -> bool:
    """Whether no mapping of the JSON ``text`` repeats a key, given ``keys``: how many keys the mappings of
    ``json_data(text)`` hold together.

    Each key of the text is followed by a colon, and a colon outside a
    string follows a key, so the text holds at least as many colons as it
    has keys, and a repeated key collapses into one key of the data: when
    the data holds as many keys as the text holds colons, no key was
    repeated. Otherwise (a string holds a colon too) the text is parsed
    again with a check of each mapping.
    """
    if keys == text.count(":"):
        return True
    try:
        _UNIQUE_JSON.decode(text)
    except (ValueError, RecursionError, _Refused):
        return False
    return True


_QUICK_JSON = json.JSONDecoder(parse_float=_json_decimal, parse_constant=Decimal)
_UNIQUE_JSON = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_float=_json_decimal, parse_constant=Decimal)
_SCAN_STRING = json.decoder.scanstring  # type: ignore[attr-defined]  # the C scanner's own, strict: no control characters


# --- documents ----------------------------------------------------------------


def _top(data: Any, text: str, file: str | None) -> Any:
    if data is None:
        what = "is empty" if not text.strip() else "holds no data (only comments, or null)"
        raise DocumentError(f"the file {what}; expected a mapping", file=file, line=1, column=1)
    if not isinstance(data, (dict, list)):
        raise DocumentError(f"expected a mapping at the top of the file, found a single {_kind(data)}; "
                            "is this the right file?", file=file, line=1, column=1)
    return data


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, Decimal)):
        return "number"
    if isinstance(value, datetime.date):
        return "date"
    return "text value"


def load_json(text: str, file: str | None = None) -> Any:
    """JSON text as plain data under the module's rules (any JSON value, a request body's too), without
    locations: numbers with a fraction become Decimal; every refusal names its line and column."""
    check_text(text, file)
    try:
        return _json_fast(text)
    except _Refused:
        return _json_scan(text, file, None)  # raises with the place, or finds the alarm was false


def parse_json(text: str, file: str | None = None) -> Document:
    """Parse a JSON file's text (a mapping or a list at its top); locations are found when asked for."""
    if not text.strip():
        check_text(text, file)
        _top(None, text, file)
    data = _top(load_json(text, file), text, file)
    return Document(data, Source(file, JsonLocations(text)))


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


def parse_yaml(text: str, file: str | None = None) -> Document:
    """Parse YAML text safely (see the module's rules); numbers with a fraction become Decimal."""
    check_text(text, file)
    data = _top(_yaml_pass(text, file, None), text, file)

    def locate() -> dict[DataPath, tuple[int, int]]:
        found: dict[DataPath, tuple[int, int]] = {}
        _yaml_pass(text, file, found)
        return found

    return Document(data, Source(file, _LazyLocations(locate)))


def read_document(path: str | Path) -> Document:
    """Read a ``.json``, ``.yaml`` or ``.yml`` file."""
    return text_document(read_text(path), path)


def text_document(text: str, path: str | Path) -> Document:
    """Parse the text of the file ``path``: JSON for a ``.json`` file, else YAML."""
    if Path(path).suffix.lower() == ".json":
        return parse_json(text, str(path))
    return parse_yaml(text, str(path))


def max_file_bytes() -> int:
    """The largest file read whole (YAML, JSON, CSV), in bytes: ``INCUBATOR_RULES_MAX_FILE_MB`` megabytes when that
    environment variable is set (a whole number from 1), else ``MAX_FILE_BYTES`` (128 MB). A file is read whole
    into memory, and YAML or JSON take several times their size as data: the limit keeps a mistaken path from
    exhausting memory. JSON Lines files are read a line at a time and have no limit (each line has this one)."""
    raw = os.environ.get(MAX_FILE_VARIABLE)
    if raw is None or not raw.strip():
        return MAX_FILE_BYTES
    if not raw.strip().isdigit() or not 1 <= int(raw) <= 1 << 20:
        raise IncubatorRulesError(f"expected a whole number of megabytes from 1 to 1048576, got {raw[:40]!r}",
                                  field=MAX_FILE_VARIABLE)
    return int(raw) * 1024 * 1024


def too_large(limit: int) -> str:
    """The message refusing a file larger than ``limit`` bytes, saying how to raise the limit."""
    return f"larger than {limit // (1024 * 1024)} MB (set {MAX_FILE_VARIABLE} to read larger files)"


def read_bytes(path: str | Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (``max_file_bytes()``); anything else raises DocumentError."""
    limit = max_file_bytes() if limit is None else limit
    p = Path(path)
    try:
        if not p.is_file():
            raise DocumentError("cannot read file: no such file (or not a regular file)", file=str(path))
        if p.stat().st_size > limit:
            raise DocumentError(f"cannot read file: {too_large(limit)}", file=str(path))
        with open(p, "rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise DocumentError(f"cannot read file: {exc.strerror or exc}", file=str(path)) from None
    except ValueError as exc:  # an embedded NUL in the path
        raise DocumentError(f"cannot read file: {exc}", file=str(path)) from None
    if len(data) > limit:
        raise DocumentError(f"cannot read file: {too_large(limit)}", file=str(path))
    return data


def read_text(path: str | Path) -> str:
    """The UTF-8 text of a regular file of reasonable size; anything else raises DocumentError."""
    data = read_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DocumentError(f"cannot read file: not UTF-8 text (byte {exc.start})", file=str(path), line=line) from None


def csv_reader(text: str, file: str | None) -> Any:
    """A strict CSV reader over ``text``: a stray quote (``"95"70``) raises ``csv.Error``; a control
    character or lone surrogate anywhere raises DocumentError with its line."""
    check_text(text, file)
    return csv.reader(io.StringIO(text, newline=""), strict=True)


_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*\Z")


def id_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a file's id or version, or None: one word of letters, digits and
    ``. _ + -`` (no space or ``#``, so that a lock file line holds it), starting with a letter or digit."""
    if not isinstance(value, str) or len(value) > 200 or not _ID.match(value):
        return ("expected one word of letters, digits and '.', '_', '+', '-' (no space or '#'), "
                "starting with a letter or digit")
    return None


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


def dump_json(value: Any, indent: int | None = None, separators: tuple[str, str] | None = None) -> str:
    """Plain data as JSON, the inverse of ``load_json``: Decimals as exact JSON numbers, dates as ISO text, keys
    in their order, text as written (not escaped to ASCII). Compact on one line by default; ``indent`` and
    ``separators`` as for ``json.dumps``."""
    if separators is None:
        separators = (",", ":") if indent is None else (",", ": ")
    try:  # the C encoder alone, unless a Decimal needs writing exactly
        return json.dumps(value, ensure_ascii=False, indent=indent, separators=separators, default=_json_default)
    except _Refused:
        pass
    numbers = _ExactNumbers()
    return numbers.filled(json.dumps(value, ensure_ascii=False, indent=indent, separators=separators,
                                     default=numbers.mark))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise _Refused()


class _ExactNumbers:
    """Decimals written as exact JSON numbers by the C encoder: each is first written as a marked string (a
    NUL, which the encoder always escapes, and a token of this call's own), whose quoted form is then
    replaced by the number's text. A text holding the mark already would be refused, not misread."""

    def __init__(self) -> None:
        self.token = secrets.token_hex(8)
        self.texts: list[str] = []

    def mark(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise ValueError(f"{value} has no JSON form")
            self.texts.append(str(value))
            return f"\0{self.token}:{len(self.texts) - 1}\0"
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, Mapping):
            return dict(value)
        raise TypeError(f"{type(value).__name__} is not plain data")

    def filled(self, text: str) -> str:
        pattern = re.compile(r'"\\u0000' + self.token + r':(\d+)\\u0000"')
        found = pattern.findall(text)
        if sorted(map(int, found)) != list(range(len(self.texts))):
            raise ValueError("the data holds text that looks like an exact number's mark")
        return pattern.sub(lambda m: self.texts[int(m.group(1))], text)


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys: equal data gives equal text."""
    return json.dumps(to_plain(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
