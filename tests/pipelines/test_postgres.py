"""Pipelines with the metadata store on PostgreSQL (skipped unless LOOPLINE_TEST_POSTGRES_URL is set)."""

import pytest
from pipeline_helpers import Stores, states

from loopline.pipelines import Pipeline, log_metric, step
from loopline.pipelines.runners.local import LocalRunner

pytestmark = pytest.mark.postgres


def prepare(raw: list) -> list:
    return sorted(raw)


def left(clean: list) -> int:
    log_metric("n", len(clean))
    return clean[0]


def right(clean: list) -> int:
    return clean[-1]


def total(left: int, right: int) -> int:
    return left + right


PIPELINE = Pipeline(
    [
        step(prepare, outputs="clean"),
        step(left, outputs="left"),
        step(right, outputs="right"),
        step(total, outputs="total"),
    ],
    name="pg",
    inputs=["raw"],
)


def test_a_parallel_run_then_a_cached_run_on_postgresql(postgres_stores: Stores) -> None:
    first = postgres_stores.run(PIPELINE, inputs={"raw": [3, 1, 2]}, runner=LocalRunner(parallel=True, max_workers=2))
    assert set(states(first).values()) == {"ran"}, first.error
    assert first.load("total", postgres_stores.artifacts) == 4
    second = postgres_stores.run(PIPELINE, inputs={"raw": [3, 1, 2]})
    assert set(states(second).values()) == {"cached"}
