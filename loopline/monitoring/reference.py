"""The reference a monitor compares each window with: the training profile of the served model version.

The profile covers the model's features, its target and its predictions on the training
rows (the reference for prediction drift). A model package does not carry it, so it is
computed once from the training dataset the package's lineage names (``info.lineage.
training_data_artifact_id``, else the Dataset read by the run step that produced the model),
and cached as a ``Statistics`` artifact whose properties name the model version and its
Model artifact; later runs read that artifact back (its digest checked by the store).
The schema used for data quality is inferred from the same profile.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loopline.errors import InvalidInputError, NotFoundError
from loopline.metadata.records import Artifact, ArtifactType, NewArtifact, NodeRef
from loopline.validation import ColumnKind, Profile, Schema, infer_schema, profile
from loopline.validation.storage import STATISTICS_TYPE, load_profile_artifact

if TYPE_CHECKING:
    from loopline.registry import Registry

PREDICTION = "prediction"
"""The column that holds the model's output, in the reference profile and in each window."""
PURPOSE = "monitoring reference"
_READABLE_FORMATS = ("parquet",)


@dataclass(frozen=True)
class TrainingReference:
    """What one model version was trained on, as a monitor needs it."""

    model: str
    version: int
    model_artifact_id: int
    statistics_artifact_id: int
    profile: Profile
    schema: Schema
    features: tuple[str, ...]
    target: str | None

    @property
    def task(self) -> str:
        """``regression`` for a numeric target (or none), else ``classification``."""
        if self.target is None or self.target not in self.profile:
            return "regression"
        return "regression" if self.profile.column(self.target).kind == ColumnKind.NUMERIC else "classification"


def reference_name(model: str, version: int) -> str:
    return f"{model}.v{version}.training-profile"


_LOADED: OrderedDict[tuple[str, str, int, int], TrainingReference] = OrderedDict()
_LOADED_MAX = 16
_LOADED_LOCK = threading.Lock()


def load_reference(registry: Registry, model: str, version: int) -> TrainingReference:
    """The training reference of ``model/version``, computed and recorded on first use.

    The references last loaded are kept in memory (a version's model artifact, and so its
    training profile, never changes), so an agent measuring a window a day reads each once.
    """
    artifact = registry.model_artifact(f"{model}/{version}")
    key = (registry.metadata.url, model, version, artifact.id)
    with _LOADED_LOCK:
        if key in _LOADED:
            _LOADED.move_to_end(key)
            return _LOADED[key]
    found = _load_reference(registry, model, version, artifact)
    with _LOADED_LOCK:
        _LOADED[key] = found
        while len(_LOADED) > _LOADED_MAX:
            _LOADED.popitem(last=False)
    return found


def _load_reference(registry: Registry, model: str, version: int, artifact: Artifact) -> TrainingReference:
    description = _description(registry, artifact)
    info = description.get("info") or {}
    features = tuple(str(f) for f in info.get("features") or _signature_inputs(description))
    target = info.get("target")
    cached = _cached(registry, model, version, artifact.id)
    if cached is None:
        cached = _compute(registry, model, version, artifact, info, features, target)
    stats = load_profile_artifact(registry.metadata, registry.artifacts, cached.id)
    schema = infer_schema(stats, label=target if target in stats else None)
    return TrainingReference(model, version, artifact.id, cached.id, stats, schema, features,
                             target if isinstance(target, str) else None)


def _description(registry: Registry, artifact: Artifact) -> dict[str, Any]:
    from loopline.registry.package import read_description

    if artifact.format != "dir":
        return {}
    return read_description(registry.artifacts.local_dir(artifact.uri), recorded_digest=artifact.digest)


def _signature_inputs(description: dict[str, Any]) -> list[str]:
    return [str(item["name"]) for item in (description.get("signature") or {}).get("inputs", [])]


def _cached(registry: Registry, model: str, version: int, artifact_id: int) -> Artifact | None:
    for found in registry.metadata.artifacts.list(type=STATISTICS_TYPE, name=reference_name(model, version), limit=20):
        if found.properties.get("model_artifact_id") == artifact_id:
            return found
    return None


def _compute(registry: Registry, model: str, version: int, artifact: Artifact, info: dict[str, Any],
             features: tuple[str, ...], target: Any) -> Artifact:
    data = _training_data(registry, artifact, info)
    frame = _read_frame(registry, data)
    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise InvalidInputError(
            f"the training data of {model}/{version} (artifact/{data.id}) lacks the feature(s) {', '.join(missing)}",
            hint="the monitor needs the dataset the model was trained on; check the training pipeline's lineage",
        )
    package = registry.load(f"{model}/{version}")
    columns = [*features, *([target] if isinstance(target, str) and target in frame.columns else [])]
    reference = frame[columns].copy()
    reference[PREDICTION] = _as_list(package.predict(frame[list(features)]))
    stats = profile(reference)
    stored = registry.artifacts.put_bytes(json.dumps(stats.to_dict(), allow_nan=False).encode("utf-8"))
    properties = {"model": model, "version": version, "model_artifact_id": artifact.id,
                  "training_data_artifact_id": data.id, "purpose": PURPOSE, "rows": stats.rows}
    return registry.metadata.artifacts.record(NewArtifact(
        reference_name(model, version), STATISTICS_TYPE, stored.uri, stored.digest, stored.size, "json", properties))


def _training_data(registry: Registry, artifact: Artifact, info: dict[str, Any]) -> Artifact:
    """The Dataset the model was trained on: named by the package's lineage, else read by its producer."""
    named = (info.get("lineage") or {}).get("training_data_artifact_id")
    if isinstance(named, int):
        return registry.metadata.artifacts.get(named)
    graph = registry.metadata.lineage.graph(NodeRef("artifact", artifact.id), direction="up", max_hops=2)
    datasets = sorted((a for a in graph.artifacts.values() if a.type == ArtifactType.DATASET.value),
                      key=lambda a: (a.name != "train", -a.id))
    if not datasets:
        raise NotFoundError(
            f"no training dataset is recorded for the Model artifact/{artifact.id}",
            hint="monitors compare with the training data: train the model in a Loopline pipeline "
            "(package_model records the training dataset in the package's lineage)",
        )
    return datasets[0]


def _read_frame(registry: Registry, data: Artifact) -> Any:
    from loopline.artifacts import decode

    if data.format not in _READABLE_FORMATS:
        raise InvalidInputError(
            f"the training dataset artifact/{data.id} is stored as '{data.format}'; a monitor reads "
            f"{', '.join(_READABLE_FORMATS)} only",
            hint="return the training rows from a step as a pandas DataFrame (stored as Parquet)",
        )
    return decode(registry.artifacts, data.uri, data.format)


def _as_list(values: Any) -> list[Any]:
    return values.tolist() if hasattr(values, "tolist") else list(values)


__all__ = ["PREDICTION", "TrainingReference", "load_reference", "reference_name"]
