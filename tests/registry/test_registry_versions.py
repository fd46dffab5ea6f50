import multiprocessing
import os
from pathlib import Path

import pytest
from registry_helpers import Setup, make_model_artifact, open_setup

from loopline.errors import InvalidInputError, NotFoundError
from loopline.metadata import Artifact, NewArtifact
from loopline.registry import parse_model_ref


def test_versions_count_up_from_one_and_refs_resolve(setup: Setup, model_artifact: Artifact) -> None:
    registry = setup.registry
    first = registry.register("bikes", model_artifact.id, description="first")
    second = registry.register("bikes", model_artifact.id)
    assert (first.version, second.version) == (1, 2)
    assert first.ref == "bikes/1" and first.created_by
    registry.promote("bikes", 1, "production")
    assert registry.resolve("bikes@production").version == 1
    assert registry.resolve("bikes/2").version == 2
    assert registry.resolve("bikes").version == 2
    assert registry.aliases("bikes") == {"production": 1}
    assert [m.name for m in registry.models()] == ["bikes"]
    assert [v.version for v in registry.versions("bikes")] == [2, 1]
    assert registry.get_version("bikes", 1).aliases == ("production",)


def test_a_version_number_is_never_given_twice_even_after_archiving(setup: Setup, model_artifact: Artifact) -> None:
    registry = setup.registry
    for _ in range(3):
        registry.register("bikes", model_artifact.id)
    archived = registry.archive("bikes", 3, reason="bad")
    assert archived.status == "archived"
    assert registry.register("bikes", model_artifact.id).version == 4
    assert registry.resolve("bikes").version == 4
    with pytest.raises(InvalidInputError, match="bikes/3 is archived already"):
        registry.archive("bikes", 3)


def test_only_recorded_model_artifacts_can_be_registered(setup: Setup, model_artifact: Artifact) -> None:
    dataset = setup.metadata.artifacts.record(NewArtifact("d", "Dataset", model_artifact.uri, model_artifact.digest,
                                                          1, "dir"))
    with pytest.raises(InvalidInputError, match=rf"artifact/{dataset.id} is a Dataset, not a Model"):
        setup.registry.register("bikes", dataset.id)
    with pytest.raises(NotFoundError, match="no artifact with id 999"):
        setup.registry.register("bikes", 999)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bikes@Production", "is not an alias name"),
        ("bikes/0", "is not a version number"),
        ("bikes/x", "'x' is not a version number"),
        ("../etc", "is not a model name"),
        ("", "is not a model reference"),
    ],
)
def test_bad_references_say_which_forms_are_accepted(text: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        parse_model_ref(text)


def test_unknown_names_and_aliases_suggest_close_ones(setup: Setup, model_artifact: Artifact) -> None:
    setup.registry.register("bikes", model_artifact.id)
    setup.registry.promote("bikes", 1, "production")
    with pytest.raises(NotFoundError, match="no registered model named 'bike'") as info:
        setup.registry.resolve("bike@production")
    assert "did you mean 'bikes'" in str(info.value)
    with pytest.raises(NotFoundError, match="model 'bikes' has no alias 'prod'"):
        setup.registry.resolve("bikes@prod")
    with pytest.raises(NotFoundError, match="has no version 7 \\(its versions go up to 1\\)"):
        setup.registry.resolve("bikes/7")


def _register_many(url: str, root: str, artifact_id: int, count: int, barrier: "multiprocessing.synchronize.Barrier",
                   out: "multiprocessing.Queue[list[int]]") -> None:
    opened = open_setup(url, root)
    barrier.wait(30)
    numbers = [opened.registry.register("fleet", artifact_id).version for _ in range(count)]
    out.put(numbers)
    out.close()
    out.join_thread()  # os._exit would drop what the queue's feeder thread has not sent yet
    opened.close()
    os._exit(0)


def test_processes_registering_at_once_never_share_or_skip_a_number(
    database_url: str, tmp_path: Path
) -> None:
    opened = open_setup(database_url, tmp_path / "artifacts")
    artifact = make_model_artifact(opened.metadata, opened.artifacts)
    opened.close()
    context = multiprocessing.get_context("fork")
    barrier, out = context.Barrier(4), context.Queue()
    children = [context.Process(target=_register_many, args=(database_url, str(tmp_path / "artifacts"), artifact.id,
                                                              15, barrier, out)) for _ in range(4)]
    for child in children:
        child.start()
    numbers = sorted(n for _ in children for n in out.get(timeout=60))
    for child in children:
        child.join(30)
    assert [child.exitcode for child in children] == [0] * 4
    assert numbers == list(range(1, 61))
    reopened = open_setup(database_url, tmp_path / "artifacts")
    try:
        assert reopened.registry.get_model("fleet").last_version == 60
        assert reopened.registry.audit.verify().ok
        assert len(reopened.registry.audit.list(action="model.register", limit=100)) == 60
    finally:
        reopened.close()
