"""Feast side of bench/features_vs_feast.py; runs inside bench/.venvs/feast.

A Feast repository configured in Python (no feature_store.yaml, no registry server): a
local file registry, the ``local`` provider, the SQLite online store and, chosen by
``--offline``, the file offline store (``dask``, what ``feast init`` gives) or the DuckDB
offline store (through ibis). The same driver entity and ``driver_stats`` view as
Loopline's side: a FileSource over features.parquet, ten Float64 fields, a TTL of a day.

Tasks (``--tasks``, comma-separated):
- ``historical``: ``get_historical_features(entity_df, refs).to_df()`` over the 100,000
  entity rows; a warm-up on 1,000 rows first (imports, first-call costs);
- ``materialize``: ``materialize(start, end)`` into a fresh SQLite online store (a new
  repository folder each repetition; ``apply`` outside the clock);
- ``online``: ``get_online_features(refs, entity_rows).to_dict()``, one call per lookup
  in spec.json (1 entity and 100 entities), after 50 warm-up calls.

Peak memory: ``PeakRss`` around the first timed repetition of each task.

Writes JSON: {"feast_version", "offline", "historical_s", "materialize_s", "online_s":
{"1": [...], "100": [...]}, "memory_mb": {task: {"before", "peak", "extra"}},
"sample": {feature: [...]}, "online_sample": {...}}.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import feature_data  # noqa: E402
from feature_data import FEATURES, KEY, TIMESTAMP, PeakRss, Spec  # noqa: E402

WARMUP_ROWS = 1_000
WARMUP_CALLS = 50


def open_store(folder: Path, offline: str, spec: Spec):
    """A Feast store in ``folder`` with the driver view applied (outside any clock)."""
    from feast import Entity, FeatureStore, FeatureView, Field, FileSource, RepoConfig, ValueType
    from feast.infra.offline_stores.dask import DaskOfflineStoreConfig
    from feast.infra.offline_stores.duckdb import DuckDBOfflineStoreConfig
    from feast.infra.online_stores.sqlite import SqliteOnlineStoreConfig
    from feast.repo_config import RegistryConfig
    from feast.types import Float64

    offline_config = DaskOfflineStoreConfig() if offline == "file" else DuckDBOfflineStoreConfig()
    config = RepoConfig(
        project="bench",
        provider="local",
        registry=RegistryConfig(path=str(folder / "registry.db")),
        online_store=SqliteOnlineStoreConfig(path=str(folder / "online.db")),
        offline_store=offline_config,
        entity_key_serialization_version=3,
    )
    store = FeatureStore(repo_path=str(folder), config=config)
    driver = Entity(name=feature_data.ENTITY, join_keys=[KEY], value_type=ValueType.INT64)
    view = FeatureView(
        name=feature_data.VIEW,
        entities=[driver],
        ttl=feature_data.TTL,
        schema=[Field(name=name, dtype=Float64) for name in FEATURES],
        source=FileSource(path=str(spec.features_path), timestamp_field=TIMESTAMP),
        online=True,
    )
    store.apply([driver, view])
    return store


def historical(store, entity_df, spec: Spec):
    return store.get_historical_features(entity_df=entity_df, features=spec.refs()).to_df()


def time_historical(store, spec: Spec, repeat: int, result: dict) -> None:
    import pandas as pd

    entity_df = pd.read_parquet(spec.entities_path)
    historical(store, entity_df.head(WARMUP_ROWS), spec)
    for index in range(repeat):
        with PeakRss() as memory:
            start = time.perf_counter()
            frame = historical(store, entity_df, spec)
            result["historical_s"].append(time.perf_counter() - start)
        if index == 0:
            result["memory_mb"]["historical"] = _memory(memory)
            result["returned_rows"] = len(frame)
            result["sample"] = feature_data.sample_values(frame, spec.sample_row_ids)


def time_materialize(offline: str, spec: Spec, repeat: int, result: dict) -> None:
    start_date = feature_data.START - feature_data.TTL
    for index in range(repeat + 1):
        with tempfile.TemporaryDirectory(prefix="bench-feast-") as tmp:
            store = open_store(Path(tmp), offline, spec)
            with PeakRss() as memory:
                start = time.perf_counter()
                store.materialize(start_date=start_date, end_date=spec.end)
                seconds = time.perf_counter() - start
            rows = store.get_online_features(spec.refs(), [{KEY: 0}, {KEY: spec.entities - 1}]).to_dict()
            if any(v is None for v in rows[FEATURES[0]]):
                raise RuntimeError("Feast's materialization left known drivers without values")
        if index == 0:
            continue  # warm-up
        result["materialize_s"].append(seconds)
        result["memory_mb"].setdefault("materialize", _memory(memory))


def time_online(store, spec: Spec, result: dict) -> None:
    start_date = feature_data.START - feature_data.TTL
    store.materialize(start_date=start_date, end_date=spec.end)
    refs = spec.refs()
    for size, calls in spec.lookups.items():
        rows_per_call = [[{KEY: key} for key in keys] for keys in calls]
        for rows in rows_per_call[:WARMUP_CALLS]:
            store.get_online_features(refs, rows).to_dict()
        samples = []
        with PeakRss() as memory:
            for rows in rows_per_call:
                start = time.perf_counter()
                store.get_online_features(refs, rows).to_dict()
                samples.append(time.perf_counter() - start)
        result["online_s"][size] = samples
        result["memory_mb"][f"online_{size}"] = _memory(memory)
    last = store.get_online_features(refs, [{KEY: k} for k in spec.lookups["100"][0]]).to_dict()
    result["online_sample"] = {name: last[name] for name in FEATURES}


def _memory(memory: PeakRss) -> dict[str, float]:
    return {"before": memory.before_mb, "peak": memory.peak_mb, "extra": memory.extra_mb}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--data", required=True, help="the folder feature_data.generate wrote")
    parser.add_argument("--offline", choices=("file", "duckdb"), default="file")
    parser.add_argument("--tasks", default="historical,materialize,online")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    import feast

    spec = Spec.load(args.data)
    tasks = args.tasks.split(",")
    result: dict = {
        "feast_version": feast.__version__,
        "offline": args.offline,
        "historical_s": [],
        "materialize_s": [],
        "online_s": {},
        "memory_mb": {},
    }
    with tempfile.TemporaryDirectory(prefix="bench-feast-") as tmp:
        store = open_store(Path(tmp), args.offline, spec)
        if "historical" in tasks:
            time_historical(store, spec, args.repeat, result)
        if "online" in tasks:
            time_online(store, spec, result)
    if "materialize" in tasks:
        time_materialize(args.offline, spec, args.repeat, result)
    Path(args.out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
