"""The ruleset language's schedules, counting conditions and dated facts; every typo located with a "did you mean"."""

from __future__ import annotations

import datetime
import json
from concurrent.futures import ProcessPoolExecutor
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import incubator_rules as ir
from incubator_rules.documents import read_document, to_plain
from incubator_rules.errors import CarrierError, RulesetError
from incubator_rules.kinds import KINDS
from incubator_rules.kinds.schedule import split
from incubator_rules.tools.check import check_file

from strategies import histories

ROOT = Path(__file__).resolve().parent.parent
FORMS_PATH = ROOT / "tests" / "rulesets" / "language-forms.yaml"
FORMS_TEXT = FORMS_PATH.read_text(encoding="utf-8")
FORMS = ir.load_ruleset(FORMS_PATH)
XIAN = ir.load_ruleset("xian-municipal-maker-space")


def carrier(kind: str, *events: dict, facts: dict | None = None) -> ir.Carrier:
    data = {"id": "c", "name": "c", "kind": kind, "events": list(events)}
    if facts:
        data["facts"] = facts
    return ir.Carrier.from_dict(data)


# --- exact money in instalments ------------------------------------------------------------------


@st.composite
def share_lists(draw: st.DrawFn) -> list[Fraction]:
    """Shares that sum to exactly 1, as a policy writes them: percentages or fractions."""
    n = draw(st.integers(1, 6))
    weights = [draw(st.integers(1, 97)) for _ in range(n)]
    total = sum(weights)
    return [Fraction(w, total) for w in weights]


@given(st.integers(0, 10**10), share_lists(), st.sampled_from(["first", "last"]))
def test_instalments_always_sum_to_the_award_and_each_is_its_share_rounded_down(total, shares, remainder):
    parts = split(total, shares, remainder)
    assert sum(parts) == total
    keeper = 0 if remainder == "first" else len(parts) - 1
    for i, (part, share) in enumerate(zip(parts, shares)):
        exact = total * share
        if i == keeper:
            assert exact <= part < exact + len(parts)
        else:
            assert part <= exact < part + 1


def test_a_third_each_leaves_the_remainder_yuan_to_the_last_instalment_or_the_first():
    thirds = [Fraction(1, 3)] * 3
    assert split(100000, thirds) == [33333, 33333, 33334]
    assert split(100000, thirds, "first") == [33334, 33333, 33333]


def test_shares_that_do_not_sum_to_the_whole_are_refused_with_their_line():
    text = FORMS_TEXT.replace("- {share: 50, clause: t-first-half}", "- {share: 40, clause: t-first-half}")
    with pytest.raises(RulesetError, match="shares sum to 90%, not 100%") as err:
        ir.parse_ruleset(text)
    assert err.value.line is not None and "schedule" in (err.value.field or "")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.dates(datetime.date(2021, 1, 1), datetime.date(2029, 12, 31)))
def test_the_instalments_of_an_award_never_pay_more_than_the_award(data, as_of):
    ev = ir.evaluate(ir.Carrier.from_dict(data), FORMS, as_of)
    by_award: dict[tuple[str, str], list[ir.Decision]] = {}
    for d in ev.awards + ev.pending + ev.not_awarded:
        if d.reason.startswith("instalment_"):
            by_award.setdefault((d.rule, d.events[0]), []).append(d)
    for (rule, _), parts in by_award.items():
        (whole,) = {d.full_amount for d in parts}
        count = len(FORMS.rule(rule).params["schedule"].instalments)
        assert len(parts) == count
        paid_or_due = sum(d.amount for d in parts if d.status != "not_awarded")
        assert paid_or_due <= whole
        if all(d.status != "not_awarded" for d in parts):
            assert paid_or_due == whole


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.dates(datetime.date(2021, 1, 1), datetime.date(2029, 12, 31)), st.sampled_from(["forms", "xian"]))
def test_a_clawback_never_recovers_more_than_was_awarded_by_the_rules_it_names(data, as_of, which):
    rs = FORMS if which == "forms" else XIAN
    c = ir.Carrier.from_dict({**data, "kind": "maker_space"} if which == "xian" else data)
    ev = ir.evaluate(c, rs, as_of)
    claw = [r for r in rs.rules if r.kind == "clawback"][0]
    recovered = -sum(d.amount for d in ev.awards if d.rule == claw.id)
    awarded = sum(d.amount for d in ev.awards if d.rule in claw.params["recovers"])
    assert 0 <= recovered <= awarded
    assert ev.total >= 0


# --- counting ------------------------------------------------------------------------------------


def _evaluations(*grades: str, first_year: int = 2021) -> list[dict]:
    return [{"date": f"{first_year + i + 1}-03-01", "type": "evaluated", "level": "municipal", "year": first_year + i, "grade": g}
            for i, g in enumerate(grades)]


@pytest.mark.parametrize("engine", ["native", "durable"])
def test_two_consecutive_failing_years_trigger_the_xian_clawback_but_two_apart_do_not(engine):
    acc = {"date": "2016-05-01", "type": "accredited", "level": "municipal"}
    hit = ir.evaluate(carrier("maker_space", acc, *_evaluations("pass", "fail", "fail", first_year=2017)), XIAN, "2021-12-31", engine=engine)
    miss = ir.evaluate(carrier("maker_space", acc, *_evaluations("fail", "pass", "fail", first_year=2017)), XIAN, "2021-12-31", engine=engine)
    assert [d.amount for d in hit.awards if d.rule == "clawback"] == [-400000]
    assert not [d for d in miss.awards if d.rule == "clawback"]


def test_a_rolling_window_counts_evaluated_years_and_a_cycle_resets_at_its_boundary():
    # 2 failing years within any 3: 2021 and 2023 count, 2021 and 2024 do not
    acc = {"date": "2021-03-01", "type": "accredited", "level": "municipal"}
    near = ir.evaluate(carrier("incubator", acc, *_evaluations("fail", "pass", "fail")), FORMS, "2025-06-30")
    far = ir.evaluate(carrier("incubator", acc, *_evaluations("fail", "pass", "pass", "fail")), FORMS, "2026-06-30")
    assert [d.amount for d in near.awards if d.rule == "clawback"] == [-200000]
    assert not [d for d in far.awards if d.rule == "clawback"]
    # three excellent grades split over two cycles (2024, 2025 | 2026) are not three in one cycle
    split_cycles = ir.evaluate(carrier("incubator", *_evaluations("excellent", "excellent", "excellent", first_year=2024)), FORMS, "2028-01-01")
    assert not [d for d in split_cycles.awards if d.rule == "excellence-cycle"]
    reasons = [d.reason for d in split_cycles.not_awarded if d.rule == "excellence-cycle"]
    assert reasons == ["too_few_occurrences"] * 3
    assert "occurrence 1 of the 3 needed" in [d for d in split_cycles.not_awarded if d.rule == "excellence-cycle"][2].explanation_en


def test_counting_forms_are_checked():
    bad = FORMS_TEXT.replace("occurrences: {count: 3, cycle: {years: 5}, from: 2021-01-01}",
                             "occurrences: {count: 3, cycle: {years: 5}, within: {years: 2}}")
    with pytest.raises(RulesetError, match="at most one of: consecutive, within, cycle"):
        ir.parse_ruleset(bad)
    bad = FORMS_TEXT.replace("occurrences: {count: 2, within: {years: 3}}", "occurrences: {count: 0, within: {years: 3}}")
    with pytest.raises(RulesetError, match="occurrences.count: expected a whole number from 1 to 100"):
        ir.parse_ruleset(bad)


# --- dated carrier facts ---------------------------------------------------------------------------


def test_a_dated_fact_is_read_as_of_the_day_asked_and_round_trips():
    c = carrier("maker_space", facts={"accredited_area_m2": [{"from": "2021-01-01", "value": 600}, {"from": "2021-07-01", "value": 900}],
                                      "built_by": "social_body"})
    assert c.fact("accredited_area_m2", on=datetime.date(2021, 6, 30)) == 600
    assert c.fact("accredited_area_m2", on=datetime.date(2021, 7, 1)) == 900
    assert c.fact("accredited_area_m2", on=datetime.date(2020, 12, 31)) is None
    assert c.fact("accredited_area_m2") == 900 and c.fact("built_by", on=datetime.date(2000, 1, 1)) == "social_body"
    again = ir.Carrier.from_dict(json.loads(c.to_json()))
    assert again == c and again.digest == c.digest


@pytest.mark.parametrize("facts, message", [
    ({"accredited_area_m2": [{"from": "2021-07-01", "value": 900}, {"from": "2021-01-01", "value": 600}]},
     r"facts\.accredited_area_m2\[1\]\.from.*increasing order"),
    ({"completed_on": [{"from": "2021-01-01", "value": "2020-01-01"}]}, r"completed_on does not change over time"),
    ({"accredited_area_m2": [{"from": "2021-01-01", "valu": 600}]}, r"unknown field"),
    ({"accredited_area_m2": [{"from": "2021-01-01", "value": "big"}]}, r"accredited_area_m2\[0\]\.value: expected a number"),
    ({"accredited_area_m2": []}, r"non-empty list"),
])
def test_a_badly_dated_fact_is_refused_naming_its_field(facts, message):
    with pytest.raises(CarrierError, match=message):
        carrier("maker_space", facts=facts)


@pytest.mark.parametrize("engine", ["native", "durable"])
def test_a_carrier_fact_filter_reads_the_fact_as_of_the_event(engine):
    text = FORMS_TEXT.replace("match: {type: accredited, kind: incubator}",
                              "match: {type: accredited, kind: incubator, carrier: {operator_type: [state_owned, private]}}")
    rs = ir.parse_ruleset(text)
    acc = [{"date": "2021-03-01", "type": "accredited", "level": "municipal"}, {"date": "2023-03-01", "type": "accredited", "level": "national"}]
    c = carrier("incubator", *acc, facts={"operator_type": [{"from": "2020-01-01", "value": "university"}, {"from": "2022-01-01", "value": "private"}]})
    ev = ir.evaluate(c, rs, "2025-01-01", engine=engine)
    assert {d.full_amount for d in ev.awards if d.rule == "accreditation-award"} == {1000000}
    assert [d.reason for d in ev.not_awarded if d.rule == "accreditation-award"] == ["not_matched"]


# --- typos: every one located, with a "did you mean" ---------------------------------------------

TYPOS = [
    ("    schedule:\n      - {share: 50, clause: t-first-half}", "    scheduel:\n      - {share: 50, clause: t-first-half}", "scheduel", "schedule"),
    ("- {share: 50, clause: t-first-half}", "- {shar: 50, clause: t-first-half}", "shar", "share"),
    ("after: {years: 1}, condition: normal-operation", "after: {years: 1}, condition: normal-operaton", "normal-operaton", "normal-operation"),
    ("occurrences: {count: 3, cycle", "occurrences: {cout: 3, cycle", "cout", "count"),
    ("match: {type: filed, level: national", "match: {type: filed, levl: national", "levl", "level"),
    ("recovers: [accreditation-award]", "recovers: [accreditaton-award]", "accreditaton-award", "accreditation-award"),
    ("    occurrence: 1\n", "    ocurrence: 1\n", "ocurrence", "occurrence"),
    ("remainder: last", "remainder: lats", "lats", "last"),
    ("      remainder: last", "      remaindr: last", "remaindr", "remainder"),
    ("match: {type: accredited, kind: incubator}", "match: {type: accredite, kind: incubator}", "accredite", "accredited"),
    ("match: {type: accredited, kind: incubator}", "match: {type: accredited, kind: incubatr}", "incubatr", "incubator"),
    ("match: {type: filed, level: national", "match: {type: filed, level: nationl", "nationl", "national"),
    ("grade: [pass, good, excellent]}}\n        - {share: \"1/3\", after: {years: 2}",
     "grade: [pass, good, excelent]}}\n        - {share: \"1/3\", after: {years: 2}", "excelent", "excellent"),
    ("    kind: clawback\n", "    kind: clawbak\n", "clawbak", "clawback"),
    ("    occurrences: {count: 2, within: {years: 3}}", "    occurrences: {count: 2, withn: {years: 3}}", "withn", "within"),
    ("    amount: 300000\n", "    amount: {fixd: 300000}\n", "fixd", "fixed"),
    ("requires: {type: evaluated, grade: [pass, good, excellent]}}\n        - {share: \"1/3\", after: {years: 2}",
     "requirs: {type: evaluated, grade: [pass, good, excellent]}}\n        - {share: \"1/3\", after: {years: 2}", "requirs", "requires"),
]


@pytest.mark.parametrize("old, new, typo, meant", TYPOS, ids=[t[2] for t in TYPOS])
def test_every_typo_in_a_generic_rule_gets_a_located_error_with_did_you_mean(tmp_path, old, new, typo, meant):
    assert old in FORMS_TEXT
    path = tmp_path / "ruleset.yaml"
    path.write_text(FORMS_TEXT.replace(old, new, 1), encoding="utf-8")
    result = check_file(path)
    hits = [p for p in result.problems if f"did you mean {meant!r}" in p.message]
    assert hits, [str(p) for p in result.problems]
    line = next(i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if typo in text)
    assert hits[0].line in (line, line + 1)  # the key's line, or where its block value starts


@pytest.mark.parametrize("typo, meant", [
    ("once_per: carier", "carrier"), ("comparison: abov", "above"),
])
def test_a_misspelt_choice_says_did_you_mean(typo, meant):
    text = FORMS_TEXT.replace("    occurrence: 1\n", f"    occurrence: 1\n    {typo}\n") if typo.startswith("once") else None
    if text is None:
        text = (ROOT / "rulesets" / "wuhan-wuchang-2020.yaml").read_text(encoding="utf-8").replace(
            "comparison: {reading: sales_threshold, values: {at_least: at_least, above: above}}", typo)
    with pytest.raises(RulesetError, match=f"did you mean '{meant}'"):
        ir.parse_ruleset(text)


def test_the_schema_flags_a_typo_in_a_schedule_and_accepts_the_test_ruleset():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "schemas" / "ruleset.schema.json").read_text(encoding="utf-8"))
    data = to_plain(read_document(FORMS_PATH).data)
    jsonschema.validate(data, schema)
    data["rules"][1]["schedule"][1]["afer"] = {"years": 1}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.dates(datetime.date(2021, 1, 1), datetime.date(2029, 12, 31)))
def test_both_engines_agree_on_schedules_and_counting(data, as_of):
    pytest.importorskip("durable.engine")
    c = ir.Carrier.from_dict(data)
    native = ir.evaluate(c, FORMS, as_of, engine="native")
    durable = ir.evaluate(c, FORMS, as_of, engine="durable")
    assert durable.to_json().replace('"durable"', '"native"') == native.to_json()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.dates(datetime.date(2021, 1, 1), datetime.date(2029, 12, 31)), st.integers(1, 400))
def test_a_later_as_of_never_removes_an_instalment_already_paid(data, as_of, days):
    c = ir.Carrier.from_dict(data)
    before = ir.evaluate(c, FORMS, as_of)
    after = ir.evaluate(c, FORMS, as_of + datetime.timedelta(days=days))
    paid = lambda ev: {(d.rule, d.events[0], d.reason, d.amount, d.payable_on, d.explanation_en) for d in ev.awards
                       if d.rule != "clawback"}
    assert paid(before) <= paid(after)


_STRUCTURE = {"type", "anyOf", "$ref", "enum", "const"}


def _loose(schema: dict, path: str) -> list[str]:
    """Places in a parameter's schema that would accept anything: no type, or an object with no named keys."""
    out = [] if set(schema) & _STRUCTURE else [path]
    if schema.get("type") == "object" and not {"properties", "additionalProperties", "propertyNames"} & set(schema):
        out.append(path + " (any keys)")
    for key, sub in schema.get("properties", {}).items():
        out += _loose(sub, f"{path}.{key}")
    for i, sub in enumerate(schema.get("anyOf", [])):
        out += _loose(sub, f"{path}|{i}")
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            out += _loose(schema[key], f"{path}[{key}]")
    return out


def test_every_parameter_a_kind_reads_itself_declares_a_precise_schema():
    loose = [p for name, kind in KINDS.items() for param, check in kind.params.items() if callable(check)
             for p in _loose(dict(kind.schemas[param]), f"{name}.{param}")]
    assert loose == []


# --- the other districts' counting clauses, as their texts say them ----------------------------------


def test_xian_first_award_is_paid_the_first_time_only_shou_ci():
    # 对认定的市级众创空间首次给予30万元的资助: a space delisted and accredited again is not paid again
    c = carrier("maker_space", {"date": "2016-05-01", "type": "accredited", "level": "municipal"},
                {"date": "2017-06-01", "type": "delisted"},
                {"date": "2018-05-01", "type": "accredited", "level": "municipal"})
    ev = ir.evaluate(c, XIAN, "2019-12-31")
    assert [d.amount for d in ev.awards if d.rule == "first-award"] == [300000]
    assert [d.reason for d in ev.not_awarded if d.rule == "first-award"] == ["already_awarded"]


XIAN_TEXT = (ROOT / "rulesets" / "xian-municipal-maker-space.yaml").read_text(encoding="utf-8")
XIAN_OCCURRENCES = ir.parse_ruleset(XIAN_TEXT.replace("    consecutive: 2\n", "    occurrences: {count: 2, consecutive: true}\n"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.dates(datetime.date(2021, 1, 1), datetime.date(2029, 12, 31)))
def test_two_years_running_reads_the_same_as_consecutive_or_as_a_counting_condition(data, as_of):
    # 对连续两年绩效考核均不达标的: `consecutive: 2` is `occurrences: {count: 2, consecutive: true}`
    c = ir.Carrier.from_dict({**data, "kind": "maker_space"})
    a, b = ir.evaluate(c, XIAN, as_of), ir.evaluate(c, XIAN_OCCURRENCES, as_of)
    assert [d.to_dict() for d in a.awards + a.not_awarded] == [d.to_dict() for d in b.awards + b.not_awarded]


@pytest.mark.parametrize("old, new, circle", [
    ("    counts: [first-award]\n", "    counts: [first-award, national-top-up]\n", "national-top-up -> national-top-up"),
    ("    recovers: [first-award, national-top-up, operating-subsidy]\n", "    recovers: [first-award, clawback]\n", "clawback -> clawback"),
    ("    counts: [first-award]\n", "    counts: [first-award, clawback]\n", "national-top-up -> clawback -> national-top-up"),
])
def test_a_rule_that_counts_itself_is_refused_by_check_not_decided_forever(old, new, circle):
    assert old in XIAN_TEXT
    with pytest.raises(RulesetError, match=f"a rule cannot count what it awards itself: {circle}"):
        ir.parse_ruleset(XIAN_TEXT.replace(old, new))


def test_facts_and_dated_facts_survive_a_pool_of_processes():
    cases = ir.load_cases(ROOT / "tests" / "cases" / "wuchang-2020-construction.yaml") + ir.load_cases(ROOT / "tests" / "cases" / "wuchang-2020.yaml")
    carriers = list({c.carrier.id: c.carrier for c in cases}.values())
    assert any(c.facts for c in carriers) and any(e.facts for c in carriers for e in c.events)
    alone = ir.evaluate_many(carriers, "wuhan-wuchang-2020", "2024-06-30", workers=1)
    with ProcessPoolExecutor(2) as pool:  # carriers cross to the workers packed as tuples
        pooled = ir.evaluate_many(carriers, "wuhan-wuchang-2020", "2024-06-30", executor=pool, chunk_size=2)
    assert [e.to_json() for e in pooled] == [e.to_json() for e in alone]
    assert sum(e.total for e in alone) > 0
