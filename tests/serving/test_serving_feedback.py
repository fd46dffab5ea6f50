"""POST /feedback: ground truth for logged predictions, by request id, single or in batches."""

from __future__ import annotations

import pytest
from serving_helpers import cancer_record


@pytest.fixture
def logged_server(start_server, cancer_model, sqlite_url):
    return start_server([cancer_model], log_url=sqlite_url)


def test_feedback_for_one_prediction_and_for_every_record_of_a_batch(logged_server) -> None:
    client, state = logged_server
    one = client.post("/predict", json={"records": [cancer_record(0)]}).headers["x-request-id"]
    batch = client.post("/predict", json={"records": [cancer_record(1), cancer_record(2)]}).headers["x-request-id"]
    # posted right away: the predictions may still be in the writer's queue
    assert client.post("/feedback", json={"request_id": one, "label": 1}).json() == {"stored": 1}
    assert client.post("/feedback", json={"request_id": batch, "labels": [0, 1]}).json() == {"stored": 2}
    many = client.post("/feedback", json={"feedback": [{"request_id": one, "label": 0},
                                                       {"request_id": batch, "row_index": 1, "label": 0}]})
    assert many.json() == {"stored": 2}
    labels = {(p.request_id, p.row_index): p.label for p in state.log.list(with_labels=True)}
    assert labels == {(one, 0): 0, (batch, 0): 0, (batch, 1): 0}


def test_feedback_for_an_unknown_request_is_404_and_stores_nothing(logged_server) -> None:
    client, state = logged_server
    known = client.post("/predict", json={"records": [cancer_record()]}).headers["x-request-id"]
    response = client.post("/feedback", json={"feedback": [{"request_id": known, "label": 1},
                                                           {"request_id": "nope", "label": 0}]})
    assert response.status_code == 404
    assert "no logged prediction for 1 of the 2 feedback item(s): nope row 0" in response.json()["error"]
    assert all(p.label is None for p in state.log.list(with_labels=True))


def test_malformed_feedback_lists_every_problem(logged_server) -> None:
    client, _ = logged_server
    response = client.post("/feedback", json={"feedback": [{"label": 1}, {"request_id": "a", "row_index": -1},
                                                           {"request_id": "b", "label": 2, "extra": 1}]})
    assert response.status_code == 422
    assert [p["message"] for p in response.json()["problems"]] == [
        "feedback[0]: 'request_id' must be the X-Request-ID of a prediction, got None",
        "feedback[1]: 'label' (the true value) is missing",
        "feedback[1]: 'row_index' must be an integer >= 0, got -1",
        "feedback[2]: unknown field(s) extra",
    ]


def test_a_server_without_a_log_takes_no_feedback(cancer_server) -> None:
    client, _ = cancer_server
    response = client.post("/feedback", json={"request_id": "a", "label": 1})
    assert response.status_code == 404
    assert response.json()["error"] == "this server keeps no prediction log, so it takes no feedback"
