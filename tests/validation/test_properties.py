"""Properties that must hold for any data: merges add up exactly, re-binning keeps totals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopline.validation import BinGrid, Histogram, profile

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(st.lists(finite, min_size=1, max_size=200), st.lists(finite, min_size=1, max_size=200),
       st.integers(min_value=2, max_value=60))
def test_histograms_on_one_grid_add_exactly(a: list[float], b: list[float], bins: int) -> None:
    grid = BinGrid.covering(min(a), max(a), integer=False, bins=bins)
    merged = Histogram.from_values(grid, np.array(a)).merge(Histogram.from_values(grid, np.array(b)))
    assert merged == Histogram.from_values(grid, np.array(a + b))


@given(st.lists(finite, min_size=1, max_size=200), st.floats(min_value=-1e3, max_value=1e3),
       st.floats(min_value=1e-3, max_value=1e3), st.integers(min_value=1, max_value=50))
def test_rebinning_keeps_every_value(values: list[float], origin: float, width: float, bins: int) -> None:
    hist = Histogram.from_values(BinGrid.covering(min(values), max(values), integer=False), np.array(values))
    rebinned = hist.rebin(BinGrid(origin, width, bins))
    assert rebinned.total == len(values) and all(c > 0 for c in rebinned.count)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-50, 50)), min_size=2, max_size=60), st.data())
def test_profile_merge_matches_the_whole(values: list[int | None], data: st.DataObject) -> None:
    split = data.draw(st.integers(min_value=1, max_value=len(values) - 1))
    labels = [None if v is None else f"v{v % 7}" for v in values]
    frame = pd.DataFrame({"x": pd.array(values, dtype="Int64"), "s": labels})
    first = profile(frame.iloc[:split])
    merged = first.merge(profile(frame.iloc[split:], reference=first))
    whole = profile(frame)
    x, w = merged.column("x"), whole.column("x")
    assert (x.count, x.missing) == (w.count, w.missing)
    assert x.numeric.value_counts == w.numeric.value_counts
    if w.count:
        assert x.numeric.mean == pytest.approx(w.numeric.mean) and x.numeric.std == pytest.approx(w.numeric.std)
        assert (x.numeric.min, x.numeric.max) == (w.numeric.min, w.numeric.max)
    assert merged.column("s").categories.counts() == whole.column("s").categories.counts()
