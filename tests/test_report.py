"""The printable report: a carrier's statement and the district report, bilingual, footed on every page; PDF; a browser."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import incubator_rules as ir
from incubator_rules.views.cli import main

pytest.importorskip("jinja2")
from incubator_rules.views import report  # noqa: E402

from strategies import as_of_dates, carriers, histories  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
EXAMPLE_REPORT = EXAMPLES / "wanzhou-district-report.html"
EXAMPLE_COMMAND = ["report", str(EXAMPLES / "wanzhou-portfolio.yaml"), "--targets", "wanzhou-2023-targets",
                   "--as-of", "2024-12-31", "--statements"]


class _Page(HTMLParser):
    """What a reader of the page sees: its text, the totals and amounts marked in it, by section."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.totals: dict[str, list[str]] = {}
        self.amounts: dict[str, list[int]] = {}
        self.rows: dict[str, int] = {}
        self._section: str | None = None
        self._body = False
        self._grab: str | None = None
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "style":
            self._in_style = True
        if tag == "table" and "data-section" in a:
            self._section = a["data-section"]
            self.rows.setdefault(self._section, 0)
        if tag == "tbody":
            self._body = True
        if tag == "tr" and self._section and self._body and "class" not in a:
            self.rows[self._section] += 1
        if "data-total" in a:
            self._grab = a["data-total"]
        if "data-amount" in a and self._section:
            self.amounts.setdefault(self._section, []).append(int(a["data-amount"]))

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False
        if tag == "table":
            self._section = None
        if tag == "tbody":
            self._body = False
        if tag == "strong":
            self._grab = None

    def handle_data(self, data):
        if self._in_style:
            return
        self.text.append(data)
        if self._grab:
            self.totals.setdefault(self._grab, []).append(data.strip())


def _read(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _yuan(text: str) -> int:
    return int(text.replace(",", ""))


def test_a_carrier_statement_gives_every_decision_with_its_chinese_sentence_clause_and_the_totals():
    ev = ir.evaluate(ir.load_carrier(EXAMPLES / "q6-maker-space.yaml"), as_of="2026-06-30")
    html = report.carrier_statement(ev)
    page = _read(html)
    text = " ".join(page.text)
    for d in ev.awards + ev.pending + ev.not_awarded:
        assert d.explanation_zh in text and d.explanation_en in text
        assert d.citations[0].clause in text and d.citations[0].text in text
    assert [_yuan(t) for t in page.totals["awarded"]] == [ev.total]
    assert [_yuan(t) for t in page.totals["pending"]] == [ev.pending_total]
    # Chinese first, English beside; the footer names the ruleset, its version, full hash and the date
    assert text.index("已奖励") < text.index("Awarded")
    footer = re.search(r'<footer class="page-footer"[^>]*>(.*?)</footer>', html, re.S).group(1)
    assert ev.ruleset_id in footer and ev.ruleset_version in footer and ev.ruleset_sha256 in footer
    assert "2026-06-30" in footer
    # printed: the footer is fixed to every page, with page numbers, on A4
    assert "@media print" in html and "position: fixed" in html and "counter(pages)" in html and "size: A4" in html


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(carriers(), as_of_dates())
def test_the_statements_totals_and_amounts_are_the_evaluations(carrier, as_of):
    ev = ir.evaluate(carrier, as_of=as_of)
    page = _read(report.carrier_statement(ev))
    assert [_yuan(t) for t in page.totals["awarded"]] == [ev.total]
    assert [_yuan(t) for t in page.totals["pending"]] == [ev.pending_total]
    assert sum(page.amounts.get("awarded", [])) == ev.total
    assert sum(page.amounts.get("pending", [])) == ev.pending_total
    for key, decisions in (("awarded", ev.awards), ("pending", ev.pending), ("not_awarded", ev.not_awarded)):
        assert page.rows.get(key, 0) == len(decisions)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(histories(), min_size=1, max_size=5), as_of_dates())
def test_the_district_reports_money_is_the_sum_of_the_carriers_evaluations(raw, as_of):
    members = [ir.Carrier.from_dict({**h, "id": f"c{i}", "area": "万州经开区"}) for i, h in enumerate(raw)]
    portfolio = ir.Portfolio("p", "示例", "万州区", tuple(members))
    rep = ir.district_report(portfolio, "wanzhou-2023-targets", as_of=as_of)
    evs = ir.evaluate_many(members, as_of=as_of)
    html = report.district_document(rep, evs, statements=True)
    page = _read(html)
    awarded, pending = sum(e.total for e in evs), sum(e.pending_total for e in evs)
    assert [_yuan(t) for t in page.totals["total"]] == [awarded + pending]
    # the district's totals, then each carrier's statement with its own
    assert [_yuan(t) for t in page.totals["awarded"]] == [awarded] + [e.total for e in evs]
    assert [_yuan(t) for t in page.totals["pending"]] == [pending] + [e.pending_total for e in evs]
    per_year = re.findall(r'<tr data-year="\d+"><td>\d+</td><td class="num">([\d,]+)</td><td class="num">([\d,]+)</td>', html)
    assert sum(_yuan(a) + _yuan(b) for a, b in per_year) == awarded + pending
    assert sum(page.amounts.get("awarded", [])) == awarded


def test_the_district_report_has_targets_risk_readiness_and_the_money_per_year_with_a_chart():
    portfolio = ir.load_portfolio(EXAMPLES / "wanzhou-portfolio.yaml")
    rep = ir.district_report(portfolio, "wanzhou-2023-targets", as_of="2024-12-31")
    evs = ir.evaluate_many(portfolio.carriers, as_of="2024-12-31")
    html = report.district_document(rep, evs)
    page = _read(html)
    text = " ".join(page.text)
    for r in rep.assessment.results:
        if r.target.area is None:
            assert r.target.title_zh in text
    for m in rep.at_risk:
        assert m.name in text
        for d in m.at_risk:
            assert d.explanation_zh in text
    for r in rep.ready:
        assert r.title_zh in text
    total = sum(e.total + e.pending_total for e in evs)
    assert [_yuan(t) for t in page.totals["total"]] == [total]
    assert [_yuan(t) for t in page.totals["awarded"]] == [sum(e.total for e in evs)]
    years = [int(y) for y in re.findall(r'<tr data-year="(\d+)">', html)]
    assert years == sorted(years) and years
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    assert "Noto Sans CJK SC" in svg and "分年度应付" in svg
    assert sum(int(v) for v in re.findall(r'data-(?:awarded|pending)="(\d+)"', svg)) == total
    footer = re.search(r'<footer class="page-footer"[^>]*>(.*?)</footer>', html, re.S).group(1)
    assert rep.assessment.ruleset_sha256 in footer and evs[0].ruleset_sha256 in footer and "2024-12-31" in footer


def test_the_example_report_is_what_the_command_writes(tmp_path):
    """Regenerate with: incubator-rules report examples/wanzhou-portfolio.yaml --targets wanzhou-2023-targets
    --as-of 2024-12-31 --statements -o examples/wanzhou-district-report.html"""
    out = tmp_path / "r.html"
    assert 0 == main(EXAMPLE_COMMAND + ["-o", str(out)])
    shipped = EXAMPLE_REPORT.read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == shipped


def test_the_report_command_refuses_what_it_cannot_do(tmp_path, capsys):
    assert 2 == main(["report", str(EXAMPLES / "wanzhou-portfolio.yaml"), "--as-of", "2024-12-31"])
    assert "--targets" in capsys.readouterr().err
    assert 2 == main(["report", str(EXAMPLES / "wanzhou-portfolio.yaml"), "--targets", "jiangbei-2022-targets"])
    assert "万州区" in capsys.readouterr().err
    assert 2 == main(["report", str(EXAMPLES / "q6-maker-space.yaml"), "--format", "pdf"])
    assert "-o FILE.pdf" in capsys.readouterr().err


def _weasyprint_or_skip() -> None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI installs WeasyPrint and pango (.ci/run): {exc}")
        pytest.skip(f"WeasyPrint is not importable: {exc}")


def test_a_pdf_with_the_chinese_font_embedded(tmp_path):
    _weasyprint_or_skip()
    out = tmp_path / "q6.pdf"
    assert 0 == main(["report", str(EXAMPLES / "q6-maker-space.yaml"), "--as-of", "2026-06-30", "--format", "pdf",
                      "-o", str(out)])
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    streams = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            streams.append(zlib.decompress(m.group(1)))
        except zlib.error:
            pass
    fonts = set(re.findall(rb"/FontName\s*/[A-Z]{6}\+([A-Za-z-]+)", data + b"".join(streams)))
    assert b"Noto-Sans-CJK-SC" in fonts, fonts  # the Chinese text is set in the sans-serif CJK font
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI installs Debian's chromium (.ci/run)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


def test_the_example_report_in_headless_chromium_shows_the_chinese_sentences_and_the_totals(tmp_path):
    browser = _chromium()
    url = EXAMPLE_REPORT.resolve().as_uri()
    base = [browser, *CHROMIUM_FLAGS]
    shot = tmp_path / "report.png"
    subprocess.run(base + [f"--user-data-dir={tmp_path / 'profile-1'}", "--window-size=1280,2400",
                           f"--screenshot={shot}", url], check=True, capture_output=True, timeout=120)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    dom = subprocess.run(base + [f"--user-data-dir={tmp_path / 'profile-2'}", "--dump-dom", url], check=True,
                         capture_output=True, timeout=120, text=True).stdout
    page = _read(dom)
    text = " ".join(page.text)
    portfolio = ir.load_portfolio(EXAMPLES / "wanzhou-portfolio.yaml")
    evs = ir.evaluate_many(portfolio.carriers, as_of="2024-12-31")
    sentences = [d.explanation_zh for e in evs for d in e.awards + e.pending + e.not_awarded]
    assert sentences and all(s in text for s in sentences)
    assert f"{sum(e.total + e.pending_total for e in evs):,}" in page.totals["total"]
    assert "目标完成情况" in text and "风险载体" in text and "可晋级载体" in text


def test_the_as_of_date_defaults_to_today_in_the_footer(capsys):
    assert 0 == main(["report", str(EXAMPLES / "q6-maker-space.yaml")])
    assert f"as of {datetime.date.today().isoformat()}" in capsys.readouterr().out


def test_every_printed_page_carries_the_footer_with_ruleset_hash_and_date():
    _weasyprint_or_skip()
    import weasyprint

    html = EXAMPLE_REPORT.read_text(encoding="utf-8")
    pages = weasyprint.HTML(string=html).render().pages
    assert len(pages) > 10  # the district report and thirty statements
    assert all("footer" in page.anchors for page in pages)  # the fixed footer repeats on every page
    footer = re.search(r'<footer class="page-footer"[^>]*>(.*?)</footer>', html, re.S).group(1)
    assert ir.load_ruleset().sha256 in footer and ir.load_targets("wanzhou-2023-targets").sha256 in footer
    assert "2024-12-31" in footer


def test_the_report_escapes_what_it_prints():
    odd = ir.Carrier.from_dict({"id": "x", "name": "<script>alert(1)</script>", "kind": "maker_space",
                                "events": [{"type": "filed", "date": "2023-10-10", "level": "municipal"}]})
    html = report.carrier_statement(ir.evaluate(odd, as_of="2025-01-01"))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_reconciliation_statement_and_its_sheets(tmp_path):
    args = ["reconcile", str(EXAMPLES / "wanzhou-portfolio.yaml"), "--payments", str(EXAMPLES / "wanzhou-payments.csv"),
            "--as-of", "2026-06-30"]
    r = ir.reconcile(EXAMPLES / "wanzhou-portfolio.yaml", "2026-06-30", payments=EXAMPLES / "wanzhou-payments.csv")
    html_out = tmp_path / "rec.html"
    assert 1 == main(args + ["-o", str(html_out)])  # unsettled: exit 1, the statement written all the same
    html = html_out.read_text(encoding="utf-8")
    page = _read(html)
    text = " ".join(page.text)
    for line in r.lines:
        assert line.explanation_zh in text and line.explanation_en in text
    for key in ("due", "paid", "outstanding", "overpaid", "paid_early", "unmatched"):
        assert [_yuan(v) for v in page.totals[key]] == [r.totals[key]]
    assert text.index("拨付核对表") < text.index("Reconciliation statement") and "未结清" in text
    footer = re.search(r'<footer class="page-footer"[^>]*>(.*?)</footer>', html, re.S).group(1)
    assert r.ruleset_sha256 in footer and "2026-06-30" in footer
    openpyxl = pytest.importorskip("openpyxl")
    xlsx = tmp_path / "rec.xlsx"
    assert 1 == main(args + ["-o", str(xlsx)])
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames == ["reconciliation", "carriers", "info"]
    rows = [[c.value for c in row] for row in book["carriers"].iter_rows(min_row=2)]
    assert rows[-1][0] == "total" and rows[-1][3:6] == [r.totals["due"], r.totals["paid"], r.totals["outstanding"]]
    lines = [[c.value for c in row] for row in book["reconciliation"].iter_rows(min_row=2)]
    assert len(lines) == len(r.lines) and all(isinstance(row[7], int) for row in lines)
