"""A rule kind kept only as a name expands into the generic kind: the old Wanzhou excellence rule reads as the shipped one."""

from __future__ import annotations

from pathlib import Path

import incubator_rules as ir
from incubator_rules.documents import parse_yaml
from incubator_rules.files.ruleset import parse_ruleset, validate_ruleset

SHIPPED = ir.load_ruleset("wanzhou-2023")
TEXT = Path("rulesets/wanzhou-2023.yaml").read_text(encoding="utf-8")

# The excellence rule as Wanzhou 2.0.0 wrote it, in the old kind's form (parameters and reading roles).
OLD_FORM = """  - id: evaluation-excellence
    kind: evaluation_excellence
    title:
      zh: 绩效评估支持
      en: performance-evaluation support
    clauses: [q6-incubator-evaluation, q6-maker-space-evaluation]
    table: evaluation_award
    grades: [excellent]
    readings:
      per: excellence_awards
      district_maker_space: district_maker_space
      title: excellence_title
      kind: evaluation_kind
      period_bound: excellence_period_bound
      star_spaces: star_space_excellence
      area: plan_area
"""


def _old_form_text() -> str:
    start = TEXT.index("  - id: evaluation-excellence\n")
    end = TEXT.index("    explanations:\n", start)
    return TEXT[:start] + OLD_FORM + TEXT[end:]


def test_the_old_excellence_rule_reads_as_the_shipped_generic_rule():
    old = parse_ruleset(_old_form_text()).rule("evaluation-excellence")
    new = SHIPPED.rule("evaluation-excellence")
    assert (old.kind, new.kind) == ("event_award", "event_award")
    assert old.params == new.params
    assert (old.explanations, old.clauses) == (new.explanations, new.clauses)


def test_the_old_form_evaluates_exactly_as_the_shipped_ruleset_under_every_reading():
    old = parse_ruleset(_old_form_text())
    c = ir.Carrier.from_dict({
        "id": "x", "name": "x", "kind": "star_innovation_space", "events": [
            {"id": "f", "type": "filed", "date": "2023-03-01", "level": "district"},
            {"id": "e1", "type": "evaluated", "date": "2024-02-01", "year": 2023, "level": "district", "grade": "excellent"},
            {"id": "e2", "type": "evaluated", "date": "2024-03-01", "year": 2023, "level": "municipal", "grade": "excellent"},
            {"id": "d", "type": "delisted", "date": "2025-01-01"},
            {"id": "e3", "type": "evaluated", "date": "2025-03-01", "year": 2024, "level": "district", "grade": "excellent"},
        ]})
    for name, reading in SHIPPED.readings.items():
        for alt in reading.alternatives:
            a = ir.evaluate(c, old, "2026-01-01", {name: alt}).to_dict()
            b = ir.evaluate(c, SHIPPED, "2026-01-01", {name: alt}).to_dict()
            a.pop("ruleset"), b.pop("ruleset")
            assert a == b, (name, alt)


def test_an_old_role_bound_to_a_reading_it_cannot_apply_is_reported_once():
    text = _old_form_text().replace("      per: excellence_awards\n", "      per: evaluation_kind\n")
    _, found = validate_ruleset(parse_yaml(text, "edited.yaml"))
    messages = [p.message for p in found]
    assert sum("cannot apply alternative" in m for m in messages) == 2, messages  # title and carrier, one problem each
    assert not any("no value for alternative" in m for m in messages), messages


OLD_RULESET = Path("tests/old-kinds/wanzhou-2023-2.0.0.yaml")


def test_the_whole_old_ruleset_expands_into_the_shipped_rules():
    old = ir.load_ruleset(OLD_RULESET)
    assert [(r.id, r.kind) for r in old.rules] == [(r.id, r.kind) for r in SHIPPED.rules] == [
        ("normal-operation", "normal_operation"), ("accreditation-subsidy", "event_award"),
        ("upgrade-differential", "top_up"), ("evaluation-excellence", "event_award")]
    for a, b in zip(old.rules, SHIPPED.rules):
        assert (a.params, a.clauses, a.explanations) == (b.params, b.clauses, b.explanations), a.id


def test_the_old_ruleset_evaluates_as_the_shipped_one_on_generated_histories_under_every_reading():
    from incubator_rules.tools.synthetic import generate_portfolio

    old = ir.load_ruleset(OLD_RULESET)
    combos = [{}] + [{name: alt} for name, r in SHIPPED.readings.items() for alt in r.alternatives if alt != r.default]
    for c in generate_portfolio(40, 3):
        for readings in combos:
            a = ir.evaluate(c, old, "2026-06-30", readings).to_dict()
            b = ir.evaluate(c, SHIPPED, "2026-06-30", readings).to_dict()
            assert a.pop("ruleset")["version"] == "2.0.0" and b.pop("ruleset")["version"] == SHIPPED.version
            assert a == b, (c.id, readings)
