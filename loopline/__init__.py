"""Loopline: MLOps level 2 in one Python package — from raw data to a served model, kept healthy."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from loopline.errors import LooplineError
    from loopline.pipelines import Pipeline, step
    from loopline.registry import ModelPackage
    from loopline.workspace import Workspace

_LAZY = {
    "step": "loopline.pipelines",
    "Pipeline": "loopline.pipelines",
    "Workspace": "loopline.workspace",
    "LooplineError": "loopline.errors",
}


def __getattr__(name: str) -> Any:
    # Imports on first use keep `import loopline` (and so the CLI's start-up) light.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'loopline' has no attribute '{name}'")
    import importlib

    return getattr(importlib.import_module(module), name)


def load_model(ref: str, workspace: str | Path | Workspace | None = None) -> ModelPackage:
    """The registered model ``ref`` names (``"bikes@production"``, ``"bikes/3"``), loaded and verified.

    ``workspace`` is a Workspace or a folder; by default LOOPLINE_WORKSPACE or the nearest
    folder upward with a loopline.toml. Only models Loopline recorded are ever unpickled.
    """
    from loopline.workspace import Workspace

    if isinstance(workspace, Workspace):
        return workspace.registry.load(ref)
    with Workspace.find(workspace or os.environ.get("LOOPLINE_WORKSPACE")) as opened:
        return opened.registry.load(ref)


__all__ = ["LooplineError", "Pipeline", "Workspace", "__version__", "load_model", "step"]
