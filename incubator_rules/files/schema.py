"""How a file type declares its JSON Schema: the mappings its reader accepts, field by field.

A reader module declares each mapping it reads as a ``Shape``, a tuple of
``Field``s (name, schema, required), and builds its file type's ``FileSchema``
from them; the reader takes its allowed keys from the same shape
(``Shape.keys``), so the schema and the reader cannot drift apart.
``tools.schemas`` turns every file type's declaration into the shipped
``schemas/*.schema.json`` in one loop.
"""

from __future__ import annotations

import enum
from typing import Any, Mapping

import attrs

__all__ = ["AMOUNT", "DATE", "DRAFT", "TEXT", "Field", "FileSchema", "Schema", "Shape", "build", "duration_shape", "enum_values", "set_of"]

Schema = dict[str, Any]

DRAFT = "http://json-schema.org/draft-07/schema#"

# The definitions of the plain values most files hold, each file's ``#/definitions/<name>``.
TEXT: Schema = {"type": "string", "pattern": "\\S", "description": "a non-empty text"}
DATE: Schema = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "format": "date", "description": "a date, YYYY-MM-DD"}
AMOUNT: Schema = {"type": "integer", "minimum": 0, "description": "a whole number of yuan (元), e.g. 200000 for 20万元"}


def enum_values(enum_type: type[enum.Enum]) -> list[Any]:
    """The values of an enum's members, in declaration order (for an ``enum`` list)."""
    return [member.value for member in enum_type]


@attrs.frozen
class Field:
    """One key of a mapping: its name, its schema, whether the reader requires it and whether it may be null."""

    name: str
    schema: Any = True  # a schema, a Shape, or a function that makes one when the schema is built
    required: bool = False
    nullable: bool = False  # the reader takes null as "not given"


@attrs.frozen
class Shape:
    """A mapping a reader reads: its fields in the reader's order, whether other keys are refused (``closed``).

    ``extra`` holds the rest of the object schema (``allOf`` branches, ``if``/``then``,
    ``propertyNames``...), written after the fields.
    """

    fields: tuple[Field, ...]
    description: str | None = None
    closed: bool | None = True
    typed: bool = True
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def keys(self) -> tuple[str, ...]:
        """The keys the reader accepts, in order (``$schema`` left out)."""
        return tuple(f.name for f in self.fields if f.name != "$schema")

    @property
    def required(self) -> tuple[str, ...]:
        """The keys the reader requires."""
        return tuple(f.name for f in self.fields if f.required)

    def schema(self) -> Schema:
        """The JSON Schema of the mapping."""
        out: Schema = {"type": "object"} if self.typed else {}
        if self.description is not None:
            out["description"] = self.description
        if self.required:
            out["required"] = list(self.required)
        if self.closed is not None:
            out["additionalProperties"] = not self.closed
        out["properties"] = {f.name: _field_schema(f) for f in self.fields}
        out.update({k: build(v) for k, v in self.extra.items()})
        return out


@attrs.frozen
class FileSchema:
    """A file type's schema: its name (``schemas/<name>.schema.json``), title, description, root and definitions."""

    name: str
    title: str
    description: str
    root: Any = attrs.field(factory=dict)
    definitions: Mapping[str, Any] = attrs.field(factory=dict)

    def schema(self) -> Schema:
        """The whole JSON Schema document."""
        out: Schema = {"$schema": DRAFT, "$id": f"{self.name}.schema.json", "title": self.title, "description": self.description}
        root = build(self.root)
        definitions = {name: build(d) for name, d in self.definitions.items()}
        if definitions:
            out["definitions"] = definitions
        out.update(root)
        return out


def _field_schema(f: Field) -> Any:
    schema = build(f.schema)
    return {"anyOf": [schema, {"type": "null"}]} if f.nullable else schema


def build(node: Any) -> Any:
    """Plain JSON from a declaration: shapes turned into object schemas, everything else copied."""
    if isinstance(node, Shape):
        return node.schema()
    if callable(node):
        return build(node())
    if isinstance(node, Mapping):
        return {k: build(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [build(v) for v in node]
    return node


def duration_shape(units: tuple[str, ...], description: str) -> Shape:
    """A calendar period in whole ``units`` (years, months, days), at least one of them positive."""
    return Shape(
        tuple(Field(unit, {"type": "integer", "minimum": 0, "maximum": 1000}) for unit in units),
        description=description,
        extra={
            "minProperties": 1,
            "anyOf": [Shape((Field(unit, {"minimum": 1}, required=True),), closed=None, typed=False) for unit in units],
        },
    )


def set_of(values: list[Any], description: str) -> Schema:
    """A non-empty list of distinct names, each one of ``values`` (levels, carrier kinds...)."""
    return {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"enum": values}, "description": description}
