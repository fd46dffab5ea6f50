"""Requests that carry only entity keys: features come from the online store, as in the training frame."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loopline.features import (
    Entity,
    Feature,
    FeatureRepository,
    FeatureStore,
    FeatureView,
    OnDemandFeatureView,
    RequestField,
)
from loopline.registry import ModelPackage, signature_from_schema
from loopline.serving import ServedModel, ServerConfigError
from loopline.serving.batch import predict_file
from loopline.validation import infer_schema, profile

shop = Entity("shop", join_keys=["shop"])
REFS = ["stats:temp", "stats:visits", "basket:share"]


def share(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"share": frame["basket"] / frame["visits"].astype("float64")})


def repository() -> FeatureRepository:
    rows = pd.DataFrame({
        "shop": [1, 2, 1],
        "event_ts": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02"]),
        "temp": [10.0, 20.0, 12.0],
        "visits": [100, 50, 120],
    })
    stats = FeatureView("stats", entities=[shop], source=rows,
                        features=[Feature("temp", "float64"), Feature("visits", "int64")])
    basket = OnDemandFeatureView("basket", sources=[stats, RequestField("basket", "float64")], function=share,
                                 features=[Feature("share", "float64")])
    return FeatureRepository([shop, stats, basket])


@pytest.fixture(scope="module")
def feature_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeatureStore]:
    url = f"sqlite:///{tmp_path_factory.mktemp('online') / 'features.db'}"
    with FeatureStore(repository(), url) as store:
        store.apply()
        store.materialize(None, "2023-12-01", "2024-02-01")
        yield store


@pytest.fixture(scope="module")
def package() -> ModelPackage:
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"temp": rng.uniform(0, 30, 200), "visits": rng.integers(10, 200, 200),
                          "share": rng.uniform(0, 1, 200), "hour": rng.integers(0, 24, 200)})
    target = frame["temp"] + frame["visits"] * 0.1 + frame["share"] * 5 + frame["hour"]
    schema = infer_schema(profile(frame), range_slack=10.0)
    return ModelPackage(LinearRegression().fit(frame, target), signature=signature_from_schema(schema),
                        sample_input=frame.head(10), info={"online_features": {"refs": REFS}})


@pytest.fixture
def client(start_server, package: ModelPackage, feature_store: FeatureStore, sqlite_url: str):
    model = ServedModel.build("shops", 2, package, feature_store=feature_store)
    return start_server([model], log_url=sqlite_url)


def direct(package: ModelPackage, **values: float) -> float:
    return float(package.predict(pd.DataFrame([values]))[0])


def test_entity_keys_are_enough(client, package: ModelPackage) -> None:
    http, state = client
    response = http.post("/predict", json={"records": [{"shop": 1, "basket": 6.0, "hour": 5},
                                                       {"shop": 2, "basket": 5.0, "hour": 1}]})
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == pytest.approx([
        direct(package, temp=12.0, visits=120, share=0.05, hour=5),  # shop 1's latest values
        direct(package, temp=20.0, visits=50, share=0.1, hour=1),
    ])
    state.writer.flush(timeout=10)
    logged = state.log.list()[0].inputs
    assert logged == {"shop": 1, "basket": 6.0, "hour": 5, "temp": 12.0, "visits": 120, "share": 0.05}


def test_a_record_with_its_features_is_predicted_as_given(client, package: ModelPackage) -> None:
    http, _ = client
    given = {"temp": 1.0, "visits": 10, "share": 0.5, "hour": 3}
    response = http.post("/predict", json={"records": [{"shop": 1, "basket": 6.0, **given}]})
    assert response.json()["predictions"] == pytest.approx([direct(package, **given)])


def test_a_record_of_features_alone_takes_the_clean_record_lane(package: ModelPackage,
                                                                 feature_store: FeatureStore) -> None:
    from loopline.serving.inference import infer

    model = ServedModel.build("shops", 2, package, feature_store=feature_store)
    given = {"temp": 1.0, "visits": 10, "share": 0.5, "hour": 3}
    assert model.reader is not None and model.reader.read([given]) is not None
    assert infer(model, [given]).predictions == pytest.approx([direct(package, **given)])
    with_keys = {"shop": 1, "basket": 6.0, "hour": 5}  # keys are not inputs: the full path looks features up
    assert model.reader.read([with_keys]) is None
    assert infer(model, [with_keys]).predictions == pytest.approx([direct(package, temp=12.0, visits=120,
                                                                          share=0.05, hour=5)])


def test_missing_keys_are_listed(client) -> None:
    http, _ = client
    response = http.post("/predict", json={"records": [{"basket": 1.0, "hour": 1}, {"shop": 1, "hour": 2}]})
    assert response.status_code == 422
    problems = {p["column"]: p["examples"] for p in response.json()["problems"]}
    assert problems == {"shop": [0], "basket": [1]}
    assert "send shop, basket in every record" in response.json()["hint"]


def test_an_unknown_entity_is_named(client) -> None:
    http, _ = client
    response = http.post("/predict", json={"records": [{"shop": 99, "basket": 1.0, "hour": 1}]})
    assert response.status_code == 422
    messages = [p["message"] for p in response.json()["problems"]]
    assert "record 0: the online store has no fresh values in stats for its keys" in messages


def test_batch_prediction_looks_features_up_too(tmp_path: Path, package: ModelPackage,
                                                feature_store: FeatureStore) -> None:
    model = ServedModel.build("shops", 2, package, feature_store=feature_store)
    pd.DataFrame({"shop": [2, 1], "basket": [5.0, 6.0], "hour": [1, 5]}).to_csv(tmp_path / "in.csv", index=False)
    predict_file(model, tmp_path / "in.csv", tmp_path / "out.csv")
    out = pd.read_csv(tmp_path / "out.csv")
    assert list(out.columns) == ["shop", "basket", "hour", "prediction"]
    assert out["prediction"].tolist() == pytest.approx([direct(package, temp=20.0, visits=50, share=0.1, hour=1),
                                                        direct(package, temp=12.0, visits=120, share=0.05, hour=5)])


def test_a_model_that_looks_features_up_needs_a_feature_store(package: ModelPackage) -> None:
    with pytest.raises(ServerConfigError, match="looks its features up in the online store, but the server has no"):
        ServedModel.build("shops", 2, package)
    broken = ModelPackage(package.model, signature=package.signature, info={"online_features": ["stats:temp"]})
    with pytest.raises(ServerConfigError, match=r"info\['online_features'\] must be \{'refs'"):
        ServedModel.build("shops", 2, broken)
