"""What-if scenarios: overrides, readings, dates and history edits, compared over a portfolio."""

import copy
import datetime
from concurrent.futures import ProcessPoolExecutor

import pytest

import incubator_rules as ir
from incubator_rules.whatif import scenario as scenario_module
from incubator_rules.documents import canonical_json
from incubator_rules.tools.synthetic import generate_portfolio

AS_OF = datetime.date(2026, 12, 31)
RAISED = ir.Scenario(
    "municipal incubator 800k",
    description="What if the municipal incubator subsidy rose to 800,000 yuan?",
    overrides=[ir.Override.amount("construction_subsidy", "incubator", "municipal", 800_000)],
)
FROM_START = ir.Scenario("year from start of operation", readings={"year_counted_from": "operation_start"})


def carrier(cid, kind, *events, area="万州经开区"):
    return ir.Carrier.from_dict({"id": cid, "name": cid, "kind": kind, "area": area, "events": list(events)})


# A municipal incubator upgraded to national: 500,000 on the first year, then a differential of 500,000.
UPGRADED = carrier(
    "incubator-b", "incubator",
    {"id": "start", "type": "operation_started", "date": "2021-01-01"},
    {"id": "municipal", "type": "accredited", "date": "2023-03-01", "level": "municipal"},
    {"id": "national", "type": "accredited", "date": "2024-06-01", "level": "national"},
)
# A maker space operating since 2021, filed at municipal level in June 2025.
LATE_FILER = carrier(
    "maker-space-c", "maker_space",
    {"id": "start", "type": "operation_started", "date": "2021-01-01"},
    {"id": "filing", "type": "filed", "date": "2025-06-01", "level": "municipal"},
)
DISTRICT = [UPGRADED, LATE_FILER] + generate_portfolio(300, seed=13)


def amounts(ev):
    return [(d.rule, d.amount, d.payable_on) for d in ev.awards]


def test_an_override_builds_a_new_ruleset_and_leaves_the_base_alone():
    base = ir.load_ruleset()
    before = (base.sha256, canonical_json(base.data), copy.deepcopy(base.tables))
    base_eval = ir.evaluate(UPGRADED, base, AS_OF)

    raised = RAISED.ruleset(base)
    assert raised.tables["construction_subsidy"].value("incubator", ir.Level.MUNICIPAL, AS_OF).amount == 800_000
    assert raised.version == f"{base.version}+what-if.municipal-incubator-800k"
    assert raised.sha256 != base.sha256

    assert (base.sha256, canonical_json(base.data), base.tables) == before
    assert base.tables["construction_subsidy"].value("incubator", ir.Level.MUNICIPAL, AS_OF).amount == 500_000
    assert ir.evaluate(UPGRADED, base, AS_OF) == base_eval
    assert ir.evaluate(UPGRADED, ir.load_ruleset(), AS_OF) == base_eval


def test_the_differential_follows_a_raised_amount():
    assert amounts(ir.evaluate(UPGRADED, as_of=AS_OF)) == [
        ("accreditation-subsidy", 500_000, datetime.date(2024, 3, 1)),
        ("upgrade-differential", 500_000, datetime.date(2025, 6, 1)),
    ]
    assert amounts(ir.evaluate(UPGRADED, RAISED.ruleset(ir.load_ruleset()), AS_OF)) == [
        ("accreditation-subsidy", 800_000, datetime.date(2024, 3, 1)),
        ("upgrade-differential", 200_000, datetime.date(2025, 6, 1)),
    ]


def test_counting_the_year_from_the_start_of_operation_pays_a_year_earlier():
    result = ir.compare([LATE_FILER], None, FROM_START, as_of="2026-03-01")
    row = result.carriers[0]
    assert row.awarded == (0, 200_000) and row.pending == (200_000, 0)
    assert row.differences == (0, 0)
    assert result.by("year") == {"base": {2026: 200_000}, "year from start of operation": {2025: 200_000}}


def test_filing_a_year_later_falls_outside_the_plan_period():
    later = ir.Scenario("filed a year later", edits=[ir.Edit.shift("maker-space-c", "filing", years=1)])
    result = ir.compare(DISTRICT, None, later, as_of=AS_OF)
    assert [(c.carrier_id, c.differences[1]) for c in result.changed("filed a year later")] == [("maker-space-c", -200_000)]
    assert result.difference("filed a year later") == -200_000
    shifted = later.carrier(LATE_FILER)
    assert [e.date for e in shifted.events if e.id == "filing"] == [datetime.date(2026, 6, 1)]
    assert LATE_FILER.events[1].date == datetime.date(2025, 6, 1)


def test_adding_and_removing_events():
    excellent = {"type": "evaluated", "date": "2025-04-10", "level": "national", "year": 2024, "grade": "excellent"}
    scenario = ir.Scenario("edited", edits=[
        ir.Edit.add("incubator-b", excellent),
        ir.Edit.remove("maker-space-c", "filing"),
    ])
    result = ir.compare([UPGRADED, LATE_FILER], None, scenario, as_of=AS_OF)
    assert [c.differences[1] for c in result.carriers] == [200_000, -200_000]
    assert result.difference("edited") == 0


def test_a_scenario_compared_with_itself_differs_nowhere():
    everything = ir.Scenario(
        "everything", overrides=RAISED.overrides, readings=FROM_START.readings, as_of="2025-12-31",
        edits=[ir.Edit.shift("maker-space-c", "filing", months=-3)],
    )
    result = ir.compare(DISTRICT, everything, everything, as_of=AS_OF)
    assert result.names == ("everything", "everything (2)")
    assert all(c.differences == (0, 0) for c in result.carriers)
    assert result.totals()["everything (2)"]["difference"] == 0
    assert result.budgets[0].lines == result.budgets[1].lines
    assert result.changed("everything (2)") == []


def test_compare_totals_are_the_sum_of_the_evaluations():
    result = ir.compare(DISTRICT, None, RAISED, as_of=AS_OF)
    for scenario, budget in zip(result.scenarios, result.budgets):
        evs = ir.evaluate_many(DISTRICT, scenario.ruleset(ir.load_ruleset()), AS_OF)
        assert budget.total == sum(e.total + e.pending_total for e in evs)
        assert [c.awarded[result.budgets.index(budget)] for c in result.carriers] == [e.total for e in evs]
    assert result.difference(RAISED.name) > 0


@pytest.mark.parametrize("pool", ["workers", "executor"])
def test_compare_on_a_pool_equals_in_process(pool):
    edited = ir.Scenario("edited", edits=[ir.Edit.shift("maker-space-c", "filing", months=-3)], readings=FROM_START.readings)
    here = ir.compare(DISTRICT, None, RAISED, edited, as_of=AS_OF)
    if pool == "workers":
        there = ir.compare(DISTRICT, None, RAISED, edited, as_of=AS_OF, workers=2, chunk_size=2)
    else:
        with ProcessPoolExecutor(2) as executor:
            there = ir.compare(DISTRICT, None, RAISED, edited, as_of=AS_OF, executor=executor, chunk_size=2)
    assert there.carriers == here.carriers
    assert there.budgets == here.budgets


def test_a_scenario_date_overrides_the_comparison_date():
    early = ir.Scenario("as of 2024", as_of="2024-01-01")
    result = ir.compare([UPGRADED], None, early, as_of=AS_OF)
    assert result.budgets[1].as_of == datetime.date(2024, 1, 1)
    assert result.carriers[0].totals == (1_000_000, 500_000)


def test_saved_scenarios_reload_identically(tmp_path):
    scenarios = [
        RAISED,
        FROM_START,
        ir.Scenario(
            "edits 编辑", description='quotes " and colons: kept', as_of=datetime.date(2026, 6, 30),
            overrides=[ir.Override("plan_period.end", datetime.date(2026, 12, 31)),
                       ir.Override("rules.normal-operation.duration", {"years": 2})],
            edits=[
                ir.Edit.shift("maker-space-c", "filing", to="2025-01-15"),
                ir.Edit.shift("incubator-b", "national", years=-1, days=3),
                ir.Edit.add("incubator-b", type="evaluated", date=datetime.date(2025, 4, 10), level="national",
                            year=2024, grade="excellent"),
                ir.Edit.remove("maker-space-c", "start"),
            ],
        ),
    ]
    path = tmp_path / "scenarios.yaml"
    ir.save_scenarios(path, scenarios)
    assert ir.load_scenarios(path) == scenarios
    single = tmp_path / "one.yaml"
    single.write_text(scenarios[2].to_yaml(), encoding="utf-8")
    assert ir.load_scenarios(single) == [scenarios[2]]
    assert ir.Scenario.from_dict(scenarios[2].to_dict()) == scenarios[2]


def test_a_reloaded_scenario_gives_the_same_comparison(tmp_path):
    path = tmp_path / "s.yaml"
    ir.save_scenarios(path, [RAISED, FROM_START])
    assert ir.compare(DISTRICT, *ir.load_scenarios(path), as_of=AS_OF) == ir.compare(DISTRICT, RAISED, FROM_START, as_of=AS_OF)


def test_overrides_that_miss_or_break_the_ruleset_are_named():
    base = ir.load_ruleset()
    with pytest.raises(ir.ScenarioError, match="no field 'cake'") as info:
        ir.Scenario("x", overrides=[ir.Override("tables.cake.columns", 1)]).ruleset(base)
    assert info.value.field == "overrides[0]"
    with pytest.raises(ir.ScenarioError, match="whole number") as info:
        ir.Scenario("x", overrides=[ir.Override.amount("construction_subsidy", "incubator", "municipal", "lots")]).ruleset(base)
    assert info.value.field == "tables.construction_subsidy.columns.incubator.values.municipal"
    with pytest.raises(ir.ScenarioError, match="no item 'ghost'"):
        ir.Scenario("x", overrides=[ir.Override("rules.ghost.duration", {"years": 2})]).ruleset(base)


def test_edits_that_cannot_apply_are_named():
    with pytest.raises(ir.ScenarioError, match="no event 'e99'"):
        ir.Scenario("x", edits=[ir.Edit.remove("maker-space-c", "e99")]).carrier(LATE_FILER)
    with pytest.raises(ir.ScenarioError, match="not in the portfolio: nobody"):
        ir.compare([LATE_FILER], None, ir.Scenario("x", edits=[ir.Edit.remove("nobody", "e1")]), as_of=AS_OF)
    bad_year = {"type": "evaluated", "date": "2024-01-10", "level": "national", "year": 2024, "grade": "good"}
    with pytest.raises(ir.ScenarioError, match="leave carrier maker-space-c invalid"):
        ir.Scenario("x", edits=[ir.Edit.add("maker-space-c", bad_year)]).carrier(LATE_FILER)
    with pytest.raises(ir.ScenarioError):
        ir.Edit.shift("maker-space-c", "filing")
    with pytest.raises(ir.ScenarioError, match="YYYY-MM-DD"):
        ir.Edit.shift("maker-space-c", "filing", to="next spring")


def test_unknown_readings_name_the_scenario():
    with pytest.raises(ir.ScenarioError, match="scenario 'odd'") as info:
        ir.compare([LATE_FILER], None, ir.Scenario("odd", readings={"year_counted_from": "never"}), as_of=AS_OF)
    assert info.value.field == "year_counted_from"


def test_scenario_files_are_checked_with_line_numbers(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "scenarios:\n"
        "  - name: fine\n"
        "  - name: typo\n"
        "    overides: []\n",
        encoding="utf-8",
    )
    with pytest.raises(ir.ScenarioError) as info:
        ir.load_scenarios(path)
    assert (info.value.field, info.value.line) == ("scenarios[1].overides", 4)
    path.write_text("- name: x\n  edits:\n    - {action: shift, carrier: a, event: e1, to: soon}\n", encoding="utf-8")
    with pytest.raises(ir.ScenarioError) as info:
        ir.load_scenarios(path)
    assert info.value.field == "[0].edits[0].to" and info.value.line == 3
    path.write_text("- description: no name\n", encoding="utf-8")
    with pytest.raises(ir.ScenarioError, match="needs a name"):
        ir.load_scenarios(path)


def test_saved_scenarios_match_the_schema_editors_use(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    import json
    from pathlib import Path

    schema = json.loads((Path(__file__).parent.parent / "schemas" / "scenario.schema.json").read_text(encoding="utf-8"))
    everything = ir.Scenario(
        "all parts", description="d", as_of="2026-06-30", readings={"ladders": "shared"},
        overrides=[ir.Override.amount("construction_subsidy", "incubator", "municipal", 800_000)],
        edits=[ir.Edit.shift("c", "e1", to="2025-01-01"), ir.Edit.shift("c", "e2", months=-2), ir.Edit.remove("c", "e3"),
               ir.Edit.add("c", type="evaluated", date="2025-04-10", level="national", year=2024, grade="excellent")],
    )
    path = tmp_path / "s.yaml"
    ir.save_scenarios(path, [RAISED, FROM_START, everything])
    from incubator_rules.documents import read_document, to_plain

    jsonschema.validate(to_plain(read_document(path).data), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"scenarios": [{"name": "x", "edits": [{"action": "add", "carrier": "c", "event": "e1"}]}]}, schema)


def test_a_budget_builds_no_per_carrier_rows_in_one_process_or_on_workers(monkeypatch):
    built = []
    real = scenario_module.CarrierComparison

    def counted(*args):
        built.append(args[0])
        return real(*args)

    monkeypatch.setattr(scenario_module, "CarrierComparison", counted)
    ir.budget(DISTRICT[:50], as_of=AS_OF)
    ir.budget(DISTRICT[:50], as_of=AS_OF, workers=2)
    assert built == []
    assert len(ir.compare(DISTRICT[:50], as_of=AS_OF).carriers) == 50
