"""``FeatureStore``: the definitions, an online store and (optionally) a history, tied together.

A thin delegation: each method calls one function of ``offline``, ``materialize`` or
``lookup``. Opening connects the online store; nothing happens in the constructor.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Self

import pandas as pd

from loopline.features.errors import OnlineStoreError
from loopline.features.history import FeatureHistory
from loopline.features.lookup import OnlineLookup, OnlineResult
from loopline.features.materialize import (
    Materialization,
    materialize,
    materialize_incremental,
    read_watermark,
    rebuild,
)
from loopline.features.offline import get_features_in_range, get_historical_features
from loopline.features.online.base import OnlineStore
from loopline.features.online.registry import online_store_for
from loopline.features.repository import AppliedDefinitions, FeatureRepository


class FeatureStore:
    """Training sets, materialization and online lookups for one repository of definitions.

    ``online`` is a URL (``sqlite:///features.db``, ``redis://host:6379/0?prefix=app``) or an
    online store object. With a ``history``, ``apply`` stores definition versions and every
    materialization is recorded in the metadata store.
    """

    def __init__(
        self, repository: FeatureRepository, online: str | OnlineStore, *, history: FeatureHistory | None = None
    ) -> None:
        self.repository = repository
        self.online_url = online if isinstance(online, str) else online.url
        self.history = history
        self._given_store = None if isinstance(online, str) else online
        self._online: OnlineStore | None = None
        self._lookup: OnlineLookup | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def open(self) -> Self:
        if self._online is None:
            store = self._given_store or online_store_for(self.online_url)
            self._online = store.open()
            self._lookup = OnlineLookup(self.repository, self._online)
        return self

    def close(self) -> None:
        if self._online is not None:
            self._online.close()
        self._online = None
        self._lookup = None

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def online(self) -> OnlineStore:
        if self._online is None:
            raise OnlineStoreError(f"the feature store ({self.online_url}) is not open", hint="call store.open() first")
        return self._online

    # -- definitions ---------------------------------------------------------------------------

    def apply(self) -> AppliedDefinitions:
        """Check the definitions, drop online values of removed or changed views, store the version.

        Without a history there is no previous version to compare with: every view counts
        as added and no online values are dropped (values packed under an older layout of
        a view are still refused at lookup).
        """
        previous = None
        if self.history is not None:
            latest = self.history.latest_definitions()
            previous = self.history.load_definitions(latest) if latest is not None else None
        applied = self.repository.apply(previous)
        stale = [*applied.diff.names("removed", "feature view"), *applied.diff.names("changed", "feature view")]
        self.online.update(keep=sorted(self.repository.views), delete=stale)
        if self.history is None:
            return applied
        return dataclasses.replace(applied, version=self.history.save_definitions(applied).version)

    # -- offline -------------------------------------------------------------------------------

    def get_historical_features(
        self,
        entity_df: pd.DataFrame,
        features: Sequence[str],
        *,
        timestamp_column: str = "event_ts",
        full_feature_names: bool = False,
    ) -> pd.DataFrame:
        return get_historical_features(
            self.repository,
            entity_df,
            features,
            timestamp_column=timestamp_column,
            full_feature_names=full_feature_names,
        )

    def get_features_in_range(
        self,
        view: str,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        *,
        latest_only: bool = False,
    ) -> pd.DataFrame:
        return get_features_in_range(self.repository, view, start, end, latest_only=latest_only)

    # -- materialization -----------------------------------------------------------------------

    def materialize(
        self, views: Sequence[str] | None, start: datetime | str | None, end: datetime | str
    ) -> list[Materialization]:
        return materialize(self.repository, self.online, views, start, end, recorder=self.history)

    def materialize_incremental(
        self, views: Sequence[str] | None = None, end: datetime | str | None = None
    ) -> list[Materialization]:
        return materialize_incremental(self.repository, self.online, views, end, recorder=self.history)

    def rebuild(self, *, end: datetime | str | None = None) -> list[Materialization]:
        return rebuild(self.repository, self.online, end=end, recorder=self.history)

    def watermark(self, view: str) -> datetime | None:
        return read_watermark(self.online, self.repository.view(view).name)

    # -- online --------------------------------------------------------------------------------

    def get_online_features(
        self,
        features: Sequence[str],
        entity_rows: Sequence[Mapping[str, Any]],
        *,
        at: datetime | str | None = None,
        full_feature_names: bool = False,
    ) -> OnlineResult:
        if self._lookup is None:
            raise OnlineStoreError(f"the feature store ({self.online_url}) is not open", hint="call store.open() first")
        return self._lookup.get_online_features(features, entity_rows, at=at, full_feature_names=full_feature_names)

    def __repr__(self) -> str:
        return f"FeatureStore({len(self.repository.views)} views, online={self.online_url!r})"


__all__ = ["FeatureStore"]
