"""The one path check: every name that becomes a file in or under the store goes through here.

``safe_relative_path`` judges a name as text (percent-decoded until stable, so ``%2e%2e%2f``
and ``%252e%252e%252f`` are seen as ``../``); ``ensure_inside`` judges a path on disk after
resolving symlinks. A caller that maps a name to a file uses both: the first before it
builds the path, the second before it reads or writes through it.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from loopline.artifacts.errors import UnsafePathError

MAX_NAME_CHARS = 4096
MAX_SEGMENT_BYTES = 255
_MAX_DECODE_ROUNDS = 8
_DRIVE = re.compile(r"[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_HINT = "use a relative name made of '/'-separated parts, none of them empty, '.' or '..'"


def safe_relative_path(name: str) -> str:
    """The normalised posix relative form of ``name``, or ``UnsafePathError``.

    Refused: empty names, absolute paths (``/x``, ``//host/share``), drive letters (``C:``),
    backslashes, ``..`` segments (and segments made only of dots and spaces, which Windows
    reads as ``..``), empty segments (``a//b``, a trailing ``/``), ``#`` and ``?``, NUL and
    other control characters, and names too long for a filesystem. ``.`` segments are dropped.
    """
    if not isinstance(name, str):
        raise UnsafePathError(f"a path name must be a string, got {type(name).__name__}", hint=_HINT)
    decoded = _percent_decode(name)
    problem = _problem(decoded)
    if problem is not None:
        shown = repr(name) if decoded == name else f"{name!r} (decoded: {decoded!r})"
        raise UnsafePathError(f"unsafe path name {shown}: {problem}", hint=_HINT)
    return "/".join(segment for segment in decoded.split("/") if segment != ".")


def ensure_inside(root: str | Path, path: str | Path) -> Path:
    """``path`` with symlinks resolved, or ``UnsafePathError`` if it then lies outside ``root``.

    ``path`` need not exist yet (its existing parents are resolved); a relative ``path``
    is taken relative to ``root``.
    """
    base = Path(root).resolve()
    target = Path(root, path).resolve()
    if target != base and not target.is_relative_to(base):
        raise UnsafePathError(
            f"path {path} resolves to {target}, outside {base}",
            hint="a symlink or '..' leads out of the folder; replace the link with a copy of the file",
        )
    return target


def _percent_decode(name: str) -> str:
    current = name
    for _ in range(_MAX_DECODE_ROUNDS):
        try:
            decoded = unquote(current, errors="strict") if "%" in current else current
        except UnicodeDecodeError:
            raise UnsafePathError(
                f"unsafe path name {name!r}: its percent-escapes do not decode to UTF-8 text", hint=_HINT
            ) from None
        if decoded == current:
            return current
        current = decoded
    raise UnsafePathError(
        f"unsafe path name {name!r}: still percent-encoded after {_MAX_DECODE_ROUNDS} rounds of decoding",
        hint=_HINT,
    )


def _problem(name: str) -> str | None:
    if not name:
        return "it is empty"
    if len(name) > MAX_NAME_CHARS:
        return f"it is longer than {MAX_NAME_CHARS} characters"
    if _CONTROL.search(name):
        return "it contains a NUL or control character"
    if "\\" in name:
        return "it contains a backslash"
    if name.startswith("/"):
        return "it is absolute (starts with '/')"
    first = next((segment for segment in name.split("/") if segment != "."), "")
    if _DRIVE.match(first):  # "./C:x" normalises to "C:x": judged where the name really starts
        return "it starts with a drive letter"
    if "#" in name or "?" in name:
        return "it contains '#' or '?'"
    for segment in name.split("/"):
        if segment == ".":
            continue
        if not segment:
            return "it has an empty segment ('//' or a trailing '/')"
        if not segment.strip(". "):
            return f"it has a '{segment}' segment"
        if len(segment.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES:
            return f"a segment is longer than {MAX_SEGMENT_BYTES} bytes"
    if all(segment == "." for segment in name.split("/")):
        return "it names no file ('.' only)"
    return None


__all__ = ["MAX_NAME_CHARS", "MAX_SEGMENT_BYTES", "ensure_inside", "safe_relative_path"]
