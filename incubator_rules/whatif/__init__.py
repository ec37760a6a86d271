"""What-if: scenarios that edit the ruleset or the histories, their comparison, and budgets."""

from .budget import Budget, BudgetLine
from .scenario import Comparison, Edit, Override, Scenario, budget, compare, load_scenarios, save_scenarios

__all__ = [
    "Budget",
    "BudgetLine",
    "Comparison",
    "Edit",
    "Override",
    "Scenario",
    "budget",
    "compare",
    "load_scenarios",
    "save_scenarios",
]
