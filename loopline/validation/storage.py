"""Where schemas and profiles are kept: files a person edits, and versions in the workspace's stores.

A schema saved under a name becomes a ``Schema`` artifact: its YAML text (comments and
all) in the artifact store, its record in the metadata store. Versions count from 1 in
the order they were recorded, so two people saving at once both get a version and
neither overwrites the other; saving text identical to the latest version records
nothing new. A ``Statistics`` artifact (a profile a pipeline step computed) is read back
by its id, for drift checks against new data.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopline.errors import InvalidInputError, NotFoundError, did_you_mean
from loopline.validation.errors import IncompatibleProfilesError, SchemaFormatError
from loopline.validation.profile import Profile
from loopline.validation.schema import Schema

if TYPE_CHECKING:
    from loopline.artifacts import ArtifactStore
    from loopline.metadata import Artifact, MetadataStore

SCHEMA_TYPE = "Schema"
STATISTICS_TYPE = "Statistics"
MAX_SCHEMA_BYTES = 10 * 1024 * 1024
MAX_PROFILE_BYTES = 512 * 1024 * 1024
_NAME = re.compile(r"^[\w.\-]{1,200}$")
_PAGE = 1000


class UnreadableFileError(InvalidInputError):
    """A schema or profile file is missing, too large, not UTF-8 or not what it should be."""


@dataclass(frozen=True)
class SchemaVersion:
    """One saved version of a named schema: its record and its YAML text."""

    name: str
    version: int
    artifact: Artifact
    text: str

    @property
    def schema(self) -> Schema:
        return Schema.from_yaml(self.text)

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    def to_dict(self) -> dict[str, Any]:
        created = self.artifact.created_at
        return {"name": self.name, "version": self.version, "artifact_id": self.artifact.id,
                "digest": self.artifact.digest, "created_at": created.isoformat() if created else None,
                "schema": self.schema.to_dict()}


# -- files ------------------------------------------------------------------------------------


def read_schema_file(path: str | Path) -> Schema:
    """The schema in a YAML file; errors name the file, and the line, column or key at fault."""
    return read_schema_text(path)[0]


def read_schema_text(path: str | Path) -> tuple[Schema, str]:
    """The schema in a YAML file and the file's text (kept as written, comments and all)."""
    text = _read_text(Path(path), "schema", MAX_SCHEMA_BYTES)
    try:
        return Schema.from_yaml(text), text
    except SchemaFormatError as exc:
        raise SchemaFormatError(f"{path}: {exc.message}", hint=exc.hint) from None


def read_profile_file(path: str | Path) -> Profile:
    """A profile written as JSON (``loopline stats DATA -o profile.json``, or ``Profile.to_dict``)."""
    text = _read_text(Path(path), "profile", MAX_PROFILE_BYTES)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFileError(f"the profile {path} is not valid JSON (line {exc.lineno}: {exc.msg})",
                                  hint="write it with 'loopline stats DATA -o profile.json'") from None
    if not isinstance(data, dict):
        raise UnreadableFileError(f"the profile {path} holds a JSON {type(data).__name__}, not a profile",
                                  hint="write it with 'loopline stats DATA -o profile.json'")
    try:
        return Profile.from_dict(data)
    except IncompatibleProfilesError as exc:
        raise UnreadableFileError(f"{path}: {exc.message}", hint=exc.hint) from None
    except (KeyError, TypeError, ValueError) as exc:
        raise UnreadableFileError(f"the profile {path} is damaged: {type(exc).__name__}: {exc}",
                                  hint="write it again with 'loopline stats DATA -o profile.json'") from None


def _read_text(path: Path, what: str, limit: int) -> str:
    if not path.is_file():
        raise UnreadableFileError(f"the {what} file {path} does not exist" if not path.exists()
                                  else f"the {what} path {path} is not a file", hint="check the path")
    size = path.stat().st_size
    if size > limit:
        raise UnreadableFileError(f"the {what} file {path} is {size} bytes; at most {limit} are read",
                                  hint=f"check that {path} is a {what} file")
    data = path.read_bytes()
    if b"\x00" in data:
        raise UnreadableFileError(f"the {what} file {path} is binary, not text", hint=f"pass a {what} file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(f"the {what} file {path} is not UTF-8 (byte {exc.start})",
                                  hint="save it as UTF-8") from None


# -- versioned schemas ---------------------------------------------------------------------------


def save_schema(
    metadata: MetadataStore, artifacts: ArtifactStore, schema: Schema | str, *, name: str
) -> tuple[SchemaVersion, bool]:
    """Save ``schema`` (a Schema, or YAML text kept as written) as the next version of ``name``.

    Returns the version and whether it is new (False: the latest version has the same text).
    """
    from loopline.metadata import NewArtifact

    _check_name(name)
    text = schema.to_yaml() if isinstance(schema, Schema) else schema
    parsed = Schema.from_yaml(text)
    data = text.encode("utf-8")
    versions = _versions(metadata, name)
    stored = artifacts.put_bytes(data)
    if versions and versions[-1].digest == stored.digest:
        return SchemaVersion(name, len(versions), versions[-1], text), False
    properties = {"columns": len(parsed.columns), "label": parsed.label, "python_type": "str"}
    new = NewArtifact(name, SCHEMA_TYPE, stored.uri, stored.digest, stored.size, "text", properties)
    recorded = metadata.artifacts.record(new)
    version = 1 + sum(1 for a in _versions(metadata, name) if a.id < recorded.id)
    return SchemaVersion(name, version, recorded, text), True


def load_schema_version(
    metadata: MetadataStore, artifacts: ArtifactStore, name: str, version: int | None = None
) -> SchemaVersion:
    """Version ``version`` (default: the latest) of the schema saved as ``name``."""
    versions = _versions(metadata, name)
    if not versions:
        known = schema_names(metadata)
        hint = did_you_mean(name, known) or (f"saved schemas: {', '.join(known)}" if known
                                             else "save one with 'loopline schema save schema.yaml --name NAME'")
        raise NotFoundError(f"no schema named '{name}' is saved in this workspace", hint=hint)
    number = len(versions) if version is None else version
    if not 1 <= number <= len(versions):
        raise NotFoundError(f"schema '{name}' has no version {version}",
                            hint=f"its versions are 1 to {len(versions)}")
    artifact = versions[number - 1]
    return SchemaVersion(name, number, artifact, _schema_text(artifacts, artifact))


def schema_versions(metadata: MetadataStore, name: str) -> list[Artifact]:
    """The records of every version of ``name``, oldest (version 1) first."""
    return _versions(metadata, name)


def schema_names(metadata: MetadataStore) -> list[str]:
    """The names under which schemas are saved (or pipeline steps recorded ``Schema`` artifacts)."""
    return sorted({a.name for a in _all(metadata, type=SCHEMA_TYPE)})


def parse_schema_ref(text: str) -> tuple[str, int | None]:
    """``NAME`` or ``NAME@VERSION`` as (name, version or None)."""
    name, sep, number = text.strip().partition("@")
    if sep and not (number.isdigit() and int(number) >= 1):
        raise InvalidInputError(f"'{text}' names no version: write NAME or NAME@VERSION (versions count from 1)")
    _check_name(name)
    return name, int(number) if sep else None


def _versions(metadata: MetadataStore, name: str) -> list[Artifact]:
    return sorted(_all(metadata, type=SCHEMA_TYPE, name=name), key=lambda a: a.id)


def _all(metadata: MetadataStore, **filters: Any) -> list[Artifact]:
    found: list[Artifact] = []
    while True:
        page = metadata.artifacts.list(limit=_PAGE, offset=len(found), **filters)
        found.extend(page)
        if len(page) < _PAGE:
            return found


def _schema_text(artifacts: ArtifactStore, artifact: Artifact) -> str:
    from loopline.artifacts import decode

    value = decode(artifacts, artifact.uri, artifact.format)
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if isinstance(value, Schema):
        return value.to_yaml()
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return Schema.from_dict(value).to_yaml()
    raise SchemaFormatError(f"artifact/{artifact.id} ('{artifact.name}') holds a {type(value).__name__}, "
                            "not a schema", hint="save schemas with 'loopline schema save FILE --name NAME'")


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidInputError(
            f"{name!r} is not a usable schema name: use letters, digits, '_', '-' and '.' (at most 200)",
            hint="for example: --name bikes",
        )


# -- stored profiles -----------------------------------------------------------------------------


def load_profile_artifact(metadata: MetadataStore, artifacts: ArtifactStore, artifact_id: int) -> Profile:
    """The profile recorded as the ``Statistics`` artifact ``artifact_id`` (its digest is checked)."""
    from loopline.artifacts import decode

    artifact = metadata.artifacts.get(artifact_id)
    if artifact.type != STATISTICS_TYPE:
        raise InvalidInputError(
            f"artifact/{artifact_id} ('{artifact.name}') is a {artifact.type} artifact, not {STATISTICS_TYPE}",
            hint="pass the id of a profile a pipeline step recorded (see 'loopline runs show RUN')",
        )
    value = decode(artifacts, artifact.uri, artifact.format)
    if isinstance(value, Profile):
        return value
    if isinstance(value, dict):
        return Profile.from_dict(value)
    raise IncompatibleProfilesError(f"artifact/{artifact_id} holds a {type(value).__name__}, not a profile")


__all__ = [
    "MAX_PROFILE_BYTES",
    "MAX_SCHEMA_BYTES",
    "SCHEMA_TYPE",
    "STATISTICS_TYPE",
    "SchemaVersion",
    "UnreadableFileError",
    "load_profile_artifact",
    "load_schema_version",
    "parse_schema_ref",
    "read_profile_file",
    "read_schema_file",
    "read_schema_text",
    "save_schema",
    "schema_names",
    "schema_versions",
]
