"""Alembic environment: runs the revisions on the connection ``migrate.ensure_schema`` hands over,
or, from the ``alembic`` command line, on the database named by ``-x url=...``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from loopline.metadata.engine import Database
from loopline.metadata.tables import metadata_obj

# Import here every other module that adds tables to metadata_obj, so that
# 'alembic revision --autogenerate' compares the database against all of them.

config = context.config


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata_obj,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():  # joins the caller's transaction when there is one
        context.run_migrations()


def command_line_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit(
            "name the database: alembic -c loopline/metadata/migrations/alembic.ini -x url=sqlite:///dev.db ..."
        )
    return url


if context.is_offline_mode():
    context.configure(url=command_line_url(), target_metadata=metadata_obj, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif config.attributes.get("connection") is not None:
    run_on(config.attributes["connection"])
else:
    database = Database(command_line_url()).open()
    try:
        database.write(run_on)
    finally:
        database.close()
