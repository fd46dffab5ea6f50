"""Dataset versions: snapshots content-hashed and recorded once per content, loaded back by number."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from loopline.artifacts import store_value
from loopline.catalog import DataCatalog, DatasetNotFound, DatasetVersions
from loopline.config import DatasetSection
from loopline.errors import ConfigError
from loopline.workspace import Workspace

TOML = """
[datasets.rides]
path = "data/rides.csv"
description = "rides per station"

[datasets.busy]
query = "select station, sum(n) as n from 'data/rides.csv' group by station order by station"
"""


def write_rides(root: Path, counts: list[int]) -> pd.DataFrame:
    frame = pd.DataFrame({"station": list(range(1, len(counts) + 1)), "n": counts})
    frame.to_csv(root / "data" / "rides.csv", index=False)
    return frame


def records(workspace: Workspace, name: str) -> int:
    return len(workspace.metadata.artifacts.list(name=name, type="Dataset", limit=1000))


def test_a_snapshot_is_recorded_with_its_properties(make_workspace: Callable[..., Workspace]) -> None:
    workspace = make_workspace(TOML)
    frame = write_rides(workspace.root, [5, 7, 2])
    snapshot = workspace.catalog.snapshot("rides")
    version = snapshot.version
    assert snapshot.is_new and version.version == 1 and version.dataset == "rides"
    assert (version.rows, version.columns) == (3, ("station", "n"))
    assert version.source == {"kind": "csv", "path": "data/rides.csv"}
    pd.testing.assert_frame_equal(snapshot.frame, frame)
    artifact = workspace.metadata.artifacts.get(version.artifact_id)
    assert (artifact.type, artifact.name, artifact.format) == ("Dataset", "rides", "parquet")
    assert artifact.properties["content_hash"] == artifact.digest == version.digest
    assert artifact.properties["dtypes"] == {"station": "int64", "n": "int64"}
    # The content hash is what a run computes for the frame it is given: its input events find this record.
    assert store_value(workspace.artifacts, snapshot.frame).digest == version.digest


def test_same_content_same_version_new_content_new_version(make_workspace: Callable[..., Workspace]) -> None:
    workspace = make_workspace(TOML)
    catalog = workspace.catalog
    write_rides(workspace.root, [5, 7, 2])
    first = catalog.snapshot("rides")
    again = catalog.snapshot("rides")
    assert (again.version, again.is_new) == (first.version, False)
    assert records(workspace, "rides") == 1
    assert store_value(workspace.artifacts, again.frame).digest == first.version.digest

    changed = write_rides(workspace.root, [5, 7, 2, 9])
    second = catalog.snapshot("rides")
    assert (second.version.version, second.is_new) == (2, True)
    pd.testing.assert_frame_equal(catalog.load("rides", version=2), changed)

    write_rides(workspace.root, [5, 7, 2])  # back to the first content: its version, no new number
    assert catalog.snapshot("rides").version.version == 1
    assert [v.version for v in catalog.versions("rides")] == [1, 2]


def test_a_file_rewritten_with_the_same_content_keeps_its_version(make_workspace: Callable[..., Workspace]) -> None:
    workspace = make_workspace(TOML)
    write_rides(workspace.root, [5, 7])
    first = workspace.catalog.snapshot("rides").version
    (workspace.root / "data" / "rides.csv").write_text("station,n\r\n1,5\r\n2,7\r\n")  # other bytes, same rows
    again = workspace.catalog.snapshot("rides")
    assert (again.version.version, again.is_new) == (1, False)
    assert len(again.version.fingerprints) == 2  # the next run finds it without reading the file


def test_query_datasets_are_versioned_by_their_result(make_workspace: Callable[..., Workspace]) -> None:
    workspace = make_workspace(TOML)
    write_rides(workspace.root, [5, 7])
    assert workspace.catalog.snapshot("busy").version.version == 1
    assert workspace.catalog.snapshot("busy").is_new is False
    assert records(workspace, "busy") == 1
    write_rides(workspace.root, [5, 8])
    assert workspace.catalog.snapshot("busy").version.version == 2
    assert workspace.catalog.load("busy", version=1)["n"].tolist() == [5, 7]


def test_versions_recorded_twice_at_once_share_one_number(make_workspace: Callable[..., Workspace]) -> None:
    workspace = make_workspace(TOML)
    versions = DatasetVersions(workspace.artifacts, workspace.metadata.artifacts)
    frame = pd.DataFrame({"a": [1, 2]})
    # Two writers that both missed the other's record: same content from two sources.
    one = versions.record("rides", frame, source={"kind": "csv"}, fingerprint="f1")
    two = versions.record("rides", frame, source={"kind": "csv"}, fingerprint="f2")
    assert one.version.version == two.version.version == 1
    assert len(versions.get("rides").artifact_ids) == 2
    assert versions.find("rides", "f2") == versions.find("rides", "f1") == two.version
    assert len(versions.list("rides")) == 1


def test_a_damaged_snapshot_is_refused(make_workspace: Callable[..., Workspace]) -> None:
    from loopline.artifacts import ArtifactIntegrityError

    workspace = make_workspace(TOML)
    write_rides(workspace.root, [5, 7])
    version = workspace.catalog.snapshot("rides").version
    path = workspace.artifacts.local_path(version.uri)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ArtifactIntegrityError, match="is damaged"):
        Workspace.find(workspace.root).catalog.load("rides", version=1)


def test_unknown_versions_and_datasets_say_what_exists(make_workspace: Callable[..., Workspace]) -> None:
    workspace = make_workspace(TOML)
    catalog = workspace.catalog
    with pytest.raises(DatasetNotFound, match="dataset 'rides' has no recorded version") as info:
        catalog.load("rides", version=1)
    assert "loopline data snapshot rides" in str(info.value.hint)
    write_rides(workspace.root, [5])
    catalog.snapshot("rides")
    with pytest.raises(DatasetNotFound, match="dataset 'rides' has no version 4") as info:
        catalog.load("rides", version=4)
    assert "versions 1..1 exist" in str(info.value.hint)
    with pytest.raises(DatasetNotFound, match="dataset 'ride' is not declared"):
        catalog.versions("ride")


def test_a_catalog_without_stores_reads_sources_but_no_versions(tmp_path: Path) -> None:
    write = pd.DataFrame({"a": [1]})
    write.to_csv(tmp_path / "a.csv", index=False)
    catalog = DataCatalog(tmp_path, {"a": DatasetSection(path="a.csv")})
    assert catalog.load("a")["a"].tolist() == [1]
    with pytest.raises(ConfigError, match="has no stores"):
        catalog.snapshot("a")
