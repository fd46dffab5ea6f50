"""Firings recorded atomically (de-duplication, cooldown, compare-and-set) and the leader lease,
on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from loopline.errors import ConflictError
from loopline.triggers import Candidate, CooldownActive, LeaseLost, LeaseStore, RunOutcome, TriggerStore


@pytest.fixture
def store(database_url: str) -> Iterator[TriggerStore]:
    with TriggerStore(database_url) as opened:
        yield opened


@pytest.fixture
def leases(database_url: str, store: TriggerStore) -> Iterator[LeaseStore]:
    with LeaseStore(database_url) as opened:
        yield opened


def fire(store: TriggerStore, key: str, **options: object):
    return store.record("nightly", kind="schedule", candidate=Candidate(cursor={"at": key}, dedup_key=key,
                                                                         reason=f"due {key}"),
                        pipeline="train", params={"alpha": 1}, fired_by="agent-a", **options)


def test_a_firing_is_recorded_with_its_state_and_linked_to_its_run(store: TriggerStore) -> None:
    firing = fire(store, "k1")
    assert (firing.status, firing.run_id, firing.reason, dict(firing.params)) == ("started", None, "due k1", {"alpha": 1})
    state = store.state("nightly")
    assert state is not None and state.cursor == {"at": "k1"} and state.revision == 1
    assert state.last_fired_at == firing.fired_at
    done = store.finish(firing.id, RunOutcome(run_id=42, ok=True))
    assert (done.status, done.run_id) == ("succeeded", 42) and done.finished_at is not None
    failed = store.finish(fire(store, "k2", expected_revision=1).id, RunOutcome(None, ok=False, error="boom"))
    assert (failed.status, failed.error) == ("failed", "boom")
    assert [f.dedup_key for f in store.firings(trigger="nightly")] == ["k2", "k1"]


def test_the_same_firing_is_never_recorded_twice(store: TriggerStore) -> None:
    fire(store, "k1")
    with pytest.raises(ConflictError, match="firing 'k1' was already recorded"):
        fire(store, "k1", check_revision=False)
    assert len(store.firings()) == 1


def test_a_stale_revision_records_nothing(store: TriggerStore) -> None:
    fire(store, "k1")  # revision 1
    with pytest.raises(ConflictError, match="evaluated by another process"):
        fire(store, "k2", expected_revision=None)
    with pytest.raises(ConflictError, match="evaluated by another process"):
        store.save_cursor("nightly", {"at": "x"}, expected_revision=7)
    assert [f.dedup_key for f in store.firings()] == ["k1"] and store.state("nightly").cursor == {"at": "k1"}


def test_cooldown_holds_back_a_second_firing(store: TriggerStore) -> None:
    fire(store, "k1", cooldown_s=60)
    with pytest.raises(CooldownActive, match="its cooldown of 60 s ends at"):
        fire(store, "k2", cooldown_s=60, expected_revision=1)
    fire(store, "k3", cooldown_s=0, expected_revision=1)
    assert len(store.firings()) == 2


def test_lease_one_holder_renewal_and_takeover_after_expiry(leases: LeaseStore) -> None:
    first = leases.acquire("a", 0.5)
    assert first is not None and first.term == 1
    assert leases.acquire("b", 0.5) is None
    renewed = leases.acquire("a", 0.5)
    assert renewed is not None and renewed.term == 1 and renewed.expires_at > first.expires_at
    time.sleep(0.6)
    taken = leases.acquire("b", 0.5)
    assert taken is not None and taken.holder == "b" and taken.term == 2
    assert leases.acquire("a", 0.5) is None
    assert leases.release(taken) and leases.acquire("a", 5) is not None  # released: taken at once


def test_a_leader_that_lost_its_lease_cannot_record(store: TriggerStore, leases: LeaseStore) -> None:
    old = leases.acquire("a", 0.3)
    assert old is not None
    fire(store, "k1", lease=old)
    time.sleep(0.4)
    assert leases.acquire("b", 5) is not None
    with pytest.raises(LeaseLost, match="agent a no longer holds the leader lease"):
        fire(store, "k2", lease=old, expected_revision=1)
    with pytest.raises(LeaseLost):
        store.save_cursor("nightly", {"at": "late"}, expected_revision=1, lease=old)
    assert [f.dedup_key for f in store.firings()] == ["k1"]
