"""Comparing a shadow's answers with the live version's, from the prediction log.

A server sends the shadow a copy of each request and logs its answers under the request id
followed by ``SHADOW_SUFFIX`` (``served_as = shadow``); they are never returned. This
module pairs each shadow answer with the live answer to the same request and record and,
for numbers, measures how far apart they are; once ground truth arrives through feedback
on the live request, both are scored against it (mean absolute error).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SHADOW_SUFFIX = ".shadow"
_PAGE = 10_000


def shadow_request_id(request_id: str) -> str:
    """The id a shadow's answer to ``request_id`` is logged under."""
    return f"{request_id}{SHADOW_SUFFIX}"


@dataclass(frozen=True)
class ShadowComparison:
    """Paired answers of the shadow and the live version; errors are None without numbers or labels."""

    model: str
    shadow_version: int
    pairs: int
    agreement: float | None
    mean_abs_difference: float | None
    max_abs_difference: float | None
    labelled: int
    live_mae: float | None
    shadow_mae: float | None


def compare_shadow(log: Any, model: str, shadow_version: int, *, since: datetime | None = None) -> ShadowComparison:
    """Pair the shadow's logged answers with the live ones (``log`` is an open PredictionLog)."""
    shadow = {(p.request_id[: -len(SHADOW_SUFFIX)], p.row_index): p.output
              for p in _all(log, model, shadow_version, since) if p.served_as == "shadow"}
    live: dict[tuple[str, int], tuple[Any, Any, bool]] = {}
    for p in _all(log, model, None, since):
        key = (p.request_id, p.row_index)
        if p.served_as != "shadow" and key in shadow:
            live[key] = (p.output, p.label, p.labelled_at is not None)
    diffs, same, live_errors, shadow_errors = [], 0, [], []
    for key, (output, label, has_label) in live.items():
        other = shadow[key]
        same += output == other
        if _is_number(output) and _is_number(other):
            diffs.append(abs(float(output) - float(other)))
            if has_label and _is_number(label):
                live_errors.append(abs(float(output) - float(label)))
                shadow_errors.append(abs(float(other) - float(label)))
    pairs = len(live)
    return ShadowComparison(
        model, shadow_version, pairs, same / pairs if pairs else None,
        sum(diffs) / len(diffs) if diffs else None, max(diffs) if diffs else None, len(live_errors),
        _mean(live_errors), _mean(shadow_errors),
    )


def _all(log: Any, model: str, version: int | None, since: datetime | None) -> list[Any]:
    found: list[Any] = []
    after = None
    while True:
        page = log.list(model=model, version=version, since=since, after_id=after, limit=_PAGE, with_labels=True)
        found.extend(page)
        if len(page) < _PAGE:
            return found
        after = page[-1].id


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


__all__ = ["SHADOW_SUFFIX", "ShadowComparison", "compare_shadow", "shadow_request_id"]
