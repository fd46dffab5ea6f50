import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from loopline.artifacts import ArtifactIntegrityError, ArtifactStore, ManifestEntry, UnsafePathError
from loopline.errors import InvalidInputError


def make_folder(root: Path) -> Path:
    files = {
        "model.bin": b"\x00\x01weights",
        "config/params.json": b'{"alpha": 1}',
        "config/deep/er/notes.txt": "dé jà vu".encode(),
        "empty": b"",
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def read_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_folder_round_trip(store: ArtifactStore, tmp_path: Path) -> None:
    source = make_folder(tmp_path / "src")
    stored = store.put_dir(source)
    assert stored.size == sum(len(data) for data in read_tree(source).values())
    assert store.manifest(stored.uri) == {
        name: ManifestEntry(stored_file.digest, stored_file.size)
        for name, stored_file in ((n, store.put_bytes(d)) for n, d in read_tree(source).items())
    }
    out = store.get_dir(stored.uri, tmp_path / "out" / "nested")
    assert read_tree(out) == read_tree(source)


def test_equal_folders_share_a_uri_and_any_change_gives_a_new_one(store: ArtifactStore, tmp_path: Path) -> None:
    first = store.put_dir(make_folder(tmp_path / "a"))
    assert store.put_dir(make_folder(tmp_path / "b")).uri == first.uri
    (tmp_path / "b" / "config" / "params.json").write_bytes(b'{"alpha": 2}')
    assert store.put_dir(tmp_path / "b").uri != first.uri
    (tmp_path / "a" / "model.bin").rename(tmp_path / "a" / "model2.bin")
    assert store.put_dir(tmp_path / "a").uri != first.uri


def test_the_manifest_is_canonical_json(local_store: ArtifactStore, tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "b").write_bytes(b"2")
    (tmp_path / "d" / "a").write_bytes(b"1")
    data = local_store.get_bytes(local_store.put_dir(tmp_path / "d").uri)
    body = json.loads(data)
    assert list(body) == ["a", "b"] and body["a"]["size"] == 1 and b" " not in data


def test_an_empty_folder(store: ArtifactStore, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    stored = store.put_dir(tmp_path / "empty")
    assert store.manifest(stored.uri) == {} and stored.size == 0
    assert list(store.get_dir(stored.uri, tmp_path / "out").iterdir()) == []


def test_a_symlink_out_of_the_folder_is_refused(local_store: ArtifactStore, tmp_path: Path) -> None:
    source = make_folder(tmp_path / "src")
    (tmp_path / "secret").write_text("outside")
    os.symlink(tmp_path / "secret", source / "config" / "link")
    with pytest.raises(UnsafePathError, match=r"config/link resolves to .*secret, outside .*src"):
        local_store.put_dir(source)
    assert list(local_store.digests()) == []  # the whole folder is checked before any file is stored


def test_a_symlinked_folder_out_of_the_folder_is_refused(local_store: ArtifactStore, tmp_path: Path) -> None:
    source = make_folder(tmp_path / "src")
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", source / "linked")
    with pytest.raises(UnsafePathError, match="outside"):
        local_store.put_dir(source)


def test_a_symlink_inside_the_folder_is_stored_as_its_file(local_store: ArtifactStore, tmp_path: Path) -> None:
    source = make_folder(tmp_path / "src")
    os.symlink(source / "model.bin", source / "alias.bin")
    out = local_store.get_dir(local_store.put_dir(source).uri, tmp_path / "out")
    assert (out / "alias.bin").read_bytes() == b"\x00\x01weights" and not (out / "alias.bin").is_symlink()


def test_file_names_with_escapes_are_refused(local_store: ArtifactStore, tmp_path: Path) -> None:
    (tmp_path / "e").mkdir()
    (tmp_path / "e" / "back\\slash").write_text("x")
    with pytest.raises(UnsafePathError, match=r"cannot store the folder .*e: unsafe path name .*backslash"):
        local_store.put_dir(tmp_path / "e")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a%2e%2e").write_text("x")
    with pytest.raises(UnsafePathError, match=r"the file name 'a%2e%2e' reads as 'a\.\.' once percent-decoded"):
        local_store.put_dir(tmp_path / "d")


@pytest.mark.parametrize(
    "name",
    [
        "../x",
        "../../etc/passwd",
        "a/../../b",
        "/etc/passwd",
        "C:\\x",
        "a\\b",
        "%2e%2e%2fx",
        "%252e%252e%252fx",
        "//host/share",
        "a#frag",
        "a\x00b",
        "./a",
        "a//b",
    ],
)
def test_a_crafted_manifest_writes_nothing(store: ArtifactStore, tmp_path: Path, name: str) -> None:
    payload = store.put_bytes(b"owned")
    manifest = json.dumps(
        {"fine.txt": {"digest": payload.digest, "size": 5}, name: {"digest": payload.digest, "size": 5}}
    )
    crafted = store.put_bytes(manifest.encode())
    dest = tmp_path / "box" / "dest"
    with pytest.raises(UnsafePathError, match=f"folder artifact {crafted.uri} names the file"):
        store.get_dir(crafted.uri, dest)
    assert not (tmp_path / "box").exists()  # refused before anything was created
    assert {p.name for p in tmp_path.iterdir()} <= {"store", "cache"}


def test_a_symlink_in_the_destination_cannot_redirect_writes(local_store: ArtifactStore, tmp_path: Path) -> None:
    source = make_folder(tmp_path / "src")
    stored = local_store.put_dir(source)
    dest = tmp_path / "dest"
    dest.mkdir()
    (tmp_path / "victim").mkdir()
    os.symlink(tmp_path / "victim", dest / "config")
    with pytest.raises(UnsafePathError, match=r"config/.* resolves to .*victim"):
        local_store.get_dir(stored.uri, dest)
    assert list((tmp_path / "victim").iterdir()) == []


def test_a_tampered_manifest_is_refused(store: ArtifactStore, tmp_path: Path, tamper: Callable[..., str]) -> None:
    stored = store.put_dir(make_folder(tmp_path / "src"))
    tamper(store, stored.uri, offset=3)
    with pytest.raises(ArtifactIntegrityError, match=f"artifact {stored.uri} is damaged"):
        store.get_dir(stored.uri, tmp_path / "out")


def test_a_tampered_member_is_refused_naming_it_and_its_folder(
    store: ArtifactStore, tmp_path: Path, tamper: Callable[..., str]
) -> None:
    stored = store.put_dir(make_folder(tmp_path / "src"))
    member = store.manifest(stored.uri)["model.bin"]
    where = tamper(store, "sha256:" + member.digest)
    with pytest.raises(
        ArtifactIntegrityError,
        match=f"sha256:{member.digest} \\(a file of the folder {stored.uri}\\) is damaged: {where}",
    ):
        store.get_dir(stored.uri, tmp_path / "out")
    assert not (tmp_path / "out" / "model.bin").exists()


def test_a_missing_member_is_reported_with_its_folder(local_store: ArtifactStore, tmp_path: Path) -> None:
    stored = local_store.put_dir(make_folder(tmp_path / "src"))
    member = local_store.manifest(stored.uri)["empty"]
    local_store.local_path("sha256:" + member.digest).unlink()
    with pytest.raises(Exception, match=f"a file of the folder {stored.uri}\\) is not in the artifact store"):
        local_store.get_dir(stored.uri, tmp_path / "out")


def test_other_artifacts_are_not_folders(store: ArtifactStore, tmp_path: Path) -> None:
    for data, reason in [
        (b"PAR1...", "it is not JSON"),
        (b"[1, 2]", "it is not a JSON object"),
        (b'{"a": 1}', "the entry for 'a'"),
    ]:
        uri = store.put_bytes(data).uri
        with pytest.raises(InvalidInputError, match=f"artifact {uri} is not a folder manifest: {reason}"):
            store.get_dir(uri, tmp_path / "out")
    digest = "a" * 64
    clash = json.dumps({"a": {"digest": digest, "size": 0}, "a/b": {"digest": digest, "size": 0}})
    with pytest.raises(InvalidInputError, match="'a' is both a file and the folder of 'a/b'"):
        store.manifest(store.put_bytes(clash.encode()).uri)


def test_local_dir_is_a_verified_cached_copy(store: ArtifactStore, tmp_path: Path) -> None:
    source = make_folder(tmp_path / "src")
    stored = store.put_dir(source)
    copy = store.local_dir(stored.uri)
    assert read_tree(copy) == read_tree(source)
    assert store.local_dir(stored.uri) == copy
    model = copy / "model.bin"
    model.chmod(0o644)
    model.write_bytes(b"\x00\x01weighty")  # a step wrote into its input: the copy is rebuilt
    (copy / "stray.txt").write_text("added")
    assert store.local_dir(stored.uri) == copy
    assert read_tree(copy) == read_tree(source)
