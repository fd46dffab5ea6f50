"""Loopline: MLOps level 2 in one Python package — from raw data to a served model, kept healthy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from loopline.errors import LooplineError
    from loopline.pipelines import Pipeline, step
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


__all__ = ["LooplineError", "Pipeline", "Workspace", "__version__", "step"]
