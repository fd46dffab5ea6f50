import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from registry_helpers import FEATURES, Doubler, Setup, make_package
from sqlalchemy import update

from loopline.artifacts import ArtifactIntegrityError
from loopline.artifacts.digests import object_key
from loopline.errors import InvalidInputError
from loopline.metadata import Artifact, NewArtifact, tables
from loopline.pipelines import Pipeline, run_pipeline, step
from loopline.registry import ModelPackage, PermissionDenied, UntrustedModelError, read_package, signature_from_schema
from loopline.registry.package import folder_digest
from loopline.validation import infer_schema


def test_a_package_round_trips_through_its_folder(tmp_path: Path) -> None:
    package = ModelPackage(Doubler(1.0), signature=make_package().signature, preprocessing=lambda f: f * 10,
                           sample_input=FEATURES, info={"features": ["a", "b"], "when": pd.Timestamp("2024-01-01")})
    folder = package.save(tmp_path / "pkg")
    loaded = read_package(folder, recorded_digest=folder_digest(folder))
    assert list(loaded.predict(FEATURES)) == [21.0, 61.0, 61.0, 101.0]
    assert loaded.info == {"features": ["a", "b"], "when": "2024-01-01 00:00:00"}
    pd.testing.assert_frame_equal(loaded.sample_input, FEATURES)
    with pytest.raises(InvalidInputError, match="the input lacks the column\\(s\\) b that the model's signature"):
        loaded.predict(FEATURES[["a"]])
    with pytest.raises(InvalidInputError, match="needs a model with a predict method"):
        ModelPackage(object())


def test_a_folder_that_differs_from_the_record_is_never_unpickled(tmp_path: Path) -> None:
    folder = make_package().save(tmp_path / "pkg")
    digest = folder_digest(folder)
    (folder / "model.pkl").write_bytes(pickle.dumps(Doubler(99.0)))
    with pytest.raises(UntrustedModelError, match="is not the one Loopline recorded.*nothing was unpickled"):
        read_package(folder, recorded_digest=digest)


def test_a_step_returning_a_package_records_a_model_folder(setup: Setup, model_artifact: Artifact) -> None:
    assert (model_artifact.type, model_artifact.format) == ("Model", "dir")
    assert model_artifact.properties["model_class"].endswith("registry_helpers.Doubler")
    assert set(setup.artifacts.manifest(model_artifact.uri)) == {
        "model.pkl", "package.json", "sample_input.parquet", "signature.json",
    }
    setup.registry.register("bikes", model_artifact.id)
    assert list(setup.registry.load("bikes/1").predict(FEATURES)) == [2.0, 6.0, 6.0, 10.0]


def test_a_tampered_model_file_in_the_store_is_refused(setup: Setup, model_artifact: Artifact) -> None:
    setup.registry.register("bikes", model_artifact.id)
    model_digest = setup.artifacts.manifest(model_artifact.uri)["model.pkl"].digest
    stored = Path(setup.artifacts.location) / object_key(model_digest)
    stored.chmod(0o644)
    stored.write_bytes(pickle.dumps(Doubler(666.0)))
    shutil.rmtree(Path(setup.artifacts.location) / "cache", ignore_errors=True)
    with pytest.raises(ArtifactIntegrityError, match="is damaged"):
        setup.registry.load("bikes/1")


def test_a_model_record_loopline_did_not_write_is_refused(setup: Setup, model_artifact: Artifact) -> None:
    foreign = setup.metadata.artifacts.record(NewArtifact(
        "model", "Model", model_artifact.uri, model_artifact.digest, model_artifact.size, "dir",
    ))
    with pytest.raises(UntrustedModelError, match=f"artifact/{foreign.id} was neither produced by a Loopline run"):
        setup.registry.register("bikes", foreign.id)


@step(outputs="model", types={"model": "Model"})
def smuggle(*, folder: str) -> Path:
    return Path(folder)


def test_a_file_the_package_does_not_list_is_refused(setup: Setup, tmp_path: Path) -> None:
    folder = make_package().save(tmp_path / "pkg")
    (folder / "extra.pkl").write_bytes(pickle.dumps(Doubler()))
    result = run_pipeline(Pipeline([smuggle], name="smuggle"), metadata=setup.metadata, artifacts=setup.artifacts,
                          params={"folder": str(folder)})
    setup.registry.register("bikes", result.steps["smuggle"].outputs["model"].id)
    with pytest.raises(UntrustedModelError, match="holds extra.pkl, which its package.json does not list"):
        setup.registry.load("bikes/1")


def test_import_needs_trust_and_an_admin_and_is_audited(setup: Setup, tmp_path: Path) -> None:
    registry = setup.registry
    pickled = tmp_path / "outside.pkl"
    pickled.write_bytes(pickle.dumps(Doubler(5.0)))
    with pytest.raises(InvalidInputError, match="imports outside models only when told to trust them"):
        registry.import_model(pickled, name="outside", trust=False)
    registry.users.add("root", "admin", actor="root")
    registry.users.add("dev", "developer", actor="root")
    with pytest.raises(PermissionDenied, match="may not import outside models"):
        registry.import_model(pickled, name="outside", trust=True, user="dev")
    version = registry.import_model(pickled, name="outside", trust=True, user="root", reason="vendor model")
    assert list(registry.load("outside/1").predict(FEATURES)) == [7.0, 11.0, 11.0, 15.0]
    event = registry.audit.list(action="model.import")[0]
    assert (event.actor, event.target, event.reason) == ("root", "model:outside/1", "vendor model")
    assert event.details["artifact_id"] == version.artifact_id and event.details["source"]["kind"] == "pickle"

    saved = make_package(3.0).save(tmp_path / "saved")
    registry.import_model(saved, name="outside", trust=True, user="root")
    assert list(registry.load("outside/2").predict(FEATURES)) == [5.0, 9.0, 9.0, 13.0]


def test_an_import_whose_audit_event_was_edited_is_refused(setup: Setup, tmp_path: Path) -> None:
    pickled = tmp_path / "outside.pkl"
    pickled.write_bytes(pickle.dumps(Doubler()))
    setup.registry.import_model(pickled, name="outside", trust=True)
    events = tables.audit_events
    setup.registry.db.write(lambda conn: conn.execute(
        update(events).where(events.c.action == "model.import").values(reason="edited")
    ))
    with pytest.raises(UntrustedModelError, match="the audit event that imported artifact/.* was edited"):
        setup.registry.load("outside/1")


def test_signature_from_schema_takes_the_serving_columns() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0], "season": ["winter", "spring"], "cnt": [3, 4]})
    schema = infer_schema(frame, label="cnt")
    signature = signature_from_schema(schema, features=["season", "a"])
    assert [i["name"] for i in signature["inputs"]] == ["season", "a"]
    assert signature["inputs"][0]["type"] == "categorical"
    assert signature["outputs"] == [{"name": "prediction", "type": "numeric"}]


_FRESH = """
import sys
import loopline
package = loopline.load_model(sys.argv[1], workspace=sys.argv[2])
print(type(package).__name__, list(package.predict(package.sample_input)))
"""


def test_load_model_works_in_a_fresh_process(sqlite_setup: Setup, tmp_path: Path) -> None:
    from registry_helpers import make_model_artifact

    artifact = make_model_artifact(sqlite_setup.metadata, sqlite_setup.artifacts)
    sqlite_setup.registry.register("bikes", artifact.id)
    sqlite_setup.registry.promote("bikes", 1, "production")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "loopline.toml").write_text(
        f'[metadata]\nurl = "{sqlite_setup.url}"\n[artifacts]\nroot = "{sqlite_setup.artifact_root}"\n'
    )
    done = subprocess.run([sys.executable, "-c", _FRESH, "bikes@production", str(workspace)], capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ModelPackage [2.0, 6.0, 6.0, 10.0]"
