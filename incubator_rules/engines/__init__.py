"""Engines: the native evaluator, the durable-rules engine, and evaluating many carriers on pools."""

from .batch import Evaluations, evaluate_many, load_carriers, map_evaluations, save_carriers
from ..progress import Progress
from .evaluation import ENGINES, evaluate, evaluate_totals
from .partitions import PartitionResult, PartitionResults, evaluate_partitions

__all__ = [
    "ENGINES",
    "Evaluations",
    "PartitionResult",
    "PartitionResults",
    "Progress",
    "evaluate",
    "evaluate_many",
    "evaluate_partitions",
    "evaluate_totals",
    "load_carriers",
    "map_evaluations",
    "save_carriers",
]
