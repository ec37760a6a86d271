"""The rule kinds: what each kind of rule means. Their data lives in ruleset files.

Each kind declares the parameters it reads from the file, the reading roles it
consults (and the alternatives it can apply), and the outcomes it explains.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping, Sequence

import attrs
from dateutil.relativedelta import relativedelta

from .carrier import Carrier, CarrierKind, Event, EventType, Grade, Level
from .decision import AWARDED, NOT_AWARDED, PENDING, Condition, Decision
from .ruleset import Citation, DatedValue, Rule, Ruleset


@attrs.frozen
class KindSpec:
    """What a rule kind reads from its ruleset entry."""

    params: Mapping[str, str]
    roles: Mapping[str, frozenset[str]]
    codes: tuple[str, ...]


KINDS: dict[str, KindSpec] = {
    "operating_duration": KindSpec(
        params={"duration": "duration"},
        roles={
            "count_from": frozenset({"accreditation_date", "operation_start"}),
            "interruptions": frozenset(
                {"no_suspension_rectification_or_delisting", "no_suspension_or_delisting"}
            ),
        },
        codes=(),
    ),
    "accreditation_subsidy": KindSpec(
        params={"table": "table", "condition": "operating_duration"},
        roles={
            "window": frozenset({"plan_period", "issue_date"}),
            "upgrade_condition": frozenset({"again", "once"}),
            "district_maker_space": frozenset({"pay_q6_row", "no_district_level"}),
        },
        codes=(
            "awarded", "pending", "outside_window", "kind_not_covered", "level_not_covered",
            "delisted_before_year", "interrupted",
        ),
    ),
    "upgrade_differential": KindSpec(
        params={"applies_to": "accreditation_subsidy"},
        roles={
            "base": frozenset({"all_received", "plan_awards_only"}),
            "ladders": frozenset({"separate", "shared"}),
        },
        codes=("awarded", "pending", "level_already_paid", "no_difference"),
    ),
    "evaluation_excellence": KindSpec(
        params={"table": "table", "grades": "grades"},
        roles={
            "per": frozenset({"per_year_and_level", "per_year"}),
            "district_maker_space": frozenset({"pay_q6_row", "no_district_level"}),
        },
        codes=(
            "awarded", "not_excellent", "outside_window", "kind_not_covered", "level_not_covered",
            "delisted", "already_awarded",
        ),
    ),
}

# Which event types each rule kind considers (the matching step of an engine).
MATCHES: dict[str, frozenset[EventType]] = {
    "operating_duration": frozenset(),
    "accreditation_subsidy": frozenset({EventType.ACCREDITED, EventType.FILED}),
    "upgrade_differential": frozenset(),
    "evaluation_excellence": frozenset({EventType.EVALUATED}),
}

PLACEHOLDERS = frozenset(
    {
        "date", "level", "level_zh", "kind", "kind_zh", "payable_on", "amount", "amount_wan",
        "full_amount", "already_received", "window_start", "window_end", "ended_on",
        "interrupted_on", "counted_from", "year", "grade", "grade_zh", "document", "act", "act_zh",
    }
)

LEVEL_ZH = {Level.NATIONAL: "国家级", Level.MUNICIPAL: "市级", Level.DISTRICT: "区级"}
KIND_ZH = {
    CarrierKind.MAKER_SPACE: "众创空间",
    CarrierKind.STAR_INNOVATION_SPACE: "星创天地",
    CarrierKind.INCUBATOR: "科技企业孵化器",
    CarrierKind.UNIVERSITY_SCIENCE_PARK: "大学科技园",
    CarrierKind.LARGE_INCUBATION_PARK: "大型科技企业孵化园",
    CarrierKind.LARGE_INNOVATION_COMMUNITY: "大型创新创业孵化社区",
    CarrierKind.UNIVERSITY_INNOVATION_ECOSYSTEM: "环大学创新生态圈",
}
KIND_EN = {
    CarrierKind.MAKER_SPACE: "maker space",
    CarrierKind.STAR_INNOVATION_SPACE: "Star Innovation Space",
    CarrierKind.INCUBATOR: "technology business incubator",
    CarrierKind.UNIVERSITY_SCIENCE_PARK: "university science park",
    CarrierKind.LARGE_INCUBATION_PARK: "large tech-business incubation park",
    CarrierKind.LARGE_INNOVATION_COMMUNITY: "large innovation and entrepreneurship community",
    CarrierKind.UNIVERSITY_INNOVATION_ECOSYSTEM: "university-centred innovation ecosystem",
}
GRADE_ZH = {Grade.EXCELLENT: "优秀", Grade.GOOD: "良好", Grade.PASS: "合格", Grade.FAIL: "不合格"}

_INTERRUPTING = {EventType.SUSPENDED, EventType.RECTIFICATION_ORDERED, EventType.DELISTED}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def format_yuan(amount: int) -> str:
    """``200000`` -> ``"200,000"``."""
    return f"{amount:,}"


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill ``{name}`` placeholders; nothing else in the template is interpreted."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), template)


@attrs.frozen
class Context:
    """What every rule sees: the carrier, its events up to ``as_of``, the ruleset and readings."""

    carrier: Carrier
    timeline: tuple[Event, ...]
    as_of: datetime.date
    ruleset: Ruleset
    readings: Mapping[str, str]

    def reading(self, rule: Rule, role: str) -> str:
        """The reading value that fills ``role`` for ``rule``."""
        return self.readings[rule.readings[role]]

    def citations(self, clause_ids: Iterable[str]) -> tuple[Citation, ...]:
        """Citations for clause ids, without repeats, in the order given."""
        seen: list[str] = []
        for c in clause_ids:
            if c not in seen:
                seen.append(c)
        return tuple(self.ruleset.citation(c) for c in seen)


# --- operating duration -----------------------------------------------------


@attrs.frozen
class Outcome:
    """Result of the operating-duration condition for one accreditation."""

    status: str  # met, pending, interrupted, ended
    counted_from: datetime.date | None
    date: datetime.date | None
    events: tuple[str, ...]


def _interrupting(rule: Rule, ctx: Context) -> frozenset[EventType]:
    if ctx.reading(rule, "interruptions") == "no_suspension_or_delisting":
        return frozenset({EventType.SUSPENDED, EventType.DELISTED})
    return frozenset(_INTERRUPTING)


def _operating_flags(rule: Rule, ctx: Context) -> Callable[[dict[str, bool], Event], None]:
    counted = _interrupting(rule, ctx)

    def update(flags: dict[str, bool], e: Event) -> None:
        t = e.type
        if t is EventType.SUSPENDED:
            flags["suspended"] = True
        elif t is EventType.RESUMED:
            flags["suspended"] = False
        elif t is EventType.RECTIFICATION_ORDERED and t in counted:
            flags["rectifying"] = True
        elif t is EventType.RECTIFICATION_COMPLETED and EventType.RECTIFICATION_ORDERED in counted:
            flags["rectifying"] = False
        elif t is EventType.DELISTED:
            flags["delisted"] = True
        elif t.is_accreditation:
            flags["delisted"] = False

    return update


def stretch_start(rule: Rule, ctx: Context, index: int) -> int:
    """Index of the event that began the stretch of normal operation containing event ``index``."""
    update = _operating_flags(rule, ctx)
    flags = {"suspended": False, "rectifying": False, "delisted": False}
    start: int | None = None
    operating = False
    for i, e in enumerate(ctx.timeline[: index + 1]):
        update(flags, e)
        now = not any(flags.values()) and (operating or e.type in _STARTING)
        if now and not operating:
            start = i
        operating = now
    return start if (operating and start is not None) else index


_STARTING = {
    EventType.OPERATION_STARTED, EventType.ACCREDITED, EventType.FILED,
    EventType.RESUMED, EventType.RECTIFICATION_COMPLETED,
}


def operating_duration(rule: Rule, ctx: Context, start: int, not_before: datetime.date) -> Outcome:
    """Whether, and when, the carrier completes the rule's duration of normal operation.

    The count starts at event ``start``; an interruption restarts it when it
    ends, a delisting ends it; it is met no earlier than ``not_before``.
    """
    d = rule.params["duration"]
    length = relativedelta(years=d.get("years", 0), months=d.get("months", 0), days=d.get("days", 0))
    counted = _interrupting(rule, ctx)
    update = _operating_flags(rule, ctx)
    flags = {"suspended": False, "rectifying": False, "delisted": False}
    counted_from: datetime.date | None = None
    due: datetime.date | None = None
    interrupted_on: datetime.date | None = None
    touched: list[str] = []
    for i, e in enumerate(ctx.timeline):
        if i > start and due is not None and e.date >= due:
            break
        update(flags, e)
        if i < start:
            if e.type in counted:
                interrupted_on = e.date
            continue
        operating = not any(flags.values())
        if i == start:
            if operating:
                counted_from, due = e.date, max(e.date + length, not_before)
            continue
        if e.type in counted:
            touched.append(e.id)
            if e.type is EventType.DELISTED:
                return Outcome("ended", counted_from, e.date, tuple(touched))
            counted_from, due, interrupted_on = None, None, e.date
        elif counted_from is None and operating:
            touched.append(e.id)
            counted_from, due = e.date, max(e.date + length, not_before)
    if due is None:
        return Outcome("interrupted", None, interrupted_on, tuple(touched))
    return Outcome("met" if due <= ctx.as_of else "pending", counted_from, due, tuple(touched))


# --- accreditation subsidy and upgrade differential -------------------------


def _values(ctx: Context, event: Event | None = None, **extra: Any) -> dict[str, str]:
    out = {k: "" for k in PLACEHOLDERS}
    if event is not None:
        kind = event.kind or ctx.carrier.kind
        out.update(date=event.date.isoformat(), kind=KIND_EN[kind], kind_zh=KIND_ZH[kind], document=event.document or "")
        if event.type.is_accreditation:
            filed = event.type is EventType.FILED
            out.update(act="filing" if filed else "accreditation", act_zh="备案" if filed else "认定")
        if event.level is not None:
            out.update(level=event.level.value, level_zh=LEVEL_ZH[event.level])
        if event.year is not None:
            out["year"] = str(event.year)
        if event.grade is not None:
            out.update(grade=event.grade.value, grade_zh=GRADE_ZH[event.grade])
    for key, value in extra.items():
        if value is None:
            continue
        if isinstance(value, datetime.date):
            out[key] = value.isoformat()
        elif isinstance(value, int) and key in ("amount", "full_amount", "already_received"):
            out[key] = format_yuan(value)
            if key == "amount":
                out["amount_wan"] = format(Decimal(value) / 10000, "f").rstrip("0").rstrip(".") or "0"
        else:
            out[key] = str(value)
    return out


def _decision(
    ctx: Context, rule: Rule, code: str, event: Event, citations: Sequence[str], *, amount: int = 0,
    payable_on: datetime.date | None = None, events: Sequence[str] | None = None, **extra: Any,
) -> Decision:
    status = AWARDED if code == "awarded" else PENDING if code == "pending" else NOT_AWARDED
    values = _values(ctx, event, amount=amount if status != NOT_AWARDED else None, payable_on=payable_on,
                     **{k: v for k, v in extra.items() if k in PLACEHOLDERS})
    zh, en = rule.explanations[code]
    fields = {k: v for k, v in extra.items() if k in ("full_amount", "already_received", "amount_in_force_from", "condition")}
    return Decision(
        rule=rule.id, status=status, reason=code, amount=amount, payable_on=payable_on,
        events=tuple(events if events is not None else (event.id,)), citations=ctx.citations(citations),
        explanation_zh=render(zh, values), explanation_en=render(en, values),
        level=event.level, kind=event.kind or ctx.carrier.kind, **fields,
    )


def level_covered(ctx: Context, rule: Rule, column: str, level: Level) -> bool:
    """False when the district-maker-space reading drops the district row for maker spaces."""
    if level is not Level.DISTRICT or ctx.reading(rule, "district_maker_space") == "pay_q6_row":
        return True
    kinds = ctx.ruleset.columns[column]
    return CarrierKind.MAKER_SPACE not in kinds and CarrierKind.STAR_INNOVATION_SPACE not in kinds


@attrs.frozen
class _Candidate:
    event: Event
    column: str
    value: DatedValue
    outcome: Outcome
    condition: Condition


def accreditation_decisions(rule: Rule, ctx: Context, matched: Sequence[Event]) -> list[Decision]:
    """Decide each accreditation or filing: subsidy, upgrade differential, or why not."""
    ruleset = ctx.ruleset
    table = ruleset.tables[rule.params["table"]]
    cond_rule = ruleset.rule(rule.params["condition"])
    diff_rule = next((r for r in ruleset.rules_of_kind("upgrade_differential") if r.params["applies_to"] == rule.id), None)
    period = ruleset.plan_period
    window_start = period.issued if ctx.reading(rule, "window") == "issue_date" and period.issued else period.start
    index = {e.id: i for i, e in enumerate(ctx.timeline)}
    decisions: list[Decision] = []
    candidates: list[_Candidate] = []
    for event in matched:
        kind = event.kind or ctx.carrier.kind
        column = ruleset.column_for(kind)
        assert event.level is not None
        if column is None:
            decisions.append(_decision(ctx, rule, "kind_not_covered", event, rule.clauses))
            continue
        value = table.value(column, event.level, event.date)
        if value is None or not level_covered(ctx, rule, column, event.level):
            decisions.append(_decision(ctx, rule, "level_not_covered", event, rule.clauses + ruleset.readings[rule.readings["district_maker_space"]].clauses))
            continue
        if not window_start <= event.date <= period.end:
            clauses = (value.clause,) + ((period.clause,) if period.clause else ())
            decisions.append(_decision(ctx, rule, "outside_window", event, clauses, window_start=window_start, window_end=period.end))
            continue
        start = _count_start(rule, cond_rule, ctx, index[event.id], column)
        outcome = operating_duration(cond_rule, ctx, start, event.date)
        cond_clauses = (value.clause,) if value.clause in cond_rule.clauses else cond_rule.clauses
        condition = Condition(cond_rule.id, outcome.status, outcome.counted_from, outcome.date, outcome.events, ctx.citations(cond_clauses))
        if outcome.status == "ended":
            decisions.append(_decision(ctx, rule, "delisted_before_year", event, (value.clause,), events=(event.id,) + outcome.events, ended_on=outcome.date, condition=condition))
        elif outcome.status == "interrupted":
            decisions.append(_decision(ctx, rule, "interrupted", event, (value.clause,), events=(event.id,) + outcome.events, interrupted_on=outcome.date, condition=condition))
        else:
            candidates.append(_Candidate(event, column, value, outcome, condition))
    decisions.extend(_amounts(rule, diff_rule, ctx, candidates, index))
    return decisions


def _count_start(rule: Rule, cond_rule: Rule, ctx: Context, i: int, column: str) -> int:
    """Where the year of normal operation behind accreditation ``i`` starts counting."""
    if ctx.reading(rule, "upgrade_condition") == "once":
        first: int | None = None
        for j, e in enumerate(ctx.timeline[:i]):
            if e.type is EventType.DELISTED:
                first = None
            elif first is None and e.type.is_accreditation and ctx.ruleset.column_for(e.kind or ctx.carrier.kind) == column:
                first = j
        if first is not None:
            i = first
    if ctx.reading(cond_rule, "count_from") == "operation_start":
        return stretch_start(cond_rule, ctx, i)
    return i


def _amounts(rule: Rule, diff_rule: Rule | None, ctx: Context, candidates: list[_Candidate], index: Mapping[str, int]) -> list[Decision]:
    """Subsidy amounts, in payable order, less what was already received on the same ladder."""
    shared = diff_rule is not None and ctx.reading(diff_rule, "ladders") == "shared"
    subtract_payments = diff_rule is not None and ctx.reading(diff_rule, "base") == "all_received"
    ladder = (lambda column: "*") if shared else (lambda column: column)
    payments = []
    if subtract_payments:
        for e in ctx.timeline:
            if e.type is EventType.PAYMENT_RECEIVED:
                column = ctx.ruleset.column_for(e.kind or ctx.carrier.kind)
                if column is not None:
                    payments.append((e, ladder(column), column))
    received: list[tuple[str, str, Level | None, int]] = []  # (ladder, column, level, amount) decided so far
    out = []
    for c in sorted(candidates, key=lambda c: (c.outcome.date, index[c.event.id])):
        key = ladder(c.column)
        assert c.outcome.date is not None and c.event.level is not None
        paid = [(col, p.level, p.amount or 0) for p, lad, col in payments if lad == key and p.date <= c.outcome.date]
        paid += [(col, lvl, amt) for lad, col, lvl, amt in received if lad == key]
        already = sum(amt for _, _, amt in paid)
        full = c.value.amount
        code = "awarded" if c.outcome.status == "met" else "pending"
        common: dict[str, Any] = dict(payable_on=c.outcome.date, events=(c.event.id,) + c.outcome.events,
                      full_amount=full, already_received=already, amount_in_force_from=c.value.start,
                      condition=c.condition)
        if already == 0 or diff_rule is None:
            out.append(_decision(ctx, rule, code, c.event, (c.value.clause,), amount=full, **common))
            received.append((key, c.column, c.event.level, full))
            continue
        clauses = (c.value.clause,) + diff_rule.clauses
        if full <= already:
            same = any(col == c.column and lvl == c.event.level and amt > 0 for col, lvl, amt in paid)
            reason = "level_already_paid" if same else "no_difference"
            common["payable_on"] = None
            out.append(_decision(ctx, diff_rule, reason, c.event, clauses, **common))
            continue
        out.append(_decision(ctx, diff_rule, code, c.event, clauses, amount=full - already, **common))
        received.append((key, c.column, c.event.level, full - already))
    return out


# --- evaluation excellence ---------------------------------------------------


def excellence_decisions(rule: Rule, ctx: Context, matched: Sequence[Event]) -> list[Decision]:
    """Decide each performance evaluation: an award when graded excellent, or why not."""
    ruleset = ctx.ruleset
    table = ruleset.tables[rule.params["table"]]
    period = ruleset.plan_period
    per_year = ctx.reading(rule, "per") == "per_year"
    wanted = set(matched)
    delisted_on: datetime.date | None = None
    seen: dict[tuple[Any, ...], int] = {}  # award key -> highest amount awarded so far
    out = []
    for event in ctx.timeline:
        if event.type is EventType.DELISTED:
            delisted_on = event.date
        elif event.type.is_accreditation:
            delisted_on = None
        if event not in wanted:
            continue
        assert event.level is not None and event.grade is not None
        column = ruleset.column_for(event.kind or ctx.carrier.kind)
        if column is None:
            out.append(_decision(ctx, rule, "kind_not_covered", event, rule.clauses))
            continue
        value = table.value(column, event.level, event.date)
        if value is None or not level_covered(ctx, rule, column, event.level):
            out.append(_decision(ctx, rule, "level_not_covered", event, rule.clauses + ruleset.readings[rule.readings["district_maker_space"]].clauses))
            continue
        clauses = (value.clause,)
        if not period.start <= event.date <= period.end:
            out.append(_decision(ctx, rule, "outside_window", event, clauses, window_start=period.start, window_end=period.end))
        elif delisted_on is not None:
            out.append(_decision(ctx, rule, "delisted", event, clauses, ended_on=delisted_on))
        elif event.grade not in rule.params["grades"]:
            out.append(_decision(ctx, rule, "not_excellent", event, clauses))
        else:
            key = (event.year,) if per_year else (event.year, event.level)
            already = seen.get(key, 0)
            if value.amount <= already:
                out.append(_decision(ctx, rule, "already_awarded", event, clauses + ruleset.readings[rule.readings["per"]].clauses,
                                     full_amount=value.amount, already_received=already))
                continue
            seen[key] = value.amount
            out.append(_decision(ctx, rule, "awarded", event, clauses, amount=value.amount - already, payable_on=event.date,
                                 full_amount=value.amount, already_received=already, amount_in_force_from=value.start))
    return out


# Rule kinds that decide on matched events; the others serve them.
DECIDERS: dict[str, Callable[[Rule, Context, Sequence[Event]], list[Decision]]] = {
    "accreditation_subsidy": accreditation_decisions,
    "evaluation_excellence": excellence_decisions,
}
