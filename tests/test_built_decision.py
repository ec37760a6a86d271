"""``built_decision`` (the deciders' quick way to make a decision) makes exactly what ``Decision(...)`` makes:
equal, with the same hash, pickle, repr, plain data and JSON, and the same result of ``attrs.evolve``."""

import copy
import datetime
import pickle

import attrs
from hypothesis import given
from hypothesis import strategies as st

import incubator_rules as ir
from incubator_rules.model.decision import Condition, Decision, Evaluation, InstalmentShare, built_decision, built_evaluation
from incubator_rules.model.ruleset import Citation

TEXT = st.text(max_size=8)
DAYS = st.none() | st.dates(datetime.date(1999, 1, 1), datetime.date(2031, 12, 31))
CITATIONS = st.lists(st.builds(Citation, clause=TEXT, document=TEXT, document_title=TEXT, document_number=st.none() | TEXT,
                                      section=TEXT, text=TEXT), max_size=3).map(tuple)
CONDITIONS = st.none() | st.builds(Condition, rule=TEXT, status=st.sampled_from(["met", "pending", "ended"]),
                                   counted_from=DAYS, date=DAYS, events=st.lists(TEXT, max_size=3).map(tuple),
                                   citations=CITATIONS)
SHARES = st.none() | st.builds(InstalmentShare, number=st.integers(1, 5), count=st.integers(1, 5), share=TEXT, due_on=DAYS)
AMOUNTS = st.none() | st.integers(-10**9, 10**9)

FIELDS = st.fixed_dictionaries({
    "rule": TEXT, "status": st.sampled_from(["awarded", "pending", "not_awarded"]), "reason": TEXT,
    "amount": st.integers(-10**9, 10**9), "payable_on": DAYS, "events": st.lists(TEXT, max_size=4).map(tuple),
    "citations": CITATIONS, "explanation_zh": TEXT, "explanation_en": TEXT,
    "level": st.none() | st.sampled_from(list(ir.Level)), "kind": st.none() | st.sampled_from(list(ir.CarrierKind)),
    "full_amount": AMOUNTS, "already_received": AMOUNTS, "amount_in_force_from": DAYS, "condition": CONDITIONS,
    "instalment": SHARES,
})
NAMES = [a.name for a in attrs.fields(Decision)]


@given(FIELDS, st.integers(9, len(NAMES)), st.data())
def test_built_decision_is_the_decision(fields, given_count, data):
    args = [fields[n] for n in NAMES[:given_count]]  # the trailing defaults left out, as deciders leave them
    expected = Decision(*args)
    built = built_decision(*args)
    assert type(built) is Decision
    assert built == expected and not built != expected
    assert hash(built) == hash(expected)
    assert repr(built) == repr(expected)
    assert built.to_dict() == expected.to_dict()
    assert pickle.dumps(built) == pickle.dumps(expected)
    assert pickle.loads(pickle.dumps(built)) == expected
    assert copy.deepcopy(built) == expected
    assert attrs.asdict(built, recurse=False) == attrs.asdict(expected, recurse=False)
    changes = data.draw(st.dictionaries(st.sampled_from(NAMES), st.none() | TEXT, max_size=3))
    assert attrs.evolve(built, **changes) == attrs.evolve(expected, **changes)
    assert attrs.astuple(built, recurse=False) == attrs.astuple(expected, recurse=False)  # same fields, same order
    assert not hasattr(built, "__dict__") and not hasattr(expected, "__dict__")  # slotted, both


def test_built_decision_is_frozen():
    d = built_decision("r", "awarded", "awarded", 1, None, ("e1",), (), "", "")
    try:
        d.amount = 2  # type: ignore[misc]
    except attrs.exceptions.FrozenInstanceError:
        pass
    else:
        raise AssertionError("a built decision could be changed")
    assert d.amount == 1


@given(st.sampled_from(["wanzhou-2023", "xian-municipal-maker-space"]), st.booleans(), st.integers(0, 3))
def test_built_context_is_the_context(ruleset_id, detail, which):
    from incubator_rules.kinds.base import Context, built_context
    from incubator_rules.tools.synthetic import generate_portfolio

    rs = ir.load_ruleset(ruleset_id)
    carrier = generate_portfolio(4, "built-context")[which]
    readings = rs.resolve_readings(None)
    day = datetime.date(2026, 12, 31)
    expected = Context(carrier, carrier.timeline, day, rs, readings, detail)
    built = built_context(carrier, carrier.timeline, day, rs, readings, detail)
    assert type(built) is Context
    assert built == expected and repr(built) == repr(expected)
    assert built.ruleset is expected.ruleset  # resolved under the readings, as Context resolves it
    assert attrs.evolve(built, detail=not detail) == attrs.evolve(expected, detail=not detail)


EVALUATIONS = st.fixed_dictionaries({
    "carrier_id": TEXT, "carrier_name": TEXT, "input_digest": TEXT, "as_of": DAYS.filter(lambda d: d is not None),
    "ruleset_id": TEXT, "ruleset_version": TEXT, "ruleset_sha256": TEXT,
    "readings": st.dictionaries(TEXT, TEXT, max_size=3), "engine": st.sampled_from(["native", "durable"]),
    "awards": st.lists(FIELDS.map(lambda f: Decision(**f)), max_size=2).map(tuple),
    "pending": st.lists(FIELDS.map(lambda f: Decision(**f)), max_size=2).map(tuple),
    "not_awarded": st.lists(FIELDS.map(lambda f: Decision(**f)), max_size=2).map(tuple),
})
EVALUATION_NAMES = [a.name for a in attrs.fields(Evaluation)]


@given(EVALUATIONS, st.data())
def test_built_evaluation_is_the_evaluation(fields, data):
    expected = Evaluation(**fields)
    built = built_evaluation(*(fields[n] for n in EVALUATION_NAMES[:12]))  # all but management
    assert type(built) is Evaluation and not hasattr(built, "__dict__")
    assert built == expected and not built != expected
    assert repr(built) == repr(expected) and built.to_json() == expected.to_json()
    assert (built.total, built.pending_total, built.totals_by_rule) == (expected.total, expected.pending_total,
                                                                        expected.totals_by_rule)
    assert pickle.dumps(built) == pickle.dumps(expected)
    assert pickle.loads(pickle.dumps(built)) == expected
    assert copy.deepcopy(built) == expected and copy.copy(built) == expected
    assert attrs.astuple(built, recurse=False) == attrs.astuple(expected, recurse=False)
    assert attrs.asdict(built) == attrs.asdict(expected)
    changes = data.draw(st.dictionaries(st.sampled_from(EVALUATION_NAMES[:9]), TEXT, max_size=3))
    assert attrs.evolve(built, **changes) == attrs.evolve(expected, **changes)


def test_built_evaluation_is_frozen():
    ev = built_evaluation("c", "n", "d", datetime.date(2026, 1, 1), "r", "1", "s", {}, "native", (), (), ())
    try:
        ev.carrier_id = "x"  # type: ignore[misc]
    except attrs.exceptions.FrozenInstanceError:
        pass
    else:
        raise AssertionError("a built evaluation could be changed")
    assert ev.carrier_id == "c" and ev.management == ()
