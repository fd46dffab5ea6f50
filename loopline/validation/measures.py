"""Drift measures: small functions in a registry, each exact on raw values and approximate on histograms.

Registered measures (name: what; columns; default threshold; drift when). Every measure
applies to numeric columns (the count-based ones compare value counts or bins there):

- ``ks``: two-sample Kolmogorov-Smirnov test; numeric; 0.05; p-value < threshold.
- ``wasserstein``: Wasserstein-1 distance divided by the reference's standard deviation
  (Evidently's "Wasserstein distance (normed)", std floored at 0.001); numeric; 0.1;
  statistic >= threshold.
- ``jensenshannon``: Jensen-Shannon distance, natural logarithm (0..sqrt(ln 2), about 0.833), the
  base of ``scipy.spatial.distance.jensenshannon`` and Evidently; any; 0.1; statistic >= threshold.
- ``psi``: population stability index; any; 0.1; statistic >= threshold.
- ``chisquare``: chi-squared test of homogeneity of the 2 x k table of counts; any; 0.05;
  p-value < threshold.
- ``z``: two-proportion z-test (pooled); columns with two values; 0.05; p-value < threshold.
- ``linf``: L-infinity distance of the two frequency vectors; any; 0.1; statistic >= threshold.

Exact and approximate:

- ``ks`` and ``wasserstein`` are exact when both sides are raw values. When either side is
  a profile they use the two histograms on the reference's grid (values spread evenly
  within each bin): the KS statistic is then the largest CDF gap at bin edges (it can only
  underestimate the exact one, by at most the mass of one bin) with Smirnov's asymptotic
  p-value, and the Wasserstein distance integrates the gap of the piecewise-linear CDFs.
- ``jensenshannon`` and ``psi`` on numeric columns compare counts in about 20 equal-width
  bins over the reference's 0.1%..99.9% range plus one bin below and one above, computed the
  same way from raw values and from profiles; columns with at most 20 distinct values
  (known exactly on both sides) compare the values' counts instead, as Evidently does.
- ``psi`` replaces an empty bin's share by 0.0001, so new or vanished values count without
  making the index infinite.
- ``chisquare`` tests the 2 x k table (reference, current) for homogeneity with k - 1
  degrees of freedom; categories empty on both sides are dropped. (A goodness-of-fit test
  against the reference shares would treat the reference sample as exact and raise false
  alarms well above the nominal rate.)
- Categorical counts are exact unless a profile kept only its top 100 values; then the
  values outside either side's top list are pooled into one "(other)" category.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from loopline.validation.histogram import Histogram, aligned

PSI_EMPTY_SHARE = 1e-4
STD_FLOOR = 0.001


@dataclass(frozen=True)
class NumericSide:
    """One side of a numeric comparison: sorted finite values (None when only a profile is known),
    their histogram on the comparison grid, exact value counts when few, and summary figures."""

    histogram: Histogram
    count: int
    std: float | None
    values: np.ndarray | None = None
    value_counts: dict[float, int] | None = None


@dataclass(frozen=True)
class Counts:
    """Counts of the same categories (or bins, then with their ``edges``) on both sides;
    ``approximate`` when some categories were pooled."""

    labels: tuple[str, ...]
    reference: np.ndarray
    current: np.ndarray
    approximate: bool = False
    edges: np.ndarray | None = None


@dataclass(frozen=True)
class MeasureInput:
    """What a measure may use: numeric sides (numeric columns only) and category counts."""

    counts: Counts
    reference: NumericSide | None = None
    current: NumericSide | None = None

    @property
    def exact_values(self) -> bool:
        return (self.reference is not None and self.reference.values is not None
                and self.current is not None and self.current.values is not None)


@dataclass(frozen=True)
class MeasureValue:
    statistic: float
    p_value: float | None
    approximate: bool


@dataclass(frozen=True)
class Measure:
    """A registered measure. Every measure applies to numeric columns; ``categorical`` ones (those
    that compare counts) also to categorical columns. ``is_test`` measures drift when
    p < threshold, the others when statistic >= threshold."""

    name: str
    title: str
    categorical: bool
    default_threshold: float
    is_test: bool
    compute: Callable[[MeasureInput], MeasureValue]

    def drifted(self, value: MeasureValue, threshold: float) -> bool:
        if self.is_test:
            return value.p_value is not None and value.p_value < threshold
        return value.statistic >= threshold


MEASURES: dict[str, Measure] = {}


def register(
    name: str, title: str, *, categorical: bool, threshold: float, test: bool
) -> Callable[[Callable[[MeasureInput], MeasureValue]], Callable[[MeasureInput], MeasureValue]]:
    """Add a measure to ``MEASURES`` (usable as a decorator)."""

    def add(fn: Callable[[MeasureInput], MeasureValue]) -> Callable[[MeasureInput], MeasureValue]:
        MEASURES[name] = Measure(name, title, categorical, threshold, test, fn)
        return fn

    return add


class MeasureNotApplicableError(ValueError):
    """The measure cannot judge this column (a z-test on more than two categories, for instance)."""


@register("ks", "Kolmogorov-Smirnov p-value", categorical=False, threshold=0.05, test=True)
def kolmogorov_smirnov(data: MeasureInput) -> MeasureValue:
    ref, cur = _numeric_sides(data)
    if data.exact_values:
        statistic, p_value = ks_two_sample(ref.values, cur.values)  # type: ignore[arg-type]
        return MeasureValue(statistic, p_value, approximate=False)
    _, a, b = aligned(ref.histogram, cur.histogram)
    d = float(np.max(np.abs(np.cumsum(a) / a.sum() - np.cumsum(b) / b.sum())))
    n, m = sorted([float(a.sum()), float(b.sum())], reverse=True)
    return MeasureValue(d, float(stats.kstwo.sf(d, np.round(n * m / (n + m)))), approximate=True)


@register("wasserstein", "Wasserstein distance (normed)", categorical=False, threshold=0.1, test=False)
def wasserstein_normed(data: MeasureInput) -> MeasureValue:
    ref, cur = _numeric_sides(data)
    norm = max(ref.std or 0.0, STD_FLOOR)
    if data.exact_values:
        return MeasureValue(wasserstein_sorted(ref.values, cur.values) / norm, None, approximate=False)  # type: ignore[arg-type]
    edges, a, b = aligned(ref.histogram, cur.histogram)
    return MeasureValue(_binned_wasserstein(edges, a / a.sum(), b / b.sum()) / norm, None, approximate=True)


@register("jensenshannon", "Jensen-Shannon distance", categorical=True, threshold=0.1, test=False)
def jensen_shannon(data: MeasureInput) -> MeasureValue:
    p, q = _shares(data.counts)
    m = (p + q) / 2
    divergence = (_kl(p, m) + _kl(q, m)) / 2
    return MeasureValue(float(np.sqrt(max(divergence, 0.0))), None, approximate=_approximate(data))


@register("psi", "Population stability index", categorical=True, threshold=0.1, test=False)
def population_stability_index(data: MeasureInput) -> MeasureValue:
    p, q = _shares(data.counts)
    p, q = np.where(p == 0, PSI_EMPTY_SHARE, p), np.where(q == 0, PSI_EMPTY_SHARE, q)
    return MeasureValue(float(np.sum((p - q) * np.log(p / q))), None, approximate=_approximate(data))


@register("chisquare", "Chi-squared p-value", categorical=True, threshold=0.05, test=True)
def chi_squared(data: MeasureInput) -> MeasureValue:
    table = np.vstack([data.counts.reference, data.counts.current]).astype(np.float64)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return MeasureValue(0.0, 1.0, approximate=data.counts.approximate)
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    return MeasureValue(statistic, float(stats.chi2.sf(statistic, table.shape[1] - 1)), data.counts.approximate)


@register("z", "Z-test p-value (two proportions)", categorical=True, threshold=0.05, test=True)
def two_proportion_z(data: MeasureInput) -> MeasureValue:
    ref, cur = data.counts.reference.astype(np.float64), data.counts.current.astype(np.float64)
    occupied = (ref + cur) > 0
    if occupied.sum() > 2:
        raise MeasureNotApplicableError(f"the z-test compares two categories; the column has {int(occupied.sum())}")
    if occupied.sum() < 2:
        return MeasureValue(0.0, 1.0, approximate=data.counts.approximate)
    first = int(np.flatnonzero(occupied)[0])
    n1, n2 = ref.sum(), cur.sum()
    p1, p2 = ref[first] / n1, cur[first] / n2
    pooled = (ref[first] + cur[first]) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return MeasureValue(float(z), float(2 * stats.norm.sf(abs(z))), approximate=data.counts.approximate)


@register("linf", "L-infinity distance", categorical=True, threshold=0.1, test=False)
def l_infinity(data: MeasureInput) -> MeasureValue:
    p, q = _shares(data.counts)
    return MeasureValue(float(np.max(np.abs(p - q))), None, approximate=data.counts.approximate)


#: scipy's ks_2samp (method "auto") computes exact p-values while both samples have at most
#: this many values, and Smirnov's asymptotic distribution above.
KS_EXACT_MAX = 10_000


def ks_two_sample(u: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    """Two-sided KS statistic and p-value of two sorted samples, bit for bit as ``scipy.stats.ks_2samp``.

    Large samples take Smirnov's asymptotic p-value, as scipy does, with the statistic
    computed here from one stable merge of the sorted samples: scipy sorts both again and
    searches every value of each in the other, several times slower on 100,000 values.
    """
    if max(u.size, v.size) <= KS_EXACT_MAX:
        result = stats.ks_2samp(u, v)
        return float(result.statistic), float(result.pvalue)
    merged = np.concatenate([u, v])
    order = np.argsort(merged, kind="stable")
    values = merged[order]
    below_u = np.cumsum(order < u.size)
    below_v = np.arange(1, merged.size + 1) - below_u
    last = np.append(values[1:] != values[:-1], True)  # the CDFs count every copy of a tied value
    gap = below_u[last] / u.size - below_v[last] / v.size
    statistic = max(float(np.clip(-gap.min(), 0, 1)), float(gap.max()))
    n, m = sorted([float(u.size), float(v.size)], reverse=True)
    p_value = float(np.clip(stats.kstwo.sf(statistic, np.round(n * m / (n + m))), 0, 1))
    return statistic, p_value


def wasserstein_sorted(u: np.ndarray, v: np.ndarray) -> float:
    """Wasserstein-1 distance of two sorted samples: the integral of |F_u - F_v| (as scipy computes it)."""
    merged = np.concatenate([u, v])
    order = np.argsort(merged, kind="stable")
    from_u = order < u.size
    deltas = np.diff(merged[order])
    cu = np.cumsum(from_u[:-1]) / u.size
    cv = np.cumsum(~from_u[:-1]) / v.size
    return float(np.sum(np.abs(cu - cv) * deltas))


def _binned_wasserstein(edges: np.ndarray, p: np.ndarray, q: np.ndarray) -> float:
    """Integral of |F_p - F_q| for CDFs linear within each bin (exactly, sign changes included)."""
    d = np.concatenate([[0.0], np.cumsum(p - q)])
    left, right, width = d[:-1], d[1:], np.diff(edges)
    same_sign = left * right >= 0
    total = np.abs(left) + np.abs(right)
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing = np.where(total > 0, (left**2 + right**2) / total, 0.0)
    area = np.where(same_sign, total, crossing) * width / 2
    return float(np.sum(area))


def _numeric_sides(data: MeasureInput) -> tuple[NumericSide, NumericSide]:
    if data.reference is None or data.current is None:
        raise MeasureNotApplicableError("this measure needs numeric values")
    return data.reference, data.current


def _shares(counts: Counts) -> tuple[np.ndarray, np.ndarray]:
    ref, cur = counts.reference.astype(np.float64), counts.current.astype(np.float64)
    return ref / ref.sum(), cur / cur.sum()


def _kl(p: np.ndarray, m: np.ndarray) -> float:
    """Kullback-Leibler divergence of ``p`` from ``m``, natural logarithm."""
    mask = p > 0
    return float(np.sum(p[mask] * np.log(p[mask] / m[mask])))


def _approximate(data: MeasureInput) -> bool:
    return data.counts.approximate


__all__ = [
    "KS_EXACT_MAX",
    "MEASURES",
    "PSI_EMPTY_SHARE",
    "STD_FLOOR",
    "Counts",
    "Measure",
    "MeasureInput",
    "MeasureNotApplicableError",
    "MeasureValue",
    "NumericSide",
    "ks_two_sample",
    "register",
    "wasserstein_sorted",
]
