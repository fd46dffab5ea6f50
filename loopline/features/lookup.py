"""Online lookups: the latest stored values of entities, plus on-demand features, in microseconds.

A lookup compiles its feature list once (cached), then per view encodes the entity keys,
reads them in one batch from the online store, drops values older than the view's TTL and
decodes the rest. On-demand features run through the same function as for training sets.
Unknown entities give nulls and a flag, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from loopline.features.dtypes import ValueType, as_utc_naive, column, python_values, to_micros
from loopline.features.errors import RetrievalError
from loopline.features.on_demand import compute_on_demand
from loopline.features.online.base import OnlineStore
from loopline.features.online.codec import entity_key, entity_keys, layout_id, unpack_many
from loopline.features.plan import OnDemandRequest, RetrievalPlan, ViewRequest, plan_retrieval
from loopline.features.repository import FeatureRepository

MAX_ENTITY_ROWS = 100_000
_PLAN_CACHE_SIZE = 256


@dataclass(frozen=True)
class OnlineResult:
    """Feature values per entity row: ``rows[i][j]`` is feature ``columns[j]`` of entity row ``i``.

    ``found[i]`` is False when a view had no fresh value for row ``i`` (unknown entity or
    value older than the view's TTL); ``missing[i]`` names those views. Their features are None.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    found: tuple[bool, ...]
    missing: tuple[tuple[str, ...], ...]

    def __len__(self) -> int:
        return len(self.rows)

    def to_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def column(self, name: str) -> list[Any]:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame.from_records(list(self.rows), columns=list(self.columns))


@dataclass(frozen=True)
class _CompiledView:
    request: ViewRequest
    name: str
    positions: tuple[int, ...]  # where each needed feature sits in the packed values
    layout: str
    timestamp_positions: tuple[int, ...]
    ttl_us: int | None
    all_features: bool  # every feature of the view, in its order: decoded values need no picking

    def pick(self, values: list[Any]) -> list[Any]:
        return [values[p] for p in self.positions]


class OnlineLookup:
    """Answers ``get_online_features`` from an open online store."""

    def __init__(self, repo: FeatureRepository, online: OnlineStore) -> None:
        self.repo = repo
        self.online = online
        self._plans: dict[tuple[tuple[str, ...], bool], tuple[RetrievalPlan, list[_CompiledView]]] = {}

    def get_online_features(
        self,
        features: Sequence[str],
        entity_rows: Sequence[Mapping[str, Any]],
        *,
        at: datetime | str | None = None,
        full_feature_names: bool = False,
    ) -> OnlineResult:
        """Values of ``features`` for each entity row; ``at`` (default now) is the time TTLs count from."""
        plan, compiled = self._compile(features, full_feature_names)
        rows = _checked_rows(entity_rows, plan)
        now_us = to_micros(as_utc_naive(at) if at is not None else datetime.now(UTC).replace(tzinfo=None))
        stored: dict[tuple[str, str], Sequence[Any]] = {}
        missing: list[list[str]] = [[] for _ in rows]
        for view in compiled:
            self._read_view(view, rows, now_us, stored, missing)
        for request in plan.on_demand:
            stored |= _on_demand_values(request, rows, stored)
        sources = [stored[(o.ref.view, o.ref.feature)] for o in plan.outputs]
        values = tuple(zip(*sources, strict=True)) if sources else tuple(() for _ in rows)
        return OnlineResult(
            columns=tuple(o.name for o in plan.outputs),
            rows=values,
            found=tuple(not m for m in missing),
            missing=tuple(tuple(m) for m in missing),
        )

    def _read_view(
        self,
        view: _CompiledView,
        rows: Sequence[Mapping[str, Any]],
        now_us: int,
        stored: dict[tuple[str, str], Sequence[Any]],
        missing: list[list[str]],
    ) -> None:
        keys = view.request.join_keys
        if len(keys) == 1:
            encoded = entity_keys([[row[keys[0]] for row in rows]])
        else:
            encoded = [entity_key([row[k] for k in keys]) for row in rows]
        unique = list(dict.fromkeys(encoded))
        oldest = now_us - view.ttl_us if view.ttl_us is not None else None
        fresh = {
            row.entity_key: row.payload
            for row in self.online.online_read(view.name, unique)
            if row is not None and (oldest is None or row.event_ts >= oldest)
        }
        decoded = unpack_many(list(fresh.values()), view.layout, view.timestamp_positions)
        values = dict(zip(fresh, decoded if view.all_features else map(view.pick, decoded), strict=True))
        empty = (None,) * len(view.positions)
        picked = []
        for i, key in enumerate(encoded):
            found = values.get(key)
            if found is None:
                missing[i].append(view.name)
                found = empty
            picked.append(found)
        columns = zip(*picked, strict=True) if picked else ((),) * len(view.positions)
        for feature, column_values in zip(view.request.features, columns, strict=True):
            stored[(view.name, feature.name)] = column_values

    def _compile(self, features: Sequence[str], full: bool) -> tuple[RetrievalPlan, list[_CompiledView]]:
        cache_key = (tuple(features) if not isinstance(features, str) else (features,), full)
        found = self._plans.get(cache_key)
        if found is None:
            plan = plan_retrieval(self.repo, features, full_feature_names=full)
            found = (plan, [_compile_view(r) for r in plan.views])
            if len(self._plans) >= _PLAN_CACHE_SIZE:
                self._plans.clear()
            self._plans[cache_key] = found
        return found


def _compile_view(request: ViewRequest) -> _CompiledView:
    order = request.view.feature_names
    ttl = request.view.ttl
    positions = tuple(order.index(f.name) for f in request.features)
    return _CompiledView(
        request=request,
        name=request.view.name,
        positions=positions,
        layout=layout_id([(f.name, f.dtype) for f in request.view.features]),
        timestamp_positions=tuple(i for i, f in enumerate(request.view.features) if f.dtype is ValueType.TIMESTAMP),
        ttl_us=None if ttl is None else (ttl.days * 86_400 + ttl.seconds) * 1_000_000 + ttl.microseconds,
        all_features=positions == tuple(range(len(order))),
    )


def _checked_rows(entity_rows: Any, plan: RetrievalPlan) -> Sequence[Mapping[str, Any]]:
    if type(entity_rows) is not list and (isinstance(entity_rows, Mapping) or not isinstance(entity_rows, Sequence)):
        raise RetrievalError(
            f"entity_rows must be a list of mappings; got {type(entity_rows).__name__}",
            hint='write entity_rows=[{"station": 1}, {"station": 2}]',
        )
    if len(entity_rows) > MAX_ENTITY_ROWS:
        raise RetrievalError(f"{len(entity_rows)} entity rows in one lookup; at most {MAX_ENTITY_ROWS} are accepted")
    needed = (*plan.entity_keys, *(f.name for f in plan.request_fields))
    for i, row in enumerate(entity_rows):
        if type(row) is not dict and not isinstance(row, Mapping):
            raise RetrievalError(f"entity row {i} is {type(row).__name__}; expected a mapping such as {{'station': 1}}")
        absent = [k for k in needed if k not in row]
        if absent:
            raise RetrievalError(
                f"entity row {i} lacks {', '.join(absent)}",
                hint=f"every row needs the join keys and request fields {', '.join(needed)}",
            )
    return entity_rows


def _on_demand_values(
    request: OnDemandRequest, rows: Sequence[Mapping[str, Any]], stored: dict[tuple[str, str], Sequence[Any]]
) -> dict[tuple[str, str], list[Any]]:
    inputs = {f.name: column([row[f.name] for row in rows], f.dtype) for f in request.view.request_fields}
    for view, feature in request.inputs:
        inputs[feature.name] = column(stored[(view, feature.name)], feature.dtype)
    frame = pd.DataFrame(inputs, index=pd.RangeIndex(len(rows)))
    computed = compute_on_demand(request, frame)
    return {(request.view.name, f.name): python_values(computed[f.name], f.dtype) for f in request.outputs}


__all__ = ["MAX_ENTITY_ROWS", "OnlineLookup", "OnlineResult"]
