"""The prediction log: every served prediction and the ground truth posted back for it.

One row per predicted record: the request id and the record's place in the request, the
model name and version, the inputs after feature lookup, the output and the latency. The
server writes rows in batches from a background thread (``loopline.serving``), one
transaction per batch; ``append`` ignores rows already stored (same request id and row),
so a batch retried after a lost acknowledgement is not stored twice. Feedback rows carry
the true label of one prediction; the newest one for a prediction is the one that counts.
Monitoring reads both back with ``list(..., with_labels=True)``.

``PredictionLog(url).open()`` opens its own connection pool on the metadata database and
brings the schema up to date, like ``MetadataStore``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Text, and_, bindparam, cast, func, select, tuple_

from loopline.errors import InvalidInputError, NotFoundError
from loopline.metadata import tables
from loopline.metadata.opened import OpenedStore
from loopline.metadata.validate import require_name

MAX_FEEDBACK_ITEMS = 10_000
MAX_REQUEST_ID = 64
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class PredictionRecord:
    """One prediction to log. ``served_as`` is ``primary`` or the rollout variant that answered."""

    request_id: str
    row_index: int
    model: str
    version: int
    created_at: datetime
    inputs: Mapping[str, Any]
    output: Any
    latency_ms: float
    served_as: str = "primary"


@dataclass(frozen=True, slots=True)
class LoggedPrediction:
    """A stored prediction; ``label`` is the newest feedback for it (``labelled_at`` None: none yet)."""

    id: int
    request_id: str
    row_index: int
    model: str
    version: int
    served_as: str
    created_at: datetime
    inputs: dict[str, Any]
    output: Any
    latency_ms: float
    label: Any = None
    labelled_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Feedback:
    """The ground truth for the prediction of row ``row_index`` of request ``request_id``."""

    request_id: str
    label: Any
    row_index: int = 0


def json_bytes(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON; values JSON cannot hold as they are go through ``plain_json`` first.

    orjson writes a record of 30 floats in about 1.5 µs where the standard library's encoder
    takes about 25 µs (its float repr), which made the prediction log's writer the largest
    cost of a logged request. It writes NaN and infinities as null and numpy values as their
    plain counterparts, as ``plain_json`` does; what it refuses (big integers, non-string
    keys, other types) takes the ``plain_json`` route.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)
    except TypeError:
        return json.dumps(plain_json(value), separators=(",", ":"), ensure_ascii=False).encode()


def json_text(value: Any) -> str:
    """``json_bytes`` as text."""
    return json_bytes(value).decode()


def plain_json(value: Any) -> Any:
    """``value`` as plain JSON (NaN and infinities as null, numpy values and dates converted)."""
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else None
    if value is None or kind is str or kind is int or kind is bool:
        return value
    if kind is dict or isinstance(value, Mapping):
        return {str(k): plain_json(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [plain_json(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "tolist") and callable(value.tolist):  # numpy scalars and arrays
        return plain_json(value.tolist())
    if isinstance(value, float | int):  # Decimal-like and bool subclasses
        return plain_json(float(value))
    return str(value)


class PredictionLog(OpenedStore):
    """Append predictions and feedback; read them back. Each call is one transaction."""

    label = "prediction log"

    # -- writing ---------------------------------------------------------------------------

    def append(self, records: Sequence[PredictionRecord]) -> int:
        """Store ``records`` in one transaction; rows already stored are skipped. Returns how many were given."""
        db = self._require_open()
        rows = [_prediction_row(r) for r in records]
        if rows:
            db.write(lambda conn: _insert_predictions(conn, rows))
        return len(rows)

    def add_feedback(self, items: Sequence[Feedback]) -> int:
        """Store the labels in one transaction; NotFoundError (and nothing stored) if any prediction is unknown."""
        db = self._require_open()
        if not items:
            raise InvalidInputError("no feedback given; expected at least one {request_id, label}")
        if len(items) > MAX_FEEDBACK_ITEMS:
            raise InvalidInputError(f"{len(items)} feedback items at once; at most {MAX_FEEDBACK_ITEMS} are accepted")
        now = datetime.now(UTC)
        rows = [_feedback_row(item, now) for item in items]
        return db.write(lambda conn: _insert_feedback(conn, rows))

    # -- reading ---------------------------------------------------------------------------

    def list(
        self,
        *,
        model: str | None = None,
        version: int | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after_id: int | None = None,
        limit: int = 1000,
        with_labels: bool = False,
    ) -> list[LoggedPrediction]:
        """Predictions in the order they were stored, filtered; ``since`` inclusive, ``until`` exclusive."""
        db = self._require_open()
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100_000:
            raise InvalidInputError(f"limit must be an integer from 1 to 100000, got {limit!r}")
        p = tables.predictions
        query = select(p).order_by(p.c.id).limit(limit)
        for condition in _filters(model, version, since, until, after_id):
            query = query.where(condition)

        def work(conn: Connection) -> list[LoggedPrediction]:
            rows = conn.execute(query).all()
            labels = _latest_labels(conn, [(r.request_id, r.row_index) for r in rows]) if with_labels else {}
            return [_logged(r, labels.get((r.request_id, r.row_index))) for r in rows]

        return db.read(work)

    def count(self, *, model: str | None = None, version: int | None = None) -> int:
        db = self._require_open()
        p = tables.predictions
        query = select(func.count()).select_from(p)
        for condition in _filters(model, version, None, None, None):
            query = query.where(condition)
        return int(db.read(lambda conn: conn.execute(query).scalar_one()))

    def request_ids(self, request_ids: Sequence[str]) -> set[str]:
        """Those of ``request_ids`` that have at least one stored prediction."""
        db = self._require_open()
        p = tables.predictions

        def work(conn: Connection) -> set[str]:
            found: set[str] = set()
            unique = sorted(set(request_ids))
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start : start + _CHUNK]
                found |= set(conn.execute(select(p.c.request_id).where(p.c.request_id.in_(chunk))).scalars())
            return found

        return db.read(work)


def _prediction_row(record: PredictionRecord) -> dict[str, Any]:
    if not isinstance(record, PredictionRecord):
        raise InvalidInputError(f"expected a PredictionRecord, got {type(record).__name__}")
    _require_request_id(record.request_id)
    return {
        "request_id": record.request_id,
        "row_index": record.row_index,
        "model": require_name(record.model, "the model name"),
        "version": record.version,
        "served_as": record.served_as,
        "created_at": record.created_at,
        "inputs_json": json_text(record.inputs),
        "output_json": json_text(record.output),
        "latency_ms": float(record.latency_ms),
    }


def _feedback_row(item: Feedback, now: datetime) -> dict[str, Any]:
    if not isinstance(item, Feedback):
        raise InvalidInputError(f"expected a Feedback, got {type(item).__name__}")
    _require_request_id(item.request_id)
    if isinstance(item.row_index, bool) or not isinstance(item.row_index, int) or item.row_index < 0:
        raise InvalidInputError(f"row_index must be an integer >= 0, got {item.row_index!r}")
    return {"request_id": item.request_id, "row_index": item.row_index, "label": plain_json(item.label),
            "created_at": now}


def _require_request_id(value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_REQUEST_ID:
        raise InvalidInputError(f"a request id must be text of 1 to {MAX_REQUEST_ID} characters, got {value!r}")
    return value


def _insert_predictions(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """One executemany of the statement compiled once per dialect, the values bound as the dialect binds them.

    SQLAlchemy's own ``execute(statement, rows)`` builds and processes a parameter dict per row,
    which cost as much as the rest of logging a prediction; here each row becomes a tuple (or,
    for a named paramstyle, keeps its dict) and only the columns whose type converts values
    (the time) go through their converters, each distinct value once.
    """
    sql, order, converters = _compiled_insert(conn.dialect)
    for name, convert in converters.items():
        done: dict[int, tuple[Any, Any]] = {}  # rows of one request share one time object (kept alive here)
        for row in rows:
            value = row[name]
            seen = done.get(id(value))
            if seen is None:
                seen = done[id(value)] = (value, convert(value))
            row[name] = seen[1]
    params: list[Any] = rows if order is None else [tuple(row[n] for n in order) for row in rows]
    conn.exec_driver_sql(sql, params)


_COMPILED_INSERTS: dict[tuple[str, str, str], tuple[str, tuple[str, ...] | None, dict[str, Callable[[Any], Any]]]] = {}


def _compiled_insert(dialect: Any) -> tuple[str, tuple[str, ...] | None, dict[str, Callable[[Any], Any]]]:
    """The insert's SQL text, the parameter order (None for named parameters) and the value converters."""
    key = (dialect.name, dialect.driver, dialect.paramstyle)
    cached = _COMPILED_INSERTS.get(key)
    if cached is not None:
        return cached
    json_param: Callable[[str], Any]
    if dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB, insert

        def json_param(name: str) -> Any:
            return cast(bindparam(name, type_=Text), JSONB)
    else:
        from sqlalchemy.dialects.sqlite import insert

        def json_param(name: str) -> Any:
            return bindparam(name, type_=Text)  # SQLite keeps JSON as text

    statement = (insert(tables.predictions)
                 .values(inputs=json_param("inputs_json"), output=json_param("output_json"))
                 .on_conflict_do_nothing(index_elements=["request_id", "row_index"]))
    keys = ["request_id", "row_index", "model", "version", "served_as", "created_at", "latency_ms"]
    compiled = statement.compile(dialect=dialect, column_keys=keys, for_executemany=True)
    converters = {}
    for name, parameter in compiled.binds.items():
        convert = parameter.type.dialect_impl(dialect).bind_processor(dialect)
        if convert is not None:
            converters[name] = convert
    order = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup is not None else None
    cached = _COMPILED_INSERTS[key] = (compiled.string, order, converters)
    return cached


def _insert_feedback(conn: Connection, rows: list[dict[str, Any]]) -> int:
    wanted = {(r["request_id"], r["row_index"]) for r in rows}
    unknown = sorted(wanted - _existing(conn, wanted))
    if unknown:
        shown = ", ".join(f"{rid} row {row}" for rid, row in unknown[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        raise NotFoundError(
            f"no logged prediction for {len(unknown)} of the {len(wanted)} feedback item(s): {shown}{more}; "
            "nothing was stored",
            hint="use the request id from the X-Request-ID header of the prediction's response "
            "(and row_index for the record's place in a batch)",
        )
    from sqlalchemy import insert

    conn.execute(insert(tables.prediction_feedback), rows)
    return len(rows)


def _existing(conn: Connection, pairs: set[tuple[str, int]]) -> set[tuple[str, int]]:
    p = tables.predictions
    found: set[tuple[str, int]] = set()
    ordered = sorted(pairs)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        query = select(p.c.request_id, p.c.row_index).where(tuple_(p.c.request_id, p.c.row_index).in_(chunk))
        found |= {(r.request_id, r.row_index) for r in conn.execute(query)}
    return found


def _latest_labels(conn: Connection, pairs: list[tuple[str, int]]) -> dict[tuple[str, int], tuple[Any, datetime]]:
    f = tables.prediction_feedback
    labels: dict[tuple[str, int], tuple[Any, datetime]] = {}
    unique = sorted(set(pairs))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        query = (select(f.c.request_id, f.c.row_index, f.c.label, f.c.created_at)
                 .where(tuple_(f.c.request_id, f.c.row_index).in_(chunk)).order_by(f.c.id))
        for row in conn.execute(query):
            labels[(row.request_id, row.row_index)] = (row.label, row.created_at)  # later rows win
    return labels


def _filters(model: str | None, version: int | None, since: datetime | None, until: datetime | None,
             after_id: int | None) -> list[Any]:
    p = tables.predictions
    conditions = []
    if model is not None:
        conditions.append(p.c.model == model)
    if version is not None:
        conditions.append(p.c.version == version)
    if since is not None:
        conditions.append(p.c.created_at >= since)
    if until is not None:
        conditions.append(p.c.created_at < until)
    if after_id is not None:
        conditions.append(p.c.id > after_id)
    return [and_(*conditions)] if conditions else []


def _logged(row: Any, label: tuple[Any, datetime] | None) -> LoggedPrediction:
    return LoggedPrediction(
        id=row.id, request_id=row.request_id, row_index=row.row_index, model=row.model, version=row.version,
        served_as=row.served_as, created_at=row.created_at, inputs=dict(row.inputs), output=row.output,
        latency_ms=row.latency_ms, label=label[0] if label else None, labelled_at=label[1] if label else None,
    )


__all__ = ["MAX_FEEDBACK_ITEMS", "Feedback", "LoggedPrediction", "PredictionLog", "PredictionRecord", "json_bytes",
           "json_text",
           "plain_json"]
