"""Live budgets: stay under a damages clause's threshold before each fetch, not after.

``Budgets(engine, lookup, owner)`` creates, shows and deletes named budgets and grants
reservations atomically (``reserve``); ``window`` holds the grant rule on per-second usage
and ``limits`` reads the limit in force from the rules. Knows nothing of HTTP.
"""

from calculator.budget.limits import Limit, limit_at
from calculator.budget.results import Budget, Decision, Standing
from calculator.budget.store import Budgets

__all__ = ["Budget", "Budgets", "Decision", "Limit", "Standing", "limit_at"]
