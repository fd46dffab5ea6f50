"""Batch prediction over files: formats, chunks, atomic output, the CLI, and speed next to predict()."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from serving_helpers import cancer_frame, cancer_package, make_workspace

from loopline.errors import InvalidInputError
from loopline.serving import ServedModel
from loopline.serving.batch import predict_file


@pytest.fixture(scope="module")
def model() -> ServedModel:
    return ServedModel.build("cancer", 1, cancer_package())


def _write(frame: pd.DataFrame, path: Path) -> Path:
    """``frame`` as Parquet, CSV or JSON lines, by the path's suffix."""
    if path.suffix == ".parquet":
        frame.to_parquet(path)
    elif path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True)
    return path


def _read(path: Path) -> pd.DataFrame:
    return {".parquet": pd.read_parquet, ".csv": pd.read_csv,
            ".jsonl": lambda p: pd.read_json(p, lines=True)}[path.suffix](path)


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_every_format_in_chunks(tmp_path: Path, model: ServedModel, suffix: str) -> None:
    features, _ = cancer_frame()
    source = _write(features, tmp_path / f"in{suffix}")
    seen: list[int] = []
    result = predict_file(model, source, tmp_path / f"out{suffix}", chunk_rows=100, on_progress=seen.append)
    assert result.rows == len(features) and seen[-1] == len(features) and len(seen) == 6
    out = _read(result.output)
    assert out["prediction"].tolist() == cancer_package().predict(features).tolist()
    assert list(out.columns[:-1]) == list(features.columns)


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_kept_columns_or_the_predictions_alone(tmp_path: Path, model: ServedModel, suffix: str) -> None:
    features, _ = cancer_frame()
    frame = features.assign(patient=[f"p{i}" for i in range(len(features))])
    source = _write(frame, tmp_path / f"in{suffix}")
    expected = cancer_package().predict(features).tolist()
    kept = _read(predict_file(model, source, tmp_path / f"kept{suffix}", chunk_rows=100,
                             keep=["patient", "mean_radius"]).output)
    assert list(kept.columns) == ["patient", "mean_radius", "prediction"]
    assert kept["patient"].tolist() == frame["patient"].tolist() and kept["prediction"].tolist() == expected
    alone = _read(predict_file(model, source, tmp_path / f"alone{suffix}", chunk_rows=100, keep=[]).output)
    assert list(alone.columns) == ["prediction"] and alone["prediction"].tolist() == expected
    with pytest.raises(InvalidInputError, match="has no column\\(s\\) patient_id to keep"):
        predict_file(model, source, tmp_path / f"bad{suffix}", keep=["patient_id"])
    assert not (tmp_path / f"bad{suffix}").exists()


def test_missing_columns_fail_and_leave_no_output(tmp_path: Path, model: ServedModel) -> None:
    features, _ = cancer_frame()
    features.drop(columns=["mean_radius", "worst_area"]).to_parquet(tmp_path / "in.parquet")
    with pytest.raises(InvalidInputError, match="the input lacks 2 column\\(s\\) model cancer/1 needs: "
                                                "mean_radius, worst_area"):
        predict_file(model, tmp_path / "in.parquet", tmp_path / "out.parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


def test_unknown_formats_are_refused(tmp_path: Path, model: ServedModel) -> None:
    (tmp_path / "in.xlsx").write_bytes(b"x")
    with pytest.raises(InvalidInputError, match="cannot tell the format of .*in.xlsx"):
        predict_file(model, tmp_path / "in.xlsx", tmp_path / "out.csv")


def test_a_large_file_through_the_float_array_path_matches_predict(tmp_path: Path, model: ServedModel) -> None:
    features, _ = cancer_frame()
    big = pd.concat([features] * 40, ignore_index=True)  # 22,760 rows; speed is bench/serving_vs_peers.py's job
    big.to_parquet(tmp_path / "big.parquet")
    result = predict_file(model, tmp_path / "big.parquet", tmp_path / "out.parquet", chunk_rows=5_000)
    assert result.rows == len(big)
    out = pd.read_parquet(result.output)
    assert out["prediction"].tolist() == cancer_package().predict(big).tolist()
    assert out.drop(columns="prediction").equals(big)


def test_a_null_reaches_the_model_as_nan_and_fails_the_run(tmp_path: Path, model: ServedModel) -> None:
    from loopline.serving import PredictionFailed

    features, _ = cancer_frame()
    holed = features.copy()
    holed.loc[7, "mean_radius"] = None
    holed.to_parquet(tmp_path / "in.parquet")
    with pytest.raises(PredictionFailed, match="the model raised ValueError: Input X contains NaN"):
        predict_file(model, tmp_path / "in.parquet", tmp_path / "out.parquet", chunk_rows=100)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


def test_the_predict_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from loopline.cli.main import run

    root = make_workspace(tmp_path / "ws", {"cancer": cancer_package()})
    features, _ = cancer_frame()
    features.head(40).to_csv(tmp_path / "in.csv", index=False)
    with pytest.raises(SystemExit) as exit_info:
        run(["--workspace", str(root), "predict", "cancer@production", "--input", str(tmp_path / "in.csv"),
             "--output", str(tmp_path / "out.parquet"), "--json"])
    assert exit_info.value.code == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["model"], summary["version"], summary["rows"]) == ("cancer", 1, 40)
    out = pd.read_parquet(tmp_path / "out.parquet")
    assert out["prediction"].tolist() == cancer_package().predict(features.head(40)).tolist()
    with pytest.raises(SystemExit) as exit_info:
        run(["--workspace", str(root), "predict", "cancer@production", "--input", str(tmp_path / "in.csv"),
             "--output", str(tmp_path / "alone.parquet"), "--predictions-only", "--json"])
    assert exit_info.value.code == 0
    assert list(pd.read_parquet(tmp_path / "alone.parquet").columns) == ["prediction"]
    with pytest.raises(SystemExit) as exit_info:
        run(["--workspace", str(root), "predict", "cancer@production", "--input", str(tmp_path / "in.csv"),
             "--output", str(tmp_path / "both.parquet"), "--predictions-only", "--keep", "mean_radius"])
    assert exit_info.value.code == 2 and not (tmp_path / "both.parquet").exists()


class _FirstColumn:
    """Predicts its first input column, as a view of the input it was given."""

    def predict(self, data):
        import numpy as np

        return np.asarray(data)[:, 0]


def test_a_model_returning_a_view_of_its_input_gets_its_own_rows_in_every_chunk(tmp_path: Path) -> None:
    from loopline.registry import ModelPackage, signature_from_schema
    from loopline.validation import infer_schema, profile

    frame = pd.DataFrame({"a": [float(i) for i in range(1_000)], "b": [0.5] * 1_000})
    package = ModelPackage(_FirstColumn(), signature=signature_from_schema(infer_schema(profile(frame))),
                           sample_input=frame.head(10))
    served = ServedModel.build("first", 1, package)
    assert served.predictor.fast  # the float-array path, whose array is filled again for every chunk
    frame.to_parquet(tmp_path / "in.parquet")
    out = pd.read_parquet(predict_file(served, tmp_path / "in.parquet", tmp_path / "out.parquet", chunk_rows=64,
                                       keep=[]).output)
    assert out["prediction"].tolist() == frame["a"].tolist()


def test_blas_pools_are_capped_beside_the_reading_thread_and_restored() -> None:
    import os

    from threadpoolctl import threadpool_info

    from loopline.serving.batch import blas_threads_beside

    def blas() -> list[int]:
        return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]

    before = blas()
    assert before, "numpy's BLAS is loaded"
    wanted = max(1, len(os.sched_getaffinity(0)) - 1)
    with blas_threads_beside(busy=1):
        assert blas() == [min(b, wanted) for b in before]  # lowered to the cores left, never raised
    assert blas() == before


def test_a_value_the_file_cannot_hold_is_a_clear_error_and_leaves_no_output(tmp_path: Path,
                                                                            model: ServedModel) -> None:
    features, _ = cancer_frame()
    _write(pd.concat([features] * 30, ignore_index=True), tmp_path / "in.csv")  # about 5 MB
    lines = (tmp_path / "in.csv").read_text().splitlines()
    lines[15_000] = "abc," + lines[15_000].split(",", 1)[1]  # past the block the column types come from
    (tmp_path / "in.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(InvalidInputError, match=r"cannot read .*in.csv after its first \d+ row\(s\): .*'abc'"):
        predict_file(model, tmp_path / "in.csv", tmp_path / "out.parquet", chunk_rows=1_000)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_a_failed_prediction_stops_the_reader(tmp_path: Path, model: ServedModel) -> None:
    import threading

    features, _ = cancer_frame()
    holed = pd.concat([features] * 10, ignore_index=True)
    holed.loc[150, "mean_radius"] = None  # the second chunk fails; the reader is chunks ahead
    holed.to_parquet(tmp_path / "in.parquet")
    from loopline.serving import PredictionFailed

    with pytest.raises(PredictionFailed):
        predict_file(model, tmp_path / "in.parquet", tmp_path / "out.parquet", chunk_rows=100)
    assert not [t for t in threading.enumerate() if t.name.startswith("loopline-batch")]


def test_a_damaged_parquet_file_is_a_clear_error(tmp_path: Path, model: ServedModel) -> None:
    from loopline.serving.batch import count_rows

    features, _ = cancer_frame()
    features.to_parquet(tmp_path / "whole.parquet")
    data = (tmp_path / "whole.parquet").read_bytes()
    (tmp_path / "in.parquet").write_bytes(data[: len(data) // 2])  # cut off: no footer
    with pytest.raises(InvalidInputError, match="cannot read .*in.parquet"):
        count_rows(tmp_path / "in.parquet")
    with pytest.raises(InvalidInputError, match="cannot read .*in.parquet after its first 0 row"):
        predict_file(model, tmp_path / "in.parquet", tmp_path / "out.parquet")
    assert not (tmp_path / "out.parquet").exists()
