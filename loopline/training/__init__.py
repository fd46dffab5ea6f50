"""Training and tuning: estimators from configuration, reproducible fits with their provenance, Optuna studies."""

from loopline.training.errors import (
    EstimatorSpecError,
    MissingExtraError,
    SearchSpaceError,
    TrainingDataError,
    TuningFailedError,
)
from loopline.training.estimators import EstimatorSpec, build_estimator, fit_estimator, parse_estimator
from loopline.training.fitting import TrainingRecord, train
from loopline.training.objectives import OBJECTIVES
from loopline.training.provenance import code_version, frame_digest, package_versions
from loopline.training.tuning import TrialResult, TuningResult, tune

__all__ = [
    "OBJECTIVES",
    "EstimatorSpec",
    "EstimatorSpecError",
    "MissingExtraError",
    "SearchSpaceError",
    "TrainingDataError",
    "TrainingRecord",
    "TrialResult",
    "TuningFailedError",
    "TuningResult",
    "build_estimator",
    "code_version",
    "fit_estimator",
    "frame_digest",
    "package_versions",
    "parse_estimator",
    "train",
    "tune",
]
