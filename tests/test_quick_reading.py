"""The success path of the carrier reader (common shapes read with dictionary lookups and events built without
attrs' per-field cost) reads exactly what the full reader reads, and leaves every problem to it: same carrier, or
same error with the same place."""

import datetime
import json
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import incubator_rules as ir
from incubator_rules.documents import Source, dump_json, parse_json
from incubator_rules.files import carrier as reader

from strategies import histories

ODD_VALUES = st.sampled_from([
    None, "", " ", "x\x07", "\ud800", "2024-02-30", "2024-2-3", "20240203", datetime.date(2024, 2, 3),
    datetime.datetime(2024, 2, 3, 1, 2), "2024-02-03", True, 0, -1, 1899, 1900, 2024, 9999, 10_000, 10**15,
    10**15 - 1, Decimal("5"), Decimal("5.5"), 5.0, "municipal", "national", "Municipal", "pass", "excellent",
    "maker_space", "incubator", "excellence", "other", "construction_subsidy", [], {}, "filed", "accredited",
    "evaluated", "payment_received", "tenancy", "delisted", "withdrawn", "title_awarded", "e1", "e2", "V-1", ir.Level.NATIONAL,
])
FIELDS = st.sampled_from(["id", "type", "date", "level", "kind", "year", "grade", "amount", "award", "plan",
                          "payer", "settles", "voucher", "document", "note", "colour", "$schema", "firm", "reason",
                          "title", "designation"])
CARRIER_FIELDS = st.sampled_from(["id", "name", "kind", "area", "facts", "events", "$schema", "colour"])


@st.composite
def altered(draw):
    """A generated history with a few of its own or its events' fields replaced, added or removed (often none)."""
    data = draw(histories())
    for _ in range(draw(st.integers(0, 3))):
        events = data.get("events")
        target = data
        if isinstance(events, list) and events and draw(st.integers(0, 4)):
            target = draw(st.sampled_from(events))
        if not isinstance(target, dict):
            continue
        name = draw(FIELDS if target is not data else CARRIER_FIELDS)
        if draw(st.integers(0, 3)) == 0:
            target.pop(name, None)
        else:
            target[name] = draw(ODD_VALUES)
    return data


def outcome(build):
    try:
        return "ok", build()
    except ir.IncubatorRulesError as exc:
        return "error", str(exc)
    except (TypeError, ValueError):  # a float or a datetime: not data a file holds (``dump_json`` refuses it)
        return "not JSON", None


def read(data, quick: bool, monkeypatch):
    """The carrier (or the error) read from the data as given (dates, floats and all) and from its JSON text."""
    if not quick:
        monkeypatch.setattr(reader, "quick_carrier", lambda data: None)

    def from_json():
        doc = parse_json(dump_json(data), "c.json")
        return ir.Carrier.from_dict(doc.data, doc.source)

    try:
        return outcome(lambda: ir.Carrier.from_dict(data)), outcome(from_json)
    finally:
        monkeypatch.undo()


@settings(max_examples=400, deadline=None)
@given(altered())
def test_the_quick_path_reads_what_the_full_reader_reads(data):
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert read(data, True, monkeypatch) == read(data, False, monkeypatch)


@settings(max_examples=100, deadline=None)
@given(histories())
def test_valid_histories_take_the_quick_path(data):
    import pickle

    carrier = reader.quick_carrier(data)
    assert carrier is not None
    full = reader.CarrierReader(Source()).carrier(data)
    assert type(carrier) is ir.Carrier and carrier == full and hash(carrier) == hash(full)
    assert carrier.digest == full.digest and carrier.to_json() == full.to_json()
    assert pickle.loads(pickle.dumps(carrier)) == carrier and attrs.evolve(carrier, name="n") == attrs.evolve(full, name="n")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):  # ``built_carrier``'s carrier is as frozen as any
        carrier.name = "other"


@settings(max_examples=200, deadline=None)
@given(altered())
def test_an_event_built_quickly_is_the_event_its_constructor_builds(data):
    """``built_event`` skips ``Event``'s checks and attrs' per-field cost: what it builds is an ordinary Event,
    equal to (and hashing, comparing, evolving and pickling like) the one ``Event(...)`` builds and checks."""
    import pickle

    carrier = reader.quick_carrier(data)
    if carrier is None:
        return
    for event in carrier.events:
        assert type(event) is ir.Event
        fields = attrs.asdict(event, recurse=False)
        assert ir.Event(**fields) == event and hash(ir.Event(**fields)) == hash(event)
        assert pickle.loads(pickle.dumps(event)) == event
        assert attrs.evolve(event, note="n") == ir.Event(**{**fields, "note": "n"})
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            event.id = "other"


# --- whole files: the C parser alone and the quick reader, or the strict reading, give the same answer ----------

TEXT_CHANGES = st.sampled_from([
    ('"id":', '"id":"dup","id":'),  # a repeated key
    ('"id":', '"id":"10:30","id":'),  # a repeated key, and a colon in a string: the count of colons cannot tell
    ('"name":"', '"name":"a:b'),  # a colon in a string, no key repeated
    ('"year":', '"year":1' + "0" * 120 + ',"x":'),  # a number longer than the documents allow
    ('"year":', '"year":1' + "0" * 30 + ',"y":'),
    ('"name":"', '"name":"\\u0007'),  # an escape for a control character
    ('"name":"', '"name":"\\ud800'),  # a lone surrogate
    ('"name":"', '"name":"\x7f'),  # DEL, which the JSON parser lets through
    ('"area":', '"area":' + "[" * 70 + "]" * 70 + ',"z":'),  # nested deeper than the documents allow
    ('"note":', '"note":NaN,"w":'),
    ('"level":"', '"level":"\\u006eational'),  # an escape that spells a member: read as the member
    ('"date":"', '"date":"\\u0032'),
    ('"amount":', '"amount":1.0,"v":'),
    ('"kind":', '"$schema":"x.json","kind":'),
    ('"carriers":[', '"carriers":[],"carriers":['),  # the list of carriers repeated: read twice, one kept
    ('"events":[', '"events":[{"id":"e0","type":"filed","date":"2020-01-01","level":"district","note":"a:b"}],"x":['),
    ('},', '}'),  # a comma missing between entries (or events)
    ('},', '},,'),
    ('}', '} '),
    (',', ' ,\n\t'),  # JSON's whitespace between values
    ('"name":"', '"name" : "'),  # a key's colon after whitespace
    ('[', '[\u00a0'),  # a space JSON does not allow
    ('"events":[', '"events":[{"type":"operation_started","date":"2020-01-01","id":"e01"},'),
    ('{"id"', '\ufeff{"id"'),
    ("", ""),
])


def load_outcome(path, monkeypatch, quick: bool):
    from incubator_rules.files import carriers as carriers_module
    from incubator_rules.files import portfolio as portfolio_module
    from incubator_rules.files import portfolio_lines

    if not quick:
        monkeypatch.setattr(carriers_module, "quick_json_carriers", lambda text: None)
        monkeypatch.setattr(portfolio_module, "quick_json", lambda text: None)
        monkeypatch.setattr(portfolio_lines, "json_data", lambda text: None)
    found = []
    try:
        for load in (ir.load_carriers, ir.load_portfolio):
            try:
                found.append(("ok", load(path)))
            except ir.IncubatorRulesError as exc:
                found.append(("error", str(exc)))
        return found
    finally:
        monkeypatch.undo()


LAYOUTS = st.sampled_from(["lines", "one line", "an entry a line", "a list, an entry a line", "indented"])
TRAILERS = st.sampled_from(["", "", "\n", " \t\r\n", "x", "]", "}", ",", "\n{}", "\u00a0"])


def json_text(entries, layout):
    """A JSON Lines text of ``entries``, or a whole JSON file of them: on one line, a carrier a line in a district
    portfolio (as ``convert`` writes it) or in a list, or indented."""
    if layout == "lines":
        return "".join(dump_json(e) + "\n" for e in entries)
    if layout == "one line":
        return dump_json({"id": "p", "name": "p", "carriers": entries})
    if layout == "an entry a line":
        return '{"id":"p","name":"p","carriers":[\n' + ",\n".join(dump_json(e) for e in entries) + "\n]}\n"
    if layout == "a list, an entry a line":
        return "[\n" + ",\n".join(dump_json(e) for e in entries) + "\n]\n"
    return json.dumps(json.loads(dump_json({"id": "p", "name": "p", "carriers": entries}), parse_float=Decimal),
                      indent=2, ensure_ascii=False, default=str)


@settings(max_examples=250, deadline=None)
@given(st.lists(histories(), min_size=1, max_size=3), TEXT_CHANGES, st.integers(0, 3), LAYOUTS, TRAILERS)
def test_a_json_file_read_by_the_c_parser_alone_gives_what_the_strict_reading_gives(tmp_path_factory, entries, change, nth, layout, trailer):
    """``documents.json_data`` and ``json_data_each`` check only what the C parser checks; the quick reader checks
    every value it accepts and leaves all else to the strict reading, so a whole JSON file (read a carrier at a
    time) or a JSON Lines file, altered in its text (repeated keys, long numbers, control characters, deep
    nesting, odd escapes, broken punctuation between entries, something after the data), loads to the same
    carriers or fails with the same located error either way."""
    for i, entry in enumerate(entries):
        entry["id"] = f"c{i}"
    folder = tmp_path_factory.mktemp("json")
    text = json_text(entries, layout) + trailer
    path = folder / ("p.jsonl" if layout == "lines" else "p.json")
    old, new = change
    at = -1
    for _ in range(nth + 1):
        found = text.find(old, at + 1) if old else -1
        if found < 0:
            break
        at = found
    if at >= 0:
        text = text[:at] + new + text[at + len(old):]
    path.write_text(text, encoding="utf-8")
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert load_outcome(path, monkeypatch, True) == load_outcome(path, monkeypatch, False)


def test_an_event_type_that_must_give_one_of_its_facts_is_left_to_the_full_reader():
    """A withdrawal's facts are each optional, but one of designation and title must be given: the quick path
    does not take the type, so the rule holds whichever way the carrier is read."""
    base = {"id": "c1", "name": "一号", "kind": "maker_space", "events": [
        {"id": "e1", "type": "filed", "date": "2020-01-05", "level": "district"}]}
    bare = {**base, "events": base["events"] + [{"id": "e2", "type": "withdrawn", "date": "2021-01-05"}]}
    assert reader.quick_carrier(bare) is None
    with pytest.raises(ir.IncubatorRulesError, match="a withdrawal names the designation or the title"):
        ir.Carrier.from_dict(bare)
    named = {**base, "events": base["events"] + [{"id": "e2", "type": "withdrawn", "date": "2021-01-05", "title": "x"}]}
    assert ir.Carrier.from_dict(named).events[1].fact("title") == "x"


def test_printable_text_holds_no_character_the_documents_refuse():
    """``plain_text`` takes ``str.isprintable`` for a clean text: no character the documents refuse is printable."""
    from incubator_rules.documents import bad_character

    refused = [chr(code) for code in range(0x110000) if bad_character(chr(code)) is not None]
    assert len(refused) > 2000 and not any(ch.isprintable() for ch in refused)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0xFFFF), max_size=12))
def test_the_quick_text_check_is_the_full_readers(value):
    from incubator_rules.model.carrier import text_problem

    assert reader.plain_text(value) is (text_problem(value) is None)
    assert reader.good_text(value) is (text_problem(value) is None)


def test_a_problem_in_the_middle_of_a_whole_json_file_names_its_line_and_column(tmp_path):
    """A whole JSON file is read a carrier at a time; a carrier the quick path refuses, anywhere in it, sends the
    whole text to the strict reading, whose error names the file, the line and the column."""
    entries = [{"id": f"c{i}", "name": f"载体{i}", "kind": "incubator", "events": [
        {"id": "e1", "type": "operation_started", "date": "2020-01-01"},
        {"id": "e2", "type": "filed", "date": "2021-03-04", "level": "district", "note": "10:30"}]}
        for i in range(40)]
    lines = [dump_json(e) for e in entries]
    path = tmp_path / "p.json"
    good = '{"id":"p","name":"p","carriers":[\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(good, encoding="utf-8")
    assert [c.id for c in ir.load_carriers(path)] == [f"c{i}" for i in range(40)]
    bad = lines[:]
    bad[29] = bad[29].replace('"2021-03-04"', '"2021-02-30"')
    path.write_text('{"id":"p","name":"p","carriers":[\n' + ",\n".join(bad) + "\n]}\n", encoding="utf-8")
    for load in (ir.load_carriers, ir.load_portfolio):
        with pytest.raises(ir.IncubatorRulesError) as info:
            load(path)
        assert (info.value.file, info.value.line, info.value.column) == (str(path), 31, bad[29].index('"2021-02-30"') + 1)
        assert "2021-02-30" in info.value.message and info.value.field.endswith("events[1].date")
    for text, line in [(good.replace('"id":"c17"', '"id":"c17","id":"c17"'), 19),  # a repeated key
                       (good.replace("\n]}\n", "\n]}\n{}\n"), 43),  # something after the data
                       (good.replace('},\n{"id":"c8"', '}\n{"id":"c8"'), 10),  # a comma missing between entries
                       ("\ufeff" + good, 1)]:  # a byte order mark
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ir.IncubatorRulesError) as info:
            ir.load_carriers(path)
        assert (info.value.file, info.value.line) == (str(path), line), text[:50]
