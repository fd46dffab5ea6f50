"""Profiles: figures agree with pandas, serialise to JSON, merge windows without the raw data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loopline.errors import NotFoundError
from loopline.validation import ColumnKind, Histogram, IncompatibleProfilesError, Profile, profile


def test_bike_profile_matches_pandas(bike_profile: Profile, bike_frame: pd.DataFrame) -> None:
    assert bike_profile.rows == 17_379 and bike_profile.duplicate_rows == 0
    for name in ("temp", "hum", "cnt", "casual", "hr"):
        col, values = bike_profile.column(name), bike_frame[name]
        assert col.kind == ColumnKind.NUMERIC and col.count == 17_379 and col.missing == 0
        assert col.numeric.min == values.min() and col.numeric.max == values.max()
        assert col.numeric.mean == pytest.approx(values.mean(), rel=1e-12)
        assert col.numeric.std == pytest.approx(values.std(ddof=0), rel=1e-9)
        assert col.numeric.zeros == int((values == 0).sum())
        assert col.numeric.histogram.total == 17_379
    # season has few values: exact counts and exact quantiles
    season = bike_profile.column("season")
    assert dict(season.numeric.value_counts) == bike_frame["season"].value_counts().to_dict()
    assert season.distinct == 4 and season.distinct_exact and season.numeric.quantile_method == "exact"
    assert season.numeric.quantile(0.5) == bike_frame["season"].quantile(0.5, interpolation="lower")


def test_approximate_quantiles_are_close(bike_profile: Profile, bike_frame: pd.DataFrame) -> None:
    cnt = bike_profile.column("cnt").numeric
    assert cnt.quantile_method == "t-digest"
    for q in (0.05, 0.25, 0.5, 0.75, 0.95):
        assert cnt.quantile(q) == pytest.approx(bike_frame["cnt"].quantile(q), rel=0.03, abs=2)


def test_dates_are_datetimes_with_gaps(bike_profile: Profile) -> None:
    day = bike_profile.column("dteday")
    assert day.kind == ColumnKind.DATETIME
    assert (day.datetime.min, day.datetime.max) == ("2011-01-01", "2012-12-31")
    assert day.datetime.gaps[0].seconds == 86_400


def test_iso_date_strings_in_a_frame_are_datetimes(bike_frame: pd.DataFrame) -> None:
    stats = profile(bike_frame[["dteday", "cnt"]].head(100))
    assert stats.column("dteday").kind == ColumnKind.DATETIME


def test_json_round_trip(bike_profile: Profile) -> None:
    text = json.dumps(bike_profile.to_dict(), allow_nan=False)
    assert Profile.from_dict(json.loads(text)) == bike_profile


def test_from_dict_refuses_other_documents() -> None:
    with pytest.raises(IncompatibleProfilesError, match="not a profile"):
        Profile.from_dict({"rows": 1})
    with pytest.raises(IncompatibleProfilesError, match="newer than this Loopline reads"):
        Profile.from_dict({"format": "loopline.profile", "version": 99, "rows": 0, "columns": []})


def test_unknown_column_suggests_a_name(bike_profile: Profile) -> None:
    with pytest.raises(NotFoundError, match="no column 'tmp'") as info:
        bike_profile.column("tmp")
    assert "temp" in str(info.value)


def test_merge_on_a_shared_grid_is_exact(bike_frame: pd.DataFrame) -> None:
    first, second = bike_frame.iloc[:9000], bike_frame.iloc[9000:]
    whole = profile(bike_frame)
    a = profile(first)
    merged = a.merge(profile(second, reference=a))
    assert merged.rows == whole.rows and merged.windows == 2
    for name in ("temp", "cnt", "season", "registered"):
        m, w = merged.column(name).numeric, whole.column(name).numeric
        assert (m.finite, m.min, m.max, m.zeros) == (w.finite, w.min, w.max, w.zeros)
        assert m.mean == pytest.approx(w.mean, rel=1e-12) and m.std == pytest.approx(w.std, rel=1e-9)
        assert m.histogram.total == w.histogram.total == 17_379
    reference_grid = a.column("cnt").numeric.histogram.grid
    assert merged.column("cnt").numeric.histogram.grid == reference_grid
    whole_on_grid = Histogram.from_values(reference_grid, bike_frame["cnt"].to_numpy())
    assert merged.column("cnt").numeric.histogram == whole_on_grid
    assert merged.column("season").numeric.value_counts == whole.column("season").numeric.value_counts
    assert merged.column("dteday").datetime.min == "2011-01-01T00:00:00"


def test_merge_quantiles_come_from_the_histogram(bike_frame: pd.DataFrame) -> None:
    a, b = profile(bike_frame.iloc[:5000]), profile(bike_frame.iloc[5000:])  # different grids: re-binned
    merged = a.merge(b).column("cnt").numeric
    assert merged.quantile_method == "histogram"
    width = merged.histogram.grid.width
    for q in (0.25, 0.5, 0.75):
        assert merged.quantile(q) == pytest.approx(bike_frame["cnt"].quantile(q), abs=2 * width)


def test_merge_categories_and_missing_columns() -> None:
    a = profile(pd.DataFrame({"c": ["x", "y", "x"], "only_a": [1, 2, 3]}))
    b = profile(pd.DataFrame({"c": ["y", "z", None]}))
    merged = a.merge(b)
    assert merged.column("c").categories.counts() == {"x": 2, "y": 2, "z": 1}
    assert merged.column("c").distinct == 3 and merged.column("c").missing == 1
    only_a = merged.column("only_a")
    assert (only_a.count, only_a.missing) == (3, 3)


def test_merge_refuses_a_kind_change() -> None:
    a = profile(pd.DataFrame({"v": [1.0, 2.0]}))
    b = profile(pd.DataFrame({"v": ["x", "y"]}))
    with pytest.raises(IncompatibleProfilesError, match="column 'v' is numeric in one profile and categorical"):
        a.merge(b)


def test_edge_cases_never_crash(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "nan_inf": [1.0, np.nan, np.inf, -np.inf, 5.0],
        "all_null": [None] * 5,
        "constant": [3] * 5,
        "mixed": [1, "x", 2.5, None, 3],
        "flag": [True, False, True, None, True],
    })
    stats = profile(frame)
    assert stats.column("nan_inf").numeric.inf == 2  # pandas NaN is a missing value
    assert stats.column("all_null").count == 0
    assert stats.column("constant").distinct == 1
    assert stats.column("mixed").mixed_types == ("float", "int", "str")
    assert stats.column("flag").categories.counts() == {"true": 3, "false": 1}
    pq.write_table(pa.table({"x": [1.0, float("nan"), float("inf")]}), tmp_path / "n.parquet")
    parquet = profile(tmp_path / "n.parquet").column("x").numeric
    assert (parquet.nan, parquet.inf, parquet.finite) == (1, 1, 1)
    empty = profile(frame.iloc[:0])
    assert empty.rows == 0 and all(c.count == 0 for c in empty.columns)
    json.dumps(empty.to_dict(), allow_nan=False)


def test_csv_numbers_mixed_with_text(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("x\n1\n2\nn/a\n4\n")
    col = profile(path).column("x")
    assert col.kind == ColumnKind.CATEGORICAL and col.mixed_types == ("number", "text")
    assert col.categories.numeric_like == 3


def test_high_cardinality_strings_keep_top_values_and_other() -> None:
    values = [f"user_{i}" for i in range(1000)] + ["common"] * 500
    col = profile(pd.DataFrame({"u": values})).column("u")
    assert col.kind == ColumnKind.TEXT
    assert col.categories.top[0] == ("common", 500)
    assert len(col.categories.top) == 100 and col.categories.other == 1500 - 500 - 99
    assert not col.distinct_exact and 900 <= col.distinct <= 1100


def test_duplicate_rows_are_counted() -> None:
    frame = pd.DataFrame({"a": [1, 1, 2, 1], "b": ["x", "x", "y", "x"]})
    assert profile(frame).duplicate_rows == 2
