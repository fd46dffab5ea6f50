import hashlib
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from loopline.artifacts import (
    ArtifactIntegrityError,
    ArtifactNotFound,
    ArtifactStore,
    InvalidArtifactUri,
    StoreNotOpen,
)
from loopline.artifacts.verification import VerifiedFiles
from loopline.errors import ConfigError, InvalidInputError


def uri_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# -- contract: every backend -------------------------------------------------------------------


def test_bytes_round_trip_under_their_sha256(store: ArtifactStore) -> None:
    stored = store.put_bytes(b"hello")
    assert stored.uri == uri_of(b"hello") and stored.digest == stored.uri[7:] and stored.size == 5
    assert store.get_bytes(stored.uri) == b"hello"
    assert store.exists(stored.uri)
    assert store.local_path(stored.uri).read_bytes() == b"hello"


def test_empty_object(store: ArtifactStore) -> None:
    stored = store.put_bytes(b"")
    assert store.get_bytes(stored.uri) == b""


def test_same_bytes_are_stored_once(store: ArtifactStore, tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"same")
    first = store.put_bytes(b"same")
    assert store.put_bytes(b"same") == first
    assert store.put_file(tmp_path / "f") == first
    assert store.put_stream([b"sa", b"me"]) == first
    store.put_bytes(b"other")
    assert sorted(store.digests()) == sorted([first.digest, hashlib.sha256(b"other").hexdigest()])
    assert store.remove_temporary(older_than_s=0) == 0  # no temporary file was left behind


def test_large_file_round_trip_in_flat_memory(store: ArtifactStore, tmp_path: Path) -> None:
    data = os.urandom(1 << 20) * 12 + b"tail"  # 12 MiB, more than ten chunks
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    tracemalloc.start()
    try:
        stored = store.put_file(source)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stored.uri == uri_of(data) and stored.size == len(data)
    if store.backend.local_file("objects") is not None:
        assert peak < 4 << 20, f"put_file held {peak} bytes at once"
    assert store.local_path(stored.uri).read_bytes() == data
    assert store.get_file(stored.uri, tmp_path / "out" / "copy.bin").read_bytes() == data


def test_missing_objects_say_so(store: ArtifactStore) -> None:
    uri = uri_of(b"never stored")
    assert not store.exists(uri)
    for load in (store.get_bytes, store.local_path):
        with pytest.raises(ArtifactNotFound, match=f"artifact {uri} is not in the artifact store at "):
            load(uri)


@pytest.mark.parametrize(
    "uri",
    [
        "ab" * 32,
        "sha256:" + "AB" * 32,
        "SHA256:" + "ab" * 32,
        "sha256:" + "a" * 63,
        "sha256:" + "a" * 65,
        "sha256:" + "a" * 64 + "\n",
        "sha256:" + "a" * 62 + "/..",
        "sha256:../../etc/passwd",
        "md5:" + "a" * 32,
        "",
    ],
)
def test_malformed_uris_are_refused_before_any_lookup(store: ArtifactStore, uri: str) -> None:
    for call in (store.get_bytes, store.local_path, store.exists, store.manifest):
        with pytest.raises(InvalidArtifactUri, match="expected 'sha256:' followed by 64 lower-case hex digits"):
            call(uri)
    with pytest.raises(InvalidArtifactUri):
        store.get_dir(uri, "unused")


def test_a_changed_object_is_refused_naming_it(store: ArtifactStore, tamper: Callable[..., str]) -> None:
    stored = store.put_bytes(b"model weights")
    where = tamper(store, stored.uri)
    with pytest.raises(ArtifactIntegrityError, match=f"artifact {stored.uri} is damaged: {where} hashes to") as info:
        store.get_bytes(stored.uri)
    assert "delete it and re-run the step" in str(info.value)
    with pytest.raises(ArtifactIntegrityError, match=stored.uri):
        store.local_path(stored.uri)


def test_a_writer_failing_half_way_leaves_nothing(store: ArtifactStore) -> None:
    def chunks():
        yield b"first half"
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        store.put_stream(chunks())
    assert list(store.digests()) == []
    assert store.remove_temporary(older_than_s=0) == 0


def test_concurrent_writers_of_the_same_bytes(store: ArtifactStore) -> None:
    errors: list[BaseException] = []

    def put(i: int) -> None:
        try:
            for _ in range(20):
                store.put_stream([b"shared ", b"payload"])
                store.put_bytes(f"own {i}".encode())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=put, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.get_bytes(uri_of(b"shared payload")) == b"shared payload"
    assert len(list(store.digests())) == 9
    assert store.remove_temporary(older_than_s=0) == 0


def test_gc_keeps_what_is_named_and_the_files_of_kept_folders(store: ArtifactStore, tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "member.txt").write_text("in a folder")
    folder = store.put_dir(tmp_path / "d")
    kept = store.put_bytes(b"kept")
    dropped = store.put_bytes(b"dropped")
    dropped_copy = store.local_path(dropped.uri)
    assert store.gc({kept.uri, folder.uri}) == []  # everything is younger than the grace period
    assert store.gc({kept.uri, folder.uri}, grace_s=0) == [dropped.uri]
    assert not store.exists(dropped.uri) and not dropped_copy.exists()
    assert store.get_bytes(kept.uri) == b"kept"
    assert store.get_dir(folder.uri, tmp_path / "out").joinpath("member.txt").read_text() == "in a folder"


def test_gc_deletes_nothing_when_a_kept_folder_is_damaged(
    store: ArtifactStore, tmp_path: Path, tamper: Callable[..., str]
) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "member.txt").write_text("in a folder")
    folder = store.put_dir(tmp_path / "d")
    tamper(store, folder.uri, offset=1)
    with pytest.raises(ArtifactIntegrityError, match=folder.uri):
        store.gc({folder.uri}, grace_s=0)
    assert store.get_bytes(uri_of(b"in a folder")) == b"in a folder"


def test_operations_before_open_say_call_open_first() -> None:
    store = ArtifactStore("/nonexistent/never-created")
    with pytest.raises(StoreNotOpen, match=r"is not open\n  hint: call store.open\(\) first"):
        store.put_bytes(b"x")
    assert not Path("/nonexistent/never-created").exists()


def test_a_store_survives_pickling_for_worker_processes(store: ArtifactStore) -> None:
    stored = store.put_bytes(b"for a worker")
    copy = pickle.loads(pickle.dumps(store))
    assert copy.get_bytes(stored.uri) == b"for a worker"
    assert copy.cache_dir == store.cache_dir


# -- local folder ------------------------------------------------------------------------------


def test_local_layout_and_file_urls(tmp_path: Path) -> None:
    store = ArtifactStore(f"file://{tmp_path / 'root'}").open()
    stored = store.put_bytes(b"layout")
    path = tmp_path / "root" / "objects" / stored.digest[:2] / stored.digest[2:]
    assert store.local_path(stored.uri) == path
    assert path.stat().st_mode & 0o777 == 0o444  # objects are read-only once written


def test_a_file_root_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(ConfigError, match=r"cannot open the artifact store at .*file/"):
        ArtifactStore(str(tmp_path / "file" / "store")).open()


def test_put_file_and_put_dir_refuse_the_wrong_kind(local_store: ArtifactStore, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="it is a folder\n  hint: use put_dir"):
        local_store.put_file(tmp_path)
    with pytest.raises(InvalidInputError, match=r"cannot store the file .*missing: No such file"):
        local_store.put_file(tmp_path / "missing")
    (tmp_path / "f").write_text("x")
    with pytest.raises(InvalidInputError, match="is not a folder\n  hint: use put_file"):
        local_store.put_dir(tmp_path / "f")


def test_a_change_is_caught_even_after_a_verified_load(local_store: ArtifactStore, tamper: Callable[..., str]) -> None:
    stored = local_store.put_bytes(b"A" * 1000)
    assert local_store.local_path(stored.uri).read_bytes() == b"A" * 1000  # hashed and remembered
    tamper(local_store, stored.uri, offset=500)
    with pytest.raises(ArtifactIntegrityError, match=stored.uri):
        local_store.local_path(stored.uri)


def test_repeated_loads_of_a_settled_object_are_not_hashed_again(
    local_store: ArtifactStore, monkeypatch: pytest.MonkeyPatch, tamper: Callable[..., str]
) -> None:
    import time

    from loopline.artifacts import verification

    local_store._verified = VerifiedFiles(settle_s=0.05)
    stored = local_store.put_bytes(b"B" * 1000)
    time.sleep(0.1)
    hashed: list[str] = []
    real = verification.sha256_file
    monkeypatch.setattr(verification, "sha256_file", lambda path: hashed.append(path) or real(path))
    for _ in range(5):
        local_store.local_path(stored.uri)
    assert len(hashed) == 1
    path = tamper(local_store, stored.uri, offset=999)
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - 10**10))  # hiding the edit does not help
    with pytest.raises(ArtifactIntegrityError, match=f"{stored.uri} is damaged: {path}"):
        local_store.local_path(stored.uri)


CRASHING_WRITER = textwrap.dedent(
    """
    import sys, time
    from loopline.artifacts import ArtifactStore

    store = ArtifactStore(sys.argv[1]).open()

    def chunks():
        yield b"x" * 100_000
        print("half written", flush=True)
        time.sleep(60)
        yield b"y" * 100_000

    store.put_stream(chunks())
    """
)


def test_a_killed_writer_leaves_no_object_only_a_temporary_file(tmp_path: Path) -> None:
    root = tmp_path / "store"
    writer = subprocess.Popen([sys.executable, "-c", CRASHING_WRITER, str(root)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "half written\n"
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    store = ArtifactStore(str(root)).open()
    assert list(store.digests()) == []
    assert not store.exists(uri_of(b"x" * 100_000 + b"y" * 100_000))
    assert not store.exists(uri_of(b"x" * 100_000))
    leftovers = list((root / "tmp").iterdir())
    assert len(leftovers) == 1 and leftovers[0].stat().st_size == 100_000
    assert store.remove_temporary() == 0  # young: it could belong to a live writer
    assert store.remove_temporary(older_than_s=0) == 1
    assert list((root / "tmp").iterdir()) == []


def test_remove_temporary_also_clears_interrupted_cache_copies(store: ArtifactStore) -> None:
    assert store.cache_dir is not None
    staging = store.cache_dir / "dirs" / ".tmp-1-2-abc"
    (staging / "sub").mkdir(parents=True)
    (staging / "sub" / "f").write_text("half a folder")
    (staging / "sub" / ".tmp-1-2-xyz").write_text("half a file in half a folder")
    (store.cache_dir / "objects" / "ab").mkdir(parents=True)
    (store.cache_dir / "objects" / "ab" / ".tmp-1-2-def").write_text("half a file")
    (store.cache_dir / "objects" / "ab" / "kept").write_text("not temporary")
    assert store.remove_temporary() == 0
    assert store.remove_temporary(older_than_s=0) == 2
    assert not staging.exists() and (store.cache_dir / "objects" / "ab" / "kept").exists()


def test_put_replaces_an_object_truncated_on_disk(local_store: ArtifactStore) -> None:
    stored = local_store.put_bytes(b"0123456789")
    path = local_store.local_path(stored.uri)
    path.chmod(0o644)
    path.write_bytes(b"01234")  # e.g. a copy cut short
    with pytest.raises(ArtifactIntegrityError):
        local_store.get_bytes(stored.uri)
    local_store.put_bytes(b"0123456789")
    assert local_store.get_bytes(stored.uri) == b"0123456789"


# -- remote (fsspec) ---------------------------------------------------------------------------


def test_remote_objects_are_cached_locally_and_the_cache_is_checked(
    memory_store: ArtifactStore, tamper: Callable[..., str]
) -> None:
    stored = memory_store.put_bytes(b"remote bytes")
    cached = memory_store.local_path(stored.uri)
    assert memory_store.cache_dir is not None and cached.is_relative_to(memory_store.cache_dir)
    assert cached.read_bytes() == b"remote bytes"
    cached.chmod(0o644)
    cached.write_bytes(b"remote bytez")  # a damaged cache copy is fetched again
    assert memory_store.local_path(stored.uri).read_bytes() == b"remote bytes"
    tamper(memory_store, stored.uri)
    cached.unlink()
    with pytest.raises(ArtifactIntegrityError, match=f"{stored.uri} is damaged: memory://"):
        memory_store.local_path(stored.uri)
    assert not cached.exists()


def test_unknown_schemes_say_what_to_install() -> None:
    with pytest.raises(ConfigError, match=r"cannot open the artifact store at nosuchfs://x.*\n  hint: install"):
        ArtifactStore("nosuchfs://x").open()
