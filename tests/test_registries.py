"""Each registry is whole and consistent: what the reader, the engines and the schemas look up is declared once."""

import importlib
import pkgutil

import incubator_rules
import incubator_rules.kinds as kinds_package
from incubator_rules.files.types import FILE_TYPE_TABLE, FILE_TYPES, POLICY_FILE_TYPES, VERSIONED
from incubator_rules.kinds import DECIDERS, KINDS, MATCHES, RULE_PLACEHOLDERS, RuleKind
from incubator_rules.model.carrier import EVENT_TYPES, OPERATION_STATES, Event, EventType

CHECKS = {"table", "duration", "grades", "rule"}


def test_every_kind_module_declares_one_kind_and_is_registered():
    modules = [m.name for m in pkgutil.iter_modules(kinds_package.__path__)
               if m.name not in ("base", "generic", "checks", "occurrences", "schedule", "caps")]  # what kinds share
    declared = {}
    for name in modules:
        kind = importlib.import_module(f"incubator_rules.kinds.{name}").KIND
        assert isinstance(kind, RuleKind) and kind.name == name, f"kinds/{name}.py declares {kind.name}"
        declared[name] = kind
    assert declared == dict(KINDS), "every kind module has its line in KINDS, and nothing else does"


def test_each_kind_declares_what_the_reader_and_the_engines_need():
    for name, kind in KINDS.items():
        assert all(check in CHECKS or callable(check) for check in kind.params.values()), name
        assert all(name_ in kind.schemas for name_, check in kind.params.items() if callable(check)), name
        assert set(kind.references) == {p for p, check in kind.params.items() if check == "rule"}, name
        assert set(kind.references.values()) <= set(KINDS), name
        assert all(kind.roles.values()), f"{name}: a reading role with no alternative it can apply"
        assert len(set(kind.codes)) == len(kind.codes), name
        assert (kind.decider is None) == (name not in DECIDERS)
        assert MATCHES[name] == kind.matches
        if kind.decider is not None:
            assert kind.matches and kind.codes, f"{name} decides, so it matches events and explains outcomes"
    assert {"amount", "date", "level"} <= RULE_PLACEHOLDERS


def test_event_types_are_declared_once_in_same_day_order():
    assert list(EVENT_TYPES) == list(EventType)
    assert [t.rank for t in EventType] == list(range(len(EventType)))
    optional = {f.name for f in Event.__attrs_attrs__} - {"id", "type", "date", "document", "note"}
    for etype, spec in EVENT_TYPES.items():
        assert set(spec.fields) <= optional, etype
        assert set(spec.fields.values()) <= {"r", "o"}, etype
        if spec.operation is not None:
            state, _ = spec.operation
            assert 0 <= state < len(OPERATION_STATES), etype
    # every state that can be entered can be left again, and operation can begin after leaving it
    for state in range(len(OPERATION_STATES)):
        entered = [t for t, s in EVENT_TYPES.items() if s.operation == (state, True)]
        left = [t for t, s in EVENT_TYPES.items() if s.operation == (state, False)]
        assert entered and left, OPERATION_STATES[state]
        assert all(EVENT_TYPES[t].starts for t in left), OPERATION_STATES[state]


def test_file_types_are_one_table():
    names = [ft.name for ft in FILE_TYPE_TABLE]
    assert len(set(names)) == len(names)
    assert FILE_TYPES == tuple(names)
    assert set(VERSIONED) <= set(FILE_TYPES)
    assert list(POLICY_FILE_TYPES)[0] == "reward"  # a policy file with no `type:` is a reward ruleset
    assert all(ft.loader.startswith("incubator_rules.") for ft in FILE_TYPE_TABLE)
    for ft in FILE_TYPE_TABLE:  # the loader an error message names exists
        assert callable(getattr(incubator_rules, ft.loader.removeprefix("incubator_rules.")))
