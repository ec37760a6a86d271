"""Dynamic management: what a carrier's evaluation grades and delistings mean for its title.

``manage(carrier, as_of)`` reads the graded evaluations in a history and
returns management decisions, which carry no money: a first failed evaluation
puts the carrier under rectification with a re-assessment due within six
months (or, where only the national rule applies, on notice); a second
consecutive fail at the same level makes its title due for cancellation; a
delisting bars any award dated after it until the carrier is accredited again.
The rules, their citations and wording live in a ``type: management`` file.
"""

from __future__ import annotations

import datetime
import functools
from pathlib import Path
from typing import Any, Mapping, Sequence

import attrs

from ..errors import IncubatorRulesError
from ..files.management import (
    AT_RISK,
    AWARD_BAR,
    CANCELLATION,
    DEFAULT_MANAGEMENT,
    MANAGEMENT_KINDS,
    MANAGEMENT_PLACEHOLDERS,
    RECTIFICATION,
    ManagementRule,
    ManagementRules,
    Scope,
    load_management,
)
from ..kinds import render
from ..kinds.base import delistings_first
from ..model.carrier import Carrier, CarrierKind, Event, EventType, Grade, Level, as_of_date
from ..model.decision import Decision, Evaluation, ManagementDecision
from ..model.durations import after
from ..model.labels import GRADE_ZH, KIND_EN, KIND_ZH, LEVEL_ZH
from ..model.portfolio import standing

@functools.cache
def _default_rules() -> ManagementRules:
    """The shipped default, loaded once."""
    return load_management(DEFAULT_MANAGEMENT)


@attrs.frozen
class _Open:
    """A failed evaluation waiting for the next one at its level."""

    event: Event
    rule: ManagementRule
    kind: str  # rectification or cancellation (first fail on notice)
    scope: Scope
    carrier_kind: CarrierKind
    due: datetime.date | None


def manage(
    carrier: Carrier,
    as_of: datetime.date | str | None = None,
    rules: ManagementRules | str | Path | None = None,
    readings: Mapping[str, str] | None = None,
) -> tuple[ManagementDecision, ...]:
    """The management decisions a carrier's history calls for on ``as_of`` (default: today).

    Evaluations are followed per evaluating level: the next evaluation at the
    same level after a fail is its re-assessment. Events after ``as_of`` are
    ignored; the result does not depend on the input order of events.
    """
    if not isinstance(carrier, Carrier):
        raise IncubatorRulesError(f"expected a Carrier, got {type(carrier).__name__}", field="carrier")
    rs = _default_rules() if rules is None else rules if isinstance(rules, ManagementRules) else load_management(rules)
    day = as_of_date(as_of)
    chosen = rs.header.resolve_readings(readings)
    return _ManagementRun(carrier, day, rs, chosen).decide()


@attrs.define
class _ManagementRun:
    carrier: Carrier
    as_of: datetime.date
    rules: ManagementRules
    readings: Mapping[str, str]
    out: list[ManagementDecision] = attrs.field(factory=list)
    open: dict[Level, _Open] = attrs.field(factory=dict)
    cancellations: list[tuple[Event, Event, ManagementRule, Scope]] = attrs.field(factory=list)
    bar: tuple[datetime.date, tuple[str, ...], str] | None = None

    def decide(self) -> tuple[ManagementDecision, ...]:
        delisted = False
        # a delisting on the day of a new accreditation ends the title held before it (reward reading 11's default)
        for e in delistings_first(self.carrier.events_until(self.as_of)):
            if e.type is EventType.DELISTED:
                for o in self.open.values():
                    self.close(o, "ended" if o.kind == RECTIFICATION else "first_fail_ended", ended_on=e.date)
                self.open.clear()
                for first, second, rule, scope in self.cancellations:
                    self.emit(rule, "done", second, scope, (first.id, second.id, e.id), first_date=first.date, ended_on=e.date)
                self.cancellations.clear()
                if self.bar is None:
                    self.bar = (e.date, (e.id,), "delisting")
                delisted = True
            elif e.type.is_accreditation:
                if delisted:  # the delisting already closed the fails before it
                    delisted = False
                    self.lift(e)
            elif e.type is EventType.EVALUATED:
                self.evaluation(e)
        for o in self.open.values():
            if o.kind == RECTIFICATION:
                assert o.due is not None
                self.close(o, "open" if self.as_of <= o.due else "overdue")
            else:
                self.close(o, "first_fail")
        for first, second, rule, scope in self.cancellations:
            self.emit(rule, "due", second, scope, (first.id, second.id), first_date=first.date)
        if self.bar is not None:
            self.emit_bar("in_force", None, ())
        return tuple(sorted(self.out, key=lambda d: (d.date, _KIND_ORDER[d.kind], d.events)))

    def evaluation(self, e: Event) -> None:
        assert e.level is not None and e.grade is not None
        previous = self.open.pop(e.level, None)
        if e.grade is not Grade.FAIL:
            if previous is not None:
                late = previous.due is not None and e.date > previous.due
                outcome = "first_fail_resolved" if previous.kind == CANCELLATION else ("resolved_late" if late else "resolved")
                self.close(previous, outcome, again=e)
            return
        kind = self.kind_at(e)
        cancel = self.covering(CANCELLATION, e.level, kind)
        if previous is not None:
            if previous.kind == RECTIFICATION:
                self.close(previous, "escalated", again=e)
            if cancel is None:
                self.not_covered(e, kind)
                return
            rule, scope = cancel
            self.cancellations.append((previous.event, e, rule, scope))
            if self.readings["bar_from"] == "cancellation_due" and self.bar is None:
                self.bar = (e.date, (previous.event.id, e.id), "cancellation_due")
            return
        rect = self.covering(RECTIFICATION, e.level, kind)
        if rect is not None:
            rule, scope = rect
            assert rule.reassess_within is not None
            due = after(e.date, rule.reassess_within) or datetime.date.max  # due by the calendar's end at the latest
            self.open[e.level] = _Open(e, rule, RECTIFICATION, scope, kind, due)
        elif cancel is not None:
            rule, scope = cancel
            self.open[e.level] = _Open(e, rule, CANCELLATION, scope, kind, None)
        else:
            self.not_covered(e, kind)

    def kind_at(self, e: Event) -> CarrierKind:
        """The kind of the title evaluated: the carrier's title at that level, else its own kind."""
        titles = standing(self.carrier, e.date).titles
        at_level = sorted((k for k, lvl in titles.items() if lvl is e.level), key=lambda k: k.value)
        if self.carrier.kind in at_level or not at_level:
            return self.carrier.kind
        return at_level[0]

    def covering(self, kind: str, level: Level, carrier_kind: CarrierKind) -> tuple[ManagementRule, Scope] | None:
        rule = self.rules.of_kind(kind)
        if rule is None:
            return None
        if level is Level.DISTRICT and self.readings["district_level"] == "not_covered":
            return None
        scope = rule.scope(level, carrier_kind)
        return None if scope is None else (rule, scope)

    def not_covered(self, e: Event, kind: CarrierKind) -> None:
        rule = self.rules.of_kind(CANCELLATION)
        if rule is None:
            return
        self.emit(rule, "not_covered", e, Scope(frozenset(), frozenset(), rule.clauses), (e.id,), carrier_kind=kind)

    def close(self, o: _Open, outcome: str, again: Event | None = None, ended_on: datetime.date | None = None) -> None:
        events = (o.event.id,) + ((again.id,) if again is not None else ())
        self.emit(o.rule, outcome, o.event, o.scope, events, due=o.due, again=again, ended_on=ended_on, carrier_kind=o.carrier_kind)

    def lift(self, e: Event) -> None:
        if self.bar is not None:
            self.emit_bar("lifted", e.date, (e.id,))
            self.bar = None

    def emit_bar(self, outcome: str, until: datetime.date | None, extra: tuple[str, ...]) -> None:
        rule = self.rules.of_kind(AWARD_BAR)
        assert self.bar is not None
        if rule is None:
            return
        start, events, reason = self.bar
        reasons = {
            "delisting": ("delisted", "摘牌"),
            "cancellation_due": ("title due for cancellation after two consecutive fails", "连续两次评价不合格,资格应予取消"),
        }[reason]
        values = self.values(date=start, until=until, reason=reasons[0], reason_zh=reasons[1])
        zh, en = rule.explanations[outcome]
        self.out.append(ManagementDecision(
            self.carrier.id, rule.id, rule.kind, outcome, False, start, None, until, None, events + extra,
            self.rules.header.citations(rule.clauses), _render(zh, values), _render(en, values),
        ))

    def emit(
        self, rule: ManagementRule, outcome: str, e: Event, scope: Scope, events: tuple[str, ...], *,
        due: datetime.date | None = None, again: Event | None = None, ended_on: datetime.date | None = None,
        first_date: datetime.date | None = None, carrier_kind: CarrierKind | None = None,
    ) -> None:
        kind = carrier_kind or self.carrier.kind
        assert e.level is not None
        values = self.values(
            date=e.date, due=due, ended_on=ended_on, first_date=first_date, year=e.year,
            level=e.level.value, level_zh=LEVEL_ZH.get(e.level, e.level.value), kind=KIND_EN[kind], kind_zh=KIND_ZH[kind],
        )
        if again is not None:
            assert again.grade is not None
            values.update(reassessed_on=again.date.isoformat(), grade=again.grade.value, grade_zh=GRADE_ZH[again.grade])
        zh, en = rule.explanations[outcome]
        self.out.append(ManagementDecision(
            self.carrier.id, rule.id, rule.kind, outcome, (rule.kind, outcome) in AT_RISK, e.date, due, None,
            e.level, events, self.rules.header.citations(scope.clauses), _render(zh, values), _render(en, values),
        ))

    def values(self, **extra: Any) -> dict[str, str]:
        out = {k: "" for k in MANAGEMENT_PLACEHOLDERS}
        out["as_of"] = self.as_of.isoformat()
        for key, value in extra.items():
            if value is None:
                continue
            out[key] = value.isoformat() if isinstance(value, datetime.date) else str(value)
        return out


_KIND_ORDER = {name: i for i, name in enumerate(MANAGEMENT_KINDS)}  # decisions of one day in the registry's order


def _render(template: str, values: Mapping[str, str]) -> str:
    return render(template, values)


def at_risk(decisions: Sequence[ManagementDecision]) -> tuple[ManagementDecision, ...]:
    """The decisions that put a carrier at risk of losing its title."""
    return tuple(d for d in decisions if d.at_risk)


def withheld(evaluation: Evaluation, decisions: Sequence[ManagementDecision]) -> tuple[Decision, ...]:
    """Awards and pending awards of an evaluation dated after a delisting that bars them.

    The reward rules already refuse awards after a delisting; under the
    ``bar_from: cancellation_due`` reading this lists what the bar withholds.
    """
    bars = [d for d in decisions if d.kind == AWARD_BAR]
    out = []
    for award in evaluation.awards + evaluation.pending:
        when = award.payable_on
        if when is None:
            continue
        if any(when > b.date and (b.until is None or when < b.until) for b in bars):
            out.append(award)
    return tuple(out)


def with_management(
    evaluation: Evaluation, carrier: Carrier, rules: ManagementRules | str | Path | None = None,
    readings: Mapping[str, str] | None = None,
) -> Evaluation:
    """The evaluation with the carrier's management decisions (as of the evaluation's date) attached."""
    if evaluation.carrier_id != carrier.id:
        raise IncubatorRulesError(
            f"evaluation of carrier {evaluation.carrier_id!r} cannot take decisions of carrier {carrier.id!r}", field="carrier"
        )
    return attrs.evolve(evaluation, management=manage(carrier, evaluation.as_of, rules, readings))
