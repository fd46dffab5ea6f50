"""Sources whose paths are relative to a folder (the workspace), whatever the current directory.

A ``FileSource("data/x.csv")`` or an ``SqlSource`` reading ``'data/x.parquet'`` resolves its
paths against the process's current folder, and a source written with an absolute path
describes itself with that path, so the definitions' digest differs by machine. Wrapped in
``RelativeSource`` the paths resolve in ``root`` and the description keeps them as written:
the same definitions give the same version everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from loopline.errors import InvalidInputError
from loopline.features.sources import FileSource, SqlSource, as_source
from loopline.features.sql import literal


@dataclass(frozen=True, slots=True)
class RelativeSource:
    """A file or DuckDB query source read with relative paths resolved in ``root``."""

    source: FileSource | SqlSource
    root: str = field(compare=False)

    def register(self, con: duckdb.DuckDBPyConnection, name: str) -> None:
        if isinstance(self.source, FileSource):
            self._resolved(self.source).register(con, name)
            return
        # DuckDB looks for relative file names in file_search_path; the view keeps reading there.
        con.execute(f"SET file_search_path = {literal(self.root)}")
        self.source.register(con, name)

    def describe(self) -> dict[str, Any]:
        if isinstance(self.source, FileSource):
            return {"kind": "file", "path": self.source.path, "format": self._resolved(self.source).resolved_format()}
        return self.source.describe()

    def _resolved(self, source: FileSource) -> FileSource:
        path = Path(source.path)
        return FileSource(str(path if path.is_absolute() else Path(self.root) / path), source.format)


def relative_to(root: str | Path, source: FileSource | SqlSource | str | Path) -> RelativeSource:
    """``source`` (a path, a DuckDB query or a file/query source) with its paths relative to ``root``."""
    found = as_source(source)
    if not isinstance(found, (FileSource, SqlSource)):
        raise InvalidInputError(
            f"only file and query sources have paths to resolve; got {type(found).__name__}",
            hint="pass a path, a DuckDB query, FileSource(...) or SqlSource(...)",
        )
    return RelativeSource(found, str(Path(root).expanduser().resolve()))


__all__ = ["RelativeSource", "relative_to"]
