"""Any rule parameter can be bound to a named reading with alternatives: each reading of the policy pays its own money.

tests/rulesets/bound-parameters.yaml binds one parameter of each sort (an
occurrence, a ``within`` condition, a window, a condition rule's duration, a
grade condition, a payment schedule, a cap) to a reading. Each test below is a
hand-worked history whose money changes with the reading, evaluated on both
engines; the last tests show that a bad alternative is refused as the plain
parameter would be, with its line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

import incubator_rules as ir
from incubator_rules.errors import RulesetError

from test_ruleset_mistakes import line_of, problems

ROOT = Path(__file__).resolve().parent.parent
PATH = ROOT / "tests" / "rulesets" / "bound-parameters.yaml"
TEXT = PATH.read_text(encoding="utf-8")
RULESET = ir.load_ruleset(PATH)


def carrier(kind: str, *events: tuple) -> ir.Carrier:
    """A carrier from (id, date, type, fields) tuples."""
    return ir.Carrier.from_dict({
        "id": "c", "name": "c", "kind": kind,
        "events": [{"id": i, "date": d, "type": t, **f} for i, d, t, f in events],
    })


def paid(c: ir.Carrier, as_of: str, engine: str, **readings: str) -> dict[str, list[tuple[str, str, int]]]:
    """Awards and pending decisions as (rule, first event, amount), checked against the other engine."""
    ev = ir.evaluate(c, RULESET, as_of, readings, engine=engine)
    if engine == "durable":  # the two engines agree under every reading
        assert attrs.evolve(ir.evaluate(c, RULESET, as_of, readings), engine="durable") == ev
    assert ev.readings == {**RULESET.resolve_readings(), **readings}  # the evaluation names the readings applied
    return {
        "awarded": [(d.rule, d.events[0], d.amount) for d in ev.awards],
        "pending": [(d.rule, d.events[0], d.amount) for d in ev.pending],
    }


def total(c: ir.Carrier, as_of: str, engine: str, **readings: str) -> int:
    return sum(a for _, _, a in paid(c, as_of, engine, **readings)["awarded"])


# --- one hand-worked history per bound parameter ----------------------------------------------------


def test_occurrence_first_or_second_excellent_grade(engine):
    # 首次获评优秀: excellent in 2022 and 2024 (good in 2023)
    c = carrier("incubator",
                ("e22", "2023-03-01", "evaluated", {"level": "district", "year": 2022, "grade": "excellent"}),
                ("e23", "2024-03-01", "evaluated", {"level": "municipal", "year": 2023, "grade": "good"}),
                ("e24", "2025-03-01", "evaluated", {"level": "municipal", "year": 2024, "grade": "excellent"}))
    first = [d for d in paid(c, "2025-12-31", engine)["awarded"] if d[0] == "first-excellent"]
    second = [d for d in paid(c, "2025-12-31", engine, which_excellent="second")["awarded"] if d[0] == "first-excellent"]
    assert first == [("first-excellent", "e22", 50000)]
    assert second == [("first-excellent", "e24", 50000)]
    # before the second excellent grade, the second reading pays nothing yet
    assert [d for d in paid(c, "2024-12-31", engine, which_excellent="second")["awarded"] if d[0] == "first-excellent"] == []


def test_within_three_years_or_at_any_time(engine):
    # accredited 2021-06-01 (district); its first pass is published 2024-07-01, after three years
    c = carrier("maker_space",
                ("a", "2021-06-01", "accredited", {"level": "municipal"}),
                ("p", "2024-07-01", "evaluated", {"level": "municipal", "year": 2023, "grade": "pass"}))
    within = [d for d in paid(c, "2025-12-31", engine)["awarded"] if d[0] == "pass-within"]
    anytime = [d for d in paid(c, "2025-12-31", engine, within_three="any_time")["awarded"] if d[0] == "pass-within"]
    assert within == []
    assert anytime == [("pass-within", "p", 30000)]
    ev = ir.evaluate(c, RULESET, "2025-12-31", engine=engine)
    assert [d.reason for d in ev.not_awarded if d.rule == "pass-within"] == ["outside_window"]


def test_window_plan_period_or_its_extension(engine):
    c = carrier("incubator", ("a", "2026-05-01", "accredited", {"level": "municipal"}))
    assert [d for d in paid(c, "2026-12-31", engine)["awarded"] if d[0] == "new-incubator"] == []
    assert [d for d in paid(c, "2026-12-31", engine, implementation="extended")["awarded"] if d[0] == "new-incubator"] == \
        [("new-incubator", "a", 200000)]
    refused = [d for d in ir.evaluate(c, RULESET, "2026-12-31", engine=engine).not_awarded if d.rule == "new-incubator"]
    assert [d.reason for d in refused] == ["outside_window"]


def test_the_condition_rules_duration_one_year_or_two(engine):
    c = carrier("maker_space",
                ("op", "2021-01-04", "operation_started", {}),
                ("a", "2021-03-01", "accredited", {"level": "district"}))
    one = paid(c, "2022-12-31", engine)
    two = paid(c, "2022-12-31", engine, operation_length="two_years")
    assert ("operating-maker-space", "a", 100000) in one["awarded"]
    assert ("operating-maker-space", "a", 100000) in two["pending"]  # payable on 2023-03-01, after two years
    ev = ir.evaluate(c, RULESET, "2023-12-31", {"operation_length": "two_years"}, engine=engine)
    award = next(d for d in ev.awards if d.rule == "operating-maker-space")
    assert award.payable_on.isoformat() == "2023-03-01"


def test_a_grade_condition_good_or_better_inclusive_or_exclusive(engine):
    c = carrier("incubator", ("g", "2023-03-01", "evaluated", {"level": "district", "year": 2022, "grade": "good"}))
    assert [d for d in paid(c, "2023-12-31", engine)["awarded"] if d[0] == "good-grade"] == [("good-grade", "g", 20000)]
    assert [d for d in paid(c, "2023-12-31", engine, good_or_better="exclusive")["awarded"] if d[0] == "good-grade"] == []
    ev = ir.evaluate(c, RULESET, "2023-12-31", {"good_or_better": "exclusive"}, engine=engine)
    refused = next(d for d in ev.not_awarded if d.rule == "good-grade")
    assert refused.reason == "not_excellent"


def test_a_schedules_shares_halves_or_a_fifth_first(engine):
    c = carrier("maker_space", ("f", "2022-05-01", "filed", {"level": "municipal"}))
    halves = paid(c, "2022-12-31", engine)
    fifth = paid(c, "2022-12-31", engine, instalments="fifth_first")
    assert [d for d in halves["awarded"] if d[0] == "filing-award"] == [("filing-award", "f", 50000)]
    assert [d for d in halves["pending"] if d[0] == "filing-award"] == [("filing-award", "f", 50000)]
    assert [d for d in fifth["awarded"] if d[0] == "filing-award"] == [("filing-award", "f", 20000)]
    assert [d for d in fifth["pending"] if d[0] == "filing-award"] == [("filing-award", "f", 80000)]


def test_a_cap_in_all_or_three_times_as_high(engine):
    c = carrier("incubator",
                ("a", "2021-02-01", "accredited", {"level": "district"}),
                ("i1", "2021-06-01", "investment", {"category": "hardware", "amount": 80000}),
                ("i2", "2022-06-01", "investment", {"category": "hardware", "amount": 90000}))
    assert sum(a for r, _, a in paid(c, "2023-06-30", engine)["awarded"] if r == "hardware") == 100000
    assert sum(a for r, _, a in paid(c, "2023-06-30", engine, cap="per_year")["awarded"] if r == "hardware") == 170000


def test_a_bound_match_and_a_bound_condition_rule_which_events_and_when(engine):
    c = carrier("star_innovation_space",
                ("op", "2021-01-04", "operation_started", {}),
                ("f", "2022-03-01", "filed", {"level": "municipal"}))
    def star(**readings: str) -> dict[str, list[tuple[str, str, int]]]:
        found = paid(c, "2022-12-31", engine, **readings)
        return {status: [d for d in decisions if d[0] == "star-space"] for status, decisions in found.items()}
    assert star() == {"awarded": [], "pending": []}  # a filing is not an accreditation
    assert star(star_title="filing") == {"awarded": [], "pending": [("star-space", "f", 70000)]}  # a year's operation first
    assert star(star_title="filing", star_operation="at_once") == {"awarded": [("star-space", "f", 70000)], "pending": []}


def test_readings_change_only_the_rules_bound_to_them(engine):
    c = carrier("incubator", ("g", "2023-03-01", "evaluated", {"level": "district", "year": 2022, "grade": "excellent"}))
    base = paid(c, "2023-12-31", engine)
    other = paid(c, "2023-12-31", engine, instalments="fifth_first", cap="per_year", implementation="extended")
    assert base == other


# --- bad alternatives are refused as the plain parameter is, with their line ------------------------


@pytest.mark.parametrize("old, new, field, message", [
    ("values: {first: 1, second: 2}", "values: {first: 1, second: 0}",
     "rules[1].occurrence.values.second", "expected a whole number from 1 to 100, got 0"),
    ("three_years: {duration: {years: 3}, of: {type: accredited}}", "three_years: {duration: {yeras: 3}, of: {type: accredited}}",
     "rules[2].within.values.three_years.duration.yeras", "did you mean 'years'"),
    ("three_years: {duration: {years: 3}, of: {type: accredited}}", "three_years: {duration: {years: 3}, of: {type: acredited}}",
     "rules[2].within.values.three_years.of.type[0]", "did you mean 'accredited'"),
    ("extended: {from: plan_start, to: 2027-12-31, clause: b-window}", "extended: {form: plan_start, to: 2027-12-31, clause: b-window}",
     "rules[3].window.values.extended.form", "did you mean 'from'"),
    ("extended: {from: plan_start, to: 2027-12-31, clause: b-window}", "extended: {from: plan_start, to: 2027-12-31, clause: b-windw}",
     "rules[3].window.values.extended.clause", "unknown clause 'b-windw'"),
    ("two_years: {years: 2}}", "two_years: {years: 2, weeks: 1}}", "rules[0].duration.values.two_years.weeks", "unknown"),
    ("exclusive: [excellent]", "exclusive: [excelent]", "rules[5].grades.values.exclusive[0]", "did you mean 'excellent'"),
    ("fifth_first: [{share: 20}, {share: 80, after: {years: 1}}]", "fifth_first: [{share: 30}, {share: 80, after: {years: 1}}]",
     "rules[6].schedule.values.fifth_first", "the shares sum to 110%, not 100%"),
    ("per_year: 300000}", "per_year: 300000.5}", "rules[7].total_cap.values.per_year", "whole number"),
    ("values: {inclusive: [good, excellent], exclusive: [excellent]}", "values: {inclusive: [good, excellent]}",
     "rules[5].grades.values", "no value for alternative 'exclusive'"),
    ("values: {in_all: 100000, per_year: 300000}", "values: {in_all: 100000, per_year: 300000, per_yaer: 1}",
     "rules[7].total_cap.values.per_yaer", "not an alternative of reading cap"),
    ("{reading: which_excellent, values", "{reading: which_excelent, values",
     "rules[1].occurrence.reading", "unknown reading 'which_excelent'"),
    ("values: {after_a_year: operation, at_once: null}", "values: {after_a_year: operaton, at_once: null}",
     "rules[8].condition.values.after_a_year", "expected the id of a normal_operation rule, got 'operaton' (did you mean 'operation'?)"),
    ("filing: {type: [accredited, filed], level: municipal", "filing: {type: [accredited, filed], level: municipl",
     "rules[8].match.values.filing.level[0]", "did you mean 'municipal'"),
])
def test_a_bad_alternative_is_refused_with_its_file_line_and_field(tmp_path, old, new, field, message):
    assert TEXT.count(old) == 1
    text = TEXT.replace(old, new)
    found = problems(tmp_path, text)
    under = field.split(".values.")[0] + ".values" if ".values." in field else field.rsplit(".", 1)[0]
    assert found and all(f" {under}" in f for f in found), found  # every problem is the bound parameter's
    hit = [f for f in found if f" {field}: " in f and message in f]
    assert hit, found
    assert f"trial.yaml:{line_of(text, new)}:" in hit[0], hit  # the line of the bad alternative
    with pytest.raises(RulesetError):
        ir.parse_ruleset(text)


def test_check_on_the_command_line_names_the_file_line_and_field_of_a_bad_alternative(tmp_path):
    text = TEXT.replace("values: {first: 1, second: 2}", "values: {first: 1, second: 200}")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "incubator_rules", "check", str(path)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode != 0
    line = line_of(text, "second: 200}")
    assert f"bad.yaml:{line}:" in result.stdout
    assert "rules[1].occurrence.values.second: expected a whole number from 1 to 100, got 200" in result.stdout


def test_the_schema_takes_the_bound_form_on_every_parameter_and_flags_a_bad_alternative():
    jsonschema = pytest.importorskip("jsonschema")
    from incubator_rules.documents import parse_yaml, to_plain

    schema = json.loads((ROOT / "schemas" / "ruleset.schema.json").read_text(encoding="utf-8"))
    data = json.loads(json.dumps(to_plain(parse_yaml(TEXT, "x.yaml").data), default=str))
    jsonschema.validate(data, schema)
    bad = json.loads(json.dumps(data))
    bad["rules"][1]["occurrence"]["values"]["second"] = 0
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_every_parameter_of_every_generic_kind_may_be_bound_in_the_schema():
    from incubator_rules.files.ruleset import rule_branch
    from incubator_rules.kinds import KINDS

    for kind in KINDS.values():
        if kind.expands is not None:
            continue  # a kind kept only as a name
        properties = rule_branch(kind)["then"]["properties"]
        for name in kind.params:
            forms = properties[name]["anyOf"]
            assert forms[-1]["required"] == ["reading", "values"], (kind.name, name)
