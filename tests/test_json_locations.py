"""Where each value of a JSON text stands: found on demand, exact for any layout of the text."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from incubator_rules.documents import JsonLocations, parse_json

scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=6)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
                      max_leaves=25)
layouts = st.sampled_from([
    {"indent": None}, {"indent": 2}, {"indent": "\t"}, {"indent": 1, "ensure_ascii": False},
    {"separators": (",", ":")}, {"separators": (" ,  ", " :\n ")},
])


def paths(value, path=()):
    yield path, value
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield from paths(child, path + (key,))


def index_of(text, line, column):
    return sum(len(x) + 1 for x in text.split("\n")[: line - 1]) + column - 1


@settings(max_examples=200, deadline=None)
@given(values, layouts, st.integers(0, 3))
def test_each_location_points_at_its_value(data, layout, blank_lines):
    text = "\n" * blank_lines + json.dumps(data, **layout)
    locations = JsonLocations(text)
    decoder = json.JSONDecoder()
    for path, value in paths(data):
        line, column = locations[path]
        assert decoder.raw_decode(text, index_of(text, line, column))[0] == value
    assert sorted(map(repr, locations)) == sorted(repr(p) for p, _ in paths(data))
    every = dict(locations.items())  # one pass over the text, then the same answers as one walk per path
    assert every == {p: JsonLocations(text)[p] for p, _ in paths(data)} == {p: locations[p] for p in every}


@given(values)
def test_paths_that_are_not_there_are_not_found(data):
    locations = JsonLocations(json.dumps(data))
    for path, value in paths(data):
        assert path + ("no such key",) not in locations
        assert path + (10**6,) not in locations


def test_below_a_prefix_and_after_earlier_lines():
    text = '{"a": [1,\n  {"b": "x"}]}'
    whole = JsonLocations(text, line_offset=4)
    assert whole[("a", 1, "b")] == (6, 9)
    assert whole.below(("a", 1))[("b",)] == (6, 9)
    assert parse_json(text).source.below(("a",)).locate((1, "b", "c")) == (2, 9)
