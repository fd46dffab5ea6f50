"""profile_frame (NumPy, for small in-memory frames) agrees with the DuckDB profile on every statistic
both compute exactly, and on the numbers drift is measured from."""

import numpy as np
import pandas as pd
import pytest

from loopline.validation import profile
from loopline.validation.drift import detect_drift
from loopline.validation.frame_profile import profile_frame


def frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    temp = rng.normal(0.5, 0.2, n)
    temp[rng.random(n) < 0.1] = np.nan
    temp[:1] = np.inf
    return pd.DataFrame({
        "temp": temp,
        "hour": (np.arange(n) % 24).astype("int64"),
        "zero_heavy": np.where(rng.random(n) < 0.5, 0.0, rng.exponential(3, n)),
        "weather": rng.choice(["clear", "mist", "rain", "12"], n).astype(object),
        "holiday": rng.random(n) < 0.1,
        "note": pd.Series([f"text {i}" if i % 7 else None for i in range(n)], dtype=object),
        "at": pd.date_range("2011-01-01", periods=n, freq="h").where(rng.random(n) > 0.05),
        "constant": np.ones(n),
        "empty": np.full(n, np.nan),
    })


@pytest.mark.parametrize("n", [1, 24, 500])
def test_same_profile_as_duckdb(n: int) -> None:
    reference = profile(frame(2000, seed=1))
    data = frame(n, seed=n)
    ours, theirs = profile_frame(data, reference=reference), profile(data, reference=reference)
    assert ours.rows == theirs.rows and ours.duplicate_rows == theirs.duplicate_rows
    for name in data.columns:
        a, b = ours.column(name), theirs.column(name)
        assert (a.kind, a.count, a.missing, a.sql_type) == (b.kind, b.count, b.missing, b.sql_type), name
        if b.distinct_exact:
            assert a.distinct == b.distinct, name
        if b.numeric is not None:
            x, y = a.numeric, b.numeric
            assert (x.finite, x.nan, x.inf, x.zeros, x.min, x.max) == (y.finite, y.nan, y.inf, y.zeros, y.min, y.max)
            assert x.mean == pytest.approx(y.mean, rel=1e-9, abs=1e-12) if y.mean is not None else x.mean is None
            assert x.m2 == pytest.approx(y.m2, rel=1e-6, abs=1e-9)
            assert x.value_counts == y.value_counts, name
            if y.histogram is not None and name in reference:
                assert x.histogram == y.histogram, name
        if b.categories is not None:
            assert a.categories == b.categories, name
        if b.datetime is not None:
            assert a.datetime == b.datetime, name


def test_drift_from_either_profile_is_the_same() -> None:
    reference = profile(frame(2000, seed=1))
    current = frame(24, seed=5)
    current["temp"] += 0.4
    ours = detect_drift(reference, profile_frame(current, reference=reference))
    theirs = detect_drift(reference, profile(current, reference=reference))
    assert ours.to_dict()["columns"] == theirs.to_dict()["columns"]


def test_columns_it_cannot_read_go_to_duckdb() -> None:
    mixed = pd.DataFrame({"x": [1, "a", 2.5, None]})
    assert profile_frame(mixed) == profile(mixed)
