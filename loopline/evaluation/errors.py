"""Errors of the evaluation package: each says what was wrong and what to do."""

from __future__ import annotations

from loopline.errors import InvalidInputError


class UnknownMetricError(InvalidInputError):
    """A rule or request names a metric that no metric set computes."""


class EvaluationDataError(InvalidInputError):
    """The evaluation frame lacks the target, a feature or a slice column, or has no rows."""


class RuleError(InvalidInputError):
    """A blessing rule is malformed."""


__all__ = ["EvaluationDataError", "RuleError", "UnknownMetricError"]
