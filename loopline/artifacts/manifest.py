"""Folder manifests: ``{relative posix name: {"digest": hex, "size": bytes}}`` as canonical JSON.

A folder artifact is its manifest; the manifest's own sha256 names the folder. Names are
checked with ``safe_relative_path`` both when a folder is scanned and when a manifest is
read back, so a manifest naming ``../../etc/passwd`` is refused before any file is written.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from loopline.artifacts.errors import UnsafePathError
from loopline.artifacts.paths import ensure_inside, safe_relative_path
from loopline.errors import InvalidInputError

_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One file of a folder artifact."""

    digest: str
    size: int


def manifest_bytes(entries: Mapping[str, ManifestEntry]) -> bytes:
    """The canonical JSON of a manifest: sorted names, no spaces, so equal folders give equal bytes."""
    body = {name: {"digest": entry.digest, "size": entry.size} for name, entry in entries.items()}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def parse_manifest(data: bytes, *, uri: str) -> dict[str, ManifestEntry]:
    """The entries of the manifest stored as ``uri``; refuses malformed ones and unsafe names."""
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise _not_a_manifest(uri, "it is not JSON") from None
    if not isinstance(body, dict):
        raise _not_a_manifest(uri, "it is not a JSON object")
    entries: dict[str, ManifestEntry] = {}
    for name, value in body.items():
        try:
            safe = safe_relative_path(name) == name
        except UnsafePathError as exc:
            raise UnsafePathError(
                f"folder artifact {uri} names the file {name!r}, which is unsafe: {exc.message}",
                hint="the manifest was not written by Loopline; do not extract it",
            ) from None
        if not safe:
            raise UnsafePathError(
                f"folder artifact {uri} names the file {name!r}, which is not in normal form",
                hint="the manifest was not written by Loopline; do not extract it",
            )
        entries[name] = _entry(value, name=name, uri=uri)
    _refuse_file_folder_clashes(entries, uri)
    return entries


def scan_folder(root: Path) -> list[tuple[str, Path]]:
    """Every file under ``root`` as (manifest name, path), sorted by name.

    Symlinks to files are followed when they stay inside ``root``; a symlink that leads
    out is refused (``UnsafePathError``), as are links to folders and special files.
    """
    found: list[tuple[str, Path]] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        base = Path(folder)
        for name in dirs:
            if (base / name).is_symlink():
                ensure_inside(root, base / name)
                raise InvalidInputError(
                    f"cannot store the folder {root}: {base / name} is a symlink to a folder",
                    hint="folder artifacts hold files; replace the link with a copy of the folder",
                )
        for name in files:
            path = base / name
            relative = path.relative_to(root).as_posix()
            _check_scanned_name(relative, root)
            if path.is_symlink():
                ensure_inside(root, path)
            _require_regular_file(path, root)
            found.append((relative, path))
    found.sort()
    return found


def _check_scanned_name(relative: str, root: Path) -> None:
    hint = "rename the file: plain names, no '%xx' escapes, backslashes, '#', '?' or control characters"
    try:
        normal = safe_relative_path(relative)
    except UnsafePathError as exc:
        raise UnsafePathError(f"cannot store the folder {root}: {exc.message}", hint=hint) from None
    if normal != relative:
        raise UnsafePathError(
            f"cannot store the folder {root}: the file name {relative!r} reads as {normal!r} once "
            "percent-decoded or normalised",
            hint=hint,
        )


def _require_regular_file(path: Path, root: Path) -> None:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise InvalidInputError(f"cannot store the folder {root}: cannot read {path}: {exc}") from None
    if not stat.S_ISREG(mode):
        raise InvalidInputError(
            f"cannot store the folder {root}: {path} is not a regular file",
            hint="folder artifacts hold regular files only; remove pipes, sockets and devices",
        )


def _entry(value: object, *, name: str, uri: str) -> ManifestEntry:
    if not isinstance(value, dict) or set(value) != {"digest", "size"}:
        raise _not_a_manifest(uri, f"the entry for {name!r} is not {{'digest': ..., 'size': ...}}")
    digest, size = value["digest"], value["size"]
    if not isinstance(digest, str) or not _HEX.fullmatch(digest):
        raise _not_a_manifest(uri, f"the digest of {name!r} is not 64 lower-case hex digits")
    if type(size) is not int or size < 0:
        raise _not_a_manifest(uri, f"the size of {name!r} is not a non-negative integer")
    return ManifestEntry(digest, size)


def _refuse_file_folder_clashes(entries: Mapping[str, ManifestEntry], uri: str) -> None:
    for name in entries:
        parts = name.split("/")
        for end in range(1, len(parts)):
            parent = "/".join(parts[:end])
            if parent in entries:
                raise _not_a_manifest(uri, f"{parent!r} is both a file and the folder of {name!r}")


def _not_a_manifest(uri: str, reason: str) -> InvalidInputError:
    return InvalidInputError(
        f"artifact {uri} is not a folder manifest: {reason}",
        hint="it is probably an artifact of another format; check the format recorded with it",
    )


__all__ = ["ManifestEntry", "manifest_bytes", "parse_manifest", "scan_folder"]
