"""The JSON Schemas of the file types, with every part that a registry decides generated from it.

A schema file's structure (its definitions, descriptions and constraints) is
written by hand in ``schemas/``; what follows from the registries is written
by ``generate``: the rule kinds' branches of a ruleset rule (``KINDS``: their
parameters, reading roles, outcome codes and cross-references), the event
types' branches of a carrier event (``EVENT_TYPES``: their fields), and every
list of carrier kinds, levels, grades, event types, rule kinds, metrics,
designations, measures, units and management rule kinds. ``incubator-rules
schemas`` writes them; ``incubator-rules schemas --check`` (and a test) fails
when a shipped file is stale.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable, Mapping

from ..files.management import OUTCOMES
from ..files.ledger import COLUMNS as LEDGER_COLUMNS
from ..files.ledger import REQUIRED as LEDGER_REQUIRED
from ..files.targets import MEASURES, UNITS
from ..files.types import SCHEMAS_DIR
from ..files.workbook import SHEETS
from ..kinds import KINDS, RuleKind
from ..model.carrier import EVENT_TYPES, AwardKind, CarrierKind, EventType, Grade, Level
from ..model.durations import UNITS as DURATION_UNITS
from ..model.facts import CARRIER_FACTS, EVENT_FACTS, FactSpec
from ..model.portfolio import DESIGNATIONS, METRICS

__all__ = ["generate", "render", "stale", "write"]

Schema = dict[str, Any]

_TEXT = {"$ref": "#/definitions/text"}
_BILINGUAL = {"$ref": "#/definitions/bilingual"}
_NULL = {"type": "null"}


def _values(enum_type: Any) -> list[str]:
    return [member.value for member in enum_type]


# Each registry whose names a schema lists, by what it is called below.
_LISTS: dict[str, Callable[[], list[str]]] = {
    "carrier_kinds": lambda: _values(CarrierKind),
    "levels": lambda: _values(Level),
    "grades": lambda: _values(Grade),
    "event_types": lambda: _values(EventType),
    "rule_kinds": lambda: list(KINDS),
    "metrics": lambda: list(METRICS),
    "designations": lambda: list(DESIGNATIONS),
    "measures": lambda: list(MEASURES),
    "units": lambda: list(UNITS),
    "management_kinds": lambda: list(OUTCOMES),
}

# Where each schema file lists a registry's names: (file, path to the list, registry).
_LISTED: tuple[tuple[str, tuple[Any, ...], str], ...] = (
    ("carrier", ("properties", "kind", "enum"), "carrier_kinds"),
    ("case", ("definitions", "paid", "properties", "level", "anyOf", 0, "enum"), "levels"),
    ("case", ("definitions", "not_paid", "properties", "level", "anyOf", 0, "enum"), "levels"),
    ("criteria", ("definitions", "level", "properties", "level", "enum"), "levels"),
    ("criteria", ("definitions", "level", "properties", "kinds", "items", "enum"), "carrier_kinds"),
    ("criteria", ("definitions", "criterion", "properties", "metric", "enum"), "metrics"),
    ("criteria", ("definitions", "criterion", "properties", "ratio", "items", "enum"), "metrics"),
    ("management", ("definitions", "rule", "properties", "kind", "enum"), "management_kinds"),
    ("management", ("definitions", "scope", "properties", "levels", "items", "enum"), "levels"),
    ("management", ("definitions", "scope", "properties", "kinds", "items", "enum"), "carrier_kinds"),
    ("ruleset", ("properties", "columns", "additionalProperties", "items", "enum"), "carrier_kinds"),
    ("targets", ("definitions", "selector", "properties", "kinds", "anyOf", 0, "items", "enum"), "carrier_kinds"),
    ("targets", ("definitions", "selector", "properties", "title_level", "anyOf", 0, "enum"), "levels"),
    ("targets", ("definitions", "selector", "properties", "title_kinds", "anyOf", 0, "items", "enum"), "carrier_kinds"),
    ("targets", ("definitions", "selector", "properties", "designation", "anyOf", 0, "enum"), "designations"),
    ("targets", ("definitions", "selector", "properties", "at_least", "anyOf", 0, "propertyNames", "enum"), "metrics"),
    ("targets", ("definitions", "selector", "properties", "at_least", "anyOf", 0, "additionalProperties", "properties", "unit", "enum"), "units"),
    ("targets", ("definitions", "target", "properties", "measure", "enum"), "measures"),
    ("targets", ("definitions", "target", "properties", "metrics", "items", "enum"), "metrics"),
    ("targets", ("definitions", "target", "properties", "level", "enum"), "levels"),
    ("targets", ("definitions", "target", "properties", "unit", "enum"), "units"),
    ("targets", ("definitions", "area_table", "properties", "columns", "items", "properties", "metric", "enum"), "metrics"),
    ("targets", ("definitions", "area_table", "properties", "columns", "items", "properties", "unit", "enum"), "units"),
)


# --- carrier events: one branch per event type ---------------------------------


_PAYMENT_TEXTS = {
    "plan": "id of the ruleset whose award the payment pays (e.g. the default ruleset's id); another id: money of another plan",
    "payer": "who paid",
    "settles": "id of the accreditation, filing or evaluation event whose award it pays",
    "voucher": "the payment voucher's number",
}


def _event_field(name: str) -> Schema:
    """The schema of an optional event field."""
    if name == "level":
        return {"enum": _values(Level)}
    if name == "kind":
        return {"enum": _values(CarrierKind)}
    if name == "grade":
        return {"enum": _values(Grade)}
    if name == "year":
        return {"type": "integer", "minimum": 1900, "maximum": 9999, "description": "the year evaluated (paid for, on a payment)"}
    if name == "amount":
        return {"$ref": "#/definitions/amount"}
    if name == "award":
        return {"enum": _values(AwardKind), "description": "what a payment pays; construction_subsidy when not given"}
    if name in _PAYMENT_TEXTS:
        return {"$ref": "#/definitions/text", "description": _PAYMENT_TEXTS[name]}
    raise KeyError(f"no schema for the event field {name!r}; add it to tools/schemas.py")


_FACT_SCHEMAS: dict[str, Schema] = {
    "text": {"$ref": "#/definitions/text"},
    "bool": {"type": "boolean"},
    "date": {"$ref": "#/definitions/date"},
    "yuan": {"$ref": "#/definitions/amount"},
    "number": {"type": "number", "minimum": 0},
    "level": {"enum": _values(Level)},
}


def fact_schema(spec: FactSpec) -> Schema:
    """The schema of one fact of ``model.facts``, with its unit and label as description."""
    out = dict(copy.deepcopy(_FACT_SCHEMAS[spec.type]))
    out["description"] = f"{spec.en} ({spec.zh})" + (f", in {spec.unit}" if spec.unit else "")
    return out


def _event_branch(etype: EventType) -> Schema:
    fields = EVENT_TYPES[etype].fields
    optional_text = {"anyOf": [_TEXT, _NULL]}
    properties: Schema = {
        "id": _TEXT, "type": True, "date": {"$ref": "#/definitions/date"},
        "document": optional_text, "note": copy.deepcopy(optional_text),
    }
    for name, need in fields.items():
        properties[name] = _event_field(name) if need == "r" else {"anyOf": [_event_field(name), _NULL]}
    facts = EVENT_FACTS.get(etype.value, {})
    for name, spec in facts.items():
        properties[name] = fact_schema(spec) if spec.required else {"anyOf": [fact_schema(spec), _NULL]}
    return {
        "if": {"properties": {"type": {"const": etype.value}}, "required": ["type"]},
        "then": {
            "properties": properties,
            "required": ["type", "date", *(name for name, need in fields.items() if need == "r"),
                         *(name for name, spec in facts.items() if spec.required)],
            "additionalProperties": False,
        },
    }


# --- ruleset rules: one branch per rule kind -----------------------------------


def _param(kind: RuleKind, name: str, check: str) -> Schema:
    """The schema of one parameter of a rule kind, by its check."""
    if check == "table":
        return {"$ref": "#/definitions/text", "description": "id of a table under `tables`"}
    if check == "rule":
        return {"$ref": "#/definitions/text", "description": f"id of the {kind.references[name]} rule this rule builds on"}
    if check == "duration":
        return {
            "type": "object", "description": "a calendar duration, e.g. {years: 1}", "additionalProperties": False,
            "minProperties": 1,
            "properties": {unit: {"type": "integer", "minimum": 0, "maximum": 1000} for unit in DURATION_UNITS},
        }
    if check == "grades":
        return {"type": "array", "minItems": 1, "items": {"enum": _values(Grade)}, "description": "the grades that earn the award"}
    raise KeyError(f"no schema for the parameter check {check!r}; add it to tools/schemas.py")


def _rule_branch(kind: RuleKind) -> Schema:
    properties: Schema = {"id": True, "kind": True, "title": True, "clauses": True}
    for name, check in kind.params.items():
        properties[name] = kind.schemas[name] if name in kind.schemas else _param(kind, name, check)
    properties["readings"] = {
        "type": "object", "description": "which reading fills each of this kind's roles", "additionalProperties": False,
        "required": sorted(role for role in kind.roles if role not in kind.defaults),
        "properties": {
            role: {
                "$ref": "#/definitions/text",
                "description": f"name of a reading under `readings`; its alternatives must be among: {', '.join(sorted(allowed))}",
            }
            for role, allowed in kind.roles.items()
        },
    }
    required = [name for name in kind.params if name not in kind.optional]
    if any(role not in kind.defaults for role in kind.roles):
        required.append("readings")
    if kind.codes:
        properties["explanations"] = {
            "type": "object", "description": "the sentence shown for each outcome; {placeholders} are filled in",
            "additionalProperties": False,
            "properties": {code: _BILINGUAL for code in kind.codes},
        }
    return {
        "if": {"properties": {"kind": {"const": kind.name}}, "required": ["kind"]},
        "then": {"properties": properties, "required": required, "additionalProperties": False},
    }


# --- the files ---------------------------------------------------------------------


def _at(schema: Schema, path: tuple[Any, ...]) -> Any:
    node: Any = schema
    for step in path:
        node = node[step]
    return node


def _set(schema: Schema, path: tuple[Any, ...], value: Any) -> None:
    _at(schema, path[:-1])[path[-1]] = value


# --- payments ledgers: one property per ledger column ------------------------------

_LEDGER_TEXTS = {
    "carrier": "id of the carrier paid, as in the portfolio",
    "purpose": "what the payment pays: the construction subsidy (建设经费补助), an excellence award, or other money",
    "year": "for excellence money, the year evaluated",
    "note": "free text",
}


def _ledger_column(name: str) -> Schema:
    """The schema of one ledger column (the payment fields of a carrier event, ``purpose`` for ``award``)."""
    if name == "date":
        return {"$ref": "#/definitions/date"}
    if name == "amount":
        return {"type": "integer", "minimum": 0, "description": "whole yuan (元), e.g. 200000 for 20万元"}
    if name == "purpose":
        return {"enum": _values(AwardKind), "description": _LEDGER_TEXTS[name]}
    if name in ("carrier", "note"):
        return {"$ref": "#/definitions/text", "description": _LEDGER_TEXTS[name]}
    field = _event_field(name)
    if name == "year":
        field["description"] = _LEDGER_TEXTS[name]
    return field


def _ledger_payment() -> Schema:
    return {"required": list(LEDGER_REQUIRED), "properties": {name: _ledger_column(name) for name in LEDGER_COLUMNS}}


def generate(written: Mapping[str, Schema]) -> dict[str, Schema]:
    """The schemas, by file type: ``written`` (the hand-kept files) with every registry-driven part regenerated."""
    out = {name: copy.deepcopy(schema) for name, schema in written.items()}
    for name, path, registry in _LISTED:
        _set(out[name], path, _LISTS[registry]())
    event = out["carrier"]["definitions"]["event"]
    event["properties"]["type"]["enum"] = _values(EventType)
    event["allOf"] = [_event_branch(etype) for etype in EVENT_TYPES]
    out["carrier"]["properties"]["facts"] = {
        "type": "object", "description": "static facts about the carrier (model.facts.CARRIER_FACTS)",
        "additionalProperties": False,
        "properties": {name: {"anyOf": [fact_schema(spec), _NULL]} for name, spec in CARRIER_FACTS.items()},
    }
    if "ledger" in out:
        out["ledger"]["definitions"]["payment"].update(_ledger_payment())
    if "portfolio-lines" in out:
        member = out["portfolio-lines"]["anyOf"][1]["properties"]
        member["snapshots"]["items"] = {
            "type": "object", "required": ["date"], "additionalProperties": False,
            "properties": {"date": {"type": "string", "format": "date"}, "note": {"type": ["string", "null"]},
                           **{m: {"type": ["number", "null"], "minimum": 0} for m in METRICS}},
        }
        member["designations"]["items"] = {
            "type": "object", "required": ["tag", "date"], "additionalProperties": False,
            "properties": {"tag": {"enum": list(DESIGNATIONS)}, "date": {"type": "string", "format": "date"},
                           "until": {"type": ["string", "null"], "format": "date"}, "note": {"type": ["string", "null"]}},
        }
    if "portfolio-tables" in out:
        out["portfolio-tables"]["properties"] = {
            key: {"type": "array", "description": f"{key}.csv ({zh}.csv)", "items": {
                "type": "object", "propertyNames": {"enum": sorted({*columns, *columns.values()})},
                "additionalProperties": {"type": ["string", "null"]}}}
            for key, (zh, columns, _) in SHEETS.items()
        }
    rule = out["ruleset"]["definitions"]["rule"]
    rule["properties"]["kind"]["enum"] = list(KINDS)
    rule["allOf"] = [_rule_branch(kind) for kind in KINDS.values()]
    # JSON turns the shared fragments above into separate copies; so does a deep copy here
    return copy.deepcopy(out)


def render(schema: Schema) -> str:
    """A schema file's text: two-space indents, UTF-8 as written, a final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _read(folder: Path) -> dict[str, Schema]:
    return {
        path.name.removesuffix(".schema.json"): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.schema.json"))
    }


def stale(folder: str | Path = SCHEMAS_DIR) -> list[Path]:
    """The schema files in ``folder`` that differ from what ``generate`` makes of them."""
    folder = Path(folder)
    fresh = generate(_read(folder))
    return [
        folder / f"{name}.schema.json" for name, schema in fresh.items()
        if (folder / f"{name}.schema.json").read_text(encoding="utf-8") != render(schema)
    ]


def write(folder: str | Path = SCHEMAS_DIR) -> list[Path]:
    """Regenerate the schema files in ``folder``; returns those that changed (each written whole, via a temporary file)."""
    folder = Path(folder)
    changed = stale(folder)
    fresh = generate(_read(folder))
    for path in changed:
        name = path.name.removesuffix(".schema.json")
        tmp = path.with_suffix(".tmp")
        tmp.write_text(render(fresh[name]), encoding="utf-8")
        tmp.replace(path)
    return changed
