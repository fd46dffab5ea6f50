"""Helpers shared by the registry tests: real stores, Model artifacts made by real pipeline runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from loopline.artifacts import ArtifactStore
from loopline.config import AliasPolicy
from loopline.metadata import Artifact, MetadataStore, NewArtifact
from loopline.pipelines import Pipeline, run_pipeline, step
from loopline.registry import ModelPackage, Registry

FEATURES = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [0.0, 1.0, 0.0, 1.0]})
SIGNATURE = {
    "inputs": [{"name": "a", "type": "numeric", "required": True}, {"name": "b", "type": "numeric", "required": True}],
    "outputs": [{"name": "prediction", "type": "numeric"}],
}


class Doubler:
    """A tiny model: predicts twice the sum of the row (picklable by reference from this module)."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def predict(self, frame: Any) -> Any:
        return (frame["a"] + frame["b"]) * 2 + self.offset


def make_package(offset: float = 0.0) -> ModelPackage:
    return ModelPackage(Doubler(offset), signature=SIGNATURE, sample_input=FEATURES, info={"features": ["a", "b"]})


@step(outputs="model")
def train(*, offset: float = 0.0) -> ModelPackage:
    return make_package(offset)


def make_model_artifact(metadata: MetadataStore, artifacts: ArtifactStore, offset: float = 0.0) -> Artifact:
    """Run a one-step pipeline that returns a ModelPackage; return its recorded Model artifact."""
    result = run_pipeline(Pipeline([train], name="train_model"), metadata=metadata, artifacts=artifacts,
                          params={"offset": offset})
    return result.steps["train"].outputs["model"]


def record_blessing(metadata: MetadataStore, candidate: int, *, blessed: bool = True, **extra: Any) -> Artifact:
    """A Blessing artifact as the evaluation package records it (properties hold the verdict)."""
    digest = f"{candidate:032x}{int(blessed):032x}"
    return metadata.artifacts.record(NewArtifact(
        name="blessing", type="Blessing", uri=f"sha256:{digest}", digest=digest, size=1, format="json",
        properties={"blessed": blessed, "candidate": candidate, **extra},
    ))


@dataclass
class Setup:
    """Open stores and a registry on them."""

    url: str
    artifact_root: str
    metadata: MetadataStore
    artifacts: ArtifactStore
    registry: Registry

    def close(self) -> None:
        self.registry.close()
        self.metadata.close()


def open_setup(url: str, artifact_root: str | Path, policies: dict[str, AliasPolicy] | None = None) -> Setup:
    metadata = MetadataStore(url).open()
    artifacts = ArtifactStore(str(artifact_root)).open()
    registry = Registry(metadata, artifacts, policies=policies).open()
    return Setup(url, str(artifact_root), metadata, artifacts, registry)
