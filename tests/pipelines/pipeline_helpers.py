"""Helpers shared by the pipeline tests (fixtures live in conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loopline.artifacts import ArtifactStore
from loopline.metadata import MetadataStore
from loopline.pipelines import Pipeline, RunResult, run_pipeline


@dataclass
class Stores:
    metadata: MetadataStore
    artifacts: ArtifactStore

    def run(self, pipeline: Pipeline, **options: Any) -> RunResult:
        return run_pipeline(pipeline, metadata=self.metadata, artifacts=self.artifacts, **options)


def states(result: RunResult) -> dict[str, str]:
    """Each step's status value, by step name."""
    return {name: outcome.status.value for name, outcome in result.steps.items()}
