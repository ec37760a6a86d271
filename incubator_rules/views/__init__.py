"""Views: notebook HTML, DataFrames and charts, and the command line (``views.cli``). Nothing imports views.

Importing this package registers the notebook renderers with
``model.display``, where the data classes' ``_repr_html_``, ``to_frame`` and
``chart`` find them; the package facade imports it.
"""

from ..model.display import register
from . import notebook, reconcile
from .notebook import MissingExtraError

__all__ = ["MissingExtraError"]

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
    reconcile.reconciliation_html,
    reconcile.reconciliation_frame,
):
    register(_view.__name__, _view)
