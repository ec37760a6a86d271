"""The district's view: plan targets assessed, dynamic management, upgrade readiness, the district report."""

from .assessment import Assessment, DistrictMismatchWarning, TargetResult, assess, district_mismatch
from .management import ManagementRules, load_management, manage, validate_management, with_management
from .reconcile import CarrierReconciliation, Reconciliation, reconcile
from .readiness import CriteriaSet, Readiness, load_criteria, readiness, validate_criteria
from .report import DistrictReport, district_report

__all__ = [
    "Assessment",
    "CarrierReconciliation",
    "CriteriaSet",
    "DistrictMismatchWarning",
    "DistrictReport",
    "ManagementRules",
    "Readiness",
    "Reconciliation",
    "TargetResult",
    "assess",
    "district_mismatch",
    "district_report",
    "load_criteria",
    "load_management",
    "manage",
    "readiness",
    "reconcile",
    "validate_criteria",
    "validate_management",
    "with_management",
]
