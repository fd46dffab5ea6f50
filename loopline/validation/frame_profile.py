"""Profile a small in-memory DataFrame with NumPy, exactly, without starting a DuckDB query.

Monitoring profiles a window of the prediction log (a day of an hourly model is 24 rows)
against its reference many times a day; for such frames DuckDB's per-query cost is most of
the time. ``profile_frame`` gives the same Profile as ``profile`` (same kinds, counts,
bounds, moments, histograms on the reference's grids, value counts, top values, gaps), with
every statistic exact: distinct counts are counted, quantiles are the exact discrete ones
(``quantile_method`` "exact"). A frame it cannot read the way DuckDB would (a column of
mixed Python objects, a categorical or time-zone-aware dtype) is handed to ``profile``, as
is one above ``max_rows``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from loopline.validation.histogram import DEFAULT_BINS, BinGrid, Histogram
from loopline.validation.kinds import ColumnKind, string_kind
from loopline.validation.profile import (
    GAPS_KEPT,
    QUANTILES,
    TOP_K,
    VALUE_COUNT_LIMIT,
    CategoryStats,
    ColumnProfile,
    DatetimeStats,
    Gap,
    NumericStats,
    Profile,
)
from loopline.validation.profiling import GRID_QUANTILES, parses_as_number, profile, reference_grids

MAX_ROWS = 100_000
_SQL_INTEGERS = {"int8": "TINYINT", "int16": "SMALLINT", "int32": "INTEGER", "int64": "BIGINT",
                 "uint8": "UTINYINT", "uint16": "USMALLINT", "uint32": "UINTEGER", "uint64": "UBIGINT"}
_SQL_FLOATS = {"float32": "FLOAT", "float64": "DOUBLE"}


class _Unsupported(Exception):
    """A column this module does not read the way DuckDB would."""


def profile_frame(frame: pd.DataFrame, *, reference: Profile | None = None, bins: int = DEFAULT_BINS,
                  duplicates: bool = True, max_rows: int = MAX_ROWS) -> Profile:
    """The profile of ``frame``; with ``reference``, numeric histograms use the reference's grids."""
    if len(frame) > max_rows or not frame.columns.is_unique:
        return profile(frame, reference=reference, bins=bins, duplicates=duplicates)
    grids = reference_grids(reference)
    try:
        columns = tuple(_column(str(name), frame[name], grids.get(str(name)), bins) for name in frame.columns)
    except _Unsupported:
        return profile(frame, reference=reference, bins=bins, duplicates=duplicates)
    duplicated = int(frame.duplicated().sum()) if duplicates and len(frame.columns) else (0 if duplicates else None)
    return Profile(rows=len(frame), columns=columns, duplicate_rows=duplicated,
                   source=f"DataFrame ({len(frame)} rows x {len(frame.columns)} columns)")


def _column(name: str, series: pd.Series, grid: BinGrid | None, bins: int) -> ColumnProfile:
    dtype = series.dtype
    present = series[series.notna()]
    base = {"name": name, "count": len(present), "missing": len(series) - len(present)}
    if pd.api.types.is_bool_dtype(dtype):
        return _boolean(present, base)
    if pd.api.types.is_integer_dtype(dtype) and dtype.name.lower() in _SQL_INTEGERS:
        return _numeric(present.to_numpy(dtype=np.float64), base, _SQL_INTEGERS[dtype.name.lower()], True, grid, bins)
    if pd.api.types.is_float_dtype(dtype) and dtype.name.lower() in _SQL_FLOATS:
        return _numeric(present.to_numpy(dtype=np.float64), base, _SQL_FLOATS[dtype.name.lower()], False, grid, bins)
    if pd.api.types.is_datetime64_dtype(dtype) and getattr(dtype, "tz", None) is None:
        return _datetime(present, base)
    if dtype == object:
        values = present.tolist()
        if all(isinstance(v, str) for v in values):
            return _string(values, base)
        if values and all(isinstance(v, bool | np.bool_) for v in values):
            return _boolean(present, base)
    raise _Unsupported(name)


def _numeric(values: np.ndarray, base: dict[str, Any], sql_type: str, integer: bool, grid: BinGrid | None,
             bins: int) -> ColumnProfile:
    finite_mask = np.isfinite(values)
    finite = values[finite_mask]
    inf = int(np.isinf(values).sum())
    n = len(finite)
    low = float(finite.min()) if n else None
    high = float(finite.max()) if n else None
    uniques, counts = np.unique(finite, return_counts=True)
    value_counts: tuple[tuple[float, int], ...] | None = None
    if len(uniques) <= VALUE_COUNT_LIMIT:
        value_counts = tuple((float(v), int(c)) for v, c in zip(uniques, counts, strict=True))
    quantiles: tuple[float | None, ...] = (None,) * len(QUANTILES)
    if n:
        ordered = np.sort(finite)
        positions = np.searchsorted(np.arange(1, n + 1, dtype=np.float64), np.asarray(QUANTILES) * n, side="left")
        quantiles = tuple(float(ordered[min(int(i), n - 1)]) for i in positions)
    if grid is None and n:
        lo, hi = low, high
        q_low, q_high = np.quantile(finite, GRID_QUANTILES)
        if q_high > q_low:
            lo, hi = max(lo, float(q_low)), min(hi, float(q_high))
        grid = BinGrid.covering(lo, hi, integer=integer, bins=bins)
    histogram = Histogram.from_values(grid, finite) if grid is not None else None
    mean = float(finite.mean()) if n else None
    numeric = NumericStats(
        finite=n, nan=0, inf=inf, zeros=int((finite == 0).sum()), min=low, max=high, mean=mean,
        m2=float(((finite - mean) ** 2).sum()) if n else 0.0, quantiles=quantiles, quantile_method="exact",
        histogram=histogram, value_counts=value_counts if n else (), integer=integer,
    )
    return ColumnProfile(kind=ColumnKind.NUMERIC, numeric=numeric, distinct=len(uniques), distinct_exact=True,
                         sql_type=sql_type, **base)


def _string(values: list[str], base: dict[str, Any]) -> ColumnProfile:
    counted = Counter(values)
    ordered = sorted(counted.items(), key=lambda item: (-item[1], item[0]))
    ranked = tuple(ordered[:TOP_K])
    numeric_like = sum(c for v, c in ordered if parses_as_number(v))
    lengths = [len(v) for v in counted]
    categories = CategoryStats(top=ranked, other=len(values) - sum(c for _, c in ranked), numeric_like=numeric_like,
                               min_length=min(lengths) if lengths else None,
                               max_length=max(lengths) if lengths else None)
    count = len(values)
    mixed = ("number", "text") if count and count > numeric_like >= 0.5 * count else ()
    return ColumnProfile(kind=string_kind(len(counted), count), categories=categories, distinct=len(counted),
                         distinct_exact=True, sql_type="VARCHAR", mixed_types=mixed, **base)


def _boolean(present: pd.Series, base: dict[str, Any]) -> ColumnProfile:
    true = int(sum(1 for v in present.tolist() if v))
    false = base["count"] - true
    top = tuple(sorted(((v, c) for v, c in (("true", true), ("false", false)) if c), key=lambda item: -item[1]))
    return ColumnProfile(kind=ColumnKind.BOOLEAN, categories=CategoryStats(top=top), distinct=len(top),
                         distinct_exact=True, sql_type="BOOLEAN", **base)


def _datetime(present: pd.Series, base: dict[str, Any]) -> ColumnProfile:
    distinct = present.drop_duplicates().sort_values()
    gaps: tuple[Gap, ...] = ()
    if len(distinct) > 1:
        stamps = distinct.tolist()
        spans = [(float((b - a).total_seconds()), a, b) for a, b in zip(stamps, stamps[1:], strict=False)]
        spans.sort(key=lambda item: (-item[0], item[2]))
        gaps = tuple(Gap(a.isoformat(), b.isoformat(), seconds) for seconds, a, b in spans[:GAPS_KEPT])
    low = distinct.iloc[0].isoformat() if len(distinct) else None
    high = distinct.iloc[-1].isoformat() if len(distinct) else None
    return ColumnProfile(kind=ColumnKind.DATETIME, distinct=len(distinct), distinct_exact=True,
                         sql_type="TIMESTAMP", datetime=DatetimeStats(min=low, max=high, gaps=gaps), **base)


__all__ = ["MAX_ROWS", "profile_frame"]
