"""The fast paths give the same answers as the general ones: Arrow reading for drift, the
current side against a stored profile, the validation profile without distributions, and the
exact counting of string values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loopline.validation import (
    AnomalyCode,
    ColumnKind,
    ColumnSchema,
    DataReadError,
    Schema,
    detect_drift,
    profile,
    validate,
)
from loopline.validation.drift import DriftOptions
from loopline.validation.drift_inputs import load_side, side_from_profile
from loopline.validation.profiling import STRING_COUNT_LIMIT, profile_opened
from loopline.validation.reading import arrow_columns, open_data

RNG = np.random.default_rng(3)
MEASURES = ("ks", "wasserstein", "psi", "jensenshannon")


def _frame(n: int, shift: float = 0.0) -> pd.DataFrame:
    num = RNG.normal(shift, 1, n)
    num[::97] = np.nan
    labels = RNG.choice(["red", "green", "blue", "grey"], n).astype(object)
    labels[::89] = None
    return pd.DataFrame({
        "num": num,
        "count": RNG.poisson(30 + 5 * shift, n),
        "label": labels,
        "flag": RNG.random(n) < 0.3 + 0.1 * shift,
        "kind": pd.Categorical(RNG.choice(["a", "b"], n)),
        "day": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n) // 100, unit="D"),
        "iso": [f"2024-02-{1 + i % 28:02d}" for i in range(n)],
    })


def _parquet(frame: pd.DataFrame, path: Path) -> Path:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    return path


def _assert_same(report, expected) -> None:  # type: ignore[no-untyped-def]
    assert [c.column for c in report.columns] == [c.column for c in expected.columns]
    for ours, theirs in zip(report.columns, expected.columns, strict=True):
        assert (ours.measure, ours.verdict) == (theirs.measure, theirs.verdict)
        assert ours.current_count == theirs.current_count
        assert ours.statistic == pytest.approx(theirs.statistic, rel=1e-12)
        assert (ours.p_value is None) == (theirs.p_value is None)
        assert ours.p_value == (None if theirs.p_value is None else pytest.approx(theirs.p_value, rel=1e-12))


@pytest.mark.parametrize("measure", MEASURES)
def test_parquet_files_give_the_answers_of_the_same_frames(tmp_path: Path, measure: str) -> None:
    reference, current = _frame(3000), _frame(2000, shift=0.3)
    options = DriftOptions(numeric_measure=measure)
    from_files = detect_drift(_parquet(reference, tmp_path / "r.parquet"), _parquet(current, tmp_path / "c.parquet"),
                              options=options)
    from_frames = detect_drift(reference, current, options=options)
    _assert_same(from_files, from_frames)
    assert {c.column for c in from_files.columns} == {"num", "count", "label", "flag", "kind"}  # dates skipped


def test_csv_and_arrow_tables_take_the_same_route(tmp_path: Path) -> None:
    reference, current = _frame(1500)[["num", "count", "label"]], _frame(1500, shift=1.0)[["num", "count", "label"]]
    reference.to_csv(tmp_path / "r.csv", index=False)
    expected = detect_drift(reference, current)
    _assert_same(detect_drift(tmp_path / "r.csv", current), expected)
    _assert_same(detect_drift(pa.Table.from_pandas(reference, preserve_index=False), current), expected)


def test_unreadable_parquet_and_duplicate_names_are_read_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1" + b"\x00" * 64)
    with pytest.raises(DataReadError, match=r"cannot read .*broken\.parquet as Parquet") as caught:
        detect_drift(broken, _frame(100))
    assert "complete Parquet file" in (caught.value.hint or "")
    duplicated = pa.table([pa.array([1, 2]), pa.array([3, 4])], names=["x", "x"])
    with pytest.raises(DataReadError, match=r"duplicate column names: \['x'\]"):
        arrow_columns(duplicated)


def test_parquet_columns_are_read_one_at_a_time(tmp_path: Path) -> None:
    path = _parquet(_frame(500)[["num", "label"]], tmp_path / "d.parquet")
    columns = arrow_columns(path)
    assert columns.rows == 500 and columns.names == ("num", "label")
    read = columns.read()
    name, first = next(read)
    assert name == "num" and pa.types.is_floating(first.type) and first.null_count == 6


def test_current_data_against_a_profile_keeps_only_what_is_compared() -> None:
    reference, current = _frame(4000), _frame(4000, shift=0.5)
    stored = side_from_profile(profile(reference))
    side = load_side(current, stored.needs())
    assert side.columns["num"].numeric.values is None and side.columns["num"].numeric.value_counts is None
    assert side.columns["count"].numeric.value_counts is not None  # the reference counted its few values too
    assert load_side(current).columns["num"].numeric.values is not None  # raw against raw stays exact
    report = detect_drift(profile(reference), current)
    assert set(report.drifted_columns) >= {"num", "count"}
    assert report.column("num").approximate and not report.column("label").approximate


def _messy(n: int) -> pd.DataFrame:
    values = RNG.normal(10, 2, n)
    values[:3] = [np.inf, -np.inf, np.nan]  # the NaN reaches DuckDB from pandas as a missing value
    return pd.DataFrame({
        "x": values, "constant": np.ones(n), "label": RNG.choice(["a", "b", "c"], n),
        "score": RNG.uniform(0, 1, n),
    })


def test_the_validation_profile_finds_what_the_full_profile_finds() -> None:
    frame = _messy(2000)
    frame.loc[5, "label"] = "zzz"
    frame.loc[7, "score"] = 4.0
    schema = Schema(columns=(
        ColumnSchema("x", ColumnKind.NUMERIC, min=0, max=20, max_missing_fraction=0.01),
        ColumnSchema("constant", ColumnKind.NUMERIC),
        ColumnSchema("label", ColumnKind.CATEGORICAL, domain=("a", "b", "c")),
        ColumnSchema("score", ColumnKind.NUMERIC, min=0, max=1),
    ))
    with open_data(frame) as opened:
        full, light = profile_opened(opened), profile_opened(opened, distributions=False)
    x = light.column("x").numeric
    assert (x.inf, x.histogram, x.quantiles[0], x.mean) == (2, None, None, None)
    assert (x.min, x.max) == (full.column("x").numeric.min, full.column("x").numeric.max)
    codes = {(a.code, a.column) for a in validate(frame, schema, data_checks=False).anomalies}
    assert codes == {(AnomalyCode.NAN_OR_INF, "x"), (AnomalyCode.CONSTANT_COLUMN, "constant"),
                     (AnomalyCode.UNEXPECTED_CATEGORY, "label"), (AnomalyCode.OUT_OF_RANGE, "score")}


def test_finite_statistics_skip_nan_and_infinity() -> None:
    table = pa.table({"v": pa.array([1.0, 2.0, np.inf, np.nan, -np.inf, None, 3.0], from_pandas=False)})
    stats = profile(table).column("v").numeric
    assert (stats.min, stats.max, stats.mean, stats.nan, stats.inf, stats.finite) == (1.0, 3.0, 2.0, 1, 2, 3)
    assert stats.histogram.total == 3


def test_strings_with_many_values_count_their_top_values_exactly() -> None:
    many = STRING_COUNT_LIMIT * 3
    values = [f"id_{i}" for i in range(many)] + ["common"] * 700 + ["second"] * 300
    col = profile(pd.DataFrame({"u": values})).column("u")
    assert col.categories.top[:2] == (("common", 700), ("second", 300))
    assert len(col.categories.top) == 100 and col.categories.other == many - 98
    assert not col.distinct_exact and 0.9 * many <= col.distinct <= 1.1 * many


def test_strings_with_few_values_count_every_value_and_spot_numbers_among_text() -> None:
    values = [str(i) for i in range(600)] * 2 + [f"note {i}" for i in range(150)]
    col = profile(pd.DataFrame({"u": values})).column("u")
    assert col.categories.numeric_like == 1200 and col.mixed_types == ("number", "text")
    assert col.categories.top[0][1] == 2 and col.categories.other == len(values) - sum(c for _, c in col.categories.top)


def test_bounds_read_from_file_statistics_skip_nan_and_infinity(tmp_path: Path) -> None:
    path = tmp_path / "bounds.parquet"
    pq.write_table(pa.table({
        "x": pa.array([5.0, np.inf, -np.inf, np.nan, 50.0, 7.0], from_pandas=False),
        "n": pa.array([3, 4, -2, 9, 8, 1]),
        "bad": pa.array([np.nan, np.inf, np.nan, -np.inf, np.nan, np.nan], from_pandas=False),
    }), path)
    schema = Schema(columns=tuple(ColumnSchema(name, ColumnKind.NUMERIC, min=0, max=10) for name in ("x", "n", "bad")))
    found = {(a.code, a.column): a for a in validate(path, schema, data_checks=False).anomalies}
    assert found[(AnomalyCode.OUT_OF_RANGE, "x")].observed == [5.0, 50.0]
    assert found[(AnomalyCode.OUT_OF_RANGE, "n")].observed == [-2.0, 9.0]
    assert {(AnomalyCode.NAN_OR_INF, "x"), (AnomalyCode.NAN_OR_INF, "bad")} <= set(found)
    assert (AnomalyCode.OUT_OF_RANGE, "bad") not in found  # no finite value at all
    with open_data(path) as opened:
        bad = profile_opened(opened, distributions=False).column("bad").numeric
    assert (bad.min, bad.max, bad.nan, bad.inf) == (None, None, 4, 2)


@pytest.mark.parametrize("integers", [False, True])
def test_large_sample_ks_is_scipys_bit_for_bit(integers: bool) -> None:
    from scipy import stats

    from loopline.validation.measures import KS_EXACT_MAX, ks_two_sample

    n, m = KS_EXACT_MAX + 5000, KS_EXACT_MAX + 1
    if integers:  # many ties
        u, v = np.sort(RNG.poisson(30, n).astype(float)), np.sort(RNG.poisson(30.3, m).astype(float))
    else:
        u, v = np.sort(RNG.normal(0, 1, n)), np.sort(RNG.normal(0.02, 1, m))
    want = stats.ks_2samp(u, v)
    assert ks_two_sample(u, v) == (want.statistic, want.pvalue)
    assert ks_two_sample(v, u) == (stats.ks_2samp(v, u).statistic, stats.ks_2samp(v, u).pvalue)


def _wide(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    measure = rng.uniform(0, 10, n)
    measure[::50] = np.nan
    return pd.DataFrame({
        "measure": measure,
        "small": rng.integers(0, 5, n),                   # integers over a short range: counted exactly
        "wide": rng.integers(-500, 500, n),              # 0 inside the range: zeros counted
        "positive": rng.integers(1, 10**6, n),           # 0 outside the range: no zeros, by the bounds
        "constant": np.full(n, 2.5),
        "label": rng.choice(["a", "b", "c", "zz"], n).astype(object),
        "as_text": pd.Series(rng.uniform(0, 1, n)).map("{:.6f}".format).astype(object),
        "key": np.arange(n),
    })


def test_the_light_parquet_profile_agrees_with_the_full_one(tmp_path: Path) -> None:
    frame = _wide(6000)
    path = tmp_path / "w.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, use_dictionary=["label", "small"])
    with open_data(path) as opened:
        assert opened.is_parquet and opened.dictionary_encoded() == {"label", "small"}
        light, full = profile_opened(opened, distributions=False), profile_opened(opened)
        narrow = profile_opened(opened, distributions=False, counted=())
    with open_data(frame) as opened:
        assert not opened.is_parquet and opened.dictionary_encoded() == frozenset()
        from_frame = profile_opened(opened, distributions=False)
    assert light.duplicate_rows == full.duplicate_rows == from_frame.duplicate_rows == 0
    for name in frame.columns:
        ours, theirs, framed = light.column(name), full.column(name), from_frame.column(name)
        assert (ours.kind, ours.count, ours.missing) == (theirs.kind, theirs.count, theirs.missing)
        assert (framed.kind, framed.count, framed.missing) == (theirs.kind, theirs.count, theirs.missing)
        if ours.numeric is not None:
            a, b = ours.numeric, theirs.numeric
            assert (a.min, a.max, a.nan, a.inf, a.zeros, a.finite) == (b.min, b.max, b.nan, b.inf, b.zeros, b.finite)
        else:
            assert ours.categories.numeric_like == theirs.categories.numeric_like
    for name in ("small", "constant", "label"):
        assert light.column(name).distinct_exact and light.column(name).distinct == full.column(name).distinct
    assert light.column("small").numeric.value_counts == full.column("small").numeric.value_counts
    assert light.column("label").categories.top == full.column("label").categories.top
    assert not narrow.column("as_text").categories.top  # not counted: no top values
    assert narrow.column("as_text").categories.numeric_like == 6000
    uncounted = narrow.column("measure")
    assert (uncounted.distinct, uncounted.distinct_exact) == (2, False)  # a lower bound: its bounds differ


def test_duplicate_rows_are_exact_with_or_without_a_unique_column(tmp_path: Path) -> None:
    frame = _wide(3000)
    repeated = pd.concat([frame, frame.iloc[:7]], ignore_index=True)
    for data, expected in ((frame, 0), (repeated, 7), (repeated.drop(columns="key"), 7)):
        path = _parquet(data, tmp_path / "d.parquet")
        with open_data(path) as opened:
            assert profile_opened(opened, distributions=False).duplicate_rows == expected
        assert profile(data).duplicate_rows == expected
    schema = Schema(columns=tuple(ColumnSchema(c, ColumnKind.NUMERIC) for c in ("measure", "small", "key")))
    with_checks = validate(repeated[["measure", "small", "key"]], schema)
    assert any(a.code == AnomalyCode.DUPLICATE_ROWS and a.observed == 7 for a in with_checks.anomalies)
    without = validate(repeated[["measure", "small", "key"]], schema, data_checks=False)
    assert AnomalyCode.DUPLICATE_ROWS not in {a.code for a in without.anomalies}


def test_parquet_and_frame_validation_report_the_same_anomalies(tmp_path: Path) -> None:
    frame = _wide(4000)
    frame.loc[::400, "label"] = "unknown"
    path = _parquet(frame, tmp_path / "v.parquet")
    schema = Schema(columns=(
        ColumnSchema("measure", ColumnKind.NUMERIC, min=0, max=5, max_missing_fraction=0.5),
        ColumnSchema("small", ColumnKind.BOOLEAN),
        ColumnSchema("wide", ColumnKind.NUMERIC, min=-100),
        ColumnSchema("positive", ColumnKind.NUMERIC),
        ColumnSchema("constant", ColumnKind.NUMERIC),
        ColumnSchema("label", ColumnKind.CATEGORICAL, domain=("a", "b", "c")),
        ColumnSchema("as_text", ColumnKind.NUMERIC),
        ColumnSchema("key", ColumnKind.NUMERIC),
    ))
    results = [validate(data, schema, data_checks=checks) for data in (path, frame) for checks in (False, True)]
    found = [{(a.code, a.column): a for a in r.anomalies if a.code != AnomalyCode.STUCK_VALUES} for r in results]
    assert found[0].keys() == found[1].keys() == found[2].keys() == found[3].keys()
    assert set(found[0]) == {
        (AnomalyCode.OUT_OF_RANGE, "measure"), (AnomalyCode.TYPE_MISMATCH, "small"),
        (AnomalyCode.OUT_OF_RANGE, "wide"), (AnomalyCode.CONSTANT_COLUMN, "constant"),
        (AnomalyCode.UNEXPECTED_CATEGORY, "label"), (AnomalyCode.TYPE_MISMATCH, "as_text"),
    }
    for one in found[1:]:
        for key in (k for k in found[0] if k[1] != "as_text"):
            assert (one[key].message, one[key].examples) == (found[0][key].message, found[0][key].examples)
    category = found[0][(AnomalyCode.UNEXPECTED_CATEGORY, "label")]
    zz = int((frame["label"] == "zz").sum())
    assert category.examples == ({"value": "zz", "count": zz}, {"value": "unknown", "count": 10})
    assert f"({zz + 10} rows, 2 distinct value(s))" in category.message
    text = found[0][(AnomalyCode.TYPE_MISMATCH, "as_text")]
    assert "numbers stored as text" in text.message and len(text.examples) == 5
    assert all(float(v) >= 0 for v in text.examples)
