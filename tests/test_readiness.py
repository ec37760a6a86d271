"""Upgrade readiness: carriers just above and just below each published threshold."""

import datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from incubator_rules.model.carrier import Carrier
from incubator_rules.errors import RulesetError
from incubator_rules.model.portfolio import Designation, Portfolio, Snapshot
from incubator_rules.district.readiness import (
    MET,
    MISSED,
    NOT_ASSESSED,
    NOT_READY,
    READY,
    readiness,
)
from incubator_rules.files.criteria import load_criteria, parse_criteria

D = datetime.date
AS_OF = D(2024, 12, 31)

# A municipal incubator exactly at every national threshold (incubatees: 60, to leave room for the density rule).
INCUBATOR = dict(
    floor_area_m2=20000, incubatee_floor_area_m2=15000, enterprises_and_teams=60, financed_incubatees=6,
    seed_fund_yuan=5_000_000, fund_use_cases=3, professional_staff=8, total_staff=10, full_time_staff=6, mentors=6,
    patent_applicant_incubatees=30, valid_ip_incubatees=18, graduated_firms=20,
)
INCUBATOR_EVENTS = [
    {"type": "operation_started", "date": "2021-12-31"},  # three years exactly on AS_OF
    {"type": "accredited", "date": "2022-06-01", "level": "municipal"},
]


def level_result(level_id, values, events, kind="incubator", as_of=AS_OF, tags=(), snapshots_years=(2023,)):
    c = Carrier.from_dict({"id": "c", "name": "C", "kind": kind, "events": events})
    snaps = [Snapshot("c", D(y, 12, 31), dict(values)) for y in snapshots_years] + [Snapshot("c", as_of, dict(values))]
    p = Portfolio("p", "p", carriers=(c,), snapshots=tuple(snaps),
                  designations=tuple(Designation("c", t, D(2020, 1, 1)) for t in tags))
    results = {r.level_id: r for r in readiness(p, "c", as_of)}
    return results.get(level_id), results


def criterion(result, cid):
    return next(c for c in result.criteria if c.id == cid)


def test_an_incubator_at_every_national_threshold_is_ready():
    r, _ = level_result("national-incubator", INCUBATOR, INCUBATOR_EVENTS)
    assert READY == r.status
    assert all(MET == c.status for c in r.criteria)
    assert "general" == r.variant


# criterion id, change that puts the carrier just below, shortfall, units needed
BELOW = [
    ("floor-area", {"floor_area_m2": Decimal("9999.5"), "incubatee_floor_area_m2": 7500, "enterprises_and_teams": 50,
                    "financed_incubatees": 5, "full_time_staff": 5, "mentors": 5, "patent_applicant_incubatees": 25,
                    "valid_ip_incubatees": 15}, Fraction(1, 2), Fraction(1, 2)),
    ("incubatee-area-share", {"incubatee_floor_area_m2": 14999}, Fraction(1, 20000), Fraction(1)),
    ("seed-fund", {"seed_fund_yuan": 4_999_999}, Fraction(1), Fraction(1)),
    ("financed-share", {"financed_incubatees": 5}, Fraction(1, 60), Fraction(1)),
    ("fund-use-cases", {"fund_use_cases": 2}, Fraction(1), Fraction(1)),
    ("professional-staff-share", {"professional_staff": 7}, Fraction(1, 10), Fraction(1)),
    ("staff-per-incubatees", {"full_time_staff": 5}, Fraction(1, 60), Fraction(1)),
    ("mentors-per-incubatees", {"mentors": 5}, Fraction(1, 60), Fraction(1)),
    ("incubatees", {"enterprises_and_teams": 49, "floor_area_m2": 16000, "incubatee_floor_area_m2": 12000,
                    "financed_incubatees": 5, "full_time_staff": 5, "mentors": 5, "patent_applicant_incubatees": 25,
                    "valid_ip_incubatees": 15}, Fraction(1), Fraction(1)),
    ("incubatee-density", {"floor_area_m2": 20001, "incubatee_floor_area_m2": 15001}, Fraction(3, 1000) - Fraction(60, 20001), Fraction(1)),
    ("graduated-firms", {"graduated_firms": 19}, Fraction(1), Fraction(1)),
]


@pytest.mark.parametrize("cid, change, shortfall, needed", BELOW, ids=[b[0] for b in BELOW])
def test_just_below_a_national_incubator_threshold(cid, change, shortfall, needed):
    r, _ = level_result("national-incubator", {**INCUBATOR, **change}, INCUBATOR_EVENTS)
    assert NOT_READY == r.status
    assert [cid] == [c.id for c in r.missed]
    c = criterion(r, cid)
    assert (shortfall, needed) == (c.shortfall, c.needed)


def test_intellectual_property_needs_one_of_its_two_shares():
    only_ip = {**INCUBATOR, "patent_applicant_incubatees": 29}  # 48.3% with patents, 30% with valid IP
    assert MET == criterion(level_result("national-incubator", only_ip, INCUBATOR_EVENTS)[0], "intellectual-property").status
    neither = {**INCUBATOR, "patent_applicant_incubatees": 29, "valid_ip_incubatees": 17}
    c = criterion(level_result("national-incubator", neither, INCUBATOR_EVENTS)[0], "intellectual-property")
    assert MISSED == c.status
    assert [(MISSED, Fraction(1)), (MISSED, Fraction(1))] == [(m.status, m.needed) for m in c.members]


def test_operating_years_just_below_and_just_at():
    late = [{"type": "operation_started", "date": "2022-01-01"}, INCUBATOR_EVENTS[1]]
    c = criterion(level_result("national-incubator", INCUBATOR, late)[0], "operating-years")
    assert (MISSED, Fraction(36), Fraction(35)) == (c.status, c.required, c.actual)
    c = criterion(level_result("national-incubator", INCUBATOR, late, as_of=D(2025, 1, 1))[0], "operating-years")
    assert MET == c.status


def test_operating_years_without_an_operation_start():
    only_accredited = [{"type": "accredited", "date": "2022-06-01", "level": "municipal"}]
    c = criterion(level_result("national-incubator", INCUBATOR, only_accredited)[0], "operating-years")
    assert NOT_ASSESSED == c.status
    assert "no operation start" in c.reason
    long_ago = [{"type": "accredited", "date": "2019-06-01", "level": "municipal"}]
    c = criterion(level_result("national-incubator", INCUBATOR, long_ago)[0], "operating-years")
    assert MET == c.status
    assert "at least since its accreditation" in c.reason


def test_statistics_years_need_two_consecutive_years():
    r, _ = level_result("national-incubator", INCUBATOR, INCUBATOR_EVENTS, snapshots_years=(2022,))
    c = criterion(r, "statistics-years")
    assert (MISSED, Fraction(2), Fraction(1)) == (c.status, c.required, c.actual)


def test_specialised_incubators_have_lower_thresholds():
    values = {**INCUBATOR, "enterprises_and_teams": 30, "floor_area_m2": 15000, "incubatee_floor_area_m2": 11250,
              "financed_incubatees": 3, "full_time_staff": 3, "mentors": 3, "patent_applicant_incubatees": 15,
              "valid_ip_incubatees": 9, "graduated_firms": 15}
    special, _ = level_result("national-incubator", values, INCUBATOR_EVENTS, tags=("specialised",))
    assert (READY, "specialised") == (special.status, special.variant)
    assert "ni-specialised" in [c.clause for c in special.citations]
    general, _ = level_result("national-incubator", values, INCUBATOR_EVENTS)
    assert {"incubatees", "incubatee-density", "graduated-firms"} == {c.id for c in general.missed}
    below = {**values, "enterprises_and_teams": 29, "graduated_firms": 14, "floor_area_m2": 14500, "incubatee_floor_area_m2": 10875}
    r, _ = level_result("national-incubator", below, INCUBATOR_EVENTS, tags=("specialised",))
    assert {"incubatees", "graduated-firms"} == {c.id for c in r.missed}


def test_a_missing_figure_is_not_assessed_never_guessed():
    values = {k: v for k, v in INCUBATOR.items() if k != "seed_fund_yuan"}
    r, _ = level_result("national-incubator", values, INCUBATOR_EVENTS)
    assert NOT_ASSESSED == r.status
    c = criterion(r, "seed-fund")
    assert (NOT_ASSESSED, None) == (c.status, c.actual)
    assert "does not report seed_fund_yuan" in c.reason


MAKER_SPACE = dict(
    floor_area_m2=500, incubatee_floor_area_m2=375, enterprises_and_teams=20, new_firms_registered=10,
    incubation_cases=3, full_time_staff=3, mentors=3, events_held=10,
)
MAKER_EVENTS = [{"type": "operation_started", "date": "2023-06-30"}]  # 18 months exactly on AS_OF


def test_a_maker_space_at_every_national_and_chongqing_threshold():
    _, results = level_result(None, MAKER_SPACE, MAKER_EVENTS, kind="maker_space")
    assert READY == results["national-maker-space"].status
    assert READY == results["chongqing-maker-space"].status


MAKER_BELOW = [
    ("national-maker-space", "space", {"floor_area_m2": 499, "workstations": 29}),
    ("national-maker-space", "start-up-share", {"incubatee_floor_area_m2": 374}),
    ("national-maker-space", "teams", {"enterprises_and_teams": 19}),
    ("national-maker-space", "new-firms-or-financed", {"new_firms_registered": 9, "financed_incubatees": 4}),
    ("national-maker-space", "incubation-cases", {"incubation_cases": 2}),
    ("national-maker-space", "full-time-staff", {"full_time_staff": 2}),
    ("national-maker-space", "mentors", {"mentors": 2}),
    ("national-maker-space", "events", {"events_held": 9}),
    ("chongqing-maker-space", "space", {"floor_area_m2": 499, "workstations": 29}),
    ("chongqing-maker-space", "teams", {"enterprises_and_teams": 19}),
    ("chongqing-maker-space", "new-firms-or-financed", {"new_firms_registered": 6, "financed_incubatees": 2}),
    ("chongqing-maker-space", "full-time-staff", {"full_time_staff": 2}),
    ("chongqing-maker-space", "mentors", {"mentors": 2}),
    ("chongqing-maker-space", "events", {"events_held": 9}),
]


@pytest.mark.parametrize("level_id, cid, change", MAKER_BELOW, ids=[f"{a}-{b}" for a, b, _ in MAKER_BELOW])
def test_just_below_a_maker_space_threshold(level_id, cid, change):
    r, _ = level_result(level_id, {**MAKER_SPACE, **change}, MAKER_EVENTS, kind="maker_space")
    assert NOT_READY == r.status
    assert [cid] == [c.id for c in r.missed]


@pytest.mark.parametrize("level_id, alternative", [
    ("national-maker-space", {"floor_area_m2": 499, "incubatee_floor_area_m2": 375, "workstations": 30}),
    ("national-maker-space", {"new_firms_registered": 9, "financed_incubatees": 5}),
    ("chongqing-maker-space", {"new_firms_registered": 6, "financed_incubatees": 3}),
    ("chongqing-maker-space", {"floor_area_m2": 499, "workstations": 30}),
])
def test_one_alternative_at_its_threshold_is_enough(level_id, alternative):
    r, _ = level_result(level_id, {**MAKER_SPACE, **alternative}, MAKER_EVENTS, kind="maker_space")
    assert READY == r.status


def test_maker_space_operating_months_just_below():
    _, results = level_result(None, MAKER_SPACE, [{"type": "operation_started", "date": "2023-07-01"}], kind="maker_space")
    assert ["operating-months"] == [c.id for c in results["national-maker-space"].missed]
    assert READY == results["chongqing-maker-space"].status
    _, results = level_result(None, MAKER_SPACE, [{"type": "operation_started", "date": "2024-01-01"}], kind="maker_space")
    assert ["operating-months"] == [c.id for c in results["chongqing-maker-space"].missed]


def test_levels_whose_thresholds_the_sources_do_not_give_are_not_assessed():
    _, results = level_result(None, INCUBATOR, [{"type": "operation_started", "date": "2015-01-01"}])
    assert {"national-incubator", "chongqing-incubator", "district-incubator"} == set(results)
    for lid in ("chongqing-incubator", "district-incubator"):
        assert NOT_ASSESSED == results[lid].status
        assert "give no thresholds" in results[lid].criteria[0].reason
    _, star = level_result(None, MAKER_SPACE, [{"type": "filed", "date": "2019-01-01", "level": "municipal"}], kind="star_innovation_space")
    assert {"star-innovation-space-national": NOT_ASSESSED} == {k: v.status for k, v in star.items()}


def test_only_higher_levels_and_no_delisted_carriers():
    national = [{"type": "accredited", "date": "2019-01-01", "level": "national"}]
    assert {} == level_result(None, INCUBATOR, national)[1]
    delisted = INCUBATOR_EVENTS + [{"type": "delisted", "date": "2024-06-01"}]
    assert {} == level_result(None, INCUBATOR, delisted)[1]


def test_the_criteria_cite_secondary_reprints():
    r, _ = level_result("national-incubator", INCUBATOR, INCUBATOR_EVENTS)
    cite = r.citations[0]
    assert "国科发区〔2018〕300号" == cite.document_number
    assert "[secondary reprint; paraphrase, not the official wording]" in cite.section


@pytest.mark.parametrize("old, new, words", [
    ("        metric: seed_fund_yuan\n        at_least: 5000000", "        metric: seed_fund\n        at_least: 5000000", "unknown metric 'seed_fund'"),
    ("        metric: graduated_firms\n        at_least: 20\n        specialised: 15\n\n  - id: national-maker-space",
     "        metric: graduated_firms\n        at_least: 20\n        specialised: 15\n        per: 10\n\n  - id: national-maker-space", "per applies to ratios only"),
    ("    clause: q3-incubator-levels\n    thresholds: not_given\n\n  - id: district", "    clause: q3-incubator-levels\n    thresholds: unknown\n\n  - id: district", "expected given or not_given"),
    ("        metric: events_held\n        at_least: 10\n\n  - id: chongqing-maker-space", "        metric: events_held\n        at_least: 10\n        specialised: 5\n\n  - id: chongqing-maker-space", "no specialised_clause"),
])
def test_broken_criteria_files_are_refused(old, new, words):
    from incubator_rules.files.types import shipped_files

    text = next(p for k, p in shipped_files("criteria")).read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(RulesetError, match=words):
        parse_criteria(text.replace(old, new, 1), "c.yaml")


def test_the_shipped_criteria_load():
    cs = load_criteria()
    assert 14 == len(cs.level("national-incubator").criteria)
    assert not cs.level("chongqing-incubator").thresholds_given


def test_operation_started_at_the_end_of_the_calendar_is_not_complete():
    r, _ = level_result("national-incubator", INCUBATOR, [{"type": "operation_started", "date": "9999-06-01"}], as_of=D(9999, 12, 31))
    assert (criterion(r, "operating-years").status, "complete on a date after 9999-12-31" in criterion(r, "operating-years").reason) == (MISSED, True)
