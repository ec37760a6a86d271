"""The service's request and response models, and their OpenAPI components.

The parts of a request that the library reads as files elsewhere (a
carrier, a portfolio, scenarios) are described by the project's own JSON
Schemas (``schemas/``), copied into the OpenAPI document's components, and
read by the library's own readers; pydantic checks only the request's own
fields around them.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from ...files.management import DEFAULT_MANAGEMENT
from ...engines.evaluation import ENGINES
from ...files.ruleset import DEFAULT_RULESET
from ...files.types import RULESETS_DIR
from .catalog import ID_PATTERN

SCHEMAS_DIR = RULESETS_DIR.parent / "schemas"

# OpenAPI component name -> the project's schema file it is copied from.
SCHEMA_COMPONENTS = {
    "Carrier": "carrier.schema.json",
    "Portfolio": "portfolio.schema.json",
    "Scenarios": "scenario.schema.json",
}

_COMPONENT = "x-component"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _ref(name: str) -> Any:
    return WithJsonSchema({_COMPONENT: name})  # made a $ref by components(); pydantic would resolve a $ref itself


def _id(what: str) -> Any:
    return WithJsonSchema({"type": "string", "pattern": ID_PATTERN, "maxLength": 100,
                           "description": f"the id of a served {what} (GET /rulesets lists them); never a path"})


PolicyId = Annotated[str, _id("policy file")]
RewardId = Annotated[str, _id("reward ruleset")]
TargetsId = Annotated[str, _id("targets file")]
Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date", "pattern": _DATE,
                                     "description": "a date, YYYY-MM-DD (default: today)"})]
Readings = Annotated[dict[str, str], Field(description="reading overrides by name: GET /rulesets/{id} lists the alternatives")]
Engine = Literal[ENGINES]  # type: ignore[valid-type]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class EvaluateRequest(_Request):
    """One carrier evaluated against one reward ruleset."""

    carrier: Annotated[dict[str, Any], _ref("Carrier")]
    ruleset: RewardId | None = Field(None, description=f"reward ruleset id (default: {DEFAULT_RULESET})")
    as_of: Day | None = None
    readings: Readings = {}
    engine: Engine = "native"
    management: PolicyId | None = Field(None, description="dynamic-management rules to attach (none by default)")


class AssessRequest(_Request):
    """A district portfolio assessed against plan targets, with carriers at risk and carriers ready to climb."""

    portfolio: Annotated[dict[str, Any], WithJsonSchema({
        "allOf": [{_COMPONENT: "Portfolio"}, {"type": "object"}],
        "description": "a district portfolio (id, name, carriers with inline snapshots and designations)",
    })]
    targets: TargetsId = Field(description="targets file id (GET /rulesets lists them)")
    as_of: Day | None = None
    readings: Readings = {}
    management: PolicyId | None = Field(DEFAULT_MANAGEMENT, description="dynamic-management rules (null to skip)")
    criteria: PolicyId | None = Field("upgrade-criteria", description="upgrade criteria (null to skip)")


class CompareRequest(_Request):
    """What-if scenarios compared over a portfolio."""

    portfolio: Annotated[Any, _ref("Portfolio")]
    scenarios: Annotated[Any, _ref("Scenarios")] = []
    ruleset: RewardId | None = Field(None, description=f"reward ruleset id (default: {DEFAULT_RULESET})")
    as_of: Day | None = None
    with_base: bool = Field(False, description="compare against an unchanged base first (always, when no scenario is given)")
    engine: Engine = "native"


class ReconcileRequest(_Request):
    """Payments reconciled with what a reward ruleset says is due."""

    portfolio: Annotated[Any, _ref("Portfolio")]
    as_of: Annotated[str, WithJsonSchema({"type": "string", "format": "date", "pattern": _DATE,
                                          "description": "the reconciliation date, YYYY-MM-DD"})]
    payments: Annotated[Any, WithJsonSchema({
        "anyOf": [{"type": "array", "items": {"type": "object"}},
                  {"type": "object", "required": ["payments"], "properties": {"payments": {"type": "array"}}},
                  {"type": "null"}],
        "description": "a payments ledger (carrier, date, amount, purpose, voucher, ... as in docs/reconcile.md); "
                       "null for the histories' own payment_received events",
    })] = None
    ruleset: RewardId | None = Field(None, description=f"reward ruleset id (default: {DEFAULT_RULESET})")
    readings: Readings = {}
    engine: Engine = "native"


class Problem(BaseModel):
    """An error, as application/problem+json (RFC 9457) with the library's typed error."""

    type: str = Field(description="urn:incubator-rules:error:<error class>")
    title: str
    status: int
    detail: str
    error: str = Field(description="the library's error class")
    field: str | None = Field(None, description="the offending field, a dotted path from the body's root")
    line: int | None = Field(None, description="line in the request body, from 1")
    column: int | None = Field(None, description="column in the request body, from 1")
    message: str
    decision_id: str


REQUEST_MODELS: tuple[type[BaseModel], ...] = (EvaluateRequest, AssessRequest, CompareRequest, ReconcileRequest, Problem)


def project_schema(file_name: str) -> dict[str, Any]:
    """A schema file of the project, its references pointing into the OpenAPI components."""
    data = json.loads((SCHEMAS_DIR / file_name).read_text(encoding="utf-8"))
    files = {f: name for name, f in SCHEMA_COMPONENTS.items()}
    return _rewritten({k: v for k, v in data.items() if k not in ("$schema", "$id")}, files[file_name], files)


def _rewritten(value: Any, home: str, files: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        out = {k: _rewritten(v, home, files) for k, v in value.items()}
        ref = value.get("$ref")
        if isinstance(ref, str):
            target, _, pointer = ref.partition("#")
            if target and target not in files:
                raise ValueError(f"schema reference {ref!r} points outside the served schemas")
            out["$ref"] = f"#/components/schemas/{files[target] if target else home}{pointer}"
        return out
    if isinstance(value, list):
        return [_rewritten(v, home, files) for v in value]
    return value


def components() -> dict[str, Any]:
    """Every schema the OpenAPI document's components hold: the project's files and the request models."""
    out = {name: project_schema(file) for name, file in SCHEMA_COMPONENTS.items()}
    for model in REQUEST_MODELS:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            out[name] = _component_refs(sub)
        out[model.__name__] = _component_refs(schema)
    return out


def _component_refs(value: Any) -> Any:
    if isinstance(value, dict):
        if _COMPONENT in value:
            return {"$ref": f"#/components/schemas/{value[_COMPONENT]}"}
        return {k: _component_refs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_component_refs(v) for v in value]
    return value
