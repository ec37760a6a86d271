"""Review of session 7's ranges of JSON Lines on a pool and evaluate-many's writer thread: each test shows one
finding of /work/review-s7.md and fails on main at 7756203 (it passes once the finding is fixed)."""

import datetime
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

import incubator_rules as ir
from incubator_rules.files.portfolio_lines import line_ranges
from incubator_rules.output import BackgroundWriter
from incubator_rules.tools.synthetic import generate_portfolio
from incubator_rules.whatif import scenario as scenario_module

AS_OF = datetime.date(2025, 12, 31)
DISTRICT = generate_portfolio(120, seed=11)


def jsonl(path: Path, carriers=DISTRICT, extra: dict[int, str] | None = None, before: str = "") -> Path:
    """The carriers as a JSON Lines portfolio with a header; ``extra`` inserts lines by index; ``before`` is put
    ahead of the whole file."""
    ir.save_portfolio(list(carriers), path, id="wz", name="万州")
    lines = path.read_text(encoding="utf-8").splitlines()
    for index, text in sorted((extra or {}).items()):
        lines.insert(index, text)
    path.write_text(before + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def twin_of(index: int) -> str:
    return json.dumps(json.loads(json.dumps(DISTRICT[index].to_dict(), default=str)), ensure_ascii=False)


def streamed(run) -> tuple[int, str]:
    """How many results a stream yields before its error, and the error."""
    got = 0
    with pytest.raises(ir.IncubatorRulesError) as caught:
        for _ in run():
            got += 1
    return got, str(caught.value)


# --- 0. a bad line on a pool can hang for ever ---------------------------------------------------------------------

HANG = """
import sys
import incubator_rules as ir

def big(ev):  # a large result per carrier, as a row of many columns or an evaluation's JSON would be
    return b"x" * 100_000

try:
    for _ in ir.map_evaluations(big, sys.argv[1], as_of="2025-12-31", workers=2, stream=True, chunk_size=50):
        pass
except ir.IncubatorRulesError as exc:
    print(exc.line)
"""


def test_a_bad_line_on_a_pool_is_raised_and_does_not_hang(tmp_path):
    path = jsonl(tmp_path / "p.jsonl", generate_portfolio(800, seed=4), extra={200: '{"id": "broken"'})
    try:
        run = subprocess.run([sys.executable, "-c", HANG, str(path)], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        # main: local_pool kills the workers while one is writing its result; the pool's thread then waits for the
        # rest of that message for ever, and shutdown(wait=True) with it (7ab6aea raised this in 0.3 s)
        pytest.fail("the pool hung after the error")
    assert run.stdout.split() == ["201"], run.stderr


# --- 1. results before a bad line are lost on a pool ------------------------------------------------------------


def test_a_stream_on_a_pool_yields_every_result_before_a_bad_line_as_one_process_does(tmp_path):
    path = jsonl(tmp_path / "p.jsonl", extra={100: '{"id": "broken", "kind": "incubator"'})
    alone = streamed(lambda: ir.evaluate_many(path, as_of=AS_OF, stream=True))
    pooled = streamed(lambda: ir.evaluate_many(path, as_of=AS_OF, workers=2, stream=True))
    assert alone[0] == 99
    assert pooled == alone  # 54 on main: the range holding the bad line is dropped whole


def test_a_stream_on_a_pool_yields_every_result_before_a_repeated_id_as_one_process_does(tmp_path):
    path = jsonl(tmp_path / "p.jsonl", extra={110: twin_of(3)})
    alone = streamed(lambda: ir.evaluate_many(path, as_of=AS_OF, stream=True))
    pooled = streamed(lambda: ir.evaluate_many(path, as_of=AS_OF, workers=2, stream=True))
    assert pooled == alone


# --- 2. levels a ruleset declares: read on a pool, refused in one process ----------------------------------------

COUNTY = ir.load_ruleset(Path(__file__).resolve().parent / "rulesets" / "quanzhou-incubator-2013.yaml")  # declares county


def outcome(run):
    try:
        return ("ok", run().total)
    except ir.IncubatorRulesError as exc:
        return (type(exc).__name__, str(exc))


def test_a_level_the_ruleset_declares_is_read_alike_with_and_without_a_pool(tmp_path):
    rs = COUNTY
    path = tmp_path / "county.jsonl"
    path.write_text("".join(json.dumps({"id": f"c{i}", "name": "c", "kind": "incubator", "events": [
        {"id": "k", "date": "2020-01-01", "type": "accredited", "level": "county"}]}) + "\n" for i in range(5)))
    alone = outcome(lambda: ir.evaluate_many(path, rs, "2020-12-31"))
    pooled = outcome(lambda: ir.evaluate_many(path, rs, "2020-12-31", workers=2))
    assert alone[0] == "ok" and pooled == alone  # before: one process refused 'county' (unknown Level), the pool paid


# --- 3. a CarrierStream already started is read again from its first line on a pool --------------------------


def test_a_stream_already_started_is_evaluated_from_where_it_is_on_a_pool_too(tmp_path):
    path = jsonl(tmp_path / "p.jsonl")
    counts = []
    for workers in (None, 2):
        stream = ir.iter_carriers(path)
        next(stream)
        counts.append(len(ir.evaluate_many(stream, as_of=AS_OF, workers=workers)))
    assert counts == [len(DISTRICT) - 1] * 2  # main: [119, 120]


# --- 4. blank lines before the header ----------------------------------------------------------------------------


def test_blank_lines_before_the_header_are_skipped_on_a_pool_too(tmp_path):
    path = jsonl(tmp_path / "p.jsonl", DISTRICT[:20], before="\n" * 3000)
    expected = ir.evaluate_many(path, as_of=AS_OF)
    assert len(expected) == 20
    # main: PortfolioError "the portfolio header must be the first line of the file" (line 3001)
    assert ir.evaluate_many(path, as_of=AS_OF, workers=2, chunk_size=1) == expected


# --- 5. compare: an evaluation error in a range hides an id repeated before it -----------------------------------


def test_compare_on_a_pool_raises_a_repeated_id_before_a_later_carriers_failure(tmp_path, monkeypatch):
    path = jsonl(tmp_path / "p.jsonl", extra={110: twin_of(3)})
    victim = DISTRICT[112].id  # after the repeated id, in the same range
    paid = scenario_module.paid_prepared

    def failing(carrier, *args, **kwargs):  # in this process and in the forked workers alike
        if carrier.id == victim:
            raise ValueError("boom")
        return paid(carrier, *args, **kwargs)

    monkeypatch.setattr(scenario_module, "paid_prepared", failing)
    with pytest.raises(ir.IncubatorRulesError) as alone:
        ir.compare(path, None, as_of=AS_OF)
    assert "duplicate carrier id" in str(alone.value)
    with pytest.raises(Exception) as pooled:  # main: ValueError boom; the ids of the range never reach the parent
        ir.compare(path, None, as_of=AS_OF, workers=2, chunk_size=5)
    assert (type(pooled.value), str(pooled.value)) == (type(alone.value), str(alone.value))


# --- 6. BackgroundWriter: abandon leaves an idle thread blocked for ever, after a second's wait -------------------


def test_abandoning_an_idle_writer_ends_its_thread_at_once():
    writer = BackgroundWriter(lambda data: None)
    writer.write(b"x")
    time.sleep(0.2)  # written: the thread waits for the next block
    started = time.monotonic()
    writer.close(abandon=True)  # what evaluate-many does on Ctrl-C
    took = time.monotonic() - started
    alive = writer._thread.is_alive()
    writer._blocks.put(None)  # let it go (the test's own clean-up)
    assert not alive, "the writer thread is left blocked on its empty queue"
    assert took < 0.5, f"close(abandon=True) waited {took:.2f} s"


def test_a_write_after_close_is_refused_not_dropped():
    written = []
    writer = BackgroundWriter(written.append)
    writer.close()
    with pytest.raises(Exception):  # main: queued for a thread that has ended, silently lost
        writer.write(b"lost")
    assert written == []


# --- 7. cutting a file into ranges reads all of it in this process -----------------------------------------------


def _bytes_read() -> int:
    with open("/proc/self/io") as f:
        return int(next(line for line in f if line.startswith("rchar:")).split()[1])


@pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="needs Linux's /proc/self/io")
def test_cutting_a_file_into_ranges_reads_it_only_as_the_ranges_are_asked_for(tmp_path):
    path = tmp_path / "big.jsonl"
    line = (json.dumps({"id": "x", "pad": "p" * 1000}) + "\n").encode()
    path.write_bytes(line * 8000)  # about 8 MB
    size = path.stat().st_size
    before = _bytes_read()
    ranges = line_ranges(path, [size * k // 8 for k in range(1, 8)])
    assert _bytes_read() - before < 64 * 1024  # nothing read yet but the check of the file
    first = next(ranges)
    assert first.start == 0 and _bytes_read() - before < size // 4  # the lines of the first range counted, no more
    assert len([first, *ranges]) == 8  # the rest as asked for: the parent reads the file once, beside the workers


# --- 8. the path crosses to the workers as it was given ------------------------------------------------------------


def test_a_relative_path_is_found_by_workers_that_run_elsewhere(tmp_path, monkeypatch):
    jsonl(tmp_path / "p.jsonl", DISTRICT[:30])
    monkeypatch.chdir(tmp_path)
    expected = ir.evaluate_many("p.jsonl", as_of=AS_OF)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with ProcessPoolExecutor(1, initializer=os.chdir, initargs=(str(elsewhere),)) as pool:  # as a cluster's worker
        # main: DocumentError "p.jsonl: cannot read file: No such file or directory", raised after the parent
        # read the whole file again looking for a problem
        assert ir.evaluate_many("p.jsonl", as_of=AS_OF, executor=pool) == expected


# --- 9. chunk_size is checked after the file is cut with it ------------------------------------------------------


@pytest.mark.parametrize("chunk_size", [-1, "5", 2.5])
def test_a_bad_chunk_size_is_a_typed_error_on_a_pool_too(tmp_path, chunk_size):
    path = jsonl(tmp_path / "p.jsonl", DISTRICT[:10])
    with pytest.raises(ir.IncubatorRulesError, match="chunk_size must be a whole number"):
        ir.evaluate_many(path, as_of=AS_OF, chunk_size=chunk_size)
    # main: ValueError "spans need a size ..." or TypeError, from cutting the file before the check
    with pytest.raises(ir.IncubatorRulesError, match="chunk_size must be a whole number"):
        ir.evaluate_many(path, as_of=AS_OF, workers=2, chunk_size=chunk_size)
