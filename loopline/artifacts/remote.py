"""The fsspec backend: any filesystem fsspec can open (``memory://``, ``s3://`` with s3fs, ...).

Each object is written to ``tmp/`` first and moved under its final key when complete, so
a killed writer leaves no partial object behind on filesystems where a move is atomic
(and object stores only show an upload once it is complete).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

from fsspec import AbstractFileSystem

from loopline.artifacts.atomic import temp_name
from loopline.artifacts.backend import TMP_DIR, Entry


class FsspecBackend:
    """Objects under a path of an fsspec filesystem."""

    def __init__(self, fs: AbstractFileSystem, root: str) -> None:
        self.fs = fs
        self.root = root.rstrip("/")
        self.location = str(fs.unstrip_protocol(self.root))

    def open(self) -> None:
        self.fs.makedirs(f"{self.root}/{TMP_DIR}", exist_ok=True)

    def size(self, key: str) -> int | None:
        try:
            return int(self.fs.info(self._path(key))["size"])
        except FileNotFoundError:
            return None

    def writer(self) -> _FsspecWriter:
        return _FsspecWriter(self)

    def read(self, key: str) -> BinaryIO:
        handle: BinaryIO = self.fs.open(self._path(key), "rb")
        return handle

    def local_file(self, key: str) -> None:
        return None

    def entries(self, prefix: str) -> Iterator[Entry]:
        try:
            found = self.fs.find(self._path(prefix), detail=True)
        except FileNotFoundError:
            return
        for path, info in found.items():
            if info.get("type") == "directory":
                continue
            key = path.removeprefix(self.root).lstrip("/")
            yield Entry(key, int(info.get("size") or 0), _modified(info))

    def remove(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(self._path(key))

    def describe(self, key: str) -> str:
        return str(self.fs.unstrip_protocol(self._path(key)))

    def _path(self, key: str) -> str:
        return f"{self.root}/{key}"


class _FsspecWriter:
    def __init__(self, backend: FsspecBackend) -> None:
        self._backend = backend
        self._temp = f"{TMP_DIR}/{temp_name()}"
        self._file = backend.fs.open(backend._path(self._temp), "wb")
        self._size = 0

    def write(self, chunk: bytes | memoryview) -> None:
        self._file.write(chunk)
        self._size += len(chunk)

    def commit(self, key: str) -> None:
        self._file.close()
        fs = self._backend.fs
        if self._backend.size(key) == self._size:  # the same bytes are there already
            self._backend.remove(self._temp)
            return
        fs.mv(self._backend._path(self._temp), self._backend._path(key))

    def abort(self) -> None:
        try:
            self._file.close()
        finally:
            self._backend.remove(self._temp)


def _modified(info: dict[str, Any]) -> float | None:
    for field in ("mtime", "LastModified", "last_modified", "created", "updated"):
        value = info.get(field)
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value).timestamp()
            except ValueError:
                continue
    return None


__all__ = ["FsspecBackend"]
