"""Views: notebook HTML, DataFrames and charts, and the command line (``views.cli``). Nothing imports views.

Importing this package registers the notebook renderers with
``model.display``, where the data classes' ``_repr_html_``, ``to_frame`` and
``chart`` find them; the package facade imports it.
"""

from ..model.display import register
from . import notebook, reconcile, tables, text
from .excel import write_excel, write_portfolio_workbook
from .notebook import MissingExtraError

__all__ = ["MissingExtraError", "write_excel", "write_portfolio_workbook"]

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
