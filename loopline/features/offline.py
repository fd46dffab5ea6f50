"""Training sets: point-in-time correct joins in DuckDB, and reads of a view over a time range.

For every entity row and its timestamp ``t``, each feature is the value of the view's row
with the latest event time at or before ``t`` (ties broken by the created timestamp, the
latest created winning), and null when that row is older than ``t - ttl``. One ``ASOF LEFT
JOIN`` per view does the search; no Python loop touches the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from loopline.features.definitions import FeatureView
from loopline.features.dtypes import ValueType, as_utc_naive, cast_column, pandas_family, sql_family
from loopline.features.errors import RetrievalError
from loopline.features.on_demand import compute_on_demand
from loopline.features.plan import RetrievalPlan, ViewRequest, plan_retrieval
from loopline.features.repository import FeatureRepository
from loopline.features.sql import connect, interval_literal, quote, timestamp_literal
from loopline.features.view_rows import CREATED, TS, register_view_rows, source_columns

ROW = "__loopline_row"
ENTITY_TS = "__loopline_ts"
LATEST = "__loopline_latest"


def get_historical_features(
    repo: FeatureRepository,
    entity_df: pd.DataFrame,
    features: Sequence[str],
    *,
    timestamp_column: str = "event_ts",
    full_feature_names: bool = False,
) -> pd.DataFrame:
    """``entity_df`` (same rows, order, index and columns) with one column per requested feature.

    ``entity_df`` holds the join keys of every view asked for, the time of each row in
    ``timestamp_column`` and any request fields the on-demand views need.
    """
    plan = plan_retrieval(repo, features, full_feature_names=full_feature_names)
    _check_entity_frame(entity_df, plan, timestamp_column)
    stored = _join_stored_features(plan, entity_df, timestamp_column)
    result = entity_df.copy()
    for output in plan.outputs:
        if output.ref.view in repo.views:
            result[output.name] = stored[(output.ref.view, output.ref.feature)].array
    for request in plan.on_demand:
        inputs = {
            f.name: cast_column(entity_df[f.name].reset_index(drop=True), f.dtype) for f in request.view.request_fields
        }
        inputs |= {feature.name: stored[(view, feature.name)] for view, feature in request.inputs}
        computed = compute_on_demand(request, pd.DataFrame(inputs, index=pd.RangeIndex(len(entity_df))))
        for output in plan.outputs:
            if output.ref.view == request.view.name:
                result[output.name] = computed[output.ref.feature].array
    return result


def get_features_in_range(
    repo: FeatureRepository,
    view: str,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
    *,
    latest_only: bool = False,
) -> pd.DataFrame:
    """The view's rows with ``start <= event time <= end`` (None: unbounded), oldest first.

    Columns: the join keys, the view's timestamp field (UTC) and its features. With
    ``latest_only`` only the latest row of each entity is kept (what materialization writes).
    """
    found = repo.view(view)
    con = connect()
    try:
        relation = view_range(con, repo, found, start, end, latest_only=latest_only)
        frame = relation.df()
    finally:
        con.close()
    frame = frame.rename(columns={TS: found.timestamp_field}).drop(columns=[CREATED])
    frame[found.timestamp_field] = frame[found.timestamp_field].astype("datetime64[us]")
    for feature in found.features:
        frame[feature.name] = cast_column(frame[feature.name], feature.dtype)
    return frame


def view_range(
    con: duckdb.DuckDBPyConnection,
    repo: FeatureRepository,
    view: FeatureView,
    start: datetime | str | None,
    end: datetime | str | None,
    *,
    latest_only: bool,
) -> duckdb.DuckDBPyRelation:
    """A relation over the view's typed rows in ``[start, end]``, sorted by event time then keys.

    With ``latest_only``, each entity's row with the latest event time (ties: the latest
    created) is found by a grouped ``max`` joined back to the rows, which hashes the rows
    once instead of sorting them all in a window; only the tied rows go through a window.
    """
    keys = repo.join_keys(view)
    # The latest-row query below picks one row per entity by (event time, created time) itself.
    name = register_view_rows(con, view, keys, "range_rows", deduplicate=not latest_only)
    bounds = []
    if start is not None:
        bounds.append(f"{TS} >= {timestamp_literal(as_utc_naive(start))}")
    if end is not None:
        bounds.append(f"{TS} <= {timestamp_literal(as_utc_naive(end))}")
    where = f" WHERE {' AND '.join(bounds)}" if bounds else ""
    key_list = ", ".join(quote(k) for k in keys)
    order = f" ORDER BY {TS}, {key_list}"
    if not latest_only:
        return con.sql(f"SELECT * FROM {quote(name)}{where}{order}")
    same_key = " AND ".join(f"inside.{quote(k)} = latest.{quote(k)}" for k in keys)
    inside_keys = ", ".join(f"inside.{quote(k)}" for k in keys)
    return con.sql(
        f"WITH inside AS (SELECT * FROM {quote(name)}{where}), "
        f"latest AS (SELECT {key_list}, max({TS}) AS {LATEST} FROM inside GROUP BY {key_list}) "
        f"SELECT inside.* FROM inside JOIN latest ON {same_key} AND inside.{TS} = latest.{LATEST} "
        f"QUALIFY row_number() OVER (PARTITION BY {inside_keys} ORDER BY inside.{CREATED} DESC NULLS LAST) = 1"
        f"{order}"
    )


def _check_entity_frame(entity_df: Any, plan: RetrievalPlan, timestamp_column: str) -> None:
    if not isinstance(entity_df, pd.DataFrame):
        raise RetrievalError(f"entity_df must be a pandas DataFrame; got {type(entity_df).__name__}")
    needed = [timestamp_column, *plan.entity_keys, *(f.name for f in plan.request_fields)]
    missing = [c for c in needed if c not in entity_df.columns]
    if missing:
        raise RetrievalError(
            f"the entity frame lacks the columns {', '.join(missing)}; it has {', '.join(map(str, entity_df.columns))}",
            hint=f"it needs the join keys, the request fields and the row time in '{timestamp_column}' "
            "(pass timestamp_column=... if the time is in another column)",
        )
    clashes = [o.name for o in plan.outputs if o.name in entity_df.columns]
    if clashes:
        raise RetrievalError(
            f"the entity frame already has columns named like the requested features: {', '.join(clashes)}",
            hint="drop or rename them, or pass full_feature_names=True",
        )


def _entity_times(entity_df: pd.DataFrame, timestamp_column: str) -> np.ndarray:
    try:
        times = cast_column(entity_df[timestamp_column].reset_index(drop=True), ValueType.TIMESTAMP)
    except (TypeError, ValueError) as exc:
        raise RetrievalError(
            f"the entity frame's column '{timestamp_column}' does not hold timestamps: {exc}",
            hint="convert it with pandas.to_datetime",
        ) from None
    nulls = int(times.isna().sum())
    if nulls:
        raise RetrievalError(f"the entity frame's column '{timestamp_column}' has {nulls} null timestamps")
    return times.to_numpy()


def _join_stored_features(
    plan: RetrievalPlan, entity_df: pd.DataFrame, timestamp_column: str
) -> dict[tuple[str, str], pd.Series]:
    """(view, feature) -> column of values aligned with the entity rows."""
    entities = pd.DataFrame({k: entity_df[k].to_numpy() for k in plan.entity_keys})
    entities[ENTITY_TS] = _entity_times(entity_df, timestamp_column)
    entities[ROW] = np.arange(len(entity_df), dtype=np.int64)
    if not plan.views:
        return {}
    con = connect()
    try:
        con.register("entity_rows", entities)
        selects, joins, aliases = [], [], {}
        for i, request in enumerate(plan.views):
            name = register_view_rows(
                con,
                request.view,
                request.join_keys,
                f"v{i}",
                features=request.features,
                deduplicate=request.view.created_timestamp_field is not None,
            )
            _check_key_types(con, request, name, entities)
            joins.append(_asof_join(request, name))
            for j, feature in enumerate(request.features):
                alias = f"c{i}_{j}"
                aliases[(request.view.name, feature.name)] = (alias, feature.dtype)
                selects.append(f"{_ttl_guarded(request, name, feature.name)} AS {alias}")
        sql = f"SELECT e.{ROW}, {', '.join(selects)} FROM entity_rows e {' '.join(joins)} ORDER BY e.{ROW}"
        try:
            frame = con.execute(sql).df()
        except duckdb.Error as exc:
            raise RetrievalError(f"the point-in-time join failed: {exc}") from None
    finally:
        con.close()
    return {key: cast_column(frame[alias], dtype) for key, (alias, dtype) in aliases.items()}


def _asof_join(request: ViewRequest, name: str) -> str:
    equal = " AND ".join(f"e.{quote(k)} = {quote(name)}.{quote(k)}" for k in request.join_keys)
    return f"ASOF LEFT JOIN {quote(name)} ON {equal} AND e.{ENTITY_TS} >= {quote(name)}.{TS}"


def _ttl_guarded(request: ViewRequest, name: str, feature: str) -> str:
    value = f"{quote(name)}.{quote(feature)}"
    if request.view.ttl is None:
        return value
    return f"CASE WHEN {quote(name)}.{TS} >= e.{ENTITY_TS} - {interval_literal(request.view.ttl)} THEN {value} END"


def _check_key_types(con: duckdb.DuckDBPyConnection, request: ViewRequest, name: str, entities: pd.DataFrame) -> None:
    columns = source_columns(con, name)
    for key in request.join_keys:
        expected = sql_family(columns[key])
        given = pandas_family(entities[key].dtype)
        if given not in (expected, "other"):
            raise RetrievalError(
                f"the entity frame's column '{key}' holds {given} values but feature view "
                f"'{request.view.name}' keys its rows by {expected} values ({columns[key]})",
                hint=f"convert the column, e.g. entity_df['{key}'].astype(...)",
            )


__all__ = ["get_features_in_range", "get_historical_features", "view_range"]
