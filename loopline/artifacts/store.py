"""Content-addressed artifact store over fsspec. CONTRACT STUB: signatures are the contract.

Objects are keyed by the sha256 of their bytes: ``uri == "sha256:<hex>"``. A folder is
stored as a JSON manifest (relative name -> digest) whose own digest names the folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class StoredObject:
    uri: str
    digest: str
    size: int


class ArtifactStore:
    def __init__(self, root: str, *, storage_options: dict | None = None) -> None:
        self.root = root
        self.storage_options = storage_options or {}

    def open(self) -> ArtifactStore: ...
    def put_bytes(self, data: bytes) -> StoredObject: ...
    def put_file(self, path: str | Path) -> StoredObject: ...
    def put_dir(self, path: str | Path) -> StoredObject: ...
    def get_bytes(self, uri: str) -> bytes: ...  # verifies the digest; IntegrityError names the object
    def local_path(self, uri: str) -> Path: ...  # verified local file (downloaded to a cache if remote)
    def get_dir(self, uri: str, dest: str | Path) -> Path: ...
    def exists(self, uri: str) -> bool: ...
