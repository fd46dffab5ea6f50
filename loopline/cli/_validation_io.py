"""What the validation commands read and write: data, profiles and schemas by path or by name.

DATA is a CSV or Parquet path, or a dataset of the workspace's catalog (``NAME`` or
``NAME@VERSION``). A drift reference may also be a profile: a JSON file written by
``loopline stats -o`` or a ``Statistics`` artifact (``artifact/12``, ``a12``). A schema is
a YAML file or a schema saved in the workspace (``NAME`` or ``NAME@VERSION``).

Input that cannot be read is an ``UnreadableInputError`` (exit status 2); output files are
written only once everything was computed, each atomically.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from loopline.errors import InvalidInputError, did_you_mean

_ARTIFACT_REF = re.compile(r"^(?:artifact\s*[/:]\s*|a)(\d+)$", re.IGNORECASE)
_VERSIONED = re.compile(r"^(?P<name>[^@]+)@(?P<version>\d+)$")


class UnreadableInputError(InvalidInputError):
    """The data, profile or schema given cannot be read; the command stops before writing anything."""

    exit_code = 2


@contextmanager
def reading_inputs() -> Iterator[None]:
    """Turn the library's read errors into ``UnreadableInputError`` (exit status 2)."""
    from loopline.catalog import DatasetReadError
    from loopline.validation import DataReadError, IncompatibleProfilesError, SchemaFormatError
    from loopline.validation.storage import UnreadableFileError

    try:
        yield
    except (DataReadError, DatasetReadError, SchemaFormatError, UnreadableFileError, IncompatibleProfilesError) as exc:
        raise UnreadableInputError(exc.message, hint=exc.hint) from None


def optional_workspace(ctx: typer.Context) -> Any:
    """The workspace if one is found (``--workspace``, LOOPLINE_WORKSPACE or upward), else None."""
    from loopline.cli.main import open_workspace
    from loopline.workspace import WorkspaceNotFound

    try:
        return open_workspace(ctx)
    except WorkspaceNotFound:
        if (ctx.obj or {}).get("workspace") or os.environ.get("LOOPLINE_WORKSPACE"):
            raise
        return None


def resolve_data(ctx: typer.Context, text: str) -> Any:
    """A DataFile for a path or a file-backed catalog dataset; a DataFrame for other datasets."""
    from loopline.validation import DataFile

    if _is_path(text):
        return DataFile(text)
    workspace = optional_workspace(ctx)
    catalog = workspace.catalog if workspace is not None else None
    versioned = _VERSIONED.match(text)
    name = versioned.group("name") if versioned else text
    if catalog is None or name not in catalog:
        names = catalog.names() if catalog is not None else []
        hint = did_you_mean(name, names) or (
            f"catalog datasets: {', '.join(names)}" if names else "check the path (no workspace dataset has that name)"
        )
        raise UnreadableInputError(f"'{text}' is neither a file nor a dataset of the workspace catalog", hint=hint)
    if versioned:
        return catalog.load(name, version=int(versioned.group("version")))
    declaration = catalog.declaration(name)
    if declaration.path is not None:
        return DataFile(catalog.path(name), format=declaration.format)
    return catalog.load(name)


def resolve_profile_or_data(ctx: typer.Context, text: str) -> Any:
    """A Profile (profile JSON file or Statistics artifact) or, failing that, data as ``resolve_data``."""
    from loopline.validation.storage import load_profile_artifact, read_profile_file

    if _is_path(text) and Path(text).suffix.lower() == ".json":
        return read_profile_file(text)
    reference = _ARTIFACT_REF.match(text.strip())
    if reference and not _is_path(text):
        workspace = optional_workspace(ctx)
        if workspace is None:
            raise UnreadableInputError(f"'{text}' names an artifact, but no workspace was found",
                                       hint="run inside a workspace or pass --workspace DIR")
        return load_profile_artifact(workspace.metadata, workspace.artifacts, int(reference.group(1)))
    return resolve_data(ctx, text)


def resolve_schema(ctx: typer.Context, text: str) -> tuple[Any, str]:
    """The schema in a YAML file, or saved in the workspace as ``NAME[@VERSION]``; and where it came from."""
    from loopline.validation.storage import load_schema_version, parse_schema_ref, read_schema_file

    if _is_path(text):
        return read_schema_file(text), text
    workspace = optional_workspace(ctx)
    if workspace is None:
        raise UnreadableInputError(f"the schema file {text} does not exist",
                                   hint="infer one with 'loopline schema infer DATA -o schema.yaml'")
    name, version = parse_schema_ref(text)
    saved = load_schema_version(workspace.metadata, workspace.artifacts, name, version)
    return saved.schema, saved.ref


def check_writable(*paths: Path | None) -> None:
    """Refuse, before any work, an output whose folder does not exist or that is a folder."""
    for path in paths:
        if path is None:
            continue
        if path.is_dir():
            raise InvalidInputError(f"cannot write {path}: it is a folder", hint="give a file name")
        if not path.parent.is_dir():
            raise InvalidInputError(f"cannot write {path}: the folder {path.parent} does not exist",
                                    hint="create the folder first, or choose another path")


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder: all of it or nothing."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _is_path(text: str) -> bool:
    return Path(text).exists() or any(ch in text for ch in "*?[")


__all__ = [
    "UnreadableInputError",
    "check_writable",
    "optional_workspace",
    "reading_inputs",
    "resolve_data",
    "resolve_profile_or_data",
    "resolve_schema",
    "write_atomic",
]
