"""Fixtures of the monitoring tests: real stores on SQLite (and PostgreSQL when configured) with a
bike-like model trained by a pipeline run and registered as ``bikes/1``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from monitoring_helpers import Stores, open_stores, train_and_register


@pytest.fixture
def stores(sqlite_url: str, tmp_path: Path) -> Iterator[Stores]:
    opened = open_stores(sqlite_url, tmp_path / "artifacts")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def any_stores(database_url: str, tmp_path: Path) -> Iterator[Stores]:
    opened = open_stores(database_url, tmp_path / "artifacts")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def version(stores: Stores) -> int:
    return train_and_register(stores)
