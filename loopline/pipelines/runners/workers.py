"""What runs inside a worker process (a local pool's or Ray's): open the stores once, execute a job."""

from __future__ import annotations

import pickle
import threading
from typing import TYPE_CHECKING

from loopline.errors import ConfigError
from loopline.pipelines.execution import Executed, execute_job
from loopline.pipelines.plan import StepJob, StoreAddress

if TYPE_CHECKING:
    from loopline.artifacts import ArtifactStore
    from loopline.metadata.store import MetadataStore

_opened: dict[tuple[str, str], tuple[MetadataStore, ArtifactStore]] = {}
_lock = threading.Lock()


def open_stores(address: StoreAddress) -> tuple[MetadataStore, ArtifactStore]:
    """The stores at ``address``, opened on first use in this process and kept for later jobs."""
    key = (address.metadata_url, address.artifact_root)
    with _lock:
        stores = _opened.get(key)
        if stores is None:
            from loopline.artifacts import ArtifactStore
            from loopline.metadata import MetadataStore

            metadata = MetadataStore(address.metadata_url).open()
            artifacts = ArtifactStore(address.artifact_root, storage_options=address.storage_options).open()
            stores = _opened[key] = (metadata, artifacts)
    return stores


def execute_in_worker(job: StepJob, address: StoreAddress) -> Executed:
    """Execute ``job`` against the stores at ``address``; output values stay in the worker."""
    metadata, artifacts = open_stores(address)
    return Executed(execute_job(job, metadata, artifacts).outcome)


def execute_pickled(payload: bytes, address: StoreAddress) -> Executed:
    """``execute_in_worker`` for a job pickled with cloudpickle (see ``shipping``)."""
    job = pickle.loads(payload)
    return execute_in_worker(job, address)


def require_shared(address: StoreAddress, runner: str) -> None:
    """Refuse stores that another process cannot open (in-memory databases and folders)."""
    url = address.metadata_url
    if url.startswith("sqlite") and (":memory:" in url or url.rstrip("/") in ("sqlite:", "sqlite+pysqlite:")):
        raise ConfigError(
            f"the {runner} runs steps in other processes, which cannot open the in-memory database {url}",
            hint="use a SQLite file (sqlite:///path/metadata.db) or PostgreSQL",
        )
    if address.artifact_root.startswith("memory://"):
        raise ConfigError(
            f"the {runner} runs steps in other processes, which cannot see the in-memory artifact store "
            f"{address.artifact_root}",
            hint="use a local folder or an object store URL",
        )


__all__ = ["execute_in_worker", "execute_pickled", "open_stores", "require_shared"]
