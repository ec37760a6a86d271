"""Hostile input campaign 2: the synthetic command's formats, readings, the HTTP service, JSON Lines
portfolios and CSV tables.

Each test holds one class of what was found; the inputs that found it are in its parameters. Every input
either works or gets a typed error naming its field, file and line; none gives a traceback, a silent
reinterpretation, or a half-written file.
"""

from __future__ import annotations

import csv
import json
import os
import shlex
from pathlib import Path

import pytest

import incubator_rules as ir
from incubator_rules.tools.synthetic import generate_portfolio
from incubator_rules.views.cli import main
from incubator_rules.views.cli_common import parse_readings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
Q6 = EXAMPLES / "q6-maker-space.yaml"


def refused(capsys: pytest.CaptureFixture[str], argv: list[str], code: int = 2) -> str:
    """Standard error of a command that must fail with ``code`` and no traceback."""
    assert main(argv) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


# --- synthetic -o: the format the name says -------------------------------------------------


@pytest.mark.parametrize("name, head", [
    ("s.jsonl", '{"portfolio":'), ("s.NDJSON", '{"portfolio":'), ("s.json", '{"id":'),
    ("s.yml", "# A synthetic district"), ("s.yaml", "# A synthetic district"),
])
def test_synthetic_writes_the_format_its_output_name_says(tmp_path, capsys, name, head):
    out = tmp_path / name
    assert main(["synthetic", "4", "--seed", "3", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith(head)
    assert ir.load_carriers(out) == generate_portfolio(4, "3")
    capsys.readouterr()
    assert main(["evaluate-many", str(out), "--as-of", "2026-06-30", "-o", str(tmp_path / "e.jsonl")]) == 0


@pytest.mark.parametrize("name", ["tables", "tables/"])
def test_synthetic_writes_csv_tables_to_a_folder_name(tmp_path, name):
    assert main(["synthetic", "4", "--seed", "3", "-o", str(tmp_path / name), "--district", "D"]) == 0
    folder = tmp_path / "tables"
    assert (folder / "carriers.csv").is_file() and (folder / "events.csv").is_file()
    portfolio = ir.load_portfolio(folder)
    assert list(portfolio.carriers) == generate_portfolio(4, "3")
    assert (portfolio.id, portfolio.district) == ("synthetic-3", "D")


@pytest.mark.parametrize("name", ["s.txt", "s.csv", "s.yaml.bak", "s.xml"])
def test_synthetic_refuses_an_output_name_of_no_known_format(tmp_path, capsys, name):
    err = refused(capsys, ["synthetic", "3", "-o", str(tmp_path / name)])
    assert "--output: cannot tell the portfolio format" in err and ".jsonl" in err and ".xlsx" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("command", [["synthetic", "2", "-o"], ["convert", str(EXAMPLES / "wanzhou-portfolio.yaml")]])
def test_a_folder_name_that_is_a_fifo_or_a_dangling_link_is_refused_saying_what_it_is(tmp_path, capsys, command):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    assert "fifo': it is a FIFO, not a folder" in refused(capsys, [*command, str(tmp_path / "fifo")])
    assert "link': it is a broken symbolic link, not a folder" in refused(capsys, [*command, str(tmp_path / "link")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo", "link"]


@pytest.mark.parametrize("option, value, words", [
    ("--id", "a\x07", "--id: character U+0007"), ("--name", "x\x1b[31m", "--name: character U+001B"),
    ("--district", "", "--district: expected a non-empty string"), ("--prefix", "p\x00", "--prefix: character U+0000"),
])
def test_synthetic_refuses_header_values_its_file_could_not_be_read_back_with(tmp_path, capsys, option, value, words):
    # the file was written, and then refused by every command that read it
    for name in ("s.yaml", "s.jsonl"):
        assert words in refused(capsys, ["synthetic", "2", option, value, "-o", str(tmp_path / name)])
    assert list(tmp_path.iterdir()) == []


def test_the_command_in_a_synthetic_file_s_comment_makes_the_same_file_again(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = ["synthetic", "3", "--seed", "a b", "--prefix", "p$", "-o", "o d.yaml", "--name", "it's", "--district", "万州区"]
    assert main(argv) == 0
    first = Path("o d.yaml").read_text(encoding="utf-8")
    command = first.splitlines()[1].removeprefix("#   incubator-rules ")
    assert shlex.split(command) == argv
    Path("o d.yaml").unlink()
    assert main(shlex.split(command)) == 0 and Path("o d.yaml").read_text(encoding="utf-8") == first


# --- --reading NAME=VALUE ---------------------------------------------------------------------


@pytest.mark.parametrize("pair", [" =x", "  = x", "x= ", "=", " = ", "noequals", "\t=v"])
def test_a_reading_with_a_blank_name_or_value_is_refused(capsys, pair):
    with pytest.raises(ir.IncubatorRulesError, match="expected NAME=VALUE") as caught:
        parse_readings([pair])
    assert caught.value.field == "--reading"
    err = refused(capsys, ["evaluate", str(Q6), "--as-of", "2026-06-30", "--reading", pair])
    assert "--reading: expected NAME=VALUE" in err


def test_a_reading_given_twice_must_agree():
    assert parse_readings([" a = x ", "a=x", "b=y"]) == {"a": "x", "b": "y"}
    with pytest.raises(ir.IncubatorRulesError, match="'a' is given twice, as 'x' and as 'y'") as caught:
        parse_readings(["a=x", " a =y"])
    assert caught.value.field == "--reading"


def test_a_reading_given_twice_differently_is_refused_on_the_command_line(capsys):
    err = refused(capsys, ["evaluate", str(Q6), "--as-of", "2026-06-30",
                           "--reading", "year_counted_from=a", "--reading", "year_counted_from=b"])
    assert "--reading: 'year_counted_from' is given twice" in err


# --- the HTTP service -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client():
    pytest.importorskip("fastapi")
    testclient = pytest.importorskip("starlette.testclient")
    from incubator_rules.views.service import ServiceConfig, create_app

    with testclient.TestClient(create_app(ServiceConfig()), raise_server_exceptions=False) as c:
        yield c


def q6() -> dict:
    return json.loads(ir.load_carrier(Q6).to_json())


def problem_of(response, status: int, error: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert "Traceback" not in response.text and (error is None or body["error"] == error)
    return body


JSON_BODIES = {
    "/evaluate": lambda: {"carrier": q6(), "as_of": "2026-06-30"},
    "/compare": lambda: {"portfolio": [q6()]},
    "/reconcile": lambda: {"portfolio": [q6()], "as_of": "2026-06-30"},
    "/assess": lambda: {"portfolio": {"id": "p", "name": "p", "carriers": [q6()]}, "targets": "wanzhou-2023-targets"},
}


@pytest.mark.parametrize("path", [*JSON_BODIES, "/evaluate-many"])
@pytest.mark.parametrize("ctype, words", [
    ("text/plain", "got 'text/plain'"),
    ("application/x-www-form-urlencoded", "got 'application/x-www-form-urlencoded'"),
    ("multipart/form-data; boundary=x", "got 'multipart/form-data'"),
    ("application/json; charset=latin-1", "not as charset 'latin-1'"),
    ('application/json; charset="utf-16"', "not as charset 'utf-16'"),
])
def test_a_body_of_another_media_type_or_charset_is_refused_naming_the_header(client, path, ctype, words):
    # a form or text/plain body was read as JSON (and a charset other than UTF-8 was read as UTF-8) by every
    # endpoint but /evaluate-many, which took any charset
    data = JSON_BODIES[path]() if path in JSON_BODIES else [q6()]
    body = problem_of(client.post(path, content=json.dumps(data).encode(), headers={"content-type": ctype}), 415,
                      "UnsupportedMediaTypeError")
    assert body["field"] == "Content-Type" and words in body["message"]


@pytest.mark.parametrize("path", JSON_BODIES)
def test_json_with_a_utf8_charset_or_no_content_type_is_read(client, path):
    data = json.dumps(JSON_BODIES[path]()).encode()
    for headers in ({"content-type": "Application/JSON; Charset=UTF-8"}, {"content-type": "application/json;charset=utf8"}, {}):
        response = client.post(path, content=data, headers=headers)
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("path, params, unknown", [
    ("/evaluate-many", {"asof": "2020-01-01"}, "asof"),
    ("/evaluate-many", {"as_of": "2026-06-30", "readings": "year_counted_from=operation_start"}, "readings"),
    ("/evaluate", {"as_of": "2020-01-01"}, "as_of"),
    ("/compare", {"ruleset": "wanzhou-2023"}, "ruleset"),
])
def test_an_unknown_query_parameter_is_refused_not_ignored(client, path, params, unknown):
    # ?asof=2020-01-01 (for as_of) evaluated as of today, without a word
    data = JSON_BODIES[path]() if path in JSON_BODIES else [q6()]
    body = problem_of(client.post(path, json=data, params=params), 422, "RequestError")
    assert body["field"] == unknown and "unknown query parameter" in body["message"]


def test_a_reading_given_twice_in_the_query_must_agree(client):
    chosen = [("reading", "year_counted_from=operation_start"), ("reading", " year_counted_from = operation_start ")]
    assert client.post("/evaluate-many", json=[q6()], params=[*chosen, ("as_of", "2026-06-30")]).status_code == 200
    body = problem_of(client.post("/evaluate-many", json=[q6()],
                                  params=[chosen[0], ("reading", "year_counted_from=accreditation_date")]), 422, "RequestError")
    assert body["field"] == "reading" and "'year_counted_from' is given twice" in body["message"]


@pytest.mark.parametrize("path, data, field, also", [
    ("/evaluate-many", lambda: [q6(), q6()], "[1].id", "[0]"),
    ("/compare", lambda: {"portfolio": [q6(), dict(q6(), id="b"), q6()]}, "portfolio[2].id", "portfolio[0]"),
    ("/reconcile", lambda: {"portfolio": [q6(), q6()], "as_of": "2026-06-30"}, "portfolio[1].id", "portfolio[0]"),
])
def test_a_carrier_id_repeated_in_a_json_body_is_refused_as_in_a_file(client, path, data, field, also):
    # the service evaluated both and summed them (compare: 1,000,000 yuan for one carrier of 500,000);
    # the same list in a file is refused
    text = json.dumps(data(), indent=1)
    body = problem_of(client.post(path, content=text, headers={"content-type": "application/json"}), 422, "PortfolioError")
    assert body["field"] == field and f"duplicate carrier id 'wz-ms-a' (also {also})" in body["message"]
    second = text.index('"wz-ms-a"', text.index('"wz-ms-a"') + 1)
    assert body["line"] == text[:second].count("\n") + 1


def test_a_carrier_id_repeated_in_a_json_lines_body_is_refused_naming_both_lines(client):
    line = ir.load_carrier(Q6).to_json(indent=None)
    text = '{"portfolio": {"id": "p", "name": "p"}}\n' + line + "\n\n" + line.replace('"wz-ms-a"', '"b"') + "\n" + line + "\n"
    body = problem_of(client.post("/evaluate-many", content=text, headers={"content-type": "application/x-ndjson"}),
                      422, "PortfolioError")
    assert (body["field"], body["line"]) == ("id", 5)
    assert body["message"] == "duplicate carrier id 'wz-ms-a' (also on line 2)"


# --- JSON Lines portfolios ----------------------------------------------------------------------

HEADER = '{"portfolio": {"id": "p", "name": "P"}}'


def q6_line(cid: str = "wz-ms-a") -> str:
    return ir.load_carrier(Q6).to_json(indent=None).replace('"wz-ms-a"', json.dumps(cid))


def lines_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes) -> tuple[str, str]:
    """What evaluate-many and check say of a JSON Lines file holding ``data`` (both must refuse it)."""
    path = tmp_path / "p.jsonl"
    path.write_bytes(data)
    err = refused(capsys, ["evaluate-many", str(path), "--as-of", "2026-06-30", "-o", str(tmp_path / "out.jsonl")])
    assert not (tmp_path / "out.jsonl").exists()
    assert main(["check", str(path)]) == 1  # problems found
    return err, capsys.readouterr().out


def test_a_bom_crlf_blank_lines_and_no_final_newline_are_read(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_bytes(("\ufeff" + HEADER + "\r\n\r\n" + q6_line() + "\r\n  \r\n" + q6_line("b")).encode())
    portfolio = ir.load_portfolio(path)
    assert (portfolio.id, [c.id for c in portfolio.carriers]) == ("p", ["wz-ms-a", "b"])


@pytest.mark.parametrize("text, line", [
    (HEADER + "\n\ufeff" + q6_line() + "\n", 2),  # two files joined, the second with its byte-order mark
    ("\n\ufeff" + q6_line() + "\n", 2),
    ("\ufeff\ufeff" + q6_line() + "\n", 1),
])
def test_a_byte_order_mark_inside_the_file_is_named_as_such(tmp_path, capsys, text, line):
    # it was "not valid JSON: expected a value", at a line that looks like good JSON
    err, out = lines_refused(tmp_path, capsys, text.encode())
    words = f"p.jsonl:{line}:1: a byte-order mark (U+FEFF) starts the line"
    assert words in err and words in out


@pytest.mark.parametrize("first, field, column, words", [
    ('{"portfolio": {"id": "p", "name": "P"}, "district": "D"}', "district", 53, "unknown field beside 'portfolio'"),
    ('{"portfolio": ["p", "P"]}', "portfolio", 15, "expected the portfolio's fields (an object with id and name), got a list"),
    ('{"portfolio": "p"}', "portfolio", 15, "expected the portfolio's fields (an object with id and name), got str 'p'"),
])
def test_a_malformed_header_line_is_named_as_a_header(tmp_path, capsys, first, field, column, words):
    # the first was read as a carrier ("portfolio: unknown field; expected one of: id, name, kind, ..."), the
    # others said "expected a mapping" naming no field
    err, out = lines_refused(tmp_path, capsys, (first + "\n" + q6_line() + "\n").encode())
    assert f"p.jsonl:1:{column}: {field}: {words}" in err and words in out


@pytest.mark.parametrize("prefix, byte, column", [
    (b"", 9, 9),
    ("{\"id\": \"众创".encode(), 15, 11),
    (b"\xef\xbb\xbf" + "{\"id\": \"众".encode(), 15, 10),
])
def test_a_byte_that_is_not_utf8_is_counted_from_one_and_its_column_in_characters(tmp_path, capsys, prefix, byte, column):
    # "byte 8 of the line" at column 9, and a column counted in bytes past Chinese text or a byte-order mark
    data = (prefix or b'{"id": "') + b'\xff", "name": "n", "kind": "maker_space"}\n'
    err, out = lines_refused(tmp_path, capsys, data)
    assert f"p.jsonl:1:{column}: not UTF-8 text (byte {byte} of the line)" in err


def test_a_line_s_limit_is_the_one_setting_for_files_read_whole(tmp_path, capsys, monkeypatch):
    # the limit of one line was fixed at 128 MB, whatever INCUBATOR_RULES_MAX_FILE_MB said (docs/reliability.md)
    long_line = q6_line().replace("A众创空间", "A" * (1024 * 1024))
    path = tmp_path / "p.jsonl"
    path.write_text(HEADER + "\n" + q6_line("b") + "\n" + long_line + "\n", encoding="utf-8")
    assert len(ir.load_portfolio(path).carriers) == 2
    monkeypatch.setenv("INCUBATOR_RULES_MAX_FILE_MB", "1")
    err, out = lines_refused(tmp_path, capsys, path.read_bytes())
    assert "p.jsonl:3: a line larger than 1 MB (set INCUBATOR_RULES_MAX_FILE_MB to read larger files)" in err
    assert "p.jsonl:3: a line larger than 1 MB" in out


# --- CSV tables -----------------------------------------------------------------------------------


@pytest.fixture()
def tables(tmp_path):
    folder = tmp_path / "t"
    assert main(["synthetic", "3", "--seed", "1", "-o", str(folder)]) == 0
    return folder


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("table", ["events.csv", "事件.csv", "payments.csv", "carriers.csv"])
@pytest.mark.parametrize("make, what", [
    (lambda p: p.symlink_to(p.parent / "gone.csv"), "a broken symbolic link"),
    (os.mkfifo, "a FIFO"),
    (lambda p: p.mkdir(), "a folder"),
])
def test_a_table_that_is_not_a_file_is_an_error_not_an_empty_table(tables, capsys, table, make, what):
    # a broken link, a FIFO or a folder named events.csv was skipped: every carrier evaluated without its events
    english = {"事件.csv": "events.csv"}.get(table, table)
    (tables / english).unlink()
    make(tables / table)
    err = refused(capsys, ["evaluate-many", str(tables), "--as-of", "2026-06-30"])
    assert f"{table}: {table} is {what}, not a CSV file; the {english[:-4]} table cannot be read" in err
    with pytest.raises(ir.PortfolioError, match=f"{table} is {what}"):
        ir.load_portfolio(tables)


def _events(folder: Path) -> list[list[str]]:
    with open(folder / "events.csv", encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


@pytest.mark.parametrize("edit, words", [
    (lambda rows: [[c for i, c in enumerate(r) if i != 2] for r in rows], "events.csv:1:1: header: missing column 'type'"),
    (lambda rows: [r + (["colour"] if i == 0 else ["red"]) for i, r in enumerate(rows)], "header: unknown column 'colour'"),
    (lambda rows: [r + (["日期"] if i == 0 else ["2020-01-01"]) for i, r in enumerate(rows)], "header: column 'date' appears twice"),
    (lambda rows: rows[:2] + [rows[2] + ["x"]], "events.csv:3:35: header: a value in a column without a header"),
    (lambda rows: [rows[0], ["wz-000001", "x", "operation_started", "44927"]], "events.csv:2:4: date: expected a date as YYYY-MM-DD, got '44927'"),
    (lambda rows: [rows[0], ["wz-000001", "x", "operation_started", "2023/1/1"]], "got '2023/1/1'"),
    (lambda rows: [rows[0], ["wz-000001", "x", "payment_received", "2024-01-01", "district", "", "12.50"]],
     "events.csv:2:7: amount: expected a whole number of yuan, got 12.50"),
    (lambda rows: [], "events.csv:1:1: empty sheet; expected a header row"),
])
def test_csv_events_tables_refuse_what_they_cannot_hold_naming_file_row_and_column(tables, capsys, edit, words):
    rows = edit(_events(tables))
    (tables / "events.csv").write_text("\ufeff" + "".join(",".join(r) + "\r\n" for r in rows), encoding="utf-8")
    assert words in refused(capsys, ["evaluate-many", str(tables), "--as-of", "2026-06-30"])


def test_csv_events_with_lf_a_header_only_and_thousands_separators_are_read(tables):
    rows = _events(tables)
    (tables / "events.csv").write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    assert ir.load_portfolio(tables).carriers == tuple(generate_portfolio(3, "1"))
    paid = rows[:1] + [["wz-000001", "p", "payment_received", "2024-01-01", "district", "", '"50,000"']]
    (tables / "events.csv").write_text("\n".join(",".join(r) for r in paid) + "\n", encoding="utf-8")
    assert [e.amount for e in ir.load_portfolio(tables).carriers[0].events] == [50_000]
    (tables / "events.csv").write_text(",".join(rows[0]) + "\r\n", encoding="utf-8")
    assert all(not c.events for c in ir.load_portfolio(tables).carriers)


@pytest.mark.parametrize("params, field, words", [
    ([("as_of", "2026-06-30"), ("as_of", "2020-01-01")], "as_of", "given twice"),
    ([("engine", "native"), ("engine", "durable")], "engine", "given twice"),
    ([("ruleset", "")], "ruleset", "is not a policy file id"),
])
def test_a_query_parameter_given_twice_or_empty_is_refused_not_one_of_them_ignored(client, params, field, words):
    # the later as_of won, and ruleset= (empty) evaluated under the default ruleset
    body = problem_of(client.post("/evaluate-many", json=[q6()], params=params), 422)
    assert body["field"] == field and words in body["message"]


def test_a_reading_with_an_empty_name_is_placed_at_its_field(client):
    body = problem_of(client.post("/evaluate", json={"carrier": q6(), "as_of": "2026-06-30", "readings": {"": "x"}}),
                      422, "ReadingError")
    assert body["field"] == "readings." and body["line"] == 1


def test_a_tables_portfolio_field_given_twice_is_refused_not_the_last_kept(tmp_path):
    folder = tmp_path / "t"
    assert main(["synthetic", "3", "-o", str(folder) + "/"]) == 0
    with open(folder / "portfolio.csv", "a", encoding="utf-8") as f:
        f.write("id,another-id\n")
    with pytest.raises(ir.IncubatorRulesError, match="given twice") as caught:
        ir.load_portfolio(folder)
    assert caught.value.file is not None and "portfolio" in caught.value.file


def test_full_width_digits_in_a_table_are_not_read_as_a_number(tmp_path):
    folder = tmp_path / "t"
    assert main(["synthetic", "3", "-o", str(folder) + "/"]) == 0
    with open(folder / "events.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    evaluated = next(r for r in rows if r["type"] == "evaluated")
    evaluated["year"] = evaluated["year"].translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})  # ２０１６
    with open(folder / "events.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(ir.IncubatorRulesError) as caught:  # as in JSON, where such digits are no number
        ir.load_portfolio(folder)
    assert caught.value.field is not None and caught.value.field.endswith("year")
    assert caught.value.file is not None and caught.value.file.endswith("events.csv")
