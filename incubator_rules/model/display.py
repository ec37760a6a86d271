"""How data classes find what layers above provide without importing them: views' renderers, files' readers.

A ``_repr_html_`` or ``to_frame`` asks for its renderer by name; the views
package registers them when it is imported, so the dependency points from
views down to the model, never up. In the same way ``Carrier.from_dict``, the
model's public constructor from plain data, asks for the reader that
``files.carrier`` registers. The package facade says which modules register
them (``lazy.wanted``); the first view or reader asked for loads those.
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import IncubatorRulesError
from ..lazy import load_wanted

__all__ = ["reader", "register", "register_reader", "renderer"]

_RENDERERS: dict[str, Callable[..., Any]] = {}
_READERS: dict[str, Callable[..., Any]] = {}


def register(name: str, render: Callable[..., Any]) -> None:
    """Make ``render`` the view called ``name``."""
    _RENDERERS[name] = render


def renderer(name: str) -> Callable[..., Any]:
    """The view registered as ``name``; raises IncubatorRulesError when no views are loaded."""
    found = _registered(_RENDERERS, name, "views")
    if found is not None:
        return found
    raise IncubatorRulesError(f"no view {name!r} is registered; import incubator_rules.views.renderers")


def register_reader(name: str, read: Callable[..., Any]) -> None:
    """Make ``read`` the reader of plain data called ``name``."""
    _READERS[name] = read


def reader(name: str) -> Callable[..., Any]:
    """The reader registered as ``name``; raises IncubatorRulesError when the files layer is not loaded."""
    found = _registered(_READERS, name, "readers")
    if found is not None:
        return found
    raise IncubatorRulesError(f"no reader {name!r} is registered; import incubator_rules.files")


def _registered(table: dict[str, Callable[..., Any]], name: str, what: str) -> Callable[..., Any] | None:
    """``table[name]``, once the modules that register ``what`` are loaded (``lazy.wanted``); None if not there."""
    found = table.get(name)
    if found is None:
        load_wanted(what)  # or waits while another thread loads them
        found = table.get(name)
    return found
