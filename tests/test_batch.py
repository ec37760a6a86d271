"""evaluate_many: the same evaluations as evaluate, in input order, in-process, streamed or on a pool."""

import datetime
import io
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

import incubator_rules as ir
from incubator_rules.batch import pack_carrier, unpack_carrier
from incubator_rules.progress import Progress
from incubator_rules.synthetic import generate_portfolio, iter_portfolio

AS_OF = datetime.date(2026, 12, 31)
DISTRICT = generate_portfolio(400, seed=5)


@pytest.fixture(scope="module")
def one_by_one():
    return [ir.evaluate(c, as_of=AS_OF) for c in DISTRICT]


def test_in_process_equals_one_by_one(one_by_one):
    evs = ir.evaluate_many(DISTRICT, as_of=AS_OF)
    assert isinstance(evs, ir.Evaluations)
    assert evs == one_by_one
    assert evs.total == sum(e.total for e in one_by_one)


def test_readings_apply_to_every_carrier():
    readings = {"year_counted_from": "operation_start", "excellence_awards": "per_year"}
    assert ir.evaluate_many(DISTRICT[:50], as_of=AS_OF, readings=readings) == [
        ir.evaluate(c, as_of=AS_OF, readings=readings) for c in DISTRICT[:50]
    ]


def test_stream_yields_the_same_in_input_order(one_by_one):
    stream = ir.evaluate_many(iter(DISTRICT), as_of=AS_OF, stream=True, chunk_size=7)
    assert not isinstance(stream, list)
    assert list(stream) == one_by_one


def test_process_pool_equals_in_process(one_by_one):
    with ProcessPoolExecutor(2) as pool:
        assert ir.evaluate_many(DISTRICT, as_of=AS_OF, executor=pool, chunk_size=37) == one_by_one
        streamed = ir.evaluate_many(iter(DISTRICT), as_of=AS_OF, executor=pool, stream=True, chunk_size=50)
        assert list(streamed) == one_by_one


def test_thread_pool_keeps_input_order(one_by_one):
    with ThreadPoolExecutor(4) as pool:
        assert ir.evaluate_many(DISTRICT, as_of=AS_OF, executor=pool, chunk_size=3) == one_by_one


def test_carriers_survive_the_trip_to_a_worker():
    for carrier in DISTRICT:
        assert unpack_carrier(pack_carrier(carrier)) == carrier


def test_bad_arguments_fail_before_any_work():
    with pytest.raises(ir.IncubatorRulesError, match="as_of"):
        ir.evaluate_many(DISTRICT, as_of="31/12/2026", stream=True)
    with pytest.raises(ir.ReadingError):
        ir.evaluate_many(DISTRICT, as_of=AS_OF, readings={"year_counted_from": "never"}, stream=True)
    with pytest.raises(ir.EngineError):
        ir.evaluate_many(DISTRICT, as_of=AS_OF, engine="abacus")
    with pytest.raises(ir.IncubatorRulesError, match=r"carriers\[1\]"):
        ir.evaluate_many([DISTRICT[0], {"id": "x"}], as_of=AS_OF)


def test_progress_bar_can_be_forced_or_switched_off():
    shown, hidden = io.StringIO(), io.StringIO()
    with Progress(10, enabled=True, stream=shown) as bar:
        bar.update(10)
    with Progress(10, enabled=False, stream=hidden) as bar:
        bar.update(10)
    assert "100%" in shown.getvalue() and "10/10" in shown.getvalue()
    assert hidden.getvalue() == ""
    ir.evaluate_many(DISTRICT[:5], as_of=AS_OF, progress=False)


def test_progress_on_auto_stays_quiet_on_short_runs():
    out = io.StringIO()
    with Progress(None, stream=out) as bar:
        bar.update(3)
    assert out.getvalue() == ""


def test_a_portfolio_file_round_trips(tmp_path):
    path = tmp_path / "district.yaml"
    ir.save_carriers(path, DISTRICT[:30], id="test", name="test district", comment="made by a test")
    assert ir.load_carriers(path) == DISTRICT[:30]


def test_a_bad_carrier_in_a_portfolio_file_is_located(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "- {id: a, name: A, kind: maker_space, events: []}\n"
        "- id: b\n"
        "  name: B\n"
        "  kind: tea_house\n",
        encoding="utf-8",
    )
    with pytest.raises(ir.CarrierError) as info:
        ir.load_carriers(path)
    assert info.value.field == "[1].kind" and info.value.line == 4


def test_a_district_portfolio_file_gives_its_carriers():
    assert [c.id for c in ir.load_carriers("examples/wanzhou-portfolio.yaml")] == [
        c.id for c in ir.load_portfolio("examples/wanzhou-portfolio.yaml").carriers
    ]


def test_duplicate_carrier_ids_are_refused(tmp_path):
    path = tmp_path / "dup.yaml"
    ir.save_carriers(path, [DISTRICT[0], DISTRICT[0]], id="dup", name="dup")
    with pytest.raises(ir.IncubatorRulesError, match="duplicate carrier id"):
        ir.load_carriers(path)


def test_streaming_a_generator_does_not_need_a_list():
    evs = ir.evaluate_many(iter_portfolio(60, seed=9), as_of=AS_OF, stream=True, chunk_size=10)
    assert [e.carrier_id for e in evs] == [c.id for c in generate_portfolio(60, seed=9)]
