"""Which views to read for a list of feature references, shared by offline and online retrieval.

A reference is ``"view:feature"``, ``"view:*"`` (every feature of the view) or a bare
``"feature"`` when exactly one view has a feature of that name. Asking for an on-demand
feature reads every feature of the views it is computed from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from loopline.errors import did_you_mean
from loopline.features.definitions import Feature, FeatureView, OnDemandFeatureView, RequestField
from loopline.features.dtypes import ValueType
from loopline.features.errors import RetrievalError, UnknownFeatureError
from loopline.features.repository import FeatureRepository


@dataclass(frozen=True, slots=True)
class FeatureRef:
    """A feature of a view: ``FeatureRef("weather", "temp")`` is ``"weather:temp"``."""

    view: str
    feature: str

    def __str__(self) -> str:
        return f"{self.view}:{self.feature}"


@dataclass(frozen=True, slots=True)
class OutputColumn:
    """A requested feature and the column it becomes in the result."""

    ref: FeatureRef
    name: str
    dtype: ValueType


@dataclass(frozen=True)
class ViewRequest:
    """A stored view to read, with the features needed from it."""

    view: FeatureView
    join_keys: tuple[str, ...]
    features: tuple[Feature, ...]


@dataclass(frozen=True)
class OnDemandRequest:
    """An on-demand view to compute, with the inputs it is given and the outputs wanted."""

    view: OnDemandFeatureView
    inputs: tuple[tuple[str, Feature], ...]  # (stored view, feature) pairs passed to the function
    outputs: tuple[Feature, ...]


@dataclass(frozen=True)
class RetrievalPlan:
    outputs: tuple[OutputColumn, ...]
    views: tuple[ViewRequest, ...]
    on_demand: tuple[OnDemandRequest, ...]

    @property
    def entity_keys(self) -> tuple[str, ...]:
        """Every join key column the entity rows must carry."""
        keys: list[str] = []
        for request in self.views:
            keys += [k for k in request.join_keys if k not in keys]
        return tuple(keys)

    @property
    def request_fields(self) -> tuple[RequestField, ...]:
        found: dict[str, RequestField] = {}
        for request in self.on_demand:
            for field in request.view.request_fields:
                found.setdefault(field.name, field)
        return tuple(found.values())


def parse_ref(repo: FeatureRepository, text: str) -> list[FeatureRef]:
    """The references ``text`` stands for (several for ``view:*``)."""
    if not isinstance(text, str) or not text:
        raise RetrievalError(f"a feature reference must be a non-empty 'view:feature' string; got {text!r}")
    if ":" not in text:
        return [_find_unqualified(repo, text)]
    view_name, _, feature = text.partition(":")
    names = _feature_names(repo, view_name)
    if feature == "*":
        return [FeatureRef(view_name, f) for f in names]
    if feature not in names:
        hint = did_you_mean(feature, names) or f"'{view_name}' has {', '.join(names)}"
        raise UnknownFeatureError(f"feature view '{view_name}' has no feature '{feature}'", hint=hint)
    return [FeatureRef(view_name, feature)]


def plan_retrieval(
    repo: FeatureRepository, features: Sequence[str], *, full_feature_names: bool = False
) -> RetrievalPlan:
    """What to read and compute to answer ``features``."""
    if isinstance(features, str) or not features:
        raise RetrievalError(
            f"features must be a non-empty list of 'view:feature' references; got {features!r}",
            hint='write features=["weather:temp", "demand:cnt_lag_24h"]',
        )
    refs: list[FeatureRef] = []
    for text in features:
        refs += [r for r in parse_ref(repo, text) if r not in refs]
    outputs = _outputs(repo, refs, full_feature_names)
    needed: dict[str, list[str]] = {}
    on_demand: list[OnDemandRequest] = []
    for view_name in dict.fromkeys(r.view for r in refs):
        wanted = [r.feature for r in refs if r.view == view_name]
        if view_name in repo.views:
            _need(needed, view_name, wanted)
            continue
        odfv = repo.on_demand_view(view_name)
        inputs = []
        for source in odfv.view_sources:
            source_view = repo.view(source)
            _need(needed, source, source_view.feature_names)
            inputs += [(source, f) for f in source_view.features]
        outputs_wanted = tuple(f for f in odfv.features if f.name in wanted)
        on_demand.append(OnDemandRequest(odfv, tuple(inputs), outputs_wanted))
    views = tuple(
        ViewRequest(
            repo.view(name), repo.join_keys(name), tuple(f for f in repo.view(name).features if f.name in names)
        )
        for name, names in needed.items()
    )
    return RetrievalPlan(outputs, views, tuple(on_demand))


def _need(needed: dict[str, list[str]], view: str, names: Sequence[str]) -> None:
    found = needed.setdefault(view, [])
    found += [n for n in names if n not in found]


def _outputs(repo: FeatureRepository, refs: list[FeatureRef], full: bool) -> tuple[OutputColumn, ...]:
    columns = []
    for ref in refs:
        name = f"{ref.view}__{ref.feature}" if full else ref.feature
        view = repo.views.get(ref.view) or repo.on_demand_views[ref.view]
        feature = view.feature(ref.feature)
        assert feature is not None  # parse_ref checked it
        columns.append(OutputColumn(ref, name, feature.dtype))
    seen: dict[str, FeatureRef] = {}
    for column in columns:
        if column.name in seen:
            raise RetrievalError(
                f"the features '{seen[column.name]}' and '{column.ref}' would both be the column '{column.name}'",
                hint="pass full_feature_names=True to name columns 'view__feature'",
            )
        seen[column.name] = column.ref
    return tuple(columns)


def _feature_names(repo: FeatureRepository, view_name: str) -> tuple[str, ...]:
    if view_name in repo.views:
        return repo.views[view_name].feature_names
    if view_name in repo.on_demand_views:
        return repo.on_demand_views[view_name].feature_names
    hint = did_you_mean(view_name, repo.view_names()) or f"defined views: {', '.join(repo.view_names()) or 'none'}"
    raise UnknownFeatureError(f"no feature view named '{view_name}'", hint=hint)


def _find_unqualified(repo: FeatureRepository, feature: str) -> FeatureRef:
    views: dict[str, FeatureView | OnDemandFeatureView] = {**repo.views, **repo.on_demand_views}
    owners = [name for name, view in sorted(views.items()) if feature in view.feature_names]
    if len(owners) == 1:
        return FeatureRef(owners[0], feature)
    if owners:
        raise RetrievalError(
            f"the feature '{feature}' is defined in several views",
            hint="write one of " + ", ".join(f"'{o}:{feature}'" for o in owners),
        )
    every = [f"{name}:{f}" for name, view in views.items() for f in view.feature_names]
    hint = did_you_mean(feature, [r.split(":")[1] for r in every]) or "write references as 'view:feature'"
    raise UnknownFeatureError(f"no view has a feature named '{feature}'", hint=hint)


__all__ = [
    "FeatureRef",
    "OnDemandRequest",
    "OutputColumn",
    "RetrievalPlan",
    "ViewRequest",
    "parse_ref",
    "plan_retrieval",
]
