"""Fixtures of the catalog tests: small workspaces with real stores (SQLite metadata, a local
artifact folder), and a fresh PostgreSQL schema when LOOPLINE_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from loopline.workspace import Workspace

POSTGRES_ENV = "LOOPLINE_TEST_POSTGRES_URL"


@pytest.fixture
def make_workspace(tmp_path: Path) -> Iterator[Callable[[str], Workspace]]:
    """``make_workspace(toml_text)``: a workspace in tmp_path/ws with that loopline.toml."""
    opened: list[Workspace] = []

    def make(toml: str, pipelines: str = "") -> Workspace:
        root = tmp_path / "ws"
        (root / "data").mkdir(parents=True, exist_ok=True)
        (root / "loopline.toml").write_text(toml, encoding="utf-8")
        if pipelines:
            (root / "pipelines.py").write_text(pipelines, encoding="utf-8")
        workspace = Workspace.find(root)
        opened.append(workspace)
        return workspace

    yield make
    for workspace in opened:
        workspace.close()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose search_path is a new, empty schema; the schema is dropped afterwards."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"loopline_catalog_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
