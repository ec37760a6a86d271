"""Notebook views: HTML without extras; DataFrames and charts with the notebook extra, a clear error without."""

import datetime
import sys

import pytest

import incubator_rules as ir
from incubator_rules.views.notebook import MissingExtraError
from incubator_rules.tools.synthetic import generate_portfolio

AS_OF = datetime.date(2026, 12, 31)
DISTRICT = generate_portfolio(120, seed=3)
RAISED = ir.Scenario("raised", overrides=[ir.Override.amount("construction_subsidy", "maker_space", "municipal", 300_000)])
Q6 = ir.load_carrier("examples/q6-maker-space.yaml")


@pytest.fixture(scope="module")
def comparison():
    return ir.compare(DISTRICT, None, RAISED, as_of=AS_OF)


def test_an_evaluation_shows_as_an_html_table():
    ev = ir.evaluate(Q6, as_of=AS_OF)
    page = ev._repr_html_()
    assert "A众创空间" in page and "500,000" in page and "upgrade-differential" in page
    assert page.count("<tr>") == 1 + len(ev.awards) + len(ev.pending) + len(ev.not_awarded)


def test_html_escapes_what_it_shows():
    odd = ir.Carrier.from_dict({"id": "x", "name": "<script>alert(1)</script>", "kind": "maker_space"})
    assert "<script>" not in ir.evaluate(odd, as_of=AS_OF)._repr_html_()


def test_portfolio_views_show_totals(comparison):
    evs = ir.evaluate_many(DISTRICT, as_of=AS_OF)
    assert f"{evs.total:,}" in evs._repr_html_()
    page = comparison._repr_html_()
    assert f"{comparison.budgets[1].total:,}" in page and "raised" in page
    assert f"{comparison.budgets[0].total:,}" in comparison.budgets[0]._repr_html_()
    assert "construction_subsidy.columns.maker_space.values.municipal" in RAISED._repr_html_()


def test_frames_hold_the_same_numbers(comparison):
    pytest.importorskip("pandas")
    ev = ir.evaluate(Q6, as_of=AS_OF)
    frame = ev.to_frame()
    assert list(frame["amount"][frame["status"] == "awarded"]) == [200_000, 300_000]
    evs = ir.evaluate_many(DISTRICT, as_of=AS_OF)
    assert int(evs.to_frame()["awarded"].sum()) == evs.total
    assert len(evs.decisions_frame()) == sum(len(e.awards) + len(e.pending) + len(e.not_awarded) for e in evs)
    per_carrier = comparison.to_frame()
    assert int(per_carrier["raised"].sum()) == comparison.budgets[1].total
    assert int(per_carrier["raised − base"].sum()) == comparison.difference("raised")
    assert comparison.totals_frame().loc["raised", "difference"] == comparison.difference("raised")
    assert int(comparison.by_frame("year")["base"].sum()) == comparison.budgets[0].total
    budget = comparison.budgets[0]
    assert int(budget.to_frame()["amount"].sum()) == budget.total
    assert budget.pivot().loc["total", "total"] == budget.total


def test_budget_chart_bars_add_up_to_the_budget(comparison):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    budget = comparison.budgets[0]
    ax = budget.chart(by="rule")
    assert sum(p.get_height() for p in ax.patches) == budget.total
    assert {t.get_text() for t in ax.get_legend().get_texts()} == set(budget.by("rule"))
    ax = comparison.chart(by="scenario")
    assert sum(p.get_height() for p in ax.patches) == sum(b.total for b in comparison.budgets)
    ax = comparison.chart(by="area")
    assert sum(p.get_height() for p in ax.patches) == sum(b.total for b in comparison.budgets)
    with pytest.raises(ir.IncubatorRulesError, match="cannot stack by 'year'"):
        budget.chart(by="year")
    matplotlib.pyplot.close("all")


def test_without_the_extra_the_error_names_it(monkeypatch, comparison):
    monkeypatch.setitem(sys.modules, "pandas", None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    ev = ir.evaluate(Q6, as_of=AS_OF)
    for call in (ev.to_frame, comparison.to_frame, comparison.budgets[0].to_frame, comparison.budgets[0].chart):
        with pytest.raises(MissingExtraError, match=r"pip install 'incubator-rules\[notebook\]'"):
            call()
    with pytest.raises(ImportError):
        ev.to_frame()
    assert "A众创空间" in ev._repr_html_()  # HTML needs no extra
