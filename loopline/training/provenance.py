"""Where a model came from: its training data's hash, the code version, the packages used.

- ``frame_digest``: a sha256 of a frame's column names, dtypes and values (pandas'
  ``hash_pandas_object``, stable across processes), so equal data gives an equal hash
  whatever file or query it came from.
- ``code_version``: the git commit and a dirty flag of the workspace folder (None
  outside a git checkout, or without git).
- ``package_versions``: installed versions (``importlib.metadata``) of the packages
  that provide the modules given, with Python's and the numeric stack's.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
import subprocess
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from loopline.config import CONFIG_FILE

GIT_TIMEOUT_S = 10.0
ALWAYS_REPORTED = ("loopline", "numpy", "pandas", "scipy", "scikit-learn")


def frame_digest(frame: Any) -> str:
    """Hex sha256 of the frame's columns, dtypes and values (the index is left out)."""
    import pandas as pd

    digest = hashlib.sha256()
    for name, dtype in frame.dtypes.items():
        digest.update(f"{name}\x1f{dtype}\x1e".encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def workspace_folder(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: the current one) with a loopline.toml, else ``start``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    return here


def code_version(folder: Path | None = None) -> dict[str, Any] | None:
    """``{"commit": sha, "dirty": bool}`` of the git checkout holding ``folder`` (default: the workspace).

    Dirty means a tracked file under ``folder`` is modified or an untracked one is not ignored.
    """
    where = str(workspace_folder(folder))
    commit = _git(where, "rev-parse", "HEAD")
    if commit is None:
        return None
    status = _git(where, "status", "--porcelain", "--", ".")
    return {"commit": commit, "dirty": bool(status)}


def _git(folder: str, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", folder, *args], capture_output=True, text=True, timeout=GIT_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def package_versions(modules: Iterable[str] = ()) -> dict[str, str]:
    """Installed versions of the distributions providing ``modules`` (e.g. ``sklearn.linear_model``)."""
    wanted = set(ALWAYS_REPORTED)
    providers = _providers()
    for module in modules:
        wanted.update(providers.get(module.split(".")[0], ()))
    versions = {"python": platform.python_version()}
    for name in sorted(wanted):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


@lru_cache(maxsize=1)
def _providers() -> dict[str, list[str]]:
    return {module: list(dists) for module, dists in importlib.metadata.packages_distributions().items()}


__all__ = ["code_version", "frame_digest", "package_versions", "workspace_folder"]
