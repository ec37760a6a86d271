"""A portfolio kept as JSON Lines partitions, evaluated on a two-worker Dask cluster: each worker reads its
partitions and writes its results; only paths and summaries pass through the client."""

import datetime
import json
import subprocess
import sys
from pathlib import Path

import pytest

import incubator_rules as ir
from incubator_rules.tools.synthetic import generate_portfolio

distributed = pytest.importorskip("distributed")

AS_OF = datetime.date(2025, 12, 31)
DISTRICT = generate_portfolio(240, seed=5)
ROOT = Path(__file__).resolve().parent.parent


def partitioned(folder: Path, parts: int = 4) -> Path:
    folder.mkdir()
    size = len(DISTRICT) // parts
    for i in range(parts):
        ir.save_portfolio(DISTRICT[i * size:(i + 1) * size], folder / f"part-{i:03d}.jsonl", id="wz", name="万州")
    return folder


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client


def lines(folder: Path) -> list[dict]:
    return [json.loads(line) for f in sorted(folder.glob("*.jsonl")) for line in f.read_text(encoding="utf-8").splitlines()]


def test_each_worker_writes_its_partitions_results(tmp_path, client):
    source = partitioned(tmp_path / "in")
    results = ir.evaluate_partitions(source, tmp_path / "out", as_of=AS_OF, client=client)
    expected = ir.evaluate_many(DISTRICT, as_of=AS_OF)
    assert [Path(r.partition).name for r in results] == [f"part-{i:03d}.jsonl" for i in range(4)]
    assert (results.carriers, results.awarded, results.pending) == (len(DISTRICT), expected.total, expected.pending_total)
    assert lines(tmp_path / "out") == [json.loads(ev.to_json(indent=None)) for ev in expected]
    assert all(isinstance(r, ir.PartitionResult) for r in results)  # a summary, not the evaluations


def test_evaluate_many_on_a_dask_executor_reads_partitions_on_the_workers(tmp_path, client):
    source = partitioned(tmp_path / "in")
    expected = ir.evaluate_many(DISTRICT, as_of=AS_OF)
    assert ir.evaluate_many(source, as_of=AS_OF, executor=client.get_executor()) == expected
    assert ir.budget(source, as_of=AS_OF).total == ir.budget(DISTRICT, as_of=AS_OF).total


def test_a_bad_partition_names_its_line_and_leaves_no_result_file(tmp_path, client):
    source = partitioned(tmp_path / "in", parts=2)
    with open(source / "part-001.jsonl", "a", encoding="utf-8") as f:
        f.write('{"id": "broken"}\n')
    with pytest.raises(ir.IncubatorRulesError, match=r"part-001\.jsonl:122:1: name: required field is missing"):
        ir.evaluate_partitions(source, tmp_path / "out", as_of=AS_OF, client=client)
    assert not (tmp_path / "out" / "part-001.jsonl").exists()


def test_partitions_in_a_process_pool_and_from_the_command_line(tmp_path):
    source = partitioned(tmp_path / "in", parts=3)
    pooled = ir.evaluate_partitions(source, tmp_path / "pooled", as_of=AS_OF, workers=2)
    done = subprocess.run([sys.executable, "-m", "incubator_rules", "evaluate-partitions", str(source), "-o",
                           str(tmp_path / "cli"), "--as-of", AS_OF.isoformat(), "--no-progress"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert f"{len(DISTRICT) // 3 * 3} carriers in 3 partitions" in done.stderr
    assert lines(tmp_path / "cli") == lines(tmp_path / "pooled") and pooled.carriers == len(DISTRICT) // 3 * 3
