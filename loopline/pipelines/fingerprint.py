"""Code fingerprints: a digest of a step function's code, for cache keys.

The fingerprint is the sha256 of the function's source text (``inspect.getsource``,
dedented), plus the plain values its closure captured. When there is no source (a
function made with ``exec``, a lambda typed at a prompt) it falls back to the bytecode,
names and constants, walked recursively so nested functions count and no memory address
leaks in. Only the step's own function counts: a change in a helper it calls does not
change its key.

A fingerprint is computed once per function object per process and remembered, so
editing a file after it was imported does not pair new source text with old code.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import textwrap
import threading
import types
import weakref
from collections.abc import Callable
from typing import Any

_PLAIN = (str, int, float, bool, bytes, type(None))
_memo: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def code_fingerprint(func: Callable[..., Any]) -> str:
    """A hex digest that changes when the function's code (or captured plain values) change."""
    try:
        with _lock:
            cached = _memo.get(func)
    except TypeError:  # not weak-referenceable
        return _compute(func)
    if cached is None:
        cached = _compute(func)
        with _lock:
            _memo[func] = cached
    return cached


def _compute(func: Callable[..., Any]) -> str:
    hasher = hashlib.sha256()
    _feed(hasher, func)
    return hasher.hexdigest()


def _feed(hasher: Any, func: Any) -> None:
    if isinstance(func, functools.partial):
        hasher.update(b"partial:")
        _feed(hasher, func.func)
        hasher.update(_plain_repr((func.args, sorted(func.keywords.items()))).encode())
        return
    target = inspect.unwrap(func) if callable(func) else func
    code = getattr(target, "__code__", None)
    if code is None and not isinstance(target, types.FunctionType | types.MethodType | type):
        target = type(target)  # a callable object: its class's code
    try:
        source = inspect.getsource(target)
    except (OSError, TypeError):
        source = None
    if source is not None:
        hasher.update(b"source:")
        hasher.update(textwrap.dedent(source).encode("utf-8"))
    elif code is not None:
        hasher.update(b"code:")
        _feed_code(hasher, code)
    else:
        hasher.update(f"name:{getattr(target, '__module__', '')}.{getattr(target, '__qualname__', '')}".encode())
    closure = getattr(target, "__closure__", None) or ()
    for cell in closure:
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        hasher.update(b"cell:" + _plain_repr(value).encode())


def _feed_code(hasher: Any, code: types.CodeType) -> None:
    hasher.update(code.co_code)
    hasher.update(repr((code.co_names, code.co_varnames, code.co_argcount, code.co_kwonlyargcount)).encode())
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _feed_code(hasher, const)
        else:
            hasher.update(_plain_repr(const).encode())


def _plain_repr(value: Any) -> str:
    """A repr without memory addresses: plain values and containers of them; a type name otherwise."""
    if isinstance(value, _PLAIN):
        return repr(value)
    if isinstance(value, tuple | list):
        return type(value).__name__ + "(" + ",".join(_plain_repr(v) for v in value) + ")"
    if isinstance(value, frozenset | set):
        return type(value).__name__ + "(" + ",".join(sorted(_plain_repr(v) for v in value)) + ")"
    if isinstance(value, dict):
        items = sorted(f"{_plain_repr(k)}:{_plain_repr(v)}" for k, v in value.items())
        return "dict(" + ",".join(items) + ")"
    kind = type(value)
    return f"<{kind.__module__}.{kind.__qualname__}>"


__all__ = ["code_fingerprint"]
