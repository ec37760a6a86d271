"""Upgrade readiness: which higher level a carrier meets the published criteria for, and by how much it misses.

Each criterion reads the carrier's latest snapshot (a minimum, a ratio, or
one of several alternatives) or its history (years of operation, consecutive
years of statistics). A criterion is *met*, *missed* (with the shortfall), or
*not assessed*: when the sources give no threshold, or the snapshot or history
lacks the figure. A level is *ready* when every criterion is met, *not ready*
when one is missed, and *not assessed* otherwise; nothing is guessed.
"""

from __future__ import annotations

import datetime
import functools
import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Mapping

import attrs
from dateutil.relativedelta import relativedelta

from ..documents import Document
from ..errors import IncubatorRulesError, RulesetError, describe
from ..files.policyfile import MAX_NESTING, HasHeader, Header, PolicyFile, PolicyReader
from ..model.carrier import Carrier, CarrierKind, EventType, Level, as_of_date
from ..model.durations import after
from ..model.portfolio import METRICS, Portfolio, Snapshot, standing
from ..model.ruleset import Citation

DEFAULT_CRITERIA = "upgrade-criteria"

MET = "met"
MISSED = "missed"
NOT_ASSESSED = "not_assessed"

READY = "ready"
NOT_READY = "not_ready"


@attrs.frozen
class Criterion:
    """One published criterion. Exactly one of ``metric``, ``ratio``, ``operating``, ``statistics_years``, ``any_of`` is set.

    ``at_least`` (and ``specialised``, the specialised-incubator threshold)
    are divided by ``per``: 75 per 100 is 75%.
    """

    id: str
    title_zh: str
    title_en: str
    metric: str | None = None
    ratio: tuple[str, str] | None = None
    operating: Mapping[str, int] | None = None
    statistics_years: int | None = None
    any_of: tuple["Criterion", ...] = ()
    at_least: Decimal | None = None
    specialised: Decimal | None = None
    per: int = 1

    def threshold(self, variant: str) -> Fraction | None:
        """The minimum for the general or the specialised variant, as an exact fraction."""
        value = self.specialised if variant == "specialised" and self.specialised is not None else self.at_least
        return None if value is None else Fraction(value) / self.per


@attrs.frozen
class LevelCriteria:
    """The criteria for one higher level (e.g. national incubator), or the fact that the sources give none."""

    id: str
    title_zh: str
    title_en: str
    level: Level
    kinds: frozenset[CarrierKind]
    clause: str
    specialised_clause: str | None
    criteria: tuple[Criterion, ...]
    thresholds_given: bool


@attrs.frozen
class CriteriaSet(HasHeader):
    """A loaded ``type: criteria`` file."""

    header: Header
    levels: tuple[LevelCriteria, ...]

    def level(self, level_id: str) -> LevelCriteria:
        """The level with this id (KeyError when there is none)."""
        for lv in self.levels:
            if lv.id == level_id:
                return lv
        raise KeyError(level_id)


@attrs.frozen
class CriterionResult:
    """A criterion checked against a carrier: met, missed or not assessed, and by how much.

    ``shortfall`` is ``required - actual`` when missed; ``needed`` is how many
    more units of the criterion's own figure would meet it (more incubatees,
    more m2, more months).
    """

    id: str
    title_zh: str
    title_en: str
    status: str
    required: Fraction | None
    actual: Fraction | None
    shortfall: Fraction | None
    needed: Fraction | None
    unit: str
    reason: str | None
    members: tuple["CriterionResult", ...] = ()
    per: int = 1
    needed_of: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data; exact values as ``"n/d"`` fractions."""
        return {
            "criterion": self.id,
            "title": {"zh": self.title_zh, "en": self.title_en},
            "status": self.status,
            "required": _frac(self.required),
            "actual": _frac(self.actual),
            "shortfall": _frac(self.shortfall),
            "needed": _frac(self.needed),
            "unit": self.unit,
            "per": self.per,
            "needed_of": self.needed_of,
            "reason": self.reason,
            "members": [m.to_dict() for m in self.members],
        }


@attrs.frozen
class Readiness:
    """How a carrier stands against one higher level's criteria on one date."""

    carrier_id: str
    level_id: str
    title_zh: str
    title_en: str
    level: Level
    as_of: datetime.date
    status: str
    variant: str
    snapshot_date: datetime.date | None
    criteria: tuple[CriterionResult, ...]
    citations: tuple[Citation, ...]

    @property
    def missed(self) -> tuple[CriterionResult, ...]:
        """The criteria missed."""
        return tuple(c for c in self.criteria if c.status == MISSED)

    @property
    def not_assessed(self) -> tuple[CriterionResult, ...]:
        """The criteria that could not be assessed."""
        return tuple(c for c in self.criteria if c.status == NOT_ASSESSED)

    def to_dict(self) -> dict[str, Any]:
        """Plain data with a stable key order."""
        return {
            "carrier": self.carrier_id,
            "level_id": self.level_id,
            "title": {"zh": self.title_zh, "en": self.title_en},
            "level": self.level.value,
            "as_of": self.as_of.isoformat(),
            "status": self.status,
            "variant": self.variant,
            "snapshot": None if self.snapshot_date is None else self.snapshot_date.isoformat(),
            "criteria": [c.to_dict() for c in self.criteria],
            "citations": [c.to_dict() for c in self.citations],
        }


def load_criteria(id_or_path: str | Path = DEFAULT_CRITERIA) -> CriteriaSet:
    """Load a shipped criteria file by id or any file by path."""
    return _FILE.load(id_or_path)


def parse_criteria(text: str, file: str | None = None) -> CriteriaSet:
    """Build a criteria set from YAML text."""
    return _FILE.parse(text, file)


def criteria_from_document(doc: Document) -> CriteriaSet:
    """Validate a parsed criteria document and build the CriteriaSet; raises RulesetError on the first problem."""
    return _FILE.from_document(doc)


def validate_criteria(doc: Document) -> tuple[CriteriaSet | None, tuple[RulesetError, ...]]:
    """Read a parsed criteria document, collecting every problem; the set is None when there is any."""
    return _FILE.validate(doc)


@functools.cache
def _default() -> CriteriaSet:
    """The shipped default, loaded once."""
    return load_criteria(DEFAULT_CRITERIA)


def readiness(
    portfolio: Portfolio,
    carrier_id: str,
    as_of: datetime.date | str | None = None,
    criteria: CriteriaSet | str | Path | None = None,
) -> tuple[Readiness, ...]:
    """The carrier's standing against every level above its current title that its kind can climb to.

    Uses the latest snapshot on or before ``as_of`` and the history up to it.
    A delisted carrier has no title to climb from and gets no result.
    """
    cs = _default() if criteria is None else criteria if isinstance(criteria, CriteriaSet) else load_criteria(criteria)
    day = as_of_date(as_of)
    try:
        carrier = portfolio.carrier(carrier_id)
    except KeyError:
        raise IncubatorRulesError(f"no carrier {carrier_id!r} in portfolio {portfolio.id!r}", field="carrier") from None
    st = standing(carrier, day)
    if st.delisted:
        return ()
    top = st.highest
    kind = top[0] if top is not None else carrier.kind
    rank = top[1].rank if top is not None else -1
    snap = portfolio.latest(carrier.id, day)
    variant = "specialised" if "specialised" in portfolio.tags(carrier.id, day) else "general"
    out = []
    for lv in cs.levels:
        if kind in lv.kinds and lv.level.rank > rank:
            out.append(check_level(lv, carrier, portfolio.snapshots_of(carrier.id), snap, day, variant, cs.header))
    return tuple(out)


def check_level(
    lv: LevelCriteria, carrier: Carrier, snapshots: tuple[Snapshot, ...], snap: Snapshot | None,
    as_of: datetime.date, variant: str, header: Header,
) -> Readiness:
    """One level's criteria against a carrier's latest snapshot and history."""
    use_variant = variant if lv.specialised_clause is not None else "general"
    clauses = (lv.clause,) + ((lv.specialised_clause,) if use_variant == "specialised" and lv.specialised_clause else ())
    if not lv.thresholds_given:
        reason = "the sources read name this level's criteria but give no thresholds"
        results: tuple[CriterionResult, ...] = (
            CriterionResult("thresholds", "认定条件", "accreditation criteria", NOT_ASSESSED, None, None, None, None, "", reason),
        )
    else:
        results = tuple(check(c, carrier, snapshots, snap, as_of, use_variant) for c in lv.criteria)
    if any(r.status == MISSED for r in results):
        status = NOT_READY
    elif any(r.status == NOT_ASSESSED for r in results):
        status = NOT_ASSESSED
    else:
        status = READY
    return Readiness(
        carrier.id, lv.id, lv.title_zh, lv.title_en, lv.level, as_of, status, use_variant,
        None if snap is None else snap.date, results, header.citations(clauses),
    )


def check(
    c: Criterion, carrier: Carrier, snapshots: tuple[Snapshot, ...], snap: Snapshot | None,
    as_of: datetime.date, variant: str,
) -> CriterionResult:
    """One criterion against a carrier."""
    if c.any_of:
        members = tuple(check(m, carrier, snapshots, snap, as_of, variant) for m in c.any_of)
        if any(m.status == MET for m in members):
            status, reason = MET, None
        elif any(m.status == NOT_ASSESSED for m in members):
            status, reason = NOT_ASSESSED, "no alternative is met and one cannot be assessed"
        else:
            status, reason = MISSED, None
        return CriterionResult(c.id, c.title_zh, c.title_en, status, None, None, None, None, "", reason, members)
    if c.operating is not None:
        return _operating(c, carrier, as_of)
    if c.statistics_years is not None:
        run = _consecutive_years([s for s in snapshots if s.date <= as_of])
        result = _compare(c, Fraction(c.statistics_years), Fraction(run), "years", whole=True)
        return attrs.evolve(result, needed_of="years" if result.status == MISSED else None)
    required = c.threshold(variant)
    assert required is not None
    if snap is None:
        return _unknown(c, required, "no snapshot on or before the date")
    if c.metric is not None:
        value = snap.get(c.metric)
        if value is None:
            return _unknown(c, required, f"the snapshot of {snap.date} does not report {c.metric}")
        result = _compare(c, required, Fraction(value), METRICS[c.metric].unit, whole=METRICS[c.metric].whole)
        return attrs.evolve(result, needed_of=c.metric if result.status == MISSED else None)
    assert c.ratio is not None
    num_name, den_name = c.ratio
    num, den = snap.get(num_name), snap.get(den_name)
    lacking = [n for n, v in ((num_name, num), (den_name, den)) if v is None]
    if lacking:
        return _unknown(c, required, f"the snapshot of {snap.date} does not report {' or '.join(lacking)}")
    assert num is not None and den is not None
    if den == 0:
        return _unknown(c, required, f"{den_name} is zero in the snapshot of {snap.date}")
    actual = Fraction(num) / Fraction(den)
    result = attrs.evolve(_compare(c, required, actual, f"{num_name} per {den_name}", whole=False), per=c.per)
    if result.status == MISSED:
        more = required * Fraction(den) - Fraction(num)
        if METRICS[num_name].whole:
            more = Fraction(math.ceil(more))
        result = attrs.evolve(result, needed=more, needed_of=num_name)
    return result


def _operating(c: Criterion, carrier: Carrier, as_of: datetime.date) -> CriterionResult:
    assert c.operating is not None
    operating = c.operating
    months = Fraction(c.operating.get("years", 0) * 12 + c.operating.get("months", 0))
    events = carrier.events_until(as_of)
    started = next((e.date for e in events if e.type is EventType.OPERATION_STARTED), None)
    if started is not None:
        complete = after(started, operating)
        done = complete is not None and complete <= as_of
        held = Fraction(_months_between(started, as_of))
        if done:
            return CriterionResult(c.id, c.title_zh, c.title_en, MET, months, held, None, None, "months", None)
        return CriterionResult(
            c.id, c.title_zh, c.title_en, MISSED, months, held, months - held, months - held, "months",
            f"operating since {started}; the period is complete on {complete or 'a date after 9999-12-31'}", needed_of="months",
        )
    first = next((e.date for e in events if e.type.is_accreditation), None)
    since_first = None if first is None else after(first, operating)
    if first is not None and since_first is not None and since_first <= as_of:
        return CriterionResult(
            c.id, c.title_zh, c.title_en, MET, months, Fraction(_months_between(first, as_of)), None, None, "months",
            f"no operation start recorded; operating at least since its accreditation on {first}",
        )
    return CriterionResult(
        c.id, c.title_zh, c.title_en, NOT_ASSESSED, months, None, None, None, "months",
        "the history records no operation start" + (f" (accredited on {first}, too recently to tell)" if first else ""),
    )


def _months_between(start: datetime.date, end: datetime.date) -> int:
    d = relativedelta(end, start)
    return d.years * 12 + d.months


def _consecutive_years(snapshots: list[Snapshot]) -> int:
    years = sorted({s.date.year for s in snapshots})
    best = run = 0
    previous = None
    for y in years:
        run = run + 1 if previous is not None and y == previous + 1 else 1
        best = max(best, run)
        previous = y
    return best


def _compare(c: Criterion, required: Fraction, actual: Fraction, unit: str, whole: bool) -> CriterionResult:
    if actual >= required:
        return CriterionResult(c.id, c.title_zh, c.title_en, MET, required, actual, None, None, unit, None)
    short = required - actual
    needed = Fraction(math.ceil(short)) if whole else short
    return CriterionResult(c.id, c.title_zh, c.title_en, MISSED, required, actual, short, needed, unit, None)


def _unknown(c: Criterion, required: Fraction, reason: str) -> CriterionResult:
    return CriterionResult(c.id, c.title_zh, c.title_en, NOT_ASSESSED, required, None, None, None, "", reason)


def _frac(value: Fraction | None) -> str | int | None:
    if value is None:
        return None
    return value.numerator if value.denominator == 1 else f"{value.numerator}/{value.denominator}"




_LEVEL_KEYS = ("id", "title", "level", "kinds", "clause", "specialised_clause", "criteria", "thresholds")
_CRITERION_KEYS = (
    "id", "title", "metric", "ratio", "operating", "statistics_years", "any_of", "at_least", "specialised", "per",
)


_FORMS = ("metric", "ratio", "operating", "statistics_years", "any_of")


@attrs.frozen
class _CriteriaReader(PolicyReader):
    def read(self, doc: Document) -> CriteriaSet | None:
        header = self.header(doc, "criteria", ("levels",))
        raw_levels = self.entries(doc.data, "levels")
        levels = [self.level_entry(raw, ("levels", i), header) for i, raw in enumerate(raw_levels)]
        self.unique(raw_levels, ("levels",), "level")
        if self.problems:
            return None
        return CriteriaSet(self.finish(header, doc), tuple(lv for lv in levels if lv is not None))

    def unique(self, items: list[Any], p: tuple[Any, ...], what: str) -> None:
        seen: dict[str, int] = {}
        for i, raw in enumerate(items):
            rid = raw.get("id") if isinstance(raw, Mapping) else None
            if not isinstance(rid, str):
                continue
            if rid in seen:
                self.problem(p + (i, "id"), f"duplicate {what} id {rid!r} (also {p[-1]}[{seen[rid]}])")
            else:
                seen[rid] = i

    def level_entry(self, raw: Any, p: tuple[Any, ...], header: Header) -> LevelCriteria | None:
        raw = self.mapping(raw, p, _LEVEL_KEYS)
        if raw is None:
            return None
        before = self.count()
        lid = self.text(raw, "id", p)
        zh, en = self.bilingual(raw, "title", p)
        value = self.get(raw, "level", p)
        level = None if value is None else self.enum(Level, value, p + ("level",))
        value = self.get(raw, "kinds", p)
        kinds = None if value is None else self.enums(value, p + ("kinds",), CarrierKind)
        clause = self.clause_ref(raw, "clause", p)
        special = self.clause_ref(raw, "specialised_clause", p, required=False)
        thresholds = raw.get("thresholds", "given")
        if thresholds not in ("given", "not_given"):
            self.problem(p + ("thresholds",), f"expected given or not_given, got {describe(thresholds)}")
        criteria: list[Criterion | None] = []
        if thresholds == "not_given":
            if raw.get("criteria"):
                self.problem(p + ("criteria",), "a level whose thresholds are not given lists no criteria")
        elif thresholds == "given":
            items = self.get(raw, "criteria", p)
            if items is not None and (not isinstance(items, list) or not items):
                self.problem(p + ("criteria",), f"expected a non-empty list of criteria, got {describe(items)}")
            elif items:
                allowed = raw.get("specialised_clause") is not None
                criteria = [self.criterion(c, p + ("criteria", j), allowed) for j, c in enumerate(items)]
                self.unique(items, p + ("criteria",), "criterion")
        if self.count() != before:
            return None
        return LevelCriteria(
            lid, zh, en, level, kinds, clause, special, tuple(criteria), thresholds == "given",  # type: ignore[arg-type]
        )

    def criterion(self, raw: Any, p: tuple[Any, ...], specialised_allowed: bool, depth: int = 0) -> Criterion | None:
        raw = self.mapping(raw, p, _CRITERION_KEYS)
        if raw is None:
            return None
        before = self.count()
        cid = self.text(raw, "id", p)
        zh, en = self.bilingual(raw, "title", p)
        forms = [k for k in _FORMS if raw.get(k) is not None]
        if len(forms) != 1:
            self.problem(p, f"a criterion has exactly one of: {', '.join(_FORMS)}")
            return None
        form = forms[0]
        fields: dict[str, Any] = {}
        if form == "any_of":
            items = raw["any_of"]
            if not isinstance(items, list) or len(items) < 2:
                got = f"{len(items)}" if isinstance(items, list) else describe(items)
                self.problem(p + ("any_of",), f"expected a list of at least two alternatives, got {got}")
            elif depth >= MAX_NESTING:
                self.problem(p + ("any_of",), f"alternatives may be nested at most {MAX_NESTING} deep")
            else:
                fields["any_of"] = tuple(
                    self.criterion(m, p + ("any_of", j), specialised_allowed, depth + 1) for j, m in enumerate(items)
                )
                self.unique(items, p + ("any_of",), "criterion")
        elif form == "operating":
            fields["operating"] = self.duration(raw["operating"], p + ("operating",), ("years", "months"), "period")
        elif form == "statistics_years":
            fields["statistics_years"] = self.whole(raw["statistics_years"], p + ("statistics_years",), least=1)
        else:
            if form == "metric":
                fields["metric"] = self.choice(raw["metric"], p + ("metric",), METRICS, "metric")
            elif not isinstance(raw["ratio"], list) or len(raw["ratio"]) != 2:
                got = f"{len(raw['ratio'])} metrics" if isinstance(raw["ratio"], list) else describe(raw["ratio"])
                self.problem(p + ("ratio",), f"expected [numerator metric, denominator metric], got {got}")
            else:
                fields["ratio"] = tuple(self.choice(m, p + ("ratio", j), METRICS, "metric") for j, m in enumerate(raw["ratio"]))
            fields["at_least"] = self.amount(raw, "at_least", p, required=True)
            fields["specialised"] = self.amount(raw, "specialised", p, required=False)
            if fields["specialised"] is not None and not specialised_allowed:
                self.problem(p + ("specialised",), "this level has no specialised_clause to cite for a specialised threshold")
            per = raw.get("per", 1)
            if isinstance(per, bool) or not isinstance(per, int) or not 1 <= per <= 1_000_000:
                self.problem(p + ("per",), f"expected a whole number such as 10, 100 or 1000, got {describe(per)}")
            elif form == "metric" and per != 1:
                self.problem(p + ("per",), "per applies to ratios only")
            fields["per"] = per
        for key in ("at_least", "specialised", "per"):
            if form in ("any_of", "operating", "statistics_years") and raw.get(key) is not None:
                self.problem(p + (key,), f"a criterion of form {form} takes no {key}")
        if self.count() != before:
            return None
        return Criterion(cid, zh, en, **fields)  # type: ignore[arg-type]

    def amount(self, raw: Mapping[str, Any], key: str, p: tuple[Any, ...], required: bool) -> Decimal | None:
        value = self.get(raw, key, p) if required else raw.get(key)
        return None if value is None else self.number(value, p + (key,))


def format_fraction(value: Fraction | None, places: int = 2) -> str:
    """A fraction for people: whole numbers as integers, others rounded to ``places`` decimals."""
    if value is None:
        return "-"
    if value.denominator == 1:
        return f"{value.numerator:,}"
    scaled = round(value * 10**places)
    whole, frac = divmod(abs(scaled), 10**places)
    sign = "-" if scaled < 0 else ""
    return f"{sign}{whole:,}.{frac:0{places}d}" if places else f"{sign}{whole:,}"


__all__ = [
    "CriteriaSet",
    "Criterion",
    "CriterionResult",
    "LevelCriteria",
    "Readiness",
    "check",
    "check_level",
    "format_fraction",
    "load_criteria",
    "parse_criteria",
    "readiness",
    "validate_criteria",
]


_FILE: PolicyFile[CriteriaSet] = PolicyFile("criteria", _CriteriaReader)
