"""Target leakage: a feature, or the sum or difference of two, that reproduces the label almost exactly.

For a numeric label every single feature and every pair (sum and difference) is scored by
its correlation with the label, all at once from one covariance matrix (so p features
cost one p x p matrix, not p^2 passes). A score of at least ``threshold`` (|r| >= 0.999
by default) means the label can be computed from the feature(s): a model would learn
that instead of the real relation. The matrix is computed on all rows, or a repeatable
sample of ``sample_rows`` rows of larger data.

For a categorical or boolean label, a categorical feature that determines the label in at
least ``threshold`` of the rows (and is not nearly unique per row) is reported.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from loopline.validation.anomalies import Anomaly, AnomalyCode
from loopline.validation.kinds import ColumnKind
from loopline.validation.profile import ColumnProfile, Profile
from loopline.validation.reading import OpenedData, quote_identifier

THRESHOLD = 0.999
SAMPLE_ROWS = 200_000


def check_leakage(
    opened: OpenedData, stats: Profile, label: str, *, exclude: Sequence[str] = (), threshold: float = THRESHOLD,
    sample_rows: int = SAMPLE_ROWS,
) -> list[Anomaly]:
    target = stats.column(label)
    features = [c for c in stats.columns if c.name != label and c.name not in exclude and c.count]
    if target.kind == ColumnKind.NUMERIC:
        numeric = [c.name for c in features if c.kind == ColumnKind.NUMERIC]
        return _numeric_leaks(opened, label, numeric, threshold, sample_rows)
    if target.kind.has_categories:
        return _categorical_leaks(opened, target, [c for c in features if c.kind.has_categories], threshold)
    return []


def _numeric_leaks(
    opened: OpenedData, label: str, features: list[str], threshold: float, sample_rows: int
) -> list[Anomaly]:
    if not features:
        return []
    frame = _sample(opened, [*features, label], sample_rows)
    matrix = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    matrix = matrix[np.isfinite(matrix).all(axis=1)]
    if matrix.shape[0] < 3:
        return []
    cov = np.cov(matrix, rowvar=False, bias=True)
    var, with_label, var_label = np.diag(cov)[:-1], cov[:-1, -1], cov[-1, -1]
    if var_label <= 0:
        return []
    found: list[Anomaly] = []
    with np.errstate(divide="ignore", invalid="ignore"):
        single = with_label / np.sqrt(var * var_label)
    leaking = {i for i in np.flatnonzero(np.abs(np.nan_to_num(single)) >= threshold)}
    for i in sorted(leaking):
        found.append(_numeric_anomaly(features[i], label, float(single[i]), frame, [features[i]], threshold))
    for sign, symbol in ((1.0, "+"), (-1.0, "-")):
        scores = _pair_scores(cov[:-1, :-1], var, with_label, var_label, sign)
        for i, j in zip(*np.nonzero(np.abs(scores) >= threshold), strict=True):
            if i < j and i not in leaking and j not in leaking:
                name = f"{features[i]} {symbol} {features[j]}"
                pair = [features[i], features[j]]
                found.append(_numeric_anomaly(name, label, float(scores[i, j]), frame, pair, threshold))
    return found


def _pair_scores(cov: np.ndarray, var: np.ndarray, with_label: np.ndarray, var_label: float, sign: float) -> np.ndarray:
    """Correlation of ``x_i + sign * x_j`` with the label, for every pair, from the covariances."""
    combined_var = var[:, None] + var[None, :] + 2 * sign * cov
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = (with_label[:, None] + sign * with_label[None, :]) / np.sqrt(combined_var * var_label)
    return np.nan_to_num(scores, nan=0.0, posinf=0.0, neginf=0.0)


def _numeric_anomaly(
    name: str, label: str, r: float, frame: pd.DataFrame, columns: list[str], threshold: float
) -> Anomaly:
    rows = frame[[*columns, label]].head(3).to_dict("records")
    return Anomaly.of(
        AnomalyCode.TARGET_LEAKAGE, name,
        f"{name} reproduces the label '{label}' almost exactly (correlation {r:.4f}); "
        f"a model would learn it instead of the real relation: drop it from the features",
        expected=f"|correlation| < {threshold}", observed=round(r, 6), examples=[_plain_row(row) for row in rows],
    )


def _categorical_leaks(
    opened: OpenedData, target: ColumnProfile, features: list[ColumnProfile], threshold: float
) -> list[Anomaly]:
    found = []
    label = quote_identifier(target.name)
    for feature in features:
        if feature.distinct > 0.5 * max(feature.count, 1):
            continue
        column = quote_identifier(feature.name)
        (agreeing, total), = opened.query(
            f"SELECT sum(top), sum(n) FROM (SELECT max(n) AS top, sum(n) AS n FROM ("
            f"SELECT {column} AS f, {label} AS y, count(*) AS n FROM src WHERE {column} IS NOT NULL "
            f"AND {label} IS NOT NULL GROUP BY ALL) GROUP BY f)"
        )
        if total and agreeing / total >= threshold:
            found.append(Anomaly.of(
                AnomalyCode.TARGET_LEAKAGE, feature.name,
                f"column '{feature.name}' determines the label '{target.name}' in {agreeing} of {total} rows; "
                "a model would learn it instead of the real relation: drop it from the features",
                expected=f"share < {threshold}", observed=round(agreeing / total, 6),
            ))
    return found


def _sample(opened: OpenedData, columns: list[str], rows: int) -> pd.DataFrame:
    select = ", ".join(f"CAST({quote_identifier(c)} AS DOUBLE) AS {quote_identifier(c)}" for c in columns)
    (total,), = opened.query("SELECT count(*) FROM src")
    sample = f" USING SAMPLE reservoir({rows} ROWS) REPEATABLE (7)" if total > rows else ""
    return opened.query_frame(f"SELECT {select} FROM src{sample}")


def _plain_row(row: Mapping[Hashable, Any]) -> dict[str, float | None]:
    return {str(k): (float(v) if v == v else None) for k, v in row.items()}


__all__ = ["SAMPLE_ROWS", "THRESHOLD", "check_leakage"]
