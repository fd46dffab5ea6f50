"""Sources relative to the workspace, the feature store a workspace configures, and the bike
example's training-frame step."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from loopline.config import FeaturesSection
from loopline.errors import InvalidInputError
from loopline.examples.bikes import data_path
from loopline.examples.bikes.features import FEATURES, entity_frame, repository
from loopline.examples.bikes.steps import prepare
from loopline.examples.bikes.training_frame import build_training_frame
from loopline.features import (
    Entity,
    Feature,
    FeatureRepository,
    FeatureView,
    SourceError,
    get_features_in_range,
    get_historical_features,
)
from loopline.features.configured import definitions_digest, workspace_feature_store
from loopline.features.relative import relative_to

station = Entity("station", join_keys=["station"])


def availability(root: Path, source: str) -> FeatureRepository:
    view = FeatureView(
        "availability",
        entities=[station],
        source=relative_to(root, source),
        features=[Feature("bikes", "int64")],
    )
    return FeatureRepository([station, view])


def write_rows(root: Path, bikes: int) -> None:
    (root / "data").mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame({"station": [1], "event_ts": [pd.Timestamp("2024-01-01 08:00")], "bikes": [bikes]})
    frame.to_parquet(root / "data" / "rows.parquet")


@pytest.mark.parametrize("source", ["data/rows.parquet", "SELECT * FROM read_parquet('data/rows.parquet')"])
def test_relative_sources_read_in_their_root_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    write_rows(one, 5)
    write_rows(two, 9)
    monkeypatch.chdir(tmp_path)  # neither root is the current folder
    assert get_features_in_range(availability(one, source), "availability")["bikes"].tolist() == [5]
    assert get_features_in_range(availability(two, source), "availability")["bikes"].tolist() == [9]
    # The description keeps the path as written, so both roots give the same definitions version.
    assert definitions_digest(availability(one, source)) == definitions_digest(availability(two, source))
    assert str(one) not in str(availability(one, source).views["availability"].source.describe())


def test_only_file_and_query_sources_can_be_relative(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="only file and query sources have paths"):
        relative_to(tmp_path, pd.DataFrame({"a": [1]}))  # type: ignore[arg-type]


def test_the_bike_definitions_are_the_same_version_on_every_machine(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    shutil.copyfile(data_path(), tmp_path / "data" / data_path().name)
    assert definitions_digest(repository(root=tmp_path)) == definitions_digest(repository())


def test_a_workspace_store_resolves_its_paths_in_the_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from loopline.artifacts import ArtifactStore
    from loopline.metadata import MetadataStore

    section = FeaturesSection(module="defs/features.py", online="sqlite:///.loopline/online.db")
    artifacts = ArtifactStore(str(tmp_path / "artifacts")).open()
    with MetadataStore(f"sqlite:///{tmp_path / 'metadata.db'}").open() as metadata:
        with pytest.raises(SourceError, match=r"defs/features.py does not exist") as info:
            workspace_feature_store(tmp_path, section, objects=artifacts, records=metadata.artifacts)
        assert "[features] module" in str(info.value.hint)
        (tmp_path / "defs").mkdir()
        (tmp_path / "defs" / "features.py").write_text(
            "from loopline.features import Entity\nstation = Entity('station', join_keys=['station'])\n"
        )
        monkeypatch.chdir(tmp_path / "defs")
        store = workspace_feature_store(tmp_path, section, objects=artifacts, records=metadata.artifacts)
        with store:
            assert store.online_url == f"sqlite:///{tmp_path}/.loopline/online.db"
            assert store.apply().version == 1
        assert (tmp_path / ".loopline" / "online.db").is_file()
        assert list(store.repository.entities) == ["station"]


@pytest.fixture(scope="module")
def hours() -> pd.DataFrame:
    return prepare(pd.read_csv(data_path()))


def test_the_training_frame_step_equals_a_training_set_from_the_workspace_csv(hours: pd.DataFrame) -> None:
    frame = build_training_frame(hours)
    # The same definitions read from the CSV file (as materialization does) instead of the run's input.
    expected = get_historical_features(repository(), entity_frame(hours).reset_index(drop=True), list(FEATURES))
    assert len(frame) == len(hours)
    assert frame["cnt"].tolist() == hours["cnt"].tolist()
    for ref in FEATURES:
        column = ref.split(":")[1]
        pd.testing.assert_series_equal(frame[column], expected[column], check_names=False, check_dtype=False)
    assert frame["cnt_lag_24h"].notna().mean() > 0.98  # missing: the first day and gaps in the data


def test_the_training_frame_step_refuses_a_table_without_the_hour_columns(hours: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"lacks columns \['hr'\]"):
        build_training_frame(hours.drop(columns=["hr"]))
