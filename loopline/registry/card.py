"""Model cards: what is known about a registered version, gathered from the stores.

A card is built only from records: the version and its aliases, the package's own
description (``package.json`` and ``signature.json``, read without unpickling anything),
the run that produced it and the data upstream of it (lineage), its Evaluation and
Blessing artifacts (JSON, written by the evaluation package), approvals, every alias
move, and the project's scoping (``[scoping]`` in ``loopline.toml``). Whatever is missing is
said so on the card, under known limitations, instead of being left out silently.
``card_markdown.py`` renders it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from loopline.errors import LooplineError
from loopline.metadata import tables
from loopline.metadata.records import Artifact, ArtifactType, NodeRef
from loopline.registry import aliases as alias_sql
from loopline.registry import models as model_sql
from loopline.registry.approvals import decisions
from loopline.registry.evidence import evaluations, newest_blessing
from loopline.registry.loading import check_provenance
from loopline.registry.package import read_description
from loopline.registry.records import AliasMove, Approval, ModelVersion
from loopline.registry.refs import ModelRef, parse_model_ref

if TYPE_CHECKING:
    from loopline.artifacts import ArtifactStore
    from loopline.registry.registry import Registry

MAX_JSON_BYTES = 20 << 20
_DATA_TYPES = (ArtifactType.DATASET.value, ArtifactType.STATISTICS.value, ArtifactType.SCHEMA.value)


@dataclass(frozen=True)
class ModelCard:
    """Everything the card shows, as plain values (``to_markdown`` / ``to_html`` render it)."""

    version: ModelVersion
    model_artifact: Artifact
    provenance: str
    package: dict[str, Any]
    run: dict[str, Any] | None
    training_data: list[dict[str, Any]]
    scoping: dict[str, Any]
    evaluation: dict[str, Any] | None
    blessing: dict[str, Any] | None
    approvals: list[Approval]
    alias_history: list[AliasMove]
    limitations: list[str] = field(default_factory=list)

    def to_markdown(self) -> str:
        from loopline.registry.card_markdown import card_markdown

        return card_markdown(self)

    def to_html(self) -> str:
        from loopline.registry.card_markdown import card_html

        return card_html(self)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_card(registry: Registry, ref: str | ModelRef) -> ModelCard:
    parsed = ref if isinstance(ref, ModelRef) else parse_model_ref(ref)
    version = registry.resolve(parsed)
    gathered = registry.db.read(lambda conn: _gather(conn, version))
    artifact: Artifact = gathered["artifact"]
    package = _package_description(registry.artifacts, artifact)
    blessing = _json_content(registry.artifacts, gathered["blessing"])
    evaluation = _candidate_evaluation(registry.artifacts, gathered["evaluations"], blessing)
    graph = registry.metadata.lineage.graph(NodeRef("artifact", artifact.id), direction="up")
    data = [_describe_artifact(a) for a in graph.artifacts.values() if a.type in _DATA_TYPES]
    scoping = registry.scoping.model_dump()
    card = ModelCard(
        version=version,
        model_artifact=artifact,
        provenance=gathered["provenance"],
        package=package,
        run=gathered["run"],
        training_data=data,
        scoping=scoping,
        evaluation=evaluation,
        blessing=blessing,
        approvals=gathered["approvals"],
        alias_history=gathered["history"],
    )
    return replace(card, limitations=_limitations(card))


def _gather(conn: Connection, version: ModelVersion) -> dict[str, Any]:
    from loopline.metadata.artifacts import load_artifacts

    artifact = load_artifacts(conn, [version.artifact_id])[version.artifact_id]
    model = model_sql.load_model(conn, version.name)
    return {
        "artifact": artifact,
        "provenance": check_provenance(conn, artifact),
        "run": _run(conn, artifact),
        "blessing": newest_blessing(conn, artifact.id),
        "evaluations": evaluations(conn, artifact),
        "approvals": decisions(conn, version),
        "history": [m for m in alias_sql.history(conn, model) if m.to_version == version.version
                    or m.from_version == version.version],
    }


def _run(conn: Connection, artifact: Artifact) -> dict[str, Any] | None:
    if artifact.producer_execution_id is None:
        return None
    e, r, c = tables.executions, tables.runs, tables.contexts
    row = conn.execute(
        select(e.c.run_id, e.c.step, e.c.params, r.c.status, r.c.started_at, r.c.params.label("run_params"),
               c.c.name.label("pipeline"))
        .join(r, r.c.id == e.c.run_id).join(c, c.c.id == r.c.pipeline_id)
        .where(e.c.id == artifact.producer_execution_id)
    ).first()
    if row is None:
        return None
    return {"run_id": row.run_id, "pipeline": row.pipeline, "step": row.step, "status": row.status,
            "started_at": row.started_at, "params": dict(row.params or {})}


def _package_description(artifacts: ArtifactStore, artifact: Artifact) -> dict[str, Any]:
    if artifact.format != "dir":
        return {}
    return read_description(artifacts.local_dir(artifact.uri), recorded_digest=artifact.digest)


def _json_content(artifacts: ArtifactStore, artifact: Artifact | None) -> dict[str, Any] | None:
    """The JSON an artifact holds (JSON only: nothing here ever unpickles), merged over its properties."""
    if artifact is None:
        return None
    content: dict[str, Any] = {}
    if artifact.format == "json" and artifact.size <= MAX_JSON_BYTES:
        try:
            value = json.loads(artifacts.get_bytes(artifact.uri))
        except (LooplineError, ValueError) as exc:  # the card shows what the record says, and why no more
            content = {"unreadable": f"artifact/{artifact.id} could not be read ({getattr(exc, 'message', exc)})"}
        else:
            content = value if isinstance(value, dict) else {}
    return {**artifact.properties, **content, "artifact_id": artifact.id}


def _candidate_evaluation(artifacts: ArtifactStore, found: list[Artifact],
                          blessing: dict[str, Any] | None) -> dict[str, Any] | None:
    """The Evaluation of the candidate: the one whose metrics the Blessing quotes, else the oldest."""
    contents = [c for c in (_json_content(artifacts, a) for a in sorted(found, key=lambda a: a.id)) if c]
    if not contents:
        return None
    quoted = (blessing or {}).get("candidate_metrics")
    return next((c for c in contents if quoted and c.get("metrics") == quoted), contents[0])


def _describe_artifact(artifact: Artifact) -> dict[str, Any]:
    props = artifact.properties
    return {"id": artifact.id, "type": artifact.type, "name": artifact.name, "digest": artifact.digest,
            "rows": props.get("rows"), "columns": props.get("columns"), "created_at": artifact.created_at}


def _limitations(card: ModelCard) -> list[str]:
    found = [str(item) for item in card.scoping.get("limitations") or []]
    found += [part["unreadable"] for part in (card.evaluation, card.blessing) if part and "unreadable" in part]
    if card.run is None:
        found.append("Imported from outside Loopline: the data and code that trained it are not recorded.")
    if not card.training_data and card.run is not None:
        found.append("No dataset is recorded upstream of the model: its training data cannot be traced.")
    if not (card.package.get("signature") or {}).get("inputs"):
        found.append("No input signature is recorded: inputs cannot be checked before prediction.")
    if card.evaluation is None:
        found.append("No Evaluation artifact was found for this model: its metrics are unknown.")
    if card.blessing is None:
        found.append("No Blessing: the model was not validated against the serving model.")
    elif card.blessing.get("baseline") is None:
        found.append("Blessed without a baseline model: only the absolute rules applied.")
    rows = (card.evaluation or {}).get("rows")
    if isinstance(rows, int) and rows < 1000:
        found.append(f"Evaluated on {rows} rows only: metrics carry wide uncertainty.")
    return found


__all__ = ["ModelCard", "build_card"]
