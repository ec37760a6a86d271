"""Writable twins: how the readers and the engine build frozen objects without a frozen class's cost per field.

A frozen attrs class refuses plain attribute stores, so each field of one
built through its ``__init__`` goes through ``object.__setattr__``. The hot
builders (``built_event``, ``built_carrier``, ``built_decision``, ``built_evaluation``,
``built_context``) instead fill an instance of the class's writable twin,
which has the same layout, and then set its ``__class__`` to the frozen
class, which Python allows between classes of one layout. The result is an
ordinary frozen instance; the tests check that it is equal to, hashes,
pickles and evolves as one built through ``__init__``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["writable_twin"]


def writable_twin(cls: type) -> Any:
    """A plain class with the layout of ``cls`` and its bases: its slots when it has slots, else an instance
    dictionary and a weak-reference slot, as a plain class has."""
    namespace: dict[str, Any] = {"__doc__": f"{cls.__name__}'s fields, writable: filled, then made a {cls.__name__}."}
    if "__slots__" in cls.__dict__:
        namespace["__slots__"] = cls.__dict__["__slots__"]
    return type(f"_Open{cls.__name__}", cls.__bases__, namespace)
