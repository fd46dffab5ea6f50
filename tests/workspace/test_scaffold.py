import hashlib
from pathlib import Path

import pytest

from loopline.errors import InvalidInputError
from loopline.examples import write_workspace
from loopline.workspace import Workspace, WorkspaceNotFound, find_root, flatten_parameters

BIKES_SHA256 = "e03de4ee4ef4dc376ac6e04bf829673c6269e8eba5c60fa121640fa2f829504f"


def test_bikes_workspace_ships_the_unmodified_dataset(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws", example="bikes")
    data = (root / "data" / "bike_sharing_hour.csv").read_bytes()
    assert hashlib.sha256(data).hexdigest() == BIKES_SHA256
    assert (root / "loopline.toml").exists() and (root / "pipelines.py").exists()


def test_default_workspace_has_data_and_a_pipeline(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws")
    assert (root / "data" / "diabetes.csv").stat().st_size > 1000
    workspace = Workspace.find(root)
    assert workspace.settings.workspace.name == "ws"
    assert "table" in workspace.catalog


def test_refuses_to_overwrite_a_workspace(tmp_path: Path) -> None:
    write_workspace(tmp_path / "ws")
    with pytest.raises(InvalidInputError, match="already holds a workspace"):
        write_workspace(tmp_path / "ws")
    write_workspace(tmp_path / "ws", force=True)


def test_unknown_example(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="unknown example 'bike'") as info:
        write_workspace(tmp_path, example="bike")
    assert "did you mean 'bikes'?" in str(info.value)


def test_workspace_is_found_from_a_subfolder(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws")
    (root / "deep" / "er").mkdir(parents=True)
    assert find_root(root / "deep" / "er") == root
    with pytest.raises(WorkspaceNotFound, match="no loopline.toml in"):
        find_root(tmp_path)


def test_dotted_parameters_flatten() -> None:
    assert flatten_parameters({"train": {"alpha": 1, "x": {"y": 2}}, "seed": 0}) == {
        "train.alpha": 1,
        "train.x.y": 2,
        "seed": 0,
    }
