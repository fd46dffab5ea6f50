"""Compute a Profile with DuckDB in a few aggregate passes over the data, never one query per statistic.

Each pass runs one aggregate query per column (one query in all over CSV; see
``_Select.run`` for why), side by side on the cores for Parquet files.

1. The first pass computes, for every column: counts, missing values, approximate
   distinct counts (HyperLogLog); for numeric columns NaN/infinity/zero counts, min, max,
   mean, variance and approximate quantiles (t-digest, ``approx_quantile``); for string
   columns their lengths; for booleans the true count; for datetimes min and max; and the
   number of distinct rows (a 64-bit hash per row, so duplicates are exact barring a hash
   collision). When a reference profile is given, its histogram grids are reused and the
   histograms are computed in this query.
2. A second pass, only over the columns that need it, computes
   what depends on the first: histograms on grids chosen from the first query's quantiles
   (the 0.1%..99.9% range, so one outlier does not squash the histogram), exact value
   counts of numeric columns with at most 100 distinct values and of string columns with
   at most 1,000, and for string columns with more, the candidate top values
   (``approx_top_k``) and how many values parse as numbers. Its memory is bounded (at most
   300 bins and 1,000 values per column).
3. Only for a string column with more than 1,000 distinct values, one more query counts
   its candidate top values exactly (a filter and a GROUP BY, reading that column only).
4. Datetime columns get their largest gaps from one windowed query each.

Both scans read CSV and Parquet files directly, so memory stays bounded by DuckDB's
``memory_limit`` whatever the file size.

``distributions=False`` gives the lighter profile that validation reads. It leaves out
quantiles, histograms, means, variances and string lengths (on numeric columns they are
most of the first query's time, the t-digest quantiles alone more than half), and it does
not estimate every numeric column's distinct count: the first query reads counts, NaN and
infinity counts and bounds (DuckDB answers plain bounds from the Parquet statistics), and
the second counts zeros only where the bounds contain 0, counts exact values only where
they are few by construction (the column is constant, or integers over a range of at most
100), and estimates distinct counts only for the columns named in ``counted`` (every
column by default). Any other numeric column has ``distinct`` 2, a lower bound
(``distinct_exact`` False): its bounds differ, so it is not constant. Likewise a string
column of more than 1,000 distinct values gets its top values only when ``counted``
names it; otherwise its categories hold no top values, every value in ``other`` (how many
parse as numbers is still counted).

Duplicate rows are counted exactly in the lighter profile without hashing every row when
one column alone proves every row distinct (a ``count(DISTINCT ...)`` of the column with
the most distinct values equals the row count); otherwise by the 64-bit row hash.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from loopline.validation.errors import ColumnConversionError
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
from loopline.validation.reading import DataInput, OpenedData, SourceColumn, open_data, quote_literal

#: A numeric column whose distinct values are not counted in the lighter profile: its bounds
#: differ, so it has at least two (``distinct_exact`` False).
_UNCOUNTED_DISTINCT = 2
#: In the lighter profile one column proves the rows distinct when its estimated distinct
#: count reaches this share of the rows (then it is counted exactly).
_UNIQUE_CANDIDATE_SHARE = 0.9

GRID_QUANTILES = (0.001, 0.999)
#: String columns with at most this many (approximate) distinct values get every value counted exactly.
STRING_COUNT_LIMIT = 1000
_ROW = "__loopline_row__"


def profile(
    data: DataInput | Profile,
    *,
    reference: Profile | None = None,
    bins: int = DEFAULT_BINS,
    duplicates: bool = True,
    memory_limit: str | None = "1GB",
) -> Profile:
    """Profile ``data``; with ``reference``, numeric histograms use the reference's grids.

    Sharing the grid makes ``reference.merge(result)`` exact and lets drift be computed
    from the two profiles alone. A Profile passed as ``data`` is returned unchanged.
    """
    if isinstance(data, Profile):
        return data
    with open_data(data, memory_limit=memory_limit) as opened:
        return profile_opened(opened, reference=reference, bins=bins, duplicates=duplicates)


def profile_opened(
    opened: OpenedData, *, reference: Profile | None = None, bins: int = DEFAULT_BINS, duplicates: bool = True,
    distributions: bool = True, counted: Collection[str] | None = None,
) -> Profile:
    """Profile an already opened dataset (see ``reading.open_data``).

    A CSV column whose later values do not fit the type guessed from its first rows is read
    again as text, so it shows up as a MIXED_TYPES column instead of failing the read.
    With ``distributions=False`` the profile is the lighter one validation reads (see the
    module's docstring); ``counted`` then names the columns whose values must be counted
    (numeric distinct counts, top values of wide string columns; None: every column).
    """
    for _ in range(len(opened.columns)):
        try:
            return _profile_opened(opened, reference, bins, duplicates, distributions, counted)
        except ColumnConversionError as exc:
            if not opened.read_as_text(exc.column):
                raise
    return _profile_opened(opened, reference, bins, duplicates, distributions, counted)


def _profile_opened(
    opened: OpenedData, reference: Profile | None, bins: int, duplicates: bool, distributions: bool,
    counted: Collection[str] | None,
) -> Profile:
    grids = reference_grids(reference) if distributions else {}
    dictionary = frozenset() if distributions else opened.dictionary_encoded()
    first = _first_pass(opened, grids, duplicates and distributions, distributions, dictionary)
    counting = None if distributions else _Counting(counted)
    second = _second_pass(opened, first, bins if distributions else None, counting)
    if duplicates and not distributions:
        first.duplicates = _duplicate_rows(opened, first, second)
    columns = tuple(_column_profile(col, first, second, grids, opened) for col in opened.columns)
    return Profile(rows=first.rows, columns=columns, duplicate_rows=first.duplicates, source=opened.description)


@dataclass(frozen=True)
class _Counting:
    """Which columns the lighter profile counts the values of (None: every one)."""

    names: Collection[str] | None

    def wants(self, name: str) -> bool:
        return self.names is None or name in self.names


@dataclass
class _Select:
    """Expressions of one aggregate query, addressed by (column name, statistic).

    ``stored`` marks the expressions a Parquet file's statistics answer without a scan (plain
    bounds). Not counts of values: DuckDB reads a nullable column's validity to count it, and
    one such count in the statistics query makes it scan every column it names (0.1 s instead
    of 2 ms for 20 columns of a million rows), so a count goes with its column's own query.
    """

    exprs: list[str]
    slots: dict[tuple[str, str], int]
    stored: set[int] = field(default_factory=set)

    @classmethod
    def empty(cls) -> _Select:
        return cls([], {})

    def add(self, column: str, stat: str, expr: str, *, stored: bool = False) -> None:
        self.slots[(column, stat)] = len(self.exprs)
        if stored:
            self.stored.add(len(self.exprs))
        self.exprs.append(expr)

    def run(self, opened: OpenedData, source: str = "src") -> _Row:
        """The aggregates in one query per column (one query in all over CSV).

        DuckDB evaluates one wide aggregate over many columns (strings above all) far more
        slowly than the same aggregates split by column (about 0.5 s against 0.3 s of CPU for
        20 columns of a million rows), and it reads a Parquet file of one row group with one
        thread: queries per column are both cheaper and, over files, spread over the cores.
        The whole-table expressions and those a Parquet file's statistics answer go in one
        query of their own, so that a scan does not make DuckDB compute them from the data.
        A CSV file is read once, in one query (each query would parse it again).
        """
        if not self.exprs:
            return _Row({}, ())
        groups = [list(range(len(self.exprs)))] if opened.is_csv else self._groups()
        rows = opened.query_together([
            f"SELECT {', '.join(self.exprs[i] for i in group)} FROM {source}" for group in groups
        ])
        values: list[Any] = [None] * len(self.exprs)
        for group, result in zip(groups, rows, strict=True):
            for i, value in zip(group, result[0], strict=True):
                values[i] = value
        return _Row(self.slots, values)

    def _groups(self) -> list[list[int]]:
        """Expression indexes: the whole-table and stored ones, then one group per column."""
        first: list[int] = []
        columns: dict[str, list[int]] = {}
        for (column, _), index in self.slots.items():
            if not column or index in self.stored:
                first.append(index)
            else:
                columns.setdefault(column, []).append(index)
        return [sorted(group) for group in (first, *columns.values()) if group]


@dataclass
class _Row:
    slots: dict[tuple[str, str], int]
    values: Sequence[Any]

    def get(self, column: str, stat: str, default: Any = None) -> Any:
        slot = self.slots.get((column, stat))
        return default if slot is None else self.values[slot]


@dataclass
class _FirstPass:
    rows: int
    duplicates: int | None
    stats: _Row


def _first_pass(
    opened: OpenedData, grids: Mapping[str, BinGrid], duplicates: bool, distributions: bool,
    dictionary: frozenset[str] = frozenset(),
) -> _FirstPass:
    select = _Select.empty()
    select.add("", "rows", "count(*)")
    if duplicates:
        # hash(a, b, ...) of the columns costs less than hashing the row as one struct
        values = ", ".join(col.sql for col in opened.columns) or _ROW
        select.add("", "distinct_rows", f"count(DISTINCT hash({values}))")
    for col in opened.columns:
        if col.kind == ColumnKind.NUMERIC:
            _numeric_exprs(select, col, grids.get(col.name), distributions=distributions)
        elif col.kind is None and not distributions:
            _light_string_exprs(select, col, dictionary_encoded=col.name in dictionary, parquet=opened.is_parquet)
        else:
            _FIRST_PASS[col.kind](select, col, distributions)
    row = select.run(opened, f"src AS {_ROW}")
    rows = int(row.get("", "rows"))
    distinct_rows = row.get("", "distinct_rows")
    return _FirstPass(rows=rows, duplicates=None if distinct_rows is None else rows - int(distinct_rows), stats=row)


def _numeric_exprs(select: _Select, col: SourceColumn, grid: BinGrid | None, *, distributions: bool) -> None:
    """Counts and bounds; with ``distributions`` also zeros, distinct values, moments and quantiles.

    Integers are never NaN or infinite, so their values need no test. A column's plain
    ``min``/``max`` come from the Parquet file's statistics without a scan; they are the
    finite bounds unless a float column holds NaN or infinities, and then, when no grid
    needs them in this pass (``distributions=False``), the second pass computes the finite
    bounds of just those columns, along with zeros and distinct values where needed.
    """
    x = f"CAST({col.sql} AS DOUBLE)"
    finite = x if col.integer else _finite(x)
    select.add(col.name, "count", f"count({col.sql})")
    if not col.integer:
        select.add(col.name, "nan", f"count_if(isnan({x}))")
        select.add(col.name, "inf", f"count_if(isinf({x}))")
    bounds = finite if distributions else col.sql
    select.add(col.name, "min", f"min({bounds})", stored=not distributions)
    select.add(col.name, "max", f"max({bounds})", stored=not distributions)
    if distributions:
        select.add(col.name, "zeros", f"count_if({col.sql} = 0)")
        select.add(col.name, "distinct", f"approx_count_distinct({x})")
        select.add(col.name, "mean", f"avg({finite})")
        select.add(col.name, "var", f"var_pop({finite})")
        qs = ", ".join(repr(q) for q in (GRID_QUANTILES[0], *QUANTILES, GRID_QUANTILES[1]))
        select.add(col.name, "quantiles", f"approx_quantile({finite}, [{qs}])")
    if grid is not None:
        select.add(col.name, "histogram", f"histogram({_finite(x, grid.sql_index(x))})")


def _finite(x: str, value: str | None = None) -> str:
    """``value`` (default ``x``) where ``x`` is finite, else NULL, which aggregates skip.

    A CASE expression rather than ``FILTER (WHERE ...)``: DuckDB evaluates a FILTER clause per
    aggregate, which made the first query about four times slower on numeric columns.
    """
    return f"CASE WHEN isfinite({x}) THEN {value or x} END"


def _string_exprs(select: _Select, col: SourceColumn, distributions: bool) -> None:
    s = f"CAST({col.sql} AS VARCHAR)"
    select.add(col.name, "count", f"count({s})")
    select.add(col.name, "distinct", f"approx_count_distinct({s})")
    if distributions:
        select.add(col.name, "min_length", f"min(length({s}))")
        select.add(col.name, "max_length", f"max(length({s}))")


def _light_string_exprs(select: _Select, col: SourceColumn, *, dictionary_encoded: bool, parquet: bool) -> None:
    """The lighter profile's string column: counted outright when a Parquet dictionary bounds its values.

    Otherwise its distinct values are estimated (no string lengths), as in the full profile;
    a Parquet column that is not all dictionary pages almost always has many values (the
    writer gave up its dictionary), so how many parse as numbers is counted in the same
    read instead of a second one.
    """
    s = f"CAST({col.sql} AS VARCHAR)"
    select.add(col.name, "count", f"count({col.sql})")
    if dictionary_encoded:
        select.add(col.name, "all", f"histogram({s})")
    else:
        select.add(col.name, "distinct", f"approx_count_distinct({s})")
        if parquet:
            select.add(col.name, "numeric_like", f"count(TRY_CAST({s} AS DOUBLE))")


def _boolean_exprs(select: _Select, col: SourceColumn, distributions: bool) -> None:
    select.add(col.name, "count", f"count({col.sql})")
    select.add(col.name, "true", f"count_if({col.sql})")


def _datetime_exprs(select: _Select, col: SourceColumn, distributions: bool) -> None:
    select.add(col.name, "count", f"count({col.sql})")
    select.add(col.name, "distinct", f"approx_count_distinct({col.sql})")
    select.add(col.name, "min", f"min({col.sql})")
    select.add(col.name, "max", f"max({col.sql})")


_FIRST_PASS = {
    None: _string_exprs,
    ColumnKind.BOOLEAN: _boolean_exprs,
    ColumnKind.DATETIME: _datetime_exprs,
}


@dataclass
class _SecondPass:
    grids: dict[str, BinGrid]
    stats: _Row
    top: dict[str, dict[str, int]] = field(default_factory=dict)
    values: dict[str, dict[float, int]] = field(default_factory=dict)


def _second_pass(opened: OpenedData, first: _FirstPass, bins: int | None, counting: _Counting | None) -> _SecondPass:
    """Histograms (unless ``bins`` is None), small value counts, candidate top values of large string columns.

    With ``counting`` (the lighter profile) numeric columns get what the first pass left
    out only where it is needed: zeros, finite bounds, exact values, distinct estimates.
    """
    select = _Select.empty()
    grids: dict[str, BinGrid] = {}
    for col in opened.columns:
        stats = first.stats
        if col.kind == ColumnKind.NUMERIC:
            x = f"CAST({col.sql} AS DOUBLE)"
            needs_grid = stats.get(col.name, "histogram") is None and stats.get(col.name, "min") is not None
            if bins is not None and needs_grid:
                grids[col.name] = _grid_for(stats, col, bins)
                select.add(col.name, "histogram", f"histogram({_finite(x, grids[col.name].sql_index(x))})")
            if counting is not None:
                _light_numeric_exprs(select, col, stats, counting)
            elif 0 < int(stats.get(col.name, "distinct") or 0) <= VALUE_COUNT_LIMIT:
                select.add(col.name, "values", f"histogram({x if col.integer else _finite(x)})")
        elif col.kind is None and int(stats.get(col.name, "count") or 0) and (col.name, "all") not in stats.slots:
            s = f"CAST({col.sql} AS VARCHAR)"
            if int(stats.get(col.name, "distinct") or 0) <= STRING_COUNT_LIMIT:
                select.add(col.name, "all", f"histogram({s})")
            else:
                if counting is None or counting.wants(col.name):
                    select.add(col.name, "candidates", f"approx_top_k({s}, {TOP_K})")
                if (col.name, "numeric_like") not in stats.slots:
                    select.add(col.name, "numeric_like", f"count(TRY_CAST({s} AS DOUBLE))")
    row = select.run(opened)
    values = _few_values_pass(opened, row) if counting is not None else {}
    return _SecondPass(grids=grids, stats=row, top=_top_values_pass(opened, row), values=values)


def _light_numeric_exprs(select: _Select, col: SourceColumn, stats: _Row, counting: _Counting) -> None:
    """The lighter profile's second look at a numeric column: only what its first-pass counts leave open."""
    x = f"CAST({col.sql} AS DOUBLE)"
    finite_x = x if col.integer else _finite(x)
    count = int(stats.get(col.name, "count") or 0)
    special = int(stats.get(col.name, "nan") or 0) + int(stats.get(col.name, "inf") or 0)
    if count == special:  # nothing finite: no zeros, no bounds, no values
        return
    low, high = stats.get(col.name, "min"), stats.get(col.name, "max")
    bounded = not special and low is not None and high is not None
    if special:
        select.add(col.name, "finite_min", f"min({_finite(x)})")
        select.add(col.name, "finite_max", f"max({_finite(x)})")
    if not bounded or float(low) <= 0 <= float(high):
        select.add(col.name, "zeros", f"count_if({col.sql} = 0)")
    if bounded and low == high:
        return  # constant: its one value and count are known
    if bounded and col.integer and int(high) - int(low) < VALUE_COUNT_LIMIT:
        select.add(col.name, "values", f"histogram({x})")
    elif counting.wants(col.name):
        select.add(col.name, "distinct", f"approx_count_distinct({finite_x})")


def _few_values_pass(opened: OpenedData, second: _Row) -> dict[str, dict[float, int]]:
    """Exact value counts of the numeric columns the second pass estimated to have few distinct values."""
    select = _Select.empty()
    for col in opened.columns:
        if col.kind == ColumnKind.NUMERIC and 0 < int(second.get(col.name, "distinct") or 0) <= VALUE_COUNT_LIMIT:
            x = f"CAST({col.sql} AS DOUBLE)"
            select.add(col.name, "values", f"histogram({x if col.integer else _finite(x)})")
    row = select.run(opened)
    return {name: row.values[slot] for (name, _), slot in row.slots.items()}


def _duplicate_rows(opened: OpenedData, first: _FirstPass, second: _SecondPass) -> int:
    """Rows that repeat an earlier row exactly.

    When one column's values are all distinct (and present) so are the rows: the column with
    the most distinct values is counted exactly first, which costs far less than hashing
    every row; only when that does not settle it are the rows hashed.
    """
    if first.rows < 2:
        return 0
    estimates = {
        col.sql: int(second.stats.get(col.name, "distinct") or first.stats.get(col.name, "distinct") or 0)
        for col in opened.columns if int(first.stats.get(col.name, "count") or 0) == first.rows
    }
    best = max(estimates, key=lambda sql: estimates[sql], default=None)
    if best is not None and estimates[best] >= _UNIQUE_CANDIDATE_SHARE * first.rows:
        (distinct,), = opened.query(f"SELECT count(DISTINCT {best}) FROM src")
        if int(distinct) == first.rows:
            return 0
    values = ", ".join(col.sql for col in opened.columns) or _ROW
    (distinct_rows,), = opened.query(f"SELECT count(DISTINCT hash({values})) FROM src AS {_ROW}")
    return first.rows - int(distinct_rows)


def _top_values_pass(opened: OpenedData, second: _Row) -> dict[str, dict[str, int]]:
    """Exact counts of the candidate top values of string columns with many distinct values."""
    counts = {}
    for col in opened.columns:
        candidates = second.get(col.name, "candidates")
        if col.kind is None and candidates:
            s = f"CAST({col.sql} AS VARCHAR)"
            values = ", ".join(quote_literal(str(v)) for v in candidates)
            rows = opened.query(f"SELECT {s}, count(*) FROM src WHERE {s} IN ({values}) GROUP BY ALL")
            counts[col.name] = {str(v): int(n) for v, n in rows}
    return counts


def _grid_for(stats: _Row, col: SourceColumn, bins: int) -> BinGrid:
    low, high = float(stats.get(col.name, "min")), float(stats.get(col.name, "max"))
    quantiles = stats.get(col.name, "quantiles") or []
    if quantiles and quantiles[0] is not None and quantiles[-1] is not None and quantiles[-1] > quantiles[0]:
        low, high = max(low, float(quantiles[0])), min(high, float(quantiles[-1]))
    return BinGrid.covering(low, high, integer=col.integer, bins=bins)


def _column_profile(
    col: SourceColumn, first: _FirstPass, second: _SecondPass, grids: Mapping[str, BinGrid], opened: OpenedData
) -> ColumnProfile:
    count = int(first.stats.get(col.name, "count") or 0)
    base = {"name": col.name, "count": count, "missing": first.rows - count, "sql_type": col.sql_type,
            "mixed_types": col.mixed_types}
    if col.kind == ColumnKind.NUMERIC:
        return _numeric_profile(col, first.stats, second, grids, base)
    if col.kind == ColumnKind.BOOLEAN:
        return _boolean_profile(col, first.stats, base)
    if col.kind == ColumnKind.DATETIME:
        return _datetime_profile(col, first.stats, opened, base)
    return _string_profile(col, first.stats, second, base)


def _numeric_profile(
    col: SourceColumn, stats: _Row, second: _SecondPass, grids: Mapping[str, BinGrid], base: dict[str, Any]
) -> ColumnProfile:
    name = col.name
    grid = grids.get(name) or second.grids.get(name)
    raw_histogram = stats.get(name, "histogram") if name in grids else second.stats.get(name, "histogram")
    low, high = _float(stats.get(name, "min")), _float(stats.get(name, "max"))
    if (name, "finite_min") in second.stats.slots:  # plain bounds of a float column with NaN or infinities
        low, high = _float(second.stats.get(name, "finite_min")), _float(second.stats.get(name, "finite_max"))
    histogram = Histogram.from_mapping(grid, raw_histogram or {}, low, high) if grid is not None else None
    nan, inf = int(stats.get(name, "nan") or 0), int(stats.get(name, "inf") or 0)
    finite = base["count"] - nan - inf
    values = second.stats.get(name, "values") or second.values.get(name)
    value_counts: tuple[tuple[float, int], ...] | None = () if not finite else None
    if values is not None and len(values) <= VALUE_COUNT_LIMIT:
        value_counts = tuple(sorted((float(v), int(c)) for v, c in values.items()))
    light = (name, "zeros") not in stats.slots
    if light and finite and value_counts is None and low is not None and low == high:
        value_counts = ((low, finite),)  # the lighter profile knows a constant column from its bounds
    quantiles = stats.get(name, "quantiles") or [None] * (len(QUANTILES) + 2)
    method, quantiles = "t-digest", tuple(_float(q) for q in quantiles[1:-1])
    if value_counts:
        method, quantiles = "exact", _discrete_quantiles(value_counts)
    zeros = second.stats.get(name, "zeros") if light else stats.get(name, "zeros")
    numeric = NumericStats(
        finite=finite, nan=nan, inf=inf, zeros=int(zeros or 0), min=low, max=high,
        mean=_float(stats.get(name, "mean")), m2=(_float(stats.get(name, "var")) or 0.0) * finite,
        quantiles=quantiles, quantile_method=method, histogram=histogram, value_counts=value_counts,
        integer=col.integer,
    )
    distinct = len(value_counts) if value_counts is not None else None
    estimate = stats.get(name, "distinct") if not light else second.stats.get(name, "distinct", _UNCOUNTED_DISTINCT)
    return ColumnProfile(
        kind=ColumnKind.NUMERIC, numeric=numeric,
        distinct=distinct if distinct is not None else int(estimate or 0),
        distinct_exact=distinct is not None, **base,
    )


def _string_profile(col: SourceColumn, stats: _Row, second: _SecondPass, base: dict[str, Any]) -> ColumnProfile:
    name, count = col.name, base["count"]
    every = second.stats.get(name, "all", stats.get(name, "all"))
    counts = every if every is not None else second.top.get(name, {})
    ordered = sorted(((str(v), int(c)) for v, c in counts.items()), key=lambda item: (-item[1], item[0]))
    ranked = ordered[:TOP_K]
    other = count - sum(c for _, c in ranked)
    numeric_like = second.stats.get(name, "numeric_like", stats.get(name, "numeric_like"))
    if numeric_like is None or every is not None:
        numeric_like = sum(c for v, c in ordered if parses_as_number(v))
    categories = CategoryStats(
        top=tuple(ranked), other=other, numeric_like=int(numeric_like),
        min_length=stats.get(name, "min_length"), max_length=stats.get(name, "max_length"),
    )
    distinct = len(ranked) if other == 0 else max(int(stats.get(name, "distinct") or 0), len(ranked) + 1)
    counted_outright = (name, "all") in stats.slots  # the lighter profile, bounded by a Parquet dictionary
    if counted_outright:
        distinct = len(ordered)
    mixed = col.mixed_types or _number_text_mix(categories, count)
    return ColumnProfile(kind=string_kind(distinct, count), categories=categories, distinct=distinct,
                         distinct_exact=other == 0 or counted_outright, **{**base, "mixed_types": mixed})


def parses_as_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _number_text_mix(categories: CategoryStats, count: int) -> tuple[str, ...]:
    """A string column mostly of numbers, with some values that are not, mixes types."""
    if count and categories.numeric_like < count and categories.numeric_like >= 0.5 * count:
        return ("number", "text")
    return ()


def _boolean_profile(col: SourceColumn, stats: _Row, base: dict[str, Any]) -> ColumnProfile:
    true = int(stats.get(col.name, "true") or 0)
    false = base["count"] - true
    top = tuple(sorted(((v, c) for v, c in (("true", true), ("false", false)) if c), key=lambda item: -item[1]))
    return ColumnProfile(kind=ColumnKind.BOOLEAN, categories=CategoryStats(top=top), distinct=len(top),
                         distinct_exact=True, **base)


def _datetime_profile(col: SourceColumn, stats: _Row, opened: OpenedData, base: dict[str, Any]) -> ColumnProfile:
    low, high = stats.get(col.name, "min"), stats.get(col.name, "max")
    distinct = int(stats.get(col.name, "distinct") or 0)
    gaps = _largest_gaps(opened, col) if low is not None and low != high else ()
    return ColumnProfile(
        kind=ColumnKind.DATETIME, distinct=distinct,
        datetime=DatetimeStats(min=_iso(low), max=_iso(high), gaps=gaps), **base,
    )


def _largest_gaps(opened: OpenedData, col: SourceColumn) -> tuple[Gap, ...]:
    rows = opened.query(
        f"SELECT previous, t, epoch(t) - epoch(previous) AS seconds FROM ("
        f"  SELECT t, lag(t) OVER (ORDER BY t) AS previous FROM (SELECT DISTINCT {col.sql} AS t FROM src"
        f"  WHERE {col.sql} IS NOT NULL)) WHERE previous IS NOT NULL ORDER BY seconds DESC, t LIMIT {GAPS_KEPT}"
    )
    return tuple(Gap(_iso(start), _iso(end), float(seconds)) for start, end, seconds in rows)  # type: ignore[arg-type]


def reference_grids(reference: Profile | None) -> dict[str, BinGrid]:
    if reference is None:
        return {}
    return {
        c.name: c.numeric.histogram.grid
        for c in reference.columns
        if c.numeric is not None and c.numeric.histogram is not None
    }


def _discrete_quantiles(value_counts: tuple[tuple[float, int], ...]) -> tuple[float | None, ...]:
    """Exact quantiles (the smallest value whose cumulative share reaches q) from complete value counts."""
    values = np.array([v for v, _ in value_counts])
    cum = np.cumsum([c for _, c in value_counts], dtype=np.float64)
    positions = np.searchsorted(cum, np.asarray(QUANTILES) * cum[-1], side="left")
    return tuple(float(values[min(i, len(values) - 1)]) for i in positions)


def _float(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


__all__ = ["profile", "profile_opened"]
