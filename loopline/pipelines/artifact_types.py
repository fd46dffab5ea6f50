"""Which artifact type a step's output is recorded as, when the step does not declare one.

A small registry keyed by Python type (looked up along the value's MRO; a type may be
named ``"module.QualName"`` so that pandas is not imported to register it). Built in:
a pandas DataFrame is a ``Dataset``, a ``pathlib.Path`` a ``File``, the validation
library's profiles, schemas, validation results and drift reports are ``Statistics``,
``Schema``, ``Anomalies`` and ``Drift``, anything else a ``Value``. A step's
``types={"model": "Model"}`` always wins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loopline.metadata.records import ArtifactType


class ArtifactTypeRegistry:
    """Artifact type names by Python type, with a default for everything else."""

    def __init__(self, default: str = ArtifactType.VALUE.value) -> None:
        self.default = default
        self._by_type: dict[type, str] = {}
        self._by_name: dict[str, str] = {}
        self._resolved: dict[type, str] = {}

    def register(self, kind: type | str, artifact_type: str) -> None:
        """Record values of ``kind`` (a class, or its ``"module.QualName"``) as ``artifact_type``."""
        if isinstance(kind, str):
            self._by_name[kind] = artifact_type
        else:
            self._by_type[kind] = artifact_type
        self._resolved.clear()

    def type_of(self, value: Any) -> str:
        kind = type(value)
        found = self._resolved.get(kind)
        if found is None:
            found = self.default
            for klass in kind.__mro__:
                match = self._by_type.get(klass) or self._by_name.get(f"{klass.__module__}.{klass.__qualname__}")
                if match is not None:
                    found = match
                    break
            self._resolved[kind] = found
        return found


def default_registry() -> ArtifactTypeRegistry:
    registry = ArtifactTypeRegistry()
    registry.register("pandas.DataFrame", ArtifactType.DATASET.value)
    registry.register("pandas.core.frame.DataFrame", ArtifactType.DATASET.value)
    registry.register(Path, ArtifactType.FILE.value)
    registry.register("loopline.registry.package.ModelPackage", ArtifactType.MODEL.value)
    for name, artifact_type in _VALIDATION_TYPES.items():
        registry.register(name, artifact_type)
    return registry


#: The validation library's results, by name so that it is not imported here (it sits above).
_VALIDATION_TYPES = {
    "loopline.validation.profile.Profile": ArtifactType.STATISTICS.value,
    "loopline.validation.schema.Schema": ArtifactType.SCHEMA.value,
    "loopline.validation.anomalies.ValidationResult": ArtifactType.ANOMALIES.value,
    "loopline.validation.drift_report.DriftReport": "Drift",
}


ARTIFACT_TYPES = default_registry()


def artifact_type_of(value: Any, declared: str | None = None) -> str:
    """``declared`` if given, else the registered type of ``value``."""
    return declared if declared is not None else ARTIFACT_TYPES.type_of(value)


__all__ = ["ARTIFACT_TYPES", "ArtifactTypeRegistry", "artifact_type_of", "default_registry"]
