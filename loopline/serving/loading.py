"""From model references to served models: resolve through the registry, load safely, compile, warm up.

Aliases are resolved once, by whoever starts the server, and every worker then loads the
same pinned ``name/version``, so an alias that moves while workers start cannot leave
them serving different versions. Packages come only through ``Registry.load``, which
unpickles nothing Loopline did not record. The online feature store is opened only when
a package looks its features up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loopline.serving.errors import ServerConfigError
from loopline.serving.online_features import INFO_KEY
from loopline.serving.served import ServedModel

if TYPE_CHECKING:
    from loopline.workspace import Workspace


@dataclass(frozen=True)
class PinnedRef:
    """A reference as given (``bikes@production``) and the version it resolved to."""

    given: str
    name: str
    version: int

    @property
    def pinned(self) -> str:
        return f"{self.name}/{self.version}"


def pin_refs(workspace: Workspace, refs: Sequence[str], *, follow: bool = False) -> list[PinnedRef]:
    """Resolve every reference now; ServerConfigError when two name the same model.

    With ``follow``, an alias whose model has a deployment pins to the deployment's live
    version (during a canary the alias already names the candidate; the live one starts).
    """
    if not refs:
        raise ServerConfigError("no model to serve", hint="name at least one: loopline serve NAME@ALIAS")
    pinned: list[PinnedRef] = []
    for ref in refs:
        version = workspace.registry.resolve(ref)
        if follow and "@" in ref:
            version = _live_version(workspace, version)
        if any(p.name == version.name for p in pinned):
            raise ServerConfigError(
                f"'{ref}' names model '{version.name}' a second time; a server serves one version per model name",
                hint="serve each model once; a later deployment can split traffic between versions",
            )
        pinned.append(PinnedRef(ref, version.name, version.version))
    return pinned


@dataclass
class LoadedModels:
    """The served models, and the feature store they share (None when none needs one)."""

    models: list[ServedModel]
    feature_store: Any = None

    def close(self) -> None:
        if self.feature_store is not None:
            self.feature_store.close()
            self.feature_store = None


def load_models(workspace: Workspace, pinned: Sequence[PinnedRef]) -> LoadedModels:
    """Load, compile and warm up each pinned version."""
    loaded = LoadedModels([])
    try:
        for ref in pinned:
            package = workspace.registry.load(ref.pinned)
            if loaded.feature_store is None and (getattr(package, "info", None) or {}).get(INFO_KEY) is not None:
                loaded.feature_store = open_feature_store(workspace)
            model = ServedModel.build(ref.name, ref.version, package, feature_store=loaded.feature_store)
            model.warm_up()
            loaded.models.append(model)
    except BaseException:
        loaded.close()
        raise
    return loaded


def _live_version(workspace: Workspace, version: Any) -> Any:
    from loopline.deployment import DeploymentController, InfraValidator, StoreLocation

    registry = workspace.registry
    plan = DeploymentController(registry, InfraValidator(StoreLocation.of(registry))).plan(version.name)
    return version if plan is None else registry.get_version(version.name, plan.primary)


def load_version(workspace: Workspace, loaded: LoadedModels, name: str, version: int) -> ServedModel:
    """Load, compile and warm up one more version while serving (a deployment's new version)."""
    package = workspace.registry.load(f"{name}/{version}")
    if loaded.feature_store is None and (getattr(package, "info", None) or {}).get(INFO_KEY) is not None:
        loaded.feature_store = open_feature_store(workspace)
    model = ServedModel.build(name, version, package, feature_store=loaded.feature_store)
    model.warm_up()
    return model


def open_feature_store(workspace: Workspace) -> Any:
    """The workspace's feature store with its online store open."""
    from loopline.features.configured import workspace_feature_store

    store = workspace_feature_store(
        workspace.root, workspace.settings.features, objects=workspace.artifacts, records=workspace.metadata.artifacts
    )
    return store.open()


__all__ = ["LoadedModels", "PinnedRef", "load_models", "load_version", "open_feature_store", "pin_refs"]
