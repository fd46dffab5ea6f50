"""How entity keys and feature values are written into an online store, independent of backend.

An entity key is a string: ``i42`` or ``shello`` for one join key (type tag + value), and
``j`` + compact JSON for several. Values are a compact JSON array: first the layout id of
the view's features (names and types, so values written under another definition are
never decoded as this one), then the values in feature order. Timestamps are stored as
microseconds and come back as naive UTC datetimes. JSON, never pickle: whoever can write
to the online store must not be able to run code.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from datetime import date, datetime
from numbers import Integral, Real
from typing import Any

from loopline.features.dtypes import ValueType, from_micros, to_micros
from loopline.features.errors import OnlineStoreError, RetrievalError

_encoder = json.JSONEncoder(separators=(",", ":"), allow_nan=True)
_decode = json.JSONDecoder().decode


def entity_key(values: Sequence[Any]) -> str:
    """The online key of one entity, from its join key values in the view's key order."""
    if len(values) == 1:
        return _scalar_key(values[0])
    return "j" + _encoder.encode([_plain(v) for v in values])


def entity_keys(key_columns: Sequence[Sequence[Any]]) -> list[str]:
    """The online keys of many entities, from one column of values per join key."""
    if len(key_columns) == 1:
        return [_scalar_key(v) for v in key_columns[0]]
    return [entity_key(values) for values in zip(*key_columns, strict=True)]


def _scalar_key(value: Any) -> str:
    if type(value) is int:  # the common case first: no abstract-class checks
        return "i" + str(value)
    if isinstance(value, str):
        return "s" + value
    if isinstance(value, bool):
        return "b1" if value else "b0"
    if isinstance(value, Integral):
        return "i" + str(int(value))
    if isinstance(value, Real) and float(value).is_integer():
        return "i" + str(int(float(value)))  # 7.0 from a JSON body or a float column names entity 7
    return "j" + _encoder.encode([_plain(value)])


def _plain(value: Any) -> Any:
    if isinstance(value, (str, bool)) or value is None:
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    raise RetrievalError(f"a join key value must be an integer, string or bool; got {value!r}")


def layout_id(features: Sequence[tuple[str, ValueType]]) -> str:
    """A short id of a view's feature names and types, in order."""
    text = ",".join(f"{name}:{dtype.value}" for name, dtype in features)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def pack_values(values: Sequence[Any], dtypes: Sequence[ValueType], layout: str) -> bytes:
    """A row's feature values (None or NaN for nulls) as bytes, tagged with the layout id."""
    packed = [layout, *(_pack(v, t) for v, t in zip(values, dtypes, strict=True))]
    return _encoder.encode(packed).encode("utf-8")


def pack_columns(columns: Sequence[Sequence[Any]], dtypes: Sequence[ValueType], layout: str) -> list[bytes]:
    """Many rows' values, given one column per feature, packed as ``pack_values`` packs one row."""
    prepared = [_prepare_column(c, t) for c, t in zip(columns, dtypes, strict=True)]
    encode = _encoder.encode
    return [encode([layout, *row]).encode("utf-8") for row in zip(*prepared, strict=True)]


def _prepare_column(values: Sequence[Any], value_type: ValueType) -> Sequence[Any]:
    if value_type is ValueType.STRING and all(v is None or isinstance(v, str) for v in values):
        return values
    if value_type is ValueType.FLOAT64:
        return [None if v is None or v != v else float(v) for v in values]
    return [_pack(v, value_type) for v in values]


def _pack(value: Any, value_type: ValueType) -> Any:
    if value is None:
        return None
    if value_type is ValueType.FLOAT64:
        number = float(value)
        return None if math.isnan(number) else number
    if value_type is ValueType.TIMESTAMP:
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day)
        return to_micros(value)
    if value_type is ValueType.INT64:
        return int(value)
    if value_type is ValueType.BOOL:
        return bool(value)
    return str(value)


def unpack_values(payload: bytes, layout: str, timestamp_positions: Sequence[int] = ()) -> list[Any]:
    """The values packed by ``pack_values`` (positions listed hold timestamps).

    Raises OnlineStoreError when they were packed under another layout.
    """
    return _checked(_decode(payload.decode("utf-8")), layout, timestamp_positions)


def unpack_many(payloads: Sequence[bytes], layout: str, timestamp_positions: Sequence[int] = ()) -> list[list[Any]]:
    """``unpack_values`` of many payloads, parsed as one JSON array (one parser call, not one per row)."""
    if not payloads:
        return []
    parsed = _decode((b"[" + b",".join(payloads) + b"]").decode("utf-8"))
    if len(parsed) != len(payloads):
        raise OnlineStoreError(
            f"the online store returned {len(payloads)} rows that decode to {len(parsed)}; a stored value is damaged",
            hint="rebuild the online store from the offline data (FeatureStore.rebuild)",
        )
    return [_checked(values, layout, timestamp_positions) for values in parsed]


def _checked(values: list[Any], layout: str, timestamp_positions: Sequence[int]) -> list[Any]:
    if values[0] != layout:
        raise OnlineStoreError(
            "the online store holds values written under a different definition of this view",
            hint="apply the feature definitions (it drops the stale values), then materialize again",
        )
    del values[0]
    for i in timestamp_positions:
        if values[i] is not None:
            values[i] = from_micros(values[i])
    return values


__all__ = ["entity_key", "entity_keys", "layout_id", "pack_columns", "pack_values", "unpack_many", "unpack_values"]
