"""Errors of the training package: each says what was wrong and what to do."""

from __future__ import annotations

from loopline.errors import ConfigError, InvalidInputError, LooplineError


class EstimatorSpecError(InvalidInputError):
    """An estimator path cannot be read, imported or instantiated with the arguments given."""


class MissingExtraError(ConfigError):
    """An estimator or tuner needs an optional dependency that is not installed."""


class SearchSpaceError(InvalidInputError):
    """A tuning search space is malformed or names a parameter the estimator does not have."""


class TrainingDataError(InvalidInputError):
    """The training frame lacks the target or a feature, or has no rows."""


class TuningFailedError(LooplineError):
    """No trial of a tuning study produced a score."""


__all__ = ["EstimatorSpecError", "MissingExtraError", "SearchSpaceError", "TrainingDataError", "TuningFailedError"]
