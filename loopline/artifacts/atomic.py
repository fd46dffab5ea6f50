"""Atomic local writes: a uniquely named temporary file next to the target, then ``os.replace``.

A writer killed half-way leaves only a temporary file (named ``.tmp-<pid>-<thread>-<random>``),
never a partial file under the final name.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from pathlib import Path
from typing import BinaryIO

from loopline.artifacts.digests import CHUNK_BYTES

TEMP_PREFIX = ".tmp-"
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def temp_name() -> str:
    """A file name no other process or thread will pick."""
    return f"{TEMP_PREFIX}{os.getpid()}-{threading.get_ident()}-{secrets.token_hex(6)}"


def create_temp(folder: Path) -> tuple[Path, int]:
    """A new empty temporary file in ``folder`` (created if missing), as (path, open fd)."""
    path = folder / temp_name()
    try:
        return path, os.open(path, _FLAGS, 0o600)
    except FileNotFoundError:
        folder.mkdir(parents=True, exist_ok=True)
        return path, os.open(path, _FLAGS, 0o600)


def write_all(fd: int, chunk: bytes | memoryview) -> None:
    view = memoryview(chunk)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def replace_into(temp: Path, target: Path) -> None:
    """``os.replace(temp, target)``, creating ``target``'s folder when it is missing."""
    try:
        os.replace(temp, target)
    except FileNotFoundError:
        if not temp.exists():
            raise
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, target)


def fsync_folder(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_verified(source: BinaryIO, target: Path, expected: str, *, read_only: bool = False) -> str:
    """Copy ``source`` to ``target`` atomically, hashing on the way; publish only an exact copy.

    Returns the sha256 of what was read. ``target`` is replaced only when that equals
    ``expected``; otherwise the temporary file is removed and ``target`` is left alone.
    """
    temp, fd = create_temp(target.parent)
    hasher = hashlib.sha256()
    try:
        while chunk := source.read(CHUNK_BYTES):
            hasher.update(chunk)
            write_all(fd, chunk)
    except BaseException:
        os.close(fd)
        temp.unlink(missing_ok=True)
        raise
    os.close(fd)
    actual = hasher.hexdigest()
    if actual != expected:
        temp.unlink(missing_ok=True)
        return actual
    if read_only:
        os.chmod(temp, 0o444)
    replace_into(temp, target)
    return actual


__all__ = ["TEMP_PREFIX", "copy_verified", "create_temp", "fsync_folder", "replace_into", "temp_name", "write_all"]
