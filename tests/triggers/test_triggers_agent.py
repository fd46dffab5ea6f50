"""The agent: only the leader checks triggers; a dead leader is replaced within the lease time and
no trigger fires twice (two real processes and a SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from loopline.config import TriggerSection
from loopline.errors import InvalidInputError
from loopline.triggers import Agent, LeaseStore, RunOutcome, TriggerChecks, TriggerStore

HERE = Path(__file__).parent


@pytest.fixture
def stores(database_url: str) -> Iterator[tuple[TriggerStore, LeaseStore, str]]:
    with TriggerStore(database_url) as store, LeaseStore(database_url) as leases:
        yield store, leases, database_url


def make_agent(stores: tuple[TriggerStore, LeaseStore, str], folder: Path, holder: str, runs: list[str],
               **options: object) -> Agent:
    store, leases, url = stores

    def run(pipeline: str, params: object) -> RunOutcome:
        runs.append(holder)
        return RunOutcome(run_id=len(runs), ok=True)

    triggers = {"arrivals": TriggerSection(kind="new_data", path=str(folder), pipeline="train", **options),
                "by-hand": TriggerSection(kind="manual", pipeline="train")}
    return Agent(triggers, store=store, leases=leases, checks=TriggerChecks(folder.parent, metadata_url=url),
                 run=run, holder=holder, lease_s=5.0, interval_s=0.1)


def test_only_the_leader_checks_and_each_file_set_fires_once(stores, tmp_path: Path) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "old.csv").write_text("x")
    runs: list[str] = []
    a, b = make_agent(stores, folder, "a", runs), make_agent(stores, folder, "b", runs)
    assert a.tick().leader and not b.tick().leader  # a's first look takes old.csv as seen
    (folder / "new.csv").write_text("x")
    fired = a.tick().firings
    assert [f.reason for f in fired] == [f"1 new file(s) in {folder}: new.csv"]
    assert (fired[0].status, fired[0].run_id, fired[0].fired_by) == ("succeeded", 1, "a")
    assert not a.tick().firings and not b.tick().leader and runs == ["a"]


def test_cooldown_defers_new_data_until_it_ends(stores, tmp_path: Path) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    runs: list[str] = []
    agent = make_agent(stores, folder, "a", runs, cooldown_s=0.5)
    agent.tick()
    (folder / "1.csv").write_text("x")
    assert len(agent.tick().firings) == 1
    (folder / "2.csv").write_text("x")
    assert not agent.tick().firings  # within the cooldown: not fired, not forgotten
    time.sleep(0.6)
    assert [f.details["new_files"] for f in agent.tick().firings] == [["2.csv"]]


def test_interval_must_be_shorter_than_the_lease(stores, tmp_path: Path) -> None:
    store, leases, url = stores
    with pytest.raises(InvalidInputError, match=r"interval \(5 s\) must be above 0 and shorter than its lease \(2 s\)"):
        Agent({}, store=store, leases=leases, checks=TriggerChecks(tmp_path, metadata_url=url),
              run=lambda p, q: RunOutcome(None, True), lease_s=2, interval_s=5)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> float:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - start


def test_sigkill_of_the_leader_hands_over_within_the_lease_and_nothing_fires_twice(stores, tmp_path: Path) -> None:
    store, leases, url = stores
    folder, runlog = tmp_path / "incoming", tmp_path / "runs.log"
    folder.mkdir()
    runlog.touch()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parents[1]), os.environ.get("PYTHONPATH", "")])}

    def spawn(holder: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, str(HERE / "agent_process.py"), url, str(folder), str(runlog), holder],
                                env=env, stderr=subprocess.DEVNULL)

    first = spawn("first")
    second = None
    try:
        wait_for(lambda: store.state("arrivals") is not None, 20, "the first agent to lead and look")
        second = spawn("second")
        lease = leases.current()
        assert lease is not None and lease.holder == "first"
        (folder / "day1.csv").write_text("x")
        wait_for(lambda: len(store.firings()) == 1 and store.firings()[0].status == "succeeded", 10, "firing 1")
        first.send_signal(signal.SIGKILL)
        first.wait()
        (folder / "day2.csv").write_text("x")
        takeover = wait_for(lambda: (leases.current() or lease).holder == "second", 10, "the second agent to lead")
        wait_for(lambda: len(store.firings()) == 2 and store.firings()[0].status == "succeeded", 10, "firing 2")
        time.sleep(0.5)  # time for a wrong second firing to appear
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
    firings = store.firings(newest_first=False)
    assert [(f.fired_by, f.details["new_files"]) for f in firings] == [("first", ["day1.csv"]), ("second", ["day2.csv"])]
    assert runlog.read_text().splitlines() == ["first train", "second train"]
    assert takeover < 1.0 + 0.1 + 1.0, f"takeover took {takeover:.2f} s"  # lease + interval + start-up slack
    print(f"takeover after SIGKILL: {takeover:.2f} s")
