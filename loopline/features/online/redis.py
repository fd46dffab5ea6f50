"""The scale-out online store: Redis, one string key per (view, entity).

Keys are ``<prefix>:<view>:<entity key>``; the value is the event and created times as two
20-character decimal fields followed by the packed values. Reads are one MGET per batch;
writes run a small Lua script per key (pipelined) that keeps the newer row, so replays and
late batches never move a value backwards. ``update`` and ``teardown`` delete only keys
under the store's prefix (``?prefix=`` in the URL, default ``loopline``).

Redis with default persistence can lose the last second of writes: the online store is
always rebuildable from the offline data (``FeatureStore.rebuild``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from loopline.features.errors import OnlineStoreError
from loopline.features.online.base import OnlineRow

PIPELINE_BATCH = 1000
SCAN_BATCH = 1000
_PREFIX = re.compile(r"^[A-Za-z0-9_.\-]+$")
_HEADER = 40
_KEEP_NEWER = """
local current = redis.call('GET', KEYS[1])
if current then
  local event_now, created_now = tonumber(string.sub(current, 1, 20)), tonumber(string.sub(current, 21, 40))
  local event_new, created_new = tonumber(string.sub(ARGV[1], 1, 20)), tonumber(string.sub(ARGV[1], 21, 40))
  if event_new < event_now or (event_new == event_now and created_new < created_now) then return 0 end
  if current == ARGV[1] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""


class RedisOnlineStore:
    """Online store in Redis: ``redis://host:port/db?prefix=name`` (``rediss://`` for TLS)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client: Any = None
        self._script: Any = None
        self.prefix, self._client_url = split_prefix(url)

    def open(self) -> Self:
        if self._client is not None:
            return self
        try:
            import redis
        except ImportError:
            raise OnlineStoreError(
                "the Redis online store needs the redis package", hint="pip install 'loopline[redis]'"
            ) from None
        client = redis.Redis.from_url(self._client_url)
        try:
            client.ping()
        except redis.RedisError as exc:
            client.close()
            raise OnlineStoreError(
                f"cannot reach Redis at {_without_password(self._client_url)}: {exc}",
                hint="start Redis or fix the online store URL in loopline.toml",
            ) from None
        self._client = client
        self._script = client.register_script(_KEEP_NEWER)
        return self

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None
        self._script = None

    def update(self, *, keep: Sequence[str], delete: Sequence[str]) -> None:
        for view in delete:
            self._delete_matching(f"{self.prefix}:{_glob_escape(view)}:*")

    def online_write_batch(self, view: str, rows: Sequence[OnlineRow]) -> int:
        client = self._require_client()
        changed = 0
        for start in range(0, len(rows), PIPELINE_BATCH):
            pipe = client.pipeline(transaction=False)
            for row in rows[start : start + PIPELINE_BATCH]:
                value = f"{row.event_ts:020d}{row.created_ts:020d}".encode("ascii") + row.payload
                self._script(keys=[self._key(view, row.entity_key)], args=[value], client=pipe)
            changed += sum(int(r) for r in self._run(pipe.execute))
        return changed

    def online_read(self, view: str, entity_keys: Sequence[str]) -> list[OnlineRow | None]:
        if not entity_keys:
            return []
        client = self._require_client()
        values = self._run(client.mget, [self._key(view, k) for k in entity_keys])
        return [
            None if value is None else OnlineRow(key, int(value[:20]), int(value[20:_HEADER]), value[_HEADER:])
            for key, value in zip(entity_keys, values, strict=True)
        ]

    def teardown(self) -> None:
        self._delete_matching(f"{self.prefix}:*")

    def _key(self, view: str, entity_key: str) -> str:
        return f"{self.prefix}:{view}:{entity_key}"

    def _delete_matching(self, pattern: str) -> None:
        client = self._require_client()

        def delete() -> None:
            batch: list[bytes] = []
            for key in client.scan_iter(match=pattern, count=SCAN_BATCH):
                batch.append(key)
                if len(batch) >= SCAN_BATCH:
                    client.unlink(*batch)
                    batch = []
            if batch:
                client.unlink(*batch)

        self._run(delete)

    def _run(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        import redis

        try:
            return call(*args, **kwargs)
        except redis.RedisError as exc:
            raise OnlineStoreError(
                f"the Redis online store at {_without_password(self._client_url)} failed: {exc}",
                hint="check that Redis is up; the online store can be rebuilt with FeatureStore.rebuild()",
            ) from None

    def _require_client(self) -> Any:
        if self._client is None:
            raise OnlineStoreError(
                f"the online store {_without_password(self.url)} is not open", hint="call store.open() first"
            )
        return self._client

    def __repr__(self) -> str:
        return f"RedisOnlineStore({_without_password(self.url)!r})"


def split_prefix(url: str) -> tuple[str, str]:
    """The key prefix (``?prefix=``, default ``loopline``) and the URL without it."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefix = next((v for k, v in query if k == "prefix"), "loopline")
    if not _PREFIX.match(prefix):
        raise OnlineStoreError(
            f"the Redis key prefix {prefix!r} is not valid", hint="use letters, digits, '_', '.' and '-' only"
        )
    rest = urlencode([(k, v) for k, v in query if k != "prefix"])
    return prefix, urlunsplit((parts.scheme, parts.netloc, parts.path, rest, parts.fragment))


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


__all__ = ["RedisOnlineStore", "split_prefix"]
