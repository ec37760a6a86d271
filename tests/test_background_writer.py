"""The writer thread of evaluate-many: blocks written in order, a file's pages synced as it grows, and a failed
write raised to the caller with its own type, nothing written after it."""

import errno
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import incubator_rules as ir
from incubator_rules.output import BackgroundWriter
from incubator_rules.tools.synthetic import generate_portfolio
from incubator_rules.views.cli import main
from incubator_rules.model.jsonlines import evaluation_bytes

ROOT = Path(__file__).resolve().parent.parent


@given(st.lists(st.binary(max_size=40), max_size=60), st.integers(1, 4))
def test_every_block_is_written_once_in_order(blocks, depth):
    written: list[bytes] = []
    writer = BackgroundWriter(written.append, depth=depth)
    for block in blocks:
        writer.write(block)
    writer.close()
    assert written == blocks


def test_a_file_is_synced_each_time_enough_has_been_written():
    written, syncs = [], []
    writer = BackgroundWriter(written.append, sync=lambda: syncs.append(sum(map(len, written))), sync_every=10)
    for _ in range(7):
        writer.write(b"abcd")
    writer.close()
    assert syncs == [12, 24]  # after 12 bytes, then 12 more: the last 4 are left to the final fsync


def test_a_failed_write_is_raised_at_the_next_write_and_nothing_follows_it():
    written = []
    failed = threading.Event()

    def write(data: bytes) -> None:
        if data == b"bad":
            failed.set()
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(data)

    writer = BackgroundWriter(write)
    writer.write(b"one")
    writer.write(b"bad")
    failed.wait(5)
    with pytest.raises(OSError) as caught:
        for _ in range(100):  # the error comes at the first write after the thread met it
            writer.write(b"later")
    assert caught.value.errno == errno.ENOSPC
    writer.close()  # raised once: closing after it is quiet
    assert written == [b"one"]


def test_an_error_of_the_last_write_is_raised_at_close():
    def write(data: bytes) -> None:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    writer = BackgroundWriter(write)
    writer.write(b"x")
    with pytest.raises(BrokenPipeError):
        writer.close()


def test_abandoning_drops_what_is_queued_and_does_not_wait_for_a_stalled_write():
    release, entered = threading.Event(), threading.Event()
    written = []

    def write(data: bytes) -> None:
        entered.set()
        release.wait(10)
        written.append(data)

    writer = BackgroundWriter(write, depth=2)
    writer.write(b"first")
    assert entered.wait(5)  # the thread took it and waits
    writer.write(b"queued")
    writer.close(abandon=True)  # returns within its second, the thread still stuck
    release.set()
    writer._thread.join(5)
    assert written == [b"first"]


def test_evaluate_many_into_a_full_or_closed_standard_output_is_an_error_without_a_traceback(tmp_path):
    portfolio = tmp_path / "p.jsonl"
    ir.save_portfolio(generate_portfolio(300, seed=2), portfolio, id="wz", name="万州")
    command = f"{sys.executable} -m incubator_rules evaluate-many {portfolio} --as-of 2026-06-30 --no-progress"
    for redirect in ("> /dev/full", ">&-"):
        run = subprocess.run(f"{command} {redirect}", shell=True, stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=120)
        assert run.returncode == 2, redirect
        assert run.stderr.startswith("incubator-rules: error: ") and "Traceback" not in run.stderr


def test_evaluate_many_writes_what_it_wrote_before_the_writer_thread(tmp_path):
    portfolio = tmp_path / "p.jsonl"
    carriers = generate_portfolio(400, seed=3)
    ir.save_portfolio(carriers, portfolio, id="wz", name="万州")
    out = tmp_path / "out.jsonl"
    assert main(["evaluate-many", str(portfolio), "--as-of", "2026-06-30", "-o", str(out), "--no-progress"]) == 0
    expected = b"".join(evaluation_bytes(ev) for ev in ir.evaluate_many(carriers, as_of="2026-06-30"))
    assert out.read_bytes() == expected and len(expected) > 2 * (1 << 16)  # several blocks
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl", "p.jsonl"]
