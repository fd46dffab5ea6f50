"""The child process of the pre-deployment check: load one version, send it sample requests, report.

Run as ``python -m loopline.deployment.probe`` with the order as JSON on stdin (see
``infra.py``); prints one JSON line ``{"passed", "reason", ...figures}``. Exit status 0
whenever a verdict was printed, including a failing one. With ``--serve`` it stays up and
answers one order per stdin line with one verdict line, until stdin closes.
"""

from __future__ import annotations

import gc
import json
import math
import sys
import time
from typing import Any


def probe(registry: Any, ref: str, *, requests: int, latency_budget_ms: float) -> dict[str, Any]:
    """The verdict on ``ref``: loads, answers each sample record once, within the budget."""
    started = time.perf_counter()
    package = registry.load(ref)
    load_ms = (time.perf_counter() - started) * 1000.0
    sample = getattr(package, "sample_input", None)
    if sample is None or len(sample) == 0:
        return {"passed": False, "load_ms": load_ms,
                "reason": f"{ref} has no sample input from its training data to send as requests; "
                          "register it with a sample_input"}
    rows = sample.head(requests)
    package.predict(rows.iloc[[0]])  # warm-up: caches and lazy imports are not the model's latency
    latencies = []
    for i in range(len(rows)):
        began = time.perf_counter()
        answer = package.predict(rows.iloc[[i]])
        latencies.append((time.perf_counter() - began) * 1000.0)
        problem = _answer_problem(answer, 1)
        if problem:
            return {"passed": False, "reason": f"{ref} answered sample request {i} wrongly: {problem}"}
    problem = _answer_problem(package.predict(rows), len(rows))
    if problem:
        return {"passed": False, "reason": f"{ref} answered a batch of {len(rows)} sample records wrongly: {problem}"}
    latencies.sort()
    # The typical answer is judged, not the slowest: on a shared machine one request can wait for
    # the scheduler, while a model that is too slow is slow on every request.
    median = latencies[len(latencies) // 2]
    figures = {"requests": len(latencies), "load_ms": round(load_ms, 2), "budget_ms": latency_budget_ms,
               "p50_ms": round(median, 3), "max_ms": round(latencies[-1], 3)}
    if median > latency_budget_ms:
        return {"passed": False, **figures,
                "reason": f"{ref} took {median:.1f} ms (median of {len(latencies)}) to answer one sample record; "
                          f"the budget is {latency_budget_ms:g} ms"}
    return {"passed": True, **figures,
            "reason": f"{ref} answered {len(latencies)} sample requests, median {median:.1f} ms, "
                      f"slowest {latencies[-1]:.1f} ms (budget {latency_budget_ms:g} ms)"}


def _answer_problem(answer: Any, rows: int) -> str | None:
    try:
        values = list(answer.tolist() if hasattr(answer, "tolist") else answer)
    except TypeError:
        return f"it returned a {type(answer).__name__}, not one prediction per record"
    if len(values) != rows:
        return f"{len(values)} predictions for {rows} record(s)"
    if any(isinstance(v, float) and not math.isfinite(v) for v in values):
        return "a prediction is NaN or infinite"
    return None


def main() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)  # as in a server worker: a thread pool per one-row prediction costs more than it gives
    if "--serve" in sys.argv[1:]:  # a warm checker: one order per line, one verdict line each
        from loopline.registry import Registry  # noqa: F401  (the imports every check needs, done once)

        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            if line.strip():
                print(json.dumps(_run(json.loads(line)), default=str), flush=True)
                gc.collect()  # the version just checked is dropped before the next one loads
        return
    print(json.dumps(_run(json.loads(sys.stdin.read())), default=str))


def _run(order: dict[str, Any]) -> dict[str, Any]:
    from loopline.artifacts import ArtifactStore
    from loopline.metadata import MetadataStore
    from loopline.registry import Registry

    artifacts = ArtifactStore(order["artifact_root"], storage_options=order.get("storage_options") or None).open()
    with MetadataStore(order["metadata_url"]) as metadata, Registry(metadata, artifacts) as registry:
        try:
            return probe(registry, order["ref"], requests=int(order["requests"]),
                         latency_budget_ms=float(order["latency_budget_ms"]))
        except Exception as exc:  # the verdict on a model that cannot load or predict, not a crash
            return {"passed": False, "reason": f"{order['ref']} failed: {type(exc).__name__}: {exc}"}


if __name__ == "__main__":
    main()
