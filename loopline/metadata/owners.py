"""Run owners: ``"hostname:pid"`` of the process running a run, and whether it is still alive.

Only processes on this host can be checked. A pid that was reused by an unrelated process
counts as alive: an owner is declared gone only when no process has its pid.
"""

from __future__ import annotations

import os
import socket


def current_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def local_owner_prefix() -> str:
    """The owner prefix of runs started on this host: ``"hostname:"``."""
    return f"{socket.gethostname()}:"


def is_gone(owner: str) -> bool:
    """True when ``owner`` names a process of this host that no longer exists."""
    host, _, pid_text = owner.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return False


__all__ = ["current_owner", "is_gone", "local_owner_prefix"]
