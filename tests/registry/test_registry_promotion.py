import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

import pytest
from registry_helpers import Setup, make_model_artifact, open_setup

from loopline.errors import ConflictError, InvalidInputError, NotFoundError
from loopline.metadata import Artifact
from loopline.registry import AliasMove, Registry


def _register(setup: Setup, artifact: Artifact, count: int) -> None:
    for _ in range(count):
        setup.registry.register("bikes", artifact.id)


def _assert_consistent(registry: Registry, name: str, alias: str) -> list[AliasMove]:
    """One holder; the moves form an unbroken chain ending at it; one audit event per move."""
    moves = list(reversed(registry.alias_history(name, alias)))
    assert [m.revision for m in moves] == list(range(1, len(moves) + 1))
    for before, after in zip(moves, moves[1:]):
        assert after.from_version == before.to_version
    if moves:
        assert registry.aliases(name)[alias] == moves[-1].to_version
    else:
        assert alias not in registry.aliases(name)
    events = registry.audit.list(target=f"model:{name}@{alias}", limit=10_000)
    assert len([e for e in events if e.action in ("model.promote", "model.rollback")]) == len(moves)
    assert registry.audit.verify().ok
    return moves


def test_promotion_history_and_rollback_walk_back_step_by_step(setup: Setup, model_artifact: Artifact) -> None:
    registry = setup.registry
    _register(setup, model_artifact, 4)
    for version in (1, 2, 3):
        registry.promote("bikes", version, "production", reason=f"v{version}")
    assert registry.rollback("bikes", "production", reason="bad v3").to_version == 2
    assert registry.rollback("bikes", "production").to_version == 1
    with pytest.raises(InvalidInputError, match="bikes@production has no earlier version to go back to"):
        registry.rollback("bikes", "production")
    registry.promote("bikes", 4, "production")
    assert registry.rollback("bikes", "production").to_version == 1
    moves = _assert_consistent(registry, "bikes", "production")
    assert [(m.action, m.from_version, m.to_version) for m in moves] == [
        ("promote", None, 1), ("promote", 1, 2), ("promote", 2, 3), ("rollback", 3, 2), ("rollback", 2, 1),
        ("promote", 1, 4), ("rollback", 4, 1),
    ]
    assert moves[0].reason == "v1" and moves[3].reason == "bad v3"
    with pytest.raises(NotFoundError, match="model 'bikes' has no alias 'staging'"):
        registry.rollback("bikes", "staging")


def test_a_stale_expected_revision_is_a_conflict_and_changes_nothing(setup: Setup, model_artifact: Artifact) -> None:
    registry = setup.registry
    _register(setup, model_artifact, 3)
    registry.promote("bikes", 1, "production", expected_revision=0)
    registry.promote("bikes", 2, "production", expected_revision=1)
    with pytest.raises(ConflictError, match=r"bikes@production moved while this change was being made.*revision 2"):
        registry.promote("bikes", 3, "production", expected_revision=1)
    assert registry.aliases("bikes") == {"production": 2}
    with pytest.raises(InvalidInputError, match="already points at version 2; nothing to do"):
        registry.promote("bikes", 2, "production")
    _assert_consistent(registry, "bikes", "production")


def test_archived_versions_cannot_be_promoted_and_held_versions_cannot_be_archived(
    setup: Setup, model_artifact: Artifact
) -> None:
    registry = setup.registry
    _register(setup, model_artifact, 2)
    registry.promote("bikes", 1, "production")
    with pytest.raises(ConflictError, match="bikes/1 is behind production"):
        registry.archive("bikes", 1)
    registry.archive("bikes", 2)
    with pytest.raises(Exception, match="active: version 2 is archived"):
        registry.promote("bikes", 2, "production")


def _promote_rounds(url: str, root: str, who: int, rounds: int, barrier: "multiprocessing.synchronize.Barrier",
                    out: "multiprocessing.Queue[tuple[int, list[str]]]") -> None:
    opened = open_setup(url, root)
    outcomes = []
    for round_ in range(rounds):
        barrier.wait(60)
        try:
            opened.registry.promote("bikes", 2 * round_ + 1 + who, "production", user=f"promoter{who}")
            outcomes.append("won")
        except ConflictError:
            outcomes.append("conflict")
    out.put((who, outcomes))
    out.close()
    out.join_thread()
    opened.close()
    os._exit(0)


def test_two_processes_promoting_at_once_one_wins_each_time(database_url: str, tmp_path: Path) -> None:
    rounds = 25
    opened = open_setup(database_url, tmp_path / "artifacts")
    artifact = make_model_artifact(opened.metadata, opened.artifacts)
    _register(opened, artifact, 2 * rounds)
    opened.close()
    context = multiprocessing.get_context("fork")
    barrier, out = context.Barrier(2), context.Queue()
    children = [context.Process(target=_promote_rounds, args=(database_url, str(tmp_path / "artifacts"), who,
                                                               rounds, barrier, out)) for who in (0, 1)]
    for child in children:
        child.start()
    outcomes = dict(out.get(timeout=120) for _ in children)
    for child in children:
        child.join(30)
    assert [child.exitcode for child in children] == [0, 0]
    per_round = list(zip(outcomes[0], outcomes[1]))
    assert all("won" in pair for pair in per_round), per_round  # never both lost
    wins = sum(pair.count("won") for pair in per_round)
    assert sum(pair.count("conflict") for pair in per_round) >= 1  # they did collide
    reopened = open_setup(database_url, tmp_path / "artifacts")
    try:
        moves = _assert_consistent(reopened.registry, "bikes", "production")
        assert len(moves) == wins
    finally:
        reopened.close()


def _promote_and_hang(url: str, root: str, started: "multiprocessing.synchronize.Event") -> None:
    """Promote version 2, but stop inside the transaction, after the alias moved and before commit."""
    import loopline.registry.registry as module

    original = module.append_audit

    def hang(*args: object, **kwargs: object) -> object:
        event = original(*args, **kwargs)
        started.set()
        time.sleep(60)
        return event

    module.append_audit = hang  # type: ignore[assignment]
    opened = open_setup(url, root)
    opened.registry.promote("bikes", 2, "production")
    os._exit(0)


def test_sigkill_inside_the_promotion_transaction_leaves_the_old_state(database_url: str, tmp_path: Path) -> None:
    opened = open_setup(database_url, tmp_path / "artifacts")
    _register(opened, make_model_artifact(opened.metadata, opened.artifacts), 3)
    opened.registry.promote("bikes", 1, "production")
    context = multiprocessing.get_context("fork")
    started = context.Event()
    child = context.Process(target=_promote_and_hang, args=(database_url, str(tmp_path / "artifacts"), started))
    child.start()
    assert started.wait(30)
    os.kill(child.pid, signal.SIGKILL)
    child.join(10)
    assert child.exitcode == -signal.SIGKILL
    registry = opened.registry
    assert registry.aliases("bikes") == {"production": 1}
    _assert_consistent(registry, "bikes", "production")
    assert registry.promote("bikes", 3, "production").revision == 2  # nothing is left locked
    opened.close()


def _promote_forever(url: str, root: str) -> None:
    opened = open_setup(url, root)
    registry = opened.registry
    while True:
        current = registry.aliases("bikes").get("production")
        registry.promote("bikes", 2 if current == 1 else 1, "production")


def test_sigkill_at_random_moments_never_leaves_a_mix(database_url: str, tmp_path: Path) -> None:
    opened = open_setup(database_url, tmp_path / "artifacts")
    _register(opened, make_model_artifact(opened.metadata, opened.artifacts), 2)
    opened.registry.promote("bikes", 1, "production")
    context = multiprocessing.get_context("fork")
    rng = random.Random(7)
    for _ in range(4):
        moves = len(opened.registry.alias_history("bikes", "production"))
        child = context.Process(target=_promote_forever, args=(database_url, str(tmp_path / "artifacts")))
        child.start()
        deadline = time.monotonic() + 60  # once it is promoting (a busy machine starts it late) ...
        while len(opened.registry.alias_history("bikes", "production")) == moves and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.3))  # ... kill it at a random moment of its work
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        _assert_consistent(opened.registry, "bikes", "production")
    assert len(opened.registry.alias_history("bikes", "production")) > 4  # the children did promote
    opened.close()
