"""Notebook views as the issue lists them: years, Chinese sentences, distinct headings, dates, plurals, signs, whole yuan."""

from __future__ import annotations

import datetime
import re
import warnings
from pathlib import Path

import pytest

import incubator_rules as ir
from incubator_rules.views import fonts
from incubator_rules.tools.synthetic import generate_portfolio

pd = pytest.importorskip("pandas")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
AS_OF = datetime.date(2026, 12, 31)
DISTRICT = generate_portfolio(80, seed=5)
RAISED = ir.Scenario("municipal maker space raised to 300k",
                     overrides=[ir.Override.amount("construction_subsidy", "maker_space", "municipal", 300_000)])


@pytest.fixture(scope="module")
def comparison():
    return ir.compare(DISTRICT, None, RAISED, as_of=AS_OF)


@pytest.fixture(scope="module")
def wanzhou():
    portfolio = ir.load_portfolio(EXAMPLES / "wanzhou-portfolio.yaml")
    return ir.district_report(portfolio, "wanzhou-2023-targets", as_of="2024-12-31")


def test_years_print_without_a_thousands_separator(comparison):
    for page in (comparison._repr_html_(), comparison.budgets[0]._repr_html_()):
        assert re.search(r">202[3-7]<", page)
        assert not re.search(r">2,0\d\d<", page)


def test_an_evaluation_shows_the_chinese_sentence_of_every_decision():
    ev = ir.evaluate(ir.load_carrier(EXAMPLES / "q6-maker-space.yaml"), as_of=AS_OF)
    page = ev._repr_html_()
    for d in ev.awards + ev.pending + ev.not_awarded:
        assert d.explanation_zh in page and d.explanation_en in page
    # dates are kept on one line
    assert re.search(r"<td class='date' style='white-space:nowrap'>2024-10-10</td>", page)


def test_column_headings_are_distinct():
    evs = ir.evaluate_many(DISTRICT[:5], as_of=AS_OF)
    headings = re.findall(r"<th>(.*?)</th>", evs._repr_html_())
    assert len(headings) == len(set(headings))
    assert "已奖励 awarded (yuan)" in headings and "待兑现项 pending awards" in headings


def test_one_carrier_is_singular_and_differences_carry_their_sign(comparison):
    page = comparison._repr_html_()
    changed = comparison.changed(RAISED.name)
    assert len(changed) > 1 and f"{len(changed):,} carriers change" in page
    alone = [c for c in DISTRICT if c.id == changed[0].carrier_id]
    one = ir.compare(alone, None, RAISED, as_of=AS_OF)._repr_html_()
    assert "1 carrier changes" in one and "1 carriers" not in one and "1 carrier;" in one
    diff = comparison.difference(RAISED.name)
    assert diff > 0 and f"+{diff:,}" in page
    lowered = ir.Scenario("lowered", overrides=[ir.Override.amount("construction_subsidy", "maker_space", "municipal", 100_000)])
    down = ir.compare(DISTRICT, None, lowered, as_of=AS_OF)
    assert f"−{-down.difference('lowered'):,}" in down._repr_html_()


def test_district_report_and_assessment_have_a_short_bilingual_notebook_view(wanzhou):
    page = wanzhou._repr_html_()
    assert len(page) < 60_000  # a table, not a repr of every object
    assert "风险载体" in page and "可晋级载体" in page
    for m in wanzhou.at_risk:
        for d in m.at_risk:
            assert d.explanation_zh in page
    for r in wanzhou.assessment.results:
        assert r.target.title_zh in page
    assert "已完成" in wanzhou.assessment._repr_html_()


def test_every_frame_holds_money_as_nullable_integers(comparison, wanzhou):
    ev = ir.evaluate(ir.load_carrier(EXAMPLES / "q6-maker-space.yaml"), as_of=AS_OF)
    evs = ir.evaluate_many(DISTRICT, as_of=AS_OF)
    b = comparison.budgets[0]
    frames = {
        "evaluation": (ev.to_frame(), ["amount", "full_amount", "already_received"]),
        "evaluations": (evs.to_frame(), ["awarded", "pending"]),
        "decisions": (evs.decisions_frame(), ["amount", "full_amount", "already_received"]),
        "budget": (b.to_frame(), ["amount"]),
        "pivot": (b.pivot(), list(b.pivot().columns)),
        "comparison": (comparison.to_frame(), list(comparison.names) + [c for c in comparison.to_frame().columns if "−" in c]),
        "totals": (comparison.totals_frame(), ["awarded", "pending", "total", "difference"]),
        "by": (comparison.by_frame("year"), list(comparison.names)),
    }
    for name, (frame, columns) in frames.items():
        for c in columns:
            assert str(frame[c].dtype) == "Int64", (name, c, frame[c].dtype)
    # a decision not awarded has no money: <NA>, not NaN, and no 200000.0 anywhere
    assert "200000.0" not in ev.to_frame().to_string()
    targets = wanzhou.to_frame()
    assert str(targets.loc["new-national", "required"]) == "1"
    assert str(targets["contributors"].dtype) == "Int64"
    assert 0.9 < targets.loc["floor-area", "attainment"] < 0.93
    assert list(wanzhou.assessment.to_frame().index) == [r.target.id for r in wanzhou.assessment.results]
    at_risk = wanzhou.at_risk_frame()
    assert set(at_risk["carrier_id"]) == {m.carrier_id for m in wanzhou.at_risk}
    assert list(wanzhou.ready_frame()["carrier_id"]) == [r.carrier_id for r in wanzhou.ready]


def test_a_chart_of_chinese_area_names_draws_them_in_a_cjk_font_without_a_glyph_warning():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from matplotlib import font_manager, text

    try:
        family = fonts.cjk_font()
    except fonts.MissingFontError as exc:
        pytest.skip(str(exc))
    portfolio = ir.load_carriers(EXAMPLES / "wanzhou-portfolio.yaml")
    budget = ir.budget(portfolio, as_of=AS_OF)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = budget.chart(by="area")
        ax.figure.savefig(Path("/dev/null"), format="png")
        ax.figure.savefig(Path("/dev/null"), format="svg")
    assert not [w for w in caught if "Glyph" in str(w.message)], [str(w.message) for w in caught][:3]
    labels = [t for t in ax.figure.findobj(text.Text) if "万州经开区" in t.get_text()]
    assert labels, "the legend names the areas in Chinese"
    path = font_manager.findfont(labels[0].get_fontproperties(), fallback_to_default=False)
    assert family in [f.name for f in font_manager.fontManager.ttflist if f.fname == path]


def test_without_a_chinese_font_the_error_names_what_to_install(monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib import font_manager

    fonts.cjk_font.cache_clear()
    monkeypatch.setattr(fonts, "CJK_FAMILIES", ("No Such Font SC",))
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])
    try:
        with pytest.raises(fonts.MissingFontError, match="apt-get install fonts-noto-cjk"):
            fonts.cjk_font()
    finally:
        fonts.cjk_font.cache_clear()
