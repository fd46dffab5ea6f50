"""The set of feature definitions a workspace declares, looked up by name and applied as a whole.

``apply()`` checks every definition against the others and against its source, then returns
the canonical description and its difference from the previous one. It writes nothing:
the ``FeatureStore`` stores the new version and updates the online store.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loopline.errors import did_you_mean
from loopline.features.checks import check_definitions
from loopline.features.definitions import Definition, Entity, FeatureView, OnDemandFeatureView, collect_definitions
from loopline.features.description import canonical_json, describe_definitions, description_digest
from loopline.features.diff import DefinitionDiff, diff_descriptions
from loopline.features.errors import FeatureDefinitionError, SourceError, UnknownFeatureError


@dataclass(frozen=True)
class AppliedDefinitions:
    """Checked definitions: their canonical description, its digest and what changed.

    ``version`` is the stored version number once a ``FeatureStore`` with a history saved it.
    """

    description: dict[str, Any]
    canonical_json: str
    digest: str
    diff: DefinitionDiff
    version: int | None = None


class FeatureRepository:
    """Entities, feature views and on-demand feature views, by name.

    Entities a view names by object and views an on-demand view names by object are
    included without being listed.
    """

    def __init__(self, definitions: Iterable[Definition] = ()) -> None:
        self.definitions: tuple[Definition, ...] = tuple(collect_definitions(definitions))
        self.entities: dict[str, Entity] = {}
        self.views: dict[str, FeatureView] = {}
        self.on_demand_views: dict[str, OnDemandFeatureView] = {}
        for item in self.all_definitions():
            if isinstance(item, Entity):
                self.entities.setdefault(item.name, item)
            elif isinstance(item, FeatureView):
                self.views.setdefault(item.name, item)
            else:
                self.on_demand_views.setdefault(item.name, item)

    def all_definitions(self) -> list[Definition]:
        """The listed definitions plus the entities and views they refer to by object."""
        found: list[Definition] = []
        seen: set[int] = set()

        def add(item: Definition) -> None:
            if id(item) not in seen:
                seen.add(id(item))
                found.append(item)

        for item in self.definitions:
            add(item)
            if isinstance(item, OnDemandFeatureView):
                for source in item.sources:
                    if isinstance(source, FeatureView):
                        add(source)
        for item in list(found):
            if isinstance(item, FeatureView):
                for entity in item.entities:
                    if isinstance(entity, Entity):
                        add(entity)
        return found

    # -- lookups -------------------------------------------------------------------------------

    def entity(self, name: str) -> Entity:
        return _lookup(self.entities, name, "entity")

    def view(self, name: str) -> FeatureView:
        if name not in self.views and name in self.on_demand_views:
            raise UnknownFeatureError(
                f"'{name}' is an on-demand feature view; it has no stored rows",
                hint="ask for its features through get_historical_features or get_online_features",
            )
        return _lookup(self.views, name, "feature view")

    def on_demand_view(self, name: str) -> OnDemandFeatureView:
        return _lookup(self.on_demand_views, name, "on-demand feature view")

    def view_names(self) -> list[str]:
        """Every feature view and on-demand feature view name, sorted."""
        return sorted({*self.views, *self.on_demand_views})

    def join_keys(self, view: FeatureView | str) -> tuple[str, ...]:
        """The join key columns of a view: its entities' keys, in order."""
        found = self.view(view) if isinstance(view, str) else view
        keys: list[str] = []
        for name in found.entity_names:
            for key in self.entity(name).join_keys:
                if key not in keys:
                    keys.append(key)
        return tuple(keys)

    # -- apply ---------------------------------------------------------------------------------

    def check(self) -> None:
        """Raise FeatureDefinitionError listing every problem, or return if there is none."""
        problems = check_definitions(self)
        if problems:
            raise FeatureDefinitionError(problems, hint="fix the definitions in features.py and apply again")

    def apply(self, previous: Mapping[str, Any] | None = None) -> AppliedDefinitions:
        """Check the definitions; describe them canonically and diff against ``previous``."""
        self.check()
        description = describe_definitions(self)
        text = canonical_json(description)
        return AppliedDefinitions(
            description=description,
            canonical_json=text,
            digest=description_digest(text),
            diff=diff_descriptions(previous, description),
        )


def load_repository(path: str | Path) -> FeatureRepository:
    """Import a ``features.py`` file and collect the definitions at its top level."""
    file = Path(path)
    if not file.is_file():
        raise SourceError(
            f"the feature definitions file {file} does not exist", hint="create features.py in the workspace"
        )
    module_name = f"loopline_user_features_{abs(hash(str(file.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:
        raise SourceError(f"cannot import {file} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(module_name, None)
        raise SourceError(f"importing {file} raised {type(exc).__name__}: {exc}") from exc
    return FeatureRepository(vars(module).values())


def _lookup(table: Mapping[str, Any], name: str, kind: str) -> Any:
    try:
        return table[name]
    except KeyError:
        hint = did_you_mean(name, table) or (
            f"defined: {', '.join(sorted(table))}" if table else f"no {kind} is defined"
        )
        raise UnknownFeatureError(f"no {kind} named '{name}'", hint=hint) from None


__all__ = ["AppliedDefinitions", "FeatureRepository", "load_repository"]
