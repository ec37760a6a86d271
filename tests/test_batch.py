"""evaluate_many: the same evaluations as evaluate, in input order, in-process, streamed or on a pool."""

import datetime
import gc
import io
import os
import signal
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import incubator_rules as ir
from incubator_rules import collector
from incubator_rules.engines import batch
from incubator_rules.engines.batch import can_fork, pack_carrier, unpack_carrier
from incubator_rules.progress import Progress
from incubator_rules.tools.synthetic import generate_portfolio, iter_portfolio

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


def test_a_pool_of_workers_equals_in_process(one_by_one):
    assert ir.evaluate_many(DISTRICT, as_of=AS_OF, workers=2, chunk_size=37) == one_by_one
    streamed = ir.evaluate_many(DISTRICT, as_of=AS_OF, workers=2, stream=True, chunk_size=50)
    assert list(streamed) == one_by_one


@pytest.mark.skipif(not can_fork(), reason="workers start by forking only where the system allows it")
def test_forked_workers_are_sent_ranges_not_carriers(one_by_one, monkeypatch):
    def refuse(*args):
        raise AssertionError("a carrier was packed to be sent")

    monkeypatch.setattr(batch, "pack_carrier", refuse)
    assert ir.evaluate_many(DISTRICT, as_of=AS_OF, workers=2, chunk_size=64) == one_by_one
    assert not batch._SHARED  # the input is let go when the pool is done


def test_workers_leave_the_cycle_collector_as_they_found_it(one_by_one):
    assert gc.isenabled() and gc.get_freeze_count() == 0
    stream = ir.evaluate_many(DISTRICT, as_of=AS_OF, workers=2, stream=True, chunk_size=50)
    assert [next(stream), *stream] == one_by_one
    assert gc.isenabled() and gc.get_freeze_count() == 0 and not batch._SHARED


def _frozen_in_worker(ev):
    return gc.get_freeze_count()


@pytest.mark.skipif(not can_fork(), reason="only forked workers inherit the parent's objects")
def test_forked_workers_never_scan_what_they_inherit_and_the_parent_thaws_at_once():
    frozen = ir.map_evaluations(_frozen_in_worker, DISTRICT[:40], as_of=AS_OF, workers=2, chunk_size=10)
    assert min(frozen) > 0  # in each worker the inherited objects are in the permanent generation
    assert gc.get_freeze_count() == 0


def test_forks_outside_a_pool_and_a_process_that_froze_its_own_objects_are_left_alone():
    forks = collector._FrozenForks()
    forks.before()
    assert not forks.thaw and gc.get_freeze_count() == 0  # a fork outside a pool freezes nothing
    gc.freeze()
    try:
        with forks:
            forks.before()
            forks.in_parent()
        assert gc.get_freeze_count() > 0  # frozen by the process itself: still frozen
    finally:
        gc.unfreeze()


@pytest.mark.skipif(not can_fork(), reason="the input is shared only with forked workers")
def test_an_abandoned_stream_in_a_reference_cycle_is_cleaned_up_by_a_collection():
    class Holder:
        pass

    holder = Holder()
    holder.me = holder  # a cycle, as a notebook object or a stored traceback makes
    holder.stream = ir.evaluate_many(DISTRICT, as_of=AS_OF, workers=2, stream=True, chunk_size=10)
    next(holder.stream)
    assert batch._SHARED
    del holder
    gc.collect()
    assert not batch._SHARED and gc.get_freeze_count() == 0


def test_a_pool_that_cannot_start_raises_a_typed_error_and_leaves_nothing_behind(monkeypatch):
    def no_shared_memory(*args, **kwargs):
        raise OSError(38, "Function not implemented")  # what multiprocessing raises without /dev/shm

    monkeypatch.setattr(batch, "ProcessPoolExecutor", no_shared_memory)
    with pytest.raises(ir.EngineError, match="cannot start a pool of 2 worker processes"):
        ir.evaluate_many(DISTRICT, as_of=AS_OF, workers=2)
    assert not batch._SHARED


@pytest.mark.parametrize("call", ["evaluate_many", "map_evaluations", "compare"])
@pytest.mark.parametrize("bad", [0, -3, 2.5])
def test_a_bad_chunk_size_is_refused_not_replaced(call, bad):
    with pytest.raises(ir.IncubatorRulesError, match="chunk_size"):
        if call == "evaluate_many":
            ir.evaluate_many(DISTRICT[:5], as_of=AS_OF, chunk_size=bad)
        elif call == "map_evaluations":
            ir.map_evaluations(total_of, DISTRICT[:5], as_of=AS_OF, workers=2, chunk_size=bad)
        else:
            ir.compare(DISTRICT[:5], as_of=AS_OF, workers=2, chunk_size=bad)


@pytest.mark.parametrize("where", ["generator", "durable", "executor"])
def test_a_function_that_must_travel_but_cannot_be_pickled_is_refused_before_any_work(where, monkeypatch):
    started = []
    monkeypatch.setattr(batch, "local_pool", lambda *a, **k: started.append(a))
    with pytest.raises(ir.IncubatorRulesError, match="func") as caught:
        if where == "generator":
            ir.map_evaluations(lambda ev: ev.total, iter(DISTRICT[:10]), as_of=AS_OF, workers=2, stream=True)
        elif where == "durable":
            ir.map_evaluations(lambda ev: ev.total, DISTRICT[:4], as_of=AS_OF, workers=2, engine="durable", stream=True)
        else:
            with ThreadPoolExecutor(1) as pool:
                ir.map_evaluations(lambda ev: ev.total, DISTRICT[:4], as_of=AS_OF, executor=pool, stream=True)
    assert "module level" in str(caught.value)
    assert not started


HELD_LOCK = """
import datetime, threading, time
import incubator_rules as ir
from incubator_rules.engines import durable
from incubator_rules.tools.synthetic import generate_portfolio
carriers = generate_portfolio(8, seed=5)
def busy():
    with durable._LOCK:  # another thread in the middle of a durable evaluation
        time.sleep(1.0)
if __name__ == "__main__":
    threading.Thread(target=busy).start()
    time.sleep(0.1)
    evs = ir.evaluate_many(carriers, as_of=datetime.date(2026, 12, 31), workers=2, engine="durable")
    print(len(evs))
"""


def test_durable_workers_do_not_inherit_another_threads_lock(tmp_path):
    pytest.importorskip("durable")
    script = tmp_path / "held_lock.py"
    script.write_text(HELD_LOCK, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("evaluate_many(workers=2, engine='durable') hung on a lock copied into forked workers")
    assert proc.returncode == 0, err
    assert out.strip() == "8"


def test_workers_send_carriers_where_they_cannot_fork(one_by_one, monkeypatch):
    monkeypatch.setattr(batch, "can_fork", lambda: False)
    assert ir.evaluate_many(DISTRICT[:60], as_of=AS_OF, workers=2, chunk_size=16) == one_by_one[:60]
    generator = ir.evaluate_many(iter(DISTRICT[:60]), as_of=AS_OF, workers=2, stream=True, chunk_size=16)
    assert list(generator) == one_by_one[:60]


def test_the_durable_engine_on_workers_is_sent_its_carriers(monkeypatch):
    pytest.importorskip("durable")

    def refuse(*args, **kwargs):
        raise AssertionError("durable-rules must not be forked")

    monkeypatch.setattr(batch, "_evaluate_shared", refuse)
    evs = ir.evaluate_many(DISTRICT[:8], as_of=AS_OF, workers=2, engine="durable")
    assert [e.engine for e in evs] == ["durable"] * 8
    assert [e.total for e in evs] == [ir.evaluate(c, as_of=AS_OF).total for c in DISTRICT[:8]]


def total_of(ev):
    return (ev.carrier_id, ev.total, ev.pending_total)


@pytest.mark.parametrize("where", ["in_process", "workers", "executor"])
def test_map_evaluations_returns_what_the_function_makes_in_input_order(one_by_one, where):
    expected = [total_of(ev) for ev in one_by_one]
    if where == "executor":
        with ProcessPoolExecutor(2) as pool:
            assert ir.map_evaluations(total_of, DISTRICT, as_of=AS_OF, executor=pool, chunk_size=33) == expected
    else:
        got = ir.map_evaluations(total_of, DISTRICT, as_of=AS_OF, workers=2 if where == "workers" else None, stream=True)
        assert list(got) == expected


def refuse_carrier_7(ev):
    if ev.carrier_id == DISTRICT[7].id:
        raise ir.CarrierError("refused on purpose", field="events[3].date", file="district.yaml", line=12)
    return ev.total


@pytest.mark.parametrize("where", ["workers", "executor"])
def test_an_error_in_a_worker_reaches_the_caller_typed_and_located(where):
    with pytest.raises(ir.CarrierError) as caught:
        if where == "workers":
            ir.map_evaluations(refuse_carrier_7, DISTRICT[:20], as_of=AS_OF, workers=2, chunk_size=4)
        else:
            with ProcessPoolExecutor(2) as pool:
                ir.map_evaluations(refuse_carrier_7, DISTRICT[:20], as_of=AS_OF, executor=pool, chunk_size=4)
    assert (caught.value.field, caught.value.file, caught.value.line) == ("events[3].date", "district.yaml", 12)
    assert not batch._SHARED


@pytest.mark.skipif(not can_fork(), reason="only forked workers can run a function that cannot be pickled")
def test_forked_workers_run_a_lambda():
    lengths = ir.map_evaluations(lambda ev: len(ev.to_json()), DISTRICT[:40], as_of=AS_OF, workers=2)
    assert lengths == [len(ir.evaluate(c, as_of=AS_OF).to_json()) for c in DISTRICT[:40]]


def test_workers_are_checked_before_any_work():
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ir.IncubatorRulesError, match="workers"):
            ir.evaluate_many(DISTRICT, as_of=AS_OF, workers=bad)
    with ThreadPoolExecutor(2) as pool, pytest.raises(ir.IncubatorRulesError, match="not both"):
        ir.evaluate_many(DISTRICT, as_of=AS_OF, workers=2, executor=pool)
    with pytest.raises(ir.IncubatorRulesError, match="func"):
        ir.map_evaluations("total", DISTRICT, as_of=AS_OF)
    with pytest.raises(ir.IncubatorRulesError, match=r"carriers\[1\]"):
        ir.evaluate_many([DISTRICT[0], "carrier"], as_of=AS_OF, workers=2, stream=True)


def test_one_worker_means_in_process(one_by_one, monkeypatch):
    monkeypatch.setattr(batch, "local_pool", None)  # would fail if a pool were started
    assert ir.evaluate_many(DISTRICT, as_of=AS_OF, workers=1) == one_by_one


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


def test_the_collector_pause_nests_and_restores_what_it_found():
    pause = collector._CollectorPause()
    assert gc.isenabled()
    with pause:
        with pause:
            assert not gc.isenabled()
        assert not gc.isenabled()  # an outer pause is still on
    assert gc.isenabled()
    gc.disable()  # a caller who turned it off keeps it off
    try:
        with pause:
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_pauses_in_two_threads_leave_the_collector_on():
    import threading

    pause = collector._CollectorPause()
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = []

    def a():
        with pause:
            a_in.set()
            b_in.wait()
        a_out.set()

    def b():
        a_in.wait()
        with pause:  # entered while a's pause is on: it must not take "off" for the state to restore
            b_in.set()
            a_out.wait()
            seen.append(gc.isenabled())  # a has left, b is still inside

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [False]
    assert gc.isenabled()


def test_batches_from_several_threads_give_the_same_results_and_leave_the_collector_on(one_by_one):
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(lambda _: ir.evaluate_many(DISTRICT, as_of=AS_OF, stream=True), range(4)))
        results = list(pool.map(list, runs))
    assert all(r == one_by_one for r in results)
    assert gc.isenabled()


@given(total=st.integers(0, 20_000), workers=st.integers(1, 8), size=st.integers(1, 2_000), fixed=st.booleans())
@settings(max_examples=300, deadline=None)
def test_spans_cover_every_position_once_in_order(total, workers, size, fixed):
    ranges = list(batch.spans(total, workers, size, fixed))
    assert [i for r in ranges for i in r] == list(range(total))
    assert all(0 < len(r) <= size for r in ranges)
    if fixed:
        assert all(len(r) == size for r in ranges[:-1])
    else:  # they only shrink, and never below 100 (or size) but for the remainder
        assert all(len(a) >= len(b) for a, b in zip(ranges, ranges[1:-1]))
        assert all(len(r) >= min(size, 100) for r in ranges[:-1])


def test_pool_ranges_shrink_towards_the_end_unless_a_chunk_size_is_given():
    guided = [len(r) for r in batch.spans(100_000, 2, 2_000)]
    assert guided[0] == 2_000 and guided[-1] <= 100
    assert [len(r) for r in batch.spans(100_000, 2, 2_000, fixed=True)] == [2_000] * 50


def test_workers_without_a_chunk_size_equal_in_process(one_by_one):
    assert ir.evaluate_many(DISTRICT, as_of=AS_OF, workers=2) == one_by_one
    assert ir.budget(DISTRICT, as_of=AS_OF, workers=2) == ir.budget(DISTRICT, as_of=AS_OF)
    assert ir.compare(DISTRICT, as_of=AS_OF, workers=2) == ir.compare(DISTRICT, as_of=AS_OF)


def test_an_executor_is_sent_chunks_that_shrink_towards_the_end(monkeypatch):
    district = generate_portfolio(2_000, seed=6)
    sent = []
    real = batch._evaluate_chunk

    def recording(job, packed):
        sent.append((packed[0][0], len(packed)))  # the first carrier's id: two threads may record out of order
        return real(job, packed)

    monkeypatch.setattr(batch, "_evaluate_chunk", recording)
    with ThreadPoolExecutor(2) as pool:
        assert ir.evaluate_many(district, as_of=AS_OF, executor=pool) == ir.evaluate_many(district, as_of=AS_OF)
    position = {c.id: i for i, c in enumerate(district)}
    sizes = [size for _, size in sorted(sent, key=lambda s: position[s[0]])]
    assert sum(sizes) == 2_000 and sizes[0] > sizes[-1] and sizes == sorted(sizes, reverse=True)


def test_spans_refuse_a_size_or_pool_that_would_never_end():
    for size, workers in ((0, 2), (10, 0)):
        with pytest.raises(ValueError):
            list(batch.spans(10, workers, size))


def test_pools_that_send_their_carriers_also_hand_out_shrinking_ranges(monkeypatch):
    monkeypatch.setattr(batch, "can_fork", lambda: False)
    sizes = []
    real = batch.run_chunks

    def watched(pool, func, chunks, args, held=None):
        def each():
            for chunk in chunks:
                sizes.append(len(chunk))
                yield chunk

        return real(pool, func, each(), args, held)

    monkeypatch.setattr(batch, "run_chunks", watched)
    carriers = DISTRICT * 5  # 2,000 carriers: 125 a range by default, enough to shrink
    assert len(ir.evaluate_many(carriers, as_of=AS_OF, workers=2, progress=False)) == 2_000
    assert sizes == [len(r) for r in batch.spans(2_000, 2, batch._chunk_size(2_000, 2))] and sizes[0] > sizes[-2]


def test_a_bad_line_in_a_streamed_file_comes_after_every_evaluation_before_it(tmp_path):
    path = tmp_path / "portfolio.jsonl"
    ir.save_portfolio(DISTRICT[:12], path, id="p", name="p")  # a header line, then one line per carrier
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[6] = '{"id": "broken", "name": "x", "kind": "no_such_kind", "events": []}\n'  # the sixth carrier
    path.write_text("".join(lines), encoding="utf-8")
    got = []
    with pytest.raises(ir.IncubatorRulesError) as caught:
        for ev in ir.evaluate_many(str(path), as_of=AS_OF, stream=True):  # one chunk of 500 would hold them all
            got.append(ev.carrier_id)
    assert got == [c.id for c in DISTRICT[:5]]
    assert caught.value.line == 7
