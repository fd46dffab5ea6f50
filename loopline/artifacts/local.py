"""The local-folder backend: objects are plain files, published with ``os.replace``.

Objects are made read-only once written, so an accidental edit fails loudly; the store
still hashes them on load, because a read-only bit stops no one who means it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from loopline.artifacts.atomic import create_temp, fsync_folder, replace_into, write_all
from loopline.artifacts.backend import TMP_DIR, Entry


class LocalBackend:
    """Objects under a local folder."""

    def __init__(self, root: Path, *, fsync: bool = False) -> None:
        self.root = root
        self.fsync = fsync
        self.location = str(root)

    def open(self) -> None:
        (self.root / TMP_DIR).mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.root / key

    def size(self, key: str) -> int | None:
        try:
            return os.stat(self.root / key).st_size
        except (FileNotFoundError, NotADirectoryError):
            return None

    def writer(self) -> _LocalWriter:
        return _LocalWriter(self)

    def read(self, key: str) -> BinaryIO:
        return open(self.root / key, "rb")  # noqa: SIM115 - the caller closes it

    def local_file(self, key: str) -> Path:
        return self.root / key

    def entries(self, prefix: str) -> Iterator[Entry]:
        top = self.root / prefix
        for folder, _dirs, files in os.walk(top):
            for name in files:
                path = Path(folder, name)
                try:
                    stat = path.lstat()
                except FileNotFoundError:
                    continue
                yield Entry(path.relative_to(self.root).as_posix(), stat.st_size, stat.st_mtime)

    def remove(self, key: str) -> None:
        (self.root / key).unlink(missing_ok=True)

    def describe(self, key: str) -> str:
        return str(self.root / key)


class _LocalWriter:
    def __init__(self, backend: LocalBackend) -> None:
        self._backend = backend
        self._temp, self._fd = create_temp(backend.root / TMP_DIR)
        self._closed = False

    def write(self, chunk: bytes | memoryview) -> None:
        write_all(self._fd, chunk)

    def commit(self, key: str) -> None:
        if self._backend.fsync:
            os.fsync(self._fd)
        self._close()
        os.chmod(self._temp, 0o444)
        target = self._backend.root / key
        replace_into(self._temp, target)
        if self._backend.fsync:
            fsync_folder(target.parent)

    def abort(self) -> None:
        self._close()
        self._temp.unlink(missing_ok=True)

    def _close(self) -> None:
        if not self._closed:
            self._closed = True
            os.close(self._fd)


__all__ = ["LocalBackend"]
