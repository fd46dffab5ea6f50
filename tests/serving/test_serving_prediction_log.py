"""The prediction log: the store (SQLite and PostgreSQL), the batching writer, and the server writing it."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from serving_helpers import cancer_record

from loopline.errors import InvalidInputError, NotFoundError
from loopline.metadata.predictions import Feedback, PredictionLog, PredictionRecord
from loopline.serving import LoggedRequest, PredictionLogWriter


@pytest.fixture
def log(log_url: str) -> Iterator[PredictionLog]:
    with PredictionLog(log_url) as opened:
        yield opened


def record(request_id: str, row: int = 0, *, model: str = "m", version: int = 1, when: datetime | None = None,
           output: object = 1.5) -> PredictionRecord:
    return PredictionRecord(request_id, row, model, version, when or datetime.now(UTC), {"x": row, "t": None},
                            output, 0.25)


def logged(request_id: str, rows: int = 1) -> LoggedRequest:
    return LoggedRequest(request_id, "m", 1, "primary", datetime.now(UTC), [{"x": i} for i in range(rows)],
                         [float(i) for i in range(rows)], 0.1)


def test_append_stores_rows_and_ignores_repeats(log: PredictionLog) -> None:
    log.append([record("a", 0), record("a", 1), record("b")])
    log.append([record("a", 1), record("c")])  # "a" row 1 again, as after a lost acknowledgement
    stored = log.list()
    assert [(p.request_id, p.row_index) for p in stored] == [("a", 0), ("a", 1), ("b", 0), ("c", 0)]
    assert stored[1].inputs == {"x": 1, "t": None} and stored[1].output == 1.5 and stored[1].latency_ms == 0.25
    assert log.count() == 4 and log.count(model="other") == 0


def test_values_json_cannot_hold_are_stored_as_plain_values(log: PredictionLog) -> None:
    import numpy as np

    stamp = datetime(2024, 5, 1, 12, tzinfo=UTC)
    log.append([PredictionRecord("n", 0, "m", 1, stamp, {"f": float("nan"), "i": np.int64(3), "t": stamp},
                                 np.array([1.0, float("inf")]), 1.0)])
    (row,) = log.list()
    assert row.inputs == {"f": None, "i": 3, "t": "2024-05-01T12:00:00+00:00"}
    assert row.output == [1.0, None]


def test_what_the_fast_encoder_refuses_is_stored_as_plain_values_and_floats_round_trip(log: PredictionLog) -> None:
    from decimal import Decimal

    floats = [0.1, 1e-05, 5e-324, -0.0, 2 / 3, 123456.789e10]
    log.append([
        PredictionRecord("big", 0, "m", 1, datetime.now(UTC), {"n": 2**70, "d": Decimal("1.5"), 3: "key"}, None, 1.0),
        PredictionRecord("floats", 0, "m", 1, datetime.now(UTC), {f"f{i}": v for i, v in enumerate(floats)},
                         floats, 1.0),
    ])
    big, exact = log.list()
    assert big.inputs == {"n": 2**70, "d": "1.5", "3": "key"} and big.output is None
    assert list(exact.inputs.values()) == floats and exact.output == floats


def test_filters_by_model_version_and_time(log: PredictionLog) -> None:
    now = datetime.now(UTC)
    log.append([record("old", when=now - timedelta(hours=2)), record("v2", version=2, when=now),
                record("other", model="n", when=now)])
    assert [p.request_id for p in log.list(model="m")] == ["old", "v2"]
    assert [p.request_id for p in log.list(model="m", version=2)] == ["v2"]
    assert [p.request_id for p in log.list(since=now - timedelta(hours=1))] == ["v2", "other"]
    assert [p.request_id for p in log.list(until=now - timedelta(hours=1))] == ["old"]
    first = log.list(limit=1)[0]
    assert [p.request_id for p in log.list(after_id=first.id)] == ["v2", "other"]


def test_feedback_labels_predictions_and_the_newest_label_counts(log: PredictionLog) -> None:
    log.append([record("a", 0), record("a", 1), record("b")])
    assert log.add_feedback([Feedback("a", 10, 0), Feedback("a", 11, 1)]) == 2
    log.add_feedback([Feedback("a", 12, 1)])  # a correction
    labels = {(p.request_id, p.row_index): p.label for p in log.list(with_labels=True)}
    assert labels == {("a", 0): 10, ("a", 1): 12, ("b", 0): None}


def test_feedback_for_an_unknown_prediction_stores_nothing(log: PredictionLog) -> None:
    log.append([record("a")])
    with pytest.raises(NotFoundError, match=r"no logged prediction for 2 of the 3 feedback item\(s\): "
                                            r"a row 4, zz row 0; nothing was stored"):
        log.add_feedback([Feedback("a", 1), Feedback("zz", 2), Feedback("a", 3, 4)])
    assert all(p.label is None for p in log.list(with_labels=True))
    with pytest.raises(InvalidInputError, match="no feedback given"):
        log.add_feedback([])


def test_the_writer_batches_in_the_background_and_flush_waits(log: PredictionLog) -> None:
    writer = PredictionLogWriter(log, batch_size=50, flush_interval_s=0.5).start()
    for i in range(120):
        assert writer.submit(logged(f"r{i}"))
    assert writer.flush(timeout=10)
    assert log.count() == 120
    stats = writer.close()
    assert (stats.pending, stats.written, stats.spilled) == (0, 120, 0)


def test_close_writes_everything_submitted(log: PredictionLog) -> None:
    writer = PredictionLogWriter(log, batch_size=1000, flush_interval_s=60).start()
    for i in range(300):
        writer.submit(logged(f"r{i}", rows=2))
    writer.close()
    assert log.count() == 600
    assert not writer.submit(logged("late")), "a closed writer takes nothing"


def test_a_full_queue_refuses_instead_of_growing() -> None:
    writer = PredictionLogWriter(_SlowSink(), max_pending=5)  # never started: nothing drains
    assert writer.submit(logged("a", rows=3))
    assert not writer.submit(logged("b", rows=3))
    assert writer.submit(logged("c", rows=2))
    assert writer.stats().pending == 5


class _SlowSink:
    def __init__(self) -> None:
        self.rows: list[PredictionRecord] = []

    def append(self, records: Sequence[PredictionRecord]) -> int:
        self.rows += records
        return len(records)


class _FlakySink(_SlowSink):
    """Fails ``failures`` times, then stores."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.lock = threading.Lock()

    def append(self, records: Sequence[PredictionRecord]) -> int:
        with self.lock:
            if self.failures > 0:
                self.failures -= 1
                raise ConnectionError("database down")
        return super().append(records)


def test_failed_writes_are_retried_in_order() -> None:
    sink = _FlakySink(failures=3)
    writer = PredictionLogWriter(sink, flush_interval_s=0.01).start()
    for i in range(10):
        writer.submit(logged(f"r{i}"))
    assert writer.flush(timeout=10)
    stats = writer.close()
    assert [r.request_id for r in sink.rows] == [f"r{i}" for i in range(10)]
    assert stats.failed_writes == 3


def test_an_unreachable_log_spills_to_a_file_that_the_next_start_replays(tmp_path: Path, log_url: str) -> None:
    dead = _FlakySink(failures=10**9)
    writer = PredictionLogWriter(dead, close_timeout_s=0.3, spill_dir=tmp_path / "spill").start()
    for i in range(5):
        writer.submit(logged(f"r{i}", rows=2))
    stats = writer.close()
    assert stats.spilled == 10 and stats.pending == 0
    assert len(list((tmp_path / "spill").glob("*.jsonl"))) == 1
    with PredictionLog(log_url) as log:
        PredictionLogWriter(log, spill_dir=tmp_path / "spill").start().close()
        assert sorted((p.request_id, p.row_index) for p in log.list()) == [
            (f"r{i}", j) for i in range(5) for j in range(2)]
    assert not list((tmp_path / "spill").glob("*.jsonl"))


def test_the_server_logs_every_prediction_with_its_request_id(start_server, cancer_model, log_url: str) -> None:
    client, state = start_server([cancer_model], log_url=log_url)
    single = client.post("/predict", json={"records": [cancer_record(0)]})
    batch = client.post("/invocations", json={"dataframe_records": [cancer_record(1), cancer_record(2)]})
    refused = client.post("/predict", json={"records": [{"mean_radius": "x"}]})
    assert (single.status_code, batch.status_code, refused.status_code) == (200, 200, 422)
    assert state.writer.flush(timeout=10)
    rows = state.log.list()
    assert [(r.request_id, r.row_index) for r in rows] == [
        (single.headers["x-request-id"], 0), (batch.headers["x-request-id"], 0), (batch.headers["x-request-id"], 1)]
    assert rows[0].inputs == cancer_record(0)
    assert rows[0].output == single.json()["predictions"][0]
    assert (rows[0].model, rows[0].version, rows[0].served_as) == ("cancer", 1, "primary")
    assert 0 < rows[0].latency_ms < 5000


def test_a_full_log_refuses_predictions_with_503(cancer_model) -> None:
    import httpx
    from serving_helpers import ServerThread

    from loopline.serving import ModelSlots, ServingMetrics, ServingState, create_app

    gate = threading.Event()

    class Stuck(_SlowSink):
        def append(self, records: Sequence[PredictionRecord]) -> int:
            gate.wait(30)
            return super().append(records)

    state = ServingState(slots=ModelSlots([cancer_model]), metrics=ServingMetrics(), access_log=False,
                         writer=PredictionLogWriter(Stuck(), max_pending=2, flush_interval_s=0.01))
    state.service.backpressure_timeout_s = 0.1
    try:
        with ServerThread(create_app(state)) as server, httpx.Client(base_url=server.url) as client:
            answers = [client.post("/predict", json={"records": [cancer_record()]}) for _ in range(3)]
            assert [a.status_code for a in answers] == [200, 200, 503]
            assert answers[2].headers["retry-after"] == "1"
            assert answers[2].json()["error"] == "the prediction log is not keeping up, so the prediction was not made"
            assert "loopline_prediction_log_refused_requests_total 1.0" in client.get("/metrics").text
            gate.set()
    finally:
        gate.set()


def test_a_spill_file_that_cannot_be_stored_is_kept_and_serving_goes_on(tmp_path: Path) -> None:
    spill = tmp_path / "spill"
    spill.mkdir()
    (spill / "prediction-log-spill-1-1.jsonl").write_text("{not json\n")
    sink = _SlowSink()
    writer = PredictionLogWriter(sink, spill_dir=spill).start()
    assert writer.submit(logged("after"))
    writer.close()
    assert [r.request_id for r in sink.rows] == ["after"]
    assert (spill / "prediction-log-spill-1-1.jsonl").exists()
