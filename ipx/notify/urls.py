"""Which webhook URLs the registry will call: http(s) to public addresses only.

Otherwise a subscriber could make the registry probe its own network (SSRF). Every address
the host name resolves to must be public (``ipaddress``'s ``is_global``), checked when the
subscription is made and again before each request (a name may resolve elsewhere later).
Loopback is allowed too when the operator says so (``IPX_WEBHOOK_ALLOW_LOOPBACK=1``: tests and
the demo). IPv6 forms that carry an IPv4 address are judged by that address (NAT64, IPv4-mapped
and IPv4-compatible) or refused (6to4, Teredo, local-use NAT64): Python calls them global.

Before a request the name is resolved once (``vet``) and the request connects to the addresses
that were checked, never to what a second lookup might answer (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from ipx.errors import ValidationFailed


class WebhookUrlRefused(ValidationFailed):
    code, title = "webhook-url-not-allowed", "The registry does not call that URL"

    def __init__(self, reason: str) -> None:
        super().__init__({"url": [reason]}, detail=reason)


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    """Where a request goes: the URL's host name (for the Host header and TLS) and port, its
    path, and the checked addresses to connect to."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[Address, ...]


def check_url(url: str, *, allow_loopback: bool, resolve: bool = True) -> None:
    """``WebhookUrlRefused`` unless the registry may call ``url``.

    ``resolve=False`` checks the form and a literal address only: for use inside a
    transaction, where a slow name lookup must not hold locks (the caller resolves before).
    """
    _check(url, allow_loopback=allow_loopback, resolve=resolve)


def vet(url: str, *, allow_loopback: bool) -> Target:
    """The URL's target, its host resolved once and every address checked (or refused)."""
    target = _check(url, allow_loopback=allow_loopback, resolve=True)
    assert target is not None
    return target


def _check(url: str, *, allow_loopback: bool, resolve: bool) -> Target | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookUrlRefused(f"Not a valid URL: {exc}.") from None
    if parts.scheme not in ("http", "https"):
        raise WebhookUrlRefused("Only http and https URLs are called.")
    if not parts.hostname:
        raise WebhookUrlRefused("The URL names no host.")
    if parts.username or parts.password:
        raise WebhookUrlRefused("Credentials in the URL are not accepted.")
    if not resolve and not _is_literal(parts.hostname):
        return None
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = _addresses(parts.hostname, port)
    if not addresses:
        raise WebhookUrlRefused(f"The host {parts.hostname} does not resolve.")
    for address in addresses:
        if not _allowed(address, allow_loopback=allow_loopback):
            raise WebhookUrlRefused(
                f"The host resolves to {address}, which is not a public address."
            )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    unique = tuple(dict.fromkeys(addresses))
    return Target(parts.scheme, _ascii_host(parts.hostname), port, path, unique)


def _ascii_host(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise WebhookUrlRefused(f"The host {host} does not resolve.") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _allowed(address: Address, *, allow_loopback: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return allow_loopback
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64 or address in _IPV4_COMPATIBLE:
            # The IPv4 address it carries decides (never as loopback: that is not ours).
            return _public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address in _NAT64_LOCAL or address.sixtofour is not None or address.teredo is not None:
            return False
    return _public(address)


def _public(address: Address) -> bool:
    return address.is_global and not address.is_multicast
