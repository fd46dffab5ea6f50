import multiprocessing
import os
from pathlib import Path

import pytest
from registry_helpers import Setup, open_setup
from sqlalchemy import Connection, delete, text, update

from loopline.errors import InvalidInputError
from loopline.metadata import tables
from loopline.registry import GENESIS_HASH, append_audit

EVENTS = tables.audit_events


def _fill(setup: Setup, count: int = 6) -> None:
    for i in range(count):
        setup.registry.audit.append(actor="ann", action="test.event", target=f"thing:{i}", reason=f"because {i}",
                                    details={"i": i, "nested": {"x": 0.1, "big": 1e20}})


def _tamper(setup: Setup, work: "callable[[Connection], object]") -> None:
    setup.registry.db.write(work)


def test_a_fresh_chain_verifies_and_events_link_up(setup: Setup) -> None:
    assert setup.registry.audit.verify().ok
    _fill(setup)
    events = list(reversed(setup.registry.audit.list()))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]
    assert events[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:]))
    assert events[2].details == {"i": 2, "nested": {"x": 0.1, "big": 1e20}}
    result = setup.registry.audit.verify()
    assert (result.ok, result.checked) == (True, 6)


@pytest.mark.parametrize(
    ("column", "value"),
    [("actor", "mallory"), ("reason", "nothing happened"), ("details", '{"i":3,"nested":{"big":1e20,"x":0.2}}'),
     ("action", "test.other")],
)
def test_an_edited_row_is_named(setup: Setup, column: str, value: str) -> None:
    _fill(setup)
    _tamper(setup, lambda conn: conn.execute(update(EVENTS).where(EVENTS.c.seq == 4).values({column: value})))
    result = setup.registry.audit.verify()
    assert (result.ok, result.first_bad, result.checked) == (False, 4, 3)
    assert result.problem == "event 4 was edited: its content no longer matches its hash"


def test_a_deleted_row_is_named(setup: Setup) -> None:
    _fill(setup)
    _tamper(setup, lambda conn: conn.execute(delete(EVENTS).where(EVENTS.c.seq == 3)))
    result = setup.registry.audit.verify()
    assert (result.first_bad, result.problem) == (3, "event 3 is missing: the log jumps from 2 to 4 (deleted rows)")


def test_a_deleted_and_renumbered_row_is_named(setup: Setup) -> None:
    _fill(setup)

    def work(conn: Connection) -> None:
        conn.execute(delete(EVENTS).where(EVENTS.c.seq == 3))
        for seq in (4, 5, 6):
            conn.execute(update(EVENTS).where(EVENTS.c.seq == seq).values(seq=seq - 1))
        conn.execute(update(tables.audit_head).values(seq=5))

    _tamper(setup, work)
    result = setup.registry.audit.verify()
    assert result.first_bad == 3 and "event 3 does not follow event 2" in result.problem


def test_rows_cut_from_the_end_are_noticed(setup: Setup) -> None:
    _fill(setup)
    _tamper(setup, lambda conn: conn.execute(delete(EVENTS).where(EVENTS.c.seq >= 5)))
    result = setup.registry.audit.verify()
    assert result.first_bad == 5
    assert result.problem == "the log ends at event 4 but its head records event 6: events were cut from the end"


def test_reordered_rows_are_named(setup: Setup) -> None:
    _fill(setup)

    def swap(conn: Connection) -> None:
        conn.execute(update(EVENTS).where(EVENTS.c.seq == 2).values(seq=1000))
        conn.execute(update(EVENTS).where(EVENTS.c.seq == 3).values(seq=2))
        conn.execute(update(EVENTS).where(EVENTS.c.seq == 1000).values(seq=3))

    _tamper(setup, swap)
    result = setup.registry.audit.verify()
    assert result.first_bad == 2 and "event 2 does not follow event 1" in result.problem


def test_an_event_joins_the_callers_transaction(setup: Setup) -> None:
    class Abort(Exception):
        pass

    def work(conn: Connection) -> None:
        append_audit(conn, actor="ann", action="deployment.rollout", target="deployment:bikes")
        raise Abort

    with pytest.raises(Abort):
        setup.registry.db.write(work)
    assert setup.registry.audit.list() == []
    with pytest.raises(InvalidInputError, match="audit details are not JSON"):
        setup.registry.audit.append(actor="ann", action="x.y", target="t", details={"v": float("nan")})
    assert setup.registry.audit.list(action="x.y") == []


def _append_many(url: str, root: str, who: int, count: int, barrier: "multiprocessing.synchronize.Barrier") -> None:
    opened = open_setup(url, root)
    barrier.wait(30)
    for i in range(count):
        opened.registry.audit.append(actor=f"writer{who}", action="test.concurrent", target=f"n:{i}")
    opened.close()
    os._exit(0)


def test_processes_appending_at_once_never_fork_the_chain(database_url: str, tmp_path: Path) -> None:
    open_setup(database_url, tmp_path / "a").close()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(4)
    children = [context.Process(target=_append_many, args=(database_url, str(tmp_path / "a"), who, 25, barrier))
                for who in range(4)]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    assert [child.exitcode for child in children] == [0] * 4
    opened = open_setup(database_url, tmp_path / "a")
    try:
        result = opened.registry.audit.verify()
        assert (result.ok, result.checked) == (True, 100)
        count = opened.registry.db.read(lambda conn: conn.execute(text("SELECT count(*) FROM audit_events")).scalar())
        assert count == 100
    finally:
        opened.close()
