"""Batch prediction over files, chunk by chunk, with the same feature lookup and predictor as the server.

Input and output may be Parquet, CSV or JSON lines (chosen by suffix). Chunks travel as
Arrow tables: only the model's columns become a DataFrame for the model, and the
prediction is appended to the chunk as an Arrow column, so the input's other columns are
never converted. Reading runs in a thread of its own, up to two chunks ahead, and writing
the last chunk in another, beside the prediction (Arrow's readers and writers release the
GIL), so a run takes about as long as its slowest part rather than the sum of all three.
The output is written under a temporary name and renamed into place only when every chunk
is done: a failed run leaves no half-written file. A column of the input named like the
output is replaced. ``keep`` chooses the input columns written beside the predictions (an
id, say); with none kept, only the model's columns are read and the output is the
predictions alone.

Chunks are predicted by a ``ChunkScorer``: ``LocalScorer`` predicts in this process;
``loopline.serving.batch_ray.RayScorer`` spreads chunks over Ray actors, several in flight,
and the output is still written in input order. For a model whose inputs are all numeric,
the chunk's Arrow columns are copied once into the float array the model takes (no
DataFrame in between), the same array for every chunk of a run; while a run reads ahead,
BLAS pools get one thread fewer than the cores (``blas_threads_beside``).

Rows are checked for the signature's required columns; per-value checks are the job of
``loopline validate`` on the file, which is built for whole datasets.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa

from loopline.errors import InvalidInputError
from loopline.serving.served import ServedModel

SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
DEFAULT_CHUNK_ROWS = 100_000
_READ_ERRORS = (pa.ArrowException, ValueError, OSError)  # what reading a damaged or mistyped file raises


@dataclass(frozen=True)
class BatchResult:
    rows: int
    seconds: float
    output: Path

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


def file_format(path: Path) -> str:
    found = SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise InvalidInputError(
            f"cannot tell the format of {path} from its suffix '{path.suffix}'",
            hint=f"use one of: {', '.join(sorted(SUFFIXES))}",
        )
    return found


def count_rows(path: Path) -> int | None:
    """The number of rows when the file says so cheaply (Parquet), else None."""
    if file_format(path) == "parquet":
        import pyarrow.parquet as pq

        try:
            return int(pq.ParquetFile(path).metadata.num_rows)
        except _READ_ERRORS as exc:
            raise _unreadable(f"cannot read {path}", exc) from None
    return None


def _unreadable(message: str, error: Exception) -> InvalidInputError:
    return InvalidInputError(f"{message}: {error}",
                             hint="check that the file is complete and in the format its suffix says")


class ChunkScorer(Protocol):
    """Predicts chunks, possibly elsewhere: ``submit`` starts one, ``result`` waits for its output columns.

    Up to ``depth`` chunks are submitted before the oldest one's result is asked for.
    """

    depth: int

    def submit(self, chunk: pa.Table) -> Any: ...

    def result(self, handle: Any) -> dict[str, pa.Array]: ...


class LocalScorer:
    """Predicts each chunk in this process, when it is submitted."""

    depth = 1

    def __init__(self, model: ServedModel) -> None:
        self.model = model
        self._buffer = _MatrixBuffer()

    def submit(self, chunk: pa.Table) -> dict[str, pa.Array]:
        return prediction_columns(self.model, chunk, buffer=self._buffer)

    def result(self, handle: dict[str, pa.Array]) -> dict[str, pa.Array]:
        return handle


def predict_file(
    model: ServedModel,
    source: Path,
    target: Path,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    on_progress: Callable[[int], None] | None = None,
    scorer: ChunkScorer | None = None,
    keep: Sequence[str] | None = None,
) -> BatchResult:
    """Predict every row of ``source`` into ``target``; ``on_progress`` gets the rows done after each chunk.

    ``scorer`` predicts the chunks (default: ``LocalScorer(model)``, in this process). ``keep``
    names the input columns written beside the predictions (None: every one; empty: none, and
    only the columns the model needs are read).
    """
    if not source.is_file():
        raise InvalidInputError(f"the input file {source} does not exist")
    if chunk_rows < 1:
        raise InvalidInputError(f"chunk_rows must be at least 1, got {chunk_rows}")
    columns = _columns_to_read(model, source, keep)
    local = scorer is None
    scorer = scorer if scorer is not None else LocalScorer(model)
    started = time.perf_counter()
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    writer = _ChunkWriter(partial, file_format(target))
    rows = 0
    try:
        with (ThreadPoolExecutor(max_workers=1, thread_name_prefix="loopline-batch-write") as pool,
              _ReadAhead(source, read_chunks(source, chunk_rows, columns)) as upcoming,
              blas_threads_beside(busy=1) if local else contextlib.nullcontext()):
            written: Future[None] | None = None
            pending: deque[tuple[pa.Table, Any]] = deque()
            finished = False
            while pending or not finished:
                if not finished and len(pending) < scorer.depth:
                    chunk = upcoming.next()
                    if chunk is None:
                        finished = True
                        continue
                    pending.append((chunk, scorer.submit(needed_columns(model, chunk))))
                    continue
                chunk, handle = pending.popleft()  # the oldest chunk: the output keeps the input's order
                kept = chunk if keep is None else chunk.select(list(keep))
                scored = _with_columns(kept, scorer.result(handle))
                if written is not None:
                    written.result()
                written = pool.submit(writer.write, scored)
                rows += chunk.num_rows
                if on_progress is not None:
                    on_progress(rows)
            if written is not None:
                written.result()
        writer.close()
        if rows == 0:
            raise InvalidInputError(f"the input file {source} holds no rows")
        os.replace(partial, target)
    except BaseException:
        writer.close()
        partial.unlink(missing_ok=True)
        raise
    return BatchResult(rows, time.perf_counter() - started, target)


class _ReadAhead:
    """The chunks, read in a thread of their own: ``depth`` of them waiting while the next is read.

    A reader that starts on the next chunk only when the prediction takes one keeps stopping
    at the prediction's pace; with a queue between them each goes at its own (on 2 cores, the
    logistic regression's batch went from 70% to 80% of its ``predict``). A reading error
    (a value a CSV column cannot hold, a damaged file) is raised by ``next`` as a clear input
    error; leaving the ``with`` stops the reader and closes the file.
    """

    _END = object()

    def __init__(self, source: Path, chunks: Generator[pa.Table, None, None], depth: int = 1) -> None:
        self.source = source
        self._chunks = chunks
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="loopline-batch-read", daemon=True)

    def __enter__(self) -> _ReadAhead:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def next(self) -> pa.Table | None:
        """The next chunk, None after the last; InvalidInputError when the file cannot be read."""
        item = self._queue.get()
        if item is self._END:
            return None
        if isinstance(item, BaseException):
            raise item
        return item

    def _read(self) -> None:
        rows = 0
        try:
            for chunk in self._chunks:
                if not self._put(chunk):
                    return
                rows += chunk.num_rows
            self._put(self._END)
        except _READ_ERRORS as exc:
            self._put(_unreadable(f"cannot read {self.source} after its first {rows} row(s)", exc))
        except BaseException as exc:  # handed to the predicting thread, which raises it
            self._put(exc)
        finally:
            self._chunks.close()

    def _put(self, item: Any) -> bool:
        """Queue ``item`` unless the run stopped; False when it did."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False


@contextlib.contextmanager
def blas_threads_beside(busy: int) -> Iterator[None]:
    """BLAS pools capped at the cores left beside ``busy`` other busy threads (at least one; never raised).

    A linear model's ``predict`` is mostly a BLAS product, which OpenBLAS spreads over every
    core; with the next chunk being read and decoded at the same time, the pool's threads
    wait on each other (on 2 cores a logistic regression used twice the CPU for the same
    wall time). OpenMP pools (gradient boosting) are left as they are: they do not spin so.
    """
    from threadpoolctl import ThreadpoolController

    wanted = max(1, _cores() - busy)
    blas = ThreadpoolController().select(user_api="blas")
    if all(info["num_threads"] <= wanted for info in blas.info()):
        yield
        return
    with blas.limit(limits=wanted):
        yield


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def read_chunks(source: Path, chunk_rows: int, columns: Sequence[str] | None = None,
                ) -> Generator[pa.Table, None, None]:
    """The file as Arrow tables of ``chunk_rows`` rows (the last may be shorter); only ``columns`` if given."""
    kind = file_format(source)
    if kind == "parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(source).iter_batches(batch_size=chunk_rows, columns=columns):
            yield pa.Table.from_batches([batch])
    elif kind == "csv":
        import pyarrow.csv as pcsv

        include = pcsv.ConvertOptions(include_columns=list(columns)) if columns is not None else None
        yield from _rechunk(pcsv.open_csv(source, convert_options=include), chunk_rows)
    else:
        for frame in pd.read_json(source, lines=True, chunksize=chunk_rows):
            table = pa.Table.from_pandas(frame, preserve_index=False)
            yield table if columns is None else table.select([c for c in columns if c in table.column_names])


def _columns_to_read(model: ServedModel, source: Path, keep: Sequence[str] | None) -> list[str] | None:
    """The columns the model needs and those kept, in the file's order; None (all) when every column is kept.

    A kept column the file lacks is an error naming the file's columns; a needed one the file
    lacks is left for the prediction to report (the features may come from the online store).
    """
    if keep is None:
        return None
    present = input_columns(source)
    unknown = [c for c in keep if c not in present]
    if unknown:
        raise InvalidInputError(f"the input {source.name} has no column(s) {', '.join(unknown)} to keep",
                                hint=f"its columns: {', '.join(present)}")
    wanted = set(keep) | set(model.predictor.columns)
    if model.features is not None:
        wanted |= set(model.features.keys)
    return [c for c in present if c in wanted]


def input_columns(source: Path) -> list[str]:
    """The column names of a Parquet, CSV or JSON-lines file, read from its schema or first rows."""
    kind = file_format(source)
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            return list(pq.ParquetFile(source).schema_arrow.names)
        if kind == "csv":
            import pyarrow.csv as pcsv

            return list(pcsv.open_csv(source).schema.names)
        first = next(iter(pd.read_json(source, lines=True, chunksize=100)), None)
    except _READ_ERRORS as exc:
        raise _unreadable(f"cannot read the columns of {source}", exc) from None
    return [] if first is None else [str(c) for c in first.columns]


def _rechunk(batches: Any, rows: int) -> Iterator[pa.Table]:
    held: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        held.append(batch)
        count += batch.num_rows
        while count >= rows:
            table = pa.Table.from_batches(held)
            yield table.slice(0, rows)
            rest = table.slice(rows)
            held, count = rest.to_batches(), rest.num_rows
    if count:
        yield pa.Table.from_batches(held)


def predict_chunk(model: ServedModel, chunk: pa.Table) -> pa.Table:
    """``chunk`` with the model's prediction appended (one column per field when the model returns objects)."""
    return _with_columns(chunk, prediction_columns(model, needed_columns(model, chunk)))


def needed_columns(model: ServedModel, chunk: pa.Table) -> pa.Table:
    """The columns of ``chunk`` that predicting needs (the model's inputs, and the feature lookup's keys)."""
    needed = list(model.predictor.columns)
    if model.features is not None and not all(c in chunk.column_names for c in model.features.columns):
        needed += [k for k in model.features.keys if k not in needed]
    present = set(chunk.column_names)
    return chunk.select([c for c in needed if c in present])


def prediction_columns(model: ServedModel, chunk: pa.Table, *, buffer: _MatrixBuffer | None = None,
                       ) -> dict[str, pa.Array]:
    """The output column(s) for ``chunk`` (which holds at least ``needed_columns``); ``buffer``: an array
    to fill again rather than a new one per chunk."""
    array = _float_matrix(model, chunk, buffer)
    if array is not None:
        result = model.predictor.raw_array(array)
        if buffer is not None and _shares_memory(result, array):
            result = result.copy()  # a model that returns (a view of) its input: the buffer is filled again
        return _output_columns(result, model.signature.output_name)
    frame = needed_columns(model, chunk).to_pandas()
    if model.features is not None and not all(c in frame.columns for c in model.features.columns):
        filled = model.features.fill(frame.to_dict("records"))
        frame = pd.DataFrame.from_records(filled.records)
    missing = [c.name for c in model.signature.schema.columns if c.required and c.name not in frame.columns]
    if missing:
        raise InvalidInputError(
            f"the input lacks {len(missing)} column(s) model {model.label} needs: {', '.join(missing)}",
            hint=f"the model takes: {', '.join(model.signature.input_names)}",
        )
    for column in model.predictor.columns:
        if column not in frame.columns:
            frame[column] = None
    result = model.predictor.raw_frame(model.predictor.conform(frame[list(model.predictor.columns)]))
    return _output_columns(result, model.signature.output_name)


def _shares_memory(result: Any, array: np.ndarray) -> bool:
    if isinstance(result, pd.DataFrame):
        return any(np.may_share_memory(result[c].to_numpy(), array) for c in result.columns)
    data = result.to_numpy() if isinstance(result, pd.Series) else result
    return isinstance(data, np.ndarray) and np.may_share_memory(data, array)


class _MatrixBuffer:
    """One float array for the chunks of a run, filled again for each (a new array costs page faults)."""

    def __init__(self) -> None:
        self.array: np.ndarray | None = None

    def get(self, shape: tuple[int, int]) -> np.ndarray:
        if self.array is None or self.array.shape != shape:
            self.array = np.empty(shape, dtype=np.float64, order="F")  # the layout pandas gives
        return self.array


def _float_matrix(model: ServedModel, chunk: pa.Table, buffer: _MatrixBuffer | None = None) -> np.ndarray | None:
    """The chunk as the fast path's float array (nulls as NaN), copied once from Arrow; None off the fast path."""
    columns = model.predictor.columns
    if not model.predictor.fast or model.features is not None or not set(columns) <= set(chunk.column_names):
        return None
    selected = [chunk.column(name) for name in columns]
    if not all(pa.types.is_floating(c.type) or pa.types.is_integer(c.type) or pa.types.is_boolean(c.type)
               for c in selected):
        return None
    shape = (chunk.num_rows, len(columns))
    matrix = buffer.get(shape) if buffer is not None else np.empty(shape, dtype=np.float64, order="F")
    for j, column in enumerate(selected):
        values = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
        if values.type != pa.float64():
            values = values.cast(pa.float64())  # nulls of integer and boolean columns become NaN
        matrix[:, j] = values.to_numpy(zero_copy_only=False)
    return matrix


def _output_columns(result: Any, name: str) -> dict[str, pa.Array]:
    if isinstance(result, pd.DataFrame):
        return {str(c): pa.array(result[c].to_numpy()) for c in result.columns}
    values = result.to_numpy() if isinstance(result, pd.Series) else result
    try:
        return {name: pa.array(values)}
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # 2-D arrays and other shapes: one list per row
        import numpy as np

        return {name: pa.array([list(v) if isinstance(v, np.ndarray) else v for v in values])}


def _with_columns(table: pa.Table, columns: dict[str, pa.Array]) -> pa.Table:
    for name, values in columns.items():
        if name in table.column_names:
            table = table.drop_columns([name])
        table = table.append_column(name, values)
    return table


class _ChunkWriter:
    """Appends Arrow tables to one Parquet, CSV or JSON-lines file."""

    def __init__(self, path: Path, kind: str) -> None:
        self.path = path
        self.kind = kind
        self._writer: Any = None
        self._schema: pa.Schema | None = None
        self._started = False

    def write(self, table: pa.Table) -> None:
        if self.kind == "jsonl":
            text = table.to_pandas().to_json(orient="records", lines=True, date_format="iso")
            with open(self.path, "a" if self._started else "w", encoding="utf-8") as handle:
                handle.write(text if text.endswith("\n") else text + "\n")
            self._started = True
            return
        if self._schema is None:
            self._schema = table.schema
            self._writer = self._open(table.schema)
        elif table.schema != self._schema:
            table = table.cast(self._schema)
        self._writer.write_table(table)

    def _open(self, schema: pa.Schema) -> Any:
        if self.kind == "parquet":
            import pyarrow.parquet as pq

            return pq.ParquetWriter(self.path, schema)
        import pyarrow.csv as pcsv

        return pcsv.CSVWriter(self.path, schema)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


__all__ = ["DEFAULT_CHUNK_ROWS", "BatchResult", "ChunkScorer", "LocalScorer", "count_rows", "file_format",
           "needed_columns", "predict_chunk", "predict_file", "prediction_columns", "read_chunks"]
