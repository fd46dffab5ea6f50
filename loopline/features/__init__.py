"""The feature store: definitions, point-in-time training sets, materialization and online lookups."""

from loopline.features.definitions import Entity, Feature, FeatureView, OnDemandFeatureView, RequestField
from loopline.features.diff import DefinitionChange, DefinitionDiff
from loopline.features.dtypes import ValueType
from loopline.features.errors import (
    FeatureDefinitionError,
    OnlineStoreError,
    RetrievalError,
    SourceError,
    UnknownFeatureError,
)
from loopline.features.history import DefinitionVersion, FeatureHistory
from loopline.features.lookup import OnlineLookup, OnlineResult
from loopline.features.materialize import Materialization, materialize, materialize_incremental, rebuild
from loopline.features.offline import get_features_in_range, get_historical_features
from loopline.features.online import OnlineRow, OnlineStore, online_store_for, register_online_store
from loopline.features.plan import FeatureRef
from loopline.features.repository import AppliedDefinitions, FeatureRepository, load_repository
from loopline.features.service import FeatureStore
from loopline.features.sources import FileSource, FrameSource, SqlSource

__all__ = [
    "AppliedDefinitions",
    "DefinitionChange",
    "DefinitionDiff",
    "DefinitionVersion",
    "Entity",
    "Feature",
    "FeatureDefinitionError",
    "FeatureHistory",
    "FeatureRef",
    "FeatureRepository",
    "FeatureStore",
    "FeatureView",
    "FileSource",
    "FrameSource",
    "Materialization",
    "OnDemandFeatureView",
    "OnlineLookup",
    "OnlineResult",
    "OnlineRow",
    "OnlineStore",
    "OnlineStoreError",
    "RequestField",
    "RetrievalError",
    "SourceError",
    "SqlSource",
    "UnknownFeatureError",
    "ValueType",
    "get_features_in_range",
    "get_historical_features",
    "load_repository",
    "materialize",
    "materialize_incremental",
    "online_store_for",
    "rebuild",
    "register_online_store",
]
