"""Training one model: reproducible with a seed, and recorded with where it came from."""

from __future__ import annotations

import hashlib
import pickle
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from training_helpers import FEATURES, HGB, TARGET

from loopline.training import EstimatorSpecError, TrainingDataError, code_version, frame_digest, train


def _sha(model: object) -> str:
    return hashlib.sha256(pickle.dumps(model)).hexdigest()


def test_a_rerun_with_the_same_seed_gives_the_same_model(bikes_train: pd.DataFrame, bikes_test: pd.DataFrame) -> None:
    spec = "sklearn.ensemble.RandomForestRegressor(n_estimators=5, max_depth=6)"
    first, record = train(bikes_train, estimator=spec, target=TARGET, features=FEATURES, seed=11)
    second, again = train(bikes_train, estimator=spec, target=TARGET, features=FEATURES, seed=11)
    other, _ = train(bikes_train, estimator=spec, target=TARGET, features=FEATURES, seed=12)
    assert _sha(first) == _sha(second)
    assert np.array_equal(first.predict(bikes_test[FEATURES]), second.predict(bikes_test[FEATURES]))
    assert _sha(other) != _sha(first)
    assert record == again


def test_the_record_holds_params_features_data_hash_and_packages(bikes_train: pd.DataFrame) -> None:
    model, record = train(bikes_train, estimator=HGB, target=TARGET, features=FEATURES, seed=0)
    assert record.features == tuple(FEATURES) and record.target == TARGET and record.rows == len(bikes_train)
    assert record.params["max_iter"] == 30 and record.params["random_state"] == 0
    assert record.data_hash == frame_digest(bikes_train[[*FEATURES, TARGET]])
    assert {"python", "scikit-learn", "numpy", "pandas", "loopline"} <= set(record.packages)
    assert record.metrics["train_rmse"] > 0 and record.metrics["train_r2"] > 0.5
    assert record.to_dict()["features"] == FEATURES


def test_every_column_but_the_target_is_a_feature_by_default() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [0.0, 1.0, 0.0, 1.0], "y": [1.0, 2.0, 3.0, 4.1]})
    model, record = train(frame, estimator="sklearn.linear_model.LinearRegression", target="y")
    assert record.features == ("a", "b")


def test_the_data_hash_follows_the_values_not_the_index() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0], "y": [3, 4]})
    moved = frame.set_axis([10, 11])
    changed = frame.assign(a=[1.0, 2.5])
    assert frame_digest(frame) == frame_digest(moved)
    assert frame_digest(frame) != frame_digest(changed)
    assert frame_digest(frame) != frame_digest(frame.astype({"a": "float32"}))


def test_bad_training_frames_are_refused_with_the_column_named(bikes_train: pd.DataFrame) -> None:
    with pytest.raises(TrainingDataError, match="target column 'cntt' is not in the training frame") as info:
        train(bikes_train, estimator=HGB, target="cntt")
    assert "did you mean 'cnt'" in str(info.value)
    with pytest.raises(TrainingDataError, match="lacks the feature column\\(s\\) tmp"):
        train(bikes_train, estimator=HGB, target=TARGET, features=["tmp"])
    with pytest.raises(TrainingDataError, match="also listed as a feature"):
        train(bikes_train, estimator=HGB, target=TARGET, features=["hr", TARGET])
    with pytest.raises(TrainingDataError, match="has no rows"):
        train(bikes_train.iloc[:0], estimator=HGB, target=TARGET, features=FEATURES)


def test_a_training_function_must_return_a_model(bikes_train: pd.DataFrame) -> None:
    with pytest.raises(EstimatorSpecError, match="has no predict method"):
        train(bikes_train, estimator="training_helpers:no_model", target=TARGET, features=FEATURES)


def test_code_version_is_the_commit_and_dirty_flag_of_the_workspace(tmp_path: Path) -> None:
    assert code_version(tmp_path) is None  # not a git checkout
    repo = tmp_path / "repo"
    (repo / "ws").mkdir(parents=True)
    (repo / "ws" / "loopline.toml").write_text("")

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout

    git("init", "-q")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "first")
    head = git("rev-parse", "HEAD").strip()
    (repo / "ws" / "sub").mkdir()
    assert code_version(repo / "ws" / "sub") == {"commit": head, "dirty": False}  # found from a subfolder
    (repo / "ws" / "loopline.toml").write_text("[workspace]\n")
    assert code_version(repo / "ws") == {"commit": head, "dirty": True}
