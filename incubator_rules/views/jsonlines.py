"""One evaluation as one line of JSON Lines output, shared by the CLI and the HTTP service."""
from __future__ import annotations

from ..model.decision import Evaluation

__all__ = ["evaluation_line"]


def evaluation_line(ev: Evaluation) -> tuple[str, int, int]:
    """One line of ``evaluate-many`` output (the evaluation's JSON), with its awarded and pending totals."""
    return ev.to_json(indent=None), ev.total, ev.pending_total
