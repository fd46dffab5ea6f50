"""A workspace run reads each input through a dataset version: its input events point at that
version, so the run can be reproduced from exactly the data it saw."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from loopline.workspace import Workspace

TOML = """
[datasets.rides]
path = "data/rides.csv"
"""

PIPELINES = '''
from loopline import Pipeline, step


def total(rides):
    return {"total": int(rides["n"].sum())}


summary = Pipeline([step(total, outputs="summary")], name="summary", inputs=["rides"])
'''


def input_artifact(workspace: Workspace, run_id: int) -> int:
    (execution,) = workspace.metadata.runs.executions(run_id)
    (event,) = [e for e in workspace.metadata.executions.events(execution.id) if e.kind.value == "input"]
    return event.artifact_id


def test_run_inputs_point_at_the_dataset_version_they_read(make_workspace: Callable[..., Workspace]) -> None:
    workspace = make_workspace(TOML, PIPELINES)
    original = pd.DataFrame({"station": [1, 2], "n": [5, 7]})
    original.to_csv(workspace.root / "data" / "rides.csv", index=False)

    first = workspace.run("summary")
    cached = workspace.run("summary")
    (v1,) = workspace.catalog.versions("rides")
    assert input_artifact(workspace, first.run.id) in v1.artifact_ids
    assert input_artifact(workspace, cached.run.id) in v1.artifact_ids

    pd.DataFrame({"station": [1, 2], "n": [5, 9]}).to_csv(workspace.root / "data" / "rides.csv", index=False)
    second = workspace.run("summary")
    v1_again, v2 = workspace.catalog.versions("rides")
    assert v1_again == v1
    assert input_artifact(workspace, second.run.id) in v2.artifact_ids
    assert workspace.artifacts.get_bytes(second.outputs["summary"].uri) == b'{"total":14}'

    # The first run's data is still there, byte for byte, after its file changed.
    pd.testing.assert_frame_equal(workspace.catalog.load("rides", version=1), original)
    assert len(workspace.metadata.artifacts.list(name="rides", type="Dataset", limit=100)) == 2
