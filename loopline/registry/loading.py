"""Safe loading and explicit import of models.

A registered version names a Model artifact. Before a byte of it is unpickled, loading
checks that Loopline itself recorded it: produced by an execution of a Loopline run, or
brought in by ``loopline models import --trust``, which leaves an intact audit event with
the artifact's id and digest. The artifact store then checks every byte against the
recorded digest (``read_package`` checks them again from the very bytes it decodes).
Nothing else is ever unpickled: no path, uri or file from a request, a user or a folder.

Importing is the one door for an outside model (a pickle file, or a package folder saved
elsewhere). It needs an explicit ``trust=True`` because an outside pickle runs whatever
code its author put in it, and it is recorded in the audit log in the same transaction
as the version it creates.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from loopline.artifacts import ArtifactStore
from loopline.artifacts.digests import digest_of
from loopline.errors import InvalidInputError
from loopline.metadata import tables
from loopline.metadata.records import Artifact, ArtifactType, NewArtifact
from loopline.registry.audit import row_is_intact
from loopline.registry.errors import UntrustedModelError
from loopline.registry.package import (
    PACKAGE_FILE,
    ModelPackage,
    check_package_folder,
    package_from_pickle,
    read_package,
)

IMPORT_ACTION = "model.import"
MAX_IMPORT_BYTES = 4 << 30


def check_provenance(conn: Connection, artifact: Artifact) -> str:
    """How Loopline came to record ``artifact`` ("run N" or "import, audit event N"); refuses anything else."""
    if digest_of(artifact.uri) != artifact.digest:
        raise UntrustedModelError(f"artifact/{artifact.id}'s uri and digest disagree; its record was edited")
    if artifact.type != ArtifactType.MODEL.value:
        raise UntrustedModelError(f"artifact/{artifact.id} is a {artifact.type}, not a Model")
    if artifact.producer_execution_id is not None:
        e = tables.executions
        run_id = conn.execute(select(e.c.run_id).where(e.c.id == artifact.producer_execution_id)).scalar()
        return f"run {run_id}"
    events = tables.audit_events
    for row in conn.execute(select(events).where(events.c.action == IMPORT_ACTION).order_by(events.c.seq.desc())):
        details = _details(row.details)
        if details.get("artifact_id") == artifact.id and details.get("digest") == artifact.digest:
            if not row_is_intact(row):
                raise UntrustedModelError(
                    f"the audit event that imported artifact/{artifact.id} (event {row.seq}) was edited; "
                    "not loading it",
                    hint="run 'loopline audit verify' and restore the database from a backup",
                )
            return f"import, audit event {row.seq}"
    raise UntrustedModelError(
        f"artifact/{artifact.id} was neither produced by a Loopline run nor imported with --trust, so Loopline "
        "will not unpickle it",
        hint="bring an outside model in explicitly: loopline models import PATH --name NAME --trust",
    )


def load_package(artifacts: ArtifactStore, artifact: Artifact) -> ModelPackage:
    """The package stored as ``artifact`` (whose provenance the caller checked), every byte verified."""
    if artifact.format == "dir":
        folder = artifacts.local_dir(artifact.uri)
        return read_package(folder, recorded_digest=artifact.digest)
    if artifact.format == "pickle":
        import pickle

        value = pickle.loads(artifacts.get_bytes(artifact.uri))  # noqa: S301 - digest and provenance checked
        return value if isinstance(value, ModelPackage) else ModelPackage(value)
    raise UntrustedModelError(f"artifact/{artifact.id} is stored as '{artifact.format}', which holds no model")


def stage_import(artifacts: ArtifactStore, path: Path, *, name: str, user: str) -> NewArtifact:
    """Put an outside model (a pickle file or a package folder) into the store, unpickling nothing."""
    if path.is_dir():
        if not (path / PACKAGE_FILE).is_file():
            raise InvalidInputError(f"{path} is a folder without {PACKAGE_FILE}: not a model package",
                                    hint="import a package saved with ModelPackage.save, or a pickle file")
        manifest = check_package_folder(path)
        stored = artifacts.put_dir(path)
        source = {"kind": "package", "model_class": manifest.get("model_class")}
    elif path.is_file():
        size = path.stat().st_size
        if size > MAX_IMPORT_BYTES:
            raise InvalidInputError(f"{path} has {size} bytes; imports are limited to {MAX_IMPORT_BYTES}")
        data = path.read_bytes()
        source = {"kind": "pickle", "sha256": hashlib.sha256(data).hexdigest()}
        with tempfile.TemporaryDirectory(prefix="loopline-import-") as tmp:
            folder = package_from_pickle(data, Path(tmp), info={"imported_from": str(path), **source})
            stored = artifacts.put_dir(folder)
    else:
        raise InvalidInputError(f"cannot import {path}: no such file or folder")
    properties: dict[str, Any] = {"imported_from": str(path.resolve()), "imported_by": user, "source": source,
                                  "python_type": "loopline.registry.package.ModelPackage"}
    return NewArtifact(name, ArtifactType.MODEL.value, stored.uri, stored.digest, stored.size, "dir", properties)


def _details(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


__all__ = ["IMPORT_ACTION", "check_provenance", "load_package", "stage_import"]
