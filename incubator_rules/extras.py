"""Optional dependencies: importing one, or saying which extra brings it."""

from __future__ import annotations

import importlib
from typing import Any

from .errors import IncubatorRulesError


class MissingExtraError(IncubatorRulesError, ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""


def require(module: str, feature: str, extra: str = "notebook") -> Any:
    """Import ``module`` for ``feature``, or raise MissingExtraError naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        raise MissingExtraError(
            f"{feature} needs {top}, which is not installed; install it with: "
            f"pip install 'incubator-rules[{extra}]'"
        ) from None
