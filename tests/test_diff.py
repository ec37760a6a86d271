"""`incubator-rules diff`: what changed between two rulesets, and what it changes for carriers and the budget."""

import datetime
import json
import shutil

import pytest

from incubator_rules import Carrier, CarrierError, load_ruleset, parse_ruleset
from incubator_rules.tools.check import check_file
from incubator_rules.views.cli import main
from incubator_rules.files.carriers import portfolio_carriers
from incubator_rules.tools.diff import diff_rulesets, ruleset_changes

from amendments import amended_text, write_amended

PORTFOLIO = "docs/walkthrough/portfolio.yaml"
SHIPPED = load_ruleset("wanzhou-2023")
AMENDED = parse_ruleset(amended_text(), file="wanzhou-2023-amended.yaml")


def test_a_ruleset_compared_with_itself_has_no_changes():
    assert ruleset_changes(SHIPPED, SHIPPED) == []
    result = diff_rulesets(SHIPPED, SHIPPED, portfolio_carriers(PORTFOLIO), datetime.date(2026, 12, 31))
    assert result.carriers == () and result.carriers_compared == 5
    assert all(old == new for old, new in result.budget.values())


def test_changes_are_listed_by_section():
    changes = [(c.section, c.change, c.key) for c in ruleset_changes(SHIPPED, AMENDED)]
    assert changes == [
        ("parameters", "changed", "tables.construction_subsidy.columns.incubator.values.municipal"),
        ("citations", "added", "documents.notice-2025"),
        ("citations", "added", "clauses.notice-2025-municipal-incubator"),
        ("metadata", "changed", "version"),
    ]
    amount = ruleset_changes(SHIPPED, AMENDED)[0]
    assert (amount.old, amount.new) == ("500,000", (
        "500,000 from the start (q6-incubator-accreditation)", "800,000 from 2025-01-01 (notice-2025-municipal-incubator)"))
    back = [(c.change, c.key) for c in ruleset_changes(AMENDED, SHIPPED)]
    assert ("removed", "documents.notice-2025") in back


def test_readings_rules_and_citation_text_changes_are_named():
    text = SHIPPED.path and open(SHIPPED.path, encoding="utf-8").read()
    edited = (text.replace("    default: plan_period", "    default: issue_date")
              .replace("    duration: {years: 1}", "    duration: {years: 2}")
              .replace("可再获得建设经费补助差价30万元。", "可再获得建设经费补助差价。")
              .replace(f'version: "{SHIPPED.version}"', 'version: "3.0.0"'))
    keys = {(c.section, c.key): (c.old, c.new) for c in ruleset_changes(SHIPPED, parse_ruleset(edited))}
    assert keys[("readings", "readings.new_accreditation_window.default")] == ("plan_period", "issue_date")
    assert keys[("rules", "rules.normal-operation.duration.years")] == (1, 2)
    assert keys[("citations", "clauses.q6-example.text")][1].endswith("差价。")
    assert len(keys) == 4


def test_portfolio_shows_which_carriers_change_by_how_much_and_the_budget_per_year():
    # Hand-computed from the portfolio: the 2025 municipal incubator gets 800,000 instead of 500,000,
    # the incubator climbing from district (200,000) to municipal in 2025 gets 600,000 instead of 300,000;
    # everything else (a 2024 accreditation, a maker space, an evaluation award) is unchanged.
    result = diff_rulesets(SHIPPED, AMENDED, portfolio_carriers(PORTFOLIO), datetime.date(2026, 12, 31))
    assert [(c.carrier_id, c.old_awarded, c.new_awarded, c.difference) for c in result.carriers] == [
        ("wt-inc-2025", 500_000, 800_000, 300_000),
        ("wt-inc-climb", 500_000, 800_000, 300_000),
    ]
    assert [(d.event, d.rule, d.old.amount, d.new.amount) for d in result.carriers[1].decisions] == [
        ("municipal", "upgrade-differential", 300_000, 600_000)]
    assert dict(result.budget) == {
        2024: (200_000, 200_000),
        2025: (600_000, 600_000),
        2026: (1_000_000, 1_600_000),
    }


def test_pending_amounts_count_in_the_budget_of_the_year_they_fall_due():
    result = diff_rulesets(SHIPPED, AMENDED, portfolio_carriers(PORTFOLIO), datetime.date(2025, 12, 31))
    [inc] = [c for c in result.carriers if c.carrier_id == "wt-inc-2025"]
    assert (inc.old_awarded, inc.old_pending, inc.new_pending) == (0, 500_000, 800_000)
    assert result.budget[2026] == (1_000_000, 1_600_000)


def test_a_portfolio_can_be_a_directory_of_carrier_files_or_a_district_portfolio(tmp_path):
    for name in ("q6-maker-space.yaml", "star-space-rectified.json"):
        shutil.copy(f"examples/{name}", tmp_path / name)
    (tmp_path / "more.yaml").write_text("- {id: a, name: A, kind: incubator}\n", encoding="utf-8")
    assert [c.id for c in portfolio_carriers(tmp_path)] == ["a", "wz-ms-a", "wz-star-longju"]
    district = tmp_path / "district.yaml"
    district.write_text("id: d\nname: a district\ncarriers:\n  - {id: b, name: B, kind: maker_space,"
                        " snapshots: [{date: 2024-12-31, floor_area_m2: 600}]}\n", encoding="utf-8")
    assert [c.id for c in portfolio_carriers(district)] == ["b"]
    assert [c.id for c in portfolio_carriers("examples")][:2] == ["wz-ms-delisted", "wz-inc-excellent"]
    case = tmp_path / "case.yaml"
    shutil.copy("tests/cases/q6-worked-example.yaml", case)
    with pytest.raises(CarrierError, match="a case file"):
        portfolio_carriers(case)


def test_portfolio_errors_name_the_carrier_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {id: a, name: A, kind: incubator}\n- {id: b, name: B, kind: bakery}\n", encoding="utf-8")
    with pytest.raises(CarrierError) as err:
        portfolio_carriers(bad)
    assert (err.value.field, err.value.line) == ("[1].kind", 2)
    assert [(p.field, p.line) for p in check_file(bad).problems] == [("[1].kind", 2)]
    twice = tmp_path / "twice.yaml"
    twice.write_text("- {id: a, name: A, kind: incubator}\n- {id: a, name: B, kind: incubator}\n", encoding="utf-8")
    with pytest.raises(CarrierError, match="repeated: a"):
        portfolio_carriers(twice)


def test_diff_command_table_and_json(tmp_path, capsys):
    new = write_amended(tmp_path)
    assert main(["diff", "wanzhou-2023", str(new), "--portfolio", PORTFOLIO, "--as-of", "2026-12-31"]) == 0
    out = capsys.readouterr().out
    assert "+ 800,000 from 2025-01-01 (notice-2025-municipal-incubator)" in out
    assert "Portfolio as of 2026-12-31: 2 of 5 carriers' decisions change." in out
    assert "  2026       1,000,000     1,600,000      +600,000" in out
    assert main(["diff", "wanzhou-2023", str(new), "--portfolio", PORTFOLIO, "--as-of", "2026-12-31", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["new"]["version"] == "1.1.0"
    assert data["portfolio"]["budget_by_year"][-1] == {"year": 2026, "old": 1_000_000, "new": 1_600_000, "difference": 600_000}
    assert data["portfolio"]["budget_total"] == {"old": 1_800_000, "new": 2_400_000}
    assert [c["carrier"] for c in data["portfolio"]["carriers_changed"]] == ["wt-inc-2025", "wt-inc-climb"]
    assert main(["diff", "wanzhou-2023", str(new), "--as-of", "someday", "--portfolio", PORTFOLIO]) == 2
    assert main(["diff", "wanzhou-2023", str(tmp_path / "missing.yaml")]) == 2


def test_a_change_to_each_year_of_a_rent_subsidy_is_listed_for_that_year():
    # 第一年按18元/m/月,第二年15元/m/月, amended to 20 and 12: each year of the subsidy is its own change
    # (100 m2 x 12 months: 21,600 -> 24,000 and 18,000 -> 14,400)
    wuchang = load_ruleset("wuhan-wuchang-2020")
    text = open(wuchang.path, encoding="utf-8").read()
    assert text.count("rate: [18, 15]  #") == 1
    amended = parse_ruleset(text.replace("rate: [18, 15]  #", "rate: [20, 12]  #")
                            .replace(f'version: "{wuchang.version}"', 'version: "9.0.0"'), file="amended.yaml")
    park = Carrier.from_dict({"id": "p", "name": "p", "kind": "incubator", "facts": {"park_level": "district"}, "events": [
        {"id": "a", "date": "2020-03-15", "type": "accredited", "level": "district"},
        {"id": "t", "date": "2020-03-15", "type": "tenancy", "firm": "T1", "from": "2020-03-15", "to": "2022-03-15",
         "area_m2": 100, "tech_firm": True}]})
    result = diff_rulesets(wuchang, amended, [park], datetime.date(2022, 12, 31))
    [change] = result.carriers
    assert [(c.rule, c.old.amount, c.new.amount) for c in change.decisions] == [("park-rent", 21_600, 24_000),
                                                                             ("park-rent", 18_000, 14_400)]
    assert (change.old_awarded, change.new_awarded) == (39_600, 38_400)
