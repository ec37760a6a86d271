"""What-if scenarios: named changes to a ruleset's values, readings, date and carrier histories, and their comparison.

A scenario never changes the ruleset or carriers it is applied to: it builds
new ones from modified plain data, which the ruleset and carrier readers
validate as they would a file.
"""

from __future__ import annotations

import copy
import datetime
import re
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence, cast

import attrs
import yaml

from ..documents import Document, Source, read_document, to_plain
from ..engines.batch import (
    RulesetJob,
    check_chunk_size,
    check_workers,
    cut,
    dispatch,
    gc_paused,
    in_chunks,
    pack_carrier,
    pool_spans,
    run_chunks,
    shared_input,
    unpack_carrier,
)
from ..engines.evaluation import prepare, totals_prepared
from ..errors import IncubatorRulesError, ScenarioError
from ..files.carriers import CarrierStream, iter_carriers
from ..files.ruleset import ruleset_from_dict
from ..model.carrier import Carrier, parse_date
from ..model.display import renderer
from ..model.durations import period
from ..model.ruleset import Ruleset
from ..output import write_text
from ..progress import Progress
from .budget import Budget, Tally

ACTIONS = ("add", "remove", "shift")


def _fail(message: str, field: str | None = None) -> ScenarioError:
    return ScenarioError(message, field=field)


def _path(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        parts = tuple(value.split("."))
    elif isinstance(value, (list, tuple)):
        parts = tuple(str(p) for p in value)
    else:
        raise _fail(f"expected a dotted path such as tables.construction_subsidy.columns.incubator.values.municipal, got {value!r}", "path")
    if not parts or any(not p for p in parts):
        raise _fail(f"empty part in path {value!r}", "path")
    return parts


@attrs.frozen
class Override:
    """Set the value at ``path`` in the ruleset's data (a dotted path; list items by ``id`` or index).

    ``Override.amount(table, column, level, amount)`` sets one table amount.
    """

    path: tuple[str, ...] = attrs.field(converter=_path)
    value: Any = attrs.field(converter=to_plain)

    @classmethod
    def amount(cls, table: str, column: str, level: str, amount: int) -> "Override":
        """The amount of ``table`` for ``column`` (a group of carrier kinds) and ``level``, in whole yuan."""
        return cls(("tables", table, "columns", column, "values", level), amount)

    @property
    def dotted(self) -> str:
        """The path as written in scenario files."""
        return ".".join(self.path)

    def apply(self, data: Any) -> None:
        """Set the value in ``data`` (plain ruleset data, changed in place)."""
        node = data
        for depth, part in enumerate(self.path[:-1]):
            node = _child(node, part, self.path[: depth + 1])
        last = self.path[-1]
        value = copy.deepcopy(self.value)
        if isinstance(node, list):
            node[_list_index(node, last, self.path)] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise _fail(f"{'.'.join(self.path[:-1])} holds a value, not fields", self.dotted)


def _child(node: Any, part: str, where: tuple[str, ...]) -> Any:
    if isinstance(node, dict):
        if part not in node:
            known = ", ".join(str(k) for k in node) or "none"
            raise _fail(f"no field {part!r} at {'.'.join(where[:-1]) or 'the top'}; fields there: {known}", ".".join(where))
        return node[part]
    if isinstance(node, list):
        return node[_list_index(node, part, where)]
    raise _fail(f"{'.'.join(where[:-1])} holds a value, not fields", ".".join(where))


def _list_index(node: list[Any], part: str, where: tuple[str, ...]) -> int:
    ids = [item.get("id") for item in node if isinstance(item, dict)]
    if part in ids:
        return next(i for i, item in enumerate(node) if isinstance(item, dict) and item.get("id") == part)
    if part.isdigit() and int(part) < len(node):
        return int(part)
    raise _fail(f"no item {part!r} in this list; items: {', '.join(str(i) for i in ids) or len(node)}", ".".join(where))


def _optional_date(value: Any, field: str) -> datetime.date | None:
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise _fail(str(exc), field) from None


def _to(value: Any) -> datetime.date | None:
    return _optional_date(value, "to")


def _as_of(value: Any) -> datetime.date | None:
    return _optional_date(value, "as_of")


def _event_data(value: Any) -> Any:
    return value if isinstance(value, str) else to_plain(value)


@attrs.frozen
class Edit:
    """A change to one carrier's history: ``add`` an event, ``remove`` or ``shift`` one by id.

    A shift moves the event ``to`` a date, or by ``years``, ``months`` and
    ``days`` (calendar arithmetic; negative values move it earlier).
    """

    action: str
    carrier: str
    event: Any = attrs.field(converter=_event_data)
    years: int = 0
    months: int = 0
    days: int = 0
    to: datetime.date | None = attrs.field(default=None, converter=_to)

    def __attrs_post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise _fail(f"unknown action {self.action!r}; expected one of: {', '.join(ACTIONS)}", "action")
        if not isinstance(self.carrier, str) or not self.carrier:
            raise _fail(f"expected a carrier id, got {self.carrier!r}", "carrier")
        if self.action == "add":
            if not isinstance(self.event, dict):
                raise _fail("an added event is given as a mapping (type, date, level...)", "event")
        elif not isinstance(self.event, str) or not self.event:
            raise _fail(f"expected the id of the event to {self.action}, got {self.event!r}", "event")
        for unit in ("years", "months", "days"):
            value = getattr(self, unit)
            if isinstance(value, bool) or not isinstance(value, int):
                raise _fail(f"expected a whole number, got {value!r}", unit)
        moved = self.years or self.months or self.days
        if self.action == "shift" and not moved and self.to is None:
            raise _fail("a shift needs a date to move 'to', or years, months or days to move by", "to")
        if self.action == "shift" and moved and self.to is not None:
            raise _fail("a shift moves either to a date or by years, months and days, not both", "to")
        if self.action != "shift" and (moved or self.to is not None):
            raise _fail(f"only a shift takes 'to', years, months or days, not {self.action}", "to")

    @classmethod
    def add(cls, carrier: str, event: Mapping[str, Any] | None = None, **fields: Any) -> "Edit":
        """Add an event (the fields of a carrier file's event) to ``carrier``."""
        return cls("add", carrier, dict(event or {}, **fields))

    @classmethod
    def remove(cls, carrier: str, event: str) -> "Edit":
        """Remove the event with id ``event`` from ``carrier``."""
        return cls("remove", carrier, event)

    @classmethod
    def shift(
        cls, carrier: str, event: str, *, years: int = 0, months: int = 0, days: int = 0,
        to: datetime.date | str | None = None,
    ) -> "Edit":
        """Move the event with id ``event`` of ``carrier`` to a date, or by years, months and days."""
        return cls("shift", carrier, event, years, months, days, to)  # type: ignore[arg-type,unused-ignore]

    def apply(self, events: list[dict[str, Any]]) -> None:
        """Apply the edit to a carrier's events as plain data (changed in place)."""
        if self.action == "add":
            events.append(dict(self.event))
            return
        at = next((i for i, e in enumerate(events) if e.get("id") == self.event), None)
        if at is None:
            known = ", ".join(str(e.get("id")) for e in events) or "none"
            raise _fail(f"carrier {self.carrier} has no event {self.event!r}; its events: {known}", "event")
        if self.action == "remove":
            del events[at]
            return
        old = parse_date(events[at]["date"])
        try:
            new = self.to if self.to is not None else old + period({"years": self.years, "months": self.months, "days": self.days})
        except (ValueError, OverflowError):
            raise _fail(f"shifting event {self.event!r} of carrier {self.carrier} (dated {old}) by {self.years} years, "
                        f"{self.months} months and {self.days} days leaves the calendar (years 1 to 9999)", "event") from None
        events[at] = dict(events[at], date=new.isoformat())

    def to_dict(self) -> dict[str, Any]:
        """Plain data, as in scenario files."""
        out: dict[str, Any] = {"action": self.action, "carrier": self.carrier, "event": copy.deepcopy(self.event)}
        for unit in ("years", "months", "days"):
            if getattr(self, unit):
                out[unit] = getattr(self, unit)
        if self.to is not None:
            out["to"] = self.to.isoformat()
        return out


@attrs.frozen
class Scenario:
    """A named set of changes: ruleset value overrides, reading choices, an as-of date and history edits.

    Every part is optional; ``Scenario("base")`` changes nothing.
    """

    name: str
    description: str | None = None
    overrides: tuple[Override, ...] = attrs.field(default=(), converter=tuple)
    readings: Mapping[str, str] = attrs.field(factory=dict, converter=dict)
    as_of: datetime.date | None = attrs.field(default=None, converter=_as_of)
    edits: tuple[Edit, ...] = attrs.field(default=(), converter=tuple)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise _fail(f"a scenario needs a name, got {self.name!r}", "name")
        for i, override in enumerate(self.overrides):
            if not isinstance(override, Override):
                raise _fail(f"expected an Override, got {type(override).__name__}", f"overrides[{i}]")
        for i, edit in enumerate(self.edits):
            if not isinstance(edit, Edit):
                raise _fail(f"expected an Edit, got {type(edit).__name__}", f"edits[{i}]")
        for key, value in self.readings.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise _fail(f"expected reading names and values as text, got {key!r}: {value!r}", "readings")

    def ruleset(self, base: Ruleset) -> Ruleset:
        """``base`` with the overrides applied, as a new Ruleset (``base`` itself when there are none).

        The new ruleset's version is marked ``+what-if.<name>``, so its
        evaluations never pass for the published ruleset's.
        """
        if not self.overrides:
            return base
        if not base.data:
            raise _fail(f"scenario {self.name!r}: ruleset {base.id} has no source data to change", "overrides")
        data = copy.deepcopy(dict(base.data))
        for i, override in enumerate(self.overrides):
            try:
                override.apply(data)
            except ScenarioError as exc:
                raise _fail(f"scenario {self.name!r}, override {override.dotted}: {exc.message}", f"overrides[{i}]") from None
        data["version"] = f"{base.version}+what-if.{_slug(self.name)}"
        try:
            return ruleset_from_dict(data)
        except IncubatorRulesError as exc:
            raise _fail(f"scenario {self.name!r} makes the ruleset invalid: {exc.message}", exc.field) from None

    @property
    def edited(self) -> frozenset[str]:
        """Ids of the carriers this scenario edits."""
        return frozenset(e.carrier for e in self.edits)

    def carrier(self, carrier: Carrier) -> Carrier:
        """``carrier`` with this scenario's edits applied, as a new Carrier (itself when none apply)."""
        mine = [(i, e) for i, e in enumerate(self.edits) if e.carrier == carrier.id]
        if not mine:
            return carrier
        data = carrier.to_dict()
        for i, edit in mine:
            try:
                edit.apply(data["events"])
            except ScenarioError as exc:
                raise _fail(f"scenario {self.name!r}, edit {i + 1}: {exc.message}", f"edits[{i}].{exc.field}") from None
        try:
            return Carrier.from_dict(data)
        except IncubatorRulesError as exc:
            raise _fail(f"scenario {self.name!r}: the edits leave carrier {carrier.id} invalid: {exc.message}", exc.field) from None

    def to_dict(self) -> dict[str, Any]:
        """Plain data, as in scenario files (empty parts left out)."""
        out: dict[str, Any] = {"name": self.name}
        if self.description is not None:
            out["description"] = self.description
        if self.as_of is not None:
            out["as_of"] = self.as_of.isoformat()
        if self.readings:
            out["readings"] = dict(self.readings)
        if self.overrides:
            out["overrides"] = [{"path": o.dotted, "value": copy.deepcopy(o.value)} for o in self.overrides]
        if self.edits:
            out["edits"] = [e.to_dict() for e in self.edits]
        return out

    @classmethod
    def from_dict(cls, data: Any, source: Source | None = None, at: tuple[Any, ...] = ()) -> "Scenario":
        """Read a scenario from plain data; errors name the field (and file and line, given a source)."""
        src = source or Source()

        def fail(path: tuple[Any, ...], message: str) -> IncubatorRulesError:
            return src.error(ScenarioError, at + path, message)

        if not isinstance(data, Mapping):
            raise fail((), f"expected a scenario mapping, got {type(data).__name__}")
        allowed = ("name", "description", "as_of", "readings", "overrides", "edits")
        for key in data:
            if key not in allowed:
                raise fail((key,), f"unknown field; expected one of: {', '.join(allowed)}")
        overrides, edits = [], []
        for i, raw in enumerate(_list(data.get("overrides"), fail, ("overrides",))):
            if not isinstance(raw, Mapping) or set(raw) != {"path", "value"}:
                raise fail(("overrides", i), "expected a mapping with 'path' and 'value'")
            overrides.append(_made(lambda: Override(raw["path"], raw["value"]), fail, ("overrides", i)))
        for i, raw in enumerate(_list(data.get("edits"), fail, ("edits",))):
            fields = ("action", "carrier", "event", "years", "months", "days", "to")
            if not isinstance(raw, Mapping) or any(k not in fields for k in raw) or not {"action", "carrier", "event"} <= set(raw):
                raise fail(("edits", i), f"expected a mapping with action, carrier and event, and optionally: {', '.join(fields[3:])}")
            edits.append(_made(lambda: Edit(**raw), fail, ("edits", i)))
        readings = data.get("readings") or {}
        if not isinstance(readings, Mapping):
            raise fail(("readings",), "expected a mapping of reading names to values")
        scenario: Scenario = _made(
            lambda: cls(data.get("name"), data.get("description"), overrides, readings, data.get("as_of"), edits),  # type: ignore[arg-type]
            fail, (),
        )
        return scenario

    def to_yaml(self) -> str:
        """YAML text that ``load_scenarios`` reads back to an equal Scenario."""
        return _dump({"scenarios": [self.to_dict()]})

    def _repr_html_(self) -> str:
        return renderer("scenario_html")(self)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "scenario"


def _list(value: Any, fail: Any, path: tuple[Any, ...]) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise fail(path, "expected a list")
    return value


def _made(build: Any, fail: Any, path: tuple[Any, ...]) -> Any:
    try:
        return build()
    except (ScenarioError, ValueError, TypeError) as exc:
        field = getattr(exc, "field", None)
        message = getattr(exc, "message", str(exc))
        raise fail(path + ((field,) if field else ()), message) from None


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


def load_scenarios(path: str | Path) -> list[Scenario]:
    """Scenarios from a YAML or JSON file: one scenario, a list, or a mapping with ``scenarios``."""
    return scenarios_from_document(read_document(path))


def scenarios_from_document(doc: Document) -> list[Scenario]:
    """Scenarios from a parsed scenario file; errors name the file, line and field."""
    data, at = doc.data, cast("tuple[Any, ...]", ())
    if isinstance(data, Mapping) and "scenarios" in data:
        if set(data) != {"scenarios"}:
            extra = next(k for k in data if k != "scenarios")
            raise doc.source.error(ScenarioError, (extra,), "unknown field; a scenario file holds 'scenarios' only")
        data, at = data["scenarios"], ("scenarios",)
    if isinstance(data, Mapping):
        return [Scenario.from_dict(data, doc.source)]
    if not isinstance(data, list):
        raise doc.source.error(ScenarioError, at, "expected a scenario, a list of scenarios or a mapping with 'scenarios'")
    return [Scenario.from_dict(raw, doc.source, at + (i,)) for i, raw in enumerate(data)]


def save_scenarios(path: str | Path, scenarios: Iterable[Scenario]) -> None:
    """Write scenarios as YAML that ``load_scenarios`` reads back identically, whole or not at all."""
    write_text(path, _dump({"scenarios": [s.to_dict() for s in scenarios]}))


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


def _carriers_of(portfolio: Any, stream: bool = False) -> list[Carrier] | CarrierStream:
    """The carriers of a portfolio: a list of carriers, a portfolio file, or an object with ``carriers``;
    with ``stream``, a portfolio file is read as a stream (``files.carriers.iter_carriers``)."""
    if isinstance(portfolio, (str, Path)):
        found = iter_carriers(portfolio)
        return found if stream and found.streamed else list(found)
    items = getattr(portfolio, "carriers", portfolio)
    try:
        carriers = list(items)
    except TypeError:
        raise IncubatorRulesError(f"expected carriers, a portfolio file or a portfolio, got {type(portfolio).__name__}", field="portfolio") from None
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
            raise _fail(f"scenario {s.name!r} edits carriers not in the portfolio: {', '.join(missing)}", "edits")


@attrs.frozen
class _Plan:
    """One scenario resolved against the base ruleset."""

    name: str
    ruleset: Ruleset
    as_of: datetime.date
    readings: dict[str, str]


def _plan(scenario: Scenario, name: str, base: Ruleset, as_of: datetime.date | str | None) -> _Plan:
    rs = scenario.ruleset(base)
    try:
        _, day, chosen = prepare(rs, scenario.as_of or as_of, scenario.readings)
    except IncubatorRulesError as exc:
        raise _fail(f"scenario {scenario.name!r}: {exc.message}", exc.field) from None
    return _Plan(name, rs, day, chosen)


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
) -> Comparison:
    """Evaluate a portfolio under a base scenario and other scenarios, and compare what each pays.

    ``portfolio`` is a list of carriers, a portfolio file, or an object with
    ``carriers``; ``base`` defaults to ``Scenario("base")`` (no changes).
    Each scenario applies to ``ruleset`` on its own (they do not stack);
    ``as_of`` is used by scenarios that set none (default: today). With an
    executor, or ``workers=N`` (a process pool for this call, as in
    ``evaluate_many``), the evaluations run there and only per-carrier
    totals and budget lines come back.
    """
    every = (base if base is not None else Scenario("base"),) + scenarios
    names, budgets, rows = run_scenarios(portfolio, every, ruleset, as_of, executor, progress, chunk_size, workers, per_carrier=True)
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
) -> tuple[tuple[str, ...], tuple[Budget, ...], tuple[CarrierComparison, ...]]:
    """What ``compare`` finds for ``every`` scenario (base first): their names, budgets and, if
    ``per_carrier``, each carrier's totals (else none are built)."""
    for i, s in enumerate(every):
        if not isinstance(s, Scenario):
            raise IncubatorRulesError(f"expected a Scenario, got {type(s).__name__}", field=f"scenarios[{i}]")
    check_workers(workers, executor)
    check_chunk_size(chunk_size)
    in_process_only = executor is None and (workers is None or workers == 1)
    carriers = _carriers_of(portfolio, stream=in_process_only)
    names = _names(every)
    base_rs, default_day, _ = prepare(ruleset, as_of, None)
    plans = [_plan(s, n, base_rs, default_day) for s, n in zip(every, names)]
    edited: list[dict[str, Carrier]] = [{} for _ in every]
    total: int | None = None
    if isinstance(carriers, list):
        total = len(carriers) * len(plans)
        by_id = {c.id: c for c in carriers}
        for s, changed in zip(every, edited):
            missing = sorted(s.edited - set(by_id))
            if missing:
                raise _fail(f"scenario {s.name!r} edits carriers not in the portfolio: {', '.join(missing)}", "edits")
            changed.update({cid: s.carrier(by_id[cid]) for cid in sorted(s.edited)})
        read: Iterable[Carrier] = carriers
    else:  # a stream, evaluated as it is read
        read = _edited_as_read(carriers, every, edited)

    tallies = [Tally() for _ in plans]
    rows: list[CarrierComparison] = []

    def gather(chunk: list[Carrier], totals: list[tuple[tuple[int, ...], tuple[int, ...]]], lines: list[dict[Any, list[int]]]) -> None:
        if per_carrier:
            for c, (awarded, pending) in zip(chunk, totals):
                rows.append(CarrierComparison(c.id, c.name, c.kind._value_, c.area, awarded, pending))
        for tally, part in zip(tallies, lines):
            tally.merge(part)
        bar.update(len(chunk) * len(plans))

    def shipped(pool: Executor) -> Iterator[None]:
        jobs = [RulesetJob.of(p.ruleset, p.as_of, p.readings) for p in plans]

        def args(chunk: list[Carrier]) -> tuple[Any, ...]:
            changed = [{c.id: pack_carrier(e[c.id]) for c in chunk if c.id in e} for e in edited]
            return jobs, [pack_carrier(c) for c in chunk], changed

        for chunk, (totals, lines) in run_chunks(pool, _compare_chunk, cut(carriers, pool_spans(len(carriers), pool, chunk_size)), args):
            yield gather(chunk, totals, lines)

    def in_process() -> Iterator[None]:
        for chunk in in_chunks(read, chunk_size or 500):
            with gc_paused():
                yield gather(chunk, [_compare_one(c, plans, edited, tallies) for c in chunk], [])  # tallied as they go

    def forked(pool: Executor, token: int) -> Iterator[None]:
        assert workers is not None
        for span, (totals, lines) in run_chunks(pool, _compare_shared, pool_spans(len(carriers), workers, chunk_size),
                                                lambda span: (token, span[0], span[-1] + 1)):
            yield gather(carriers[span[0]:span[-1] + 1], totals, lines)

    with Progress(total, enabled=progress, unit="evaluations", share=getattr(carriers, "share", None)) as bar:
        for _ in dispatch(executor, workers, (carriers, plans, edited), "native", in_process, shipped, forked, paused=True):
            pass
    budgets = tuple(t.budget(p.name, p.as_of, p.ruleset.id, p.ruleset.version) for t, p in zip(tallies, plans))
    return names, budgets, tuple(rows)


def _compare_one(
    c: Carrier, plans: Sequence[_Plan], edited: Sequence[Mapping[str, Carrier]], tallies: Sequence[Tally]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Carrier ``c`` evaluated under every plan and added to its tally: its awarded and pending totals per plan."""
    timeline = c.timeline
    awarded, pending = [], []
    for plan, changed, tally in zip(plans, edited, tallies):
        other = changed.get(c.id)
        if other is None:
            ev = totals_prepared(c, plan.ruleset, plan.as_of, plan.readings, timeline)
        else:
            ev = totals_prepared(other, plan.ruleset, plan.as_of, plan.readings)
        a, p = tally.add(ev, c.area)
        awarded.append(a)
        pending.append(p)
    return tuple(awarded), tuple(pending)


def _compare_chunk(
    jobs: list[RulesetJob], packed: list[tuple[Any, ...]], changed: list[dict[str, tuple[Any, ...]]]
) -> tuple[list[tuple[tuple[int, ...], tuple[int, ...]]], list[dict[Any, list[int]]]]:
    """Worker side of ``compare``: per-carrier totals and budget lines for a chunk, under every scenario."""
    plans = [_Plan(str(i), job.loaded(), job.as_of, job.readings) for i, job in enumerate(jobs)]
    edited = [{cid: unpack_carrier(t) for cid, t in part.items()} for part in changed]
    return _compare_all([unpack_carrier(t) for t in packed], plans, edited)


def _compare_all(
    carriers: Iterable[Carrier], plans: Sequence[_Plan], edited: Sequence[Mapping[str, Carrier]]
) -> tuple[list[tuple[tuple[int, ...], tuple[int, ...]]], list[dict[Any, list[int]]]]:
    tallies = [Tally() for _ in plans]
    with gc_paused():
        totals = [_compare_one(c, plans, edited, tallies) for c in carriers]
    return totals, [dict(t.lines) for t in tallies]


def _compare_shared(
    token: int, start: int, stop: int
) -> tuple[list[tuple[tuple[int, ...], tuple[int, ...]]], list[dict[Any, list[int]]]]:
    """Worker side of ``compare(workers=N)``: carriers ``start:stop`` of the shared input, under every scenario."""
    carriers, plans, edited = shared_input(token)
    return _compare_all(carriers[start:stop], plans, edited)


def budget(
    portfolio: Any,
    scenario: "Scenario | None" = None,
    *,
    ruleset: "Ruleset | str | Path | None" = None,
    as_of: datetime.date | str | None = None,
    executor: "Executor | None" = None,
    progress: bool | None = None,
    workers: int | None = None,
) -> Budget:
    """The budget of a portfolio (carriers, a portfolio file, or an object with ``carriers``) under one scenario.

    Without a scenario, the ruleset's defaults apply. With an executor the
    evaluations run there and only budget lines come back; ``workers=N``
    runs a process pool for this call (see ``evaluate_many``).
    """
    chosen = scenario if scenario is not None else Scenario("base")
    _, budgets, _ = run_scenarios(portfolio, (chosen,), ruleset, as_of, executor, progress, None, workers, per_carrier=False)
    return budgets[0]
