"""The three request protocols against a real server: answers equal the package's own predictions."""

from __future__ import annotations

import pytest
from serving_helpers import cancer_frame, cancer_package, cancer_record, colour_package


def expected(rows: slice = slice(0, 3)) -> list[int]:
    features, _ = cancer_frame()
    return cancer_package().predict(features.iloc[rows]).tolist()


def test_predict_route_answers_like_the_package(cancer_server) -> None:
    client, _ = cancer_server
    response = client.post("/predict", json={"records": [cancer_record(i) for i in range(3)]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["predictions"] == expected()
    assert (body["model"], body["version"]) == ("cancer", 1)
    assert body["request_id"] == response.headers["x-request-id"]


def test_every_response_has_a_fresh_request_id(cancer_server) -> None:
    client, _ = cancer_server
    ids = {client.post("/predict", json={"records": [cancer_record()]}, headers={"X-Request-ID": "mine"})
           .headers["x-request-id"] for _ in range(5)}
    ids.add(client.get("/v2/health/live").headers["x-request-id"])
    assert len(ids) == 6 and "mine" not in ids


def test_v2_infer_with_one_tensor_per_column(cancer_server) -> None:
    client, _ = cancer_server
    records = [cancer_record(i) for i in range(3)]
    inputs = [{"name": name, "shape": [3], "datatype": "FP64", "data": [r[name] for r in records]}
              for name in records[0]]
    response = client.post("/v2/models/cancer/infer", json={"id": "abc", "inputs": inputs})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "model_name": "cancer", "model_version": "1", "id": "abc",
        "outputs": [{"name": "prediction", "datatype": "INT64", "shape": [3], "data": expected()}],
    }


def test_v2_infer_with_one_matrix_in_the_listed_input_order(cancer_server) -> None:
    client, _ = cancer_server
    order = [i["name"] for i in client.get("/v2/models/cancer").json()["inputs"]]
    rows = [[cancer_record(i)[name] for name in order] for i in range(3)]
    body = {"inputs": [{"name": "input-0", "shape": [3, len(order)], "datatype": "FP64", "data": rows}]}
    response = client.post("/v2/models/cancer/versions/1/infer", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["outputs"][0]["data"] == expected()


def test_v2_metadata_health_and_readiness(cancer_server) -> None:
    client, _ = cancer_server
    assert client.get("/v2/health/live").json() == {"live": True}
    assert client.get("/v2/health/ready").json() == {"ready": True}
    assert client.get("/v2").json()["name"] == "loopline"
    meta = client.get("/v2/models/cancer").json()
    assert meta["versions"] == ["1"] and meta["platform"] == "sklearn:Pipeline"
    assert len(meta["inputs"]) == 30 and meta["inputs"][0]["datatype"] == "FP64"
    assert meta["outputs"] == [{"name": "prediction", "datatype": "FP64", "shape": [-1]}]
    assert client.get("/v2/models/cancer/ready").json() == {"name": "cancer", "ready": True}
    assert client.get("/v2/models/cancer/versions/1/ready").status_code == 200
    missing = client.get("/v2/models/cancr")
    assert missing.status_code == 404 and "did you mean 'cancer'" in missing.json()["hint"]
    assert client.get("/v2/models/cancer/versions/7").status_code == 404


def test_v2_errors_are_400_with_an_error_member(cancer_server) -> None:
    client, _ = cancer_server
    response = client.post("/v2/models/cancer/infer", json={"inputs": [
        {"name": "mean_radius", "shape": [2], "datatype": "FP64", "data": [1.0]},
        {"name": "mean_texture", "shape": [1], "datatype": "FLOAT", "data": [1.0]},
    ]})
    assert response.status_code == 400
    body = response.json()
    assert "shape [2] needs 2 values, 'data' holds 1" in body["error"]
    assert any("'datatype' must be one of" in p["message"] for p in body["problems"])
    # a well-formed request that does not fit the model is a 400 on V2 too
    partial = client.post("/v2/models/cancer/infer", json={"inputs": [
        {"name": "mean_radius", "shape": [1], "datatype": "FP64", "data": [14.0]}]})
    assert partial.status_code == 400 and "29 problems" in partial.json()["error"]


@pytest.mark.parametrize("body", [
    {"dataframe_split": {"columns": ["C"], "data": [["R"]]}},
    {"dataframe_records": "R"},
    {"instances": "R"},
    {"inputs": "C"},
])
def test_mlflow_invocations_formats(cancer_server, body: dict) -> None:
    client, _ = cancer_server
    records = [cancer_record(i) for i in range(3)]
    columns = list(records[0])
    shaped = {
        "dataframe_split": {"columns": columns, "data": [list(r.values()) for r in records]},
        "dataframe_records": records,
        "instances": records,
        "inputs": {c: [r[c] for r in records] for c in columns},
    }
    key = next(iter(body))
    response = client.post("/invocations", json={key: shaped[key]})
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": expected()}


def test_mlflow_invocations_reads_csv_and_refuses_other_media(cancer_server) -> None:
    client, _ = cancer_server
    features, _ = cancer_frame()
    csv = features.head(3).to_csv(index=False).encode()
    response = client.post("/invocations", content=csv, headers={"Content-Type": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": expected()}
    refused = client.post("/invocations", content=b"x", headers={"Content-Type": "application/xml"})
    assert refused.status_code == 415
    assert refused.json()["error_code"] == "BAD_REQUEST"
    both = client.post("/invocations", json={"instances": [cancer_record()], "inputs": [cancer_record()]})
    assert both.status_code == 422 and "exactly one of" in both.json()["message"]
    assert client.get("/ping").status_code == 200


def test_a_bad_record_gets_422_listing_every_problem(start_server, colour_model) -> None:
    client, _ = start_server([colour_model])
    records = [
        {"colour": "purple", "size": 3.0},  # outside the domain
        {"colour": "red", "size": "big"},  # wrong type (among right ones: mixed types)
        {"size": 1.0, "weight": 2},  # colour missing, weight unknown
    ]
    response = client.post("/predict", json={"records": records})
    assert response.status_code == 422
    problems = {(p["code"], p["column"]): p for p in response.json()["problems"]}
    assert set(problems) == {("UNEXPECTED_CATEGORY", "colour"), ("MIXED_TYPES", "size"),
                             ("MISSING_COLUMN", "colour"), ("UNEXPECTED_COLUMN", "weight")}
    assert problems[("UNEXPECTED_CATEGORY", "colour")]["examples"] == [{"record": 0, "value": "purple"}]
    assert "not an input of model colour/3" in problems[("UNEXPECTED_COLUMN", "weight")]["message"]
    assert response.json()["error"] == "the request does not fit model colour/3: 4 problems found"
    good = client.post("/predict", json={"records": [{"colour": "blue", "size": 2.0}]})
    assert good.status_code == 200  # the server stays up and answers the next request
    assert good.json()["predictions"] == pytest.approx(colour_package().predict(
        __import__("pandas").DataFrame([{"colour": "blue", "size": 2.0}])).tolist())


def test_predict_names_the_model_when_several_are_served(start_server, cancer_model, colour_model) -> None:
    client, _ = start_server([cancer_model, colour_model])
    unnamed = client.post("/predict", json={"records": [cancer_record()]})
    assert unnamed.status_code == 422 and "serves several models (cancer, colour)" in unnamed.json()["error"]
    named = client.post("/predict", json={"model": "colour", "records": [{"colour": "red", "size": 1.0}]})
    assert named.status_code == 200 and named.json()["model"] == "colour"
    by_query = client.post("/invocations?model=cancer", json={"instances": [cancer_record()]})
    assert by_query.json() == {"predictions": expected(slice(0, 1))}


@pytest.mark.parametrize(("body", "message"), [
    ({"rows": []}, "unknown field(s) in the body: rows"),
    ({"records": []}, "'records' is empty"),
    ({"records": {"a": 1}}, "'records' must be a list"),
    ({"records": [1, 2]}, "2 item(s) are not objects"),
    ([1], "must be a JSON object with 'records'"),
])
def test_malformed_predict_bodies_are_422(cancer_server, body: object, message: str) -> None:
    client, _ = cancer_server
    response = client.post("/predict", json=body)
    assert response.status_code == 422
    assert message in response.json()["error"]
