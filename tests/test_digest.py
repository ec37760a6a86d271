"""A carrier's input digest is the sha256 of one canonical JSON text: its value never changes.

Evaluations and case files record it, so a faster way of computing it must give the same value for every
carrier. ``reference_digest`` below is the implementation of 2026-12-01 (main 4293d3b), kept verbatim in the
test as the definition it is checked against, and ``defined_digest`` the same text with each event written
by the generic ``documents.canonical_json`` of its plain data.
"""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal
from json.encoder import encode_basestring as _quote
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import incubator_rules as ir
from incubator_rules.documents import canonical_json
from incubator_rules.model.carrier import EVENT_TYPES, Carrier, Event
from incubator_rules.model.facts import fact_json

import strategies
from test_generic_kinds import fact_histories


def reference_event_json(e: Event) -> str:
    """``Event.canonical_json`` at main 4293d3b."""
    if e.facts:
        return canonical_json(e.to_dict())
    day = e.date.isoformat()
    if e.type is ir.EventType.PAYMENT_RECEIVED and (e.award is not None or e.plan is not None or e.payer is not None
                                                     or e.settles is not None or e.voucher is not None):
        return canonical_json(e.to_dict())
    if e.amount is None and e.document is None and e.kind is None and e.note is None:
        if e.grade is not None and e.level is not None and e.year is not None:
            return (f'{{"date":"{day}","grade":"{e.grade._value_}","id":{_quote(e.id)},'
                    f'"level":"{e.level._value_}","type":"{e.type._value_}","year":{e.year}}}')
        if e.grade is None and e.level is None and e.year is None:
            return f'{{"date":"{day}","id":{_quote(e.id)},"type":"{e.type._value_}"}}'
    return (
        f'{{{"" if e.amount is None else f""""amount":{e.amount},"""}"date":"{day}",'
        f'{"" if e.document is None else f""""document":{_quote(e.document)},"""}'
        f'{"" if e.grade is None else f""""grade":"{e.grade._value_}","""}"id":{_quote(e.id)},'
        f'{"" if e.kind is None else f""""kind":"{e.kind._value_}","""}'
        f'{"" if e.level is None else f""""level":"{e.level._value_}","""}'
        f'{"" if e.note is None else f""""note":{_quote(e.note)},"""}'
        f'"type":"{e.type._value_}"{"" if e.year is None else f""","year":{e.year}"""}}}'
    )


def reference_digest(c: Carrier) -> str:
    """``Carrier.digest`` at main 4293d3b."""
    rank = {etype: i for i, etype in enumerate(EVENT_TYPES)}
    timeline = tuple(sorted(c.events, key=lambda e: (e.date, rank[e.type], e.id)))
    area = "" if c.area is None else f'"area":{_quote(c.area)},'
    if c.facts:
        area += canonical_json({"facts": {k: fact_json(v, exact=False) for k, v in c.facts}})[1:-1] + ","
    events = ",".join([reference_event_json(e) for e in timeline])
    text = f'{{{area}"events":[{events}],"id":{_quote(c.id)},"kind":"{c.kind._value_}","name":{_quote(c.name)}}}'
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def defined_digest(c: Carrier) -> str:
    """The digest with every event written by the generic ``canonical_json`` of its plain data (the fast paths of
    ``Event.canonical_json`` aside). The text is compact, key-sorted JSON but for one quirk that is part of every
    recorded digest: a carrier's ``facts`` come before its ``events``."""
    area = "" if c.area is None else f'"area":{_quote(c.area)},'
    if c.facts:
        area += canonical_json({"facts": {k: fact_json(v, exact=False) for k, v in c.facts}})[1:-1] + ","
    events = ",".join(canonical_json(e.to_dict()) for e in c.timeline)
    text = f'{{{area}"events":[{events}],' + canonical_json({"id": c.id, "kind": c.kind.value, "name": c.name})[1:]
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Text as a file may hold it: any character but controls and lone surrogates (quotes, backslashes, line
# separators, CJK, characters outside the basic plane), never blank.
TEXT = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=12).filter(str.strip) | st.sampled_from(
    ['"', "\\", "万州区科技局", "孵化器 \"引号\" \\ 反斜杠", "😀𠀀", "a\u2028b\u2029", "a/b", "é"])
EXACT = st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False)


@st.composite
def unusual_carriers(draw: st.DrawFn) -> Carrier:
    """Generated histories with Unicode everywhere text may go, events without ids, Decimal, dated and date facts,
    and events that carry facts."""
    data = draw(strategies.histories())
    data["id"], data["name"] = draw(TEXT), draw(TEXT)
    if draw(st.booleans()):
        data["area"] = draw(TEXT)
    for e in data["events"]:
        if draw(st.integers(0, 3)) == 0:
            e["note"] = draw(TEXT)
        if e["type"] in ("filed", "accredited") and draw(st.booleans()):
            e["document"] = draw(TEXT)
        if e["type"] == "payment_received" and draw(st.booleans()):
            e["payer"] = draw(TEXT)
    for e in data["events"]:
        if draw(st.integers(0, 3)) == 0 and not any(other.get("settles") == e["id"] for other in data["events"]):
            del e["id"]  # the reader derives the missing ones
    if draw(st.booleans()):
        start = draw(strategies.dates())
        data["events"].append({"type": "tenancy", "date": start, "firm": draw(TEXT), "from": start,
                               "to": start + datetime.timedelta(days=draw(st.integers(1, 900))),
                               "area_m2": draw(EXACT), "rent_per_m2_month": draw(EXACT)})
    facts: dict[str, Any] = {}
    if draw(st.booleans()):
        facts["rent_per_m2_month"] = draw(EXACT)
    if draw(st.booleans()):
        days = sorted(draw(st.lists(strategies.dates(), min_size=1, max_size=3, unique=True)))
        facts["floor_area_m2"] = [{"from": d, "value": draw(EXACT)} for d in days]
    if draw(st.booleans()):
        facts["completed_on"] = draw(strategies.dates())
    if draw(st.booleans()):
        facts["operator_type"] = draw(TEXT)
    if facts:
        data["facts"] = facts
    return Carrier.from_dict(data)


DIGESTED = st.one_of(unusual_carriers(), strategies.carriers(), fact_histories())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(carrier=DIGESTED)
def test_the_digest_of_every_carrier_is_the_one_recorded_before(carrier):
    assert carrier.digest == reference_digest(carrier)
    assert carrier.digest == defined_digest(carrier)
    assert carrier.digest_of(carrier.timeline) == carrier.digest


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(carrier=DIGESTED, data=st.data())
def test_the_digest_does_not_depend_on_the_order_of_the_events(carrier, data):
    shuffled = data.draw(st.permutations(carrier.events))
    again = Carrier(carrier.id, carrier.name, carrier.kind, tuple(shuffled), carrier.area, carrier.facts)
    assert again.digest == carrier.digest


def test_the_digest_of_a_shipped_example_is_the_recorded_value():
    carrier = ir.load_carrier("examples/q6-maker-space.yaml")
    assert carrier.digest == reference_digest(carrier)
    evaluation = ir.evaluate(carrier, as_of="2026-06-30")
    assert evaluation.input_digest == carrier.digest


def test_a_fraction_in_a_fact_is_digested_as_its_exact_text():
    base = {"id": "c", "name": "n", "kind": "incubator", "events": []}
    one = Carrier.from_dict({**base, "facts": {"rent_per_m2_month": Decimal("12.5")}})
    other = Carrier.from_dict({**base, "facts": {"rent_per_m2_month": Decimal("12.50")}})
    assert one.digest == reference_digest(one) and other.digest == reference_digest(other)
    assert one.digest != other.digest  # the text as written, not the number: as recorded since issue 12
