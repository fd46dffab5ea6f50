"""Who may call which route: API tokens from the registry, checked per request, with a short cache.

Routes fall into three levels. Health routes are open, so an orchestrator can probe
them. Reading (server and model metadata, ``/metrics``) needs a token of any role, viewer
and up. Predicting and posting feedback need ``predict_role``, developer by default: a
prediction is logged under the model's name and feeds monitoring, so it is an action, not
a read. Tokens travel as ``Authorization: Bearer ll_...``.

Looking a token up costs a database read, so an answer is kept for ``ttl_s`` seconds
(30 by default; a revoked token stops working within that time) under the token's sha256,
never the token itself. Failures are kept for a few seconds too, so a client retrying a
bad token cannot make every request hit the database.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool

from loopline.errors import LooplineError
from loopline.registry.identity import at_least
from loopline.serving.errors import NotAllowed, NotAuthenticated

OPEN, READ, PREDICT = "open", "read", "predict"
OPEN_PATHS = frozenset({"/v2/health/live", "/v2/health/ready", "/ping", "/health"})
_POST_GROUPS = {"/predict": "predict", "/invocations": "invocations", "/feedback": "feedback"}


def route_access(method: str, path: str) -> tuple[str, str]:
    """The route's group (a metrics label that never holds a raw path) and its access level."""
    if path in OPEN_PATHS:
        return "health", OPEN
    if method == "POST":
        group = _POST_GROUPS.get(path) or ("infer" if path.startswith("/v2/") and path.endswith("/infer") else "other")
        return group, PREDICT
    if path == "/metrics":
        return "metrics", READ
    if path == "/v2" or path.startswith("/v2/"):
        return "metadata", READ
    return "other", READ


@dataclass(frozen=True)
class AccessPolicy:
    """The weakest role that may read, and the weakest that may predict."""

    read_role: str = "viewer"
    predict_role: str = "developer"

    def needed(self, level: str) -> str:
        return self.predict_role if level == PREDICT else self.read_role


class TokenAuthenticator:
    """Checks bearer tokens with ``authenticate`` (the registry's ``Tokens.authenticate``)."""

    def __init__(
        self,
        authenticate: Callable[[str], Any],
        *,
        policy: AccessPolicy | None = None,
        ttl_s: float = 30.0,
        failure_ttl_s: float = 5.0,
        max_entries: int = 10_000,
    ) -> None:
        self.authenticate = authenticate
        self.policy = policy or AccessPolicy()
        self.ttl_s = ttl_s
        self.failure_ttl_s = failure_ttl_s
        self.max_entries = max_entries
        self._cache: dict[str, tuple[float, Any, str | None]] = {}

    async def check(self, authorization: str | None, level: str) -> Any:
        """The identity behind the request's token; NotAuthenticated (401) or NotAllowed (403) otherwise."""
        token = _bearer(authorization)
        if token is None:
            raise NotAuthenticated(
                "this server needs an API token: send 'Authorization: Bearer <token>'",
                hint="create one with 'loopline tokens create'",
            )
        identity = await self._identify(token)
        needed = self.policy.needed(level)
        if not at_least(getattr(identity, "role", None), needed):
            raise NotAllowed(
                f"the token's user '{identity.name}' ({identity.role or 'no role'}) may not use this route: "
                f"it needs the role {needed} or above",
                hint=f"ask an admin to run: loopline users set-role {identity.name} {needed}",
            )
        return identity

    async def _identify(self, token: str) -> Any:
        key = hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is None or cached[0] <= now:
            try:
                identity = await run_in_threadpool(self.authenticate, token)
                cached = (now + self.ttl_s, identity, None)
            except LooplineError as exc:
                cached = (now + self.failure_ttl_s, None, exc.message)
            if len(self._cache) >= self.max_entries:
                self._cache.clear()
            self._cache[key] = cached
        if cached[1] is None:
            raise NotAuthenticated(cached[2] or "the API token is not valid",
                                   hint="create a token with 'loopline tokens create'")
        return cached[1]


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


__all__ = ["OPEN", "OPEN_PATHS", "PREDICT", "READ", "AccessPolicy", "TokenAuthenticator", "route_access"]
