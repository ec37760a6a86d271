"""Evaluations as JSON Lines, shared by ``evaluate-many``, the HTTP service and the partitions' workers.

``evaluation_bytes(ev)`` is exactly ``ev.to_json(indent=None)`` encoded as
UTF-8, with its line break, written directly: the parts that recur from one
decision to the next (citations with their clause texts, the fields of a
decision before and between its events and its explanation, its pair of
explanations, the batch's ruleset, readings and engine) are serialised once
and spliced in, and the line is joined once from UTF-8 pieces, not built as
dictionaries, encoded, copied and encoded again for every decision. ``Evaluation.to_dict`` stays
the definition of the format; ``tests/test_jsonlines.py`` checks that the
two agree.
"""
from __future__ import annotations

import datetime
import json
from json.encoder import encode_basestring  # how json.dumps(ensure_ascii=False) writes a string
from typing import Any, Mapping

import attrs

from .decision import Condition, Decision, Evaluation, InstalmentShare
from .ruleset import Citation

__all__ = ["evaluation_bytes", "evaluation_json", "evaluation_line", "evaluation_record"]


def evaluation_line(ev: Evaluation) -> tuple[str, int, int]:
    """The evaluation's JSON (``to_json(indent=None)``), with its awarded and pending totals."""
    return evaluation_json(ev), ev.total, ev.pending_total


def evaluation_record(ev: Evaluation) -> tuple[bytes, int, int]:
    """One line of ``evaluate-many`` output as UTF-8 (``evaluation_bytes``), with its awarded and pending totals."""
    return _record(ev)


def evaluation_json(ev: Evaluation) -> str:
    """``ev.to_json(indent=None)``, written faster."""
    try:
        return evaluation_bytes(ev)[:-1].decode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (no file read gives one): JSON text, but no UTF-8
        return ev.to_json(indent=None)


def evaluation_bytes(ev: Evaluation) -> bytes:
    """``ev.to_json(indent=None)`` as UTF-8, followed by a line break (UnicodeEncodeError where that has none)."""
    return _record(ev)[0]


# The fields of an evaluation and of a decision, which the writer reads one by one (they are slots).
_EVALUATION_FIELDS = ("carrier_id", "carrier_name", "input_digest", "as_of", "ruleset_id", "ruleset_version",
                      "ruleset_sha256", "readings", "engine", "awards", "pending", "not_awarded", "management")
if tuple(f.name for f in attrs.fields(Evaluation)) != _EVALUATION_FIELDS:
    raise ImportError("views.jsonlines: the fields of Evaluation changed; update _EVALUATION_FIELDS and _record")


def _record(ev: Evaluation) -> tuple[bytes, int, int]:
    """``evaluation_bytes`` of an evaluation, and its awarded and pending totals."""
    if ev.management:  # rare, and not on the batch path: the plain encoder
        return ev.to_json(indent=None).encode("utf-8") + b"\n", ev.total, ev.pending_total
    last = _LAST_CONTEXT
    as_of, rid, version, sha, readings, engine = (ev.as_of, ev.ruleset_id, ev.ruleset_version, ev.ruleset_sha256,
                                                  ev.readings, ev.engine)
    if last[0] == (as_of, rid, version, sha, engine) and last[1] == readings:
        context = last[2]
    else:
        context = _context(as_of, rid, version, sha, readings, engine)
    awards, pending, refused = ev.awards, ev.pending, ev.not_awarded
    # each text encoded alone: the digest and the ids stay ASCII, not widened to the name's width and encoded again
    out = [b'{"carrier": {"id": ', encode_basestring(ev.carrier_id).encode(), b', "name": ',
           encode_basestring(ev.carrier_name).encode(), b', "digest": ', encode_basestring(ev.input_digest).encode(),
           b"}, ", context, _NOTHING_PAID, b'}, "awards": [']
    awarded = pending_total = 0
    if awards or pending:  # often none awarded, seldom any pending
        awarded_by: dict[str, int] = {}
        pending_by: dict[str, int] = {}
        awarded = _decisions(awards, out, awarded_by)
        out.append(b'], "pending": [')
        pending_total = _decisions(pending, out, pending_by)
        out[8] = b"".join((b', "totals": {"awarded": %d, "pending": %d, "awarded_by_rule": ' % (awarded, pending_total),
                           _amounts(awarded_by), b', "pending_by_rule": ', _amounts(pending_by)))
    else:
        out.append(b'], "pending": [')
    out.append(b'], "not_awarded": [')
    if refused:
        _decisions(refused, out, None)
    out.append(b"]}\n")
    return b"".join(out), awarded, pending_total


_NOTHING_PAID = b', "totals": {"awarded": 0, "pending": 0, "awarded_by_rule": {}, "pending_by_rule": {}'


def _utf8(text: str) -> bytes:
    """A string as JSON, in UTF-8."""
    return encode_basestring(text).encode()


_SHORT: dict[Any, bytes] = {None: b"null"}  # rule ids, statuses, reasons, levels, kinds, dates: few and recurring


def _short(value: Any) -> bytes:
    """The JSON of a string, an enum member (its value) or a date (ISO), remembered (bounded)."""
    found = _SHORT.get(value)
    if found is None:
        if len(_SHORT) >= 65536:
            _SHORT.clear()
            _SHORT[None] = b"null"
        if isinstance(value, datetime.date):
            found = b'"%s"' % value.isoformat().encode("ascii")
        else:
            found = _utf8(value if isinstance(value, str) else value.value)
        _SHORT[value] = found
    return found


def _amounts(by_rule: Mapping[str, int]) -> bytes:
    if not by_rule:
        return b"{}"
    return b"{" + b", ".join(_short(rule) + b": %d" % amount for rule, amount in by_rule.items()) + b"}"


def _ids(ids: tuple[str, ...]) -> bytes:
    """A decision's list of event ids as JSON, remembered (bounded): the same few recur from carrier to carrier."""
    if ids.__class__ is not tuple:  # not as the engines make it: not remembered
        return b"[" + b", ".join(map(_utf8, ids)) + b"]"
    found = _IDS.get(ids)
    if found is None:
        if len(_IDS) >= 4096:
            _IDS.clear()
        found = _IDS[ids] = b"[" + b", ".join(map(_utf8, ids)) + b"]"
    return found


_IDS: dict[tuple[str, ...], bytes] = {}


def _explanation(zh: str, en: str) -> bytes:
    """A decision's two explanations as they are written between ``{"zh": `` and ``}``, in UTF-8, remembered
    (bounded; looked up by the caller) by the Chinese text, with the English beside it: explanations are remembered by
    their inputs (``kinds.generic``), so the same pairs recur, as the same objects."""
    if len(_EXPLANATIONS) >= 8192:
        _EXPLANATIONS.clear()
    found = b"".join((encode_basestring(zh).encode(), b', "en": ', encode_basestring(en).encode()))
    _EXPLANATIONS[zh] = (en, found)
    return found


_EXPLANATIONS: dict[str, tuple[str, bytes]] = {}


def _nullable(value: int | None) -> bytes:
    return b"null" if value is None else b"%d" % value


# The citations a decision gives are shared tuples of shared objects (kinds.base.RulePrep): their JSON is
# written once per tuple, alone and as the end of a decision without condition or instalment. Entries hold their
# tuple, so its id is not reused while it is remembered.
_CITATIONS: dict[int, tuple[tuple[Citation, ...], bytes, bytes]] = {}


def _cited(cites: tuple[Citation, ...]) -> tuple[tuple[Citation, ...], bytes, bytes]:
    """The tuple, its JSON, and ``}, "citations": [...], "condition": null}``."""
    entry = _CITATIONS.get(id(cites))
    if entry is None or entry[0] is not cites:
        if len(_CITATIONS) >= 4096:
            _CITATIONS.clear()
        text = ("[" + ", ".join(json.dumps(c.to_dict(), ensure_ascii=False) for c in cites) + "]").encode("utf-8")
        entry = _CITATIONS[id(cites)] = (cites, text, b'}, "citations": ' + text + b', "condition": null}')
    return entry


def _citations(cites: tuple[Citation, ...]) -> bytes:
    return _cited(cites)[1]


_CONDITION_FIELDS = ("rule", "status", "counted_from", "date", "events", "citations")  # in __init__'s order
if tuple(f.name for f in attrs.fields(Condition)) != _CONDITION_FIELDS:
    raise ImportError("views.jsonlines: the fields of Condition changed; update _CONDITION_FIELDS and _condition")


def _condition(c: Condition) -> bytes:
    values = c.__dict__  # a dict-backed class: read all at once, faster than field by field
    if len(values) != 6:  # not as __init__ made it: read it field by field
        values = {name: getattr(c, name) for name in _CONDITION_FIELDS}
    rule, status, counted_from, date, events, cites = values.values()
    return b"".join((
        b'{"rule": ', _short(rule), b', "status": ', _short(status), b', "counted_from": ', _short(counted_from),
        b', "date": ', _short(date), b', "events": ', _ids(events), b', "citations": ', _citations(cites), b"}",
    ))


def _instalment(part: InstalmentShare) -> bytes:
    """``, "instalment": {...}}``: the key a decision has only when it is an instalment, and its closing brace."""
    return b"".join((b', "instalment": {"number": %d, "of": %d, "share": ' % (part.number, part.count), _utf8(part.share),
                     b', "due_on": ', _short(part.due_on), b"}}"))


# A decision's JSON before its events, between its events and its explanation, and after its explanation, by the
# values of the fields written there (a level and a kind are str enum members: hashed and compared as their text,
# which is also all their JSON says) and the identity of its citations (as ``_CITATIONS``, an entry holds them).
_FRAMES: dict[tuple[Any, ...], tuple[tuple[Citation, ...], bytes, bytes, bytes, bytes]] = {}
_DECISION_FIELDS = ("rule", "status", "reason", "amount", "payable_on", "events", "citations", "explanation_zh",
                    "explanation_en", "level", "kind", "full_amount", "already_received", "amount_in_force_from",
                    "condition", "instalment")
if tuple(f.name for f in attrs.fields(Decision)) != _DECISION_FIELDS:
    raise ImportError("views.jsonlines: the fields of Decision changed; update _DECISION_FIELDS and _decisions")


def _frame(key: tuple[Any, ...], cites: tuple[Citation, ...]) -> tuple[tuple[Citation, ...], bytes, bytes, bytes, bytes]:
    """The entry of ``_FRAMES`` for ``key`` (as ``_decisions`` makes it): the citations, the JSON before the events,
    between them and the explanation, after the explanation of a decision without condition or instalment, and the
    citations' JSON."""
    if len(_FRAMES) >= 65536:
        _FRAMES.clear()
    rule, status, reason, amount, payable_on, level, kind, full, already, in_force, _ = key
    head = b"".join((b'"rule": ', _short(rule), b', "status": ', _short(status), b', "reason": ', _short(reason),
                     b', "amount": %d' % amount, b', "payable_on": ', _short(payable_on), b', "events": '))
    middle = b"".join((b', "level": ', _short(level), b', "kind": ', _short(kind), b', "full_amount": ', _nullable(full),
                       b', "already_received": ', _nullable(already), b', "amount_in_force_from": ', _short(in_force),
                       b', "explanation": {"zh": '))
    _, text, tail = _cited(cites)
    entry = _FRAMES[key] = (cites, head, middle, tail, text)
    return entry


def _decisions(decisions: tuple[Decision, ...], out: list[bytes], by_rule: dict[str, int] | None) -> int:
    """Append the JSON of each decision, separated by commas, to ``out``; their amounts added up, in total and
    (unless ``by_rule`` is None) by rule."""
    frames, explanations, id_lists = _FRAMES, _EXPLANATIONS, _IDS
    total = 0
    sep = b"{"
    for d in decisions:
        rule, amount, cites = d.rule, d.amount, d.citations
        if by_rule is not None:
            total += amount
            by_rule[rule] = by_rule.get(rule, 0) + amount
        key = (rule, d.status, d.reason, amount, d.payable_on, d.level, d.kind, d.full_amount, d.already_received,
               d.amount_in_force_from, id(cites))
        frame = frames.get(key)
        if frame is None or frame[0] is not cites:
            frame = _frame(key, cites)
        zh, en = d.explanation_zh, d.explanation_en
        texts = explanations.get(zh)
        if texts is None or texts[0] is not en and texts[0] != en:
            texts = (en, _explanation(zh, en))
        events = d.events
        ids = (id_lists.get(events) if events.__class__ is tuple else None) or _ids(events)
        cond, part = d.condition, d.instalment
        if cond is None and part is None:
            out += (sep, frame[1], ids, frame[2], texts[1], frame[3])
        else:
            out += (sep, frame[1], ids, frame[2], texts[1], b'}, "citations": ', frame[4], b', "condition": ',
                    b"null" if cond is None else _condition(cond), b"}" if part is None else _instalment(part))
        sep = b", {"
    return total


_LAST_CONTEXT: tuple[Any, Any, bytes] = (None, None, b"")  # (as-of, ruleset and engine), readings, their JSON


def _context(as_of: datetime.date, rid: str, version: str, sha: str, readings: Mapping[str, str], engine: str) -> bytes:
    """``"as_of": ..., "ruleset": {...}, "readings": {...}, "engine": ...``: the same for a whole batch, remembered
    (the caller looks it up)."""
    global _LAST_CONTEXT
    text = json.dumps({
        "as_of": as_of.isoformat(),
        "ruleset": {"id": rid, "version": version, "sha256": sha},
        "readings": dict(sorted(readings.items())),
        "engine": engine,
    }, ensure_ascii=False)[1:-1].encode("utf-8")
    _LAST_CONTEXT = ((as_of, rid, version, sha, engine), dict(readings), text)
    return text
