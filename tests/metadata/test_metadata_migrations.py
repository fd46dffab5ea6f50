import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from loopline.errors import ConfigError
from loopline.metadata import (
    HEAD_REVISION,
    MetadataStore,
    SchemaVersionError,
    StoreUnavailable,
    UnsupportedDatabaseError,
    tables,
)
from loopline.metadata.engine import parse_database_url
from loopline.metadata.migrate import MIGRATIONS_DIR, alembic_config


def test_head_revision_names_the_newest_packaged_migration() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [HEAD_REVISION]
    assert (MIGRATIONS_DIR / "env.py").is_file() and (MIGRATIONS_DIR / "script.py.mako").is_file()


def test_migrations_build_exactly_the_declared_tables(store: MetadataStore) -> None:
    """Catches a change to tables.py without a migration, or a migration that drifts from tables.py."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with store._db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, tables.metadata_obj) == []
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [HEAD_REVISION]


_PROBE = """
import sys
from loopline.metadata import MetadataStore
MetadataStore(sys.argv[1]).open().close()
print("alembic" in sys.modules)
"""


def test_opening_a_current_database_does_not_import_alembic(sqlite_url: str) -> None:
    def probe() -> str:
        done = subprocess.run([sys.executable, "-c", _PROBE, sqlite_url], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert probe() == "True"  # a new database is migrated
    assert probe() == "False"  # the fast path: alembic_version read with plain SQLAlchemy


def _open_at_once(url: str, barrier: "multiprocessing.synchronize.Barrier") -> None:
    barrier.wait(30)
    with MetadataStore(url) as store:
        store.runs.start("training", params={"pid": os.getpid()})
    os._exit(0)


@pytest.mark.parametrize("processes", [4])
def test_processes_opening_a_new_store_at_once_migrate_it_once(database_url: str, processes: int) -> None:
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(processes)
    children = [context.Process(target=_open_at_once, args=(database_url, barrier)) for _ in range(processes)]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    assert [child.exitcode for child in children] == [0] * processes
    with MetadataStore(database_url) as store:
        assert len(store.runs.list()) == processes
        versions = store._db.read(
            lambda conn: conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        )
        assert versions == [HEAD_REVISION]
        assert store.check_integrity() == []


def test_a_database_from_a_newer_loopline_is_refused(database_url: str) -> None:
    with MetadataStore(database_url) as store:
        store._db.write(lambda conn: conn.execute(text("UPDATE alembic_version SET version_num = '0999'")))
    with pytest.raises(
        SchemaVersionError,
        match=r"schema revision '0999', which this version of Loopline does not know "
        rf"\(its newest is '{HEAD_REVISION}'\)\n  hint: upgrade Loopline",
    ):
        MetadataStore(database_url).open()


def test_sqlite_url_folders_are_created_relative_to_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with MetadataStore("sqlite:///state/deep/metadata.db") as store:
        store.runs.start("training", params={})
    assert (tmp_path / "state" / "deep" / "metadata.db").is_file()


def test_an_in_memory_store_works() -> None:
    with MetadataStore("sqlite:///:memory:") as store:
        run = store.runs.start("training", params={})
        assert store.runs.get(run.id) == run
        assert store.check_integrity() == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "mysql://u@h/db",
            r"the metadata store cannot use 'mysql' databases \(from 'mysql://u@h/db'\)\n  hint: use SQLite or "
            r"PostgreSQL: sqlite:///path/to/metadata.db or postgresql\+psycopg://",
        ),
        ("metadata.db", r"'metadata.db' is not a database URL"),
        ("sqlite://", r"'sqlite://' names no SQLite file"),
    ],
)
def test_unsupported_urls_say_what_to_write(url: str, message: str) -> None:
    with pytest.raises(UnsupportedDatabaseError, match=message):
        MetadataStore(url).open()
    assert issubclass(UnsupportedDatabaseError, ConfigError)


def test_plain_postgresql_urls_use_psycopg() -> None:
    assert parse_database_url("postgresql://u@h:5432/db").drivername == "postgresql+psycopg"
    assert parse_database_url("postgres://u@h/db").drivername == "postgresql+psycopg"


def test_each_revision_file_is_shipped_as_package_data() -> None:
    """The revision scripts must sit in a package (an __init__.py) for setuptools to ship them."""
    versions = MIGRATIONS_DIR / "versions"
    assert (MIGRATIONS_DIR / "__init__.py").is_file() and (versions / "__init__.py").is_file()
    assert sorted(p.name.split("_")[0] for p in versions.glob("[0-9]*.py"))[-1] == HEAD_REVISION


def test_an_unreachable_server_is_reported_without_the_password() -> None:
    url = "postgresql+psycopg://loopline:s3cret@127.0.0.1:1/metadata?connect_timeout=2"
    with pytest.raises(
        StoreUnavailable, match=r"cannot open the metadata database postgresql\+psycopg://loopline:\*\*\*@"
    ) as info:
        MetadataStore(url).open()
    assert "s3cret" not in str(info.value)
    assert "s3cret" not in repr(MetadataStore(url))
