"""The Loopline-Event-Time header: predictions of a replayed request are logged at the event's time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from serving_helpers import cancer_record

from loopline.serving import EVENT_TIME_HEADER, RequestRejected, parse_event_time

HEADER = {EVENT_TIME_HEADER: "2011-03-01T13:00:00Z"}
EVENT = datetime(2011, 3, 1, 13, tzinfo=UTC)


def _v2_body(n: int) -> dict[str, object]:
    records = [cancer_record(i) for i in range(n)]
    return {"inputs": [{"name": k, "shape": [n], "datatype": "FP64", "data": [r[k] for r in records]}
                       for k in records[0]]}


def test_every_route_logs_the_event_time_it_is_given(start_server, cancer_model, log_url: str) -> None:
    client, state = start_server([cancer_model], log_url=log_url)
    before = datetime.now(UTC)
    answers = [
        client.post("/predict", json={"records": [cancer_record(0), cancer_record(1)]}, headers=HEADER),
        client.post("/invocations", json={"dataframe_records": [cancer_record(2)]},
                    headers={EVENT_TIME_HEADER: "2011-03-01T15:30:00+02:30"}),
        client.post("/v2/models/cancer/infer", json=_v2_body(2), headers=HEADER),
        client.post("/v2/models/cancer/versions/1/infer", json=_v2_body(1), headers=HEADER),
        client.post("/predict", json={"records": [cancer_record(3)]}),  # no header: the server's clock
    ]
    assert [a.status_code for a in answers] == [200] * 5
    assert state.writer.flush(timeout=10)
    times = {}
    for row in state.log.list():
        times.setdefault(row.request_id, []).append(row.created_at)
    ids = [a.headers["x-request-id"] for a in answers]
    assert [len(times[i]) for i in ids] == [2, 1, 2, 1, 1]
    for request_id in ids[:4]:
        assert all(_utc(t) == EVENT for t in times[request_id]), times[request_id]
    assert _utc(times[ids[4]][0]) >= before - timedelta(seconds=1)


def test_a_bad_event_time_is_refused_and_nothing_is_logged(start_server, cancer_model, log_url: str) -> None:
    client, state = start_server([cancer_model], log_url=log_url)
    for value in ("2011-03-01T13:00:00", "yesterday", "2011-03-01", "2011-13-01T13:00:00Z", "13:00:00Z", ""):
        headers = {EVENT_TIME_HEADER: value}
        plain = client.post("/predict", json={"records": [cancer_record(0)]}, headers=headers)
        mlflow = client.post("/invocations", json={"dataframe_records": [cancer_record(0)]}, headers=headers)
        v2 = client.post("/v2/models/cancer/infer", json=_v2_body(1), headers=headers)
        assert (plain.status_code, mlflow.status_code, v2.status_code) == (422, 422, 400), value
        for message in (plain.json()["error"], mlflow.json()["message"], v2.json()["error"]):
            assert EVENT_TIME_HEADER in message and "ISO 8601 with a timezone offset or Z" in message
    assert state.writer.flush(timeout=10)
    assert state.log.count() == 0


def test_parse_event_time_converts_offsets_to_utc() -> None:
    assert parse_event_time("2011-03-01T13:00:00Z") == EVENT
    assert parse_event_time("2011-03-01T14:00:00.250+01:00") == EVENT + timedelta(milliseconds=250)
    assert parse_event_time("2011-03-01 13:00:00+00:00").tzinfo is UTC
    with pytest.raises(RequestRejected, match=f"the {EVENT_TIME_HEADER} header '2011-03-01T13:00:00' has no timezone"):
        parse_event_time("2011-03-01T13:00:00")


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
