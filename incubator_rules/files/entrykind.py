"""Kinds of entries in the policy files other than reward rulesets, declared the way rule kinds are.

A dynamic-management rule's ``kind``, a plan target's ``measure`` and a
readiness criterion's form each choose what else the entry holds. Each such
kind is one ``EntryKind`` object (its name, meaning, the fields only it takes,
the outcomes it must word), and each file type keeps one registry of them,
built as ``kinds.KINDS`` is: ``{kind.name: kind for kind in (...)}``. The
reader checks an entry against its kind's declaration and the schema's
branches are generated from the registry (``branches``), so a new kind is one
declaration and one registry line; what the kind *does* is written where it
is applied (``district/``).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import attrs

from .schema import Schema

__all__ = ["EntryKind", "branches", "kind_fields"]


@attrs.frozen
class EntryKind:
    """One kind of policy-file entry: its name, what it means, the fields it takes and the outcomes it words.

    ``takes`` are the fields of the entry that only some kinds have; this kind
    requires each of them unless it is ``optional``, and refuses those of other
    kinds. ``codes`` are the outcomes whose explanations an entry of the kind
    must give; ``at_risk`` those of them that put a carrier at risk of losing
    its title (dynamic management).
    """

    name: str
    description: str
    takes: tuple[str, ...] = ()
    optional: frozenset[str] = frozenset()
    codes: tuple[str, ...] = ()
    at_risk: frozenset[str] = frozenset()

    @property
    def required(self) -> tuple[str, ...]:
        """The fields an entry of this kind must have."""
        return tuple(name for name in self.takes if name not in self.optional)


def kind_fields(kinds: Mapping[str, EntryKind]) -> tuple[str, ...]:
    """Every field some kind of the registry takes, in the order they are first declared."""
    return tuple(dict.fromkeys(name for kind in kinds.values() for name in kind.takes))


def branches(
    kinds: Mapping[str, EntryKind],
    selects: Callable[[EntryKind], Schema],
    properties: Callable[[EntryKind], Mapping[str, Any]] | None = None,
) -> list[Schema]:
    """One ``if``/``then`` branch per kind: ``selects`` tells an entry of the kind, ``then`` requires the fields it
    takes, refuses those only other kinds take, and adds ``properties(kind)`` (its explanations, say)."""
    every = kind_fields(kinds)
    out = []
    for kind in kinds.values():
        then: Schema = {}
        if kind.required:
            then["required"] = list(kind.required)
        props: dict[str, Any] = dict(properties(kind)) if properties is not None else {}
        props.update({name: False for name in every if name not in kind.takes})
        if props:
            then["properties"] = props
        out.append({"if": selects(kind), "then": then})
    return out
