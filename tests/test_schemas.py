"""The JSON Schemas and the loaders agree: shipped files pass both, broken files fail both."""

import datetime
import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from incubator_rules.model.facts import EVENT_FACTS
from referencing import Registry, Resource

from incubator_rules.model.carrier import EVENT_TYPES, CarrierKind, EventType, Grade, Level
from incubator_rules.files.types import (
    CARRIER,
    CASE,
    FILE_TYPES,
    PORTFOLIO,
    RULESET,
    detect_type,
    read_for_check,
)
from incubator_rules.tools.check import check_file
from incubator_rules.documents import read_document
from incubator_rules.files.management import OUTCOMES
from incubator_rules.files.management import READINGS as MANAGEMENT_READINGS
from incubator_rules.model.portfolio import DESIGNATIONS, METRICS
from incubator_rules.kinds import KINDS
from incubator_rules.files.targets import MEASURES, UNITS
from incubator_rules.files.targets import READINGS as TARGET_READINGS

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
BROKEN = ROOT / "tests" / "broken"
TARGETS, MANAGEMENT, CRITERIA = "targets", "management", "criteria"


def _registry():
    registry = Registry()
    for path in SCHEMAS.glob("*.schema.json"):
        registry = registry.with_resource(path.name, Resource.from_contents(json.loads(path.read_text(encoding="utf-8"))))
    return registry


REGISTRY = _registry()


def schema(file_type):
    return json.loads((SCHEMAS / f"{file_type}.schema.json").read_text(encoding="utf-8"))


def as_editor_sees_it(value):
    """Data as a YAML editor reads it: dates are text, numbers stay numbers."""
    if isinstance(value, dict):
        return {k: as_editor_sees_it(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_editor_sees_it(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return value


def schema_errors(path, file_type):
    """What a YAML-aware editor would flag: the file's data against the schema."""
    validator = jsonschema.Draft7Validator(schema(file_type), registry=REGISTRY, format_checker=jsonschema.FormatChecker())
    data = as_editor_sees_it(read_document(path).data)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


def shipped_files():
    """Every shipped data file with a schema, with its type."""
    candidates = sorted((ROOT / "rulesets").glob("*.yaml")) + sorted(
        p for p in (ROOT / "examples").glob("*") if p.suffix in (".yaml", ".yml", ".json"))
    candidates += sorted((ROOT / "tests" / "cases").rglob("*.yaml"))
    candidates += sorted(BROKEN.glob("base-*.yaml")) + [ROOT / "docs" / "walkthrough" / "portfolio.yaml"]
    out = []
    for path in candidates:
        doc, text = read_for_check(path)
        file_type = detect_type(doc.data, text)
        if file_type in FILE_TYPES:
            out.append((path, file_type))
    return out


def test_every_shipped_file_is_recognised_and_checks_clean():
    for path in sorted((ROOT / "rulesets").glob("*.yaml")) + sorted((ROOT / "examples").glob("*.yaml")):
        result = check_file(path)
        assert (result.file_type is not None, [str(p) for p in result.problems]) == (True, []), path


def broken_files():
    return [(p, p.parent.name) for p in sorted(BROKEN.glob("*/*.yaml"))]


def ident(item):
    path, _ = item
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("file_type", [*FILE_TYPES, "policy"])
def test_schemas_are_valid_draft_7(file_type):
    jsonschema.Draft7Validator.check_schema(schema(file_type))


def test_every_file_type_has_a_schema_and_every_policy_file_names_one():
    assert {p.name for p in SCHEMAS.glob("*.schema.json")} == {f"{t}.schema.json" for t in (*FILE_TYPES, "policy")}
    assert {t for _, t in shipped_files() if _.parent.name == "rulesets"} == {RULESET, TARGETS, MANAGEMENT, CRITERIA}


@pytest.mark.parametrize("item", shipped_files(), ids=ident)
def test_shipped_file_passes_loader_and_schema(item):
    path, file_type = item
    result = check_file(path)
    assert (result.file_type, [str(p) for p in result.problems]) == (file_type, [])
    assert schema_errors(path, file_type) == []


@pytest.mark.parametrize("item", [i for i in shipped_files() if i[1] != PORTFOLIO or i[0].parent.name == "walkthrough"], ids=ident)
def test_shipped_yaml_names_its_schema_for_editors(item):
    path, file_type = item
    doc, text = read_for_check(path)
    if path.suffix == ".json":
        reference = doc.data["$schema"]
    else:
        first = text.splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), first
        reference = first.split("=", 1)[1]
    assert (path.parent / reference).resolve() == SCHEMAS / f"{file_type}.schema.json"
    assert detect_type(doc.data, text) == file_type


@pytest.mark.parametrize("item", broken_files(), ids=ident)
def test_broken_file_is_rejected_by_loader_and_schema(item):
    path, file_type = item
    expect = path.read_text(encoding="utf-8").splitlines()[1].removeprefix("# expect: ")
    result = check_file(path, file_type=file_type)
    assert result.problems, "the loader accepted it"
    assert any(expect in p.message for p in result.problems), [str(p) for p in result.problems]
    assert schema_errors(path, file_type), "the schema accepted it"


def test_the_corpus_covers_each_file_type():
    kinds = [t for _, t in broken_files()]
    assert {t: kinds.count(t) >= 10 for t in (RULESET, CARRIER, CASE)} == {RULESET: True, CARRIER: True, CASE: True}
    assert {t: kinds.count(t) >= 8 for t in (TARGETS, MANAGEMENT, CRITERIA)} == {TARGETS: True, MANAGEMENT: True, CRITERIA: True}


# The schemas restate what the code knows; these tests say where they must change together.


def test_ruleset_schema_knows_every_rule_kind_its_parameters_roles_and_outcomes():
    rule = schema(RULESET)["definitions"]["rule"]
    assert rule["properties"]["kind"]["enum"] == list(KINDS)
    by_kind = {branch["if"]["properties"]["kind"]["const"]: branch["then"] for branch in rule["allOf"]}
    for name, spec in KINDS.items():
        then = by_kind[name]
        assert set(spec.params) - spec.optional <= set(then.get("required", [])), name
        assert set(then["properties"]["readings"]["required"]) == set(spec.roles) - set(spec.defaults), name
        codes = then["properties"].get("explanations", {}).get("properties", {})
        assert list(codes) == list(spec.codes), name  # each outcome may be worded; a default explanation fills the rest


def test_schemas_know_every_level_kind_grade_and_event_type():
    rs, carrier = schema(RULESET), schema(CARRIER)
    values = rs["definitions"]["table"]["properties"]["columns"]["additionalProperties"]["properties"]["values"]
    assert list(values["properties"]) == [lv.value for lv in Level] and "required" not in values
    assert rs["properties"]["columns"]["additionalProperties"]["items"]["enum"] == [k.value for k in CarrierKind]
    assert carrier["properties"]["kind"]["enum"] == [k.value for k in CarrierKind]
    event = carrier["definitions"]["event"]
    assert event["properties"]["type"]["enum"] == [t.value for t in EventType]
    for branch in event["allOf"]:
        etype = EventType(branch["if"]["properties"]["type"]["const"])
        fields = EVENT_TYPES[etype].fields
        facts = EVENT_FACTS.get(etype.value, {})
        assert set(branch["then"]["properties"]) == {"id", "type", "date", "document", "note", *fields, *facts}
        assert set(branch["then"]["required"]) == {
            "type", "date", *(f for f, need in fields.items() if need == "r"), *(f for f, s in facts.items() if s.required)}
    assert carrier["properties"]["events"]["items"] == {"$ref": "#/definitions/event"}
    grades = rs["definitions"]["rule"]["allOf"][list(KINDS).index("evaluation_excellence")]["then"]["properties"]["grades"]
    assert grades["items"]["enum"] == [g.value for g in Grade]


def test_policy_schemas_know_every_metric_unit_measure_outcome_and_reading():
    targets, management, criteria = schema(TARGETS), schema(MANAGEMENT), schema(CRITERIA)
    target = targets["definitions"]["target"]["properties"]
    assert (target["measure"]["enum"], target["unit"]["enum"]) == (list(MEASURES), list(UNITS))
    assert target["metrics"]["items"]["enum"] == list(METRICS)
    selector = targets["definitions"]["selector"]["properties"]
    assert selector["designation"]["anyOf"][0]["enum"] == list(DESIGNATIONS)
    assert selector["at_least"]["anyOf"][0]["propertyNames"]["enum"] == list(METRICS)
    readings = targets["properties"]["readings"]["properties"]
    assert {name: set(r["allOf"][1]["properties"]["default"]["enum"]) for name, r in readings.items()} == TARGET_READINGS
    rule = management["definitions"]["rule"]
    assert rule["properties"]["kind"]["enum"] == list(OUTCOMES)
    by_kind = {b["if"]["properties"]["kind"]["const"]: b["then"] for b in rule["allOf"]}
    assert {k: v["properties"]["explanations"]["required"] for k, v in by_kind.items()} == {k: list(v) for k, v in OUTCOMES.items()}
    readings = management["properties"]["readings"]["properties"]
    assert {name: set(r["allOf"][1]["properties"]["default"]["enum"]) for name, r in readings.items()} == MANAGEMENT_READINGS
    scope = management["definitions"]["scope"]["properties"]
    assert (scope["levels"]["items"]["enum"], scope["kinds"]["items"]["enum"]) == ([lv.value for lv in Level], [k.value for k in CarrierKind])
    criterion = criteria["definitions"]["criterion"]["properties"]
    assert criterion["metric"]["enum"] == criterion["ratio"]["items"]["enum"] == list(METRICS)
    assert criteria["definitions"]["level"]["properties"]["level"]["enum"] == [lv.value for lv in Level]
