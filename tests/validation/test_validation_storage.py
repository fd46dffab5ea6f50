"""Schemas and profiles kept in files and in the workspace's stores (versioned Schema artifacts)."""

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from loopline.artifacts import ArtifactStore, store_value
from loopline.errors import InvalidInputError, NotFoundError
from loopline.metadata import MetadataStore, NewArtifact
from loopline.validation import Profile, SchemaFormatError, infer_schema, profile
from loopline.validation.storage import (
    UnreadableFileError,
    load_profile_artifact,
    load_schema_version,
    parse_schema_ref,
    read_profile_file,
    read_schema_file,
    read_schema_text,
    save_schema,
    schema_names,
    schema_versions,
)

FRAME = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": ["a", "b", "a", "b"]})


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[MetadataStore, ArtifactStore]]:
    metadata = MetadataStore(f"sqlite:///{tmp_path / 'metadata.db'}").open()
    try:
        yield metadata, ArtifactStore(str(tmp_path / "artifacts")).open()
    finally:
        metadata.close()


def test_versions_count_from_one_and_identical_text_is_not_saved_again(
    stores: tuple[MetadataStore, ArtifactStore],
) -> None:
    metadata, artifacts = stores
    text = "# our reviewed schema\n" + infer_schema(FRAME).to_yaml()
    first, created = save_schema(metadata, artifacts, text, name="orders")
    assert (first.ref, created) == ("orders@1", True)
    same, created = save_schema(metadata, artifacts, text, name="orders")
    assert (same.version, same.artifact.id, created) == (1, first.artifact.id, False)
    second, _ = save_schema(metadata, artifacts, infer_schema(FRAME, label="x"), name="orders")
    assert second.version == 2 and second.artifact.type == "Schema"
    assert load_schema_version(metadata, artifacts, "orders", 1).text == text  # comments kept as written
    assert load_schema_version(metadata, artifacts, "orders").schema.label == "x"
    assert [a.id for a in schema_versions(metadata, "orders")] == [first.artifact.id, second.artifact.id]
    assert schema_names(metadata) == ["orders"]


def test_unknown_names_and_versions_say_what_exists(stores: tuple[MetadataStore, ArtifactStore]) -> None:
    metadata, artifacts = stores
    with pytest.raises(NotFoundError, match="no schema named 'orders'") as info:
        load_schema_version(metadata, artifacts, "orders")
    assert "loopline schema save" in (info.value.hint or "")
    save_schema(metadata, artifacts, infer_schema(FRAME), name="orders")
    with pytest.raises(NotFoundError, match="no schema named 'order'") as info:
        load_schema_version(metadata, artifacts, "order")
    assert "did you mean 'orders'?" in (info.value.hint or "")
    with pytest.raises(NotFoundError, match="schema 'orders' has no version 4") as info:
        load_schema_version(metadata, artifacts, "orders", 4)
    assert info.value.hint == "its versions are 1 to 1"


def test_saving_checks_the_name_and_the_text(stores: tuple[MetadataStore, ArtifactStore]) -> None:
    metadata, artifacts = stores
    with pytest.raises(InvalidInputError, match="not a usable schema name"):
        save_schema(metadata, artifacts, infer_schema(FRAME), name="a b@2")
    with pytest.raises(SchemaFormatError, match="'columns' must be a mapping"):
        save_schema(metadata, artifacts, "version: 1\n", name="orders")
    assert schema_names(metadata) == []


def test_schema_refs() -> None:
    assert parse_schema_ref("orders") == ("orders", None)
    assert parse_schema_ref("orders@12") == ("orders", 12)
    with pytest.raises(InvalidInputError, match="names no version"):
        parse_schema_ref("orders@latest")
    with pytest.raises(InvalidInputError, match="names no version"):
        parse_schema_ref("orders@0")


def test_schema_files_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    with pytest.raises(UnreadableFileError, match="does not exist"):
        read_schema_file(path)
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(UnreadableFileError, match="is binary"):
        read_schema_file(path)
    path.write_bytes("columns:\n  x: {type: numeric}\n".encode("utf-16"))
    with pytest.raises(UnreadableFileError, match="binary|not UTF-8"):
        read_schema_file(path)
    path.write_text("columns:\n  x: {type: numerik}\n", encoding="utf-8")
    with pytest.raises(SchemaFormatError, match=r"schema.yaml: schema column 'x'"):
        read_schema_file(path)
    text = "# mine\n" + infer_schema(FRAME).to_yaml()
    path.write_text(text, encoding="utf-8")
    schema, kept = read_schema_text(path)
    assert kept == text and schema.names == ("x", "y")


def test_profile_files_round_trip_and_reject_what_is_not_a_profile(tmp_path: Path) -> None:
    import json

    stats = profile(FRAME)
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(stats.to_dict()), encoding="utf-8")
    assert read_profile_file(path) == stats
    for content, message in (("{not json", "not valid JSON"), ("[1, 2]", "holds a JSON list"),
                             ('{"format": "other"}', "not a profile"), ('{"format": "loopline.profile"}', "damaged")):
        path.write_text(content, encoding="utf-8")
        with pytest.raises(UnreadableFileError, match=message):
            read_profile_file(path)


def test_a_statistics_artifact_is_read_back_and_other_types_are_refused(
    stores: tuple[MetadataStore, ArtifactStore],
) -> None:
    metadata, artifacts = stores
    stats = profile(FRAME)
    records = {}
    for name, value, kind in (("stats", stats, "Statistics"), ("as_json", stats.to_dict(), "Statistics"),
                              ("table", FRAME, "Dataset")):
        stored = store_value(artifacts, value)
        records[name] = metadata.artifacts.record(
            NewArtifact(name, kind, stored.uri, stored.digest, stored.size, stored.format))
    assert load_profile_artifact(metadata, artifacts, records["stats"].id) == stats
    assert isinstance(load_profile_artifact(metadata, artifacts, records["as_json"].id), Profile)
    with pytest.raises(InvalidInputError, match=r"is a Dataset artifact, not Statistics"):
        load_profile_artifact(metadata, artifacts, records["table"].id)
