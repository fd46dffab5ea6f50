"""Fixtures of the evaluation tests: fitted models on the bike data and on a small classification set."""

from __future__ import annotations

import pandas as pd
import pytest
from evaluation_helpers import FEATURES, TARGET


@pytest.fixture(scope="session", autouse=True)
def _one_thread(single_thread_pools: None) -> None:
    """Every test here runs with native thread pools at one thread."""


@pytest.fixture(scope="session")
def bikes_split(bikes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    return bikes.iloc[:2000].reset_index(drop=True), bikes.iloc[2000:2600].reset_index(drop=True)


@pytest.fixture(scope="session")
def bike_model(bikes_split):  # type: ignore[no-untyped-def]
    from sklearn.ensemble import HistGradientBoostingRegressor

    train, _ = bikes_split
    return HistGradientBoostingRegressor(max_iter=30, random_state=0).fit(train[FEATURES], train[TARGET])


@pytest.fixture(scope="session")
def classified() -> tuple[pd.DataFrame, object]:
    """A binary problem: a frame with a ``group`` slice column and a fitted logistic regression."""
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    x, y = make_classification(n_samples=600, n_features=4, n_informative=3, n_redundant=0, random_state=0)
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"]).assign(label=y, group=[i % 3 for i in range(600)])
    model = LogisticRegression().fit(frame[["a", "b", "c", "d"]].iloc[:400], frame["label"].iloc[:400])
    return frame.iloc[400:].reset_index(drop=True), model
