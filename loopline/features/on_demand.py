"""Running an on-demand view's function: the one code path for training sets and online lookups."""

from __future__ import annotations

import pandas as pd

from loopline.features.dtypes import cast_column
from loopline.features.errors import RetrievalError
from loopline.features.plan import OnDemandRequest


def compute_on_demand(request: OnDemandRequest, inputs: pd.DataFrame) -> pd.DataFrame:
    """The requested outputs of ``request.view`` for each row of ``inputs``, cast to their dtypes.

    ``inputs`` holds the request fields and the source views' features under their plain
    names, typed as in a training frame. The result has the same length and a fresh index.
    """
    view = request.view
    where = f"on-demand feature view '{view.name}'"
    try:
        result = view.function(inputs)
    except Exception as exc:
        raise RetrievalError(f"the function of {where} raised {type(exc).__name__}: {exc}") from exc
    if not isinstance(result, pd.DataFrame):
        raise RetrievalError(f"the function of {where} returned {type(result).__name__}; expected a DataFrame")
    if len(result) != len(inputs):
        raise RetrievalError(
            f"the function of {where} returned {len(result)} rows for {len(inputs)} input rows",
            hint="return one output row per input row, in the same order",
        )
    missing = [f.name for f in request.outputs if f.name not in result.columns]
    if missing:
        raise RetrievalError(f"the function of {where} did not return {', '.join(missing)}")
    columns = {}
    for feature in request.outputs:
        values = result[feature.name].reset_index(drop=True)
        try:
            columns[feature.name] = cast_column(values, feature.dtype)
        except (TypeError, ValueError) as exc:
            raise RetrievalError(
                f"{where}: the feature '{feature.name}' is declared {feature.dtype.value} "
                f"but the function returned {values.dtype} values that do not convert: {exc}"
            ) from None
    return pd.DataFrame(columns, index=pd.RangeIndex(len(inputs)))


__all__ = ["compute_on_demand"]
