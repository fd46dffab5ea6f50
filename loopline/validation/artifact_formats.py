"""Validation results as JSON artifacts: profiles, schemas, anomalies and drift reports.

Each result is stored as the JSON of its ``to_dict()`` under a format of its own
(``statistics+json``, ``schema+json``, ``anomalies+json``, ``drift+json``). The format's
decoder rebuilds the typed value, so a pipeline step that reads a stored profile or drift
report gets a ``Profile`` or ``DriftReport`` back, exactly as before; any other reader (the
dashboard, a script) reads the bytes as plain JSON and runs no code.

A value whose JSON would not read back equal to it (an anomaly whose ``observed`` is a
tuple or a timestamp, a schema narrowed to one environment) is stored as before, by the
registry's fallback. Artifacts recorded before these formats existed keep their format
and load as they always did.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from loopline.artifacts.formats import FORMATS, Encoded, NotEncodable
from loopline.validation.anomalies import ValidationResult
from loopline.validation.drift_report import DriftReport
from loopline.validation.profile import Profile
from loopline.validation.schema import Schema

if TYPE_CHECKING:
    from loopline.artifacts.store import ArtifactStore

#: format name -> the class stored under it
JSON_FORMATS: dict[str, type] = {
    "statistics+json": Profile,
    "schema+json": Schema,
    "anomalies+json": ValidationResult,
    "drift+json": DriftReport,
}


def is_json_format(format: str) -> bool:
    """Whether artifacts of ``format`` hold JSON text (plain ``json`` or one of the formats above)."""
    return format == "json" or format.endswith("+json")


def _json_bytes(data: Mapping[str, Any]) -> bytes:
    try:
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)  # key order is meaningful (columns)
    except (TypeError, ValueError) as exc:
        raise NotEncodable(str(exc)) from None
    return text.encode("utf-8")


def _encoder(format: str, kind: type, properties: Callable[[Any], dict[str, Any]]) -> Callable[[Any], Encoded]:
    def encode(value: Any) -> Encoded:
        data = _json_bytes(value.to_dict())
        if kind.from_dict(json.loads(data)) != value:  # type: ignore[attr-defined]
            raise NotEncodable(f"this {kind.__name__} does not read back equal from JSON")
        return Encoded(data, None, format, {"python_type": f"{kind.__module__}.{kind.__qualname__}",
                                            **properties(value)})

    return encode


def _decoder(kind: type) -> Callable[[ArtifactStore, str], Any]:
    def decode(store: ArtifactStore, uri: str) -> Any:
        return kind.from_dict(json.loads(store.get_bytes(uri)))  # type: ignore[attr-defined]

    return decode


def _profile_properties(value: Profile) -> dict[str, Any]:
    return {"rows": value.rows, "columns": len(value.columns)}


def _schema_properties(value: Schema) -> dict[str, Any]:
    return {"columns": len(value.columns), "label": value.label}


def _anomalies_properties(value: ValidationResult) -> dict[str, Any]:
    return {"passed": value.passed, "errors": len(value.errors), "warnings": len(value.warnings)}


def _drift_properties(value: DriftReport) -> dict[str, Any]:
    return {"dataset_drift": value.dataset_drift, "drift_share": value.drift_share,
            "drifted_columns": list(value.drifted_columns)[:50]}


def register_formats() -> None:
    """Store the validation results as JSON from now on (done once, when the package is imported)."""
    properties = {Profile: _profile_properties, Schema: _schema_properties,
                  ValidationResult: _anomalies_properties, DriftReport: _drift_properties}
    for format, kind in JSON_FORMATS.items():
        FORMATS.register_encoder(kind, _encoder(format, kind, properties[kind]))
        FORMATS.register_decoder(format, _decoder(kind))


register_formats()

__all__ = ["JSON_FORMATS", "is_json_format", "register_formats"]
