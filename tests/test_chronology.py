"""The per-carrier steps around the deciders, each against the plain definition it replaces.

A timeline sorted by dates alone when no two events share one, ``arrange``
told so by the caller, a context built on a plan's resolved ruleset,
decisions ordered by a key per decision, and budget lines ordered by a flat
key: each must give exactly what the plain definition gives, whatever the
input order of the events.
"""

from __future__ import annotations

import datetime
import random

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import incubator_rules as ir
import strategies
from incubator_rules.engines.evaluation import prepare
from incubator_rules.kinds.base import Context, _drop_zero_length, arrange, built_context, delistings_first, under
from incubator_rules.model.carrier import EVENT_TYPES, chronological, until
from incubator_rules.tools.synthetic import generate_portfolio
from incubator_rules.whatif.budget import Tally, _line_order, _sort_key
from test_engines_agree import crowded_histories

HISTORIES = st.one_of(strategies.carriers(), crowded_histories())
RANK = {t: i for i, t in enumerate(EVENT_TYPES)}
RULESET = ir.load_ruleset()
RELAXED = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def shuffled(carrier: ir.Carrier, seed: int) -> ir.Carrier:
    events = list(carrier.events)
    random.Random(seed).shuffle(events)
    return attrs.evolve(carrier, events=tuple(events))


@RELAXED
@given(carrier=HISTORIES, seed=st.integers(0, 1000))
def test_the_timeline_is_the_order_of_date_type_and_id_whatever_the_input_order(carrier, seed):
    c = shuffled(carrier, seed)
    expected = tuple(sorted(c.events, key=lambda e: (e.date, RANK[e.type], e.id)))
    timeline, distinct = chronological(c.events)
    assert timeline == expected and c.timeline == expected == carrier.timeline
    assert distinct is (len({e.date for e in c.events}) == len(c.events))


def test_same_day_events_are_ordered_by_type_then_id():
    day = datetime.date(2025, 3, 1)
    c = ir.Carrier("c", "C", ir.CarrierKind.INCUBATOR, (
        ir.Event("z", ir.EventType.DELISTED, day), ir.Event("b", ir.EventType.ACCREDITED, day, ir.Level.DISTRICT),
        ir.Event("a", ir.EventType.ACCREDITED, day, ir.Level.DISTRICT), ir.Event("s", ir.EventType.OPERATION_STARTED,
                                                                              datetime.date(2024, 1, 1))))
    timeline, distinct = chronological(c.events)
    assert [e.id for e in timeline] == ["s", "a", "b", "z"] and distinct is False


@RELAXED
@given(carrier=HISTORIES, as_of=strategies.as_of_dates(), alternative=st.booleans())
def test_arrange_told_the_dates_are_distinct_arranges_as_when_it_finds_out(carrier, as_of, alternative):
    readings = {name: sorted(r.alternatives)[-1] for name, r in RULESET.readings.items()} if alternative else {}
    chosen = RULESET.resolve_readings(readings)
    timeline, distinct = chronological(carrier.events)
    events = until(timeline, as_of)
    found = arrange(RULESET, chosen, events)
    assert arrange(RULESET, chosen, events, distinct) == found
    if distinct:
        assert found == events  # nothing on one day: nothing reordered or left out
    if not alternative:  # the default readings: zero-length interruptions left out, delistings first
        assert found == delistings_first(_drop_zero_length(events))


@RELAXED
@given(carrier=HISTORIES, detail=st.booleans())
def test_a_context_on_the_resolved_ruleset_is_the_context(carrier, detail):
    rs, day, chosen = prepare(RULESET, "2026-12-31", None)
    resolved = under(rs, chosen)
    expected = Context(carrier, carrier.timeline, day, rs, chosen, detail)
    built = built_context(carrier, carrier.timeline, day, resolved, chosen, detail)
    assert built == expected and built.ruleset is expected.ruleset is resolved


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(carrier=HISTORIES, as_of=strategies.as_of_dates(), seed=st.integers(0, 1000))
def test_an_evaluation_and_its_totals_do_not_depend_on_the_input_order(carrier, as_of, seed):
    other = shuffled(carrier, seed)
    assert ir.evaluate(other, RULESET, as_of).to_json() == ir.evaluate(carrier, RULESET, as_of).to_json()
    lean, full = ir.evaluate_totals(other, RULESET, as_of), ir.evaluate(carrier, RULESET, as_of)
    assert [(d.rule, d.amount, d.payable_on, d.events) for d in lean.awards + lean.pending] == [
        (d.rule, d.amount, d.payable_on, d.events) for d in full.awards + full.pending]


# --- the order of budget lines ---------------------------------------------------


def _by_type_name(key: tuple[object, ...]) -> tuple[object, ...]:
    """The order budgets had: None first, then by type name, then by value."""
    return tuple(("", "") if v is None else (type(v).__name__, v) for v in key)


LINE_KEYS = st.tuples(
    st.none() | st.integers(2015, 2035), st.sampled_from(["a-rule", "b-rule", "c"]), st.none() | st.sampled_from(["北区", "南区", "x"]),
    st.sampled_from(["", "incubator", "maker_space"]), st.none() | st.sampled_from(["district", "municipal", "national"]),
    st.sampled_from(["awarded", "pending"]),
)


@given(keys=st.lists(LINE_KEYS, max_size=40, unique=True))
def test_budget_lines_keep_their_order(keys):
    items = [(k, [i, 1]) for i, k in enumerate(keys)]
    assert sorted(items, key=_line_order) == sorted(items, key=lambda kv: _by_type_name(kv[0]))
    assert all(_line_order(item) == _sort_key(item[0]) for item in items)


def test_a_tally_adds_awards_and_pending_apart():
    carriers = generate_portfolio(200, "tally")
    evaluations = [ir.evaluate(c, RULESET, "2027-06-30") for c in carriers]
    tally = Tally()
    for c, ev in zip(carriers, evaluations):
        assert tally.add(ev, c.area) == (ev.total, ev.pending_total)
    budget = tally.budget("base", datetime.date(2027, 6, 30), RULESET.id, RULESET.version)
    assert budget.awarded == sum(ev.total for ev in evaluations)
    assert budget.pending == sum(ev.pending_total for ev in evaluations)
    assert sum(line.decisions for line in budget.lines) == sum(len(ev.awards) + len(ev.pending) for ev in evaluations)
