"""How each kind of dataset source is read, fingerprinted and described.

One reader per kind, chosen by ``DatasetSection.kind``: ``csv`` and ``parquet`` files,
a DuckDB ``query`` (SQL over files, relative paths resolved in the workspace folder) and
a PostgreSQL ``table``. A reader's ``fingerprint`` is a cheap digest that changes whenever
the frame read may change (the file's bytes, the read options, the library versions), so
that a version already recorded is known without hashing the frame again; it is None when
only reading the data can tell (a query, a database table).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from loopline.catalog.errors import DatasetReadError
from loopline.config import DatasetSection, resolve_path
from loopline.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

# Part of every file fingerprint: bump it when a reader starts turning the same bytes into another frame.
READER_VERSION = 1


class SourceReader(Protocol):
    """Reads one kind of source into a DataFrame."""

    def read(self, root: Path, name: str, decl: DatasetSection) -> pd.DataFrame: ...

    def fingerprint(self, root: Path, name: str, decl: DatasetSection) -> str | None: ...

    def describe(self, decl: DatasetSection) -> dict[str, Any]: ...


class FileReader:
    """A CSV or Parquet file; its fingerprint is the sha256 of its bytes and the read options."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def read(self, root: Path, name: str, decl: DatasetSection) -> pd.DataFrame:
        import pandas as pd

        path = self._existing(root, name, decl)
        try:
            if self.kind == "csv":
                return pd.read_csv(path, parse_dates=decl.parse_dates or False)
            return pd.read_parquet(path)
        except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise DatasetReadError(
                f"dataset '{name}': cannot read {path} as {self.kind}: {exc}",
                hint="check the file's format and encoding (UTF-8 CSV or Parquet)",
            ) from None

    def fingerprint(self, root: Path, name: str, decl: DatasetSection) -> str:
        from loopline.artifacts.digests import sha256_file

        digest, size = sha256_file(self._existing(root, name, decl))
        options = {"reader": READER_VERSION, "kind": self.kind, "parse_dates": decl.parse_dates}
        return _sha256({"file": digest, "size": size, "options": options, "libraries": _library_versions()})

    def describe(self, decl: DatasetSection) -> dict[str, Any]:
        found: dict[str, Any] = {"kind": self.kind, "path": decl.path}
        if decl.parse_dates:
            found["parse_dates"] = list(decl.parse_dates)
        return found

    def _existing(self, root: Path, name: str, decl: DatasetSection) -> Path:
        path = resolve_path(root, decl.path or "")
        if not path.is_file():
            raise DatasetReadError(
                f"dataset '{name}': file {path} does not exist",
                hint=f"fix [datasets.{name}] path in loopline.toml or put the file there",
            )
        return path


class DuckDbQueryReader:
    """A DuckDB query run in the workspace folder (relative file paths resolve there), in UTC."""

    def read(self, root: Path, name: str, decl: DatasetSection) -> pd.DataFrame:
        import duckdb

        con = duckdb.connect(":memory:")
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute("SET file_search_path = '" + str(root).replace("'", "''") + "'")
            return con.execute((decl.query or "").strip().rstrip(";")).df()
        except duckdb.Error as exc:
            raise DatasetReadError(
                f"dataset '{name}': the query failed: {exc}",
                hint=f"fix [datasets.{name}] query in loopline.toml; try it in duckdb from {root}",
            ) from None
        finally:
            con.close()

    def fingerprint(self, root: Path, name: str, decl: DatasetSection) -> None:
        return None

    def describe(self, decl: DatasetSection) -> dict[str, Any]:
        return {"kind": "query", "query": (decl.query or "").strip()}


class PostgresTableReader:
    """A PostgreSQL table, ordered by its primary key (or by every column) so equal tables read equal."""

    def read(self, root: Path, name: str, decl: DatasetSection) -> pd.DataFrame:
        import pandas as pd
        from sqlalchemy import MetaData, Table, create_engine, select
        from sqlalchemy.exc import NoSuchTableError, SQLAlchemyError

        schema, _, table_name = (decl.table or "").rpartition(".")
        try:
            engine = create_engine(decl.url or "")
        except (ImportError, SQLAlchemyError) as exc:
            raise ConfigError(
                f"dataset '{name}': cannot use the database URL {_safe_url(decl.url)}: {exc}",
                hint="install the driver with pip install 'loopline[postgres]'",
            ) from None
        try:
            with engine.connect() as conn:
                table = Table(table_name, MetaData(), schema=schema or None, autoload_with=conn)
                order = list(table.primary_key.columns) or list(table.columns)
                return pd.read_sql(select(table).order_by(*order), conn)
        except NoSuchTableError:
            raise DatasetReadError(
                f"dataset '{name}': the table '{decl.table}' does not exist in {_safe_url(decl.url)}",
                hint=f"fix [datasets.{name}] table in loopline.toml (write schema.name for a table outside public)",
            ) from None
        except SQLAlchemyError as exc:
            first_line = str(exc).strip().splitlines()[0]
            raise DatasetReadError(
                f"dataset '{name}': cannot read the table '{decl.table}' from {_safe_url(decl.url)}: {first_line}",
                hint="check that the database is up and the user may read the table "
                "(keep passwords out of loopline.toml: use PGPASSWORD or ~/.pgpass)",
            ) from None
        finally:
            engine.dispose()

    def fingerprint(self, root: Path, name: str, decl: DatasetSection) -> None:
        return None

    def describe(self, decl: DatasetSection) -> dict[str, Any]:
        return {"kind": "postgres", "url": _safe_url(decl.url), "table": decl.table}


READERS: dict[str, SourceReader] = {
    "csv": FileReader("csv"),
    "parquet": FileReader("parquet"),
    "query": DuckDbQueryReader(),
    "postgres": PostgresTableReader(),
}


def reader_for(name: str, decl: DatasetSection) -> SourceReader:
    """The reader of a declared dataset's kind of source."""
    found = READERS.get(decl.kind)
    if found is None:
        raise DatasetReadError(
            f"dataset '{name}': unknown format '{decl.kind}' for {decl.path}",
            hint=f'set format = "csv" or "parquet" under [datasets.{name}]',
        )
    return found


def _safe_url(url: str | None) -> str:
    """A database URL with its password hidden, fit for messages and records."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url or "").render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid url>"


@functools.cache
def _library_versions() -> dict[str, str]:
    """The versions of the libraries that turn bytes into a frame and a frame into a snapshot."""
    from importlib.metadata import version

    return {name: version(name) for name in ("pandas", "pyarrow")}


def _sha256(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode("utf-8")).hexdigest()


__all__ = ["READERS", "SourceReader", "reader_for"]
