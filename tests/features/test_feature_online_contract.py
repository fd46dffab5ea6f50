"""The online store contract: every backend (SQLite, Redis) passes the same tests."""

from __future__ import annotations

import threading

import pytest

from loopline.errors import ConfigError
from loopline.features import OnlineRow, OnlineStore, OnlineStoreError, online_store_for
from loopline.features.online import known_schemes
from loopline.features.online.base import MISSING_CREATED, WATERMARK_KEY
from loopline.features.online.sqlite import SqliteOnlineStore, sqlite_path


def row(key: str, event: int, created: int = MISSING_CREATED, payload: bytes = b"[]") -> OnlineRow:
    return OnlineRow(key, event, created, payload)


def test_the_store_satisfies_the_interface(online: OnlineStore) -> None:
    assert isinstance(online, OnlineStore)


def test_written_rows_are_read_back_in_order_with_none_for_unknown_keys(online: OnlineStore) -> None:
    online.update(keep=["v"], delete=[])
    assert online.online_write_batch("v", [row("i1", 10, 1, b'["a",1]'), row("i2", 20, 2, b'["b",2]')]) == 2
    found = online.online_read("v", ["i2", "i9", "i1"])
    assert found == [row("i2", 20, 2, b'["b",2]'), None, row("i1", 10, 1, b'["a",1]')]
    assert online.online_read("v", []) == []
    assert online.online_read("other_view", ["i1"]) == [None]


def test_a_newer_row_replaces_an_older_one_and_never_the_reverse(online: OnlineStore) -> None:
    online.online_write_batch("v", [row("k", 100, 5, b"new")])
    assert online.online_write_batch("v", [row("k", 99, 9, b"older event")]) == 0
    assert online.online_write_batch("v", [row("k", 100, 4, b"older created")]) == 0
    assert online.online_read("v", ["k"])[0] == row("k", 100, 5, b"new")
    assert online.online_write_batch("v", [row("k", 100, 6, b"later created")]) == 1
    assert online.online_write_batch("v", [row("k", 101, MISSING_CREATED, b"later event")]) == 1
    assert online.online_read("v", ["k"])[0] == row("k", 101, MISSING_CREATED, b"later event")


def test_rewriting_the_same_rows_changes_nothing(online: OnlineStore) -> None:
    rows = [row(f"i{i}", 1_000 + i, MISSING_CREATED, f"[{i}]".encode()) for i in range(50)]
    assert online.online_write_batch("v", rows) == 50
    assert online.online_write_batch("v", rows) == 0
    assert online.online_read("v", ["i7"]) == [rows[7]]


def test_negative_times_and_large_batches_round_trip(online: OnlineStore) -> None:
    rows = [row(f"s{i}", -1_000_000 * i, -5, b"x" * 200) for i in range(1_200)]
    assert online.online_write_batch("v", rows) == 1_200
    keys = [r.entity_key for r in rows]
    assert online.online_read("v", keys) == rows


def test_update_deletes_dropped_views_with_their_watermarks(online: OnlineStore) -> None:
    online.online_write_batch("keep", [row("k", 1), row(WATERMARK_KEY, 5)])
    online.online_write_batch("drop", [row("k", 1), row(WATERMARK_KEY, 5)])
    online.update(keep=["keep"], delete=["drop"])
    assert online.online_read("drop", ["k", WATERMARK_KEY]) == [None, None]
    assert online.online_read("keep", ["k", WATERMARK_KEY]) == [row("k", 1), row(WATERMARK_KEY, 5)]


def test_teardown_deletes_everything(online: OnlineStore) -> None:
    online.online_write_batch("a", [row("k", 1)])
    online.online_write_batch("b", [row("k", 1)])
    online.teardown()
    assert online.online_read("a", ["k"]) == [None]
    assert online.online_read("b", ["k"]) == [None]
    online.online_write_batch("a", [row("k", 2)])  # still usable
    assert online.online_read("a", ["k"]) == [row("k", 2)]


def test_keys_with_separator_and_unicode_characters_stay_distinct(online: OnlineStore) -> None:
    keys = ["s:a", "sa:", 'j[1,"x"]', "s\u00e9t\u00e9", "s*", "s?[]"]
    online.online_write_batch("v", [row(k, i) for i, k in enumerate(keys)])
    assert [r.event_ts for r in online.online_read("v", keys)] == list(range(len(keys)))  # type: ignore[union-attr]
    online.update(keep=[], delete=["v"])
    assert online.online_read("v", keys) == [None] * len(keys)


def test_reads_and_writes_from_several_threads(online: OnlineStore) -> None:
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(20):
                online.online_write_batch("v", [row(f"t{n}-{i}", i)])
                assert online.online_read("v", [f"t{n}-{i}"])[0] is not None
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_a_closed_store_says_to_open_it(online_url: str) -> None:
    store = online_store_for(online_url)
    with pytest.raises(OnlineStoreError, match=r"is not open(.|\n)*call store.open\(\) first"):
        store.online_read("v", ["k"])


def test_unknown_schemes_list_the_known_ones() -> None:
    with pytest.raises(
        ConfigError, match=r"unknown online store scheme 'mongodb'(.|\n)*known schemes: redis://, rediss://, sqlite://"
    ):
        online_store_for("mongodb://localhost/x")
    assert known_schemes() == ["redis", "rediss", "sqlite"]


def test_sqlite_urls_and_plain_paths_name_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert sqlite_path("sqlite:///rel/f.db").as_posix() == "rel/f.db"
    assert sqlite_path("sqlite:////abs/f.db").as_posix() == "/abs/f.db"
    assert isinstance(online_store_for(str(tmp_path / "f.db")), SqliteOnlineStore)
    with pytest.raises(OnlineStoreError, match="has a host part; SQLite needs a file"):
        sqlite_path("sqlite://host/f.db")


def test_an_unwritable_sqlite_location_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OnlineStoreError, match="cannot open the SQLite online store"):
        online_store_for(str(blocker / "sub" / "f.db")).open()


def test_an_unreachable_redis_is_a_clear_error() -> None:
    pytest.importorskip("redis")
    with pytest.raises(OnlineStoreError, match=r"cannot reach Redis at redis://127.0.0.1:1/0"):
        online_store_for("redis://127.0.0.1:1/0").open()


def test_redis_prefixes_isolate_stores(redis_url: str) -> None:
    other_url = redis_url.replace("prefix=", "prefix=other_")
    first, second = online_store_for(redis_url).open(), online_store_for(other_url).open()
    try:
        first.online_write_batch("v", [row("k", 1)])
        second.online_write_batch("v", [row("k", 2)])
        second.teardown()
        assert first.online_read("v", ["k"]) == [row("k", 1)]
    finally:
        first.close()
        second.close()
    with pytest.raises(OnlineStoreError, match="the Redis key prefix 'a b' is not valid"):
        online_store_for("redis://127.0.0.1:6379/0?prefix=a b")
