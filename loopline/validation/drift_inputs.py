"""One side of a drift comparison (reference or current), per column, from raw data or from a profile.

Raw data keeps the sorted finite values of numeric columns (so KS and Wasserstein are
exact) and exact category counts; a profile gives histograms and top-value counts. Numeric
histograms of both sides are put on the reference's grid, so they compare bin for bin.
Raw current data compared with a reference known only by its profile keeps only what the
comparison can use (histogram, count, spread; value counts where the reference has them):
sorting values that no measure will read is most of the work at a million rows.

Files and Arrow tables are read as Arrow columns (numbers straight into numpy, category
counts with Arrow's ``value_counts``): building pandas objects for every string would cost
more than the whole comparison. Column kinds then follow the Arrow types, as profiling's
follow DuckDB's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loopline.validation.histogram import DEFAULT_BINS, BinGrid, Histogram
from loopline.validation.kinds import ColumnKind
from loopline.validation.measures import NumericSide
from loopline.validation.profile import VALUE_COUNT_LIMIT, ColumnProfile, Profile
from loopline.validation.reading import ArrowColumns, DataInput, arrow_columns, iso_dates

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

    def needs(self) -> dict[str, NumericNeeds]:
        """What the other side of a comparison must compute for each numeric column of this one."""
        return {
            name: NumericNeeds(grid=side.numeric.histogram.grid, values=side.numeric.values is not None,
                               value_counts=side.numeric.value_counts is not None)
            for name, side in self.columns.items() if side.numeric is not None
        }


@dataclass(frozen=True)
class NumericNeeds:
    """What a raw numeric column must keep: histogram ``grid`` (None: chosen from the data),
    the sorted ``values`` (for exact KS and Wasserstein) and exact ``value_counts``."""

    grid: BinGrid | None = None
    values: bool = True
    value_counts: bool = True


_ALL = NumericNeeds()


def load_side(data: DataInput | Profile, needs: Mapping[str, NumericNeeds] | None = None) -> DatasetSide:
    """The side for ``data``; ``needs`` (from the reference side) say what each numeric column keeps."""
    if isinstance(data, Profile):
        return side_from_profile(data, needs)
    if isinstance(data, pd.DataFrame):
        return side_from_frame(data, needs)
    return side_from_arrow(arrow_columns(data), needs)


def side_from_profile(stats: Profile, needs: Mapping[str, NumericNeeds] | None = None) -> DatasetSide:
    columns = {c.name: _profile_column(c, (needs or {}).get(c.name, _ALL).grid) for c in stats.columns}
    skipped = frozenset(c.name for c in stats.columns if c.kind == ColumnKind.DATETIME)
    return DatasetSide(rows=stats.rows, columns={k: v for k, v in columns.items() if v is not None}, raw=False,
                       skipped=skipped)


def side_from_frame(frame: pd.DataFrame, needs: Mapping[str, NumericNeeds] | None = None) -> DatasetSide:
    columns, skipped = {}, set()
    for name in frame.columns:
        series = frame[name]
        kind = frame_kind(series)
        if kind == ColumnKind.NUMERIC:
            columns[str(name)] = _numeric_from_values(series, (needs or {}).get(str(name), _ALL))
        elif kind == ColumnKind.DATETIME:
            skipped.add(str(name))
        else:
            columns[str(name)] = _categories_from_values(series, kind)
    return DatasetSide(rows=len(frame), columns=columns, raw=True, skipped=frozenset(skipped))


def side_from_arrow(columns: ArrowColumns, needs: Mapping[str, NumericNeeds] | None = None) -> DatasetSide:
    """The side for Arrow columns, read one at a time: only one Arrow column is in memory at once
    (besides the sorted values a side keeps when ``needs`` ask for them)."""
    sides, skipped = {}, set()
    for name, array in columns.read():
        if pa.types.is_dictionary(array.type):
            array = array.cast(array.type.value_type)
        kind = arrow_kind(array.type)
        if kind == ColumnKind.NUMERIC:
            values = pc.cast(array.drop_null(), pa.float64(), safe=False).to_numpy()
            sides[name] = _numeric_side(values, integer=pa.types.is_integer(array.type),
                                        needs=(needs or {}).get(name, _ALL))
        elif kind == ColumnKind.DATETIME or (kind == ColumnKind.CATEGORICAL and _holds_iso_dates(array)):
            skipped.add(name)
        else:
            sides[name] = _categories_from_arrow(array, kind)
    return DatasetSide(rows=columns.rows, columns=sides, raw=True, skipped=frozenset(skipped))


def arrow_kind(arrow_type: pa.DataType) -> ColumnKind:
    """The kind of an Arrow column, as profiling gives the same column read by DuckDB."""
    if pa.types.is_boolean(arrow_type):
        return ColumnKind.BOOLEAN
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return ColumnKind.NUMERIC
    if pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type):
        return ColumnKind.DATETIME
    return ColumnKind.CATEGORICAL


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


def _numeric_from_values(series: pd.Series, needs: NumericNeeds) -> ColumnSide:
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return _numeric_side(values, integer=pd.api.types.is_integer_dtype(series.dtype), needs=needs)


def _numeric_side(values: np.ndarray, *, integer: bool, needs: NumericNeeds) -> ColumnSide:
    """A numeric column's side from its values as floats (missing values are NaN)."""
    finite = values[np.isfinite(values)]
    if needs.values or needs.value_counts or needs.grid is None:
        finite = np.sort(finite)
    grid = needs.grid or grid_for_sorted(finite, integer=integer)
    side = NumericSide(
        histogram=Histogram.from_values(grid, finite), count=int(finite.size),
        std=float(finite.std()) if finite.size else None, values=finite if needs.values else None,
        value_counts=_sorted_value_counts(finite) if needs.value_counts else None,
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


def _categories_from_arrow(array: pa.ChunkedArray, kind: ColumnKind) -> ColumnSide:
    present = array.drop_null()
    if not (_is_string(present.type) or pa.types.is_boolean(present.type)):
        return _categories_from_values(present.to_pandas(), kind)
    counts = pc.value_counts(present)
    keys = counts.field("values").to_pylist()
    if kind == ColumnKind.BOOLEAN:
        keys = ["true" if k else "false" for k in keys]
    return ColumnSide(kind=kind, count=len(present),
                      categories=dict(zip(keys, counts.field("counts").to_pylist(), strict=True)))


def _holds_iso_dates(array: pa.ChunkedArray) -> bool:
    """A string column of ISO 8601 dates is a datetime column, as it is for a DataFrame (``iso_dates``)."""
    if not _is_string(array.type):
        return False
    head = array.drop_null().slice(0, 20)
    if len(head) == 0 or iso_dates(pd.Series(head.to_pylist(), dtype=object)) is None:
        return False
    return iso_dates(array.to_pandas()) is not None


def _is_string(arrow_type: pa.DataType) -> bool:
    return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type) or pa.types.is_string_view(arrow_type)


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


__all__ = ["ColumnSide", "DatasetSide", "NumericNeeds", "arrow_kind", "frame_kind", "grid_for_sorted", "load_side",
           "side_from_arrow", "side_from_frame", "side_from_profile"]
