"""The pre-deployment check (TFX's InfraValidator): can this version be loaded and answer, in time?

Before any version goes live, ``InfraValidator.check`` loads it in a separate process
(so a package that crashes, hangs or leaks cannot hurt the server or the caller; a warm
one kept between checks, see ``InfraValidator``) and
sends it single-record requests drawn from its training data (the package's
``sample_input``), then one batch of them. The version passes when every request gets
one finite answer per record and the median single-record answer (after one warm-up)
stays within ``latency_budget_ms``. The whole probe must finish within ``timeout_s``.
The result says why a version failed; the controller records it.
"""

from __future__ import annotations

import json
import selectors
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from typing import Any

from loopline.errors import InvalidInputError

PROBE_MODULE = "loopline.deployment.probe"
STARTUP_TIMEOUT_S = 120.0
"""How long a warm checker process may take to start (imports), apart from any check's timeout."""


@dataclass(frozen=True)
class InfraCheck:
    """The check's verdict; ``details`` holds the measured figures (requests, latencies in ms)."""

    passed: bool
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "reason": self.reason, **self.details}


@dataclass(frozen=True)
class StoreLocation:
    """Where the probe process finds the registry: the metadata database and the artifact store."""

    metadata_url: str
    artifact_root: str
    storage_options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, registry: Any) -> StoreLocation:
        """The stores an open Registry works on."""
        artifacts = registry.artifacts
        return cls(registry.metadata.url, artifacts.root, dict(artifacts.storage_options))


class InfraValidator:
    """Loads a version in a child process and sends it sample requests within a latency budget.

    ``warm`` (the default) keeps one child process between checks, its imports done, and
    sends it one check at a time: each check still loads the version afresh in that process,
    apart from the caller, but costs a fraction of a second instead of a process start. A
    child that crashes or overruns ``timeout_s`` is killed, the check fails with the reason,
    and the next check starts a new one. ``warm=False`` starts a process per check.
    """

    def __init__(self, location: StoreLocation, *, latency_budget_ms: float = 250.0, requests: int = 20,
                 timeout_s: float = 120.0, warm: bool = True) -> None:
        if not latency_budget_ms > 0 or requests < 1 or not timeout_s > 0:
            raise InvalidInputError("the pre-deployment check needs a positive latency budget, request count "
                                    f"and timeout, got {latency_budget_ms}, {requests}, {timeout_s}")
        self.location = location
        self.latency_budget_ms = latency_budget_ms
        self.requests = requests
        self.timeout_s = timeout_s
        self._worker = _ProbeWorker() if warm else None

    def check(self, name: str, version: int) -> InfraCheck:
        """Probe ``name/version``; never raises for a bad model, it answers with the reason instead."""
        order = {
            "metadata_url": self.location.metadata_url, "artifact_root": self.location.artifact_root,
            "storage_options": self.location.storage_options, "ref": f"{name}/{version}",
            "requests": self.requests, "latency_budget_ms": self.latency_budget_ms,
        }
        if self._worker is not None:
            answered = self._worker.ask(order, self.timeout_s)
            if answered is None:
                return InfraCheck(False, f"{name}/{version} did not load and answer within {self.timeout_s:g} s")
            code, line, error = answered
            return self._verdict(name, version, code, [line] if line else [], error)
        try:
            done = subprocess.run(  # the order goes on stdin: storage options may hold credentials
                [sys.executable, "-m", PROBE_MODULE], input=json.dumps(order), capture_output=True, text=True,
                timeout=self.timeout_s, check=False,
            )
        except subprocess.TimeoutExpired:
            return InfraCheck(False, f"{name}/{version} did not load and answer within {self.timeout_s:g} s")
        return self._verdict(name, version, done.returncode, done.stdout.strip().splitlines(), done.stderr)

    def close(self) -> None:
        """Stop the warm child process, if any."""
        if self._worker is not None:
            self._worker.stop()

    @staticmethod
    def _verdict(name: str, version: int, code: int | None, lines: list[str], stderr: str) -> InfraCheck:
        if code not in (0, None) or not lines:
            last = (stderr.strip().splitlines() or ["no output"])[-1]
            return InfraCheck(False, f"the process loading {name}/{version} failed (exit {code}): {last}")
        verdict = json.loads(lines[-1])
        return InfraCheck(bool(verdict.pop("passed")), str(verdict.pop("reason")), verdict)


class _ProbeWorker:
    """One child process answering checks one at a time (``python -m loopline.deployment.probe --serve``)."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self._stderr: Any = None
        self._lock = threading.Lock()

    def ask(self, order: dict[str, Any], timeout_s: float) -> tuple[int | None, str, str] | None:
        """(exit status or None while alive, the verdict line, stderr) ; None when it overran ``timeout_s``."""
        with self._lock:
            process = self._start()
            if process is None:
                return self._failed()
            try:
                assert process.stdin is not None
                process.stdin.write(json.dumps(order) + "\n")
                process.stdin.flush()
            except (BrokenPipeError, OSError):
                return self._failed()
            line = self._read_line(process, timeout_s)
            if line is None:  # alive but overran: kill it, the next check starts afresh
                self._kill()
                return None
            if not line:  # the output closed: the process died during the check
                return self._failed()
            return None, line.strip(), ""

    def stop(self) -> None:
        with self._lock:
            self._kill()

    def _start(self) -> subprocess.Popen[str] | None:
        """The running child; a new one is started and waited for (its start is not the check's time)."""
        if self._process is not None and self._process.poll() is None:
            return self._process
        self._kill()
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        self._process = subprocess.Popen(
            [sys.executable, "-m", PROBE_MODULE, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr, text=True, bufsize=1)
        if not self._read_line(self._process, STARTUP_TIMEOUT_S):
            return None
        return self._process

    @staticmethod
    def _read_line(process: subprocess.Popen[str], timeout_s: float) -> str | None:
        """The next line; "" when the output closed; None when nothing came within ``timeout_s``."""
        assert process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            if not selector.select(timeout_s):
                return None
        return process.stdout.readline()

    def _failed(self) -> tuple[int | None, str, str]:
        process = self._process
        code = None
        if process is not None:
            try:
                code = process.wait(5)
            except subprocess.TimeoutExpired:
                code = None
        error = ""
        if self._stderr is not None:
            self._stderr.seek(0)
            error = self._stderr.read()
        self._kill()
        return (code if code is not None else -1), "", error

    def _kill(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
            for stream in (self._process.stdin, self._process.stdout):
                if stream is not None:
                    stream.close()
            self._process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


__all__ = ["PROBE_MODULE", "InfraCheck", "InfraValidator", "StoreLocation"]
