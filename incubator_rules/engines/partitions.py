"""A portfolio kept as a folder of JSON Lines partitions, evaluated where it is stored.

Each task is one partition: a worker reads it (``files.carriers.iter_carriers``),
evaluates its carriers one at a time and writes their evaluations, one JSON
line each in input order, to the partition of the same name in the output
folder (whole or not at all). What travels between the client and the
workers is the ruleset (once per task, pickled), two paths and a small
summary; the workers must see both folders (a shared file system).
"""

from __future__ import annotations

import datetime
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, Iterator, Mapping

import attrs

from ..collector import gc_paused
from ..errors import BatchError, IncubatorRulesError
from ..files.carriers import iter_carriers, partitions
from ..model.carrier import reading_levels
from ..model.jsonlines import evaluation_bytes
from ..model.ruleset import Ruleset
from ..output import output_file
from ..progress import Progress
from .batch import RulesetJob, check_workers, local_pool, run_chunks
from .evaluation import ENGINES, prepare


@attrs.frozen
class PartitionResult:
    """What one partition gave: its file, the file of its evaluations, and their number and totals (yuan)."""

    partition: str
    output: str
    carriers: int
    awarded: int
    pending: int


class PartitionResults(list):  # type: ignore[type-arg]
    """The partitions' results, in name order, with the totals of the whole portfolio."""

    @property
    def carriers(self) -> int:
        """Carriers evaluated."""
        return sum(r.carriers for r in self)

    @property
    def awarded(self) -> int:
        """Total awarded, in yuan."""
        return sum(r.awarded for r in self)

    @property
    def pending(self) -> int:
        """Total pending, in yuan."""
        return sum(r.pending for r in self)


def evaluate_partitions(
    folder: str | Path,
    out_folder: str | Path,
    ruleset: Ruleset | str | Path | None = None,
    as_of: datetime.date | str | None = None,
    readings: Mapping[str, str] | None = None,
    *,
    client: Any = None,
    executor: Executor | None = None,
    workers: int | None = None,
    progress: bool | None = None,
    engine: str = "native",
) -> PartitionResults:
    """Evaluate every partition of ``folder`` (``*.jsonl``, in name order) into ``out_folder`` (created if
    missing; one file per partition, same name). Runs on a Dask ``client`` (its workers read and write the
    files), any ``concurrent.futures`` ``executor``, a pool of ``workers`` processes, or in this process.
    Returns each partition's summary; a bad partition raises, naming its file and line, and leaves no
    output file for itself."""
    if client is not None and executor is not None:
        raise IncubatorRulesError("give a Dask client or an executor, not both", field="client")
    check_workers(workers, executor)
    if engine not in ENGINES:
        raise IncubatorRulesError(f"unknown engine {engine!r}; available: {', '.join(ENGINES)}", field="engine")
    parts = partitions(folder)
    if not parts:
        raise IncubatorRulesError("expected a folder of JSON Lines partitions (*.jsonl)", field="folder", file=str(folder))
    out = Path(out_folder)
    if out.resolve() == Path(folder).resolve():
        raise IncubatorRulesError("the output folder is the input folder; name another", field="out_folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IncubatorRulesError(f"cannot create the output folder: {exc.strerror or exc}", file=str(out)) from None
    rs, day, chosen = prepare(ruleset, as_of, readings)
    job = RulesetJob.of(rs, day, chosen, engine)
    tasks = [(str(p.resolve()), str((out / p.name).resolve())) for p in parts]
    pool = client.get_executor() if client is not None else executor
    results = PartitionResults()
    with Progress(len(tasks), enabled=progress, unit="partitions") as bar:
        for summary in _run(pool, workers, job, tasks):
            results.append(summary)
            bar.update()
    return results


def _run(pool: Executor | None, workers: int | None, job: RulesetJob, tasks: list[tuple[str, str]]) -> Iterator[PartitionResult]:
    if pool is None and (workers is None or workers == 1):
        for source, target in tasks:
            yield evaluate_partition_file(job, source, target)
        return
    if pool is None:
        assert workers is not None
        with local_pool(workers, None, job.engine) as (own, _):
            yield from _on(own, job, tasks)
        return
    yield from _on(pool, job, tasks)


def _on(pool: Executor, job: RulesetJob, tasks: list[tuple[str, str]]) -> Iterator[PartitionResult]:
    for _, result in run_chunks(pool, evaluate_partition_file, tasks, lambda task: (job, *task)):
        yield result


def evaluate_partition_file(job: RulesetJob, source: str, target: str) -> PartitionResult:
    """Worker side: one partition read, evaluated and written; its summary returned."""
    count = awarded = pending = 0
    stream = iter_carriers(source)
    try:  # the carriers may carry the levels the ruleset declares (a worker does not see its parent's scope)
        with reading_levels(job.loaded()), output_file(target, field="out_folder") as out, gc_paused():
            write = out.buffer.write  # the lines are UTF-8 already
            for carrier in stream:
                try:
                    ev = job.evaluate(carrier)
                except Exception as exc:
                    raise BatchError(f"carrier {carrier.id!r} (in {Path(source).name}): {exc}", file=source) from exc
                write(evaluation_bytes(ev))  # the bytes of ``ev.to_json(indent=None)`` and a line break
                count, awarded, pending = count + 1, awarded + ev.total, pending + ev.pending_total
    finally:
        stream.close()
    return PartitionResult(source, target, count, awarded, pending)


__all__ = ["PartitionResult", "PartitionResults", "evaluate_partition_file", "evaluate_partitions"]
