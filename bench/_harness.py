"""What every benchmark script shares: running a peer in its venv, medians, tables, machine facts."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
VENVS_DIR = BENCH_DIR / ".venvs"
PEERS_DIR = BENCH_DIR / "peers"


class PeerMissing(RuntimeError):
    """A peer's virtual environment has not been created."""


def peer_python(peer: str) -> Path:
    """The interpreter of the peer's virtual environment under bench/.venvs/."""
    python = VENVS_DIR / peer / "bin" / "python"
    if not python.is_file():
        raise PeerMissing(
            f"no virtual environment for '{peer}' at {python.parent.parent}; "
            f"create it with: bash bench/setup_peers.sh {peer}"
        )
    return python


def run_peer(peer: str, script: str, args: Sequence[str]) -> dict:
    """Run ``bench/peers/<script>`` with the peer's interpreter; return the JSON it writes.

    The peer's own stdout and stderr (its logging) go to a temporary file, not to a
    terminal; the file is shown if the script fails.
    """
    with tempfile.TemporaryDirectory(prefix=f"bench-{peer}-") as tmp:
        out = Path(tmp) / "result.json"
        log = Path(tmp) / "output.log"
        command = [str(peer_python(peer)), str(PEERS_DIR / script), "--out", str(out), *args]
        with log.open("wb") as sink:
            done = subprocess.run(command, stdout=sink, stderr=subprocess.STDOUT, cwd=tmp, check=False)
        if done.returncode != 0:
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{' '.join(command)} failed with status {done.returncode}:\n{tail}")
        result = json.loads(out.read_text())
        result["log_bytes"] = log.stat().st_size
        return result


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    """One line: CPU model, cores available to this process, OS and Python version."""
    model = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    system = f"{platform.system()} {platform.release()}"
    return f"{model or 'unknown CPU'}, {cores} cores, {system}, Python {platform.python_version()}"


def load_average() -> str:
    """The 1-minute load average: above the number of cores, other work competed for the CPU."""
    return f"load average {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "load average unknown"


def loopline_version() -> str:
    from importlib.metadata import version

    return version("loopline")


def describe_setting() -> str:
    """The first line every benchmark prints: machine, Loopline's version, current load."""
    return f"machine: {machine()}; Loopline {loopline_version()}; {load_average()}"


def write_json(path: str | None, payload: dict) -> None:
    """Write the raw results (every sample) when ``--json PATH`` was given."""
    if path:
        Path(path).write_text(json.dumps(payload, indent=2, default=str))
        print(f"raw results written to {path}", file=sys.stderr)


class FreshStores:
    """A new SQLite metadata store and local artifact folder inside ``folder``.

    ``open()`` creates them (migrations included) and returns ``(metadata, artifacts)``;
    ``close()`` closes the metadata store. Used as a context manager.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.metadata = None
        self.artifacts = None

    def open(self):
        from loopline.artifacts import ArtifactStore
        from loopline.metadata import MetadataStore

        self.metadata = MetadataStore(f"sqlite:///{self.folder / 'metadata.db'}").open()
        self.artifacts = ArtifactStore(str(self.folder / "artifacts")).open()
        return self.metadata, self.artifacts

    def close(self) -> None:
        if self.metadata is not None:
            self.metadata.close()
            self.metadata = None

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()


def outcome_counts(result) -> dict[str, int]:
    """How many steps of a ``RunResult`` ran, were cached, failed or were skipped."""
    counts: dict[str, int] = {}
    for outcome in result.steps.values() if isinstance(result.steps, dict) else result.steps:
        status = str(getattr(outcome.status, "value", outcome.status))
        counts[status] = counts.get(status, 0) + 1
    return counts


def expect_outcomes(result, expected: dict[str, int]) -> None:
    """Stop the benchmark if a run did not do what it is supposed to measure."""
    counts = outcome_counts(result)
    if counts != expected:
        raise RuntimeError(f"the run's steps were {counts}, expected {expected}; the benchmark would be meaningless")
