"""The rule kinds: what each kind of rule means. Their data lives in ruleset files.

Each kind declares the parameters it reads from the file, the reading roles it
consults (and the alternatives it can apply), and the outcomes it explains.
"""

from __future__ import annotations

import datetime
import functools
import operator
import re
import weakref
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping, Sequence

import attrs
from dateutil.relativedelta import relativedelta

from ..model.carrier import Carrier, CarrierKind, Event, EventType, Grade, Level, iso_date
from ..model.decision import AWARDED, NOT_AWARDED, PENDING, Condition, Decision
from ..model.ruleset import Citation, DatedValue, Rule, Ruleset, Table

# Enum members read in the loops below, as module names: reading an attribute of an Enum class
# goes through EnumType.__getattr__ (Python 3.11), several times slower than reading a global.
ACCREDITED = EventType.ACCREDITED
DELISTED = EventType.DELISTED
EVALUATED = EventType.EVALUATED
FILED = EventType.FILED
OPERATION_STARTED = EventType.OPERATION_STARTED
PAYMENT_RECEIVED = EventType.PAYMENT_RECEIVED
RECTIFICATION_COMPLETED = EventType.RECTIFICATION_COMPLETED
RECTIFICATION_ORDERED = EventType.RECTIFICATION_ORDERED
RESUMED = EventType.RESUMED
SUSPENDED = EventType.SUSPENDED
DISTRICT = Level.DISTRICT


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
    "accreditation_subsidy": frozenset({ACCREDITED, FILED}),
    "upgrade_differential": frozenset(),
    "evaluation_excellence": frozenset({EVALUATED}),
}

PLACEHOLDERS = frozenset(
    {
        "date", "level", "level_zh", "kind", "kind_zh", "payable_on", "amount", "amount_wan",
        "full_amount", "already_received", "window_start", "window_end", "ended_on",
        "interrupted_on", "counted_from", "year", "grade", "grade_zh", "document", "act", "act_zh",
    }
)

LEVEL_ZH = {Level.NATIONAL: "国家级", Level.MUNICIPAL: "市级", DISTRICT: "区级"}
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

_INTERRUPTING = {SUSPENDED, RECTIFICATION_ORDERED, DELISTED}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_YUAN_PLACEHOLDERS = frozenset({"amount", "full_amount", "already_received"})
_ACCREDITATION = (ACCREDITED, FILED)


def format_yuan(amount: int) -> str:
    """``200000`` -> ``"200,000"``."""
    return f"{amount:,}"


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill ``{name}`` placeholders; nothing else in the template is interpreted."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), template)


@attrs.frozen
class Template:
    """An explanation template split once into a format string and the placeholder names it uses."""

    text: str
    format: str
    names: tuple[str, ...]

    @classmethod
    def parse(cls, text: str, slots: Mapping[str, int] | None = None) -> "Template":
        """Compile ``text``; ``Template.parse(t).fill(v) == render(t, v)``.

        With ``slots``, placeholder ``name`` becomes positional field ``slots[name]``.
        """
        pieces = _PLACEHOLDER.split(text)
        names = tuple(pieces[1::2])
        fields = [slots[n] for n in names] if slots is not None else list(range(len(names)))
        fmt = "".join(
            p.replace("{", "{{").replace("}", "}}") if i % 2 == 0 else "{%d}" % fields[i // 2]
            for i, p in enumerate(pieces)
        )
        return cls(text, fmt, names)

    def fill(self, values: Mapping[str, str]) -> str:
        """The template with each placeholder replaced by its value ("" when missing)."""
        return self.format.format(*[values.get(n, "") for n in self.names])


def _memo(ruleset: Ruleset, key: tuple[Any, ...], owner: object, build: Callable[[], Any]) -> Any:
    """A value derived from ``owner`` (a rule, or the ruleset), computed once per ruleset."""
    memo = ruleset.memo
    entry = memo.get(key)
    if entry is None or entry[0] is not owner:
        entry = memo[key] = (owner, build())
    return entry[1]


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
        key = clause_ids if isinstance(clause_ids, tuple) else tuple(clause_ids)
        memo = self.ruleset.memo
        found = memo.get(("citations", key))
        if found is None:
            seen: list[str] = []
            for c in key:
                if c not in seen:
                    seen.append(c)
            found = memo[("citations", key)] = tuple(self.ruleset.citation(c) for c in seen)
        return found


# --- operating duration -----------------------------------------------------


@attrs.frozen
class Outcome:
    """Result of the operating-duration condition for one accreditation."""

    status: str  # met, pending, interrupted, ended
    counted_from: datetime.date | None
    date: datetime.date | None
    events: tuple[str, ...]


_SUSPENSION_OR_DELISTING = frozenset({SUSPENDED, DELISTED})
_ANY_INTERRUPTION = frozenset(_INTERRUPTING)


def _interrupting(rule: Rule, ctx: Context) -> frozenset[EventType]:
    if ctx.reading(rule, "interruptions") == "no_suspension_or_delisting":
        return _SUSPENSION_OR_DELISTING
    return _ANY_INTERRUPTION


def _operating(states: list[bool], rectification_counts: bool, e: Event) -> None:
    """Update [suspended, rectifying, delisted] with event ``e``."""
    t = e.type
    if t is SUSPENDED:
        states[0] = True
    elif t is RESUMED:
        states[0] = False
    elif t is RECTIFICATION_ORDERED:
        if rectification_counts:
            states[1] = True
    elif t is RECTIFICATION_COMPLETED:
        if rectification_counts:
            states[1] = False
    elif t is DELISTED:
        states[2] = True
    elif t is ACCREDITED or t is FILED:
        states[2] = False


def stretch_start(rule: Rule, ctx: Context, index: int) -> int:
    """Index of the event that began the stretch of normal operation containing event ``index``."""
    rectification_counts = RECTIFICATION_ORDERED in _interrupting(rule, ctx)
    states = [False, False, False]
    start: int | None = None
    operating = False
    for i, e in enumerate(ctx.timeline[: index + 1]):
        _operating(states, rectification_counts, e)
        now = not (states[0] or states[1] or states[2]) and (operating or e.type in _STARTING)
        if now and not operating:
            start = i
        operating = now
    return start if (operating and start is not None) else index


_STARTING = {
    OPERATION_STARTED, ACCREDITED, FILED,
    RESUMED, RECTIFICATION_COMPLETED,
}


def _adder(rule: Rule) -> Callable[[datetime.date], datetime.date]:
    """``date + duration`` (dateutil's calendar arithmetic), remembered per date."""
    d = rule.params["duration"]
    length = relativedelta(years=d.get("years", 0), months=d.get("months", 0), days=d.get("days", 0))
    sums: dict[datetime.date, datetime.date] = {}

    def add(day: datetime.date) -> datetime.date:
        found = sums.get(day)
        if found is None:
            try:
                found = day + length
            except (OverflowError, ValueError):
                found = datetime.date.max  # ends past the calendar: never complete
            sums[day] = found
        return found

    return add


def operating_duration(rule: Rule, ctx: Context, start: int, not_before: datetime.date) -> Outcome:
    """Whether, and when, the carrier completes the rule's duration of normal operation.

    The count starts at event ``start``; an interruption restarts it when it
    ends, a delisting ends it; it is met no earlier than ``not_before``.
    """
    add = _prep(ctx.ruleset, rule).add
    counted = _interrupting(rule, ctx)
    rectification_counts = RECTIFICATION_ORDERED in counted
    suspended = rectifying = delisted = False
    counted_from: datetime.date | None = None
    due: datetime.date | None = None
    interrupted_on: datetime.date | None = None
    touched: list[str] = []
    for i, e in enumerate(ctx.timeline):
        if i > start and due is not None and e.date >= due:
            break
        t = e.type
        if t is SUSPENDED:
            suspended = True
        elif t is RESUMED:
            suspended = False
        elif t is RECTIFICATION_ORDERED:
            if rectification_counts:
                rectifying = True
        elif t is RECTIFICATION_COMPLETED:
            if rectification_counts:
                rectifying = False
        elif t is DELISTED:
            delisted = True
        elif t is ACCREDITED or t is FILED:
            delisted = False
        if i < start:
            if t in counted:
                interrupted_on = e.date
            continue
        operating = not (suspended or rectifying or delisted)
        if i == start:
            if operating:
                counted_from, due = e.date, max(add(e.date), not_before)
            continue
        if t in counted:
            touched.append(e.id)
            if t is DELISTED:
                return Outcome("ended", counted_from, e.date, tuple(touched))
            counted_from, due, interrupted_on = None, None, e.date
        elif counted_from is None and operating:
            touched.append(e.id)
            counted_from, due = e.date, max(add(e.date), not_before)
    if due is None:
        return Outcome("interrupted", None, interrupted_on, tuple(touched))
    met = due <= ctx.as_of and due != datetime.date.max  # date.max: the period ends past the calendar
    return Outcome("met" if met else "pending", counted_from, due, tuple(touched))


# --- accreditation subsidy and upgrade differential -------------------------


def _act(event: Event, zh: bool) -> str:
    if event.type is FILED:
        return "备案" if zh else "filing"
    if event.type is ACCREDITED:
        return "认定" if zh else "accreditation"
    return ""


# How an event fills each placeholder, given the event, the carrier kind it is for and the values of GIVEN.
_EVENT_VALUES: dict[str, Callable[[Event, CarrierKind, tuple[Any, ...]], str]] = {
    "date": lambda e, k, g: iso_date(e.date),
    "kind": lambda e, k, g: KIND_EN[k],
    "kind_zh": lambda e, k, g: KIND_ZH[k],
    "level": lambda e, k, g: "" if e.level is None else e.level._value_,
    "level_zh": lambda e, k, g: "" if e.level is None else LEVEL_ZH[e.level],
    "year": lambda e, k, g: "" if e.year is None else str(e.year),
    "grade": lambda e, k, g: "" if e.grade is None else e.grade._value_,
    "grade_zh": lambda e, k, g: "" if e.grade is None else GRADE_ZH[e.grade],
    "document": lambda e, k, g: e.document or "",
    "act": lambda e, k, g: _act(e, False),
    "act_zh": lambda e, k, g: _act(e, True),
}


def _amount_wan(amount: int) -> str:
    """Yuan as 万 (ten thousands), exactly: ``200000`` -> ``"20"``, ``12500`` -> ``"1.25"``."""
    text = format(Decimal(amount) / 10000, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# Values a decision passes to its explanation, besides its event's fields.
GIVEN = (
    "amount", "payable_on", "full_amount", "already_received", "window_start", "window_end", "ended_on",
    "interrupted_on", "counted_from",
)

# One placeholder's text from (event, carrier kind, values of GIVEN).
_Getter = Callable[[Event, CarrierKind, tuple[Any, ...]], str]


def _given_getter(name: str) -> _Getter:
    i = GIVEN.index(name)
    yuan = name in _YUAN_PLACEHOLDERS

    def get(e: Event, k: CarrierKind, given: tuple[Any, ...]) -> str:
        value = given[i]
        if value is None:
            return ""
        if isinstance(value, datetime.date):
            return iso_date(value)
        if yuan and isinstance(value, int):
            return format_yuan(value)
        return str(value)

    return get


def _amount_wan_getter(e: Event, k: CarrierKind, given: tuple[Any, ...]) -> str:
    amount = given[0]
    return _amount_wan(amount) if isinstance(amount, int) else ""


def _getter(name: str) -> _Getter:
    """How placeholder ``name`` is filled: from a given value, else from the event, else empty."""
    if name in GIVEN:
        return _given_getter(name)
    if name == "amount_wan":
        return _amount_wan_getter
    return _EVENT_VALUES.get(name, _empty)


def _empty(e: Event, k: CarrierKind, given: tuple[Any, ...]) -> str:
    return ""


# The event fields each placeholder reads (the inputs of its text).
_EVENT_FIELDS = {
    "date": "date", "level": "level", "level_zh": "level", "year": "year", "grade": "grade",
    "grade_zh": "grade", "document": "document", "act": "type", "act_zh": "type",
}


class _Explainer:
    """Both explanations of one outcome, filled from one list of placeholder values.

    Texts are remembered by their inputs (the event fields and values they
    show), since many decisions in a district read alike.
    """

    _LIMIT = 4096  # texts remembered per outcome: enough for a district, bounded for a stream

    def __init__(self, zh: str, en: str) -> None:
        self.names = tuple(dict.fromkeys(_PLACEHOLDER.findall(zh) + _PLACEHOLDER.findall(en)))
        slots = {n: i for i, n in enumerate(self.names)}
        self.zh = Template.parse(zh, slots).format
        self.en = Template.parse(en, slots).format
        self.getters = tuple(_getter(n) for n in self.names)
        fields = sorted({_EVENT_FIELDS[n] for n in self.names if n in _EVENT_FIELDS})
        self.inputs = operator.attrgetter(*fields) if fields else (lambda e: None)
        self.texts: dict[tuple[Any, ...], tuple[str, str]] = {}

    def __call__(self, event: Event, kind: CarrierKind, given: tuple[Any, ...]) -> tuple[str, str]:
        """The texts for a decision on ``event``; ``given`` holds the values of ``GIVEN``."""
        try:
            key = (self.inputs(event), kind, given)
            found = self.texts.get(key)
        except TypeError:  # an unhashable value given: no remembering
            return self.fill(event, kind, given)
        if found is None:
            found = self.fill(event, kind, given)
            if len(self.texts) >= self._LIMIT:
                self.texts.clear()
            self.texts[key] = found
        return found

    def fill(self, event: Event, kind: CarrierKind, given: tuple[Any, ...]) -> tuple[str, str]:
        """The two texts, computed."""
        texts = [get(event, kind, given) for get in self.getters]
        return self.zh.format(*texts), self.en.format(*texts)


class _RulePrep:
    """What deciding with one rule of one ruleset needs, looked up once."""

    def __init__(self, ruleset: Ruleset, rule: Rule) -> None:
        self.rule = rule
        self.ruleset = ruleset
        self.explain = {code: _Explainer(zh, en) for code, (zh, en) in rule.explanations.items()}
        self.cites: dict[tuple[str, ...], tuple[Citation, ...]] = {}
        self.columns: dict[CarrierKind, str | None] = {kind: ruleset.column_for(kind) for kind in CarrierKind}
        self._add: Callable[[datetime.date], datetime.date] | None = None

    def citations(self, ctx: Context, clauses: Sequence[str]) -> tuple[Citation, ...]:
        key = clauses if isinstance(clauses, tuple) else tuple(clauses)
        found = self.cites.get(key)
        if found is None:
            found = self.cites[key] = ctx.citations(key)
        return found

    @functools.cached_property
    def subsidy_rules(self) -> tuple[Rule, Rule | None]:
        """For a subsidy rule: its operating-duration rule and its upgrade-differential rule (if any)."""
        cond_rule = self.ruleset.rule(self.rule.params["condition"])
        diffs = self.ruleset.rules_of_kind("upgrade_differential")
        return cond_rule, next((r for r in diffs if r.params["applies_to"] == self.rule.id), None)

    def add(self, day: datetime.date) -> datetime.date:
        """For an operating-duration rule: ``day`` plus the duration (dateutil's calendar arithmetic)."""
        if self._add is None:
            self._add = _adder(self.rule)
        return self._add(day)


_RECENT: tuple["weakref.ref[Ruleset]", dict[str, tuple[Rule, _RulePrep]]] | None = None


def _prep(ruleset: Ruleset, rule: Rule) -> _RulePrep:
    global _RECENT
    recent = _RECENT
    if recent is not None and recent[0]() is ruleset:
        preps = recent[1]
    else:
        preps = _memo(ruleset, ("preps",), ruleset, dict)
        _RECENT = (weakref.ref(ruleset), preps)
    entry = preps.get(rule.id)
    if entry is None or entry[0] is not rule:
        entry = preps[rule.id] = (rule, _RulePrep(ruleset, rule))
    return entry[1]


_STATUS = {"awarded": AWARDED, "pending": PENDING}


def _make(
    prep: _RulePrep, ctx: Context, code: str, event: Event, clauses: tuple[str, ...], amount: int = 0,
    payable_on: datetime.date | None = None, events: Sequence[str] | None = None,
    full_amount: int | None = None, already_received: int | None = None,
    amount_in_force_from: datetime.date | None = None, condition: Condition | None = None,
    window_start: datetime.date | None = None, window_end: datetime.date | None = None,
    ended_on: datetime.date | None = None, interrupted_on: datetime.date | None = None,
) -> Decision:
    status = _STATUS.get(code, NOT_AWARDED)
    given = (
        amount if status is not NOT_AWARDED else None, payable_on, full_amount, already_received,
        window_start, window_end, ended_on, interrupted_on, None if condition is None else condition.counted_from,
    )
    kind = event.kind or ctx.carrier.kind
    zh, en = prep.explain[code](event, kind, given)
    cites = prep.cites.get(clauses)
    if cites is None:
        cites = prep.citations(ctx, clauses)
    return Decision(
        prep.rule.id, status, code, amount, payable_on, (event.id,) if events is None else tuple(events),
        cites, zh, en, event.level, kind, full_amount, already_received, amount_in_force_from, condition,
    )


_NOTHING_GIVEN: tuple[Any, ...] = (None,) * len(GIVEN)


def _refuse(
    prep: _RulePrep, ctx: Context, code: str, event: Event, kind: CarrierKind, clauses: tuple[str, ...],
    given: tuple[Any, ...] = _NOTHING_GIVEN,
) -> Decision:
    """``_make`` for a refusal that rests on its event alone (the commonest decision): no amount, no condition."""
    zh, en = prep.explain[code](event, kind, given)
    cites = prep.cites.get(clauses)
    if cites is None:
        cites = prep.citations(ctx, clauses)
    return Decision(prep.rule.id, NOT_AWARDED, code, 0, None, (event.id,), cites, zh, en, event.level, kind)


def _window(start: datetime.date, end: datetime.date) -> tuple[Any, ...]:
    """The values of ``GIVEN`` for an outside-window refusal."""
    return (None, None, None, None, start, end, None, None, None)


def level_covered(ctx: Context, rule: Rule, column: str, level: Level) -> bool:
    """False when the district-maker-space reading drops the district row for maker spaces."""
    if level is not DISTRICT or ctx.reading(rule, "district_maker_space") == "pay_q6_row":
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


def _clause_of(table: Table, column: str, level: Level, value: DatedValue | None) -> str:
    """The clause a decision about this table cell cites: the value in force, else the cell's first value."""
    return value.clause if value is not None else table.columns[column][level][0].clause


def accreditation_decisions(rule: Rule, ctx: Context, matched: Sequence[Event]) -> list[Decision]:
    """Decide each accreditation or filing: subsidy, upgrade differential, or why not."""
    decisions: list[Decision] = []
    if not matched:
        return decisions
    ruleset = ctx.ruleset
    prep = _prep(ruleset, rule)
    table = ruleset.tables[rule.params["table"]]
    cond_rule, diff_rule = prep.subsidy_rules
    period = ruleset.plan_period
    window_start = period.issued if ctx.reading(rule, "window") == "issue_date" and period.issued else period.start
    index: dict[str, int] = {}
    candidates: list[_Candidate] = []
    window = _window(window_start, period.end)
    for event in matched:
        kind = event.kind or ctx.carrier.kind
        column = prep.columns[kind]
        assert event.level is not None
        if column is None:
            decisions.append(_refuse(prep, ctx, "kind_not_covered", event, kind, rule.clauses))
            continue
        if not level_covered(ctx, rule, column, event.level):
            decisions.append(_refuse(prep, ctx, "level_not_covered", event, kind, rule.clauses + ruleset.readings[rule.readings["district_maker_space"]].clauses))
            continue
        value = table.value(column, event.level, event.date)
        if not window_start <= event.date <= period.end:
            clauses = (_clause_of(table, column, event.level, value),) + ((period.clause,) if period.clause else ())
            decisions.append(_refuse(prep, ctx, "outside_window", event, kind, clauses, window))
            continue
        if value is None:
            decisions.append(_refuse(prep, ctx, "level_not_covered", event, kind, rule.clauses))
            continue
        if not index:
            index = {e.id: i for i, e in enumerate(ctx.timeline)}
        start = _count_start(rule, cond_rule, ctx, index[event.id], column)
        outcome = operating_duration(cond_rule, ctx, start, event.date)
        cond_clauses = (value.clause,) if value.clause in cond_rule.clauses else cond_rule.clauses
        condition = Condition(cond_rule.id, outcome.status, outcome.counted_from, outcome.date, outcome.events, prep.citations(ctx, cond_clauses))
        if outcome.status == "ended":
            decisions.append(_make(prep, ctx, "delisted_before_year", event, (value.clause,), events=(event.id,) + outcome.events, ended_on=outcome.date, condition=condition))
        elif outcome.status == "interrupted":
            decisions.append(_make(prep, ctx, "interrupted", event, (value.clause,), events=(event.id,) + outcome.events, interrupted_on=outcome.date, condition=condition))
        else:
            candidates.append(_Candidate(event, column, value, outcome, condition))
    if candidates:
        decisions.extend(_amounts(rule, diff_rule, ctx, candidates, index))
    return decisions


def _count_start(rule: Rule, cond_rule: Rule, ctx: Context, i: int, column: str) -> int:
    """Where the year of normal operation behind accreditation ``i`` starts counting."""
    if ctx.reading(rule, "upgrade_condition") == "once":
        first: int | None = None
        for j, e in enumerate(ctx.timeline[:i]):
            if e.type is DELISTED:
                first = None
            elif first is None and e.type in _ACCREDITATION and _prep(ctx.ruleset, rule).columns[e.kind or ctx.carrier.kind] == column:
                first = j
        if first is not None:
            i = first
    if ctx.reading(cond_rule, "count_from") == "operation_start":
        return stretch_start(cond_rule, ctx, i)
    return i


def _amounts(rule: Rule, diff_rule: Rule | None, ctx: Context, candidates: list[_Candidate], index: Mapping[str, int]) -> list[Decision]:
    """Subsidy amounts, in payable order, less what was already received on the same ladder."""
    prep = _prep(ctx.ruleset, rule)
    diff_prep = None if diff_rule is None else _prep(ctx.ruleset, diff_rule)
    shared = diff_rule is not None and ctx.reading(diff_rule, "ladders") == "shared"
    subtract_payments = diff_rule is not None and ctx.reading(diff_rule, "base") == "all_received"
    ladder = (lambda column: "*") if shared else (lambda column: column)
    payments = []
    if subtract_payments:
        for e in ctx.timeline:
            if e.type is PAYMENT_RECEIVED:
                column = prep.columns[e.kind or ctx.carrier.kind]
                if column is not None:
                    payments.append((e, ladder(column), column))
    received: list[tuple[str, str, Level | None, int]] = []  # (ladder, column, level, amount) decided so far
    out = []
    ordered = candidates if len(candidates) == 1 else sorted(candidates, key=lambda c: (c.outcome.date, index[c.event.id]))
    for c in ordered:
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
        if already == 0 or diff_prep is None:
            out.append(_make(prep, ctx, code, c.event, (c.value.clause,), amount=full, **common))
            received.append((key, c.column, c.event.level, full))
            continue
        clauses = (c.value.clause,) + diff_prep.rule.clauses
        if full <= already:
            same = any(col == c.column and lvl == c.event.level and amt > 0 for col, lvl, amt in paid)
            reason = "level_already_paid" if same else "no_difference"
            common["payable_on"] = None
            out.append(_make(diff_prep, ctx, reason, c.event, clauses, **common))
            continue
        out.append(_make(diff_prep, ctx, code, c.event, clauses, amount=full - already, **common))
        received.append((key, c.column, c.event.level, full - already))
    return out


# --- evaluation excellence ---------------------------------------------------


def excellence_decisions(rule: Rule, ctx: Context, matched: Sequence[Event]) -> list[Decision]:
    """Decide each performance evaluation: an award when graded excellent, or why not."""
    out: list[Decision] = []
    wanted = {e.id for e in matched}
    if not wanted:
        return out
    ruleset = ctx.ruleset
    prep = _prep(ruleset, rule)
    table = ruleset.tables[rule.params["table"]]
    period = ruleset.plan_period
    per_year = ctx.reading(rule, "per") == "per_year"
    grades = rule.params["grades"]
    delisted_on: datetime.date | None = None
    seen: dict[tuple[Any, ...], int] = {}  # award key -> highest amount awarded so far
    own = kind = ctx.carrier.kind
    column = prep.columns[kind]
    start, end = period.start, period.end
    window = _window(start, end)
    district_covered: dict[str, bool] = {}
    for event in ctx.timeline:
        t = event.type
        if t is DELISTED:
            delisted_on = event.date
        elif t is ACCREDITED or t is FILED:
            delisted_on = None
        if event.id not in wanted:
            continue
        assert event.level is not None and event.grade is not None
        if (event.kind or own) is not kind:
            kind = event.kind or own
            column = prep.columns[kind]
        if column is None:
            out.append(_refuse(prep, ctx, "kind_not_covered", event, kind, rule.clauses))
            continue
        if event.level is DISTRICT:
            covered = district_covered.get(column)
            if covered is None:
                covered = district_covered[column] = level_covered(ctx, rule, column, DISTRICT)
            if not covered:
                out.append(_refuse(prep, ctx, "level_not_covered", event, kind, rule.clauses + ruleset.readings[rule.readings["district_maker_space"]].clauses))
                continue
        value = table.value(column, event.level, event.date)
        if not start <= event.date <= end:
            out.append(_refuse(prep, ctx, "outside_window", event, kind, (_clause_of(table, column, event.level, value),), window))
            continue
        if value is None:
            out.append(_refuse(prep, ctx, "level_not_covered", event, kind, rule.clauses))
            continue
        clauses = (value.clause,)
        if delisted_on is not None:
            out.append(_refuse(prep, ctx, "delisted", event, kind, clauses, (None, None, None, None, None, None, delisted_on, None, None)))
        elif event.grade not in grades:
            out.append(_refuse(prep, ctx, "not_excellent", event, kind, clauses))
        else:
            key = (event.year,) if per_year else (event.year, event.level)
            already = seen.get(key, 0)
            if value.amount <= already:
                out.append(_make(prep, ctx, "already_awarded", event, clauses + ruleset.readings[rule.readings["per"]].clauses,
                                 full_amount=value.amount, already_received=already))
                continue
            seen[key] = value.amount
            out.append(_make(prep, ctx, "awarded", event, clauses, value.amount - already, event.date,
                             full_amount=value.amount, already_received=already, amount_in_force_from=value.start))
    return out


# Rule kinds that decide on matched events; the others serve them.
DECIDERS: dict[str, Callable[[Rule, Context, Sequence[Event]], list[Decision]]] = {
    "accreditation_subsidy": accreditation_decisions,
    "evaluation_excellence": excellence_decisions,
}
