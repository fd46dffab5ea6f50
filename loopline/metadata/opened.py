"""A store of its own tables in the metadata database: open (schema brought up to date), close, and use.

The prediction log, the monitor store and similar stores each keep their rows in the workspace's
metadata database through their own connection pool; this base gives them one way to open that
database and one error when it is unreachable.
"""

from __future__ import annotations

from typing import Self

from sqlalchemy.exc import OperationalError

from loopline.metadata.engine import Database, redacted
from loopline.metadata.errors import StoreNotOpen, StoreUnavailable
from loopline.metadata.migrate import ensure_schema


class OpenedStore:
    """Holds a ``Database`` for ``url``; ``label`` names the store in messages."""

    label = "store"

    def __init__(self, url: str) -> None:
        self.url = url
        self._db = Database(url)
        self._open = False

    def open(self) -> Self:
        if self._open:
            return self
        self._db.open()
        try:
            ensure_schema(self._db)
        except OperationalError as error:
            self._db.close()
            raise StoreUnavailable(
                f"cannot open the {self.label} in {redacted(self.url)}: {str(error.orig).strip()}",
                hint="check that the database server is running and that metadata.url in loopline.toml is right",
            ) from error
        except BaseException:
            self._db.close()
            raise
        self._open = True
        return self

    def close(self) -> None:
        self._open = False
        self._db.close()

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({redacted(self.url)!r}){'' if self._open else ' (closed)'}"

    def _require_open(self) -> Database:
        if not self._open:
            raise StoreNotOpen(f"the {self.label} {redacted(self.url)} is not open", hint="call open() first")
        return self._db
