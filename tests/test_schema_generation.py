"""The shipped JSON Schemas are what the registries make of them: a new rule kind or event field shows up there."""

import json
import shutil
from pathlib import Path

from incubator_rules.kinds import KINDS, RuleKind
from incubator_rules.model.carrier import EVENT_TYPES, EventSpec, EventType
from incubator_rules.model.portfolio import METRICS
from incubator_rules.tools import schemas
from incubator_rules.views.cli import main

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


def test_the_shipped_schemas_are_up_to_date():
    assert schemas.stale(SCHEMAS) == [], "run `incubator-rules schemas` and commit the result"


def test_the_command_reports_and_repairs_a_stale_schema(tmp_path, capsys):
    folder = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, folder)
    ruleset = folder / "ruleset.schema.json"
    data = json.loads(ruleset.read_text(encoding="utf-8"))
    data["definitions"]["rule"]["properties"]["kind"]["enum"].pop()
    ruleset.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["schemas", "--check", "--dir", str(folder)]) == 1
    assert "ruleset.schema.json: stale" in capsys.readouterr().out
    assert main(["schemas", "--dir", str(folder)]) == 0
    assert main(["schemas", "--check", "--dir", str(folder)]) == 0
    assert ruleset.read_text(encoding="utf-8") == (SCHEMAS / "ruleset.schema.json").read_text(encoding="utf-8")


def _written():
    return {p.name.removesuffix(".schema.json"): json.loads(p.read_text(encoding="utf-8")) for p in SCHEMAS.glob("*.schema.json")}


def test_a_new_rule_kind_gets_its_schema_branch(monkeypatch):
    kind = RuleKind(
        name="training_grant",
        params={"table": "table", "condition": "rule"},
        references={"condition": "operating_duration"},
        roles={"window": frozenset({"plan_period", "issue_date"})},
        codes=("awarded", "not_trained"),
    )
    monkeypatch.setitem(KINDS, kind.name, kind)
    rule = schemas.generate(_written())["ruleset"]["definitions"]["rule"]
    assert rule["properties"]["kind"]["enum"][-1] == "training_grant"
    branch = rule["allOf"][-1]
    assert branch["if"]["properties"]["kind"]["const"] == "training_grant"
    then = branch["then"]
    assert then["required"] == ["table", "condition", "readings", "explanations"]
    assert "operating_duration rule" in then["properties"]["condition"]["description"]
    assert then["properties"]["readings"]["required"] == ["window"]
    assert then["properties"]["explanations"]["required"] == ["awarded", "not_trained"]


def test_an_event_types_fields_come_from_the_registry(monkeypatch):
    spec = EVENT_TYPES[EventType.SUSPENDED]
    monkeypatch.setitem(EVENT_TYPES, EventType.SUSPENDED, EventSpec({"level": "r"}, spec.operation))
    event = schemas.generate(_written())["carrier"]["definitions"]["event"]
    branch = next(b for b in event["allOf"] if b["if"]["properties"]["type"]["const"] == "suspended")
    assert branch["then"]["required"] == ["type", "date", "level"]
    assert "level" in branch["then"]["properties"]


def test_every_metric_is_listed_where_targets_and_criteria_name_one():
    fresh = schemas.generate(_written())
    target = fresh["targets"]["definitions"]["target"]["properties"]
    assert target["metrics"]["items"]["enum"] == list(METRICS)
    assert fresh["criteria"]["definitions"]["criterion"]["properties"]["metric"]["enum"] == list(METRICS)
