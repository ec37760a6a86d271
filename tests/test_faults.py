"""Faults around a run (issue 11): signals, concurrent writers, dead workers, a killed parent.

The command runs in a child process through a small driver that slows each
evaluation down (a sleep in the function ``evaluate-many`` applies), so that
a signal reliably lands while the output is being written and the pool is busy.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import incubator_rules as ir
from incubator_rules.engines import batch
from incubator_rules.views.cli import main

ROOT = Path(__file__).resolve().parent.parent
LINUX = sys.platform.startswith("linux")
AS_OF = "2026-06-30"

DRIVER = """
import sys, time
import incubator_rules.views.cli as cli, incubator_rules.views.cli_stream as command
real = command.evaluation_record
def slow(ev):
    time.sleep(float(sys.argv[1]))
    return real(ev)
command.evaluation_record = slow
sys.exit(cli.main(sys.argv[2:]))
"""


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("faults") / "district.yaml"
    ir.save_carriers(path, _district(400), id="faults", name="faults")
    return path


def _district(n: int) -> list[ir.Carrier]:
    from incubator_rules.tools.synthetic import generate_portfolio

    return generate_portfolio(n, seed=11)


def start(portfolio: Path, out: Path, *extra: str, delay: float = 0.02, as_of: str = AS_OF) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    argv = ["evaluate-many", str(portfolio), "--as-of", as_of, "-o", str(out), *extra]
    return subprocess.Popen([sys.executable, "-c", DRIVER, str(delay), *argv], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def children(pid: int) -> list[int]:
    """Live (not zombie) child processes of ``pid``."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry.name))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith(".partial")]


@pytest.mark.skipif(not LINUX, reason="reads /proc to find the workers")
@pytest.mark.parametrize("workers", [None, 2])
@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129)])
def test_a_signal_during_evaluate_many_leaves_no_file_and_no_worker(portfolio, tmp_path, workers, signum, code):
    out = tmp_path / "out.jsonl"
    run = start(portfolio, out, *(["--workers", str(workers)] if workers else []), delay=0.05)
    wait_for(lambda: temporaries(tmp_path) and (not workers or len(children(run.pid)) >= workers))
    time.sleep(0.3)  # well inside the run: 400 carriers at 50 ms each, 10 s on two workers
    pool = children(run.pid)
    run.send_signal(signum)
    _, err = run.communicate(timeout=60)
    assert run.returncode == code, err
    assert "Traceback" not in err and err.strip().count("\n") == 0 and signal.Signals(signum).name in err, err
    assert list(tmp_path.iterdir()) == []
    wait_for(lambda: not any(alive(p) for p in pool), timeout=10)


@pytest.mark.skipif(not LINUX, reason="PR_SET_PDEATHSIG and /proc are Linux's")
def test_workers_end_when_their_parent_is_killed(portfolio, tmp_path):
    run = start(portfolio, tmp_path / "out.jsonl", "--workers", "2")
    wait_for(lambda: len(children(run.pid)) >= 2)
    pool = children(run.pid)
    run.kill()
    run.communicate(timeout=30)
    wait_for(lambda: not any(alive(p) for p in pool), timeout=10)


def test_two_writers_of_one_output_leave_exactly_one_complete_output(portfolio, tmp_path):
    out = tmp_path / "out.jsonl"
    expected = {}
    for as_of in ("2026-06-30", "2025-06-30"):
        alone = tmp_path / f"alone-{as_of}.jsonl"
        assert main(["evaluate-many", str(portfolio), "--as-of", as_of, "-o", str(alone)]) == 0
        expected[as_of] = alone.read_bytes()
    assert expected["2026-06-30"] != expected["2025-06-30"]
    for _ in range(2):
        runs = [start(portfolio, out, delay=0.002, as_of=as_of) for as_of in expected]
        for run in runs:
            run.communicate(timeout=120)
            assert run.returncode == 0
        assert out.read_bytes() in expected.values()
        assert temporaries(tmp_path) == []


# --- a worker that dies ----------------------------------------------------------


DISTRICT = _district(120)


def _dies_on_carrier_50(real):  # type: ignore[no-untyped-def]
    def evaluate(carrier, *args):  # type: ignore[no-untyped-def]
        if carrier.id == DISTRICT[50].id:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(carrier, *args)

    return evaluate


@pytest.mark.skipif(not batch.can_fork(), reason="the stand-in evaluation reaches forked workers only")
def test_a_dead_worker_is_a_batch_error_naming_its_range_and_the_list_keeps_what_it_had(monkeypatch):
    expected = ir.evaluate_many(DISTRICT, as_of=AS_OF)
    monkeypatch.setattr(batch, "evaluate_prepared", _dies_on_carrier_50(batch.evaluate_prepared))
    with pytest.raises(ir.BatchError, match=r"worker process died while carriers\[\d+\] to carriers\[\d+\] .*were being evaluated") as caught:
        ir.evaluate_many(DISTRICT, as_of=AS_OF, workers=2, chunk_size=10)
    error = caught.value
    assert error.position is not None and error.stop is not None and error.position <= 50 < error.stop
    assert DISTRICT[error.position].id in error.message
    assert [e.to_json() for e in error.completed] == [e.to_json() for e in expected[:error.position]]
    streamed = []
    with pytest.raises(ir.BatchError):
        for ev in ir.evaluate_many(DISTRICT, as_of=AS_OF, workers=2, chunk_size=10, stream=True):
            streamed.append(ev)
    assert [e.to_json() for e in streamed] == [e.to_json() for e in expected[:len(streamed)]]
    assert not batch._SHARED


def _fails_on_carrier_7(ev: ir.Evaluation) -> int:
    if ev.carrier_id == DISTRICT[7].id:
        raise ZeroDivisionError("a bug, not bad input")
    return ev.total


@pytest.mark.parametrize("where", ["in_process", "workers", "executor"])
def test_an_error_for_one_carrier_names_it_on_every_path(where):
    from concurrent.futures import ProcessPoolExecutor

    with pytest.raises(ir.BatchError) as caught:
        if where == "executor":
            with ProcessPoolExecutor(2) as pool:
                ir.map_evaluations(_fails_on_carrier_7, DISTRICT[:20], as_of=AS_OF, executor=pool, chunk_size=4)
        else:
            ir.map_evaluations(_fails_on_carrier_7, DISTRICT[:20], as_of=AS_OF, workers=2 if where == "workers" else None,
                               chunk_size=4)
    error = caught.value
    assert (error.position, error.carrier_id, error.field) == (7, DISTRICT[7].id, "carriers[7]")
    assert f"carrier {DISTRICT[7].id!r} (carriers[7]): ZeroDivisionError" in str(error)
    assert error.completed == [ev.total for ev in ir.evaluate_many(DISTRICT[:7], as_of=AS_OF)]


@pytest.mark.parametrize("engine", ["native", "durable"])
def test_a_carrier_corrupted_after_construction_is_named_not_a_raw_error(engine):
    if engine == "durable":
        pytest.importorskip("durable")
    broken = ir.Carrier.from_dict(DISTRICT[3].to_dict())
    filing = next(e for e in broken.events if e.level is not None)
    object.__setattr__(filing, "level", "Municipal")  # around the checks: text where an enum belongs (no member equals it)
    with pytest.raises(ir.IncubatorRulesError) as caught:
        ir.evaluate_many([*DISTRICT[:3], broken], as_of=AS_OF, engine=engine)
    assert (caught.value.position, caught.value.carrier_id) == (3, broken.id)
    assert len(caught.value.completed) == 3
