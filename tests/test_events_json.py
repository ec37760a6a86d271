"""``model.carrier.events_json`` (the events of a carrier's digest, written directly) is exactly the generic
``documents.canonical_json`` of each event's plain data, for every shape an event can take: each optional field
present or not, payments that say what they pay, declared levels, facts (Decimal ones too) and text that needs
escaping."""

from __future__ import annotations

import datetime
import hashlib
from json.encoder import encode_basestring as _quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incubator_rules.documents import canonical_json
from incubator_rules.model.carrier import (
    EVENT_TYPES, AwardKind, CarrierKind, Event, EventType, Grade, Level, events_json, reading_levels,
)
from incubator_rules.model.facts import fact_json

from test_digest import DIGESTED, TEXT

COUNTY = Level.extra("county_json_test")
LEVELS = [*Level.__members__.values(), COUNTY]
VALUES = {
    "level": st.sampled_from(LEVELS),
    "kind": st.sampled_from(list(CarrierKind)),
    "grade": st.sampled_from(list(Grade)),
    "award": st.sampled_from(list(AwardKind)),
    "amount": st.integers(0, 10**15 - 1),
    **{name: TEXT for name in ("plan", "payer", "settles", "voucher")},
}


@st.composite
def events(draw: st.DrawFn) -> Event:
    """An event of any type with any of the fields its type allows (the required ones always), any dates."""
    etype = draw(st.sampled_from(list(EventType)))
    day = draw(st.dates(datetime.date(1901, 1, 1), datetime.date(9999, 12, 31)))
    fields = {}
    for name, need in EVENT_TYPES[etype].fields.items():
        if need == "r" or draw(st.booleans()):
            if name == "year":
                top = day.year - 1 if etype is EventType.EVALUATED else 9999
                fields[name] = draw(st.integers(1900, top))
            else:
                fields[name] = draw(VALUES[name])
    for name in ("document", "note"):
        if draw(st.booleans()):
            fields[name] = draw(TEXT)
    return Event(draw(TEXT), etype, day, **fields)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_every_event_is_written_as_the_canonical_json_of_its_plain_data(data):
    with reading_levels([COUNTY]):
        drawn = data.draw(st.lists(events(), max_size=6))
    assert events_json(drawn) == ",".join(canonical_json(e.to_dict()) for e in drawn)
    for e in drawn:
        assert e.canonical_json() == canonical_json(e.to_dict())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(carrier=DIGESTED)
def test_a_carriers_events_and_digest_are_their_canonical_json(carrier):
    """Carriers with facts (dated, Decimal, dates), events with facts and Unicode text: each event as the generic
    text, and the digest the sha256 of the carrier's canonical dictionary (facts written before events)."""
    timeline = carrier.timeline
    assert events_json(timeline) == ",".join(canonical_json(e.to_dict()) for e in timeline)
    head = {"events": [e.to_dict() for e in timeline], "id": carrier.id, "kind": carrier.kind.value, "name": carrier.name}
    if carrier.area is not None:
        head["area"] = carrier.area
    text = canonical_json(head)
    if carrier.facts:  # the one quirk of the digest's text: a carrier's facts come before its events
        facts = canonical_json({"facts": {k: fact_json(v, exact=False) for k, v in carrier.facts}})[1:-1]
        at = text.index('"events":')
        text = text[:at] + facts + "," + text[at:]
    assert carrier.digest == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_an_event_with_every_field_and_text_to_escape():
    e = Event('a"\\\u2028', EventType.PAYMENT_RECEIVED, datetime.date(2024, 2, 29), Level.NATIONAL, CarrierKind.INCUBATOR,
              2023, None, 12, "文号\n", "注\t", award=AwardKind.EXCELLENCE, plan="p", payer="万州", settles="s", voucher="v😀")
    assert events_json([e]) == canonical_json(e.to_dict())
    assert f'"id":{_quote(e.id)}' in events_json([e])
