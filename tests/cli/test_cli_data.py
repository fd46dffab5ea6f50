"""``loopline data list|show|versions|snapshot|load`` on a small workspace, as a user runs them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from cli_invoke import invoke

TOML = """
[datasets.rides]
path = "data/rides.csv"
description = "rides per station"

[datasets.busy]
query = "select station, sum(n) as n from 'data/rides.csv' group by station order by station"
"""

PIPELINES = '''
from loopline import Pipeline, step


def total(rides):
    return {"total": int(rides["n"].sum())}


summary = Pipeline([step(total, outputs="summary")], name="summary", inputs=["rides"])
'''


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "data").mkdir(parents=True)
    (root / "loopline.toml").write_text(TOML)
    (root / "pipelines.py").write_text(PIPELINES)
    write_rides(root, [5, 7, 2])
    return root


def write_rides(root: Path, counts: list[int]) -> pd.DataFrame:
    frame = pd.DataFrame({"station": [1, 2, 1, 3][: len(counts)], "n": counts})
    frame.to_csv(root / "data" / "rides.csv", index=False)
    return frame


def test_list_and_show_before_any_version(capsys: pytest.CaptureFixture[str], workspace: Path) -> None:
    listed = invoke(capsys, workspace, "data", "list", "--json").json()
    summary = [(d["name"], d["source"]["kind"], d["versions"]) for d in listed]
    assert summary == [("busy", "query", 0), ("rides", "csv", 0)]
    shown = invoke(capsys, workspace, "data", "show", "rides")
    assert shown.code == 0 and "no version recorded yet" in shown.out
    table = invoke(capsys, workspace, "data", "list")
    assert "rides" in table.out and "data/rides.csv" in table.out


def test_runs_record_versions_and_versions_name_their_runs(capsys: pytest.CaptureFixture[str], workspace: Path) -> None:
    first = invoke(capsys, workspace, "run", "summary", "--json").json()
    invoke(capsys, workspace, "run", "summary")  # cached: same data, same version
    (v1,) = invoke(capsys, workspace, "data", "versions", "rides", "--json").json()
    assert v1["version"] == 1 and v1["rows"] == 3 and first["run"]["id"] in v1["runs"] and len(v1["runs"]) == 2
    shown = invoke(capsys, workspace, "data", "show", "rides", "--json").json()
    assert (shown["current_version"], shown["source_changed"]) == (1, False)
    assert shown["latest"]["columns"] == ["station", "n"]

    write_rides(workspace, [5, 7, 2, 9])
    assert invoke(capsys, workspace, "data", "show", "rides", "--json").json()["source_changed"] is True
    assert "the source changed since the last version" in invoke(capsys, workspace, "data", "show", "rides").out
    second = invoke(capsys, workspace, "run", "summary", "--json").json()
    versions = invoke(capsys, workspace, "data", "versions", "rides", "--json").json()
    assert [v["version"] for v in versions] == [1, 2] and versions[1]["runs"] == [second["run"]["id"]]
    table = invoke(capsys, workspace, "data", "versions", "rides").out
    assert "Versions of rides" in table and "sha256:" in table


def test_snapshot_then_load_a_version_to_a_file(
    capsys: pytest.CaptureFixture[str], workspace: Path, tmp_path: Path
) -> None:
    original = pd.read_csv(workspace / "data" / "rides.csv")
    made = invoke(capsys, workspace, "data", "snapshot", "rides", "--json").json()
    assert made["is_new"] is True and made["version"]["version"] == 1
    assert "unchanged: version 1" in invoke(capsys, workspace, "data", "snapshot", "rides").out
    write_rides(workspace, [1, 1])
    assert "recorded new version 2" in invoke(capsys, workspace, "data", "snapshot", "rides").out

    wrote = invoke(capsys, workspace, "data", "load", "rides", "--version", "1", "-o", str(tmp_path / "v1.parquet"))
    assert wrote.code == 0 and "wrote 3 rows of rides version 1" in wrote.out
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "v1.parquet"), original)
    invoke(capsys, workspace, "data", "load", "rides", "--version", "1", "-o", str(tmp_path / "out" / "v1.csv"))
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "out" / "v1.csv"), original)

    head = invoke(capsys, workspace, "data", "load", "rides", "--head", "1", "--json").json()
    assert (head["version"], head["rows"], head["head"]) == (None, 2, [{"station": 1, "n": 1}])
    assert "first 2 of 2 rows" in invoke(capsys, workspace, "data", "load", "busy").out


def test_data_errors_are_one_line_with_a_hint(
    capsys: pytest.CaptureFixture[str], workspace: Path, tmp_path: Path
) -> None:
    unknown = invoke(capsys, workspace, "data", "show", "ride")
    assert unknown.code == 1
    assert "error: dataset 'ride' is not declared" in unknown.err and "did you mean 'rides'?" in unknown.err
    missing = invoke(capsys, workspace, "data", "load", "rides", "--version", "3")
    assert missing.code == 1 and "dataset 'rides' has no recorded version" in missing.err
    suffix = invoke(capsys, workspace, "data", "load", "rides", "-o", str(tmp_path / "rides.xlsx"))
    assert suffix.code == 1 and "expected a .csv or .parquet suffix" in suffix.err
    assert not (tmp_path / "rides.xlsx").exists()
