"""A JSON Lines portfolio on a pool: each worker reads its own ranges of the file, and the results, the
totals and every error are those of one process reading it from start to end."""

import datetime
import json
import os
import signal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import incubator_rules as ir
from incubator_rules.engines import batch
from incubator_rules.engines.batch import byte_cuts
from incubator_rules.errors import IncubatorRulesError
from incubator_rules.files.carriers import iter_carriers, read_range
from incubator_rules.files.portfolio_lines import line_ranges
from incubator_rules.tools.synthetic import generate_portfolio
from incubator_rules.views.cli import main


AS_OF = datetime.date(2025, 12, 31)
DISTRICT = generate_portfolio(120, seed=11)


def jsonl(path: Path, carriers=DISTRICT, extra: dict[int, str] | None = None) -> Path:
    """The carriers as a JSON Lines portfolio with a header; ``extra`` replaces or inserts lines by index."""
    ir.save_portfolio(list(carriers), path, id="wz", name="万州")
    lines = path.read_text(encoding="utf-8").splitlines()
    for index, text in sorted((extra or {}).items()):
        lines.insert(index, text)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def one_process_error(path: Path) -> IncubatorRulesError:
    with pytest.raises(IncubatorRulesError) as caught:
        list(iter_carriers(path))
    return caught.value


@settings(max_examples=80, deadline=None)
@given(lines=st.lists(st.sampled_from(["a", "bb", "", "c" * 50, "é", "\r"]), max_size=30),
       cuts=st.lists(st.integers(0, 400), max_size=8))
def test_ranges_cover_the_file_in_whole_lines_and_count_them(tmp_path_factory, lines, cuts):
    path = tmp_path_factory.mktemp("r") / "f.jsonl"
    data = "".join(text + "\n" for text in lines).encode("utf-8")
    path.write_bytes(data)
    ranges = list(line_ranges(path, sorted(cuts)))
    assert ranges[0].start == 0 and ranges[-1].stop == len(data)
    for before, after in zip(ranges, ranges[1:]):
        assert before.stop == after.start > before.start  # consecutive, none empty
    for r in ranges:
        assert r.start == 0 or data[r.start - 1:r.start] == b"\n"  # each starts a line
        assert r.line == data[:r.start].count(b"\n") + 1  # and knows its number


def test_the_ranges_read_the_carriers_of_the_whole_file_in_order(tmp_path):
    path = jsonl(tmp_path / "p.jsonl")
    size = path.stat().st_size
    ranges = list(line_ranges(path, [size * k // 9 for k in range(1, 9)]))
    assert len(ranges) == 9
    assert [c for r in ranges for c in read_range(r)] == list(iter_carriers(path))


def test_byte_cuts_follow_the_pools_chunks():
    cuts = list(byte_cuts(2, None)(10 * 1024 * 1024))
    assert cuts[0] == 0 and cuts == sorted(set(cuts))
    assert len(cuts) > 4  # more ranges than workers: a slow worker holds up the last one for less time


@pytest.mark.parametrize("workers", [2])
def test_a_pool_over_a_file_gives_what_one_process_gives(tmp_path, workers):
    path = jsonl(tmp_path / "p.jsonl")
    one = ir.evaluate_many(path, as_of=AS_OF)
    assert len(one) == len(DISTRICT)
    assert ir.evaluate_many(path, as_of=AS_OF, workers=workers, chunk_size=7) == one
    assert ir.budget(path, as_of=AS_OF, workers=workers) == ir.budget(path, as_of=AS_OF)
    scenarios = [ir.Scenario("from start", readings={"year_counted_from": "operation_start"})]
    pooled = ir.compare(path, None, *scenarios, as_of=AS_OF, workers=workers, chunk_size=9)
    alone = ir.compare(path, None, *scenarios, as_of=AS_OF)
    assert pooled == alone and len(alone.carriers) == len(DISTRICT)


def test_a_bad_line_in_a_later_range_is_the_error_one_process_raises(tmp_path):
    path = jsonl(tmp_path / "p.jsonl", extra={100: '{"id": "broken", "kind": "incubator"'})
    expected = one_process_error(path)
    assert expected.line == 101
    for run in (lambda: ir.evaluate_many(path, as_of=AS_OF, workers=2, chunk_size=5),
                lambda: ir.budget(path, as_of=AS_OF, workers=2)):
        with pytest.raises(IncubatorRulesError) as caught:
            run()
        assert (type(caught.value), str(caught.value), caught.value.line) == (type(expected), str(expected), expected.line)


def test_an_id_in_two_ranges_is_the_error_one_process_raises(tmp_path):
    twin = json.loads(json.dumps(DISTRICT[3].to_dict(), default=str))
    path = jsonl(tmp_path / "p.jsonl", extra={110: json.dumps(twin, ensure_ascii=False)})
    expected = one_process_error(path)
    assert "duplicate carrier id" in str(expected) and expected.line == 111
    for run in (lambda: ir.evaluate_many(path, as_of=AS_OF, workers=2, chunk_size=5),
                lambda: ir.budget(path, as_of=AS_OF, workers=2)):
        with pytest.raises(IncubatorRulesError) as caught:
            run()
        assert str(caught.value) == str(expected)


def test_an_id_in_two_partitions_is_refused_on_a_pool(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    jsonl(folder / "a.jsonl", DISTRICT[:60])
    jsonl(folder / "b.jsonl", DISTRICT[55:])
    expected = one_process_error(folder)
    assert "also in a.jsonl" in str(expected)
    with pytest.raises(IncubatorRulesError) as caught:
        ir.evaluate_many(folder, as_of=AS_OF, workers=2)
    assert str(caught.value) == str(expected)


def test_a_carrier_that_fails_is_named_at_its_place_in_the_whole_file(tmp_path, monkeypatch):
    path = jsonl(tmp_path / "p.jsonl")
    victim = DISTRICT[97].id
    evaluate = batch.evaluate_prepared

    def failing(carrier, *args):  # one process and the forked workers alike
        if carrier.id == victim:
            raise ValueError("boom")
        return evaluate(carrier, *args)

    monkeypatch.setattr(batch, "evaluate_prepared", failing)
    with pytest.raises(IncubatorRulesError) as alone:
        ir.evaluate_many(path, as_of=AS_OF)
    assert f"carrier {victim!r} (carriers[97]): ValueError: boom" in str(alone.value)
    with pytest.raises(IncubatorRulesError) as caught:
        ir.evaluate_many(path, as_of=AS_OF, workers=2, chunk_size=5)
    assert str(caught.value) == str(alone.value)
    assert (caught.value.position, caught.value.carrier_id) == (97, victim)


def test_a_dead_worker_names_the_line_its_carriers_began_on_and_the_list_keeps_what_came_before(tmp_path, monkeypatch):
    path = jsonl(tmp_path / "p.jsonl")
    expected = ir.evaluate_many(path, as_of=AS_OF)
    evaluate = batch.evaluate_prepared

    def dying(carrier, *args):
        if carrier.id == DISTRICT[50].id:
            os.kill(os.getpid(), signal.SIGKILL)
        return evaluate(carrier, *args)

    monkeypatch.setattr(batch, "evaluate_prepared", dying)
    with pytest.raises(ir.BatchError, match=r"worker process died while the carriers from line \d+ of .*p\.jsonl on") as caught:
        ir.evaluate_many(path, as_of=AS_OF, workers=2, chunk_size=10)
    error = caught.value
    assert error.position is not None and error.position <= 50
    assert error.completed == expected[:error.position]


def test_the_command_line_pool_writes_what_one_process_writes(tmp_path):
    path = jsonl(tmp_path / "p.jsonl")
    alone, pooled = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert main(["evaluate-many", str(path), "--as-of", "2025-12-31", "-o", str(alone), "--no-progress"]) == 0
    assert main(["evaluate-many", str(path), "--as-of", "2025-12-31", "-o", str(pooled), "--workers", "2",
                              "--no-progress"]) == 0
    assert pooled.read_bytes() == alone.read_bytes()
    assert os.path.getsize(alone) > 0


def test_a_fifo_named_as_a_portfolio_is_refused_on_a_pool_as_in_one_process(tmp_path):
    fifo = tmp_path / "p.jsonl"
    os.mkfifo(fifo)
    for run in (lambda: ir.evaluate_many(fifo, as_of=AS_OF), lambda: ir.evaluate_many(fifo, as_of=AS_OF, workers=2),
                lambda: ir.budget(fifo, as_of=AS_OF, workers=2)):
        with pytest.raises(IncubatorRulesError, match="not a regular file"):
            run()  # and does not wait for a writer


def test_a_missing_json_lines_file_is_a_typed_error_naming_it(tmp_path):
    missing = tmp_path / "missing.jsonl"
    for run in (lambda: ir.evaluate_many(missing, as_of=AS_OF), lambda: ir.evaluate_many(missing, as_of=AS_OF, workers=2),
                lambda: ir.budget(missing, as_of=AS_OF)):
        with pytest.raises(IncubatorRulesError, match="no such file") as caught:
            run()
        assert caught.value.file == str(missing)
