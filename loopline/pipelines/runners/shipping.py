"""Sending step functions to worker processes that did not import them.

Jobs are pickled with cloudpickle. Functions from installed packages (and Loopline's own)
travel by reference and are imported by the worker. Functions from any other module (the
workspace's pipelines file, which is loaded under a synthetic name; scripts; test
modules) travel by value, as do closures, lambdas and functions whose module attribute is
the ``Step`` that ``@step`` made of them. Classes defined in such modules and returned by a
step are stored with pickle by reference, so keep them in an importable module.
"""

from __future__ import annotations

import sys
import sysconfig
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from loopline.errors import ConfigError
from loopline.pipelines.steps import Step

_lock = threading.Lock()


def import_cloudpickle() -> Any:
    try:
        import cloudpickle
    except ImportError:
        raise ConfigError(
            "running steps in worker processes needs the 'cloudpickle' package, which is not installed",
            hint="pip install cloudpickle, or run without --parallel",
        ) from None
    return cloudpickle


def modules_to_ship(steps: Iterable[Step]) -> list[ModuleType]:
    """Modules of step functions that another Python process could not import by name."""
    found: dict[str, ModuleType] = {}
    for s in steps:
        name = getattr(s.func, "__module__", None)
        module = sys.modules.get(name) if name else None
        if module is not None and name != "__main__" and not is_installed(module):
            found[module.__name__] = module
    return list(found.values())


def is_installed(module: ModuleType) -> bool:
    """True for Loopline's modules, built-in ones and those under the interpreter's library folders."""
    if module.__name__.split(".")[0] == "loopline":
        return True
    origin = getattr(module, "__file__", None)
    if origin is None:
        return True
    path = Path(origin).resolve()
    return any(path.is_relative_to(root) for root in _library_roots())


@cache
def _library_roots() -> tuple[Path, ...]:
    paths = sysconfig.get_paths()
    return tuple({Path(paths[key]).resolve() for key in ("purelib", "platlib", "stdlib", "platstdlib")})


@contextmanager
def pickled_by_value(pickler: Any, modules: Iterable[ModuleType]) -> Iterator[None]:
    """Register ``modules`` with ``pickler`` (a cloudpickle module) for the block only."""
    registered = []
    with _lock:
        try:
            for module in modules:
                try:
                    pickler.register_pickle_by_value(module)
                except ValueError:  # already registered by someone else: leave it to them
                    continue
                registered.append(module)
            yield
        finally:
            for module in registered:
                pickler.unregister_pickle_by_value(module)


__all__ = ["import_cloudpickle", "is_installed", "modules_to_ship", "pickled_by_value"]
