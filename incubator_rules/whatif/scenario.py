"""What-if scenarios compared: a portfolio evaluated under a base scenario and others, and what each pays.

The scenarios themselves, and their files, are ``files.scenarios``.
"""

from __future__ import annotations

import datetime
from concurrent.futures import Executor
from itertools import repeat
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

import attrs

from ..collector import gc_paused
from ..engines.batch import (
    PartResult,
    RangeReader,
    RulesetJob,
    byte_cuts,
    check_chunk_size,
    check_workers,
    cut,
    dispatch,
    read_chunks,
    pack_carrier,
    pool_spans,
    run_chunks,
    run_parts,
    unread_lines,
    shared_input,
    unpack_carrier,
)
from ..engines.evaluation import ENGINES, paid_prepared, prepare
from ..errors import EngineError, IncubatorRulesError
from ..files.carriers import CarrierStream, iter_carriers
from ..files.portfolio_lines import LineRange
from ..files.scenarios import Scenario, scenario_error
from ..kinds.base import under
from ..model.carrier import Carrier, chronological, reading_levels
from ..model.display import renderer
from ..model.ruleset import Ruleset
from ..progress import Progress
from .budget import Budget, Tally

# --- comparing scenarios over a portfolio ------------------------------------


@attrs.frozen
class CarrierComparison:
    """One carrier's payable amounts under each compared scenario (base first), in yuan."""

    carrier_id: str
    carrier_name: str
    kind: str
    area: str | None
    awarded: tuple[int, ...]
    pending: tuple[int, ...]

    @property
    def totals(self) -> tuple[int, ...]:
        """Awarded plus pending, per scenario."""
        return tuple(a + p for a, p in zip(self.awarded, self.pending))

    @property
    def differences(self) -> tuple[int, ...]:
        """Each scenario's total less the base's (0 for the base itself)."""
        totals = self.totals
        return tuple(t - totals[0] for t in totals)


@attrs.frozen
class Comparison:
    """Scenarios evaluated over one portfolio: per-carrier amounts, totals, differences and budgets.

    The first scenario is the base every difference is measured from. A
    carrier's amount is what its evaluation awards plus what is pending.
    """

    scenarios: tuple[Scenario, ...]
    names: tuple[str, ...]
    budgets: tuple[Budget, ...]
    carriers: tuple[CarrierComparison, ...]

    def budget(self, name: str) -> Budget:
        """The budget of the scenario called ``name``."""
        return self.budgets[self._index(name)]

    def _index(self, name: str) -> int:
        if name not in self.names:
            raise IncubatorRulesError(f"no scenario {name!r}; compared: {', '.join(self.names)}", field="name")
        return self.names.index(name)

    def totals(self) -> dict[str, dict[str, int]]:
        """Per scenario: awarded, pending, total and difference from the base, in yuan."""
        base = self.budgets[0].total
        return {
            name: {"awarded": b.awarded, "pending": b.pending, "total": b.total, "difference": b.total - base}
            for name, b in zip(self.names, self.budgets)
        }

    def difference(self, name: str) -> int:
        """The scenario's total less the base's, in yuan."""
        return self.budgets[self._index(name)].total - self.budgets[0].total

    def changed(self, name: str) -> list[CarrierComparison]:
        """The carriers whose amount differs from the base under scenario ``name``, largest change first."""
        i = self._index(name)
        rows = [c for c in self.carriers if c.differences[i] != 0]
        return sorted(rows, key=lambda c: (-abs(c.differences[i]), c.carrier_id))

    def by(self, field: str, status: str | None = None) -> dict[str, dict[Any, int]]:
        """Per scenario, amounts grouped by ``field`` (year, rule, area, kind, level or status)."""
        return {name: b.by(field, status=status) for name, b in zip(self.names, self.budgets)}

    def to_dict(self) -> dict[str, Any]:
        """Totals per scenario, amounts per year, and the carriers each scenario changes (as ``compare --format json``)."""
        return {
            "totals": self.totals(),
            "by_year": {n: {str(k): v for k, v in per.items()} for n, per in self.by("year").items()},
            "changed": {n: [{"carrier": r.carrier_id, "difference": r.differences[self.names.index(n)]}
                            for r in self.changed(n)] for n in self.names[1:]},
        }

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per carrier: its total under each scenario and the differences."""
        return renderer("comparison_frame")(self)

    def totals_frame(self) -> Any:
        """A pandas DataFrame of ``totals()``, one row per scenario."""
        return renderer("comparison_totals_frame")(self)

    def by_frame(self, field: str = "year") -> Any:
        """A pandas DataFrame of amounts by ``field`` (rows) and scenario (columns)."""
        return renderer("comparison_by_frame")(self, field)

    def chart(self, by: str = "scenario", ax: Any = None, title: str | None = None) -> Any:
        """Bars of the amount payable per year, one per scenario, stacked by ``by`` (``scenario``: unstacked)."""
        return renderer("budget_chart")(list(self.budgets), by=by, ax=ax, title=title)

    def _repr_html_(self) -> str:
        return renderer("comparison_html")(self)


def _carriers_of(portfolio: Any, stream: bool = False, progress: bool | None = False) -> list[Carrier] | CarrierStream:
    """The carriers of a portfolio: a list of carriers, a portfolio file, or an object with ``carriers``;
    with ``stream``, a portfolio file is read as a stream (``files.carriers.iter_carriers``)."""
    if isinstance(portfolio, (str, Path)):
        found = iter_carriers(portfolio, progress)
        return found if stream and found.streamed else list(found)
    items = getattr(portfolio, "carriers", portfolio)
    try:
        carriers = list(items)
    except TypeError:
        raise IncubatorRulesError(f"expected carriers, a portfolio file or a portfolio, got {type(portfolio).__name__}", field="portfolio") from None
    if not all(map(isinstance, carriers, repeat(Carrier))):  # checked in C; the loop finds the first that is not
        for i, c in enumerate(carriers):
            if not isinstance(c, Carrier):
                raise IncubatorRulesError(f"expected a Carrier, got {type(c).__name__}", field=f"carriers[{i}]")
    return carriers


def _edited_as_read(
    carriers: Iterable[Carrier], every: Sequence[Scenario], edited: list[dict[str, Carrier]]
) -> Iterator[Carrier]:
    """The carriers of a stream, each scenario's edit of a carrier made as it is read (into ``edited``);
    at the end, an edit of a carrier the stream did not hold raises."""
    wanted = set().union(*(s.edited for s in every))
    for c in carriers:
        if c.id in wanted:
            for s, changed in zip(every, edited):
                if c.id in s.edited:
                    changed[c.id] = s.carrier(c)
        yield c
    for s, changed in zip(every, edited):
        missing = sorted(s.edited - set(changed))
        if missing:
            raise scenario_error(f"scenario {s.name!r} edits carriers not in the portfolio: {', '.join(missing)}", "edits")


@attrs.frozen
class _Plan:
    """One scenario resolved against the base ruleset (``resolved``: its rules under the scenario's readings,
    found once for every carrier)."""

    name: str
    ruleset: Ruleset
    as_of: datetime.date
    readings: dict[str, str]
    engine: str = "native"
    resolved: Ruleset = attrs.field(init=False)

    @resolved.default
    def _resolved(self) -> Ruleset:
        return under(self.ruleset, self.readings)


def _plan(scenario: Scenario, name: str, base: Ruleset, as_of: datetime.date | str | None, engine: str) -> _Plan:
    rs = scenario.ruleset(base)
    try:
        _, day, chosen = prepare(rs, scenario.as_of or as_of, scenario.readings)
    except IncubatorRulesError as exc:
        raise scenario_error(f"scenario {scenario.name!r}: {exc.message}", exc.field) from None
    return _Plan(name, rs, day, chosen, engine)


def _names(scenarios: Sequence[Scenario]) -> tuple[str, ...]:
    names: list[str] = []
    for s in scenarios:
        name, n = s.name, 1
        while name in names:
            n += 1
            name = f"{s.name} ({n})"
        names.append(name)
    return tuple(names)


def compare(
    portfolio: Any,
    base: Scenario | None = None,
    *scenarios: Scenario,
    ruleset: Ruleset | str | Path | None = None,
    as_of: datetime.date | str | None = None,
    executor: Executor | None = None,
    progress: bool | None = None,
    chunk_size: int | None = None,
    workers: int | None = None,
    engine: str = "native",
) -> Comparison:
    """Evaluate a portfolio under a base scenario and other scenarios, and compare what each pays.

    ``portfolio`` is a list of carriers, a portfolio file, or an object with
    ``carriers``; ``base`` defaults to ``Scenario("base")`` (no changes).
    Each scenario applies to ``ruleset`` on its own (they do not stack);
    ``as_of`` is used by scenarios that set none (default: today). With an
    executor, or ``workers=N`` (a process pool for this call, as in
    ``evaluate_many``), the evaluations run there and only per-carrier
    totals and budget lines come back. ``engine`` is ``"native"`` or
    ``"durable"``, as for ``evaluate_many``: both give the same amounts.
    """
    every = (base if base is not None else Scenario("base"),) + scenarios
    names, budgets, rows = run_scenarios(portfolio, every, ruleset, as_of, executor, progress, chunk_size, workers,
                                         per_carrier=True, engine=engine)
    return Comparison(every, names, budgets, rows)


def run_scenarios(
    portfolio: Any,
    every: tuple[Scenario, ...],
    ruleset: Ruleset | str | Path | None,
    as_of: datetime.date | str | None,
    executor: Executor | None,
    progress: bool | None,
    chunk_size: int | None,
    workers: int | None,
    per_carrier: bool,
    engine: str = "native",
) -> tuple[tuple[str, ...], tuple[Budget, ...], tuple[CarrierComparison, ...]]:
    """What ``compare`` finds for ``every`` scenario (base first) on ``engine``: their names, budgets and,
    if ``per_carrier``, each carrier's totals (else none are built)."""
    for i, s in enumerate(every):
        if not isinstance(s, Scenario):
            raise IncubatorRulesError(f"expected a Scenario, got {type(s).__name__}", field=f"scenarios[{i}]")
    if engine not in ENGINES:
        raise EngineError(f"unknown engine {engine!r}; available: {', '.join(ENGINES)}", field="engine")
    check_workers(workers, executor)
    check_chunk_size(chunk_size)
    in_process_only = executor is None and (workers is None or workers == 1)
    ranged = not in_process_only and not any(s.edited for s in every)  # JSON Lines: workers read ranges of the files
    base_rs, default_day, _ = prepare(ruleset, as_of, None)
    with reading_levels(base_rs):  # a file's carriers may name the levels the ruleset declares
        carriers = _carriers_of(portfolio, stream=in_process_only or ranged, progress=progress)
    stream = unread_lines(carriers) if ranged else None
    names = _names(every)
    plans = [_plan(s, n, base_rs, default_day, engine) for s, n in zip(every, names)]
    edited: list[dict[str, Carrier]] = [{} for _ in every]
    total: int | None = None
    if isinstance(carriers, list):
        total = len(carriers) * len(plans)
        by_id = {c.id: c for c in carriers} if any(s.edited for s in every) else {}  # a pool's parent touches no carrier
        for s, changed in zip(every, edited):
            missing = sorted(s.edited - set(by_id))
            if missing:
                raise scenario_error(f"scenario {s.name!r} edits carriers not in the portfolio: {', '.join(missing)}", "edits")
            changed.update({cid: s.carrier(by_id[cid]) for cid in sorted(s.edited)})
        read: Iterable[Carrier] = carriers
    else:  # a stream, evaluated as it is read
        read = _edited_as_read(carriers, every, edited)

    tallies = [Tally() for _ in plans]
    rows: list[CarrierComparison] = []

    def gather(chunk: list[Carrier], totals: list[list[tuple[int, int]]], lines: list[dict[Any, list[int]]]) -> None:
        if per_carrier:
            rows.extend(_row(c, per_plan) for c, per_plan in zip(chunk, totals))
        for tally, part in zip(tallies, lines):
            tally.merge(part)
        bar.update(len(chunk) * len(plans))

    def shipped(pool: Executor) -> Iterator[None]:
        jobs = [RulesetJob.of(p.ruleset, p.as_of, p.readings, p.engine) for p in plans]
        if stream is not None:
            parts = stream.ranges(byte_cuts(pool, chunk_size))
            for count, part_rows, lines in run_parts(pool, _compare_part, parts, stream, lambda part: (jobs, part, per_carrier),
                                                     base_rs):
                rows.extend(part_rows)
                for tally, part_lines in zip(tallies, lines):
                    tally.merge(part_lines)
                bar.update(count * len(plans))
                yield None
            return

        def args(chunk: list[Carrier]) -> tuple[Any, ...]:
            changed = [{c.id: pack_carrier(e[c.id]) for c in chunk if c.id in e} for e in edited]
            return jobs, [pack_carrier(c) for c in chunk], changed, per_carrier

        for chunk, (totals, lines) in run_chunks(pool, _compare_chunk, cut(carriers, pool_spans(len(carriers), pool, chunk_size)), args):
            yield gather(chunk, totals, lines)

    def in_process() -> Iterator[None]:
        size = chunk_size or 500
        chunks = (read[i:i + size] for i in range(0, len(read), size)) if isinstance(read, list) else read_chunks(read, size, base_rs)
        with gc_paused():  # reading a stream and evaluating make no cycles: no scans of what they build
            for chunk in chunks:
                yield gather(chunk, [_compare_one(c, plans, edited, tallies) for c in chunk], [])  # tallied as they go

    def forked(pool: Executor, token: int) -> Iterator[None]:
        assert workers is not None
        for span, (totals, lines) in run_chunks(pool, _compare_shared, pool_spans(len(carriers), workers, chunk_size),
                                                lambda span: (token, span[0], span[-1] + 1)):
            yield gather(carriers[span[0]:span[-1] + 1] if per_carrier else span, totals, lines)  # type: ignore[arg-type]

    with Progress(total, enabled=progress, unit="evaluations", share=getattr(carriers, "share", None)) as bar:
        shared = None if stream is not None else (carriers, plans, edited, per_carrier)
        for _ in dispatch(executor, workers, shared, engine, in_process, shipped, forked, paused=True):
            pass
    budgets = tuple(t.budget(p.name, p.as_of, p.ruleset.id, p.ruleset.version) for t, p in zip(tallies, plans))
    return names, budgets, tuple(rows)


def _compare_one(
    c: Carrier, plans: Sequence[_Plan], edited: Sequence[Mapping[str, Carrier]], tallies: Sequence[Tally]
) -> list[tuple[int, int]]:
    """Carrier ``c`` evaluated under every plan and added to its tally: its awarded and pending totals, per plan."""
    timeline, distinct_dates = chronological(c.events)
    totals = []
    for plan, changed, tally in zip(plans, edited, tallies):
        other = changed.get(c.id) if changed else None
        if other is None:
            paid = paid_prepared(c, plan.resolved, plan.as_of, plan.readings, timeline, plan.engine, distinct_dates)
        else:
            paid = paid_prepared(other, plan.resolved, plan.as_of, plan.readings, engine=plan.engine)
        totals.append(tally.add_paid(*paid, c.area))
    return totals


def _compare_chunk(
    jobs: list[RulesetJob], packed: list[tuple[Any, ...]], changed: list[dict[str, tuple[Any, ...]]], per_carrier: bool,
) -> tuple[list[list[tuple[int, int]]], list[dict[Any, list[int]]]]:
    """Worker side of ``compare``: budget lines for a chunk under every scenario, and per-carrier totals if
    ``per_carrier``."""
    plans = [_Plan(str(i), job.loaded(), job.as_of, job.readings, job.engine) for i, job in enumerate(jobs)]
    edited = [{cid: unpack_carrier(t) for cid, t in part.items()} for part in changed]
    return _compare_all([unpack_carrier(t) for t in packed], plans, edited, per_carrier)


def _compare_all(
    carriers: Iterable[Carrier], plans: Sequence[_Plan], edited: Sequence[Mapping[str, Carrier]], per_carrier: bool,
) -> tuple[list[list[tuple[int, int]]], list[dict[Any, list[int]]]]:
    tallies = [Tally() for _ in plans]
    with gc_paused():
        totals = [_compare_one(c, plans, edited, tallies) for c in carriers]
    # a budget needs no per-carrier totals: not sent back, to be unpickled on a core the workers need
    return totals if per_carrier else [], [dict(t.lines) for t in tallies]


def _compare_part(jobs: list[RulesetJob], part: LineRange, per_carrier: bool) -> PartResult:
    """Worker side of ``compare`` on a JSON Lines input: the carriers on ``part`` read and evaluated under every
    scenario; their ids, (their number, per-carrier rows if ``per_carrier``, budget lines), and the reading error
    that stopped them (see ``engines.batch.run_parts``)."""
    plans = [_Plan(str(i), job.loaded(), job.as_of, job.readings, job.engine) for i, job in enumerate(jobs)]
    reader = RangeReader(part)
    held: list[Carrier] = []  # for their rows

    def read() -> Iterator[Carrier]:
        for c in reader:
            if per_carrier:
                held.append(c)
            yield c

    try:
        with reading_levels(plans[0].ruleset):  # the levels the ruleset declares, in this worker too
            totals, lines = _compare_all(read(), plans, [{} for _ in plans], per_carrier)
    except Exception as exc:  # raised by the parent, once it has checked the ids read before it
        return reader.ids, None, exc
    return reader.ids, (len(reader.ids), [_row(c, t) for c, t in zip(held, totals)], lines), reader.error


def _row(c: Carrier, per_plan: Sequence[tuple[int, int]]) -> CarrierComparison:
    awarded, pending = zip(*per_plan)
    return CarrierComparison(c.id, c.name, c.kind._value_, c.area, awarded, pending)


def _compare_shared(
    token: int, start: int, stop: int
) -> tuple[list[list[tuple[int, int]]], list[dict[Any, list[int]]]]:
    """Worker side of ``compare(workers=N)``: carriers ``start:stop`` of the shared input, under every scenario."""
    carriers, plans, edited, per_carrier = shared_input(token)
    return _compare_all(carriers[start:stop], plans, edited, per_carrier)


def budget(
    portfolio: Any,
    scenario: "Scenario | None" = None,
    *,
    ruleset: "Ruleset | str | Path | None" = None,
    as_of: datetime.date | str | None = None,
    executor: "Executor | None" = None,
    progress: bool | None = None,
    workers: int | None = None,
    engine: str = "native",
) -> Budget:
    """The budget of a portfolio (carriers, a portfolio file, or an object with ``carriers``) under one scenario.

    Without a scenario, the ruleset's defaults apply. With an executor the
    evaluations run there and only budget lines come back; ``workers=N``
    runs a process pool for this call (see ``evaluate_many``). ``engine``
    is ``"native"`` or ``"durable"``, as for ``evaluate_many``.
    """
    chosen = scenario if scenario is not None else Scenario("base")
    _, budgets, _ = run_scenarios(portfolio, (chosen,), ruleset, as_of, executor, progress, None, workers,
                                  per_carrier=False, engine=engine)
    return budgets[0]
