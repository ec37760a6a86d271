"""How data classes find their views without importing them: the views layer registers each renderer here.

A ``_repr_html_`` or ``to_frame`` asks for its renderer by name; the views
package registers them when it is imported (the package facade imports it),
so the dependency points from views down to the model, never up.
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import IncubatorRulesError

__all__ = ["register", "renderer"]

_RENDERERS: dict[str, Callable[..., Any]] = {}


def register(name: str, render: Callable[..., Any]) -> None:
    """Make ``render`` the view called ``name``."""
    _RENDERERS[name] = render


def renderer(name: str) -> Callable[..., Any]:
    """The view registered as ``name``; raises IncubatorRulesError when no views are loaded."""
    try:
        return _RENDERERS[name]
    except KeyError:
        raise IncubatorRulesError(f"no view {name!r} is registered; import incubator_rules.views") from None
