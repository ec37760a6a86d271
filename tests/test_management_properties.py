"""Properties of dynamic management over generated histories."""

from hypothesis import given, settings
from hypothesis import strategies as st

import incubator_rules as ir
from incubator_rules.district.management import manage, withheld
from incubator_rules.files.management import load_management

from portfolio_strategies import dates, managed_histories

RULES = load_management()


@settings(max_examples=150, deadline=None)
@given(managed_histories(), dates)
def test_no_award_is_dated_after_a_delisting_until_the_carrier_is_accredited_again(carrier, as_of):
    """The reward rules and the award bar agree: nothing the evaluation grants falls inside a bar."""
    decisions = manage(carrier, as_of, RULES)
    assert () == withheld(ir.evaluate(carrier, as_of=as_of), decisions)


@settings(max_examples=100, deadline=None)
@given(managed_histories(), dates, st.randoms(use_true_random=False))
def test_decisions_do_not_depend_on_the_input_order_of_events(carrier, as_of, rnd):
    events = list(carrier.events)
    rnd.shuffle(events)
    shuffled = ir.Carrier(carrier.id, carrier.name, carrier.kind, tuple(events), carrier.area)
    assert manage(carrier, as_of, RULES) == manage(shuffled, as_of, RULES)


@settings(max_examples=100, deadline=None)
@given(managed_histories(), dates)
def test_every_fail_is_accounted_for(carrier, as_of):
    """Each failed evaluation up to as_of is the subject (or the second fail) of some decision."""
    decisions = manage(carrier, as_of, RULES)
    mentioned = {e for d in decisions for e in d.events}
    fails = {e.id for e in carrier.events_until(as_of) if e.type is ir.EventType.EVALUATED and e.grade is ir.Grade.FAIL}
    assert fails <= mentioned
    assert all(d.due is None or d.due > d.date for d in decisions)
