"""The success path of the carrier reader (common event shapes read with dictionary lookups) reads exactly
what the full reader reads, and leaves every problem to it: same carrier, or same error with the same place."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import incubator_rules as ir
from incubator_rules.documents import dump_json, parse_json
from incubator_rules.files import carrier as reader

from strategies import histories

ODD_VALUES = st.sampled_from([
    None, "", " ", "x\x07", "2024-02-30", "2024-2-3", "20240203", datetime.date(2024, 2, 3), "2024-02-03",
    True, 0, -1, 1899, 1900, 2024, 9999, 10_000, 10**15, 10**15 - 1, Decimal("5"), Decimal("5.5"), 5.0,
    "municipal", "national", "Municipal", "pass", "excellent", "maker_space", "excellence", "other", [], {},
    "filed", "accredited", "evaluated", "payment_received", "tenancy", "e1", "V-1",
])
FIELDS = st.sampled_from(["id", "type", "date", "level", "kind", "year", "grade", "amount", "award", "plan",
                          "payer", "settles", "voucher", "document", "note", "colour", "$schema", "firm"])


@st.composite
def altered(draw):
    """A generated history with some of its events' fields replaced, added or removed."""
    data = draw(histories())
    for event in data["events"]:
        for _ in range(draw(st.integers(0, 2))):
            name = draw(FIELDS)
            if draw(st.integers(0, 3)) == 0:
                event.pop(name, None)
            else:
                event[name] = draw(ODD_VALUES)
    return data


def outcome(build):
    try:
        return "ok", build()
    except ir.IncubatorRulesError as exc:
        return "error", str(exc)
    except TypeError:  # a float: not data a file holds (``dump_json`` refuses it)
        return "not JSON", None


def read(data, quick: bool, monkeypatch):
    """The carrier (or the error) read from the data as given (dates, floats and all) and from its JSON text."""
    if not quick:
        monkeypatch.setattr(reader, "_quick_event", lambda raw: None)
    def from_json():
        doc = parse_json(dump_json(data), "c.json")
        return ir.Carrier.from_dict(doc.data, doc.source)

    try:
        return outcome(lambda: ir.Carrier.from_dict(data)), outcome(from_json)
    finally:
        monkeypatch.undo()


@settings(max_examples=300, deadline=None)
@given(altered())
def test_the_quick_path_reads_what_the_full_reader_reads(data):
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert read(data, True, monkeypatch) == read(data, False, monkeypatch)


@settings(max_examples=100, deadline=None)
@given(histories())
def test_valid_histories_take_the_quick_path(data):
    taken = [reader._quick_event(e) is not None for e in data["events"] if not e["type"] in ("delisted",)]
    assert all(taken)
