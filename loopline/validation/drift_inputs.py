"""One side of a drift comparison (reference or current), per column, from raw data or from a profile.

Raw data keeps the sorted finite values of numeric columns (so KS and Wasserstein are
exact) and exact category counts; a profile gives histograms and top-value counts. Numeric
histograms of both sides are put on the reference's grid, so they compare bin for bin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from loopline.validation.histogram import DEFAULT_BINS, BinGrid, Histogram
from loopline.validation.kinds import ColumnKind
from loopline.validation.measures import NumericSide
from loopline.validation.profile import VALUE_COUNT_LIMIT, ColumnProfile, Profile
from loopline.validation.reading import DataInput, iso_dates, open_data

_NUMERIC_OBJECTS = {"integer", "floating", "mixed-integer-float", "decimal"}
_DATETIME_OBJECTS = {"datetime", "datetime64", "date"}


@dataclass(frozen=True)
class ColumnSide:
    """One column on one side: its kind, non-missing count, numeric side or category counts."""

    kind: ColumnKind
    count: int
    numeric: NumericSide | None = None
    categories: Mapping[str, int] = field(default_factory=dict)
    other: int = 0


@dataclass(frozen=True)
class DatasetSide:
    """Both kinds of columns of one side; ``skipped`` names the columns drift does not compare (datetimes)."""

    rows: int
    columns: Mapping[str, ColumnSide]
    raw: bool
    skipped: frozenset[str] = frozenset()

    def grids(self) -> dict[str, BinGrid]:
        return {name: side.numeric.histogram.grid for name, side in self.columns.items() if side.numeric is not None}


def load_side(data: DataInput | Profile, grids: Mapping[str, BinGrid] | None = None) -> DatasetSide:
    """The side for ``data``: numeric histograms on ``grids`` (chosen from the data when None)."""
    if isinstance(data, Profile):
        return side_from_profile(data, grids)
    if isinstance(data, pd.DataFrame):
        return side_from_frame(data, grids)
    with open_data(data) as opened:
        return side_from_frame(opened.frame(), grids)


def side_from_profile(stats: Profile, grids: Mapping[str, BinGrid] | None = None) -> DatasetSide:
    columns = {c.name: _profile_column(c, (grids or {}).get(c.name)) for c in stats.columns}
    skipped = frozenset(c.name for c in stats.columns if c.kind == ColumnKind.DATETIME)
    return DatasetSide(rows=stats.rows, columns={k: v for k, v in columns.items() if v is not None}, raw=False,
                       skipped=skipped)


def side_from_frame(frame: pd.DataFrame, grids: Mapping[str, BinGrid] | None = None) -> DatasetSide:
    columns, skipped = {}, set()
    for name in frame.columns:
        series = frame[name]
        kind = frame_kind(series)
        if kind == ColumnKind.NUMERIC:
            columns[str(name)] = _numeric_from_values(series, (grids or {}).get(str(name)))
        elif kind == ColumnKind.DATETIME:
            skipped.add(str(name))
        else:
            columns[str(name)] = _categories_from_values(series, kind)
    return DatasetSide(rows=len(frame), columns=columns, raw=True, skipped=frozenset(skipped))


def frame_kind(series: pd.Series) -> ColumnKind:
    """The kind of a DataFrame column, as profiling would see it (strings are categorical here)."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return ColumnKind.BOOLEAN
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return ColumnKind.DATETIME
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return ColumnKind.NUMERIC
    if iso_dates(series) is not None:
        return ColumnKind.DATETIME
    if dtype == np.dtype(object):
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        if inferred in _NUMERIC_OBJECTS:
            return ColumnKind.NUMERIC
        if inferred == "boolean":
            return ColumnKind.BOOLEAN
        if inferred in _DATETIME_OBJECTS:
            return ColumnKind.DATETIME
    return ColumnKind.CATEGORICAL


def _numeric_from_values(series: pd.Series, grid: BinGrid | None) -> ColumnSide:
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    finite = np.sort(values[np.isfinite(values)])
    if grid is None:
        grid = grid_for_sorted(finite, integer=pd.api.types.is_integer_dtype(series.dtype))
    side = NumericSide(
        histogram=Histogram.from_values(grid, finite), count=int(finite.size),
        std=float(finite.std()) if finite.size else None, values=finite, value_counts=_sorted_value_counts(finite),
    )
    return ColumnSide(kind=ColumnKind.NUMERIC, count=int(np.count_nonzero(~np.isnan(values))), numeric=side)


def grid_for_sorted(values: np.ndarray, *, integer: bool, bins: int = DEFAULT_BINS) -> BinGrid:
    """The grid profiling would choose: the 0.1%..99.9% range (the full range if that is empty)."""
    if not values.size:
        return BinGrid.covering(0.0, 0.0, integer=integer, bins=bins)
    low, high = np.quantile(values, [0.001, 0.999])
    if not high > low:
        low, high = values[0], values[-1]
    return BinGrid.covering(float(low), float(high), integer=integer, bins=bins)


def _sorted_value_counts(values: np.ndarray) -> dict[float, int] | None:
    if not values.size:
        return {}
    starts = np.concatenate([[0], np.flatnonzero(values[1:] != values[:-1]) + 1])
    if starts.size > VALUE_COUNT_LIMIT:
        return None
    counts = np.diff(np.concatenate([starts, [values.size]]))
    return {float(values[s]): int(c) for s, c in zip(starts, counts, strict=True)}


def _categories_from_values(series: pd.Series, kind: ColumnKind) -> ColumnSide:
    present = series.dropna()
    if kind == ColumnKind.BOOLEAN:
        present = present.map({True: "true", False: "false"})
    elif not pd.api.types.is_string_dtype(present.dtype) or present.dtype == np.dtype(object):
        present = present.astype(str)
    counts = present.value_counts(sort=False)
    return ColumnSide(kind=kind, count=int(present.size),
                      categories={str(k): int(v) for k, v in counts.items()})


def _profile_column(col: ColumnProfile, grid: BinGrid | None) -> ColumnSide | None:
    if col.kind == ColumnKind.NUMERIC and col.numeric is not None:
        stats = col.numeric
        histogram = stats.histogram
        target = grid or (histogram.grid if histogram is not None else BinGrid.covering(0.0, 0.0, integer=False))
        histogram = histogram.rebin(target) if histogram is not None else Histogram(grid=target)
        side = NumericSide(histogram=histogram, count=stats.finite, std=stats.std,
                           value_counts=None if stats.value_counts is None else dict(stats.value_counts))
        return ColumnSide(kind=ColumnKind.NUMERIC, count=col.count, numeric=side)
    if col.categories is not None:
        return ColumnSide(kind=col.kind, count=col.count, categories=col.categories.counts(),
                          other=col.categories.other)
    return None


__all__ = ["ColumnSide", "DatasetSide", "frame_kind", "grid_for_sorted", "load_side", "side_from_frame",
           "side_from_profile"]
