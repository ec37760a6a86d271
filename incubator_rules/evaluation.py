"""``evaluate``: one carrier, one ruleset, one as-of date, one set of readings."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Mapping

from .carrier import Carrier, Event
from .decision import AWARDED, PENDING, Decision, Evaluation
from .errors import EngineError
from .rules import DECIDERS, MATCHES, Context
from .ruleset import Ruleset, load_ruleset

ENGINES = ("native", "durable")


def evaluate(
    carrier: Carrier,
    ruleset: Ruleset | str | Path | None = None,
    as_of: datetime.date | str | None = None,
    readings: Mapping[str, str] | None = None,
    engine: str = "native",
) -> Evaluation:
    """Evaluate a carrier's history against a ruleset as of a date.

    ``ruleset`` is a loaded Ruleset, a shipped id or a path (default: the
    Wanzhou 2023 ruleset); ``as_of`` defaults to today; ``readings`` overrides
    the ruleset's default readings by name. Events after ``as_of`` are ignored.
    """
    from .carrier import parse_date
    from .errors import IncubatorRulesError

    if not isinstance(carrier, Carrier):
        raise IncubatorRulesError(f"expected a Carrier, got {type(carrier).__name__}", field="carrier")
    rs = ruleset if isinstance(ruleset, Ruleset) else load_ruleset(ruleset)
    if as_of is None:
        day = datetime.date.today()
    else:
        try:
            day = parse_date(as_of)
        except ValueError as exc:
            raise IncubatorRulesError(str(exc), field="as_of") from None
    chosen = rs.resolve_readings(readings)
    ctx = Context(carrier, carrier.events_until(day), day, rs, chosen)
    if engine == "durable":
        from .durable import durable_decisions

        return assemble(ctx, durable_decisions(ctx), engine)
    if engine != "native":
        raise EngineError(f"unknown engine {engine!r}; available: {', '.join(ENGINES)}", field="engine")
    decisions: list[Decision] = []
    for rule in rs.rules:
        decide = DECIDERS.get(rule.kind)
        if decide is not None:
            decisions.extend(decide(rule, ctx, match(rule.kind, ctx.timeline)))
    return assemble(ctx, decisions, engine)


def match(kind: str, timeline: tuple[Event, ...]) -> list[Event]:
    """The events a rule kind considers, in chronological order."""
    types = MATCHES[kind]
    return [e for e in timeline if e.type in types]


def assemble(ctx: Context, decisions: list[Decision], engine: str) -> Evaluation:
    """Order decisions deterministically and wrap them in an Evaluation."""
    position = {e.id: i for i, e in enumerate(ctx.timeline)}
    rule_order = {r.id: i for i, r in enumerate(ctx.ruleset.rules)}

    def key(d: Decision) -> tuple[object, ...]:
        return (d.payable_on or datetime.date.max, position[d.events[0]], rule_order[d.rule])

    def nkey(d: Decision) -> tuple[object, ...]:
        return (position[d.events[0]], rule_order[d.rule])

    return Evaluation(
        carrier_id=ctx.carrier.id,
        carrier_name=ctx.carrier.name,
        input_digest=ctx.carrier.digest,
        as_of=ctx.as_of,
        ruleset_id=ctx.ruleset.id,
        ruleset_version=ctx.ruleset.version,
        ruleset_sha256=ctx.ruleset.sha256,
        readings=dict(ctx.readings),
        engine=engine,
        awards=tuple(sorted((d for d in decisions if d.status == AWARDED), key=key)),
        pending=tuple(sorted((d for d in decisions if d.status == PENDING), key=key)),
        not_awarded=tuple(sorted((d for d in decisions if d.status not in (AWARDED, PENDING)), key=nkey)),
    )
