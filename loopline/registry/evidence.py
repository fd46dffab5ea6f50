"""What training and evaluation recorded about a model: its Blessing and Evaluation artifacts.

The evaluation package writes a ``Blessing`` artifact whose properties hold ``blessed``
(true or false) and ``candidate`` (the id of the Model artifact it judged), and
``Evaluation`` artifacts with metrics and slices. The registry reads them to check a
policy and to write a model card; it is tolerant of what it does not find.

A candidate may be judged more than once (against a newer production model, say): the
newest Blessing for it is the verdict that counts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from loopline.metadata import tables
from loopline.metadata.records import Artifact, ArtifactType
from loopline.metadata.rows import artifact_from_row


def _names_candidate(properties: dict[str, Any], artifact_id: int, keys: tuple[str, ...]) -> bool:
    for key in keys:
        value = properties.get(key)
        if value is not None and str(value).removeprefix("artifact/") == str(artifact_id):
            return True
    return False


def _about(conn: Connection, kind: str, artifact_id: int, keys: tuple[str, ...]) -> list[Artifact]:
    """Artifacts of ``kind`` recorded after the model whose properties name it, newest first."""
    a = tables.artifacts
    rows = conn.execute(select(a).where(a.c.type == kind, a.c.id > artifact_id).order_by(a.c.id.desc()))
    return [artifact_from_row(row) for row in rows if _names_candidate(dict(row.properties), artifact_id, keys)]


def newest_blessing(conn: Connection, artifact_id: int) -> Artifact | None:
    """The newest Blessing that names the Model artifact ``artifact_id`` as its candidate."""
    found = _about(conn, ArtifactType.BLESSING.value, artifact_id, ("candidate",))
    return found[0] if found else None


def is_blessed(blessing: Artifact | None) -> bool:
    return blessing is not None and blessing.properties.get("blessed") is True


def evaluations(conn: Connection, model: Artifact) -> list[Artifact]:
    """Evaluation artifacts about ``model``: those naming it, else those of the run that produced it."""
    named = _about(conn, ArtifactType.EVALUATION.value, model.id, ("candidate", "model", "model_artifact_id"))
    if named or model.producer_execution_id is None:
        return named
    e, a = tables.executions, tables.artifacts
    run_id = conn.execute(select(e.c.run_id).where(e.c.id == model.producer_execution_id)).scalar()
    query = (select(a).join(e, e.c.id == a.c.producer_execution_id)
             .where(e.c.run_id == run_id, a.c.type == ArtifactType.EVALUATION.value).order_by(a.c.id.desc()))
    return [artifact_from_row(row) for row in conn.execute(query)]


__all__ = ["evaluations", "is_blessed", "newest_blessing"]
