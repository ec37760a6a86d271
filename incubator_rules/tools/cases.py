"""Test cases as data: a carrier, an as-of date, readings, and the decisions a ruleset should reach.

A case file holds one or more cases. Policy staff write them in YAML from the
policy text; ``incubator-rules test`` and pytest run them and show, for each
failure, what was expected against what the ruleset decided.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import attrs

from ..documents import DataPath, Document, Source, read_document
from ..engines.evaluation import evaluate
from ..errors import CaseError, IncubatorRulesError, describe
from ..files.carriers import prefixed
from ..files.ruleset import load_ruleset
from ..kinds import KINDS
from ..model.carrier import Carrier, Level, level_of, level_schema, parse_date, parse_enum, reading_levels
from ..model.decision import Decision, Evaluation
from ..model.ruleset import Ruleset
from ..files.schema import AMOUNT, DATE, TEXT, Field, FileSchema, Shape, enum_values

FILE_KEYS = ("$schema", "title", "description", "ruleset", "carrier", "as_of", "readings", "cases")
LISTS = ("awards", "pending", "not_awarded")
_PAID_FIELDS = ("rule", "reason", "amount", "payable_on", "level", "event", "instalment", "clause", "amount_in_force_from", "note")
DECISION_KEYS = {
    "awards": _PAID_FIELDS,
    "pending": _PAID_FIELDS,
    "not_awarded": ("rule", "reason", "level", "event", "instalment", "clause", "note"),
}
REQUIRED = {"awards": "amount", "pending": "amount", "not_awarded": "reason"}
# The order fields are shown in; "note" is a comment for readers and never compared.
COMPARED = ("rule", "reason", "amount", "payable_on", "level", "event", "instalment", "clause", "amount_in_force_from")


@attrs.frozen
class ExpectedDecision:
    """One decision a case expects: only the fields it names are compared."""

    fields: Mapping[str, Any]
    line: int | None = None

    def mismatches(self, actual: Decision) -> list[tuple[str, Any, Any]]:
        """(field, expected, actual) for each named field the decision does not match."""
        out = []
        for name in COMPARED:
            if name in self.fields:
                want, got = self.fields[name], actual_field(actual, name)
                ok = want in got if name == "clause" else want == got
                if not ok:
                    out.append((name, want, got))
        return out


@attrs.frozen
class Expectation:
    """What a case expects; a list left out (None) is not checked, an empty list means none."""

    awards: tuple[ExpectedDecision, ...] | None = None
    pending: tuple[ExpectedDecision, ...] | None = None
    not_awarded: tuple[ExpectedDecision, ...] | None = None
    total: int | None = None
    pending_total: int | None = None


@attrs.frozen
class Case:
    """One test case: evaluate ``carrier`` as of ``as_of`` under ``readings`` and compare."""

    name: str
    carrier: Carrier
    as_of: datetime.date
    expected: Expectation
    readings: Mapping[str, str] = attrs.field(factory=dict)
    ruleset: str | None = None
    file: str | None = None
    line: int | None = None

    @property
    def location(self) -> str:
        """``file:line`` of the case, for reports."""
        where = self.file or "<case>"
        return f"{where}:{self.line}" if self.line else where


@attrs.frozen
class CaseResult:
    """The outcome of one case: the evaluation, and a list of differences (empty when it passed)."""

    case: Case
    differences: tuple[str, ...]
    evaluation: Evaluation | None = None
    error: IncubatorRulesError | None = None

    @property
    def passed(self) -> bool:
        """True when the evaluation matched every expectation."""
        return not self.differences and self.error is None


def actual_field(d: Decision, name: str) -> Any:
    """A decision's value for a case field (``clause`` is the tuple of cited clause ids)."""
    if name == "event":
        return d.events[0] if d.events else None
    if name == "clause":
        return tuple(c.clause for c in d.citations)
    if name == "level":
        return None if d.level is None else d.level.value
    if name == "instalment":
        return None if d.instalment is None else d.instalment.number
    return getattr(d, name)


# --- reading case files -------------------------------------------------------


def load_cases(path: str | Path) -> list[Case]:
    """Read a case file; raises the first problem (CaseError, CarrierError, DocumentError)."""
    cases, problems = validate_cases(read_document(path))
    if problems:
        raise problems[0]
    return cases


def validate_cases(doc: Document) -> tuple[list[Case], list[IncubatorRulesError]]:
    """Read a parsed case file, collecting every problem; the cases are returned only when there are none."""
    reader = _CaseReader(doc.source)
    cases = reader.file(doc.data)
    problems = in_file_order(reader.problems)
    return ([] if problems else cases), problems


def in_file_order(problems: Iterable[IncubatorRulesError]) -> list[IncubatorRulesError]:
    """Problems without repeats, sorted by file, line and column."""
    seen: dict[str, IncubatorRulesError] = {}
    for p in problems:
        seen.setdefault(str(p), p)
    return sorted(seen.values(), key=lambda p: (p.file or "", p.line is None, p.line or 0, p.column or 0))


def carrier_problems(data: Any, source: Source) -> tuple[Carrier | None, list[IncubatorRulesError]]:
    """Read a carrier, finding every problem rather than only the first.

    The carrier reader stops at the first problem, so after a failure the
    header, each fact and each event are read again on their own (an event
    keeps its index, preceded by harmless stand-in events), and then the
    history as a whole with a stand-in in place of each broken event (a
    duplicate id, a resumption with no suspension): every problem found is
    returned, each once.
    """
    try:
        return Carrier.from_dict(data, source), []
    except IncubatorRulesError as exc:
        first = exc
    events = data.get("events") if isinstance(data, Mapping) else None
    if not isinstance(events, list) or len(events) > 500:
        return None, [first]
    problems: list[IncubatorRulesError] = []

    def attempt(candidate: Mapping[str, Any]) -> bool:
        try:
            Carrier.from_dict(candidate, source)
        except IncubatorRulesError as exc:
            if all(str(exc) != str(p) for p in problems):
                problems.append(exc)
            return False
        return True

    facts = data.get("facts")
    header = dict(data, events=[])
    if isinstance(facts, Mapping) and facts:
        header.pop("facts")
    header_ok = attempt(header)
    stand_in = {"id": "stand-in", "name": "stand-in", "kind": data["kind"] if header_ok else "maker_space"}
    if isinstance(facts, Mapping) and facts:
        for name, value in facts.items():  # each fact on its own
            attempt(dict(stand_in, facts={name: value}, events=[]))
    filler = [{"id": f"stand-in-{j}\ufffe", "type": "operation_started", "date": "2000-01-01"} for j in range(len(events))]
    good = [attempt(dict(stand_in, events=filler[:i] + [raw])) for i, raw in enumerate(events)]
    if any(good):  # the history as a whole, each broken event replaced by a stand-in at its place
        attempt(dict(stand_in, events=[raw if ok else filler[i] for i, (raw, ok) in enumerate(zip(events, good))]))
    return None, problems or [first]


@attrs.define
class _CaseReader:
    source: Source
    problems: list[IncubatorRulesError] = attrs.Factory(list)
    _rulesets: dict[str, Ruleset | None] = attrs.Factory(dict)

    def problem(self, path: DataPath, message: str) -> None:
        self.problems.append(self.source.error(CaseError, path, message))

    def line(self, path: DataPath) -> int | None:
        return self.source.locate(path)[0]

    def mapping(self, value: Any, path: DataPath, allowed: tuple[str, ...]) -> Mapping[Any, Any] | None:
        if not isinstance(value, Mapping):
            self.problem(path, f"expected a mapping, got {describe(value)}")
            return None
        for key in value:
            if key not in allowed:
                self.problem(path + (key,), f"unknown field; expected one of: {', '.join(allowed)}")
        return value

    def text(self, value: Any, path: DataPath) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.problem(path, f"expected a non-empty string, got {describe(value)}")
            return None
        return value

    def date(self, value: Any, path: DataPath) -> datetime.date | None:
        try:
            return parse_date(value)
        except ValueError:
            self.problem(path, f"expected a date as YYYY-MM-DD, got {describe(value)}")
            return None

    def base_dir(self) -> Path:
        return Path(self.source.file).parent if self.source.file else Path.cwd()

    def file(self, data: Any) -> list[Case]:
        data = self.mapping(data, (), FILE_KEYS)
        if data is None:
            return []
        for key in ("title", "description"):
            if data.get(key) is not None:
                self.text(data[key], (key,))
        shared = {key: (data[key], (key,)) for key in ("ruleset", "carrier", "as_of", "readings") if data.get(key) is not None}
        raw_cases = data.get("cases")
        if raw_cases is None:
            self.problem(("cases",), "required field is missing: a non-empty list of cases")
            return []
        if not isinstance(raw_cases, list) or not raw_cases:
            self.problem(("cases",), f"expected a non-empty list of cases, got {describe(raw_cases)}")
            return []
        carriers: dict[DataPath, Carrier | None] = {}
        out = []
        names: dict[str, int] = {}
        for i, raw in enumerate(raw_cases):
            name = raw.get("name") if isinstance(raw, Mapping) else None
            if isinstance(name, str) and name in names:
                self.problem(("cases", i, "name"), f"two cases are named {name!r} (also cases[{names[name]}])")
            if isinstance(name, str):
                names.setdefault(name, i)
            case = self.case(raw, ("cases", i), shared, carriers)
            if case is not None:
                out.append(case)
        return out

    def case(
        self, raw: Any, path: DataPath, shared: Mapping[str, tuple[Any, DataPath]], carriers: dict[DataPath, Carrier | None]
    ) -> Case | None:
        raw = self.mapping(raw, path, CASE_KEYS)
        if raw is None:
            return None
        before = len(self.problems)
        fields = dict(shared)
        fields.update({k: (raw[k], path + (k,)) for k in ("ruleset", "carrier", "as_of", "readings") if raw.get(k) is not None})
        name = self.text(raw.get("name"), path + ("name",))
        if raw.get("description") is not None:
            self.text(raw["description"], path + ("description",))
        ruleset_ref, ruleset = self.ruleset(fields.get("ruleset"))
        carrier = None
        if "carrier" not in fields:
            self.problem(path + ("carrier",), "required field is missing (give it here or at the top of the file)")
        else:
            value, cpath = fields["carrier"]
            if cpath not in carriers:
                with reading_levels(() if ruleset is None else ruleset.levels):  # the levels the case's ruleset declares
                    carriers[cpath] = self.carrier(value, cpath)
            carrier = carriers[cpath]
        as_of = None
        if "as_of" not in fields:
            self.problem(path + ("as_of",), "required field is missing (give it here or at the top of the file)")
        else:
            as_of = self.date(*fields["as_of"])
        readings = self.readings(fields.get("readings"), ruleset)
        expected = None
        if raw.get("expected") is None:
            self.problem(path + ("expected",), "required field is missing")
        else:
            expected = self.expected(raw["expected"], path + ("expected",), ruleset, carrier)
        if len(self.problems) > before or None in (name, carrier, as_of, expected):
            return None
        return Case(name, carrier, as_of, expected, readings, ruleset_ref, self.source.file, self.line(path))  # type: ignore[arg-type]

    def ruleset(self, field: tuple[Any, DataPath] | None) -> tuple[str | None, Ruleset | None]:
        if field is None:
            ref = None
        else:
            ref = self.text(*field)
            if ref is None:
                return None, None
            if "/" in ref or "\\" in ref or ref.endswith((".yaml", ".yml", ".json")):
                ref = str((self.base_dir() / ref).resolve()) if not Path(ref).is_absolute() else ref
        key = ref or ""
        if key not in self._rulesets:
            try:
                self._rulesets[key] = load_ruleset(ref)
            except IncubatorRulesError as exc:
                self._rulesets[key] = None
                if field is not None:
                    self.problem(field[1], f"cannot load ruleset: {exc}")
                else:
                    self.problems.append(exc)
        return ref, self._rulesets[key]

    def carrier(self, value: Any, path: DataPath) -> Carrier | None:
        if isinstance(value, str):
            target = Path(value) if Path(value).is_absolute() else self.base_dir() / value
            try:
                doc = read_document(target)
            except IncubatorRulesError as exc:
                self.problem(path, f"cannot read carrier file: {exc.message}")
                return None
            carrier, problems = carrier_problems(doc.data, doc.source)
            self.problems.extend(problems)
            return carrier
        if not isinstance(value, Mapping):
            self.problem(path, f"expected a carrier (a mapping) or the path of a carrier file, got {describe(value)}")
            return None
        carrier, problems = carrier_problems(value, self.source.below(path))
        self.problems.extend(prefixed(p, path) for p in problems)
        return carrier

    def readings(self, field: tuple[Any, DataPath] | None, ruleset: Ruleset | None) -> dict[str, str]:
        if field is None:
            return {}
        value, path = field
        if not isinstance(value, Mapping):
            self.problem(path, f"expected a mapping of reading names to values, got {describe(value)}")
            return {}
        out = {}
        for name, choice in value.items():
            if not isinstance(choice, str):
                self.problem(path + (name,), f"expected the name of an alternative, got {describe(choice)}")
                continue
            if ruleset is not None:
                try:
                    ruleset.resolve_readings({name: choice})
                except IncubatorRulesError as exc:
                    self.problem(path + (name,), exc.message)
                    continue
            out[str(name)] = choice
        return out

    def expected(self, raw: Any, path: DataPath, ruleset: Ruleset | None, carrier: Carrier | None) -> Expectation | None:
        raw = self.mapping(raw, path, EXPECTED_KEYS)
        if raw is None:
            return None
        if not any(k in raw for k in EXPECTED_KEYS):
            self.problem(path, f"expect at least one of: {', '.join(EXPECTED_KEYS)}")
            return None
        lists: dict[str, tuple[ExpectedDecision, ...] | None] = {}
        for key in LISTS:
            if key not in raw:
                lists[key] = None
                continue
            items = raw[key]
            if items is None:
                items = []
            if not isinstance(items, list):
                self.problem(path + (key,), f"expected a list of decisions (or [] for none), got {describe(items)}")
                continue
            decisions = (self.decision(item, path + (key, i), key, ruleset, carrier) for i, item in enumerate(items))
            lists[key] = tuple(d for d in decisions if d is not None)
        totals = {}
        for key in ("total", "pending_total"):
            if raw.get(key) is not None:
                totals[key] = self.amount(raw[key], path + (key,))
        return Expectation(lists.get("awards"), lists.get("pending"), lists.get("not_awarded"), **totals)

    def amount(self, value: Any, path: DataPath, signed: bool = False) -> int | None:
        """Whole yuan; a decision's amount may be negative (a recovery), a total may not."""
        if isinstance(value, bool) or not isinstance(value, int) or (value < 0 and not signed):
            self.problem(path, f"expected a whole, non-negative number of yuan, got {describe(value)}")
            return None
        return value

    def decision(
        self, raw: Any, path: DataPath, key: str, ruleset: Ruleset | None, carrier: Carrier | None
    ) -> ExpectedDecision | None:
        raw = self.mapping(raw, path, DECISION_KEYS[key])
        if raw is None:
            return None
        if raw.get(REQUIRED[key]) is None:
            self.problem(path + (REQUIRED[key],), "required field is missing")
        fields: dict[str, Any] = {}
        for name, value in raw.items():
            if name not in DECISION_KEYS[key] or value is None:
                continue
            fp = path + (name,)
            if name == "amount":
                fields[name] = self.amount(value, fp, signed=name == "amount")
            elif name in ("payable_on", "amount_in_force_from"):
                fields[name] = self.date(value, fp)
            elif name == "level":
                try:
                    fields[name] = level_of(value, () if ruleset is None else ruleset.levels).value
                except ValueError as exc:
                    self.problem(fp, str(exc))
            elif name == "note":
                self.text(value, fp)
            elif name == "instalment":
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    self.problem(fp, f"expected the number of an instalment (1 for the first), got {describe(value)}")
                    fields[name] = None
                else:
                    fields[name] = value
            else:
                fields[name] = self.text(value, fp)
        self.references(fields, path, ruleset, carrier, key)
        if None in fields.values():
            return None
        return ExpectedDecision(fields, self.line(path))

    def references(self, fields: Mapping[str, Any], path: DataPath, ruleset: Ruleset | None, carrier: Carrier | None,
                   key: str = "not_awarded") -> None:
        """Rule ids, reasons, clauses and event ids must exist, so a typo cannot make a case pass or fail for nothing."""
        if ruleset is not None:
            rule_ids = [r.id for r in ruleset.rules]
            rule = fields.get("rule")
            if rule is not None and rule not in rule_ids:
                self.problem(path + ("rule",), f"unknown rule {rule!r}; rules: {', '.join(rule_ids)}")
            reason = fields.get("reason")
            if reason is not None:
                kinds = [r.kind for r in ruleset.rules if rule is None or r.id == rule]
                paid = key != "not_awarded"
                codes = sorted({c for k in kinds for c in KINDS[k].codes if paid or c not in ("awarded", "pending")})
                if reason not in codes:
                    self.problem(path + ("reason",), f"unknown reason {reason!r}; reasons: {', '.join(codes)}")
            clause = fields.get("clause")
            if clause is not None and clause not in ruleset.clauses:
                self.problem(path + ("clause",), f"unknown clause {clause!r}")
        event = fields.get("event")
        if carrier is not None and event is not None and event not in {e.id for e in carrier.events}:
            self.problem(path + ("event",), f"the carrier has no event {event!r}; events: {', '.join(e.id for e in carrier.events)}")


# --- running and comparing ----------------------------------------------------


def run_case(case: Case, engine: str = "native", ruleset: Ruleset | str | Path | None = None) -> CaseResult:
    """Evaluate a case and compare the evaluation with what it expects.

    ``ruleset`` replaces the default ruleset for cases that do not name their own.
    """
    chosen = case.ruleset if case.ruleset is not None else ruleset
    try:
        ev = evaluate(case.carrier, ruleset=chosen, as_of=case.as_of, readings=case.readings, engine=engine)
    except IncubatorRulesError as exc:
        return CaseResult(case, (f"evaluation failed: {exc}",), None, exc)
    return CaseResult(case, tuple(compare_with_expected(case.expected, ev)), ev)


def compare_with_expected(expected: Expectation, ev: Evaluation) -> list[str]:
    """Readable differences between what a case expects and an evaluation; empty when they agree."""
    out: list[str] = []
    for key, actual in (("awards", ev.awards), ("pending", ev.pending), ("not_awarded", ev.not_awarded)):
        wanted = getattr(expected, key)
        if wanted is not None:
            out.extend(_compare_list(key, wanted, actual))
    for key, got in (("total", ev.total), ("pending_total", ev.pending_total)):
        want = getattr(expected, key)
        if want is not None and want != got:
            out.append(f"{key}: expected {want:,}, actual {got:,} (difference {got - want:+,})")
    return out


def _compare_list(key: str, wanted: Sequence[ExpectedDecision], actual: Sequence[Decision]) -> list[str]:
    """Pair expected with actual decisions; show each unpaired expected one beside its closest actual one."""
    pairs = _match(wanted, actual)
    missing = [w for w in range(len(wanted)) if w not in pairs]
    free = [a for a in range(len(actual)) if a not in pairs.values()]
    if not missing and not free:
        return []
    lines = [f"{key}: {len(wanted)} expected, {len(actual)} actual"]
    for w in missing:
        exp = wanted[w]
        where = f" (line {exp.line})" if exp.line else ""
        if not free:
            lines.append(f"  - expected{where}: {_show_expected(exp)}")
            lines.append("      not found")
            continue
        best = min(free, key=lambda a: (len(exp.mismatches(actual[a])), a))
        free.remove(best)
        lines.append(f"  ~ expected{where}: {_show_expected(exp)}")
        lines.append(f"    actual: {_show_actual(actual[best], key)}")
        for name, want, got in exp.mismatches(actual[best]):
            lines.append(f"      {name}: expected {_value(want)}, actual {_value(got)}")
    for a in free:
        lines.append(f"  + unexpected: {_show_actual(actual[a], key)}")
        lines.append(f"      {actual[a].explanation_en}")
    return lines


def _match(wanted: Sequence[ExpectedDecision], actual: Sequence[Decision]) -> dict[int, int]:
    """A largest pairing of expected with actual decisions that agree on every named field."""
    fits = [[a for a in range(len(actual)) if not w.mismatches(actual[a])] for w in wanted]
    owner: dict[int, int] = {}

    def place(w: int, tried: set[int]) -> bool:
        for a in fits[w]:
            if a not in tried:
                tried.add(a)
                if a not in owner or place(owner[a], tried):
                    owner[a] = w
                    return True
        return False

    for w in range(len(wanted)):
        place(w, set())
    return {w: a for a, w in owner.items()}


def _value(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return str(v).lower() if v is not None else "none"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, tuple):
        return "[" + ", ".join(map(str, v)) + "]"
    return str(v)


def _show_expected(exp: ExpectedDecision) -> str:
    return "  ".join(f"{k}={_value(exp.fields[k])}" for k in COMPARED if k in exp.fields)


def _show_actual(d: Decision, key: str) -> str:
    names = ("rule", "reason", "event", "level") if key == "not_awarded" else ("rule", "amount", "payable_on", "event", "level")
    return "  ".join(f"{k}={_value(actual_field(d, k))}" for k in names)


# --- the schema of the file ---------------------------------------------------------


CASE = Shape(
    (
        Field("name", {"$ref": "#/definitions/text"}, required=True),
        Field("description", {"$ref": "#/definitions/text"}, nullable=True),
        Field("ruleset", {"$ref": "#/definitions/text"}, nullable=True),
        Field("carrier", {"$ref": "#/definitions/carrier_or_path"}),
        Field("as_of", {"$ref": "#/definitions/date"}, nullable=True),
        Field("readings", {"$ref": "#/definitions/readings"}),
        Field("expected", {"$ref": "#/definitions/expected"}, required=True),
    ),
)


EXPECTED = Shape(
    (
        Field("awards", {"type": "array", "items": {"$ref": "#/definitions/paid"}}, nullable=True),
        Field("pending", {"type": "array", "items": {"$ref": "#/definitions/paid"}}, nullable=True),
        Field("not_awarded", {
            "anyOf": [{"type": "array", "items": {"$ref": "#/definitions/not_paid"}}, {"type": "null"}],
        }),
        Field("total", {"$ref": "#/definitions/amount"}, nullable=True),
        Field("pending_total", {"$ref": "#/definitions/amount"}, nullable=True),
    ),
    extra={"minProperties": 1},
)


_INSTALMENT_NUMBER = {"type": "integer", "minimum": 1, "description": "which instalment of a scheduled award (1 for the first)"}
CASE_KEYS = CASE.keys
EXPECTED_KEYS = EXPECTED.keys



def _each_case_needs(name: str) -> dict[str, Any]:
    """The schema rule "a file without a top-level ``name`` gives one in every case"."""
    present = Field(name, {"not": {"type": "null"}}, required=True)
    return {
        "if": {"not": Shape((present,), closed=None, typed=False)},
        "then": Shape((Field("cases", {"items": Shape((present,), closed=None, typed=False)}),), closed=None, typed=False),
    }

def case_schema() -> FileSchema:
    """The JSON Schema of case files (``schemas/case.schema.json``)."""
    return FileSchema(
        "case",
        "incubator-rules test cases",
        "Test cases as data: a carrier, an as-of date, optional readings and the decisions expected.",
        root=Shape(
            (
                Field("$schema", {"type": "string"}),
                Field("title", {"$ref": "#/definitions/text"}, nullable=True),
                Field("description", {"$ref": "#/definitions/text"}, nullable=True),
                Field("ruleset", {
                    "anyOf": [{"$ref": "#/definitions/text"}, {"type": "null"}],
                    "description": "a shipped ruleset id, or a path relative to this file (default: the default ruleset named in rulesets/defaults.toml)",
                }),
                Field("carrier", {"$ref": "#/definitions/carrier_or_path"}),
                Field("as_of", {"$ref": "#/definitions/date"}, nullable=True),
                Field("readings", {"$ref": "#/definitions/readings"}),
                Field("cases", {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/case"}}, required=True),
            ),
            extra={"allOf": [_each_case_needs(name) for name in ("carrier", "as_of")]},
        ),
        definitions={
            "text": TEXT,
            "date": DATE,
            "amount": AMOUNT,
            "carrier_or_path": {
                "anyOf": [
                    {"$ref": "carrier.schema.json"},
                    {
                        "$ref": "#/definitions/text",
                        "description": "path of a carrier file, relative to this file",
                    },
                    {"type": "null"},
                ],
            },
            "readings": {
                "anyOf": [{"type": "object", "additionalProperties": {"type": "string"}}, {"type": "null"}],
                "description": "reading name: alternative",
            },
            "case": CASE,
            "expected": EXPECTED,
            "paid": Shape(
                (
                    Field("rule", {"$ref": "#/definitions/text"}, nullable=True),
                    Field("reason", {"$ref": "#/definitions/text", "description": "the outcome code, e.g. instalment_awarded"}, nullable=True),
                    Field("amount", {"type": "integer", "description": "whole yuan; negative for a recovery (clawback)"}, required=True),
                    Field("payable_on", {"$ref": "#/definitions/date"}, nullable=True),
                    Field("level", level_schema(), nullable=True),
                    Field("event", {"$ref": "#/definitions/text"}, nullable=True),
                    Field("instalment", _INSTALMENT_NUMBER, nullable=True),
                    Field("clause", {"$ref": "#/definitions/text"}, nullable=True),
                    Field("amount_in_force_from", {"$ref": "#/definitions/date"}, nullable=True),
                    Field("note", {"$ref": "#/definitions/text"}, nullable=True),
                ),
            ),
            "not_paid": Shape(
                (
                    Field("rule", {"$ref": "#/definitions/text"}, nullable=True),
                    Field("reason", {"$ref": "#/definitions/text", "description": "the outcome code, e.g. outside_window"}, required=True),
                    Field("level", level_schema(), nullable=True),
                    Field("event", {"$ref": "#/definitions/text"}, nullable=True),
                    Field("instalment", _INSTALMENT_NUMBER, nullable=True),
                    Field("clause", {"$ref": "#/definitions/text"}, nullable=True),
                    Field("note", {"$ref": "#/definitions/text"}, nullable=True),
                ),
            ),
        },
    )
