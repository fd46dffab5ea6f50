"""The data of the feature-store benchmark, shared by Loopline's side and Feast's side.

Needs only numpy, pandas and pyarrow, so both virtual environments read the same
definition of the data set and the same lookups:

- ``features.parquet``: ``N_ENTITIES`` drivers x ``N_TIMES`` hourly rows, each at a random
  second within its hour (no two rows of a driver share a time), ten float64 features
  ``f00`` .. ``f09``, in event-time order; event times are UTC timestamps.
- ``entities.parquet``: the entity frame, ``row_id``, ``driver_id`` (1% of them unknown
  drivers) and ``event_timestamp`` at random microseconds from 6 hours before the first row to
  30 hours after the last, so the TTL of one day and "no row yet" both give nulls.
- ``spec.json``: the sizes, the TTL, the sample of row ids whose values every side
  returns for the equality check, and the entity ids of every online lookup.

``PeakRss`` measures memory the same way on both sides.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

VIEW = "driver_stats"
ENTITY = "driver"
KEY = "driver_id"
TIMESTAMP = "event_timestamp"
ROW_ID = "row_id"
FEATURES = tuple(f"f{i:02d}" for i in range(10))
TTL = timedelta(days=1)
START = datetime(2024, 1, 1, tzinfo=UTC)
SEED = 20240101


@dataclass(frozen=True)
class Spec:
    """What ``generate`` wrote: sizes, the sample row ids and the online lookups."""

    folder: Path
    entities: int
    times: int
    entity_rows: int
    sample_row_ids: list[int]
    lookups: dict[str, list[list[int]]]  # "1" and "100": the entity ids of each call

    @property
    def features_path(self) -> Path:
        return self.folder / "features.parquet"

    @property
    def entities_path(self) -> Path:
        return self.folder / "entities.parquet"

    @property
    def end(self) -> datetime:
        """Just after the last feature row: the end of materialization and the lookups' "now"."""
        return START + timedelta(hours=self.times)

    def refs(self) -> list[str]:
        return [f"{VIEW}:{name}" for name in FEATURES]

    @classmethod
    def load(cls, folder: str | Path) -> Spec:
        data = json.loads((Path(folder) / "spec.json").read_text())
        return cls(folder=Path(folder), **data)


def generate(
    folder: str | Path,
    *,
    entities: int = 10_000,
    times: int = 100,
    entity_rows: int = 100_000,
    sample: int = 2_000,
    calls: int = 1_000,
    seed: int = SEED,
) -> Spec:
    """Write the Parquet files and ``spec.json`` into ``folder``; the same seed gives the same bytes."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    folder = Path(folder)
    hours = np.repeat(np.arange(times, dtype=np.int64), entities)
    seconds = hours * 3600 + rng.integers(0, 3600, size=hours.size)
    start = pd.Timestamp(START)
    rows = pd.DataFrame({KEY: np.tile(np.arange(entities, dtype=np.int64), times)})
    rows[TIMESTAMP] = start + pd.to_timedelta(seconds, unit="s")
    rows[TIMESTAMP] = rows[TIMESTAMP].astype("datetime64[us, UTC]")
    values = rng.standard_normal((len(rows), len(FEATURES)))
    for i, name in enumerate(FEATURES):
        rows[name] = values[:, i]
    rows = rows.sort_values([TIMESTAMP, KEY], kind="stable", ignore_index=True)
    rows.to_parquet(folder / "features.parquet", index=False)

    lowest, highest = -6 * 3600 * 10**6, (times + 30) * 3600 * 10**6  # microseconds: no two rows tie
    frame = pd.DataFrame(
        {
            ROW_ID: np.arange(entity_rows, dtype=np.int64),
            KEY: rng.integers(0, entities + entities // 100, size=entity_rows),
            TIMESTAMP: (start + pd.to_timedelta(rng.integers(lowest, highest, size=entity_rows), unit="us")).astype(
                "datetime64[us, UTC]"
            ),
        }
    )
    frame.to_parquet(folder / "entities.parquet", index=False)

    spec = {
        "entities": entities,
        "times": times,
        "entity_rows": entity_rows,
        "sample_row_ids": sorted(rng.choice(entity_rows, size=min(sample, entity_rows), replace=False).tolist()),
        "lookups": {
            str(size): [rng.integers(0, entities, size=size).tolist() for _ in range(calls)] for size in (1, 100)
        },
    }
    (folder / "spec.json").write_text(json.dumps(spec))
    return Spec.load(folder)


def sample_values(frame, row_ids: list[int]) -> dict:
    """The sampled rows' features as ``{"absent": [row ids not returned], "values": {feature: [...]}}``.

    Values are in ``row_ids`` order, None for nulls and for absent rows: what the sides compare.
    """
    indexed = frame.set_index(ROW_ID)
    absent = [i for i in row_ids if i not in indexed.index]
    picked = indexed.reindex(row_ids)
    values = {name: [None if v != v else float(v) for v in picked[name].tolist()] for name in FEATURES}
    return {"absent": absent, "values": values}


class PeakRss:
    """Peak resident memory of this process while a block runs, from Linux's VmHWM.

    Writing ``5`` to ``/proc/self/clear_refs`` resets the high-water mark to the current
    resident size, so the peak seen after the block is the block's own, including threads
    (DuckDB, dask) and memory native libraries allocate. ``extra_mb`` is the peak minus
    the resident size just before the block: the memory the operation needed.
    """

    def __init__(self) -> None:
        self.before_mb = 0.0
        self.peak_mb = 0.0

    @property
    def extra_mb(self) -> float:
        return self.peak_mb - self.before_mb

    def __enter__(self) -> PeakRss:
        Path("/proc/self/clear_refs").write_text("5")
        self.before_mb = _status_mb("VmRSS")
        return self

    def __exit__(self, *exc: object) -> None:
        self.peak_mb = _status_mb("VmHWM")


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/self/status has no {field}; peak memory is measured on Linux only")
