"""Fixtures of the registry tests: every test taking ``setup`` runs on SQLite and, when
LOOPLINE_TEST_POSTGRES_URL is set, on PostgreSQL, each in a database of its own (a fresh
SQLite file, or a fresh PostgreSQL schema dropped afterwards)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from registry_helpers import Setup, open_setup

from loopline.metadata import Artifact


@pytest.fixture
def setup(database_url: str, tmp_path: Path) -> Iterator[Setup]:
    opened = open_setup(database_url, tmp_path / "artifacts")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def sqlite_setup(sqlite_url: str, tmp_path: Path) -> Iterator[Setup]:
    opened = open_setup(sqlite_url, tmp_path / "artifacts")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def model_artifact(setup: Setup) -> Artifact:
    from registry_helpers import make_model_artifact

    return make_model_artifact(setup.metadata, setup.artifacts)
