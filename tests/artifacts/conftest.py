import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import fsspec
import pytest

from loopline.artifacts import ArtifactStore


@pytest.fixture
def local_store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(str(tmp_path / "store")).open()


@pytest.fixture
def memory_store(tmp_path: Path) -> Iterator[ArtifactStore]:
    root = f"memory://loopline-test-{uuid.uuid4().hex}"
    yield ArtifactStore(root, cache_dir=tmp_path / "cache").open()
    fs = fsspec.filesystem("memory")
    fs.rm(root.removeprefix("memory://"), recursive=True)


@pytest.fixture(params=["local", "memory"])
def store(request: pytest.FixtureRequest) -> ArtifactStore:
    """Every backend must pass the same contract tests."""
    return request.getfixturevalue(f"{request.param}_store")


@pytest.fixture
def tamper() -> Callable[..., str]:
    """``tamper(store, uri, offset=0)`` flips one byte of a stored object in place; returns where it lives."""
    return _tamper


def _tamper(store: ArtifactStore, uri: str, *, offset: int = 0) -> str:
    key = "objects/" + uri[7:9] + "/" + uri[9:]
    where = store.backend.describe(key)
    local = store.backend.local_file(key)
    if local is not None:
        local.chmod(0o644)
        data = bytearray(local.read_bytes())
        data[offset] ^= 0x01
        with open(local, "r+b") as handle:
            handle.write(data)
    else:
        fs = store.backend.fs  # type: ignore[attr-defined]
        path = f"{store.backend.root}/{key}"  # type: ignore[attr-defined]
        data = bytearray(fs.cat_file(path))
        data[offset] ^= 0x01
        fs.pipe_file(path, bytes(data))
    return where
