"""POST an alert event as JSON to a webhook, refusing destinations a request forgery would aim at.

The URL must be http or https, without credentials. Its host is resolved once; if any
address it resolves to is private, link-local, reserved, multicast or unspecified, the
webhook is refused unless ``allow_private`` is set, and loopback addresses unless
``allow_loopback`` is set. The connection then goes to the address that was checked (the
TLS handshake still names and verifies the host), so a second DNS answer cannot redirect it.
Redirects are not followed; the response body is read up to 64 KiB.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from loopline.errors import InvalidInputError

MAX_RESPONSE = 64 * 1024
USER_AGENT = "loopline-alerts"


class WebhookRefused(InvalidInputError):
    """The webhook URL points somewhere Loopline will not send to."""


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    path: str
    address: str


def check_destination(url: str, *, allow_private: bool = False, allow_loopback: bool = False) -> Destination:
    """Where ``url`` leads, once its scheme and every resolved address are allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise WebhookRefused(f"webhook URL {url!r} is not http(s)", hint="use https://host/path")
    if not parts.hostname or parts.username or parts.password:
        raise WebhookRefused(f"webhook URL {url!r} needs a host and no user:password@ part",
                             hint="put a secret in the path or query of the URL instead")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise WebhookRefused(f"webhook URL {url!r} has an invalid port") from None
    addresses = _resolve(parts.hostname, port)
    for address in addresses:
        _check_address(url, ipaddress.ip_address(address), allow_private, allow_loopback)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(parts.scheme, parts.hostname, port, path, addresses[0])


def post_json(url: str, body: Any, *, timeout_s: float, allow_private: bool = False,
              allow_loopback: bool = False) -> int:
    """POST ``body`` as JSON; returns the HTTP status (an error is raised for anything but 2xx)."""
    target = check_destination(url, allow_private=allow_private, allow_loopback=allow_loopback)
    data = json.dumps(body, allow_nan=False, default=str).encode("utf-8")
    connection = _connection(target, timeout_s)
    try:
        connection.request("POST", target.path, body=data, headers={
            "Content-Type": "application/json", "User-Agent": USER_AGENT, "Host": _host_header(target)})
        response = connection.getresponse()
        response.read(MAX_RESPONSE)
    except (OSError, http.client.HTTPException) as exc:
        raise ConnectionError(f"webhook {target.host}:{target.port} did not answer: {exc}") from exc
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise ConnectionError(f"webhook {target.host}:{target.port} answered HTTP {response.status}")
    return response.status


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise WebhookRefused(f"webhook host {host!r} does not resolve: {exc.strerror}",
                             hint="check the URL in [alerts.channels]") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _check_address(url: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_private: bool,
                   allow_loopback: bool) -> None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        if not allow_loopback:
            raise WebhookRefused(f"webhook URL {url!r} leads to this machine ({address})",
                                 hint="set allow_loopback = true on the channel if that is intended")
        return
    if address.is_private or address.is_link_local or address.is_reserved or address.is_multicast \
            or address.is_unspecified:
        if not allow_private:
            raise WebhookRefused(f"webhook URL {url!r} leads to a private or link-local address ({address})",
                                 hint="set allow_private = true on the channel if the receiver is on your network")


def _connection(target: Destination, timeout_s: float) -> http.client.HTTPConnection:
    if target.scheme == "http":
        return http.client.HTTPConnection(target.address, target.port, timeout=timeout_s)
    return _PinnedHTTPSConnection(target, timeout_s)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the checked address, with the certificate verified for the URL's host name."""

    def __init__(self, target: Destination, timeout_s: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout_s, context=ssl.create_default_context())
        self._address = target.address
        self._server_name = target.host

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._server_name)  # type: ignore[attr-defined]


def _host_header(target: Destination) -> str:
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"


__all__ = ["Destination", "WebhookRefused", "check_destination", "post_json"]
