"""The durable engine: what it compiles, the safe configuration it keeps, isolation, threads."""

from __future__ import annotations

import copy
import datetime
import json
import random
import re
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attrs
import pytest

import incubator_rules as ir
from incubator_rules.engines import durable
from incubator_rules.model.carrier import CarrierKind, EventType, Grade, Level
from incubator_rules.views.cli import main
from incubator_rules.kinds import Context

pytest.importorskip("durable.engine", reason="the durable engine needs durable-rules (pip install -e '.[durable]')")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from durable_stress import random_history, random_readings  # noqa: E402

AS_OF = datetime.date(2026, 12, 31)
WANZHOU = ir.load_ruleset("wanzhou-2023")
RULESETS = [ir.load_ruleset(p) for p in ir.shipped_rulesets()]


def carrier(kind: str, *events: dict, cid: str = "c1") -> ir.Carrier:
    return ir.Carrier.from_dict({"id": cid, "name": f"carrier {cid}", "kind": kind, "events": list(events)})


STAR = carrier(
    "star_innovation_space",
    {"id": "a", "type": "filed", "date": "2023-10-10", "level": "municipal"},
    {"id": "b", "type": "filed", "date": "2024-12-20", "level": "national"},
    {"id": "c", "type": "evaluated", "date": "2025-03-01", "year": 2024, "level": "national", "grade": "excellent"},
)


def same(ruleset: ir.Ruleset, c: ir.Carrier, engine: durable.DurableEngine | None = None, **readings: str) -> ir.Evaluation:
    """Evaluate on the durable engine (``engine`` or the default one) and check it against the native engine."""
    native = ir.evaluate(c, ruleset, AS_OF, readings)
    if engine is None:
        got = ir.evaluate(c, ruleset, AS_OF, readings, engine="durable")
    else:
        ctx = Context(c, c.events_until(AS_OF), AS_OF, ruleset, ruleset.resolve_readings(readings))
        got = ir.engines.evaluation.assemble(ctx, engine.decisions(ctx), "durable")
    assert native == attrs.evolve(got, engine="native")
    return got


def variant(ruleset: ir.Ruleset, **changes: object) -> ir.Ruleset:
    """A copy of a ruleset's data with top-level fields replaced."""
    data = copy.deepcopy(dict(ruleset.data))
    data.update(changes)
    return ir.ruleset_from_dict(data)


# --- compiling ---------------------------------------------------------------------


def _unsafe(expr: object, aliases: set[str], where: str) -> list[str]:
    """Tests outside the clean set: literal equality, $and of them, equality with another pattern's field."""
    if not isinstance(expr, dict) or len(expr) != 1:
        return [f"{where}: not a single test: {expr!r}"]
    (key, value), = expr.items()
    if key == "$and":
        return [p for i, e in enumerate(value) for p in _unsafe(e, aliases, f"{where}.$and[{i}]")]
    if key.startswith("$"):
        return [f"{where}: operator {key}"]
    if isinstance(value, dict):  # a reference: {"field": {"alias": "field"}}
        if len(value) == 1 and next(iter(value)) in aliases:
            return []
        return [f"{where}: {key} compares with {value!r}"]
    return [] if isinstance(value, (str, int)) and not isinstance(value, bool) else [f"{where}: literal {value!r}"]


@pytest.mark.parametrize("ruleset", RULESETS, ids=lambda r: r.id)
def test_compiled_rules_use_only_the_clean_shapes(ruleset):
    compiled = durable.compile_ruleset(ruleset)
    problems = []
    for name, rule in compiled.rules.items():
        if set(rule) != {"all", "run"}:
            problems.append(f"{name}: keys {sorted(rule)}")
        aliases: set[str] = set()
        for pattern in rule["all"]:
            (alias, expr), = pattern.items()
            problems += _unsafe(expr, aliases, f"{name}.{alias}")
            aliases.add(alias.removesuffix("$not"))
        kind, _, index = rule["run"].partition(":")
        if kind not in durable.ACTIONS:
            problems.append(f"{name}: unknown action {rule['run']}")
    assert [] == problems


def test_checker_rejects_a_comparison_with_another_pattern():
    expr = {"$and": [{"t": "b"}, {"$gt": {"v": {"a": "v"}}}]}
    assert _unsafe(expr, {"a"}, "r") == ["r.$and[1]: operator $gt"]


def test_one_rule_per_deciding_rule_and_event_type():
    compiled = durable.compile_ruleset(WANZHOU)
    matching = sorted(n for n in compiled.rules if not n.startswith(("sink/", "session")))
    assert [
        "01-accreditation-subsidy/accredited", "01-accreditation-subsidy/accredited/no-column",
        "01-accreditation-subsidy/filed", "01-accreditation-subsidy/filed/no-column",
        "03-evaluation-excellence/evaluated", "03-evaluation-excellence/evaluated/no-column",
    ] == matching  # the upgrade differential is decided with the accreditation subsidy it tops up
    assert (1, 3) == compiled.deciding
    assert ("incubator", "maker_space") == compiled.columns
    assert {("incubator", 0), ("maker_space", 1), ("star_innovation_space", 1)} == {
        (f["kind"], f["column"]) for f in compiled.column_facts
    }


def test_the_compiled_name_follows_the_matching_not_the_amounts():
    dearer = variant(WANZHOU, version="9.9.9", id="dearer")
    narrower = variant(WANZHOU, columns={"incubator": ["incubator"], "maker_space": ["maker_space"]})
    assert durable.compile_ruleset(dearer).name == durable.compile_ruleset(WANZHOU).name
    assert durable.compile_ruleset(narrower).name != durable.compile_ruleset(WANZHOU).name


def test_cli_prints_the_compiled_ruleset(capsys):
    assert 0 == main(["compile", "--engine", "durable", "wanzhou-2023"])
    out = json.loads(capsys.readouterr().out)
    assert durable.compile_ruleset(WANZHOU).to_dict() == out
    assert "01-accreditation-subsidy/filed" in out["definition"][out["name"]]


def test_cli_evaluates_on_the_durable_engine(capsys):
    assert 0 == main(["evaluate", "examples/q6-maker-space.yaml", "--as-of", "2026-06-30", "--engine", "durable", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert ("durable", 500_000) == (out["engine"], out["totals"]["awarded"])


# --- the safe configuration ---------------------------------------------------------


def test_fnv1a_is_durable_rules_hash():
    # The collision observed in docs/engines.md, and the C engine's constants for "sid" and "id".
    assert durable.fnv1a32("cocnki84gb") == durable.fnv1a32("c69449ovqg")
    assert (3593476751, 926444256) == (durable.fnv1a32("sid"), durable.fnv1a32("id"))


def test_field_names_and_matched_values_have_distinct_hashes():
    fields = ["f", "n", "t", "kind", "level", "date", "column", "sid", "id", "$s"]
    values = [durable.EVENT, durable.COLUMN, durable.SESSION, durable.NEVER]
    values += [m.value for enum in (EventType, CarrierKind, Level) for m in enum]
    for names in (fields, values):
        assert len(names) == len({durable.fnv1a32(n) for n in names})


def test_carrier_text_never_reaches_the_engine():
    c = carrier(
        "maker_space",
        {"id": "$s", "type": "filed", "date": "2023-10-10", "level": "municipal", "note": '{"$s": 1, "sid": "0"}'},
        {"id": "sid", "type": "suspended", "date": "2024-01-01", "document": "id"},
        {"id": "id", "type": "resumed", "date": "2024-02-01"},
        cid="$s",
    )
    ctx = Context(c, c.timeline, AS_OF, WANZHOU, WANZHOU.resolve_readings())
    facts = durable.event_facts(ctx)
    assert all(set(f) <= {"f", "n", "t", "kind", "level", "date"} for f in facts)
    assert "$s" not in json.dumps(facts)
    with pytest.raises(ir.RulesetError, match="no space or '#'"):  # a ruleset id is one word, checked where declared
        variant(WANZHOU, id="$s")
    award, = same(WANZHOU, c).awards  # municipal filing; the year restarts when the suspension ends
    assert (200_000, datetime.date(2025, 2, 1)) == (award.amount, award.payable_on)


def test_ruleset_text_never_reaches_the_engine():
    data = copy.deepcopy(dict(WANZHOU.data))
    data["rules"][3]["id"] = "绩效$评估 {sid}"
    data["columns"] = {"$s": data["columns"]["incubator"], "maker_space": data["columns"]["maker_space"]}
    for table in data["tables"].values():
        table["columns"]["$s"] = table["columns"].pop("incubator")
    ruleset = ir.ruleset_from_dict(data)
    compiled = durable.compile_ruleset(ruleset)
    assert all(re.fullmatch(r"[0-9A-Za-z_/-]+", name) for name in compiled.rules), list(compiled.rules)
    assert "$s" not in json.dumps([compiled.definition, compiled.column_facts])
    assert 600_000 == same(ruleset, STAR).total


def test_colliding_carrier_ids_get_separate_sessions():
    a = carrier("incubator", {"type": "accredited", "date": "2023-10-10", "level": "national"}, cid="cocnki84gb")
    b = carrier("maker_space", {"type": "filed", "date": "2023-10-10", "level": "district"}, cid="c69449ovqg")
    assert (1_000_000, 100_000) == (same(WANZHOU, a).total, same(WANZHOU, b).total)


def test_facts_no_rule_wants_are_not_errors():
    c = carrier(
        "university_science_park",
        {"type": "operation_started", "date": "2023-01-01"},
        {"type": "payment_received", "date": "2023-02-01", "level": "district", "amount": 0},
        {"type": "delisted", "date": "2024-01-01"},
    )
    ev = same(WANZHOU, c)
    assert () == ev.awards + ev.pending + ev.not_awarded


def test_an_exception_in_an_action_becomes_an_engine_error(monkeypatch):
    def broken(session, index, c):
        raise KeyError("boom")

    monkeypatch.setitem(durable.ACTIONS, "matched", broken)
    engine = durable.DurableEngine()  # binds its actions when it registers the ruleset
    ctx = Context(STAR, STAR.timeline, AS_OF, WANZHOU, WANZHOU.resolve_readings())
    with pytest.raises(ir.EngineError, match="action failed.*boom"):
        engine.match(ctx)
    assert [] == engine.live_sessions(WANZHOU)
    monkeypatch.undo()
    assert 2 == len(durable.DurableEngine().match(ctx)[1])


def test_no_timer_threads_and_no_process_wide_host():
    before = threading.active_count()
    engine = durable.DurableEngine()
    same(WANZHOU, STAR, engine)
    assert before == threading.active_count()
    lang = sys.modules.get("durable.lang")
    assert lang is None or lang._main_host is None


# --- isolation ---------------------------------------------------------------------------


def test_two_rulesets_side_by_side():
    other = variant(WANZHOU, id="other-district", columns={"incubator": ["incubator"], "maker_space": ["maker_space"]})
    engine = durable.DurableEngine()
    for _ in range(3):  # interleaved
        assert 200_000 + 300_000 + 100_000 == same(WANZHOU, STAR, engine).total
        assert ("kind_not_covered",) * 3 == tuple(d.reason for d in same(other, STAR, engine).not_awarded)
    assert 2 == len(engine.registered)


def test_two_versions_of_one_ruleset():
    data = copy.deepcopy(dict(WANZHOU.data))
    data["version"] = "1.1.0"
    data["tables"]["construction_subsidy"]["columns"]["maker_space"]["values"]["national"] = 600_000
    newer = ir.ruleset_from_dict(data)
    engine = durable.DurableEngine()
    assert (600_000, 700_000) == (same(WANZHOU, STAR, engine).total, same(newer, STAR, engine).total)
    assert (600_000, 700_000) == (same(WANZHOU, STAR, engine).total, same(newer, STAR, engine).total)
    assert 1 == len(engine.registered)  # the same matching: registered once


def test_registering_again_is_harmless():
    engine = durable.DurableEngine()
    first = engine.compiled(WANZHOU)
    again = engine.compiled(ir.ruleset_from_dict(copy.deepcopy(dict(WANZHOU.data))))
    assert first == again and {first.name} == engine.registered
    assert all("run" in rule for rule in first.rules.values())  # registration mutates only a copy
    for _ in range(3):  # as when a notebook cell runs again
        same(WANZHOU, STAR, durable.DurableEngine())
        same(WANZHOU, STAR)


def test_many_carriers_leave_no_state_behind():
    # durable-rules holds at most 1024 live sessions per ruleset: 1,500 carriers
    # in sequence only pass if each session is deleted.
    engine = durable.DurableEngine()
    rng = random.Random(7)
    for i in range(1500):
        c = ir.Carrier.from_dict(random_history(rng, f"c{i}"))
        ctx = Context(c, c.timeline, AS_OF, WANZHOU, WANZHOU.resolve_readings())
        engine.match(ctx)
    assert ([], []) == (engine.live_sessions(WANZHOU), engine.abandoned)
    assert 1 == len(engine.registered)


# --- threads -----------------------------------------------------------------------------------


def test_concurrent_calls_from_several_threads():
    rng = random.Random(11)
    jobs = []
    for i in range(240):
        ruleset = RULESETS[i % len(RULESETS)]
        c = ir.Carrier.from_dict(random_history(rng, f"c{i}"))
        readings = random_readings(rng, ruleset)
        jobs.append((c, ruleset, readings, ir.evaluate(c, ruleset, AS_OF, readings)))
    other = variant(WANZHOU, id="other-district", columns={"incubator": ["incubator"], "maker_space": ["maker_space"]})
    jobs += [(c, other, {}, ir.evaluate(c, other, AS_OF)) for c, *_ in jobs[:60]]

    def run(job):
        c, ruleset, readings, native = job
        return attrs.evolve(ir.evaluate(c, ruleset, AS_OF, readings, engine="durable"), engine="native") == native

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(run, jobs))
    assert all(results)
    assert [] == durable.default_engine().live_sessions(WANZHOU)


def test_grades_and_levels_are_matched_by_python_not_by_the_engine():
    # Every grade and level reaches the deciders: the engine filters by event type and kind only.
    events = [
        {"type": "evaluated", "date": f"{2024 + i // 4}-0{1 + i % 4}-15", "year": 2023 + i // 4, "level": level.value, "grade": grade.value}
        for i, (level, grade) in enumerate((lv, g) for lv in Level for g in Grade)
    ]
    ev = same(WANZHOU, carrier("incubator", {"type": "accredited", "date": "2023-01-01", "level": "district"}, *events))
    assert 12 == sum(d.rule == "evaluation-excellence" for d in ev.awards + ev.not_awarded)
