"""Engines: the native evaluator, the durable-rules engine, and evaluating many carriers on pools."""

from .batch import Evaluations, evaluate_many, load_carriers, map_evaluations, save_carriers
from .evaluation import ENGINES, evaluate
from .partitions import PartitionResult, PartitionResults, evaluate_partitions
from ..progress import Progress

__all__ = [
    "ENGINES",
    "Evaluations",
    "PartitionResult",
    "PartitionResults",
    "Progress",
    "evaluate",
    "evaluate_many",
    "evaluate_partitions",
    "load_carriers",
    "map_evaluations",
    "save_carriers",
]
