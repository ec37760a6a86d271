"""Evaluations as JSON Lines, shared by ``evaluate-many`` and the HTTP service.

``evaluation_json(ev)`` is exactly ``ev.to_json(indent=None)``, byte for
byte, written directly: the parts that recur from one decision to the next
(citations, with their clause texts; explanations; rule ids, reasons, dates,
levels, kinds; the ruleset, readings and engine of a batch) are serialised
once and spliced in, not rebuilt as dictionaries and re-encoded for every
decision. ``Evaluation.to_dict`` stays the definition of the format;
``tests/test_jsonlines.py`` checks the two agree.
"""
from __future__ import annotations

import datetime
import json
from json.encoder import encode_basestring  # what json.dumps(ensure_ascii=False) writes a string as
from typing import Any, Callable, Mapping

from ..model.decision import Condition, Decision, Evaluation
from ..model.ruleset import Citation

__all__ = ["evaluation_json", "evaluation_line"]


def evaluation_line(ev: Evaluation) -> tuple[str, int, int]:
    """One line of ``evaluate-many`` output (the evaluation's JSON), with its awarded and pending totals."""
    return evaluation_json(ev), ev.total, ev.pending_total


def evaluation_json(ev: Evaluation) -> str:
    """``ev.to_json(indent=None)``, written faster."""
    if ev.management:  # rare, and not on the batch path: the plain encoder
        return ev.to_json(indent=None)
    awards, pending = ev.awards, ev.pending
    awarded = pending_total = 0
    awarded_by: dict[str, int] = {}
    pending_by: dict[str, int] = {}
    for d in awards:
        awarded += d.amount
        awarded_by[d.rule] = awarded_by.get(d.rule, 0) + d.amount
    for d in pending:
        pending_total += d.amount
        pending_by[d.rule] = pending_by.get(d.rule, 0) + d.amount
    return "".join((
        '{"carrier": {"id": ', _quote(ev.carrier_id), ', "name": ', _quote(ev.carrier_name),
        ', "digest": ', _quote(ev.input_digest), "}, ", _context(ev),
        ', "totals": {"awarded": ', str(awarded), ', "pending": ', str(pending_total),
        ', "awarded_by_rule": ', _amounts(awarded_by), ', "pending_by_rule": ', _amounts(pending_by),
        '}, "awards": [', ", ".join(map(_decision, awards)),
        '], "pending": [', ", ".join(map(_decision, pending)),
        '], "not_awarded": [', ", ".join(map(_decision, ev.not_awarded)), "]}",
    ))


class _Texts:
    """JSON texts remembered by the object they encode (bounded; the object is held, so its id is not reused)."""

    def __init__(self, encode: Callable[[Any], str], limit: int) -> None:
        self.encode, self.limit = encode, limit
        self.found: dict[int, tuple[Any, str]] = {}

    def __call__(self, value: Any) -> str:
        entry = self.found.get(id(value))
        if entry is None or entry[0] is not value:
            if len(self.found) >= self.limit:
                self.found.clear()
            entry = self.found[id(value)] = (value, self.encode(value))
        return entry[1]


def _citation(c: Citation) -> str:
    return json.dumps(c.to_dict(), ensure_ascii=False)


# A ruleset's citations are shared objects, and so are the tuples of them a rule cites (kinds.base.RulePrep).
_citations = _Texts(lambda cites: "[" + ", ".join(map(_citation, cites)) + "]", 4096)

_SHORT: dict[Any, str] = {None: "null"}  # rule ids, statuses, reasons, levels, kinds, dates: few and recurring


def _short(value: Any) -> str:
    """The JSON of a string, an enum member (its value) or a date (ISO), remembered (bounded)."""
    found = _SHORT.get(value)
    if found is None:
        if len(_SHORT) >= 65536:
            _SHORT.clear()
            _SHORT[None] = "null"
        if isinstance(value, datetime.date):
            found = '"' + value.isoformat() + '"'
        elif isinstance(value, str):
            found = encode_basestring(value)
        else:
            found = encode_basestring(value.value)
        _SHORT[value] = found
    return found


def _quote(text: str) -> str:
    return encode_basestring(text)


def _amounts(by_rule: Mapping[str, int]) -> str:
    if not by_rule:
        return "{}"
    return "{" + ", ".join(_short(rule) + ": " + str(amount) for rule, amount in by_rule.items()) + "}"


def _ids(ids: tuple[str, ...]) -> str:
    return "[" + ", ".join(map(encode_basestring, ids)) + "]"


def _condition(c: Condition | None) -> str:
    if c is None:
        return "null"
    return "".join((
        '{"rule": ', _short(c.rule), ', "status": ', _short(c.status), ', "counted_from": ', _short(c.counted_from),
        ', "date": ', _short(c.date), ', "events": ', _ids(c.events), ', "citations": ', _citations(c.citations), "}",
    ))


def _decision(d: Decision) -> str:
    short = _SHORT.get
    events = d.events
    full, already, cond = d.full_amount, d.already_received, d.condition
    return (
        f'{{"rule": {short(d.rule) or _short(d.rule)}, "status": {short(d.status) or _short(d.status)}, '
        f'"reason": {short(d.reason) or _short(d.reason)}, "amount": {d.amount}, '
        f'"payable_on": {short(d.payable_on) or _short(d.payable_on)}, '
        f'"events": {"[" + encode_basestring(events[0]) + "]" if len(events) == 1 else _ids(events)}, '
        f'"level": {short(d.level) or _short(d.level)}, "kind": {short(d.kind) or _short(d.kind)}, '
        f'"full_amount": {"null" if full is None else full}, "already_received": {"null" if already is None else already}, '
        f'"amount_in_force_from": {short(d.amount_in_force_from) or _short(d.amount_in_force_from)}, '
        f'"explanation": {{"zh": {encode_basestring(d.explanation_zh)}, "en": {encode_basestring(d.explanation_en)}}}, '
        f'"citations": {_citations(d.citations)}, "condition": {"null" if cond is None else _condition(cond)}}}'
    )


_LAST_CONTEXT: tuple[Any, Any, str] = (None, None, "")  # (as-of, ruleset and engine), readings, their JSON


def _context(ev: Evaluation) -> str:
    """``"as_of": ..., "ruleset": {...}, "readings": {...}, "engine": ...``: the same for a whole batch."""
    global _LAST_CONTEXT
    key = (ev.as_of, ev.ruleset_id, ev.ruleset_version, ev.ruleset_sha256, ev.engine)
    last = _LAST_CONTEXT
    if last[0] == key and last[1] == ev.readings:
        return last[2]
    text = json.dumps({
        "as_of": ev.as_of.isoformat(),
        "ruleset": {"id": ev.ruleset_id, "version": ev.ruleset_version, "sha256": ev.ruleset_sha256},
        "readings": dict(sorted(ev.readings.items())),
        "engine": ev.engine,
    }, ensure_ascii=False)[1:-1]
    _LAST_CONTEXT = (key, dict(ev.readings), text)
    return text
