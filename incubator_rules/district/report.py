"""The district report: targets assessed, carriers at risk, carriers ready to climb.

``district_report`` puts together what a science bureau asks of its
portfolio on one date: where the district stands against each plan target
(``assess``), which carriers risk losing their title (``manage``) and which
meet the published criteria of a higher level (``readiness``).
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any, Mapping

import attrs

from ..files.criteria import CriteriaSet, load_criteria
from ..files.management import DEFAULT_MANAGEMENT, ManagementRules, load_management
from ..files.targets import TargetRuleset, load_targets
from ..model.decision import ManagementDecision
from ..model.display import renderer
from ..model.portfolio import Portfolio
from .assessment import Assessment, assess
from .management import manage
from .readiness import READY, Readiness, readiness



@attrs.frozen
class CarrierManagement:
    """A carrier's management decisions on the report date."""

    carrier_id: str
    name: str
    area: str | None
    decisions: tuple[ManagementDecision, ...]

    @property
    def at_risk(self) -> tuple[ManagementDecision, ...]:
        """The decisions that put the carrier at risk of losing its title."""
        return tuple(d for d in self.decisions if d.at_risk)


@attrs.frozen
class DistrictReport:
    """Targets, management and readiness for one portfolio on one date."""

    assessment: Assessment
    portfolio: Portfolio = attrs.field(repr=False)
    management: tuple[CarrierManagement, ...] = ()
    readiness: tuple[Readiness, ...] = ()
    management_id: str | None = None
    criteria_id: str | None = None

    @property
    def at_risk(self) -> tuple[CarrierManagement, ...]:
        """Carriers with a decision that puts their title at risk."""
        return tuple(m for m in self.management if m.at_risk)

    @property
    def ready(self) -> tuple[Readiness, ...]:
        """Levels a carrier meets every published criterion of."""
        return tuple(r for r in self.readiness if r.status == READY)

    def to_dict(self) -> dict[str, Any]:
        """Plain data with a stable key order."""
        out = self.assessment.to_dict()
        out["management"] = {
            "rules": self.management_id,
            "carriers_at_risk": [m.carrier_id for m in self.at_risk],
            "decisions": [d.to_dict() for m in self.management for d in m.decisions],
        }
        out["readiness"] = {"criteria": self.criteria_id, "results": [r.to_dict() for r in self.readiness]}
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """JSON with a stable key order."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def to_csv(self) -> str:
        """CSV text with a byte-order mark: the targets, then the carriers at risk, those ready to climb and what was assessed."""
        return renderer("report_csv")(self)

    def to_table(self) -> str:
        """A plain-text report for people."""
        return str(renderer("format_report")(self))

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per target (the ``notebook`` extra); see also ``at_risk_frame``, ``ready_frame``."""
        return renderer("assessment_frame")(self.assessment)

    def at_risk_frame(self) -> Any:
        """A pandas DataFrame, one row per decision that puts a carrier at risk."""
        return renderer("at_risk_frame")(self)

    def ready_frame(self) -> Any:
        """A pandas DataFrame, one row per carrier and higher level it is ready for."""
        return renderer("ready_frame")(self)

    def _repr_html_(self) -> str:
        return renderer("district_report_html")(self)


def district_report(
    portfolio: Portfolio,
    targets: TargetRuleset | str | Path,
    as_of: datetime.date | str | None = None,
    readings: Mapping[str, str] | None = None,
    management: ManagementRules | str | Path | None = DEFAULT_MANAGEMENT,
    management_readings: Mapping[str, str] | None = None,
    criteria: CriteriaSet | str | Path | None = "upgrade-criteria",
) -> DistrictReport:
    """Assess the targets, and (unless None is passed) manage every carrier and check its readiness."""
    ts = targets if isinstance(targets, TargetRuleset) else load_targets(targets)
    assessment = assess(portfolio, ts, as_of, readings)
    day = assessment.as_of
    managed: tuple[CarrierManagement, ...] = ()
    mid = None
    if management is not None:
        rules = management if isinstance(management, ManagementRules) else load_management(management)
        mid = rules.id
        managed = tuple(
            CarrierManagement(c.id, c.name, c.area, decisions)
            for c in portfolio.carriers
            if (decisions := manage(c, day, rules, management_readings))
        )
    ready: tuple[Readiness, ...] = ()
    cid = None
    if criteria is not None:
        cs = criteria if isinstance(criteria, CriteriaSet) else load_criteria(criteria)
        cid = cs.id
        ready = tuple(r for c in portfolio.carriers for r in readiness(portfolio, c.id, day, cs))
    return DistrictReport(assessment, portfolio, managed, ready, mid, cid)
