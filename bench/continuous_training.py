"""Served MAE of the bike replay under three retraining policies, on the same replay.

    .venv/bin/python bench/continuous_training.py [--days N] [--policies frozen,triggered,daily]

Each policy runs `loopline demo --policy P` on a fresh workspace: the first model trained on the
weeks before 2011-03-01, then the replay of every hour after it over HTTP with true counts a day
later. `frozen` never retrains; `triggered` retrains when the workspace's alerts fire (the
default demo); `daily` retrains at every simulated midnight (the costly upper reference). Prints
the served MAE, the retrainings and the wall time of each, and the MAE by month.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=None, help="replay this many days (default: to 2012-12-31)")
    parser.add_argument("--policies", default="frozen,triggered,daily")
    parser.add_argument("--json", type=Path, default=None, help="write every figure here")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    results = {}
    for policy in args.policies.split(","):
        with tempfile.TemporaryDirectory(prefix=f"loopline-ct-{policy}-") as folder:
            out = Path(folder) / "summary.json"
            command = [sys.executable, "-m", "loopline.cli.main", "demo", "-w", str(Path(folder) / "ws"),
                       "--policy", policy, "--json", str(out)]
            if args.days:
                command += ["--days", str(args.days)]
            began = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                sys.exit(f"the {policy} run failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
            results[policy] = {**json.loads(out.read_text()), "wall_s": time.perf_counter() - began}
            r = results[policy]
            print(f"{policy:>9}: served MAE {r['served_mae']:.1f} over {r['days']} days, {int(r['retrainings'])} "
                  f"retrainings, {r['versions_promoted']} promoted, {r['rollbacks']} rolled back; "
                  f"{r['wall_s']:.0f} s", flush=True)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    months = sorted({m for r in results.values() for m in r["months"]})
    print("\n| month | " + " | ".join(results) + " |")
    print("| --- |" + " --- |" * len(results))
    for month in months:
        cells = [f"{r['months'][month]['served_mae']:.1f}" if month in r["months"] else "" for r in results.values()]
        print(f"| {month} | " + " | ".join(cells) + " |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
