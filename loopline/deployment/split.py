"""The canary's traffic split: which requests the candidate answers.

A request with a routing key (an entity key such as a station id) goes to the same side
every time, so one customer never flips between versions: the key's hash picks one of
10,000 buckets and the first ``percent`` of them go to the candidate. A request without a
key is a fair coin weighted by ``percent``.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from loopline.errors import InvalidInputError

BUCKETS = 10_000


def check_percent(percent: object) -> float:
    if isinstance(percent, bool) or not isinstance(percent, int | float) or not 0 < percent < 100:
        raise InvalidInputError(f"the canary's percent must be a number above 0 and below 100, got {percent!r}",
                                hint="send a small share first, e.g. --percent 10; promote the canary to go to 100")
    return float(percent)


def bucket_of(key: str) -> int:
    """The key's bucket in [0, BUCKETS): stable across processes and runs (not Python's salted hash)."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


@dataclass(frozen=True, slots=True)
class TrafficSplit:
    """``percent`` of requests (0 < percent < 100) to the candidate; sticky by key when a key is given."""

    percent: float

    def to_candidate(self, key: str | None = None) -> bool:
        threshold = self.percent * BUCKETS / 100.0
        if key is None:
            return random.random() * BUCKETS < threshold  # noqa: S311 - a traffic split, not a secret
        return bucket_of(key) < threshold


__all__ = ["BUCKETS", "TrafficSplit", "bucket_of", "check_percent"]
