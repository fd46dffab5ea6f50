import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopline.artifacts import UnsafePathError, ensure_inside, safe_relative_path

UNSAFE = [
    ("..", "'..' segment"),
    ("../x", "'..' segment"),
    ("a/../../b", "'..' segment"),
    ("a/..", "'..' segment"),
    ("/etc/passwd", "absolute"),
    ("//host/share", "absolute"),
    ("C:\\x", "backslash"),
    ("C:x", "drive letter"),
    ("c:/windows", "drive letter"),
    ("a\\..\\b", "backslash"),
    ("..\\x", "backslash"),
    ("%2e%2e%2f", "'..' segment"),
    ("%2e%2e/x", "'..' segment"),
    ("%252e%252e%252f", "'..' segment"),
    ("a/%25252e%25252e/b", "'..' segment"),
    ("%2fetc%2fpasswd", "absolute"),
    ("%5c..%5cx", "backslash"),
    ("a#frag", "'#' or '?'"),
    ("a%23frag", "'#' or '?'"),
    ("a?x=1", "'#' or '?'"),
    ("a\x00b", "control character"),
    ("a%00b", "control character"),
    ("a\nb", "control character"),
    ("", "empty"),
    ("a//b", "empty segment"),
    ("a/", "empty segment"),
    (".", "names no file"),
    ("...", "'...' segment"),
    (".. ", "'.. ' segment"),
    ("a/" + "x" * 256, "longer than 255 bytes"),
    ("%ff", "do not decode to UTF-8"),
]


@pytest.mark.parametrize(("name", "reason"), UNSAFE)
def test_unsafe_names_are_refused_with_the_reason(name: str, reason: str) -> None:
    with pytest.raises(UnsafePathError, match=r"unsafe path name .*" + __import__("re").escape(reason)):
        safe_relative_path(name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a", "a"),
        ("a/b.txt", "a/b.txt"),
        ("./a/./b", "a/b"),
        ("model v1/weights.bin", "model v1/weights.bin"),
        ("50%.txt", "50%.txt"),  # not an escape: left alone
        ("a%2Fb", "a/b"),
        ("dé/ü.csv", "dé/ü.csv"),
        ("..a/b..", "..a/b.."),
    ],
)
def test_safe_names_come_back_normalised(name: str, expected: str) -> None:
    assert safe_relative_path(name) == expected


def test_endless_encoding_is_refused() -> None:
    name = "x"
    for _ in range(10):
        name = name.replace("%", "%25") if "%" in name else "%78"
    with pytest.raises(UnsafePathError, match="still percent-encoded"):
        safe_relative_path(name)


def test_non_strings_are_refused() -> None:
    with pytest.raises(UnsafePathError, match="must be a string, got bytes"):
        safe_relative_path(b"a")  # type: ignore[arg-type]


def test_ensure_inside_resolves_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, root / "escape")
    os.symlink(root / "sub", root / "inner")
    assert ensure_inside(root, "sub/new.txt") == (root / "sub" / "new.txt").resolve()
    assert ensure_inside(root, "inner/x") == (root / "sub" / "x").resolve()
    with pytest.raises(UnsafePathError, match=r"escape/x resolves to .*outside/x, outside .*root"):
        ensure_inside(root, "escape/x")
    with pytest.raises(UnsafePathError, match="outside"):
        ensure_inside(root, "/etc/passwd")
    with pytest.raises(UnsafePathError, match="outside"):
        ensure_inside(root, "sub/../../x")


@pytest.mark.parametrize("name", ["C:x", "./C:x", "././a:", "%2e/A:"])
def test_a_drive_letter_is_refused_after_leading_dot_segments_too(name: str) -> None:
    with pytest.raises(UnsafePathError, match="drive letter"):
        safe_relative_path(name)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="./\\%2e5cfAa:#?\x00 ", max_size=24))
def test_whatever_is_accepted_stays_inside(name: str) -> None:
    try:
        safe = safe_relative_path(name)
    except UnsafePathError:
        return
    segments = safe.split("/")
    assert all(segment not in ("", ".", "..") for segment in segments)
    assert not any(char in safe for char in "\\\x00#?") and not safe.startswith("/")
    assert safe_relative_path(safe) == safe  # normal form is stable
    root = Path("/srv/store")
    assert ensure_inside(root, safe).is_relative_to(root)
