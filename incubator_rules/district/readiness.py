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
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
from dateutil.relativedelta import relativedelta

from ..errors import IncubatorRulesError
from ..files.criteria import DEFAULT_CRITERIA, CriteriaSet, Criterion, LevelCriteria, load_criteria
from ..files.policyfile import Header
from ..model.carrier import Carrier, EventType, Level, as_of_date
from ..model.durations import after
from ..model.portfolio import METRICS, Portfolio, Snapshot, standing
from ..model.ruleset import Citation


MET = "met"
MISSED = "missed"
NOT_ASSESSED = "not_assessed"

READY = "ready"
NOT_READY = "not_ready"


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
    "CriterionResult",
    "Readiness",
    "check",
    "check_level",
    "format_fraction",
    "readiness",
]
