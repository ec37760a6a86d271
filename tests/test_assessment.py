"""assess(): every target computed on small hand-made portfolios, with the figures worked out here."""

import datetime
import json
from decimal import Decimal
from fractions import Fraction

import pytest

from incubator_rules.district.assessment import AGREES, DIFFERS, assess, line
from incubator_rules.views.cli import main
from incubator_rules.files.portfolio import portfolio_from_dict

D = datetime.date
END_2024 = D(2024, 12, 31)


def ev(type_, date, **kw):
    return {"type": type_, "date": date, **kw}


def snap(date, **values):
    return {"date": date, **values}


# Wanzhou, as of the end of 2024 (plan start 2023-01-01, due 2025-12-31).
WANZHOU = {
    "id": "wz-small",
    "name": "five carriers",
    "carriers": [
        {   # reaches municipal (2023) and national (2024) inside the plan period
            "id": "A", "name": "A", "kind": "incubator", "area": "万州经开区",
            "events": [ev("operation_started", "2020-01-01"), ev("accredited", "2021-03-01", level="district"),
                       ev("accredited", "2023-06-01", level="municipal"), ev("accredited", "2024-09-01", level="national")],
            "snapshots": [
                snap("2022-12-31", floor_area_m2=4000, enterprises_and_teams=40, technology_enterprises=10, full_time_staff=4),
                snap("2024-12-31", floor_area_m2=Decimal("6000.5"), enterprises_and_teams=70, technology_enterprises=30,
                     full_time_staff=6, technology_brokers=2),
            ],
        },
        {   # a featured maker space filed at municipal level in 2023
            "id": "B", "name": "B", "kind": "maker_space", "area": "渝东新区",
            "events": [ev("filed", "2023-03-01", level="municipal")],
            "designations": [{"tag": "featured", "date": "2024-01-01"}],
            "snapshots": [snap("2024-06-30", floor_area_m2=1500, enterprises_and_teams=30, technology_enterprises=5, full_time_staff=3)],
        },
        {   # the large incubation park, opened in 2024, has not reported technology enterprises
            "id": "C", "name": "C", "kind": "large_incubation_park", "area": "万州经开区",
            "events": [ev("operation_started", "2024-05-01")],
            "snapshots": [snap("2024-12-31", floor_area_m2=20000, enterprises_and_teams=100)],
        },
        {   # delisted in February 2024: counts for nothing afterwards (default reading)
            "id": "D", "name": "D", "kind": "maker_space", "area": "龙都街道",
            "events": [ev("filed", "2020-01-01", level="district"), ev("delisted", "2024-02-01")],
            "snapshots": [snap("2022-12-31", floor_area_m2=800, enterprises_and_teams=10)],
        },
        {   # outside the nine areas; its only snapshot is dated after the end of 2024
            "id": "E", "name": "E", "kind": "incubator", "area": "太白街道",
            "events": [ev("operation_started", "2024-01-01")],
            "snapshots": [snap("2025-03-31", floor_area_m2=999)],
        },
    ],
}

# Two-thirds of the plan period has passed at the end of 2024:
# 2023-01-01 -> 2024-12-31 is 730 days, 2023-01-01 -> 2025-12-31 is 1,095 days.
TWO_THIRDS = Fraction(730, 1095)


@pytest.fixture(scope="module")
def wanzhou():
    return assess(portfolio_from_dict(WANZHOU), "wanzhou-2023-targets", END_2024)


def test_two_thirds(wanzhou):
    assert Fraction(2, 3) == TWO_THIRDS


def test_floor_area(wanzhou):
    r = wanzhou.result("floor-area")
    # A 6,000.5 + B 1,500 + C 20,000; D delisted; E has no snapshot by then.
    assert Decimal("27500.5") == r.actual
    assert Decimal("42499.5") == r.gap
    assert Fraction(55001, 140000) == r.attainment
    # Baseline on 2023-01-01: A 4,000 + D 800 (not yet delisted); B, C, E not known yet.
    assert 4800 == r.start
    assert 4800 + (70000 - 4800) * TWO_THIRDS == r.expected
    assert "behind" == r.status
    assert ["A", "B", "C"] == [c.carrier_id for c in r.contributions]
    assert ["E"] == [m.carrier_id for m in r.missing]


def test_large_incubation_park(wanzhou):
    r = wanzhou.result("large-incubation-park")
    assert (1, 0, Fraction(1), "met") == (r.actual, r.gap, r.attainment, r.status)
    assert ["C"] == [c.carrier_id for c in r.contributions]


def test_featured_carriers(wanzhou):
    r = wanzhou.result("featured-carriers")
    # B only; the line runs from 0 featured carriers on 2023-01-01 to 3 at the end of 2025: 2 by now.
    assert (1, 2, Fraction(1, 3), 0, Fraction(2)) == (r.actual, r.gap, r.attainment, r.start, r.expected)
    assert "behind" == r.status


def test_new_national(wanzhou):
    r = wanzhou.result("new-national")
    assert (1, "met") == (r.actual, r.status)
    assert [("A", D(2024, 9, 1))] == [(c.carrier_id, c.date) for c in r.contributions]


def test_new_municipal_counts_each_level_reached_by_default(wanzhou):
    r = wanzhou.result("new-municipal")
    # A (2023-06-01) and B (2023-03-01); the line stands at 2: on track.
    assert (2, Fraction(2, 3), Fraction(2), "on_track") == (r.actual, r.attainment, r.expected, r.status)


def test_new_municipal_under_the_highest_level_reading():
    a = assess(portfolio_from_dict(WANZHOU), "wanzhou-2023-targets", END_2024, readings={"new_titles": "highest_level"})
    r = a.result("new-municipal")
    # A climbed on to national within the plan: it counts there only.
    assert (1, "behind") == (r.actual, r.status)
    assert 1 == a.result("new-national").actual


def test_practitioners(wanzhou):
    r = wanzhou.result("practitioners")
    # staff + brokers: A 6 + 2, B 3 (brokers not reported); C reports neither.
    assert 11 == r.actual
    assert Fraction(11, 200) == r.attainment
    assert 4 == r.start  # A's 4 staff at the end of 2022
    assert {("B", ("technology_brokers",)), ("C", ("full_time_staff", "technology_brokers"))} <= {
        (m.carrier_id, m.metrics) for m in r.missing
    }


def test_enterprises_and_technology_enterprises(wanzhou):
    assert (200, Fraction(1, 6)) == (wanzhou.result("enterprises-and-teams").actual, wanzhou.result("enterprises-and-teams").attainment)
    tech = wanzhou.result("technology-enterprises")
    assert (35, 565) == (tech.actual, tech.gap)  # A 30 + B 5; C has not reported
    assert Fraction(35, 60) == wanzhou.result("municipal-technology-enterprises").attainment


def test_municipal_plan_targets(wanzhou):
    r = wanzhou.result("municipal-floor-area")
    assert (Decimal("27500.5"), 50000, Fraction(55001, 100000)) == (r.actual, r.required, r.attainment)
    assert (200, 200) == (wanzhou.result("municipal-enterprises-and-teams").actual, wanzhou.result("municipal-enterprises-and-teams").gap)


def test_per_area_results(wanzhou):
    r = wanzhou.result("area-1-floor_area_m2")
    assert (Decimal("26000.5"), 26000, "met") == (r.actual, r.required, r.status)  # A + C
    assert (1500, Fraction(1, 10)) == (wanzhou.result("area-2-floor_area_m2").actual, wanzhou.result("area-2-floor_area_m2").attainment)
    assert 0 == wanzhou.result("area-5-floor_area_m2").actual  # D is delisted
    assert 9 == len(wanzhou.by_area())
    assert ("E",) == wanzhou.unassigned


def test_a_target_the_source_does_not_quantify_is_not_assessed(wanzhou):
    r = wanzhou.result("university-ecosystem")
    assert ("not_assessed", None, None) == (r.status, r.actual, r.attainment)


def test_delisted_carriers_count_under_the_include_reading():
    a = assess(portfolio_from_dict(WANZHOU), "wanzhou-2023-targets", END_2024, readings={"delisted_carriers": "include"})
    assert Decimal("28300.5") == a.result("floor-area").actual
    assert 800 == a.result("area-5-floor_area_m2").actual


def test_without_a_baseline_open_targets_have_no_status_but_no_baseline():
    a = assess(portfolio_from_dict(WANZHOU), "wanzhou-2023-targets", END_2024, readings={"baseline": "none"})
    assert ("no_baseline", None) == (a.result("floor-area").status, a.result("floor-area").expected)
    assert "met" == a.result("new-national").status


def test_after_the_due_date_an_unmet_target_is_behind():
    a = assess(portfolio_from_dict(WANZHOU), "wanzhou-2023-targets", D(2026, 1, 1), readings={"baseline": "none"})
    assert "behind" == a.result("floor-area").status


def test_the_consistency_checks_report_75_000_against_70_000(wanzhou):
    checks = {c.id: c for c in wanzhou.checks}
    area = checks["floor_area_m2-table-vs-text"]
    assert (DIFFERS, 75000, 70000) == (area.status, area.left, area.right)
    assert "7.5万 m2" in area.explanation_en and "7万 m2 (70,000 m2) or more" in area.explanation_en
    assert AGREES == checks["floor_area_m2-rows-vs-total"].status
    assert (AGREES, 1200) == (checks["enterprises_and_teams-table-vs-text"].status, checks["enterprises_and_teams-table-vs-text"].left)
    assert AGREES == checks["technology_enterprises-table-vs-text"].status


def test_the_straight_line():
    begin, due = D(2023, 1, 1), D(2025, 12, 31)
    assert Fraction(10) == line(Fraction(10), Fraction(100), begin, due, D(2022, 6, 1))
    assert Fraction(100) == line(Fraction(10), Fraction(100), begin, due, D(2026, 6, 1))
    assert Fraction(70) == line(Fraction(10), Fraction(100), begin, due, END_2024)


def test_input_order_does_not_change_the_assessment():
    reversed_ = dict(WANZHOU, carriers=list(reversed(WANZHOU["carriers"])))
    a = assess(portfolio_from_dict(WANZHOU), "wanzhou-2023-targets", END_2024).to_dict()
    b = assess(portfolio_from_dict(reversed_), "wanzhou-2023-targets", END_2024).to_dict()
    for r in a["results"] + b["results"]:
        r["contributions"].sort(key=lambda c: c["carrier"])
        r["missing"].sort(key=lambda c: c["carrier"])
    a["unassigned_carriers"].sort()
    b["unassigned_carriers"].sort()
    assert a == b


# Jiangbei (plan start 2021-01-01), seven carriers.
JIANGBEI = {
    "id": "jb-small",
    "name": "seven carriers",
    "carriers": [
        {"id": "J1", "name": "community at the threshold", "kind": "large_innovation_community",
         "events": [ev("operation_started", "2022-01-01")],
         "designations": [{"tag": "featured", "date": "2023-06-01"}],
         "snapshots": [snap("2023-12-31", floor_area_m2=500000, enterprises_and_teams=900, technology_enterprises=150, full_time_staff=40, mentors=30)]},
        {"id": "J2", "name": "park just under", "kind": "large_incubation_park",
         "events": [ev("operation_started", "2022-01-01")],
         "snapshots": [snap("2023-12-31", floor_area_m2=99999, enterprises_and_teams=300, technology_enterprises=100, full_time_staff=20, mentors=15)]},
        {"id": "J3", "name": "park without figures", "kind": "large_incubation_park",
         "events": [ev("operation_started", "2023-01-01")]},
        {"id": "J4", "name": "district maker space", "kind": "maker_space",
         "events": [ev("filed", "2020-05-01", level="district")],
         "snapshots": [snap("2020-12-31", floor_area_m2=1000, enterprises_and_teams=20), snap("2023-12-31", floor_area_m2=1200, enterprises_and_teams=25, mentors=5, full_time_staff=3)]},
        {"id": "J5", "name": "municipal maker space", "kind": "maker_space",
         "events": [ev("filed", "2019-05-01", level="district"), ev("filed", "2022-05-01", level="municipal")],
         "snapshots": [snap("2023-12-31", floor_area_m2=2000, enterprises_and_teams=40, technology_enterprises=10)]},
        {"id": "J6", "name": "national incubator", "kind": "incubator",
         "events": [ev("accredited", "2019-01-10", level="municipal"), ev("accredited", "2022-11-01", level="national")],
         "designations": [{"tag": "featured", "date": "2022-01-01"}],
         "snapshots": [snap("2020-12-31", floor_area_m2=10000, enterprises_and_teams=60, technology_enterprises=30),
                       snap("2023-12-31", floor_area_m2=15000, enterprises_and_teams=80, technology_enterprises=45, full_time_staff=10, mentors=12)]},
        {"id": "J7", "name": "municipal incubator", "kind": "incubator",
         "events": [ev("accredited", "2021-06-01", level="municipal")],
         "snapshots": [snap("2023-12-31", floor_area_m2=5000, enterprises_and_teams=50, technology_enterprises=20, full_time_staff=5, mentors=6)]},
    ],
}


@pytest.fixture(scope="module")
def jiangbei():
    return assess(portfolio_from_dict(JIANGBEI), "jiangbei-2022-targets", D(2023, 12, 31))


def test_jiangbei_floor_area_2023(jiangbei):
    r = jiangbei.result("floor-area-2023")
    # 500,000 + 99,999 + 1,200 + 2,000 + 15,000 + 5,000
    assert (623199, 0, "met") == (r.actual, r.gap, r.status)
    assert 11000 == r.start  # J4 1,000 + J6 10,000 at the end of 2020


def test_jiangbei_large_carriers_use_the_size_thresholds(jiangbei):
    r = jiangbei.result("large-carriers-2023")
    assert (1, "met") == (r.actual, r.status)
    assert ["J1"] == [c.carrier_id for c in r.contributions]  # J2 is 1 m2 short of 10万
    assert [("J3", ("floor_area_m2",))] == [(m.carrier_id, m.metrics) for m in r.missing]


def test_jiangbei_featured_enterprises_and_technology_2023(jiangbei):
    assert (2, "behind") == (jiangbei.result("featured-2023").actual, jiangbei.result("featured-2023").status)
    r = jiangbei.result("enterprises-and-teams-2023")
    assert (1395, 105, Fraction(1395, 1500), "behind") == (r.actual, r.gap, r.attainment, r.status)
    r = jiangbei.result("technology-enterprises-2023")
    assert (325, "met") == (r.actual, r.status)


def test_jiangbei_2025_staff_and_mentors(jiangbei):
    staff, mentors = jiangbei.result("full-time-staff-2025"), jiangbei.result("mentors-2025")
    assert (78, Fraction(78, 100)) == (staff.actual, staff.attainment)  # 40 + 20 + 3 + 10 + 5
    assert (68, 32) == (mentors.actual, mentors.gap)  # 30 + 15 + 5 + 12 + 6
    assert "no_baseline" == staff.status  # no staff figures reach back to 2021-01-01


def test_jiangbei_carriers_by_level_count_the_highest_title(jiangbei):
    assert ["J4"] == [c.carrier_id for c in jiangbei.result("district-maker-spaces-2025").contributions]
    assert ["J5", "J7"] == [c.carrier_id for c in jiangbei.result("municipal-carriers-2025").contributions]
    r = jiangbei.result("national-carriers-2025")
    assert (["J6"], Fraction(1, 5)) == ([c.carrier_id for c in r.contributions], r.attainment)
    # On 2021-01-01 J6 was municipal: 0 national carriers. The line reaches 5 at the end of 2025;
    # 2021-01-01 -> 2023-12-31 is 1,094 of the 1,825 days to 2025-12-31.
    assert (0, Fraction(5) * Fraction(1094, 1825)) == (r.start, r.expected)
    assert "behind" == r.status  # 1 < 2.997...


def test_jiangbei_at_or_above_reading_counts_a_carrier_at_every_level_below_its_title():
    a = assess(portfolio_from_dict(JIANGBEI), "jiangbei-2022-targets", D(2023, 12, 31), readings={"title_counts": "at_or_above"})
    assert ["J4", "J5"] == [c.carrier_id for c in a.result("district-maker-spaces-2025").contributions]
    assert ["J5", "J6", "J7"] == [c.carrier_id for c in a.result("municipal-carriers-2025").contributions]


def test_jiangbei_milestones_and_the_unquantified_target(jiangbei):
    by = jiangbei.by_milestone()
    assert ["end-2023", "end-2025"] == list(by)
    assert 5 == len(by["end-2023"])
    assert "not_assessed" == jiangbei.result("enterprise-ranking-2025").status
    assert () == jiangbei.checks


def test_the_assess_command_in_its_three_formats(capsys, tmp_path):
    args = ["assess", "examples/wanzhou-portfolio.yaml", "--ruleset", "wanzhou-2023-targets", "--as-of", "2024-12-31"]
    assert 0 == main(args)
    table = capsys.readouterr().out
    assert "Carriers at risk" in table and "Ready to climb" in table and "differs" in table
    assert 0 == main(args + ["--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert {"wz-17", "wz-18", "wz-21"} == set(data["management"]["carriers_at_risk"])
    assert "64500" == str(next(r for r in data["results"] if r["target"] == "floor-area")["actual"])
    assert 0 == main(args + ["--format", "csv"])
    text = capsys.readouterr().out
    assert text.startswith("\ufeff")  # a byte-order mark, so that Excel reads the Chinese as UTF-8
    rows = text[1:].splitlines()
    assert rows[0].startswith("target,group,milestone,due,area")
    assert "" == rows[1 + 39]  # the 39 targets, then the carriers at risk and those ready to climb
    assert rows[1 + 39 + 1].startswith("# 风险载体 / carriers at risk")
    assert any(r.startswith("# 可晋级载体 / ready to climb") for r in rows)
    assert "/" not in "".join(r.split(",")[11] for r in rows[1:40])  # attainment as a number, never 129/140


def test_the_assess_command_reports_bad_input_with_exit_code_2(capsys, tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("id: x\nname: y\ncarriers:\n  - {id: a, name: A, kind: castle}\n", encoding="utf-8")
    assert 2 == main(["assess", str(bad), "--ruleset", "wanzhou-2023-targets"])
    assert "carriers[0].kind" in capsys.readouterr().err
    assert 2 == main(["assess", "examples/wanzhou-portfolio.yaml", "--ruleset", "wanzhou-2023-targets", "--reading", "baseline=guess"])


def test_the_example_report_is_what_the_command_prints(capsys):
    """Regenerate with: incubator-rules assess examples/wanzhou-portfolio.yaml --ruleset wanzhou-2023-targets --as-of 2024-12-31 > examples/wanzhou-portfolio-report.txt"""
    assert 0 == main(["assess", "examples/wanzhou-portfolio.yaml", "--ruleset", "wanzhou-2023-targets", "--as-of", "2024-12-31"])
    with open("examples/wanzhou-portfolio-report.txt", encoding="utf-8") as f:
        assert f.read() == capsys.readouterr().out


def test_a_past_milestone_is_judged_on_its_due_date():
    # At mid-2025 the end-2023 milestones are past: J1's 50万 m2 community counted by then, the featured
    # designation of J1 (2023-06-01) and J6 (2022) too; a featured carrier designated in 2024 counts now, not then.
    later = dict(JIANGBEI, carriers=JIANGBEI["carriers"] + [
        {"id": "J8", "name": "featured late", "kind": "maker_space", "events": [ev("operation_started", "2024-01-01")],
         "designations": [{"tag": "featured", "date": "2024-03-01"}]},
    ])
    a = assess(portfolio_from_dict(later), "jiangbei-2022-targets", D(2025, 6, 30))
    r = a.result("featured-2023")
    assert (3, 2, "behind") == (r.actual, r.at_due, r.status)  # met now, missed on 2023-12-31
    assert (1, Fraction(2, 3)) == (r.gap, r.attainment)  # gap and attainment read the due date too, as the status does
    assert a.result("featured-2025").at_due is None
    assert (1, "met") == (a.result("large-carriers-2023").at_due, a.result("large-carriers-2023").status)
