"""The pre-deployment check (TFX's InfraValidator): can this version be loaded and answer, in time?

Before any version goes live, ``InfraValidator.check`` loads it in a separate process
(so a package that crashes, hangs or leaks cannot hurt the server or the caller) and
sends it single-record requests drawn from its training data (the package's
``sample_input``), then one batch of them. The version passes when every request gets
one finite answer per record and the median single-record answer (after one warm-up)
stays within ``latency_budget_ms``. The whole probe must finish within ``timeout_s``.
The result says why a version failed; the controller records it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

from loopline.errors import InvalidInputError

PROBE_MODULE = "loopline.deployment.probe"


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
    """Loads a version in a child process and sends it sample requests within a latency budget."""

    def __init__(self, location: StoreLocation, *, latency_budget_ms: float = 250.0, requests: int = 20,
                 timeout_s: float = 120.0) -> None:
        if not latency_budget_ms > 0 or requests < 1 or not timeout_s > 0:
            raise InvalidInputError("the pre-deployment check needs a positive latency budget, request count "
                                    f"and timeout, got {latency_budget_ms}, {requests}, {timeout_s}")
        self.location = location
        self.latency_budget_ms = latency_budget_ms
        self.requests = requests
        self.timeout_s = timeout_s

    def check(self, name: str, version: int) -> InfraCheck:
        """Probe ``name/version``; never raises for a bad model, it answers with the reason instead."""
        order = {
            "metadata_url": self.location.metadata_url, "artifact_root": self.location.artifact_root,
            "storage_options": self.location.storage_options, "ref": f"{name}/{version}",
            "requests": self.requests, "latency_budget_ms": self.latency_budget_ms,
        }
        try:
            done = subprocess.run(  # the order goes on stdin: storage options may hold credentials
                [sys.executable, "-m", PROBE_MODULE], input=json.dumps(order), capture_output=True, text=True,
                timeout=self.timeout_s, check=False,
            )
        except subprocess.TimeoutExpired:
            return InfraCheck(False, f"{name}/{version} did not load and answer within {self.timeout_s:g} s")
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return InfraCheck(False, f"the process loading {name}/{version} failed (exit {done.returncode}): {last}")
        verdict = json.loads(lines[-1])
        return InfraCheck(bool(verdict.pop("passed")), str(verdict.pop("reason")), verdict)


__all__ = ["PROBE_MODULE", "InfraCheck", "InfraValidator", "StoreLocation"]
