"""Steps, pipelines, caching, tracking inside steps, and the runners that execute them."""

from loopline.pipelines.artifact_types import ARTIFACT_TYPES, ArtifactTypeRegistry
from loopline.pipelines.context import RunContext, current_run
from loopline.pipelines.dag import DataEdge
from loopline.pipelines.errors import (
    MissingInputError,
    MissingParameterError,
    NotInStepError,
    PipelineDefinitionError,
    RunFailedError,
    StepDefinitionError,
    StepOutputError,
    StepTimeoutError,
    UnknownRunnerError,
)
from loopline.pipelines.events import (
    RunEvent,
    RunFinished,
    RunStarted,
    StepCached,
    StepFailed,
    StepFinished,
    StepSkipped,
    StepStarted,
)
from loopline.pipelines.parameters import resolve_parameters
from loopline.pipelines.pipeline import Pipeline
from loopline.pipelines.results import RunResult, StepOutcome, StepStatus
from loopline.pipelines.run import run_pipeline
from loopline.pipelines.runners import Runner, make_runner, register_runner
from loopline.pipelines.steps import Step, step
from loopline.pipelines.tracking import StepTracker, log_artifact, log_metric, log_param, recording

__all__ = [
    "ARTIFACT_TYPES",
    "ArtifactTypeRegistry",
    "DataEdge",
    "MissingInputError",
    "MissingParameterError",
    "NotInStepError",
    "Pipeline",
    "PipelineDefinitionError",
    "RunEvent",
    "RunFailedError",
    "RunFinished",
    "RunContext",
    "RunResult",
    "RunStarted",
    "Runner",
    "Step",
    "StepCached",
    "StepDefinitionError",
    "StepFailed",
    "StepFinished",
    "StepOutcome",
    "StepOutputError",
    "StepSkipped",
    "StepStarted",
    "StepStatus",
    "StepTimeoutError",
    "StepTracker",
    "UnknownRunnerError",
    "current_run",
    "log_artifact",
    "log_metric",
    "log_param",
    "make_runner",
    "recording",
    "register_runner",
    "resolve_parameters",
    "run_pipeline",
    "step",
]
