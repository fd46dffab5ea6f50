"""Operations of one window: latency percentiles and the error rate.

A logged prediction whose output is missing, not finite or an error object counts as an
error. Requests refused before they reached the model are not in the prediction log; the
server's ``/metrics`` counts those.
"""

from __future__ import annotations

from typing import Any

from loopline.monitoring.frames import ERROR, LATENCY
from loopline.monitoring.verdicts import MEASURED, not_enough

PERCENTILES = (50, 95, 99)


def operations(frame: Any, *, min_rows: int) -> dict[str, Any]:
    import numpy as np

    rows = len(frame)
    if rows < min_rows:
        return not_enough(f"{rows} prediction(s) in the window; at least {min_rows} needed")
    latencies = frame[LATENCY].to_numpy(dtype=np.float64)
    errors = int(frame[ERROR].sum())
    found: dict[str, Any] = {"verdict": MEASURED, "rows": rows, "errors": errors, "error_rate": errors / rows,
                             "latency_mean_ms": float(latencies.mean())}
    for p, value in zip(PERCENTILES, np.percentile(latencies, PERCENTILES), strict=True):
        found[f"latency_p{p}_ms"] = float(value)
    return found


__all__ = ["PERCENTILES", "operations"]
