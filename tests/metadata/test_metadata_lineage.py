import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, insert

from loopline.errors import InvalidInputError, NotFoundError
from loopline.metadata import LineageEdge, MetadataStore, NewArtifact, NodeRef, parse_ref, tables

Artifact = Callable[..., NewArtifact]


def _step(
    store: MetadataStore, run_id: int, step: str, inputs: dict[str, int], outputs: list[str], artifact: Artifact
) -> tuple[int, dict[str, int]]:
    execution = store.executions.start(run_id, step, cache_key=None, params={})
    made = store.executions.complete(
        execution.id, inputs=inputs, outputs={n: artifact(n, seed=f"{step}/{n}") for n in outputs}
    )
    return execution.id, {n: a.id for n, a in made.items()}


@pytest.fixture
def pipeline(store: MetadataStore, artifact: Artifact) -> dict[str, int]:
    """raw -> prepare -> clean -> split -> train, test -> fit -> model -> evaluate(model, test) -> report."""
    raw = store.artifacts.record(artifact("raw")).id
    run = store.runs.start("training", params={}).id
    prepare, out = _step(store, run, "prepare", {"raw": raw}, ["clean"], artifact)
    split, parts = _step(store, run, "split", {"clean": out["clean"]}, ["train", "test"], artifact)
    fit, model = _step(store, run, "fit", {"train": parts["train"]}, ["model"], artifact)
    evaluate, report = _step(
        store, run, "evaluate", {"model": model["model"], "test": parts["test"]}, ["report"], artifact
    )
    return {
        "run": run,
        "raw": raw,
        "prepare": prepare,
        "clean": out["clean"],
        "split": split,
        **parts,
        "fit": fit,
        "model": model["model"],
        "evaluate": evaluate,
        "report": report["report"],
    }


def _ids(graph: object, kind: str) -> set[int]:
    return set(getattr(graph, f"{kind}s"))


def test_upstream_of_the_model_is_everything_that_made_it(store: MetadataStore, pipeline: dict[str, int]) -> None:
    graph = store.lineage.graph(NodeRef("artifact", pipeline["model"]), direction="up")
    p = pipeline
    assert _ids(graph, "artifact") == {p["model"], p["train"], p["clean"], p["raw"]}
    assert _ids(graph, "execution") == {p["fit"], p["split"], p["prepare"]}
    assert LineageEdge(NodeRef("execution", p["fit"]), NodeRef("artifact", p["model"]), "model") in graph.edges
    assert LineageEdge(NodeRef("artifact", p["train"]), NodeRef("execution", p["fit"]), "train") in graph.edges
    assert p["test"] not in graph.artifacts  # a sibling output is neither upstream nor downstream


def test_downstream_of_raw_data_reaches_the_report(store: MetadataStore, pipeline: dict[str, int]) -> None:
    graph = store.lineage.graph(NodeRef("artifact", pipeline["raw"]), direction="down")
    assert pipeline["report"] in graph.artifacts and pipeline["evaluate"] in graph.executions
    assert len(graph.edges) == 10  # every event of the run


def test_both_directions_and_hop_limits(store: MetadataStore, pipeline: dict[str, int]) -> None:
    p = pipeline
    root = NodeRef("artifact", p["clean"])
    one = store.lineage.graph(root, direction="both", max_hops=1)
    assert _ids(one, "execution") == {p["prepare"], p["split"]} and _ids(one, "artifact") == {p["clean"]}
    two = store.lineage.graph(root, direction="both", max_hops=2)
    assert _ids(two, "artifact") == {p["clean"], p["raw"], p["train"], p["test"]}
    assert store.lineage.graph(root, max_hops=0).edges == ()
    everything = store.lineage.graph(root)
    assert p["report"] in everything.artifacts and p["raw"] in everything.artifacts


def test_a_run_root_starts_from_all_its_executions(store: MetadataStore, pipeline: dict[str, int]) -> None:
    graph = store.lineage.graph(NodeRef("run", pipeline["run"]), direction="up", max_hops=1)
    assert _ids(graph, "execution") == {pipeline[s] for s in ("prepare", "split", "fit", "evaluate")}
    assert pipeline["raw"] in graph.artifacts and pipeline["report"] not in graph.artifacts


def test_converging_paths_keep_every_edge(store: MetadataStore, pipeline: dict[str, int]) -> None:
    graph = store.lineage.graph(NodeRef("artifact", pipeline["report"]), direction="up")
    into_split = [e for e in graph.edges if e.source == NodeRef("execution", pipeline["split"])]
    assert {e.name for e in into_split} == {"train", "test"}  # both paths back to split are drawn


def test_unknown_roots_and_bad_arguments(store: MetadataStore) -> None:
    with pytest.raises(NotFoundError, match="no artifact with id 8"):
        store.lineage.graph(NodeRef("artifact", 8))
    with pytest.raises(NotFoundError, match="no execution with id 8"):
        store.lineage.graph(NodeRef("execution", 8))
    with pytest.raises(NotFoundError, match="no run with id 8"):
        store.lineage.graph(NodeRef("run", 8))
    with pytest.raises(InvalidInputError, match="the lineage root must be a NodeRef of kind artifact, execution, run"):
        store.lineage.graph(NodeRef("model", 1))
    with pytest.raises(InvalidInputError, match="direction must be up, down or both, got 'sideways'"):
        store.lineage.graph(NodeRef("run", 1), direction="sideways")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="max_hops must be an integer >= 0 or None, got -1"):
        store.lineage.graph(NodeRef("run", 1), max_hops=-1)


def test_a_ten_thousand_node_graph_walks_with_set_queries(store: MetadataStore, artifact: Artifact) -> None:
    """One dataset feeding 5,000 executions that write one artifact each: 10,001 nodes in two hops."""
    source = store.artifacts.record(artifact("source"))
    run = store.runs.start("wide", params={})
    width = 5_000
    now = datetime.now(UTC)

    def build(conn: object) -> None:
        execution_rows = [
            {
                "run_id": run.id,
                "step": f"s{i}",
                "state": "complete",
                "params": {},
                "started_at": now,
                "ended_at": now,
                "input_count": 1,
                "output_count": 1,
            }
            for i in range(width)
        ]
        ids = (
            conn.execute(
                insert(tables.executions).returning(tables.executions.c.id, sort_by_parameter_order=True),
                execution_rows,
            )
            .scalars()
            .all()
        )
        digest = "0" * 64
        artifact_rows = [
            {
                "type": "Dataset",
                "name": "out",
                "uri": f"sha256:{digest}",
                "digest": digest,
                "size": 1,
                "format": "parquet",
                "properties": {},
                "created_at": now,
                "producer_execution_id": i,
            }
            for i in ids
        ]
        outs = (
            conn.execute(
                insert(tables.artifacts).returning(tables.artifacts.c.id, sort_by_parameter_order=True), artifact_rows
            )
            .scalars()
            .all()
        )
        conn.execute(
            insert(tables.events),
            [{"execution_id": i, "artifact_id": source.id, "kind": "input", "name": "source"} for i in ids],
        )
        conn.execute(
            insert(tables.events),
            [
                {"execution_id": i, "artifact_id": o, "kind": "output", "name": "out"}
                for i, o in zip(ids, outs, strict=True)
            ],
        )

    store._db.write(build)
    statements: list[str] = []
    engine = store._db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        started = time.perf_counter()
        graph = store.lineage.graph(NodeRef("artifact", source.id), direction="down")
        elapsed = time.perf_counter() - started
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(graph.artifacts) + len(graph.executions) == 2 * width + 1
    assert len(graph.edges) == 2 * width
    print(
        f"\n[{store.dialect}] lineage of {2 * width + 1:,} nodes: {elapsed * 1000:.0f} ms, {len(statements)} statements"
    )
    assert len(statements) < 100  # per-hop IN lists; one query per node would be over 10,000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("artifact/12", NodeRef("artifact", 12)),
        ("a12", NodeRef("artifact", 12)),
        ("execution/3", NodeRef("execution", 3)),
        ("e3", NodeRef("execution", 3)),
        ("run/7", NodeRef("run", 7)),
        ("r7", NodeRef("run", 7)),
        (" Run/7 ", NodeRef("run", 7)),
    ],
)
def test_parse_ref_accepts_long_and_short_forms(text: str, expected: NodeRef) -> None:
    assert parse_ref(text) == expected
    assert str(parse_ref(text)) == f"{expected.kind}/{expected.id}"


def test_parse_ref_errors_list_the_forms_and_suggest_a_kind() -> None:
    with pytest.raises(
        InvalidInputError,
        match=r"'artefact/12' is not a lineage reference; expected artifact/12, "
        r"execution/3 or run/7 \(short: a12, e3, r7\)\n  hint: did you mean 'artifact'\?",
    ):
        parse_ref("artefact/12")
    with pytest.raises(InvalidInputError, match="'x9' is not a lineage reference"):
        parse_ref("x9")
    with pytest.raises(InvalidInputError, match="'r0' names id 0; ids start at 1"):
        parse_ref("r0")
