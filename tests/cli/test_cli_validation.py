"""``loopline stats``, ``schema``, ``validate`` and ``drift`` as a user runs them (in this process, for speed)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loopline.cli import _output, main
from loopline.examples import write_workspace


@dataclass
class Result:
    code: int
    out: str
    err: str


Loopline = Callable[..., Result]


@pytest.fixture(scope="module")
def commands() -> None:
    """Register the commands once: ``run`` registers them on every call, which piles them up in one process."""
    main._register()


@pytest.fixture
def loopline(commands: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Loopline:
    monkeypatch.setattr(main, "_register", lambda: None)
    monkeypatch.delenv("LOOPLINE_WORKSPACE", raising=False)
    monkeypatch.setattr(_output.console, "width", 240)
    monkeypatch.setattr(_output.err_console, "width", 240)

    def call(*args: str, cwd: Path) -> Result:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        try:
            main.run(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return call


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Reference and current data (3 of 4 columns shifted), broken data, and unreadable files."""
    folder = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(7)
    n = 2000
    reference = pd.DataFrame({
        "age": rng.integers(18, 80, size=n), "income": rng.normal(50_000, 8_000, size=n),
        "city": rng.choice(["Lyon", "Paris", "Nice"], size=n), "churn": rng.integers(0, 2, size=n),
    })
    reference.to_csv(folder / "reference.csv", index=False)
    current = reference.assign(income=reference["income"] * 1.6, age=reference["age"] + 15,
                               city=rng.choice(["Lyon", "Paris", "Nice"], size=n, p=[0.8, 0.1, 0.1]))
    current.to_parquet(folder / "current.parquet")
    reference.drop(columns=["city"]).assign(age=reference["age"] * -1).to_csv(folder / "broken.csv", index=False)
    (folder / "malformed.csv").write_text('a,b\n1,2\n3\n4,5,6,7\n"open,1\n', encoding="utf-8")
    (folder / "empty.csv").write_bytes(b"")
    (folder / "garbage.csv").write_bytes(bytes(range(256)) * 8)
    (folder / "latin1.csv").write_bytes("name,n\ncafé,1\nnaïve,2\n".encode("latin-1"))
    return folder


def test_stats_prints_a_table_and_writes_json_and_html(loopline: Loopline, files: Path, tmp_path: Path) -> None:
    result = loopline("stats", str(files / "reference.csv"), "-o", str(tmp_path / "p.json"), "--html",
                      str(tmp_path / "p.html"), cwd=tmp_path)
    assert result.code == 0, result.err
    assert "2000 rows, 4 columns" in result.out and "income" in result.out and "Lyon" in result.out
    stored = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    assert stored["rows"] == 2000 and [c["name"] for c in stored["columns"]] == ["age", "income", "city", "churn"]
    assert "<svg" in (tmp_path / "p.html").read_text(encoding="utf-8")
    as_json = json.loads(loopline("stats", str(files / "reference.csv"), "--json", cwd=tmp_path).out)
    assert as_json["format"] == "loopline.profile" and as_json["rows"] == 2000


def test_infer_then_validate_passes_and_broken_data_exits_1(loopline: Loopline, files: Path, tmp_path: Path) -> None:
    inferred = loopline("schema", "infer", str(files / "reference.csv"), "--label", "churn", "-o", "schema.yaml",
                        cwd=tmp_path)
    assert inferred.code == 0, inferred.err
    assert "churn (label)" in inferred.out and "TRAINING" in inferred.out
    assert "label: churn" in (tmp_path / "schema.yaml").read_text(encoding="utf-8")

    passed = loopline("validate", str(files / "reference.csv"), "--schema", "schema.yaml", cwd=tmp_path)
    assert passed.code == 0 and "passed (0 errors" in passed.out

    failed = loopline("validate", str(files / "broken.csv"), "--schema", "schema.yaml", "--html", "report.html",
                      cwd=tmp_path)
    assert failed.code == 1
    assert "MISSING_COLUMN" in failed.out and "OUT_OF_RANGE" in failed.out and "failed (2 errors" in failed.out
    assert "Data validation report" in (tmp_path / "report.html").read_text(encoding="utf-8")

    as_json = loopline("validate", str(files / "broken.csv"), "--schema", "schema.yaml", "--json", cwd=tmp_path)
    document = json.loads(as_json.out)
    assert as_json.code == 1 and document["passed"] is False and document["environment"] == "TRAINING"
    codes = {(a["code"], a["column"], a["severity"]) for a in document["anomalies"]}
    assert {("MISSING_COLUMN", "city", "ERROR"), ("OUT_OF_RANGE", "age", "ERROR")} <= codes


def test_serving_data_without_the_label_passes_in_the_serving_environment(
    loopline: Loopline, files: Path, tmp_path: Path
) -> None:
    loopline("schema", "infer", str(files / "reference.csv"), "--label", "churn", "-o", "schema.yaml", cwd=tmp_path)
    pd.read_csv(files / "reference.csv").drop(columns=["churn"]).to_csv(tmp_path / "requests.csv", index=False)
    assert loopline("validate", "requests.csv", "-s", "schema.yaml", cwd=tmp_path).code == 1
    assert loopline("validate", "requests.csv", "-s", "schema.yaml", "-e", "serving", cwd=tmp_path).code == 0


@pytest.mark.parametrize(
    ("name", "message"),
    [("malformed.csv", "cannot read"), ("empty.csv", "is empty"), ("garbage.csv", "binary"),
     ("latin1.csv", "not UTF-8"), ("missing.csv", "neither a file nor a dataset")],
)
def test_unreadable_input_exits_2_with_one_error_and_writes_nothing(
    loopline: Loopline, files: Path, tmp_path: Path, name: str, message: str
) -> None:
    loopline("schema", "infer", str(files / "reference.csv"), "-o", "schema.yaml", cwd=tmp_path)
    for args in (["validate", str(files / name), "--schema", "schema.yaml", "--html", "out.html"],
                 ["stats", str(files / name), "-o", "out.json", "--html", "out.html"],
                 ["schema", "infer", str(files / name), "-o", "out.yaml"],
                 ["drift", str(files / "reference.csv"), str(files / name), "--html", "out.html"]):
        result = loopline(*args, cwd=tmp_path)
        assert result.code == 2, (args, result.err)
        assert result.err.startswith("error: ") and message in result.err and "Traceback" not in result.err
        assert result.out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schema.yaml"]


def test_an_unreadable_schema_exits_2(loopline: Loopline, files: Path, tmp_path: Path) -> None:
    (tmp_path / "schema.yaml").write_text("columns:\n  age: {type: numeric, mni: 3}\n", encoding="utf-8")
    result = loopline("validate", str(files / "reference.csv"), "--schema", "schema.yaml", cwd=tmp_path)
    assert result.code == 2 and "unknown key 'mni'" in result.err and "did you mean 'min'?" in result.err
    missing = loopline("validate", str(files / "reference.csv"), "--schema", "nope.yaml", cwd=tmp_path)
    assert missing.code == 2 and "the schema file nope.yaml does not exist" in missing.err


def test_drift_between_files_and_against_a_stored_profile(loopline: Loopline, files: Path, tmp_path: Path) -> None:
    reference, current = str(files / "reference.csv"), str(files / "current.parquet")
    table = loopline("drift", reference, current, "--html", "drift.html", cwd=tmp_path)
    assert table.code == 0, table.err
    assert "dataset drift: yes (3 of 4 columns drifted" in table.out and "Wasserstein" in table.out
    assert "Data drift report" in (tmp_path / "drift.html").read_text(encoding="utf-8")

    loopline("stats", reference, "-o", "reference.json", cwd=tmp_path)
    from_profile = json.loads(loopline("drift", "reference.json", current, "--json", cwd=tmp_path).out)
    from_data = json.loads(loopline("drift", reference, current, "--json", cwd=tmp_path).out)
    assert from_profile["drifted_columns"] == from_data["drifted_columns"] == ["age", "income", "city"]

    assert loopline("drift", reference, current, "--fail-on-drift", cwd=tmp_path).code == 1
    assert loopline("drift", reference, reference, "--fail-on-drift", cwd=tmp_path).code == 0
    chosen = json.loads(loopline("drift", reference, current, "--numeric-measure", "psi", "--threshold", "0.25",
                                 "--json", cwd=tmp_path).out)
    income = next(c for c in chosen["columns"] if c["column"] == "income")
    assert (income["measure"], income["threshold"]) == ("psi", 0.25)
    alone = loopline("drift", reference, current, "--threshold", "0.25", cwd=tmp_path)
    assert alone.code == 1 and "--threshold applies to the measure chosen" in alone.err


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_workspace(tmp_path_factory.mktemp("ws") / "bikes", example="bikes")


def test_catalog_datasets_saved_schemas_and_statistics_artifacts(loopline: Loopline, workspace: Path) -> None:
    from loopline.pipelines import Pipeline, run_pipeline, step
    from loopline.validation.steps import compute_statistics
    from loopline.workspace import Workspace

    stats = loopline("stats", "bike_hours", "--json", cwd=workspace)
    assert stats.code == 0 and json.loads(stats.out)["rows"] == 17379
    unknown = loopline("stats", "bike_hour", cwd=workspace)
    assert unknown.code == 2 and "did you mean 'bike_hours'?" in unknown.err

    saved = loopline("schema", "save", "schema.yaml", "--name", "bikes", cwd=workspace)
    assert saved.code == 0 and "saved schema bikes@1" in saved.out
    again = loopline("schema", "save", "schema.yaml", "--name", "bikes", cwd=workspace)
    assert "unchanged: bikes@1" in again.out
    shown = loopline("schema", "show", "bikes@1", cwd=workspace)
    assert shown.out == (workspace / "schema.yaml").read_text(encoding="utf-8")
    assert "bikes" in loopline("schema", "list", cwd=workspace).out
    validated = loopline("validate", "bike_hours", "--schema", "bikes", "--json", cwd=workspace)
    anomalies = json.loads(validated.out)["anomalies"]
    assert validated.code == 0 and {a["code"] for a in anomalies} == {"TARGET_LEAKAGE", "STUCK_VALUES"}

    with Workspace.find(workspace) as ws:
        pipeline = Pipeline([step(compute_statistics, inputs=["table"], outputs="statistics")], name="profile",
                            inputs=["table"])
        result = run_pipeline(pipeline, metadata=ws.metadata, artifacts=ws.artifacts,
                              inputs={"table": ws.catalog.load("bike_hours")})
        artifact = result.outputs["statistics"]
    assert artifact.type == "Statistics"
    drift = loopline("drift", f"artifact/{artifact.id}", "bike_hours", "--json", cwd=workspace)
    assert drift.code == 0, drift.err
    assert json.loads(drift.out)["dataset_drift"] is False
    model_like = loopline("drift", f"a{artifact.id - 1}", "bike_hours", cwd=workspace)
    assert model_like.code == 1 and "not Statistics" in model_like.err


def test_schema_only_leaves_out_the_data_centric_warnings(loopline: Loopline, files: Path, tmp_path: Path) -> None:
    loopline("schema", "infer", str(files / "reference.csv"), "--label", "churn", "-o", "schema.yaml", cwd=tmp_path)
    reference = pd.read_csv(files / "reference.csv")
    pd.concat([reference, reference.head(50)]).to_csv(tmp_path / "repeated.csv", index=False)

    def codes(*flags: str) -> set[str]:
        done = loopline("validate", "repeated.csv", "--schema", "schema.yaml", "--json", *flags, cwd=tmp_path)
        assert done.code == 0, done.err
        return {a["code"] for a in json.loads(done.out)["anomalies"]}

    assert "DUPLICATE_ROWS" in codes()
    assert "DUPLICATE_ROWS" not in codes("--schema-only")
