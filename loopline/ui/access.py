"""Who is looking, and whether a form really came from this dashboard: identities, login, CSRF tokens.

Two modes, chosen when the app is built:

- tokens required (always when bound to an address other than loopback): every page and
  API route needs the API token of a user with the viewer role or above, sent as
  ``Authorization: Bearer ll_...`` or kept, after logging in, in an HttpOnly,
  SameSite=Strict cookie. Tokens are checked by the prediction server's
  ``TokenAuthenticator`` (short cache keyed by the token's sha256).
- local (127.0.0.1 without tokens): the dashboard acts as the local user exactly as the
  CLI does (``LOOPLINE_USER`` or the operating-system user), with that user's role.

Whoever acts, a state-changing request goes through the registry with that user's name,
so the dashboard obeys the same roles and policies as the CLI. A POST authenticated by a
cookie (or by nobody, locally) must carry the CSRF token: a random value kept in its own
SameSite=Strict cookie and repeated in the form (``csrf_token``) or the ``X-CSRF-Token``
header (double submit); a request from another origin is refused outright. A POST with an
``Authorization`` header needs no CSRF token: a browser never adds that header by itself.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from loopline.errors import LooplineError
from loopline.registry.identity import current_user_name
from loopline.registry.records import Identity
from loopline.serving.auth import READ, TokenAuthenticator

SESSION_COOKIE = "loopline_session"
CSRF_COOKIE = "loopline_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_MAX_AGE_S = 12 * 3600


class LoginRequired(LooplineError):
    """No token came with a request to a dashboard that requires one."""

    http_status = 401


class CsrfRejected(LooplineError):
    """A state-changing request without the right CSRF token, or from another origin."""

    http_status = 403


def authenticator_for(workspace: Any) -> TokenAuthenticator:
    return TokenAuthenticator(workspace.registry.authenticate, ttl_s=10.0)


def _token_of(request: Request) -> tuple[str | None, bool]:
    """The request's credentials as an Authorization value, and whether they came in a header."""
    header = request.headers.get("authorization")
    if header:
        return header, True
    cookie = request.cookies.get(SESSION_COOKIE)
    return (f"Bearer {cookie}" if cookie else None), False


async def identify(request: Request) -> Identity:
    """The identity behind the request (LoginRequired, NotAuthenticated or NotAllowed otherwise)."""
    app_state = request.app.state
    authorization, in_header = _token_of(request)
    request.state.via_header = in_header
    if authorization is None:
        if app_state.tokens_required:
            raise LoginRequired("this dashboard needs an API token", hint="log in with a token from "
                                "'loopline tokens create', or send 'Authorization: Bearer <token>'")
        name = current_user_name()
        return await run_in_threadpool(app_state.workspace.registry.identity, name)
    found = await app_state.authenticator.check(authorization, READ)
    return Identity(found.name, found.role)


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser, made (and sent as a cookie with the response) on first use."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing and 20 <= len(existing) <= 100:
        return existing
    made = getattr(request.state, "set_csrf_cookie", None)
    if not made:
        made = secrets.token_urlsafe(32)
        request.state.set_csrf_cookie = made
    return str(made)


def set_csrf_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(CSRF_COOKIE, value, httponly=True, samesite="strict", secure=_is_https(request), path="/")


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_MAX_AGE_S, httponly=True, samesite="strict",
                        secure=_is_https(request), path="/")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


def _is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def check_same_origin(request: Request) -> None:
    """CsrfRejected when the browser says the request came from a page of another origin."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return
    if origin == "null":
        raise CsrfRejected("refused: the request came from a page without an origin (a sandbox or a file)")
    source = urlsplit(origin)
    if source.netloc and source.netloc != request.headers.get("host", ""):
        raise CsrfRejected(f"refused: the request came from another site ({source.scheme}://{source.netloc})",
                           hint="use the dashboard's own pages and forms")


def check_csrf(request: Request, supplied: str | None) -> None:
    """CsrfRejected unless the request may change state: a header token, or the right CSRF token."""
    check_same_origin(request)
    if getattr(request.state, "via_header", False):
        return
    expected = request.cookies.get(CSRF_COOKIE) or ""
    given = supplied or request.headers.get(CSRF_HEADER) or ""
    if not expected or not given or not hmac.compare_digest(expected.encode(), given.encode()):
        raise CsrfRejected("refused: the form's CSRF token is missing or wrong, so nothing was changed",
                           hint="reload the page and submit the form again")


async def reader(request: Request) -> Identity:
    """FastAPI dependency of every page and API route: who is asking (viewer or above)."""
    identity = await identify(request)
    request.state.identity = identity
    request.state.csrf_token = csrf_token(request)
    return identity


def safe_next(target: str | None) -> str:
    """A local path to go to after logging in; anything else (another site, a scheme) becomes ``/``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "SESSION_COOKIE", "CsrfRejected", "LoginRequired", "authenticator_for",
           "check_csrf", "check_same_origin", "clear_session_cookie", "csrf_token", "identify", "reader", "safe_next",
           "set_csrf_cookie", "set_session_cookie"]
