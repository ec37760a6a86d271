"""No compiled ruleset crashes the process: thousands of histories in a child process, and under valgrind."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("durable.engine", reason="the durable engine needs durable-rules (pip install -e '.[durable]')")

ROOT = Path(__file__).resolve().parent.parent
STRESS = ROOT / "tools" / "durable_stress.py"


def run(*command: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def explain(result: subprocess.CompletedProcess[str]) -> str:
    how = f"killed by {signal.Signals(-result.returncode).name}" if result.returncode < 0 else f"exit status {result.returncode}"
    return f"{how}\nstdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"


def test_every_ruleset_survives_thousands_of_histories():
    result = run(sys.executable, str(STRESS), "--carriers", "3000", "--seed", "3")
    assert 0 == result.returncode, explain(result)
    assert "ok" in result.stdout


def test_a_session_in_which_nothing_matched_is_deleted_safely():
    # durable-rules 2.0.28 frees uninitialised pointers when a session in which
    # no action ran is deleted: the first session of a fresh host crashed.
    code = (
        "import incubator_rules as ir\n"
        "for kind in ('maker_space', 'university_science_park'):\n"
        "    c = ir.Carrier.from_dict({'id': 'x', 'name': 'x', 'kind': kind, 'events': []})\n"
        "    ir.evaluate(c, as_of='2026-01-01', engine='durable')\n"
    )
    for _ in range(3):
        result = run(sys.executable, "-c", code)
        assert 0 == result.returncode, explain(result)


VALGRIND = shutil.which("valgrind")


def valgrind(*command: str) -> subprocess.CompletedProcess[str]:
    return run(VALGRIND, "-q", "--error-exitcode=99", "--leak-check=no", sys.executable, *command, timeout=900)


@pytest.mark.valgrind
@pytest.mark.skipif(VALGRIND is None, reason="valgrind is not on PATH")
def test_valgrind_finds_no_invalid_memory_use():
    result = valgrind(str(STRESS), "--carriers", "800", "--seed", "5", "--no-compare")
    assert 0 == result.returncode, explain(result)
    assert "Invalid" not in result.stderr and "uninitialised" not in result.stderr


@pytest.mark.valgrind
@pytest.mark.skipif(VALGRIND is None, reason="valgrind is not on PATH")
def test_valgrind_sees_the_shape_known_to_read_past_a_buffer():
    # The harness is worth something only if it notices upstream issue #381:
    # a comparison with another pattern's field combined with another test.
    code = (
        "import copy\n"
        "from durable.engine import Host\n"
        "class H(Host):\n"
        "    def _run(self): pass\n"
        "    def get_action(self, name): return lambda c: None\n"
        "h = H()\n"
        "h.register_rulesets({'bad': {'r': {'all': [{'a': {'t': 'a'}}, {'b': {'$and': [{'t': 'b'}, {'$gt': {'v': {'a': 'v'}}}]}}], 'run': 'x'}}})\n"
        "for i in range(200):\n"
        "    sid = f's{i}'\n"
        "    h.assert_facts('bad', [{'sid': sid, 't': 'a', 'v': i}, {'sid': sid, 't': 'b', 'v': i + 1}, {'sid': sid, 't': 'b', 'v': i - 1}])\n"
        "    h.delete_state('bad', sid)\n"
    )
    result = valgrind("-c", code)
    assert "Invalid read" in result.stderr, explain(result)
