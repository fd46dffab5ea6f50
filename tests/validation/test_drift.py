"""Drift detection: Evidently's default choices, per-column settings, degradation, profiles, speed, skew."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest

from loopline.errors import InvalidInputError, LooplineError
from loopline.validation import (
    AnomalyCode,
    ColumnKind,
    ColumnSchema,
    DriftDetector,
    DriftOptions,
    DriftReport,
    DriftSetting,
    UnknownMeasureError,
    Verdict,
    detect_drift,
    detect_skew,
    infer_schema,
    profile,
)

RNG = np.random.default_rng(7)


def _frame(n: int, shift: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame({
        "num": RNG.normal(shift, 1, n),
        "few": RNG.integers(0, 4, n),
        "cat": RNG.choice(list("abcdef"), n),
        "flag": RNG.random(n) < 0.3,
        "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n), unit="min"),
    })


@pytest.mark.parametrize(("n", "measures"), [
    (500, {"num": "ks", "few": "chisquare", "cat": "chisquare", "flag": "z"}),
    (5000, {"num": "wasserstein", "few": "jensenshannon", "cat": "jensenshannon", "flag": "jensenshannon"}),
])
def test_default_measures_follow_evidentlys_rules(n: int, measures: dict[str, str]) -> None:
    report = detect_drift(_frame(n), _frame(n))
    assert {c.column: c.measure for c in report.columns} == measures  # datetimes are not compared
    thresholds = {c.column: c.threshold for c in report.columns}
    assert thresholds == {k: (0.05 if m in ("ks", "chisquare", "z") else 0.1) for k, m in measures.items()}
    assert not report.dataset_drift and report.rows.current == n


def test_dataset_drift_when_half_the_columns_drift() -> None:
    ref, cur = _frame(3000), _frame(3000, shift=1.0)
    cur["cat"] = RNG.choice(list("abc"), 3000)
    report = detect_drift(ref, cur)
    assert set(report.drifted_columns) == {"num", "cat"}
    assert report.drift_share == 0.5 and report.dataset_drift


def test_schema_and_options_choose_measures_and_thresholds() -> None:
    ref, cur = _frame(3000), _frame(3000, shift=0.2)
    schema = infer_schema(ref).with_column(ColumnSchema("num", ColumnKind.NUMERIC, drift=DriftSetting("psi", 0.5)))
    column = detect_drift(ref, cur, schema=schema).column("num")
    assert (column.measure, column.threshold, column.verdict) == ("psi", 0.5, Verdict.NO_DRIFT)
    options = DriftOptions(numeric_measure="ks", categorical_measure="linf", threshold=0.01)
    report = detect_drift(ref, cur, options=options)
    assert report.column("num").measure == "ks" and report.column("num").threshold == 0.01
    assert report.column("cat").measure == "linf"


def test_bad_measure_names_are_refused() -> None:
    with pytest.raises(UnknownMeasureError, match="unknown drift measure 'kss'"):
        detect_drift(_frame(10), _frame(10), options=DriftOptions(numeric_measure="kss"))
    with pytest.raises(UnknownMeasureError, match="'ks' does not apply to categorical column") as info:
        detect_drift(_frame(10), _frame(10), options=DriftOptions(categorical_measure="ks"))
    assert "use one of: chisquare, jensenshannon, linf, psi, z" in str(info.value)
    season = detect_drift(_frame(300), _frame(300), options=DriftOptions(numeric_measure="chisquare"))
    assert season.column("few").measure == "chisquare" and season.column("few").p_value is not None
    with pytest.raises(InvalidInputError, match="drift_share must be in"):
        detect_drift(_frame(10), _frame(10), options=DriftOptions(drift_share=0))


def test_columns_degrade_to_not_enough_data() -> None:
    ref = _frame(200)
    cur = _frame(200).drop(columns=["few"])
    cur["num"] = np.nan
    cur["cat"] = RNG.integers(0, 3, 200)  # became numeric
    cur["new"] = 1.0
    report = detect_drift(ref, cur)
    verdicts = {c.column: (c.verdict, c.reason) for c in report.columns}
    assert verdicts["num"] == (Verdict.NOT_ENOUGH_DATA, "the current data has 0 usable values (at least 1 needed)")
    assert "absent from the current data" in verdicts["few"][1]
    assert "categorical in the reference and numeric in the current data" in verdicts["cat"][1]
    assert "absent from the reference" in verdicts["new"][1]
    assert verdicts["flag"][0] == Verdict.NO_DRIFT
    empty = detect_drift(ref, ref.iloc[:0])
    assert {c.verdict for c in empty.columns} == {Verdict.NOT_ENOUGH_DATA} and not empty.dataset_drift


def test_new_categories_are_counted_not_crashed_on() -> None:
    ref = pd.DataFrame({"c": ["a", "b"] * 1000})
    cur = pd.DataFrame({"c": ["a", "b", "z", "z"] * 500})
    column = detect_drift(ref, cur).column("c")
    assert column.drifted and "z" in column.distribution.labels
    small = detect_drift(ref.head(200), cur.head(200)).column("c")
    assert small.measure == "chisquare" and small.drifted


def test_reference_profile_gives_close_answers(bike_frame: pd.DataFrame) -> None:
    early = bike_frame[bike_frame["dteday"] < "2011-05-01"]
    late = bike_frame[(bike_frame["dteday"] >= "2012-06-01") & (bike_frame["dteday"] < "2012-07-01")]
    raw = detect_drift(early, late)
    stored = detect_drift(profile(early), late)
    both_profiles = detect_drift(profile(early), profile(late, reference=profile(early)))
    for name in ("temp", "hum", "cnt", "weathersit", "season"):
        exact, approx, binned = raw.column(name), stored.column(name), both_profiles.column(name)
        assert exact.measure == approx.measure == binned.measure
        assert approx.statistic == pytest.approx(exact.statistic, rel=0.05, abs=0.01)
        assert binned.statistic == pytest.approx(exact.statistic, rel=0.05, abs=0.01)
    assert raw.column("cnt").drifted and raw.column("temp").drifted and raw.dataset_drift


def test_detector_needs_fit_first_and_report_round_trips() -> None:
    with pytest.raises(LooplineError, match="no reference yet") as info:
        DriftDetector().check(_frame(10))
    assert "call fit(reference) first" in str(info.value)
    report = detect_drift(_frame(300), _frame(300, 0.5))
    text = json.dumps(report.to_dict(), allow_nan=False)
    assert DriftReport.from_dict(json.loads(text)) == report


def test_skew_compares_serving_with_the_training_profile(bike_frame: pd.DataFrame) -> None:
    training = profile(bike_frame[bike_frame["dteday"] < "2011-07-01"])
    serving = bike_frame[bike_frame["dteday"] >= "2012-07-01"].drop(columns=["cnt"])
    report = detect_skew(training, serving, label="cnt")
    assert "cnt" not in [c.column for c in report.columns]
    assert report.column("temp").approximate and report.column("registered").drifted
    codes = {(a.code, a.column) for a in report.anomalies}
    assert (AnomalyCode.OUT_OF_RANGE, "yr") in codes and (AnomalyCode.OUT_OF_RANGE, "instant") in codes
    assert not any(c == AnomalyCode.MISSING_COLUMN for c, _ in codes)


def test_one_hundred_thousand_rows_by_twenty_columns_is_fast() -> None:
    def make(shift: float) -> pd.DataFrame:
        data = {f"f{i}": RNG.normal(shift, 1, 100_000) for i in range(10)}
        data |= {f"i{i}": RNG.integers(0, 1000, 100_000) for i in range(5)}
        data |= {f"c{i}": RNG.choice(list("abcdefgh"), 100_000) for i in range(5)}
        return pd.DataFrame(data)
    ref, cur = make(0.0), make(0.05)
    start = time.perf_counter()
    raw = detect_drift(ref, cur)
    raw_seconds = time.perf_counter() - start
    detector = DriftDetector().fit(profile(ref))
    start = time.perf_counter()
    from_profile = detector.check(cur)
    profile_seconds = time.perf_counter() - start
    assert len(raw.columns) == len(from_profile.columns) == 20
    assert raw_seconds < 1.0 and profile_seconds < raw_seconds, (raw_seconds, profile_seconds)
