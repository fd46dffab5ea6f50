"""Feature drift, prediction drift and training/serving skew of one window against the training profile.

The window is profiled once on the training profile's histogram grids, so each comparison
is a binned one and costs the same for any window size. Columns with fewer than
``min_rows`` usable values (an all-null column, say) get "not enough data" from the
validation package and the rest carry on; a window with fewer rows than that is not
judged at all.

A window is usually much smaller than the training data, and a distance between a few
dozen values and the training distribution is mostly sampling noise (the normed Wasserstein
distance of 50 values drawn from the very training distribution is often above 0.1). So a
window of at most ``SMALL_WINDOW`` rows is judged with the chi-squared test on the
reference's bins, coarsened to about five window values per bin (drift when p < 0.05), which accounts for the window's size; a larger
window with the validation package's default measures (Evidently's rules) for drift, and
TFDV's for skew: Jensen-Shannon distance for numeric features, L-infinity for categorical
ones. Skew also reports the schema anomalies that mean the serving path computes features
differently from training (a missing column, a changed type).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loopline.monitoring.reference import PREDICTION, TrainingReference
from loopline.monitoring.verdicts import DRIFT, NO_DRIFT, NO_SKEW, SKEW, not_enough
from loopline.validation import (
    SERVING,
    AnomalyCode,
    DriftDetector,
    DriftOptions,
    DriftReport,
    Profile,
    Verdict,
    detect_skew,
)
from loopline.validation.validate import profile_anomalies

SMALL_WINDOW = 1000
SKEW_CODES = frozenset({AnomalyCode.MISSING_COLUMN, AnomalyCode.TYPE_MISMATCH, AnomalyCode.MIXED_TYPES})


def feature_report(reference: TrainingReference, window: Profile, features: tuple[str, ...], *, min_rows: int,
                   drift_share: float) -> DriftReport:
    """The drift of each feature of ``window`` (the measures chosen by the window's size)."""
    options = _options(window, columns=features, min_count=min_rows, drift_share=drift_share)
    return DriftDetector(options=options).fit(reference.profile).check(window)


def narrowed(report: DriftReport, columns: tuple[str, ...], drift_share: float) -> DriftReport:
    """``report`` over ``columns`` only, its drift share and dataset drift counted over them."""
    kept = tuple(c for c in report.columns if c.column in columns)
    judged = [c for c in kept if c.verdict != Verdict.NOT_ENOUGH_DATA]
    share = sum(c.drifted for c in judged) / len(judged) if judged else 0.0
    return replace(report, columns=kept, drift_share=share, dataset_drift=bool(judged) and share >= drift_share)


def feature_drift(reference: TrainingReference, window: Profile, features: tuple[str, ...], *, min_rows: int,
                  drift_share: float, report: DriftReport | None = None) -> dict[str, Any]:
    if window.rows < min_rows:
        return not_enough(f"{window.rows} prediction(s) in the window; at least {min_rows} needed")
    if report is None:
        report = feature_report(reference, window, features, min_rows=min_rows, drift_share=drift_share)
    judged = [c for c in report.columns if c.verdict != Verdict.NOT_ENOUGH_DATA]
    if not judged:
        return not_enough("no feature has enough values in the window", columns=_columns(report))
    return {"verdict": DRIFT if report.dataset_drift else NO_DRIFT, "share": report.drift_share,
            "drifted": list(report.drifted_columns), "share_threshold": drift_share, "columns": _columns(report)}


def prediction_drift(reference: TrainingReference, window: Profile, *, min_rows: int) -> dict[str, Any]:
    if window.rows < min_rows:
        return not_enough(f"{window.rows} prediction(s) in the window; at least {min_rows} needed")
    options = _options(window, columns=(PREDICTION,), min_count=min_rows)
    column = DriftDetector(options=options).fit(reference.profile).check(window).columns[0]
    if column.verdict == Verdict.NOT_ENOUGH_DATA:
        return not_enough(column.reason or "too few predictions", column=column.to_dict())
    return {"verdict": DRIFT if column.drifted else NO_DRIFT, "measure": column.measure,
            "statistic": column.statistic, "p_value": column.p_value, "threshold": column.threshold,
            "column": _compact(column.to_dict())}


def skew(reference: TrainingReference, window: Profile, features: tuple[str, ...], *, min_rows: int,
         drift: DriftReport | None = None) -> dict[str, Any]:
    """Skew of ``window``; on a small window the measures are drift's, so ``drift`` (its report) is reused."""
    if window.rows < min_rows:
        return not_enough(f"{window.rows} prediction(s) in the window; at least {min_rows} needed")
    if drift is not None and window.rows <= SMALL_WINDOW and not _has_drift_settings(reference.schema, features):
        serving = reference.schema.for_environment(SERVING)
        report = replace(drift, anomalies=tuple(profile_anomalies(window, serving)))
    else:
        options = _options(window, columns=features, min_count=min_rows, numeric="jensenshannon",
                           categorical="linf")
        report = detect_skew(reference.profile, window, schema=reference.schema, options=options)
    anomalies = [a.to_dict() for a in report.anomalies if a.code in SKEW_CODES and a.column in features]
    skewed = sorted({*report.drifted_columns, *(a["column"] for a in anomalies)})
    distances = [c.statistic for c in report.columns if c.statistic is not None]
    return {"verdict": SKEW if skewed else NO_SKEW, "skewed": skewed, "columns_skewed": len(skewed),
            "max_distance": max(distances) if distances else None, "anomalies": anomalies,
            "columns": _columns(report)}


def _has_drift_settings(schema: Any, features: tuple[str, ...]) -> bool:
    """Whether the schema sets a drift measure or threshold of its own for any of ``features``."""
    return any(c.drift is not None for c in schema.columns if c.name in features)


def _options(window: Profile, *, numeric: str | None = None, categorical: str | None = None,
             **settings: Any) -> DriftOptions:
    """The window-size-aware choice of measures (see the module's docstring)."""
    if window.rows <= SMALL_WINDOW:
        return DriftOptions(numeric_measure="ks", categorical_measure="chisquare", **settings)
    return DriftOptions(numeric_measure=numeric, categorical_measure=categorical, **settings)


def _columns(report: DriftReport) -> list[dict[str, Any]]:
    return [_compact(c.to_dict()) for c in report.columns]


def _compact(column: dict[str, Any]) -> dict[str, Any]:
    """A column's drift numbers without the chart data (kept small: one row per window is stored)."""
    return {k: v for k, v in column.items() if k != "distribution"}


__all__ = ["feature_drift", "feature_report", "narrowed", "prediction_drift", "skew"]
