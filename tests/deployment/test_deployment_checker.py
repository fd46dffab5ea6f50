"""The warm pre-deployment checker: one child process kept between checks, each version loaded afresh
in it; a version that kills the process or never answers is refused with the reason, and the next
check gets a new process."""

from pathlib import Path

import pytest
from deployment_helpers import MODEL, Crashing, Hanging, add_object

from loopline.deployment import InfraValidator, StoreLocation


@pytest.fixture
def importable_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parent))


def test_a_version_that_kills_the_checker_is_refused_and_the_next_check_works(workspace, importable_helpers) -> None:
    crashing = add_object(workspace, Crashing())
    checker = InfraValidator(StoreLocation.of(workspace.registry))
    try:
        assert checker.check(MODEL, 1).passed
        first_process = checker._worker._process.pid
        dead = checker.check(MODEL, crashing)
        assert not dead.passed and f"{MODEL}/{crashing} failed (exit 3)" in dead.reason
        again = checker.check(MODEL, 2)
        assert again.passed and checker._worker._process.pid != first_process
        assert checker.check(MODEL, 3).passed  # the same warm process again
    finally:
        checker.close()


def test_a_version_that_never_answers_is_refused_within_the_timeout(workspace, importable_helpers) -> None:
    hanging = add_object(workspace, Hanging())
    checker = InfraValidator(StoreLocation.of(workspace.registry), timeout_s=3)
    try:
        stuck = checker.check(MODEL, hanging)
        assert not stuck.passed and stuck.reason == f"{MODEL}/{hanging} did not load and answer within 3 s"
        checker.timeout_s = 120  # the next check starts a new process, which imports the model's library again
        assert checker.check(MODEL, 1).passed
    finally:
        checker.close()
