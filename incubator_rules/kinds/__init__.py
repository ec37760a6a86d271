"""Rule kinds: what each kind of reward rule means, and the deciders that apply them to a history."""

from .rules import DECIDERS, KINDS, MATCHES, PLACEHOLDERS, Context, KindSpec

__all__ = ["DECIDERS", "KINDS", "MATCHES", "PLACEHOLDERS", "Context", "KindSpec"]
