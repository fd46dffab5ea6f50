"""Batch prediction on a real local Ray instance: chunks on actors, the output in input order."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from serving_helpers import cancer_frame, cancer_package, make_workspace

from loopline.errors import InvalidInputError
from loopline.serving import ServedModel
from loopline.serving.batch import predict_file

pytest.importorskip("ray")
pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def model() -> ServedModel:
    return ServedModel.build("cancer", 1, cancer_package())


def _numbered(rows: int) -> pd.DataFrame:
    features, _ = cancer_frame()
    frame = pd.concat([features] * (rows // len(features) + 1), ignore_index=True).head(rows)
    frame.insert(0, "row_id", range(rows))
    return frame


def test_chunks_predicted_on_ray_actors_come_back_in_input_order(ray_instance: None, model: ServedModel,
                                                                 tmp_path: Path) -> None:
    from loopline.serving.batch_ray import RayScorer

    frame = _numbered(2_000)
    frame.to_parquet(tmp_path / "in.parquet")
    seen: list[int] = []
    with RayScorer(model, workers=2) as scorer:
        result = predict_file(model, tmp_path / "in.parquet", tmp_path / "out.parquet", chunk_rows=150,
                              on_progress=seen.append, scorer=scorer)
    out = pd.read_parquet(result.output)
    assert result.rows == 2_000 and seen == sorted(seen) and seen[-1] == 2_000 and len(seen) == 14
    assert out["row_id"].tolist() == list(range(2_000))
    assert out["prediction"].tolist() == cancer_package().predict(frame.drop(columns="row_id")).tolist()


def test_an_error_in_an_actor_reaches_the_caller_as_itself(ray_instance: None, model: ServedModel,
                                                           tmp_path: Path) -> None:
    from loopline.serving.batch_ray import RayScorer

    _numbered(300).drop(columns=["mean_radius"]).to_parquet(tmp_path / "in.parquet")
    with RayScorer(model, workers=1) as scorer, pytest.raises(
            InvalidInputError, match=r"the input lacks 1 column\(s\) model cancer/1 needs: mean_radius"):
        predict_file(model, tmp_path / "in.parquet", tmp_path / "out.parquet", chunk_rows=100, scorer=scorer)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


def test_the_predict_command_follows_the_workspace_runner_and_the_option_overrides_it(
        ray_instance: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from loopline.cli.main import run

    root = make_workspace(tmp_path / "ws", {"cancer": cancer_package()})
    with (root / "loopline.toml").open("a") as toml:
        toml.write("\n[runner]\nkind = \"ray\"\nmax_workers = 1\n")
    frame = _numbered(500)
    frame.to_csv(tmp_path / "in.csv", index=False)
    expected = cancer_package().predict(frame.drop(columns="row_id")).tolist()
    for extra, runner in (([], "ray"), (["--runner", "local"], "local")):
        with pytest.raises(SystemExit) as exit_info:
            run(["--workspace", str(root), "predict", "cancer@production", "--input", str(tmp_path / "in.csv"),
                 "--output", str(tmp_path / f"{runner}.parquet"), "--chunk-rows", "120", "--json", *extra])
        assert exit_info.value.code == 0
        summary = json.loads(capsys.readouterr().out)
        assert (summary["rows"], summary["runner"]) == (500, runner)
        out = pd.read_parquet(tmp_path / f"{runner}.parquet")
        assert out["row_id"].tolist() == list(range(500)) and out["prediction"].tolist() == expected
