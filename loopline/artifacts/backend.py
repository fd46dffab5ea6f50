"""The narrow interface between the artifact store and where its bytes live.

Keys are posix paths relative to the store root (``objects/ab/cdef...``). Two backends
implement it: ``LocalBackend`` (a folder, written with ``os.replace``) and
``FsspecBackend`` (any other fsspec URL).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

TMP_DIR = "tmp"


@dataclass(frozen=True, slots=True)
class Entry:
    """A stored file: its key, size and last-modified time (seconds since the epoch, if known)."""

    key: str
    size: int
    modified: float | None


class ObjectWriter(Protocol):
    """A temporary file being written; ``commit`` publishes it under its final key atomically."""

    def write(self, chunk: bytes | memoryview) -> None: ...
    def commit(self, key: str) -> None: ...
    def abort(self) -> None: ...


class ObjectBackend(Protocol):
    location: str  # the root, as a path or URL for messages

    def open(self) -> None: ...  # create the root's folders; raise OSError if impossible
    def size(self, key: str) -> int | None: ...  # None when absent
    def writer(self) -> ObjectWriter: ...
    def read(self, key: str) -> AbstractContextManager[BinaryIO]: ...  # FileNotFoundError when absent
    def local_file(self, key: str) -> Path | None: ...  # the key's own local file, None if remote
    def entries(self, prefix: str) -> Iterator[Entry]: ...  # every file under a folder key
    def remove(self, key: str) -> None: ...
    def describe(self, key: str) -> str: ...  # the key's full path or URL


__all__ = ["TMP_DIR", "Entry", "ObjectBackend", "ObjectWriter"]
