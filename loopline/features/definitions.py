"""What a user writes in ``features.py``: entities, features, feature views, request fields and
on-demand feature views. Plain frozen values: constructing one reads no data; checks happen
when a repository is applied.

Constructors accept what is natural to write (lists, dtype names, a path or a DataFrame as
a source) and store normalised values (tuples, ``ValueType``, ``Source``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pandas as pd

from loopline.errors import InvalidInputError
from loopline.features.dtypes import ValueType
from loopline.features.sources import Source, as_source

Transformation = Callable[[pd.DataFrame], pd.DataFrame]


def _set(instance: object, **values: Any) -> None:
    for name, value in values.items():
        object.__setattr__(instance, name, value)


@dataclass(frozen=True, slots=True, init=False)
class Entity:
    """A thing features describe (a station, a city), identified by its join key columns."""

    name: str
    join_keys: tuple[str, ...]
    description: str

    def __init__(self, name: str, join_keys: Sequence[str] | str = (), *, description: str = "") -> None:
        keys = (join_keys,) if isinstance(join_keys, str) else tuple(join_keys)
        _set(self, name=name, join_keys=keys, description=description)


@dataclass(frozen=True, slots=True, init=False)
class Feature:
    """A named, typed value of a feature view (``Feature("temp", "float64")``)."""

    name: str
    dtype: ValueType

    def __init__(self, name: str, dtype: ValueType | str) -> None:
        _set(self, name=name, dtype=ValueType.parse(dtype))


@dataclass(frozen=True, slots=True, init=False)
class RequestField:
    """A value the caller sends with each request (offline: a column of the entity frame)."""

    name: str
    dtype: ValueType

    def __init__(self, name: str, dtype: ValueType | str) -> None:
        _set(self, name=name, dtype=ValueType.parse(dtype))


@dataclass(frozen=True, init=False)
class FeatureView:
    """Features of one or more entities, read from a source and stamped with an event time.

    ``source`` is a Parquet/CSV path (or a folder of Parquet files), a DataFrame, a DuckDB
    query, or a ``Source``. ``ttl`` bounds how old a value may be: a value older than
    ``ttl`` at the time asked for is returned as null. ``transformation`` (DataFrame ->
    DataFrame) runs over the source rows before anything else, the same way for training
    sets and materialization. When ``created_timestamp_field`` is set it breaks ties
    between rows with the same entity and event time: the row created last wins.
    """

    name: str
    entities: tuple[Entity | str, ...]
    source: Source
    features: tuple[Feature, ...]
    timestamp_field: str
    created_timestamp_field: str | None
    ttl: timedelta | None
    transformation: Transformation | None
    description: str

    def __init__(
        self,
        name: str,
        *,
        entities: Sequence[Entity | str] | Entity | str,
        source: Source | pd.DataFrame | str | Any,
        features: Sequence[Feature],
        timestamp_field: str = "event_ts",
        created_timestamp_field: str | None = None,
        ttl: timedelta | None = None,
        transformation: Transformation | None = None,
        description: str = "",
    ) -> None:
        if ttl is not None and not isinstance(ttl, timedelta):
            raise InvalidInputError(
                f"feature view '{name}': ttl must be a datetime.timedelta or None; got {ttl!r}",
                hint="write ttl=timedelta(days=1)",
            )
        _set(
            self,
            name=name,
            entities=(entities,) if isinstance(entities, (Entity, str)) else tuple(entities),
            source=as_source(source),
            features=tuple(_as_feature(f, name) for f in features),
            timestamp_field=timestamp_field,
            created_timestamp_field=created_timestamp_field,
            ttl=ttl,
            transformation=transformation,
            description=description,
        )

    @property
    def entity_names(self) -> tuple[str, ...]:
        return tuple(e.name if isinstance(e, Entity) else str(e) for e in self.entities)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    def feature(self, name: str) -> Feature | None:
        return next((f for f in self.features if f.name == name), None)


@dataclass(frozen=True, init=False)
class OnDemandFeatureView:
    """Features computed at request time from request fields and stored features.

    ``function`` takes a DataFrame whose columns are the request fields and the features of
    every source view (by their plain names) and returns a DataFrame with the ``features``
    columns, one row per input row. The same function runs for training sets and online.
    """

    name: str
    sources: tuple[FeatureView | RequestField | str, ...]
    function: Transformation
    features: tuple[Feature, ...]
    description: str

    def __init__(
        self,
        name: str,
        *,
        sources: Sequence[FeatureView | RequestField | str],
        function: Transformation,
        features: Sequence[Feature],
        description: str = "",
    ) -> None:
        _set(
            self,
            name=name,
            sources=tuple(sources),
            function=function,
            features=tuple(_as_feature(f, name) for f in features),
            description=description,
        )

    @property
    def view_sources(self) -> tuple[str, ...]:
        """Names of the feature views this view reads."""
        return tuple(
            s.name if isinstance(s, FeatureView) else s for s in self.sources if isinstance(s, (FeatureView, str))
        )

    @property
    def request_fields(self) -> tuple[RequestField, ...]:
        return tuple(s for s in self.sources if isinstance(s, RequestField))

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    def feature(self, name: str) -> Feature | None:
        return next((f for f in self.features if f.name == name), None)


Definition = Entity | FeatureView | OnDemandFeatureView


def _as_feature(value: Any, owner: str) -> Feature:
    if isinstance(value, Feature):
        return value
    if isinstance(value, tuple) and len(value) == 2:
        return Feature(*value)
    raise InvalidInputError(
        f"view '{owner}': features must be Feature(name, dtype) values; got {value!r}",
        hint="write features=[Feature('temp', 'float64'), ...]",
    )


def collect_definitions(values: Iterable[Any]) -> list[Definition]:
    """The entities and views among ``values`` (e.g. a module's attributes), in order."""
    return [v for v in values if isinstance(v, (Entity, FeatureView, OnDemandFeatureView))]


__all__ = [
    "Definition",
    "Entity",
    "Feature",
    "FeatureView",
    "OnDemandFeatureView",
    "RequestField",
    "Transformation",
    "collect_definitions",
]
