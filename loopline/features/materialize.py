"""Materialization: the latest offline values per entity, written into the online store.

``materialize`` covers ``start <= event time <= end``; ``materialize_incremental`` starts
each view at its watermark, the ``end`` of its last materialization, kept in the online
store itself (under a reserved key of the view) and, when a history is given, recorded as
a ``Materialization`` artifact. Writes keep the newer row, so any run can be repeated and
runs can overlap: the online store ends in the same state. ``rebuild`` empties the online
store and materializes everything again from the offline data.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from loopline.features.definitions import FeatureView
from loopline.features.dtypes import as_utc_naive, from_micros, to_micros
from loopline.features.errors import RetrievalError
from loopline.features.offline import view_range
from loopline.features.online.base import MISSING_CREATED, WATERMARK_KEY, OnlineRow, OnlineStore
from loopline.features.online.codec import entity_keys, layout_id, pack_columns
from loopline.features.repository import FeatureRepository
from loopline.features.sql import connect, quote
from loopline.features.view_rows import CREATED, TS

BATCH_ROWS = 10_000


@dataclass(frozen=True, slots=True)
class Materialization:
    """One view materialized once: the window, the entities read and the rows that changed."""

    view: str
    start: datetime | None
    end: datetime
    entities: int
    written: int
    seconds: float


class MaterializationRecorder(Protocol):
    """Where finished materializations are recorded (``FeatureHistory`` in practice)."""

    def record_materialization(self, result: Materialization) -> None: ...


def materialize(
    repo: FeatureRepository,
    online: OnlineStore,
    views: Sequence[str] | None,
    start: datetime | str | None,
    end: datetime | str,
    *,
    recorder: MaterializationRecorder | None = None,
) -> list[Materialization]:
    """Write each view's latest values with ``start <= event time <= end`` (``views=None``: all).

    The watermark moves to ``end`` (never backwards). An explicit window is taken as asked:
    entities whose only rows fall between the old watermark and ``start`` are not written.
    """
    end_time = as_utc_naive(end)
    start_time = as_utc_naive(start) if start is not None else None
    if start_time is not None and start_time > end_time:
        raise RetrievalError(f"materialization start {start_time} is after its end {end_time}")
    results = []
    for view in _views(repo, views):
        result = _materialize_view(repo, online, view, start_time, end_time)
        if recorder is not None:
            recorder.record_materialization(result)
        results.append(result)
    return results


def materialize_incremental(
    repo: FeatureRepository,
    online: OnlineStore,
    views: Sequence[str] | None,
    end: datetime | str | None = None,
    *,
    recorder: MaterializationRecorder | None = None,
) -> list[Materialization]:
    """Materialize each view from its watermark (or its first row) up to ``end`` (default: now)."""
    end_time = as_utc_naive(end) if end is not None else datetime.now(UTC).replace(tzinfo=None)
    results = []
    for view in _views(repo, views):
        start = read_watermark(online, view.name)
        if start is not None and start > end_time:
            continue  # already materialized past end
        results += materialize(repo, online, [view.name], start, end_time, recorder=recorder)
    return results


def rebuild(
    repo: FeatureRepository,
    online: OnlineStore,
    *,
    end: datetime | str | None = None,
    recorder: MaterializationRecorder | None = None,
) -> list[Materialization]:
    """Empty the online store and materialize every view from its first row up to ``end``."""
    online.teardown()
    online.update(keep=list(repo.views), delete=[])
    return materialize_incremental(repo, online, None, end, recorder=recorder)


def read_watermark(online: OnlineStore, view: str) -> datetime | None:
    """The end of the view's last materialization in this online store, or None."""
    row = online.online_read(view, [WATERMARK_KEY])[0]
    return from_micros(row.event_ts) if row is not None else None


def _views(repo: FeatureRepository, names: Sequence[str] | None) -> list[FeatureView]:
    if names is None:
        return [repo.views[n] for n in sorted(repo.views)]
    if isinstance(names, str):
        names = [names]
    return [repo.view(n) for n in names]


def _materialize_view(
    repo: FeatureRepository, online: OnlineStore, view: FeatureView, start: datetime | None, end: datetime
) -> Materialization:
    began = time.perf_counter()
    entities = written = 0
    for rows in _latest_rows(repo, view, start, end):
        entities += len(rows)
        written += online.online_write_batch(view.name, rows)
    _write_watermark(online, view.name, end)
    return Materialization(view.name, start, end, entities, written, time.perf_counter() - began)


def _latest_rows(
    repo: FeatureRepository, view: FeatureView, start: datetime | None, end: datetime
) -> Iterator[list[OnlineRow]]:
    keys = repo.join_keys(view)
    dtypes = [f.dtype for f in view.features]
    layout = layout_id([(f.name, f.dtype) for f in view.features])
    con = connect()
    try:
        relation = view_range(con, repo, view, start, end, latest_only=True)
        times = f"epoch_us({TS}) AS {TS}, coalesce(epoch_us({CREATED}), {MISSING_CREATED}) AS {CREATED}"
        columns = ", ".join([*(quote(k) for k in keys), times, *(quote(f) for f in view.feature_names)])
        for batch in relation.project(columns).to_arrow_reader(BATCH_ROWS):
            data = batch.to_pydict()
            yield [
                OnlineRow(*row)
                for row in zip(
                    entity_keys([data[k] for k in keys]),
                    data[TS],
                    data[CREATED],
                    pack_columns([data[f] for f in view.feature_names], dtypes, layout),
                    strict=True,
                )
            ]
    finally:
        con.close()


def _write_watermark(online: OnlineStore, view: str, end: datetime) -> None:
    # Deterministic on purpose: repeating a materialization leaves the store byte-identical.
    end_us = to_micros(end)
    payload = json.dumps({"end": end.isoformat()}).encode("utf-8")
    online.online_write_batch(view, [OnlineRow(WATERMARK_KEY, end_us, end_us, payload)])


__all__ = [
    "Materialization",
    "MaterializationRecorder",
    "materialize",
    "materialize_incremental",
    "read_watermark",
    "rebuild",
]
