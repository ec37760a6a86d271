"""The district's view: plan targets assessed, dynamic management, upgrade readiness, the district report."""

from .assessment import Assessment, DistrictMismatchWarning, TargetResult, assess, district_mismatch
from .management import manage, with_management
from .reconcile import CarrierReconciliation, Reconciliation, reconcile
from .readiness import Readiness, readiness
from .report import DistrictReport, district_report

__all__ = [
    "Assessment",
    "CarrierReconciliation",
    "DistrictMismatchWarning",
    "DistrictReport",
    "Readiness",
    "Reconciliation",
    "TargetResult",
    "assess",
    "district_mismatch",
    "district_report",
    "manage",
    "readiness",
    "reconcile",
    "with_management",
]
