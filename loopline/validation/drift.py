"""Drift between a reference and current data (or their profiles), column by column.

Default measures follow Evidently's rules, decided by the reference's size:

- at most 1000 reference values: numeric columns with more than 5 distinct values get the
  Kolmogorov-Smirnov test; categorical columns (and numeric ones with at most 5 values)
  get the chi-squared test, or the two-proportion z-test when there are at most 2 values;
  drift when p < 0.05;
- more than 1000: numeric columns get the normed Wasserstein distance and categorical ones
  the Jensen-Shannon distance; drift when the distance is >= 0.1;
- the dataset drifts when the share of drifted columns is >= 0.5.

A schema may set each column's measure and threshold (``drift: {measure, threshold}``);
``DriftOptions`` sets them for all columns. A column empty on either side, absent from one
side or of a different kind on each side gets "not enough data" and the rest carry on.
Datetime columns are not compared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loopline.errors import InvalidInputError, LooplineError, did_you_mean
from loopline.validation.drift_inputs import ColumnSide, DatasetSide, load_side
from loopline.validation.drift_report import ColumnDrift, Distribution, DriftReport, RowCountChange, Verdict
from loopline.validation.errors import UnknownMeasureError
from loopline.validation.kinds import ColumnKind
from loopline.validation.measures import MEASURES, Counts, Measure, MeasureInput, MeasureNotApplicableError
from loopline.validation.profile import Profile
from loopline.validation.reading import DataInput
from loopline.validation.schema import DriftSetting, Schema

OTHER = "(other)"
_STRINGS = (ColumnKind.CATEGORICAL, ColumnKind.TEXT)


@dataclass(frozen=True)
class DriftOptions:
    """Settings for every column (a schema's per-column ``drift`` settings take precedence).

    ``numeric_measure``/``categorical_measure`` replace the default choice, with ``threshold``
    (or the measure's default). Numeric columns accept every measure: the count-based ones
    (chi-squared, z, L-infinity) then compare value counts or bins. ``bins`` is the number of equal-width bins for JS and PSI on
    numeric columns; columns with at most ``value_bins`` distinct values compare values.
    """

    numeric_measure: str | None = None
    categorical_measure: str | None = None
    threshold: float | None = None
    columns: tuple[str, ...] | None = None
    small_sample: int = 1000
    few_values: int = 5
    bins: int = 20
    value_bins: int = 20
    drift_share: float = 0.5
    min_count: int = 1

    def check(self) -> DriftOptions:
        for name, numeric in ((self.numeric_measure, True), (self.categorical_measure, False)):
            if name is not None:
                _measure(name, numeric=numeric, column="(options)")
        if not 0 < self.drift_share <= 1:
            raise InvalidInputError(f"drift_share must be in (0, 1], got {self.drift_share}")
        if self.bins < 2 or self.min_count < 1:
            raise InvalidInputError(f"bins must be >= 2 and min_count >= 1, got {self.bins} and {self.min_count}")
        return self


class DriftDetector:
    """Learns the reference in ``fit`` (raw data or a profile), compares current data in ``check``."""

    def __init__(self, *, schema: Schema | None = None, options: DriftOptions | None = None) -> None:
        self.schema = schema
        self.options = options
        self.reference_: DatasetSide | None = None

    def fit(self, reference: DataInput | Profile) -> DriftDetector:
        (self.options or DriftOptions()).check()
        self.reference_ = load_side(reference)
        return self

    def check(self, current: DataInput | Profile) -> DriftReport:
        if self.reference_ is None:
            raise LooplineError("this DriftDetector has no reference yet", hint="call fit(reference) first")
        options = self.options or DriftOptions()
        current_side = load_side(current, self.reference_.needs())
        columns = tuple(
            compare_column(name, self.reference_.columns.get(name), current_side.columns.get(name),
                           self._setting(name), options)
            for name in self._columns(current_side)
        )
        judged = [c for c in columns if c.verdict != Verdict.NOT_ENOUGH_DATA]
        share = sum(c.drifted for c in judged) / len(judged) if judged else 0.0
        return DriftReport(
            columns=columns, rows=RowCountChange(self.reference_.rows, current_side.rows), drift_share=share,
            dataset_drift=bool(judged) and share >= options.drift_share, share_threshold=options.drift_share,
        )

    def _columns(self, current: DatasetSide) -> list[str]:
        assert self.reference_ is not None
        if self.options is not None and self.options.columns is not None:
            return list(self.options.columns)
        if self.schema is not None:
            return [c.name for c in self.schema.columns if c.kind != ColumnKind.DATETIME]
        skipped = self.reference_.skipped | current.skipped
        return [n for n in dict.fromkeys([*self.reference_.columns, *current.columns]) if n not in skipped]

    def _setting(self, name: str) -> DriftSetting | None:
        if self.schema is None or name not in self.schema:
            return None
        return self.schema.column(name).drift


def detect_drift(
    reference: DataInput | Profile,
    current: DataInput | Profile,
    *,
    schema: Schema | None = None,
    options: DriftOptions | None = None,
) -> DriftReport:
    """Compare ``current`` with ``reference`` (each raw data or a Profile)."""
    return DriftDetector(schema=schema, options=options).fit(reference).check(current)


def compare_column(
    name: str, ref: ColumnSide | None, cur: ColumnSide | None, setting: DriftSetting | None, options: DriftOptions
) -> ColumnDrift:
    """The drift verdict for one column; never raises for bad data (it says "not enough data")."""
    problem = _unusable(ref, cur, options)
    if problem is not None:
        kind = (ref or cur).kind.value if (ref or cur) is not None else "unknown"  # type: ignore[union-attr]
        return _not_enough(name, kind, ref, cur, problem)
    assert ref is not None and cur is not None
    counts = _counts(ref, cur, options)
    measure = choose_measure(name, ref, counts, setting, options)
    threshold = _threshold(measure, setting, options)
    data = MeasureInput(counts=counts, reference=ref.numeric, current=cur.numeric)
    try:
        value = measure.compute(data)
    except MeasureNotApplicableError as exc:
        return _not_enough(name, ref.kind.value, ref, cur, f"{measure.name}: {exc}")
    if not np.isfinite(value.statistic):
        return _not_enough(name, ref.kind.value, ref, cur, f"{measure.name} is undefined for these values")
    verdict = Verdict.DRIFT if measure.drifted(value, threshold) else Verdict.NO_DRIFT
    return ColumnDrift(
        column=name, kind=ref.kind.value, measure=measure.name, measure_title=measure.title,
        statistic=value.statistic, p_value=value.p_value, threshold=threshold, verdict=verdict,
        reference_count=_count(ref), current_count=_count(cur), approximate=value.approximate,
        distribution=_distribution(counts, ordered=ref.kind == ColumnKind.NUMERIC),
    )


def choose_measure(
    name: str, ref: ColumnSide, counts: Counts, setting: DriftSetting | None, options: DriftOptions
) -> Measure:
    """The schema's measure, else the options', else Evidently's default for the reference size."""
    numeric = ref.kind == ColumnKind.NUMERIC
    chosen = setting.measure if setting is not None and setting.measure else None
    chosen = chosen or (options.numeric_measure if numeric else options.categorical_measure)
    if chosen:
        return _measure(chosen, numeric=numeric, column=name)
    values = _distinct_values(ref, counts)
    small = _count(ref) <= options.small_sample
    if numeric and values > options.few_values:
        return MEASURES["ks" if small else "wasserstein"]
    if small:
        return MEASURES["chisquare" if values > 2 else "z"]
    return MEASURES["jensenshannon"]


def _measure(name: str, *, numeric: bool, column: str) -> Measure:
    if name not in MEASURES:
        raise UnknownMeasureError(
            f"unknown drift measure {name!r} for column '{column}'; known: {', '.join(sorted(MEASURES))}",
            hint=did_you_mean(name, MEASURES),
        )
    measure = MEASURES[name]
    if not numeric and not measure.categorical:
        fits = sorted(n for n, m in MEASURES.items() if m.categorical)
        raise UnknownMeasureError(
            f"drift measure {name!r} does not apply to categorical column '{column}'",
            hint=f"use one of: {', '.join(fits)}",
        )
    return measure


def _threshold(measure: Measure, setting: DriftSetting | None, options: DriftOptions) -> float:
    if setting is not None and setting.threshold is not None:
        return setting.threshold
    if options.threshold is not None and measure.name in (options.numeric_measure, options.categorical_measure):
        return options.threshold
    return measure.default_threshold


def _unusable(ref: ColumnSide | None, cur: ColumnSide | None, options: DriftOptions) -> str | None:
    if ref is None:
        return "the column is absent from the reference (or is a datetime column)"
    if cur is None:
        return "the column is absent from the current data (or is a datetime column)"
    if ref.kind != cur.kind and not (ref.kind in _STRINGS and cur.kind in _STRINGS):
        return f"the column is {ref.kind.value} in the reference and {cur.kind.value} in the current data"
    for side, label in ((ref, "reference"), (cur, "current data")):
        if _count(side) < options.min_count:
            return f"the {label} has {_count(side)} usable values (at least {options.min_count} needed)"
    return None


def _count(side: ColumnSide) -> int:
    return side.numeric.count if side.numeric is not None else side.count


def _not_enough(name: str, kind: str, ref: ColumnSide | None, cur: ColumnSide | None, reason: str) -> ColumnDrift:
    return ColumnDrift(
        column=name, kind=kind, measure=None, measure_title=None, statistic=None, p_value=None, threshold=None,
        verdict=Verdict.NOT_ENOUGH_DATA, reference_count=_count(ref) if ref else 0,
        current_count=_count(cur) if cur else 0, reason=reason,
    )


def _distinct_values(ref: ColumnSide, counts: Counts) -> int:
    if ref.numeric is not None and ref.numeric.value_counts is None:
        return 10**9
    return int(np.count_nonzero(counts.reference + counts.current))


def _counts(ref: ColumnSide, cur: ColumnSide, options: DriftOptions) -> Counts:
    if ref.numeric is not None and cur.numeric is not None:
        a, b = ref.numeric.value_counts, cur.numeric.value_counts
        if a is not None and b is not None and len(set(a) | set(b)) <= options.value_bins:
            keys = sorted(set(a) | set(b))
            return Counts(tuple(f"{k:g}" for k in keys), np.array([a.get(k, 0) for k in keys]),
                          np.array([b.get(k, 0) for k in keys]))
        ref_edges, ref_counts = ref.numeric.histogram.coarse(options.bins)
        edges, cur_counts = cur.numeric.histogram.coarse(options.bins)
        edges[0], edges[-1] = min(edges[0], ref_edges[0]), max(edges[-1], ref_edges[-1])
        return Counts(_bin_labels(edges), ref_counts, cur_counts, edges=edges)
    return _category_counts(ref, cur)


def _category_counts(ref: ColumnSide, cur: ColumnSide) -> Counts:
    """Counts over shared categories; values outside a truncated side's top list are pooled as "(other)"."""
    kept = set(ref.categories) | set(cur.categories)
    if ref.other:
        kept &= set(ref.categories)
    if cur.other:
        kept &= set(cur.categories)
    keys = sorted(kept, key=lambda k: (-(ref.categories.get(k, 0) + cur.categories.get(k, 0)), k))
    ref_counts = [ref.categories.get(k, 0) for k in keys]
    cur_counts = [cur.categories.get(k, 0) for k in keys]
    ref_other, cur_other = ref.count - sum(ref_counts), cur.count - sum(cur_counts)
    if ref_other or cur_other:
        keys, ref_counts, cur_counts = [*keys, OTHER], [*ref_counts, ref_other], [*cur_counts, cur_other]
    return Counts(tuple(keys), np.array(ref_counts), np.array(cur_counts), approximate=bool(ref.other or cur.other))


def _distribution(counts: Counts, *, ordered: bool) -> Distribution:
    """Shares for charts: numeric bins or values in their order, categories by frequency."""
    if counts.edges is None and ordered:
        return Distribution(labels=counts.labels, reference=tuple(float(v) for v in _shares(counts.reference)),
                            current=tuple(float(v) for v in _shares(counts.current)))
    if counts.edges is None:
        return _category_distribution(counts)
    keep = (counts.reference + counts.current) > 0
    keep[1:-1] = True
    edges = counts.edges
    kept_edges = [*edges[:-1][keep], edges[1:][keep][-1]]
    return Distribution(
        labels=tuple(label for label, k in zip(counts.labels, keep, strict=True) if k),
        reference=tuple(float(v) for v in _shares(counts.reference)[keep]),
        current=tuple(float(v) for v in _shares(counts.current)[keep]),
        edges=tuple(float(e) for e in kept_edges),
    )


def _category_distribution(counts: Counts, limit: int = 30) -> Distribution:
    order = np.argsort(-(counts.reference + counts.current), kind="stable")[:limit]
    return Distribution(labels=tuple(counts.labels[i] for i in order),
                        reference=tuple(float(v) for v in _shares(counts.reference)[order]),
                        current=tuple(float(v) for v in _shares(counts.current)[order]))


def _shares(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total else counts.astype(np.float64)


def _bin_labels(edges: np.ndarray) -> tuple[str, ...]:
    return tuple(f"[{edges[i]:.4g}, {edges[i + 1]:.4g})" for i in range(len(edges) - 1))


__all__ = ["DriftDetector", "DriftOptions", "choose_measure", "compare_column", "detect_drift"]
