"""Checks that need no schema, read from a profile: empty data, all-null, constant and mixed-type
columns, NaN and infinities, duplicate rows. Each column is judged on its own, so one bad
column never hides (or crashes) the checks of the others.
"""

from __future__ import annotations

from loopline.validation.anomalies import Anomaly, AnomalyCode
from loopline.validation.profile import ColumnProfile, Profile


def check_quality(stats: Profile) -> list[Anomaly]:
    """Anomalies visible in the profile alone."""
    if stats.rows == 0:
        return [Anomaly.of(
            AnomalyCode.EMPTY_DATASET, None,
            f"the dataset has no rows ({len(stats.columns)} columns); expected at least one row",
            expected=">= 1 row", observed=0,
        )]
    found: list[Anomaly] = []
    for col in stats.columns:
        found.extend(check_column_quality(col))
    if stats.duplicate_rows:
        share = stats.duplicate_rows / stats.rows
        found.append(Anomaly.of(
            AnomalyCode.DUPLICATE_ROWS, None,
            f"{stats.duplicate_rows} of {stats.rows} rows ({share:.1%}) repeat an earlier row exactly; "
            "drop them unless repeated observations are expected",
            expected=0, observed=stats.duplicate_rows,
        ))
    return found


def check_column_quality(col: ColumnProfile) -> list[Anomaly]:
    if not col.count:
        return [Anomaly.of(
            AnomalyCode.ALL_NULL, col.name, f"column '{col.name}' has no values: all {col.rows} rows are missing",
            expected="some values", observed=0,
        )]
    found = []
    stats = col.numeric
    if stats is not None and (stats.nan or stats.inf):
        found.append(Anomaly.of(
            AnomalyCode.NAN_OR_INF, col.name,
            f"column '{col.name}' holds {stats.nan} NaN and {stats.inf} infinite values; expected finite numbers",
            expected="finite", observed={"nan": stats.nan, "inf": stats.inf},
            examples=[v for v, n in (("NaN", stats.nan), ("inf", stats.inf)) if n],
        ))
    if col.distinct == 1 and col.distinct_exact and col.count > 1:
        value = col.numeric.min if col.numeric is not None else _only_value(col)
        found.append(Anomaly.of(
            AnomalyCode.CONSTANT_COLUMN, col.name,
            f"column '{col.name}' has the same value ({value!r}) in all {col.count} non-missing rows; "
            "it carries no information",
            expected="> 1 distinct value", observed=1, examples=[value],
        ))
    if col.mixed_types:
        found.append(Anomaly.of(
            AnomalyCode.MIXED_TYPES, col.name,
            f"column '{col.name}' mixes value types ({', '.join(col.mixed_types)}); expected one type per column",
            expected="one type", observed=list(col.mixed_types),
            examples=[v for v, _ in col.categories.top] if col.categories is not None else [],
        ))
    return found


def _only_value(col: ColumnProfile) -> object:
    if col.categories is not None and col.categories.top:
        return col.categories.top[0][0]
    if col.datetime is not None:
        return col.datetime.min
    return None


__all__ = ["check_column_quality", "check_quality"]
