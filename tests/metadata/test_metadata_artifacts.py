import pickle
from collections.abc import Callable
from pathlib import Path

import pytest

from loopline.errors import InvalidInputError, NotFoundError
from loopline.metadata import MetadataStore, NewArtifact, StoreNotOpen


def test_record_and_get_an_artifact(store: MetadataStore, artifact: Callable[..., NewArtifact]) -> None:
    new = artifact("bike_hours", rows=17379)
    recorded = store.artifacts.record(new)
    assert (recorded.name, recorded.type, recorded.uri, recorded.digest, recorded.size, recorded.format) == (
        new.name,
        new.type,
        new.uri,
        new.digest,
        new.size,
        new.format,
    )
    assert recorded.properties == {"rows": 17379}
    assert recorded.producer_execution_id is None and recorded.created_at is not None
    assert store.artifacts.get(recorded.id) == recorded


def test_list_filters_by_type_name_digest_and_context(
    store: MetadataStore, artifact: Callable[..., NewArtifact]
) -> None:
    experiment = store.contexts.get_or_create("experiment", "baseline")
    a = store.artifacts.record(artifact("data"))
    b = store.artifacts.record(artifact("model", type="Model"), context_id=experiment.id)
    c = store.artifacts.record(artifact("data", seed="v2"), context_id=experiment.id)
    assert [x.id for x in store.artifacts.list()] == [c.id, b.id, a.id]
    assert [x.id for x in store.artifacts.list(type="Model")] == [b.id]
    assert [x.id for x in store.artifacts.list(name="data")] == [c.id, a.id]
    assert [x.id for x in store.artifacts.list(digest=a.digest)] == [a.id]
    assert [x.id for x in store.artifacts.list(context_id=experiment.id)] == [c.id, b.id]
    assert [x.id for x in store.artifacts.list(limit=1, offset=1)] == [b.id]


def test_unknown_artifact_and_context(store: MetadataStore, artifact: Callable[..., NewArtifact]) -> None:
    with pytest.raises(NotFoundError, match="no artifact with id 3"):
        store.artifacts.get(3)
    with pytest.raises(NotFoundError, match="no context with id 9"):
        store.artifacts.record(artifact("data"), context_id=9)
    assert store.artifacts.list() == []


def test_artifact_fields_are_checked(store: MetadataStore) -> None:
    with pytest.raises(InvalidInputError, match="the artifact.name must be a non-empty string"):
        store.artifacts.record(
            NewArtifact(name="", type="Dataset", uri="sha256:a", digest="a", size=1, format="parquet")
        )
    with pytest.raises(InvalidInputError, match="the artifact must be a NewArtifact, got dict"):
        store.artifacts.record({"name": "x"})  # type: ignore[arg-type]


def test_contexts_are_unique_by_kind_and_name(store: MetadataStore) -> None:
    first = store.contexts.get_or_create("experiment", "baseline", properties={"owner": "ana"})
    again = store.contexts.get_or_create("experiment", "baseline", properties={"owner": "bob"})
    assert again == first and again.properties == {"owner": "ana"}
    other = store.contexts.get_or_create("pipeline", "baseline")
    assert other.id != first.id
    assert [c.id for c in store.contexts.list(kind="experiment")] == [first.id]
    assert store.contexts.get(first.id) == first
    with pytest.raises(InvalidInputError, match="contexts of kind 'run' are made by runs.start"):
        store.contexts.get_or_create("run", "x")


def test_a_store_must_be_opened_first(tmp_path: Path) -> None:
    store = MetadataStore(f"sqlite:///{tmp_path / 'm.db'}")
    assert not (tmp_path / "m.db").exists()  # the constructor touches nothing
    with pytest.raises(
        StoreNotOpen,
        match=r"the metadata store sqlite:///.*m.db is not open\n  hint: call "
        r"MetadataStore\(url\).open\(\) first",
    ):
        store.runs.list()
    with pytest.raises(StoreNotOpen):
        store.check_integrity()
    with store:
        assert store.runs.list() == []
    with pytest.raises(StoreNotOpen):
        store.runs.list()


def test_a_pickled_store_arrives_closed_and_opens(tmp_path: Path) -> None:
    with MetadataStore(f"sqlite:///{tmp_path / 'm.db'}") as store:
        run = store.runs.start("training", params={})
        copy = pickle.loads(pickle.dumps(store))
    assert not copy.is_open
    with copy:
        assert copy.runs.get(run.id) == run
