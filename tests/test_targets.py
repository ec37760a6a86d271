"""Target rulesets: the Wanzhou and Jiangbei targets as the sources state them, and the loader's checks."""

import re
from decimal import Decimal
from pathlib import Path

import pytest

import incubator_rules as ir
from incubator_rules.views.cli import main
from incubator_rules.errors import RulesetError
from incubator_rules.files.types import shipped_files
from incubator_rules.files.targets import load_targets, parse_targets

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT.parent / "shared" / "policy"

# Section 二 of the Wanzhou interpretation, transcribed row by row:
# 序号, 区域, 建设载体面积(万平方米), 聚集企业和团队数量(个), 孵化科技型企业数量(个)
WANZHOU_TABLE = [
    (1, "万州经开区", "2.6", 400, 300),
    (2, "渝东新区", "1.5", 300, 200),
    (3, "百安坝街道", "1.3", 200, 15),
    (4, "牌楼街道", "0.4", 50, 15),
    (5, "龙都街道", "0.4", 50, 15),
    (6, "双河口街道", "0.3", 50, 15),
    (7, "高笋塘街道", "0.2", 50, 15),
    (8, "九池街道", "0.3", 50, 15),
    (9, "龙驹镇", "0.5", 50, 10),
]


@pytest.fixture(scope="module")
def wanzhou():
    return load_targets("wanzhou-2023-targets")


@pytest.fixture(scope="module")
def jiangbei():
    return load_targets("jiangbei-2022-targets")


@pytest.mark.parametrize("number, area, floor_wan, teams, tech", WANZHOU_TABLE)
def test_the_nine_area_table_cell_by_cell(wanzhou, number, area, floor_wan, teams, tech):
    row = wanzhou.area_tables[0].rows[number - 1]
    assert (number, area) == (row.number, row.area)
    assert (Decimal(floor_wan), Decimal(teams), Decimal(tech)) == row.cells
    floor = wanzhou.target(f"area-{number}-floor_area_m2")
    assert int(Decimal(floor_wan) * 10000) == floor.required
    assert ("wan_m2", Decimal(floor_wan)) == (floor.unit, floor.written)
    assert teams == wanzhou.target(f"area-{number}-enterprises_and_teams").required
    assert tech == wanzhou.target(f"area-{number}-technology_enterprises").required
    for metric in ("floor_area_m2", "enterprises_and_teams", "technology_enterprises"):
        t = wanzhou.target(f"area-{number}-{metric}")
        assert area == t.area == t.measure.where.area
        assert "2025-12-31" == t.milestone.due.isoformat()


def test_the_table_total_row(wanzhou):
    assert (Decimal("7.5"), Decimal(1200), Decimal(600)) == wanzhou.area_tables[0].total
    assert "合计" == wanzhou.area_tables[0].total_label


def _source_table_rows():
    text = (SOURCES / "wanzhou-2023-plan-interpretation.zh.txt").read_text(encoding="utf-8")
    section = text[text.index("孵化科技型企业数量(个)"): text.index("三、适用对象")]
    cells = [line.strip() for line in section.splitlines() if line.strip()]
    rows = []
    for i, cell in enumerate(cells):
        if re.fullmatch(r"[1-9]", cell) and i + 4 < len(cells):
            rows.append((int(cell), cells[i + 1], cells[i + 2], int(cells[i + 3]), int(cells[i + 4])))
    return rows


@pytest.mark.skipif(not SOURCES.is_dir(), reason="the shared policy sources are not beside this checkout")
def test_the_transcription_matches_the_source_file():
    assert WANZHOU_TABLE == _source_table_rows()


@pytest.mark.skipif(not SOURCES.is_dir(), reason="the shared policy sources are not beside this checkout")
@pytest.mark.parametrize("ruleset_id", ["wanzhou-2023-targets", "jiangbei-2022-targets"])
def test_every_quote_stands_in_the_source_text(ruleset_id):
    ts = load_targets(ruleset_id)
    files = {d.file for d in ts.header.documents.values() if d.file}
    text = "".join((SOURCES / f).read_text(encoding="utf-8") for f in files)
    text = text.replace("2023829日", "2023年8月29日")  # the scraping losses the policy README lists
    for t in ts.targets:
        if t.area is None:
            assert t.quote in text, t.id
    for clause in ts.header.clauses.values():
        if "序号" not in clause.text:  # the table is a transcription of line-broken cells
            assert clause.text in text, clause.id


@pytest.mark.parametrize(
    "target_id, required, unit, quote",
    [
        ("floor-area", 70000, "m2", "全区建成孵化载体总面积7万平方米以上"),
        ("large-incubation-park", 1, "count", "建设大型科技企业孵化园1个"),
        ("featured-carriers", 3, "count", "特色孵化载体3个以上"),
        ("new-national", 1, "count", "新培育国家级孵化载体1个"),
        ("new-municipal", 3, "count", "市级孵化载体3个以上"),
        ("practitioners", 200, "people", "培育孵化从业人员和技术经纪人200名以上"),
        ("enterprises-and-teams", 1200, "count", "聚集企业和团队1200个"),
        ("technology-enterprises", 600, "count", "孵化科技型企业600家"),
        ("municipal-floor-area", 50000, "m2", "建设载体面积5万平方米"),
        ("municipal-enterprises-and-teams", 400, "count", "聚集企业团队400个"),
        ("municipal-technology-enterprises", 60, "count", "孵化科技型企业60个"),
    ],
)
def test_wanzhou_district_targets(wanzhou, target_id, required, unit, quote):
    t = wanzhou.target(target_id)
    assert (required, unit, quote) == (t.required, t.base_unit, t.quote)


@pytest.mark.parametrize(
    "target_id, due, required, quote",
    [
        ("floor-area-2023", "2023-12-31", 200000, "全区建成孵化载体总面积20万平方米以上"),
        ("large-carriers-2023", "2023-12-31", 1, "重点打造具有全市影响力的大型孵化载体1—2个"),
        ("featured-2023", "2023-12-31", 3, "特色孵化载体3个以上"),
        ("enterprises-and-teams-2023", "2023-12-31", 1500, "聚集在孵企业和初创团队1500个以上"),
        ("technology-enterprises-2023", "2023-12-31", 300, "孵化培育科技型企业300家以上"),
        ("floor-area-2025", "2025-12-31", 300000, "全区建成孵化载体总面积30万平方米以上"),
        ("large-carriers-2025", "2025-12-31", 1, "建成具有全市影响力的大型孵化载体1—2个"),
        ("featured-2025", "2025-12-31", 6, "特色载体6个以上"),
        ("enterprises-and-teams-2025", "2025-12-31", 2400, "聚集在孵企业和初创团队2400个以上"),
        ("technology-enterprises-2025", "2025-12-31", 500, "孵化培育科技型企业500家以上"),
        ("full-time-staff-2025", "2025-12-31", 100, "专职孵化服务人员达到100名以上"),
        ("mentors-2025", "2025-12-31", 100, "创业导师达到100名以上"),
        ("district-maker-spaces-2025", "2025-12-31", 20, "建成区级众创空间20家以上"),
        ("municipal-carriers-2025", "2025-12-31", 25, "市级孵化载体25家以上"),
        ("national-carriers-2025", "2025-12-31", 5, "国家级孵化载体5家以上"),
    ],
)
def test_jiangbei_milestones(jiangbei, target_id, due, required, quote):
    t = jiangbei.target(target_id)
    assert (due, required, quote) == (t.milestone.due.isoformat(), t.required, t.quote)


def test_jiangbei_large_carrier_thresholds(jiangbei):
    large = jiangbei.selectors["large-carrier"]
    thresholds = {next(iter(s.kinds)).value: (s.at_least[0].value, s.at_least[0].written) for s in large.any_of}
    assert {
        "large_innovation_community": (500000, Decimal(50)),
        "large_incubation_park": (100000, Decimal(10)),
    } == thresholds


def test_the_reward_loader_refuses_a_targets_file_and_names_the_right_loader():
    with pytest.raises(RulesetError, match="load_targets"):
        ir.load_ruleset("wanzhou-2023-targets")


def test_the_targets_loader_refuses_a_reward_ruleset():
    with pytest.raises(RulesetError, match="reward ruleset"):
        load_targets("wanzhou-2023")


def test_shipped_rulesets_still_lists_only_reward_rulesets():
    assert ["wanzhou-2023"] == [p.stem for p in ir.shipped_rulesets()]
    kinds = {p.stem: kind for kind, p in shipped_files()}
    assert {
        "wanzhou-2023": "reward",
        "wanzhou-2023-targets": "targets",
        "jiangbei-2022-targets": "targets",
        "chongqing-dynamic-management": "management",
        "upgrade-criteria": "criteria",
    } == kinds


def test_the_rulesets_command_lists_every_kind(capsys):
    assert 0 == main(["rulesets"])
    out = capsys.readouterr().out
    for line in ("wanzhou-2023 ", "wanzhou-2023-targets", "jiangbei-2022-targets", "chongqing-dynamic-management", "upgrade-criteria"):
        assert line in out
    assert "targets" in out and "management" in out and "criteria" in out and "reward" in out


def _wanzhou_text():
    return (ROOT / "rulesets" / "wanzhou-2023-targets.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "old, new, words",
    [
        ("quote: 全区建成孵化载体总面积7万平方米以上", "quote: 全区建成孵化载体总面积8万平方米以上", "is not in the text of clause 'goals'"),
        ("metrics: [floor_area_m2]\n    required: 7\n", "metrics: [floor_area]\n    required: 7\n", "unknown metric 'floor_area'"),
        ("    required: 1200\n", "    required: 0\n", "more than zero"),
        ("    required: 200\n    unit: people", "    required: 200\n    unit: persons", "unknown unit 'persons'"),
        ("    required: 200\n    unit: people", "    required: 200\n    unit: m2", "measured in people"),
        ("      - [9, 龙驹镇, 0.5, 50, 10]", "      - [9, 龙驹镇, 0.6, 50, 10]", "is not in the text of clause 'area-table'"),
        ("    milestone: end-2025\n    title: {zh: 孵化载体总面积", "    milestone: end-2024\n    title: {zh: 孵化载体总面积", "unknown milestone 'end-2024'"),
        ("type: targets\n", "", "this is a reward ruleset file"),
        ("  new_titles:\n    question:", "  new_title:\n    question:", "needs a reading named 'new_titles'"),
    ],
)
def test_broken_targets_files_are_refused_with_the_field(old, new, words):
    text = _wanzhou_text()
    assert old in text
    with pytest.raises(RulesetError, match=re.escape(words)) as err:
        parse_targets(text.replace(old, new, 1), "w.yaml")
    assert err.value.line is not None or "type" in str(err.value)
