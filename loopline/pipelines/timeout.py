"""Bounding a step's run time.

In a Python process a running function cannot be stopped from outside. So a step with a
``timeout`` runs in a worker thread (a daemon thread, carrying the caller's context, so
tracking and output capture follow it) while the caller waits; when the time is up the
caller raises ``StepTimeoutError`` and abandons the thread. The thread may keep running
until the function returns: its later tracking calls are refused and its outputs are
never stored. Runners that use worker processes (the parallel local runner, Ray) apply
the same rule inside the worker.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from loopline.pipelines.errors import StepTimeoutError

T = TypeVar("T")


def call_with_timeout(func: Callable[[], T], timeout: float | None, *, what: str) -> T:
    """``func()``, or StepTimeoutError naming ``what`` if it has not returned after ``timeout`` seconds."""
    if timeout is None:
        return func()
    outcome: dict[str, Any] = {}
    finished = threading.Event()
    context = contextvars.copy_context()

    def target() -> None:
        try:
            outcome["value"] = context.run(func)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc
        finally:
            finished.set()

    worker = threading.Thread(target=target, name=f"loopline-{what}", daemon=True)
    worker.start()
    if not finished.wait(timeout):
        raise StepTimeoutError(
            f"{what} did not finish within its timeout of {timeout:g} s and was stopped",
            hint="raise timeout= on the step if it needs longer, or make it faster; "
            "its thread was abandoned, not killed, and may still be running in this process",
        )
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


__all__ = ["call_with_timeout"]
