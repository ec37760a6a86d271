"""Bad input: each case raises the library's own typed error, naming the field and, for files, the line."""

import datetime
from pathlib import Path

import pytest

from incubator_rules import (
    Carrier,
    CarrierError,
    DocumentError,
    IncubatorRulesError,
    RulesetError,
    evaluate,
    load_carrier,
    load_ruleset,
    parse_ruleset,
)

RULESET_TEXT = Path("rulesets/wanzhou-2023.yaml").read_text(encoding="utf-8")


def base(**changes):
    data = {"id": "c1", "name": "A", "kind": "maker_space",
            "events": [{"id": "e1", "type": "filed", "date": "2023-10-10", "level": "municipal"}]}
    data.update(changes)
    return data


def with_event(**event):
    return base(events=[dict({"id": "e1", "type": "filed", "date": "2023-10-10", "level": "municipal"}, **event)])


@pytest.mark.parametrize("data, field, message", [
    (base(kind="bakery"), "kind", "unknown CarrierKind 'bakery'"),
    (with_event(level="regional"), "events[0].level", "unknown Level 'regional'"),
    (with_event(type="evaluated", year=2023, level="municipal", grade="superb", date="2024-03-01"),
     "events[0].grade", "unknown Grade 'superb'"),
    (with_event(type="celebrated"), "events[0].type", "unknown EventType 'celebrated'"),
    (base(events=[{"id": "e1", "type": "filed", "level": "national"}]), "events[0].date", "required field is missing"),
    (with_event(date="2023-13-01"), "events[0].date", "expected a date as YYYY-MM-DD"),
    (with_event(date="10/10/2023"), "events[0].date", "expected a date as YYYY-MM-DD"),
    (with_event(date=datetime.datetime(2023, 10, 10, 9, 30)), "events[0].date", "without a time"),
    (with_event(type="evaluated", year=2023, level="municipal", grade="good", date="2023-11-30"),
     "events[0].date", "before the end of 2023"),
    (base(events=[{"id": "x", "type": "filed", "date": "2023-10-10", "level": "municipal"},
                  {"id": "x", "type": "filed", "date": "2024-10-10", "level": "national"}]),
     "events[1].id", "duplicate event id 'x'"),
    (base(events=[{"id": "r", "type": "resumed", "date": "2023-10-10"}]), "events[0].type", "no suspension before it"),
    (with_event(type="payment_received", amount="lots"), "events[0].amount", "whole number of yuan"),
    (with_event(colour="red"), "events[0].colour", "unknown field"),
    (base(id=None), "id", "required field is missing"),
])
def test_bad_carrier_data_names_the_field(data, field, message):
    with pytest.raises(CarrierError) as err:
        Carrier.from_dict(data)
    assert err.value.field == field
    assert message in err.value.message


def test_carrier_file_errors_name_file_and_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: c1\nname: A\nkind: maker_space\nevents:\n  - type: filed\n    date: 2023-10-10\n    level: galactic\n")
    with pytest.raises(CarrierError) as err:
        load_carrier(path)
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 7, "events[0].level")
    assert str(err.value).startswith(f"{path}:7:12: events[0].level: unknown Level 'galactic'")


def test_json_carrier_errors_name_the_line_too(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n  "id": "c1",\n  "name": "A",\n  "kind": "kiosk",\n  "events": []\n}\n')
    with pytest.raises(CarrierError) as err:
        load_carrier(path)
    assert (err.value.line, err.value.field) == (4, "kind")


def test_unparseable_and_unsafe_files_are_document_errors(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [unclosed\n")
    with pytest.raises(DocumentError):
        load_carrier(broken)
    unsafe = tmp_path / "unsafe.yaml"
    marker = tmp_path / "ran"
    unsafe.write_text(f"id: !!python/object/apply:os.system ['touch {marker}']\nname: A\nkind: incubator\n")
    with pytest.raises(DocumentError, match="not allowed"):
        load_carrier(unsafe)
    assert not marker.exists()


def test_missing_file_is_a_document_error(tmp_path):
    with pytest.raises(DocumentError, match="cannot read"):
        load_carrier(tmp_path / "nope.yaml")


@pytest.mark.parametrize("old, new, field, message", [
    ("{national: 1000000, municipal: 500000, district: 200000}", "{national: 1000000, municipal: 500000, regional: 1}",
     "tables.construction_subsidy.columns.incubator.values.regional", "unknown Level 'regional'"),
    ("{national: 1000000, municipal: 500000, district: 200000}", "{national: 1000000.5, municipal: 500000, district: 200000}",
     "tables.construction_subsidy.columns.incubator.values.national", "whole number of yuan"),
    ("    count_from: {reading: year_counted_from,", "    count_from: {reading: year_counted_from_typo,",
     "rules[0].count_from.reading", "unknown reading 'year_counted_from_typo'"),
    ("    default: accreditation_date", "    default: first_sunrise",
     "readings.year_counted_from.default", "not one of the alternatives"),
    ("    kind: event_award\n    title:\n      zh: 绩效评估支持", "    kind: evaluation_brilliance\n    title:\n      zh: 绩效评估支持", "rules[3].kind", "unknown rule kind"),
    ('        en: "{level} performance evaluation of {year} graded excellent on {date}: {amount} yuan"',
     '        en: "{level} performance evaluation of {year} graded excellent on {date}: {amount.__class__} yuan"',
     "rules[3].explanations.awarded.en", "unknown placeholder"),
    ("    document: wanzhou-interpretation\n    section: 五、核心政策问答 问2",
     "    document: nowhere\n    section: 五、核心政策问答 问2", "clauses.q2-maker-space-levels.document", "unknown document"),
])
def test_malformed_ruleset_names_field_and_line(old, new, field, message):
    assert old in RULESET_TEXT
    with pytest.raises(RulesetError) as err:
        parse_ruleset(RULESET_TEXT.replace(old, new, 1), file="edited.yaml")
    assert err.value.field == field
    assert message in err.value.message
    assert err.value.file == "edited.yaml" and err.value.line is not None


def test_unknown_shipped_ruleset():
    with pytest.raises(RulesetError, match="no shipped ruleset 'atlantis'"):
        load_ruleset("atlantis")


def test_bad_as_of_and_non_carrier_arguments():
    c = Carrier.from_dict(base())
    with pytest.raises(IncubatorRulesError, match="YYYY-MM-DD") as err:
        evaluate(c, as_of="tomorrow")
    assert err.value.field == "as_of"
    with pytest.raises(IncubatorRulesError, match="expected a Carrier"):
        evaluate(base())  # a dict, not a Carrier


def test_all_errors_share_one_root():
    for cls in (CarrierError, RulesetError, DocumentError):
        assert issubclass(cls, IncubatorRulesError)
