"""A window's logged predictions as a table: one row per prediction, one column per watched input,
plus the model's output (``prediction``), the label where feedback arrived, and the latency."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from loopline.metadata.predictions import LoggedPrediction
from loopline.monitoring.reference import PREDICTION

LABEL = "__label__"
LATENCY = "__latency_ms__"
ERROR = "__error__"


def window_frame(rows: Sequence[LoggedPrediction], features: Sequence[str]) -> Any:
    """The rows as a DataFrame; an input absent from a record is a missing value (None)."""
    import pandas as pd

    outputs = [scalar_output(row.output) for row in rows]
    data: dict[str, Any] = {name: _typed([row.inputs.get(name) for row in rows]) for name in features}
    data[PREDICTION] = _typed(outputs)
    data[LABEL] = pd.Series([row.label if row.labelled_at is not None else None for row in rows], dtype=object)
    data[LATENCY] = np.array([float(row.latency_ms) for row in rows], dtype=np.float64)
    data[ERROR] = np.array([value is None for value in outputs], dtype=bool)
    return pd.DataFrame(data, columns=[*features, PREDICTION, LABEL, LATENCY, ERROR])


def scalar_output(output: Any) -> Any:
    """The prediction a logged output holds: a number or a class; None for an error or a missing output."""
    if isinstance(output, dict):
        if "error" in output:
            return None
        if "prediction" in output:
            return scalar_output(output["prediction"])
        return scalar_output(next(iter(output.values()))) if len(output) == 1 else None
    if isinstance(output, list):
        return scalar_output(output[0]) if len(output) == 1 else None
    if isinstance(output, float) and not math.isfinite(output):
        return None
    if isinstance(output, bool) or output is None:
        return output
    return output if isinstance(output, int | float | str) else None


def _typed(values: list[Any]) -> Any:
    """Numbers as float64 (None as NaN), so that profiling sees a numeric column; anything else as it is."""
    import pandas as pd

    kinds = {type(v) for v in values if v is not None}
    if kinds and kinds <= _NUMBERS:
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    if kinds and all(issubclass(k, int | float) and not issubclass(k, bool) for k in kinds):
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    return pd.Series(values, dtype=object)


_NUMBERS = frozenset({int, float})


__all__ = ["ERROR", "LABEL", "LATENCY", "window_frame", "scalar_output"]
