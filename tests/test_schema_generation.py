"""The shipped JSON Schemas are what the registries make of them: a new rule kind or event field shows up there."""

import json
import shutil
from pathlib import Path

import pytest
import yaml

import incubator_rules as ir
from incubator_rules.files.criteria import parse_criteria
from incubator_rules.files.management import parse_management
from incubator_rules.files.targets import parse_targets

from incubator_rules.kinds import KINDS, RuleKind
from incubator_rules.model.carrier import EVENT_TYPES, EventSpec, EventType
from incubator_rules.model.portfolio import METRICS
from incubator_rules.tools import schemas
from incubator_rules.views.cli import main

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
RULESETS = SCHEMAS.parent / "rulesets"


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


def test_a_new_rule_kind_gets_its_schema_branch(monkeypatch):
    kind = RuleKind(
        name="training_grant",
        params={"table": "table", "condition": "rule"},
        references={"condition": "operating_duration"},
        roles={"window": frozenset({"plan_period", "issue_date"})},
        codes=("awarded", "not_trained"),
    )
    monkeypatch.setitem(KINDS, kind.name, kind)
    rule = schemas.generate()["ruleset"]["definitions"]["rule"]
    assert rule["properties"]["kind"]["enum"][-1] == "training_grant"
    branch = rule["allOf"][-1]
    assert branch["if"]["properties"]["kind"]["const"] == "training_grant"
    then = branch["then"]
    assert then["required"] == ["table", "condition", "readings"]
    assert "operating_duration rule" in then["properties"]["condition"]["description"]
    assert then["properties"]["readings"]["required"] == ["window"]
    assert list(then["properties"]["explanations"]["properties"]) == ["awarded", "not_trained"]


def test_an_event_types_fields_come_from_the_registry(monkeypatch):
    spec = EVENT_TYPES[EventType.SUSPENDED]
    monkeypatch.setitem(EVENT_TYPES, EventType.SUSPENDED, EventSpec({"level": "r"}, spec.operation))
    event = schemas.generate()["carrier"]["definitions"]["event"]
    branch = next(b for b in event["allOf"] if b["if"]["properties"]["type"]["const"] == "suspended")
    assert branch["then"]["required"] == ["type", "date", "level"]
    assert "level" in branch["then"]["properties"]


def test_every_metric_is_listed_where_targets_and_criteria_name_one():
    fresh = schemas.generate()
    target = fresh["targets"]["definitions"]["target"]["properties"]
    assert target["metrics"]["items"]["enum"] == list(METRICS)
    assert fresh["criteria"]["definitions"]["criterion"]["properties"]["metric"]["enum"] == list(METRICS)


def test_every_file_type_declares_its_schema(monkeypatch):
    from incubator_rules.files.types import FILE_TYPE_TABLE, FileType

    assert set(schemas.generate()) == {ft.name for ft in FILE_TYPE_TABLE} | {"policy"}
    extra = FileType("training", "training plans", "training", "incubator_rules.load_training")
    monkeypatch.setattr(schemas, "FILE_TYPE_TABLE", FILE_TYPE_TABLE + (extra,))
    with pytest.raises(KeyError, match="no schema declared for the file type.*training"):
        schemas.generate()


def test_a_schema_file_nobody_declares_is_stale(tmp_path):
    folder = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, folder)
    (folder / "carrier.schema.json").unlink()
    (folder / "leftover.schema.json").write_text("{}\n", encoding="utf-8")
    assert sorted(p.name for p in schemas.stale(folder)) == ["carrier.schema.json", "leftover.schema.json"]


def _listed(excinfo) -> list[str]:
    """The keys an 'unknown field' error says the reader accepts."""
    message = str(excinfo.value)
    listed = message.split("expected one of: ", 1)[1].split(";")[0].split(" (")[0].strip().split(", ")
    return [k for k in listed if k != "$schema"]


def _keys(schema) -> list[str]:
    return [k for k in schema["properties"] if k != "$schema"]


def _policy_text(name, edit):
    data = yaml.safe_load((RULESETS / f"{name}.yaml").read_text(encoding="utf-8"))
    edit(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def test_each_reader_accepts_exactly_the_keys_its_schema_declares():
    """The readers and the shipped schemas take their keys from one declaration, in the same order."""
    fresh = schemas.generate()
    with pytest.raises(ir.CarrierError, match="unknown field") as exc:
        ir.Carrier.from_dict({"id": "a", "name": "A", "kind": "incubator", "colour": "red"})
    assert _listed(exc) == _keys(fresh["carrier"])

    with pytest.raises(ir.ScenarioError, match="unknown field") as exc:
        ir.Scenario.from_dict({"name": "x", "colour": "red"})
    assert _listed(exc) == _keys(fresh["scenario"]["definitions"]["scenario"])

    with pytest.raises(ir.RulesetError, match="unknown field") as exc:
        ir.parse_ruleset(_policy_text("wanzhou-2023", lambda d: d.update(colour="red")))
    assert _listed(exc) == _keys(fresh["ruleset"])

    def bad_rule(d):
        d["rules"][0]["colour"] = "red"

    with pytest.raises(ir.RulesetError, match="unknown field") as exc:
        parse_management(_policy_text("chongqing-dynamic-management", bad_rule))
    assert _listed(exc) == _keys(fresh["management"]["definitions"]["rule"])

    def bad_level(d):
        d["levels"][0]["colour"] = "red"

    with pytest.raises(ir.RulesetError, match="unknown field") as exc:
        parse_criteria(_policy_text("upgrade-criteria", bad_level))
    assert _listed(exc) == _keys(fresh["criteria"]["definitions"]["level"])

    def bad_target(d):
        d["targets"][0]["colour"] = "red"

    with pytest.raises(ir.RulesetError, match="unknown field") as exc:
        parse_targets(_policy_text("wanzhou-2023-targets", bad_target))
    assert _listed(exc) == _keys(fresh["targets"]["definitions"]["target"])


def test_a_new_management_kind_is_one_declaration(monkeypatch):
    from incubator_rules.files import management
    from incubator_rules.files.entrykind import EntryKind

    notice = EntryKind("notice", "a first fail earns a written notice", takes=("grades", "applies_to"), codes=("issued", "withdrawn"))
    monkeypatch.setitem(management.MANAGEMENT_KINDS, "notice", notice)
    rule = schemas.generate()["management"]["definitions"]["rule"]
    assert rule["properties"]["kind"]["enum"][-1] == "notice"
    then = rule["allOf"][-1]["then"]
    assert rule["allOf"][-1]["if"]["properties"]["kind"] == {"const": "notice"}
    assert then["required"] == ["grades", "applies_to"]
    assert then["properties"]["reassess_within"] is False and then["properties"]["clauses"] is False
    assert then["properties"]["explanations"]["required"] == ["issued", "withdrawn"]


def test_management_outcomes_and_risks_are_views_of_the_registry():
    from incubator_rules.files.management import AT_RISK, MANAGEMENT_KINDS, OUTCOMES

    assert OUTCOMES == {name: kind.codes for name, kind in MANAGEMENT_KINDS.items()}
    assert AT_RISK == {(name, code) for name, kind in MANAGEMENT_KINDS.items() for code in kind.at_risk}
    assert all(kind.at_risk <= set(kind.codes) for kind in MANAGEMENT_KINDS.values())


def test_a_new_target_measure_is_one_declaration(monkeypatch):
    from incubator_rules.files import targets
    from incubator_rules.files.entrykind import EntryKind

    share = EntryKind("share", "the share of carriers matching `where`", takes=("where", "unit", "required"))
    monkeypatch.setitem(targets.MEASURE_KINDS, "share", share)
    target = schemas.generate()["targets"]["definitions"]["target"]
    assert target["properties"]["measure"]["enum"][-1] == "share"
    assert "share: the share of carriers matching `where`" in target["properties"]["measure"]["description"]
    branch = next(b for b in target["allOf"] if b["if"].get("properties", {}).get("measure") == {"const": "share"})
    assert branch["then"]["required"] == ["where", "unit", "required"]
    assert {k for k, v in branch["then"]["properties"].items() if v is False} == {"metrics", "start", "level"}


def test_a_new_criterion_form_is_one_declaration(monkeypatch):
    from incubator_rules.files import criteria
    from incubator_rules.files.entrykind import EntryKind

    monkeypatch.setitem(criteria.CRITERION_FORMS, "designated", EntryKind("designated", "holds a designation"))
    criterion = schemas.generate()["criteria"]["definitions"]["criterion"]
    assert criterion["oneOf"][-1] == {"required": ["designated"]}
    refused = next(b for b in criterion["allOf"] if b["if"] == {"required": ["designated"]})["then"]["properties"]
    assert refused == {"at_least": False, "specialised": False, "per": False}
