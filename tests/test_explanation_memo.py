"""Issue 15m: the cheaper deciding gives the texts and refusals the plain definitions give.

An explanation is remembered by what its texts read (the event's fields,
the carrier kind only when a text shows it, the values given that a text
shows): every remembered text must be the text computed afresh, and the
text ``render`` gives. The walk through the titles is skipped for a carrier
with no delisting: a delisting still refuses what follows it.
"""

from __future__ import annotations

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from incubator_rules import evaluate, load_ruleset
from incubator_rules.kinds.base import built_context, default_explanation, render
from incubator_rules.kinds.generic import _FROM_EVENT, _Wording, values_of
from incubator_rules.model.carrier import CarrierKind, chronological

from histories import accredited, carrier, evaluated
from strategies import PAID_KINDS, carriers, dates

D = datetime.date.fromisoformat
RULESET = load_ruleset()
READINGS = RULESET.resolve_readings(None)

# Every wording of the shipped ruleset, a default refusal, and templates that read the kind, a fact, 万 and values
# the deciders give (one name, several, some of them missing).
EXTRA = [
    ("{kind_zh}{level_zh}:{window_start}", "{kind} {level}: {window_start}"),
    ("{firm}{title}{amount_wan}万", "{firm} {title} {amount_wan}"),
    ("{held_level_zh}{held_on}{area}", "{held_level} {held_on} {area} {date}"),
    ("固定文字", "plain text"),
    default_explanation("not_matched", "规则", "rule"),
]
WORDINGS = [texts for rule in RULESET.rules for texts in rule.explanations.values()] + EXTRA

GIVEN = st.fixed_dictionaries({}, optional={
    "window_start": st.none() | dates(),
    "window_end": dates(),
    "amount": st.integers(0, 2_000_000),
    "payable_on": dates(),
    "full_amount": st.none() | st.integers(0, 2_000_000),
    "already_received": st.integers(0, 500_000),
    "counted_from": dates(),
    "held_level": st.sampled_from(["district", "municipal"]),
    "held_on": dates(),
    "area": st.sampled_from(["万州区", "-"]),
    "graded_year": st.integers(2020, 2026),
})


def _contexts(c):
    timeline, _ = chronological(c.events)
    return built_context(c, timeline, D("2030-12-31"), RULESET, READINGS)


def _old_fill(zh: str, en: str, event, kind, ctx, values) -> tuple[str, str]:
    """The texts as ``render`` fills them from ``values_of`` (the given values that name no event placeholder)."""
    shown = values_of(event, kind, ctx, **{k: v for k, v in values.items() if k not in _FROM_EVENT})
    return render(zh, shown), render(en, shown)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(carriers(), st.sampled_from(PAID_KINDS + [CarrierKind.UNIVERSITY_SCIENCE_PARK]), GIVEN),
                min_size=1, max_size=6))
def test_a_remembered_explanation_is_the_one_computed_afresh(cases):
    wordings = [_Wording(zh, en) for zh, en in WORDINGS]  # one memo each for every case: later ones hit it
    for c, kind, values in cases:
        ctx = _contexts(c)
        for event in ctx.timeline:
            for w, (zh, en) in zip(wordings, WORDINGS):
                texts = w.explain(event, kind, ctx, values)
                assert texts == w.fill(event, kind, ctx, values)
                assert texts == _old_fill(zh, en, event, kind, ctx, values)


def test_a_text_that_shows_no_kind_is_shared_across_kinds_and_one_that_does_is_not():
    c = carrier("incubator", accredited("2023-03-01", "municipal"))
    ctx = _contexts(c)
    event = ctx.timeline[0]
    plain, by_kind = _Wording("{date}", "{date}"), _Wording("{kind_zh}", "{kind}")
    for kind in PAID_KINDS:
        plain.explain(event, kind, ctx, {})
        assert by_kind.explain(event, kind, ctx, {}) == by_kind.fill(event, kind, ctx, {})
    assert len(plain.texts) == 1 and len(by_kind.texts) == len(PAID_KINDS)


def test_a_value_not_given_shows_empty_whether_one_or_several_are_shown():
    c = carrier("incubator", accredited("2023-03-01", "municipal"))
    ctx = _contexts(c)
    event = ctx.timeline[0]
    one, two = _Wording("[{area}]", "[{area}]"), _Wording("[{window_start}|{window_end}]", "x")
    for _ in range(2):  # computed, then remembered
        assert one.explain(event, CarrierKind.INCUBATOR, ctx, {}) == ("[]", "[]")
        assert one.explain(event, CarrierKind.INCUBATOR, ctx, {"area": "万州区"}) == ("[万州区]", "[万州区]")
        assert two.explain(event, CarrierKind.INCUBATOR, ctx, {"window_end": D("2025-12-31")})[0] == "[|2025-12-31]"
        assert two.explain(event, CarrierKind.INCUBATOR, ctx, {})[0] == "[|]"


def test_the_shipped_rules_remember_their_refusals_texts_by_what_they_show():
    ctx = _contexts(carrier("incubator", accredited("2023-03-01", "municipal")))
    rule = ctx.ruleset.rule("evaluation-excellence")
    wording = _Wording(*rule.explanations["outside_window"])
    assert not wording.kind and wording.given_names == ("window_start", "window_end")
    by_kind = _Wording(*rule.explanations["kind_not_covered"])
    assert by_kind.kind and by_kind.given_names == ()


def _reasons(ev):
    return [(d.rule, d.reason) for d in ev.not_awarded]


def test_an_evaluation_after_a_delisting_is_refused_as_delisted_and_one_before_is_not():
    c = carrier("incubator", accredited("2021-04-01", "municipal"), evaluated("2023-03-01", 2022, "municipal", "excellent"),
                {"type": "delisted", "date": "2023-09-01"}, evaluated("2024-03-01", 2023, "municipal", "excellent"),
                evaluated("2024-04-01", 2023, "municipal", "good"))
    ev = evaluate(c, as_of=D("2025-12-31"))
    assert [d.rule for d in ev.awards if d.rule == "evaluation-excellence"] == ["evaluation-excellence"]
    assert _reasons(ev)[-2:] == [("evaluation-excellence", "delisted"), ("evaluation-excellence", "delisted")]
    refused = [d for d in ev.not_awarded if d.reason == "delisted"]
    assert all("2023-09-01" in d.explanation_en for d in refused)


def test_without_a_delisting_a_grade_below_excellent_is_refused_as_not_excellent():
    c = carrier("incubator", accredited("2021-04-01", "municipal"), evaluated("2023-03-01", 2022, "municipal", "good"),
                evaluated("2024-03-01", 2023, "municipal", "excellent"))
    ev = evaluate(c, as_of=D("2025-12-31"))
    assert ("evaluation-excellence", "not_excellent") in _reasons(ev)
    assert [d.amount > 0 for d in ev.awards if d.rule == "evaluation-excellence"] == [True]
    held = evaluate(c, as_of=D("2025-12-31"), readings={"excellence_title": "held_on_evaluation_date"})
    assert ("evaluation-excellence", "not_excellent") in _reasons(held)
