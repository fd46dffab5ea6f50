"""Content-addressed artifact store over fsspec.

Objects are keyed by the sha256 of their bytes: ``uri == "sha256:<hex>"``, stored at
``<root>/objects/<hex[:2]>/<hex[2:]>``. Storing the same bytes twice stores them once.
Every write goes to ``<root>/tmp/`` first and is renamed into place when complete; every
load hashes what it reads and refuses an object whose bytes changed. A folder is stored
as a JSON manifest (relative name -> digest and size) whose own digest names the folder.

The root is a local folder (a plain path or ``file://``) or any fsspec URL
(``memory://``, ``s3://bucket/prefix`` with s3fs installed, ...). Objects of a remote
store are downloaded into a local cache folder when a local path is asked for.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loopline.artifacts import folders
from loopline.artifacts.atomic import TEMP_PREFIX, copy_verified
from loopline.artifacts.backend import TMP_DIR, ObjectBackend
from loopline.artifacts.digests import (
    CHUNK_BYTES,
    OBJECTS_DIR,
    digest_from_key,
    digest_of,
    object_key,
    sha256_bytes,
    uri_for,
)
from loopline.artifacts.errors import ArtifactIntegrityError, ArtifactNotFound, StoreNotOpen
from loopline.artifacts.folders import CHECKOUTS_DIR
from loopline.artifacts.manifest import ManifestEntry, parse_manifest
from loopline.artifacts.verification import VerifiedFiles
from loopline.errors import ConfigError, InvalidInputError

_LOCAL_PROTOCOLS = (None, "file", "local")


@dataclass(frozen=True, slots=True)
class StoredObject:
    """What the store holds under ``uri``: ``digest`` is the hex sha256 of the object's bytes.

    ``size`` is the object's size in bytes; for a folder, the total size of its files.
    """

    uri: str
    digest: str
    size: int


class ArtifactStore:
    """Immutable, content-addressed objects under a root folder or fsspec URL.

    ``cache_dir`` holds local copies of a remote store's objects and extracted folders
    (default: ``<root>/cache`` for a local store, ``$XDG_CACHE_HOME/loopline/artifacts/<id>``
    otherwise). ``fsync=True`` flushes every object to disk before it is renamed into place:
    without it a killed process still never leaves a partial object, but a power cut may.
    """

    def __init__(
        self,
        root: str,
        *,
        storage_options: dict[str, Any] | None = None,
        cache_dir: str | Path | None = None,
        fsync: bool = False,
    ) -> None:
        self.root = root
        self.storage_options = storage_options or {}
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.fsync = fsync
        self._backend: ObjectBackend | None = None
        self._verified = VerifiedFiles()

    # -- lifecycle --------------------------------------------------------------------------

    def open(self) -> ArtifactStore:
        """Connect to the root (creating its folders) and return the store."""
        if self._backend is None:
            backend, cache_dir = _make_backend(self.root, self.storage_options, self.fsync)
            try:
                backend.open()
            except OSError as exc:
                raise ConfigError(
                    f"cannot open the artifact store at {backend.location}: {exc}",
                    hint="point [artifacts] root in loopline.toml at a folder you can write to",
                ) from None
            self.cache_dir = self.cache_dir or cache_dir
            self._backend = backend
        return self

    @property
    def location(self) -> str:
        """The root as a path or URL."""
        return self.backend.location

    @property
    def backend(self) -> ObjectBackend:
        if self._backend is None:
            raise StoreNotOpen(f"the artifact store at {self.root} is not open", hint="call store.open() first")
        return self._backend

    def __reduce__(self) -> tuple[Any, ...]:
        # Worker processes get a store that reopens itself; its verification memory stays behind.
        return (_reopen, (self.root, self.storage_options, self.cache_dir, self.fsync, self._backend is not None))

    def __repr__(self) -> str:
        return f"ArtifactStore({self.root!r})"

    # -- writing ----------------------------------------------------------------------------

    def put_bytes(self, data: bytes) -> StoredObject:
        """Store ``data``; returns at once if the same bytes are stored already."""
        data = bytes(data)
        digest = sha256_bytes(data)
        key = object_key(digest)
        backend = self.backend
        if backend.size(key) != len(data):
            writer = backend.writer()
            try:
                writer.write(data)
                writer.commit(key)
            except BaseException:
                writer.abort()
                raise
        return StoredObject(uri_for(digest), digest, len(data))

    def put_stream(self, chunks: Iterable[bytes]) -> StoredObject:
        """Store the concatenation of ``chunks``, hashing as they are written (memory stays flat)."""
        hasher = hashlib.sha256()
        size = 0
        writer = self.backend.writer()
        try:
            for chunk in chunks:
                hasher.update(chunk)
                writer.write(chunk)
                size += len(chunk)
            digest = hasher.hexdigest()
            writer.commit(object_key(digest))
        except BaseException:
            writer.abort()
            raise
        return StoredObject(uri_for(digest), digest, size)

    def put_file(self, path: str | Path) -> StoredObject:
        """Store the bytes of a local file, read in chunks."""
        self._cache_root()  # fail before opening the file if the store is not open
        source = Path(path)
        try:
            handle = open(source, "rb")  # noqa: SIM115 - closed by _chunks
        except IsADirectoryError:
            raise InvalidInputError(
                f"cannot store {source} as a file: it is a folder", hint="use put_dir for folders"
            ) from None
        except OSError as exc:
            raise InvalidInputError(f"cannot store the file {source}: {exc.strerror or exc}") from None
        return self.put_stream(_chunks(handle))

    def put_dir(self, path: str | Path) -> StoredObject:
        """Store every file under a folder, then its manifest; the manifest's uri names the folder."""
        return folders.put_dir(self, Path(path))

    # -- reading ----------------------------------------------------------------------------

    def exists(self, uri: str) -> bool:
        """Whether the object is in the store (its bytes are not checked)."""
        return self.backend.size(object_key(digest_of(uri))) is not None

    def get_bytes(self, uri: str) -> bytes:
        """The object's bytes, after checking they still hash to its digest."""
        digest = digest_of(uri)
        key = object_key(digest)
        try:
            with self.backend.read(key) as handle:
                data = handle.read()
        except FileNotFoundError:
            raise self._not_found(uri) from None
        actual = sha256_bytes(data)
        if actual != digest:
            raise self._damaged(uri, self.backend.describe(key), actual)
        return data

    def local_path(self, uri: str) -> Path:
        """A verified local file holding the object (downloaded to the cache if the store is remote).

        The file is the store's own copy: read it, never write to it.
        """
        digest = digest_of(uri)
        key = object_key(digest)
        local = self.backend.local_file(key)
        if local is None:
            return self._cached_copy(uri, digest)
        try:
            actual = self._verified.digest(local)
        except (FileNotFoundError, NotADirectoryError):
            raise self._not_found(uri) from None
        if actual != digest:
            raise self._damaged(uri, str(local), actual)
        return local

    def manifest(self, uri: str) -> dict[str, ManifestEntry]:
        """The files of the folder artifact ``uri``: relative posix name -> digest and size."""
        return parse_manifest(self.get_bytes(uri), uri=uri)

    def get_dir(self, uri: str, dest: str | Path) -> Path:
        """Write the folder artifact's files under ``dest`` (created if needed), each verified."""
        return folders.get_dir(self, uri, Path(dest))

    def local_dir(self, uri: str) -> Path:
        """A verified, read-only local copy of the folder artifact, kept in the cache folder."""
        return folders.local_dir(self, uri)

    def get_file(self, uri: str, dest: str | Path) -> Path:
        """Write the object to the local file ``dest`` atomically, verifying it on the way."""
        target = Path(dest)
        target.parent.mkdir(parents=True, exist_ok=True)
        self._copy_object(digest_of(uri), target)
        return target

    # -- housekeeping -----------------------------------------------------------------------

    def digests(self) -> Iterator[str]:
        """The digest of every object in the store."""
        for entry in self.backend.entries(OBJECTS_DIR):
            digest = digest_from_key(entry.key)
            if digest is not None:
                yield digest

    def remove_temporary(self, *, older_than_s: float = 86_400.0) -> int:
        """Delete temporary files left by killed writers; returns how many were removed.

        Looks in the store's ``tmp/`` folder and in the cache folder. Only entries older
        than ``older_than_s`` are touched, so writers still at work are safe.
        """
        cutoff = time.time() - older_than_s
        removed = 0
        for entry in self.backend.entries(TMP_DIR):
            if older_than_s <= 0 or (entry.modified is not None and entry.modified <= cutoff):
                self.backend.remove(entry.key)
                removed += 1
        cache = self._cache_root()
        for folder in (cache / OBJECTS_DIR, cache / CHECKOUTS_DIR):
            leftovers = sorted(folder.glob(f"**/{TEMP_PREFIX}*")) if folder.is_dir() else []
            for path in leftovers:  # parents sort first; their contents are gone with them
                try:
                    modified = path.lstat().st_mtime
                except FileNotFoundError:
                    continue
                if older_than_s <= 0 or modified <= cutoff:
                    _remove_path(path)
                    removed += 1
        return removed

    def gc(self, keep: Iterable[str], *, grace_s: float = 3_600.0) -> list[str]:
        """Delete every object not named by ``keep`` (files of kept folders are kept); returns their uris.

        Objects written in the last ``grace_s`` seconds are kept too, so a run that has
        stored outputs but not yet recorded them loses nothing. Run it with the uris the
        metadata store records. A kept folder whose manifest is damaged stops it with
        ``ArtifactIntegrityError`` before anything is deleted.
        """
        live = self._reachable(keep)
        cutoff = time.time() - grace_s
        removed: list[str] = []
        for entry in self.backend.entries(OBJECTS_DIR):
            digest = digest_from_key(entry.key)
            if digest is None or digest in live:
                continue
            if grace_s > 0 and (entry.modified is None or entry.modified > cutoff):
                continue
            self.backend.remove(entry.key)
            self._forget_local_copies(entry.key, digest)
            removed.append(uri_for(digest))
        return sorted(removed)

    # -- internals --------------------------------------------------------------------------

    def _reachable(self, keep: Iterable[str]) -> set[str]:
        live: set[str] = set()
        for uri in keep:
            digest = digest_of(uri)
            live.add(digest)
            try:
                with self.backend.read(object_key(digest)) as handle:
                    looks_like_manifest = handle.read(1) == b"{"
                if looks_like_manifest:
                    live.update(entry.digest for entry in self.manifest(uri).values())
            except (FileNotFoundError, ArtifactNotFound, InvalidInputError):
                continue  # gone, or JSON that is not a folder manifest; a damaged manifest stops gc
        return live

    def _copy_object(self, digest: str, target: Path, *, owner: str | None = None, read_only: bool = False) -> None:
        """Copy the object ``digest`` to ``target`` (whose folder exists) atomically, verified.

        ``owner`` is the folder artifact a member file belongs to, for error messages.
        """
        key = object_key(digest)
        uri = uri_for(digest)
        try:
            with self.backend.read(key) as handle:
                actual = copy_verified(handle, target, digest, read_only=read_only)
        except FileNotFoundError:
            if self.backend.size(key) is not None:
                raise
            raise self._not_found(uri, owner=owner) from None
        if actual != digest:
            raise self._damaged(uri, self.backend.describe(key), actual, owner=owner)

    def _forget_local_copies(self, key: str, digest: str) -> None:
        if (local := self.backend.local_file(key)) is not None:
            self._verified.forget(local)
        cache = self._cache_root()
        for copy in (cache / key, cache / CHECKOUTS_DIR / digest):
            self._verified.forget(copy)
            _remove_path(copy)

    def _cache_root(self) -> Path:
        if self._backend is None or self.cache_dir is None:
            raise StoreNotOpen(f"the artifact store at {self.root} is not open", hint="call store.open() first")
        return self.cache_dir

    def _cached_copy(self, uri: str, digest: str) -> Path:
        target = self._cache_root() / object_key(digest)
        try:
            if self._verified.digest(target) == digest:
                return target
            target.unlink()  # a damaged cache copy is fetched again from the store
        except (FileNotFoundError, NotADirectoryError):
            pass
        self._verified.forget(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        self._copy_object(digest, target, read_only=True)
        return target

    def _not_found(self, uri: str, *, owner: str | None = None) -> ArtifactNotFound:
        what = f"artifact {uri}" + (f" (a file of the folder {owner})" if owner else "")
        return ArtifactNotFound(
            f"{what} is not in the artifact store at {self.location}",
            hint="check the uri and the store's root; if the metadata store records it, the object was "
            "deleted (by gc or by hand): re-run the step that produced it",
        )

    def _damaged(self, uri: str, where: str, actual: str, *, owner: str | None = None) -> ArtifactIntegrityError:
        what = f"artifact {uri}" + (f" (a file of the folder {owner})" if owner else "")
        return ArtifactIntegrityError(
            f"{what} is damaged: {where} hashes to sha256:{actual}, so its bytes changed after they were "
            "stored; it was not loaded",
            hint=f"do not use it: restore {where} from a backup, or delete it and re-run the step that "
            "produced it to store it afresh",
        )


def _remove_path(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _chunks(handle: Any) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk


def _make_backend(root: str, storage_options: dict[str, Any], fsync: bool) -> tuple[ObjectBackend, Path]:
    from fsspec.core import split_protocol

    protocol, path = split_protocol(str(root))
    if protocol in _LOCAL_PROTOCOLS:
        from loopline.artifacts.local import LocalBackend

        folder = Path(path).expanduser().absolute()
        return LocalBackend(folder, fsync=fsync), folder / "cache"
    from fsspec.core import url_to_fs

    from loopline.artifacts.remote import FsspecBackend

    try:
        fs, fs_path = url_to_fs(str(root), **storage_options)
    except (ImportError, ValueError) as exc:
        raise ConfigError(
            f"cannot open the artifact store at {root}: {exc}",
            hint="install the fsspec driver for that scheme (s3fs for s3://, gcsfs for gs://, adlfs for az://) "
            "or use a local folder",
        ) from None
    return FsspecBackend(fs, fs_path), _default_cache_dir(str(root))


def _default_cache_dir(root: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "loopline" / "artifacts" / hashlib.sha256(root.encode()).hexdigest()[:16]


def _reopen(
    root: str, storage_options: dict[str, Any], cache_dir: Path | None, fsync: bool, is_open: bool
) -> ArtifactStore:
    store = ArtifactStore(root, storage_options=storage_options, cache_dir=cache_dir, fsync=fsync)
    return store.open() if is_open else store


__all__ = ["ArtifactStore", "StoredObject"]
