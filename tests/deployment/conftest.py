"""Fixtures of the deployment tests: a workspace whose registry holds two versions of a small regression."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from deployment_helpers import make_workspace

from loopline.workspace import Workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.find(make_workspace(tmp_path / "ws")) as ws:
        yield ws
