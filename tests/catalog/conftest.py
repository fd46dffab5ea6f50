"""Fixtures of the catalog tests: small workspaces with real stores (SQLite metadata, a local
artifact folder), and a fresh PostgreSQL schema when LOOPLINE_TEST_POSTGRES_URL is set."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from loopline.workspace import Workspace


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

