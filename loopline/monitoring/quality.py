"""Data quality of one window's inputs against the training schema: missing values, values outside
the schema's range or domain, categories never seen in training.

Counted from the logged values themselves (not from a profile), so each verdict comes with
exact numbers: per column the share missing (and what the schema allows), the share out of
domain, and the new categories with their counts.
"""

from __future__ import annotations

import math
from typing import Any

from loopline.monitoring.reference import TrainingReference
from loopline.monitoring.verdicts import ISSUES, OK, not_enough
from loopline.validation import ColumnKind

MAX_LISTED = 20


def data_quality(reference: TrainingReference, frame: Any, features: tuple[str, ...], *,
                 min_rows: int) -> dict[str, Any]:
    rows = len(frame)
    if rows < min_rows:
        return not_enough(f"{rows} prediction(s) in the window; at least {min_rows} needed")
    columns = [_column(reference, frame[name], name, rows) for name in features]
    problems = [c["column"] for c in columns if c["issues"]]
    return {
        "verdict": ISSUES if problems else OK, "columns_with_issues": problems,
        "missing_max": max(c["missing_share"] for c in columns) if columns else 0.0,
        "out_of_domain_max": max(c["out_of_domain_share"] for c in columns) if columns else 0.0,
        "new_categories": sum(len(c["new_categories"]) for c in columns), "columns": columns,
    }


def _column(reference: TrainingReference, values: Any, name: str, rows: int) -> dict[str, Any]:
    schema = reference.schema.column(name) if name in reference.schema else None
    present = [v for v in values.tolist() if not _missing(v)]
    missing_share = 1 - len(present) / rows
    allowed = schema.max_missing_fraction if schema is not None else 0.0
    outside, new = _outside(reference, schema, name, present)
    issues = []
    if missing_share > allowed:
        issues.append(f"{missing_share:.1%} missing; at most {allowed:.1%} allowed")
    if outside:
        issues.append(f"{outside} value(s) outside the training domain")
    if new:
        issues.append(f"{len(new)} new categor{'y' if len(new) == 1 else 'ies'}")
    return {"column": name, "missing_share": missing_share, "max_missing_share": allowed, "out_of_domain": outside,
            "out_of_domain_share": outside / rows, "new_categories": new, "issues": issues}


def _outside(reference: TrainingReference, schema: Any, name: str, present: list[Any]) -> tuple[int, dict[str, int]]:
    """How many values fall outside the range or domain, and the categories training never saw."""
    if schema is None:
        return 0, {}
    if schema.kind == ColumnKind.NUMERIC:
        outside = 0
        for value in present:
            if isinstance(value, bool) or not isinstance(value, int | float):
                outside += 1  # not a number at all
            elif (schema.min is not None and value < schema.min) or (schema.max is not None and value > schema.max):
                outside += 1
        return outside, {}
    known = _known_categories(reference, name)
    new: dict[str, int] = {}
    for value in present:
        text = str(value)
        if known is not None and text not in known:
            new[text] = new.get(text, 0) + 1
    domain = set(schema.domain) if schema.domain is not None else None
    outside = sum(1 for v in present if domain is not None and str(v) not in domain)
    listed = dict(sorted(new.items(), key=lambda kv: -kv[1])[:MAX_LISTED])
    return outside, listed


def _known_categories(reference: TrainingReference, name: str) -> set[str] | None:
    """The training categories, when the profile knows all of them (None: only the most frequent)."""
    if name not in reference.profile:
        return None
    stats = reference.profile.column(name).categories
    if stats is None or stats.other:
        return None
    return {value for value, _ in stats.top}


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


__all__ = ["data_quality"]
