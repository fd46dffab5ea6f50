"""Feature store: Loopline vs Feast, on 1,000,000 feature rows and 100,000 entity rows.

    .venv/bin/python bench/features_vs_feast.py [--rounds 3] [--repeat 1] [--feast-offline file,duckdb]
                                                [--entities 10000] [--times 100] [--entity-rows 100000]
                                                [--calls 1000] [--profile] [--json PATH]

The data (bench/feature_data.py) is generated once, with a fixed seed, into a temporary
folder: 10,000 drivers x 100 hourly rows of ten float64 features in Parquet, and an
entity frame of 100,000 (driver, time) rows at random times. One feature view, TTL a day.

- Point-in-time training frame: every entity row with the features' latest values at or
  before its time and within the TTL, as a pandas DataFrame.
  Loopline ``get_historical_features``; Feast ``get_historical_features(...).to_df()`` with
  the file offline store (dask) and with the DuckDB offline store (ibis); and a bare DuckDB
  ``ASOF LEFT JOIN`` written by hand (the floor: what the join costs with no library).
  The values of a sample of 2,000 rows must be identical on every side, or the script
  stops; rows a side leaves out of its frame are counted and must be rows without values.
- Materialization: the latest row of every driver into a fresh SQLite online store
  (Loopline ``FeatureStore.materialize``, Feast ``materialize``; ``apply`` outside the clock).
- Online lookup, in process: ``get_online_features`` for 1 and for 100 drivers, 1,000
  calls each (the same drivers on both sides) after 50 warm-up calls; per call, median
  and 99th percentile. Feast's result is turned into Python values with ``to_dict()``;
  Loopline's already holds them.
- Peak memory: Linux's VmHWM reset before and read after the operation (PeakRss in
  feature_data.py), in the process doing it; "extra" is the peak minus the resident
  size just before, i.e. what the operation itself needed.

Each round runs Feast (each offline store in its own subprocess, bench/.venvs/feast),
then Loopline and bare DuckDB in this process; medians over rounds.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import tempfile
import time
from pathlib import Path

import _harness
import feature_data
from feature_data import FEATURES, KEY, ROW_ID, TIMESTAMP, TTL, PeakRss, Spec

WARMUP_ROWS = 1_000
WARMUP_CALLS = 50
GOALS = {"feast": 10.0, "duckdb": 1.5, "online": 5.0}


# -- Loopline and the bare DuckDB floor --------------------------------------------------------


def loopline_repository(spec: Spec):
    from loopline.features import Entity, Feature, FeatureRepository, FeatureView, FileSource

    driver = Entity(feature_data.ENTITY, [KEY])
    view = FeatureView(
        feature_data.VIEW,
        entities=[driver],
        source=FileSource(str(spec.features_path)),
        features=[Feature(name, "float64") for name in FEATURES],
        timestamp_field=TIMESTAMP,
        ttl=TTL,
    )
    return FeatureRepository([driver, view])


def loopline_historical(repo, entity_df, spec: Spec):
    from loopline.features import get_historical_features

    return get_historical_features(repo, entity_df, spec.refs(), timestamp_column=TIMESTAMP)


def duckdb_historical(entity_df, spec: Spec):
    """The floor: one hand-written as-of join over the Parquet file, in the entity frame's order."""
    import duckdb

    ttl_seconds = int(TTL.total_seconds())
    values = ", ".join(
        f"CASE WHEN f.{TIMESTAMP} >= e.{TIMESTAMP} - INTERVAL {ttl_seconds} SECOND THEN f.{name} END AS {name}"
        for name in FEATURES
    )
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("entity_df", entity_df)
        return con.execute(
            f"SELECT e.*, {values} FROM entity_df e ASOF LEFT JOIN read_parquet('{spec.features_path}') f "
            f"ON e.{KEY} = f.{KEY} AND e.{TIMESTAMP} >= f.{TIMESTAMP} ORDER BY e.{ROW_ID}"
        ).df()
    finally:
        con.close()


def time_historical(name: str, run, entity_df, spec: Spec, repeat: int) -> dict:
    run(entity_df.head(WARMUP_ROWS))
    seconds, memory, frame = [], None, None
    for index in range(repeat):
        with PeakRss() as measured:
            start = time.perf_counter()
            result = run(entity_df)
            seconds.append(time.perf_counter() - start)
        if index == 0:
            memory, frame = measured, result
    if len(frame) != len(entity_df) or frame[ROW_ID].tolist() != entity_df[ROW_ID].tolist():
        raise RuntimeError(f"{name} did not return the entity rows in their order")
    return {
        "historical_s": seconds,
        "memory_mb": {"historical": _memory(memory)},
        "returned_rows": len(frame),
        "sample": feature_data.sample_values(frame, spec.sample_row_ids),
    }


def time_loopline_materialize(repo, spec: Spec, repeat: int) -> dict:
    from loopline.features import FeatureStore

    seconds, memory = [], None
    for index in range(repeat + 1):
        with tempfile.TemporaryDirectory(prefix="bench-loopline-") as tmp:
            with FeatureStore(repo, f"sqlite:///{tmp}/online.db") as store:
                store.apply()
                with PeakRss() as measured:
                    start = time.perf_counter()
                    done = store.materialize(None, feature_data.START - TTL, spec.end)
                    elapsed = time.perf_counter() - start
        if done[0].entities != spec.entities:
            raise RuntimeError(f"Loopline materialized {done[0].entities} drivers, expected {spec.entities}")
        if index == 0:
            continue  # warm-up
        seconds.append(elapsed)
        memory = memory or measured
    return {"materialize_s": seconds, "memory_mb": {"materialize": _memory(memory)}}


def time_loopline_online(repo, spec: Spec) -> dict:
    from loopline.features import FeatureStore

    refs, at = spec.refs(), spec.end
    result: dict = {"online_s": {}, "memory_mb": {}}
    with tempfile.TemporaryDirectory(prefix="bench-loopline-") as tmp:
        with FeatureStore(repo, f"sqlite:///{tmp}/online.db") as store:
            store.apply()
            store.materialize(None, feature_data.START - TTL, spec.end)
            for size, calls in spec.lookups.items():
                rows_per_call = [[{KEY: key} for key in keys] for keys in calls]
                for rows in rows_per_call[:WARMUP_CALLS]:
                    store.get_online_features(refs, rows, at=at)
                samples = []
                with PeakRss() as measured:
                    for rows in rows_per_call:
                        start = time.perf_counter()
                        store.get_online_features(refs, rows, at=at)
                        samples.append(time.perf_counter() - start)
                result["online_s"][size] = samples
                result["memory_mb"][f"online_{size}"] = _memory(measured)
            last = store.get_online_features(refs, [{KEY: k} for k in spec.lookups["100"][0]], at=at)
            result["online_sample"] = {name: last.column(name) for name in FEATURES}
    return result


def profile_loopline(repo, entity_df, spec: Spec, top: int = 20) -> str:
    """cProfile of one training frame and 1,000 one-driver lookups."""
    from loopline.features import FeatureStore

    out = io.StringIO()
    profiler = cProfile.Profile()
    profiler.enable()
    loopline_historical(repo, entity_df, spec)
    profiler.disable()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative").print_stats(top)
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        with FeatureStore(repo, f"sqlite:///{tmp}/online.db") as store:
            store.apply()
            store.materialize(None, feature_data.START - TTL, spec.end)
            profiler = cProfile.Profile()
            profiler.enable()
            for keys in spec.lookups["1"]:
                store.get_online_features(spec.refs(), [{KEY: k} for k in keys], at=spec.end)
            profiler.disable()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(top)
    return out.getvalue()


def _memory(memory: PeakRss) -> dict[str, float]:
    return {"before": memory.before_mb, "peak": memory.peak_mb, "extra": memory.extra_mb}


# -- rounds, checks and the report -------------------------------------------------------------


def run_round(spec: Spec, repo, entity_df, args: argparse.Namespace, index: int) -> dict[str, dict]:
    sides: dict[str, dict] = {}
    for offline in args.feast_offline:
        tasks = "historical,materialize,online" if offline == args.feast_offline[0] else "historical,materialize"
        sides[f"feast_{offline}"] = _harness.run_peer(
            "feast",
            "feast_features.py",
            ["--data", str(spec.folder), "--offline", offline, "--tasks", tasks, "--repeat", str(args.repeat)],
        )
    joins = {
        "loopline": lambda df: loopline_historical(repo, df, spec),
        "duckdb": lambda df: duckdb_historical(df, spec),
    }
    for side in sorted(joins, reverse=index % 2 == 1):  # back to back, in alternating order
        sides[side] = time_historical(side, joins[side], entity_df, spec, args.repeat)
    materialized = time_loopline_materialize(repo, spec, args.repeat)
    online = time_loopline_online(repo, spec)
    sides["loopline"]["memory_mb"] |= materialized.pop("memory_mb") | online.pop("memory_mb")
    sides["loopline"] |= materialized | online
    check_values(sides, spec)
    return sides


def check_values(sides: dict[str, dict], spec: Spec) -> None:
    """Stop unless every side returned the same values for the sampled rows."""
    reference = sides["loopline"]["sample"]
    if reference["absent"]:
        raise RuntimeError(f"Loopline left out entity rows {reference['absent'][:5]}")
    for name, side in sides.items():
        sample = side["sample"]
        absent = set(sample["absent"])
        for feature in FEATURES:
            for i, row_id in enumerate(spec.sample_row_ids):
                expected = None if row_id in absent else reference["values"][feature][i]
                if sample["values"][feature][i] != expected:
                    raise RuntimeError(
                        f"{name} gives {feature}={sample['values'][feature][i]!r} for entity row {row_id}; "
                        f"Loopline gives {reference['values'][feature][i]!r}"
                    )
        left_out_with_values = [
            row_id
            for row_id in absent
            if any(reference["values"][f][spec.sample_row_ids.index(row_id)] is not None for f in FEATURES)
        ]
        if left_out_with_values:
            raise RuntimeError(f"{name} left out entity rows that have values: {left_out_with_values[:5]}")
    online = sides["loopline"]["online_sample"]
    for name, side in sides.items():
        if "online_sample" in side and side["online_sample"] != online:
            raise RuntimeError(f"{name}'s online values differ from Loopline's for the same drivers")


def median_of(rounds: list[dict], side: str, key: str) -> float | None:
    values = [s for r in rounds if side in r for s in r[side].get(key, [])]
    return statistics.median(values) if values else None


def online_stats(rounds: list[dict], side: str, size: str) -> tuple[float, float] | None:
    """Median over rounds of each round's median and 99th percentile, in microseconds."""
    per_round = [r[side]["online_s"][size] for r in rounds if side in r and size in r[side].get("online_s", {})]
    if not per_round:
        return None
    medians = [statistics.median(s) * 1e6 for s in per_round]
    p99s = [statistics.quantiles(s, n=100)[98] * 1e6 for s in per_round]
    return statistics.median(medians), statistics.median(p99s)


def memory_of(rounds: list[dict], side: str, task: str) -> str:
    found = [r[side]["memory_mb"][task] for r in rounds if side in r and task in r[side]["memory_mb"]]
    if not found:
        return "-"
    extra = statistics.median(m["extra"] for m in found)
    peak = statistics.median(m["peak"] for m in found)
    return f"+{max(extra, 0):,.0f} (peak {peak:,.0f})"


def report(rounds: list[dict], spec: Spec, args: argparse.Namespace) -> str:
    version = next(r[s]["feast_version"] for r in rounds for s in r if s.startswith("feast"))
    labels = {"loopline": "Loopline", "duckdb": "bare DuckDB ASOF join (floor)"}
    labels |= {f"feast_{o}": f"Feast {version}, {o} offline store" for o in args.feast_offline}
    return "\n".join(
        [
            historical_section(rounds, spec, labels),
            materialize_section(rounds, spec, labels),
            online_section(rounds, f"feast_{args.feast_offline[0]}", args.calls),
        ]
    )


def historical_section(rounds: list[dict], spec: Spec, labels: dict[str, str]) -> str:
    loopline = median_of(rounds, "loopline", "historical_s")
    rows = []
    for side, label in labels.items():
        seconds = median_of(rounds, side, "historical_s")
        returned = statistics.median(r[side]["returned_rows"] for r in rounds)
        memory = memory_of(rounds, side, "historical")
        rows.append([label, f"{seconds:.3f}", f"{seconds / loopline:.1f}", f"{returned:,.0f}", memory])
    headers = ["", "median (s)", "÷ Loopline", "rows returned", "memory MB: extra (peak RSS)"]
    floor = median_of(rounds, "duckdb", "historical_s")
    lines = [
        f"### Point-in-time training frame ({spec.entity_rows:,} entity rows, "
        f"{spec.entities * spec.times:,} feature rows)\n",
        _harness.markdown_table(headers, rows),
        "",
        f"Goal within {GOALS['duckdb']}x of bare DuckDB: {_verdict(loopline / floor <= GOALS['duckdb'])} "
        f"({loopline / floor:.2f}x).",
    ]
    for side in (s for s in labels if s.startswith("feast")):
        feast = median_of(rounds, side, "historical_s")
        lines.append(
            f"Goal >= {GOALS['feast']:.0f}x faster than {labels[side]}: {_verdict(feast / loopline >= GOALS['feast'])} "
            f"({feast / loopline:.1f}x; the bare DuckDB join is {feast / floor:.1f}x faster than it)."
        )
    lines.append(
        f"Values of {len(spec.sample_row_ids):,} sampled rows identical on every side; rows a side left out "
        "of its frame have no values on the others.\n"
    )
    return "\n".join(lines)


def materialize_section(rounds: list[dict], spec: Spec, labels: dict[str, str]) -> str:
    loopline = median_of(rounds, "loopline", "materialize_s")
    rows = []
    for side in (s for s in labels if s != "duckdb"):
        seconds = median_of(rounds, side, "materialize_s")
        memory = memory_of(rounds, side, "materialize")
        rows.append([labels[side], f"{seconds:.3f}", f"{seconds / loopline:.1f}", memory])
    headers = ["", "median (s)", "÷ Loopline", "memory MB: extra (peak RSS)"]
    title = f"### Materialization ({spec.entities:,} drivers into a fresh SQLite online store)\n"
    return f"{title}\n{_harness.markdown_table(headers, rows)}\n"


def online_section(rounds: list[dict], feast: str, calls: int) -> str:
    rows, ratios = [], []
    for size in ("1", "100"):
        ours, theirs = online_stats(rounds, "loopline", size), online_stats(rounds, feast, size)
        ratios.append(theirs[0] / ours[0])
        rows.append(
            [
                size,
                f"{ours[0]:,.0f}",
                f"{ours[1]:,.0f}",
                f"{theirs[0]:,.0f}",
                f"{theirs[1]:,.0f}",
                f"{ratios[-1]:.1f}",
                memory_of(rounds, "loopline", f"online_{size}"),
                memory_of(rounds, feast, f"online_{size}"),
            ]
        )
    headers = [
        "entities per call",
        "Loopline median (µs)",
        "Loopline p99 (µs)",
        "Feast median (µs)",
        "Feast p99 (µs)",
        "Feast ÷ Loopline",
        "Loopline memory MB",
        "Feast memory MB",
    ]
    return (
        f"### Online lookup, in process ({calls:,} calls per size, SQLite online store)\n\n"
        f"{_harness.markdown_table(headers, rows)}\n\n"
        f"Goal >= {GOALS['online']:.0f}x faster than Feast: {_verdict(min(ratios) >= GOALS['online'])} "
        f"({' and '.join(f'{r:.1f}x' for r in ratios)} for 1 and 100 entities). Online values identical.\n"
    )


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=1, help="timed training frames and materializations per round")
    parser.add_argument("--feast-offline", default="file,duckdb", help="Feast offline stores to run (file, duckdb)")
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--times", type=int, default=100)
    parser.add_argument("--entity-rows", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=1_000)
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of Loopline's side")
    parser.add_argument("--json", help="write every sample to this file")
    args = parser.parse_args()
    args.feast_offline = args.feast_offline.split(",")

    import pandas as pd

    print(_harness.describe_setting(), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-features-") as tmp:
        spec = feature_data.generate(
            tmp, entities=args.entities, times=args.times, entity_rows=args.entity_rows, calls=args.calls
        )
        entity_df = pd.read_parquet(spec.entities_path)
        repo = loopline_repository(spec)
        rounds = []
        for index in range(args.rounds):
            rounds.append(run_round(spec, repo, entity_df, args, index))
            print(f"  round {index + 1}/{args.rounds} done", flush=True)
        print(report(rounds, spec, args), flush=True)
        if args.profile:
            print(profile_loopline(repo, entity_df, spec), flush=True)
    print(f"at the end: {_harness.load_average()}")
    _harness.write_json(args.json, {"machine": _harness.machine(), "rounds": rounds})


if __name__ == "__main__":
    main()
