"""Where a feature view's rows come from: a Parquet/CSV path, a DataFrame or a DuckDB query.

Each kind knows how to expose its rows to a DuckDB connection under a name and how to
describe itself in the canonical description. ``as_source`` turns what a user wrote
(a path, a DataFrame, an SQL string) into one of them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import duckdb
import pandas as pd

from loopline.errors import InvalidInputError
from loopline.features.errors import SourceError
from loopline.features.sql import literal, quote

_SQL_START = re.compile(r"^\s*(select|with|from|values|\()", re.IGNORECASE)
_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "csv", ".txt": "csv"}


@runtime_checkable
class Source(Protocol):
    """The rows of a feature view before its transformation."""

    def register(self, con: duckdb.DuckDBPyConnection, name: str) -> None:
        """Make the rows available to ``con`` as the relation ``name``."""
        ...

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description that changes whenever the source does."""
        ...


@dataclass(frozen=True, slots=True)
class FileSource:
    """A Parquet or CSV file (or a glob / folder of Parquet files) read by DuckDB."""

    path: str
    format: str | None = None  # "parquet" or "csv"; inferred from the suffix when None

    def resolved_format(self) -> str:
        if self.format is not None:
            if self.format not in ("parquet", "csv"):
                raise SourceError(
                    f"source format {self.format!r} of {self.path} is not supported; use 'parquet' or 'csv'"
                )
            return self.format
        path = Path(self.path)
        if path.is_dir():
            return "parquet"
        found = _FORMATS.get(path.suffix.lower())
        if found is None:
            raise SourceError(
                f"cannot tell the format of the source {self.path}: expected a .parquet, .pq or .csv suffix",
                hint="pass FileSource(path, format='parquet' or 'csv')",
            )
        return found

    def register(self, con: duckdb.DuckDBPyConnection, name: str) -> None:
        fmt = self.resolved_format()
        target = str(Path(self.path) / "**" / "*.parquet") if Path(self.path).is_dir() else self.path
        if not any(ch in target for ch in "*?[") and not Path(target).exists():
            raise SourceError(f"the source file {self.path} does not exist", hint="check the path in the feature view")
        reader = "read_parquet" if fmt == "parquet" else "read_csv"
        con.execute(f"CREATE OR REPLACE TEMP VIEW {quote(name)} AS SELECT * FROM {reader}({literal(target)})")

    def describe(self) -> dict[str, Any]:
        return {"kind": "file", "path": self.path, "format": self.format or self.resolved_format()}


@dataclass(frozen=True, slots=True)
class SqlSource:
    """A DuckDB query; it may read files itself (``read_parquet``, ``read_csv``)."""

    query: str

    def register(self, con: duckdb.DuckDBPyConnection, name: str) -> None:
        try:
            con.execute(f"CREATE OR REPLACE TEMP VIEW {quote(name)} AS {self.query.strip().rstrip(';')}")
        except duckdb.Error as exc:
            raise SourceError(f"the source query does not run: {exc}", hint="try the query in duckdb first") from None

    def describe(self) -> dict[str, Any]:
        return {"kind": "sql", "query": self.query.strip()}


@dataclass(frozen=True, slots=True, eq=False)
class FrameSource:
    """A pandas DataFrame held in memory (tests, notebooks, small reference tables)."""

    frame: pd.DataFrame = field(repr=False)

    def register(self, con: duckdb.DuckDBPyConnection, name: str) -> None:
        con.register(name, self.frame)

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "dataframe",
            "columns": [str(c) for c in self.frame.columns],
            "rows": len(self.frame),
            "digest": _frame_digest(self.frame),
        }


def as_source(value: Any) -> Source:
    """The source a user meant: a Source, a DataFrame, a path, or an SQL string."""
    if isinstance(value, (FileSource, SqlSource, FrameSource)):
        return value
    if isinstance(value, pd.DataFrame):
        return FrameSource(value)
    if isinstance(value, Path):
        return FileSource(str(value))
    if isinstance(value, str):
        return SqlSource(value) if _SQL_START.match(value) else FileSource(value)
    if isinstance(value, Source):
        return value
    raise InvalidInputError(
        f"a feature view's source must be a path, a DataFrame or a DuckDB query; got {type(value).__name__}",
        hint="pass source='data/rides.parquet', source=frame or source='SELECT ... FROM ...'",
    )


def _frame_digest(frame: pd.DataFrame) -> str | None:
    try:
        hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    except TypeError:
        return None
    return hashlib.sha256(hashed.tobytes()).hexdigest()


__all__ = ["FileSource", "FrameSource", "Source", "SqlSource", "as_source"]
