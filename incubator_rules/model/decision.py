"""Decisions (awarded, pending, not awarded) and the Evaluation that holds them."""

from __future__ import annotations

import datetime
import json
from typing import Any, Mapping

import attrs

from ..documents import parse_json
from ..errors import DocumentError
from .carrier import CarrierKind, Level, parse_date
from .display import renderer
from .ruleset import Citation
from .twin import writable_twin

AWARDED = "awarded"
PENDING = "pending"
NOT_AWARDED = "not_awarded"


def _date_or_none(value: Any) -> datetime.date | None:
    return None if value is None else parse_date(value)


def _iso(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat()


@attrs.frozen(slots=False)  # a dict-backed instance is built twice as fast
class Condition:
    """The operating-duration condition behind an accreditation decision.

    ``status`` is met, pending, interrupted or ended; ``date`` is when it was
    or will be met, or when it was interrupted or ended.
    """

    rule: str
    status: str
    counted_from: datetime.date | None
    date: datetime.date | None
    events: tuple[str, ...]
    citations: tuple[Citation, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data with a stable key order."""
        return {
            "rule": self.rule,
            "status": self.status,
            "counted_from": _iso(self.counted_from),
            "date": _iso(self.date),
            "events": list(self.events),
            "citations": [c.to_dict() for c in self.citations],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Condition":
        """Inverse of ``to_dict``."""
        return cls(
            data["rule"], data["status"], _date_or_none(data["counted_from"]), _date_or_none(data["date"]),
            tuple(data["events"]), tuple(Citation(**c) for c in data["citations"]),
        )


@attrs.frozen(slots=False)
class InstalmentShare:
    """Which instalment of a scheduled award a decision is: its ``number`` of ``count``, its ``share`` as written
    (``"1/3"``, ``"50%"``) and the date it falls due by the schedule (before any condition moves it)."""

    number: int
    count: int
    share: str
    due_on: datetime.date | None

    def to_dict(self) -> dict[str, Any]:
        """Plain data with a stable key order."""
        return {"number": self.number, "of": self.count, "share": self.share, "due_on": _iso(self.due_on)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "InstalmentShare":
        """Inverse of ``to_dict``."""
        return cls(data["number"], data["of"], data["share"], _date_or_none(data["due_on"]))

    def __str__(self) -> str:
        return f"{self.number}/{self.count}"


@attrs.frozen(weakref_slot=False)  # slots, read fast; no weak references: ``built_decision`` needs the fields alone
class Decision:
    """One decision of one rule on the events it rests on.

    ``status`` is awarded, pending or not_awarded; ``reason`` names the
    outcome (the explanation key in the ruleset). Amounts are whole yuan.
    ``instalment`` says which instalment of a scheduled award it is (None
    for an award paid whole; its JSON key is then left out).
    """

    rule: str
    status: str
    reason: str
    amount: int
    payable_on: datetime.date | None
    events: tuple[str, ...]
    citations: tuple[Citation, ...]
    explanation_zh: str
    explanation_en: str
    level: Level | None = None
    kind: CarrierKind | None = None
    full_amount: int | None = None
    already_received: int | None = None
    amount_in_force_from: datetime.date | None = None
    condition: Condition | None = None
    instalment: InstalmentShare | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data with a stable key order (``instalment`` only for an instalment)."""
        out = {
            "rule": self.rule,
            "status": self.status,
            "reason": self.reason,
            "amount": self.amount,
            "payable_on": _iso(self.payable_on),
            "events": list(self.events),
            "level": None if self.level is None else self.level.value,
            "kind": None if self.kind is None else self.kind.value,
            "full_amount": self.full_amount,
            "already_received": self.already_received,
            "amount_in_force_from": _iso(self.amount_in_force_from),
            "explanation": {"zh": self.explanation_zh, "en": self.explanation_en},
            "citations": [c.to_dict() for c in self.citations],
            "condition": None if self.condition is None else self.condition.to_dict(),
        }
        if self.instalment is not None:
            out["instalment"] = self.instalment.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Decision":
        """Inverse of ``to_dict``."""
        return cls(
            rule=data["rule"], status=data["status"], reason=data["reason"], amount=data["amount"],
            payable_on=_date_or_none(data["payable_on"]), events=tuple(data["events"]),
            citations=tuple(Citation(**c) for c in data["citations"]),
            explanation_zh=data["explanation"]["zh"], explanation_en=data["explanation"]["en"],
            level=None if data["level"] is None else Level.extra(data["level"]),
            kind=None if data["kind"] is None else CarrierKind(data["kind"]),
            full_amount=data["full_amount"], already_received=data["already_received"],
            amount_in_force_from=_date_or_none(data["amount_in_force_from"]),
            condition=None if data["condition"] is None else Condition.from_dict(data["condition"]),
            instalment=None if data.get("instalment") is None else InstalmentShare.from_dict(data["instalment"]),
        )


_OpenDecision = writable_twin(Decision)


_new = object.__new__


def built_decision(
    rule: str, status: str, reason: str, amount: int, payable_on: datetime.date | None, events: tuple[str, ...],
    citations: tuple[Citation, ...], explanation_zh: str, explanation_en: str, level: Level | None = None,
    kind: CarrierKind | None = None, full_amount: int | None = None, already_received: int | None = None,
    amount_in_force_from: datetime.date | None = None, condition: Condition | None = None,
    instalment: InstalmentShare | None = None,
) -> Decision:
    """``Decision(...)``, built in a quarter of the time, for the deciders (``Decision`` has no checks to skip).

    A frozen attrs class stores each field through ``object.__setattr__``;
    here the fields are stored in the slots of an ``_OpenDecision`` (a plain
    class of the same layout) whose class is then set to ``Decision``: the
    result is equal, hashes, pickles, prints and evolves as ``Decision(...)``
    does (tests/test_built_decision.py).
    """
    d = _new(_OpenDecision)
    d.rule = rule
    d.status = status
    d.reason = reason
    d.amount = amount
    d.payable_on = payable_on
    d.events = events
    d.citations = citations
    d.explanation_zh = explanation_zh
    d.explanation_en = explanation_en
    d.level = level
    d.kind = kind
    d.full_amount = full_amount
    d.already_received = already_received
    d.amount_in_force_from = amount_in_force_from
    d.condition = condition
    d.instalment = instalment
    d.__class__ = Decision
    return d  # type: ignore[return-value]


class _Sums:
    """The sums of an evaluation's awarded and pending decisions."""

    __slots__ = ()  # an Evaluation has its fields' slots only

    awards: tuple[Decision, ...]
    pending: tuple[Decision, ...]

    @property
    def total(self) -> int:
        """Total amount awarded (payable on or before ``as_of``), in yuan."""
        return sum(d.amount for d in self.awards)

    @property
    def pending_total(self) -> int:
        """Total amount that becomes payable after ``as_of`` if operation stays normal."""
        return sum(d.amount for d in self.pending)

    @property
    def totals_by_rule(self) -> dict[str, int]:
        """Awarded amount per rule id, in order of first award."""
        out: dict[str, int] = {}
        for d in self.awards:
            out[d.rule] = out.get(d.rule, 0) + d.amount
        return out


@attrs.frozen(slots=False)
class Totals(_Sums):
    """What one evaluation pays, without its audit detail: what budgets and comparisons add up.

    Made by ``evaluate_totals``. Its awards and pending decisions are
    those of the full evaluation, in the same order, with the same rule,
    status, reason, amount, payable date, events, level, kind, full amount,
    amount already received and date in force; their explanations are
    empty, their citations none and their condition None. What was not
    awarded is left out, and there is no input digest: it is not an audit
    record, and has no JSON form.
    """

    carrier_id: str
    as_of: datetime.date
    ruleset_id: str
    ruleset_version: str
    ruleset_sha256: str
    readings: Mapping[str, str]
    engine: str
    awards: tuple[Decision, ...] = ()
    pending: tuple[Decision, ...] = ()


@attrs.frozen(weakref_slot=False)  # slots, as Decision
class Evaluation(_Sums):
    """Everything one evaluation of one carrier decided, with what is needed to audit it."""

    carrier_id: str
    carrier_name: str
    input_digest: str
    as_of: datetime.date
    ruleset_id: str
    ruleset_version: str
    ruleset_sha256: str
    readings: Mapping[str, str]
    engine: str
    awards: tuple[Decision, ...] = ()
    pending: tuple[Decision, ...] = ()
    not_awarded: tuple[Decision, ...] = ()
    # Dynamic-management decisions (no money), attached by management.with_management.
    management: tuple["ManagementDecision", ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain data with a stable key order, ready for JSON."""
        pending_by_rule: dict[str, int] = {}
        for d in self.pending:
            pending_by_rule[d.rule] = pending_by_rule.get(d.rule, 0) + d.amount
        out: dict[str, Any] = {
            "carrier": {"id": self.carrier_id, "name": self.carrier_name, "digest": self.input_digest},
            "as_of": self.as_of.isoformat(),
            "ruleset": {"id": self.ruleset_id, "version": self.ruleset_version, "sha256": self.ruleset_sha256},
            "readings": dict(sorted(self.readings.items())),
            "engine": self.engine,
            "totals": {
                "awarded": self.total,
                "pending": self.pending_total,
                "awarded_by_rule": self.totals_by_rule,
                "pending_by_rule": pending_by_rule,
            },
            "awards": [d.to_dict() for d in self.awards],
            "pending": [d.to_dict() for d in self.pending],
            "not_awarded": [d.to_dict() for d in self.not_awarded],
        }
        if self.management:  # only when attached, so evaluations without it keep their shape
            out["management"] = [m.to_dict() for m in self.management]
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """JSON with a stable key order: two runs on the same input give the same text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Evaluation":
        """Inverse of ``to_dict`` (totals are recomputed, not read)."""
        return cls(
            carrier_id=data["carrier"]["id"], carrier_name=data["carrier"]["name"],
            input_digest=data["carrier"]["digest"], as_of=parse_date(data["as_of"]),
            ruleset_id=data["ruleset"]["id"], ruleset_version=data["ruleset"]["version"],
            ruleset_sha256=data["ruleset"]["sha256"], readings=dict(data["readings"]), engine=data["engine"],
            awards=tuple(Decision.from_dict(d) for d in data["awards"]),
            pending=tuple(Decision.from_dict(d) for d in data["pending"]),
            not_awarded=tuple(Decision.from_dict(d) for d in data["not_awarded"]),
            management=_management_from(data.get("management") or ()),
        )

    @classmethod
    def from_json(cls, text: str) -> "Evaluation":
        """Inverse of ``to_json``; text that is not such JSON raises DocumentError."""
        data = parse_json(text).data
        try:
            return cls.from_dict(data)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise DocumentError(f"not an evaluation as to_json writes it ({type(exc).__name__}: {exc})"[:300]) from None

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per decision (needs the ``notebook`` extra)."""
        return renderer("evaluation_frame")(self)

    def _repr_html_(self) -> str:
        return renderer("evaluation_html")(self)


_OpenEvaluation = writable_twin(Evaluation)


def built_evaluation(
    carrier_id: str, carrier_name: str, input_digest: str, as_of: datetime.date, ruleset_id: str,
    ruleset_version: str, ruleset_sha256: str, readings: Mapping[str, str], engine: str,
    awards: tuple[Decision, ...], pending: tuple[Decision, ...], not_awarded: tuple[Decision, ...],
) -> Evaluation:
    """``Evaluation(...)`` without management, built as ``built_decision`` builds a decision, for the engine."""
    ev = _new(_OpenEvaluation)
    ev.carrier_id = carrier_id
    ev.carrier_name = carrier_name
    ev.input_digest = input_digest
    ev.as_of = as_of
    ev.ruleset_id = ruleset_id
    ev.ruleset_version = ruleset_version
    ev.ruleset_sha256 = ruleset_sha256
    ev.readings = readings
    ev.engine = engine
    ev.awards = awards
    ev.pending = pending
    ev.not_awarded = not_awarded
    ev.management = ()
    ev.__class__ = Evaluation
    return ev  # type: ignore[return-value]


def _management_from(items: Any) -> tuple["ManagementDecision", ...]:
    return tuple(ManagementDecision.from_dict(m) for m in items)


@attrs.frozen
class ManagementDecision:
    """A decision about a carrier's title (no money): what happened, what is due, and why.

    ``outcome`` is one of the rule kind's outcomes (``open``, ``overdue``,
    ``due``, ``in_force`` ...); ``at_risk`` is true when the carrier may lose
    its title; ``due`` is when a re-assessment is due; ``until`` ends an award bar.
    """

    carrier_id: str
    rule: str
    kind: str
    outcome: str
    at_risk: bool
    date: datetime.date
    due: datetime.date | None
    until: datetime.date | None
    level: Level | None
    events: tuple[str, ...]
    citations: tuple[Citation, ...]
    explanation_zh: str
    explanation_en: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data with a stable key order."""
        return {
            "carrier": self.carrier_id,
            "rule": self.rule,
            "kind": self.kind,
            "outcome": self.outcome,
            "at_risk": self.at_risk,
            "date": self.date.isoformat(),
            "due": _iso(self.due),
            "until": _iso(self.until),
            "level": None if self.level is None else self.level.value,
            "events": list(self.events),
            "explanation": {"zh": self.explanation_zh, "en": self.explanation_en},
            "citations": [c.to_dict() for c in self.citations],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ManagementDecision":
        """Inverse of ``to_dict``."""
        return cls(
            carrier_id=data["carrier"], rule=data["rule"], kind=data["kind"], outcome=data["outcome"],
            at_risk=data["at_risk"], date=parse_date(data["date"]), due=_date_or_none(data["due"]),
            until=_date_or_none(data["until"]),
            level=None if data["level"] is None else Level.extra(data["level"]), events=tuple(data["events"]),
            citations=tuple(Citation(**c) for c in data["citations"]),
            explanation_zh=data["explanation"]["zh"], explanation_en=data["explanation"]["en"],
        )
