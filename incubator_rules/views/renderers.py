"""Every view the data classes find by name (``_repr_html_``, ``to_frame``, ``chart``, CSV and text forms),
registered with ``model.display`` when this module is imported: the first view asked for imports it
(``lazy.wanted`` in the package facade)."""

from ..model.display import register
from . import notebook, reconcile, tables, text

__all__: list[str] = []

for _view in (
    notebook.evaluation_html,
    notebook.evaluations_html,
    notebook.budget_html,
    notebook.comparison_html,
    notebook.scenario_html,
    notebook.evaluation_frame,
    notebook.decisions_frame,
    notebook.evaluations_frame,
    notebook.budget_frame,
    notebook.budget_pivot,
    notebook.comparison_frame,
    notebook.comparison_totals_frame,
    notebook.comparison_by_frame,
    notebook.budget_chart,
    notebook.assessment_html,
    notebook.assessment_frame,
    notebook.district_report_html,
    notebook.at_risk_frame,
    notebook.ready_frame,
    tables.assessment_csv,
    tables.report_csv,
    tables.reconciliation_csv,
    reconcile.reconciliation_html,
    reconcile.reconciliation_frame,
    text.format_report,
    text.format_reconciliation,
):
    register(_view.__name__, _view)
