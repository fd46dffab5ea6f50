"""The canonical description of a repository: sorted, JSON-ready, stable across runs.

Two repositories with the same definitions give byte-identical JSON, so its sha256 names a
version. Functions (transformations, on-demand functions) are described by their qualified
name and the sha256 of their source code, so editing one makes a new version.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from loopline.features.definitions import Feature, FeatureView, OnDemandFeatureView, RequestField

if TYPE_CHECKING:
    from loopline.features.repository import FeatureRepository

FORMAT_VERSION = 1


def describe_definitions(repo: FeatureRepository) -> dict[str, Any]:
    """The repository as plain JSON-ready values, every list sorted by name."""
    return {
        "format": FORMAT_VERSION,
        "entities": [
            {"name": e.name, "join_keys": list(e.join_keys), "description": e.description}
            for e in sorted(repo.entities.values(), key=lambda e: e.name)
        ],
        "feature_views": [_describe_view(v) for v in sorted(repo.views.values(), key=lambda v: v.name)],
        "on_demand_feature_views": [
            _describe_on_demand(v) for v in sorted(repo.on_demand_views.values(), key=lambda v: v.name)
        ],
    }


def canonical_json(description: dict[str, Any]) -> str:
    """``description`` as compact JSON with sorted keys."""
    return json.dumps(description, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def description_digest(text: str) -> str:
    """The hex sha256 of a canonical JSON text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def describe_function(function: Callable[..., Any]) -> dict[str, str]:
    """A function's qualified name and the sha256 of its source (of its bytecode if none)."""
    name = f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', repr(function))}"
    try:
        code = inspect.getsource(function).encode("utf-8")
    except (OSError, TypeError):
        code_object = getattr(function, "__code__", None)
        code = code_object.co_code if code_object is not None else repr(function).encode("utf-8")
    return {"name": name, "code_sha256": hashlib.sha256(code).hexdigest()}


def _describe_features(features: tuple[Feature, ...] | tuple[RequestField, ...]) -> list[dict[str, str]]:
    return [{"name": f.name, "dtype": f.dtype.value} for f in features]


def _describe_view(view: FeatureView) -> dict[str, Any]:
    return {
        "name": view.name,
        "entities": list(view.entity_names),
        "source": view.source.describe(),
        "timestamp_field": view.timestamp_field,
        "created_timestamp_field": view.created_timestamp_field,
        "ttl_seconds": view.ttl.total_seconds() if view.ttl is not None else None,
        "features": _describe_features(view.features),
        "transformation": describe_function(view.transformation) if view.transformation else None,
        "description": view.description,
    }


def _describe_on_demand(view: OnDemandFeatureView) -> dict[str, Any]:
    return {
        "name": view.name,
        "sources": sorted(view.view_sources),
        "request_fields": _describe_features(view.request_fields),
        "features": _describe_features(view.features),
        "function": describe_function(view.function),
        "description": view.description,
    }


__all__ = ["canonical_json", "describe_definitions", "describe_function", "description_digest"]
