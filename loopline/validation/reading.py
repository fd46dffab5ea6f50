"""Open a dataset (CSV or Parquet path, pandas DataFrame, pyarrow Table) as a DuckDB view.

DuckDB reads files directly, so profiling a file larger than memory streams it under
``memory_limit`` (spilling to a temporary folder when an aggregate needs to). Unreadable
input raises ``DataReadError`` saying what was wrong and what to do.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeAlias

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from loopline.validation.errors import ColumnConversionError, DataReadError
from loopline.validation.kinds import ColumnKind

CSV_SUFFIXES = {".csv": ",", ".tsv": "\t", ".txt": None}
PARQUET_SUFFIXES = {".parquet", ".pq"}
_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                  "UBIGINT", "UHUGEINT"}
_FLOAT_TYPES = {"FLOAT", "DOUBLE", "REAL"}
_DATETIME_PREFIXES = ("DATE", "TIMESTAMP")
_READ_ERRORS = (duckdb.InvalidInputException, duckdb.IOException, duckdb.ConversionException)


@dataclass(frozen=True)
class DataFile:
    """A file with reading options; a plain path uses the defaults for its suffix.

    ``text_columns`` are read as text whatever DuckDB would guess for them.
    """

    path: str | Path
    format: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    header: bool = True
    text_columns: tuple[str, ...] = ()


DataInput: TypeAlias = str | Path | DataFile | pd.DataFrame | pa.Table


@dataclass(frozen=True)
class SourceColumn:
    """A column as read: its name, DuckDB type and the kind that type implies.

    ``kind`` is None for string columns (categorical or text, decided by their distinct
    count). ``mixed_types`` lists the Python types of a DataFrame column that mixed them.
    """

    name: str
    sql_type: str
    kind: ColumnKind | None
    integer: bool = False
    mixed_types: tuple[str, ...] = ()

    @property
    def sql(self) -> str:
        """The column as a quoted SQL identifier."""
        return quote_identifier(self.name)


class OpenedData:
    """A dataset open as the DuckDB view ``src``; close it (or use ``open_data`` as a context manager)."""

    def __init__(
        self, connection: duckdb.DuckDBPyConnection, columns: tuple[SourceColumn, ...], description: str,
        frame: pd.DataFrame | None = None, spec: DataFile | None = None,
    ) -> None:
        self.connection = connection
        self.columns = columns
        self.description = description
        self.frame_ = frame
        self.spec = spec

    def read_as_text(self, column: str) -> bool:
        """Re-open a CSV with ``column`` read as text (after a value did not fit its guessed type).

        Returns False when that is not possible (not a CSV, or the column is text already).
        """
        spec = self.spec
        if spec is None or column in spec.text_columns or column not in self.names:
            return False
        self.spec = replace(spec, text_columns=(*spec.text_columns, column))
        _create_file_view(self.connection, self.spec, self.description, replace_view=True)
        self.columns = _describe(self.connection, self.description, {})
        return True

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> SourceColumn:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run ``sql`` (which reads the view ``src``); a read failure becomes ``DataReadError``."""
        try:
            return self.connection.execute(sql, params or []).fetchall()
        except _READ_ERRORS as exc:
            raise _read_error(self.description, exc) from None

    def query_together(self, statements: Sequence[str]) -> list[list[tuple[Any, ...]]]:
        """Run independent ``statements`` at once, one DuckDB cursor each, when the data is a file.

        DuckDB splits one scan of a Parquet file by row group, so a file of one row group
        (pandas' and pyarrow's default up to a million rows) is read by one thread; queries
        over different columns run side by side use the other cores. DataFrames and Arrow
        tables are registered on this connection only (and scanned in parallel already), so
        their statements run one after the other.
        """
        workers = min(self._threads(), len(statements))
        if self.spec is None or workers < 2:
            return [self.query(sql) for sql in statements]
        shares = [list(range(len(statements)))[w::workers] for w in range(workers)]
        cursors = [self.connection.cursor() for _ in shares]
        results: list[list[tuple[Any, ...]]] = [[] for _ in statements]
        try:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                done = pool.map(lambda cursor, share: [(i, _fetch_all(cursor, statements[i])) for i in share],
                                cursors, shares)
                for i, rows in (item for part in done for item in part):
                    results[i] = rows
        except _READ_ERRORS as exc:
            raise _read_error(self.description, exc) from None
        finally:
            for cursor in cursors:
                cursor.close()
        return results

    def dictionary_encoded(self) -> frozenset[str]:
        """Columns of a Parquet source whose every data page is dictionary-encoded (none for other sources).

        Such a column holds at most as many distinct values as its dictionaries, which the
        writer keeps small (pyarrow falls back to plain pages past 1 MiB), so counting each
        of its values is cheap and bounded. Read from the files' metadata, without a scan.
        """
        target = self._parquet_target()
        if target is None:
            return frozenset()
        try:
            rows = self.connection.execute(
                "SELECT path_in_schema, bool_and(list_bool_and([s.page_type != 'DATA_PAGE' OR s.encoding IN "
                "('RLE_DICTIONARY', 'PLAIN_DICTIONARY') FOR s IN encoding_stats]) AND len(encoding_stats) > 0) "
                f"FROM parquet_metadata({quote_literal(target)}) GROUP BY path_in_schema"
            ).fetchall()
        except (*_READ_ERRORS, duckdb.BinderException, duckdb.CatalogException):
            return frozenset()
        return frozenset(str(name) for name, dictionary in rows if dictionary and name in self.names)

    @property
    def is_parquet(self) -> bool:
        """True when the data is read from Parquet files."""
        return self._parquet_target() is not None

    @property
    def is_csv(self) -> bool:
        """True when the data is read from CSV files (which every query parses again)."""
        return self.spec is not None and not self.is_parquet

    def _parquet_target(self) -> str | None:
        spec = self.spec
        if spec is None:
            return None
        path = Path(spec.path)
        if (spec.format or "").lower() not in ("", "parquet"):
            return None
        try:
            if _format_from_suffix(path) != "parquet":
                return None
        except DataReadError:
            return None
        return str(path / "**" / "*.parquet") if path.is_dir() else str(path)

    def _threads(self) -> int:
        (threads,), = self.connection.execute("SELECT current_setting('threads')").fetchall()
        return int(threads)

    def query_frame(self, sql: str) -> pd.DataFrame:
        """Run ``sql`` and return the result as a pandas DataFrame."""
        try:
            return self.connection.execute(sql).df()
        except _READ_ERRORS as exc:
            raise _read_error(self.description, exc) from None

    def frame(self, names: Sequence[str] | None = None) -> pd.DataFrame:
        """The named columns (all by default) as a pandas DataFrame, in row order."""
        names = list(self.names if names is None else names)
        if self.frame_ is not None:
            return self.frame_[names]
        select = ", ".join(quote_identifier(n) for n in names) or "*"
        return self.query_frame(f"SELECT {select} FROM src")

    def arrow(self, names: Sequence[str] | None = None) -> pa.Table:
        """The named columns (all by default) as a pyarrow Table, in row order.

        Cheaper than ``frame`` for files: DuckDB hands over Arrow buffers without building
        pandas objects (strings above all).
        """
        names = list(self.names if names is None else names)
        if self.frame_ is not None:
            return pa.Table.from_pandas(self.frame_[names], preserve_index=False)
        select = ", ".join(quote_identifier(n) for n in names) or "*"
        try:
            return self.connection.sql(f"SELECT {select} FROM src").to_arrow_table()
        except _READ_ERRORS as exc:
            raise _read_error(self.description, exc) from None

    def batches(
        self, names: Sequence[str], order_by: Sequence[str] = (), rows: int = 1_000_000
    ) -> Iterator[pa.RecordBatch]:
        """The named columns as Arrow record batches, in row order or sorted by ``order_by``."""
        select = ", ".join(quote_identifier(n) for n in names)
        order = f" ORDER BY {', '.join(quote_identifier(n) for n in order_by)}" if order_by else ""
        try:
            reader = self.connection.sql(f"SELECT {select} FROM src{order}").to_arrow_reader(rows)
            yield from reader
        except _READ_ERRORS as exc:
            raise _read_error(self.description, exc) from None

    def close(self) -> None:
        self.connection.close()


def _fetch_all(cursor: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return cursor.execute(sql).fetchall()


@contextmanager
def open_data(data: DataInput, *, memory_limit: str | None = "1GB") -> Iterator[OpenedData]:
    """Open ``data`` as the view ``src`` of a fresh in-memory DuckDB; closed on exit."""
    connection = duckdb.connect(":memory:")
    try:
        connection.execute("SET enable_progress_bar = false")
        if memory_limit:
            connection.execute(f"SET memory_limit = '{memory_limit}'")
        yield _open(connection, data)
    finally:
        connection.close()


@dataclass(frozen=True)
class ArrowColumns:
    """A dataset's row count and its columns as Arrow arrays, produced one at a time by ``read``."""

    rows: int
    names: tuple[str, ...]
    read: Callable[[], Iterator[tuple[str, pa.ChunkedArray]]]


def arrow_columns(data: DataInput) -> ArrowColumns:
    """All of ``data`` as Arrow columns, for code that needs every value (raw drift).

    A single Parquet file of flat columns is read with pyarrow one column at a time: no
    DuckDB connection to set up, no copy out of DuckDB, and one column in memory at once
    (for a million rows x 20 columns, about half the CPU time and the peak memory of
    reading the whole table). A pyarrow Table is used as it is; anything else (CSV,
    folders, globs, DataFrames) is read into one table through ``open_data``.
    """
    if isinstance(data, pa.Table):
        _check_unique_names([str(n) for n in data.column_names], "pyarrow Table")
        return _table_columns(data)
    spec = DataFile(data) if isinstance(data, str | Path) else data
    if isinstance(spec, DataFile) and _single_parquet_file(spec):
        return _parquet_columns(Path(spec.path))
    with open_data(data) as opened:
        return _table_columns(opened.arrow())


def _table_columns(table: pa.Table) -> ArrowColumns:
    names = tuple(str(n) for n in table.column_names)
    return ArrowColumns(rows=table.num_rows, names=names, read=lambda: iter(zip(names, table.columns, strict=True)))


def _parquet_columns(path: Path) -> ArrowColumns:
    _check_file(path, "parquet")
    with _parquet_errors(path):
        metadata = pq.ParquetFile(path)
        schema = metadata.schema_arrow
    names = tuple(str(n) for n in schema.names)
    _check_unique_names(list(names), str(path))
    if any("." in name or pa.types.is_nested(field.type) for name, field in zip(names, schema, strict=True)):
        with _parquet_errors(path):
            return _table_columns(pq.read_table(path))

    def read() -> Iterator[tuple[str, pa.ChunkedArray]]:
        with _parquet_errors(path):
            reader = pq.ParquetFile(path)
            for name in names:
                yield name, reader.read(columns=[name]).column(0)

    return ArrowColumns(rows=metadata.metadata.num_rows, names=names, read=read)


@contextmanager
def _parquet_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except (pa.ArrowException, OSError) as exc:
        first = str(exc).split("\n")[0]
        raise DataReadError(f"cannot read {path} as Parquet: {first}",
                            hint="check that the file is a complete Parquet file (or give it a .csv name)") from None


def _single_parquet_file(spec: DataFile) -> bool:
    path = Path(spec.path)
    if any(ch in str(path) for ch in "*?[") or path.is_dir():
        return False
    fmt = spec.format or (_format_from_suffix(path) if path.suffix else None)
    return fmt is not None and fmt.lower() == "parquet"


def quote_identifier(name: str) -> str:
    """``name`` as a DuckDB identifier, whatever characters it holds."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _open(connection: duckdb.DuckDBPyConnection, data: Any) -> OpenedData:
    if isinstance(data, pd.DataFrame):
        frame, mixed = _prepare_frame(data)
        connection.register("src_frame", frame)
        connection.execute("CREATE VIEW src AS SELECT * FROM src_frame")
        return OpenedData(connection, _describe(connection, "DataFrame", mixed), _frame_label(frame), frame)
    if isinstance(data, pa.Table):
        _check_unique_names([str(n) for n in data.column_names], "pyarrow Table")
        connection.register("src_table", data)
        connection.execute("CREATE VIEW src AS SELECT * FROM src_table")
        label = f"pyarrow Table ({data.num_rows} rows)"
        return OpenedData(connection, _describe(connection, "pyarrow Table", {}), label)
    if isinstance(data, str | Path):
        data = DataFile(data)
    if isinstance(data, DataFile):
        label = str(data.path)
        _create_file_view(connection, data, label)
        return OpenedData(connection, _describe(connection, label, {}), label, spec=data)
    raise DataReadError(
        f"cannot read data of type {type(data).__name__}",
        hint="pass a CSV or Parquet path, a DataFile, a pandas DataFrame or a pyarrow Table",
    )


def _create_file_view(
    connection: duckdb.DuckDBPyConnection, spec: DataFile, label: str, *, replace_view: bool = False
) -> None:
    reader = _file_reader(spec)
    try:
        connection.execute(f"CREATE {'OR REPLACE ' if replace_view else ''}VIEW src AS SELECT * FROM {reader}")
    except _READ_ERRORS as exc:
        raise _read_error(label, exc) from None


def _file_reader(spec: DataFile) -> str:
    path = Path(spec.path)
    fmt = (spec.format or _format_from_suffix(path)).lower()
    has_glob = any(ch in str(path) for ch in "*?[")
    if not has_glob:
        _check_file(path, fmt)
    if fmt == "parquet":
        target = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
        return f"read_parquet({quote_literal(target)})"
    if fmt != "csv":
        raise DataReadError(f"unknown data format {spec.format!r} for {path}", hint="use format='csv' or 'parquet'")
    options = [f"header = {'true' if spec.header else 'false'}"]
    delimiter = spec.delimiter or CSV_SUFFIXES.get(path.suffix.lower())
    if delimiter:
        options.append(f"delim = {quote_literal(delimiter)}")
    if spec.encoding:
        options.append(f"encoding = {quote_literal(spec.encoding)}")
    if spec.text_columns:
        types = ", ".join(f"{quote_literal(name)}: 'VARCHAR'" for name in spec.text_columns)
        options.append(f"types = {{{types}}}")
    return f"read_csv({quote_literal(str(path))}, {', '.join(options)})"


def _format_from_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".zst"):
        suffixes = suffixes[:-1]
    suffix = suffixes[-1] if suffixes else ""
    if suffix in PARQUET_SUFFIXES or (not suffix and path.is_dir()):
        return "parquet"
    if suffix in CSV_SUFFIXES:
        return "csv"
    raise DataReadError(
        f"cannot tell the format of {path} from its suffix {suffix or '(none)'!r}",
        hint="use a .csv, .tsv or .parquet name, or pass DataFile(path, format='csv')",
    )


def _check_file(path: Path, fmt: str) -> None:
    if not path.exists():
        raise DataReadError(f"no file at {path}", hint="check the path (relative paths start at the current folder)")
    if path.is_dir():
        if fmt != "parquet":
            raise DataReadError(f"{path} is a folder, expected a {fmt.upper()} file", hint="pass the file's path")
        return
    if path.stat().st_size == 0:
        raise DataReadError(f"{path} is empty (0 bytes), expected a {fmt.upper()} file with a header row",
                            hint="check that the file was written completely")
    if fmt == "csv" and not path.name.lower().endswith((".gz", ".zst")):
        with path.open("rb") as handle:
            head = handle.read(8192)
        if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise DataReadError(f"{path} holds binary data (NUL bytes), expected a CSV text file",
                                hint="check that this is the right file; Parquet files need a .parquet name")


def _describe(
    connection: duckdb.DuckDBPyConnection, label: str, mixed: dict[str, tuple[str, ...]]
) -> tuple[SourceColumn, ...]:
    try:
        rows = connection.execute("DESCRIBE src").fetchall()
    except _READ_ERRORS as exc:
        raise _read_error(label, exc) from None
    return tuple(_source_column(str(name), str(sql_type), mixed.get(str(name), ())) for name, sql_type, *_ in rows)


def _source_column(name: str, sql_type: str, mixed: tuple[str, ...]) -> SourceColumn:
    base = sql_type.split("(")[0].strip().upper()
    if base == "BOOLEAN":
        return SourceColumn(name, sql_type, ColumnKind.BOOLEAN)
    if base in _INTEGER_TYPES:
        return SourceColumn(name, sql_type, ColumnKind.NUMERIC, integer=True)
    if base in _FLOAT_TYPES or base == "DECIMAL":
        return SourceColumn(name, sql_type, ColumnKind.NUMERIC)
    if base.startswith(_DATETIME_PREFIXES):
        return SourceColumn(name, sql_type, ColumnKind.DATETIME)
    return SourceColumn(name, sql_type, None, mixed_types=mixed)


def _prepare_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, tuple[str, ...]]]:
    """Give columns string names and turn mixed-type object columns into strings (noting the types)."""
    names = [str(n) for n in frame.columns]
    _check_unique_names(names, "DataFrame")
    mixed: dict[str, tuple[str, ...]] = {}
    converted: dict[str, pd.Series] = {}
    for name, column in zip(names, frame.columns, strict=True):
        series = frame[column]
        if series.dtype == object and pd.api.types.infer_dtype(series, skipna=True).startswith("mixed"):
            present = series[series.notna()]
            mixed[name] = tuple(sorted({type(v).__name__ for v in present}))
            converted[name] = series.map(lambda v: None if v is None or v is pd.NA or v != v else str(v))
        elif (dates := iso_dates(series)) is not None:
            converted[name] = dates
    if not converted and names == list(frame.columns):
        return frame, mixed
    out = frame.copy(deep=False)
    out.columns = names
    for name, series in converted.items():
        out[name] = series if pd.api.types.is_datetime64_any_dtype(series.dtype) else series.astype(object)
    return out, mixed


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")


def iso_dates(series: pd.Series) -> pd.Series | None:
    """``series`` parsed as datetimes when it holds ISO 8601 date strings only (as DuckDB reads a CSV), else None."""
    if not (series.dtype == object or pd.api.types.is_string_dtype(series.dtype)):
        return None
    present = series.dropna()
    if present.empty or not all(isinstance(v, str) and _ISO_DATE.match(v) for v in present.iloc[:20]):
        return None
    try:
        parsed = pd.to_datetime(series, format="ISO8601", errors="coerce")
    except (ValueError, TypeError):
        return None
    return parsed if int(parsed.notna().sum()) == len(present) else None


def _check_unique_names(names: list[str], label: str) -> None:
    seen: set[str] = set()
    dupes = sorted({n for n in names if n in seen or seen.add(n)})  # type: ignore[func-returns-value]
    if dupes:
        raise DataReadError(f"the {label} has duplicate column names: {dupes}",
                            hint="rename the columns so that each name appears once")


def _frame_label(frame: pd.DataFrame) -> str:
    return f"DataFrame ({len(frame)} rows x {frame.shape[1]} columns)"


def _read_error(label: str, exc: Exception) -> DataReadError:
    text = str(exc)
    first = text.split("\n")[0]
    converting = re.search(r'Error when converting column "(.+?)"\. (.*)', text)
    if converting:
        return ColumnConversionError(
            f"cannot read {label}: column '{converting.group(1)}' holds a value of another type further down "
            f"({converting.group(2).strip()})", column=converting.group(1),
            hint=f"read it as text with DataFile(path, text_columns=({converting.group(1)!r},))",
        )
    if "not utf-8" in text or "Invalid unicode" in text:
        return DataReadError(f"cannot read {label}: it is not UTF-8 encoded ({first})",
                             hint="re-encode the file as UTF-8, or pass DataFile(path, encoding='latin-1')")
    if "sniffing" in text or "CSV Error" in text or "Expected Number of Columns" in text:
        detail = _csv_detail(text)
        return DataReadError(f"cannot read {label} as CSV: {detail}",
                             hint="check that every row has the header's number of fields and quotes are closed; "
                                  "pass DataFile(path, delimiter=';') for another delimiter")
    if "magic bytes" in text or "Parquet" in text or "parquet" in text:
        return DataReadError(f"cannot read {label} as Parquet: {first}",
                             hint="check that the file is a complete Parquet file (or give it a .csv name)")
    if "No files found" in text:
        return DataReadError(f"no file matches {label}", hint="check the path or glob pattern")
    return DataReadError(f"cannot read {label}: {first}", hint="check that the file is a valid CSV or Parquet file")


def _csv_detail(text: str) -> str:
    match = re.search(r"CSV Error on Line: (\d+)", text)
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    reason = next((line for line in lines[1:] if not line.startswith(("Original Line", "Possible", "*", "file ="))), "")
    if match:
        return f"line {match.group(1)}: {reason or lines[0]}"
    return reason or lines[0]


__all__ = ["ArrowColumns", "DataFile", "DataInput", "OpenedData", "SourceColumn", "arrow_columns", "iso_dates",
           "open_data", "quote_identifier", "quote_literal"]
