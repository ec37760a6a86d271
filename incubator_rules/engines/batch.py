"""Evaluating many carriers: in-process or over any ``concurrent.futures`` executor, held or streamed."""

from __future__ import annotations

import contextlib
import ctypes
import datetime
import itertools
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import weakref
from collections import deque
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence, TypeVar


from ..collector import gc_frozen_forks, gc_paused
from ..errors import BatchError, EngineError, IncubatorRulesError
from ..files.carriers import CarrierStream, iter_carriers, portfolio_carriers, read_range
from ..files.portfolio_lines import IdSet, LineRange
from ..files.convert import write_yaml
from ..kinds.base import under
from ..model.carrier import AwardKind, Carrier, CarrierKind, Event, EventType, Grade, Level, reading_levels
from ..model.decision import Condition, Decision, Evaluation, built_decision, built_evaluation
from ..model.display import renderer
from ..model.portfolio import Member
from ..model.ruleset import Citation, Ruleset
from ..output import output_file
from .evaluation import ENGINES, evaluate, evaluate_prepared, prepare
from ..progress import Progress

T = TypeVar("T")
R = TypeVar("R")
C = TypeVar("C")  # a chunk: a list of carriers, or a range of their positions

# In one process: carriers read, then evaluated, then handed over this many at a time; a chunk's evaluations
# stay in the processor's caches (500 cost a full audit about 9% of CPU time against 16: docs/performance.md).
IN_PROCESS_CHUNK = 16
_END = object()  # the end of an input
# More processes than this only compete for the cores; a typing slip of 100000 would start a process storm.
MAX_WORKERS = max(64, 8 * (os.cpu_count() or 1))


class Evaluations(list):  # type: ignore[type-arg]
    """The evaluations of a portfolio, in input order: a list with totals, an HTML view and a DataFrame."""

    @property
    def total(self) -> int:
        """Total awarded (payable on or before each evaluation's as-of date), in yuan."""
        return sum(ev.total for ev in self)

    @property
    def pending_total(self) -> int:
        """Total that becomes payable later if operation stays normal, in yuan."""
        return sum(ev.pending_total for ev in self)

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per carrier (needs the ``notebook`` extra)."""
        return renderer("evaluations_frame")(self)

    def decisions_frame(self) -> Any:
        """A pandas DataFrame, one row per decision of every carrier (needs the ``notebook`` extra)."""
        return renderer("decisions_frame")(self)

    def _repr_html_(self) -> str:
        return renderer("evaluations_html")(self)


def evaluate_many(
    carriers: Iterable[Carrier] | str | Path,
    ruleset: Ruleset | str | Path | None = None,
    as_of: datetime.date | str | None = None,
    readings: Mapping[str, str] | None = None,
    executor: Executor | None = None,
    *,
    workers: int | None = None,
    stream: bool = False,
    progress: bool | None = None,
    chunk_size: int | None = None,
    engine: str = "native",
) -> Evaluations | Iterator[Evaluation]:
    """Evaluate every carrier against one ruleset, as of one date, under one set of readings.

    Results come in input order. With no ``executor`` the work runs in this
    process; with any ``concurrent.futures.Executor`` (a process pool, a Dask
    or Ray executor) carriers are sent in chunks, the ruleset once per chunk.
    ``workers=N`` runs a process pool of N for this call only; where
    processes can be forked (Linux), its workers start with the carriers and
    ruleset already in memory, so nothing is sent to them but index ranges.
    ``stream=True`` returns an iterator that yields evaluations as they are
    ready, so memory does not grow with the number of carriers (``carriers``
    may then be a generator too). ``progress`` shows a progress bar: True,
    False, or None for "on long runs in a terminal or notebook".
    ``chunk_size`` is how many carriers make one task; by default it follows
    the input's length and the number of workers, and a pool's tasks shrink
    towards the end of the input. Bad arguments raise before any work starts.

    ``carriers`` may also be the path of a portfolio (``files.carriers.iter_carriers``),
    whose carriers may name the levels the ruleset declares: JSON Lines are
    then read as they are evaluated. On a pool or an executor, a JSON Lines
    file or folder of partitions is read where it is evaluated: each task is
    a range of whole lines (about ``chunk_size`` lines of 1 KB), sent as a
    path and two offsets (the workers must see the files), and the ids read
    come back with the results, for the check of ids across ranges; every
    error is the one a single reader raises.
    """
    results = _BatchRun(carriers, ruleset, as_of, readings, executor, workers, progress, chunk_size, engine, None).results()
    if stream:
        return results
    with gc_paused():  # held results make no cycles; scanning them again and again would dominate
        return collect(results, Evaluations())


def map_evaluations(
    func: Callable[[Evaluation], R],
    carriers: Iterable[Carrier] | str | Path,
    ruleset: Ruleset | str | Path | None = None,
    as_of: datetime.date | str | None = None,
    readings: Mapping[str, str] | None = None,
    executor: Executor | None = None,
    *,
    workers: int | None = None,
    stream: bool = False,
    progress: bool | None = None,
    chunk_size: int | None = None,
    engine: str = "native",
) -> list[R] | Iterator[R]:
    """``func(evaluation)`` for every carrier, in input order, computed where the evaluation is made.

    Arguments as for ``evaluate_many``. With a pool, only what ``func``
    returns comes back: a total, a row, the evaluation's JSON written to a
    file. When the carriers are sent to the workers, ``func`` is sent too
    and must be picklable (a module-level function), which is checked
    before any work starts; with ``workers``, a list of carriers, the native
    engine and a system that forks, any callable will do.
    """
    if not callable(func):
        raise IncubatorRulesError(f"expected a function of an evaluation, got {type(func).__name__}", field="func")
    results = _BatchRun(carriers, ruleset, as_of, readings, executor, workers, progress, chunk_size, engine, func).results()
    return results if stream else collect(results, [])


L = TypeVar("L", bound=list)  # type: ignore[type-arg]


def collect(results: Iterable[Any], into: L) -> L:
    """``results`` appended to ``into``; an error for one carrier carries what was collected before it (``completed``)."""
    try:
        for r in results:
            into.append(r)
    except IncubatorRulesError as exc:
        if exc.position is not None:
            exc.completed = into
        raise
    return into


class _BatchRun:
    """One call of ``evaluate_many`` or ``map_evaluations``: arguments checked, then results produced on demand."""

    def __init__(
        self, carriers: Iterable[Carrier] | str | Path, ruleset: Ruleset | str | Path | None, as_of: datetime.date | str | None,
        readings: Mapping[str, str] | None, executor: Executor | None, workers: int | None, progress: bool | None,
        chunk_size: int | None, engine: str, func: Callable[[Evaluation], Any] | None,
    ) -> None:
        self.rs, self.day, self.chosen = prepare(ruleset, as_of, readings)
        if engine not in ENGINES:
            raise EngineError(f"unknown engine {engine!r}; available: {', '.join(ENGINES)}", field="engine")
        check_workers(workers, executor)
        self.fixed = check_chunk_size(chunk_size) is not None
        if isinstance(carriers, (str, Path)):
            carriers = iter_carriers(carriers, progress)
        self.pooled = executor is not None or (workers is not None and workers > 1)
        # JSON Lines on a pool, not yet read from: each worker reads its own ranges of the files, nothing else crosses
        self.stream = unread_lines(carriers) if self.pooled else None
        self.parts = self.stream.ranges(byte_cuts(executor or workers, chunk_size)) if self.stream else iter(())  # type: ignore[arg-type]
        if isinstance(carriers, CarrierStream) and not carriers.streamed and self.pooled:
            with reading_levels(self.rs):  # loaded whole anyway: forked workers can then share it
                carriers = list(carriers)
        self.ships = self.stream is not None or ships_input(executor, workers, isinstance(carriers, Sequence), engine)
        if func is not None and self.ships:
            check_picklable(func)
        if self.pooled and isinstance(carriers, Sequence):
            carriers = list(_checked(carriers))  # checked here, before any process starts
        self.carriers = carriers
        self.total = len(carriers) if isinstance(carriers, Sequence) else None
        self.size = chunk_size or _chunk_size(self.total, executor or (workers if self.pooled else None))
        self.executor, self.workers, self.progress, self.engine, self.func = executor, workers, progress, engine, func

    def results(self) -> Iterator[Any]:
        with Progress(self.total, enabled=self.progress, share=getattr(self.carriers, "share", None)) as bar:
            shared = None if self.ships else (self.carriers, self.rs, self.day, self.chosen, self.func)
            yield from dispatch(
                self.executor, self.workers, shared, self.engine,
                in_process=lambda: self.in_process(bar),
                shipped=lambda pool: self.shipped(bar, pool),
                forked=lambda pool, token: self.forked(bar, pool, token),
            )

    def forked(self, bar: Progress, pool: Executor, token: int) -> Iterator[Any]:
        assert self.workers is not None
        ranges = spans(self.total or 0, self.workers, self.size, fixed=self.fixed)
        carriers = self.carriers
        for chunk, out in run_chunks(pool, _evaluate_shared, ranges, lambda span: (token, span[0], span[-1] + 1),
                                     lambda start, span: carriers[start:start + len(span)]):  # type: ignore[index]
            bar.update(len(chunk))
            yield from self.received(out)

    def in_process(self, bar: Progress) -> Iterator[Any]:
        rs, day, chosen, engine, func = self.rs, self.day, self.chosen, self.engine, self.func
        native, size, pause = engine == "native", self.size, gc_paused()
        if native:
            rs = under(rs, chosen)  # resolved once: each context then takes it as it is (kinds.base.built_context)
        items = _checked(self.carriers)
        position, failed = 0, None
        while failed is None:
            # A chunk of carriers is read (from a stream), then evaluated, then handed over: each step's code and
            # data stay in the processor's caches for a whole chunk. No cycle scans meanwhile: neither makes
            # cycles, and the scans cost a tenth of the time. An error comes after the results before it.
            with pause:
                chunk: list[Carrier] = []
                try:
                    with reading_levels(self.rs):  # a file's carriers may name the levels the ruleset declares
                        for c in itertools.islice(items, size):
                            chunk.append(c)
                except Exception as exc:  # the input's own error (a bad line, not a Carrier)
                    failed = exc
                results = []
                for c in chunk:
                    try:
                        ev = evaluate_prepared(c, rs, day, chosen) if native else evaluate(c, rs, day, chosen, engine)
                        results.append(ev if func is None else func(ev))
                    except Exception as exc:
                        failed = carrier_failed(exc, position + len(results), c)
                        failed.__cause__, failed.__suppress_context__ = exc, True
                        break
                del chunk
            if not results and failed is None:
                break
            position += len(results)
            yield from results
            bar.update(len(results))
        if failed is not None:
            raise failed

    def shipped(self, bar: Progress, pool: Executor) -> Iterator[Any]:
        job = RulesetJob.of(self.rs, self.day, self.chosen, self.engine, self.func)
        if self.stream is not None:
            for out in run_parts(pool, evaluate_part, self.parts, self.stream, lambda part: (job, part), self.rs, partial=True):
                bar.update(len(out))
                yield from self.received(out)
            return
        if isinstance(self.carriers, list):  # checked, and its length known
            chunks = cut(self.carriers, spans(len(self.carriers), _workers(pool), self.size, self.fixed))
        else:
            chunks = read_chunks(_checked(self.carriers), self.size, self.rs)
        for chunk, out in run_chunks(pool, _evaluate_chunk, chunks,
                                     lambda chunk: (job, [pack_carrier(c) for c in chunk]),
                                     lambda start, chunk: chunk):
            bar.update(len(chunk))
            yield from self.received(out)

    def received(self, out: list[Any]) -> list[Any]:
        """What a worker sent back: ``func``'s results as they are, or evaluations rebuilt."""
        if self.func is not None:
            return out
        with gc_paused():  # rebuilding makes no cycles; a collection here would rescan the caller's data
            return unpack_evaluations(out, self.rs, self.day, self.chosen, self.engine)


def dispatch(
    executor: Executor | None, workers: int | None, shared: Any, engine: str,
    in_process: Callable[[], Iterator[R]], shipped: Callable[[Executor], Iterator[R]],
    forked: Callable[[Executor, int], Iterator[R]], paused: bool = False,
) -> Iterator[R]:
    """Where a batch runs, chosen in one place: on ``executor`` (the input shipped to it), in this process,
    or on a pool of ``workers`` made for the call, whose forked workers find ``shared`` under a token
    (``forked``) or, where they cannot fork, are shipped the input. ``paused`` keeps the cycle collector
    paused while a pool of its own runs."""
    if executor is not None:
        yield from shipped(executor)
    elif workers is None or workers == 1:
        yield from in_process()
    else:
        with gc_paused() if paused else contextlib.nullcontext(), local_pool(workers, shared, engine) as (pool, token):
            yield from shipped(pool) if token is None else forked(pool, token)


def check_workers(workers: int | None, executor: Executor | None) -> None:
    """Raise unless ``workers`` is None or a whole number from 1 to ``MAX_WORKERS``, and not given with an executor."""
    if workers is None:
        return
    if executor is not None:
        raise IncubatorRulesError("give an executor or a number of workers, not both", field="workers")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise IncubatorRulesError(f"workers must be a whole number of at least 1, got {workers!r}", field="workers")
    if workers > MAX_WORKERS:
        raise IncubatorRulesError(f"workers must be at most {MAX_WORKERS} on this machine ({os.cpu_count()} cores), "
                                  f"got {workers:,}", field="workers")


def check_chunk_size(chunk_size: int | None) -> int | None:
    """``chunk_size`` when it is None or a whole number of at least 1; raise otherwise."""
    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1):
        raise IncubatorRulesError(f"chunk_size must be a whole number of at least 1, got {chunk_size!r}", field="chunk_size")
    return chunk_size


def _chunk_size(total: int | None, executor: Executor | int | None) -> int:
    if executor is None:
        return IN_PROCESS_CHUNK
    if total is None:
        return 1000
    workers = executor if isinstance(executor, int) else _workers(executor)
    return max(50, min(2000, -(-total // (workers * 8))))


def spans(total: int, workers: int, size: int, fixed: bool = False) -> Iterator[range]:
    """Consecutive ranges covering ``range(total)``, for a pool of ``workers``.

    Ranges are ``size`` long (the last one may be shorter); unless ``fixed``,
    those of more than 100 shrink towards the end, to half of what remains
    per worker but not below 100, so that a worker that runs slower holds
    up the last one for less time. (A quarter and 50 made 41 tasks of
    20,000 carriers on 2 workers, not 25, each a result the parent takes
    in while the workers need the cores: docs/performance.md, issue 15l.)
    """
    if size < 1 or workers < 1:
        raise ValueError(f"spans need a size and a number of workers of at least 1, got {size} and {workers}")
    start = 0
    while start < total:
        step = size if fixed else max(min(size, -(-(total - start) // (2 * workers))), min(size, 100))
        yield range(start, min(start + step, total))
        start += step


def pool_spans(total: int, pool: Executor | int, chunk_size: int | None) -> Iterator[range]:
    """``spans`` for ``total`` carriers on ``pool`` (an executor or a number of workers): of ``chunk_size``
    when given, else of the default size, shrinking towards the end."""
    workers = pool if isinstance(pool, int) else _workers(pool)
    return spans(total, workers, chunk_size or _chunk_size(total, workers), chunk_size is not None)


LINE_BYTES = 1024  # about one carrier's line of JSON Lines: how a chunk of carriers becomes a range of bytes


def byte_cuts(pool: Executor | int, chunk_size: int | None) -> Callable[[int], Iterator[int]]:
    """Where ``CarrierStream.ranges`` cuts a file of a given size for ``pool``: ``pool_spans`` over the file
    taken as lines of ``LINE_BYTES`` (``chunk_size`` counting such lines)."""
    def cuts(size: int) -> Iterator[int]:
        return (r.start * LINE_BYTES for r in pool_spans(-(-size // LINE_BYTES), pool, chunk_size))
    return cuts


def cut(items: Sequence[T], ranges: Iterable[range]) -> Iterator[list[T]]:
    """The slices of ``items`` at ``ranges``."""
    return (list(items[r.start:r.stop]) for r in ranges)


def _workers(executor: Executor) -> int:
    return int(getattr(executor, "_max_workers", 0) or os.cpu_count() or 2)


# --- a process pool for one call, its input inherited rather than sent -------
#
# A forked worker starts with a copy of its parent's memory. Registering the
# input under a token before the pool forks lets each task name a range of it.

_SHARED: dict[int, Any] = {}
_TOKENS = itertools.count(1)


def can_fork() -> bool:
    """Whether ``workers=N`` pools start by forking (Linux and other POSIX systems but macOS)."""
    return "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin"


@contextlib.contextmanager
def local_pool(workers: int, shared: Any, engine: str = "native") -> Iterator[tuple[Executor, int | None]]:
    """A process pool of ``workers`` for one call, and the token under which its workers find ``shared``.

    The workers fork where the system allows it and the engine is native;
    the token is then set unless there is nothing to share, and the collector
    leaves what they inherit unscanned (``collector.gc_frozen_forks``). The durable
    engine's workers are spawned: a fork would copy the lock that guards
    durable-rules in whatever state another thread left it.
    """
    forked = engine == "native" and can_fork()
    context = multiprocessing.get_context("fork" if forked else "spawn")
    try:
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=worker_started, initargs=(os.getpid(),))
    except OSError as exc:  # e.g. no shared memory for the pool's queues, as on some serverless hosts
        raise EngineError(f"cannot start a pool of {workers} worker processes: {exc}", field="workers") from exc
    token: int | None = None
    if forked and shared is not None:
        token = next(_TOKENS)
        _SHARED[token] = shared  # before the first task, which is when the workers fork
    _LOCAL_POOLS.add(pool)
    try:
        with gc_frozen_forks() if forked else contextlib.nullcontext():  # the workers fork at the first task
            yield pool, token
    except Exception:  # an error: nothing more starts, and the tasks running end (each is bounded)
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    except BaseException:  # an interruption, or a caller that stopped reading: the workers stop now
        stop_workers(pool)
        # No future is cancelled first: the pool's own thread marks what was pending as failed, and a
        # cancelled future there makes it raise (CPython 3.11). Waiting lets it finish that.
        pool.shutdown(wait=True)
        raise
    else:
        pool.shutdown(wait=True, cancel_futures=True)
    finally:
        if token is not None:
            _SHARED.pop(token, None)


_LOCAL_POOLS: "weakref.WeakSet[Executor]" = weakref.WeakSet()


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's worker processes at once (their tasks are abandoned)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(Exception):
            process.kill()
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(5)
    # A worker killed while sending a result leaves the pool's thread waiting for the rest of it, and the pipe
    # stays open while this process holds its writing end too: closing that end lets the thread see the end.
    with contextlib.suppress(Exception):
        pool._result_queue._writer.close()  # type: ignore[attr-defined]


_PR_SET_PDEATHSIG = 1


def worker_started(parent: int) -> None:
    """In a new pool worker: end with the parent, however it ends; leave Ctrl-C and SIGTERM to the parent.

    On Linux the kernel kills the worker when its parent dies (``PR_SET_PDEATHSIG``),
    even by SIGKILL; elsewhere a watchdog thread notices within a second.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the terminal sends it to the whole group; the parent decides
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    watched = False
    if sys.platform.startswith("linux"):
        try:
            watched = ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            watched = False
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
    if not watched:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="incubator-rules-parent-watch").start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def ships_input(executor: Executor | None, workers: int | None, sequence: bool, engine: str) -> bool:
    """Whether the carriers (and a function to apply) must be pickled to reach the workers."""
    if executor is not None:
        return True
    if workers is None or workers == 1:
        return False
    return not (sequence and engine == "native" and can_fork())


def check_picklable(func: Callable[..., Any]) -> None:
    """Raise, before any work starts, when ``func`` cannot be sent to a worker."""
    try:
        pickle.dumps(func, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        raise IncubatorRulesError(
            f"the function cannot be sent to the workers ({type(exc).__name__}: {exc}); define it at module level, "
            "or pass the carriers as a list with workers= on a system that forks", field="func",
        ) from None


def shared_input(token: int) -> Any:
    """In a worker of ``local_pool``: the input its parent registered under ``token``."""
    try:
        return _SHARED[token]
    except KeyError:
        raise EngineError("this worker was not forked from the process that holds the input", field="workers") from None


def _evaluate_shared(token: int, start: int, stop: int) -> list[Any]:
    """Worker side of ``evaluate_many(workers=N)``: evaluate carriers ``start:stop`` of the shared input."""
    carriers, rs, day, chosen, func = shared_input(token)
    send = pack_evaluation if func is None else func
    rs = under(rs, chosen)
    with gc_paused():
        return guarded(carriers[start:stop], send, lambda c: evaluate_prepared(c, rs, day, chosen))


def guarded(carriers: Iterable[Carrier], send: Callable[[Any], Any], evaluate: Callable[[Carrier], Any]) -> list[Any]:
    """In a worker: ``send(evaluate(c))`` for each carrier of a chunk. An error names its carrier (by its
    position in the chunk) and carries the results before it (``partial``), which the caller keeps."""
    out: list[Any] = []
    for i, carrier in enumerate(carriers):
        try:
            out.append(send(evaluate(carrier)))
        except Exception as exc:
            error = carrier_failed(exc, i, carrier)
            error.partial = out  # type: ignore[attr-defined]
            raise error from None
    return out


def carrier_failed(exc: Exception, position: int, carrier: Carrier) -> IncubatorRulesError:
    """``exc``, raised while evaluating ``carrier`` at ``position`` of a batch, as an error naming the carrier:
    a library error keeps its type, field and place; any other becomes a BatchError."""
    if isinstance(exc, IncubatorRulesError):
        if exc.carrier_id is not None:
            return exc
        error = exc
    else:
        error = BatchError(f"{type(exc).__name__}: {exc}", field=f"carriers[{position}]")
    error.detail, error.carrier_id = error.message, carrier.id
    return placed(error, position)


def placed(error: IncubatorRulesError, position: int) -> IncubatorRulesError:
    """``error`` for the carrier at ``position`` of the whole input: its message says so."""
    if isinstance(error, BatchError):
        error.field = f"carriers[{position}]"
    error.position = position
    error.message = f"carrier {error.carrier_id!r} (carriers[{position}]): {error.detail}"
    error.args = (str(error),)
    return error


def _checked(carriers: Iterable[Any]) -> Iterator[Carrier]:
    for i, c in enumerate(carriers):
        if not isinstance(c, Carrier):
            error = IncubatorRulesError(f"expected a Carrier, got {type(c).__name__}", field=f"carriers[{i}]")
            error.position = i
            raise error
        yield c


def run_chunks(
    executor: Executor,
    func: Callable[..., R],
    chunks: Iterable[C],
    args: Callable[[C], tuple[Any, ...]],
    held: Callable[[int, C], Sequence[Carrier]] | None = None,
) -> Iterator[tuple[C, R]]:
    """``func(*args(chunk))`` for each chunk on ``executor``, yielded in input order.

    At most a few chunks per worker are in flight, so a long input is never
    all in memory at once. The chunks are consecutive parts of one input: a
    BatchError raised for a carrier of a chunk gets its position in the whole
    input, and a worker that dies becomes a BatchError naming the range of
    positions it held (and, given ``held(start, chunk)``, the carriers' ids).
    """
    window = 2 * _workers(executor) + 1
    flight: deque[tuple[int, C, Future[R]]] = deque()
    start = 0

    def results(first: int, chunk: C, future: Future[R]) -> Iterator[tuple[C, R]]:
        try:
            yield chunk, future.result()
        except IncubatorRulesError as exc:
            partial = exc.__dict__.pop("partial", None)
            if exc.position is not None and exc.carrier_id is not None:
                placed(exc, exc.position + first)
            if partial:  # what the worker finished before the failing carrier
                yield chunk[:len(partial)], partial  # type: ignore[index]
            raise exc from None
        except BrokenExecutor as exc:
            # the pool does not say which worker died: every chunk still in flight is lost with it
            pending = [(first, chunk)] + [(f, c) for f, c, _ in flight]
            raise worker_died(exc, pending, held) from None

    try:
        for chunk in chunks:
            try:
                future = executor.submit(func, *args(chunk))
            except BrokenExecutor as exc:  # a worker died: name the chunk it held, else this one
                while flight:
                    yield from results(*flight.popleft())
                raise worker_died(exc, [(start, chunk)], held) from None
            flight.append((start, chunk, future))
            start += len(chunk)  # type: ignore[arg-type]
            while len(flight) >= window:
                yield from results(*flight.popleft())
        while flight:
            yield from results(*flight.popleft())
    finally:
        if executor not in _LOCAL_POOLS:  # a pool of local_pool is stopped whole by it
            for _, _, future in flight:
                future.cancel()


def worker_died(
    exc: BaseException, pending: list[tuple[int, Any]], held: Callable[[int, Any], Sequence[Carrier]] | None,
) -> BatchError:
    """The BatchError for a pool that lost a worker while ``pending`` chunks (start, chunk) were unfinished:
    it names their range of positions (the dead worker's chunk is among them) and, given ``held``, their ids."""
    first, stop = pending[0][0], pending[-1][0] + len(pending[-1][1])
    ids = ""
    if held is not None:
        head, tail = held(*pending[0]), held(*pending[-1])
        if head and tail:
            ids = f" ({head[0].id!r} to {tail[-1].id!r})" if stop - first > 1 else f" ({head[0].id!r})"
    error = BatchError(
        f"a worker process died while carriers[{first}] to carriers[{stop - 1}]{ids} were being evaluated: {exc}; "
        "the results before them are valid", field=f"carriers[{first}:{stop}]",
    )
    error.position, error.stop, error.detail = first, stop, str(exc)
    return error


# --- what crosses to a worker and back ---------------------------------------
#
# Pickling Carrier and Evaluation objects field by field is slow (each attrs
# object and enum is rebuilt through Python), so chunks travel as plain tuples
# and the ruleset as bytes pickled once, unpickled once per worker process.

_KIND = {k.value: k for k in CarrierKind}
_TYPE = {t.value: t for t in EventType}
_LEVEL = {lv.value: lv for lv in Level}  # a level a ruleset declares is not among them: Level.extra
_GRADE = {g.value: g for g in Grade}
_AWARD = {a.value: a for a in AwardKind}


def _value(member: Any) -> Any:
    return None if member is None else member._value_


def _ord(day: datetime.date | None) -> int | None:
    return None if day is None else day.toordinal()


_fromordinal = datetime.date.fromordinal


def pack_carrier(c: Carrier) -> tuple[Any, ...]:
    """A carrier as plain tuples (cheap to pickle); ``unpack_carrier`` reverses it."""
    return (
        c.id, c.name, c.kind._value_, c.area,
        tuple([
            (e.id, e.type._value_, e.date.toordinal(), None if e.level is None else e.level._value_,
             None if e.kind is None else e.kind._value_, e.year, None if e.grade is None else e.grade._value_,
             e.amount, e.document, e.note,
             None if e.award is None and e.plan is None and e.payer is None and e.settles is None and e.voucher is None
             else (None if e.award is None else e.award._value_, e.plan, e.payer, e.settles, e.voucher), e.facts)
            for e in c.events
        ]),
        c.facts,
    )


_DAYS: dict[int, datetime.date] = {}


def _day(n: int) -> datetime.date:
    found = _DAYS.get(n)
    if found is None:
        if len(_DAYS) >= 100_000:
            _DAYS.clear()
        found = _DAYS[n] = _fromordinal(n)
    return found


def unpack_carrier(t: tuple[Any, ...]) -> Carrier:
    """The carrier ``pack_carrier`` packed."""
    cid, name, kind, area, events, facts = t
    return Carrier(
        cid, name, _KIND[kind],
        tuple([
            Event(eid, _TYPE[etype], _day(day), (_LEVEL.get(level) or (level and Level.extra(level))), _KIND.get(ekind), year, _GRADE.get(grade),
                  amount, doc, note, efacts)
            if paid is None else
            Event(eid, _TYPE[etype], _day(day), (_LEVEL.get(level) or (level and Level.extra(level))), _KIND.get(ekind), year, _GRADE.get(grade),
                  amount, doc, note, efacts, _AWARD.get(paid[0]), *paid[1:])
            for eid, etype, day, level, ekind, year, grade, amount, doc, note, paid, efacts in events
        ]),
        area,
        facts,
    )


def _pack_decision(d: Decision) -> tuple[Any, ...]:
    c = d.condition
    condition = None if c is None else (
        c.rule, c.status, _ord(c.counted_from), _ord(c.date), c.events, tuple([x.clause for x in c.citations])
    )
    return (
        d.rule, d.status, d.reason, d.amount, _ord(d.payable_on), d.events, tuple([x.clause for x in d.citations]),
        d.explanation_zh, d.explanation_en, _value(d.level), _value(d.kind), d.full_amount, d.already_received,
        _ord(d.amount_in_force_from), condition,
    )


def pack_evaluation(ev: Evaluation) -> tuple[Any, ...]:
    """The parts of an evaluation that differ from carrier to carrier, as plain tuples."""
    return (
        ev.carrier_id, ev.carrier_name, ev.input_digest,
        [_pack_decision(d) for d in ev.awards], [_pack_decision(d) for d in ev.pending],
        [_pack_decision(d) for d in ev.not_awarded],
    )


def unpack_evaluations(
    packed: list[tuple[Any, ...]], ruleset: Ruleset, as_of: datetime.date, readings: Mapping[str, str], engine: str
) -> list[Evaluation]:
    """Evaluations from ``pack_evaluation``'s tuples, with the run's common fields filled in."""
    cites: dict[tuple[str, ...], tuple[Citation, ...]] = {}
    days: dict[int, datetime.date] = {}

    def citations(clauses: tuple[str, ...]) -> tuple[Citation, ...]:
        found = cites.get(clauses)
        if found is None:
            found = cites[clauses] = tuple(ruleset.citation(c) for c in clauses)
        return found

    def day(n: int | None) -> datetime.date | None:
        if n is None:
            return None
        found = days.get(n)
        if found is None:
            found = days[n] = _fromordinal(n)
        return found

    def decision(t: tuple[Any, ...]) -> Decision:
        rule, status, reason, amount, payable_on, events, clauses, zh, en, level, kind, full, already, since, cond = t
        condition = None if cond is None else Condition(
            cond[0], cond[1], day(cond[2]), day(cond[3]), cond[4], citations(cond[5])
        )
        return built_decision(rule, status, reason, amount, day(payable_on), events, citations(clauses), zh, en,
                              (_LEVEL.get(level) or (level and Level.extra(level))), _KIND.get(kind), full, already,
                              day(since), condition)

    rid, version, sha = ruleset.id, ruleset.version, ruleset.sha256
    return [
        built_evaluation(cid, name, digest, as_of, rid, version, sha, dict(readings), engine,
                         tuple(map(decision, awards)), tuple(map(decision, pending)), tuple(map(decision, refused)))
        for cid, name, digest, awards, pending, refused in packed
    ]


class RulesetJob:
    """A ruleset, date, readings and engine as sent to workers: the ruleset pickled once, by content hash."""

    def __init__(
        self, sha256: str, ruleset: bytes, as_of: datetime.date, readings: dict[str, str], engine: str,
        func: Callable[[Evaluation], Any] | None = None,
    ) -> None:
        self.sha256 = sha256
        self.ruleset = ruleset
        self.as_of = as_of
        self.readings = readings
        self.engine = engine
        self.func = func

    @classmethod
    def of(
        cls, rs: Ruleset, as_of: datetime.date, readings: Mapping[str, str], engine: str = "native",
        func: Callable[[Evaluation], Any] | None = None,
    ) -> "RulesetJob":
        return cls(rs.sha256, pickle.dumps(rs, protocol=pickle.HIGHEST_PROTOCOL), as_of, dict(readings), engine, func)

    def loaded(self) -> Ruleset:
        """The ruleset, unpickled at most once per worker process."""
        found = _WORKER_RULESETS.get(self.sha256)
        if found is None:
            if len(_WORKER_RULESETS) >= 16:
                _WORKER_RULESETS.clear()
            found = _WORKER_RULESETS[self.sha256] = pickle.loads(self.ruleset)
        return found

    def evaluate(self, carrier: Carrier) -> Evaluation:
        rs = self.loaded()
        if self.engine == "native":
            return evaluate_prepared(carrier, rs, self.as_of, self.readings)
        return evaluate(carrier, rs, self.as_of, self.readings, self.engine)


_WORKER_RULESETS: dict[str, Ruleset] = {}


def _evaluate_chunk(job: RulesetJob, packed: list[tuple[Any, ...]]) -> list[Any]:
    """Worker side of ``evaluate_many``: evaluate a chunk of packed carriers, return packed evaluations
    (or what the job's function makes of them)."""
    send = pack_evaluation if job.func is None else job.func
    with gc_paused():
        return guarded(map(unpack_carrier, packed), send, job.evaluate)


class RangeReader:
    """In a worker: the carriers on one range of a JSON Lines input (``files.carriers.read_range``), their ids
    kept in order (``ids``); a reading error ends them and is kept (``error``) for the parent to raise."""

    def __init__(self, part: LineRange) -> None:
        self.part = part
        self.ids: list[str] = []
        self.error: IncubatorRulesError | None = None

    def __iter__(self) -> Iterator[Carrier]:
        ids = self.ids
        try:
            for c in read_range(self.part):
                ids.append(c.id)
                yield c
        except IncubatorRulesError as exc:
            self.error = exc


PartResult = tuple[list[str], Any, "Exception | None"]  # a range's ids, what its worker made, the error that stopped it


def evaluate_part(job: RulesetJob, part: LineRange) -> PartResult:
    """Worker side of a JSON Lines input on a pool: the carriers of ``part`` read and evaluated; returns
    their ids, their packed evaluations (or what the job's function makes of them) and the error that
    stopped them, if any (see ``run_parts``)."""
    send = pack_evaluation if job.func is None else job.func
    reader = RangeReader(part)
    with reading_levels(job.loaded()), gc_paused():  # the levels the ruleset declares, in this worker too
        try:
            out = guarded(reader, send, job.evaluate)
        except IncubatorRulesError as exc:
            return reader.ids, exc.__dict__.pop("partial", []), exc
    return reader.ids, out, reader.error


def unread_lines(carriers: Any) -> CarrierStream | None:
    """``carriers`` when it is a JSON Lines input not yet read from, which workers can read in ranges; else None."""
    if isinstance(carriers, CarrierStream) and carriers.streamed and not carriers.started:
        return carriers
    return None


def run_parts(
    pool: Executor, func: Callable[..., PartResult], parts: Iterable[LineRange], stream: CarrierStream,
    args: Callable[[LineRange], tuple[Any, ...]], levels: Any, partial: bool = False,
) -> Iterator[Any]:
    """``func(*args(part))`` for each range of a JSON Lines input on ``pool``: what each made, in input order.

    The parent makes the one check no worker can, a carrier id in two ranges:
    on finding one it reads the input again from the start (under the
    ``levels`` a ruleset declares) to raise the error one reader raises. A
    range's error is raised after its results; ``partial`` says they are a
    list of one result a carrier, of which those before the problem are
    yielded first, as one process yields them. An error in evaluating a
    carrier is placed in the whole input.
    """
    seen = IdSet()
    before = 0
    sent: list[LineRange] = []  # to name a dead worker's range

    def chunks() -> Iterator[tuple[LineRange]]:
        for part in parts:
            sent.append(part)
            yield (part,)

    try:
        for (part,), (ids, out, error) in run_chunks(pool, func, chunks(), lambda chunk: args(chunk[0])):
            clashes = [i for i, cid in enumerate(ids) if not seen.add(cid)]
            if clashes:  # the first problem is at or before the first of them
                if partial:
                    yield out[:clashes[0]]
                    out = out[clashes[0]:]
                stream.raise_first_problem(levels)  # returns when the ids only share their digests
            stream.read_elsewhere(part.stop - part.start)
            if out is not None:  # None: the worker's error came before it had anything to give
                yield out
            if error is not None:
                if isinstance(error, IncubatorRulesError) and error.position is not None:
                    placed(error, before + error.position)
                raise error
            before += len(ids)
    except BatchError as exc:
        if getattr(exc, "stop", None) is None:
            raise
        first = sent[exc.position]  # worker_died counts the ranges: name the first lost by its line
        error = BatchError(f"a worker process died while the carriers from line {first.line} of {first.path} on were "
                           f"being evaluated (carriers[{before}] on): {exc.detail}; "
                           "the results before them are valid", field=f"carriers[{before}:]")
        error.position = before
        raise error from None


def read_chunks(items: Iterable[Carrier], size: int, levels: Any) -> Iterator[list[Carrier]]:
    """``items`` in lists of ``size`` (the last one shorter), each read naming the levels ``levels`` declares
    (a ruleset: see ``model.carrier.reading_levels``), as a file's carriers may."""
    items = iter(items)
    while True:
        with reading_levels(levels):
            chunk = list(itertools.islice(items, size))
        if not chunk:
            return
        yield chunk


# --- portfolio files -----------------------------------------------------------


def load_carriers(path: str | Path) -> list[Carrier]:
    """The carriers of a portfolio: a YAML/JSON list of carriers, a district portfolio (a mapping with
    ``id``, ``name`` and ``carriers``, checked whole), a JSON Lines portfolio, CSV tables, a workbook,
    one carrier file, or a directory of such files."""
    return portfolio_carriers(path)


def save_carriers(
    path: str | Path, carriers: Iterable[Carrier], *, id: str, name: str, district: str | None = None,
    comment: str | None = None, replace_special: bool = False,
) -> None:
    """Write carriers as a district portfolio file (``id``, ``name``, ``carriers``) that ``load_carriers`` reads back
    identically: YAML as ``convert`` writes it, a carrier at a time (``files.convert.write_yaml``), under the lines
    of ``comment``; the file appears whole or not at all (``output.output_file``)."""
    with output_file(path, replace_special=replace_special, field="output") as out:
        if comment:
            out.write("".join(f"# {line}\n" if line else "#\n" for line in comment.splitlines()))
        write_yaml(out, (id, name, district), (Member(c) for c in carriers))
