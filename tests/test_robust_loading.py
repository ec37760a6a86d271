"""Malformed and random documents: every loader either loads or raises IncubatorRulesError, and never runs code."""

import datetime
import json
import os
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incubator_rules import Carrier, IncubatorRulesError
from incubator_rules.cases import validate_cases
from incubator_rules.check import check_document, check_file, detect_type
from incubator_rules.documents import Document, Source, parse_json, parse_yaml, read_document
from incubator_rules.ruleset import ruleset_from_dict, validate_ruleset
from incubator_rules.versions import read_lock

ROOT = Path(__file__).resolve().parent.parent
RULESET = read_document(ROOT / "rulesets" / "wanzhou-2023.yaml").data
CARRIER = read_document(ROOT / "examples" / "q6-maker-space.yaml").data
CASES = read_document(ROOT / "tests" / "cases" / "reading-6-ladders.yaml").data
RULESET_TEXT = (ROOT / "rulesets" / "wanzhou-2023.yaml").read_text(encoding="utf-8")
MARKERS = Path(tempfile.mkdtemp(prefix="incubator-rules-robust-"))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

leaves = st.one_of(
    st.none(), st.booleans(),
    st.integers(), st.sampled_from([10**15, -(10**15), 10**400, 2**63]),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from([Decimal("1e999999999"), Decimal("-1e999999999"), Decimal("0.5"), Decimal("200000.0")]),
    st.text(), st.sampled_from(["", " ", "2023-02-30", "2023-01-01", "20万", "národní", "国家级", "\u202e", "\x00", "{amount.__class__}"]),
    st.dates(), st.datetimes(),
)
values = st.recursive(leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), inner, max_size=4)), max_leaves=20)


def paths(data, prefix=()):
    """Every path into a document, containers included."""
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from paths(v, prefix + (i,))


def mutate(data, path, action, value, extra_key="unexpected_key"):
    """A copy of ``data`` with the node at ``path`` replaced, removed, given an extra key or wrapped."""
    if not path:
        if action == "extra" and isinstance(data, dict):
            return dict(data, **{extra_key: value})
        return value if action == "replace" else [data]
    copy = json.loads(json.dumps(data, default=str))  # dates become text, which loaders must also handle
    parent = copy
    for key in path[:-1]:
        parent = parent[key if isinstance(parent, list) else str(key) if str(key) in parent else key]
    key = path[-1]
    if isinstance(parent, dict):
        key = str(key) if str(key) in parent else key
    if action == "replace":
        parent[key] = value
    elif action == "remove":
        parent.pop(key)
    elif action == "extra" and isinstance(parent[key], dict):
        parent[key][extra_key] = value
    else:
        parent[key] = [parent[key], value]
    return copy


def deeply_nested(depth, leaf="x"):
    value = leaf
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


def loads_or_raises_our_error(load):
    try:
        load()
    except IncubatorRulesError:
        pass


def every_loader(data):
    doc = Document(data, Source("random.yaml"))
    loads_or_raises_our_error(lambda: Carrier.from_dict(data))
    for file_type in ("ruleset", "carrier", "case", "portfolio"):
        check_document(doc, file_type)  # collects problems: never raises
    validate_ruleset(doc)
    validate_cases(doc)
    detect_type(data)


@SETTINGS
@given(values)
def test_random_values_load_or_raise_our_error(data):
    every_loader(data)


@SETTINGS
@given(st.sampled_from([RULESET, CARRIER, CASES]), st.data())
def test_mutated_documents_load_or_raise_our_error(base, data):
    path = data.draw(st.sampled_from(list(paths(base))))
    action = data.draw(st.sampled_from(["replace", "remove", "extra", "wrap"]))
    if action == "remove" and not path:
        action = "replace"
    value = data.draw(st.one_of(values, st.builds(deeply_nested, st.integers(1, 400))))
    key = data.draw(st.sampled_from(["unexpected_key", "type", "$schema", "cases", "carriers", "rules", "events"]))
    every_loader(mutate(base, path, action, value, key))


DANGEROUS = [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/apply:builtins.exec [\"open('{marker}', 'w').close()\"]",
    "!!python/object/new:builtins.exec [\"open('{marker}', 'w').close()\"]",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!binary aGVsbG8=",
    "!!set {{a, b}}",
    "!!timestamp 2023-01-01T10:00:00Z",
    "!custom {{a: 1}}",
    "&a [*a]",
    "*undefined",
    "[" * 300 + "]" * 300,
    "{{" * 200 + "}}" * 200,
    "9" * 5000,
    "1.0e+99999999999",
    ".nan",
    "-.inf",
    "2023-02-30",
    "\t",
    "\x00",
    "\ufeff",
    "\"unterminated",
    "? [complex, key]\n  : value",
    "---\n---",
    "<<: {{a: 1}}",
]


@SETTINGS
@given(st.integers(0, RULESET_TEXT.count("\n")), st.sampled_from(DANGEROUS), st.sampled_from(["key", "value", "line"]))
def test_yaml_tags_and_tricks_never_run_code(line_no, snippet, where):
    marker = MARKERS / f"ran-{line_no}-{abs(hash(snippet))}"
    snippet = snippet.format(marker=marker)
    lines = RULESET_TEXT.split("\n")
    line = lines[line_no]
    if where == "value" and ": " in line:
        lines[line_no] = line.split(": ", 1)[0] + ": " + snippet
    elif where == "key":
        lines[line_no] = snippet + ": " + line.strip()
    else:
        lines.insert(line_no, snippet)
    text = "\n".join(lines)
    try:
        doc = parse_yaml(text, "random.yaml")
    except IncubatorRulesError:
        pass
    else:
        every_loader(doc.data)
    assert not marker.exists(), f"{snippet!r} ran code"


@SETTINGS
@given(st.text(max_size=300), st.sampled_from([".yaml", ".json", ".lock"]))
def test_random_text_files_load_or_raise_our_error(text, suffix):
    fd, name = tempfile.mkstemp(suffix=suffix, dir=MARKERS)
    os.close(fd)
    path = Path(name)
    try:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        if suffix == ".lock":
            loads_or_raises_our_error(lambda: read_lock(path))
        else:
            check_file(path)  # never raises: unreadable files come back as results
            loads_or_raises_our_error(lambda: read_document(path))
            loads_or_raises_our_error(lambda: parse_json(text))
    finally:
        path.unlink()


def test_alias_bombs_and_huge_numbers_are_refused_quickly():
    bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8))
    started = datetime.datetime.now()
    for text in (bomb, "id: c\nname: n\nkind: incubator\nevents:\n  - {type: payment_received, date: 2023-01-01, level: district, amount: 1.0e+99999999999}\n"):
        try:
            Carrier.from_dict(parse_yaml(text).data)
        except IncubatorRulesError as exc:
            assert "aliases expand" in exc.message or "implausibly large" in exc.message
        else:
            raise AssertionError("accepted")
    assert datetime.datetime.now() - started < datetime.timedelta(seconds=5)


@pytest.mark.parametrize("value", [{"a": 1}, [1], 3, None, "banana", "targets"])
def test_an_odd_file_type_is_refused_with_our_error(value):
    data = dict(RULESET, type=value)
    every_loader(data)
    with pytest.raises(IncubatorRulesError) as err:
        ruleset_from_dict(data)
    assert err.value.field == "type"
