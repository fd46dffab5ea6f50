"""Resuming a run from some steps: the latest recorded artifacts for what those steps need.

A run started with ``from_steps`` runs those steps and everything downstream. What they
read from the rest of the pipeline is taken from the newest earlier runs of the same
pipeline: for a dataset a step produces, the output of the newest complete (or cached)
execution of that step; for a free input not supplied again, the artifact the newest
execution read under that name. An artifact whose object has left the artifact store
is passed over.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from loopline.metadata.records import Artifact, EventKind, ExecutionState
from loopline.pipelines.errors import MissingInputError
from loopline.pipelines.pipeline import Pipeline

if TYPE_CHECKING:
    from loopline.artifacts import ArtifactStore
    from loopline.metadata.store import MetadataStore

RUNS_SEARCHED = 20
_DONE = (ExecutionState.COMPLETE, ExecutionState.CACHED)


def previous_artifacts(
    metadata: MetadataStore,
    artifacts: ArtifactStore,
    pipeline: Pipeline,
    datasets: Iterable[str],
    *,
    run_name: str,
    resumed_from: Iterable[str],
) -> dict[str, Artifact]:
    """The newest recorded artifact of each of ``datasets`` in earlier runs of ``run_name``."""
    wanted = set(datasets)
    found: dict[str, Artifact] = {}
    if not wanted:
        return found
    producers = {d: pipeline.producer(d) for d in wanted}
    readers = {d: {e.consumer for e in pipeline.edges if e.dataset == d} for d in wanted}
    for run in metadata.runs.list(pipeline=run_name, limit=RUNS_SEARCHED):
        for execution in metadata.runs.executions(run.id):
            looked_for: dict[tuple[EventKind, str], str] = {}
            for dataset in wanted - found.keys():
                producer = producers[dataset]
                if producer is not None and execution.step == producer and execution.state in _DONE:
                    looked_for[(EventKind.OUTPUT, dataset)] = dataset
                elif producer is None and execution.step in readers[dataset]:
                    looked_for[(EventKind.INPUT, dataset)] = dataset
            if not looked_for:
                continue
            for event in metadata.executions.events(execution.id):
                match = looked_for.get((event.kind, event.name))
                if match is not None and match not in found:
                    artifact = metadata.artifacts.get(event.artifact_id)
                    if artifacts.exists(artifact.uri):
                        found[match] = artifact
        if found.keys() == wanted:
            break
    missing = sorted(wanted - found.keys())
    if missing:
        raise _missing(pipeline, missing, producers, list(resumed_from), run_name)
    return found


def _missing(
    pipeline: Pipeline, missing: list[str], producers: dict[str, str | None], resumed: list[str], run_name: str
) -> MissingInputError:
    described = []
    for dataset in missing:
        producer = producers[dataset]
        described.append(f"'{dataset}' (made by step '{producer}')" if producer else f"'{dataset}' (a pipeline input)")
    upstream = sorted({p for d in missing if (p := producers[d]) is not None})
    free = [d for d in missing if producers[d] is None]
    hints = []
    if upstream:
        hints.append(
            f"run the whole pipeline once, or resume from earlier steps: --from-steps {','.join(upstream + resumed)}"
        )
    if free:
        hints.append(f"pass {', '.join(free)} in inputs=")
    return MissingInputError(
        f"cannot resume pipeline '{run_name}' from {', '.join(repr(s) for s in resumed)}: the last "
        f"{RUNS_SEARCHED} runs recorded no usable {', '.join(described)}",
        hint="; ".join(hints),
    )


__all__ = ["RUNS_SEARCHED", "previous_artifacts"]
