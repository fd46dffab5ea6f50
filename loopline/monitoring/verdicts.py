"""The verdict words every measure of a window uses, and the "not enough data" section."""

from __future__ import annotations

from typing import Any

DRIFT = "drift"
NO_DRIFT = "no drift"
SKEW = "skew"
NO_SKEW = "no skew"
ISSUES = "issues"
OK = "ok"
MEASURED = "measured"
NOT_ENOUGH_DATA = "not enough data"


def not_enough(reason: str, **numbers: Any) -> dict[str, Any]:
    """A section that judged nothing, and says why."""
    return {"verdict": NOT_ENOUGH_DATA, "reason": reason, **numbers}


__all__ = ["DRIFT", "ISSUES", "MEASURED", "NOT_ENOUGH_DATA", "NO_DRIFT", "NO_SKEW", "OK", "SKEW", "not_enough"]
