"""Reading and writing what-if scenario files: named changes to a ruleset's values, readings, date and carrier histories.

A scenario never changes the ruleset or carriers it is applied to: it builds
new ones from modified plain data, which the ruleset and carrier readers
validate as they would a file. ``whatif.scenario`` compares scenarios over a
portfolio.
"""

from __future__ import annotations

import copy
import datetime
import re
from pathlib import Path
from typing import Any, Iterable, Mapping, cast

import attrs
import yaml

from ..documents import Document, Source, read_document, to_plain
from ..errors import IncubatorRulesError, ScenarioError
from ..model.carrier import Carrier, parse_date
from ..model.display import renderer
from ..model.durations import period
from ..model.ruleset import Ruleset
from ..output import write_text
from .ruleset import ruleset_from_dict
from .schema import Field, FileSchema, Shape

__all__ = [
    "ACTIONS",
    "Edit",
    "Override",
    "Scenario",
    "load_scenarios",
    "save_scenarios",
    "scenario_error",
    "scenarios_from_document",
]


ACTIONS = ("add", "remove", "shift")


def scenario_error(message: str, field: str | None = None) -> ScenarioError:
    return ScenarioError(message, field=field)


def _path(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        parts = tuple(value.split("."))
    elif isinstance(value, (list, tuple)):
        parts = tuple(str(p) for p in value)
    else:
        raise scenario_error(f"expected a dotted path such as tables.construction_subsidy.columns.incubator.values.municipal, got {value!r}", "path")
    if not parts or any(not p for p in parts):
        raise scenario_error(f"empty part in path {value!r}", "path")
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
            raise scenario_error(f"{'.'.join(self.path[:-1])} holds a value, not fields", self.dotted)


def _child(node: Any, part: str, where: tuple[str, ...]) -> Any:
    if isinstance(node, dict):
        if part not in node:
            known = ", ".join(str(k) for k in node) or "none"
            raise scenario_error(f"no field {part!r} at {'.'.join(where[:-1]) or 'the top'}; fields there: {known}", ".".join(where))
        return node[part]
    if isinstance(node, list):
        return node[_list_index(node, part, where)]
    raise scenario_error(f"{'.'.join(where[:-1])} holds a value, not fields", ".".join(where))


def _list_index(node: list[Any], part: str, where: tuple[str, ...]) -> int:
    ids = [item.get("id") for item in node if isinstance(item, dict)]
    if part in ids:
        return next(i for i, item in enumerate(node) if isinstance(item, dict) and item.get("id") == part)
    if part.isdigit() and int(part) < len(node):
        return int(part)
    raise scenario_error(f"no item {part!r} in this list; items: {', '.join(str(i) for i in ids) or len(node)}", ".".join(where))


def _optional_date(value: Any, field: str) -> datetime.date | None:
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise scenario_error(str(exc), field) from None


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
            raise scenario_error(f"unknown action {self.action!r}; expected one of: {', '.join(ACTIONS)}", "action")
        if not isinstance(self.carrier, str) or not self.carrier:
            raise scenario_error(f"expected a carrier id, got {self.carrier!r}", "carrier")
        if self.action == "add":
            if not isinstance(self.event, dict):
                raise scenario_error("an added event is given as a mapping (type, date, level...)", "event")
        elif not isinstance(self.event, str) or not self.event:
            raise scenario_error(f"expected the id of the event to {self.action}, got {self.event!r}", "event")
        for unit in ("years", "months", "days"):
            value = getattr(self, unit)
            if isinstance(value, bool) or not isinstance(value, int):
                raise scenario_error(f"expected a whole number, got {value!r}", unit)
        moved = self.years or self.months or self.days
        if self.action == "shift" and not moved and self.to is None:
            raise scenario_error("a shift needs a date to move 'to', or years, months or days to move by", "to")
        if self.action == "shift" and moved and self.to is not None:
            raise scenario_error("a shift moves either to a date or by years, months and days, not both", "to")
        if self.action != "shift" and (moved or self.to is not None):
            raise scenario_error(f"only a shift takes 'to', years, months or days, not {self.action}", "to")

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
            raise scenario_error(f"carrier {self.carrier} has no event {self.event!r}; its events: {known}", "event")
        if self.action == "remove":
            del events[at]
            return
        old = parse_date(events[at]["date"])
        try:
            new = self.to if self.to is not None else old + period({"years": self.years, "months": self.months, "days": self.days})
        except (ValueError, OverflowError):
            raise scenario_error(f"shifting event {self.event!r} of carrier {self.carrier} (dated {old}) by {self.years} years, "
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
            raise scenario_error(f"a scenario needs a name, got {self.name!r}", "name")
        for i, override in enumerate(self.overrides):
            if not isinstance(override, Override):
                raise scenario_error(f"expected an Override, got {type(override).__name__}", f"overrides[{i}]")
        for i, edit in enumerate(self.edits):
            if not isinstance(edit, Edit):
                raise scenario_error(f"expected an Edit, got {type(edit).__name__}", f"edits[{i}]")
        for key, value in self.readings.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise scenario_error(f"expected reading names and values as text, got {key!r}: {value!r}", "readings")

    def ruleset(self, base: Ruleset) -> Ruleset:
        """``base`` with the overrides applied, as a new Ruleset (``base`` itself when there are none).

        The new ruleset's version is marked ``+what-if.<name>``, so its
        evaluations never pass for the published ruleset's.
        """
        if not self.overrides:
            return base
        if not base.data:
            raise scenario_error(f"scenario {self.name!r}: ruleset {base.id} has no source data to change", "overrides")
        data = copy.deepcopy(dict(base.data))
        for i, override in enumerate(self.overrides):
            try:
                override.apply(data)
            except ScenarioError as exc:
                raise scenario_error(f"scenario {self.name!r}, override {override.dotted}: {exc.message}", f"overrides[{i}]") from None
        data["version"] = f"{base.version}+what-if.{_slug(self.name)}"
        try:
            return ruleset_from_dict(data)
        except IncubatorRulesError as exc:
            raise scenario_error(f"scenario {self.name!r} makes the ruleset invalid: {exc.message}", exc.field) from None

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
                raise scenario_error(f"scenario {self.name!r}, edit {i + 1}: {exc.message}", f"edits[{i}].{exc.field}") from None
        try:
            return Carrier.from_dict(data)
        except IncubatorRulesError as exc:
            raise scenario_error(f"scenario {self.name!r}: the edits leave carrier {carrier.id} invalid: {exc.message}", exc.field) from None

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
        allowed = _SCENARIO_KEYS
        for key in data:
            if key not in allowed:
                raise fail((key,), f"unknown field; expected one of: {', '.join(allowed)}")
        overrides, edits = [], []
        for i, raw in enumerate(_list(data.get("overrides"), fail, ("overrides",))):
            if not isinstance(raw, Mapping) or set(raw) != {"path", "value"}:
                raise fail(("overrides", i), "expected a mapping with 'path' and 'value'")
            overrides.append(_made(lambda: Override(raw["path"], raw["value"]), fail, ("overrides", i)))
        for i, raw in enumerate(_list(data.get("edits"), fail, ("edits",))):
            fields = _EDIT_KEYS
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


# --- the schema of the file ---------------------------------------------------------


SCENARIO = Shape(
    (
        Field("name", {"type": "string", "minLength": 1}, required=True),
        Field("description", {"type": "string"}),
        Field("as_of", {"$ref": "#/definitions/date"}),
        Field("readings", {
            "type": "object",
            "description": "Reading name to the alternative chosen, as in the ruleset's `readings`.",
            "additionalProperties": {"type": "string"},
        }),
        Field("overrides", {"type": "array", "items": {"$ref": "#/definitions/override"}}),
        Field("edits", {"type": "array", "items": {"$ref": "#/definitions/edit"}}),
    ),
)


EDIT = Shape(
    (
        Field("action", {"enum": ["add", "remove", "shift"]}, required=True),
        Field("carrier", {"type": "string", "minLength": 1}, required=True),
        Field("event", {
            "anyOf": [
                {
                    "type": "string",
                    "minLength": 1,
                    "description": "The id of the event to remove or shift.",
                },
                {"type": "object", "description": "The event to add."},
            ],
        }, required=True),
        Field("years", {"type": "integer"}),
        Field("months", {"type": "integer"}),
        Field("days", {"type": "integer"}),
        Field("to", {"$ref": "#/definitions/date"}),
    ),
    description="A change to one carrier's history: add an event (given as in a carrier file), or remove or shift one by its id. A shift moves the event `to` a date, or by years, months and days.",
    extra={
        "if": Shape((Field("action", {"const": "add"}),), closed=None, typed=False),
        "then": Shape((Field("event", {"type": "object"}),), closed=None, typed=False),
        "else": Shape((Field("event", {"type": "string"}),), closed=None, typed=False),
    },
)


_SCENARIO_KEYS = SCENARIO.keys
_EDIT_KEYS = EDIT.keys


def scenario_schema() -> FileSchema:
    """The JSON Schema of scenario files (``schemas/scenario.schema.json``)."""
    return FileSchema(
        "scenario",
        "incubator-rules what-if scenarios",
        "Named sets of changes compared over a portfolio (`incubator-rules compare`, `incubator_rules.compare`): ruleset value overrides, reading choices, an as-of date and edits to carrier histories. A file holds `scenarios:` (a list), a list, or one scenario. See docs/what-if.md.",
        root={
            "anyOf": [
                Shape(
                    (
                        Field("scenarios", {"type": "array", "items": {"$ref": "#/definitions/scenario"}}, required=True),
                    ),
                ),
                {"type": "array", "items": {"$ref": "#/definitions/scenario"}},
                {"$ref": "#/definitions/scenario"},
            ],
        },
        definitions={
            "date": {
                "type": "string",
                "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                "description": "A date, YYYY-MM-DD.",
            },
            "override": Shape(
                (
                    Field("path", {
                        "anyOf": [
                            {"type": "string", "minLength": 1},
                            {"type": "array", "minItems": 1, "items": {"type": ["string", "integer"]}},
                        ],
                    }, required=True),
                    Field("value", {"description": "Any value the ruleset accepts there; amounts in whole yuan."}, required=True),
                ),
                description="Set the value at `path` in the ruleset's data: a dotted path, list items by their `id` or index, for example tables.construction_subsidy.columns.incubator.values.municipal.",
            ),
            "edit": EDIT,
            "scenario": SCENARIO,
        },
    )
