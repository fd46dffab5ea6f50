"""The evaluation steps and how their values are stored: Evaluation and Blessing artifacts."""

from __future__ import annotations

from pathlib import Path

import pytest
from evaluation_helpers import FEATURES, HOUR_BUCKETS, TARGET, regression_evaluation

from loopline.artifacts import ArtifactStore, decode, store_value
from loopline.evaluation import Blessing, as_blessing, as_evaluation, bless, evaluate
from loopline.evaluation.steps import bless_model, evaluate_model
from loopline.metadata import ArtifactType, MetadataStore, NewArtifact
from loopline.pipelines import recording
from loopline.pipelines.artifact_types import artifact_type_of
from loopline.pipelines.context import RunContext, running
from loopline.registry import ModelPackage


@pytest.fixture
def stores(tmp_path: Path):  # type: ignore[no-untyped-def]
    metadata = MetadataStore(f"sqlite:///{tmp_path / 'metadata.db'}").open()
    try:
        yield metadata, ArtifactStore(str(tmp_path / "artifacts")).open()
    finally:
        metadata.close()


def test_an_evaluation_is_stored_as_json_with_its_metrics_as_properties(bike_model, bikes_split, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _, test = bikes_split
    with recording() as record:
        evaluation = evaluate_model(bike_model, test, target=TARGET, slices=["season", "hour_bucket"],
                                    buckets=HOUR_BUCKETS)
    assert {p.key for p in record.metrics} == set(evaluation.metrics)
    assert artifact_type_of(evaluation) == ArtifactType.EVALUATION.value
    store = ArtifactStore(str(tmp_path / "artifacts")).open()
    stored = store_value(store, evaluation)
    assert stored.format == "json"
    assert stored.properties["metrics"] == evaluation.metrics
    assert stored.properties["slice_columns"] == ["season", "hour_bucket"]
    assert as_evaluation(decode(store, stored.uri, stored.format)) == evaluation


def test_a_blessing_is_stored_with_its_verdict_and_candidate_as_properties(tmp_path: Path) -> None:
    blessing = bless(regression_evaluation(100, {"a": 1.0}), regression_evaluation(99, {"a": 1.0}),
                     [{"metric": "rmse", "max": 50, "max_slice_worsening": 0.1}], candidate_id=12, baseline_id=7,
                     baseline_ref="m/1 (production)", min_slice_rows=1)
    assert artifact_type_of(blessing) == ArtifactType.BLESSING.value
    store = ArtifactStore(str(tmp_path / "artifacts")).open()
    stored = store_value(store, blessing)
    assert stored.properties["blessed"] is False and stored.properties["candidate"] == 12
    assert stored.properties["baseline"] == 7 and stored.properties["failed"] == ["rmse <= 50"]
    again = as_blessing(decode(store, stored.uri, stored.format))
    assert again == blessing and isinstance(again, Blessing)


def test_bless_outside_a_run_has_no_baseline_and_no_candidate_id(bike_model, bikes_split) -> None:  # type: ignore[no-untyped-def]
    _, test = bikes_split
    with recording() as record:
        blessing = bless_model(bike_model, test, target=TARGET, model_name="bikes",
                               rules=[{"metric": "rmse", "max": 1000}, {"metric": "rmse", "max_worsening": 0.0}])
    assert blessing.blessed and blessing.candidate is None and blessing.baseline is None
    assert record.params["baseline"] == "none" and record.metric_series("blessed") == [1.0]


def test_a_package_read_back_from_the_store_is_opened_after_its_digest_is_checked(
    bike_model, bikes_split, stores  # type: ignore[no-untyped-def]
) -> None:
    metadata, artifacts = stores
    _, test = bikes_split
    package = ModelPackage(bike_model, info={"features": FEATURES})
    stored = store_value(artifacts, package)
    folder = decode(artifacts, stored.uri, stored.format)
    assert isinstance(folder, Path)  # what a worker process or a Ray task receives
    run = metadata.runs.start("t", params={})
    record = metadata.artifacts.record(
        NewArtifact("model_package", "Model", stored.uri, stored.digest, stored.size, stored.format, stored.properties),
        context_id=run.id,
    )
    execution = metadata.executions.start(run.id, "bless", cache_key=None, params={})
    context = RunContext(run.id, execution.id, "bless", metadata, artifacts, {"model_package": record},
                         {"package": "model_package"})
    with recording(), running(context):
        blessing = bless_model(folder, test, target=TARGET, model_name="bikes", rules=[{"metric": "rmse", "max": 1e6}])
    assert blessing.candidate == record.id and blessing.blessed and blessing.baseline is None
    assert blessing.candidate_metrics == pytest.approx(evaluate(bike_model, test, target=TARGET).metrics)


def test_a_packaged_classifier_keeps_its_probabilities(classified) -> None:  # type: ignore[no-untyped-def]
    from loopline.training.columns import FeatureColumns

    frame, model = classified
    package = ModelPackage(model, preprocessing=FeatureColumns(("a", "b", "c", "d")),
                           info={"features": ["a", "b", "c", "d"]})
    evaluation = evaluate(package, frame, target="label")
    assert evaluation.task == "classification" and "roc_auc" in evaluation.metrics
    assert evaluation.metrics == pytest.approx(evaluate(model, frame, target="label",
                                                        features=["a", "b", "c", "d"]).metrics)
