"""Malformed and random documents: every loader either loads or raises IncubatorRulesError, and never runs code.

The loaders: reward rulesets, carriers, case files, the other policy files
(targets, dynamic management, upgrade criteria), district portfolios and the
CSV snapshots a bureau exports from its spreadsheet.
"""

import datetime
import json
from copy import deepcopy
import os
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import incubator_rules as ir
from incubator_rules import Carrier, IncubatorRulesError, load_portfolio
from incubator_rules.tools.cases import validate_cases
from incubator_rules.files.types import FILE_TYPES, detect_type
from incubator_rules.tools.check import check_document, check_file
from incubator_rules.documents import Document, Source, parse_json, parse_yaml, read_document
from incubator_rules.files.management import management_from_document, validate_management
from incubator_rules.files.portfolio import portfolio_from_dict, read_snapshots_csv
from incubator_rules.model.portfolio import METRICS
from incubator_rules.files.criteria import criteria_from_document, validate_criteria
from incubator_rules.files.ruleset import ruleset_from_dict, validate_ruleset
from incubator_rules.files.targets import targets_from_document, validate_targets
from incubator_rules.tools.versions import read_lock

ROOT = Path(__file__).resolve().parent.parent
RULESET = read_document(ROOT / "rulesets" / "wanzhou-2023.yaml").data
CARRIER = read_document(ROOT / "examples" / "q6-maker-space.yaml").data
CASES = read_document(ROOT / "tests" / "cases" / "reading-6-ladders.yaml").data
RULESET_TEXT = (ROOT / "rulesets" / "wanzhou-2023.yaml").read_text(encoding="utf-8")
POLICY_FILES = ["wanzhou-2023-targets", "jiangbei-2022-targets", "chongqing-dynamic-management", "upgrade-criteria"]
POLICY = {name: read_document(ROOT / "rulesets" / f"{name}.yaml").data for name in POLICY_FILES}
# The example portfolio with its CSV snapshots inline: carriers, snapshots and designations in one document.
PORTFOLIO = load_portfolio(ROOT / "examples" / "wanzhou-portfolio.yaml").to_dict()
TEXTS = {name: (ROOT / "rulesets" / f"{name}.yaml").read_text(encoding="utf-8") for name in ["wanzhou-2023", *POLICY_FILES]}
TEXTS["portfolio"] = (ROOT / "examples" / "wanzhou-portfolio.yaml").read_text(encoding="utf-8")
MARKERS = Path(tempfile.mkdtemp(prefix="incubator-rules-robust-"))


@pytest.fixture(scope="module", autouse=True)
def _remove_markers():
    yield
    shutil.rmtree(MARKERS, ignore_errors=True)

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


VALIDATORS = {
    "targets": (validate_targets, targets_from_document),
    "management": (validate_management, management_from_document),
    "criteria": (validate_criteria, criteria_from_document),
}


def collects_what_the_loader_raises(validate, load, doc):
    """The collecting reader never raises; the loader raises exactly when it found problems, and the first of them."""
    result, problems = validate(doc)
    assert (result is None) == bool(problems)
    assert all(isinstance(p, IncubatorRulesError) and p.file == doc.source.file for p in problems)
    try:
        loaded = load(doc)
    except IncubatorRulesError as exc:
        assert problems and exc.message.startswith(problems[0].message) and exc.field == problems[0].field
    else:
        assert not problems and loaded == result
    return problems


def every_loader(data, file="random.yaml"):
    doc = Document(data, Source(file))
    loads_or_raises_our_error(lambda: Carrier.from_dict(data))
    for file_type in FILE_TYPES:
        check_document(doc, file_type)  # collects problems: never raises
    validate_ruleset(doc)
    validate_cases(doc)
    detect_type(data)
    for validate, load in VALIDATORS.values():
        collects_what_the_loader_raises(validate, load, doc)
    loads_or_raises_our_error(lambda: portfolio_from_dict(data, doc.source, base_dir=MARKERS))


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


def mutations(base, data, count):
    """``base`` with ``count`` random mutations applied one after another."""
    doc = base
    for _ in range(count):
        path = data.draw(st.sampled_from(list(paths(doc))))
        action = data.draw(st.sampled_from(["replace", "remove", "extra", "wrap"]))
        if action == "remove" and not path:
            action = "replace"
        value = data.draw(st.one_of(values, st.builds(deeply_nested, st.integers(1, 400))))
        key = data.draw(st.sampled_from(["unexpected_key", "type", "$schema", "targets", "rules", "levels", "any_of", "carriers"]))
        doc = mutate(doc, path, action, value, key)
    return doc


@settings(SETTINGS, max_examples=300)
@given(st.sampled_from([*POLICY_FILES, "portfolio"]), st.integers(1, 3), st.data())
def test_mutated_policy_files_and_portfolios_load_or_raise_our_error(name, count, data):
    base = PORTFOLIO if name == "portfolio" else POLICY[name]
    every_loader(mutations(base, data, count))


def test_separate_problems_are_reported_together():
    data = deepcopy(POLICY["upgrade-criteria"])
    data["levels"][0]["criteria"][2]["at_least"] = "ten thousand"
    data["levels"][1]["kinds"] = ["makerspace"]
    data["levels"][2]["criteria"][0]["operating"] = {"months": 0}
    data["levels"][3]["colour"] = "red"
    del data["levels"][4]["clause"]
    _, problems = validate_criteria(Document(data, Source("c.yaml")))
    assert [p.field for p in problems] == [
        "levels[0].criteria[2].at_least", "levels[1].kinds[0]", "levels[2].criteria[0].operating",
        "levels[3].colour", "levels[4].clause",
    ]


def replaced(data, path, value):
    """A deep copy of ``data`` with the value at ``path`` replaced (numbers stay numbers)."""
    copy = deepcopy(data)
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return copy


@pytest.mark.parametrize("validate, base, path, value, field", [
    (validate_targets, "wanzhou-2023-targets", ("targets", 0, "required"), Decimal("1e999999999"), "targets[0].required"),
    (validate_targets, "wanzhou-2023-targets", ("targets", 7, "required"), 10**400, "targets[7].required"),
    (validate_targets, "wanzhou-2023-targets", ("area_tables", 0, "rows", 0, 2), Decimal("-1e999999"), "area_tables[0].rows[0][2]"),
    (validate_targets, "jiangbei-2022-targets", ("selectors", "large-carrier", "any_of", 0, "at_least", "floor_area_m2", "value"),
     Decimal("1e-999999999"), "selectors.large-carrier.any_of[0].at_least.floor_area_m2.value"),
    (validate_criteria, "upgrade-criteria", ("levels", 0, "criteria", 2, "at_least"), Decimal("9e999999"), "levels[0].criteria[2].at_least"),
    (validate_criteria, "upgrade-criteria", ("levels", 0, "criteria", 1, "statistics_years"), 10**100, "levels[0].criteria[1].statistics_years"),
    (validate_management, "chongqing-dynamic-management", ("rules", 0, "reassess_within", "months"), 10**100, "rules[0].reassess_within.months"),
])
def test_huge_and_tiny_numbers_in_policy_files_are_refused_quickly(validate, base, path, value, field):
    started = datetime.datetime.now()
    _, problems = validate(Document(replaced(POLICY[base], path, value), Source("x.yaml")))
    assert datetime.datetime.now() - started < datetime.timedelta(seconds=2)
    assert [p.field for p in problems] == [field]


def test_deeply_nested_alternatives_are_refused():
    data = deepcopy(POLICY["jiangbei-2022-targets"])
    selector = {"kinds": ["incubator"]}
    for _ in range(2000):
        selector = {"any_of": [selector]}
    data["selectors"]["large-carrier"] = selector
    result, problems = validate_targets(Document(data, Source("x.yaml")))
    assert result is None and "nested at most" in problems[0].message


# CSV snapshots, as spreadsheets export them: any text, any encoding, any size of number.

METRIC_HEADERS = [*METRICS, *(m.label_zh for m in METRICS.values())]
plain_numbers = st.one_of(st.integers(0, 10**7).map(str), st.decimals(0, 10**6, places=2).map(str), st.just(""))
odd_numbers = st.one_of(
    st.sampled_from(["1,200", "1,200.5", "12,00", "-5", "1e5", "NaN", "Infinity", " ", "１２３", "٣", "9" * 5000, "9" * 40,
                     "1" + "0" * 15, "999,999,999,999,999", "0." + "0" * 30 + "1", "\x00", '"', "a\nb", "\ufeff"]),
    st.integers(-(10**20), 10**20).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=8),
)
numbers = st.one_of(*[plain_numbers] * 8, odd_numbers)
ids = st.sampled_from(["wz-01", "wz-02"] * 6 + ["nobody", "", " wz-01 "])
dates = st.one_of(*[st.sampled_from(["2023-12-31", "2024-12-31"])] * 6, st.dates().map(str),
                  st.sampled_from(["2023-02-30", "31/12/2023", "", "2024-12-31T00:00", "2024-1-1"]))


@st.composite
def csv_texts(draw):
    """Mostly well-formed exports (so that cells are read), with odd headers, cells, rows and marks."""
    header = ["carrier_id", "date", *draw(st.lists(st.sampled_from(METRIC_HEADERS), unique=True, max_size=6))]
    if draw(st.integers(0, 5)) == 0:  # now and then a header a bureau might really type
        header.insert(draw(st.integers(0, len(header))), draw(st.sampled_from(["载体编号", "日期", "unknown", "", "date", *METRICS])))
    rows = []
    for _ in range(draw(st.integers(0, 5))):
        row = [draw(ids), draw(dates), *(draw(numbers) for _ in header[2:])]
        if draw(st.integers(0, 6)) == 0:
            row = row[:-1] if draw(st.booleans()) else row + [draw(numbers)]
        rows.append(row)
    quote = lambda c: '"' + c.replace('"', '""') + '"' if any(ch in c for ch in ',"\n\r') else c
    text = "\n".join(",".join(quote(c) for c in row) for row in [header, *rows])
    return draw(st.sampled_from(["", "", "", "\ufeff", "\ufeff\ufeff"])) + text + draw(st.sampled_from(["", "\n", "\r\n", "\n\n"]))


ENCODINGS = ["utf-8"] * 6 + ["utf-8-sig"] * 3 + ["utf-16", "utf-16-le", "gbk", "gb18030", "big5", "latin-1", "cp1252"]
junk = st.one_of(st.just(b""), st.just(b""), st.just(b""), st.binary(max_size=8))
MINI_PORTFOLIO = """id: p
name: P
snapshots_csv: snaps.csv
carriers:
  - {id: wz-01, name: A, kind: incubator, events: [{type: accredited, date: 2020-01-01, level: district}]}
  - {id: wz-02, name: B, kind: maker_space}
"""


@settings(SETTINGS, max_examples=300)
@given(st.one_of(csv_texts(), csv_texts(), st.text(max_size=200)), st.sampled_from(ENCODINGS), junk)
def test_random_csv_snapshots_load_or_raise_our_error(text, encoding, junk):
    folder = Path(tempfile.mkdtemp(dir=MARKERS))
    csv_path = folder / "snaps.csv"
    csv_path.write_bytes(text.encode(encoding, errors="replace") + junk)
    (folder / "p.yaml").write_text(MINI_PORTFOLIO, encoding="utf-8")
    for load in (lambda: read_snapshots_csv(csv_path), lambda: load_portfolio(folder / "p.yaml")):
        try:
            load()
        except IncubatorRulesError as exc:
            assert exc.file is not None and exc.line is not None or "snaps.csv" in str(exc)
    for f in (csv_path, folder / "p.yaml"):
        f.unlink()
    folder.rmdir()


def test_odd_csv_files_get_a_clear_error(tmp_path):
    text = "carrier_id,date,载体面积(平方米)\nwz-01,2024-12-31,1200\n"
    for encoding, words in [("gbk", "not UTF-8 text"), ("utf-16", "looks like UTF-16")]:
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        with pytest.raises(IncubatorRulesError, match=words):
            read_snapshots_csv(path)
    with pytest.raises(IncubatorRulesError, match="no such file"):
        read_snapshots_csv(tmp_path)  # a directory
    path = tmp_path / "huge.csv"
    path.write_text("carrier_id,date,floor_area_m2\nwz-01,2024-12-31," + "9" * 5000 + "\n", encoding="utf-8-sig")
    with pytest.raises(IncubatorRulesError, match="expected a non-negative number") as err:
        read_snapshots_csv(path)
    assert (err.value.line, err.value.field, len(str(err.value)) < 300) == (2, "floor_area_m2", True)
    path.write_text('carrier_id,date,floor_area_m2\nwz-01,2024-12-31,"9' + ',999' * 6 + '"\n', encoding="utf-8-sig")
    with pytest.raises(IncubatorRulesError, match="implausibly large"):
        read_snapshots_csv(path)


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
@given(st.sampled_from(sorted(TEXTS)), st.data(), st.sampled_from(DANGEROUS), st.sampled_from(["key", "value", "line"]))
def test_yaml_tags_and_tricks_never_run_code(name, data, snippet, where):
    lines = TEXTS[name].split("\n")
    line_no = data.draw(st.integers(0, len(lines) - 1))
    marker = MARKERS / f"ran-{name}-{line_no}-{abs(hash(snippet))}"
    snippet = snippet.format(marker=marker)
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
        for validate, _ in VALIDATORS.values():  # parsed from text, every problem has its line
            assert all(p.line is not None for p in validate(doc)[1])
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


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_or_a_directory_named_as_a_data_file_is_refused_not_read(tmp_path):
    from incubator_rules.files.targets import load_targets

    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)  # reading it would wait forever for a writer
    for path in (pipe, tmp_path):
        with pytest.raises(IncubatorRulesError, match="not a regular file"):
            read_document(path)
        with pytest.raises(IncubatorRulesError, match="not a regular file"):
            load_targets(path)
        assert not check_file(path).readable
        with pytest.raises(IncubatorRulesError, match="no such file"):
            read_snapshots_csv(path)
    (tmp_path / "p.yaml").write_text(MINI_PORTFOLIO.replace("snaps.csv", "pipe.yaml"), encoding="utf-8")
    with pytest.raises(IncubatorRulesError, match="snapshots file") as err:
        load_portfolio(tmp_path / "p.yaml")
    assert (err.value.field, err.value.line) == ("snapshots_csv", 3)


def test_the_largest_file_read_whole_is_set_by_one_environment_variable(tmp_path, monkeypatch):
    """128 MB by default (100,000 carriers are about 95 MB); ``INCUBATOR_RULES_MAX_FILE_MB`` raises or lowers it
    for YAML, JSON and CSV alike, and a refusal says how; a value that is not a number of megabytes is refused
    naming the variable."""
    from incubator_rules import documents

    carrier = {"id": "c1", "name": "一号", "kind": "incubator", "events": [{"type": "operation_started", "date": "2020-01-01"}]}
    big = tmp_path / "c.json"
    big.write_text(json.dumps(carrier, ensure_ascii=False) + " " * (2 * 1024 * 1024), encoding="utf-8")
    snapshots = tmp_path / "s.csv"
    snapshots.write_text("carrier_id,date,floor_area_m2\n" + "c1,2024-01-01,100\n" * 150_000, encoding="utf-8")
    monkeypatch.delenv(documents.MAX_FILE_VARIABLE, raising=False)
    assert documents.max_file_bytes() == 128 * 1024 * 1024
    assert ir.load_carrier(big).id == "c1"
    monkeypatch.setenv(documents.MAX_FILE_VARIABLE, "1")
    for load in (ir.load_carrier, ir.load_carriers):
        with pytest.raises(ir.IncubatorRulesError, match="larger than 1 MB .set INCUBATOR_RULES_MAX_FILE_MB"):
            load(big)
    with pytest.raises(ir.IncubatorRulesError, match="larger than 1 MB"):
        read_snapshots_csv(snapshots)
    monkeypatch.setenv(documents.MAX_FILE_VARIABLE, "3")
    assert ir.load_carrier(big).id == "c1"
    for bad in ("0", "-5", "lots", "1.5"):
        monkeypatch.setenv(documents.MAX_FILE_VARIABLE, bad)
        with pytest.raises(ir.IncubatorRulesError, match="whole number of megabytes") as caught:
            ir.load_carrier(big)
        assert caught.value.field == documents.MAX_FILE_VARIABLE
