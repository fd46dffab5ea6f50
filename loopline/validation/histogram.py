"""Histograms on fixed bin grids: the numeric summary that profiles keep, merge and compare.

A ``BinGrid`` is ``bins`` equal-width bins starting at ``origin``. Values outside the grid
still get bins of the same width, up to one grid span on either side (indices ``-bins``
to ``2*bins - 1``); values further out are counted in the outermost of those two bins,
which are open-ended. A ``Histogram`` keeps the occupied bins only, plus the smallest and
largest value it counted, which bound its first and last bins.

Two histograms on the same grid add exactly. On different grids one is re-binned onto
the other's grid assuming the values spread evenly within each bin: an approximation,
stated wherever it is used (``Profile.merge``, drift from profiles).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

DEFAULT_BINS = 100


@dataclass(frozen=True)
class BinGrid:
    """``bins`` bins of ``width`` from ``origin``; bin ``i`` covers ``[origin + i*width, origin + (i+1)*width)``."""

    origin: float
    width: float
    bins: int

    @property
    def lowest(self) -> int:
        return -self.bins

    @property
    def highest(self) -> int:
        return 2 * self.bins - 1

    @property
    def end(self) -> float:
        """The right edge of the last in-grid bin."""
        return self.origin + self.bins * self.width

    def edge(self, index: int | np.ndarray) -> Any:
        """Left edge of bin ``index`` (the right edge of bin ``index - 1``)."""
        return self.origin + np.asarray(index, dtype=np.float64) * self.width

    def indices(self, values: np.ndarray) -> np.ndarray:
        """Bin index of each (finite) value, clipped to the grid's extended span."""
        raw = np.floor((np.asarray(values, dtype=np.float64) - self.origin) / self.width)
        return np.clip(raw, self.lowest, self.highest).astype(np.int64)

    def sql_index(self, expr: str) -> str:
        """The same computation as ``indices`` as a DuckDB expression (same float arithmetic)."""
        return (
            f"CAST(least(greatest(floor(({expr} - {self.origin!r}) / {self.width!r}), {self.lowest}), "
            f"{self.highest}) AS INTEGER)"
        )

    @classmethod
    def covering(cls, low: float, high: float, *, integer: bool, bins: int = DEFAULT_BINS) -> BinGrid:
        """A grid whose in-grid bins cover ``[low, high]``; integer data gets bins centred on integers."""
        if integer:
            first, last = math.floor(low), math.ceil(high)
            width = max(1, math.ceil((last - first + 1) / bins))
            return cls(origin=first - 0.5, width=float(width), bins=math.ceil((last - first + 1) / width))
        if high > low:
            return cls(origin=float(low), width=(high - low) / bins * (1 + 1e-9), bins=bins)
        span = max(abs(low), 1.0) * 0.02
        return cls(origin=float(low) - span / 2, width=span / bins, bins=bins)

    def to_dict(self) -> dict[str, Any]:
        return {"origin": self.origin, "width": self.width, "bins": self.bins}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BinGrid:
        return cls(origin=float(data["origin"]), width=float(data["width"]), bins=int(data["bins"]))


@dataclass(frozen=True)
class Histogram:
    """Counts of finite values per occupied bin of ``grid``; ``low``/``high`` are the extremes counted."""

    grid: BinGrid
    index: tuple[int, ...] = ()
    count: tuple[int, ...] = ()
    low: float | None = None
    high: float | None = None

    @property
    def total(self) -> int:
        return int(sum(self.count))

    @classmethod
    def from_values(cls, grid: BinGrid, values: np.ndarray) -> Histogram:
        """Histogram of ``values`` (non-finite values are ignored)."""
        finite = np.asarray(values, dtype=np.float64)
        finite = finite[np.isfinite(finite)]
        if finite.size == 0:
            return cls(grid=grid)
        counts = np.bincount(grid.indices(finite) - grid.lowest, minlength=3 * grid.bins)
        occupied = np.flatnonzero(counts)
        return cls(
            grid=grid,
            index=tuple(int(i) + grid.lowest for i in occupied),
            count=tuple(int(c) for c in counts[occupied]),
            low=float(finite.min()),
            high=float(finite.max()),
        )

    @classmethod
    def from_mapping(
        cls, grid: BinGrid, counts: Mapping[int, int], low: float | None, high: float | None
    ) -> Histogram:
        """Histogram from ``{bin index: count}`` as DuckDB's ``histogram()`` returns it."""
        items = sorted((int(i), int(c)) for i, c in counts.items() if c)
        if not items:
            return cls(grid=grid)
        return cls(grid=grid, index=tuple(i for i, _ in items), count=tuple(c for _, c in items), low=low, high=high)

    def merge(self, other: Histogram) -> Histogram:
        """Sum of two histograms: exact on the same grid, re-binned (approximate) otherwise."""
        if not other.count:
            return self
        if not self.count:
            return other
        low, high = min(self.low, other.low), max(self.high, other.high)  # type: ignore[type-var]
        grid = self.grid
        if other.grid != grid and not (grid.origin <= other.low and other.high < grid.end):  # type: ignore[operator]
            grid = BinGrid.covering(low, high, integer=False, bins=self.grid.bins)  # type: ignore[arg-type]
        counts: dict[int, int] = {}
        for part in (self.rebin(grid), other.rebin(grid)):
            for i, c in zip(part.index, part.count, strict=True):
                counts[i] = counts.get(i, 0) + c
        return Histogram.from_mapping(grid, counts, low, high)

    def rebin(self, grid: BinGrid) -> Histogram:
        """The same counts on ``grid``, spreading each bin's count evenly over its width."""
        if grid == self.grid or not self.count:
            return Histogram(grid=grid, index=self.index, count=self.count, low=self.low, high=self.high)
        left, right = self.bounds()
        counts = np.asarray(self.count, dtype=np.float64)
        target = np.zeros(3 * grid.bins)
        fine = grid.edge(np.arange(grid.lowest, grid.highest + 2))
        fine[0], fine[-1] = -np.inf, np.inf
        for a, b, c in zip(left, right, counts, strict=True):
            if b <= a:
                target[grid.indices(np.array([a]))[0] - grid.lowest] += c
                continue
            overlap = np.clip(np.minimum(fine[1:], b) - np.maximum(fine[:-1], a), 0.0, None)
            target += c * overlap / (b - a)
        return Histogram.from_mapping(
            grid, dict(zip(range(grid.lowest, grid.highest + 1), _round_keeping_total(target), strict=True)),
            self.low, self.high,
        )

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Left and right bound of each occupied bin, the outer ones narrowed to ``low``/``high``."""
        index = np.asarray(self.index, dtype=np.int64)
        left, right = self.grid.edge(index), self.grid.edge(index + 1)
        if index.size:
            left[0], right[-1] = self.low, self.high
        return left, right

    def quantiles(self, qs: Sequence[float]) -> list[float]:
        """Quantiles by linear interpolation within bins (exact at bin edges, error below one bin width)."""
        if not self.count:
            return [math.nan for _ in qs]
        left, right = self.bounds()
        counts = np.asarray(self.count, dtype=np.float64)
        cum = np.cumsum(counts)
        targets = np.asarray(qs, dtype=np.float64) * cum[-1]
        j = np.clip(np.searchsorted(cum, targets, side="left"), 0, len(cum) - 1)
        before = cum[j] - counts[j]
        share = np.clip((targets - before) / counts[j], 0.0, 1.0)
        return [float(v) for v in left[j] + share * (right[j] - left[j])]

    def coarse(self, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
        """Counts in about ``n_bins`` equal-width groups of in-grid bins, plus a below and an above bucket.

        Returns ``(edges, counts)`` with ``len(edges) == len(counts) + 1``; the outer edges are
        the grid's ends widened to ``low``/``high`` when values fall outside the grid.
        """
        grid = self.grid
        group = max(1, math.ceil(grid.bins / n_bins))
        groups = math.ceil(grid.bins / group)
        counts = np.zeros(groups + 2, dtype=np.int64)
        index = np.asarray(self.index, dtype=np.int64)
        slot = np.where(index < 0, 0, np.where(index >= grid.bins, groups + 1, index // group + 1))
        np.add.at(counts, slot, np.asarray(self.count, dtype=np.int64))
        inner = grid.edge(np.minimum(np.arange(groups + 1) * group, grid.bins))
        below = min(self.low, grid.origin) if self.low is not None else grid.origin
        above = max(self.high, grid.end) if self.high is not None else grid.end
        return np.concatenate([[below], inner, [above]]), counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "grid": self.grid.to_dict(),
            "index": list(self.index),
            "count": list(self.count),
            "low": self.low,
            "high": self.high,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Histogram:
        return cls(
            grid=BinGrid.from_dict(data["grid"]),
            index=tuple(int(i) for i in data.get("index", ())),
            count=tuple(int(c) for c in data.get("count", ())),
            low=None if data.get("low") is None else float(data["low"]),
            high=None if data.get("high") is None else float(data["high"]),
        )


def aligned(a: Histogram, b: Histogram) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(edges, counts_a, counts_b)`` over the bins either occupies, ``b`` re-binned onto ``a``'s grid.

    The outer edges are the smallest and largest value either histogram counted.
    """
    b = b.rebin(a.grid)
    grid = a.grid
    occupied = [h for h in (a, b) if h.count]
    first = min(h.index[0] for h in occupied)
    last = max(h.index[-1] for h in occupied)
    edges = grid.edge(np.arange(first, last + 2))
    edges[0] = min(h.low for h in occupied)  # type: ignore[type-var]
    edges[-1] = max(h.high for h in occupied)  # type: ignore[type-var]
    return edges, _dense(a, first, last), _dense(b, first, last)


def _dense(h: Histogram, first: int, last: int) -> np.ndarray:
    out = np.zeros(last - first + 1, dtype=np.float64)
    if h.count:
        out[np.asarray(h.index) - first] = h.count
    return out


def _round_keeping_total(values: np.ndarray) -> list[int]:
    """Round to integers so that the total is kept (largest remainders get the spare units)."""
    floors = np.floor(values + 1e-9)
    spare = round(values.sum() - floors.sum())
    if spare > 0:
        floors[np.argsort(floors - values)[:spare]] += 1
    return [int(v) for v in floors]


__all__ = ["DEFAULT_BINS", "BinGrid", "Histogram", "aligned"]
