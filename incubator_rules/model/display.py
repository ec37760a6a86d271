"""How data classes find what layers above provide without importing them: views' renderers, files' readers.

A ``_repr_html_`` or ``to_frame`` asks for its renderer by name; the views
package registers them when it is imported (the package facade imports it),
so the dependency points from views down to the model, never up. In the same
way ``Carrier.from_dict``, the model's public constructor from plain data,
asks for the reader that ``files.carrier`` registers.
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import IncubatorRulesError

__all__ = ["reader", "register", "register_reader", "renderer"]

_RENDERERS: dict[str, Callable[..., Any]] = {}
_READERS: dict[str, Callable[..., Any]] = {}


def register(name: str, render: Callable[..., Any]) -> None:
    """Make ``render`` the view called ``name``."""
    _RENDERERS[name] = render


def renderer(name: str) -> Callable[..., Any]:
    """The view registered as ``name``; raises IncubatorRulesError when no views are loaded."""
    try:
        return _RENDERERS[name]
    except KeyError:
        raise IncubatorRulesError(f"no view {name!r} is registered; import incubator_rules.views") from None


def register_reader(name: str, read: Callable[..., Any]) -> None:
    """Make ``read`` the reader of plain data called ``name``."""
    _READERS[name] = read


def reader(name: str) -> Callable[..., Any]:
    """The reader registered as ``name``; raises IncubatorRulesError when the files layer is not loaded."""
    try:
        return _READERS[name]
    except KeyError:
        raise IncubatorRulesError(f"no reader {name!r} is registered; import incubator_rules.files") from None
