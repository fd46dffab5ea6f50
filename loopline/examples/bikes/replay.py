"""Replay the bike-sharing hours against a prediction server, as production traffic, with time compressed.

Each hour becomes one real HTTP request to ``POST /predict`` carrying its event time in the
``Loopline-Event-Time`` header, so the prediction log (and the monitors' daily windows) see
simulated time. The request holds what the operations team would know at that hour: the
calendar, the observed weather, and the demand history from earlier hours only. The true
count of an hour arrives ``label_delay`` later through ``POST /feedback``, in one batch at the
end of each simulated day. After each day the replay waits until the server has logged every
prediction it acknowledged, then calls ``on_day_end`` with the simulated midnight: that is
where the agent measures the day, fires alerts and triggers, retrains and promotes.

``speed`` paces the replay at that many simulated seconds per real second; 0 runs as fast as
the server answers.
"""

from __future__ import annotations

import http.client
import json
import json as _json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from loopline.errors import InvalidInputError, LooplineError

EVENT_TIME_HEADER = "Loopline-Event-Time"
FIRST_DAY = "2011-01-01"
LAST_DAY = "2012-12-31"


def replay_hours() -> pd.DataFrame:
    """Every hour of the bundled data with its event time and demand history (earlier hours only)."""
    from loopline.examples import bikes
    from loopline.examples.bikes.features import demand_history, event_times

    hours = pd.read_csv(Path(bikes.__file__).parent / "data" / "bike_sharing_hour.csv")
    hours["timestamp"] = event_times(hours)
    history = demand_history(hours).drop(columns=["city"]).rename(columns={"event_ts": "timestamp"})
    return hours.merge(history, on="timestamp", how="left").sort_values("timestamp", kind="stable") \
        .reset_index(drop=True)


@dataclass
class Served:
    """What the replay sent and got back, one row per hour."""

    timestamp: list[datetime] = field(default_factory=list)
    version: list[int | None] = field(default_factory=list)
    prediction: list[float | None] = field(default_factory=list)
    truth: list[float] = field(default_factory=list)
    request_id: list[str | None] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"timestamp": self.timestamp, "version": self.version, "prediction": self.prediction,
                             "truth": self.truth, "request_id": self.request_id})


@dataclass(frozen=True)
class ReplayResult:
    served: pd.DataFrame
    refused: tuple[str, ...]
    days: int
    elapsed_s: float
    timings: dict[str, float] = field(default_factory=dict)  # seconds spent: requests, feedback, log, day_end


@dataclass(frozen=True)
class Answer:
    status_code: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


class Connection:
    """A kept-alive HTTP/1.1 connection to ``base_url`` (``http://host:port``), reopened if the server closes it.

    The standard library's client: a replay sends tens of thousands of small requests one after
    the other, and this costs the sender a fraction of a general-purpose client's time per request.
    """

    def __init__(self, base_url: str, *, timeout_s: float = 60.0) -> None:
        parsed = urlsplit(base_url)
        if parsed.scheme != "http" or not parsed.hostname:
            raise InvalidInputError(f"the replay needs an http://host:port address, got {base_url!r}")
        self.host, self.port, self.timeout_s = parsed.hostname, parsed.port or 80, timeout_s
        self._conn: http.client.HTTPConnection | None = None

    def post(self, path: str, *, json: Any, headers: dict[str, str] | None = None) -> Answer:
        body = _json.dumps(json, separators=(",", ":"))
        return self._send("POST", path, body, {"Content-Type": "application/json", **(headers or {})})

    def get(self, path: str) -> Answer:
        return self._send("GET", path, None, {})

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, method: str, path: str, body: str | None, headers: dict[str, str]) -> Answer:
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
            try:
                self._conn.request(method, path, body=body, headers=headers)
                response = self._conn.getresponse()
                return Answer(response.status, response.read().decode("utf-8", errors="replace"))
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()  # the server dropped an idle keep-alive connection: once more, on a new one
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


class Replay:
    """Sends the hours of ``[start, start + days)`` to the server at ``client`` (a ``Connection``, or an
    ``httpx.Client`` on the server's base URL)."""

    def __init__(self, client: Any, hours: pd.DataFrame, *, inputs: Sequence[str], start: str, days: int | None = None,
                 speed: float = 0.0, label_delay: timedelta = timedelta(days=1), model: str = "bikes",
                 acknowledged: Callable[[], int] | None = None,
                 on_day_end: Callable[[datetime], None] | None = None,
                 on_progress: Callable[[datetime, int], None] | None = None) -> None:
        if speed < 0:
            raise InvalidInputError(f"speed must be 0 (as fast as possible) or more, got {speed:g}")
        if days is not None and days < 1:
            raise InvalidInputError(f"days must be at least 1, got {days}")
        first = pd.Timestamp(start)
        last = pd.Timestamp(LAST_DAY) + pd.Timedelta(days=1)
        if not pd.Timestamp(FIRST_DAY) <= first < last:
            raise InvalidInputError(f"the replay must start within {FIRST_DAY}..{LAST_DAY}, got {start}")
        end = last if days is None else min(last, first + pd.Timedelta(days=days))
        self.hours = hours[(hours["timestamp"] >= first) & (hours["timestamp"] < end)].reset_index(drop=True)
        self.inputs = list(inputs)
        self.client = client
        self.start, self.end = first, end
        self.speed = speed
        self.label_delay = label_delay
        self.model = model
        self.acknowledged = acknowledged
        self.on_day_end = on_day_end
        self.on_progress = on_progress

    def run(self) -> ReplayResult:
        """Replay every day; returns what was served."""
        served = Served()
        pending: list[tuple[datetime, str, float]] = []  # (label due at, request id, true count)
        answered = 0
        began = time.perf_counter()
        records = json.loads(self.hours[self.inputs].to_json(orient="records"))
        moments = [t.to_pydatetime().replace(tzinfo=UTC) for t in self.hours["timestamp"]]
        truths = self.hours["cnt"].astype(float).tolist()
        days = 0
        day = self.start.to_pydatetime().replace(tzinfo=UTC)
        index = 0
        spent = dict.fromkeys(("requests", "feedback", "log", "day_end"), 0.0)
        while day < self.end.to_pydatetime().replace(tzinfo=UTC):
            midnight = day + timedelta(days=1)
            while index < len(moments) and moments[index] < midnight:
                self._pace(began, moments[index])
                clock = time.perf_counter()
                outcome = self._predict(records[index], moments[index])
                spent["requests"] += time.perf_counter() - clock
                served.timestamp.append(moments[index])
                served.truth.append(truths[index])
                if isinstance(outcome, str):
                    served.refused.append(outcome)
                    served.version.append(None)
                    served.prediction.append(None)
                    served.request_id.append(None)
                else:
                    request_id, version, prediction = outcome
                    answered += 1
                    served.version.append(version)
                    served.prediction.append(prediction)
                    served.request_id.append(request_id)
                    pending.append((moments[index] + self.label_delay, request_id, truths[index]))
                index += 1
            clock = time.perf_counter()
            pending = self._post_feedback(pending, midnight)
            spent["feedback"] += time.perf_counter() - clock
            clock = time.perf_counter()
            self._wait_logged(answered)
            spent["log"] += time.perf_counter() - clock
            days += 1
            if self.on_progress is not None:
                self.on_progress(midnight, days)
            if self.on_day_end is not None:
                clock = time.perf_counter()
                self.on_day_end(midnight)
                spent["day_end"] += time.perf_counter() - clock
            day = midnight
        return ReplayResult(served.frame(), tuple(served.refused), days, time.perf_counter() - began, spent)

    def _predict(self, record: dict[str, Any], moment: datetime) -> tuple[str, int, float] | str:
        response = self.client.post("/predict", json={"model": self.model, "records": [record]},
                                    headers={EVENT_TIME_HEADER: moment.isoformat().replace("+00:00", "Z")})
        if response.status_code == 200:
            body = response.json()
            return body["request_id"], int(body["version"]), float(body["predictions"][0])
        if response.status_code in (400, 422):
            return f"{moment:%Y-%m-%d %H:00}: {response.text[:300]}"
        raise LooplineError(f"the prediction server answered {response.status_code} at {moment:%Y-%m-%d %H:00}: "
                            f"{response.text[:300]}")

    def _post_feedback(self, pending: list[tuple[datetime, str, float]],
                       now: datetime) -> list[tuple[datetime, str, float]]:
        due = [p for p in pending if p[0] <= now]
        if due:
            response = self.client.post("/feedback", json={"feedback": [
                {"request_id": request_id, "label": label} for _, request_id, label in due]})
            if response.status_code != 200:
                raise LooplineError(f"the server refused the feedback: {response.status_code} {response.text[:300]}")
        return [p for p in pending if p[0] > now]

    def _wait_logged(self, answered: int, timeout_s: float = 30.0) -> None:
        """Until the prediction log holds every acknowledged prediction (the server writes in batches)."""
        if self.acknowledged is None:
            return
        deadline = time.monotonic() + timeout_s
        while self.acknowledged() < answered:
            if time.monotonic() > deadline:
                raise LooplineError(f"the prediction log holds {self.acknowledged()} predictions after "
                                    f"{timeout_s:g} s; {answered} were acknowledged")
            time.sleep(0.01)

    def _pace(self, began: float, moment: datetime) -> None:
        if self.speed <= 0:
            return
        simulated = (moment - self.start.to_pydatetime().replace(tzinfo=UTC)).total_seconds()
        wait = began + simulated / self.speed - time.perf_counter()
        if wait > 0:
            time.sleep(wait)


def mae_by_month(frame: pd.DataFrame, prediction: str = "prediction") -> pd.Series:
    """Mean absolute error per calendar month of the rows that got a prediction (negative counts as 0)."""
    rows = frame.dropna(subset=[prediction])
    errors = (rows[prediction].clip(lower=0) - rows["truth"]).abs()
    months = pd.to_datetime(rows["timestamp"], utc=True).dt.strftime("%Y-%m")
    return errors.groupby(months).mean()


__all__ = ["EVENT_TIME_HEADER", "Answer", "Connection", "Replay", "ReplayResult", "mae_by_month", "replay_hours"]
