"""The metadata store facade: one database, its work grouped by concept.

``MetadataStore(url).open()`` creates the engine and applies migrations; ``close()``
releases the connections. The concepts share the store's database:

    store.runs        start / finish / get / list / executions / mark_interrupted
    store.executions  start / complete / fail / record_cached / find_cached / get / events
    store.artifacts   record / get / list
    store.tracking    log_metrics / log_params / metric_history / latest_metrics
    store.lineage     graph(root, direction, max_hops)
    store.contexts    get_or_create / get / list
    store.check_integrity()

Every method runs in exactly one transaction. URLs: ``sqlite:///relative/or/absolute.db``
(the folder is created) or ``postgresql+psycopg://user@host:5432/db``.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.exc import OperationalError

from loopline.metadata.artifacts import Artifacts
from loopline.metadata.contexts import Contexts
from loopline.metadata.engine import Database, redacted
from loopline.metadata.errors import StoreNotOpen, StoreUnavailable
from loopline.metadata.executions import Executions
from loopline.metadata.integrity import check_integrity
from loopline.metadata.lineage import Lineage
from loopline.metadata.migrate import ensure_schema
from loopline.metadata.runs import Runs
from loopline.metadata.tracking import Tracking

T = TypeVar("T")


class MetadataStore:
    """Artifacts, executions, events, runs, contexts and metrics in SQLite or PostgreSQL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._db = Database(url)
        self._groups: dict[type, object] = {}

    def open(self) -> MetadataStore:
        """Connect and bring the schema up to date (safe when several processes open at once)."""
        if self._groups:
            return self
        self._db.open()
        try:
            ensure_schema(self._db)
        except OperationalError as error:
            self._db.close()
            raise StoreUnavailable(
                f"cannot open the metadata database {redacted(self.url)}: {str(error.orig).strip()}",
                hint="check that the database server is running and that the URL (metadata.url in loopline.toml, "
                "or LOOPLINE_METADATA_URL) is right",
            ) from error
        except BaseException:
            self._db.close()
            raise
        self._groups = {cls: cls(self._db) for cls in (Runs, Executions, Artifacts, Tracking, Lineage, Contexts)}
        return self

    def close(self) -> None:
        self._groups = {}
        self._db.close()

    def __enter__(self) -> MetadataStore:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __reduce__(self) -> tuple[type[MetadataStore], tuple[str]]:
        """Pickled (for a worker process), a store travels as its URL and arrives closed."""
        return (type(self), (self.url,))

    def __repr__(self) -> str:
        return f"MetadataStore({redacted(self.url)!r}){'' if self._groups else ' (closed)'}"

    @property
    def is_open(self) -> bool:
        return bool(self._groups)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._db.dialect

    def check_integrity(self) -> list[str]:
        """Problems found in the stored records, one line each; empty when all is sound."""
        self._group(Runs)  # StoreNotOpen before open()
        return self._db.read(check_integrity)

    def _group(self, cls: type[T]) -> T:
        group = self._groups.get(cls)
        if group is None:
            raise StoreNotOpen(
                f"the metadata store {redacted(self.url)} is not open", hint="call MetadataStore(url).open() first"
            )
        return group  # type: ignore[return-value]

    @property
    def runs(self) -> Runs:
        return self._group(Runs)

    @property
    def executions(self) -> Executions:
        return self._group(Executions)

    @property
    def artifacts(self) -> Artifacts:
        return self._group(Artifacts)

    @property
    def tracking(self) -> Tracking:
        return self._group(Tracking)

    @property
    def lineage(self) -> Lineage:
        return self._group(Lineage)

    @property
    def contexts(self) -> Contexts:
        return self._group(Contexts)


__all__ = ["MetadataStore"]
