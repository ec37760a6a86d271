"""Evaluations as JSON Lines: ``model.jsonlines``, where the engines' partitions can write them too; kept here
for callers of the earlier place."""

from ..model.jsonlines import evaluation_bytes, evaluation_json, evaluation_line, evaluation_record

__all__ = ["evaluation_bytes", "evaluation_json", "evaluation_line", "evaluation_record"]
