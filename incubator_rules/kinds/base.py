"""What every rule kind shares: the kind's declaration, the context it decides in, and how decisions are explained.

A rule kind is one module of this package declaring a ``RuleKind``: the
parameters it reads from its ruleset entry, the reading roles it consults
(with the alternatives it can apply), the outcome codes it explains, the
event types it matches, the other rules it refers to, and its decider.
"""

from __future__ import annotations

import datetime
import operator
import re
import weakref
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping, Sequence

import attrs

from ..model.carrier import AwardKind, Carrier, CarrierKind, Event, EventType, Level
from ..model.decision import NOT_AWARDED, Decision
from ..model.ruleset import Citation, DatedValue, ReadingBound, Rule, Ruleset, Table
from ..model.twin import writable_twin

__all__ = [
    "AREA_ROLE",
    "DECIDING",
    "LEFT_OUT",
    "RULE_PLACEHOLDERS",
    "Context",
    "Decider",
    "Expansion",
    "RuleKind",
    "RulePrep",
    "Template",
    "clause_of",
    "default_explanation",
    "amount_wan",
    "format_yuan",
    "arrange",
    "delistings_first",
    "first_rule_with",
    "option_of",
    "settlements",
    "title_kinds",
    "area_refused",
    "column_clauses",
    "prep_of",
    "render",
    "under",
]

# Enum members read in the loops below, as module names: reading an attribute of an Enum class
# goes through EnumType.__getattr__ (Python 3.11), several times slower than reading a global.
ACCREDITED = EventType.ACCREDITED
FILED = EventType.FILED
DISTRICT = Level.DISTRICT
DELISTED = EventType.DELISTED
EVALUATED = EventType.EVALUATED
PAYMENT_RECEIVED = EventType.PAYMENT_RECEIVED
RECTIFICATION_COMPLETED = EventType.RECTIFICATION_COMPLETED
RECTIFICATION_ORDERED = EventType.RECTIFICATION_ORDERED
RESUMED = EventType.RESUMED
SUSPENDED = EventType.SUSPENDED

# How a rule kind decides: its rule, the context, and the events it matched, in timeline order.
Decider = Callable[[Rule, "Context", Sequence[Event]], list[Decision]]

# Every deciding kind's decider, by kind name: filled in once by ``kinds/__init__`` from the registry, for the
# kinds that count what other rules award (a top-up, a clawback).
DECIDING: dict[str, Decider] = {}


@attrs.frozen
class Expansion:
    """How a rule of a kind kept only as a name is written in a generic kind, as data.

    The rule becomes one of ``kind`` with the parameters ``fixed``; each old
    parameter named in ``params`` becomes the new parameter it names, its
    value put where the template says ``"$value"``; each reading role in
    ``roles`` becomes a new parameter with one value per alternative: bound
    to the reading that filled the role (``{reading, values}``), or the value
    of the role's default.
    """

    kind: str
    fixed: Mapping[str, Any]
    params: Mapping[str, tuple[str, Any]]
    roles: Mapping[str, tuple[str, Mapping[str, Any]]]


@attrs.frozen
class RuleKind:
    """A rule kind, declared once: everything the ruleset reader, the engines and the schema need to know.

    ``params`` maps each parameter to its check (``table``, ``duration``,
    ``grades`` or ``rule``); ``references`` names, for each ``rule``
    parameter, the kind of rule it must point to; ``roles`` maps each
    reading role to the alternatives the kind can apply; ``codes`` are the
    outcomes whose explanations a rule of the kind must give; ``matches``
    the event types its decider is given; ``decider`` is None for a kind
    that only serves others (a condition, a differential).
    """

    name: str
    params: Mapping[str, str]
    roles: Mapping[str, frozenset[str]]
    codes: tuple[str, ...]
    matches: frozenset[EventType] = frozenset()
    references: Mapping[str, str] = attrs.field(factory=dict)
    decider: Decider | None = None
    defaults: Mapping[str, str] = attrs.field(factory=dict)  # the value of a role a rule leaves unbound
    placeholders: frozenset[str] = frozenset()  # explanation placeholders beyond RULE_PLACEHOLDERS
    optional: frozenset[str] = frozenset()  # parameters a rule may leave out
    schemas: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)  # JSON Schema of each parameter a kind checks itself
    expands: Expansion | None = None  # a kind kept only as a name: how its rules are written in a generic kind
    validate: Callable[..., None] | None = None  # (reader, raw rule, params read, path): what the parameters say together


RULE_PLACEHOLDERS = frozenset(
    {
        "date", "level", "level_zh", "kind", "kind_zh", "payable_on", "amount", "amount_wan",
        "full_amount", "already_received", "window_start", "window_end", "ended_on",
        "interrupted_on", "counted_from", "year", "grade", "grade_zh", "document", "act", "act_zh",
        "level_received", "held_level", "held_level_zh", "held_on", "area", "due_on", "subject", "subject_zh",
    }
)

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


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
    mark = None if owner is ruleset else owner  # the memo is the ruleset's own: no reference back to it
    entry = memo.get(key)
    if entry is None or entry[0] is not mark:
        entry = memo[key] = (mark, build())
    return entry[1]


@attrs.frozen(weakref_slot=False)  # no weak references: ``built_context`` needs a layout of the fields alone
class Context:
    """What every rule sees: the carrier, its events up to ``as_of``, the ruleset and readings.

    ``detail`` False asks for what is paid only, as budgets and comparisons need: the deciders decide
    the same way, but ``make_decision`` and ``refusal`` build awards and pending decisions without
    explanations, citations or condition, and give ``LEFT_OUT`` for every refusal.
    """

    carrier: Carrier
    timeline: tuple[Event, ...]
    as_of: datetime.date
    ruleset: Ruleset
    readings: Mapping[str, str]
    detail: bool = True

    def __attrs_post_init__(self) -> None:
        # the rules as they read under these readings: no decider sees a parameter bound to a reading
        object.__setattr__(self, "ruleset", under(self.ruleset, self.readings))

    def reading(self, rule: Rule, role: str) -> str:
        """The reading value that fills ``role`` for ``rule`` (the kind's default when the rule binds none)."""
        try:
            return self.readings[rule.readings[role]]
        except KeyError:
            return rule.fixed[role]

    def param(self, rule: Rule, name: str) -> Any:
        """A rule parameter's value (under the readings in force: ``ctx.ruleset`` is ``under`` them)."""
        return rule.params.get(name)

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


_OpenContext = writable_twin(Context)


def built_context(carrier: Carrier, timeline: tuple[Event, ...], as_of: datetime.date, ruleset: Ruleset,
                  readings: Mapping[str, str], detail: bool = True) -> Context:
    """``Context(...)`` for the engine's arguments, already checked, built without a frozen attrs class's cost
    per field (as ``model.carrier.built_event`` builds events): the same frozen ``Context``.

    ``ruleset`` may be the one ``under`` resolved last (as a budget's plan
    holds it for every carrier): that is its own resolution under any
    readings, used without comparing them.
    """
    last = _UNDER
    c = object.__new__(_OpenContext)
    c.carrier = carrier
    c.timeline = timeline
    c.as_of = as_of
    c.ruleset = ruleset if last is not None and last[2] is ruleset else under(ruleset, readings)
    c.readings = readings
    c.detail = detail
    c.__class__ = Context  # type: ignore[assignment]
    return c  # type: ignore[return-value]


_UNDER: tuple["weakref.ref[Ruleset]", Mapping[str, str], Ruleset] | None = None  # the last ruleset resolved, found fastest
_UNDER_KEEP = 16  # resolutions remembered per ruleset (each keeps its own prepared rules)


def under(ruleset: Ruleset, readings: Mapping[str, str]) -> Ruleset:
    """``ruleset`` with every rule parameter bound to a reading replaced by its value under ``readings``.

    Resolved once per ruleset and values of the readings its parameters are
    bound to: the rules' ``params`` hold plain values, and each rule's
    ``bound`` names the reading of every parameter that was bound (its
    decisions cite that reading's clauses). A ruleset with no bound
    parameter, or one already resolved, is its own resolution.
    """
    global _UNDER
    last = _UNDER
    if last is not None and last[1] == readings and last[0]() is ruleset:
        return last[2]
    memo = ruleset.memo
    names = memo.get(("under",))
    if names is None:
        names = memo[("under",)] = _bound_names(ruleset)
    found = ruleset
    if names:
        key = ("under", tuple(readings.get(n) or ruleset.readings[n].default for n in names))
        found = memo.get(key)
        if found is None:
            kept = [k for k in list(memo) if isinstance(k, tuple) and len(k) == 2 and k[0] == "under"]
            for k in kept[: max(0, len(kept) - _UNDER_KEEP + 1)]:  # the oldest first (another thread may have gone first)
                memo.pop(k, None)
            found = memo[key] = _resolved(ruleset, dict(zip(names, key[1])))
            found.memo[("under",)] = ()
    _UNDER = (weakref.ref(ruleset), dict(readings), found)  # a copy: the caller's mapping may change later
    return found


def _bound_names(ruleset: Ruleset) -> tuple[str, ...]:
    """The readings some rule parameter of ``ruleset`` is bound to, in name order."""
    return tuple(sorted({v.reading for rule in ruleset.rules for v in rule.params.values() if isinstance(v, ReadingBound)}))


def _resolved(ruleset: Ruleset, chosen: Mapping[str, str]) -> Ruleset:
    rules = []
    for rule in ruleset.rules:
        bound = {name: v.reading for name, v in rule.params.items() if isinstance(v, ReadingBound)}
        if bound:
            params = {name: v.values[chosen[v.reading]] if name in bound else v for name, v in rule.params.items()}
            rule = attrs.evolve(rule, params=params, bound={**rule.bound, **bound})
        rules.append(rule)
    return attrs.evolve(ruleset, rules=tuple(rules))


def amount_wan(amount: int) -> str:
    """Yuan as 万 (ten thousands), exactly: ``200000`` -> ``"20"``, ``12500`` -> ``"1.25"``."""
    text = format(Decimal(amount) / 10000, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class RulePrep:
    """What deciding with one rule of one ruleset needs, looked up once."""

    def __init__(self, ruleset: Ruleset, rule: Rule) -> None:
        self.rule = rule
        self.cites: dict[tuple[str, ...], tuple[Citation, ...]] = {}
        self.columns: dict[CarrierKind, str | None] = {kind: ruleset.column_for(kind) for kind in CarrierKind}
        self.memo: dict[str, Any] = {}
        self.wording: dict[str, Any] | None = None  # each outcome's wording, compiled on first use (kinds.generic)

    def citations(self, ctx: Context, clauses: Sequence[str]) -> tuple[Citation, ...]:
        key = clauses if isinstance(clauses, tuple) else tuple(clauses)
        found = self.cites.get(key)
        if found is None:
            found = self.cites[key] = ctx.citations(key)
        return found

    def derived(self, name: str, build: Callable[["RulePrep"], Any]) -> Any:
        """A value a rule kind derives from this rule and its ruleset, computed once."""
        found = self.memo.get(name)
        if found is None:
            found = self.memo[name] = build(self)
        return found


_RECENT: tuple["weakref.ref[Ruleset]", dict[str, tuple[Rule, RulePrep]]] | None = None


def prep_of(ruleset: Ruleset, rule: Rule) -> RulePrep:
    global _RECENT
    recent = _RECENT
    if recent is not None and recent[0]() is ruleset:
        preps = recent[1]
    else:
        preps = _memo(ruleset, ("preps",), ruleset, dict)
        _RECENT = (weakref.ref(ruleset), preps)
    entry = preps.get(rule.id)
    if entry is None or entry[0] is not rule:
        entry = preps[rule.id] = (rule, RulePrep(ruleset, rule))
    return entry[1]


# What a decider gives for a refusal when the context asks for no detail: budgets and comparisons add
# up what is paid, and the engine leaves refusals out of such results.
LEFT_OUT = Decision("", NOT_AWARDED, "", 0, None, (), (), "", "")


def clause_of(table: Table, column: str, level: Level, value: DatedValue | None) -> str:
    """The clause a decision about this table cell cites: the value in force, else the cell's first value."""
    if value is not None:
        return value.clause
    cells = table.columns.get(column, {}).get(level)
    return cells[0].clause if cells else next(iter(table.columns[column].values()))[0].clause


def column_clauses(ruleset: Ruleset, clauses: Iterable[str], column: str, table: str | None = None) -> tuple[str, ...]:
    """``clauses`` without those that grant another column's amounts (or, given ``table``, another table's).

    An incubator's refusal is not cited a maker-space clause, nor an
    accreditation's refusal the evaluation clause of the same column.
    """
    def build() -> dict[str, frozenset[tuple[str, str]]]:
        owners: dict[str, set[tuple[str, str]]] = {}
        for table_id, t in ruleset.tables.items():
            for col, cells in t.columns.items():
                for values in cells.values():
                    for v in values:
                        owners.setdefault(v.clause, set()).add((table_id, col))
        return {c: frozenset(cols) for c, cols in owners.items()}

    owners = _memo(ruleset, ("clause_owners",), ruleset, build)
    kept = []
    for c in clauses:
        found = owners.get(c)
        if found is None or any(col == column and (table is None or t == table) for t, col in found):
            kept.append(c)
    return tuple(kept) or tuple(clauses)


# The alternatives of the plan-area role, shared by every deciding kind.
AREA_ROLE = frozenset({"refuse_outside", "require_area", "not_checked"})


def area_refused(ctx: Context, how: str) -> bool:
    """True when the area check ``how`` refuses this carrier: recorded outside the plan's area (``refuse_outside``),
    or also not recorded (``require_area``); ``not_checked`` refuses none."""
    area = ctx.ruleset.area
    if area is None:
        return False
    if how == "not_checked":
        return False
    if ctx.carrier.area is None:
        return how == "require_area"
    covered = _memo(ctx.ruleset, ("area_covers",), ctx.ruleset, dict)  # area names recur across a portfolio
    found = covered.get(ctx.carrier.area)
    if found is None:
        if len(covered) > 4096:
            covered.clear()
        found = covered[ctx.carrier.area] = area.covers(ctx.carrier.area)
    return not found


# --- same-day order and zero-length interruptions -------------------------------


def arrange(
    ruleset: Ruleset, readings: Mapping[str, str], timeline: tuple[Event, ...], distinct_dates: bool | None = None
) -> tuple[Event, ...]:
    """The timeline as the ruleset's normal-operation rule orders it, under the readings in force.

    ``same_day=delisting_first``: a delisting dated on the day of an
    accreditation ends the title held before it, so it is placed before that
    accreditation. ``zero_length=ignored``: a suspension and a resumption (or a
    rectification ordered and completed) on one day interrupt nothing and
    are left out. Both need two events on one day: ``distinct_dates`` True
    says the caller knows there are none (``model.carrier.chronological``).
    """
    if distinct_dates or len(timeline) < 2 or (distinct_dates is None and len({e.date for e in timeline}) == len(timeline)):
        return timeline
    types = set(map(_TYPE_OF, timeline))
    same_day_possible = DELISTED in types and (ACCREDITED in types or FILED in types)
    zero_possible = RESUMED in types or RECTIFICATION_COMPLETED in types
    if not (same_day_possible or zero_possible):
        return timeline
    resolved = under(ruleset, readings)
    options = resolved.memo.get("arrange")
    if options is None:  # the normal-operation rule's two options, read once per ruleset and readings
        rules = resolved.rules_of_kind("normal_operation")
        options = resolved.memo["arrange"] = (None, None) if not rules else tuple(
            option_of(rules[0], name, default) for name, default in (("same_day", "delisting_first"), ("zero_length", "ignored")))
    same_day, zero = options
    out = timeline
    if zero == "ignored" and zero_possible:
        out = _drop_zero_length(out)
    if same_day == "delisting_first" and same_day_possible:
        out = delistings_first(out)
    return out


def option_of(rule: Rule, name: str, default: Any) -> Any:
    """A parameter's value of a rule resolved ``under`` the readings in force, ``default`` when it is left out."""
    value = rule.params.get(name)
    return default if value is None else value


_TYPE_OF = operator.attrgetter("type")
_PAIRS = ((SUSPENDED, RESUMED), (RECTIFICATION_ORDERED, RECTIFICATION_COMPLETED))


def _drop_zero_length(timeline: tuple[Event, ...]) -> tuple[Event, ...]:
    ends = {e.date for e in timeline if e.type is RESUMED or e.type is RECTIFICATION_COMPLETED}
    if ends.isdisjoint([e.date for e in timeline if e.type is SUSPENDED or e.type is RECTIFICATION_ORDERED]):
        return timeline
    dropped: set[int] = set()
    for stop, restart in _PAIRS:
        active = False
        opened: int | None = None
        for i, e in enumerate(timeline):
            if e.type is stop:
                if not active:
                    opened = i
                active = True
            elif e.type is restart and active:
                if opened is not None and timeline[opened].date == e.date:
                    dropped.update((opened, i))
                active, opened = False, None
    if not dropped:
        return timeline
    return tuple(e for i, e in enumerate(timeline) if i not in dropped)


def delistings_first(timeline: tuple[Event, ...]) -> tuple[Event, ...]:
    """The timeline with each delisting moved before an accreditation or filing of the same day."""
    accredited_on = {e.date for e in timeline if e.type is ACCREDITED or e.type is FILED}
    if accredited_on.isdisjoint([e.date for e in timeline if e.type is DELISTED]):
        return timeline
    return tuple(sorted(timeline, key=lambda e: (e.date, -1 if e.type is DELISTED and e.date in accredited_on else e.type.rank, e.id)))


# --- titles and the kind of an evaluated title -----------------------------------


def first_rule_with(ruleset: Ruleset, param: str, event_type: EventType | None = None) -> Rule | None:
    """The first rule that sets parameter ``param`` (and, given ``event_type``, whose ``match`` takes that type)."""
    def build() -> Rule | None:
        for rule in ruleset.rules:
            if rule.params.get(param) is None:
                continue
            if event_type is None or any(event_type in f.types for f in rule.params.get("match") or ()):
                return rule
        return None

    return _memo(ruleset, ("first_rule_with", param, event_type), ruleset, build)  # type: ignore[no-any-return]


_KIND_OF = operator.attrgetter("kind")


def title_kinds(ctx: Context) -> tuple[CarrierKind, ...]:
    """For each event of the timeline, the carrier kind it is decided as.

    An accreditation or payment: its own ``kind``, else the carrier's. An
    evaluation: its own ``kind``, else (under the excellence rule's
    ``kind=title`` reading) the kind of the title it evaluates (the latest
    accreditation at its level since the last delisting, else the latest
    title of any level), else the carrier's kind.
    """
    own = ctx.carrier.kind
    if not any(map(_KIND_OF, ctx.timeline)):  # the commonest history: everything is of the carrier's kind
        return (own,) * len(ctx.timeline)
    rule = first_rule_with(ctx.ruleset, "kind_of")
    by_title = rule is not None and rule.params.get("kind_of") == "title"
    out: list[CarrierKind] = []
    held: dict[Level, CarrierKind] = {}
    latest: CarrierKind | None = None
    for e in ctx.timeline:
        t = e.type
        if t is DELISTED:
            held.clear()
            latest = None
        elif t is ACCREDITED or t is FILED:
            latest = e.kind or own
            assert e.level is not None
            held[e.level] = latest
        if t is EVALUATED and e.kind is None and by_title:
            assert e.level is not None
            out.append(held.get(e.level) or latest or own)
        else:
            out.append(e.kind or own)
    return tuple(out)


# --- which decision a payment settles ----------------------------------------------


_PLAN_DATES = {"plan_start": "start", "plan_issued": "issued", "plan_end": "end"}


def _subsidy_window(ctx: Context) -> tuple[datetime.date, datetime.date]:
    """The window of the first rule on accreditations that has one (the plan's dates fill an end left open)."""
    period = ctx.ruleset.plan_period
    rule = first_rule_with(ctx.ruleset, "window", ACCREDITED)
    window = None if rule is None else rule.params.get("window")
    if window is None:
        return period.start, period.end

    def end(value: Any, default: datetime.date) -> datetime.date:
        if isinstance(value, str):
            value = getattr(period, _PLAN_DATES[value])
        return default if value is None else value

    return end(window[0], period.start), end(window[1], period.end)


def _excellence_in_window(ctx: Context, e: Event) -> bool:
    period = ctx.ruleset.plan_period
    rule = first_rule_with(ctx.ruleset, "period", EVALUATED)
    if rule is not None and rule.params.get("period") == "year":
        return e.year is not None and period.start.year <= e.year <= period.end.year
    return period.start <= e.date <= period.end


def _is_new(ctx: Context, e: Event, start: datetime.date, end: datetime.date) -> bool:
    """True when this plan considers event ``e`` its own: an accreditation in the window, an evaluation in the period."""
    if e.type is EVALUATED:
        return _excellence_in_window(ctx, e)
    return start <= e.date <= end


def settlements(ctx: Context, payments: Sequence[Event] | None = None) -> dict[str, str | None]:
    """For each payment (default: those of the timeline), the id of the event whose award it pays, or None.

    A payment of another plan (``plan`` set to another id) and ``other``
    money settle nothing. ``settles`` names the event directly. Otherwise a
    construction subsidy settles the latest accreditation or filing at its
    level (and of its kind's column, when the payment names a kind) dated on
    or before it, and an excellence payment the latest evaluation at its
    level (and of its year, when given) dated on or before it. A payment that
    does not name this plan settles only an event this plan considers new:
    an accreditation inside the window, an evaluation inside the plan period.
    """
    timeline = ctx.timeline
    if payments is None:
        payments = [e for e in timeline if e.type is PAYMENT_RECEIVED]
    out: dict[str, str | None] = {}
    if not payments:
        return out
    ruleset = ctx.ruleset
    ids = {e.id: e for e in timeline}
    start, end = _subsidy_window(ctx)
    kinds = title_kinds(ctx)
    for p in payments:
        out[p.id] = None
        if p.plan is not None and p.plan != ruleset.id:
            continue
        own = p.plan == ruleset.id
        if p.settles is not None:
            target = ids.get(p.settles)
            if target is not None and (own or _is_new(ctx, target, start, end)):
                out[p.id] = p.settles
            continue  # an unattributed payment for a title this plan does not consider new is earlier money
        purpose = p.purpose
        if purpose is AwardKind.OTHER:
            continue
        column = None if p.kind is None else ruleset.column_for(p.kind)
        found: str | None = None
        for i, e in enumerate(timeline):
            if e.date > p.date:
                break
            if e.level is not p.level:
                continue
            if purpose is AwardKind.CONSTRUCTION_SUBSIDY:
                if e.type is not ACCREDITED and e.type is not FILED:
                    continue
                if p.kind is not None and ruleset.column_for(kinds[i]) != column:
                    continue
                if not own and not start <= e.date <= end:
                    continue
            else:
                if e.type is not EVALUATED or (p.year is not None and e.year != p.year):
                    continue
                if p.kind is not None and ruleset.column_for(kinds[i]) != column:
                    continue
                if not own and not _excellence_in_window(ctx, e):
                    continue
            found = e.id
        out[p.id] = found
    return out





# Default explanations, for an outcome a ruleset does not word itself: ``{title}`` is the rule's title.
_DEFAULT_TEXTS: dict[str, tuple[str, str]] = {
    "awarded": ("{title}:{date}{subject_zh},{amount}元,{payable_on}起可付", "{title}: {amount} yuan for the {subject} of {date}, payable on {payable_on}"),
    "pending": ("{title}:{date}{subject_zh},条件满足后于{payable_on}可得{amount}元", "{title}: {amount} yuan for the {subject} of {date}, payable on {payable_on} if the condition holds"),
    "recovered": ("{title}:收回{amount}元", "{title}: {amount} yuan recovered"),
    "instalment_awarded": ("{title}:{date}{subject_zh},第{instalment}期({share}),{amount}元,{payable_on}起可付(共{full_amount}元)",
                           "{title}: instalment {instalment} ({share}) of {full_amount} yuan for the {subject} of {date}: {amount} yuan, payable on {payable_on}"),
    "instalment_pending": ("{title}:{date}{subject_zh},第{instalment}期({share}),条件满足后于{payable_on}可得{amount}元(共{full_amount}元)",
                           "{title}: instalment {instalment} ({share}) of {full_amount} yuan for the {subject} of {date}: {amount} yuan, payable on {payable_on} if its condition holds"),
    "instalment_not_met": ("{title}:{date}{subject_zh},第{instalment}期({share},{share_amount}元)条件未满足,不予支付",
                           "{title}: instalment {instalment} ({share}, {share_amount} yuan) of the award for the {subject} of {date} is not paid: its condition is not met"),
    "grade_pending": ("{title}:{date}{subject_zh}待{graded_year}年度评价结果公布后确定,届时可得{amount}元",
                      "{title}: {amount} yuan for the {subject} of {date} once the evaluation of {graded_year} is known, if its grade qualifies"),
    "grade_not_met": ("{title}:{graded_year}年度评价结果不符合条件,{date}{subject_zh}不予支持",
                      "{title}: nothing for the {subject} of {date}: the grade for {graded_year} does not qualify"),
    "nothing_in_period": ("{title}:{period_start}至{period_end}无可支持金额({missing_zh})",
                          "{title}: nothing for {period_start} to {period_end} ({missing})"),
    "too_few_occurrences": ("{title}:{date}{subject_zh}为第{counted}次,需{needed}次,暂不予支持",
                            "{title}: the {subject} of {date} is occurrence {counted} of the {needed} needed"),
    "not_this_occurrence": ("{title}:{date}{subject_zh}为第{counted}次(自始累计),仅第{needed}次予以支持",
                            "{title}: nothing for the {subject} of {date}: it is occurrence {counted} ever, and only occurrence {needed} is paid"),
}
_DEFAULT_REFUSAL = ("{title}:{date}{subject_zh}不予支持({reason_zh})", "{title}: nothing for the {subject} of {date} ({reason})")
_REASONS_ZH = {
    "outside_window": "不在期限内", "kind_not_covered": "载体类型不在支持范围", "level_not_covered": "该级别无支持标准",
    "not_matched": "不符合条件", "condition_not_met": "条件未满足", "below_band": "未达最低档次",
    "already_awarded": "已获支持", "nothing_to_top_up": "无差额可补", "excluded_year": "该年度不予支持",
    "capped": "已达上限", "not_excellent": "评估未达优秀", "not_this_occurrence": "非所要求的次数",
    "no_title": "未持有所需称号", "no_amount": "无可支持金额", "nothing_to_recover": "无可收回资金",
    "outside_area": "不在政策区域内", "year_outside_window": "评估年度不在规划期内", "delisted": "已被撤销",
    "lower_level": "低于已获级别", "not_new": "该级别此前已获认定", "payable_after_period": "条件满足时已过规划期",
    "delisted_before_year": "运营期满前被撤销", "interrupted": "运营中断", "too_few_occurrences": "次数不足",
    "level_already_paid": "该级别已获支持", "no_difference": "无差额",
}


def default_explanation(code: str, title_zh: str, title_en: str) -> tuple[str, str]:
    """The explanation of an outcome a ruleset leaves unworded, built from the rule's title and the outcome."""
    paid = "awarded" if code.endswith("_awarded") else "pending" if code.endswith("_pending") else None
    zh, en = _DEFAULT_TEXTS.get(code) or (_DEFAULT_TEXTS[paid] if paid else _DEFAULT_REFUSAL)
    reason_en = code.replace("_", " ")
    reason_zh = _REASONS_ZH.get(code, reason_en)
    fill = {"title": (title_zh, title_en), "reason": (reason_en, reason_en), "reason_zh": (reason_zh, reason_zh)}
    zh = _PLACEHOLDER.sub(lambda m: fill[m.group(1)][0] if m.group(1) in fill else m.group(0), zh)
    en = _PLACEHOLDER.sub(lambda m: fill[m.group(1)][1] if m.group(1) in fill else m.group(0), en)
    return zh, en
