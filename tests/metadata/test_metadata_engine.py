import contextlib
import multiprocessing
import os
import sqlite3
import threading
import time

import psycopg
import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, OperationalError

from loopline.metadata import MetadataStore, StoreBusyError
from loopline.metadata import engine as engine_module
from loopline.metadata.engine import BUSY_TIMEOUT_MS, Database
from loopline.metadata.retries import MAX_ATTEMPTS, is_transient


def _locked() -> OperationalError:
    return OperationalError("INSERT INTO runs ...", {}, sqlite3.OperationalError("database is locked"))


def test_sqlite_connections_are_configured_for_safe_concurrent_use(sqlite_store: MetadataStore) -> None:
    def pragmas(conn: object) -> tuple[object, ...]:
        return tuple(
            conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        )

    assert sqlite_store._db.read(pragmas) == ("wal", 1, 1, BUSY_TIMEOUT_MS)  # synchronous 1 = NORMAL


def test_writes_begin_immediate_and_reads_stay_deferred(sqlite_store: MetadataStore) -> None:
    statements: list[str] = []
    engine = sqlite_store._db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        run = sqlite_store.runs.start("training", params={})
        begins_after_write = [s for s in statements if s.startswith("BEGIN")]
        statements.clear()
        sqlite_store.runs.get(run.id)
        begins_after_read = [s for s in statements if s.startswith("BEGIN")]
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert begins_after_write == ["BEGIN IMMEDIATE"]
    assert begins_after_read == ["BEGIN"]


def test_a_writer_waits_for_another_process_lock_instead_of_failing(sqlite_store: MetadataStore) -> None:
    path = sqlite_store.url.removeprefix("sqlite:///")
    holding = threading.Event()

    def hold_the_write_lock() -> None:
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")
            holding.set()
            time.sleep(0.5)
            other.execute("COMMIT")

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    assert holding.wait(10)
    started = time.perf_counter()
    run = sqlite_store.runs.start("training", params={})
    waited = time.perf_counter() - started
    holder.join()
    assert sqlite_store.runs.get(run.id) == run
    assert waited >= 0.3


def test_a_busy_transaction_is_run_again_whole(sqlite_store: MetadataStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "backoff_seconds", lambda attempt: 0.0)
    calls: list[int] = []

    def work(conn: object) -> str:
        calls.append(1)
        if len(calls) < 3:
            raise _locked()
        return "done"

    assert sqlite_store._db.write(work) == "done"
    assert len(calls) == 3


def test_retries_are_bounded(sqlite_store: MetadataStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "backoff_seconds", lambda attempt: 0.0)
    calls: list[int] = []

    def always_locked(conn: object) -> None:
        calls.append(1)
        raise _locked()

    with pytest.raises(
        StoreBusyError, match=rf"stayed busy through {MAX_ATTEMPTS} attempts \(last error: database is locked\)"
    ):
        sqlite_store._db.write(always_locked)
    assert len(calls) == MAX_ATTEMPTS


def test_other_database_errors_are_not_retried(sqlite_store: MetadataStore) -> None:
    calls: list[int] = []

    def violates(conn: object) -> None:
        calls.append(1)
        raise IntegrityError("INSERT ...", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))

    with pytest.raises(IntegrityError):
        sqlite_store._db.write(violates)
    assert len(calls) == 1


def test_which_errors_are_transient() -> None:
    def wrapped(original: Exception) -> OperationalError:
        return OperationalError("SELECT 1", {}, original)

    assert is_transient(_locked())
    assert is_transient(wrapped(sqlite3.OperationalError("database is busy")))
    assert not is_transient(wrapped(sqlite3.OperationalError("no such table: runs")))
    assert is_transient(wrapped(psycopg.errors.SerializationFailure("could not serialize access")))
    assert is_transient(wrapped(psycopg.errors.DeadlockDetected("deadlock detected")))
    assert not is_transient(wrapped(psycopg.errors.UniqueViolation("duplicate key")))
    assert not is_transient(RuntimeError("database is locked"))


def test_postgres_retries_a_transaction_aborted_as_a_deadlock(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two transactions locking two rows in opposite orders: PostgreSQL aborts one with 40P01; it is run again."""
    monkeypatch.setattr(engine_module, "backoff_seconds", lambda attempt: 0.05)
    with MetadataStore(postgres_url) as store:
        a = store.contexts.get_or_create("experiment", "a").id
        b = store.contexts.get_or_create("experiment", "b").id
        barrier = threading.Barrier(2)
        attempts: list[str] = []

        def lock_in_order(first: int, second: int, name: str) -> str:
            def work(conn: object) -> str:
                attempts.append(name)
                conn.exec_driver_sql("UPDATE contexts SET name = name WHERE id = %s", (first,))
                if attempts.count(name) == 1:
                    barrier.wait(10)
                conn.exec_driver_sql("UPDATE contexts SET name = name WHERE id = %s", (second,))
                return name

            return store._db.write(work)

        results: list[str] = []
        threads = [
            threading.Thread(target=lambda f=f, s=s, n=n: results.append(lock_in_order(f, s, n)))
            for f, s, n in ((a, b, "one"), (b, a, "two"))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert sorted(results) == ["one", "two"]
    assert len(attempts) == 3  # the deadlock victim ran a second time


def test_database_is_closed_until_opened() -> None:
    database = Database("sqlite:///:memory:")
    assert not database.is_open
    with pytest.raises(Exception, match="is not open"):
        database.read(lambda conn: None)


def _write_from_inherited_store(store: MetadataStore, run_id: int) -> None:
    execution = store.executions.start(run_id, "in-child", cache_key=None, params={})
    store.executions.complete(execution.id, inputs={}, outputs={})
    os._exit(0)


def test_a_forked_child_gets_its_own_connections(sqlite_store: MetadataStore) -> None:
    run = sqlite_store.runs.start("training", params={})
    sqlite_store.runs.get(run.id)  # the parent's pool now holds a connection
    child = multiprocessing.get_context("fork").Process(target=_write_from_inherited_store, args=(sqlite_store, run.id))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    assert [e.step for e in sqlite_store.runs.executions(run.id)] == ["in-child"]
    assert sqlite_store.check_integrity() == []
