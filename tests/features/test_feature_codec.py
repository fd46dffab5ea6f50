"""The online encoding: entity keys never collide across types; values round-trip exactly, as JSON."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loopline.features import OnlineStoreError, RetrievalError, ValueType
from loopline.features.online import entity_key, pack_values, unpack_values
from loopline.features.online.codec import entity_keys, layout_id, pack_columns

TYPES = [ValueType.INT64, ValueType.FLOAT64, ValueType.STRING, ValueType.BOOL, ValueType.TIMESTAMP]


def test_keys_of_different_types_differ_and_integer_kinds_agree() -> None:
    keys = {entity_key([v]) for v in (1, "1", True, 1.5, "i1")}
    assert len(keys) == 5
    assert entity_key([np.int64(7)]) == entity_key([7]) == entity_key([7.0]) == "i7"
    assert entity_key([1, "a"]) != entity_key(["1", "a"])
    assert not any(k.startswith("#") for k in keys)  # '#' is reserved for watermarks
    assert entity_keys([[1, 2], ["a", "b"]]) == [entity_key([1, "a"]), entity_key([2, "b"])]
    assert entity_key([None]) not in keys  # a null key names no stored entity (rows with null keys are skipped)
    with pytest.raises(RetrievalError, match=r"a join key value must be an integer, string or bool; got \[1\]"):
        entity_key([[1], 1])


def test_values_round_trip_with_nulls_and_nan_as_none() -> None:
    layout = layout_id([(t.value, t) for t in TYPES])
    when = datetime(1969, 12, 31, 23, 59, 59, 999_999)
    packed = pack_values([-(2**62), math.nan, 'é\n"', False, when], TYPES, layout)
    assert unpack_values(packed, layout, [4]) == [-(2**62), None, 'é\n"', False, when]
    assert unpack_values(pack_values([None] * 5, TYPES, layout), layout, [4]) == [None] * 5


def test_values_packed_under_another_layout_are_refused() -> None:
    packed = pack_values([1], [ValueType.INT64], layout_id([("a", ValueType.INT64)]))
    with pytest.raises(OnlineStoreError, match="written under a different definition of this view"):
        unpack_values(packed, layout_id([("a", ValueType.FLOAT64)]))


@given(
    st.lists(
        st.tuples(
            st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=True, allow_infinity=True), st.text(), st.booleans()
        ),
        max_size=20,
    )
)
def test_column_packing_equals_row_packing(rows: list[tuple[int, float, str, bool]]) -> None:
    dtypes = TYPES[:4]
    layout = layout_id([(t.value, t) for t in dtypes])
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[], [], [], []]
    assert pack_columns(columns, dtypes, layout) == [pack_values(r, dtypes, layout) for r in rows]
    for row, packed in zip(rows, pack_columns(columns, dtypes, layout), strict=True):
        back = unpack_values(packed, layout)
        assert back[0] == row[0] and back[2] == row[2] and back[3] == row[3]
        assert (back[1] is None and math.isnan(row[1])) or back[1] == row[1]
