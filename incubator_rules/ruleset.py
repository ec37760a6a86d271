"""Declarative rulesets: loading, validating and looking up the policy as data."""

from __future__ import annotations

import datetime
import hashlib
import re
from pathlib import Path
from typing import Any, Mapping

import attrs

from .carrier import CarrierKind, Level, parse_date, parse_enum, whole_yuan
from .documents import Document, Source, canonical_json, parse_yaml, read_document
from .errors import ReadingError, RulesetError

def _rulesets_dir() -> Path:
    """Inside an installed wheel the rulesets sit in the package; in a checkout, beside it."""
    inside = Path(__file__).parent / "rulesets"
    return inside if inside.is_dir() else Path(__file__).parent.parent / "rulesets"


RULESETS_DIR = _rulesets_dir()
DEFAULT_RULESET = "wanzhou-2023"


@attrs.frozen
class SourceDocument:
    """A policy document that clauses cite."""

    id: str
    title_zh: str
    title_en: str
    issuer: str | None
    number: str | None
    issued: datetime.date | None
    file: str | None


@attrs.frozen
class Clause:
    """A citable sentence of a source document."""

    id: str
    document: str
    section: str
    text: str


@attrs.frozen
class Citation:
    """A clause together with the document it belongs to, as shown in decisions."""

    clause: str
    document: str
    document_title: str
    document_number: str | None
    section: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data with a stable key order."""
        return {
            "clause": self.clause,
            "document": self.document,
            "document_title": self.document_title,
            "document_number": self.document_number,
            "section": self.section,
            "text": self.text,
        }


@attrs.frozen
class DatedValue:
    """An amount in force from ``start`` (None: from the beginning), with its citation."""

    start: datetime.date | None
    amount: int
    clause: str


@attrs.frozen
class Table:
    """An amount table: per column (a group of carrier kinds) and level, dated amounts."""

    id: str
    label_zh: str
    label_en: str
    columns: Mapping[str, Mapping[Level, tuple[DatedValue, ...]]]

    def value(self, column: str, level: Level, on: datetime.date) -> DatedValue | None:
        """The value in force on ``on`` for a column and level, or None when there is none."""
        found = None
        for dated in self.columns.get(column, {}).get(level, ()):
            if dated.start is None or dated.start <= on:
                found = dated
        return found


@attrs.frozen
class Reading:
    """A documented choice where the policy text is silent or contradicts itself."""

    name: str
    number: int | None
    question: str
    default: str
    alternatives: Mapping[str, str]
    clauses: tuple[str, ...]


@attrs.frozen
class Rule:
    """One rule of a ruleset: its kind (semantics in ``rules.py``) and its data."""

    id: str
    kind: str
    title_zh: str
    title_en: str
    clauses: tuple[str, ...]
    params: Mapping[str, Any]
    readings: Mapping[str, str]
    explanations: Mapping[str, tuple[str, str]]


@attrs.frozen
class PlanPeriod:
    """The period a plan covers and the date it was issued."""

    start: datetime.date
    end: datetime.date
    issued: datetime.date | None
    clause: str | None


@attrs.frozen
class Ruleset:
    """A loaded, validated ruleset. ``sha256`` hashes its canonical content."""

    id: str
    version: str
    title_zh: str
    title_en: str
    jurisdiction_zh: str
    jurisdiction_en: str
    documents: Mapping[str, SourceDocument]
    plan_period: PlanPeriod
    clauses: Mapping[str, Clause]
    columns: Mapping[str, tuple[CarrierKind, ...]]
    tables: Mapping[str, Table]
    readings: Mapping[str, Reading]
    rules: tuple[Rule, ...]
    sha256: str
    path: str | None = None
    data: Mapping[str, Any] = attrs.field(factory=dict, repr=False, eq=False)

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def rules_of_kind(self, kind: str) -> tuple[Rule, ...]:
        """The rules of one kind, in file order."""
        return tuple(r for r in self.rules if r.kind == kind)

    def column_for(self, kind: CarrierKind) -> str | None:
        """The table column a carrier kind is paid from, or None when no rule covers it."""
        for column, kinds in self.columns.items():
            if kind in kinds:
                return column
        return None

    def citation(self, clause_id: str) -> Citation:
        """The citation for a clause id."""
        clause = self.clauses[clause_id]
        doc = self.documents[clause.document]
        return Citation(clause.id, doc.id, doc.title_zh, doc.number, clause.section, clause.text)

    def resolve_readings(self, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
        """Every reading's value: the default unless overridden; unknown names or values raise ReadingError."""
        chosen = {name: r.default for name, r in self.readings.items()}
        for name, value in (overrides or {}).items():
            if name not in self.readings:
                known = ", ".join(self.readings) or "none"
                raise ReadingError(f"unknown reading in ruleset {self.id}; known readings: {known}", field=name)
            reading = self.readings[name]
            if value not in reading.alternatives:
                allowed = ", ".join(reading.alternatives)
                raise ReadingError(f"{value!r} is not an alternative; expected one of: {allowed}", field=name)
            chosen[name] = value
        return chosen

    def reading_value(self, rule: Rule, role: str, readings: Mapping[str, str]) -> str:
        """The value, under ``readings``, of the reading that fills ``role`` in ``rule``."""
        return readings[rule.readings[role]]


def shipped_rulesets() -> list[Path]:
    """The reward ruleset files shipped with the package, sorted by name.

    Other policy files in the same folder (plan targets, dynamic management,
    upgrade criteria) declare another top-level ``type`` and are left out; see
    ``incubator_rules.policyfile.shipped_files`` for all of them.
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
    candidate = Path(id_or_path)
    if not candidate.suffix and not candidate.exists():
        shipped = RULESETS_DIR / f"{id_or_path}.yaml"
        if not shipped.exists():
            known = ", ".join(p.stem for p in shipped_rulesets())
            raise RulesetError(f"no shipped ruleset {id_or_path!r}; shipped: {known}", field="ruleset")
        candidate = shipped
    return _cached_load(str(candidate.resolve()), candidate.stat().st_mtime_ns if candidate.exists() else 0)


_CACHE: dict[tuple[str, int], Ruleset] = {}


def _cached_load(path: str, mtime: int) -> Ruleset:
    key = (path, mtime)
    if key not in _CACHE:
        doc = read_document(path)
        _CACHE[key] = ruleset_from_document(doc)
    return _CACHE[key]


def ruleset_from_dict(data: Mapping[str, Any]) -> Ruleset:
    """Build a ruleset from plain data (for example a loaded file, edited in a notebook)."""
    return ruleset_from_document(Document(data, Source()))


def parse_ruleset(text: str, file: str | None = None) -> Ruleset:
    """Build a ruleset from YAML text."""
    return ruleset_from_document(parse_yaml(text, file))


def ruleset_from_document(doc: Document) -> Ruleset:
    """Validate a parsed ruleset document and build the Ruleset."""
    return _RulesetReader(doc.source).ruleset(doc.data)


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_TOP_KEYS = (
    "type", "id", "version", "title", "jurisdiction", "documents", "plan_period", "clauses",
    "columns", "tables", "readings", "rules",
)


@attrs.frozen
class _RulesetReader:
    source: Source

    def fail(self, path: tuple[Any, ...], message: str) -> RulesetError:
        return self.source.error(RulesetError, path, message)  # type: ignore[return-value]

    def mapping(self, value: Any, path: tuple[Any, ...], allowed: tuple[str, ...] | None = None) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected a mapping, got {type(value).__name__}")
        if allowed is not None:
            for key in value:
                if key not in allowed and key != "$schema":
                    raise self.fail(path + (key,), f"unknown field; expected one of: {', '.join(allowed)}")
        return value

    def get(self, data: Mapping[str, Any], key: str, path: tuple[Any, ...]) -> Any:
        if data.get(key) is None:
            raise self.fail(path + (key,), "required field is missing")
        return data[key]

    def text(self, data: Mapping[str, Any], key: str, path: tuple[Any, ...], required: bool = True) -> Any:
        value = self.get(data, key, path) if required else data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path + (key,), f"expected a non-empty string, got {value!r}")
        return value

    def date(self, data: Mapping[str, Any], key: str, path: tuple[Any, ...], required: bool = True) -> Any:
        value = self.get(data, key, path) if required else data.get(key)
        if value is None:
            return None
        try:
            return parse_date(value)
        except ValueError as exc:
            raise self.fail(path + (key,), str(exc)) from None

    def bilingual(self, data: Mapping[str, Any], key: str, path: tuple[Any, ...]) -> tuple[str, str]:
        value = self.mapping(self.get(data, key, path), path + (key,), ("zh", "en"))
        return self.text(value, "zh", path + (key,)), self.text(value, "en", path + (key,))

    def id_list(self, value: Any, path: tuple[Any, ...], known: Mapping[str, Any], what: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(path, f"expected a non-empty list of {what} ids")
        for i, item in enumerate(value):
            if item not in known:
                raise self.fail(path + (i,), f"unknown {what} {item!r}")
        return tuple(value)

    def ruleset(self, data: Any) -> Ruleset:
        if isinstance(data, Mapping) and data.get("type", "reward") != "reward":
            from .policyfile import document_type, wrong_type

            raise wrong_type(document_type(data, self.source), "reward", self.source)
        data = self.mapping(data, (), _TOP_KEYS)
        rid = self.text(data, "id", ())
        version = self.get(data, "version", ())
        if not isinstance(version, str):
            raise self.fail(("version",), f"expected the version as a quoted string, got {version!r}")
        title = self.bilingual(data, "title", ())
        jurisdiction = self.bilingual(data, "jurisdiction", ())
        documents = self.documents(self.mapping(self.get(data, "documents", ()), ("documents",)))
        clauses = self.clauses(self.mapping(self.get(data, "clauses", ()), ("clauses",)), documents)
        period = self.period(data, clauses)
        columns = self.columns(self.mapping(self.get(data, "columns", ()), ("columns",)))
        tables = self.tables(self.mapping(self.get(data, "tables", ()), ("tables",)), columns, clauses)
        readings = self.readings(self.mapping(data.get("readings") or {}, ("readings",)), clauses)
        rules = self.rules(data.get("rules"), clauses, tables, readings)
        digest = hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()
        return Ruleset(
            id=rid, version=version, title_zh=title[0], title_en=title[1],
            jurisdiction_zh=jurisdiction[0], jurisdiction_en=jurisdiction[1],
            documents=documents, plan_period=period, clauses=clauses, columns=columns,
            tables=tables, readings=readings, rules=rules, sha256=digest,
            path=self.source.file, data=data,
        )

    def documents(self, data: Mapping[str, Any]) -> dict[str, SourceDocument]:
        out = {}
        for key, raw in data.items():
            p = ("documents", key)
            raw = self.mapping(raw, p, ("title_zh", "title_en", "issuer", "number", "issued", "file", "url"))
            out[key] = SourceDocument(
                id=key, title_zh=self.text(raw, "title_zh", p), title_en=self.text(raw, "title_en", p),
                issuer=self.text(raw, "issuer", p, False), number=self.text(raw, "number", p, False),
                issued=self.date(raw, "issued", p, False), file=self.text(raw, "file", p, False),
            )
        return out

    def clauses(self, data: Mapping[str, Any], documents: Mapping[str, Any]) -> dict[str, Clause]:
        out = {}
        for key, raw in data.items():
            p = ("clauses", key)
            raw = self.mapping(raw, p, ("document", "section", "text"))
            doc = self.text(raw, "document", p)
            if doc not in documents:
                raise self.fail(p + ("document",), f"unknown document {doc!r}")
            out[key] = Clause(key, doc, self.text(raw, "section", p), self.text(raw, "text", p))
        return out

    def period(self, data: Mapping[str, Any], clauses: Mapping[str, Clause]) -> PlanPeriod:
        p = ("plan_period",)
        raw = self.mapping(self.get(data, "plan_period", ()), p, ("start", "end", "issued", "clause"))
        start, end = self.date(raw, "start", p), self.date(raw, "end", p)
        if end < start:
            raise self.fail(p + ("end",), f"plan period ends ({end}) before it starts ({start})")
        clause = self.text(raw, "clause", p, False)
        if clause is not None and clause not in clauses:
            raise self.fail(p + ("clause",), f"unknown clause {clause!r}")
        return PlanPeriod(start, end, self.date(raw, "issued", p, False), clause)

    def columns(self, data: Mapping[str, Any]) -> dict[str, tuple[CarrierKind, ...]]:
        out: dict[str, tuple[CarrierKind, ...]] = {}
        seen: dict[CarrierKind, str] = {}
        for key, raw in data.items():
            p = ("columns", key)
            if not isinstance(raw, list) or not raw:
                raise self.fail(p, "expected a non-empty list of carrier kinds")
            kinds = []
            for i, item in enumerate(raw):
                try:
                    kind = parse_enum(CarrierKind, item)
                except ValueError as exc:
                    raise self.fail(p + (i,), str(exc)) from None
                if kind in seen:
                    raise self.fail(p + (i,), f"kind {kind.value} is already in column {seen[kind]!r}")
                seen[kind] = key
                kinds.append(kind)
            out[key] = tuple(kinds)
        return out

    def tables(self, data: Mapping[str, Any], columns: Mapping[str, Any], clauses: Mapping[str, Clause]) -> dict[str, Table]:
        out = {}
        for key, raw in data.items():
            p = ("tables", key)
            raw = self.mapping(raw, p, ("label", "unit", "columns"))
            label = self.bilingual(raw, "label", p)
            unit = raw.get("unit", "yuan")
            if unit != "yuan":
                raise self.fail(p + ("unit",), f"amounts must be in whole yuan (unit: yuan), got {unit!r}")
            cols = {}
            for col, craw in self.mapping(self.get(raw, "columns", p), p + ("columns",)).items():
                cp = p + ("columns", col)
                if col not in columns:
                    raise self.fail(cp, f"unknown column {col!r}; declared columns: {', '.join(columns)}")
                craw = self.mapping(craw, cp, ("clause", "values"))
                clause = self.text(craw, "clause", cp)
                if clause not in clauses:
                    raise self.fail(cp + ("clause",), f"unknown clause {clause!r}")
                values = {}
                for lvl, vraw in self.mapping(self.get(craw, "values", cp), cp + ("values",)).items():
                    vp = cp + ("values", lvl)
                    try:
                        level = parse_enum(Level, lvl)
                    except ValueError as exc:
                        raise self.fail(vp, str(exc)) from None
                    values[level] = self.dated_values(vraw, vp, clause, clauses)
                for level in Level:
                    if level not in values:
                        raise self.fail(cp + ("values",), f"missing amount for level {level.value!r}")
                cols[col] = values
            out[key] = Table(key, label[0], label[1], cols)
        return out

    def dated_values(self, raw: Any, p: tuple[Any, ...], clause: str, clauses: Mapping[str, Clause]) -> tuple[DatedValue, ...]:
        if not isinstance(raw, list):
            try:
                return (DatedValue(None, whole_yuan(raw), clause),)
            except ValueError as exc:
                raise self.fail(p, str(exc)) from None
        out: list[DatedValue] = []
        for i, item in enumerate(raw):
            ip = p + (i,)
            item = self.mapping(item, ip, ("from", "amount", "clause"))
            start = self.date(item, "from", ip)
            try:
                amount = whole_yuan(self.get(item, "amount", ip))
            except ValueError as exc:
                raise self.fail(ip + ("amount",), str(exc)) from None
            own = self.text(item, "clause", ip, False) or clause
            if own not in clauses:
                raise self.fail(ip + ("clause",), f"unknown clause {own!r}")
            if out and out[-1].start is not None and start <= out[-1].start:
                raise self.fail(ip + ("from",), f"dated values must be in increasing date order; {start} is not after {out[-1].start}")
            out.append(DatedValue(start, amount, own))
        if not out:
            raise self.fail(p, "expected an amount or a list of dated amounts")
        return tuple(out)

    def readings(self, data: Mapping[str, Any], clauses: Mapping[str, Clause]) -> dict[str, Reading]:
        out = {}
        for name, raw in data.items():
            p = ("readings", name)
            raw = self.mapping(raw, p, ("number", "question", "default", "alternatives", "clauses"))
            alts = self.mapping(self.get(raw, "alternatives", p), p + ("alternatives",))
            if len(alts) < 2:
                raise self.fail(p + ("alternatives",), "a reading needs at least two alternatives")
            for alt, desc in alts.items():
                if not isinstance(desc, str) or not desc.strip():
                    raise self.fail(p + ("alternatives", alt), "describe each alternative in a sentence")
            default = self.text(raw, "default", p)
            if default not in alts:
                raise self.fail(p + ("default",), f"default {default!r} is not one of the alternatives: {', '.join(alts)}")
            number = raw.get("number")
            if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
                raise self.fail(p + ("number",), f"expected an integer, got {number!r}")
            cl = self.id_list(raw["clauses"], p + ("clauses",), clauses, "clause") if "clauses" in raw else ()
            out[name] = Reading(name, number, self.text(raw, "question", p), default, dict(alts), cl)
        return out

    def rules(self, data: Any, clauses: Mapping[str, Clause], tables: Mapping[str, Table], readings: Mapping[str, Reading]) -> tuple[Rule, ...]:
        from .rules import KINDS, PLACEHOLDERS

        if not isinstance(data, list) or not data:
            raise self.fail(("rules",), "expected a non-empty list of rules")
        out: list[Rule] = []
        ids: set[str] = set()
        for i, raw in enumerate(data):
            p = ("rules", i)
            kind_name = self.text(self.mapping(raw, p), "kind", p)
            if kind_name not in KINDS:
                raise self.fail(p + ("kind",), f"unknown rule kind {kind_name!r}; known kinds: {', '.join(KINDS)}")
            spec = KINDS[kind_name]
            raw = self.mapping(raw, p, ("id", "kind", "title", "clauses", "readings", "explanations") + tuple(spec.params))
            rid = self.text(raw, "id", p)
            if rid in ids:
                raise self.fail(p + ("id",), f"duplicate rule id {rid!r}")
            ids.add(rid)
            title = self.bilingual(raw, "title", p)
            cl = self.id_list(self.get(raw, "clauses", p), p + ("clauses",), clauses, "clause")
            params = {}
            for name, check in spec.params.items():
                params[name] = self.param(raw, name, check, p, tables, ids)
            roles = self.mapping(raw.get("readings") or {}, p + ("readings",))
            for role, allowed in spec.roles.items():
                rp = p + ("readings", role)
                if role not in roles:
                    raise self.fail(rp, f"rule kind {kind_name} needs a reading for {role!r}")
                name = roles[role]
                if name not in readings:
                    raise self.fail(rp, f"unknown reading {name!r}")
                for alt in readings[name].alternatives:
                    if alt not in allowed:
                        raise self.fail(
                            ("readings", name, "alternatives", alt),
                            f"rule {rid} cannot apply alternative {alt!r} for {role}; it knows: {', '.join(allowed)}",
                        )
            for role in roles:
                if role not in spec.roles:
                    raise self.fail(p + ("readings", role), f"rule kind {kind_name} has no reading role {role!r}")
            explanations = self.explanations(raw, spec.codes, p, PLACEHOLDERS)
            out.append(Rule(rid, kind_name, title[0], title[1], cl, params, dict(roles), explanations))
        by_id = {r.id: r for r in out}
        for i, rule in enumerate(out):
            for name in ("condition", "applies_to"):
                target = rule.params.get(name)
                if target is None:
                    continue
                want = KINDS[rule.kind].params[name]
                if target not in by_id or by_id[target].kind != want:
                    raise self.fail(("rules", i, name), f"expected the id of a {want} rule, got {target!r}")
        return tuple(out)

    def param(self, raw: Mapping[str, Any], name: str, check: str, p: tuple[Any, ...], tables: Mapping[str, Table], ids: set[str]) -> Any:
        value = self.get(raw, name, p)
        pp = p + (name,)
        if check == "table":
            if value not in tables:
                raise self.fail(pp, f"unknown table {value!r}")
            return value
        if check == "duration":
            value = self.mapping(value, pp, ("years", "months", "days"))
            for k, v in value.items():
                if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                    raise self.fail(pp + (k,), f"expected a whole non-negative number, got {v!r}")
            if not any(value.values()):
                raise self.fail(pp, "a duration must be longer than zero")
            return dict(value)
        if check == "grades":
            from .carrier import Grade

            if not isinstance(value, list) or not value:
                raise self.fail(pp, "expected a non-empty list of grades")
            try:
                return tuple(parse_enum(Grade, g) for g in value)
            except ValueError as exc:
                raise self.fail(pp, str(exc)) from None
        # a reference to another rule, checked once all rules are read
        if not isinstance(value, str):
            raise self.fail(pp, f"expected a rule id, got {value!r}")
        return value

    def explanations(self, raw: Mapping[str, Any], codes: tuple[str, ...], p: tuple[Any, ...], allowed: frozenset[str]) -> dict[str, tuple[str, str]]:
        if not codes:
            return {}
        data = self.mapping(self.get(raw, "explanations", p), p + ("explanations",), codes)
        out = {}
        for code in codes:
            cp = p + ("explanations", code)
            if code not in data:
                raise self.fail(cp, f"missing explanation for outcome {code!r}")
            zh, en = self.bilingual(data, code, p + ("explanations",))
            for lang, template in (("zh", zh), ("en", en)):
                for name in _PLACEHOLDER.findall(template):
                    if name not in allowed:
                        raise self.fail(cp + (lang,), f"unknown placeholder {{{name}}}; known: {', '.join(sorted(allowed))}")
            out[code] = (zh, en)
        return out
