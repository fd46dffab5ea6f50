from pathlib import Path

import pandas as pd
from pipeline_helpers import Stores, states

from loopline.pipelines import Pipeline, StepCached, step
from loopline.pipelines.cache import cache_key
from loopline.pipelines.fingerprint import code_fingerprint

CALLS: dict[str, int] = {}


def _count(name: str) -> None:
    CALLS[name] = CALLS.get(name, 0) + 1


def prepare(raw: pd.DataFrame) -> pd.DataFrame:
    _count("prepare")
    return raw.assign(y=raw["x"] * 2)


def train_v1(clean: pd.DataFrame, *, scale: float = 1.0) -> float:
    _count("train")
    return float(clean["y"].sum() * scale)


def train_v2(clean: pd.DataFrame, *, scale: float = 1.0) -> float:
    _count("train")
    return float(clean["y"].sum() * scale) + 1


def evaluate(model: float, clean: pd.DataFrame) -> dict:
    _count("evaluate")
    return {"score": model / len(clean)}


def profile(clean: pd.DataFrame) -> int:
    _count("profile")
    return len(clean)


def build(train_function=train_v1) -> Pipeline:
    return Pipeline(
        [
            step(prepare, outputs="clean"),
            step(train_function, outputs="model", name="train"),
            step(evaluate, outputs="metrics"),
            step(profile, outputs="rows"),
        ],
        name="cached",
        inputs=["raw"],
    )


RAW = pd.DataFrame({"x": [1, 2, 3]})


def test_a_second_run_is_fully_cached_and_calls_nothing(stores: Stores) -> None:
    CALLS.clear()
    first = stores.run(build(), inputs={"raw": RAW})
    assert states(first) == {"prepare": "ran", "train": "ran", "evaluate": "ran", "profile": "ran"}
    events: list = []
    second = stores.run(build(), inputs={"raw": RAW.copy()}, on_event=events.append)
    assert set(states(second).values()) == {"cached"}
    assert CALLS == {"prepare": 1, "train": 1, "evaluate": 1, "profile": 1}
    assert [e.step for e in events if isinstance(e, StepCached)] == ["prepare", "train", "evaluate", "profile"]
    assert second.outputs["metrics"].id == first.outputs["metrics"].id
    cached = stores.metadata.executions.get(second.steps["train"].execution_id)
    assert cached.cached_from == first.steps["train"].execution_id
    assert second.load("metrics", stores.artifacts) == {"score": 4.0}


def test_changing_one_steps_code_reruns_it_and_what_depends_on_it(stores: Stores) -> None:
    stores.run(build(train_v1), inputs={"raw": RAW})
    result = stores.run(build(train_v2), inputs={"raw": RAW})
    assert states(result) == {"prepare": "cached", "train": "ran", "evaluate": "ran", "profile": "cached"}


def test_changing_a_parameter_reruns_only_the_steps_it_reaches(stores: Stores) -> None:
    stores.run(build(), inputs={"raw": RAW})
    result = stores.run(build(), inputs={"raw": RAW}, params={"train.scale": 2.0})
    assert states(result) == {"prepare": "cached", "train": "ran", "evaluate": "ran", "profile": "cached"}
    again = stores.run(build(), inputs={"raw": RAW}, params={"scale": 2.0})
    assert set(states(again).values()) == {"cached"}


def test_an_output_whose_content_is_unchanged_stops_reruns_from_spreading(stores: Stores) -> None:
    def summarize(clean: pd.DataFrame) -> float:
        return float(clean["y"].sum())

    def report(total: float) -> str:
        return f"total {total}"

    pipeline = Pipeline(
        [step(prepare, outputs="clean"), step(summarize, outputs="total"), step(report, outputs="text")],
        name="spread",
        inputs=["raw"],
    )
    stores.run(pipeline, inputs={"raw": RAW})
    result = stores.run(pipeline, inputs={"raw": pd.DataFrame({"x": [3, 2, 1]})})
    assert states(result) == {"prepare": "ran", "summarize": "ran", "report": "cached"}


def test_use_cache_false_runs_everything_and_later_runs_reuse_the_newest(stores: Stores) -> None:
    CALLS.clear()
    stores.run(build(), inputs={"raw": RAW})
    forced = stores.run(build(), inputs={"raw": RAW}, use_cache=False)
    assert set(states(forced).values()) == {"ran"}
    assert CALLS["train"] == 2
    cached = stores.run(build(), inputs={"raw": RAW})
    assert (
        stores.metadata.executions.get(cached.steps["train"].execution_id).cached_from
        == forced.steps["train"].execution_id
    )


def test_a_deleted_output_object_makes_the_step_run_again(stores: Stores, tmp_path: Path) -> None:
    first = stores.run(build(), inputs={"raw": RAW})
    digest = first.outputs["rows"].digest
    (tmp_path / "artifacts" / "objects" / digest[:2] / digest[2:]).unlink()
    result = stores.run(build(), inputs={"raw": RAW})
    assert states(result)["profile"] == "ran"
    assert states(result)["train"] == "cached"
    assert stores.artifacts.exists(first.outputs["rows"].uri)


def test_the_cache_key_covers_code_params_inputs_and_outputs() -> None:
    base = step(train_v1, outputs="model", name="train")
    code = code_fingerprint(train_v1)
    key = cache_key(base, code=code, params={"scale": 1.0}, input_digests={"clean": "a" * 64})
    assert key == cache_key(base, code=code, params={"scale": 1.0}, input_digests={"clean": "a" * 64})
    assert key != cache_key(
        base, code=code_fingerprint(train_v2), params={"scale": 1.0}, input_digests={"clean": "a" * 64}
    )
    assert key != cache_key(base, code=code, params={"scale": 2.0}, input_digests={"clean": "a" * 64})
    assert key != cache_key(base, code=code, params={"scale": 1.0}, input_digests={"clean": "b" * 64})
    renamed = step(train_v1, outputs="weights", name="train")
    assert key != cache_key(renamed, code=code, params={"scale": 1.0}, input_digests={"clean": "a" * 64})


def test_fingerprints_without_source_still_follow_the_code() -> None:
    namespace: dict = {}
    exec("def f(x):\n    return x + 1\n", namespace)
    exec("def g(x):\n    return x + 2\n", namespace)
    exec("def h(x):\n    return x + 1\n", namespace)
    f, g, h = namespace["f"], namespace["g"], namespace["h"]
    assert code_fingerprint(f) != code_fingerprint(g)
    assert code_fingerprint(f) == code_fingerprint(h)

    def scaled(factor):
        def apply(x):
            return x * factor

        return apply

    assert code_fingerprint(scaled(2)) != code_fingerprint(scaled(3))
