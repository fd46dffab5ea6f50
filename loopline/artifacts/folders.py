"""Folder artifacts: store a folder as its files plus a manifest, and write it back, verified.

Every name read from a manifest passes ``safe_relative_path`` (in ``parse_manifest``) and
every target path passes ``ensure_inside`` before a byte is written, so neither a crafted
manifest nor a symlink already in the destination can lead a write outside it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from loopline.artifacts.atomic import temp_name
from loopline.artifacts.digests import digest_of
from loopline.artifacts.manifest import ManifestEntry, manifest_bytes, scan_folder
from loopline.artifacts.paths import ensure_inside
from loopline.artifacts.verification import VerifiedFiles
from loopline.errors import InvalidInputError

if TYPE_CHECKING:
    from loopline.artifacts.store import ArtifactStore, StoredObject

CHECKOUTS_DIR = "dirs"


def put_dir(store: ArtifactStore, root: Path) -> StoredObject:
    """Store each file under ``root``, then the manifest; the result names the folder."""
    from loopline.artifacts.store import StoredObject

    if not root.is_dir():
        raise InvalidInputError(
            f"cannot store {root} as a folder: it is not a folder",
            hint="use put_file for a single file" if root.is_file() else "check the path",
        )
    entries: dict[str, ManifestEntry] = {}
    for name, path in scan_folder(root):
        stored = store.put_file(path)
        entries[name] = ManifestEntry(stored.digest, stored.size)
    manifest = store.put_bytes(manifest_bytes(entries))
    return StoredObject(manifest.uri, manifest.digest, sum(entry.size for entry in entries.values()))


def get_dir(store: ArtifactStore, uri: str, dest: Path) -> Path:
    """Write the folder's files under ``dest``, each verified against the manifest."""
    entries = store.manifest(uri)
    dest.mkdir(parents=True, exist_ok=True)
    _extract(store, uri, entries, dest, read_only=False)
    return dest


def local_dir(store: ArtifactStore, uri: str) -> Path:
    """A read-only copy of the folder in the store's cache, rebuilt whenever it is found changed."""
    entries = store.manifest(uri)
    final = store._cache_root() / CHECKOUTS_DIR / digest_of(uri)
    if _is_intact(final, entries, store._verified):
        return final
    staging = final.parent / temp_name()
    staging.mkdir(parents=True)
    try:
        _extract(store, uri, entries, staging, read_only=True)
        if _swap_in(staging, final):
            return final
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if not _is_intact(final, entries, store._verified):  # another process's copy won the race
        raise InvalidInputError(
            f"the cached copy {final} of folder {uri} keeps changing while it is being rebuilt",
            hint=f"stop whatever writes into {final.parent}, then try again",
        )
    return final


def _extract(
    store: ArtifactStore, uri: str, entries: Mapping[str, ManifestEntry], dest: Path, *, read_only: bool
) -> None:
    for name, entry in entries.items():
        target = ensure_inside(dest, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        store._copy_object(entry.digest, target, owner=uri, read_only=read_only)


def _is_intact(folder: Path, entries: Mapping[str, ManifestEntry], verified: VerifiedFiles) -> bool:
    if not folder.is_dir() or folder.is_symlink():
        return False
    found: set[str] = set()
    for current, dirs, files in os.walk(folder):
        base = Path(current)
        if any((base / name).is_symlink() for name in (*dirs, *files)):
            return False
        found.update((base / name).relative_to(folder).as_posix() for name in files)
    if found != set(entries):
        return False
    try:
        return all(verified.digest(folder / name) == entry.digest for name, entry in entries.items())
    except OSError:
        return False


def _swap_in(staging: Path, final: Path) -> bool:
    """Move ``staging`` to ``final``, setting aside a damaged ``final``; False if another copy won."""
    try:
        os.replace(staging, final)
        return True
    except OSError:
        pass
    trash = final.parent / temp_name()
    try:
        os.replace(final, trash)
    except FileNotFoundError:
        pass
    else:
        shutil.rmtree(trash, ignore_errors=True)
    try:
        os.replace(staging, final)
        return True
    except OSError:
        return False


__all__ = ["CHECKOUTS_DIR", "get_dir", "local_dir", "put_dir"]
