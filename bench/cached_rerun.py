"""Cached re-run of the bike-sharing demo pipeline, in process and as a command; start-up imports.

    .venv/bin/python bench/cached_rerun.py [--repeat 5] [--top 10] [--json PATH]

1. Creates the bike-sharing workspace in a temporary folder
   (``loopline.examples.write_workspace(dir, example="bikes")``) and runs ``training``
   once (timed, reported for reference).
2. In process: ``Workspace.find(dir).run("training")`` ``--repeat`` times; every step must
   be a cache hit. The clock covers finding the workspace, reading its settings, loading
   its pipelines file and the data catalog, opening the stores and the run itself.
3. As a command: ``loopline run training`` in the workspace folder as a subprocess,
   ``--repeat`` times (interpreter start-up and imports included).
4. ``python -X importtime -c "import loopline.cli.main"`` and the same for the whole
   cached ``loopline run training``: the slowest imports, each with the Loopline module
   that pulls it in (the place to make it lazy).

Loopline only: no peer here. Goal: (a) under one second.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import _harness

LOOPLINE_BIN = Path(sys.executable).parent / "loopline"


@dataclass(frozen=True)
class ImportLine:
    self_us: int
    cumulative_us: int
    depth: int
    name: str


def parse_importtime(stderr: str) -> list[ImportLine]:
    """The ``import time:`` lines of ``-X importtime``, in the order printed (children first)."""
    lines = []
    for raw in stderr.splitlines():
        if not raw.startswith("import time:") or "[us]" in raw:
            continue
        self_us, cumulative_us, name = raw[len("import time:") :].split("|", 2)
        stripped = name.lstrip(" ")
        depth = (len(name) - len(stripped) - 1) // 2
        lines.append(ImportLine(int(self_us), int(cumulative_us), depth, stripped.rstrip()))
    return lines


def importer_of(lines: list[ImportLine], index: int) -> str:
    """The nearest Loopline module (or the top level) whose import triggered ``lines[index]``."""
    depth = lines[index].depth
    for later in lines[index + 1 :]:  # a parent is printed after its children, one level up
        if later.depth < depth:
            if later.name.startswith("loopline"):
                return later.name
            depth = later.depth
    return "(top level)"


def slowest_imports(lines: list[ImportLine], top: int) -> list[tuple[ImportLine, str]]:
    """Third-party/stdlib imports made directly by a Loopline module or the top level, slowest first."""
    direct = []
    for index, line in enumerate(lines):
        if line.name.startswith("loopline"):
            continue
        parent = next((later for later in lines[index + 1 :] if later.depth < line.depth), None)
        if parent is None or parent.name.startswith("loopline"):
            direct.append((line, importer_of(lines, index)))
    return sorted(direct, key=lambda item: item[0].cumulative_us, reverse=True)[:top]


def importtime(code: str, cwd: Path) -> tuple[float, list[ImportLine]]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], cwd=cwd, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{code!r} failed with status {done.returncode}:\n{done.stderr[-3000:]}")
    return elapsed, parse_importtime(done.stderr)


def import_table(lines: list[ImportLine], top: int) -> str:
    total_us = sum(line.self_us for line in lines)
    rows = [
        [f"`{line.name}`", f"{line.cumulative_us / 1000:.0f}", f"`{importer}`"]
        for line, importer in slowest_imports(lines, top)
    ]
    return (
        _harness.markdown_table(["import", "cumulative ms", "pulled in by"], rows)
        + f"\n\nAll imports on this path: {total_us / 1000:.0f} ms (sum of self times, {len(lines)} modules)."
    )


def time_in_process(workspace: Path, repeat: int) -> list[float]:
    from loopline.workspace import Workspace

    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        with Workspace.find(workspace) as ws:
            result = ws.run("training")
        seconds.append(time.perf_counter() - start)
        _harness.expect_outcomes(result, {"cached": len(result.steps)})
    return seconds


def time_command(workspace: Path, repeat: int) -> list[float]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(
            [str(LOOPLINE_BIN), "run", "training"], cwd=workspace, capture_output=True, text=True, env=env, check=False
        )
        seconds.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise RuntimeError(f"loopline run training failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--json", help="write every sample to this file")
    args = parser.parse_args()

    from loopline.examples import write_workspace
    from loopline.workspace import Workspace

    print(_harness.describe_setting(), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-bikes-") as tmp:
        workspace = write_workspace(Path(tmp) / "bikes", example="bikes")
        start = time.perf_counter()
        with Workspace.find(workspace) as ws:
            first = ws.run("training")
        first_s = time.perf_counter() - start
        _harness.expect_outcomes(first, {"ran": len(first.steps)})

        in_process = time_in_process(workspace, args.repeat)
        command = time_command(workspace, args.repeat)
        cli_import_s, cli_imports = importtime("import loopline.cli.main", workspace)
        run_code = "from loopline.cli.main import run; run(['run', 'training'])"
        run_import_s, run_imports = importtime(run_code, workspace)

    in_med, cmd_med = _harness.median(in_process), _harness.median(command)
    rows = [
        ["first run of `training` (nothing cached), in process", f"{first_s:.2f}", 1],
        ['(a) fully cached re-run in process, `Workspace.find(dir).run("training")`', f"{in_med:.3f}", len(in_process)],
        ["(b) fully cached `loopline run training`, subprocess", f"{cmd_med:.2f}", len(command)],
        ['`python -X importtime -c "import loopline.cli.main"` (wall)', f"{cli_import_s:.2f}", 1],
    ]
    print(_harness.markdown_table(["", "median s", "samples"], rows))
    print(f"\nGoal (a) under 1 s: {'met' if in_med < 1.0 else 'NOT met'} ({in_med:.3f} s).")
    print(f"\n### {args.top} slowest imports of `import loopline.cli.main`\n")
    print(import_table(cli_imports, args.top))
    print(f"\n### {args.top} slowest imports of a cached `loopline run training` (wall {run_import_s:.2f} s)\n")
    print(import_table(run_imports, args.top))
    print(f"\nat the end: {_harness.load_average()}")
    _harness.write_json(
        args.json,
        {
            "machine": _harness.machine(),
            "first_s": first_s,
            "in_process_s": in_process,
            "command_s": command,
            "cli_imports": [asdict(line) for line in cli_imports],
            "run_imports": [asdict(line) for line in run_imports],
        },
    )


if __name__ == "__main__":
    main()
