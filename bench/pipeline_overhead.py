"""Pipeline overhead: 100 no-op steps, Loopline (lineage recorded) vs Kedro's SequentialRunner.

    .venv/bin/python bench/pipeline_overhead.py [--steps 100] [--rounds 5] [--repeat 3]
                                                [--shapes chain,fan] [--profile] [--json PATH]

Both sides run the DAGs of bench/dag_shapes.py (a chain, and a fan-out/fan-in), every
step a no-op returning a small integer, so the time measured is the framework's own.

- Loopline: ``run_pipeline`` with the local runner, a fresh SQLite metadata store and a
  fresh artifact folder in a temporary folder each repetition (caching on, nothing cached
  yet): every step's execution, outputs, events and cache key are recorded. Opening the
  stores (migrations) is outside the clock and reported on its own. Then the same pipeline
  runs again on the same stores: every step is a cache hit (the "fully cached rerun").
- Kedro: ``SequentialRunner().run`` over MemoryDatasets (nothing recorded), in
  bench/.venvs/kedro, with Kedro's default logging (every node logged) and quiet
  (the ``kedro`` logger at WARNING). Kedro's log goes to a file, not a terminal.

Each round runs Kedro (default, then quiet) in a subprocess and Loopline in this process,
one warm-up run then ``--repeat`` timed runs each; rounds interleave so that noise on a
shared machine hits every side. Per-step overhead = median run time / number of steps.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
import time
from pathlib import Path

import _harness
import dag_shapes

KEDRO_MODES = ("default", "quiet")


def loopline_pipeline(shape: str, n_steps: int):
    from loopline.pipelines import Pipeline, step

    steps = [
        step(dag_shapes.noop_function(len(node.inputs)), inputs=list(node.inputs), outputs=node.output, name=node.name)
        for node in dag_shapes.build(shape, n_steps)
    ]
    return Pipeline(steps, name=f"overhead_{shape}")


def time_loopline_once(pipeline, folder: Path) -> dict[str, float]:
    """Open fresh stores, run (nothing cached), run again (all cached); seconds of each."""
    from loopline.pipelines import run_pipeline

    stores = _harness.FreshStores(folder)
    start = time.perf_counter()
    metadata, artifacts = stores.open()
    opened = time.perf_counter()
    try:
        first = run_pipeline(pipeline, metadata=metadata, artifacts=artifacts)
        ran = time.perf_counter()
        second = run_pipeline(pipeline, metadata=metadata, artifacts=artifacts)
        cached = time.perf_counter()
    finally:
        stores.close()
    n = len(pipeline.steps)
    _harness.expect_outcomes(first, {"ran": n})
    _harness.expect_outcomes(second, {"cached": n})
    return {"open_s": opened - start, "run_s": ran - opened, "cached_s": cached - ran}


def time_loopline(pipeline, repeat: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"open_s": [], "run_s": [], "cached_s": []}
    for index in range(repeat + 1):
        with tempfile.TemporaryDirectory(prefix="bench-loopline-") as tmp:
            timing = time_loopline_once(pipeline, Path(tmp))
        if index == 0:
            continue  # warm-up: first-call costs (imports, SQLAlchemy compilation caches)
        for key, value in timing.items():
            samples[key].append(value)
    return samples


def profile_loopline(pipeline, top: int = 25) -> str:
    """cProfile of one uncached and one fully cached Loopline run (stores open): top functions."""
    from loopline.pipelines import run_pipeline

    out = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp, _harness.FreshStores(tmp) as stores:
        metadata, artifacts = stores
        run_pipeline(pipeline, metadata=metadata, artifacts=artifacts, use_cache=False)  # warm
        for label, use_cache in (("uncached", False), ("fully cached", True)):
            profiler = cProfile.Profile()
            profiler.enable()
            result = run_pipeline(pipeline, metadata=metadata, artifacts=artifacts, use_cache=use_cache)
            profiler.disable()
            _harness.expect_outcomes(result, {"cached" if use_cache else "ran": len(pipeline.steps)})
            print(f"--- cProfile, {label} run of {pipeline.name} ---", file=out)
            stats = pstats.Stats(profiler, stream=out).strip_dirs()
            stats.sort_stats("cumulative").print_stats(top)
            stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def run_shape(shape: str, args: argparse.Namespace) -> dict:
    pipeline = loopline_pipeline(shape, args.steps)
    samples: dict[str, list[float]] = {f"kedro_{mode}": [] for mode in KEDRO_MODES}
    samples.update(loopline_run=[], loopline_cached=[], loopline_open=[])
    kedro_version = ""
    for round_index in range(args.rounds):
        for mode in KEDRO_MODES:
            result = _harness.run_peer(
                "kedro",
                "kedro_pipeline.py",
                ["--shape", shape, "--steps", str(args.steps), "--repeat", str(args.repeat), "--logging", mode],
            )
            kedro_version = result["kedro_version"]
            samples[f"kedro_{mode}"] += result["run_s"]
        timing = time_loopline(pipeline, args.repeat)
        samples["loopline_run"] += timing["run_s"]
        samples["loopline_cached"] += timing["cached_s"]
        samples["loopline_open"] += timing["open_s"]
        print(f"  {shape}: round {round_index + 1}/{args.rounds} done", flush=True)
    return {"shape": shape, "kedro_version": kedro_version, "samples": samples}


def report(shape_result: dict, n_steps: int) -> str:
    samples = shape_result["samples"]
    medians = {key: _harness.median(values) for key, values in samples.items()}
    loopline = medians["loopline_run"]
    labels = {
        "loopline_run": "Loopline, lineage recorded, nothing cached",
        "loopline_cached": "Loopline, fully cached rerun",
        "kedro_default": f"Kedro {shape_result['kedro_version']}, default logging",
        "kedro_quiet": f"Kedro {shape_result['kedro_version']}, logging at WARNING",
    }
    rows = []
    for key, label in labels.items():
        seconds = medians[key]
        rows.append(
            [
                label,
                f"{seconds * 1000:.1f}",
                f"{seconds * 1000 / n_steps:.2f}",
                f"{loopline / seconds:.2f}",
                len(samples[key]),
            ]
        )
    table = _harness.markdown_table(
        ["", "median run (ms)", "per step (ms)", "Loopline uncached ÷ this", "samples"], rows
    )
    kedro_default, kedro_quiet = medians["kedro_default"], medians["kedro_quiet"]
    verdict = "met" if loopline <= kedro_default else "NOT met"
    return (
        f"### {shape_result['shape']} ({n_steps} steps)\n\n{table}\n\n"
        f"Opening the fresh stores (outside the clock): median {medians['loopline_open'] * 1000:.0f} ms.\n"
        f"Goal (per-step overhead, lineage included, <= Kedro default): {verdict} "
        f"({loopline * 1000 / n_steps:.2f} ms vs {kedro_default * 1000 / n_steps:.2f} ms; "
        f"Kedro quiet {kedro_quiet * 1000 / n_steps:.2f} ms, Loopline is {loopline / kedro_quiet:.1f}x that).\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per side per round (after one warm-up)")
    parser.add_argument("--shapes", default=",".join(dag_shapes.SHAPES))
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of one Loopline run per shape")
    parser.add_argument("--json", help="write every sample to this file")
    args = parser.parse_args()

    print(_harness.describe_setting(), flush=True)
    results = []
    for shape in args.shapes.split(","):
        results.append(run_shape(shape, args))
        print(report(results[-1], args.steps), flush=True)
        if args.profile:
            print(profile_loopline(loopline_pipeline(shape, args.steps)), flush=True)
    print(f"at the end: {_harness.load_average()}")
    _harness.write_json(args.json, {"machine": _harness.machine(), "steps": args.steps, "results": results})


if __name__ == "__main__":
    main()
