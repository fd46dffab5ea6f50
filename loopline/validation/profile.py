"""Profiles: the statistics of a dataset, as frozen values that merge and serialise to JSON.

A profile keeps, per column, counts and the sufficient statistics that combine without
the raw data: moments as (count, mean, sum of squared deviations), a histogram on a fixed
grid, exact value counts for columns with at most 100 distinct values, the top 100
categories with an ``other`` count, and the largest gaps of datetime columns.

``Profile.merge`` is exact for counts, missing values, min/max, mean and variance, value
counts, and histograms on the same grid (profile the second window with
``profile(data, reference=first)`` to share the grid). It approximates:

- quantiles: after a merge they come from the merged histogram (linear within a bin, so
  within one bin width, 1/100 of the reference range); a single profile's quantiles come
  from DuckDB's ``approx_quantile`` (a t-digest);
- histograms on different grids: re-binned assuming values spread evenly within a bin;
- top categories when either side had more than 100 (a value in one side's ``other`` count
  is not added to its count on the other side);
- distinct counts, unless both sides have complete value counts (otherwise the larger of
  the two, a lower bound);
- duplicate rows: the sum of each side's (duplicates across windows are not seen);
- datetime gaps: each side's largest gaps plus the gap between the two windows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from loopline.errors import NotFoundError, did_you_mean
from loopline.validation.errors import IncompatibleProfilesError
from loopline.validation.histogram import Histogram
from loopline.validation.kinds import ColumnKind, string_kind

FORMAT = "loopline.profile"
FORMAT_VERSION = 1
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
TOP_K = 100
VALUE_COUNT_LIMIT = 100
GAPS_KEPT = 5


def _finite_or_none(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class NumericStats:
    """Statistics of a numeric column's values; ``finite`` excludes NaN and infinities."""

    finite: int = 0
    nan: int = 0
    inf: int = 0
    zeros: int = 0
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    m2: float = 0.0
    quantiles: tuple[float | None, ...] = (None,) * len(QUANTILES)
    quantile_method: str = "t-digest"
    histogram: Histogram | None = None
    value_counts: tuple[tuple[float, int], ...] | None = None
    integer: bool = False

    @property
    def variance(self) -> float | None:
        """Population variance of the finite values."""
        return self.m2 / self.finite if self.finite else None

    @property
    def std(self) -> float | None:
        variance = self.variance
        return math.sqrt(max(variance, 0.0)) if variance is not None else None

    @property
    def sum(self) -> float | None:
        return self.mean * self.finite if self.mean is not None else None

    def quantile(self, q: float) -> float | None:
        """One of the stored quantiles (``q`` in ``QUANTILES``)."""
        return self.quantiles[QUANTILES.index(q)]

    def merge(self, other: NumericStats) -> NumericStats:
        if not other.finite and not other.nan and not other.inf:
            return self
        if not self.finite and not self.nan and not self.inf:
            return other
        n = self.finite + other.finite
        mean, m2 = _combine_moments(self, other)
        histogram = _merge_optional(self.histogram, other.histogram)
        quantiles = self.quantiles
        if histogram is not None and histogram.count:
            quantiles = tuple(histogram.quantiles(QUANTILES))
        return NumericStats(
            finite=n, nan=self.nan + other.nan, inf=self.inf + other.inf, zeros=self.zeros + other.zeros,
            min=_pick(min, self.min, other.min), max=_pick(max, self.max, other.max), mean=mean, m2=m2,
            quantiles=tuple(_finite_or_none(q) for q in quantiles), quantile_method="histogram",
            histogram=histogram, value_counts=_merge_value_counts(self.value_counts, other.value_counts),
            integer=self.integer and other.integer,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "finite": self.finite, "nan": self.nan, "inf": self.inf, "zeros": self.zeros,
            "min": self.min, "max": self.max, "mean": self.mean, "std": self.std, "m2": self.m2,
            "quantiles": {f"p{round(q * 100)}": v for q, v in zip(QUANTILES, self.quantiles, strict=True)},
            "quantile_method": self.quantile_method,
            "histogram": self.histogram.to_dict() if self.histogram is not None else None,
            "value_counts": None if self.value_counts is None else [[v, c] for v, c in self.value_counts],
            "integer": self.integer,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NumericStats:
        quantiles = data.get("quantiles") or {}
        counts = data.get("value_counts")
        return cls(
            finite=int(data.get("finite", 0)), nan=int(data.get("nan", 0)), inf=int(data.get("inf", 0)),
            zeros=int(data.get("zeros", 0)), min=_finite_or_none(data.get("min")),
            max=_finite_or_none(data.get("max")), mean=_finite_or_none(data.get("mean")),
            m2=float(data.get("m2") or 0.0),
            quantiles=tuple(_finite_or_none(quantiles.get(f"p{round(q * 100)}")) for q in QUANTILES),
            quantile_method=str(data.get("quantile_method", "t-digest")),
            histogram=Histogram.from_dict(data["histogram"]) if data.get("histogram") else None,
            value_counts=None if counts is None else tuple((float(v), int(c)) for v, c in counts),
            integer=bool(data.get("integer", False)),
        )


@dataclass(frozen=True)
class CategoryStats:
    """The most frequent values (at most ``TOP_K``) with exact counts; ``other`` counts the rest."""

    top: tuple[tuple[str, int], ...] = ()
    other: int = 0
    numeric_like: int = 0
    min_length: int | None = None
    max_length: int | None = None

    @property
    def complete(self) -> bool:
        """True when ``top`` holds every distinct value."""
        return self.other == 0

    def counts(self) -> dict[str, int]:
        return dict(self.top)

    def merge(self, other: CategoryStats) -> CategoryStats:
        counts = self.counts()
        for value, count in other.top:
            counts[value] = counts.get(value, 0) + count
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return CategoryStats(
            top=tuple(ranked[:TOP_K]), other=self.other + other.other + sum(c for _, c in ranked[TOP_K:]),
            numeric_like=self.numeric_like + other.numeric_like,
            min_length=_pick(min, self.min_length, other.min_length),
            max_length=_pick(max, self.max_length, other.max_length),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"top": [[v, c] for v, c in self.top], "other": self.other, "numeric_like": self.numeric_like,
                "min_length": self.min_length, "max_length": self.max_length}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CategoryStats:
        return cls(
            top=tuple((str(v), int(c)) for v, c in data.get("top", ())), other=int(data.get("other", 0)),
            numeric_like=int(data.get("numeric_like", 0)), min_length=data.get("min_length"),
            max_length=data.get("max_length"),
        )


@dataclass(frozen=True)
class Gap:
    """A stretch with no values between two consecutive distinct datetimes."""

    start: str
    end: str
    seconds: float


@dataclass(frozen=True)
class DatetimeStats:
    """Earliest and latest values (ISO 8601) and the largest gaps between consecutive values."""

    min: str | None = None
    max: str | None = None
    gaps: tuple[Gap, ...] = ()

    def merge(self, other: DatetimeStats) -> DatetimeStats:
        if self.min is None:
            return other
        if other.min is None:
            return self
        gaps = list(self.gaps) + list(other.gaps)
        first, second = (self, other) if self.min <= other.min else (other, self)
        if first.max < second.min:  # type: ignore[operator]
            gaps.append(Gap(first.max, second.min, _seconds_between(first.max, second.min)))  # type: ignore[arg-type]
        gaps.sort(key=lambda g: -g.seconds)
        return DatetimeStats(min=min(self.min, other.min), max=max(self.max, other.max),  # type: ignore[type-var]
                             gaps=tuple(gaps[:GAPS_KEPT]))

    def to_dict(self) -> dict[str, Any]:
        return {"min": self.min, "max": self.max,
                "gaps": [{"start": g.start, "end": g.end, "seconds": g.seconds} for g in self.gaps]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DatetimeStats:
        return cls(min=data.get("min"), max=data.get("max"),
                   gaps=tuple(Gap(str(g["start"]), str(g["end"]), float(g["seconds"])) for g in data.get("gaps", ())))


@dataclass(frozen=True)
class ColumnProfile:
    """One column's statistics; exactly one of ``numeric``/``categories``/``datetime`` is set for its kind."""

    name: str
    kind: ColumnKind
    count: int
    missing: int
    distinct: int
    distinct_exact: bool = False
    sql_type: str = ""
    mixed_types: tuple[str, ...] = ()
    numeric: NumericStats | None = None
    categories: CategoryStats | None = None
    datetime: DatetimeStats | None = None

    @property
    def rows(self) -> int:
        return self.count + self.missing

    @property
    def missing_fraction(self) -> float:
        return self.missing / self.rows if self.rows else 0.0

    def value_counts(self) -> dict[Any, int] | None:
        """Exact counts of every distinct value, when the profile holds them all."""
        if self.numeric is not None and self.numeric.value_counts is not None:
            return dict(self.numeric.value_counts)
        if self.categories is not None and self.categories.complete:
            return self.categories.counts()
        return None

    def merge(self, other: ColumnProfile) -> ColumnProfile:
        kind = _merged_kind(self, other)
        numeric = _merge_optional(self.numeric, other.numeric)
        categories = _merge_optional(self.categories, other.categories)
        merged = replace(
            self, kind=kind, count=self.count + other.count, missing=self.missing + other.missing,
            mixed_types=tuple(sorted(set(self.mixed_types) | set(other.mixed_types))),
            numeric=numeric, categories=categories, datetime=_merge_optional(self.datetime, other.datetime),
        )
        exact = merged.value_counts()
        if exact is not None and self.distinct_exact and other.distinct_exact:
            merged = replace(merged, distinct=len(exact), distinct_exact=True)
        else:
            merged = replace(merged, distinct=max(self.distinct, other.distinct), distinct_exact=False)
        if kind in (ColumnKind.CATEGORICAL, ColumnKind.TEXT):
            merged = replace(merged, kind=string_kind(merged.distinct, merged.count))
        return merged

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name, "kind": self.kind.value, "count": self.count, "missing": self.missing,
            "distinct": self.distinct, "distinct_exact": self.distinct_exact, "sql_type": self.sql_type,
        }
        if self.mixed_types:
            out["mixed_types"] = list(self.mixed_types)
        for key in ("numeric", "categories", "datetime"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnProfile:
        return cls(
            name=str(data["name"]), kind=ColumnKind(data["kind"]), count=int(data["count"]),
            missing=int(data["missing"]), distinct=int(data["distinct"]),
            distinct_exact=bool(data.get("distinct_exact", False)), sql_type=str(data.get("sql_type", "")),
            mixed_types=tuple(data.get("mixed_types", ())),
            numeric=NumericStats.from_dict(data["numeric"]) if data.get("numeric") else None,
            categories=CategoryStats.from_dict(data["categories"]) if data.get("categories") else None,
            datetime=DatetimeStats.from_dict(data["datetime"]) if data.get("datetime") else None,
        )


@dataclass(frozen=True)
class Profile:
    """Statistics of a whole dataset (or of several merged windows)."""

    rows: int
    columns: tuple[ColumnProfile, ...]
    duplicate_rows: int | None = None
    source: str = ""
    windows: int = 1
    _index: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index.update({c.name: i for i, c in enumerate(self.columns)})

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def column(self, name: str) -> ColumnProfile:
        try:
            return self.columns[self._index[name]]
        except KeyError:
            hint = did_you_mean(name, self._index) or f"the profile has: {', '.join(self.names) or 'no columns'}"
            raise NotFoundError(f"the profile has no column '{name}'", hint=hint) from None

    def merge(self, other: Profile) -> Profile:
        """Statistics of both windows together, computed from the two profiles only."""
        columns = []
        for name in dict.fromkeys(self.names + other.names):
            mine = self.column(name) if name in self else _absent(other.column(name), self.rows)
            theirs = other.column(name) if name in other else _absent(mine, other.rows)
            columns.append(mine.merge(theirs))
        duplicates = None
        if self.duplicate_rows is not None and other.duplicate_rows is not None:
            duplicates = self.duplicate_rows + other.duplicate_rows
        source = self.source if self.source == other.source else f"{self.source} + {other.source}"
        return Profile(rows=self.rows + other.rows, columns=tuple(columns), duplicate_rows=duplicates,
                       source=source[:500], windows=self.windows + other.windows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "version": FORMAT_VERSION, "rows": self.rows, "duplicate_rows": self.duplicate_rows,
            "source": self.source, "windows": self.windows, "columns": [c.to_dict() for c in self.columns],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        if data.get("format") != FORMAT:
            raise IncompatibleProfilesError(
                f"not a profile: expected format '{FORMAT}', got {data.get('format')!r}",
                hint="pass the dict that Profile.to_dict() produced",
            )
        if int(data.get("version", 0)) > FORMAT_VERSION:
            raise IncompatibleProfilesError(
                f"profile format version {data.get('version')} is newer than this Loopline reads ({FORMAT_VERSION})",
                hint="upgrade Loopline to read this profile",
            )
        return cls(
            rows=int(data["rows"]), columns=tuple(ColumnProfile.from_dict(c) for c in data["columns"]),
            duplicate_rows=None if data.get("duplicate_rows") is None else int(data["duplicate_rows"]),
            source=str(data.get("source", "")), windows=int(data.get("windows", 1)),
        )


def _absent(like: ColumnProfile, rows: int) -> ColumnProfile:
    """A window without the column: every one of its rows is missing there."""
    return ColumnProfile(name=like.name, kind=like.kind, count=0, missing=rows, distinct=0, distinct_exact=True,
                         sql_type=like.sql_type)


def _merged_kind(a: ColumnProfile, b: ColumnProfile) -> ColumnKind:
    if a.kind == b.kind or not b.count:
        return a.kind
    if not a.count:
        return b.kind
    strings = {ColumnKind.CATEGORICAL, ColumnKind.TEXT}
    if a.kind in strings and b.kind in strings:
        return ColumnKind.CATEGORICAL
    raise IncompatibleProfilesError(
        f"column '{a.name}' is {a.kind.value} in one profile and {b.kind.value} in the other",
        hint="profile both windows with the same column types (cast the column before profiling)",
    )


def _combine_moments(a: NumericStats, b: NumericStats) -> tuple[float | None, float]:
    """Chan et al.'s parallel combination of (count, mean, sum of squared deviations)."""
    if not b.finite:
        return a.mean, a.m2
    if not a.finite:
        return b.mean, b.m2
    n = a.finite + b.finite
    delta = b.mean - a.mean  # type: ignore[operator]
    mean = a.mean + delta * b.finite / n  # type: ignore[operator]
    return mean, a.m2 + b.m2 + delta * delta * a.finite * b.finite / n


def _merge_value_counts(
    a: tuple[tuple[float, int], ...] | None, b: tuple[tuple[float, int], ...] | None
) -> tuple[tuple[float, int], ...] | None:
    if a is None or b is None:
        return None
    counts = dict(a)
    for value, count in b:
        counts[value] = counts.get(value, 0) + count
    if len(counts) > VALUE_COUNT_LIMIT:
        return None
    return tuple(sorted(counts.items()))


def _merge_optional(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    return a.merge(b)


def _pick(fn: Any, a: Any, b: Any) -> Any:
    values = [v for v in (a, b) if v is not None]
    return fn(values) if values else None


def _seconds_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def quantile_labels(qs: Sequence[float] = QUANTILES) -> list[str]:
    return [f"p{round(q * 100)}" for q in qs]


__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "QUANTILES",
    "TOP_K",
    "VALUE_COUNT_LIMIT",
    "CategoryStats",
    "ColumnProfile",
    "DatetimeStats",
    "Gap",
    "NumericStats",
    "Profile",
    "quantile_labels",
]
