"""Fixtures of the training tests: small time-ordered splits of the bike data, real stores.

Native thread pools are limited to one thread: the fits here are small, and on a busy
machine OpenMP threads waiting for each other cost far more than they gain.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from loopline.artifacts import ArtifactStore
from loopline.metadata import MetadataStore


@pytest.fixture(scope="session", autouse=True)
def _one_thread(single_thread_pools: None) -> None:
    """Every test here runs with native thread pools at one thread."""


@pytest.fixture(scope="session")
def bikes_train(bikes: pd.DataFrame) -> pd.DataFrame:
    return bikes.iloc[:2000].reset_index(drop=True)


@pytest.fixture(scope="session")
def bikes_test(bikes: pd.DataFrame) -> pd.DataFrame:
    return bikes.iloc[2000:2600].reset_index(drop=True)


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[MetadataStore, ArtifactStore]]:
    metadata = MetadataStore(f"sqlite:///{tmp_path / 'metadata.db'}").open()
    try:
        yield metadata, ArtifactStore(str(tmp_path / "artifacts")).open()
    finally:
        metadata.close()
