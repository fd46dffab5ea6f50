"""Filling in a request's features from the online store, as the training frame was built.

A package says which features it was trained on in ``info["online_features"]``::

    {"refs": ["weather_by_hour:temp", "demand_history:cnt_lag_24h", ...],
     "full_feature_names": false}

(``refs`` as ``FeatureStore.get_historical_features`` took them for the training frame).
A request then needs to carry only the entity keys (and the request fields of on-demand
views) besides the model's other inputs; the server reads the latest values from the
online store and computes on-demand features through the same function as the training
set did. A record that already carries a feature keeps its own value (so a logged request
can be replayed exactly); when every record carries every feature, nothing is looked up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loopline.serving.errors import RequestRejected, ServerConfigError

if TYPE_CHECKING:
    from loopline.features import FeatureStore

INFO_KEY = "online_features"


@dataclass(frozen=True)
class OnlineFeatureSpec:
    """The feature references a package was trained on, read from ``info["online_features"]``."""

    refs: tuple[str, ...]
    full_feature_names: bool = False

    @classmethod
    def from_info(cls, info: Mapping[str, Any] | None, *, model: str) -> OnlineFeatureSpec | None:
        spec = (info or {}).get(INFO_KEY)
        if spec is None:
            return None
        refs = spec.get("refs") if isinstance(spec, Mapping) else None
        if not isinstance(refs, list | tuple) or not refs or not all(isinstance(r, str) for r in refs):
            raise ServerConfigError(
                f"model {model}: info['{INFO_KEY}'] must be {{'refs': ['view:feature', ...]}}, got {spec!r}"
            )
        return cls(tuple(refs), bool(spec.get("full_feature_names", False)))


@dataclass(frozen=True)
class Filled:
    """Records with their features filled in, and per record the views that had no fresh value."""

    records: list[Mapping[str, Any]]
    missing: tuple[tuple[str, ...], ...]


class FeatureFiller:
    """Looks up a package's online features for the records of a request."""

    def __init__(self, spec: OnlineFeatureSpec, store: FeatureStore) -> None:
        from loopline.features.plan import plan_retrieval

        self.spec = spec
        self.store = store
        plan = plan_retrieval(store.repository, spec.refs, full_feature_names=spec.full_feature_names)
        self.columns: tuple[str, ...] = tuple(o.name for o in plan.outputs)
        self.keys: tuple[str, ...] = (*plan.entity_keys, *(f.name for f in plan.request_fields))

    def fill(self, records: Sequence[Mapping[str, Any]]) -> Filled:
        """The records with every feature column set; RequestRejected listing records without their keys."""
        if all(all(c in r for c in self.columns) for r in records):
            return Filled(list(records), ())
        self._check_keys(records)
        result = self.store.get_online_features(
            self.spec.refs, records, full_feature_names=self.spec.full_feature_names
        )
        columns = self.columns
        filled: list[Mapping[str, Any]] = []
        for record, row in zip(records, result.rows, strict=True):
            merged = dict(zip(columns, row, strict=True))
            merged.update(record)
            filled.append(merged)
        return Filled(filled, result.missing)

    def _check_keys(self, records: Sequence[Mapping[str, Any]]) -> None:
        problems = []
        for key in self.keys:
            lacking = [i for i, r in enumerate(records) if r.get(key) is None]
            if lacking:
                problems.append({
                    "code": "MISSING_COLUMN", "column": key, "severity": "ERROR", "examples": lacking[:5],
                    "message": f"'{key}' is needed to look up the model's features and is missing from "
                               f"{len(lacking)} of {len(records)} record(s)",
                })
        if problems:
            raise RequestRejected(
                f"the request lacks keys needed to look up features: {', '.join(p['column'] for p in problems)}",
                problems=problems,
                hint=f"send {', '.join(self.keys)} in every record (or every feature: {', '.join(self.columns)})",
            )


__all__ = ["INFO_KEY", "FeatureFiller", "Filled", "OnlineFeatureSpec"]
