"""Carrier facts in an Excel portfolio: static facts as carriers-sheet columns, dated facts on a facts sheet,
fact events' fields as events-sheet columns, all from the facts registry."""

from __future__ import annotations

import datetime
import pytest

import incubator_rules as ir
from incubator_rules.files.workbook import SHEETS
from incubator_rules.model.facts import CARRIER_FACTS, EVENT_FACTS

openpyxl = pytest.importorskip("openpyxl")

from test_excel import _workbook  # noqa: E402  (a workbook written row by row, as a bureau would)


def test_every_fact_of_the_registry_has_its_column():
    assert set(CARRIER_FACTS) <= set(SHEETS["carriers"][1])
    assert {name for fields in EVENT_FACTS.values() for name in fields} <= set(SHEETS["events"][1])
    headings = list(SHEETS["events"][1].values())
    assert len(headings) == len(set(headings)), "every events-sheet heading names one column"


def test_facts_and_fact_events_go_through_a_workbook_and_back_unchanged(tmp_path):
    c = ir.Carrier.from_dict({
        "id": "m1", "name": "m1", "kind": "maker_space",
        "facts": {"accredited_area_m2": [{"from": "2021-01-01", "value": 600}, {"from": "2021-07-01", "value": 900}],
                  "rent_per_m2_month": 60, "built_by": "social_body", "completed_on": "2019-03-01"},
        "events": [
            {"date": "2021-01-01", "type": "filed", "level": "district"},
            {"date": "2021-02-01", "type": "tenancy", "firm": "T1", "from": "2021-02-01", "to": "2023-02-01", "area_m2": 300,
             "tech_firm": True, "paid_in_capital_yuan": 3000000},
            {"date": "2021-05-01", "type": "investment", "category": "hardware", "amount": 150000},
            {"date": "2021-09-01", "type": "designated", "designation": "central_maker_space"},
        ],
    })
    back = ir.load_portfolio(ir.write_portfolio_workbook(ir.Portfolio("p", "p", None, (c,)), tmp_path / "p.xlsx"))
    assert back.carriers == (c,) and back.carriers[0].digest == c.digest


def test_a_bureau_keeps_dated_facts_on_a_sheet_in_chinese_and_the_rent_follows_them(tmp_path):
    path = _workbook(tmp_path, {
        "载体": [["载体编号", "载体名称", "载体类型", "租金单价", "建设主体"], ["M1", "某众创空间", "maker_space", 60, "social_body"]],
        "事件": [["载体编号", "事件类型", "日期", "级别"], ["M1", "filed", datetime.date(2021, 1, 1), "district"]],
        "载体事实": [["载体编号", "事实", "起始日期", "值"],
                 ["M1", "认定面积", datetime.date(2021, 7, 1), 900],
                 ["M1", "accredited_area_m2", datetime.date(2021, 1, 1), "600"]],
    })
    (c,) = ir.load_portfolio(path).carriers
    assert c.fact("accredited_area_m2", on=datetime.date(2021, 3, 1)) == 600
    ev = ir.evaluate(c, "wuhan-wuchang-2020", "2022-06-30")
    assert [d.amount for d in ev.awards if d.rule == "maker-space-rent"] == [600 * 60 * 6 + 900 * 60 * 6]


@pytest.mark.parametrize("rows, expected", [
    ([["M1", "认定面级", datetime.date(2021, 1, 1), 600]], r"载体事实!B2: fact: unknown carrier fact '认定面级'"),
    ([["M1", "accredited_area", datetime.date(2021, 1, 1), 600]], r"did you mean 'accredited_area_m2'"),
    ([["M1", "completed_on", datetime.date(2021, 1, 1), datetime.date(2020, 1, 1)]], r"载体事实!B2: .*does not change over time"),
    ([["M1", "accredited_area_m2", datetime.date(2021, 1, 1), "big"]], r"载体事实!D2: .*expected a number"),
    ([["M2", "accredited_area_m2", datetime.date(2021, 1, 1), 600]], r"载体事实!A2: .*unknown carrier 'M2'"),
    ([["M1", "rent_per_m2_month", datetime.date(2021, 1, 1), 50]], r"also in its column of the carriers sheet"),
])
def test_a_wrong_fact_row_is_refused_at_its_cell(tmp_path, rows, expected):
    path = _workbook(tmp_path, {
        "载体": [["载体编号", "载体名称", "载体类型", "租金单价"], ["M1", "某众创空间", "maker_space", 60]],
        "载体事实": [["载体编号", "事实", "起始日期", "值"], *rows],
    })
    with pytest.raises(ir.PortfolioError, match=expected):
        ir.load_portfolio(path)


def test_a_wrong_static_fact_or_fact_event_field_is_refused_at_its_cell(tmp_path):
    path = _workbook(tmp_path, {
        "载体": [["载体编号", "载体名称", "载体类型", "认定面积"], ["M1", "某众创空间", "maker_space", "large"]],
    })
    with pytest.raises(ir.PortfolioError, match=r"载体!D2: .*expected a number"):
        ir.load_portfolio(path)
    path = _workbook(tmp_path, {
        "载体": [["载体编号", "载体名称", "载体类型"], ["M1", "某众创空间", "maker_space"]],
        "事件": [["载体编号", "事件类型", "日期", "企业", "年产值销售"],
               ["M1", "firm_introduced", datetime.date(2021, 3, 1), "F1", "lots"]],
    })
    with pytest.raises(ir.PortfolioError, match=r"事件!E2: .*expected a whole number of yuan"):
        ir.load_portfolio(path)
