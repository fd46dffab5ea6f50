"""What a runner is handed: the steps to run, the open stores, and what is already known.

``RunPlan`` is built once per run by ``run_pipeline``: parameters resolved and code
fingerprinted once per step, the free inputs already stored and recorded. ``StepJob`` is
one step ready to execute anywhere (it pickles: worker processes and Ray tasks get it).
``StoreAddress`` lets a worker open the same stores from their URLs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loopline.metadata.records import Artifact, Run
from loopline.pipelines.pipeline import Pipeline
from loopline.pipelines.steps import Step

if TYPE_CHECKING:
    from loopline.artifacts import ArtifactStore
    from loopline.metadata.store import MetadataStore
    from loopline.pipelines.events import RunEvent


@dataclass(frozen=True, slots=True)
class StoreAddress:
    """Where the stores live, so that another process can open them."""

    metadata_url: str
    artifact_root: str
    storage_options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, metadata: MetadataStore, artifacts: ArtifactStore) -> StoreAddress:
        """The open stores' address, with relative paths made absolute (a worker's folder may differ)."""
        return cls(_absolute_database_url(metadata.url), artifacts.location, dict(artifacts.storage_options))


@dataclass(frozen=True, slots=True)
class StepJob:
    """One step of a run, started (its execution is RUNNING) and ready to execute anywhere."""

    step: Step
    run_id: int
    execution_id: int
    cache_key: str
    params: dict[str, Any]  # the values passed to the function (see resolve_parameters)
    recorded_params: dict[str, Any]  # the same as JSON values, as recorded
    inputs: dict[str, Artifact]  # the step's data inputs by dataset name


@dataclass(frozen=True)
class RunPlan:
    """A run in progress: the (possibly partial) pipeline and everything prepared for its steps."""

    pipeline: Pipeline
    run: Run
    metadata: MetadataStore
    artifacts: ArtifactStore
    params: Mapping[str, dict[str, Any]]  # resolved parameters by step name
    recorded_params: Mapping[str, dict[str, Any]]  # the same as JSON values
    fingerprints: Mapping[str, str]  # code fingerprint by step name
    available: Mapping[str, Artifact]  # free inputs (and outputs reused by a resumed run) by dataset
    values: Mapping[str, Any]  # in-memory values of free inputs given by the caller
    use_cache: bool = True
    emit: Callable[[RunEvent], None] = field(default=lambda event: None)

    @property
    def run_id(self) -> int:
        return self.run.id

    @property
    def address(self) -> StoreAddress:
        return StoreAddress.of(self.metadata, self.artifacts)


def _absolute_database_url(url: str) -> str:
    from loopline.metadata.engine import parse_database_url, sqlite_file

    parsed = parse_database_url(url)
    path = sqlite_file(parsed)
    if path is None or path.is_absolute():
        return url
    return parsed.set(database=str(path.absolute())).render_as_string(hide_password=False)


__all__ = ["RunPlan", "StepJob", "StoreAddress"]
