"""Data-quality rules: kinds keyed by name, evaluated at ingestion; scorecards over their results.

Importing this package registers every built-in kind (`checks`, `db_checks`).
"""

from . import checks, db_checks  # noqa: F401  (registration)
from .registry import CHECKS, Check, Context, Failure, RuleDef, register

__all__ = ["CHECKS", "Check", "Context", "Failure", "RuleDef", "register"]
