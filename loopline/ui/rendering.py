"""Turning page data into HTML: one Jinja2 environment with autoescape on, filters, security headers.

Every template is autoescaped, so a run, dataset or model named ``<script>...`` shows as
text. SVG built in Python (graphs, charts) escapes its own labels and is marked safe
only where it is built. Pages carry a Content-Security-Policy that allows scripts,
styles and images from this server alone: no inline script can run even if one slipped
through.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, PackageLoader
from starlette.requests import Request
from starlette.responses import HTMLResponse

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def when(value: datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def seconds(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def duration(value: float | None) -> str:
    """A length of time in seconds as days, hours, minutes (``7d``, ``1h 30m``, ``45s``)."""
    if value is None:
        return ""
    left, parts = int(value), []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if left >= size:
            parts.append(f"{left // size}{unit}")
            left %= size
    if left or not parts:
        parts.append(f"{left}s")
    return " ".join(parts)


def number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def as_json(value: Any) -> str:
    """A value as indented JSON text (escaped by the template like any text)."""
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False)


def url_part(value: Any) -> str:
    """``value`` quoted for use as one path segment."""
    return quote(str(value), safe="")


def query(request: Request, **changes: Any) -> str:
    """The current query string with ``changes`` applied (None removes a key)."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params) if params else "?"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("loopline.ui", "templates"), autoescape=True,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters.update(when=when, seconds=seconds, duration=duration, number=number, as_json=as_json, url_part=url_part)
    env.globals.update(query=query)
    return env


_ENV: Environment | None = None


def environment() -> Environment:
    global _ENV
    if _ENV is None:
        _ENV = _environment()
    return _ENV


def render(request: Request, template: str, context: dict[str, Any], *, status_code: int = 200) -> HTMLResponse:
    """The page ``template`` filled with ``context`` plus the request, the user and the CSRF token."""
    values = {
        "request": request,
        "identity": getattr(request.state, "identity", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "tokens_required": getattr(request.app.state, "tokens_required", False),
        **context,
    }
    body = environment().get_template(template).render(values)
    response = HTMLResponse(body, status_code=status_code, headers=SECURITY_HEADERS)
    cookie = getattr(request.state, "set_csrf_cookie", None)
    if cookie:
        from loopline.ui.access import set_csrf_cookie

        set_csrf_cookie(request, response, cookie)
    return response


__all__ = ["SECURITY_HEADERS", "as_json", "duration", "environment", "number", "query", "render", "seconds", "url_part",
           "when"]
