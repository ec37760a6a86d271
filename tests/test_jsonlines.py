"""The JSON Lines writer gives, byte for byte, the JSON that ``Evaluation.to_json(indent=None)`` defines."""

from __future__ import annotations

import datetime
import json

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import incubator_rules as ir
from incubator_rules.model.jsonlines import evaluation_bytes, evaluation_json, evaluation_line, evaluation_record
import incubator_rules.views.jsonlines as earlier
from test_totals import AS_OF, HISTORIES, RULESETS, rulesets_and_readings


def expected(ev: ir.Evaluation) -> bytes:
    return (ev.to_json(indent=None) + "\n").encode("utf-8")


def assert_written_alike(ev: ir.Evaluation) -> None:
    assert evaluation_json(ev) == ev.to_json(indent=None)
    assert evaluation_line(ev) == (ev.to_json(indent=None), ev.total, ev.pending_total)
    try:
        want = expected(ev)
    except UnicodeEncodeError:  # a lone surrogate: JSON text, but no UTF-8 (no file read gives one)
        with pytest.raises(UnicodeEncodeError):
            evaluation_bytes(ev)
        return
    assert evaluation_bytes(ev) == want
    assert evaluation_record(ev) == (want, ev.total, ev.pending_total)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(carrier=HISTORIES, chosen=rulesets_and_readings(), as_of=AS_OF)
def test_every_evaluation_is_written_as_to_json_writes_it(carrier, chosen, as_of):
    ruleset, readings = chosen
    assert_written_alike(ir.evaluate(carrier, ruleset, as_of, readings))


# Text the encoder must escape as json.dumps does: quotes, backslashes, control characters, line separators,
# characters outside the basic plane, lone surrogates.
AWKWARD = st.text(st.characters(codec=None, exclude_categories=()), max_size=12) | st.sampled_from(
    ['"', "\\", "\n\t\r\b\f", "\x00\x1f\x7f", "\u2028\u2029", "😀𠀀", "\ud800", "孵化器 \"引号\" \\ 反斜杠"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(carrier=HISTORIES, texts=st.lists(AWKWARD, min_size=8, max_size=8), as_of=AS_OF,
       ruleset=st.sampled_from(RULESETS))
def test_awkward_text_anywhere_is_escaped_as_json_dumps_escapes_it(carrier, texts, as_of, ruleset):
    ev = ir.evaluate(carrier, ruleset, as_of)
    decisions = ev.awards + ev.pending + ev.not_awarded

    def awkward(d: ir.Decision, i: int) -> ir.Decision:
        t = texts[i % 4:] + texts[:i % 4]
        return attrs.evolve(d, rule=t[0] or d.rule, reason=t[1], explanation_zh=t[2], explanation_en=t[3],
                            events=tuple(t[4:6]) + d.events)

    ev = attrs.evolve(
        ev, carrier_id=texts[0], carrier_name=texts[1], input_digest=texts[2], ruleset_id=texts[3], engine=texts[4],
        readings={texts[5]: texts[6], **ev.readings}, ruleset_version=texts[7],
        awards=tuple(awkward(d, i) for i, d in enumerate(ev.awards)),
        pending=tuple(awkward(d, i) for i, d in enumerate(ev.pending)),
        not_awarded=tuple(awkward(d, i) for i, d in enumerate(ev.not_awarded)),
    )
    assert_written_alike(ev)
    assert len(decisions) == len(ev.awards + ev.pending + ev.not_awarded)


def test_one_writer_serves_evaluations_of_different_rulesets_dates_and_readings_interleaved():
    carrier = ir.load_carrier("examples/q6-maker-space.yaml")
    evs = [ir.evaluate(carrier, rs, day, readings) for rs in RULESETS for day in ("2024-06-30", "2026-06-30")
           for readings in ({}, {name: sorted(r.alternatives)[0] for name, r in rs.readings.items()})]
    for ev in evs + evs[::-1]:
        assert_written_alike(ev)


def test_an_evaluation_with_management_decisions_is_written_whole():
    carrier = ir.load_carrier("examples/q6-maker-space.yaml")
    ev = ir.evaluate(carrier, as_of="2026-06-30")
    m = ir.ManagementDecision(carrier.id, "re-assessment", "reassessment", "due", True, datetime.date(2026, 1, 1),
                              datetime.date(2026, 12, 31), None, ir.Level.MUNICIPAL, ("e1",), (), "应复核", "due")
    ev = attrs.evolve(ev, management=(m,))
    assert_written_alike(ev)
    assert json.loads(evaluation_bytes(ev))["management"]


def test_decisions_made_by_hand_and_by_evolve_are_written_alike():
    d = ir.Decision("r", "awarded", "awarded", 5, datetime.date(2024, 2, 29), ("a", "b"), (), "中", "en",
                    full_amount=7, already_received=2, amount_in_force_from=datetime.date(2020, 1, 1))
    ev = ir.Evaluation("c", "n", "d", datetime.date(2024, 3, 1), "rs", "1", "sha", {"x": "y"}, "native", awards=(d,),
                       not_awarded=(attrs.evolve(d, status="not_awarded", amount=0, payable_on=None),))
    assert_written_alike(ev)


def test_a_decision_built_by_hand_with_a_list_of_events_is_written_as_to_json_writes_it():
    carrier = ir.load_carrier("examples/excellent-incubator.yaml")
    ev = ir.evaluate(carrier, as_of="2026-12-31")
    decisions = ev.awards + ev.pending + ev.not_awarded
    assert decisions
    listed = attrs.evolve(ev, not_awarded=tuple(attrs.evolve(d, events=list(d.events)) for d in ev.not_awarded),
                          awards=tuple(attrs.evolve(d, events=list(d.events)) for d in ev.awards))
    assert_written_alike(listed)
    assert_written_alike(ev)  # and the tuples again, after the lists


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(items=st.lists(st.tuples(HISTORIES, rulesets_and_readings(), AS_OF), min_size=2, max_size=8))
def test_a_stream_of_evaluations_of_several_rulesets_is_written_as_to_json_writes_each(items):
    # one writer, its remembered pieces shared by evaluations of different rulesets, dates and readings in turn
    evaluations = [ir.evaluate(carrier, ruleset, as_of, readings) for carrier, (ruleset, readings), as_of in items]
    for ev in evaluations + evaluations[::-1]:
        assert_written_alike(ev)


def test_explanations_are_remembered_as_pairs_in_their_order_and_citations_with_and_without_a_condition():
    carrier = ir.load_carrier("examples/q6-maker-space.yaml")
    ev = ir.evaluate(carrier, as_of="2026-12-31")
    decisions = ev.awards + ev.pending + ev.not_awarded
    with_condition = [d for d in decisions if d.condition is not None]
    assert with_condition, "the example has a decision with an operating condition"
    d = with_condition[0]
    swapped = attrs.evolve(d, explanation_zh=d.explanation_en, explanation_en=d.explanation_zh)
    amended = attrs.evolve(d, explanation_en=d.explanation_en + " (amended)")  # the same Chinese, another English
    bare = attrs.evolve(d, condition=None)  # the same citations tuple, written as the end of a decision
    share = ir.InstalmentShare(1, 2, "50%", datetime.date(2026, 1, 1))
    for variant in (d, swapped, amended, bare, attrs.evolve(bare, instalment=share), d, bare, swapped, amended):
        assert_written_alike(attrs.evolve(ev, awards=(variant,), pending=(), not_awarded=(bare, variant)))


def test_the_writer_is_still_found_where_it_was():
    assert earlier.evaluation_bytes is evaluation_bytes and earlier.evaluation_record is evaluation_record
