"""MLflow's scoring protocol (``POST /invocations``), so clients written for ``mlflow models serve`` work.

JSON bodies carry exactly one of ``dataframe_split`` (``{"columns": [...], "data":
[[...], ...]}``), ``dataframe_records`` (a list of objects), ``instances`` or ``inputs``
(a list of objects, a list of rows in the model's input order, or an object of column
to values). A ``text/csv`` body is a table with a header row. The answer is
``{"predictions": [...]}``.
"""

from __future__ import annotations

import io
import math
from typing import Any

from loopline.serving.errors import RequestRejected, UnsupportedMediaType
from loopline.serving.signature import ServingSignature

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")


def decode_json(body: Any, signature: ServingSignature) -> list[dict[str, Any]]:
    """The records of a JSON invocation; RequestRejected naming what is wrong."""
    if not isinstance(body, dict):
        raise _rejected(f"the body must be a JSON object with one of {', '.join(FORMATS)}, got {type(body).__name__}")
    given = [key for key in FORMATS if key in body]
    unknown = sorted(set(body) - set(FORMATS))
    if len(given) != 1 or unknown:
        found = ", ".join(sorted(body)) or "nothing"
        raise _rejected(f"the body must hold exactly one of {', '.join(FORMATS)} (and nothing else); it holds {found}")
    key = given[0]
    value = body[key]
    if key == "dataframe_split":
        return _split(value)
    if key == "dataframe_records":
        return _records(value, key)
    return _instances(value, key, signature)


def decode_csv(body: bytes) -> list[dict[str, Any]]:
    """The records of a CSV body with a header row (empty cells become null)."""
    import pandas as pd

    try:
        frame = pd.read_csv(io.BytesIO(body))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _rejected(f"the CSV body cannot be read: {exc}") from None
    return [{k: _null_nan(v) for k, v in row.items()} for row in frame.to_dict("records")]


def content_kind(content_type: str | None) -> str:
    """``json`` or ``csv`` from a Content-Type header; UnsupportedMediaType otherwise."""
    media = (content_type or "application/json").split(";", 1)[0].strip().lower()
    if media in ("application/json", ""):
        return "json"
    if media == "text/csv":
        return "csv"
    raise UnsupportedMediaType(
        f"/invocations reads application/json or text/csv, not {media}",
        hint="send the body as JSON (Content-Type: application/json)",
    )


def _split(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, dict) or not isinstance(value.get("columns"), list) or not isinstance(
        value.get("data"), list
    ):
        raise _rejected("'dataframe_split' must be an object with 'columns' (a list) and 'data' (a list of rows)")
    columns = value["columns"]
    if not all(isinstance(c, str) for c in columns):
        raise _rejected("'dataframe_split.columns' must hold column names")
    bad = [i for i, row in enumerate(value["data"]) if not isinstance(row, list) or len(row) != len(columns)]
    if bad:
        raise _rejected(f"'dataframe_split.data' rows {bad[:5]} do not have {len(columns)} values (one per column)")
    return [dict(zip(columns, row, strict=True)) for row in value["data"]]


def _records(value: Any, key: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise _rejected(f"'{key}' must be a list of objects of column to value")
    return value


def _instances(value: Any, key: str, signature: ServingSignature) -> list[dict[str, Any]]:
    inputs = signature.input_names
    if isinstance(value, dict):  # columnar: {"col": [v1, v2], ...}
        columns = {k: v if isinstance(v, list) else [v] for k, v in value.items()}
        lengths = {len(v) for v in columns.values()}
        if len(lengths) != 1:
            raise _rejected(f"the columns of '{key}' hold different numbers of values")
        return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]
    if not isinstance(value, list):
        raise _rejected(f"'{key}' must be a list or an object of column to values")
    if all(isinstance(v, dict) for v in value):
        return value
    if all(isinstance(v, list) for v in value):
        bad = [i for i, row in enumerate(value) if len(row) != len(inputs)]
        if bad:
            raise _rejected(f"'{key}' rows {bad[:5]} do not have {len(inputs)} values, one per input "
                            f"({', '.join(inputs)})")
        return [dict(zip(inputs, row, strict=True)) for row in value]
    if len(inputs) == 1 and not any(isinstance(v, dict | list) for v in value):
        return [{inputs[0]: v} for v in value]
    raise _rejected(f"'{key}' must hold objects, or rows of {len(inputs)} values in the order {', '.join(inputs)}")


def _null_nan(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _rejected(message: str) -> RequestRejected:
    return RequestRejected(message, problems=[{"message": message}],
                           hint='e.g. {"dataframe_records": [{"col": 1.0, ...}]}')


__all__ = ["FORMATS", "content_kind", "decode_csv", "decode_json"]
