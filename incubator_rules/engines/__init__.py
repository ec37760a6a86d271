"""Engines: the native evaluator, the durable-rules engine, and evaluating many carriers on pools."""

from .batch import Evaluations, evaluate_many, load_carriers, map_evaluations, save_carriers
from .evaluation import ENGINES, evaluate, evaluate_totals
from .progress import Progress

__all__ = [
    "ENGINES",
    "Evaluations",
    "Progress",
    "evaluate",
    "evaluate_many",
    "evaluate_totals",
    "load_carriers",
    "map_evaluations",
    "save_carriers",
]
