"""Excel both ways: a portfolio workbook read back equal, every error located by sheet and cell, results as sheets."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest

import incubator_rules as ir
from incubator_rules.tools.synthetic import generate_portfolio
from incubator_rules.views.cli import main

openpyxl = pytest.importorskip("openpyxl")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _plain(portfolio: ir.Portfolio) -> str:
    return json.dumps(portfolio.to_dict(), default=str, sort_keys=True, ensure_ascii=False)


def test_a_portfolio_goes_through_a_workbook_and_back_unchanged(tmp_path):
    yaml_portfolio = ir.load_portfolio(EXAMPLES / "wanzhou-portfolio.yaml")
    path = ir.write_portfolio_workbook(yaml_portfolio, tmp_path / "p.xlsx")
    back = ir.load_portfolio(path)
    assert back == yaml_portfolio
    assert _plain(back) == _plain(yaml_portfolio)
    # the snapshots' figures, the payments and the designations all survive
    assert len(back.snapshots) == len(yaml_portfolio.snapshots) > 50
    assert back.designations == yaml_portfolio.designations


def test_payments_on_their_own_sheet_keep_every_carrier_and_its_evaluation(tmp_path):
    carriers = generate_portfolio(150, seed=11)
    assert any(e.type is ir.EventType.PAYMENT_RECEIVED for c in carriers for e in c.events)
    portfolio = ir.Portfolio("s", "synthetic", "万州区", tuple(carriers))
    back = ir.load_portfolio(ir.write_portfolio_workbook(portfolio, tmp_path / "s.xlsx"))
    # payments come back after the other events of their carrier: the same timeline, the same digest
    assert [c.digest for c in back.carriers] == [c.digest for c in carriers]
    assert [c.timeline for c in back.carriers] == [c.timeline for c in carriers]
    before = ir.evaluate_many(carriers, as_of="2026-12-31")
    after = ir.evaluate_many(back.carriers, as_of="2026-12-31")
    assert [e.to_json() for e in after] == [e.to_json() for e in before]


def test_the_shipped_template_reads_as_the_yaml_example_and_is_rebuilt_by_the_command(tmp_path):
    shipped = EXAMPLES / "wanzhou-portfolio.xlsx"
    assert _plain(ir.load_portfolio(shipped)) == _plain(ir.load_portfolio(EXAMPLES / "wanzhou-portfolio.yaml"))
    rebuilt = tmp_path / "again.xlsx"
    assert 0 == main(["workbook", str(EXAMPLES / "wanzhou-portfolio.yaml"), "-o", str(rebuilt)])
    assert _plain(ir.load_portfolio(rebuilt)) == _plain(ir.load_portfolio(shipped))
    book = openpyxl.load_workbook(shipped)
    assert {"carriers", "events", "payments", "snapshots", "README"} <= set(book.sheetnames)


def _workbook(tmp_path: Path, sheets: dict[str, list[list[object]]], name: str = "bureau.xlsx") -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    path = tmp_path / name
    book.save(path)
    return path


CARRIERS = [["载体编号", "载体名称", "载体类型", "所在区域"], ["A1", "A众创空间", "maker_space", "万州经开区"]]
EVENTS = [["carrier_id", "type", "date", "level"],
          ["A1", "filed", datetime.date(2023, 10, 10), "municipal"],
          ["A1", "filed", datetime.date(2024, 12, 20), "national"]]


def test_a_hand_made_workbook_with_chinese_headings_and_sheet_names_reads_and_evaluates(tmp_path):
    path = _workbook(tmp_path, {
        "组合": [["项目", "值"], ["id", "wz"], ["name", "万州"], ["district", "万州区"]],
        "载体": CARRIERS,
        "事件": EVENTS,
        "拨付": [["载体编号 (carrier_id)", "拨付日期 (date)", "级别 (level)", "金额(元) (amount)"],
               ["A1", datetime.datetime(2024, 3, 1), "municipal", 200000.0]],
        "统计": [["载体编号", "日期", "载体面积(平方米)", "在孵企业和团队数"], ["A1", "2024-12-31", 1200.5, "1,200"]],
        "说明": [["anything here is ignored"]],
    })
    p = ir.load_portfolio(path)
    assert (p.id, p.name, p.district) == ("wz", "万州", "万州区")
    carrier = p.carrier("A1")
    payment = [e for e in carrier.events if e.type is ir.EventType.PAYMENT_RECEIVED][0]
    assert (payment.amount, payment.date) == (200000, datetime.date(2024, 3, 1))
    assert isinstance(payment.amount, int)
    assert p.snapshots[0].values == {"floor_area_m2": Decimal("1200.5"), "enterprises_and_teams": 1200}
    same = ir.Carrier.from_dict({"id": "A1", "name": "A众创空间", "kind": "maker_space", "area": "万州经开区", "events": [
        {"type": "filed", "date": "2023-10-10", "level": "municipal"},
        {"type": "filed", "date": "2024-12-20", "level": "national"},
        {"type": "payment_received", "date": "2024-03-01", "level": "municipal", "amount": 200000}]})
    assert carrier.digest == same.digest
    assert ir.evaluate(carrier, as_of="2026-06-30").to_json() == ir.evaluate(same, as_of="2026-06-30").to_json()
    assert [c.id for c in ir.load_carriers(path)] == ["A1"]


BROKEN = [
    # (sheet to replace, its rows, the error text expected after the file name)
    ("events", [["carrier_id", "type", "date", "level"], ["A1", "filed", "2023-13-10", "municipal"]],
     "events!C2: date: expected a date as YYYY-MM-DD, got '2023-13-10'"),
    ("events", [["carrier_id", "type", "date", "level"], ["A1", "filed", datetime.date(2023, 1, 1), "galactic"]],
     "events!D2: level: unknown Level 'galactic'; expected one of: district, municipal, provincial, national"),
    ("events", [["carrier_id", "type", "date", "level"], ["A1", "filed", datetime.date(2023, 1, 1), None]],
     "events!D2: level: required field is missing"),
    ("events", [["carrier_id", "type", "date"], ["A1", "filed", datetime.date(2023, 1, 1)]],
     "events!A2: level: required field is missing"),
    ("events", [["carrier_id", "type", "date", "level"], ["B9", "filed", datetime.date(2023, 1, 1), "municipal"]],
     "events!A2: carrier_id: unknown carrier 'B9'; every carrier must have a row in the carriers sheet"),
    ("events", [["carrier_id", "type", "date", "level"], ["A1", "launched", datetime.date(2023, 1, 1), "municipal"]],
     "events!B2: type: unknown EventType 'launched'; expected one of: operation_started, accredited, filed, "
     "payment_received, evaluated, title_awarded, designated, firm_introduced, firm_certified, tenancy, spending, "
     "investment, task_result, withdrawn, suspended, rectification_ordered, resumed, rectification_completed, delisted"),
    ("events", [["carrier_id", "type", "date", "colour"], ["A1", "filed", datetime.date(2023, 1, 1), "red"]],
     "events!D1: header: unknown column 'colour'; expected one of: carrier_id, id, type, date, level, kind, amount, "
     "award, year, plan, payer, settles, voucher, grade, title, designation, firm, annual_sales_yuan, certification, from, to, area_m2, persons, tech_firm, "
     "strategic_emerging, paid_in_capital_yuan, rent_per_m2_month, category, recognised, task, result, reason, document, note"),
    ("events", [["carrier_id", "type", "date", "level"],
                ["A1", "filed", datetime.datetime(2023, 1, 1, 9, 30), "municipal"]],
     "events!C2: date: expected a date without a time, got 2023-01-01 09:30"),
    ("events", [["carrier_id", "type", "date", "level", "id"],
                ["A1", "filed", datetime.date(2023, 1, 1), "municipal", "e1"],
                ["A1", "filed", datetime.date(2024, 1, 1), "national", "e1"]],
     "events!E3: id: duplicate event id 'e1' (also at events[0])"),
    ("events", [["carrier_id", "type", "date", "level"], ["A1", "resumed", datetime.date(2023, 1, 1), None]],
     "events!B2: type: resumption on 2023-01-01 with no suspension before it"),
    ("carriers", [["id", "name", "kind"], ["A1", "A", "spaceship"]],
     "carriers!C2: kind: unknown CarrierKind 'spaceship'; expected one of: maker_space, star_innovation_space, "
     "incubator, university_science_park, large_incubation_park, large_innovation_community, "
     "university_innovation_ecosystem"),
    ("carriers", [["id", "name", "kind"], ["A1", "A", "maker_space"], ["A1", "B", "incubator"]],
     "carriers!A3: id: duplicate carrier id 'A1' (also carriers[0])"),
    ("carriers", [["id", "kind"], ["A1", "maker_space"]], "carriers!A2: name: required field is missing"),
    ("payments", [["carrier_id", "date", "level", "amount"], ["A1", datetime.date(2024, 1, 1), "municipal", 1000.5]],
     "payments!D2: amount: expected a whole number of yuan, got 1000.5"),
    ("payments", [["carrier_id", "date", "level", "amount"], ["A1", datetime.date(2024, 1, 1), "municipal", "lots"]],
     "payments!D2: amount: expected a whole number of yuan, got 'lots'"),
    ("payments", [["carrier_id", "date", "level"], ["A1", datetime.date(2024, 1, 1), "municipal"]],
     "payments!A1: header: missing column 'amount' (金额(元))"),
    ("snapshots", [["carrier_id", "date", "workstations"], ["A1", datetime.date(2024, 1, 1), 10.5]],
     "snapshots!C2: workstations: workstations must be a whole number, got 10.5"),
    ("snapshots", [["carrier_id", "date", "workstations"], ["A1", datetime.date(2024, 1, 1), 10],
                   ["A1", datetime.date(2024, 1, 1), 12]],
     "snapshots!B3: date: a second snapshot of 'A1' dated 2024-01-01 (also at A2)"),
    ("snapshots", [["carrier_id", "date", "workstations"], ["A1", datetime.date(2024, 1, 1), -3]],
     "snapshots!C2: workstations: workstations cannot be negative, got -3"),
    ("snapshots", [["carrier_id", "date", "workstations", None], ["A1", datetime.date(2024, 1, 1), 3, "x"]],
     "snapshots!D2: header: a value in a column without a header"),
    ("designations", [["carrier_id", "tag", "date"], ["A1", "famous", datetime.date(2024, 1, 1)]],
     "designations!B2: tag: unknown designation 'famous'; expected one of: featured, specialised"),
    ("Sheet7", [["x"]], "Sheet7!A1: sheet: unknown sheet 'Sheet7'; expected: portfolio (组合), carriers (载体), "
     "events (事件), payments (拨付), snapshots (统计), designations (称号), facts (载体事实) (or a README sheet)"),
    ("portfolio", [["field", "value"], ["colour", "red"]],
     "portfolio!A2: field: unknown field 'colour'; expected id, name or district"),
]


@pytest.mark.parametrize("sheet, rows, expected", BROKEN, ids=[b[2].split(":")[0] + " " + b[2].split(": ")[1] for b in BROKEN])
def test_every_error_in_a_broken_workbook_names_file_sheet_and_cell(tmp_path, sheet, rows, expected):
    sheets = {"carriers": CARRIERS, "events": EVENTS}
    sheets[sheet] = rows
    path = _workbook(tmp_path, sheets)
    with pytest.raises(ir.PortfolioError) as info:
        ir.load_portfolio(path)
    assert str(info.value) == f"{path}:{expected}"
    assert isinstance(info.value, ir.WorkbookError)
    assert info.value.sheet == expected.split("!")[0]


def test_a_formula_without_a_saved_value_is_refused_not_read_as_empty(tmp_path):
    path = _workbook(tmp_path, {"carriers": CARRIERS, "payments": [
        ["carrier_id", "date", "level", "amount"], ["A1", datetime.date(2024, 1, 1), "municipal", "=100000*2"]]})
    with pytest.raises(ir.WorkbookError, match=r"payments!D2: amount: a formula with no saved value"):
        ir.load_portfolio(path)


def test_a_file_that_is_not_a_workbook_and_the_cli_exit_code(tmp_path, capsys):
    bad = tmp_path / "fake.xlsx"
    bad.write_text("not a zip")
    with pytest.raises(ir.PortfolioError, match="not a readable Excel workbook"):
        ir.load_portfolio(bad)
    path = _workbook(tmp_path, {"carriers": CARRIERS, "events": BROKEN[0][1]})
    assert 2 == main(["assess", str(path), "--ruleset", "wanzhou-2023-targets", "--as-of", "2024-12-31"])
    assert f"{path}:events!C2: date: expected a date" in capsys.readouterr().err
    assert 2 == main(["evaluate-many", str(path), "--as-of", "2024-12-31"])


def _sheet_rows(path: Path, sheet: str) -> list[tuple[object, ...]]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [tuple(c.value for c in row) for row in ws.iter_rows()]


def test_an_evaluation_written_as_xlsx_has_number_and_date_cells_wan_and_a_frozen_header(tmp_path):
    carrier = ir.load_carrier(EXAMPLES / "q6-maker-space.yaml")
    ev = ir.evaluate(carrier, as_of="2026-06-30")
    path = ir.write_excel(ev, tmp_path / "ev.xlsx")
    book = openpyxl.load_workbook(path)
    ws = book["decisions"]
    assert ws.freeze_panes == "A2"
    header = [c.value.split("\n")[1] for c in ws[1]]
    rows = [dict(zip(header, (c.value for c in row))) for row in ws.iter_rows(min_row=2)]
    awarded = [r for r in rows if r["status"] == "awarded"]
    assert [r["amount (yuan)"] for r in awarded] == [d.amount for d in ev.awards]
    assert all(isinstance(r["amount (yuan)"], int) for r in awarded)
    assert [r["amount (10k yuan)"] for r in awarded] == [20, 30]
    assert all(isinstance(r["payable on"], datetime.datetime) for r in awarded)
    assert [r["payable on"].date() for r in awarded] == [d.payable_on for d in ev.awards]
    assert awarded[0]["explanation (Chinese)"] == ev.awards[0].explanation_zh
    amount_col = header.index("amount (yuan)") + 1
    assert ws.cell(row=2, column=amount_col).number_format == "#,##0"
    # the Chinese explanation's column is wide enough for its text (two columns a character), within a cap
    zh_col = openpyxl.utils.get_column_letter(header.index("explanation (Chinese)") + 1)
    assert ws.column_dimensions[zh_col].width >= 50
    info = dict((r[0], r[2]) for r in _sheet_rows(path, "info")[1:])
    assert info["sha256"] == ev.ruleset_sha256 and info["awarded"] == ev.total


def test_a_district_report_budget_and_comparison_write_their_sheets_from_the_cli(tmp_path):
    out = tmp_path / "assess.xlsx"
    assert 0 == main(["assess", str(EXAMPLES / "wanzhou-portfolio.yaml"), "--ruleset", "wanzhou-2023-targets",
                      "--as-of", "2024-12-31", "--format", "xlsx", "-o", str(out)])
    book = openpyxl.load_workbook(out)
    assert ["targets", "at_risk", "ready", "info"] == book.sheetnames
    targets = _sheet_rows(out, "targets")
    header = [h.split("\n")[1] for h in targets[0]]
    first = dict(zip(header, targets[1]))
    assert isinstance(first["attainment"], float) and 0 <= first["attainment"]
    assert book["targets"].cell(row=2, column=header.index("attainment") + 1).number_format == "0.00%"
    assert len(_sheet_rows(out, "at_risk")) > 1
    budget_out = tmp_path / "budget.xlsx"
    assert 0 == main(["budget", str(EXAMPLES / "wanzhou-synthetic-portfolio.yaml"), "--as-of", "2026-12-31",
                      "--format", "xlsx", "-o", str(budget_out)])
    per_year = _sheet_rows(budget_out, "per_year")
    years = [r[0] for r in per_year[1:-1]]
    assert years == sorted(years) and all(isinstance(y, int) for y in years)
    carriers = ir.load_carriers(EXAMPLES / "wanzhou-synthetic-portfolio.yaml")
    total = ir.budget(carriers, as_of="2026-12-31").total
    assert per_year[-1][:2] == ("total", total)
    cmp_out = tmp_path / "compare.xlsx"
    assert 0 == main(["compare", str(EXAMPLES / "wanzhou-synthetic-portfolio.yaml"),
                      str(EXAMPLES / "what-if-scenarios.yaml"), "--with-base", "--as-of", "2026-12-31",
                      "--format", "xlsx", "-o", str(cmp_out)])
    assert ["totals", "per_year", "carriers"] == openpyxl.load_workbook(cmp_out).sheetnames
    totals = _sheet_rows(cmp_out, "totals")
    assert totals[1][0] == "base" and totals[1][-1] == 0


def test_evaluate_many_writes_a_workbook_of_carriers_and_decisions(tmp_path):
    out = tmp_path / "evs.xlsx"
    assert 0 == main(["evaluate-many", str(EXAMPLES / "wanzhou-portfolio.xlsx"), "--as-of", "2024-12-31",
                      "--format", "xlsx", "-o", str(out)])
    evs = ir.evaluate_many(ir.load_carriers(EXAMPLES / "wanzhou-portfolio.yaml"), as_of="2024-12-31")
    carriers = _sheet_rows(out, "carriers")[1:]
    assert [r[0] for r in carriers] == [e.carrier_id for e in evs]
    assert sum(r[2] for r in carriers) == evs.total
    decisions = _sheet_rows(out, "decisions")[1:]
    assert len(decisions) == sum(len(e.awards) + len(e.pending) + len(e.not_awarded) for e in evs)


def test_a_write_that_fails_leaves_no_file(tmp_path):
    ev = ir.evaluate(ir.load_carrier(EXAMPLES / "q6-maker-space.yaml"), as_of="2026-06-30")
    with pytest.raises(ir.IncubatorRulesError, match="cannot write"):
        ir.write_excel(ev, tmp_path / "missing-dir" / "ev.xlsx")
    assert not (tmp_path / "missing-dir").exists()


@pytest.mark.parametrize("value, expected", [
    (True, "amount: expected a whole number of yuan, got bool"),
    ("#DIV/0!", "amount: expected a whole number of yuan, got '#DIV/0!'"),
    (1e300, "amount: an amount of about 299 digits is implausibly large"),
    (-5, "amount: an amount cannot be negative, got -5"),
])
def test_odd_cell_values_are_refused_at_their_cell(tmp_path, value, expected):
    path = _workbook(tmp_path, {"carriers": CARRIERS, "payments": [
        ["carrier_id", "date", "level", "amount"], ["A1", datetime.date(2024, 1, 1), "municipal", value]]})
    with pytest.raises(ir.WorkbookError) as info:
        ir.load_portfolio(path)
    assert str(info.value) == f"{path}:payments!D2: {expected}"


def test_a_damaged_sheet_inside_the_zip_is_a_typed_error(tmp_path):
    import zipfile

    good = _workbook(tmp_path, {"carriers": CARRIERS, "events": EVENTS})
    bad = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.endswith("sheet2.xml"):
                data = data[: len(data) // 2]  # cut off in the middle of a row
            dst.writestr(item, data)
    with pytest.raises(ir.PortfolioError, match="not a readable Excel workbook"):
        ir.load_portfolio(bad)


def test_text_that_looks_like_a_formula_is_written_and_read_as_text(tmp_path):
    carrier = ir.Carrier.from_dict({"id": "x1", "name": "=HYPERLINK(\"http://example.invalid\")", "kind": "maker_space",
                                    "events": [{"type": "filed", "date": "2023-10-10", "level": "municipal",
                                                "note": "=1+1"}]})
    portfolio = ir.Portfolio("p", "p", None, (carrier,))
    path = ir.write_portfolio_workbook(portfolio, tmp_path / "p.xlsx")
    cells = [c for row in openpyxl.load_workbook(path)["carriers"].iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert ir.load_portfolio(path) == portfolio
    ev = ir.evaluate(carrier, as_of="2025-01-01")
    out = ir.write_excel(ev, tmp_path / "ev.xlsx")
    decisions = [c for row in openpyxl.load_workbook(out)["decisions"].iter_rows() for c in row]
    assert all(c.data_type != "f" for c in decisions)


def test_a_synthetic_district_can_be_written_as_a_workbook(tmp_path):
    out = tmp_path / "s.xlsx"
    assert 0 == main(["synthetic", "40", "--seed", "4", "-o", str(out), "--district", "万州区"])
    back = ir.load_carriers(out)
    yaml_out = tmp_path / "s.yaml"
    assert 0 == main(["synthetic", "40", "--seed", "4", "-o", str(yaml_out), "--district", "万州区"])
    assert [c.digest for c in back] == [c.digest for c in ir.load_carriers(yaml_out)]
    assert ir.load_portfolio(out).district == "万州区"
