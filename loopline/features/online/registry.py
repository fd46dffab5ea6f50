"""Online store backends by URL scheme: one small table, imported lazily.

``sqlite:///path.db`` (or a plain path) is the default; ``redis://`` and ``rediss://`` need
the redis extra. ``register_online_store`` adds a scheme.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from urllib.parse import urlsplit

from loopline.errors import ConfigError
from loopline.features.online.base import OnlineStore

OnlineStoreFactory = Callable[[str], OnlineStore]

_BACKENDS: dict[str, str | OnlineStoreFactory] = {
    "sqlite": "loopline.features.online.sqlite:SqliteOnlineStore",
    "redis": "loopline.features.online.redis:RedisOnlineStore",
    "rediss": "loopline.features.online.redis:RedisOnlineStore",
}


def register_online_store(scheme: str, factory: str | OnlineStoreFactory) -> None:
    """Make ``scheme://...`` URLs open with ``factory`` (a callable or ``"module:Class"``)."""
    _BACKENDS[scheme.lower()] = factory


def known_schemes() -> list[str]:
    return sorted(_BACKENDS)


def online_store_for(url: str) -> OnlineStore:
    """The (unopened) online store a URL names; a URL without a scheme is a SQLite file path."""
    scheme = urlsplit(url).scheme.lower() if "://" in url else "sqlite"
    factory = _BACKENDS.get(scheme)
    if factory is None:
        raise ConfigError(
            f"unknown online store scheme '{scheme}' in {url!r}",
            hint=f"known schemes: {', '.join(s + '://' for s in known_schemes())}",
        )
    if isinstance(factory, str):
        module_name, _, attribute = factory.partition(":")
        factory = getattr(importlib.import_module(module_name), attribute)
    return factory(url)


__all__ = ["OnlineStoreFactory", "known_schemes", "online_store_for", "register_online_store"]
