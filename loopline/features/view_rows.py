"""A feature view's rows as DuckDB sees them: source, then transformation, then typed columns.

``register_view_rows`` exposes a relation with the view's join keys, ``__ts`` (event time,
UTC), ``__created`` (created time or NULL) and the requested features cast to their
declared types. Rows without an event time or with a null join key are skipped; rows with
the same entity and event time are reduced to one: the one created last. Offline
retrieval, range reads and materialization all read this relation, so a transformation
runs the same way for each.

The reduction is a window over every row, the costliest part of a point-in-time join, so
callers that pick one row per entity themselves by (event time, created time) skip it
with ``deduplicate=False``: the latest row per entity, and an as-of join over a view
without a created timestamp (whose tied rows have no defined winner either way).
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from loopline.features.definitions import Feature, FeatureView, Transformation
from loopline.features.errors import SourceError
from loopline.features.sql import quote

TS = "__ts"
CREATED = "__created"


def register_source(
    con: duckdb.DuckDBPyConnection, view: FeatureView, name: str, *, sample_rows: int | None = None
) -> str:
    """Expose the view's source rows after its transformation; returns the relation's name."""
    raw = f"{name}__source"
    view.source.register(con, raw)
    if view.transformation is None:
        return raw
    limit = f" LIMIT {int(sample_rows)}" if sample_rows is not None else ""
    frame = _read(con, f"SELECT * FROM {quote(raw)}{limit}", view)
    transformed = apply_transformation(view, view.transformation, frame)
    con.register(f"{name}__transformed", transformed)
    return f"{name}__transformed"


def apply_transformation(view: FeatureView, transformation: Transformation, frame: pd.DataFrame) -> pd.DataFrame:
    """Run the view's transformation over ``frame`` with errors that name the view."""
    try:
        result = transformation(frame)
    except Exception as exc:
        raise SourceError(
            f"the transformation of feature view '{view.name}' raised {type(exc).__name__}: {exc}",
            hint="run the function on the source rows to debug it",
        ) from exc
    if not isinstance(result, pd.DataFrame):
        raise SourceError(
            f"the transformation of feature view '{view.name}' returned {type(result).__name__}; expected a DataFrame"
        )
    return result


def source_columns(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    """Column name -> DuckDB type of a relation."""
    rows = con.execute(f"DESCRIBE SELECT * FROM {quote(relation)}").fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def register_view_rows(
    con: duckdb.DuckDBPyConnection,
    view: FeatureView,
    join_keys: Sequence[str],
    name: str,
    *,
    features: Sequence[Feature] | None = None,
    deduplicate: bool = True,
) -> str:
    """Expose the view's typed rows as ``name`` (de-duplicated unless told not to); returns ``name``."""
    source = register_source(con, view, name)
    wanted = view.features if features is None else features
    try:
        types = source_columns(con, source)
        created = (
            _cast(view.created_timestamp_field, "TIMESTAMP", types)
            if view.created_timestamp_field
            else "NULL::TIMESTAMP"
        )
        columns = [
            *(quote(k) for k in join_keys),
            f"{_cast(view.timestamp_field, 'TIMESTAMP', types)} AS {TS}",
            f"{created} AS {CREATED}",
            *(f"{_cast(f.name, f.dtype.sql_type, types)} AS {quote(f.name)}" for f in wanted),
        ]
        partition = ", ".join([*(quote(k) for k in join_keys), TS])
        present = " AND ".join(f"{quote(c)} IS NOT NULL" for c in (*join_keys, view.timestamp_field))
        rows = f"SELECT {', '.join(columns)} FROM {quote(source)} WHERE {present}"
        if deduplicate:
            rows = (
                f"SELECT * FROM ({rows}) "
                f"QUALIFY row_number() OVER (PARTITION BY {partition} ORDER BY {CREATED} DESC NULLS LAST) = 1"
            )
        con.execute(f"CREATE OR REPLACE TEMP VIEW {quote(name)} AS {rows}")
    except duckdb.Error as exc:
        raise SourceError(
            f"cannot read feature view '{view.name}' from its source: {exc}",
            hint="run FeatureRepository.apply() to check the view against its source",
        ) from None
    return name


def _cast(column: str, sql_type: str, source_types: dict[str, str]) -> str:
    """``column`` as ``sql_type``; time-zone-aware times become naive UTC by arithmetic.

    ``CAST(... AS TIMESTAMP)`` of a ``TIMESTAMP WITH TIME ZONE`` goes through the time zone
    library for every row, a sizeable share of a point-in-time join over Parquet written by
    pandas; the microseconds since the epoch are the same UTC instant, for a fraction.
    """
    if sql_type == "TIMESTAMP" and source_types.get(column) == "TIMESTAMP WITH TIME ZONE":
        return f"make_timestamp(epoch_us({quote(column)}))"
    return f"CAST({quote(column)} AS {sql_type})"


def _read(con: duckdb.DuckDBPyConnection, sql: str, view: FeatureView) -> pd.DataFrame:
    try:
        return con.execute(sql).df()
    except duckdb.Error as exc:
        raise SourceError(f"cannot read the source of feature view '{view.name}': {exc}") from None
