"""Hashes of local files, remembered by this process so repeated loads stay cheap.

A file is hashed in full the first time; afterwards its remembered digest is reused only
while its (device, inode, size, mtime, ctime) are unchanged. Any write changes ctime (which
no user call can set back), so a changed file is always hashed again. Filesystem timestamps
are coarse (a few milliseconds), so a file changed within that tick of being hashed could
keep the same stamps: a digest is remembered only for files whose last change happened
``settle_s`` or more before the hash began (git's "racy clean" rule); younger files are
hashed on every load until they settle.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from loopline.artifacts.digests import sha256_file

_Signature = tuple[int, int, int, int, int]


def _signature(stat: os.stat_result) -> _Signature:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


class VerifiedFiles:
    """Digests of local files, keyed by path and trusted only while the file's stat is unchanged."""

    def __init__(self, *, settle_s: float = 2.0, max_entries: int = 100_000) -> None:
        self.settle_ns = int(settle_s * 1e9)
        self.max_entries = max_entries
        self._known: dict[str, tuple[_Signature, str]] = {}
        self._lock = threading.Lock()

    def digest(self, path: Path) -> str:
        """The sha256 of the file at ``path`` now (``OSError`` if it cannot be read)."""
        key = str(path)
        before = _signature(os.stat(key))
        known = self._known.get(key)
        if known is not None and known[0] == before:
            return known[1]
        started_ns = time.time_ns()
        digest, _ = sha256_file(key)
        after = _signature(os.stat(key))
        if after == before and max(after[3], after[4]) <= started_ns - self.settle_ns:
            self._remember(key, after, digest)
        else:
            self.forget(path)
        return digest

    def forget(self, path: Path) -> None:
        with self._lock:
            self._known.pop(str(path), None)

    def _remember(self, key: str, signature: _Signature, digest: str) -> None:
        with self._lock:
            self._known.pop(key, None)
            if len(self._known) >= self.max_entries:
                self._known.pop(next(iter(self._known)))
            self._known[key] = (signature, digest)

    def __len__(self) -> int:
        return len(self._known)


__all__ = ["VerifiedFiles"]
