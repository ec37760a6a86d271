"""Reward ruleset files: finding, loading and validating them, every problem with its location."""

from __future__ import annotations

import copy
import datetime
import difflib
import hashlib
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Collection, Mapping

import attrs

from ..documents import Document, Source, canonical_json, data_problem, id_problem, parse_yaml, read_document
from ..errors import RulesetError, describe
from ..kinds import KINDS, RULE_PLACEHOLDERS, RuleKind, default_explanation
from ..kinds.generic import DEFINITIONS as RULE_DEFINITIONS
from ..kinds.generic import RuleIds, alternatives, bound, read_bound
from ..model.carrier import LEVEL_ID_PATTERN, CarrierKind, EventType, Grade, Level, level_of, parse_date, parse_enum, whole_yuan
from ..model.labels import LEVEL_ZH
from ..model.durations import UNITS
from ..model.facts import did_you_mean
from ..model.ruleset import (
    CAP_YEARS, Cap, Clause, DatedValue, PlanArea, PlanPeriod, Reading, ReadingBound, Rule, Ruleset, SourceDocument, Table,
    bound_readings,
)
from .schema import AMOUNT, DATE, TEXT, Field, FileSchema, Schema, Shape, enum_values
from .types import DEFAULTS, RULESETS_DIR, document_type, ruleset_file, wrong_type

DEFAULT_RULESET: str = DEFAULTS["ruleset"]

# The parameter checks this reader knows; a kind may give its own check (a callable) instead.
_PARAM_CHECKS = frozenset({"table", "duration", "grades", "rule"})


@attrs.frozen
class ParamContext:
    """What a rule kind's own parameter check may consult: the ids declared elsewhere in the file."""

    table_ids: set[Any] | None
    clause_ids: set[Any] | None
    readings: Mapping[str, Reading]
    reading_ids: set[Any] | None
    levels: Mapping[Level, Any]
    rules: Mapping[str, str] = attrs.field(factory=dict)  # every rule's id and kind, as written in the file
    event_types: frozenset[EventType] = frozenset()  # the types the rule's own ``match`` names, as far as they are known

    @property
    def rule_ids(self) -> frozenset[str]:
        """The ids of the file's rules."""
        return frozenset(self.rules)


# A level id other than a built-in one (whose names are optional): the keys of ``levels`` that declare a level.
_NEW_LEVEL_PATTERN = "^(?!(" + "|".join(m.value for m in Level) + ")$)" + LEVEL_ID_PATTERN[1:]


def difflib_ratio(name: str, hint: str) -> float:
    """How close ``name`` is to the name a "did you mean" hint proposes (1.0: the same)."""
    proposed = hint.split("'")[1] if "'" in hint else hint
    return difflib.SequenceMatcher(None, name, proposed).ratio()


# MAJOR.MINOR.PATCH with an optional pre-release and build (semver.org); MAJOR.MINOR is read as MAJOR.MINOR.0.
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)(\.(0|[1-9]\d*))?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def _match_types(raw: Any) -> frozenset[EventType]:
    """The event types a rule's ``match`` names (a filter or a list of them), those that are known."""
    found = set()
    if isinstance(raw, Mapping) and "reading" in raw:  # bound to a reading: the types of every alternative
        values = raw.get("values")
        return frozenset().union(*map(_match_types, values.values())) if isinstance(values, Mapping) and values else frozenset()
    for f in raw if isinstance(raw, list) else [raw]:
        types = f.get("type") if isinstance(f, Mapping) else None
        for t in types if isinstance(types, list) else [types]:
            if isinstance(t, str) and t in {e.value for e in EventType}:
                found.add(EventType(t))
    return frozenset(found)


def version_problem(version: Any) -> str | None:
    """What is wrong with a policy file's ``version`` (a quoted semantic version such as "1.0.0"), or None."""
    if not isinstance(version, str) or not version.strip():
        return f"expected the version as a quoted string such as \"1.0.0\", got {describe(version)}"
    if not SEMVER.match(version):
        return f"expected a semantic version such as \"1.0.0\" (MAJOR.MINOR.PATCH), got {describe(version)}"
    return None


def shipped_rulesets() -> list[Path]:
    """The reward ruleset files shipped with the package, sorted by name.

    Other policy files in the same folder (plan targets, dynamic management,
    upgrade criteria) declare another top-level ``type`` and are left out; see
    ``incubator_rules.files.types.shipped_files`` for all of them.
    """
    return [p for p in sorted(RULESETS_DIR.glob("*.yaml")) if _declared_type(p) in (None, "reward")]


def _declared_type(path: Path) -> str | None:
    """The top-level ``type:`` a YAML file declares, read from its text without parsing it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        if line.startswith("type:"):
            return line[5:].split("#")[0].strip().strip("'\"") or None
    return None


def load_ruleset(id_or_path: str | Path | None = None) -> Ruleset:
    """Load a shipped ruleset by id (``"wanzhou-2023"``) or any ruleset file by path."""
    if id_or_path is None:
        id_or_path = DEFAULT_RULESET
    candidate = ruleset_file(id_or_path, "ruleset", lambda: ", ".join(p.stem for p in shipped_rulesets()))
    try:
        return _cached_load(str(candidate.resolve()), candidate.stat().st_mtime_ns)
    except OSError as exc:
        raise RulesetError(f"cannot read ruleset: {exc.strerror or exc}", file=str(candidate)) from None


_CACHE: dict[tuple[str, int], Ruleset] = {}


def _cached_load(path: str, mtime: int) -> Ruleset:
    key = (path, mtime)
    if key not in _CACHE:
        doc = read_document(path)
        _CACHE[key] = ruleset_from_document(doc)
    return _CACHE[key]


def ruleset_from_dict(data: Mapping[str, Any]) -> Ruleset:
    """Build a ruleset from plain data (for example a loaded file, edited in a notebook)."""
    found = data_problem(data)
    if found is not None:
        raise Source().error(RulesetError, found[0], found[1])
    return ruleset_from_document(Document(data, Source()))


def parse_ruleset(text: str, file: str | None = None) -> Ruleset:
    """Build a ruleset from YAML text."""
    return ruleset_from_document(parse_yaml(text, file))


def content_sha256(data: Mapping[str, Any]) -> str:
    """sha256 of a ruleset's canonical content: comments, layout and ``$schema`` do not count."""
    hashed = {k: v for k, v in data.items() if k != "$schema"}
    return hashlib.sha256(canonical_json(hashed).encode("utf-8")).hexdigest()


def validate_ruleset(doc: Document) -> tuple[Ruleset | None, tuple[RulesetError, ...]]:
    """Read a parsed ruleset document, collecting every problem instead of stopping at the first.

    Returns the ruleset (None when anything is wrong) and the problems, in file order.
    """
    reader = ProblemReader(doc.source, collect=True)
    try:
        ruleset = reader.ruleset(doc.data)
    except RulesetError as exc:  # a policy file of another type
        return None, (exc,)
    problems = reader.sorted_problems()
    return (None if problems else ruleset), problems


def ruleset_from_document(doc: Document) -> Ruleset:
    """Validate a parsed ruleset document and build the Ruleset; raises RulesetError on the first problem."""
    ruleset, problems = validate_ruleset(doc)
    if problems:
        raise first_problem(problems)
    assert ruleset is not None
    return ruleset


def first_problem(problems: tuple[RulesetError, ...]) -> RulesetError:
    """The first of a file's problems, saying how many more ``incubator-rules check`` would list."""
    first = problems[0]
    message = first.message
    if len(problems) > 1:
        more = len(problems) - 1
        message += f" (and {more} more problem{'s' if more > 1 else ''}: `incubator-rules check` lists them all)"
    return type(first)(message, field=first.field, file=first.file, line=first.line, column=first.column)


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
Path_ = tuple[Any, ...]




def _filled(template: Any, value: Any) -> Any:
    """``template`` with ``"$value"`` replaced by ``value``."""
    if template == "$value":
        return value
    if isinstance(template, Mapping):
        return {k: _filled(v, value) for k, v in template.items()}
    return template


def _missing(ids: Collection[Any] | None, item: Any) -> bool:
    """True when ``item`` is not among known ids; unknown when the id list itself was unreadable."""
    return ids is not None and item not in ids


@attrs.frozen
class HeaderFields:
    """The header of a policy file as read, with what the rest of the file is checked against."""

    id: str | None
    version: Any
    title: tuple[str | None, str | None]
    jurisdiction: tuple[str | None, str | None]
    documents: dict[str, SourceDocument]
    clauses: dict[str, Clause]
    clause_ids: set[Any] | None  # None when the clauses section itself is unreadable
    period: PlanPeriod | None
    raw_readings: Mapping[Any, Any] | None
    readings: dict[str, Reading]


@attrs.frozen
class ProblemReader:
    """Reads a reward ruleset document; the base of every policy file's reader (``policyfile.PolicyReader``).

    With ``collect``, each problem is recorded and reading goes on where it
    safely can (a reader then returns None for what it could not read);
    without, the first problem raises.
    """

    source: Source
    collect: bool = False
    problems: list[RulesetError] = attrs.field(factory=list)
    extra_levels: set[str] = attrs.field(factory=set)  # the ids of levels the file declares beyond the built-in four

    def fail(self, path: Path_, message: str) -> RulesetError:
        """The error for a problem at ``path``."""
        return self.source.error(RulesetError, path, message)  # type: ignore[return-value]

    def problem(self, path: Path_, message: str) -> None:
        error = self.fail(path, message)
        if not self.collect:
            raise error
        self.problems.append(error)

    def sorted_problems(self) -> tuple[RulesetError, ...]:
        seen: set[str] = set()
        unique = []
        for p in self.problems:
            if str(p) not in seen:
                seen.add(str(p))
                unique.append(p)
        return tuple(sorted(unique, key=lambda p: (p.line is None, p.line or 0, p.column or 0)))

    # --- small readers: each records its problem and returns None ---------

    def mapping(self, value: Any, path: Path_, allowed: tuple[str, ...] | None = None) -> Mapping[Any, Any] | None:
        if not isinstance(value, Mapping):
            self.problem(path, f"expected a mapping, got {describe(value)}")
            return None
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    hint = did_you_mean(key, allowed)
                    self.problem(path + (key,), f"unknown field{hint}; expected one of: {', '.join(allowed)}")
        return value

    def get(self, data: Mapping[Any, Any], key: str, path: Path_) -> Any:
        value = data.get(key)
        if value is None:
            self.problem(path + (key,), "required field is missing")
        return value

    def text(self, data: Mapping[Any, Any], key: str, path: Path_, required: bool = True) -> str | None:
        value = self.get(data, key, path) if required else data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(path + (key,), f"expected a non-empty string, got {describe(value)}")
            return None
        return value

    def date(self, data: Mapping[Any, Any], key: str, path: Path_, required: bool = True) -> datetime.date | None:
        value = self.get(data, key, path) if required else data.get(key)
        if value is None:
            return None
        try:
            return parse_date(value)
        except ValueError:
            self.problem(path + (key,), f"expected a date as YYYY-MM-DD, got {describe(value)}")
            return None

    def ceiling(self, value: Any, path: Path_) -> int | None:
        """A ceiling in whole yuan (``yuan``), at least 1: a ceiling of 0 would refuse every award it bounds."""
        found = self.yuan(value, path)
        if found == 0:
            self.problem(path, "a ceiling of 0 yuan pays nothing: give the most that may be paid, or leave the rule out")
            return None
        return found

    def yuan(self, value: Any, path: Path_) -> int | None:
        """A whole number of yuan written as digits: ``300000``, never ``3e5`` or ``300000.0`` (money is exact)."""
        if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value() and 0 <= value < 10**15:
            self.problem(path, f"expected a whole number of yuan written as digits (e.g. {int(value)}), got {describe(value)}")
            return None
        try:
            return whole_yuan(value)
        except ValueError as exc:
            if isinstance(value, str):
                message = f"expected a whole number of yuan written as digits (e.g. 200000), got {describe(value)}"
            elif isinstance(value, Decimal) and value.is_finite() and value != value.to_integral_value():
                message = f"an amount must be a whole number of yuan, got {describe(value)}"
            else:
                message = str(exc)
            self.problem(path, message)
            return None

    def enum(self, enum_type: Any, value: Any, path: Path_) -> Any:
        if enum_type is Level:
            try:
                return level_of(value, self.extra_levels)
            except ValueError as exc:
                self.problem(path, str(exc) if isinstance(value, str) else f"unknown Level {describe(value)}")
                return None
        try:
            return parse_enum(enum_type, value)
        except ValueError:
            allowed = ", ".join(m.value for m in enum_type)
            hint = did_you_mean(value, [m.value for m in enum_type]) if isinstance(value, str) else ""
            self.problem(path, f"unknown {enum_type.__name__} {describe(value)}{hint}; expected one of: {allowed}")
            return None

    def bilingual(self, data: Mapping[Any, Any], key: str, path: Path_) -> tuple[str | None, str | None]:
        value = self.get(data, key, path)
        if value is None:
            return None, None
        value = self.mapping(value, path + (key,), ("zh", "en"))
        if value is None:
            return None, None
        return self.text(value, "zh", path + (key,)), self.text(value, "en", path + (key,))

    def id_list(self, value: Any, path: Path_, known: Collection[Any] | None, what: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            self.problem(path, f"expected a non-empty list of {what} ids, got {describe(value)}")
            return ()
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.problem(path + (i,), f"expected a {what} id, got {describe(item)}")
            elif _missing(known, item):
                self.problem(path + (i,), f"unknown {what} {item!r}")
            else:
                out.append(item)
        return tuple(out)

    def section(self, data: Mapping[Any, Any], key: str, required: bool = True) -> Mapping[Any, Any] | None:
        value = data.get(key)
        if value is None:
            if required:
                self.problem((key,), "required field is missing")
            return None
        return self.mapping(value, (key,))

    def duration(
        self, value: Any, path: Path_, units: tuple[str, ...], noun: str, zero: bool = False,
    ) -> dict[str, int] | None:
        """A calendar period such as ``{years: 1}`` or ``{months: 6}``: whole numbers up to 1,000, longer than zero
        unless ``zero`` allows ``{days: 0}`` (no wait)."""
        value = self.mapping(value, path, units)
        if value is None:
            return None
        ok = True
        for k, v in value.items():
            if k in units and (isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 1000):
                self.problem(path + (k,), f"expected a whole number from 0 to 1000, got {describe(v)}")
                ok = False
        if not ok:
            return None
        if not any(v for k, v in value.items() if k in units) and not (zero and value):
            self.problem(path, f"a {noun} must be longer than zero")
            return None
        return {k: v for k, v in value.items() if k in units}

    # --- the ruleset, section by section ----------------------------------

    def ruleset(self, data: Any) -> Ruleset | None:
        if isinstance(data, Mapping) and data.get("type", "reward") != "reward":
            if not isinstance(data["type"], str):
                raise self.fail(("type",), f"expected the file type as text (reward, targets...), got {describe(data['type'])}")
            raise wrong_type(document_type(data, self.source), "reward", self.source)
        data = self.mapping(data, (), _TOP_KEYS + ("$schema",))
        if data is None:
            return None
        head = self.header_fields(data, marks=True, jurisdiction=True, period=True)
        clause_ids, period, readings = head.clause_ids, head.period, head.readings
        levels = self.levels(data.get("levels"))
        area = self.area(data, clause_ids)
        raw_columns = self.section(data, "columns")
        columns = self.columns(raw_columns or {})
        column_ids = None if raw_columns is None else set(raw_columns)
        raw_tables = self.section(data, "tables")
        tables = self.tables(raw_tables or {}, column_ids, clause_ids, period, levels)
        table_ids = None if raw_tables is None else set(raw_tables)
        reading_ids = None if data.get("readings") is not None and head.raw_readings is None else set(readings)
        rules = self.rules(data.get("rules"), clause_ids, table_ids, readings, reading_ids, levels)
        out_of_scope = self.out_of_scope(data.get("out_of_scope"), clause_ids, rules)
        caps = self.caps(data.get("caps"), clause_ids, rules)
        if rules and not self.problems:
            for name in sorted(set(readings) - bound_readings(rules)):
                self.problem(("readings", name), f"reading {name!r} is bound to no rule: no parameter or role takes "
                                                 f"{{reading: {name}, values: ...}}, so choosing it would change nothing")
        self.tables_cover_levels(tables, rules, period)
        if self.problems:
            return None
        digest = content_sha256(data)
        return Ruleset(
            id=head.id, version=head.version, title_zh=head.title[0], title_en=head.title[1],  # type: ignore[arg-type]
            jurisdiction_zh=head.jurisdiction[0], jurisdiction_en=head.jurisdiction[1],  # type: ignore[arg-type]
            documents=head.documents, plan_period=period, clauses=head.clauses, columns=columns,  # type: ignore[arg-type]
            tables=tables, readings=readings, rules=rules, sha256=digest,
            path=self.source.file, area=area, data=data, levels=levels, out_of_scope=out_of_scope, caps=caps,
        )

    def caps(self, raw: Any, clause_ids: set[Any] | None, rules: tuple[Rule, ...]) -> tuple[Cap, ...]:
        """Ceilings on groups of rules: ``{id: {rules: [...], per: carrier | year, max: 500000, clause: ...}}``."""
        if raw is None:
            return ()
        raw = self.mapping(raw, ("caps",))
        out = []
        rule_ids = {r.id for r in rules}
        for key, item in (raw or {}).items():
            p = ("caps", key)
            item = self.mapping(item, p, ("rules", "per", "year", "max", "clause"))
            if item is None:
                continue
            ids = self.id_list(item.get("rules"), p + ("rules",), rule_ids, "rule")
            per = item.get("per", "carrier")
            if per not in ("carrier", "year"):
                self.problem(p + ("per",), f"expected carrier or year, got {describe(per)}{did_you_mean(per, ('carrier', 'year'))}")
            year = item.get("year", "payable")
            if year not in CAP_YEARS:
                self.problem(p + ("year",), f"expected one of: {', '.join(CAP_YEARS)}, got {describe(year)}{did_you_mean(year, CAP_YEARS)}")
            elif item.get("year") is not None and per != "year":
                self.problem(p + ("year",), "year says which year a per-year cap counts: give it with per: year")
            elif year == "event_year":
                kinds = {r.id: r.kind for r in rules}
                periodic = [r for r in ids or () if kinds.get(r) == "periodic_subsidy"]
                if periodic:
                    self.problem(p + ("year",), f"a periodic subsidy's money is for its period, not its anchor event's year "
                                                f"({', '.join(periodic)}): count it by year: payable, or bound each period with its cap")
            cap = self.ceiling(item.get("max"), p + ("max",))
            clause = self.text(item, "clause", p)
            if clause is not None and _missing(clause_ids, clause):
                self.problem(p + ("clause",), f"unknown clause {clause!r}")
            if cap is not None and clause is not None:
                out.append(Cap(str(key), ids, per, cap, clause, year if year in CAP_YEARS else "payable"))
        return tuple(out)

    def out_of_scope(self, raw: Any, clause_ids: set[Any] | None, rules: tuple[Rule, ...]) -> dict[str, str]:
        """Clauses deliberately not encoded, each with the reason (a discretionary amount, a portfolio-wide quota...)."""
        if raw is None:
            return {}
        p = ("out_of_scope",)
        raw = self.mapping(raw, p)
        if raw is None:
            return {}
        cited = {c for rule in rules for c in rule.clauses}
        out = {}
        for clause, reason in raw.items():
            if _missing(clause_ids, clause):
                self.problem(p + (clause,), f"unknown clause {clause!r}")
            elif clause in cited:
                self.problem(p + (clause,), f"clause {clause!r} is cited by a rule, so it is not out of scope")
            if not isinstance(reason, str) or not reason.strip():
                self.problem(p + (clause,), "give the reason the clause is not encoded, in a sentence")
                continue
            out[str(clause)] = reason
        return out

    def levels(self, raw: Any) -> dict[Level, tuple[str, str]]:
        """The levels the ruleset pays at, lowest first, with their Chinese and English names.

        Without a ``levels`` section every built-in level is allowed, named as in ``model.labels``. A level id
        beyond the built-in four (``county``, ``street``, ``park``) declares a level of this ruleset: it needs
        both names, and events may then carry it when read or evaluated against this ruleset.
        """
        if raw is None:
            return {level: (LEVEL_ZH[level], level.value) for level in Level}
        p = ("levels",)
        raw = self.mapping(raw, p)
        if raw is None:
            return {}
        out: dict[Level, tuple[str, str]] = {}
        for key, names in raw.items():
            level = self.declared_level(key, p + (key,))
            zh, en = (None, None)
            names = self.mapping(names, p + (key,), ("zh", "en"))
            if names is not None:
                zh, en = self.text(names, "zh", p + (key,)), self.text(names, "en", p + (key,))
            if level is None:
                continue
            if level.builtin:
                below = [lv for lv in out if lv.builtin]
                if below and level.rank < max(lv.rank for lv in below):
                    self.problem(p + (key,), "list the levels lowest first (district, municipal, provincial, national)")
                out[level] = (zh or LEVEL_ZH[level], en or level.value)
            elif names is not None and zh and en:
                out[level] = (zh, en)
            elif names is not None:
                self.problem(p + (key,), f"a level the library does not know needs both names: {{zh: ..., en: ...}}")
        if not out and not self.problems:
            self.problem(p, "declare at least one level")
        return out

    def declared_level(self, key: Any, path: Path_) -> Level | None:
        """A key of ``levels``: a built-in level, or a new level id (recorded, so the file's rules and tables may
        name it); a near miss of a built-in one (``nationl``) is refused with a "did you mean"."""
        if isinstance(key, str) and key in {m.value for m in Level}:
            return Level(key)
        hint = did_you_mean(key, [m.value for m in Level]) if isinstance(key, str) else ""
        if hint and isinstance(key, str) and difflib_ratio(key, hint) >= 0.8:
            self.problem(path, f"unknown Level {key!r}{hint}: a new level needs an id that is not a misspelt built-in one")
            return None
        try:
            level = Level.extra(key)
        except (ValueError, TypeError) as exc:
            self.problem(path, str(exc) if isinstance(key, str) else f"expected a level id, got {describe(key)}")
            return None
        self.extra_levels.add(key)
        return level

    def header_fields(self, data: Mapping[Any, Any], *, marks: bool, jurisdiction: bool, period: bool) -> HeaderFields:
        """The header every policy file declares, reward rulesets included: identity, documents, clauses,
        plan period and readings. ``marks`` allows reprint and paraphrase marks; ``jurisdiction`` and
        ``period`` make those sections required (else they are read when present)."""
        self.text(data, "$schema", (), required=False)
        rid = self.text(data, "id", ())
        version = self.get(data, "version", ())
        if version is not None and version_problem(version):
            self.problem(("version",), version_problem(version))  # type: ignore[arg-type]
        if isinstance(rid, str) and rid.strip() and id_problem(rid):  # one word, so a lock file line holds it
            self.problem(("id",), f"{describe(rid)}: {id_problem(rid)}")
        title = self.bilingual(data, "title", ())
        where = self.bilingual(data, "jurisdiction", ()) if jurisdiction or data.get("jurisdiction") is not None else (None, None)
        raw_docs = self.section(data, "documents")
        documents = self.documents(raw_docs or {}, marks)
        raw_clauses = self.section(data, "clauses")
        clauses = self.clauses(raw_clauses or {}, None if raw_docs is None else set(raw_docs), marks)
        clause_ids = None if raw_clauses is None else set(raw_clauses)
        plan = self.period(data, clause_ids) if period or data.get("plan_period") is not None else None
        raw_readings = self.section(data, "readings", required=False)
        readings = self.readings(raw_readings or {}, clause_ids)
        return HeaderFields(rid, version, title, where, documents, clauses, clause_ids, plan, raw_readings, readings)

    def documents(self, data: Mapping[Any, Any], marks: bool = False) -> dict[str, SourceDocument]:
        """The documents clauses cite; with ``marks``, one may say it was read only in a secondary ``reprint``."""
        keys = _DOCUMENT_KEYS if marks else tuple(k for k in _DOCUMENT_KEYS if k != "reprint")
        out = {}
        for key, raw in data.items():
            p = ("documents", key)
            raw = self.mapping(raw, p, keys)
            if raw is None:
                continue
            reprint = self.text(raw, "reprint", p, False) if marks else None
            if reprint not in (None, "secondary"):
                self.problem(p + ("reprint",), f"expected 'secondary' (or no reprint field), got {describe(reprint)}")
            out[key] = SourceDocument(
                id=key, title_zh=self.text(raw, "title_zh", p), title_en=self.text(raw, "title_en", p),  # type: ignore[arg-type]
                issuer=self.text(raw, "issuer", p, False), number=self.text(raw, "number", p, False),
                issued=self.date(raw, "issued", p, False), file=self.text(raw, "file", p, False),
                url=self.text(raw, "url", p, False), reprint=reprint,
            )
        return out

    def clauses(self, data: Mapping[Any, Any], doc_ids: Collection[Any] | None, marks: bool = False) -> dict[str, Clause]:
        """The citable clauses (each read cleanly); with ``marks``, one may say it is a ``paraphrase``."""
        keys = ("document", "section", "text") + (("paraphrase",) if marks else ())
        out = {}
        for key, raw in data.items():
            p = ("clauses", key)
            raw = self.mapping(raw, p, keys)
            if raw is None:
                continue
            before = len(self.problems)
            doc = self.text(raw, "document", p)
            if doc is not None and _missing(doc_ids, doc):
                known = ", ".join(str(d) for d in sorted(doc_ids or (), key=str)) or "none"
                self.problem(p + ("document",), f"unknown document {describe(doc)}; documents: {known}")
            paraphrase = raw.get("paraphrase", False) if marks else False
            if not isinstance(paraphrase, bool):
                self.problem(p + ("paraphrase",), f"expected true or false, got {describe(paraphrase)}")
            section, text = self.text(raw, "section", p), self.text(raw, "text", p)
            if len(self.problems) == before:
                out[key] = Clause(key, doc, section, text, paraphrase)  # type: ignore[arg-type]
        return out

    def period(self, data: Mapping[Any, Any], clause_ids: Collection[Any] | None) -> PlanPeriod | None:
        p = ("plan_period",)
        raw = self.get(data, "plan_period", ())
        if raw is None:
            return None
        raw = self.mapping(raw, p, ("start", "end", "issued", "clause"))
        if raw is None:
            return None
        start, end = self.date(raw, "start", p), self.date(raw, "end", p)
        if start is not None and end is not None and end < start:
            self.problem(p + ("end",), f"plan period ends ({end}) before it starts ({start})")
        clause = self.text(raw, "clause", p, False)
        if clause is not None and _missing(clause_ids, clause):
            self.problem(p + ("clause",), f"unknown clause {clause!r}")
        if start is None or end is None:
            return None
        return PlanPeriod(start, end, self.date(raw, "issued", p, False), clause)

    def area(self, data: Mapping[Any, Any], clause_ids: Collection[Any] | None) -> PlanArea | None:
        p = ("area",)
        raw = data.get("area")
        if raw is None:
            return None
        raw = self.mapping(raw, p, ("clause", "names", "prefixes", "suffixes"))
        if raw is None:
            return None
        clause = self.text(raw, "clause", p)
        if clause is not None and _missing(clause_ids, clause):
            self.problem(p + ("clause",), f"unknown clause {clause!r}")
        lists = {}
        for key in ("names", "prefixes", "suffixes"):
            value = raw.get(key, [])
            if key == "names" and not value:
                self.problem(p + (key,), "expected a non-empty list of area names")
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                self.problem(p + (key,), f"expected a list of non-empty texts, got {describe(value)}")
                value = []
            lists[key] = tuple(v.strip() for v in value)
        if clause is None:
            return None
        return PlanArea(clause, lists["names"], lists["prefixes"], lists["suffixes"])

    def columns(self, data: Mapping[Any, Any]) -> dict[str, tuple[CarrierKind, ...]]:
        out: dict[str, tuple[CarrierKind, ...]] = {}
        seen: dict[CarrierKind, str] = {}
        for key, raw in data.items():
            p = ("columns", key)
            if not isinstance(raw, list) or not raw:
                self.problem(p, f"expected a non-empty list of carrier kinds, got {describe(raw)}")
                continue
            kinds = []
            for i, item in enumerate(raw):
                kind = self.enum(CarrierKind, item, p + (i,))
                if kind is None:
                    continue
                if kind in seen:
                    self.problem(p + (i,), f"kind {kind.value} is already in column {seen[kind]!r}")
                seen[kind] = key
                kinds.append(kind)
            out[key] = tuple(kinds)
        return out

    def tables(
        self, data: Mapping[Any, Any], column_ids: set[Any] | None, clause_ids: set[Any] | None, period: PlanPeriod | None,
        levels: Mapping[Level, Any],
    ) -> dict[str, Table]:
        out = {}
        for key, raw in data.items():
            p = ("tables", key)
            raw = self.mapping(raw, p, ("label", "unit", "columns"))
            if raw is None:
                continue
            label = self.bilingual(raw, "label", p)
            unit = raw.get("unit", "yuan")
            if unit != "yuan":
                self.problem(p + ("unit",), f"amounts must be in whole yuan (unit: yuan), got {describe(unit)}")
            cols: dict[str, dict[Level, tuple[DatedValue, ...]]] = {}
            raw_cols = self.get(raw, "columns", p)
            raw_cols = None if raw_cols is None else self.mapping(raw_cols, p + ("columns",))
            for col, craw in (raw_cols or {}).items():
                cp = p + ("columns", col)
                if _missing(column_ids, col):
                    known = ", ".join(str(c) for c in sorted(column_ids or (), key=str)) or "none"
                    self.problem(cp, f"unknown column {col!r}; declared columns: {known}")
                craw = self.mapping(craw, cp, ("clause", "values"))
                if craw is None:
                    continue
                clause = self.text(craw, "clause", cp)
                if clause is not None and _missing(clause_ids, clause):
                    self.problem(cp + ("clause",), f"unknown clause {clause!r}")
                values: dict[Level, tuple[DatedValue, ...]] = {}
                raw_values = self.get(craw, "values", cp)
                raw_values = None if raw_values is None else self.mapping(raw_values, cp + ("values",))
                for lvl, vraw in (raw_values or {}).items():
                    vp = cp + ("values", lvl)
                    level = self.enum(Level, lvl, vp)
                    dated = self.dated_values(vraw, vp, clause, clause_ids, period)
                    if level is not None and level not in levels:
                        self.problem(vp, f"level {level.value!r} is not among the ruleset's levels: {', '.join(lv.value for lv in levels)}")
                    elif level is not None:
                        values[level] = dated
                if raw_values is not None and not raw_values:
                    self.problem(cp + ("values",), "give an amount for at least one level")
                cols[col] = values
            out[key] = Table(key, label[0], label[1], cols)  # type: ignore[arg-type]
        return out

    def dated_values(
        self, raw: Any, p: Path_, clause: str | None, clause_ids: set[Any] | None, period: PlanPeriod | None
    ) -> tuple[DatedValue, ...]:
        if not isinstance(raw, list):
            amount = self.yuan(raw, p)
            return () if amount is None else (DatedValue(None, amount, clause),)  # type: ignore[arg-type]
        if not raw:
            self.problem(p, "expected an amount or a list of dated amounts, got an empty list")
            return ()
        out: list[DatedValue] = []
        since: dict[datetime.date, int] = {}
        previous: datetime.date | None = None
        for i, item in enumerate(raw):
            ip = p + (i,)
            item = self.mapping(item, ip, ("from", "amount", "clause"))
            if item is None:
                continue
            start = self.date(item, "from", ip, required=i > 0)  # the first may apply from the start
            raw_amount = self.get(item, "amount", ip)
            amount = None if raw_amount is None else self.yuan(raw_amount, ip + ("amount",))
            own = self.text(item, "clause", ip, False)
            if own is not None and _missing(clause_ids, own):
                self.problem(ip + ("clause",), f"unknown clause {own!r}")
            if start is not None:
                if start in since:
                    self.problem(
                        ip + ("from",),
                        f"effective periods overlap: {p[-1]}[{since[start]}] is already in force from {start}",
                    )
                elif previous is not None and start < previous:
                    self.problem(ip + ("from",), f"dated values must be in increasing date order; {start} is not after {previous}")
                if period is not None and start > period.end:
                    self.problem(ip + ("from",), f"takes effect on {start}, after the plan period ends ({period.end}): no decision can use it")
                since.setdefault(start, i)
                previous = start if previous is None else max(previous, start)
            if (start is not None or i == 0) and amount is not None:
                out.append(DatedValue(start, amount, own or clause))  # type: ignore[arg-type]
        return tuple(out)

    def tables_cover_levels(self, tables: Mapping[str, Table], rules: tuple[Rule, ...], period: PlanPeriod | None) -> None:
        """Each amount of a table that a rule pays from is in force from the start of the plan period."""
        used: dict[str, str] = {}
        for rule in reversed(rules):
            for name in ("table", "amount"):
                for _, value in alternatives(rule.params.get(name)):
                    table = value if name == "table" else getattr(value, "table", None)
                    if isinstance(table, str):
                        used[table] = rule.id
        for table_id, rule_id in used.items():
            table = tables.get(table_id)
            if table is None or period is None:
                continue
            for col, values in table.columns.items():
                for level, dated in values.items():
                    if not dated or any(d.start is None for d in dated):
                        continue  # applies from the start
                    first = min(d.start for d in dated if d.start is not None)
                    if first > period.start:
                        self.problem(
                            ("tables", table_id, "columns", col, "values", level.value, 0, "from"),
                            f"missing amount for level {level.value!r} from {period.start} (plan period start) "
                            f"to {first - datetime.timedelta(days=1)}: rule {rule_id} pays from this table",
                        )

    def readings(self, data: Mapping[Any, Any], clause_ids: Collection[Any] | None) -> dict[str, Reading]:
        out = {}
        for name, raw in data.items():
            p = ("readings", name)
            raw = self.mapping(raw, p, ("number", "question", "default", "alternatives", "clauses"))
            if raw is None:
                continue
            alts_raw = self.get(raw, "alternatives", p)
            alts = None if alts_raw is None else self.mapping(alts_raw, p + ("alternatives",))
            if alts is not None:
                if len(alts) < 2:
                    self.problem(p + ("alternatives",), "a reading needs at least two alternatives")
                for alt, desc in alts.items():
                    if not isinstance(desc, str) or not desc.strip():
                        self.problem(p + ("alternatives", alt), "describe each alternative in a sentence")
            default = self.text(raw, "default", p)
            if default is not None and alts is not None and default not in alts:
                self.problem(p + ("default",), f"default {default!r} is not one of the alternatives: {', '.join(map(str, alts))}")
            number = raw.get("number")
            if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
                self.problem(p + ("number",), f"expected an integer, got {describe(number)}")
            cl = self.id_list(raw["clauses"], p + ("clauses",), clause_ids, "clause") if "clauses" in raw else ()
            question = self.text(raw, "question", p)
            out[name] = Reading(name, number, question, default, dict(alts or {}), cl)  # type: ignore[arg-type]
        return out

    def rules(
        self, data: Any, clause_ids: set[Any] | None, table_ids: set[Any] | None,
        readings: Mapping[str, Reading], reading_ids: set[Any] | None, levels: Mapping[Level, Any] | None = None,
    ) -> tuple[Rule, ...]:
        if not isinstance(data, list) or not data:
            self.problem(("rules",), f"expected a non-empty list of rules, got {describe(data)}")
            return ()
        out: list[tuple[int, Rule]] = []
        ids: set[str] = set()
        written = {r["id"]: r.get("kind") for r in data if isinstance(r, Mapping) and isinstance(r.get("id"), str)}
        for i, raw in enumerate(data):
            p = ("rules", i)
            raw = self.mapping(raw, p)
            if raw is None:
                continue
            kind_name = self.text(raw, "kind", p)
            spec = None
            if kind_name is not None:
                spec = KINDS.get(kind_name)
                if spec is None:
                    self.problem(p + ("kind",), f"unknown rule kind {kind_name!r}{did_you_mean(kind_name, KINDS)}; known kinds: {', '.join(KINDS)}")
            common = ("id", "kind", "title", "clauses", "readings", "explanations")
            if spec is not None:
                self.mapping(raw, p, common + tuple(spec.params))
            if spec is not None and spec.expands is not None:
                raw = self.expanded(raw, p, spec, kind_name, readings, reading_ids)
                kind_name, spec = spec.expands.kind, KINDS[spec.expands.kind]
            rid = self.text(raw, "id", p)
            if rid is not None:
                if rid in ids:
                    self.problem(p + ("id",), f"duplicate rule id {rid!r}")
                ids.add(rid)
            title = self.bilingual(raw, "title", p)
            cl = self.id_list(self.get(raw, "clauses", p), p + ("clauses",), clause_ids, "clause") if raw.get("clauses") is not None else self.get(raw, "clauses", p)
            if spec is None:
                continue
            context = ParamContext(table_ids, clause_ids, readings, reading_ids, levels or {}, written, _match_types(raw.get("match")))
            params = {}
            for name, check in spec.params.items():
                value = raw.get(name)
                if check in _PARAM_CHECKS:
                    if name in spec.optional and value is None:
                        continue
                    optional = name in spec.optional  # null under an alternative: left out under it
                    read = (lambda v, pp, check=check, optional=optional:
                            None if v is None and optional else self.param(v, check, pp, table_ids))
                elif callable(check):
                    read = (lambda v, pp, check=check: check(self, v, pp, context))
                else:
                    params[name] = None
                    continue
                # any parameter may be bound to a reading; each alternative is read as the parameter itself is
                params[name] = read_bound(self, value, p + (name,), context, read)
            if spec.validate is not None:
                self.validated(spec.validate, raw, params, p, readings)
            roles, fixed = self.roles(raw, p, spec, kind_name, rid, readings, reading_ids)
            explanations = self.explanations(raw, spec.codes, p, RULE_PLACEHOLDERS | spec.placeholders, title)
            out.append((i, Rule(rid, kind_name, title[0], title[1], cl or (), params, roles, explanations, fixed)))  # type: ignore[arg-type]
        by_id = {r.id: r for _, r in out}
        self.counting_circles(out)
        for i, rule in out:
            for name, want in KINDS[rule.kind].references.items():
                for at, target in alternatives(rule.params.get(name)):
                    if target is None:
                        continue
                    if target not in by_id or by_id[target].kind != want:
                        hint = did_you_mean(target, [r for r, x in by_id.items() if x.kind == want])
                        self.problem(("rules", i, name) + at, f"expected the id of a {want} rule, got {describe(target)}{hint}")
        self.rule_references(out)
        return tuple(r for _, r in out)

    def rule_references(self, rules: list[tuple[int, Rule]]) -> None:
        """Lists of other rules (``counts``, ``recovers``) name rules that award something (not a clawback)."""
        by_id = {r.id: r for _, r in rules}
        for i, rule in rules:
            for name, given in rule.params.items():
                for at, value in alternatives(given):
                    if not isinstance(value, RuleIds):
                        continue
                    for j, target in enumerate(value):
                        other = by_id.get(target)
                        if other is not None and other is not rule and "awarded" not in KINDS[other.kind].codes:
                            self.problem(("rules", i, name) + at + (j,), f"rule {target!r} is a {other.kind} rule: it awards nothing for {name} to take")

    def counting_circles(self, rules: list[tuple[int, Rule]]) -> None:
        """A problem for each rule that counts what it itself awards, through its ``RuleIds`` parameters
        (directly, or through the rules it counts): deciding it would never end."""
        counts = {r.id: {n: RuleIds(dict.fromkeys(x for _, v in alternatives(given) if isinstance(v, RuleIds) for x in v))
                         for n, given in r.params.items() if any(isinstance(v, RuleIds) for _, v in alternatives(given))}
                  for _, r in rules}

        def reaches(start: str, goal: str, seen: set[str]) -> list[str] | None:
            for ids in counts.get(start, {}).values():
                for other in ids:
                    if other == goal:
                        return [other]
                    if other not in seen:
                        seen.add(other)
                        found = reaches(other, goal, seen)
                        if found is not None:
                            return [other, *found]
            return None

        for i, rule in rules:
            for name, ids in counts.get(rule.id, {}).items():
                for j, other in enumerate(ids):
                    path = [other] if other == rule.id else (lambda tail: None if tail is None else [other, *tail])(reaches(other, rule.id, {other}))
                    if path is not None:
                        circle = " -> ".join([rule.id, *path])
                        hint = " (its own earlier awards count with repeat: true)" if other == rule.id and "repeat" in KINDS[rule.kind].params else ""
                        self.problem(("rules", i, name, j), f"a rule cannot count what it awards itself: {circle}{hint}")

    def expanded(
        self, raw: Mapping[Any, Any], p: Path_, spec: Any, kind_name: str | None,
        readings: Mapping[str, Reading], reading_ids: set[Any] | None,
    ) -> dict[Any, Any]:
        """A rule of a kind kept only as a name, written in the generic kind it expands into (``RuleKind.expands``)."""
        how = spec.expands
        out = {k: v for k, v in raw.items() if k in ("id", "title", "clauses", "explanations")}
        out["kind"] = how.kind
        out.update(copy.deepcopy(dict(how.fixed)))
        for old, (new, template) in how.params.items():
            if raw.get(old) is not None:
                out[new] = _filled(template, raw[old])
        rid = raw.get("id") if isinstance(raw.get("id"), str) else None
        roles, fixed = self.roles(raw, p, spec, kind_name, rid, readings, reading_ids)
        for role, (new, values) in how.roles.items():
            if role in roles:
                name = roles[role]
                alternatives = readings[name].alternatives if name in readings else ()
                # an alternative the role cannot apply is reported above; it gets the default's value, not a second problem
                fallback = values[spec.defaults[role]]
                out[new] = {"reading": name, "values": {a: copy.deepcopy(values.get(a, fallback)) for a in alternatives}}
            elif role in fixed:
                out[new] = copy.deepcopy(values[fixed[role]])
        return out

    def roles(
        self, raw: Mapping[Any, Any], p: Path_, spec: Any, kind_name: str | None, rid: str | None,
        readings: Mapping[str, Reading], reading_ids: set[Any] | None,
    ) -> tuple[dict[str, str], dict[str, str]]:
        """The readings a rule's roles are bound to, and the kind's default value for each role left unbound."""
        roles = raw.get("readings") or {}
        roles = self.mapping(roles, p + ("readings",))
        if roles is None:
            return {}, {}
        out = {}
        fixed = {}
        for role, allowed in spec.roles.items():
            rp = p + ("readings", role)
            if role not in roles:
                if role in spec.defaults:
                    fixed[role] = spec.defaults[role]
                else:
                    self.problem(p + ("readings",), f"rule kind {kind_name} needs a reading for {role!r}")
                continue
            name = roles[role]
            if not isinstance(name, str):
                self.problem(rp, f"expected a reading name, got {describe(name)}")
                continue
            if _missing(reading_ids, name):
                known = ", ".join(sorted(readings)) or "none"
                self.problem(rp, f"unknown reading {name!r}; readings: {known}")
                continue
            out[role] = name
            for alt in readings[name].alternatives if name in readings else ():
                if alt not in allowed:
                    self.problem(
                        ("readings", name, "alternatives", alt),
                        f"rule {rid} cannot apply alternative {alt!r} for {role}; it knows: {', '.join(sorted(allowed))}",
                    )
        for role in roles:
            if role not in spec.roles:
                known = ", ".join(spec.roles) or "none"
                self.problem(p + ("readings", role), f"rule kind {kind_name} has no reading role {role!r}; roles: {known}")
        return out, fixed

    def validated(self, validate: Any, raw: Mapping[Any, Any], params: Mapping[str, Any], p: Path_,
                  readings: Mapping[str, Reading]) -> None:
        """A kind's check of what its parameters say together, under each alternative of each reading they are
        bound to (the rule as written with that alternative's values)."""
        names = sorted({v.reading for v in params.values() if isinstance(v, ReadingBound)})
        if not names:
            validate(self, raw, params, p)
            return
        for name in names:
            for alt in readings[name].alternatives if name in readings else ():
                one_raw, one = dict(raw), dict(params)
                for key, value in params.items():
                    if isinstance(value, ReadingBound) and value.reading == name and alt in value.values:
                        one[key], one_raw[key] = value.values[alt], raw[key]["values"][alt]
                    elif isinstance(value, ReadingBound):  # another reading's: its default alternative
                        default = readings[value.reading].default if value.reading in readings else None
                        one[key] = value.values.get(default)
                        one_raw[key] = raw[key]["values"].get(default)
                validate(self, one_raw, one, p)

    def param(self, value: Any, check: str, pp: Path_, table_ids: set[Any] | None) -> Any:
        if value is None:
            self.problem(pp, "required field is missing")
            return None
        if check == "table":
            if not isinstance(value, str):
                self.problem(pp, f"expected a table id, got {describe(value)}")
                return None
            if _missing(table_ids, value):
                self.problem(pp, f"unknown table {value!r}")
            return value
        if check == "duration":
            return self.duration(value, pp, UNITS, "duration", zero=True)
        if check == "grades":
            if not isinstance(value, list) or not value:
                self.problem(pp, f"expected a non-empty list of grades, got {describe(value)}")
                return ()
            return tuple(g for g in (self.enum(Grade, g, pp + (i,)) for i, g in enumerate(value)) if g is not None)
        # a reference to another rule, checked once all rules are read
        if not isinstance(value, str):
            self.problem(pp, f"expected a rule id, got {describe(value)}")
            return None
        return value

    def explanations(
        self, raw: Mapping[Any, Any], codes: tuple[str, ...], p: Path_, allowed: frozenset[str],
        title: tuple[str | None, str | None] = (None, None),
    ) -> Mapping[str, tuple[str | None, str | None]]:
        """Each outcome's explanation: as written in the file, else the default built from the rule's title and outcome."""
        if not codes:
            if raw.get("explanations") is not None:
                self.problem(p + ("explanations",), "this rule kind has no outcomes to explain")
            return {}
        data = raw.get("explanations") or {}
        data = self.mapping(data, p + ("explanations",), codes)
        if data is None:
            return {}
        out = {}
        for code in codes:
            cp = p + ("explanations", code)
            if code not in data:
                out[code] = default_explanation(code, title[0] or "", title[1] or "")
                continue
            zh, en = self.bilingual(data, code, p + ("explanations",))
            for lang, template in (("zh", zh), ("en", en)):
                for name in _PLACEHOLDER.findall(template or ""):
                    if name not in allowed:
                        self.problem(cp + (lang,), f"unknown placeholder {{{name}}}; known: {', '.join(sorted(allowed))}")
            out[code] = (zh, en)
        return out


# --- the schema of a reward ruleset ------------------------------------------------

_BILINGUAL = {"$ref": "#/definitions/bilingual"}


_TEXT_REF = {"$ref": "#/definitions/text"}


def document_shape(definitions: str, reprint: Schema) -> Shape:
    """A source document of a policy file's header; ``definitions`` is where its text and date are defined."""
    text, date = {"$ref": f"{definitions}text"}, {"$ref": f"{definitions}date"}
    return Shape(
        (
            Field("title_zh", text, required=True),
            Field("title_en", text, required=True),
            *(Field(name, {"anyOf": [date if name == "issued" else text, {"type": "null"}]})
              for name in ("issuer", "number", "issued", "file", "url")),
            Field("reprint", reprint),
        ),
    )


_DOCUMENT_KEYS = document_shape("", {}).keys


def param_schema(kind: RuleKind, name: str, check: str) -> Schema:
    """The schema of one parameter of a rule kind: the kind's own declaration, else the one of its check."""
    if name in kind.schemas:
        return kind.schemas[name]
    if check == "table":
        return {"$ref": "#/definitions/text", "description": "id of a table under `tables`"}
    if check == "rule":
        return {"$ref": "#/definitions/text", "description": f"id of the {kind.references[name]} rule this rule builds on"}
    if check == "duration":
        return {
            "type": "object", "description": "a calendar duration, e.g. {years: 1}", "additionalProperties": False,
            "minProperties": 1,
            "properties": {unit: {"type": "integer", "minimum": 0, "maximum": 1000} for unit in UNITS},
        }
    if check == "grades":
        return {"type": "array", "minItems": 1, "items": {"enum": enum_values(Grade)}, "description": "the grades that earn the award"}
    raise KeyError(f"no schema for the parameter check {check!r}; declare it in the kind's schemas")


def rule_branch(kind: RuleKind) -> Schema:
    """The branch of the rule schema for one rule kind: its parameters, reading roles and explanations."""
    properties: Schema = {"id": True, "kind": True, "title": True, "clauses": True}
    for name, check in kind.params.items():
        own = param_schema(kind, name, check)
        # any parameter may be bound to a reading (a kind kept only as a name is written as it was)
        properties[name] = own if kind.expands is not None else bound(own, optional=name in kind.optional)
    properties["readings"] = {
        "type": "object", "description": "which reading fills each of this kind's roles", "additionalProperties": False,
        "required": sorted(role for role in kind.roles if role not in kind.defaults),
        "properties": {
            role: {
                "$ref": "#/definitions/text",
                "description": f"name of a reading under `readings`; its alternatives must be among: {', '.join(sorted(allowed))}",
            }
            for role, allowed in kind.roles.items()
        },
    }
    required = [name for name in kind.params if name not in kind.optional]
    if any(role not in kind.defaults for role in kind.roles):
        required.append("readings")
    if kind.codes:
        properties["explanations"] = {
            "type": "object", "description": "the sentence shown for each outcome; {placeholders} are filled in",
            "additionalProperties": False,
            "properties": {code: _BILINGUAL for code in kind.codes},
        }
    return {
        "if": {"properties": {"kind": {"const": kind.name}}, "required": ["kind"]},
        "then": {"properties": properties, "required": required, "additionalProperties": False},
    }


RULESET = Shape(
    (
        Field("$schema", {"type": "string"}),
        Field("type", {"const": "reward", "description": "the kind of policy file; a reward ruleset may leave it out"}),
        Field("id", {"$ref": "#/definitions/text", "description": "ruleset id, also its file name without .yaml"}, required=True),
        Field("version", {
            "type": "string",
            "pattern": "\\S",
            "description": "the version, quoted (\"1.1.0\"); once released it never changes meaning: see rulesets/versions.lock",
        }, required=True),
        Field("title", {"$ref": "#/definitions/bilingual"}, required=True),
        Field("jurisdiction", {"$ref": "#/definitions/bilingual"}, required=True),
        Field("documents", {
            "type": "object",
            "description": "the source documents clauses cite, by id",
            "additionalProperties": {"$ref": "#/definitions/document"},
        }, required=True),
        Field("plan_period", Shape(
            (
                Field("start", {"$ref": "#/definitions/date"}, required=True),
                Field("end", {"$ref": "#/definitions/date"}, required=True),
                Field("issued", {"$ref": "#/definitions/date"}, nullable=True),
                Field("clause", {"$ref": "#/definitions/text"}, nullable=True),
            ),
        ), required=True),
        Field("area", Shape(
            (
                Field("clause", {"$ref": "#/definitions/text"}, required=True),
                Field("names", {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/text"}}, required=True),
                Field("prefixes", {"type": "array", "items": {"$ref": "#/definitions/text"}}),
                Field("suffixes", {"type": "array", "items": {"$ref": "#/definitions/text"}}),
            ),
            description="where the plan applies (适用对象): carriers whose recorded area is one of `names`, starts with one of `prefixes` or ends with one of `suffixes`",
        )),
        Field("clauses", {
            "type": "object",
            "description": "citable sentences, by id",
            "additionalProperties": {"$ref": "#/definitions/clause"},
        }, required=True),
        Field("levels", Shape(
            tuple(Field(level.value, Shape((Field("zh", _TEXT_REF), Field("en", _TEXT_REF)))) for level in Level),
            description="the levels the ruleset pays at, lowest first, with their names relative to its jurisdiction; "
                        "an id beyond the built-in four (county, street, park) declares a level of this ruleset, with both names",
            extra={"minProperties": 1, "patternProperties": {_NEW_LEVEL_PATTERN: Shape(
                (Field("zh", _TEXT_REF, required=True), Field("en", _TEXT_REF, required=True)))}},
        )),
        Field("columns", {
            "type": "object",
            "description": "which carrier kinds are paid from each table column",
            "additionalProperties": {
                "type": "array",
                "minItems": 1,
                "uniqueItems": True,
                "items": {"enum": enum_values(CarrierKind)},
            },
        }, required=True),
        Field("tables", {
            "type": "object",
            "description": "amount tables, by id",
            "additionalProperties": {"$ref": "#/definitions/table"},
        }, required=True),
        Field("readings", {
            "anyOf": [
                {"type": "object", "additionalProperties": {"$ref": "#/definitions/reading"}},
                {"type": "null"},
            ],
            "description": "documented choices where the policy text is silent or contradicts itself",
        }),
        Field("rules", {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/rule"}}, required=True),
        Field("out_of_scope", {
            "type": "object",
            "description": "clauses deliberately not encoded: clause id -> the reason",
            "additionalProperties": {"$ref": "#/definitions/text"},
        }),
        Field("caps", {
            "type": "object",
            "description": "ceilings on what a group of rules pays one carrier, in all or per year",
            "additionalProperties": Shape(
                (
                    Field("rules", {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/text"}}, required=True),
                    Field("per", {"enum": ["carrier", "year"]}),
                    Field("year", {"enum": list(CAP_YEARS), "description": "with per: year, which year an amount counts in: "
                                   "payable (the year it is payable; the default) or event_year (the year the money is for: "
                                   "the decided event's own year, e.g. an evaluation's evaluated year, else its date's year)"}),
                    Field("max", {"type": "integer", "minimum": 1, "description": "the ceiling in whole yuan"}, required=True),
                    Field("clause", {"$ref": "#/definitions/text"}, required=True),
                ),
            ),
        }),
    ),
)

_TOP_KEYS = RULESET.keys


def ruleset_schema() -> FileSchema:
    """The JSON Schema of ruleset files (``schemas/ruleset.schema.json``)."""
    return FileSchema(
        "ruleset",
        "incubator-rules ruleset",
        "A reward policy as data: source documents and clauses, amount tables, readings and rules. Amounts are whole yuan.",
        root=RULESET,
        definitions={
            **RULE_DEFINITIONS,  # the generic kinds' shared forms: filter, amount, durations, fact conditions
            "text": TEXT,
            "date": DATE,
            "amount": AMOUNT,
            "bilingual": Shape(
                (
                    Field("zh", {"$ref": "#/definitions/text", "description": "Chinese"}, required=True),
                    Field("en", {"$ref": "#/definitions/text", "description": "English"}, required=True),
                ),
                description="a text in Chinese and English",
            ),
            "document": document_shape("#/definitions/", {
                "enum": ["secondary"], "description": "the document was read only in a secondary reprint",
            }),
            "clause": Shape(
                (
                    Field("document", {"$ref": "#/definitions/text", "description": "id of a document under `documents`"}, required=True),
                    Field("section", {"$ref": "#/definitions/text"}, required=True),
                    Field("text", {"$ref": "#/definitions/text", "description": "the sentence, verbatim"}, required=True),
                ),
            ),
            "dated_value": Shape(
                (
                    Field("from", {
                        "$ref": "#/definitions/date",
                        "description": "in force from this date until the next value's date; leave it out of the first value to make that value apply from the start",
                    }, required=True),
                    Field("amount", {"$ref": "#/definitions/amount"}, required=True),
                    Field("clause", {
                        "$ref": "#/definitions/text",
                        "description": "the clause that sets this amount (default: the column's clause)",
                    }),
                ),
            ),
            "value": {
                "description": "an amount in yuan, or a list of dated amounts in increasing date order",
                "anyOf": [
                    {"$ref": "#/definitions/amount"},
                    {
                        "type": "array",
                        "minItems": 1,
                        "items": [{"$ref": "#/definitions/first_dated_value"}],
                        "additionalItems": {"$ref": "#/definitions/dated_value"},
                    },
                ],
            },
            "table": Shape(
                (
                    Field("label", {"$ref": "#/definitions/bilingual"}, required=True),
                    Field("unit", {"const": "yuan"}),
                    Field("columns", {
                        "type": "object",
                        "additionalProperties": Shape(
                            (
                                Field("clause", {"$ref": "#/definitions/text"}, required=True),
                                Field("values", Shape(
                                    (
                                        Field("district", {"$ref": "#/definitions/value"}),
                                        Field("municipal", {"$ref": "#/definitions/value"}),
                                        Field("provincial", {"$ref": "#/definitions/value"}),
                                        Field("national", {"$ref": "#/definitions/value"}),
                                    ),
                                    extra={"minProperties": 1},
                                ), required=True),
                            ),
                        ),
                    }, required=True),
                ),
            ),
            "reading": Shape(
                (
                    Field("number", {"type": ["integer", "null"]}),
                    Field("question", {"$ref": "#/definitions/text"}, required=True),
                    Field("default", {"$ref": "#/definitions/text", "description": "one of the alternatives"}, required=True),
                    Field("alternatives", {
                        "type": "object",
                        "minProperties": 2,
                        "additionalProperties": {"$ref": "#/definitions/text"},
                    }, required=True),
                    Field("clauses", {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/text"}}),
                ),
            ),
            "rule": Shape(
                (
                    Field("id", {"$ref": "#/definitions/text"}, required=True),
                    Field("kind", {"enum": list(KINDS)}, required=True),
                    Field("title", {"$ref": "#/definitions/bilingual"}, required=True),
                    Field("clauses", {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/text"}}, required=True),
                ),
                closed=None,
                extra={"allOf": [rule_branch(kind) for kind in KINDS.values()]},
            ),
            "first_dated_value": Shape(
                (
                    Field("from", {
                        "$ref": "#/definitions/date",
                        "description": "in force from this date until the next value's date; leave it out of the first value to make that value apply from the start",
                    }),
                    Field("amount", {"$ref": "#/definitions/amount"}, required=True),
                    Field("clause", {
                        "$ref": "#/definitions/text",
                        "description": "the clause that sets this amount (default: the column's clause)",
                    }),
                ),
                description="the first dated amount: without `from` it applies from the start, like a plain amount",
            ),
        },
    )
