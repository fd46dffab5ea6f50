"""The pipeline engine's errors: each names the step or dataset involved and says what to do."""

from __future__ import annotations

from loopline.errors import ConfigError, InvalidInputError, LooplineError


class StepDefinitionError(InvalidInputError):
    """A step cannot be made from the function and options given."""


class PipelineDefinitionError(InvalidInputError):
    """The steps do not form a valid pipeline (duplicates, a cycle, an input nobody provides)."""


class StepOutputError(InvalidInputError):
    """A step returned a value whose shape does not match its declared outputs."""


class MissingParameterError(ConfigError):
    """A step needs a parameter that is neither configured nor given a default."""


class MissingInputError(InvalidInputError):
    """A pipeline input was not supplied, or a resumed run found no earlier output to reuse."""


class StepTimeoutError(LooplineError):
    """A step ran longer than its ``timeout``."""

    http_status = 504


class NotInStepError(LooplineError):
    """A tracking call (``log_metric``, ...) was made while no step was running."""


class UnknownRunnerError(ConfigError):
    """No runner is registered under the name asked for."""


class RunFailedError(LooplineError):
    """A pipeline run ended FAILED; raised by ``RunResult.raise_on_failure``."""


__all__ = [
    "MissingInputError",
    "MissingParameterError",
    "NotInStepError",
    "PipelineDefinitionError",
    "RunFailedError",
    "StepDefinitionError",
    "StepOutputError",
    "StepTimeoutError",
    "UnknownRunnerError",
]
