"""Drift: Loopline vs Evidently's DataDriftPreset on 100,000 x 20 rows, 5 columns shifted.

    .venv/bin/python bench/drift_vs_evidently.py [--rows 100000] [--rounds 3] [--repeat 2]
                                                 [--configs defaults,ks_chisquare,psi,jensenshannon]
                                                 [--profile] [--json PATH]

The data (bench/tabular_data.py, seed 7) is generated once and written to Parquet in a
temporary folder: a reference and a current window of ``--rows`` rows, 15 numeric and 5
categorical columns, the current window shifting 3 numeric and 2 categorical columns.
Both tools read the same two files.

Configurations, the same measures on both sides:

- ``defaults``: each tool's default choice. Both follow the same rule: for more than 1,000
  rows, Wasserstein (normed) for numeric and Jensen-Shannon for categorical columns.
- ``ks_chisquare``: Kolmogorov-Smirnov for numeric, chi-squared for categorical columns.
- ``psi``, ``jensenshannon``: that measure for every column.

What is timed (medians over rounds x repeats, after one warm-up per process):

- Evidently (bench/.venvs/evidently): ``pandas.read_parquet`` of each file, then
  ``Dataset.from_pandas`` x2 + ``Report([DataDriftPreset(...)]).run`` + ``snapshot.dict()``.
  "from files" = both reads + compute; "reference in memory" = current read + compute
  (a user who keeps the reference DataFrame loaded); "frames in memory" = compute only.
- Loopline raw: ``detect_drift(reference.parquet, current.parquet, options=...)``.
- Loopline against a stored reference profile: ``profile(reference.parquet)`` is computed
  once before the clock and saved as JSON; the clock covers reading that JSON,
  ``Profile.from_dict`` and ``detect_drift(profile, current.parquet)``.
- Loopline frames in memory: ``detect_drift(reference_df, current_df)``.

Wall time and process CPU time (all threads) are both recorded: the CPU figures are
steadier when other work shares the machine. Goals (wall time): raw >= 10x faster than
Evidently from files; stored profile >= 20x faster than Evidently (judged against Evidently
with its reference already in memory, the stricter of the two). Then every column's value
is compared with Evidently's (bench/drift_agreement.py states each tolerance); every
shifted column must be found drifted, and the verdicts must be the same on both sides
(except where Evidently's chi-squared goodness-of-fit test flags unshifted columns; see
drift_agreement.py).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import tempfile
import time
from pathlib import Path

import _harness
import drift_agreement
import tabular_data

CONFIGS = ("defaults", "ks_chisquare", "psi", "jensenshannon")
SEED = 7


def loopline_options(config: str):
    from loopline.validation import DriftOptions

    if config == "defaults":
        return None
    if config == "ks_chisquare":
        return DriftOptions(numeric_measure="ks", categorical_measure="chisquare")
    return DriftOptions(numeric_measure=config, categorical_measure=config)


def write_data(folder: Path, rows: int) -> dict[str, Path]:
    """The two Parquet files and the reference profile (JSON), made before any clock starts."""
    from loopline.validation import profile

    reference, current = tabular_data.drift_frames(rows, seed=SEED)
    paths = {
        "reference": tabular_data.write_parquet(reference, folder / "reference.parquet"),
        "current": tabular_data.write_parquet(current, folder / "current.parquet"),
        "profile": folder / "reference_profile.json",
    }
    paths["profile"].write_text(json.dumps(profile(paths["reference"]).to_dict()))
    return paths


def run_stored(paths: dict[str, Path], options):
    from loopline.validation import Profile, detect_drift

    stored = Profile.from_dict(json.loads(paths["profile"].read_text()))
    return detect_drift(stored, paths["current"], options=options)


def time_loopline(paths: dict[str, Path], config: str, repeat: int) -> dict:
    import pandas as pd

    from loopline.validation import detect_drift

    options = loopline_options(config)
    frames = (pd.read_parquet(paths["reference"]), pd.read_parquet(paths["current"]))
    runs = {
        "raw": lambda: detect_drift(paths["reference"], paths["current"], options=options),
        "stored": lambda: run_stored(paths, options),
        "frames": lambda: detect_drift(*frames, options=options),
    }
    samples: dict[str, list[float]] = {f"{mode}_{unit}": [] for mode in runs for unit in ("s", "cpu_s")}
    reports = {}
    for index in range(repeat + 1):
        for mode, run in runs.items():
            start, cpu = time.perf_counter(), time.process_time()
            reports[mode] = run()
            if index:  # the first repetition is a warm-up
                samples[f"{mode}_s"].append(time.perf_counter() - start)
                samples[f"{mode}_cpu_s"].append(time.process_time() - cpu)
    return {"samples": samples, "raw": reports["raw"], "stored": reports["stored"]}


def profile_loopline(paths: dict[str, Path], config: str, top: int = 20) -> str:
    """cProfile of one raw and one stored-profile run (after a warm-up)."""
    from loopline.validation import detect_drift

    options = loopline_options(config)
    out = io.StringIO()
    detect_drift(paths["reference"], paths["current"], options=options)
    for label, run in (("raw", lambda: detect_drift(paths["reference"], paths["current"], options=options)),
                       ("stored profile", lambda: run_stored(paths, options))):
        profiler = cProfile.Profile()
        profiler.enable()
        run()
        profiler.disable()
        print(f"--- cProfile, Loopline {label}, {config} ---", file=out)
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(top)
    return out.getvalue()


EVIDENTLY_PARTS = ("read_reference", "read_current", "compute")


def evidently_totals(config_result: dict) -> dict[str, list[float]]:
    """Per repetition: from files (both reads + compute), reference in memory, frames in memory."""
    totals: dict[str, list[float]] = {}
    for unit in ("s", "cpu_s"):
        parts = zip(*(config_result[f"{part}_{unit}"] for part in EVIDENTLY_PARTS), strict=True)
        rows = [(ref + cur + compute, cur + compute, compute) for ref, cur, compute in parts]
        for index, mode in enumerate(("files", "ref_in_memory", "frames")):
            totals[f"{mode}_{unit}"] = [row[index] for row in rows]
    return totals


def check_verdicts(config: str, report, label: str) -> None:
    """Stop unless every shifted column drifted (the benchmark would measure something else)."""
    drifted = {c.column for c in report.columns if c.drifted}
    missed = set(tabular_data.DRIFT_SHIFTED) - drifted
    if missed:
        raise RuntimeError(f"{config}, Loopline {label}: shifted columns {sorted(missed)} not found drifted")


def report_config(config: str, loopline: dict, evidently: dict, version: str) -> tuple[str, dict]:
    ev = {key: _harness.median(values) for key, values in evidently_totals(evidently).items()}
    ll = {key: _harness.median(values) for key, values in loopline["samples"].items()}
    n, m = len(loopline["samples"]["raw_s"]), len(evidently["compute_s"])

    def ratio(theirs: str, ours: str) -> str:
        return (f"{ev[f'{theirs}_s'] / ll[f'{ours}_s']:.1f}x (CPU "
                f"{ev[f'{theirs}_cpu_s'] / ll[f'{ours}_cpu_s']:.1f}x)")

    rows = [
        [f"Evidently {version}, from files", *_times(ev, "files"), "", m],
        [f"Evidently {version}, reference in memory", *_times(ev, "ref_in_memory"), "", m],
        [f"Evidently {version}, frames in memory", *_times(ev, "frames"), "", m],
        ["Loopline raw, from files", *_times(ll, "raw"), ratio("files", "raw"), n],
        ["Loopline vs stored reference profile", *_times(ll, "stored"),
         f"{ratio('ref_in_memory', 'stored')}; from files {ev['files_s'] / ll['stored_s']:.1f}x", n],
        ["Loopline, frames in memory", *_times(ll, "frames"), ratio("frames", "frames"), n],
    ]
    table = _harness.markdown_table(["", "median wall s", "median CPU s", "Evidently ÷ Loopline", "samples"], rows)
    raw_ratio, stored_ratio = ev["files_s"] / ll["raw_s"], ev["ref_in_memory_s"] / ll["stored_s"]
    goals = (f"Goals (wall time): raw >= 10x: {'met' if raw_ratio >= 10 else 'NOT met'} ({raw_ratio:.1f}x); "
             f"stored profile >= 20x: {'met' if stored_ratio >= 20 else 'NOT met'} ({stored_ratio:.1f}x vs "
             f"Evidently with its reference in memory, {ev['files_s'] / ll['stored_s']:.1f}x vs from files).")
    agreement, summary = _agreement(config, loopline, evidently)
    return f"### {config}\n\n{table}\n\n{goals}\n\n{agreement}\n", {
        "evidently": ev, "loopline": ll, "raw_ratio": raw_ratio, "stored_ratio": stored_ratio, **summary}


def _times(medians: dict[str, float], mode: str) -> list[str]:
    return [f"{medians[f'{mode}_s']:.3f}", f"{medians[f'{mode}_cpu_s']:.3f}"]


def _agreement(config: str, loopline: dict, evidently: dict) -> tuple[str, dict]:
    lines, summary = [], {}
    for label, report in (("raw", loopline["raw"]), ("stored profile", loopline["stored"])):
        check_verdicts(config, report, label)
        checks = drift_agreement.compare(report, evidently["columns"], stored=label != "raw")
        problems = drift_agreement.failures(checks)
        if problems:
            raise RuntimeError(f"{config}, Loopline {label} disagrees with Evidently:\n  " + "\n  ".join(problems))
        value_checked = sum(c.within is not None for c in checks)
        differ = drift_agreement.verdict_differences(checks)
        lines.append(
            f"- Loopline {label}: drifted {sorted(c.column for c in checks if c.loopline_drift)}; "
            f"{value_checked}/{len(checks)} columns compared by value, all within tolerance "
            f"(largest difference: {drift_agreement.largest_difference(checks)})"
            + (f"; verdicts differ on {differ} (different definitions or histogram approximations, "
               "see drift_agreement.py)" if differ else "; every verdict the same")
        )
        summary[f"{label}_checks"] = [check.__dict__ for check in checks]
    return "Agreement with Evidently:\n" + "\n".join(lines), summary


def values_table(config: str, loopline: dict, evidently: dict) -> str:
    """Every column's value on both sides (for the documentation)."""
    checks = drift_agreement.compare(loopline["raw"], evidently["columns"], stored=False)
    stored = {c.column: c for c in drift_agreement.compare(loopline["stored"], evidently["columns"], stored=True)}
    rows = [[c.column, c.measure, f"{c.evidently:.6g}", f"{c.loopline:.6g}",
             "" if c.comparable is None else f"{c.comparable:.6g}", f"{stored[c.column].loopline:.6g}",
             "drift" if c.evidently_drift else "", "drift" if c.loopline_drift else "", c.note] for c in checks]
    header = ["column", "measure", "Evidently", "Loopline raw", "comparable", "Loopline stored", "Evidently verdict",
              "Loopline verdict", "note"]
    return f"#### values, {config}\n\n" + _harness.markdown_table(header, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per side per round (after one warm-up)")
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--values", action="store_true", help="also print every column's value on both sides")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of Loopline's runs")
    parser.add_argument("--json", help="write every sample to this file")
    args = parser.parse_args()
    configs = args.configs.split(",")

    print(_harness.describe_setting(), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as tmp:
        paths = write_data(Path(tmp), args.rows)
        peer_args = ["--reference", str(paths["reference"]), "--current", str(paths["current"]),
                     "--configs", ",".join(configs), "--repeat", str(args.repeat)]
        evidently: dict = {}
        loopline: dict = {config: {"samples": {}} for config in configs}
        for round_index in range(args.rounds):
            result = _harness.run_peer("evidently", "evidently_drift.py", peer_args)
            for config, values in result["configs"].items():
                timed = [f"{part}_{unit}" for part in EVIDENTLY_PARTS for unit in ("s", "cpu_s")]
                merged = evidently.setdefault(config, {**values, **{key: [] for key in timed}})
                for key in timed:
                    merged[key] += values[key]
            for config in configs:
                timing = time_loopline(paths, config, args.repeat)
                for key, values in timing["samples"].items():
                    loopline[config]["samples"].setdefault(key, []).extend(values)
                loopline[config].update(raw=timing["raw"], stored=timing["stored"])
            print(f"  round {round_index + 1}/{args.rounds} done", flush=True)
        version = result["evidently_version"]
        print(f"\n{args.rows:,} rows x 20 columns per window; Evidently {version} with pandas "
              f"{result['pandas_version']}\n")
        summaries = {}
        for config in configs:
            text, summaries[config] = report_config(config, loopline[config], evidently[config], version)
            print(text, flush=True)
            if args.values:
                print(values_table(config, loopline[config], evidently[config]) + "\n", flush=True)
        if args.profile:
            for config in configs:
                print(profile_loopline(paths, config), flush=True)
    print(f"at the end: {_harness.load_average()}")
    _harness.write_json(args.json, {
        "machine": _harness.machine(), "rows": args.rows, "evidently_version": version,
        "evidently": evidently, "loopline": {c: loopline[c]["samples"] for c in configs}, "summary": summaries,
    })


if __name__ == "__main__":
    main()
