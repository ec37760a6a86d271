"""`incubator-rules check`: every problem of a file, each as file:line:column: message."""

from pathlib import Path

import pytest

from incubator_rules import DocumentError, RulesetError, load_ruleset, parse_ruleset
from incubator_rules.files.types import CARRIER, CASE, PORTFOLIO, RULESET, detect_type
from incubator_rules.tools.check import check_file
from incubator_rules.views.cli import main
from incubator_rules.documents import parse_yaml
from incubator_rules.files.ruleset import validate_ruleset

SHIPPED = Path("rulesets/wanzhou-2023.yaml")
TEXT = SHIPPED.read_text(encoding="utf-8")
INCUBATOR_VALUES = "values: {national: 1000000, municipal: 500000, district: 200000}"


def edited(*replacements):
    text = TEXT
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def problems(text):
    ruleset, found = validate_ruleset(parse_yaml(text, "edited.yaml"))
    assert ruleset is None or not found
    return [(p.line, p.field, p.message) for p in found]


def line_of(text, fragment):
    return text[: text.index(fragment)].count("\n") + 1


def test_the_shipped_ruleset_has_no_problems():
    assert problems(TEXT) == []


def test_every_problem_is_reported_in_file_order():
    text = edited(
        ("    default: accreditation_date", "    default: first_sunrise"),
        (INCUBATOR_VALUES, "values: {national: 1000000.5, municipal: 500000}"),
        ("  q2-maker-space-levels:\n    document: wanzhou-interpretation", "  q2-maker-space-levels:\n    document: nowhere"),
        ("    kind: event_award\n    title:\n      zh: 绩效评估支持", "    kind: evaluation_brilliance\n    title:\n      zh: 绩效评估支持"),
    )
    found = problems(text)
    assert [(field, message.split(";")[0].split(":")[0]) for _, field, message in found] == [
        ("clauses.q2-maker-space-levels.document", "unknown document 'nowhere'"),
        ("tables.construction_subsidy.columns.incubator.values.national", "an amount must be a whole number of yuan, got 1000000.5"),
        ("readings.year_counted_from.default", "default 'first_sunrise' is not one of the alternatives"),
        ("rules[3].kind", "unknown rule kind 'evaluation_brilliance' (did you mean 'evaluation_excellence'?)"),
    ]
    assert [line for line, _, _ in found] == sorted(line for line, _, _ in found)
    assert found[0][0] == line_of(text, "document: nowhere")


def test_load_ruleset_raises_the_first_problem_and_counts_the_rest():
    text = edited(("    default: accreditation_date", "    default: first_sunrise"),
                  ("    default: again", "    default: twice"))
    with pytest.raises(RulesetError) as err:
        parse_ruleset(text, "edited.yaml")
    assert err.value.field == "readings.year_counted_from.default"
    assert "(and 1 more problem: `incubator-rules check` lists them all)" in err.value.message


def test_one_mistake_gives_one_problem_not_a_cascade():
    # an unreadable clause is still a known clause id: rules citing it are not flagged too
    text = edited(("    section: 五、核心政策问答 问6 一是认定一次性支持\n", "    section: [not, text]\n"))
    assert [field for _, field, _ in problems(text)] == ["clauses.q6-incubator-accreditation.section"]
    # a reading with a bad question is still known to the rules that use it
    text = edited(("    question: From when is the year of normal operation counted?", "    question: 7"))
    assert [field for _, field, _ in problems(text)] == ["readings.year_counted_from.question"]


@pytest.mark.parametrize("old, new, field, message, also", [
    # the examples, one by one
    ("values: {national: 500000, municipal: 200000, district: 100000}",
     "values: {national: 500000, municipal: 200000, county: 100000}",
     "tables.construction_subsidy.columns.maker_space.values.county", "unknown Level 'county'",
     []),  # a level a table leaves out has no amount (the rule refuses it, level_not_covered)
    (INCUBATOR_VALUES, "values: {}",
     "tables.construction_subsidy.columns.incubator.values", "give an amount for at least one level", []),
    ("      accreditation_date: From the accreditation", "      filing_date: From the accreditation",
     "readings.year_counted_from.default", "default 'accreditation_date' is not one of the alternatives",
     ["rules[0].count_from.values", "rules[0].count_from.values.accreditation_date"]),  # ... which the rule maps no value to
    ("  q2-maker-space-levels:\n    document: wanzhou-interpretation\n", "  q2-maker-space-levels:\n",
     "clauses.q2-maker-space-levels.document", "required field is missing", []),
    (INCUBATOR_VALUES,
     "values: {national: 1000000, municipal: [{from: 2023-01-01, amount: 500000}, {from: 2023-01-01, amount: 800000}], district: 200000}",
     "tables.construction_subsidy.columns.incubator.values.municipal[1].from",
     "effective periods overlap: municipal[0] is already in force from 2023-01-01", []),
    (INCUBATOR_VALUES,
     "values: {national: 1000000, municipal: [{from: 2024-01-01, amount: 800000}, {from: 2023-01-01, amount: 500000}], district: 200000}",
     "tables.construction_subsidy.columns.incubator.values.municipal[1].from",
     "dated values must be in increasing date order; 2023-01-01 is not after 2024-01-01", []),
    (INCUBATOR_VALUES, "values: {national: 1000000, municipal: 500000.50, district: 200000}",
     "tables.construction_subsidy.columns.incubator.values.municipal", "an amount must be a whole number of yuan, got 500000.50", []),
    (INCUBATOR_VALUES, "values: {national: 1000000, municipal: 50万, district: 200000}",
     "tables.construction_subsidy.columns.incubator.values.municipal", "written as digits", []),
    # dated values that leave a gap or can never apply
    (INCUBATOR_VALUES, "values: {national: 1000000, municipal: [{amount: 500000}, {amount: 800000}], district: 200000}",
     "tables.construction_subsidy.columns.incubator.values.municipal[1].from", "required field is missing", []),
    (INCUBATOR_VALUES, "values: {national: 1000000, municipal: [{from: 2024-01-01, amount: 500000}], district: 200000}",
     "tables.construction_subsidy.columns.incubator.values.municipal[0].from",
     "missing amount for level 'municipal' from 2023-01-01 (plan period start) to 2023-12-31", []),
    (INCUBATOR_VALUES,
     "values: {national: 1000000, municipal: [{from: 2023-01-01, amount: 500000}, {from: 2062-01-01, amount: 800000}], district: 200000}",
     "tables.construction_subsidy.columns.incubator.values.municipal[1].from", "after the plan period ends (2025-12-31)", []),
    (INCUBATOR_VALUES,
     "values: {national: 1000000, municipal: [{from: 2023-01-01, amount: 500000, clause: q9-nowhere}], district: 200000}",
     "tables.construction_subsidy.columns.incubator.values.municipal[0].clause", "unknown clause 'q9-nowhere'", []),
    # other mistakes a maintainer makes
    ("    condition: normal-operation", "    condition: upgrade-differential",
     "rules[1].condition", "expected the id of a normal_operation rule", []),
    ("    ladder: {reading: ladders,", "    ladder: {reading: colours,",
     "rules[2].ladder.reading", "unknown reading 'colours'", []),
])
def test_each_kind_of_problem_names_its_field_and_line(old, new, field, message, also):
    text = edited((old, new))
    found = problems(text)
    assert [f for _, f, m in found if message in m] == [field], found
    assert sorted(f for _, f, m in found if message not in m) == also
    assert all(line is not None for line, _, _ in found)


def test_a_released_version_reused_with_other_content_is_refused(tmp_path, capsys):
    draft = tmp_path / "wanzhou-2023.yaml"
    draft.write_text(edited((INCUBATOR_VALUES, "values: {national: 1000000, municipal: 800000, district: 200000}")), encoding="utf-8")
    result = check_file(draft)  # no lock beside it: the shipped lock applies
    assert [(p.field, p.line) for p in result.problems] == [("version", line_of(TEXT, 'version: "2.1.0"'))]
    assert "version 2.1.0 of wanzhou-2023 was released with other content" in result.problems[0].message
    draft.write_text(draft.read_text(encoding="utf-8").replace('version: "2.1.0"', 'version: "2.2.0"'), encoding="utf-8")
    assert check_file(draft).problems == ()
    # comments and layout are not content
    same = tmp_path / "same.yaml"
    same.write_text("# a new comment\n" + TEXT.replace("id: wanzhou-2023", "id:    wanzhou-2023"), encoding="utf-8")
    assert check_file(same).problems == ()


def test_every_shipped_policy_file_is_recorded_in_the_lock_with_its_current_content():
    from incubator_rules.tools.check import release_identity
    from incubator_rules.tools.versions import read_lock

    lock = read_lock("rulesets/versions.lock")
    shipped = sorted(Path("rulesets").glob("*.yaml"))
    assert len(shipped) >= 1
    for path in shipped:
        rid, version, sha256, _ = release_identity(path)
        recorded = lock.get((rid, version))
        assert recorded is not None, f"{rid} {version} is not in rulesets/versions.lock: run `incubator-rules lock {path}`"
        assert recorded.sha256 == sha256, f"{rid} {version} changed after release: declare a new version"
    assert load_ruleset("wanzhou-2023").sha256 == lock[("wanzhou-2023", load_ruleset("wanzhou-2023").version)].sha256


def test_carrier_files_report_every_problem(tmp_path):
    path = tmp_path / "carrier.yaml"
    path.write_text(
        "id: c1\nname: A\nkind: bakery\nevents:\n"
        "  - {type: filed, date: 2023-13-01, level: national}\n"
        "  - {type: filed, date: 2023-10-01, level: galactic}\n"
        "  - {type: filed, date: 2023-10-02, level: national}\n"
        "  - {type: evaluated, date: 2024-02-01, year: 2023, level: municipal, grade: superb}\n",
        encoding="utf-8",
    )
    result = check_file(path)
    assert result.file_type == CARRIER
    assert [(p.line, p.field) for p in result.problems] == [
        (3, "kind"), (5, "events[0].date"), (6, "events[1].level"), (8, "events[3].grade")]


DISTRICT_PORTFOLIO = """\
id: test-district
name: A district
carriers:
  - id: a
    name: A
    kind: maker_space
    events:
      - {type: filed, date: 2024-13-01, level: district}
  - id: b
    name: B
    kind: spaceship
  - id: c
    name: C
    kind: incubator
    events:
      - {type: accredited, date: 2024-01-01}
  - id: a
    name: A again
    kind: incubator
"""


def test_district_portfolio_files_report_every_carriers_problems_then_the_rest(tmp_path):
    path = tmp_path / "district.yaml"
    path.write_text(DISTRICT_PORTFOLIO, encoding="utf-8")
    result = check_file(path)
    assert result.file_type == PORTFOLIO
    assert [(p.line, p.field) for p in result.problems] == [
        (8, "carriers[0].events[0].date"), (11, "carriers[1].kind"), (16, "carriers[2].events[0].level"),
        (17, "carriers[3].id")]
    assert "duplicate carrier id 'a'" in result.problems[-1].message


def test_a_district_portfolio_with_good_carriers_reports_its_own_first_problem(tmp_path):
    path = tmp_path / "district.yaml"
    path.write_text(DISTRICT_PORTFOLIO.replace("name: A district\n", "").replace("kind: spaceship", "kind: incubator")
                    .replace("2024-13-01", "2024-12-01").replace("{type: accredited, date: 2024-01-01}",
                    "{type: accredited, date: 2024-01-01, level: district}").replace("id: a\n    name: A again", "id: d\n    name: D"),
                    encoding="utf-8")
    assert [(p.line, p.field, p.message) for p in check_file(path).problems] == [(1, "name", "required field is missing")]


def test_a_faulty_carrier_is_named_by_its_id_as_written(tmp_path):
    path = tmp_path / "district.yaml"
    path.write_text("id: d\nname: D\ncarriers:\n  - id: 5\n    name: A\n    kind: maker_space\n    snapshots:\n"
                    "      - {date: 2024-01-01}\n      - {date: 2024-01-01}\n", encoding="utf-8")
    problems = check_file(path).problems
    assert [(p.line, p.field) for p in problems] == [(4, "carriers[0].id"), (9, "date")]
    assert "'5'" in problems[1].message and "\x00" not in problems[1].message


def test_a_faulty_carriers_designations_are_still_checked(tmp_path):
    path = tmp_path / "district.yaml"
    path.write_text(DISTRICT_PORTFOLIO.replace("kind: spaceship", "kind: spaceship\n    designations:\n      - {tag: featured, date: 2024-02-30}"),
                    encoding="utf-8")
    found = [(p.line, p.field) for p in check_file(path).problems]
    assert found == [(8, "carriers[0].events[0].date"), (11, "carriers[1].kind"), (13, "carriers[1].designations[0].date"),
                     (18, "carriers[2].events[0].level")]


def test_history_problems_show_once_the_events_read_cleanly(tmp_path):
    path = tmp_path / "carrier.yaml"
    path.write_text("id: c1\nname: A\nkind: incubator\nevents:\n  - {id: x, type: accredited, date: 2023-01-01, level: district}\n"
                    "  - {id: x, type: accredited, date: 2024-01-01, level: municipal}\n", encoding="utf-8")
    assert [(p.line, p.field, p.message) for p in check_file(path).problems] == [
        (6, "events[1].id", "duplicate event id 'x' (also at events[0])")]


def test_case_files_report_every_problem(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text(
        "carrier:\n  id: c1\n  name: A\n  kind: maker_space\n  events:\n    - {id: filing, type: filed, date: 2023-05-05, level: municipal}\n"
        "as_of: 2024-12-31\n"
        "cases:\n"
        "  - name: one\n"
        "    readings: {ladders: tall}\n"
        "    expected:\n"
        "      awards:\n"
        "        - {rule: accreditation-subsidie, amount: 200000, event: filling}\n"
        "      not_awarded:\n"
        "        - {reason: too_late}\n"
        "  - name: one\n"
        "    expected: {total: 0}\n",
        encoding="utf-8",
    )
    result = check_file(path)
    assert result.file_type == CASE
    assert [(p.line, p.field, p.message.split(";")[0]) for p in result.problems] == [
        (10, "cases[0].readings.ladders", "'tall' is not an alternative"),
        (13, "cases[0].expected.awards[0].rule", "unknown rule 'accreditation-subsidie'"),
        (13, "cases[0].expected.awards[0].event", "the carrier has no event 'filling'"),
        (15, "cases[0].expected.not_awarded[0].reason", "unknown reason 'too_late'"),
        (16, "cases[1].name", "two cases are named 'one' (also cases[0])"),
    ]


def test_inline_carrier_problems_are_named_from_the_case_file(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text("carrier:\n  id: c1\n  name: A\n  kind: maker_space\n  events:\n    - {type: filed, date: 2023-05-05, level: galactic}\n"
                    "as_of: 2024-12-31\ncases:\n  - {name: one, expected: {total: 0}}\n", encoding="utf-8")
    assert [(p.line, p.field) for p in check_file(path).problems] == [(6, "carrier.events[0].level")]


@pytest.mark.parametrize("text, expected", [
    ("$schema: ../schemas/case.schema.json\nname: x\n", CASE),
    ("# yaml-language-server: $schema=../../schemas/carrier.schema.json\nid: x\n", CARRIER),
    ("id: x\nrules: []\n", RULESET),
    ("id: x\nname: y\nkind: incubator\n", CARRIER),
    ("cases: []\n", CASE),
    ("- id: x\n", PORTFOLIO),
    ("colour: blue\n", None),
])
def test_file_type_is_detected_from_schema_reference_or_keys(text, expected):
    doc = parse_yaml(text)
    assert detect_type(doc.data, text) == expected


def test_a_file_holding_a_single_text_value_is_refused_without_echoing_it():
    with pytest.raises(DocumentError, match="expected a mapping at the top of the file") as exc:
        parse_yaml("just text\n", "f.yaml")
    assert "just text" not in str(exc.value) and exc.value.line == 1


def test_check_command_exit_codes_and_output(tmp_path, capsys):
    assert main(["check", "rulesets", "examples", "tests/cases"]) == 0
    assert "no problems" in capsys.readouterr().out

    bad = tmp_path / "bad.yaml"
    bad.write_text(edited(("    default: accreditation_date", "    default: sunrise"), ("    default: again", "    default: twice")), encoding="utf-8")
    assert main(["check", str(bad)]) == 1
    out = capsys.readouterr().out.splitlines()
    line = line_of(TEXT, "    default: accreditation_date")
    assert out[0].startswith(f"{bad}:{line_of(TEXT, 'version:')}:10: version: version 2.1.0 of wanzhou-2023 was released with other content")
    assert out[1] == f"{bad}:{line}:14: readings.year_counted_from.default: default 'sunrise' is not one of the alternatives: accreditation_date, operation_start"
    assert out[2].startswith(f"{bad}:{line_of(TEXT, '    default: again')}:14: readings.upgrade_year_condition.default:")
    assert out[-1] == "1 file checked, 3 problems in 1"  # the two defaults, and version 2.1.0 reused

    unreadable = tmp_path / "broken.yaml"
    unreadable.write_text("id: [unclosed\n", encoding="utf-8")
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("colour: blue\n", encoding="utf-8")
    assert main(["check", str(unreadable)]) == 2
    assert main(["check", str(unknown)]) == 2
    assert main(["check", str(tmp_path / "missing.yaml")]) == 2
    assert main(["check", str(bad), str(unreadable)]) == 2
    out = capsys.readouterr().out
    assert f"{unreadable}:2:1: not valid YAML" in out or f"{unreadable}:1:" in out
    assert f"{unknown}:1:1: cannot tell whether this is a ruleset, carrier or case file" in out


def _policy_file(tmp_path, kind, *replacements):
    text = Path(f"tests/broken/base-{kind}.yaml").read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / f"{kind}.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text


def test_targets_files_report_every_problem_and_the_loader_the_first(tmp_path):
    from incubator_rules.files.targets import load_targets

    path, text = _policy_file(
        tmp_path, "targets",
        ("    metrics: [floor_area_m2]\n", "    metrics: [floor_area]\n"),
        ("    required: 300\n", "    required: 0\n    colour: red\n"),
        ("    level: municipal\n", "    level: regional\n"),
        ("      - [2, 乙街道, 2.5]\n", "      - [2, 乙街道, 3.5]\n"),
    )
    result = check_file(path)
    assert result.file_type == "targets"
    assert [(p.line, p.field, p.message.split(";")[0]) for p in result.problems] == [
        (line_of(text, "[floor_area]"), "targets[0].metrics[0]", "unknown metric 'floor_area'"),
        (line_of(text, "required: 0"), "targets[2].required", "a target must require more than zero"),
        (line_of(text, "colour: red"), "targets[2].colour", "unknown field"),
        (line_of(text, "level: regional"), "targets[3].level", "unknown Level 'regional' (did you mean 'national'?)"),
        (line_of(text, "[2, 乙街道, 3.5]"), "area_tables[0].rows[1]", "the row '2 乙街道 3.5' is not in the text of clause 'table'"),
    ]
    with pytest.raises(RulesetError) as err:
        load_targets(path)
    assert (err.value.field, err.value.line) == ("targets[0].metrics[0]", result.problems[0].line)
    assert "(and 4 more problems: `incubator-rules check` lists them all)" in err.value.message


def test_management_files_report_every_problem(tmp_path):
    path, text = _policy_file(
        tmp_path, "management",
        ("reassess_within: {months: 6}", "reassess_within: {months: 0}"),
        ("kinds: [incubator, maker_space], clauses: [dynamic]}\n    explanations:\n      first_fail",
         "kinds: [incubators, maker_space], clauses: [dynamic]}\n    explanations:\n      first_fail"),
        ("    clauses: [dynamic]\n    explanations:\n      in_force", "    clauses: [dynamics]\n    explanations:\n      in_force"),
    )
    assert [(p.line, p.field) for p in check_file(path).problems] == [
        (line_of(text, "{months: 0}"), "rules[0].reassess_within"),
        (line_of(text, "kinds: [incubators"), "rules[1].applies_to[0].kinds[0]"),
        (line_of(text, "[dynamics]"), "rules[2].clauses[0]"),
    ]


def test_a_broken_clause_is_reported_once_not_by_everything_citing_it(tmp_path):
    path, text = _policy_file(tmp_path, "criteria", ("  conditions: {document: measures,", "  conditions: {document: measure,"))
    assert [(p.line, p.field) for p in check_file(path).problems] == [(line_of(text, "document: measure,"), "clauses.conditions.document")]
