"""Views: notebook HTML, DataFrames and charts, workbooks, reports, and the command line (``views.cli``).
Nothing imports views.

The data classes' ``_repr_html_``, ``to_frame`` and ``chart`` find their
renderers through ``model.display``; ``views.renderers`` registers them there
and is imported when the first one is asked for. The names below load on
first use (``lazy.LazyNames``), so the command line loads only what its
command needs.
"""

from typing import TYPE_CHECKING, Any

from ..lazy import LazyNames

if TYPE_CHECKING:
    from .excel import tables_of, write_excel, write_portfolio_workbook, write_tables
    from .notebook import MissingExtraError
    from .tables import to_csv

__all__ = ["MissingExtraError", "write_excel", "write_portfolio_workbook"]

# The public names, and the writers of tables that the command line's commands use when asked for a table.
_LAZY = LazyNames(__name__, globals(), {
    ".excel": ("write_excel", "write_portfolio_workbook", "tables_of", "write_tables"),
    ".notebook": ("MissingExtraError",),
    ".tables": ("to_csv",),
})


def __getattr__(name: str) -> Any:
    return _LAZY.get(name)


def __dir__() -> list[str]:
    return _LAZY.dir()
