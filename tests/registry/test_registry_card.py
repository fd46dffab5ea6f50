import json
from pathlib import Path

import pytest
from registry_helpers import Setup, open_setup, train

from loopline.artifacts import store_value
from loopline.config import ScopingSection
from loopline.metadata import Artifact, NewArtifact
from loopline.pipelines import Pipeline, run_pipeline, step
from loopline.registry import Registry

EVALUATION = {
    "task": "regression", "target": "cnt", "rows": 336, "model": "candidate",
    "metrics": {"mae": 41.5, "rmse": 63.25},
    "slices": [
        {"column": "season", "value": "1", "rows": 200, "metrics": {"mae": 35.0, "rmse": 50.0}},
        {"column": "season", "value": "2", "rows": 136, "metrics": {"mae": 50.5, "rmse": 80.1}},
    ],
    "plots": {},
}


def _record_json(setup: Setup, kind: str, content: dict, properties: dict) -> Artifact:
    stored = store_value(setup.artifacts, content)
    return setup.metadata.artifacts.record(NewArtifact(kind.lower(), kind, stored.uri, stored.digest, stored.size,
                                                       "json", properties))


def _blessing(setup: Setup, candidate: int) -> Artifact:
    content = {
        "blessed": True, "candidate": candidate, "baseline": None, "baseline_ref": None,
        "summary": "2 of 2 rules passed",
        "candidate_metrics": EVALUATION["metrics"],
        "checks": [
            {"rule": "mae <= 60", "kind": "absolute", "metric": "mae", "limit": 60.0, "passed": True, "value": 41.5,
             "baseline": None, "change": None, "note": "", "details": []},
            {"rule": "mae worsens <= 10%", "kind": "change", "metric": "mae", "limit": 0.1, "passed": None,
             "value": 41.5, "baseline": None, "change": None, "note": "no baseline | first model", "details": []},
        ],
    }
    return _record_json(setup, "Blessing", content, {"blessed": True, "candidate": candidate, "baseline": None})


@step(outputs="baseline_evaluation", types={"baseline_evaluation": "Evaluation"})
def evaluate_baseline(model: Path) -> dict:
    return {**EVALUATION, "metrics": {"mae": 99.0, "rmse": 120.0}, "model": "production"}


@step(outputs="evaluation", types={"evaluation": "Evaluation"})
def evaluate(model: Path, baseline_evaluation: dict) -> dict:
    return EVALUATION


@pytest.fixture
def carded(sqlite_url: str, tmp_path: Path) -> Setup:
    opened = open_setup(sqlite_url, tmp_path / "artifacts")
    opened.registry.close()
    scoping = ScopingSection(intended_use="Plan bike redistribution a day ahead.", business_metric="empty-dock hours",
                             baseline=120.5, success_threshold="MAE < 60", limitations=["Trained on 2011 only."])
    opened.registry = Registry(opened.metadata, opened.artifacts, scoping=scoping).open()
    yield opened
    opened.close()


def test_the_card_gathers_what_the_stores_recorded(carded: Setup) -> None:
    registry = carded.registry
    result = run_pipeline(Pipeline([train, evaluate_baseline, evaluate], name="training"), metadata=carded.metadata,
                          artifacts=carded.artifacts)
    artifact = result.steps["train"].outputs["model"]
    _blessing(carded, artifact.id)
    registry.register("bikes", artifact.id, user="dev", description="Hourly demand | v1")
    registry.approve("bikes", 1, user="ann", comment="ok")
    registry.promote("bikes", 1, "production", user="dev", reason="first release")
    card = registry.card("bikes@production")
    assert card.evaluation is not None and card.evaluation["metrics"] == EVALUATION["metrics"]
    markdown = card.to_markdown()
    for expected in (
        "# Model card: bikes version 1", "Serving as: `production`", "## Intended use",
        "Plan bike redistribution a day ahead.", "| Business metric | empty-dock hours |", "| Baseline | 120.5 |",
        "| input | a | numeric | yes |  |", "| mae | 41.5 |", "| season | 2 | 136 | 50.5 | 80.1 |",
        "**Blessed**", "| mae worsens <= 10% | not applicable | 41.5 |  | 0.1 | no baseline \\| first model |",
        "| approved | ann | admin | any |", "| production | promote |  | 1 | dev |",
        "- Trained on 2011 only.", "- Blessed without a baseline model: only the absolute rules applied.",
        "- Evaluated on 336 rows only", f"Training run | run ",
    ):
        assert expected in markdown, expected
    html = card.to_html()
    assert html.startswith("<!doctype html>") and "<table>" in html and "<h2>Known limitations</h2>" in html
    assert "Hourly demand | v1" in markdown and "<script" not in html
    assert json.loads(json.dumps(card.to_dict(), default=str))["version"]["name"] == "bikes"


def test_a_card_says_what_is_missing(carded: Setup, tmp_path: Path) -> None:
    import pickle

    from registry_helpers import Doubler

    pickled = tmp_path / "m.pkl"
    pickled.write_bytes(pickle.dumps(Doubler()))
    carded.registry.import_model(pickled, name="outside", trust=True)
    markdown = carded.registry.card("outside").to_markdown()
    assert "Imported from outside Loopline" in markdown
    assert "No input signature is recorded" in markdown
    assert "_Not validated: no Blessing names this model as its candidate._" in markdown
    assert "Recorded by | import, audit event 1 |" in markdown
