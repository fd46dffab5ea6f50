"""Content addresses: ``sha256:<hex>`` uris, where an object lives, and hashing while streaming."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from loopline.artifacts.errors import InvalidArtifactUri

URI_PREFIX = "sha256:"
CHUNK_BYTES = 1 << 20
OBJECTS_DIR = "objects"
_URI = re.compile(r"sha256:([0-9a-f]{64})")


def uri_for(digest: str) -> str:
    """``"sha256:<digest>"`` for a hex sha256 digest."""
    return URI_PREFIX + digest


def digest_of(uri: str) -> str:
    """The hex digest named by ``uri``; ``InvalidArtifactUri`` unless it is ``sha256:`` + 64 hex digits."""
    match = _URI.fullmatch(uri) if isinstance(uri, str) else None
    if match is None:
        shown = uri if isinstance(uri, str) and len(uri) <= 100 else f"{str(uri)[:100]}..."
        raise InvalidArtifactUri(
            f"not an artifact uri: {shown!r}; expected 'sha256:' followed by 64 lower-case hex digits",
            hint="pass the uri the store returned (StoredObject.uri) or the one recorded in the metadata store",
        )
    return match.group(1)


def object_key(digest: str) -> str:
    """Where the object lives relative to the store root: ``objects/ab/cdef...``."""
    return f"{OBJECTS_DIR}/{digest[:2]}/{digest[2:]}"


def digest_from_key(key: str) -> str | None:
    """The digest of an object key, or None if the key is not an object's."""
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != OBJECTS_DIR:
        return None
    digest = parts[1] + parts[2]
    return digest if _URI.fullmatch(URI_PREFIX + digest) else None


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> tuple[str, int]:
    """(hex digest, size) of a local file, read in chunks so memory stays flat."""
    hasher = hashlib.sha256()
    size = 0
    with open(path, "rb", buffering=0) as handle:
        buffer = bytearray(CHUNK_BYTES)
        view = memoryview(buffer)
        while count := handle.readinto(buffer):
            hasher.update(view[:count])
            size += count
    return hasher.hexdigest(), size


__all__ = [
    "CHUNK_BYTES",
    "OBJECTS_DIR",
    "URI_PREFIX",
    "digest_from_key",
    "digest_of",
    "object_key",
    "sha256_bytes",
    "sha256_file",
    "uri_for",
]
