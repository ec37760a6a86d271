"""What-if: scenarios compared over a portfolio, and budgets (the scenarios and their files are ``files.scenarios``)."""

from .budget import Budget, BudgetLine
from .scenario import Comparison, budget, compare

__all__ = [
    "Budget",
    "BudgetLine",
    "Comparison",
    "budget",
    "compare",
]
