"""Portfolios in every format: JSON Lines (streamed), CSV tables, YAML and JSON, converted without loss."""

import datetime
import io
import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import incubator_rules as ir
from incubator_rules import progress
from incubator_rules.model.portfolio import Portfolio
from incubator_rules.progress import Progress
from incubator_rules.tools.synthetic import generate_portfolio

from portfolio_strategies import portfolios
from strategies import carriers as histories_carriers

ROOT = Path(__file__).resolve().parent.parent
AS_OF = datetime.date(2025, 6, 30)


def facts_carrier(cid: str) -> ir.Carrier:
    """A carrier with static facts (one a fraction), fact events and payments: what a lossy format would drop."""
    return ir.Carrier.from_dict({
        "id": cid, "name": "有事实的载体", "kind": "incubator", "area": "龙都街道",
        "facts": {"floor_area_m2": Decimal("1234.5"), "operator_type": "1e5", "completed_on": "2020-02-29",
                  "park_level": "municipal"},
        "events": [
            {"id": "t1", "type": "tenancy", "date": "2023-01-01", "firm": "甲公司", "from": "2023-01-01",
             "to": "2024-01-01", "area_m2": Decimal("80.25"), "tech_firm": True, "paid_in_capital_yuan": 500000},
            {"id": "a1", "type": "accredited", "date": "2023-03-01", "level": "district"},
            {"id": "p1", "type": "payment_received", "date": "2023-09-01", "level": "district", "amount": 100000,
             "award": "construction_subsidy", "settles": "a1", "voucher": "V-1"},
            {"id": "s1", "type": "spending", "date": "2023-12-01", "amount": 30000, "category": "training",
             "recognised": False},
        ],
    })


@st.composite
def rich_portfolios(draw):
    """A generated portfolio (snapshots, designations) with generated histories (payments) and facts."""
    base = draw(portfolios(max_carriers=3))
    extra = [attrs_id(c, f"h{i}") for i, c in enumerate(draw(st.lists(histories_carriers(), max_size=2)))]
    if draw(st.booleans()):
        extra.append(facts_carrier("f0"))
    district = draw(st.sampled_from([None, "万州区"]))
    return Portfolio(base.id, draw(st.sampled_from(["generated", "组合 名称"])), district,
                     base.carriers + tuple(extra), base.snapshots, base.designations)


def attrs_id(c: ir.Carrier, cid: str) -> ir.Carrier:
    return ir.Carrier.from_dict({**c.to_dict(), "id": cid})


FORMATS = ["p.yaml", "p.json", "p.jsonl", "tables/"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rich_portfolios(), st.sampled_from(FORMATS), st.sampled_from(FORMATS))
def test_every_conversion_reads_back_the_same_portfolio(tmp_path_factory, portfolio, first, second):
    folder = tmp_path_factory.mktemp("convert")
    start = folder / "start.jsonl"
    ir.save_portfolio(portfolio, start)
    middle, end = folder / ("a-" + first), folder / ("b-" + second)
    assert ir.convert(start, middle) == len(portfolio.carriers)
    assert ir.load_portfolio(middle) == portfolio
    ir.convert(middle, end)
    assert ir.load_portfolio(end) == portfolio


def test_facts_and_payments_survive_every_format(tmp_path):
    portfolio = Portfolio("f", "facts", None, (facts_carrier("f1"),))
    ir.save_portfolio(portfolio, tmp_path / "p.yaml")
    for target in ("p.json", "p.jsonl", "tables/"):
        ir.convert(tmp_path / "p.yaml", tmp_path / target)
        assert ir.load_portfolio(tmp_path / target) == portfolio, target
    assert ir.load_portfolio(tmp_path / "p.yaml").carriers[0].fact("operator_type") == "1e5"  # text, not a number


def test_to_dict_keeps_facts_typed_and_exact_so_every_writer_reads_back_the_same_carrier(tmp_path):
    """A fact with a fraction is a Decimal in ``to_dict`` (not its text), so plain data and ``save_carriers``
    YAML read back the carrier they came from; the digest keeps its definition."""
    carrier = facts_carrier("f1")
    data = carrier.to_dict()
    assert data["facts"]["floor_area_m2"] == Decimal("1234.5") and isinstance(data["facts"]["floor_area_m2"], Decimal)
    assert ir.Carrier.from_dict(data) == carrier
    ir.save_carriers(tmp_path / "s.yaml", [carrier], id="s", name="s", comment="two lines\nof comment")
    text = (tmp_path / "s.yaml").read_text(encoding="utf-8")
    assert text.startswith("# two lines\n# of comment\nid: ") and ir.load_carriers(tmp_path / "s.yaml") == [carrier]
    assert carrier.digest == "aaea88f71d94bf307c2e56ef443339e6837ce320c1d0ccf5f08e612b09c543ab"  # as before Decimals were kept


# --- JSON Lines --------------------------------------------------------------------


def _jsonl(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


CARRIER = '{"id": "c1", "name": "one", "kind": "maker_space", "events": [{"type": "filed", "date": "2023-01-05", "level": "district"}]}'
HEADER = '{"portfolio": {"id": "wz", "name": "万州", "district": "万州区"}}'


def test_a_header_line_names_the_portfolio_and_blank_lines_are_skipped(tmp_path):
    path = _jsonl(tmp_path / "p.jsonl", HEADER, "", CARRIER, CARRIER.replace('"c1"', '"c2"'))
    portfolio = ir.load_portfolio(path)
    assert (portfolio.id, portfolio.name, portfolio.district) == ("wz", "万州", "万州区")
    assert [c.id for c in ir.iter_carriers(path)] == ["c1", "c2"]
    headless = _jsonl(tmp_path / "district-7.jsonl", CARRIER)
    assert (ir.load_portfolio(headless).id, ir.load_carriers(headless)[0].id) == ("district-7", "c1")


def test_a_utf8_byte_order_mark_is_tolerated(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + "\n" + CARRIER + "\n").encode("utf-8"))
    assert ir.load_portfolio(path).id == "wz"


@pytest.mark.parametrize("lines, where, words", [
    ([HEADER, CARRIER.replace('"maker_space"', '"garage"')], ":2:", "unknown CarrierKind 'garage'"),
    ([CARRIER, '{"id": "c2", oops}'], ":2:14:", "not valid JSON"),
    ([CARRIER, CARRIER], ":2:8:", "duplicate carrier id 'c1' (also on line 1)"),
    ([CARRIER, HEADER], ":2:", "the portfolio header must be the first line"),
    ([CARRIER, "[1, 2]"], ":2:1:", "expected a carrier (a JSON object)"),
    ([CARRIER, CARRIER.replace('"c1"', '"c2"').replace('"2023-01-05"', '"2023-02-30"')], ":2:", "date"),
    (['{"portfolio": {"id": "x"}}', CARRIER], ":1:", "name: required field is missing"),
    ([CARRIER.replace('"events"', '"snapshots": [{"date": "2024-01-01"}, {"date": "2024-01-01"}], "events"')], ":1:",
     "two snapshots"),
])
def test_every_bad_line_is_named_by_file_line_and_column(tmp_path, lines, where, words):
    path = _jsonl(tmp_path / "bad.jsonl", *lines)
    with pytest.raises(ir.IncubatorRulesError) as info:
        list(ir.iter_carriers(path))
    assert str(info.value).startswith(f"{path}{where}") and words in str(info.value), str(info.value)
    result = ir.check_file(path)
    assert not result.ok and words in str(result.problems[0])


def test_check_lists_every_bad_line(tmp_path):
    path = _jsonl(tmp_path / "bad.jsonl", HEADER, CARRIER, "{", CARRIER, CARRIER.replace('"c1"', '"c2"').replace("filed", "fled"))
    problems = ir.check_file(path).problems
    assert [p.line for p in problems] == [3, 4, 5]


def test_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(CARRIER.encode() + b"\n\xff\xfe\n")
    with pytest.raises(ir.DocumentError, match=r":2:1: not UTF-8"):
        ir.load_carriers(path)


def test_a_stream_is_read_as_it_is_evaluated(tmp_path):
    path = _jsonl(tmp_path / "p.jsonl", HEADER, CARRIER, CARRIER.replace('"c1"', '"c2"'), "{broken")
    stream = ir.evaluate_many(path, as_of=AS_OF, stream=True, progress=False, chunk_size=1)
    assert next(stream).carrier_id == "c1"  # evaluated before the bad line is read
    assert next(stream).carrier_id == "c2"
    with pytest.raises(ir.DocumentError, match=":4:"):
        next(stream)


def test_the_python_api_takes_a_path_or_an_iterator(tmp_path):
    carriers = [facts_carrier("f1"), ir.Carrier.from_dict(json.loads(CARRIER))]
    path = tmp_path / "p.jsonl"
    ir.save_portfolio(carriers, path)
    held = ir.evaluate_many(carriers, as_of=AS_OF)
    assert ir.evaluate_many(path, as_of=AS_OF) == held
    assert ir.evaluate_many(iter(ir.iter_carriers(path)), as_of=AS_OF) == held
    assert ir.budget(path, as_of=AS_OF).by("year", "rule") == ir.budget(carriers, as_of=AS_OF).by("year", "rule")
    scenario = ir.Scenario("later", as_of="2026-06-30")
    assert ir.compare(path, None, scenario, as_of=AS_OF).totals() == ir.compare(carriers, None, scenario, as_of=AS_OF).totals()


def test_a_scenario_editing_a_carrier_not_in_the_stream_is_refused(tmp_path):
    path = _jsonl(tmp_path / "p.jsonl", CARRIER)
    scenario = ir.Scenario("more", edits=[ir.Edit("add", "zz", {"type": "operation_started", "date": "2020-01-01"})])
    with pytest.raises(ir.ScenarioError, match="edits carriers not in the portfolio: zz"):
        ir.compare(path, None, scenario, as_of=AS_OF)


# --- CSV tables --------------------------------------------------------------------


def _tables(folder: Path, **tables: str) -> Path:
    folder.mkdir(exist_ok=True)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_bytes(text.encode("utf-8-sig"))
    return folder


def test_a_bureau_s_tables_read_with_chinese_headings_and_a_bom(tmp_path):
    folder = _tables(
        tmp_path / "wz",
        载体="载体编号,载体名称,载体类型,所在区域\r\nA1,甲众创空间,maker_space,龙都街道\r\nA2,乙孵化器,incubator,\r\n",
        事件=("载体编号,事件编号,事件类型,日期,级别,年度,评价等次,金额(元)\r\n"
              "A1,,operation_started,2021-03-01,,,,\r\nA1,f1,filed,2022-01-10,district,,,\r\n"
              "A1,e1,evaluated,2023-03-01,district,2022,excellent,\r\n"
              "A1,p1,payment_received,2022-06-01,district,,,\"50,000\"\r\n"),
    )
    portfolio = ir.load_portfolio(folder)
    assert portfolio.id == "wz" and [c.id for c in portfolio.carriers] == ["A1", "A2"]
    a1 = portfolio.carriers[0]
    assert [e.type.value for e in a1.events] == ["operation_started", "filed", "evaluated", "payment_received"]
    assert a1.events[2].year == 2022 and a1.events[3].amount == 50000
    assert ir.load_carriers(folder / "载体.csv") == list(portfolio.carriers)  # a table names its folder too
    assert ir.evaluate_many(folder, as_of=AS_OF) == ir.evaluate_many(list(portfolio.carriers), as_of=AS_OF)


@pytest.mark.parametrize("events, where, words", [
    ("carrier_id,type,date\nA1,filed,2022-01-10\n", "events.csv:2:", "level"),
    ("carrier_id,type,date,level\nA1,filed,2022-13-10,district\n", "events.csv:2:3:", "date"),
    ("carrier_id,type,date,level\nZZ,filed,2022-01-10,district\n", "events.csv:2:1:", "unknown carrier 'ZZ'"),
    ("carrier_id,type,date,colour\n", "events.csv:1:4:", "unknown column 'colour'"),
    ('carrier_id,type,date,level\nA1,filed,"2022-01-10"x,district\n', "events.csv:2:", "not valid CSV"),
    ("carrier_id,type,date,amount,level\nA1,payment_received,2022-01-10,12.5,district\n", "events.csv:2:4:", "whole number"),
])
def test_every_bad_cell_is_named_by_file_row_and_column(tmp_path, events, where, words):
    folder = _tables(tmp_path / "t", carriers="id,name,kind\nA1,one,maker_space\n", events=events)
    with pytest.raises(ir.PortfolioError) as info:
        ir.load_portfolio(folder)
    assert str(info.value).startswith(str(folder / where)) and words in str(info.value), str(info.value)


def test_the_tables_are_a_registered_file_type_with_a_schema(tmp_path):
    from incubator_rules.files.types import FILE_TYPES, SCHEMAS_DIR
    assert {"portfolio-lines", "portfolio-tables"} <= set(FILE_TYPES)
    for name in ("portfolio-lines", "portfolio-tables"):
        assert json.loads((SCHEMAS_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))["title"]
    folder = _tables(tmp_path / "t", carriers="id,name,kind\nA1,one,maker_space\n", events="carrier_id,type,date\nA1,filed,2022-01-10\n")
    result = ir.check_file(folder / "carriers.csv")
    assert result.file_type == "portfolio-tables" and "level" in str(result.problems[0])


# --- the command line --------------------------------------------------------------


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "incubator_rules", *args], capture_output=True, text=True, cwd=cwd)


def test_convert_evaluate_many_budget_and_compare_read_json_lines(tmp_path):
    yaml_path = tmp_path / "p.yaml"
    assert cli("synthetic", "40", "-o", str(yaml_path)).returncode == 0
    done = cli("convert", str(yaml_path), str(tmp_path / "p.jsonl"))
    assert done.returncode == 0, done.stderr
    assert "40 carriers" in done.stdout
    lines = (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 41 and json.loads(lines[0])["portfolio"]["id"].startswith("synthetic")
    many = [cli("evaluate-many", str(p), "--as-of", "2025-06-30", "--no-progress") for p in (yaml_path, tmp_path / "p.jsonl")]
    assert many[0].returncode == 0 and many[0].stdout == many[1].stdout
    for command in ("budget", "compare"):
        outs = [cli(command, str(p), "--as-of", "2025-06-30", "--format", "json", "--no-progress") for p in (yaml_path, tmp_path / "p.jsonl")]
        assert outs[0].returncode == 0 and outs[0].stdout == outs[1].stdout, outs[1].stderr
    assert cli("convert", str(tmp_path / "p.jsonl"), str(tmp_path / "tables")).returncode == 0
    assert ir.load_portfolio(tmp_path / "tables") == ir.load_portfolio(yaml_path)


def test_convert_refuses_what_it_cannot_write_and_leaves_nothing(tmp_path):
    bad = _jsonl(tmp_path / "bad.jsonl", CARRIER, "{")
    done = cli("convert", str(bad), str(tmp_path / "out.yaml"))
    assert done.returncode != 0 and f"{bad}:2:" in done.stderr
    assert not (tmp_path / "out.yaml").exists() and not list(tmp_path.glob(".out.yaml*"))
    done = cli("convert", str(bad), str(tmp_path / "out.txt"))
    assert done.returncode != 0 and "cannot tell the portfolio format" in done.stderr


# --- progress ----------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_follows_the_part_of_a_stream_read(tmp_path, monkeypatch):
    portfolio = Portfolio("p", "p", None, tuple(generate_portfolio(60, seed=2)))
    path = tmp_path / "p.jsonl"
    ir.save_portfolio(portfolio, path)
    stream = ir.iter_carriers(path)
    bar = Progress(None, enabled=True, stream=io.StringIO(), share=stream.share)
    assert bar.line(1.0).startswith("evaluating [") and " 0% " in bar.line(1.0)
    list(stream)
    assert "100%" in bar.line(1.0) and stream.share() == 1.0
    shown = Terminal()
    monkeypatch.setattr(sys, "stderr", shown)
    ir.evaluate_many(path, as_of=AS_OF, progress=True)
    assert "100% 60 carriers" in shown.getvalue()


def test_progress_of_a_long_read_ticks_while_the_parser_runs():
    out = Terminal()
    with Progress(None, enabled=True, label="reading p.yaml", stream=out) as bar, bar.ticking(every=0.05):
        time.sleep(0.3)
    assert "reading p.yaml: 0 s" in out.getvalue() and out.getvalue().endswith("\n")


def test_progress_shows_in_a_terminal_or_a_notebook_and_not_in_a_pipe(monkeypatch):
    monkeypatch.setattr(progress, "AUTO_AFTER_SECONDS", 0.0)
    for stream, kernel, shown in ((Terminal(), False, True), (io.StringIO(), False, False), (io.StringIO(), True, True)):
        if kernel:
            monkeypatch.setitem(sys.modules, "ipykernel", sys)
        else:
            monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
        with Progress(5, stream=stream) as bar:
            bar.drawn_at = -1.0
            bar.update(5)
        assert ("100%" in stream.getvalue()) is shown, (kernel, type(stream))


PTY_RUN = """
import sys
from incubator_rules import progress
progress.AUTO_AFTER_SECONDS = 0.0
from incubator_rules.views.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal")
@pytest.mark.parametrize("extra, shown", [((), True), (("--no-progress",), False)])
def test_the_command_line_shows_progress_on_a_terminal_unless_asked_not_to(tmp_path, extra, shown):
    import pty

    ir.save_portfolio(Portfolio("p", "p", None, tuple(generate_portfolio(400, seed=4))), tmp_path / "p.jsonl")
    leader, follower = pty.openpty()
    done = subprocess.run([sys.executable, "-c", PTY_RUN, "convert", str(tmp_path / "p.jsonl"), str(tmp_path / "p.yaml"),
                           *extra], stdout=subprocess.PIPE, stderr=follower, cwd=ROOT, timeout=120)
    os.close(follower)
    seen = b""
    try:
        while True:
            chunk = os.read(leader, 65536)
            if not chunk:
                break
            seen += chunk
    except OSError:
        pass
    os.close(leader)
    assert done.returncode == 0
    assert (b"writing [" in seen) is shown, seen[-300:]
    piped = subprocess.run([sys.executable, "-c", PTY_RUN, "convert", str(tmp_path / "p.jsonl"), str(tmp_path / "q.yaml")],
                           capture_output=True, text=True, cwd=ROOT)
    assert piped.returncode == 0 and "writing" not in piped.stderr  # standard error is a pipe: no bar


# --- the shipped examples and their schemas ------------------------------------------


EXAMPLES = ROOT / "examples"


def test_the_shipped_json_lines_and_csv_examples_are_the_yaml_portfolio_and_match_their_schemas():
    import jsonschema

    from incubator_rules.files.tables import TABLE_FILES, read_table_rows
    from incubator_rules.files.types import SCHEMAS_DIR

    expected = ir.load_portfolio(EXAMPLES / "wanzhou-portfolio.yaml")
    assert ir.load_portfolio(EXAMPLES / "wanzhou-portfolio.jsonl") == expected
    assert ir.load_portfolio(EXAMPLES / "wanzhou-tables") == expected
    lines = jsonschema.Draft7Validator(json.loads((SCHEMAS_DIR / "portfolio-lines.schema.json").read_text(encoding="utf-8")))
    for text in (EXAMPLES / "wanzhou-portfolio.jsonl").read_text(encoding="utf-8").splitlines():
        assert not list(lines.iter_errors(json.loads(text))), text[:80]
    assert list(lines.iter_errors({"portfolio": {"id": "x"}}))  # the schema can fail: a header without its name
    tables = {}
    for key, (name, _) in TABLE_FILES.items():
        if (EXAMPLES / "wanzhou-tables" / name).is_file():
            rows = read_table_rows(EXAMPLES / "wanzhou-tables" / name)
            tables[key] = [{k: v for k, v in zip(rows[0], row) if v} for row in rows[1:]]
    schema = json.loads((SCHEMAS_DIR / "portfolio-tables.schema.json").read_text(encoding="utf-8"))
    assert not list(jsonschema.Draft7Validator(schema).iter_errors(tables))
    assert list(jsonschema.Draft7Validator(schema).iter_errors({"carriers": [{"colour": "red"}]}))
    assert ir.check_file(EXAMPLES / "wanzhou-portfolio.jsonl").ok and ir.check_file(EXAMPLES / "wanzhou-tables" / "carriers.csv").ok


def test_a_stream_on_a_pool_gives_what_it_gives_in_process(tmp_path):
    carriers = generate_portfolio(120, seed=9)
    path = tmp_path / "p.jsonl"
    ir.save_portfolio(carriers, path)
    held = ir.evaluate_many(carriers, as_of=AS_OF)
    assert ir.evaluate_many(path, as_of=AS_OF, workers=2, chunk_size=25) == held
    assert ir.budget(path, as_of=AS_OF, workers=2).by("year", "rule") == ir.budget(carriers, as_of=AS_OF).by("year", "rule")
    assert ir.compare(path, as_of=AS_OF, workers=2).totals() == ir.compare(carriers, as_of=AS_OF).totals()


def test_tables_written_over_older_tables_leave_none_of_them(tmp_path):
    rich = Portfolio("r", "rich", None, (facts_carrier("f1"),), (), ())
    richer = ir.load_portfolio(EXAMPLES / "wanzhou-portfolio.yaml")
    ir.save_portfolio(richer, tmp_path / "t/")
    ir.save_portfolio(rich, tmp_path / "t/")  # no snapshots, no designations this time
    assert ir.load_portfolio(tmp_path / "t") == rich


def test_a_line_separator_inside_a_string_does_not_split_the_line(tmp_path):
    name = "甲\u2028乙 incubator"
    path = _jsonl(tmp_path / "p.jsonl", CARRIER.replace('"one"', json.dumps(name, ensure_ascii=False)))
    assert [c.name for c in ir.iter_carriers(path)] == [name]


def test_a_carrier_id_repeated_across_partitions_is_refused(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    _jsonl(folder / "a.jsonl", CARRIER)
    _jsonl(folder / "b.jsonl", CARRIER.replace('"c1"', '"c2"'), CARRIER)
    with pytest.raises(ir.CarrierError, match=r"b\.jsonl: id: carrier id 'c1' is also in a\.jsonl"):
        list(ir.iter_carriers(folder))


def test_the_set_of_ids_seen_keeps_digests_and_a_shared_digest_is_confirmed_from_the_file(tmp_path, monkeypatch):
    from incubator_rules.files import portfolio_lines
    from incubator_rules.files.portfolio_lines import IdSet

    path = _jsonl(tmp_path / "p.jsonl", CARRIER, CARRIER.replace('"c1"', '"c2"'))
    monkeypatch.setattr(IdSet, "add", lambda self, cid: cid != "c2")  # as if c2's digest were c1's
    assert [c.id for c in ir.iter_carriers(path)] == ["c1", "c2"]  # the file says c2 is new
    monkeypatch.undo()
    assert portfolio_lines.line_of_id(path, "c2") == 2

    seen = IdSet()
    ids = [f"wz-{i:06d}" for i in range(50_000)]
    assert all(seen.add(i) for i in ids) and not any(seen.add(i) for i in ids[::97])
    assert len(seen._slots) * 8 <= 32 * len(ids)  # a few bytes an id, not the ids themselves


def _collections(action) -> list[int]:
    """The generations of the collections the cycle collector starts while ``action`` runs."""
    import gc

    started: list[int] = []

    def count(phase, info):
        if phase == "start":
            started.append(info["generation"])

    gc.callbacks.append(count)
    try:
        action()
    finally:
        gc.callbacks.remove(count)
    return started


def test_a_portfolio_is_turned_into_carriers_with_the_cycle_collector_paused(tmp_path, monkeypatch):
    """Carriers make no reference cycles: loading a file whole runs no collection while it builds them (each
    would rescan all that is held so far), and leaves the collector as it found it."""
    import contextlib
    import gc

    from incubator_rules import collector
    from incubator_rules.tools.synthetic import generate_portfolio

    path = tmp_path / "p.json"  # enough carriers that, unpaused, the objects they keep start many collections
    ir.save_portfolio(ir.Portfolio("p", "p", None, tuple(generate_portfolio(800, seed=3))), path)

    def loads() -> None:
        assert len(ir.load_carriers(path)) == 800
        assert len(ir.load_portfolio(path).carriers) == 800

    assert len(_collections(loads)) <= 2 and gc.isenabled()
    monkeypatch.setattr(collector, "_PAUSE", contextlib.nullcontext())
    assert len(_collections(loads)) > 10


def test_what_a_whole_load_built_is_not_scanned_at_once_when_it_is_done(tmp_path):
    """What a load builds is kept: on leaving the pause it moves to the oldest generation rather than being
    scanned by the young collection resuming would start; objects the process froze itself stay frozen."""
    import gc

    from incubator_rules.tools.synthetic import generate_portfolio

    path = tmp_path / "p.json"
    ir.save_portfolio(ir.Portfolio("p", "p", None, tuple(generate_portfolio(300, seed=3))), path)
    held: list = []

    def load_then_allocate() -> None:
        held.append(ir.load_carriers(path))
        held.append([[] for _ in range(gc.get_threshold()[0] // 2)])  # allocations after the load: no collection owed

    gc.collect()
    assert _collections(load_then_allocate) == [] and gc.isenabled()
    assert len(held[0]) == 300 and gc.is_tracked(held[0][0]) and gc.get_freeze_count() == 0
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        ir.load_carriers(path)
        assert gc.get_freeze_count() == frozen  # not released by the load
    finally:
        gc.unfreeze()
