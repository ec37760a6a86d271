"""Modules loaded on first use: one mechanism for the package facade's names (PEP 562 ``__getattr__``) and
for the views and readers that the data classes find by name (``model.display``).

``import incubator_rules`` then costs next to nothing, and a command of the
command line loads only the layers it uses.
"""

from __future__ import annotations

import importlib
import threading
from types import ModuleType
from typing import Any, Iterable, Mapping, MutableMapping

__all__ = ["LazyNames", "load", "load_wanted", "wanted"]


def load(module: str) -> ModuleType:
    """The module named ``module`` (an absolute name), imported now unless it already is."""
    return importlib.import_module(module)


_WANTED: dict[str, list[str]] = {}
_LOADING = threading.RLock()  # one thread imports them; another asking meanwhile waits for it


def wanted(what: str, module: str) -> None:
    """Say that importing ``module`` (an absolute name) registers things of the kind ``what`` (views, readers):
    the layer above says where they are, and the layer below loads them when one is first asked for."""
    modules = _WANTED.setdefault(what, [])
    if module not in modules:
        modules.append(module)


def load_wanted(what: str) -> bool:
    """Import the modules said to register ``what``; False when there are none (or all were imported before)."""
    with _LOADING:
        modules = _WANTED.get(what)
        if not modules:
            return False
        while modules:
            importlib.import_module(modules[0])
            modules.pop(0)  # once imported: a module that failed to import is tried again next time
        return True


class LazyNames:
    """A module's ``__getattr__`` and ``__dir__`` (PEP 562): each name is taken from its module on first use.

    ``where`` maps a module (relative to ``package``, as ``.files``) to the
    names taken from it; ``modules`` are submodules offered by name
    (``ir.tools``). A name once loaded is kept in the module's namespace,
    so later uses cost what any attribute does.
    """

    def __init__(
        self, package: str, namespace: MutableMapping[str, Any], where: Mapping[str, Iterable[str]],
        modules: Iterable[str] = (),
    ) -> None:
        self.package = package
        self.namespace = namespace
        self.module_of = {name: module for module, names in where.items() for name in names}
        self.modules = frozenset(modules)

    @property
    def names(self) -> list[str]:
        """The names offered, in the order given."""
        return list(self.module_of)

    def get(self, name: str) -> Any:
        """The value of ``name``, its module imported now if need be (the module's ``__getattr__``)."""
        module = self.module_of.get(name)
        if module is not None:
            value = getattr(importlib.import_module(module, self.package), name)
        elif name in self.modules:
            value = importlib.import_module(f"{self.package}.{name}")
        else:
            raise AttributeError(f"module {self.package!r} has no attribute {name!r}")
        self.namespace[name] = value
        return value

    def dir(self) -> list[str]:
        """Every name the module has or offers (the module's ``__dir__``)."""
        return sorted(set(self.namespace) | set(self.module_of) | self.modules)
