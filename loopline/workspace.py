"""The workspace: a folder with ``loopline.toml``. It opens the stores and hands them out.

``Workspace`` delegates; it holds no behaviour of its own beyond finding the folder,
reading the settings, opening what they name (lazily, once) and loading the user's
pipelines module.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from loopline.config import (
    CONFIG_FILE,
    Settings,
    load_settings,
    resolve_artifact_root,
    resolve_metadata_url,
    resolve_path,
)
from loopline.errors import ConfigError, NotFoundError, did_you_mean

if TYPE_CHECKING:
    from loopline.artifacts import ArtifactStore
    from loopline.catalog import DataCatalog
    from loopline.metadata import MetadataStore
    from loopline.pipelines import Pipeline, RunResult
    from loopline.registry import Registry


class WorkspaceNotFound(ConfigError):
    """No ``loopline.toml`` in the folder or any folder above it."""


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: the current folder) with a loopline.toml."""
    here = (start or Path.cwd()).expanduser().resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise WorkspaceNotFound(
        f"no {CONFIG_FILE} in {here} or any folder above it",
        hint="run the command inside a workspace, pass --workspace DIR, or create one with 'loopline init DIR'",
    )


class Workspace:
    """A workspace folder and its settings; stores open on first use."""

    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = root
        self.settings = settings
        self._metadata: MetadataStore | None = None
        self._artifacts: ArtifactStore | None = None
        self._registry: Registry | None = None
        self._module: ModuleType | None = None

    @classmethod
    def find(cls, start: str | Path | None = None) -> Workspace:
        """The workspace at or above ``start`` (a folder), with its settings read."""
        root = find_root(Path(start) if start is not None else None)
        return cls(root, load_settings(root / CONFIG_FILE))

    # -- stores ---------------------------------------------------------------------------

    @property
    def metadata_url(self) -> str:
        return resolve_metadata_url(self.root, self.settings.metadata.url)

    @property
    def artifact_root(self) -> str:
        return resolve_artifact_root(self.root, self.settings.artifacts.root)

    @property
    def metadata(self) -> MetadataStore:
        if self._metadata is None:
            from loopline.metadata import MetadataStore

            self._metadata = MetadataStore(self.metadata_url).open()
        return self._metadata

    @property
    def artifacts(self) -> ArtifactStore:
        if self._artifacts is None:
            from loopline.artifacts import ArtifactStore

            self._artifacts = ArtifactStore(self.artifact_root).open()
        return self._artifacts

    @property
    def catalog(self) -> DataCatalog:
        from loopline.catalog import DataCatalog

        return DataCatalog(self.root, self.settings.datasets, stores=self)

    @property
    def registry(self) -> Registry:
        """The model registry on this workspace's stores, with its policies and scoping."""
        if self._registry is None:
            from loopline.registry import Registry

            self._registry = Registry(
                self.metadata, self.artifacts, policies=self.settings.registry.policies, scoping=self.settings.scoping
            ).open()
        return self._registry

    def close(self) -> None:
        if self._registry is not None:
            self._registry.close()
            self._registry = None
        if self._metadata is not None:
            self._metadata.close()
            self._metadata = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- pipelines ------------------------------------------------------------------------

    def pipelines(self) -> dict[str, Pipeline]:
        """Every Pipeline defined at module level in the workspace's pipelines file, by name."""
        from loopline.pipelines import Pipeline

        module = self._pipelines_module()
        found: dict[str, Pipeline] = {}
        for attr, value in vars(module).items():
            if isinstance(value, Pipeline) and not attr.startswith("_"):
                found[value.name or attr] = value
        return dict(sorted(found.items()))

    def pipeline(self, name: str) -> Pipeline:
        pipelines = self.pipelines()
        if name not in pipelines:
            hint = did_you_mean(name, pipelines) or (
                f"pipelines here: {', '.join(pipelines)}" if pipelines else "this workspace defines no pipeline"
            )
            raise NotFoundError(f"no pipeline named '{name}' in {self._pipelines_path()}", hint=hint)
        return pipelines[name]

    def run(
        self,
        name: str,
        *,
        params: Mapping[str, Any] | None = None,
        use_cache: bool = True,
        parallel: bool = False,
        from_steps: list[str] | None = None,
        on_event: Callable[[Any], None] | None = None,
    ) -> RunResult:
        """Run a pipeline of this workspace; free inputs come from the data catalog.

        Each input is snapshotted as a dataset version first, so the run's input events
        point at exactly the data it saw.
        """
        from loopline.pipelines import run_pipeline
        from loopline.pipelines.runners import make_runner

        pipeline = self.pipeline(name)
        merged = {**flatten_parameters(self.settings.parameters), **(params or {})}
        catalog = self.catalog
        inputs = {dataset: catalog.snapshot(dataset).frame for dataset in pipeline.inputs}
        runner = make_runner(
            self.settings.runner.kind,
            parallel=parallel,
            max_workers=self.settings.runner.max_workers,
            address=self.settings.runner.address,
        )
        self.metadata.runs.mark_interrupted()
        return run_pipeline(
            pipeline,
            metadata=self.metadata,
            artifacts=self.artifacts,
            params=merged,
            runner=runner,
            use_cache=use_cache,
            inputs=inputs,
            from_steps=from_steps,
            on_event=on_event,
        )

    def _pipelines_path(self) -> Path:
        return resolve_path(self.root, self.settings.workspace.pipelines)

    def _pipelines_module(self) -> ModuleType:
        if self._module is not None:
            return self._module
        path = self._pipelines_path()
        if not path.is_file():
            raise ConfigError(
                f"the pipelines file {path} does not exist",
                hint=f"create it, or point [workspace] pipelines in {self.root / CONFIG_FILE} at your file",
            )
        module_name = "loopline_workspace_" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise ConfigError(f"cannot import {path} as a Python module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # worker processes resolve the step functions by module name
        if str(self.root) not in sys.path:
            sys.path.insert(0, str(self.root))
        try:
            spec.loader.exec_module(module)
        except Exception:
            del sys.modules[module_name]
            raise
        self._module = module
        return module


def flatten_parameters(parameters: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"train": {"alpha": 1}}`` (TOML's dotted keys) becomes ``{"train.alpha": 1}``."""
    flat: dict[str, Any] = {}
    for key, value in parameters.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_parameters(value, prefix=f"{name}."))
        else:
            flat[name] = value
    return flat


__all__ = ["Workspace", "WorkspaceNotFound", "find_root", "flatten_parameters"]
