"""Portfolios: carriers, snapshots (inline and CSV) and designations, and the errors bad data gets."""

import datetime
from decimal import Decimal

import pytest

from incubator_rules.errors import PortfolioError
from incubator_rules.files.portfolio import load_portfolio_document as load_portfolio
from incubator_rules.files.portfolio import parse_snapshots_csv, portfolio_from_dict
from incubator_rules.model.portfolio import Designation, Portfolio, Snapshot, standing
from incubator_rules.model.carrier import Carrier, CarrierKind, Level

D = datetime.date


def test_example_portfolio_loads_thirty_carriers_with_csv_snapshots():
    p = load_portfolio("examples/wanzhou-portfolio.yaml")
    assert 30 == len(p.carriers)
    assert 81 == len(p.snapshots)
    latest = p.latest("wz-01", D(2024, 12, 31))
    assert D(2024, 12, 31) == latest.date
    assert 11000 == latest.get("floor_area_m2")
    assert p.latest("wz-01", D(2022, 12, 30)) is None
    assert D(2022, 12, 31) == p.latest("wz-01", D(2023, 6, 30)).date


def test_round_trip_through_plain_data(tmp_path):
    p = load_portfolio("examples/wanzhou-portfolio.yaml")
    again = portfolio_from_dict(p.to_dict())
    assert p == again


CSV = """carrier_id,date,载体面积(平方米),enterprises_and_teams,mentors
a,2024-12-31,"12,000.5",40,
b,2024-12-31,800,,3
"""


def test_csv_accepts_chinese_headers_thousands_separators_and_empty_cells():
    snaps = parse_snapshots_csv(CSV, "s.csv")
    assert Snapshot("a", D(2024, 12, 31), {"floor_area_m2": Decimal("12000.5"), "enterprises_and_teams": 40}) == snaps[0]
    assert {"floor_area_m2": 800, "mentors": 3} == dict(snaps[1].values)


@pytest.mark.parametrize(
    "text, field, line, words",
    [
        ("carrier_id,date,area_m2\na,2024-12-31,1\n", None, 1, "unknown column 'area_m2'"),
        ("carrier_id,floor_area_m2\na,1\n", None, 1, "missing column 'date'"),
        ("carrier_id,date,mentors\na,2024-12-31,2.5\n", "mentors", 2, "must be a whole number"),
        ("carrier_id,date,mentors\na,2024-12-31,-3\n", "mentors", 2, "non-negative number"),
        ("carrier_id,date,mentors\na,2024-12-31,three\n", "mentors", 2, "non-negative number"),
        ("carrier_id,date,mentors\na,\n", None, 2, "expected 3 cells"),
        ("carrier_id,date,mentors\n\na,31/12/2024,3\n", "date", 3, "YYYY-MM-DD"),
    ],
)
def test_csv_errors_name_the_file_line_and_column(text, field, line, words):
    with pytest.raises(PortfolioError) as err:
        parse_snapshots_csv(text, "s.csv")
    assert field == err.value.field
    assert line == err.value.line
    assert "s.csv" == err.value.file
    assert words in str(err.value)


def _portfolio_file(tmp_path, body, csv_text=None):
    if csv_text is not None:
        (tmp_path / "snaps.csv").write_text(csv_text, encoding="utf-8")
    path = tmp_path / "p.yaml"
    path.write_text(body, encoding="utf-8")
    return path


BASE = """id: t
name: test
snapshots_csv: snaps.csv
carriers:
  - id: a
    name: A
    kind: incubator
    area: 万州经开区
    events:
      - {type: accredited, date: 2023-05-01, level: municipal}
"""


def test_a_snapshot_for_an_unknown_carrier_is_refused_with_its_line(tmp_path):
    path = _portfolio_file(tmp_path, BASE, "carrier_id,date,mentors\na,2024-12-31,1\nzz,2024-12-31,2\n")
    with pytest.raises(PortfolioError) as err:
        load_portfolio(path)
    assert 3 == err.value.line
    assert "unknown carrier 'zz'" in str(err.value)


def test_two_snapshots_of_one_carrier_on_one_date_are_refused(tmp_path):
    body = BASE + "    snapshots:\n      - {date: 2024-12-31, mentors: 4}\n"
    path = _portfolio_file(tmp_path, body, "carrier_id,date,mentors\na,2024-12-31,1\n")
    with pytest.raises(PortfolioError, match="two snapshots of carrier 'a' dated 2024-12-31"):
        load_portfolio(path)


def test_a_carrier_error_inside_a_portfolio_names_the_carrier_and_the_line(tmp_path):
    body = BASE.replace("level: municipal", "level: regional").replace("snapshots_csv: snaps.csv\n", "")
    path = _portfolio_file(tmp_path, body)
    with pytest.raises(PortfolioError) as err:
        load_portfolio(path)
    assert "carriers[0].events[0].level" == err.value.field
    assert 9 == err.value.line  # the events line, once snapshots_csv is removed


@pytest.mark.parametrize(
    "snippet, words",
    [
        ("    designations: [{tag: famous, date: 2024-01-01}]\n", "unknown designation 'famous'"),
        ("    designations: [{tag: featured, date: 2024-01-01, until: 2023-01-01}]\n", "cannot end"),
        ("    snapshots: [{date: 2024-12-31, floor_area: 3}]\n", "unknown field"),
        ("    snapshots: [{date: 2024-12-31, mentors: true}]\n", "expected a number"),
        ("    snapshots: [{mentors: 3}]\n", "required field is missing"),
    ],
)
def test_bad_portfolio_entries(tmp_path, snippet, words):
    body = BASE.replace("snapshots_csv: snaps.csv\n", "") + snippet
    with pytest.raises(PortfolioError, match=words):
        load_portfolio(_portfolio_file(tmp_path, body))


def test_duplicate_carrier_ids_are_refused():
    c = Carrier("a", "A", CarrierKind.INCUBATOR)
    with pytest.raises(PortfolioError, match="duplicate carrier id 'a'"):
        Portfolio("t", "t", carriers=(c, c))


def test_designations_hold_from_their_date_until_their_end():
    c = Carrier("a", "A", CarrierKind.INCUBATOR)
    p = Portfolio("t", "t", carriers=(c,), designations=(Designation("a", "featured", D(2024, 1, 1), D(2025, 1, 1)),))
    assert frozenset() == p.tags("a", D(2023, 12, 31))
    assert frozenset({"featured"}) == p.tags("a", D(2024, 12, 31))
    assert frozenset() == p.tags("a", D(2025, 1, 1))


def test_standing_follows_titles_and_delistings():
    c = Carrier.from_dict({"id": "a", "name": "A", "kind": "maker_space", "events": [
        {"type": "filed", "date": "2020-01-01", "level": "district"},
        {"type": "filed", "date": "2022-01-01", "level": "municipal"},
        {"type": "delisted", "date": "2023-01-01"},
        {"type": "accredited", "date": "2024-01-01", "level": "district", "kind": "incubator"},
    ]})
    assert (CarrierKind.MAKER_SPACE, Level.MUNICIPAL) == standing(c, D(2022, 6, 1)).highest
    assert standing(c, D(2023, 6, 1)).delisted
    assert standing(c, D(2023, 6, 1)).highest is None
    after = standing(c, D(2024, 6, 1))
    assert not after.delisted
    assert {CarrierKind.INCUBATOR: Level.DISTRICT} == dict(after.titles)
    assert not standing(c, D(2019, 1, 1)).known
