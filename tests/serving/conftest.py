"""Fixtures of the serving tests: compiled models, and servers started on a free port for one test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from serving_helpers import ServerThread, cancer_package, colour_package, serve_models

from loopline.serving import ServedModel, ServingState


@pytest.fixture(scope="session")
def cancer_model() -> ServedModel:
    return ServedModel.build("cancer", 1, cancer_package())


@pytest.fixture(scope="session")
def colour_model() -> ServedModel:
    return ServedModel.build("colour", 3, colour_package())


@pytest.fixture
def log_url(database_url: str) -> str:
    """The prediction log on every database the metadata store supports."""
    return database_url


Started = tuple[httpx.Client, ServingState]


@pytest.fixture
def start_server() -> Iterator[Callable[..., Started]]:
    """Start a server for ``models`` (options as ``state_for``); returns an httpx client on it and its state."""
    opened: list[tuple[ServerThread, httpx.Client]] = []

    def start(models: list[ServedModel], **options: Any) -> Started:
        thread, state = serve_models(models, **options)
        thread.__enter__()
        client = httpx.Client(base_url=thread.url, timeout=30)
        opened.append((thread, client))
        return client, state

    yield start
    for thread, client in reversed(opened):
        client.close()
        thread.__exit__(None, None, None)


@pytest.fixture
def cancer_server(start_server: Callable[..., Started], cancer_model: ServedModel) -> Started:
    return start_server([cancer_model])
